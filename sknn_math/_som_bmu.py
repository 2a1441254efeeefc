"""Best-matching units: one matrix product per block of samples.

Everything the SOM computes on the data goes through here: the batch epoch's
statistics, predictions and the quantization and topographic errors. A pass
over the data cuts it into chunks of rows (:func:`map_chunks`), a worker
thread's task within ``working_memory``, and each chunk into blocks whose
distance block stays in the CPU cache (:func:`chunk_sizes`,
:func:`chunk_units`); the chunks' results come back in chunk order, so the
same data give the same bits whatever the number of threads. Thread and cache
policy live in :mod:`sknn_math._parallel`.

The product, in the data's dtype, is centred among the prototypes, so that it
ranks the units to the dtype's precision at the scale of the codebook and of
each sample's distance to its unit, wherever the data lie and however far an
outlier pulls one prototype; the rows near such a far prototype, where that
precision would be lost, are ranked as exact arithmetic ranks them
(:func:`best_units`).

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
    "best_units",
    "bmu_and_errors",
    "bmu_operands",
    "check_missing",
    "chunk_products",
    "chunk_sizes",
    "chunk_units",
    "has_missing",
    "map_chunks",
    "missing_mask",
    "observed_distances",
    "two_best_units",
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
        Centre μ of the product: the coordinate-wise median of the codebook, in
        the data's dtype.
    W_c : ndarray of shape (n_units, n_features)
        Centred codebook, ``w_k − μ``, in the data's dtype.
    W_aug : ndarray of shape (n_features + 1, n_units)
        ``W_cᵀ`` with the row ``−‖w_k − μ‖²/2`` appended, in the data's dtype.
    W : ndarray of shape (n_units, n_features)
        The codebook in float64, for the exact distances.
    norms : ndarray of shape (n_units,)
        ``‖w_k − μ‖`` in float64, for the rounding-error bound of the product.
    radius : float
        The median of ``norms``: the scale of the codebook around μ.
    far_units : ndarray of shape (n_units,) or None
        Which units lie further from μ than :data:`FAR` times ``radius`` (a
        unit trained on outliers); None if none does. The rows they win are
        ranked exactly (:func:`best_units`).
    """

    mu: np.ndarray
    W_c: np.ndarray
    W_aug: np.ndarray
    W: np.ndarray
    norms: np.ndarray
    radius: float
    far_units: np.ndarray | None


# A unit more than FAR times the codebook's median distance from μ is far: the
# rounding of the scores of the samples near it grows with that distance.
FAR = 3.0


def bmu_operands(W, dtype):
    """Centre and augmented codebook for the best-matching-unit product.

    ‖x − w_k‖² = ‖x‖² − 2 (x·w_k − ‖w_k‖²/2), so the best-matching unit is
    argmax_k of x·w_k − ‖w_k‖²/2. Appending a column of ones to the samples and
    the row −‖w_k‖²/2 to Wᵀ turns it into one matrix product and one argmax.

    Samples and units are first shifted by a centre μ (distances do not change),
    for the rounding error of the product grows with ‖x − μ‖ and ‖w_k − μ‖ (see
    :func:`best_units`). The coordinate-wise median of the codebook sits among
    the prototypes, as the data do, wherever they lie: the mean would follow a
    single far prototype away from all the others. μ is rounded to the dtype
    first, so that samples and units are shifted by the very same vector.
    """
    W64 = np.array(W, dtype=np.float64)
    dtype = _product_dtype(W64, np.dtype(dtype))
    # The median by a sort along the units: faster than np.median's partition.
    ordered = np.sort(W64, axis=0)
    n_units = W.shape[0]
    mu = (0.5 * (ordered[(n_units - 1) // 2] + ordered[n_units // 2])).astype(dtype)
    W_c = W64 - mu
    n_features = W.shape[1]
    norms_sq = np.einsum("ij,ij->i", W_c, W_c)
    W_aug = np.empty((n_features + 1, n_units), dtype=dtype)
    W_aug[:n_features] = W_c.T
    W_aug[n_features] = -0.5 * norms_sq
    norms = np.sqrt(norms_sq)
    radius = float(np.partition(norms, n_units // 2)[n_units // 2])
    far_units = norms > FAR * radius
    return BMUOperands(
        mu, W_c.astype(dtype), W_aug, W64, norms, radius,
        far_units if far_units.any() else None,
    )


def _product_dtype(W64, dtype):
    """The dtype of the best-matching-unit product: float64 for a float32 codebook
    too wide for float32.

    Why: the product's rounding error, about (n + 3) u ρ² for prototypes within ρ
    of the centre (:func:`best_units`), must stay below the spacing of
    neighbouring units, or it reorders them for every sample. A codebook spread
    over two far clusters, or trained on outliers, breaks that in float32 (u =
    6e-8) at a spread of 1e3–1e4 times its spacing, and then the products run in
    float64, as scikit-learn's ``euclidean_distances`` upcasts float32. The
    spacing is a low percentile of the steps between consecutive units
    (row-major: mostly grid neighbours), a cheap stand-in for the nearest-
    neighbour distance of the units packed closest (a median would miss a dense
    cluster among far-spread units); twins, rare, do not set it.
    """
    if dtype != np.float32 or W64.shape[0] < 2:
        return dtype
    spread_sq = np.max(np.sum(np.square(W64 - np.median(W64, axis=0)), axis=1))
    steps_sq = np.sum(np.square(np.diff(W64, axis=0)), axis=1)
    spacing_sq = float(np.percentile(steps_sq, 10))
    rounding = (W64.shape[1] + 3) * 0.5 * np.finfo(np.float32).eps * spread_sq
    return np.dtype(np.float64) if rounding > spacing_sq else dtype


# A chunk of rows is one worker thread's task and the batch rule's unit of
# statistics: its fixed costs (the hand-over to a thread, the statistics of
# every unit, summed across chunks in float64) stay a few percent of its
# products at about CHUNK_ROWS rows. A pass has about MIN_CHUNKS chunks or
# more, so that the worker threads end it together.
CHUNK_ROWS = 8192
MIN_CHUNKS = 8


def chunk_sizes(n_samples, n_features, n_units, dtype):
    """``(block_rows, chunk_rows)`` of a pass over ``n_samples`` rows.

    A block's distance block G (block_rows × n_units) stays in the CPU cache
    (:func:`~sknn_math._parallel.chunk_n_rows`); a chunk is the whole number
    of blocks nearest to min(CHUNK_ROWS, n_samples / MIN_CHUNKS) rows, one at
    least, its centred rows within ``working_memory``. Neither depends on the
    number of threads, so neither do the results.
    """
    itemsize = np.dtype(dtype).itemsize
    block = chunk_n_rows(
        (n_units + n_features + 1) * itemsize, n_samples, fit_in_cache=True
    )
    # per row of a chunk: X_aug, a NaN mask, two unit indices, and the float64
    # direct differences of the exact distances (the row's prototype and the
    # difference, two_best_units)
    limit = chunk_n_rows(
        (n_features + 1) * itemsize + n_features + 16 + 2 * n_features * 8, n_samples
    )
    target = min(CHUNK_ROWS, -(-n_samples // MIN_CHUNKS))
    return block, block * max(1, min(round(target / block), limit // block))


def _blocks(n_rows, rows):
    """Slices of ``rows`` rows over ``range(n_rows)``, the last shorter. (As
    sklearn's ``gen_batches``, without its parameter validation, which costs
    as much as a small block's product.)"""
    return (slice(start, min(start + rows, n_rows)) for start in range(0, n_rows, rows))


class _Scratch(NamedTuple):
    """Where :func:`chunk_products` writes a block's ``X_aug`` and ``G``."""

    X_aug: np.ndarray
    G: np.ndarray


class _ChunkBuffers:
    """One worker thread's scratch: ``X_aug`` for a chunk of ``rows`` rows,
    ``G`` for a block of ``block_rows`` of them."""

    def __init__(self, rows, block_rows, n_features, n_units, dtype):
        self.block_rows = block_rows
        self.X_aug = np.empty((rows, n_features + 1), dtype=dtype)
        self.X_aug[:, n_features] = 1.0
        self.G = np.empty((block_rows, n_units), dtype=dtype)

    @classmethod
    def for_chunk(cls, X_chunk, operands):
        """New scratch for ``X_chunk`` whole, blocked as a pass blocks it."""
        m, n_features = X_chunk.shape
        n_units = operands.W_aug.shape[1]
        dtype = operands.W_aug.dtype
        block, _ = chunk_sizes(m, n_features, n_units, dtype)
        return cls(m, block, n_features, n_units, dtype)

    def block(self, batch):
        """Scratch for rows ``batch`` of the chunk: its ``X_aug`` rows and ``G``."""
        return _Scratch(self.X_aug[batch], self.G)


def chunk_products(X_chunk, operands, buffers=None, *, missing=None,
                   centred=False):
    """``X_aug`` and ``G`` of one chunk of rows; ``G.argmax(1)`` is the best
    unit up to rounding, :func:`best_units` the best unit.

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

    With ``centred``, ``buffers.X_aug`` already holds the centred rows (NaN
    set to 0), as :func:`centre_chunk` writes them for a whole chunk.
    """
    m, n_features = X_chunk.shape
    W_aug = operands.W_aug
    if buffers is None:
        buffers = _ChunkBuffers(m, m, n_features, W_aug.shape[1], W_aug.dtype)
    X_aug = buffers.X_aug[:m]
    if not centred:
        centre_chunk(X_chunk, operands, X_aug, missing)
    G = np.matmul(X_aug, W_aug, out=buffers.G[:m])
    if missing is not None:
        # Rows without NaN keep the plain product's bits.
        rows = np.flatnonzero(missing.any(axis=1))
        W_sq = np.square(W_aug[:n_features])
        G[rows] += 0.5 * (missing[rows].astype(W_aug.dtype) @ W_sq)
    return X_aug, G


def centre_chunk(X_chunk, operands, X_aug, missing=None):
    """Write ``X_chunk − μ`` into ``X_aug[:, :n_features]``, NaN as 0."""
    n_features = X_chunk.shape[1]
    np.subtract(X_chunk, operands.mu, out=X_aug[:, :n_features])
    if missing is not None:
        X_aug[:, :n_features][missing] = 0.0


def map_chunks(X, operands, work, *, n_workers=None):
    """Yield ``work(batch, buffers)`` for every chunk ``X[batch]``, in chunk order.

    Chunks (:func:`chunk_sizes`) run on one worker thread per core
    (:func:`~sknn_math._parallel.map_in_order`), each with its own ``buffers``
    for :func:`chunk_units`, in the dtype of ``operands``; ``n_workers=1`` runs
    them in the calling thread (as ``_parallel`` does by itself inside a Dask
    task).
    """
    n_samples, n_features = X.shape
    n_units = operands.W_aug.shape[1]
    dtype = operands.W_aug.dtype
    block, rows = chunk_sizes(n_samples, n_features, n_units, dtype)
    local = threading.local()

    def run(batch):
        buffers = getattr(local, "buffers", None)
        if buffers is None:
            buffers = local.buffers = _ChunkBuffers(
                rows, block, n_features, n_units, dtype
            )
        return work(batch, buffers)

    return map_in_order(run, gen_batches(n_samples, rows), n_workers=n_workers)


def chunk_units(X_chunk, operands, buffers=None, *, missing=None, second=False):
    """The centred chunk ``X_aug`` and the best units of its rows.

    Returns ``(X_aug, bmu)``, or with ``second`` ``(X_aug, bmu, bmu2)`` (the
    second-best units); ``X_aug`` is as in :func:`chunk_products`, a view of
    ``buffers`` when given, and ``missing`` the chunk's NaN mask.

    The products (:func:`chunk_products`) are taken a block of rows at a time,
    each block's G still in the CPU cache when :func:`best_units` reads it: a
    G spilled to memory would make the argmax a second pass over memory, which
    costs as much as a third of the product's own time. The chunk is centred
    in one call: the worker threads take turns over Python's GIL at every
    call, and small calls per block cost two threads a tenth of their speed.
    """
    m = X_chunk.shape[0]
    if buffers is None:
        buffers = _ChunkBuffers.for_chunk(X_chunk, operands)
    centre_chunk(X_chunk, operands, buffers.X_aug[:m], missing)
    bmu = np.empty(m, dtype=np.intp)
    bmu2 = np.empty(m, dtype=np.intp) if second else None
    for batch in _blocks(m, buffers.block_rows):
        X_block = X_chunk[batch]
        missing_block = None if missing is None else missing[batch]
        X_aug, G = chunk_products(
            X_block, operands, buffers.block(batch), missing=missing_block,
            centred=True,
        )
        units = best_units(
            X_block, X_aug, G, operands, missing=missing_block, second=second
        )
        if second:
            bmu[batch], bmu2[batch] = units
        else:
            bmu[batch] = units
    X_aug = buffers.X_aug[:m]
    return (X_aug, bmu, bmu2) if second else (X_aug, bmu)


def best_units(X_chunk, X_aug, G, operands, *, missing=None, second=False):
    """Best-matching units of one chunk of rows from its products.

    ``X_aug`` and ``G`` come from :func:`chunk_products` (``missing`` as
    there); ``G`` is used as scratch and overwritten. Returns ``bmu``, or with
    ``second`` ``(bmu, bmu2)`` where ``bmu2`` is every row's second-best unit.

    The units are the argmax of ``G``, in the data's dtype, except on the rows
    won by a far unit (see :class:`BMUOperands`), which are ranked as exact
    arithmetic ranks them, but for ties (:func:`_exact_best_units`).
    """
    # Rounding. A score sums n + 1 products of operands rounded once to the
    # dtype (n more, and one more sum, on a row with NaN), so by the dot-product
    # bound and Cauchy–Schwarz its error is at most E = k u (‖x − μ‖ρ + ρ²),
    # k = n + 3 (2n + 4 with NaN), u = eps/2, for a unit with ‖w − μ‖ ≤ ρ. Only
    # a unit nearer x than the winner c can change the order, and then
    # ‖w − μ‖ ≤ ‖x − μ‖ + ‖x − w_c‖ ≤ ‖w_c − μ‖ + 2‖x − w_c‖ = s (on a row with
    # NaN, whose unobserved features bound nothing, ρ is the largest ‖w − μ‖):
    #     E ≤ 2 k u s²,
    # the precision of the dtype at the scale of the winner's distance to μ and
    # the sample's distance to the winner, which the centre among the
    # prototypes keeps small, the same for every row. Only a far winner makes s
    # large: a sample near a far unit (an outlier and the unit it trained) is
    # then ranked exactly. The same holds for the second-best unit.
    m, n_units = G.shape
    if n_units == 1:
        zeros = np.zeros(m, dtype=np.intp)
        return (zeros, zeros.copy()) if second else zeros
    bmu = G.argmax(axis=1)
    bmu2 = best = None
    if second:
        flat = G.reshape(-1)
        at = np.arange(0, m * n_units, n_units) + bmu
        best = flat.take(at)
        flat[at] = -np.inf
        bmu2 = G.argmax(axis=1)
    if operands.far_units is None:
        return (bmu, bmu2) if second else bmu
    far = operands.far_units[bmu]
    if second:
        far |= operands.far_units[bmu2]
    if missing is not None:
        far |= missing.any(axis=1)
    if far.any():
        rows = np.flatnonzero(far)
        G_far = G[rows]
        if second:
            G_far[np.arange(rows.size), bmu[rows]] = best[rows]
        exact = _exact_best_units(
            X_chunk[rows], X_aug[rows], G_far, operands,
            None if missing is None else missing[rows], 2 if second else 1,
        )
        bmu[rows] = exact[0]
        if second:
            bmu2[rows] = exact[1]
    return (bmu, bmu2) if second else bmu


def _exact_best_units(X_rows, X_aug, G, operands, missing, ranks):
    """The ``ranks`` best units of rows as exact arithmetic ranks them, but for
    ties, from their products ``X_aug`` and ``G`` (overwritten): a list of
    ``ranks`` index arrays.

    The product ranks them first. A row whose ranked scores lie further apart
    than twice their rounding bound keeps that order; the others are ranked
    again among the units that score within the bound, by float64 direct
    differences Σ_f (x_f − w_kf)² over the row's observed features (an exact
    tie goes to the lower index).
    """
    m, n_units = G.shape
    n_features = X_rows.shape[1]
    flat = G.reshape(-1)
    first = np.arange(0, m * n_units, n_units)
    units, scores = [], []
    for rank in range(ranks + 1):
        if rank:
            flat[first + units[-1]] = -np.inf  # then the next best
        units.append(G.argmax(axis=1))
        scores.append(flat.take(first + units[-1]).astype(np.float64))
    # The bound of best_units, E = k u (‖x − μ‖ρ + ρ²), with the factor
    # 1 + 4ku for the terms beyond the first order, and ρ from the ranked units
    # j: ‖x − w_j‖² ≤ ‖x − μ‖² − 2(G_j − E_j), where ‖x − μ‖² exceeds that of
    # the rounded, centred sample by at most a factor 1 + 3u.
    u = 0.5 * np.finfo(G.dtype).eps
    norms = operands.norms
    X_c = X_aug[:, :n_features]
    a_sq = np.einsum("ij,ij->i", X_c, X_c, dtype=np.float64) * (1.0 + 3.0 * u)
    a = np.sqrt(a_sq)
    k = np.full(m, (n_features + 3) * u)
    if missing is not None:
        incomplete = missing.any(axis=1)
        k[incomplete] = (2 * n_features + 4) * u
    k *= 1.0 + 4.0 * k
    reach_sq = np.zeros(m)
    for unit, score in zip(units[:ranks], scores, strict=False):
        r = norms[unit]
        reach_sq = np.maximum(reach_sq, a_sq - 2.0 * score + 2.0 * k * (a + r) * r)
    rho = np.minimum(a + np.sqrt(reach_sq), norms.max())
    if missing is not None:
        rho[incomplete] = norms.max()
    tolerance = 2.0 * k * (a + rho) * rho
    certain = np.isfinite(scores[0])
    for better, worse in zip(scores[:ranks], scores[1:], strict=True):
        certain &= better - worse > tolerance
    redo = np.flatnonzero(~certain)
    if redo.size:
        # Candidates: the ranked units and every unit that may score above the
        # last of them.
        G_redo = G[redo]
        floor = scores[ranks - 1][redo] - tolerance[redo]
        candidate = G_redo >= floor[:, None]
        candidate[~np.isfinite(floor) | np.isnan(G_redo).any(axis=1)] = True
        for unit in units[:ranks]:
            candidate[np.arange(redo.size), unit[redo]] = True
        exact = _exact_ranks(
            X_rows[redo], operands.W, candidate,
            None if missing is None else missing[redo], ranks,
        )
        for unit, exact_unit in zip(units, exact, strict=False):
            unit[redo] = exact_unit
    return units[:ranks]


def _exact_ranks(X_rows, W, candidate, missing, ranks):
    """The ``ranks`` nearest candidate units of every row, by float64 direct
    differences over its observed features (the lower index first on exact
    ties): a list of ``ranks`` index arrays.

    ``candidate`` (rows, n_units) marks the units to compare, at least
    ``ranks`` per row.
    """
    row, unit = np.nonzero(candidate)
    diff = X_rows[row] - W[unit]
    if missing is not None:
        diff[missing[row]] = 0.0
    d_sq = np.full(candidate.shape, np.inf)
    d_sq[row, unit] = np.einsum("ij,ij->i", diff, diff)
    index = np.arange(len(d_sq))
    units = []
    for _ in range(ranks):
        units.append(d_sq.argmin(axis=1))
        d_sq[index, units[-1]] = np.inf
    return units


def two_best_units(X_chunk, operands, buffers, masked):
    """Best and second-best units of a chunk (:func:`best_units`), and each
    row's distance to its best prototype (over its observed features where
    ``masked``).

    Returns ``(bmu, bmu2, dist)``; ``dist`` is float64.
    """
    missing = missing_mask(X_chunk) if masked else None
    _, bmu, bmu2 = chunk_units(X_chunk, operands, buffers, missing=missing,
                               second=True)
    # The direct difference in float64, not ‖x‖² − 2G: the reported error is
    # accurate to the last bit of the dtype, wherever the sample lies.
    diff = X_chunk - operands.W[bmu]
    if missing is not None:
        diff[missing] = 0.0
    dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return bmu, bmu2, dist


def best_matching_units(X, W, *, masked=None, n_workers=None):
    """Index of the best-matching unit of every row of ``X``, shape (n_samples,).

    Ranked as :func:`best_units` ranks them. ``masked``: whether ``X`` holds
    NaN (:func:`has_missing`); None finds out. ``n_workers``: threads, as in
    :func:`map_chunks`.
    """
    operands = bmu_operands(W, X.dtype)
    if masked is None:
        masked = has_missing(X)

    bmu = np.empty(X.shape[0], dtype=np.intp)

    def work(batch, buffers):
        X_chunk = X[batch]
        missing = missing_mask(X_chunk) if masked else None
        bmu[batch] = chunk_units(X_chunk, operands, buffers, missing=missing)[1]

    for _ in map_chunks(X, operands, work, n_workers=n_workers):
        pass
    return bmu


def bmu_and_errors(X, sample_weight, W, coords, periods, *, masked=None,
                   n_workers=None, reach=1.0):
    """Best-matching units, Σ s·‖x − w_c‖ and Σ s·[c, c₂ not adjacent].

    ``c₂`` is the second-best unit; ``coords`` and ``periods`` place the units
    on the grid (:mod:`sknn_math._som_grid`). With NaN in ``X`` (``masked``;
    None finds out) units and distances use each sample's observed features.
    ``n_workers``: threads, as in :func:`map_chunks`. ``reach``: the grid
    distance within which two units are adjacent (:func:`._som_grid.is_adjacent`).
    """
    operands = bmu_operands(W, X.dtype)
    if masked is None:
        masked = has_missing(X)

    def work(batch, buffers):
        bmu, bmu2, dist = two_best_units(X[batch], operands, buffers, masked)
        wrong = ~is_adjacent(grid_distances(coords[bmu], coords[bmu2], periods),
                             reach)
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
    threads, as in :func:`map_chunks`). The product's rounding grows with
    ‖x − μ‖ ‖w − μ‖ (:func:`best_units`): the distances of the samples further
    from μ than :data:`FAR` times the codebook's radius, and to the far units,
    are direct differences instead.
    """
    n_samples, n_features = X.shape
    operands = bmu_operands(W, np.float64)
    D = np.empty((n_samples, W.shape[0]), dtype=X.dtype)
    far_units = (
        None if operands.far_units is None else np.flatnonzero(operands.far_units)
    )

    def block_work(X_chunk, missing, buffers):
        X_aug, G = chunk_products(X_chunk, operands, buffers, missing=missing)
        X_c = X_aug[:, :n_features]
        x_sq = np.einsum("ij,ij->i", X_c, X_c)
        d_sq = x_sq[:, None] - 2.0 * G
        far_rows = np.flatnonzero(x_sq > (FAR * operands.radius) ** 2)
        if far_rows.size:
            d_sq[far_rows] = _direct_sq_distances(
                X_chunk[far_rows], operands.W,
                None if missing is None else missing[far_rows],
            )
        if far_units is not None:
            d_sq[:, far_units] = _direct_sq_distances(
                X_chunk, operands.W[far_units], missing
            )
        return np.sqrt(np.maximum(d_sq, 0.0))

    def work(batch, buffers):
        X_chunk = X[batch]
        missing = missing_mask(X_chunk)
        for block in _blocks(X_chunk.shape[0], buffers.block_rows):
            D[batch][block] = block_work(
                X_chunk[block], None if missing is None else missing[block],
                buffers.block(block),
            )

    for _ in map_chunks(X, operands, work, n_workers=n_workers):
        pass
    return D


def _direct_sq_distances(X_rows, W, missing):
    """Σ_f (x_f − w_kf)² over the observed features of every row, in float64:
    (rows, units), a few rows at a time within the cache."""
    q, n_features = X_rows.shape
    d_sq = np.empty((q, W.shape[0]))
    rows = chunk_n_rows(8 * W.size, q, fit_in_cache=True)
    for batch in gen_batches(q, rows):
        diff = X_rows[batch, None, :] - W
        if missing is not None:
            np.copyto(diff, 0.0, where=missing[batch, None, :])
        d_sq[batch] = np.einsum("ijk,ijk->ij", diff, diff)
    return d_sq
