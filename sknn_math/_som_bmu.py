"""Best-matching units: one matrix product per chunk of samples.

Everything the SOM computes on the data goes through here: the batch epoch's
statistics, predictions and the quantization and topographic errors. A pass
over the data cuts it into chunks of rows (:func:`map_chunks`), whose
distance blocks stay in the CPU cache and within ``working_memory``, and
shares them among worker threads; its results come back in chunk order, so the
same data give the same bits whatever the number of threads. Thread and chunk
policy live in :mod:`sknn_math._parallel`.

Missing values (NaN) count as unobserved: a sample's distance to a unit is taken
over the sample's observed features only, the plain sum
‖x_o − w_o‖² = Σ_{f observed} (x_f − w_f)², not rescaled by
n_features / n_observed (see :func:`chunk_products`). A pass over data holding
NaN is *masked*; only its chunks that hold NaN pay for the mask, and a pass over
NaN-free data runs exactly the unmasked code.
"""

import threading
from typing import NamedTuple

import numpy as np
from sklearn.utils import gen_batches

from ._parallel import chunk_n_rows, map_in_order
from ._som_grid import grid_distances, is_adjacent

__all__ = [
    "BMUOperands",
    "best_matching_units",
    "bmu_and_errors",
    "bmu_operands",
    "check_missing",
    "chunk_products",
    "has_missing",
    "map_chunks",
    "missing_mask",
    "observed_distances",
]


# --------------------------------------------------------------------------------
# Missing values.
# --------------------------------------------------------------------------------


def has_missing(X):
    """Whether ``X`` (finite or NaN, no infinity) holds a NaN.

    The sum of finite values is finite but for overflow, so one reduction answers
    for the common NaN-free data, as in scikit-learn's own finiteness check;
    only a non-finite sum looks at every entry.
    """
    if np.isfinite(X.sum()):
        return False
    return bool(np.isnan(X).any())


def check_missing(X, *, row_offset=0):
    """Whether ``X`` holds NaN; a ``ValueError`` if a row holds nothing else.

    A sample with no observed feature has no distance to any unit: it cannot
    have a best-matching unit. ``row_offset`` numbers the rows in the message
    (the first row of a Dask block in its array).
    """
    if not has_missing(X):
        return False
    empty = row_offset + np.flatnonzero(np.isnan(X).all(axis=1))
    if empty.size:
        shown = ", ".join(map(str, empty[:5].tolist()))
        more = ", …" if empty.size > 5 else ""
        raise ValueError(
            f"{empty.size} sample(s) of X have no observed feature (all NaN), "
            f"row(s) {shown}{more}. A self-organizing map places a sample by its "
            "observed features; drop these rows or impute them."
        )
    return True


def missing_mask(X_chunk):
    """The NaN entries of a chunk of rows as a boolean array, or None if none."""
    missing = np.isnan(X_chunk)
    return missing if missing.any() else None


class BMUOperands(NamedTuple):
    """The codebook, shaped for the best-matching-unit product.

    Attributes
    ----------
    mu : ndarray of shape (n_features,)
        Centroid μ of the codebook.
    W_c : ndarray of shape (n_units, n_features)
        Centred codebook, ``w_k − μ``.
    W_aug : ndarray of shape (n_features + 1, n_units)
        ``W_cᵀ`` with the row ``−‖w_k − μ‖²/2`` appended.
    """

    mu: np.ndarray
    W_c: np.ndarray
    W_aug: np.ndarray


def bmu_operands(W, dtype):
    """Centre and augmented codebook for the best-matching-unit product.

    ‖x − w_k‖² = ‖x‖² − 2 (x·w_k − ‖w_k‖²/2), so the best-matching unit is
    argmax_k of x·w_k − ‖w_k‖²/2. Appending a column of ones to the samples and
    the row −‖w_k‖²/2 to Wᵀ turns it into one matrix product and one argmax.
    Samples and units are first shifted by the codebook's centroid μ (distances
    do not change): the cross term then keeps float32 precision on data far from
    the origin.
    """
    mu = W.mean(axis=0, dtype=np.float64)
    W_c = W.astype(np.float64) - mu
    n_units, n_features = W.shape
    W_aug = np.empty((n_features + 1, n_units), dtype=dtype)
    W_aug[:n_features] = W_c.T
    W_aug[n_features] = -0.5 * np.einsum("ij,ij->i", W_c, W_c)
    return BMUOperands(mu.astype(dtype), W_c.astype(dtype), W_aug)


class _ChunkBuffers:
    """One worker thread's scratch for the largest chunk: ``X_aug`` and ``G``."""

    def __init__(self, rows, n_features, n_units, dtype):
        self.X_aug = np.empty((rows, n_features + 1), dtype=dtype)
        self.X_aug[:, n_features] = 1.0
        self.G = np.empty((rows, n_units), dtype=dtype)


def chunk_products(X_chunk, operands, buffers=None, *, missing=None):
    """``X_aug`` and ``G`` of one chunk of rows; the best unit is ``G.argmax(1)``.

    ``X_aug`` is the chunk centred on μ with a trailing column of ones and
    ``G[i, k] = x_i·w_k − ‖w_k‖²/2`` (centred), so that
    ``‖x_i − w_k‖² = ‖x_i‖² − 2 G[i, k]``. Without ``buffers`` both are new
    arrays; with them they are views of the thread's scratch, which the caller
    must not return.

    ``missing`` (a boolean array shaped as the chunk, from :func:`missing_mask`)
    marks the chunk's NaN entries. Those are set to 0 in ``X_aug`` and the rows
    that hold any get ``G[i, k] = x_i·w_k − Σ_{f observed} w_kf²/2``, so that
    ``‖x_i − w_k‖²`` over the observed features is again
    ``‖x_i‖² − 2 G[i, k]``:

    .. math:: ‖x_o − w_o‖² = Σ_f M_f x_f² − 2 Σ_f x^0_f w_f + Σ_f M_f w_f²

    with M the 0/1 mask of observed entries and x⁰ the row with NaN → 0. The
    plain product gives the −‖w‖²/2 of every feature; a second product of the
    missing entries with W∘W gives back those of the unobserved ones.
    """
    m, n_features = X_chunk.shape
    W_aug = operands.W_aug
    if buffers is None:
        buffers = _ChunkBuffers(m, n_features, W_aug.shape[1], W_aug.dtype)
    X_aug = buffers.X_aug[:m]
    np.subtract(X_chunk, operands.mu, out=X_aug[:, :n_features])
    if missing is not None:
        X_aug[:, :n_features][missing] = 0.0
    G = np.matmul(X_aug, W_aug, out=buffers.G[:m])
    if missing is not None:
        # Rows without NaN keep the plain product's bits.
        rows = np.flatnonzero(missing.any(axis=1))
        W_sq = np.square(W_aug[:n_features])
        G[rows] += 0.5 * (missing[rows].astype(W_aug.dtype) @ W_sq)
    return X_aug, G


def map_chunks(X, operands, work, *, n_workers=None):
    """Yield ``work(batch, buffers)`` for every chunk ``X[batch]``, in chunk order.

    Chunks hold as many rows as keep their (rows, n_units) distance block in the
    CPU cache (and within ``working_memory``); they run on one worker thread per
    core (:func:`~sknn_math._parallel.map_in_order`), each with its own
    ``buffers`` for :func:`chunk_products`, in the dtype of ``operands``;
    ``n_workers=1`` runs them in the calling thread (as ``_parallel`` does by
    itself inside a Dask task).
    """
    n_samples, n_features = X.shape
    n_units = operands.W_aug.shape[1]
    dtype = operands.W_aug.dtype
    rows = chunk_n_rows(
        (n_units + n_features + 1) * dtype.itemsize, n_samples, fit_in_cache=True
    )
    local = threading.local()

    def run(batch):
        buffers = getattr(local, "buffers", None)
        if buffers is None:
            buffers = local.buffers = _ChunkBuffers(rows, n_features, n_units, dtype)
        return work(batch, buffers)

    return map_in_order(run, gen_batches(n_samples, rows), n_workers=n_workers)


def _second_best(G, bmu):
    """argmax of every row of ``G`` but its best entry ``bmu`` (G is restored)."""
    rows = np.arange(G.shape[0])
    best = G[rows, bmu]
    G[rows, bmu] = -np.inf
    bmu2 = G.argmax(axis=1)
    G[rows, bmu] = best
    return bmu2


def two_best_units(X_chunk, operands, buffers, masked):
    """Best and second-best units of a chunk, and each row's exact distance to
    its best prototype (over its observed features where ``masked``).

    Returns ``(bmu, bmu2, dist)``; ``dist`` is float64.
    """
    missing = missing_mask(X_chunk) if masked else None
    X_aug, G = chunk_products(X_chunk, operands, buffers, missing=missing)
    bmu = G.argmax(axis=1)
    bmu2 = _second_best(G, bmu)
    # The exact difference, not ‖x‖² − 2G, so that the reported error is
    # accurate to the last bit of the dtype.
    diff = X_aug[:, :X_chunk.shape[1]] - operands.W_c[bmu]
    if missing is not None:
        diff[missing] = 0.0
    dist = np.sqrt(np.einsum("ij,ij->i", diff, diff, dtype=np.float64))
    return bmu, bmu2, dist


def best_matching_units(X, W, *, masked=None, n_workers=None):
    """Index of the best-matching unit of every row of ``X``, shape (n_samples,).

    ``masked``: whether ``X`` holds NaN (:func:`has_missing`); None finds out.
    ``n_workers``: threads, as in :func:`map_chunks`.
    """
    operands = bmu_operands(W, X.dtype)
    if masked is None:
        masked = has_missing(X)

    def work(batch, buffers):
        X_chunk = X[batch]
        missing = missing_mask(X_chunk) if masked else None
        _, G = chunk_products(X_chunk, operands, buffers, missing=missing)
        return batch, G.argmax(axis=1)

    bmu = np.empty(X.shape[0], dtype=np.intp)
    for batch, bmu_chunk in map_chunks(X, operands, work, n_workers=n_workers):
        bmu[batch] = bmu_chunk
    return bmu


def bmu_and_errors(X, sample_weight, W, coords, periods, *, masked=None,
                   n_workers=None):
    """Best-matching units, Σ s·‖x − w_c‖ and Σ s·[c, c₂ not adjacent].

    ``c₂`` is the second-best unit; ``coords`` and ``periods`` place the units
    on the grid (:mod:`sknn_math._som_grid`). With NaN in ``X`` (``masked``;
    None finds out) units and distances use each sample's observed features.
    ``n_workers``: threads, as in :func:`map_chunks`.
    """
    operands = bmu_operands(W, X.dtype)
    if masked is None:
        masked = has_missing(X)

    def work(batch, buffers):
        bmu, bmu2, dist = two_best_units(X[batch], operands, buffers, masked)
        wrong = ~is_adjacent(grid_distances(coords[bmu], coords[bmu2], periods))
        if sample_weight is None:
            return batch, bmu, float(dist.sum()), float(wrong.sum())
        s = sample_weight[batch].astype(np.float64, copy=False)
        return batch, bmu, float(s @ dist), float(s @ wrong)

    bmu = np.empty(X.shape[0], dtype=np.intp)
    error_sum = wrong_sum = 0.0
    for batch, bmu_chunk, error, wrong in map_chunks(
        X, operands, work, n_workers=n_workers
    ):
        bmu[batch] = bmu_chunk
        error_sum += error
        wrong_sum += wrong
    return bmu, error_sum, wrong_sum


def observed_distances(X, W, *, n_workers=None):
    """Distance of every row of ``X`` to every unit over the row's observed features.

    ``‖x_o − w_k,o‖`` for data holding NaN (``transform``), shape
    (n_samples, n_units) in ``X``'s dtype; computed in float64, from the same
    masked products as the best-matching units, chunk by chunk (``n_workers``:
    threads, as in :func:`map_chunks`).
    """
    n_samples, n_features = X.shape
    operands = bmu_operands(W, np.float64)
    D = np.empty((n_samples, W.shape[0]), dtype=X.dtype)

    def work(batch, buffers):
        X_chunk = X[batch]
        missing = missing_mask(X_chunk)
        X_aug, G = chunk_products(X_chunk, operands, buffers, missing=missing)
        X_c = X_aug[:, :n_features]
        d_sq = np.einsum("ij,ij->i", X_c, X_c)[:, None] - 2.0 * G
        D[batch] = np.sqrt(np.maximum(d_sq, 0.0))

    for _ in map_chunks(X, operands, work, n_workers=n_workers):
        pass
    return D
