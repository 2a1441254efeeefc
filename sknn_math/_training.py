"""One training loop for every gradient-trained network (MLP and Elman).

A network subclass supplies only its parameters, its forward pass and its backward
pass; a task mixin (:class:`ClassifierTask`, :class:`RegressorTask`) supplies the
target encoding, output activation and scoring. Everything else lives here: the
penalised loss, mini-batching, optimisers and schedules, gradient clipping, early
stopping, ``partial_fit``, ``warm_start``, divergence handling and ``verbose``.

The objective, with sample weights w_i (1 when not given) and the penalty on
weights only, never on biases:

.. math::

    J(θ) = \\frac{1}{Σ_i w_i}\\Big(Σ_i w_i ℓ(y_i, ŷ_i)
           + α\\big(\\tfrac{1 − ρ}{2} ‖W‖_2^2 + ρ ‖W‖_1\\big)\\Big)

with α = ``alpha`` and ρ = ``l1_ratio``. With ρ = 0 it is scikit-learn's MLP loss.
"""

import contextlib
import math
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import gen_batches
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import (
    check_is_fitted,
    check_random_state,
    column_or_1d,
    validate_data,
)

from ._activations import ACTIVATIONS, loss_function, output_and_loss, output_delta
from ._parallel import single_threaded_blas
from ._optimizers import SGD, Adam, clip_grad_norm
from ._validation import (
    Interval,
    Options,
    StrOptions,
    check_sample_weight,
    get_chunk_n_rows,
    reject_non_numeric,
)

SHARED_PARAMETER_CONSTRAINTS = {
    "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
    "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
}

DIVERGENCE_CURE = (
    "Lower learning_rate_init, set max_grad_norm to clip the gradient, use a "
    "decaying learning_rate schedule, or increase alpha."
)


def is_stochastic(estimator):
    """``available_if`` guard: ``partial_fit`` exists for the stochastic solvers."""
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers; "
            f"{estimator.solver!r} is not stochastic."
        )
    return True


def pack_parameters(coefs, intercepts, dtype):
    """Copy weight and bias arrays into one flat buffer; return it and its views.

    Weights come first, so the penalty acts on the slice ``theta[:n_weights]``.
    """
    arrays = list(coefs) + list(intercepts)
    theta = np.empty(sum(a.size for a in arrays), dtype=dtype)
    views = _views(theta, [a.shape for a in arrays])
    for view, a in zip(views, arrays):
        view[...] = a
    return theta, views[: len(coefs)], views[len(coefs):]


def _views(flat, shapes):
    views, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[start:start + size].reshape(shape))
        start += size
    return views


class BaseNetwork(BaseEstimator, metaclass=ABCMeta):
    """Training loop shared by every gradient-trained network.

    Subclasses implement :meth:`_initial_parameters`, :meth:`_forward_pass` and
    :meth:`_backward_pass`; a task mixin implements the target handling.
    """

    _parameter_constraints = dict(SHARED_PARAMETER_CONSTRAINTS)
    _accept_sparse = False

    # ------------------------------------------------------------------
    # Hooks a network implements
    @abstractmethod
    def _initial_parameters(self, n_features, n_outputs, rng):
        """Return ``(coefs, intercepts)``, lists of float64 arrays."""

    @abstractmethod
    def _forward_pass(self, X, coefs, intercepts, cache):
        """Return the output layer's pre-activation Z (n_samples, n_outputs).

        ``cache`` is a dict the pass may fill with what the backward pass needs
        (and reuse for buffers between batches); None at prediction time.
        """

    @abstractmethod
    def _backward_pass(self, X, coefs, intercepts, cache, delta, coef_grads,
                       intercept_grads):
        """Write Σ_i ∂J/∂θ into the gradient views, given delta = ∂J/∂Z_out.

        ``delta`` already carries the sample weights divided by their sum, so the
        pass writes the gradient of the weighted mean loss; the caller adds the
        penalty.
        """

    def _n_layers(self):
        """The number of layers, input and output included (``n_layers_``)."""
        return len(self.coefs_) + 1

    def _prediction_row_bytes(self, n_features):
        """Bytes of temporaries one sample needs in a forward pass (for chunking)."""
        return 8 * (n_features + 4 * self.n_outputs_)

    def _validate_X_y(self, X, y, reset):
        reject_non_numeric(X)
        X, y = validate_data(
            self, X, y, reset=reset, accept_sparse=self._accept_sparse,
            dtype=[np.float64, np.float32], multi_output=True,
            y_numeric=self._y_numeric,
        )
        return X, y

    def _validate_X(self, X):
        reject_non_numeric(X)
        return validate_data(
            self, X, reset=False, accept_sparse=self._accept_sparse,
            dtype=[np.float64, np.float32],
        )

    # ------------------------------------------------------------------
    # Public training entry points
    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        first_call = not (
            (incremental or self.warm_start) and hasattr(self, "coefs_")
        )
        X, y = self._validate_X_y(X, y, reset=first_call)
        Y = self._encode_targets(y, reset=first_call, classes=classes,
                                 incremental=incremental)
        dtype = X.dtype if first_call else self.coefs_[0].dtype
        X = X.astype(dtype, copy=False)
        Y = Y.astype(dtype, copy=False)
        sample_weight = check_sample_weight(sample_weight, X, dtype)
        sample_weight = self._apply_class_weight(y, sample_weight, dtype, incremental)

        if first_call:
            self.__dict__.pop("_optimizer", None)
            self._random_state = check_random_state(self.random_state)
            coefs, intercepts = self._initial_parameters(
                X.shape[1], Y.shape[1], self._random_state
            )
            self.coefs_ = [c.astype(dtype, copy=False) for c in coefs]
            self.intercepts_ = [b.astype(dtype, copy=False) for b in intercepts]
            self.n_outputs_ = Y.shape[1]
            self.n_layers_ = self._n_layers()
            self.out_activation_ = self._output_activation()
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping and not incremental and self.solver != "lbfgs":
                self.validation_scores_ = []
                self.validation_loss_curve_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.validation_scores_ = None
                self.validation_loss_curve_ = None
                self.best_validation_score_ = None
                self.best_loss_ = np.inf
        else:
            self._check_architecture_unchanged()
            if not hasattr(self, "_random_state"):
                self._random_state = check_random_state(self.random_state)

        theta, coefs, intercepts = pack_parameters(self.coefs_, self.intercepts_,
                                                   dtype)
        self.coefs_, self.intercepts_ = coefs, intercepts
        # Overflow on the way to divergence is expected: the loss is checked for
        # finiteness after every batch and training stops with a clear message.
        with (np.errstate(over="ignore", invalid="ignore", divide="ignore"),
              self._blas_threads(X.shape[0])):
            if self.solver == "lbfgs":
                self._fit_lbfgs(theta, X, Y, sample_weight)
            else:
                self._fit_stochastic(theta, X, Y, sample_weight, incremental)
        return self

    def _blas_threads(self, n_samples):
        """One BLAS thread when the per-batch products are small.

        Below about 4 million multiply-adds a product is over before extra BLAS
        threads have started, and on a busy machine they stall every call.
        """
        rows = self._batch_rows(n_samples)
        if rows * max(c.size for c in self.coefs_) <= 2**22:
            return single_threaded_blas()
        return contextlib.nullcontext()

    def _batch_rows(self, n_samples):
        """Rows per gradient step: all of them for L-BFGS, else the mini-batch."""
        if self.solver == "lbfgs":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _check_architecture_unchanged(self):
        """Continuing training (warm_start, partial_fit) keeps the fitted shapes."""
        coefs, intercepts = self._initial_parameters(
            self.n_features_in_,
            self.n_outputs_, np.random.RandomState(0),
        )
        wanted = [a.shape for a in coefs + intercepts]
        fitted = [a.shape for a in self.coefs_ + self.intercepts_]
        if wanted != fitted:
            raise ValueError(
                f"The network's parameters describe weights of shapes {wanted}, but "
                f"the fitted network has {fitted}: warm_start and partial_fit "
                "continue the fitted network and cannot change its architecture. "
                "Set warm_start=False (or refit with fit) to train the new one."
            )

    # ------------------------------------------------------------------
    # Loss and gradient
    def _loss_grad(self, theta, grad, X, Y, sample_weight, cache):
        """Penalised loss J(θ) on one batch; writes ∂J/∂θ into ``grad``."""
        coefs, intercepts = self.coefs_, self.intercepts_
        Z = self._forward_pass(X, coefs, intercepts, cache)
        loss_name = self._loss_name()
        Y_pred, loss = output_and_loss(loss_name, self.out_activation_, Y, Z,
                                       sample_weight)

        # Gradients are linear in delta: scaling the (n, n_outputs) delta by
        # w_i / Σw is cheaper than scaling every gradient afterwards.
        delta = output_delta(loss_name, self.out_activation_, Y, Y_pred)
        if sample_weight is None:
            weight_sum = X.shape[0]
            delta *= 1.0 / weight_sum
        else:
            weight_sum = sample_weight.sum()
            delta *= (sample_weight / weight_sum)[:, np.newaxis]

        parts = cache.get("parts")
        if parts is None or parts[0] is not theta or parts[1] is not grad:
            parts = cache["parts"] = self._parameter_parts(theta, grad)
        _, _, coef_grads, intercept_grads, weights, weight_grads = parts
        self._backward_pass(X, coefs, intercepts, cache, delta, coef_grads,
                            intercept_grads)
        loss += self._penalty(weights, weight_grads, weight_sum)
        return loss

    def _parameter_parts(self, theta, grad):
        """θ and ∂J/∂θ with the views one gradient evaluation writes and reads."""
        coefs, intercepts = self.coefs_, self.intercepts_
        grad_views = _views(grad, [a.shape for a in coefs + intercepts])
        n_weights = sum(c.size for c in coefs)
        return (theta, grad, grad_views[:len(coefs)], grad_views[len(coefs):],
                theta[:n_weights], grad[:n_weights])

    def _penalty(self, W, grad_W, weight_sum):
        """Add the elastic-net penalty's gradient to ``grad_W``; return its value.

        ``W`` and ``grad_W`` are the weights (never the biases) and their gradient.
        """
        if self.alpha == 0:
            return 0.0
        scale = self.alpha / weight_sum
        value = 0.0
        if self.l1_ratio < 1:
            l2 = scale * (1 - self.l1_ratio)
            value += 0.5 * l2 * np.dot(W, W)
            grad_W += l2 * W
        if self.l1_ratio > 0:
            l1 = scale * self.l1_ratio
            value += l1 * np.abs(W).sum()
            grad_W += l1 * np.sign(W)
        return value

    def _check_loss(self, loss, where):
        if not np.isfinite(loss):
            raise ValueError(
                f"Training diverged: the loss became {loss} {where}. {DIVERGENCE_CURE}"
            )

    # ------------------------------------------------------------------
    # L-BFGS
    def _fit_lbfgs(self, theta, X, Y, sample_weight):
        grad = np.empty_like(theta)
        cache = {}
        start = time.perf_counter()
        losses = []

        def objective(x):
            theta[...] = x
            loss = self._loss_grad(theta, grad, X, Y, sample_weight, cache)
            return float(loss), grad.astype(np.float64)

        def record(intermediate_result):
            losses.append(float(intermediate_result.fun))
            if self.verbose:
                print(f"Iteration {len(losses)}, loss = {losses[-1]:.8f}, "
                      f"time = {time.perf_counter() - start:.2f}s")

        initial = theta.astype(np.float64)
        result = scipy.optimize.minimize(
            objective, initial, method="L-BFGS-B", jac=True, callback=record,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                     "gtol": self.tol},
        )
        if not (np.isfinite(result.fun) and np.all(np.isfinite(result.x))):
            theta[...] = initial
            self._check_loss(np.nan if np.isfinite(result.fun) else result.fun,
                             "during L-BFGS")
        theta[...] = result.x
        self.n_iter_ += result.nit
        self.loss_ = float(result.fun)
        self.loss_curve_.extend(losses or [self.loss_])
        self.best_loss_ = min(
            np.inf if self.best_loss_ is None else self.best_loss_, self.loss_
        )
        self.t_ += X.shape[0]
        if result.status != 0:
            warnings.warn(
                f"L-BFGS stopped after {result.nit} iterations / {result.nfev} "
                f"evaluations without converging: {result.message}. Increase "
                "max_iter or max_fun, or scale the data.",
                ConvergenceWarning,
            )

    # ------------------------------------------------------------------
    # SGD and Adam
    def _make_optimizer(self, n_params, dtype):
        if self.solver == "sgd":
            return SGD(n_params, dtype, self.learning_rate_init, self.learning_rate,
                       self.power_t, self.momentum, self.nesterovs_momentum)
        return Adam(n_params, dtype, self.learning_rate_init, self.learning_rate,
                    self.power_t, self.beta_1, self.beta_2, self.epsilon)

    def _fit_stochastic(self, theta, X, Y, sample_weight, incremental):
        rng = self._random_state
        optimizer = getattr(self, "_optimizer", None)
        wanted = SGD if self.solver == "sgd" else Adam
        if (not incremental or type(optimizer) is not wanted
                or optimizer.size != theta.size or optimizer.dtype != theta.dtype):
            self._optimizer = self._make_optimizer(theta.size, theta.dtype)
        optimizer = self._optimizer

        early_stopping = self.early_stopping and not incremental
        if early_stopping and self.validation_scores_ is None:
            # warm start from a fit without early stopping
            self.validation_scores_, self.validation_loss_curve_ = [], []
            self.best_validation_score_, self.best_loss_ = -np.inf, None
        if early_stopping:
            X, X_val, Y, Y_val, sample_weight, sw_val = self._split_validation(
                X, Y, sample_weight, rng
            )
            best_theta = theta.copy()
        else:
            best_theta = None
        n_samples = X.shape[0]
        batch_size = self._batch_rows(n_samples)
        total_weight = n_samples if sample_weight is None else sample_weight.sum()

        grad = np.empty_like(theta)
        cache = {}
        indices = np.arange(n_samples)
        # Shuffled batches are gathered one at a time into a reused buffer: the
        # rows then sit in cache for the forward pass, and no epoch-sized copy
        # of X is made.
        X_buffer = (np.empty((batch_size, X.shape[1]), dtype=X.dtype)
                    if self.shuffle and isinstance(X, np.ndarray) else None)
        start = time.perf_counter()
        for _ in range(self.max_iter):
            epoch_theta = theta.copy()
            if self.shuffle:
                rng.shuffle(indices)
            accumulated = 0.0
            for batch in gen_batches(n_samples, batch_size):
                if self.shuffle:
                    rows = indices[batch]
                    # mode="clip" skips take's bounds-checked buffered copy;
                    # the shuffled indices are in range by construction
                    X_batch = (X[rows] if X_buffer is None else np.take(
                        X, rows, axis=0, out=X_buffer[: rows.shape[0]], mode="clip"))
                    Y_batch = np.take(Y, rows, axis=0, mode="clip")
                    sw_batch = (None if sample_weight is None
                                else np.take(sample_weight, rows, mode="clip"))
                else:
                    X_batch, Y_batch = X[batch], Y[batch]
                    sw_batch = None if sample_weight is None else sample_weight[batch]
                loss = self._loss_grad(theta, grad, X_batch, Y_batch, sw_batch, cache)
                if not math.isfinite(loss):
                    return self._stop_diverged(theta, epoch_theta, early_stopping,
                                               best_theta, loss)
                if self.max_grad_norm is not None:
                    clip_grad_norm(grad, self.max_grad_norm)
                optimizer.step(theta, grad)
                batch_weight = (batch.stop - batch.start if sw_batch is None
                                else sw_batch.sum())
                accumulated += loss * batch_weight

            if not np.all(np.isfinite(theta)):
                return self._stop_diverged(theta, epoch_theta, early_stopping,
                                           best_theta, np.nan)
            self.n_iter_ += 1
            self.t_ += n_samples
            self.loss_ = float(accumulated / total_weight)
            self.loss_curve_.append(self.loss_)

            message = f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}"
            if early_stopping:
                val_loss, val_score = self._validation_metrics(X_val, Y_val, sw_val)
                if not np.isfinite(val_loss):
                    return self._stop_diverged(theta, epoch_theta, early_stopping,
                                               best_theta, val_loss)
                self.validation_loss_curve_.append(val_loss)
                self.validation_scores_.append(val_score)
                message += (f", validation loss = {val_loss:.8f}, "
                            f"validation score = {val_score:.6f}")
                improved = val_score >= self.best_validation_score_ + self.tol
                if val_score > self.best_validation_score_:
                    self.best_validation_score_ = val_score
                    best_theta[...] = theta
            else:
                best_loss = np.inf if self.best_loss_ is None else self.best_loss_
                improved = self.loss_ <= best_loss - self.tol
                self.best_loss_ = min(best_loss, self.loss_)
            self._no_improvement_count = 0 if improved else (
                self._no_improvement_count + 1
            )
            optimizer.iteration_ends(self.t_)
            if self.verbose:
                print(f"{message}, learning rate = {optimizer.learning_rate:.6g}, "
                      f"time = {time.perf_counter() - start:.2f}s")

            if self._no_improvement_count > self.n_iter_no_change:
                if optimizer.trigger_stopping(self.verbose):
                    if self.verbose:
                        criterion = ("Validation score" if early_stopping
                                     else "Training loss")
                        print(f"{criterion} did not improve more than tol="
                              f"{self.tol:f} for {self.n_iter_no_change} "
                              "consecutive epochs. Stopping.")
                    break
                self._no_improvement_count = 0
            if incremental:
                break
        else:
            if not incremental:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet. Increase "
                    "max_iter, or raise learning_rate_init.",
                    ConvergenceWarning,
                )
        if early_stopping:
            theta[...] = best_theta

    def _stop_diverged(self, theta, epoch_theta, early_stopping, best_theta, loss):
        """Never leave non-finite weights behind: restore, then warn or raise."""
        where = f"at epoch {self.n_iter_ + 1}"
        if early_stopping and self.validation_scores_:
            theta[...] = best_theta
            warnings.warn(
                f"Training diverged (loss {loss}) {where}; stopped and restored the "
                f"weights with the best validation score. {DIVERGENCE_CURE}",
                ConvergenceWarning,
            )
            return
        theta[...] = epoch_theta
        self._check_loss(loss, where)

    def _split_validation(self, X, Y, sample_weight, rng):
        stratify = self._stratify_labels(Y)
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        try:
            parts = train_test_split(
                *arrays, random_state=rng.randint(np.iinfo(np.uint32).max),
                test_size=self.validation_fraction, stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples: {exc} "
                "Provide more samples, raise validation_fraction, or set "
                "early_stopping=False."
            ) from exc
        if X.shape[0] - parts[1].shape[0] < 2 or parts[1].shape[0] < 2:
            raise ValueError(
                f"early_stopping needs at least 2 training and 2 validation samples; "
                f"got {X.shape[0]} samples with validation_fraction="
                f"{self.validation_fraction}. Provide more samples or set "
                "early_stopping=False."
            )
        X_train, X_val, Y_train, Y_val = parts[:4]
        sw_train, sw_val = (None, None) if sample_weight is None else parts[4:]
        return X_train, X_val, Y_train, Y_val, sw_train, sw_val

    def _validation_metrics(self, X, Y, sample_weight):
        Y_pred = self._predict_output(X)
        if not np.all(np.isfinite(Y_pred)):
            return np.nan, np.nan
        loss = loss_function(self._loss_name(), self.out_activation_)(
            Y, Y_pred, sample_weight
        )
        return float(loss), float(self._score_encoded(Y, Y_pred, sample_weight))

    # ------------------------------------------------------------------
    # Prediction
    def _predict_output(self, X):
        """Output-layer activations, computed in chunks bounded by working_memory."""
        coefs, intercepts = self.coefs_, self.intercepts_
        dtype = np.result_type(X.dtype, coefs[0].dtype)
        n_samples = X.shape[0]
        chunk = get_chunk_n_rows(self._prediction_row_bytes(X.shape[1]),
                                 max_n_rows=n_samples)
        out = np.empty((n_samples, self.n_outputs_), dtype=dtype)
        activation = ACTIVATIONS[self.out_activation_]
        # saturating units overflow e^{−z} to +inf on purpose (σ → 0 exactly)
        with np.errstate(over="ignore"):
            for batch in gen_batches(n_samples, max(chunk, 1)):
                Z = self._forward_pass(X[batch], coefs, intercepts, None)
                out[batch] = activation(Z)
        return out

    def _loss_name(self):
        return self.loss

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse)
        return tags


class ClassifierTask(ClassifierMixin):
    """Targets, output layer and scoring of a classifier (binary, multiclass,
    multilabel), mixed in on the left of a network class."""

    _y_numeric = False

    def _encode_targets(self, y, reset, classes, incremental):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if reset:
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

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes (an indicator matrix for multilabel targets).
        """
        check_is_fitted(self)
        P = self._predict_output(self._validate_X(X))
        if self.n_outputs_ == 1:
            P = P.ravel()
        return self._label_binarizer.inverse_transform(P)

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
            targets, the independent probability of each label.
        """
        check_is_fitted(self)
        P = self._predict_output(self._validate_X(X))
        if self.n_outputs_ == 1 and self._label_binarizer.y_type_ == "binary":
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
            ``log(predict_proba(X))``.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class RegressorTask(RegressorMixin):
    """Targets, output layer and scoring of a regressor (single or multi-output),
    mixed in on the left of a network class."""

    _y_numeric = True

    def _encode_targets(self, y, reset, classes, incremental):
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if not reset and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} output(s), but the model was fitted with "
                f"{self.n_outputs_}. Refit from scratch to change the outputs."
            )
        return Y

    def _apply_class_weight(self, y, sample_weight, dtype, incremental):
        return sample_weight

    def _output_activation(self):
        return "identity"

    def _stratify_labels(self, Y):
        return None

    def _score_encoded(self, Y, Y_pred, sample_weight):
        return r2_score(Y, Y_pred, sample_weight=sample_weight)

    def predict(self, X):
        """Predict using the trained network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        Y_pred = self._predict_output(self._validate_X(X))
        if self.n_outputs_ == 1:
            return Y_pred.ravel()
        return Y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
