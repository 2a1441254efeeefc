"""The self-organizing map on dask arrays: every pass over the data is a
map-reduce over its row blocks, on the workers of a Dask cluster.

Training reads the data through :class:`DaskData`, the twin of
:class:`._som_data.InMemoryData`: each method runs the in-memory kernel on every
block (:mod:`._som_init`'s sums for the principal axes, :mod:`._som_rules`'s
``epoch_statistics`` for an epoch, :mod:`._som_bmu`'s ``bmu_and_errors`` for the
fitted labels and errors) and adds up the blocks' small results on the workers
(:func:`._dask.reduce_row_blocks`). The client holds the codebook and the sums,
never a block of ``X``: an epoch sends the codebook to the workers once
(:func:`._dask.broadcast`) and gets back one (n_units, n_features + 1) sum.

The blocks are summed in another order than the in-memory chunks, so results
equal the in-memory fit's to rounding, not to the bit. Inside a block the
kernels run on one thread with single-threaded BLAS: the cluster's threads and
processes share the cores.

Sample weights are read as in memory (:mod:`._som_data`): the weighted means
divide every block's weights by one scale, the largest weight, so that no sum
overflows; the online rule is not run here. The principal axes sum every
block's features × features covariance: unlike the in-memory fit on many
features, this path's memory grows as n_features².
"""

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances

from ._dask import (
    broadcast,
    check_dask_array,
    check_row_aligned,
    collect_row_blocks,
    map_row_blocks,
    reduce_row_blocks,
)
from ._som_bmu import (
    best_matching_units,
    bmu_and_errors,
    bmu_operands,
    check_missing,
    observed_distances,
)
from ._som_data import relative_weights
from ._som_init import covariance_sums, mean_sums, principal_axes, weighted_ratio
from ._som_rules import batch_update, epoch_statistics

__all__ = [
    "DaskData",
    "check_inference_data",
    "dask_distances",
    "dask_errors",
    "dask_hits",
    "dask_training_data",
    "dask_unit_values",
]

_DTYPES = [np.float64, np.float32]


# --------------------------------------------------------------------------------
# Validation: one pass over the blocks finds what validate_data and
# check_sample_weight find in memory.
# --------------------------------------------------------------------------------


def _block_summary(start, X_block, s_block):
    """Small facts about one block, summed over the blocks (lists concatenate):
    (holds NaN, holds infinity, first empty rows, n empty rows, bad weights,
    negative weights, weight sum, rows of positive weight per block, largest
    weight per block, sum of the weights over the block's largest per block)."""
    # One sum answers for finite blocks (as in has_missing).
    finite = bool(np.isfinite(X_block.sum()))
    infinite = not finite and bool(np.isinf(X_block).any())
    nan = None if finite else np.isnan(X_block)
    if nan is not None and not nan.any():
        nan = None
    if nan is None:
        empty = np.empty(0, dtype=np.intp)
    else:
        empty = start + np.flatnonzero(nan.all(axis=1))
    if s_block is None:
        n = X_block.shape[0]
        weight_facts = (0, 0, float(n), [n], [1.0], [float(n)])
    else:
        finite = bool(np.isfinite(s_block).all())
        top = float(s_block.max()) if s_block.size and finite else 0.0
        with np.errstate(over="ignore"):  # a sum beyond the float range is inf
            weight_sum = float(s_block.sum(dtype=np.float64))
        weight_facts = (
            int(not finite),
            int((s_block < 0).any()),
            weight_sum,
            [int(np.count_nonzero(s_block > 0))],
            [top],
            [float((s_block / top).sum()) if top > 0 else 0.0],
        )
    return (
        int(nan is not None), int(infinite), empty[:5].tolist(), int(empty.size),
        *weight_facts,
    )


def dask_training_data(X, sample_weight, *, n_features=None, dtype=None):
    """Validated, persisted training data: a :class:`DaskData`.

    ``X`` becomes float32 or float64 (``dtype``: that of an earlier fit), the
    weights a dask array blocked like its rows in the same dtype; both are
    persisted on the workers once, and one pass over them checks for infinity,
    rows without an observed value, negative or non-finite weights and a zero
    weight sum, each a ``ValueError`` as in memory. ``n_features``: the number
    an earlier fit saw.
    """
    import dask

    X = check_dask_array(X, dtype=_DTYPES if dtype is None else [dtype])
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but SelfOrganizingMap is expecting "
            f"{n_features} features as input."
        )
    # float64 whatever X's dtype, as in memory
    sample_weight = check_row_aligned(X, sample_weight, dtype=np.float64)
    X, sample_weight = dask.persist(X, sample_weight)
    (has_nan, infinite, empty_rows, n_empty, bad, negative, weight_sum,
     live_per_block, top_per_block, relative_sum_per_block) = reduce_row_blocks(
        _block_summary, X, sample_weight)
    if infinite:
        raise ValueError(
            f"Input X contains infinity or a value too large for {X.dtype!r}."
        )
    if n_empty:
        shown = ", ".join(map(str, empty_rows[:5]))
        more = ", …" if n_empty > 5 else ""
        raise ValueError(
            f"{n_empty} sample(s) of X have no observed feature (all NaN), "
            f"row(s) {shown}{more}. A self-organizing map places a sample by its "
            "observed features; drop these rows or impute them."
        )
    if sample_weight is not None:
        if negative:
            raise ValueError("Negative values in data passed to sample_weight")
        if bad:
            raise ValueError(
                "sample_weight contains NaN or infinity; pass finite weights."
            )
        if not weight_sum > 0:
            raise ValueError(
                "sample_weight sums to zero; at least one sample needs a positive "
                "weight."
            )
    return DaskData(
        X, sample_weight, bool(has_nan),
        weight_sum=None if sample_weight is None else weight_sum,
        live_per_block=live_per_block,
        top_per_block=top_per_block,
        relative_sum_per_block=relative_sum_per_block,
    )


# --------------------------------------------------------------------------------
# The block kernels: the in-memory ones on one block (the thread policy of a
# task on a worker is _parallel's).
# --------------------------------------------------------------------------------


def _scaled(s_block, scale, X_block):
    """The block's weights over ``scale``, in X's dtype, as in memory
    (:class:`._som_data.InMemoryData`); None when unweighted at scale 1."""
    if s_block is None:
        if scale == 1.0:
            return None
        s_block = np.ones(X_block.shape[0])
    return relative_weights(s_block, scale, X_block.dtype)


def _mean_block(start, X_block, s_block, scale, masked):
    return mean_sums(X_block, _scaled(s_block, scale, X_block), masked=masked)


def _covariance_block(start, X_block, s_block, scale, mean, masked):
    return covariance_sums(X_block, _scaled(s_block, scale, X_block), mean,
                           masked=masked)


def _bounds_block(start, X_block, s_block, masked):
    if s_block is not None:
        X_block = X_block[s_block > 0]
    if X_block.shape[0] == 0:
        inf = np.full(X_block.shape[1], np.inf, dtype=X_block.dtype)
        return inf, -inf
    if masked:
        # nanmin without its warning on a column with no observed value here
        nan = np.isnan(X_block)
        return (np.where(nan, np.inf, X_block).min(axis=0),
                np.where(nan, -np.inf, X_block).max(axis=0))
    return X_block.min(axis=0), X_block.max(axis=0)


def _combine_bounds(*parts):
    low = np.minimum.reduce([part[0] for part in parts])
    high = np.maximum.reduce([part[1] for part in parts])
    return low, high


def _rows_block(start, X_block, s_block, ranks_by_start):
    """The rows of the block at its ranks among its rows of positive weight."""
    ranks = ranks_by_start.get(start)
    if ranks is None:
        return X_block[:0]
    rows = ranks if s_block is None else np.flatnonzero(s_block > 0)[ranks]
    return X_block[rows]


def _statistics_block(start, X_block, s_block, scale, operands, with_error,
                      masked):
    return epoch_statistics(X_block, _scaled(s_block, scale, X_block), operands,
                            with_error=with_error, masked=masked)


def _results_block(start, X_block, s_block, scale, W, coords, periods, masked):
    bmu, error_sum, wrong_sum = bmu_and_errors(
        X_block, _scaled(s_block, scale, X_block), W, coords, periods,
        masked=masked,
    )
    hits = np.bincount(bmu, weights=s_block, minlength=W.shape[0])
    return bmu, error_sum, wrong_sum, hits


class DaskData:
    """Training data in a dask array, persisted on the workers: the facade of
    :mod:`._som_data` answered by map-reduce over the row blocks."""

    def __init__(self, X, sample_weight, masked, *, weight_sum, live_per_block,
                 top_per_block, relative_sum_per_block):
        self.X = X
        self.sample_weight = sample_weight
        self.masked = masked
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self._weight_sum = weight_sum
        self._live_per_block = np.asarray(live_per_block)
        self._top_per_block = np.asarray(top_per_block, dtype=np.float64)
        self._relative_sum_per_block = np.asarray(relative_sum_per_block,
                                                  dtype=np.float64)
        # the scale of the weighted means (see _som_data): the largest weight
        self.weight_scale = float(self._top_per_block.max())

    def total_weight(self):
        """Number of samples, or the sum of their weights (infinite beyond the
        float range)."""
        return self.n_samples if self._weight_sum is None else self._weight_sum

    def scaled_total(self):
        """Sum of the weights over ``weight_scale``: each block's sum over its
        largest weight, rescaled (no sum overflows)."""
        return float(
            (self._top_per_block / self.weight_scale) @ self._relative_sum_per_block
        )

    def n_live(self):
        """Number of samples of positive weight."""
        return int(self._live_per_block.sum())

    def _reduce(self, func, *args, combine=None):
        return reduce_row_blocks(
            func, self.X, self.sample_weight, args=args, combine=combine
        )

    # ------------------------------------------------------------ initialisation

    def observed_means(self):
        """Mean of every feature over its observed values, and their weight."""
        total, observed_weight = self._reduce(_mean_block, self.weight_scale, True)
        return weighted_ratio(total, observed_weight), observed_weight

    def pca(self):
        """Weighted mean and leading principal axes: two map-reduce passes
        (mean, covariance; the covariance is features × features)."""
        scale = self.weight_scale
        mean = weighted_ratio(*self._reduce(_mean_block, scale, self.masked))
        cov = weighted_ratio(
            *self._reduce(_covariance_block, scale, mean, self.masked)
        )
        return principal_axes(mean, cov)

    def draw(self, rng, n_units):
        """``n_units`` rows of positive weight drawn by ``rng``: the draw of
        :meth:`._som_data.InMemoryData.draw` (the same random numbers pick the
        same rows), and only those rows come to the client."""
        n_live = int(self._live_per_block.sum())
        position = rng.choice(n_live, size=n_units, replace=n_units > n_live)
        # Position p among the rows of positive weight is rank p − first[b] in
        # block b; every block returns its ranks' rows, in block order.
        first = np.concatenate([[0], np.cumsum(self._live_per_block)])
        block = np.searchsorted(first, position, side="right") - 1
        offsets = np.concatenate([[0], np.cumsum(self.X.chunks[0])])
        ranks = {
            int(offsets[b]): position[block == b] - first[b] for b in np.unique(block)
        }
        parts = collect_row_blocks(
            _rows_block, self.X, self.sample_weight, args=(ranks,)
        )
        W = np.empty((n_units, self.n_features), dtype=self.dtype)
        W[np.argsort(block, kind="stable")] = np.concatenate(parts)
        return W

    def bounds(self):
        """Per-feature minimum and maximum over the rows of positive weight."""
        return self._reduce(_bounds_block, self.masked, combine=_combine_bounds)

    # ------------------------------------------------------------------ training

    def batch_epoch(self, W, H, *, previous_mass=None, with_error=False):
        """One epoch of the batch rule: the blocks' statistics summed on the
        workers, the update on the client. ``(W, mass, error_sum)``."""
        operands = bmu_operands(W, self.dtype)
        S_aug, error_sum = self._reduce(
            _statistics_block, self.weight_scale, broadcast(operands), with_error,
            self.masked,
        )
        mu = operands.mu.astype(np.float64)
        W, mass = batch_update(W, S_aug, mu, H, previous_mass=previous_mass)
        return W, mass, error_sum

    def results(self, W, coords, periods):
        """``(bmu, error_sum, wrong_sum, hits)`` of codebook ``W``; the labels
        (one integer per sample) are the one per-row result brought to the
        client."""
        parts = collect_row_blocks(
            _results_block, self.X, self.sample_weight,
            args=(self.weight_scale, W, coords, periods, self.masked),
        )
        bmu = np.concatenate([part[0] for part in parts])
        error_sum = sum(part[1] for part in parts)
        wrong_sum = sum(part[2] for part in parts)
        with np.errstate(over="ignore"):  # beyond the float range: inf, as in memory
            hits = np.sum([part[3] for part in parts], axis=0)
        return bmu, error_sum, wrong_sum, hits


# --------------------------------------------------------------------------------
# Inference: lazy per-row results, and the measures as sums over the blocks.
# --------------------------------------------------------------------------------


def check_inference_data(X, n_features):
    """``X`` checked against the fit: known chunks, float32 or float64,
    ``n_features`` columns."""
    X = check_dask_array(X, dtype=_DTYPES)
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but SelfOrganizingMap is expecting "
            f"{n_features} features as input."
        )
    return X


def _unit_values_block(start, X_block, W, unit_values):
    masked = check_missing(X_block, row_offset=start)
    bmu = best_matching_units(X_block, W.astype(X_block.dtype, copy=False),
                              masked=masked)
    return unit_values[bmu]


def dask_unit_values(X, W, unit_values):
    """Lazy ``unit_values[bmu]`` of every row of ``X`` (the unit index, its
    label or its grid position), computed block-wise."""
    return map_row_blocks(
        _unit_values_block, X, args=(W, unit_values), dtype=unit_values.dtype,
        n_columns=None if unit_values.ndim == 1 else unit_values.shape[1],
    )


def _distances_block(start, X_block, W):
    masked = check_missing(X_block, row_offset=start)
    W = W.astype(X_block.dtype, copy=False)
    if masked:
        return observed_distances(X_block, W)
    return euclidean_distances(X_block, W)


def dask_distances(X, W):
    """Lazy distances of every row of ``X`` to every unit, block-wise."""
    return map_row_blocks(
        _distances_block, X, args=(W,), dtype=X.dtype, n_columns=W.shape[0]
    )


def _errors_block(start, X_block, s_block, W, coords, periods, reach=1.0):
    """``(error sum, miss sum, weight sum, scale)`` of a block, the sums with
    the weights over the block's largest (the scale)."""
    masked = check_missing(X_block, row_offset=start)
    scale = 1.0
    if s_block is not None:
        scale = float(s_block.max()) if s_block.size else 0.0
        s_block = relative_weights(s_block, scale) if scale > 0 else s_block
    _, error_sum, wrong_sum = bmu_and_errors(
        X_block, s_block, W.astype(X_block.dtype, copy=False), coords, periods,
        masked=masked, reach=reach,
    )
    total = X_block.shape[0] if s_block is None else float(s_block.sum())
    return error_sum, wrong_sum, total, scale


def _combine_scaled(*parts):
    """Sums of blocks at different scales, at the largest: no sum overflows."""
    scale = max(part[3] for part in parts)
    if scale == 0:
        return 0.0, 0.0, 0.0, 0.0
    sums = np.zeros(3)
    for *block_sums, block_scale in parts:
        sums += (block_scale / scale) * np.asarray(block_sums)
    return (*sums.tolist(), scale)


def dask_errors(X, sample_weight, W, coords, periods, reach=1.0):
    """``(quantization error, topographic error)`` of ``X``, computed: the
    blocks' error sums and weights added up on the workers, as weighted means
    whose weights are scaled to their largest."""
    sample_weight = check_row_aligned(X, sample_weight, dtype=np.float64)
    error_sum, wrong_sum, total, _ = reduce_row_blocks(
        _errors_block, X, sample_weight, args=(W, coords, periods, reach),
        combine=_combine_scaled,
    )
    if not total > 0:
        raise ValueError(
            "sample_weight sums to zero; at least one sample needs a positive weight."
        )
    return error_sum / total, wrong_sum / total


def _hits_block(start, X_block, s_block, W):
    bmu = _unit_values_block(start, X_block, W, np.arange(W.shape[0]))
    return (np.bincount(bmu, weights=s_block, minlength=W.shape[0]),)


def dask_hits(X, sample_weight, W):
    """(Weighted) number of rows of ``X`` won by every unit, computed."""
    sample_weight = check_row_aligned(X, sample_weight, dtype=np.float64)
    (hits,) = reduce_row_blocks(_hits_block, X, sample_weight, args=(W,))
    return hits
