"""What a network is trained for: classification or regression.

A task mixin stands on the left of a network class
(``class SigmoidMLPClassifier(ClassifierTask, _BaseMLP)``) and implements the task
hooks that :class:`~sknn_math._training.BaseNetwork` declares: how targets are
encoded (``_encode_targets``), weighted (``_apply_class_weight``), squashed
(``_output_activation``), stratified (``_stratify_labels``) and scored
(``_score_encoded``). It also gives the public ``predict`` family and
``partial_fit``, whose signature differs between the two tasks.

Targets are encoded, and validation scores computed, on the host (NumPy); under
array API dispatch the predictions come back in ``X``'s namespace and device
(a classifier's labels too, when they are numbers), and ``score`` compares them
with ``y`` on the host.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._array_api import (
    check_fit_namespace,
    follow_X,
    namespace_of_array,
    reshape,
    to_numpy_array,
    xp_of,
)
from ._dask import is_dask_array
from ._validation import fit_context


def _on_blocks(estimator, X, method):
    """``estimator.<method>(X)`` for a dask array ``X``: lazy, block by block."""
    from ._dask_networks import predict_blocks

    return predict_blocks(estimator, X, method)


def _score_blocks(estimator, X, y, sample_weight):
    from ._dask_networks import score_blocks

    return score_blocks(estimator, X, y, sample_weight)


def _scaled_for_score(sample_weight):
    """Weights divided by their largest magnitude, for a score that is a weighted
    mean (accuracy, R²): the factor changes nothing but keeps sums of weights such
    as 1e308, or 3e38 in float32, from overflowing to a NaN score."""
    if sample_weight is None or np.ndim(sample_weight) != 1:
        return sample_weight
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    scale = np.max(np.abs(sample_weight), initial=0.0)
    if not (np.isfinite(scale) and scale > 0):
        return sample_weight  # the metric's own checks refuse it
    return sample_weight / scale


def _predicted(estimator, X, method):
    """The output layer's activations on ``X``, checked against the fit's
    namespace and device (the error names ``method``)."""
    check_is_fitted(estimator)
    check_fit_namespace(X, estimator, attribute="coefs_", method=method)
    return estimator._predict_output(estimator._validate_X(X))


def _host_score(metric, estimator, X, y, sample_weight):
    """``metric(y, estimator.predict(X))`` on the host: the predictions are made
    where X is, ``y`` and the weights are read wherever they are."""
    check_is_fitted(estimator)
    check_fit_namespace(X, estimator, attribute="coefs_", method="score")
    y, sample_weight = follow_X(None, y, sample_weight)
    y_pred = to_numpy_array(estimator.predict(X))
    return float(metric(y, y_pred, sample_weight=_scaled_for_score(sample_weight)))


def is_stochastic(estimator):
    """``available_if`` guard: ``partial_fit`` exists for the stochastic solvers."""
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers; "
            f"{estimator.solver!r} is not stochastic."
        )
    return True


class ClassifierTask(ClassifierMixin):
    """Targets, output layer and scoring of a classifier (binary, multiclass,
    multilabel), mixed in on the left of a network class.

    Uses from the network: the ``class_weight`` and ``solver`` parameters, the
    fitted ``out_activation_`` and ``n_outputs_``, and ``_fit``,
    ``_predict_output`` and ``_validate_X`` of ``BaseNetwork``.
    """

    _y_numeric = False

    def _encode_targets(self, y, reset, classes, incremental):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # Weights set by hand have no labels yet: partial_fit's classes set them up.
        if reset or not hasattr(self, "_label_binarizer"):
            if incremental and classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "the full list of labels, e.g. classes=np.unique(y_all)."
                )
            self._label_binarizer = LabelBinarizer()
            if classes is not None and type_of_target(y) != "multilabel-indicator":
                self._label_binarizer.fit(unique_labels(classes))
            else:
                self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
            if (self._label_binarizer.y_type_ != "multilabel-indicator"
                    and len(self.classes_) < 2):
                raise ValueError(
                    f"The classifier needs samples of at least two classes; got one "
                    f"class: {self.classes_[0]!r}."
                )
        elif (incremental and classes is not None
              and not np.array_equal(unique_labels(classes), self.classes_)):
            raise ValueError(
                f"classes={classes!r} is not the same as on the first call to "
                f"partial_fit ({self.classes_!r})."
            )
        elif (not incremental
              and self._label_binarizer.y_type_ != "multilabel-indicator"
              and set(unique_labels(y).tolist()) != set(self.classes_.tolist())):
            # warm_start continues the fitted output layer, one unit per class
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{unique_labels(y)}. Set warm_start=False to fit the new classes."
            )
        fitted_on_y = reset and classes is None
        if self._label_binarizer.y_type_ != "multilabel-indicator" and not fitted_on_y:
            unknown = np.setdiff1d(unique_labels(y), self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y contains labels {unknown.tolist()} not in classes_="
                    f"{self.classes_.tolist()}. Refit from scratch, or pass every "
                    "label in classes on the first call to partial_fit."
                )
        Y = self._label_binarizer.transform(y)
        return np.asarray(Y, dtype=np.float64)

    def _apply_class_weight(self, y, sample_weight, dtype, incremental):
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit, whose "
                "batches do not show the class frequencies. Compute the weights "
                "once with sklearn.utils.class_weight.compute_class_weight and pass "
                "them as a dict."
            )
        if isinstance(self.class_weight, dict):
            if self._label_binarizer.y_type_ == "multilabel-indicator":
                raise ValueError(
                    "class_weight as a dict weighs the classes of one label, but y "
                    "is multilabel. Use class_weight='balanced', or pass "
                    "sample_weight."
                )
            missing = set(self.class_weight) - set(self.classes_.tolist())
            if missing:
                raise ValueError(
                    f"class_weight names labels {sorted(missing, key=str)} that are "
                    f"not in the data's classes {self.classes_.tolist()}."
                )
            # Against every class of the model, not only those of this y: a
            # partial_fit chunk may lack some (as SGDClassifier.partial_fit does).
            y = column_or_1d(y)
            per_class = compute_class_weight(self.class_weight,
                                             classes=self.classes_, y=y)
            weights = per_class[np.searchsorted(self.classes_, y)].astype(dtype)
        else:
            weights = compute_sample_weight(self.class_weight, y).astype(dtype)
        return weights if sample_weight is None else weights * sample_weight

    def _output_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _stratify_labels(self, Y):
        if self.out_activation_ == "softmax":
            return Y.argmax(axis=1)
        if Y.shape[1] == 1:
            return Y.ravel()
        return None

    def _score_encoded(self, Y, Y_pred, sample_weight):
        """Accuracy (subset accuracy for multilabel) on encoded targets."""
        if self.out_activation_ == "softmax":
            correct = Y_pred.argmax(axis=1) == Y.argmax(axis=1)
        else:
            correct = np.all((Y_pred > 0.5) == (Y > 0.5), axis=1)
        return np.average(correct, weights=sample_weight)

    @available_if(is_stochastic)
    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over the given data.

        Early stopping belongs to ``fit``: with ``early_stopping=True``,
        ``partial_fit`` warns that it is ignored and runs its epoch on all the
        data given.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data (for the Elman networks, sequences in the layout of
            ``fit``).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The class labels.
        classes : array-like of shape (n_classes,), default=None
            Every label the model will see. Required on the first call, ignored
            (but checked) afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes (an indicator matrix for multilabel targets);
            a lazy dask array, computed block by block, for a dask array ``X``.
        """
        if is_dask_array(X):
            return _on_blocks(self, X, "predict")
        P = _predicted(self, X, "predict")
        if not isinstance(P, np.ndarray):
            return self._device_labels(P)
        if self.n_outputs_ == 1:
            P = P.ravel()
        return self._label_binarizer.inverse_transform(P)

    def _device_labels(self, P):
        """The labels of the output ``P`` of another namespace, as
        ``LabelBinarizer.inverse_transform`` reads them (argmax; threshold ½ for
        one logistic unit and for multilabel outputs), on P's device when the
        labels are numbers."""
        xp = xp_of(P)
        y_type = self._label_binarizer.y_type_
        if y_type == "multilabel-indicator":
            return xp.astype(P > 0.5, xp.int64)
        index = (xp.argmax(P, axis=1) if y_type == "multiclass"
                 else xp.astype(P[:, 0] > 0.5, xp.int64))
        if self.classes_.dtype.kind in "biuf":
            classes = namespace_of_array(P).asarray(self.classes_)
            return xp.take(classes, index, axis=0)
        return self.classes_[to_numpy_array(index)]

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``. For multilabel
            targets, the independent probability of each label. A lazy dask array
            for a dask array ``X``.
        """
        if is_dask_array(X):
            return _on_blocks(self, X, "predict_proba")
        P = _predicted(self, X, "predict_proba")
        if self.n_outputs_ == 1 and self._label_binarizer.y_type_ == "binary":
            if not isinstance(P, np.ndarray):
                return xp_of(P).concat([1 - P, P], axis=1)
            return np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``; a lazy dask array for a dask array ``X``.
        """
        if is_dask_array(X):
            return _on_blocks(self, X, "predict_log_proba")
        check_is_fitted(self)
        check_fit_namespace(X, self, attribute="coefs_", method="predict_log_proba")
        proba = self.predict_proba(X)
        if not isinstance(proba, np.ndarray):
            return xp_of(proba).log(proba)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given test data and labels.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Test samples (for the Elman networks, sequences in the layout of
            ``fit``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``self.predict(X)`` w.r.t. ``y`` (subset accuracy for
            multilabel targets); for a dask array ``X``, computed block by block
            on the workers.
        """
        if is_dask_array(X):
            return _score_blocks(self, X, y, sample_weight)
        return _host_score(accuracy_score, self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class RegressorTask(RegressorMixin):
    """Targets, output layer and scoring of a regressor (single or multi-output),
    mixed in on the left of a network class.

    Uses from the network: the ``solver`` parameter, the fitted ``n_outputs_``,
    and ``_fit``, ``_predict_output`` and ``_validate_X`` of
    ``BaseNetwork``.
    """

    _y_numeric = True

    def _encode_targets(self, y, reset, classes, incremental):
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError(
                "loss='poisson' models counts and rates: y must be non-negative, "
                f"but its smallest value is {Y.min()}. Use loss='squared_error' "
                "for targets that can be negative."
            )
        return Y

    def _apply_class_weight(self, y, sample_weight, dtype, incremental):
        return sample_weight

    def _output_activation(self):
        # the Poisson model's mean is exp(z), always positive
        return "exp" if self.loss == "poisson" else "identity"

    def _stratify_labels(self, Y):
        return None

    def _score_encoded(self, Y, Y_pred, sample_weight):
        return r2_score(Y, Y_pred, sample_weight=sample_weight)

    @available_if(is_stochastic)
    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Early stopping belongs to ``fit``: with ``early_stopping=True``,
        ``partial_fit`` warns that it is ignored and runs its epoch on all the
        data given.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data (for the Elman networks, sequences in the layout of
            ``fit``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the trained network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values; a lazy dask array, computed block by block, for
            a dask array ``X``.
        """
        if is_dask_array(X):
            return _on_blocks(self, X, "predict")
        Y_pred = _predicted(self, X, "predict")
        if self.n_outputs_ == 1:
            return reshape(Y_pred, (-1,))
        return Y_pred

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of the prediction.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Test samples (for the Elman networks, sequences in the layout of
            ``fit``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R² of ``self.predict(X)`` w.r.t. ``y`` (averaged uniformly over the
            outputs), as :func:`sklearn.metrics.r2_score`; for a dask array ``X``,
            computed block by block on the workers.
        """
        if is_dask_array(X):
            return _score_blocks(self, X, y, sample_weight)
        return _host_score(r2_score, self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
