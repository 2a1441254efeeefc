"""The MLP and Elman networks on dask arrays: fit, partial_fit and prediction by blocks.

``BaseNetwork._fit`` and the task mixins' ``predict`` family hand a
``dask.array.Array`` over to this module after one cheap test
(:func:`~._dask.is_dask_array`); the NumPy path never enters it.

- **L-BFGS**: the objective is a sum over samples, so each evaluation is an exact
  map-reduce. Every row block b computes, with the network's own forward and
  backward pass, S_b = Σ_{i∈b} w_i ℓ_i and its gradient ∇S_b (unscaled); the sums
  are added on the workers and the client forms

  .. math::

      J(θ) = \\frac{Σ_b S_b}{Σ_i w_i} + \\text{penalty}(θ), \\qquad
      ∇J = \\frac{Σ_b ∇S_b}{Σ_i w_i} + ∇\\text{penalty}(θ),

  which scipy's L-BFGS-B steps on. As in memory, the blocks hold the weights
  divided by their largest one (found with Σw in one pass over the blocks), so
  no sum of weights overflows; the penalty is given the factor back. X, the
  encoded targets and the weights are persisted on the workers once; each
  evaluation sends θ (small) and receives one loss and one gradient.
- **SGD and Adam** stream the blocks through the training loop in their order,
  the next block fetched while the client trains on the current one: one epoch is
  one pass over every block, shuffled within each block (a block's last
  mini-batch may be shorter), never across blocks — unlike the in-memory fit,
  whose shuffle mixes all rows. ``partial_fit`` makes one such pass.
- **Prediction** maps the fitted model over the blocks: lazy dask arrays.
  ``score`` reduces per-block counts and sums on the workers and returns a float.

A fit trains a working copy of the estimator and writes its learned attributes
back only when it has succeeded: a failure (bad data found on a worker, a lost
cluster) leaves a fitted estimator as it was.
"""

import contextvars
import copy
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.array as da
import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import check_is_fitted

from ._callbacks import FitTask
from ._dask import (
    _unknown_chunks,
    check_dask_array,
    check_row_aligned,
    is_dask_array,
    map_row_blocks,
    reduce_row_blocks,
)
from ._parallel import blas_threads_for
from ._training import _MiniBatches, _views, pack_parameters
from ._validation import normalize_sample_weight

_FLOAT_DTYPES = [np.float64, np.float32]


# ----------------------------------------------------------------------
# Layout and state
def _as_2d(network, X, reset):
    """``X`` as a 2-D dask array of whole rows (3-D Elman input reshaped lazily),
    float64 or float32, with its number of features per step (None for 2-D)."""
    d = None
    if X.ndim == 3 and network.__sklearn_tags__().input_tags.three_d_array:
        n, T, d = X.shape
        if not reset and d != network.n_features_per_step_:
            raise ValueError(
                f"X has {d} features per step, but {type(network).__name__} was "
                f"fitted with {network.n_features_per_step_}."
            )
        X = X.rechunk({1: -1, 2: -1}).reshape(n, T * d)
    return check_dask_array(X, dtype=_FLOAT_DTYPES), d


def _check_features(network, X, d, reset):
    """Record (first fit) or check the number of features, as ``validate_data``."""
    if reset:
        network.n_features_in_ = X.shape[1]
        network.__dict__.pop("feature_names_in_", None)
    elif X.shape[1] != network.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(network).__name__} is "
            f"expecting {network.n_features_in_} features as input."
        )
    network._check_steps(X, d, reset)


def _learned(key, parameters):
    """Keys of the state a fit sets: not a constructor parameter, not the
    callbacks' bookkeeping."""
    return key not in parameters and "callback" not in key


def _working_copy(network):
    """A copy to train: parameters and callbacks shared, learned state deep-copied
    (objects that are parameters, such as a RandomState, keep their identity)."""
    parameters = network.get_params(deep=False)
    memo = {id(value): value for value in parameters.values()}
    work = object.__new__(type(network))
    work.__dict__.update({
        key: copy.deepcopy(value, memo) if _learned(key, parameters) else value
        for key, value in vars(network).items()
    })
    return work


def _commit(network, work):
    """Give ``network`` the learned state of the trained ``work``, all at once."""
    parameters = network.get_params(deep=False)
    state = vars(network)
    for key in [key for key in state if _learned(key, parameters)]:
        del state[key]
    state.update({key: value for key, value in vars(work).items()
                  if _learned(key, parameters)})


def _worker_copy(network):
    """What a task needs of the network: its parameters and public fitted
    attributes (and the classifier's label encoder), not the client's training
    state (optimiser, random state, callbacks). It pickles, small."""
    model = object.__new__(type(network))
    model.__dict__.update({key: value for key, value in vars(network).items()
                           if not key.startswith("_") or key == "_label_binarizer"})
    return model


def _delayed(value, what):
    """``value`` as one key of the graph, which every block's task refers to."""
    return dask.delayed(value, name=f"sknn-{what}-{uuid.uuid4().hex}",
                        traverse=False)


def _row_aligned_targets(X, y, name="y"):
    """``y`` (1-D or 2-D, dask or in memory) as a 2-D dask array with ``X``'s row
    blocks and one column block; and whether ``y`` was 1-D."""
    if is_dask_array(y):
        if _unknown_chunks(y):
            raise ValueError(
                f"{name} is a dask array of unknown chunk sizes; call "
                f"{name}.compute_chunk_sizes() first."
            )
    else:
        y = np.asarray(y)
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name} has shape {y.shape}; X has {X.shape[0]} samples, so {name} "
            f"needs {X.shape[0]} rows."
        )
    if not is_dask_array(y):
        y = da.from_array(y, chunks=(X.chunks[0],) + y.shape[1:])
    elif y.chunks[0] != X.chunks[0]:
        raise ValueError(
            f"The blocks of {name} {y.chunks[0]} do not match X's row blocks "
            f"{X.chunks[0]}: every block of X needs its own {name}. Rechunk one of "
            f"them, e.g. {name}.rechunk({{0: X.chunks[0]}})."
        )
    one_d = y.ndim == 1
    return (y[:, np.newaxis] if one_d else y.rechunk({1: -1})), one_d


def _in_rows(start, n_rows, name, exc):
    return ValueError(
        f"In rows {start} to {start + n_rows - 1} of the dask array {name}: {exc}")


# ----------------------------------------------------------------------
# Fit
def fit_blocks(network, X, y, sample_weight, *, incremental, classes,
               validation_data):
    """``fit`` / ``partial_fit`` of ``network`` on a dask array ``X``."""
    work = _working_copy(network)
    first_call = work._is_first_call(incremental)
    X, d = _as_2d(work, X, reset=first_call)
    _check_features(work, X, d, first_call)
    lbfgs = work.solver == "lbfgs"
    if (not lbfgs and work.early_stopping and not incremental
            and validation_data is None):
        raise ValueError(
            "early_stopping on a dask array needs an explicit validation set: the "
            "validation_fraction split would draw rows from every block. Pass "
            "X_val and y_val (for instance the last blocks, X[-k:].compute()), or "
            "set early_stopping=False."
        )
    dtype = np.dtype(X.dtype if first_call else work.coefs_[0].dtype)
    X = X.astype(dtype)
    y2, one_d = _row_aligned_targets(X, y)
    n_outputs, class_weight = _encode_on_client(work, y2, one_d, first_call,
                                                classes, incremental, dtype)
    if validation_data is not None:
        validation_data = work._validate_validation_data(
            *dask.compute(*validation_data), n_outputs, dtype)

    params = work._start_training(first_call, X.shape[1], n_outputs, dtype,
                                  incremental)
    data = _TrainingBlocks(work, X, y2, one_d, sample_weight, dtype, incremental,
                           class_weight)
    task = FitTask(network, work._n_subtasks(incremental), X, y, sample_weight)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if lbfgs:
            work._fit_lbfgs(params, data.loss_grad(work, params), data.n_samples,
                            task)
        else:
            multiply_adds = work._product_multiply_adds(
                work._batch_rows(data.n_samples), X.shape[1])
            with blas_threads_for(multiply_adds,
                                  sequential=work._sequential_products):
                _fit_stream(work, params, data, incremental, validation_data, task)
    _commit(network, work)
    task.end()
    return network


def _encode_on_client(network, y2, one_d, first_call, classes, incremental, dtype):
    """Set up (or check) the target encoding from a small stand-in for ``y``:
    the unique labels of a classifier's ``y`` (one pass on the workers), the
    shape of a regressor's. Returns the number of outputs and the class weights
    every block applies (``'balanced'`` turned into a dict from the global class
    counts)."""
    if network._y_numeric:
        stand_in = np.zeros(1) if one_d else np.zeros((1, y2.shape[1]))
        Y = network._encode_targets(stand_in, reset=first_call, classes=classes,
                                    incremental=incremental)
        return Y.shape[1], None
    if not one_d and y2.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples, ), for example using ravel().",
            DataConversionWarning, stacklevel=4,
        )
        one_d = True
    labels, counts = dask.compute(*da.unique(y2[:, 0] if one_d else y2,
                                             return_counts=True))
    if one_d:
        stand_in = labels
    else:  # an indicator matrix is multilabel (else LabelBinarizer refuses it)
        k = y2.shape[1]
        stand_in = (np.array([[0] * k, [1] * k]) if set(labels.tolist()) <= {0, 1}
                    else np.array([[labels[0]] * k, [labels[-1]] * k]))
    Y = network._encode_targets(stand_in, reset=first_call, classes=classes,
                                incremental=incremental)
    class_weight = network.class_weight
    if class_weight is not None:
        network._apply_class_weight(stand_in, None, dtype, incremental)  # checks
    if class_weight == "balanced":
        if not one_d:
            raise ValueError(
                "class_weight='balanced' on a dask array needs single-label y; for "
                "multilabel y pass sample_weight instead."
            )
        # compute_class_weight's n_samples / (n_classes · count), from all blocks
        class_weight = dict(zip(labels.tolist(),
                                counts.sum() / (len(labels) * counts), strict=True))
    return Y.shape[1], class_weight


class _TrainingBlocks:
    """The training data on the workers, checked and persisted once: ``X``, the
    encoded targets ``Y`` and the sample weights (None when unweighted), with the
    same row blocks; ``n_samples``, the largest weight ``weight_scale`` and
    ``total_weight``, Σw / ``weight_scale``, over all blocks.

    L-BFGS's blocks hold the weights divided by ``weight_scale``; the stream keeps
    them in float64 and normalises each block as ``partial_fit`` normalises its
    chunk, so that an epoch is exactly ``partial_fit`` on each block in turn.
    """

    def __init__(self, network, X, y2, one_d, sample_weight, dtype, incremental,
                 class_weight):
        model = _worker_copy(network)
        model.class_weight = class_weight
        X_checked = map_row_blocks(_checked_X, X, args=(model, dtype), dtype=dtype,
                                   n_columns=X.shape[1])
        Y = map_row_blocks(_encoded_Y, X, y2, args=(model, dtype, one_d),
                           dtype=dtype, n_columns=network.n_outputs_)
        weights = None
        if sample_weight is not None or class_weight is not None:
            # the helpers align 2-D blocks only: weights travel as a column
            sw = check_row_aligned(X, sample_weight, dtype=np.float64)
            weigh, others = ((_class_weights, (y2,)) if sw is None else
                             (_sample_weights, (y2, sw[:, np.newaxis])))
            # float64 until normalised, as in memory: weights beyond float32's
            # range still train a float32 model as their ratios say
            weights = map_row_blocks(weigh, X, *others,
                                     args=(model, np.float64, one_d, incremental),
                                     dtype=np.float64)
        self.X, self.Y, weights = dask.persist(X_checked, Y, weights)
        # Computing the sizes and Σw runs every check: bad data fail here, before
        # any training.
        self.n_samples, self.weight_scale, self.total_weight = reduce_row_blocks(
            _block_size, self.X, self.Y, weights, combine=_combine_sizes)
        if not self.weight_scale > 0:
            raise ValueError("sample_weight sums to zero; at least one sample needs "
                             "a positive weight.")
        self._dtype = dtype
        if weights is not None and network.solver == "lbfgs":
            weights = (weights / self.weight_scale).astype(dtype).persist()
        self.sample_weight = weights
        self._model = _delayed(model, "network")

    def loss_grad(self, network, params):
        """The objective of ``BaseNetwork._fit_lbfgs``: J(θ) at ``params.theta``
        as a sum over the blocks, ∂J/∂θ written into ``params.grad``."""
        def loss_grad():
            theta = _delayed(params.theta.copy(), "theta")
            loss_sum, grad_sum = reduce_row_blocks(
                _block_loss_grad, self.X, self.Y, self.sample_weight,
                args=(self._model, theta))
            params.grad[...] = grad_sum / self.total_weight
            return loss_sum / self.total_weight + network._penalty(
                params.weights, params.weight_grads,
                self.weight_scale * self.total_weight)
        return loss_grad

    def stream(self):
        """Each block's ``(X, Y, sample_weight, weight_scale)`` as NumPy arrays, in
        order, the next block fetched while the caller trains on this one; the
        weights divided by the block's largest one, ``weight_scale``."""
        blocks = [a.to_delayed().ravel() for a in (self.X, self.Y)]
        weights = (self.sample_weight.to_delayed().ravel()
                   if self.sample_weight is not None else [None] * len(blocks[0]))
        parts = list(zip(*blocks, weights, strict=True))
        # the fetching thread runs in this thread's context, so that it computes
        # on the same client (``Client.as_current``)
        context = contextvars.copy_context()
        with ThreadPoolExecutor(1) as fetcher:
            pending = fetcher.submit(context.run, dask.compute, *parts[0])
            for b in range(len(parts)):
                X, Y, sample_weight = pending.result()
                if b + 1 < len(parts):
                    pending = fetcher.submit(context.run, dask.compute, *parts[b + 1])
                if sample_weight is not None and not np.any(sample_weight > 0):
                    yield X, Y, np.zeros(X.shape[0], self._dtype), 1.0
                    continue
                yield X, Y, *normalize_sample_weight(sample_weight, self._dtype)


def _fit_stream(network, params, data, incremental, validation_data, task):
    """SGD/Adam epochs, each one pass over the streamed blocks."""
    _, _, _, validation = network._validation_split(
        None, None, None, params.theta, incremental, validation_data)
    workspaces = {}

    def workspace(n_rows, n_columns):
        if n_rows not in workspaces:
            workspaces[n_rows] = network._make_workspace(n_rows, n_columns,
                                                         params.theta.dtype)
        return workspaces[n_rows]

    def run_epoch(optimizer):
        accumulated = 0.0
        for X, Y, sample_weight, weight_scale in data.stream():
            batches = _MiniBatches(X, Y, sample_weight,
                                   network._batch_rows(X.shape[0]),
                                   network.shuffle, network._random_state,
                                   weight_scale)
            if not batches.total_weight > 0:
                continue  # a block of zero weight adds nothing
            last_rows = batches.n_samples % batches.rows
            loss = network._run_epoch(
                params, batches, workspace(batches.rows, X.shape[1]),
                workspace(last_rows, X.shape[1]) if last_rows else None, optimizer)
            # the block's Σw on the scale of data.total_weight
            accumulated += loss * (batches.total_weight * weight_scale
                                   / data.weight_scale)
        return float(accumulated / data.total_weight)

    network._run_epochs(params, run_epoch, data.n_samples, validation,
                        incremental, task)


# Block functions, run on the workers
def _checked_X(start, X, model, dtype):
    try:
        X = model._validate_X(X)
    except ValueError as exc:
        raise _in_rows(start, X.shape[0], "X", exc) from None
    return X.astype(dtype, copy=False)


def _encoded_Y(start, X, y, model, dtype, one_d):
    try:
        Y = model._encode_targets(y[:, 0] if one_d else y, reset=False,
                                  classes=None, incremental=True)
    except ValueError as exc:
        raise _in_rows(start, y.shape[0], "y", exc) from None
    return Y.astype(dtype, copy=False)


def _class_weights(start, X, y, model, dtype, one_d, incremental):
    return _weights(start, y, None, model, dtype, one_d, incremental)


def _sample_weights(start, X, y, sample_weight, model, dtype, one_d, incremental):
    return _weights(start, y, sample_weight[:, 0], model, dtype, one_d, incremental)


def _weights(start, y, sample_weight, model, dtype, one_d, incremental):
    if sample_weight is not None and (not np.all(np.isfinite(sample_weight))
                                      or np.any(sample_weight < 0)):
        raise _in_rows(start, y.shape[0], "sample_weight", ValueError(
            "sample_weight has negative, NaN or infinite values; pass finite, "
            "non-negative weights."))
    weights = model._apply_class_weight(y[:, 0] if one_d else y, sample_weight,
                                        dtype, incremental)
    return weights.astype(dtype, copy=False)


def _block_size(start, X, Y, sample_weight):
    """The block's rows, largest weight m and Σ(w / m) (1 and the rows when
    unweighted; 0 and 0 for weights all zero)."""
    n_rows = X.shape[0]
    if sample_weight is None:
        return n_rows, 1.0, float(n_rows)
    largest = float(sample_weight.max()) if n_rows else 0.0
    if not largest > 0:
        return n_rows, 0.0, 0.0
    return n_rows, largest, float((sample_weight / largest).sum())


def _combine_sizes(*parts):
    """Blocks' ``(rows, m, Σ w/m)`` as one: Σ w/M = Σ_b (m_b/M) Σ_{i∈b} w_i/m_b
    with M the largest m_b, a sum that cannot overflow."""
    largest = max(m for _, m, _ in parts)
    n_rows = sum(n for n, _, _ in parts)
    if not largest > 0:
        return n_rows, 0.0, 0.0
    return n_rows, largest, sum(m / largest * total for _, m, total in parts)


def _block_loss_grad(start, X, Y, sample_weight, model, theta):
    """Σ_i w_i ℓ_i over the block and its gradient, unscaled, in float64."""
    grad = np.zeros(theta.size)
    n_rows, n_columns = X.shape
    weight_sum = n_rows if sample_weight is None else float(sample_weight.sum())
    if weight_sum == 0:
        return 0.0, grad
    arrays = model.coefs_ + model.intercepts_
    views = _views(theta, [a.shape for a in arrays])
    n_layers = len(model.coefs_)
    params = pack_parameters(views[:n_layers], views[n_layers:], theta.dtype)
    workspace = model._make_workspace(n_rows, n_columns, theta.dtype)
    with (np.errstate(over="ignore", invalid="ignore", divide="ignore"),
          blas_threads_for(model._product_multiply_adds(n_rows, n_columns),
                           sequential=model._sequential_products)):
        mean_loss = model._data_loss_grad(params, X, Y, sample_weight, workspace,
                                          1.0)
    grad[...] = params.grad
    return float(mean_loss) * weight_sum, grad


# ----------------------------------------------------------------------
# Prediction and scoring
def predict_blocks(network, X, method):
    """``network.<method>(X)`` of each block: a lazy dask array."""
    check_is_fitted(network)
    X, d = _as_2d(network, X, reset=False)
    _check_features(network, X, d, reset=False)
    model = _worker_copy(network)
    # one row of zeros tells the output's dtype and trailing shape
    probe = getattr(model, method)(np.zeros((1, X.shape[1]), X.dtype))
    chunks = (X.chunks[0],) + tuple((size,) for size in probe.shape[1:])
    axes = ({"drop_axis": 1} if probe.ndim == 1 else
            {"new_axis": list(range(2, probe.ndim))} if probe.ndim > 2 else {})
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).tolist()
    return da.map_blocks(
        _predict_block, X, model=model, method=method, offsets=offsets,
        dtype=probe.dtype, chunks=chunks,
        meta=np.empty((0,) * probe.ndim, probe.dtype), **axes,
    )


def _predict_block(X, model, method, offsets, block_id=None):
    try:
        return getattr(model, method)(X)
    except ValueError as exc:
        raise _in_rows(offsets[block_id[0]], X.shape[0], "X", exc) from None


def score_blocks(network, X, y, sample_weight):
    """``score`` on dask arrays: accuracy or R², reduced on the workers."""
    check_is_fitted(network)
    X, d = _as_2d(network, X, reset=False)
    _check_features(network, X, d, reset=False)
    y2, one_d = _row_aligned_targets(X, y)
    sw = check_row_aligned(X, sample_weight)
    if sw is not None:
        # a weighted mean ignores a common factor; without it the sums of weights
        # such as 1e308 overflow
        sw = sw / abs(sw).max()
    model = _delayed(_worker_copy(network), "network")
    if not network._y_numeric:
        correct, total = reduce_row_blocks(_accuracy_sums, X, y2, sw,
                                           args=(model, one_d))
        return float(correct / total)
    # R² per output, as sklearn.metrics.r2_score: the weighted mean of y first
    w = da.ones(X.shape[0], chunks=(X.chunks[0],)) if sw is None else sw
    total, weighted_y = dask.compute(w.sum(), (y2 * w[:, np.newaxis]).sum(axis=0))
    y_mean = weighted_y / total
    residual, spread = reduce_row_blocks(_r2_sums, X, y2, sw,
                                         args=(model, y_mean))
    nonzero_residual, nonzero_spread = residual != 0, spread != 0
    scores = np.ones(residual.shape)
    valid = nonzero_residual & nonzero_spread
    scores[valid] = 1 - residual[valid] / spread[valid]
    scores[nonzero_residual & ~nonzero_spread] = 0.0
    return float(np.mean(scores))


def _accuracy_sums(start, X, y, sample_weight, model, one_d):
    y = y[:, 0] if one_d else y
    correct = accuracy_score(y, model.predict(X), normalize=False,
                             sample_weight=sample_weight)
    return float(correct), float(
        X.shape[0] if sample_weight is None else sample_weight.sum())


def _r2_sums(start, X, y, sample_weight, model, y_mean):
    y = y.astype(np.float64)
    y_pred = model.predict(X).reshape(y.shape)
    w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    return (w @ (y - y_pred) ** 2, w @ (y - y_mean) ** 2)
