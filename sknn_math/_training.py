"""One training loop for every gradient-trained network (MLP and Elman).

:class:`BaseNetwork` is the loop. It declares, as abstract methods, every hook it
calls: the *network hooks* a network class implements (parameters, workspace,
forward and backward pass) and the *task hooks* a task mixin of :mod:`._tasks`
implements (targets, output layer, scoring). Everything else lives here: the
penalised loss, mini-batching, optimisers and schedules, gradient clipping, early
stopping, ``fit``, ``warm_start``, divergence handling and ``verbose``.

The objective, with sample weights w_i (1 when not given) and the penalty on
weights only, never on biases:

.. math::

    J(θ) = \\frac{1}{Σ_i w_i}\\Big(Σ_i w_i ℓ(y_i, ŷ_i)
           + α\\big(\\tfrac{1 − ρ}{2} ‖W‖_2^2 + ρ ‖W‖_1\\big)\\Big)

with α = ``alpha`` and ρ = ``l1_ratio``. With ρ = 0 it is scikit-learn's MLP loss.
L-BFGS minimises J itself, on all the data, and so do SGD and Adam when one batch
holds all of it. Otherwise they step on each mini-batch b's J_b, the same formula
over the batch's samples: the penalty enters every step scaled by 1/Σ_{i∈b} w_i,
so an epoch of n/|b| steps adds it n/|b| times, and the point they settle at is
(in expectation) the minimiser of J with α·n/|b| (with weights α·Σw/Σ_{i∈b} w_i)
in place of α — scikit-learn's convention, which this loop keeps. Under SGD and
Adam the L1 term is a proximal step (soft thresholding, ``_optimizers``) that
sets weights to exactly zero; L-BFGS uses its subgradient, which leaves small
weights that are not exactly zero.

The data term ignores a common factor of the sample weights, and the weights are
divided by their maximum before training (``_training_weights``), so that sums of
weights cannot overflow or underflow; the penalty keeps the α/Σw of the weights
as given.
"""

import math
import time
import warnings
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_random_state, validate_data

from ._activations import ACTIVATIONS
from ._callbacks import CallbackSupportMixin, FitTask
from ._dask import is_dask_array
from ._losses import LOSSES, output_and_loss, output_delta
from ._optimizers import SGD, Adam, clip_grad_norm
from ._parallel import blas_threads_for, chunk_n_rows
from ._validation import (
    Interval,
    Options,
    StrOptions,
    check_sample_weight,
    fit_context,
    normalize_sample_weight,
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
    "The input data may contain large values and need to be preprocessed (e.g. "
    "with StandardScaler); otherwise lower learning_rate_init, set max_grad_norm "
    "to clip the gradient, use a decaying learning_rate schedule, or increase alpha."
)


@dataclass
class FlatParameters:
    """Every weight and bias in one flat vector θ, its gradient, and views of both.

    Weights come first, so the penalty acts on the slices ``weights`` and
    ``weight_grads``; the optimisers update θ with a few vector operations
    whatever the number of layers.
    """

    theta: np.ndarray
    grad: np.ndarray
    coefs: list
    intercepts: list
    coef_grads: list
    intercept_grads: list
    weights: np.ndarray
    weight_grads: np.ndarray


def pack_parameters(coefs, intercepts, dtype):
    """Copy weight and bias arrays into one flat buffer θ of ``dtype``."""
    arrays = list(coefs) + list(intercepts)
    shapes = [a.shape for a in arrays]
    theta = np.empty(sum(a.size for a in arrays), dtype=dtype)
    grad = np.empty_like(theta)
    views, grad_views = _views(theta, shapes), _views(grad, shapes)
    for view, a in zip(views, arrays, strict=True):
        view[...] = a
    n_layers = len(coefs)
    n_weights = sum(c.size for c in coefs)
    return FlatParameters(
        theta=theta, grad=grad,
        coefs=views[:n_layers], intercepts=views[n_layers:],
        coef_grads=grad_views[:n_layers], intercept_grads=grad_views[n_layers:],
        weights=theta[:n_weights], weight_grads=grad[:n_weights],
    )


def _views(flat, shapes):
    views, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        views.append(flat[start:start + size].reshape(shape))
        start += size
    return views


class _Diverged(Exception):
    """Raised inside an epoch when the loss or the weights stop being finite."""

    def __init__(self, loss):
        super().__init__(loss)
        self.loss = loss


class _MiniBatches:
    """The mini-batches of one epoch after another, shuffled if asked.

    ``sample_weight`` are the weights divided by ``weight_scale`` (their maximum,
    :func:`._validation.normalize_sample_weight`): the losses are weighted means,
    which the factor leaves alone, and the penalty takes it back.
    """

    def __init__(self, X, Y, sample_weight, rows, shuffle, rng, weight_scale=1.0):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.weight_scale = weight_scale
        self.rows = rows
        self.n_samples = X.shape[0]
        self.total_weight = (self.n_samples if sample_weight is None
                             else sample_weight.sum())
        self._shuffle, self._rng = shuffle, rng
        self._indices = np.arange(self.n_samples)
        self._X_buffer = (np.empty((rows, X.shape[1]), X.dtype)
                          if shuffle and isinstance(X, np.ndarray) else None)

    def __iter__(self):
        """Yield ``(X_batch, Y_batch, sample_weight_batch)`` for one epoch."""
        if self._shuffle:
            self._rng.shuffle(self._indices)
        for batch in gen_batches(self.n_samples, self.rows):
            if not self._shuffle:
                yield (self.X[batch], self.Y[batch], None
                       if self.sample_weight is None else self.sample_weight[batch])
                continue
            rows = self._indices[batch]
            yield (
                self.X[rows] if self._X_buffer is None else _gather(
                    self.X, rows, self._X_buffer[:len(rows)]),
                _gather(self.Y, rows),
                None if self.sample_weight is None else _gather(self.sample_weight,
                                                                rows),
            )


def _gather(A, rows, out=None):
    """``A[rows]`` for in-range ``rows``.

    Why ``take(mode="clip")`` into a reused buffer: it skips fancy indexing's
    bounds-checked copy and a fresh array per batch (about 4 % of a float64 MLP
    fit, ``benchmarks/compare_revisions.py``); shuffled indices are in range by
    construction, so nothing is ever clipped.
    """
    return np.take(A, rows, axis=0, out=out, mode="clip")


class _ValidationSet:
    """Early stopping's held-out data and the weights with the best score so far."""

    def __init__(self, X, Y, sample_weight, theta):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.best_theta = theta.copy()


class BaseNetwork(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Training loop shared by every gradient-trained network.

    A concrete estimator is ``class Estimator(Task, Network)``: a task mixin from
    :mod:`._tasks` on the left implements the *task hooks*, a network class (a
    subclass of this one) implements the *network hooks*. Both lists are declared
    below as abstract methods; nothing else is called by the loop.

    The path of one :meth:`fit`: validate ``X`` and encode ``y`` (task), initialise
    the parameters (network) into one flat vector (:func:`pack_parameters`), then
    L-BFGS or epochs of mini-batches; each gradient step is
    forward pass → output activation and loss → output delta → backward pass →
    penalty → optimiser step.
    """

    _parameter_constraints = dict(SHARED_PARAMETER_CONSTRAINTS)
    _accept_sparse = False
    # True where NaN has a meaning the network handles (the Elman nets' padding)
    _allow_nan = False
    # True where each product waits for the one before (a recurrence): BLAS then
    # stays on one thread (``_parallel.blas_threads_for``).
    _sequential_products = False

    # ------------------------------------------------------------------
    # Network hooks
    @abstractmethod
    def _initial_parameters(self, n_features, n_outputs, rng):
        """Return ``(coefs, intercepts)``, lists of float64 arrays."""

    @abstractmethod
    def _n_layers(self):
        """The number of layers, input and output included (``n_layers_``)."""

    @abstractmethod
    def _make_workspace(self, n_rows, n_columns, dtype, *, training=True):
        """Buffers for batches of ``n_rows`` rows of ``n_columns`` columns.

        The forward pass fills the workspace, the backward pass reads it; one
        workspace serves every batch of its shape. ``training=False`` may leave out
        what only the backward pass needs.
        """

    @abstractmethod
    def _forward_pass(self, X, coefs, intercepts, workspace):
        """Return the output layer's pre-activation Z (n_samples, n_outputs).

        Z may be a buffer of ``workspace``, valid until the next pass.
        """

    @abstractmethod
    def _backward_pass(self, coefs, workspace, delta, coef_grads, intercept_grads):
        """Write Σ_i ∂J/∂θ into the gradient views, given delta = ∂J/∂Z_out.

        ``workspace`` holds what the forward pass on the same batch left in it.
        ``delta`` already carries the sample weights divided by their sum, so the
        pass writes the gradient of the weighted mean loss; the caller adds the
        penalty.
        """

    @abstractmethod
    def _prediction_row_bytes(self, n_columns):
        """Bytes one row takes in a forward pass, to size prediction chunks."""

    @abstractmethod
    def _product_multiply_adds(self, n_rows, n_columns):
        """Multiply-adds of the largest matrix product of a forward and backward
        pass on ``n_rows`` rows of ``n_columns``; it sets the BLAS threads."""

    # ------------------------------------------------------------------
    # Task hooks
    @property
    @abstractmethod
    def _y_numeric(self):
        """True when targets are numbers (regression), False for labels."""

    @abstractmethod
    def _encode_targets(self, y, reset, classes, incremental):
        """Return the targets as a float (n_samples, n_outputs) array."""

    @abstractmethod
    def _apply_class_weight(self, y, sample_weight, dtype, incremental):
        """Return the sample weights with the class weights folded in (or None)."""

    @abstractmethod
    def _output_activation(self):
        """Name of the output activation, a key of ``ACTIVATIONS``."""

    @abstractmethod
    def _stratify_labels(self, Y):
        """Labels to stratify the early-stopping split by, or None."""

    @abstractmethod
    def _score_encoded(self, Y, Y_pred, sample_weight):
        """Validation score (higher is better) of ``Y_pred`` on encoded ``Y``."""

    # ------------------------------------------------------------------
    # Input validation
    def _validate_X_y(self, X, y, reset):
        reject_non_numeric(X)
        X, y = validate_data(
            self, X, y, reset=reset, accept_sparse=self._accept_sparse,
            dtype=[np.float64, np.float32], multi_output=True,
            ensure_all_finite="allow-nan" if self._allow_nan else True,
            y_numeric=self._y_numeric,
        )
        return X, y

    def _check_steps(self, X, d, reset):
        """Record (at fit) or check how the columns of 2-D ``X`` split into time
        steps of ``d`` features (None: the network's own setting). A feed-forward
        network has no steps; the Elman networks override it."""

    def _validate_X(self, X):
        reject_non_numeric(X)
        return validate_data(
            self, X, reset=False, accept_sparse=self._accept_sparse,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if self._allow_nan else True,
        )

    # ------------------------------------------------------------------
    # Public training entry point (``partial_fit``, whose signature depends on
    # the task, is in ._tasks)
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the network to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. For the Elman networks, sequences: 2-D
            ``(n_sequences, n_timesteps * n_features_per_step)``, row-major by time
            step, or 3-D ``(n_sequences, n_timesteps, n_features_per_step)``;
            leading NaN steps pad shorter sequences (see ``pad_sequences``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets (class labels for a classifier, values for a regressor).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss; None gives every sample weight 1.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), \
                default=None
            The validation data of early stopping, in place of the
            ``validation_fraction`` split: for data whose order matters (time
            series), or a validation set chosen by hand. Needs
            ``early_stopping=True`` and ``y_val``.
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), \
                default=None
            The targets of ``X_val``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples in the validation loss and score.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_validation_arguments(X_val, y_val, sample_weight_val)
        validation_data = (None if X_val is None
                           else (X_val, y_val, sample_weight_val))
        return self._fit(X, y, sample_weight, incremental=False,
                         validation_data=validation_data)

    def _check_validation_arguments(self, X_val, y_val, sample_weight_val):
        if (X_val is None) != (y_val is None):
            raise ValueError(
                "X_val and y_val go together: pass both (the validation set of "
                "early stopping) or neither."
            )
        if X_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val weighs X_val; pass X_val and "
                                 "y_val with it, or drop it.")
            return
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val are the validation set of early stopping, which is "
                "off: set early_stopping=True, or drop X_val and y_val."
            )
        if self.solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' does no early stopping, so it has no use for X_val "
                "and y_val: use solver='adam' or 'sgd', or drop them."
            )

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None,
             validation_data=None):
        if is_dask_array(X):  # block-wise on the cluster: ._dask_networks
            from ._dask_networks import fit_blocks

            return fit_blocks(self, X, y, sample_weight, incremental=incremental,
                              classes=classes, validation_data=validation_data)
        first_call = self._is_first_call(incremental)
        X, y = self._validate_X_y(X, y, reset=first_call)
        Y = self._encode_targets(y, reset=first_call, classes=classes,
                                 incremental=incremental)
        dtype = X.dtype if first_call else self.coefs_[0].dtype
        X = X.astype(dtype, copy=False)
        Y = Y.astype(dtype, copy=False)
        sample_weight, weight_scale = self._training_weights(
            sample_weight, X, y, dtype, incremental)
        if validation_data is not None:
            validation_data = self._validate_validation_data(
                *validation_data, Y.shape[1], dtype)

        params = self._start_training(first_call, X.shape[1], Y.shape[1], dtype,
                                      incremental)
        multiply_adds = self._product_multiply_adds(self._batch_rows(X.shape[0]),
                                                    X.shape[1])
        task = FitTask(self, self._n_subtasks(incremental), X, y, sample_weight)
        # Overflow on the way to divergence is expected: the loss is checked for
        # finiteness after every batch and training stops with a clear message.
        with (np.errstate(over="ignore", invalid="ignore", divide="ignore"),
              blas_threads_for(multiply_adds,
                               sequential=self._sequential_products)):
            if self.solver == "lbfgs":
                workspace = self._make_workspace(X.shape[0], X.shape[1], dtype)
                self._fit_lbfgs(
                    params,
                    lambda: self._loss_grad(params, X, Y, sample_weight, workspace,
                                            weight_scale),
                    X.shape[0], task,
                )
            else:
                self._fit_stochastic(params, X, Y, sample_weight, weight_scale,
                                     incremental, validation_data, task)
        task.end()
        return self

    def _training_weights(self, sample_weight, X, y, dtype, incremental):
        """The sample weights with the class weights folded in, divided by their
        maximum, as ``dtype`` (None when unweighted), and that maximum.

        Formed in float64 and normalised before the cast, so that weights beyond
        float32's range, or whose sum is, train a float32 model as their ratios
        say. The data term is a weighted mean and ignores the factor; the penalty,
        α/Σw, is given it back (``_loss_grad``), so that the objective is exactly
        the one of the weights as given, as in scikit-learn. ``partial_fit``
        normalises each call's weights by their own maximum: since every batch's
        loss is a weighted mean and its penalty is scaled back, a chunk trains as
        its weights say whatever the other chunks' weights are.
        """
        sample_weight = check_sample_weight(sample_weight, X, np.float64)
        sample_weight = self._apply_class_weight(y, sample_weight, np.float64,
                                                 incremental)
        what = ("sample_weight" if getattr(self, "class_weight", None) is None
                else "sample_weight times class_weight")
        return normalize_sample_weight(sample_weight, dtype, what)

    def _is_first_call(self, incremental):
        """Whether this call starts afresh (else it continues the fitted
        network: ``partial_fit``, ``warm_start``)."""
        return not ((incremental or self.warm_start) and hasattr(self, "coefs_"))

    def _start_training(self, first_call, n_features, n_outputs, dtype, incremental):
        """Initialise (or check) the parameters; return them packed into one θ."""
        if first_call:
            self._initialize(n_features, n_outputs, dtype, incremental)
        else:
            self._complete_hand_set_state()
            if n_outputs != self.n_outputs_:
                raise ValueError(
                    f"y has {n_outputs} output(s), but the model was fitted with "
                    f"{self.n_outputs_}. Refit from scratch to change the outputs."
                )
            self._check_architecture_unchanged(n_features)
            if not hasattr(self, "_random_state"):
                self._random_state = check_random_state(self.random_state)
        # n_iter_ counts this call's iterations, as scikit-learn's MLP does; t_
        # and loss_curve_ go on across calls.
        self.n_iter_ = 0
        params = pack_parameters(self.coefs_, self.intercepts_, dtype)
        self.coefs_, self.intercepts_ = params.coefs, params.intercepts
        return params

    def _n_subtasks(self, incremental):
        """The callbacks' subtasks of one call: one per epoch; L-BFGS's last one
        never runs (see _fit_lbfgs)."""
        if self.solver == "lbfgs":
            return self.max_iter + 1
        return 1 if incremental else self.max_iter

    def _fitted_weights(self, theta=None):
        """Copies of the weights as they stand (or as in the flat ``theta``), for a
        callback's snapshot of the model."""
        arrays = self.coefs_ + self.intercepts_
        if theta is None:
            copies = [a.copy() for a in arrays]
        else:
            copies = _views(np.array(theta, dtype=self.coefs_[0].dtype),
                            [a.shape for a in arrays])
        n_layers = len(self.coefs_)
        return {"coefs_": copies[:n_layers], "intercepts_": copies[n_layers:]}

    def _validate_validation_data(self, X_val, y_val, sample_weight_val,
                                  n_outputs, dtype):
        """``X_val``, its encoded targets and weights, checked like the training
        data (same features, outputs and known labels) and cast to its dtype."""
        X_val, y_val = self._validate_X_y(X_val, y_val, reset=False)
        if X_val.shape[0] < 2:
            raise ValueError(
                f"X_val has {X_val.shape[0]} sample; early stopping's validation "
                "score needs at least 2."
            )
        # labels must be known ones, as for partial_fit
        Y_val = self._encode_targets(y_val, reset=False, classes=None,
                                     incremental=True)
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} output(s) but y has {n_outputs}."
            )
        X_val = X_val.astype(dtype, copy=False)
        sample_weight_val = check_sample_weight(sample_weight_val, X_val,
                                                np.float64, name="sample_weight_val")
        sample_weight_val = self._apply_class_weight(y_val, sample_weight_val,
                                                     np.float64, incremental=False)
        # a weighted mean score: the weights' scale does not matter, their sum
        # must not overflow
        sample_weight_val, _ = normalize_sample_weight(
            sample_weight_val, dtype,
            "sample_weight_val" if getattr(self, "class_weight", None) is None
            else "sample_weight_val times class_weight")
        return X_val, Y_val.astype(dtype, copy=False), sample_weight_val

    def _initialize(self, n_features, n_outputs, dtype, incremental):
        """Fresh parameters and training history for a first call."""
        self.__dict__.pop("_optimizer", None)
        self._random_state = check_random_state(self.random_state)
        coefs, intercepts = self._initial_parameters(n_features, n_outputs,
                                                     self._random_state)
        self.coefs_ = [c.astype(dtype, copy=False) for c in coefs]
        self.intercepts_ = [b.astype(dtype, copy=False) for b in intercepts]
        self.n_outputs_ = n_outputs
        self.n_layers_ = self._n_layers()
        self.out_activation_ = self._output_activation()
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._reset_validation_history(
            self.early_stopping and not incremental and self.solver != "lbfgs"
        )

    def _reset_validation_history(self, early_stopping):
        """The attributes early stopping records, empty (or None without it)."""
        if early_stopping:
            self.validation_scores_ = []
            self.validation_loss_curve_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _batch_rows(self, n_samples):
        """Rows per gradient step: all of them for L-BFGS, else the mini-batch."""
        if self.solver == "lbfgs":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _complete_hand_set_state(self):
        """Weights set by hand (``coefs_``, ``intercepts_``) and continued with
        ``partial_fit`` or ``warm_start``: the rest of the state starts afresh."""
        fresh = {
            "n_outputs_": lambda: self.intercepts_[-1].shape[0],
            "n_layers_": self._n_layers,
            "out_activation_": self._output_activation,
            "t_": lambda: 0,
            "loss_curve_": list,
            "_no_improvement_count": lambda: 0,
        }
        for name, make in fresh.items():
            if not hasattr(self, name):
                setattr(self, name, make())
        if not hasattr(self, "best_loss_"):
            self._reset_validation_history(early_stopping=False)

    def _check_architecture_unchanged(self, n_features):
        """Continuing training (warm_start, partial_fit) keeps the fitted shapes."""
        coefs, intercepts = self._initial_parameters(
            n_features, self.n_outputs_, np.random.RandomState(0),
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
    def _loss_grad(self, params, X, Y, sample_weight, workspace, weight_scale=1.0,
                   *, l1_in_gradient=True):
        """Penalised loss J(θ) on one batch; writes ∂J/∂θ into ``params.grad``.

        ``sample_weight`` are the weights divided by ``weight_scale``
        (``_training_weights``); the penalty's Σw is that of the weights as given.
        ``l1_in_gradient=False`` leaves the L1 term's subgradient out of the
        gradient (not out of J): the stochastic solvers apply it as a proximal
        step instead (``_run_epoch``).
        """
        weight_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        loss = self._data_loss_grad(params, X, Y, sample_weight, workspace,
                                    weight_sum)
        loss += self._penalty(params.weights, params.weight_grads,
                              weight_scale * float(weight_sum),
                              l1_in_gradient=l1_in_gradient)
        return loss

    def _data_loss_grad(self, params, X, Y, sample_weight, workspace, weight_sum):
        """The data term alone: returns the batch's weighted mean loss
        Σ_i w_i ℓ_i / Σ_i w_i and writes the gradient of Σ_i w_i ℓ_i / ``weight_sum``
        into ``params.grad`` (``weight_sum`` 1: the plain sum, for a block of a
        larger objective; ``_loss_grad`` passes the batch's Σw)."""
        Z = self._forward_pass(X, params.coefs, params.intercepts, workspace)
        Y_pred, loss = output_and_loss(self.loss, self.out_activation_, Y, Z,
                                       sample_weight)

        # Gradients are linear in delta: scaling the (n, n_outputs) delta by
        # w_i / Σw is cheaper than scaling every gradient afterwards.
        delta = output_delta(self.loss, self.out_activation_, Y, Y_pred)
        if sample_weight is None:
            delta *= 1.0 / weight_sum
        else:
            delta *= (sample_weight / weight_sum)[:, np.newaxis]

        self._backward_pass(params.coefs, workspace, delta, params.coef_grads,
                            params.intercept_grads)
        return loss

    def _penalty(self, W, grad_W, weight_sum, *, l1_in_gradient=True):
        """Add the elastic-net penalty's gradient to ``grad_W``; return its value.

        ``W`` and ``grad_W`` are the weights (never the biases) and their gradient;
        ``weight_sum`` is Σw of the batch (all of the data for L-BFGS), so a
        stochastic solver adds α/Σ_batch w per step, as scikit-learn's MLP does.
        The L1 term's subgradient sign(W) (0 at 0) is added only with
        ``l1_in_gradient``; without it the caller shrinks the weights by a proximal
        step instead.
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
            if l1_in_gradient:
                grad_W += l1 * np.sign(W)
        return value

    def _check_loss(self, loss, where):
        if not np.isfinite(loss):
            raise ValueError(
                f"Training diverged: the loss became {loss} {where}. Solver produced "
                f"non-finite parameter weights. {DIVERGENCE_CURE}"
            )

    # ------------------------------------------------------------------
    # L-BFGS
    def _fit_lbfgs(self, params, loss_grad, n_samples, task):
        """L-BFGS-B on the full batch. ``loss_grad()`` returns J at
        ``params.theta`` and writes ∂J/∂θ into ``params.grad`` (in memory
        ``_loss_grad`` on all of X; on dask a sum over the blocks)."""
        theta = params.theta
        start = time.perf_counter()
        losses = []
        # scipy reports the end of each iteration: that ends one callback subtask
        # and begins the next, so the last one begun never runs.
        iteration = task.begin_iteration("lbfgs iteration")
        stopped_by_callback = False

        def objective(x):
            theta[...] = x
            loss = loss_grad()
            return float(loss), params.grad.astype(np.float64)

        def record(intermediate_result):
            nonlocal iteration, stopped_by_callback
            losses.append(float(intermediate_result.fun))
            if self.verbose:
                print(f"Iteration {len(losses)}, loss = {losses[-1]:.8f}, "
                      f"time = {time.perf_counter() - start:.2f}s")
            stop = task.end_iteration(
                iteration, lambda: self._fitted_weights(intermediate_result.x))
            iteration = task.begin_iteration("lbfgs iteration")
            if stop:
                stopped_by_callback = True
                raise StopIteration

        initial = theta.astype(np.float64)
        result = scipy.optimize.minimize(
            objective, initial, method="L-BFGS-B", jac=True, callback=record,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                     "gtol": self.tol},
        )
        task.abandon_iteration(iteration)
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
        self.t_ += n_samples
        if result.status != 0 and not stopped_by_callback:
            warnings.warn(
                f"L-BFGS stopped after {result.nit} iterations / {result.nfev} "
                f"evaluations without converging: {result.message}. Increase "
                "max_iter or max_fun, or scale the data.",
                ConvergenceWarning, stacklevel=5,
            )

    # ------------------------------------------------------------------
    # SGD and Adam
    def _stochastic_optimizer(self, theta, incremental):
        """The optimiser; ``partial_fit`` keeps its state between calls."""
        optimizer = getattr(self, "_optimizer", None)
        wanted = SGD if self.solver == "sgd" else Adam
        if (not incremental or type(optimizer) is not wanted
                or optimizer.size != theta.size or optimizer.dtype != theta.dtype):
            if self.solver == "sgd":
                optimizer = SGD(theta.size, theta.dtype, self.learning_rate_init,
                                self.learning_rate, self.power_t, self.momentum,
                                self.nesterovs_momentum)
            else:
                optimizer = Adam(theta.size, theta.dtype, self.learning_rate_init,
                                 self.learning_rate, self.power_t, self.beta_1,
                                 self.beta_2, self.epsilon)
            self._optimizer = optimizer
        return optimizer

    def _fit_stochastic(self, params, X, Y, sample_weight, weight_scale, incremental,
                        validation_data, task):
        theta = params.theta
        X, Y, sample_weight, validation = self._validation_split(
            X, Y, sample_weight, theta, incremental, validation_data)
        batches = _MiniBatches(X, Y, sample_weight, self._batch_rows(X.shape[0]),
                               self.shuffle, self._random_state, weight_scale)
        full_batch = self._make_workspace(batches.rows, X.shape[1], theta.dtype)
        last_rows = batches.n_samples % batches.rows
        last_batch = (self._make_workspace(last_rows, X.shape[1], theta.dtype)
                      if last_rows else None)

        def run_epoch(optimizer):
            return self._run_epoch(params, batches, full_batch, last_batch, optimizer)

        self._run_epochs(params, run_epoch, batches.n_samples, validation,
                         incremental, task)

    def _validation_split(self, X, Y, sample_weight, theta, incremental,
                          validation_data):
        """Early stopping's validation set (None without it) and the training
        rest: ``validation_data`` if given, else a ``validation_fraction`` split."""
        if not self.early_stopping or incremental:
            return X, Y, sample_weight, None
        if self.validation_scores_ is None:  # warm start from a fit without it
            self._reset_validation_history(early_stopping=True)
        if validation_data is None:
            return self._hold_out(X, Y, sample_weight, theta)
        return X, Y, sample_weight, _ValidationSet(*validation_data, theta)

    def _run_epochs(self, params, run_epoch, n_samples, validation, incremental,
                    task):
        """Epochs of a stochastic solver until convergence, a plateau or
        ``max_iter`` (one for ``partial_fit``). ``run_epoch(optimizer)`` makes one
        pass over the ``n_samples`` training samples and returns its loss."""
        theta = params.theta
        optimizer = self._stochastic_optimizer(theta, incremental)
        start = time.perf_counter()
        for _ in range(self.max_iter):
            epoch_start = theta.copy()
            epoch = task.begin_iteration("epoch")
            try:
                self.loss_ = run_epoch(optimizer)
                self.n_iter_ += 1
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                message = f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}"
                if validation is None:
                    improved = self._record_training_loss()
                else:
                    improved, scores = self._record_validation(validation, theta)
                    message += scores
            except _Diverged as diverged:
                task.abandon_iteration(epoch)
                self._recover(diverged.loss, theta, epoch_start, validation)
                return
            self._no_improvement_count = (0 if improved
                                          else self._no_improvement_count + 1)
            optimizer.iteration_ends(self.t_)
            if self.verbose:
                print(f"{message}, learning rate = {optimizer.learning_rate:.6g}, "
                      f"time = {time.perf_counter() - start:.2f}s")
            stop = task.end_iteration(epoch, self._fitted_weights)
            if self._plateau_stops(optimizer, validation) or stop or incremental:
                break
        else:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet. Increase "
                "max_iter, or raise learning_rate_init.",
                ConvergenceWarning, stacklevel=5,
            )
        if validation is not None:
            theta[...] = validation.best_theta

    def _run_epoch(self, params, batches, full_batch, last_batch, optimizer):
        """One pass over the mini-batches; returns the weighted mean batch loss.

        ``full_batch`` and ``last_batch`` are the workspaces of the full batches
        and of the shorter last one (None when the rows divide evenly).

        A batch whose weights are all zero has nothing to learn from (its mean
        loss is 0/0, its penalty α/0): it is skipped, with no step and no update
        of the optimiser's state. The epoch's loss, the Σw-weighted
        mean of the batch losses, is unchanged by the skip, since such a batch
        would enter it with weight zero.

        With an L1 penalty the weights take a proximal step after each gradient
        step (soft thresholding, ``optimizer.shrink_l1``), which sets weights to
        exactly zero; its subgradient then stays out of the batch gradient.
        """
        l1 = self.alpha * self.l1_ratio
        scale = batches.weight_scale
        accumulated = 0.0
        for X_batch, Y_batch, sw_batch in batches:
            n_rows = X_batch.shape[0]
            batch_weight = n_rows if sw_batch is None else sw_batch.sum()
            if batch_weight == 0:
                continue
            workspace = full_batch if n_rows == batches.rows else last_batch
            loss = self._loss_grad(params, X_batch, Y_batch, sw_batch, workspace,
                                   scale, l1_in_gradient=not l1)
            if not math.isfinite(loss):
                raise _Diverged(loss)
            if self.max_grad_norm is not None:
                clip_grad_norm(params.grad, self.max_grad_norm)
            optimizer.step(params.theta, params.grad)
            if l1:
                # the batch's L1 strength, α ρ / Σ_batch w
                optimizer.shrink_l1(params.weights,
                                    l1 / (scale * float(batch_weight)))
            accumulated += loss * batch_weight
        if not np.all(np.isfinite(params.theta)):
            raise _Diverged(np.nan)
        return float(accumulated / batches.total_weight)

    def _plateau_stops(self, optimizer, validation):
        """After ``n_iter_no_change`` epochs without progress, stop — or, under
        the 'adaptive' schedule, lower the learning rate and go on."""
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        if not optimizer.trigger_stopping(self.verbose):
            self._no_improvement_count = 0
            return False
        if self.verbose:
            criterion = ("Validation score" if validation is not None
                         else "Training loss")
            print(f"{criterion} did not improve more than tol={self.tol:f} for "
                  f"{self.n_iter_no_change} consecutive epochs. Stopping.")
        return True

    def _record_training_loss(self):
        """Track the best training loss; return whether this epoch improved it."""
        best_loss = np.inf if self.best_loss_ is None else self.best_loss_
        self.best_loss_ = min(best_loss, self.loss_)
        return self.loss_ <= best_loss - self.tol

    def _record_validation(self, validation, theta):
        """Score the held-out set, keep the best weights; return whether the
        score improved and the verbose line's addition."""
        val_loss, val_score = self._validation_metrics(validation)
        if not np.isfinite(val_loss):
            raise _Diverged(val_loss)
        self.validation_loss_curve_.append(val_loss)
        self.validation_scores_.append(val_score)
        improved = val_score >= self.best_validation_score_ + self.tol
        if val_score > self.best_validation_score_:
            self.best_validation_score_ = val_score
            validation.best_theta[...] = theta
        return improved, (f", validation loss = {val_loss:.8f}, "
                          f"validation score = {val_score:.6f}")

    def _recover(self, loss, theta, epoch_start, validation):
        """Never leave non-finite weights behind: restore, then warn or raise."""
        where = f"at epoch {self.n_iter_ + 1}"
        if validation is not None and self.validation_scores_:
            theta[...] = validation.best_theta
            warnings.warn(
                f"Training diverged (loss {loss}) {where}; stopped and restored the "
                f"weights with the best validation score. {DIVERGENCE_CURE}",
                ConvergenceWarning, stacklevel=6,
            )
            return
        theta[...] = epoch_start
        self._check_loss(loss, where)

    def _hold_out(self, X, Y, sample_weight, theta):
        """Split off early stopping's validation set; return the training rest."""
        stratify = self._stratify_labels(Y)
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        try:
            parts = train_test_split(
                *arrays,
                random_state=self._random_state.randint(np.iinfo(np.uint32).max),
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
                "The validation set is too small: early_stopping needs at least 2 "
                "training and 2 validation samples; "
                f"got {X.shape[0]} samples with validation_fraction="
                f"{self.validation_fraction}. Provide more samples or set "
                "early_stopping=False."
            )
        X_train, X_val, Y_train, Y_val = parts[:4]
        sw_train, sw_val = (None, None) if sample_weight is None else parts[4:]
        if sample_weight is not None:
            for part, sw in (("validation", sw_val), ("training", sw_train)):
                if not np.any(sw > 0):
                    raise ValueError(
                        f"The sample weights of early stopping's {part} split are "
                        "all zero, which leaves nothing to "
                        f"{'score' if part == 'validation' else 'train on'}. Pass "
                        "X_val and y_val, use another random_state or "
                        "validation_fraction, or set early_stopping=False."
                    )
        return X_train, Y_train, sw_train, _ValidationSet(X_val, Y_val, sw_val, theta)

    def _validation_metrics(self, validation):
        Y_pred = self._predict_output(validation.X)
        if not np.all(np.isfinite(Y_pred)):
            return np.nan, np.nan
        Y, sample_weight = validation.Y, validation.sample_weight
        loss = LOSSES[self.loss](Y, Y_pred, sample_weight, self.out_activation_)
        return float(loss), float(self._score_encoded(Y, Y_pred, sample_weight))

    # ------------------------------------------------------------------
    # Prediction
    def _predict_output(self, X):
        """Output-layer activations, computed in chunks bounded by working_memory."""
        out = np.empty((X.shape[0], self.n_outputs_),
                       dtype=np.result_type(X.dtype, self.coefs_[0].dtype))
        activation = ACTIVATIONS[self.out_activation_]
        for batch, Z, _ in self._forward_in_chunks(X):
            out[batch] = activation(Z)
        return out

    def _forward_in_chunks(self, X, extra_row_bytes=0):
        """Yield ``(rows, Z, workspace)``: the forward pass over chunks of ``X``
        bounded by working_memory (each row taking ``extra_row_bytes`` more in the
        caller's output).

        The BLAS thread limit holds while the generator runs: consume it whole.
        """
        coefs, intercepts = self.coefs_, self.intercepts_
        dtype = np.result_type(X.dtype, coefs[0].dtype)
        n_samples, n_columns = X.shape
        chunk = chunk_n_rows(self._prediction_row_bytes(n_columns) + extra_row_bytes,
                             n_samples)
        workspace = None
        # saturating units overflow e^{−z} to +inf on purpose (σ → 0 exactly)
        with np.errstate(over="ignore"), blas_threads_for(
                self._product_multiply_adds(chunk, n_columns),
                sequential=self._sequential_products, prediction=True):
            for batch in gen_batches(n_samples, chunk):
                n_rows = batch.stop - batch.start
                if workspace is None or workspace.n_rows != n_rows:
                    workspace = self._make_workspace(n_rows, n_columns, dtype,
                                                     training=False)
                Z = self._forward_pass(X[batch], coefs, intercepts, workspace)
                yield batch, Z, workspace

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse)
        tags.input_tags.allow_nan = self._allow_nan
        return tags
