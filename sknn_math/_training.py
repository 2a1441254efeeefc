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

Under array API dispatch (``sklearn.set_config(array_api_dispatch=True)``) ``X``
may be a PyTorch tensor or a CuPy array on any device: this loop and the
network's passes are the same code, and the kernels they call (``_activations``,
``_losses``, ``_optimizers``) run there. Labels, sample weights, the random
draws (initialisation, shuffling, the validation split) and their checks stay on
the host, in NumPy, so that a device fit draws exactly what a NumPy fit draws;
the encoded targets and weights are then moved to ``X``'s device. A NumPy kernel
works in place into buffers and views of θ; an array API kernel returns a new
array, so the loop always uses what a kernel returns (:class:`FlatParameters`
keeps the views and the estimator's ``coefs_`` in step).
"""

import math
import time
import warnings
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_random_state, validate_data

from ._activations import ACTIVATIONS
from ._array_api import (
    ArrayAPISupportMixin,
    check_fit_namespace,
    copy_array,
    float_dtypes,
    follow_X,
    host_stand_in,
    namespace_of,
    namespace_of_array,
    reshape,
    to_numpy_array,
    xp_of,
)
from ._callbacks import CallbackSupportMixin, FitTask
from ._dask import is_dask_array
from ._losses import LOSSES, output_and_loss, output_delta
from ._optimizers import SGD, Adam, clip_grad_norm
from ._parallel import (
    ROW_PART_MULTIPLY_ADDS,
    blas_threads_for,
    chunk_n_rows,
    row_parts,
    run_in_parts,
)
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

# A final loss this many times its best is a blow-up, not the noise of
# stochastic steps (which moves a loss by a few times at most).
BLOW_UP_FACTOR = 1e3

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

    On NumPy the views are views: the optimiser updates θ in place, the backward
    pass writes into the gradient's views, and the methods below do nothing. On
    another namespace nothing is written through a view: a step returns a new θ,
    whose views :meth:`set_theta` takes again, into the same lists (which the
    estimator's ``coefs_`` and ``intercepts_`` are); the backward pass returns
    each layer's gradient, which :meth:`gather_grads` and :meth:`join_grads`
    lay out as the flat gradient.
    """

    theta: np.ndarray
    grad: np.ndarray
    coefs: list
    intercepts: list
    coef_grads: list
    intercept_grads: list
    weights: np.ndarray
    weight_grads: np.ndarray

    def set_theta(self, values):
        """θ ← ``values`` (an array of θ's size, NumPy or θ's namespace)."""
        theta = self.theta
        if values is theta:
            return
        if isinstance(theta, np.ndarray):
            theta[...] = values
            return
        namespace = namespace_of_array(theta)
        if isinstance(values, np.ndarray):
            values = namespace.asarray(values, dtype=theta.dtype)
        elif values.dtype != theta.dtype:
            values = namespace.xp.astype(values, theta.dtype)
        views = _views(values, [a.shape for a in self.coefs + self.intercepts])
        n_layers = len(self.coefs)
        self.theta = values
        self.coefs[:], self.intercepts[:] = views[:n_layers], views[n_layers:]
        self.weights = values[:self.weights.shape[0]]

    def set_weights(self, weights):
        """The weights (θ's leading part) ← ``weights``."""
        if weights is not self.weights:
            self.set_theta(xp_of(weights).concat(
                [weights, self.theta[weights.shape[0]:]]))

    def gather_grads(self):
        """After the backward pass: the layers' weight gradients as the flat
        ``weight_grads``, which the penalty adds to."""
        if not isinstance(self.grad, np.ndarray):
            self.weight_grads = _flat(self.coef_grads)

    def join_grads(self):
        """After the penalty: ``grad``, the weights' gradient then the biases'."""
        if not isinstance(self.grad, np.ndarray):
            self.grad = _flat([self.weight_grads, *self.intercept_grads])


def _flat(arrays):
    """The arrays (of another namespace than NumPy) raveled into one vector."""
    xp = xp_of(arrays[0])
    return xp.concat([xp.reshape(a, (-1,)) for a in arrays])


def pack_parameters(coefs, intercepts, dtype, namespace=None):
    """Copy weight and bias arrays into one flat buffer θ of ``dtype`` (a NumPy
    dtype), in ``namespace`` (a :class:`._array_api.Namespace`; None: NumPy)."""
    arrays = list(coefs) + list(intercepts)
    shapes = [tuple(a.shape) for a in arrays]
    n_layers = len(coefs)
    n_weights = sum(math.prod(c.shape) for c in coefs)
    if namespace is not None and not namespace.is_numpy:
        theta = _flat([namespace.cast(namespace.asarray(a), dtype) for a in arrays])
        grad = namespace.xp.zeros_like(theta)
        views, grad_views = _views(theta, shapes), _views(grad, shapes)
        return FlatParameters(
            theta=theta, grad=grad,
            coefs=views[:n_layers], intercepts=views[n_layers:],
            coef_grads=grad_views[:n_layers], intercept_grads=grad_views[n_layers:],
            weights=theta[:n_weights], weight_grads=grad[:n_weights],
        )
    theta = np.empty(sum(math.prod(shape) for shape in shapes), dtype=dtype)
    grad = np.empty_like(theta)
    views, grad_views = _views(theta, shapes), _views(grad, shapes)
    for view, a in zip(views, arrays, strict=True):
        view[...] = a
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
        views.append(reshape(flat[start:start + size], shape))
        start += size
    return views


def _all_finite(array):
    if isinstance(array, np.ndarray):
        return bool(np.all(np.isfinite(array)))
    xp = xp_of(array)
    return bool(xp.all(xp.isfinite(array)))


def _take_rows(A, rows):
    """The rows ``rows`` (a slice, or NumPy integer indices) of ``A``, in A's
    namespace; NumPy arrays and sparse matrices index as ever."""
    if isinstance(A, np.ndarray) or sp.issparse(A):
        return A[rows]
    if isinstance(rows, slice):
        return A[rows, ...]
    namespace = namespace_of_array(A)
    return namespace.xp.take(A, namespace.asarray(rows), axis=0)


@dataclass
class _RowParts:
    """A batch cut into row parts whose passes run side by side on two cores:
    ``bounds`` the parts' first rows (and the end), a workspace per part, and
    for every part after the first its own gradient ``(flat, coef_grads,
    intercept_grads)``, laid out as the batch's and added to it."""

    bounds: list
    workspaces: list
    grads: list

    @classmethod
    def for_batch(cls, network, n_rows, n_columns, params, n_parts):
        bounds = [n_rows * i // n_parts for i in range(n_parts + 1)]
        dtype = params.theta.dtype
        workspaces = [network._make_workspace(stop - start, n_columns, dtype)
                      for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]
        shapes = [a.shape for a in params.coefs + params.intercepts]
        n_layers = len(params.coefs)
        grads = []
        for _ in range(n_parts - 1):
            flat = np.empty_like(params.grad)
            views = _views(flat, shapes)
            grads.append((flat, views[:n_layers], views[n_layers:]))
        return cls(bounds, workspaces, grads)


class _Diverged(Exception):
    """Raised inside an epoch when the loss or the weights stop being finite."""

    def __init__(self, loss):
        super().__init__(loss)
        self.loss = loss


class _MiniBatches:
    """The mini-batches of one epoch after another, shuffled if asked.

    ``sample_weight`` are the weights divided by ``weight_scale`` (their maximum,
    :func:`._validation.normalize_sample_weight`): the losses are weighted means,
    which the factor leaves alone, and the penalty takes it back. The shuffling
    and the batches' sums of weights are computed on the host, whatever the
    namespace of the data.
    """

    def __init__(self, X, Y, sample_weight, rows, shuffle, rng, weight_scale=1.0):
        if shuffle and isinstance(X, np.ndarray):
            # A strided view would be copied whole by every batch's gather
            # (np.take): one C-ordered copy per fit instead.
            X = np.ascontiguousarray(X)
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.weight_scale = weight_scale
        self.rows = rows
        self.n_samples = X.shape[0]
        self._host_weight = (None if sample_weight is None
                             else to_numpy_array(sample_weight))
        self.total_weight = (self.n_samples if sample_weight is None
                             else self._host_weight.sum())
        self._shuffle, self._rng = shuffle, rng
        self._indices = np.arange(self.n_samples)
        self._on_host = isinstance(X, np.ndarray) or sp.issparse(X)
        self._X_buffer = (np.empty((rows, X.shape[1]), X.dtype)
                          if shuffle and isinstance(X, np.ndarray) else None)

    def __iter__(self):
        """Yield ``(X_batch, Y_batch, sample_weight_batch, batch_weight)`` for one
        epoch; ``batch_weight`` is the batch's Σw (its rows when unweighted)."""
        if self._shuffle:
            self._rng.shuffle(self._indices)
            # the order, drawn on the host, goes to the data's device once
            order = (self._indices if self._on_host
                     else namespace_of_array(self.X).asarray(self._indices))
        for batch in gen_batches(self.n_samples, self.rows):
            if not self._shuffle:
                X_batch = _take_rows(self.X, batch)
                Y_batch = _take_rows(self.Y, batch)
                weights = (None if self.sample_weight is None
                           else self.sample_weight[batch])
            else:
                rows = order[batch]
                X_batch = _gather(self.X, rows, None if self._X_buffer is None
                                  else self._X_buffer[:rows.shape[0]])
                Y_batch = _gather(self.Y, rows)
                weights = (None if self.sample_weight is None
                           else _gather(self.sample_weight, rows))
            if weights is None:
                batch_weight = X_batch.shape[0]
            elif isinstance(weights, np.ndarray):
                batch_weight = weights.sum()
            else:  # from the host's copy: no wait for the device
                host_rows = self._indices[batch] if self._shuffle else batch
                batch_weight = float(self._host_weight[host_rows].sum())
            yield X_batch, Y_batch, weights, batch_weight


def _gather(A, rows, out=None):
    """``A[rows]`` for in-range ``rows``.

    Why ``take(mode="clip")`` into a reused buffer: it skips fancy indexing's
    bounds-checked copy and a fresh array per batch (about 4 % of a float64 MLP
    fit, ``benchmarks/compare_revisions.py``); shuffled indices are in range by
    construction, so nothing is ever clipped. Sparse matrices index; the
    arrays of another namespace take the rows into a new array.
    """
    if isinstance(A, np.ndarray):
        return np.take(A, rows, axis=0, out=out, mode="clip")
    if sp.issparse(A):
        return A[rows]
    return xp_of(A).take(A, rows, axis=0)


class _ValidationSet:
    """Early stopping's held-out data and the weights with the best score so far.

    ``X`` is in the training data's namespace (the network predicts it there);
    ``Y`` and ``sample_weight`` are NumPy arrays: the validation loss and score
    are computed on the host.
    """

    def __init__(self, X, Y, sample_weight, theta):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.best_theta = copy_array(theta)

    def keep(self, theta):
        """Remember ``theta`` as the best so far (into the buffer on NumPy)."""
        if isinstance(self.best_theta, np.ndarray):
            self.best_theta[...] = theta
        else:
            self.best_theta = copy_array(theta)


def check_window_layout(X, n_features_per_step):
    """Warn when 2-D ``X`` looks like windows of a series with another number of
    features per step than the network reads.

    Windows of a series cut in time order (``make_windows``) repeat each other:
    row i + 1 is row i moved s columns left, s being the series' features per
    step. Read with another ``n_features_per_step``, the features become extra
    time steps (or the steps extra features) and the network learns a different
    model without a word. The test compares the columns of consecutive rows up
    to a per-column affine map (so a scaler in front changes nothing), on the
    first rows only; rows out of time order are not recognised.
    """
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        return
    sample = np.asarray(X[:256], dtype=np.float64)
    n_rows, n_columns = sample.shape
    if n_rows < 4 or n_columns < 2 or not np.all(np.isfinite(sample)):
        return
    # rows that shift by the declared width too (constant or linear data) are
    # read right
    if (n_features_per_step < n_columns and n_columns % n_features_per_step == 0
            and _rows_shift_by(sample, n_features_per_step)):
        return
    for shift in range(1, n_columns // 2 + 1):
        if n_columns % shift == 0 and _rows_shift_by(sample, shift):
            if shift != n_features_per_step:
                warnings.warn(
                    f"X looks like windows of a series of {shift} feature(s) per "
                    f"time step laid out 2-D (each row is the row before moved "
                    f"{shift} column(s) to the left), but n_features_per_step="
                    f"{n_features_per_step} reads every {n_features_per_step} "
                    "column(s) as one time step: if the series has "
                    f"{shift} features, the network would learn a different "
                    f"model. Set n_features_per_step={shift}, or pass 3-D "
                    "windows (n_windows, window, n_features), e.g. from "
                    "make_windows(series, window, layout='3d'). Windows of a "
                    f"single series taken every {shift} steps look the same: "
                    "then the layout is right and this warning can be ignored "
                    "(warnings.filterwarnings).",
                    UserWarning, stacklevel=5,
                )
            return


def _rows_shift_by(X, shift):
    """Whether column j of rows 1… is an affine function of column j + shift of
    rows …−1, for every j (correlation 1 up to rounding; constant columns match
    constant ones)."""
    A, B = X[1:, :-shift], X[:-1, shift:]
    A = A - A.mean(axis=0)
    B = B - B.mean(axis=0)
    norm_A, norm_B = np.sqrt((A * A).sum(axis=0)), np.sqrt((B * B).sum(axis=0))
    constant_A, constant_B = norm_A == 0, norm_B == 0
    if np.any(constant_A != constant_B):
        return False
    varying = ~constant_A
    correlation = ((A[:, varying] * B[:, varying]).sum(axis=0)
                   / (norm_A[varying] * norm_B[varying]))
    # rounding of a float32 scaler moves the correlation by ~1e-14
    return bool(np.all(correlation > 1 - 1e-6))


class BaseNetwork(ArrayAPISupportMixin, CallbackSupportMixin, BaseEstimator,
                  metaclass=ABCMeta):
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
    # Each row part's products must reach this many multiply-adds for a batch
    # to run in parts, side by side (``_parallel.row_parts``).
    _row_part_multiply_adds = ROW_PART_MULTIPLY_ADDS
    # True where the rows are windows of a series in time order (the Elman nets):
    # early stopping holds out the last ``validation_fraction`` of the rows, so
    # that no later window trains on what an earlier validation window follows,
    # and a first fit checks that 2-D windows are read with the series' number of
    # features per step (``check_window_layout``). False: a random split,
    # stratified for classifiers, as scikit-learn's MLP.
    _rows_in_time_order = False

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
            dtype=float_dtypes(namespace_of(X)), multi_output=True,
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
            dtype=float_dtypes(namespace_of(X)),
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
        self._warn_ignored_early_stopping(incremental)
        if is_dask_array(X):  # block-wise on the cluster: ._dask_networks
            from ._dask_networks import fit_blocks

            return fit_blocks(self, X, y, sample_weight, incremental=incremental,
                              classes=classes, validation_data=validation_data)
        # X's namespace and device (array API dispatch; NumPy otherwise): the
        # network computes there. Labels and weights are checked on the host.
        namespace = namespace_of(X)
        first_call = self._is_first_call(incremental)
        if not first_call:
            check_fit_namespace(X, self, attribute="coefs_",
                                method="partial_fit" if incremental else "fit")
        y, sample_weight = follow_X(None, y, sample_weight)
        X, y = self._validate_X_y(X, y, reset=first_call)
        if first_call and self._rows_in_time_order:
            check_window_layout(X, getattr(self, "n_features_per_step_", 1))
        Y = self._encode_targets(y, reset=first_call, classes=classes,
                                 incremental=incremental)
        dtype = namespace.numpy_dtype(X.dtype) if first_call else self._model_dtype()
        X = namespace.cast(X, dtype)
        Y = Y.astype(dtype, copy=False)
        sample_weight, weight_scale = self._training_weights(
            sample_weight, X, y, dtype, incremental)
        if validation_data is not None:
            validation_data = self._validate_validation_data(
                *validation_data, Y.shape[1], dtype, namespace=namespace)

        params = self._start_training(first_call, X.shape[1], Y.shape[1], dtype,
                                      incremental, namespace)
        batch_rows = self._batch_rows(X.shape[0])
        multiply_adds = self._product_multiply_adds(batch_rows, X.shape[1])
        # decided once, before early stopping holds rows out: BLAS stays on one
        # thread exactly when the full batches run in parts
        n_parts = self._row_parts(batch_rows, X, params)
        task = FitTask(self, self._n_subtasks(incremental), X, y, sample_weight)
        # Σw on the host, before the weights follow X (NumPy: nothing moves)
        weight_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        Y = namespace.asarray(Y)
        if sample_weight is not None:
            sample_weight = namespace.asarray(sample_weight)
        # Overflow on the way to divergence is expected: the loss is checked for
        # finiteness after every batch (on another namespace, every epoch) and
        # training stops with a clear message.
        with (np.errstate(over="ignore", invalid="ignore", divide="ignore"),
              blas_threads_for(multiply_adds,
                               sequential=self._sequential_products,
                               in_parts=n_parts > 1)):
            if self.solver == "lbfgs":
                workspace = self._batch_workspace(X.shape[0], X, params, n_parts)
                self._fit_lbfgs(
                    params,
                    lambda: self._loss_grad(params, X, Y, sample_weight, workspace,
                                            weight_scale, weight_sum=weight_sum),
                    X.shape[0], task,
                )
            else:
                self._fit_stochastic(params, X, Y, sample_weight, weight_scale,
                                     incremental, validation_data, task, n_parts)
        task.end()
        return self

    def _warn_ignored_early_stopping(self, incremental):
        """Early stopping needs epochs of ``fit`` scored on held-out data: say so
        where it is switched on but cannot act."""
        if not self.early_stopping:
            return
        if incremental:
            warnings.warn(
                "early_stopping=True is ignored by partial_fit, which runs one epoch "
                "on the data it is given and holds nothing out. Score your own "
                "held-out data between calls and stop calling partial_fit when it "
                "stops improving, use fit for early stopping, or set "
                "early_stopping=False.",
                UserWarning, stacklevel=5,
            )
        elif self.solver == "lbfgs":
            warnings.warn(
                "early_stopping=True is ignored by solver='lbfgs', which minimises "
                "the loss on all the data without a validation set. Use "
                "solver='adam' or 'sgd' for early stopping, or set "
                "early_stopping=False (and limit L-BFGS with max_iter).",
                UserWarning, stacklevel=5,
            )

    def _model_dtype(self):
        """The fitted weights' dtype, as a NumPy dtype whatever their namespace."""
        coef = self.coefs_[0]
        return namespace_of_array(coef).numpy_dtype(coef.dtype)

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
        sample_weight = check_sample_weight(sample_weight, host_stand_in(X),
                                            np.float64)
        sample_weight = self._apply_class_weight(y, sample_weight, np.float64,
                                                 incremental)
        what = ("sample_weight" if getattr(self, "class_weight", None) is None
                else "sample_weight times class_weight")
        return normalize_sample_weight(sample_weight, dtype, what)

    def _is_first_call(self, incremental):
        """Whether this call starts afresh (else it continues the fitted
        network: ``partial_fit``, ``warm_start``)."""
        return not ((incremental or self.warm_start) and hasattr(self, "coefs_"))

    def _start_training(self, first_call, n_features, n_outputs, dtype, incremental,
                        namespace=None):
        """Initialise (or check) the parameters; return them packed into one θ
        of ``dtype`` (a NumPy dtype) in ``namespace`` (None: NumPy)."""
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
        params = pack_parameters(self.coefs_, self.intercepts_, dtype, namespace)
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
            copies = [copy_array(a) for a in arrays]
        else:  # L-BFGS's iterate, a NumPy vector
            flat = np.array(theta, dtype=self._model_dtype())
            copies = _views(namespace_of_array(arrays[0]).asarray(flat),
                            [tuple(a.shape) for a in arrays])
        n_layers = len(self.coefs_)
        return {"coefs_": copies[:n_layers], "intercepts_": copies[n_layers:]}

    def _validate_validation_data(self, X_val, y_val, sample_weight_val,
                                  n_outputs, dtype, *, namespace=None):
        """``X_val``, its encoded targets and weights, checked like the training
        data (same features, outputs and known labels) and cast to its dtype.

        ``X_val`` follows the training data into ``namespace`` (None: as it
        is); the targets and weights stay NumPy arrays, for the host-side
        validation loss and score.
        """
        if namespace is not None:
            X_val = follow_X(namespace, X_val)
        y_val, sample_weight_val = follow_X(None, y_val, sample_weight_val)
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
        X_val = namespace_of_array(X_val).cast(X_val, dtype)
        sample_weight_val = check_sample_weight(sample_weight_val,
                                                host_stand_in(X_val), np.float64,
                                                name="sample_weight_val")
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

    def _part_multiply_adds(self, n_rows, n_columns):
        """Multiply-adds of the products that decide whether a batch runs in
        row parts of ``n_rows`` rows: by default the largest one
        (:meth:`_product_multiply_adds`)."""
        return self._product_multiply_adds(n_rows, n_columns)

    def _row_parts(self, n_rows, X, params):
        """Into how many row parts to cut batches of ``n_rows`` rows of ``X``
        (:func:`._parallel.row_parts`); dense NumPy data only."""
        if sp.issparse(X) or not isinstance(params.theta, np.ndarray):
            return 1
        return row_parts(
            n_rows, lambda rows: self._part_multiply_adds(rows, X.shape[1]),
            self._row_part_multiply_adds,
        )

    def _batch_workspace(self, n_rows, X, params, n_parts=None):
        """The workspace of batches of ``n_rows`` rows of ``X``: one, or one per
        row part (:class:`_RowParts`); ``n_parts`` as the fit decided for its
        full batches (None: by ``n_rows``)."""
        if n_parts is None:
            n_parts = self._row_parts(n_rows, X, params)
        if n_parts == 1 or n_rows < n_parts:
            return self._make_workspace(n_rows, X.shape[1], params.theta.dtype)
        return _RowParts.for_batch(self, n_rows, X.shape[1], params, n_parts)

    # ------------------------------------------------------------------
    # Loss and gradient
    def _loss_grad(self, params, X, Y, sample_weight, workspace, weight_scale=1.0,
                   *, l1_in_gradient=True, weight_sum=None):
        """Penalised loss J(θ) on one batch; writes ∂J/∂θ into ``params.grad``.

        ``sample_weight`` are the weights divided by ``weight_scale``
        (``_training_weights``); the penalty's Σw is that of the weights as given.
        ``weight_sum``, the batch's Σ ``sample_weight`` computed on the host
        (None: summed here), spares the device path a wait.
        ``l1_in_gradient=False`` leaves the L1 term's subgradient out of the
        gradient (not out of J): the stochastic solvers apply it as a proximal
        step instead (``_run_epoch``).
        """
        if weight_sum is None:
            weight_sum = (X.shape[0] if sample_weight is None
                          else to_numpy_array(sample_weight).sum())
        if not isinstance(params.theta, np.ndarray):
            weight_sum = float(weight_sum)  # a NumPy scalar would not mix
        loss = self._data_loss_grad(params, X, Y, sample_weight, workspace,
                                    weight_sum)
        loss += self._penalty(params.weights, params.weight_grads,
                              weight_scale * float(weight_sum),
                              l1_in_gradient=l1_in_gradient)
        params.join_grads()
        return loss

    def _data_loss_grad(self, params, X, Y, sample_weight, workspace, weight_sum):
        """The data term alone: returns the batch's weighted mean loss
        Σ_i w_i ℓ_i / Σ_i w_i and writes the gradient of Σ_i w_i ℓ_i / ``weight_sum``
        into ``params.grad`` (``weight_sum`` 1: the plain sum, for a block of a
        larger objective; ``_loss_grad`` passes the batch's Σw)."""
        if isinstance(workspace, _RowParts):
            return self._data_loss_grad_in_parts(params, X, Y, sample_weight,
                                                 workspace, weight_sum)
        loss = self._rows_loss_grad(params, X, Y, sample_weight, workspace,
                                    weight_sum, params.coef_grads,
                                    params.intercept_grads)
        params.gather_grads()
        return loss

    def _data_loss_grad_in_parts(self, params, X, Y, sample_weight, parts,
                                 weight_sum):
        """:meth:`_data_loss_grad` with the batch's row parts side by side
        (:func:`._parallel.run_in_parts`). Every part's δ already carries
        w_i / ``weight_sum``, so the parts' gradients add up to the batch's;
        their mean losses, weighed by their Σw, give the batch's mean."""
        bounds = parts.bounds

        def run_part(i):
            rows = slice(bounds[i], bounds[i + 1])
            sw = None if sample_weight is None else sample_weight[rows]
            grads = ((params.coef_grads, params.intercept_grads) if i == 0
                     else parts.grads[i - 1][1:])
            part_weight = rows.stop - rows.start if sw is None else float(sw.sum())
            # a part of zero weight has the mean loss 0/0, and adds nothing
            with np.errstate(invalid="ignore", divide="ignore"):
                loss = self._rows_loss_grad(params, X[rows], Y[rows], sw,
                                            parts.workspaces[i], weight_sum, *grads)
            return (loss * part_weight if part_weight > 0 else 0.0), part_weight

        results = run_in_parts(run_part, len(bounds) - 1)
        for flat, _, _ in parts.grads:
            params.grad += flat
        return (sum(loss for loss, _ in results)
                / sum(weight for _, weight in results))

    def _rows_loss_grad(self, params, X, Y, sample_weight, workspace, weight_sum,
                        coef_grads, intercept_grads):
        """Forward pass, loss and backward pass of rows ``X``: returns their
        weighted mean loss and writes the gradient of Σ_i w_i ℓ_i /
        ``weight_sum`` into ``coef_grads`` and ``intercept_grads``."""
        Z = self._forward_pass(X, params.coefs, params.intercepts, workspace)
        Y_pred, loss = output_and_loss(self.loss, self.out_activation_, Y, Z,
                                       sample_weight)

        # Gradients are linear in delta: scaling the (n, n_outputs) delta by
        # w_i / Σw is cheaper than scaling every gradient afterwards.
        delta = output_delta(self.loss, self.out_activation_, Y, Y_pred)
        if sample_weight is None:
            delta *= 1.0 / weight_sum
        else:
            delta *= (sample_weight / weight_sum)[:, None]

        self._backward_pass(params.coefs, workspace, delta, coef_grads,
                            intercept_grads)
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
        xp = np if isinstance(W, np.ndarray) else xp_of(W)
        scale = self.alpha / weight_sum
        value = 0.0
        if self.l1_ratio < 1:
            l2 = scale * (1 - self.l1_ratio)
            value += 0.5 * l2 * (np.dot(W, W) if xp is np else xp.vecdot(W, W))
            grad_W += l2 * W
        if self.l1_ratio > 0:
            l1 = scale * self.l1_ratio
            value += l1 * xp.sum(xp.abs(W))
            if l1_in_gradient:
                grad_W += l1 * xp.sign(W)
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
        start = time.perf_counter()
        losses = []
        # scipy reports the end of each iteration: that ends one callback subtask
        # and begins the next, so the last one begun never runs.
        iteration = task.begin_iteration("lbfgs iteration")
        stopped_by_callback = False

        def objective(x):
            params.set_theta(x)
            loss = loss_grad()
            return float(loss), to_numpy_array(params.grad).astype(np.float64)

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

        initial = to_numpy_array(params.theta).astype(np.float64)
        result = scipy.optimize.minimize(
            objective, initial, method="L-BFGS-B", jac=True, callback=record,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                     "gtol": self.tol},
        )
        task.abandon_iteration(iteration)
        if not (np.isfinite(result.fun) and np.all(np.isfinite(result.x))):
            params.set_theta(initial)
            self._check_loss(np.nan if np.isfinite(result.fun) else result.fun,
                             "during L-BFGS")
        params.set_theta(result.x)
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
        n_params = theta.shape[0]
        if (not incremental or type(optimizer) is not wanted
                or optimizer.size != n_params or optimizer.dtype != theta.dtype):
            if self.solver == "sgd":
                optimizer = SGD(n_params, theta.dtype, self.learning_rate_init,
                                self.learning_rate, self.power_t, self.momentum,
                                self.nesterovs_momentum, like=theta)
            else:
                optimizer = Adam(n_params, theta.dtype, self.learning_rate_init,
                                 self.learning_rate, self.power_t, self.beta_1,
                                 self.beta_2, self.epsilon, like=theta)
            self._optimizer = optimizer
        return optimizer

    def _fit_stochastic(self, params, X, Y, sample_weight, weight_scale, incremental,
                        validation_data, task, n_parts=1):
        X, Y, sample_weight, validation = self._validation_split(
            X, Y, sample_weight, params.theta, incremental, validation_data)
        batches = _MiniBatches(X, Y, sample_weight, self._batch_rows(X.shape[0]),
                               self.shuffle, self._random_state, weight_scale)
        full_batch = self._batch_workspace(batches.rows, X, params, n_parts)
        last_rows = batches.n_samples % batches.rows
        last_batch = (self._batch_workspace(last_rows, X, params)
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
        optimizer = self._stochastic_optimizer(params.theta, incremental)
        start = time.perf_counter()
        for _ in range(self.max_iter):
            epoch_start = copy_array(params.theta)
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
                    improved, scores = self._record_validation(validation,
                                                               params.theta)
                    message += scores
            except _Diverged as diverged:
                task.abandon_iteration(epoch)
                self._recover(diverged.loss, params, epoch_start, validation)
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
            params.set_theta(validation.best_theta)
        elif not incremental and self.n_iter_:
            self._warn_if_blown_up(self.loss_curve_[-self.n_iter_:])

    def _warn_if_blown_up(self, losses):
        """Warn when this call's loss ended orders of magnitude above its best
        and above where it started: training blew up without overflowing (a
        learning rate far too large for the data's scale), and the model keeps
        the last, bad, weights."""
        if not losses:
            return
        final, best = losses[-1], min(losses)
        if final > BLOW_UP_FACTOR * best and final > losses[0]:
            best_epoch = self.n_iter_ - len(losses) + losses.index(best) + 1
            warnings.warn(
                f"Training blew up: the loss ended at {final:.3g}, more than "
                f"{BLOW_UP_FACTOR:.0e} times its best ({best:.3g} at epoch "
                f"{best_epoch}), and the model keeps the last weights. "
                f"{DIVERGENCE_CURE} Early stopping (early_stopping=True) would "
                "keep the best weights.",
                ConvergenceWarning, stacklevel=7,
            )

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

        On NumPy a batch whose loss is not finite stops the epoch at once. On
        another namespace the batch losses stay on the device and the epoch's
        loss is read once, at its end, rather than waiting for the device after
        every batch: a divergence is found there, and the epoch undone all the
        same (``_recover``).
        """
        l1 = self.alpha * self.l1_ratio
        scale = batches.weight_scale
        on_host = isinstance(params.theta, np.ndarray)
        accumulated = 0.0
        for X_batch, Y_batch, sw_batch, batch_weight in batches:
            if batch_weight == 0:
                continue
            n_rows = X_batch.shape[0]
            workspace = full_batch if n_rows == batches.rows else last_batch
            loss = self._loss_grad(params, X_batch, Y_batch, sw_batch, workspace,
                                   scale, l1_in_gradient=not l1,
                                   weight_sum=batch_weight)
            if on_host and not math.isfinite(loss):
                raise _Diverged(loss)
            if self.max_grad_norm is not None:
                params.grad = clip_grad_norm(params.grad, self.max_grad_norm)
            params.set_theta(optimizer.step(params.theta, params.grad))
            if l1:
                # the batch's L1 strength, α ρ / Σ_batch w
                params.set_weights(optimizer.shrink_l1(
                    params.weights, l1 / (scale * float(batch_weight))))
            accumulated += loss * batch_weight
        epoch_loss = float(accumulated / float(batches.total_weight))
        if not math.isfinite(epoch_loss):
            raise _Diverged(epoch_loss)
        if not _all_finite(params.theta):
            raise _Diverged(np.nan)
        return epoch_loss

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
            validation.keep(theta)
        return improved, (f", validation loss = {val_loss:.8f}, "
                          f"validation score = {val_score:.6f}")

    def _recover(self, loss, params, epoch_start, validation):
        """Never leave non-finite weights behind: restore, then warn or raise."""
        where = f"at epoch {self.n_iter_ + 1}"
        if validation is not None and self.validation_scores_:
            params.set_theta(validation.best_theta)
            warnings.warn(
                f"Training diverged (loss {loss}) {where}; stopped and restored the "
                f"weights with the best validation score. {DIVERGENCE_CURE}",
                ConvergenceWarning, stacklevel=6,
            )
            return
        params.set_theta(epoch_start)
        self._check_loss(loss, where)

    def _hold_out(self, X, Y, sample_weight, theta):
        """Split off early stopping's validation set; return the training rest.

        Networks whose rows are in time order (``_rows_in_time_order``) hold out
        the last ``validation_fraction`` of the rows; the others a random split,
        stratified by class for a classifier, as scikit-learn's MLP. The split
        is made on the host, over the rows' indices; the rows are then taken
        where the data are, and the validation targets and weights kept on the
        host.
        """
        Y_host = to_numpy_array(Y)
        sw_host = None if sample_weight is None else to_numpy_array(sample_weight)
        n_samples = X.shape[0]
        if self._rows_in_time_order:
            # as many rows as train_test_split would hold out: ceil(f · n)
            n_val = min(math.ceil(self.validation_fraction * n_samples), n_samples)
            train, val = np.arange(n_samples - n_val), np.arange(n_samples - n_val,
                                                                 n_samples)
            self._check_tail_classes(Y_host, val)
            retry = "change validation_fraction"
        else:
            retry = "use another random_state or validation_fraction"
            try:
                train, val = train_test_split(
                    np.arange(n_samples),
                    random_state=self._random_state.randint(np.iinfo(np.uint32).max),
                    test_size=self.validation_fraction,
                    stratify=self._stratify_labels(Y_host),
                )
            except ValueError as exc:
                raise ValueError(
                    f"early_stopping could not hold out validation_fraction="
                    f"{self.validation_fraction} of {n_samples} samples: {exc} "
                    "Provide more samples, raise validation_fraction, or set "
                    "early_stopping=False."
                ) from exc
        if n_samples - val.shape[0] < 2 or val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small: early_stopping needs at least 2 "
                "training and 2 validation samples; "
                f"got {n_samples} samples with validation_fraction="
                f"{self.validation_fraction}. Provide more samples or set "
                "early_stopping=False."
            )
        if sample_weight is not None:
            for part, rows in (("validation", val), ("training", train)):
                if not np.any(sw_host[rows] > 0):
                    raise ValueError(
                        f"The sample weights of early stopping's {part} split are "
                        "all zero, which leaves nothing to "
                        f"{'score' if part == 'validation' else 'train on'}. Pass "
                        f"X_val and y_val, {retry}, or set early_stopping=False."
                    )
        validation = _ValidationSet(
            _take_rows(X, val), Y_host[val],
            None if sample_weight is None else sw_host[val], theta)
        return (_take_rows(X, train), _take_rows(Y, train),
                None if sample_weight is None else _take_rows(sample_weight, train),
                validation)

    def _check_tail_classes(self, Y, val):
        """Warn when a classifier's time-ordered hold-out lacks classes: the
        mark of rows sorted by class rather than by time."""
        labels = self._stratify_labels(Y)
        if labels is None:
            return
        n_classes, n_held_out = np.unique(labels).size, np.unique(labels[val]).size
        if n_held_out < n_classes:
            warnings.warn(
                f"early_stopping holds out the last {val.shape[0]} rows (the "
                "sequences in the order given, taken as time order), which hold "
                f"only {n_held_out} of the {n_classes} classes, so the validation "
                "score ignores the others. If the sequences are not in time order, "
                "shuffle them first (sklearn.utils.shuffle); otherwise pass a "
                "validation set as X_val and y_val.",
                UserWarning, stacklevel=8,
            )

    def _validation_metrics(self, validation):
        """The validation loss and score, on the host, of the network's
        predictions (made where the data are)."""
        Y_pred = to_numpy_array(self._predict_output(validation.X))
        if not np.all(np.isfinite(Y_pred)):
            return np.nan, np.nan
        Y, sample_weight = validation.Y, validation.sample_weight
        loss = LOSSES[self.loss](Y, Y_pred, sample_weight, self.out_activation_)
        return float(loss), float(self._score_encoded(Y, Y_pred, sample_weight))

    # ------------------------------------------------------------------
    # Prediction
    def _predict_output(self, X):
        """Output-layer activations, computed in chunks bounded by working_memory,
        in the namespace and on the device of the fitted weights (and of X)."""
        namespace = namespace_of_array(self.coefs_[0])
        out = namespace.empty((X.shape[0], self.n_outputs_),
                              namespace.xp.result_type(X.dtype, self.coefs_[0].dtype))
        activation = ACTIVATIONS[self.out_activation_]
        for batch, Z, _ in self._forward_in_chunks(X):
            out[batch, ...] = activation(Z)
        return out

    def _forward_in_chunks(self, X, extra_row_bytes=0):
        """Yield ``(rows, Z, workspace)``: the forward pass over chunks of ``X``
        bounded by working_memory (each row taking ``extra_row_bytes`` more in the
        caller's output).

        The BLAS thread limit holds while the generator runs: consume it whole.
        """
        coefs, intercepts = self.coefs_, self.intercepts_
        namespace = namespace_of_array(coefs[0])
        dtype = namespace.xp.result_type(X.dtype, coefs[0].dtype)
        if not namespace.is_numpy and coefs[0].dtype != dtype:
            # NumPy's products mix dtypes; other libraries' need one
            coefs = [namespace.xp.astype(a, dtype) for a in coefs]
            intercepts = [namespace.xp.astype(a, dtype) for a in intercepts]
        n_samples, n_columns = X.shape
        # Two chunks' buffers are alive at once where the shorter last chunk's
        # are made: the caller still holds the full chunks' output then.
        chunk = chunk_n_rows(
            2 * self._prediction_row_bytes(n_columns) + extra_row_bytes, n_samples
        )
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
                X_chunk = _take_rows(X, batch)
                if not namespace.is_numpy and X_chunk.dtype != dtype:
                    X_chunk = namespace.xp.astype(X_chunk, dtype)
                Z = self._forward_pass(X_chunk, coefs, intercepts, workspace)
                yield batch, Z, workspace

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse)
        tags.input_tags.allow_nan = self._allow_nan
        return tags
