"""The training rules of the self-organizing map: one epoch of each.

Batch (Kohonen's batch map), a map-reduce in three steps::

    chunk_statistics(X_chunk, s_chunk, operands)   per chunk of rows: S_j, n_j
    sum_statistics(...)                            add them up
    batch_update(W, S_aug, mu, H)                  w_k = μ + Σ_j h S_j / Σ_j h n_j

The first step reads nothing but its chunk, the chunk's sample weights and the
best-matching-unit operands, so any executor can run it on each block of the
data (here worker threads; a Dask cluster or a GPU later) and the second step is
a plain sum. Online (Kohonen's original rule) is sequential by definition: one
update per sample.

Missing values (NaN): a sample counts for the features it has. Its
best-matching unit comes from its observed features
(:func:`~sknn_math._som_bmu.chunk_units`); the batch rule sums each feature
over the samples where it is observed, with a count per unit and feature
n_jf = Σ s_i M_if beside the sums (M the 0/1 mask of observed entries); the
online rule moves the observed features only. Data without NaN run the plain
code.
"""

from math import sqrt

import numpy as np
from scipy import sparse

from ._som_bmu import (
    bmu_operands,
    chunk_units,
    has_missing,
    map_chunks,
    missing_mask,
)

__all__ = [
    "DIVERGED_REACH",
    "batch_epoch",
    "batch_update",
    "chunk_statistics",
    "divergence_limit",
    "epoch_statistics",
    "online_epoch",
    "sum_statistics",
]


# --------------------------------------------------------------------------------
# Batch rule.
# --------------------------------------------------------------------------------


def chunk_statistics(X_chunk, sample_weight_chunk, operands, *, with_error=False,
                     buffers=None, masked=False):
    """Per-unit weighted sums ``S_j`` and counts ``n_j`` of one chunk of rows.

    Parameters
    ----------
    X_chunk : ndarray of shape (m, n_features)
        Rows of the data.
    sample_weight_chunk : ndarray of shape (m,) or None
        Their weights; None weighs every row 1.
    operands : BMUOperands
        The codebook, from :func:`~sknn_math._som_bmu.bmu_operands`.
    with_error : bool, default=False
        Also return Σ s_i ‖x_i − w_c(i)‖ (for ``verbose``); 0.0 otherwise.
    buffers : optional
        A worker thread's scratch (:func:`~sknn_math._som_bmu.map_chunks`).
    masked : bool, default=False
        The data may hold NaN (every chunk of a pass must agree): sums over
        observed entries only, and counts per feature.

    Returns
    -------
    S_aug : ndarray of shape (n_units, n_features + 1), or (n_units, \
            2 * n_features + 1) when ``masked``
        ``S_aug[:, :n_features]`` holds Σ s_i (x_i − μ) over the rows whose
        best-matching unit is j (observed entries only), ``S_aug[:, n_features]``
        holds Σ s_i, and when ``masked`` ``S_aug[:, n_features + 1:]`` holds the
        counts per feature n_jf = Σ s_i [x_if observed]; in the dtype of
        ``operands``.
    error : float
        The weighted error sum, or 0.0.
    """
    missing = missing_mask(X_chunk) if masked else None
    X_aug, bmu = chunk_units(X_chunk, operands, buffers, missing=missing)
    m = X_chunk.shape[0]
    n_units = operands.W_aug.shape[1]
    dtype = X_aug.dtype
    s = (
        np.ones(m, dtype=dtype)
        if sample_weight_chunk is None
        else sample_weight_chunk.astype(dtype, copy=False)
    )
    # The sums are one sparse one-hot product, Mᵀ X_aug with M[i, j] = s_i
    # [bmu(i) = j]; the ones column of X_aug yields the counts. Mᵀ stored as
    # CSC: column i holds the single entry s_i at row bmu(i).
    M_T = sparse.csc_array((s, bmu, np.arange(m + 1)), shape=(n_units, m))
    S_aug = M_T @ X_aug
    if masked:
        # The counts per feature are one more statistic: Mᵀ times the 0/1 mask
        # of observed entries (every entry of a chunk without NaN: n_j).
        n_features = X_chunk.shape[1]
        counts = (
            np.repeat(S_aug[:, n_features:], n_features, axis=1)
            if missing is None
            else M_T @ (~missing).astype(dtype)
        )
        S_aug = np.hstack([S_aug, counts])
    error = 0.0
    if with_error:
        # Direct differences in float64 (observed entries only).
        diff = X_chunk - operands.W[bmu]
        if missing is not None:
            diff[missing] = 0.0
        error = float(s @ np.sqrt(np.einsum("ij,ij->i", diff, diff)))
    return S_aug, error


def sum_statistics(parts, shape):
    """Add up the ``(S_aug, error)`` of the chunks: a plain sum, in their order.

    Summed in the data's dtype within a chunk, in float64 across chunks: float32
    rounding stays bounded by the chunk size, not the data size.
    """
    S_aug = np.zeros(shape)
    error_sum = 0.0
    for S_chunk, error in parts:
        S_aug += S_chunk
        error_sum += error
    return S_aug, error_sum


def batch_update(W, S_aug, mu, H, previous_mass=None):
    """New codebook from the per-unit sums and the neighbourhood matrix ``H``.

    .. math:: w_k = μ + Σ_j h(j,k) S_j / Σ_j h(j,k) n_j

    One product H @ [S | n] gives numerators and denominators together. With
    ``previous_mass`` A_k (partial_fit at a fixed radius), the old prototype
    counts as A_k samples: w_k = μ + (A_k (w_k − μ) + num_k) / (A_k + den_k).
    Units whose denominator is zero (no hit within a bubble) keep their weights.
    Returns the codebook, in ``W``'s dtype, and the denominators.

    With the counts per feature of masked statistics (``S_aug`` of width
    2·n_features + 1, see :func:`chunk_statistics`) every feature has its own
    denominator, w_kf = μ_f + Σ_j h(j,k) S_jf / Σ_j h(j,k) n_jf, a unit without
    observed mass for a feature keeps its weight there, and the denominators
    (and ``previous_mass``, either form) are (n_units, n_features).
    """
    n_features = W.shape[1]
    if S_aug.shape[1] > n_features + 1 or (
        previous_mass is not None and previous_mass.ndim == 2
    ):
        return _batch_update_per_feature(W, S_aug, mu, H, previous_mass)
    num_den = H @ S_aug
    numerator = num_den[:, :-1]
    denominator = num_den[:, -1].copy()
    W_c = W.astype(np.float64) - mu
    if previous_mass is not None:
        numerator = numerator + previous_mass[:, None] * W_c
        denominator += previous_mass
    has_mass = denominator > 0
    W_new = np.divide(
        numerator, denominator[:, None], out=W_c.copy(), where=has_mass[:, None]
    )
    W_new += mu
    return W_new.astype(W.dtype), denominator


def _batch_update_per_feature(W, S_aug, mu, H, previous_mass):
    """:func:`batch_update` with one denominator per unit and feature."""
    n_units, n_features = W.shape
    num_den = H @ S_aug
    numerator = num_den[:, :n_features]
    if S_aug.shape[1] > n_features + 1:
        denominator = num_den[:, n_features + 1:].copy()
    else:  # NaN-free statistics after masked ones (partial_fit)
        denominator = np.repeat(num_den[:, n_features:], n_features, axis=1)
    W_c = W.astype(np.float64) - mu
    if previous_mass is not None:
        A = previous_mass if previous_mass.ndim == 2 else previous_mass[:, None]
        numerator = numerator + A * W_c
        denominator += A
    W_new = np.divide(numerator, denominator, out=W_c.copy(), where=denominator > 0)
    W_new += mu
    return W_new.astype(W.dtype), denominator


def epoch_statistics(X, sample_weight, operands, *, with_error=False, masked=False,
                     n_workers=None):
    """Steps one and two of the batch rule on ``X``: ``(S_aug, error_sum)``.

    :func:`chunk_statistics` of every chunk of rows (on ``n_workers`` threads,
    see :func:`~sknn_math._som_bmu.map_chunks`), added up in float64 by
    :func:`sum_statistics`. ``X`` is the whole data in memory, or one block of
    it on a Dask worker; the blocks' results add up as the chunks' do.
    """

    def work(batch, buffers):
        s = None if sample_weight is None else sample_weight[batch]
        return chunk_statistics(
            X[batch], s, operands, with_error=with_error, buffers=buffers,
            masked=masked,
        )

    n_features = X.shape[1]
    width = 2 * n_features + 1 if masked else n_features + 1
    # Statistics of every chunk of rows, on worker threads ...
    parts = map_chunks(X, operands, work, n_workers=n_workers)
    # ... added up.
    return sum_statistics(parts, (operands.W_aug.shape[1], width))


def batch_epoch(X, sample_weight, W, H, *, previous_mass=None, with_error=False,
                masked=None):
    """One epoch of the batch rule; returns ``(W, mass, error_sum)``.

    ``H`` is the (n_units, n_units) neighbourhood matrix at this epoch's radius
    (an array, or a :class:`._som_kernels.SeparableNeighbourhood`: only
    ``H @ S`` is taken),
    ``mass`` the denominators Σ_j h(j,k) n_j (per feature, Σ_j h(j,k) n_jf, when
    ``X`` holds NaN), ``error_sum`` Σ s ‖x − w_c‖ of the codebook the epoch
    started from (with ``with_error``, else 0). ``masked``: whether ``X`` holds
    NaN; None finds out.
    """
    operands = bmu_operands(W, X.dtype)
    if masked is None:
        masked = has_missing(X)
    S_aug, error_sum = epoch_statistics(
        X, sample_weight, operands, with_error=with_error, masked=masked
    )
    # Update the codebook, with μ as the update sees it (in X's dtype).
    mu = operands.mu.astype(np.float64)
    W, mass = batch_update(W, S_aug, mu, H, previous_mass=previous_mass)
    return W, mass, error_sum


# --------------------------------------------------------------------------------
# Online rule.
# --------------------------------------------------------------------------------

# The online rule has diverged once a prototype lies further beyond the data's
# bounding box than it lay at the start of the pass, by more than this many
# times the longest side of the box or of the codebook's own box.
DIVERGED_REACH = 10.0

# Steps between two looks at the codebook's reach. An expansive step multiplies a
# distance by at most |1 − η h| ≤ 1.45 (η ≤ 1, h ≥ −2 e^(−3/2)), so the reach
# grows by at most 1.45¹²⁸ ≈ 10²¹ between looks: far from the float64 range, and
# an overflow to infinity or NaN is caught all the same.
_REACH_EVERY = 128


class _Reach:
    """How far the codebook lies beyond the bounding box of the data.

    A step w ← w + a (x − w) with 0 ≤ a ≤ 1 (a non-negative kernel, η ≤ 1) is a
    convex combination of w and a sample, so it never takes a prototype further
    from the box; only a negative kernel value (a < 0) does, and the mexican
    hat's negative lobe can make the rule expansive. Features that no sample
    observes are left out (the rule never moves them).
    """

    def __init__(self, X, W, masked):
        if masked:
            missing = np.isnan(X)
            low = np.where(missing, np.inf, X).min(axis=0)
            high = np.where(missing, -np.inf, X).max(axis=0)
        else:
            low, high = X.min(axis=0), X.max(axis=0)
        observed = low <= high
        self.features = slice(None) if observed.all() else np.flatnonzero(observed)
        self.low = low[self.features].astype(np.float64)
        self.high = high[self.features].astype(np.float64)
        W_seen = W[:, self.features]
        self.span = float((self.high - self.low).max(initial=0.0))
        scale = max(
            self.span,
            float((W_seen.max(axis=0) - W_seen.min(axis=0)).max(initial=0.0)),
            # a floor for a codebook and data that are a single point
            np.finfo(X.dtype).eps * float(np.abs(W_seen).max(initial=1.0)),
        )
        self.limit = self(W) + DIVERGED_REACH * scale

    def __call__(self, W):
        # The units' box against the data's box: two reductions over W.
        W = W[:, self.features]
        beyond = np.maximum(W.max(axis=0) - self.high, self.low - W.min(axis=0))
        return float(beyond.max(initial=0.0))

    def check(self, W, steps):
        reach = self(W)
        if not reach <= self.limit:
            self.fail(reach, steps)

    def fail(self, reach, steps):
        """Raise the divergence error: ``reach`` after ``steps`` steps."""
        raise ValueError(
                f"Training diverged: after {steps} online steps a prototype lies "
                f"{reach:.3g} beyond the bounding box of the data, whose longest "
                f"side is {self.span:.3g}. The step w ← w + η h (x − w) pushes a "
                "unit away from the sample where h < 0 (the mexican hat beyond "
                "σ), and grows without bound when η |h| is large. Lower "
                "learning_rate_start, narrow the negative lobe with a smaller "
                "sigma_start, or choose another neighborhood (e.g. 'gaussian')."
            )


def divergence_limit(X, W, masked=None):
    """How far beyond the data's bounding box the codebook may go before a pass
    of the online rule counts as diverging, set once for a whole fit from the
    data and the initial codebook (:class:`_Reach`): a limit taken afresh at
    every epoch would grow with a diverging codebook and never be reached."""
    if masked is None:
        masked = has_missing(X)
    return _Reach(X, W, masked).limit


def online_epoch(
    X, sample_weight, W, grid_dist, order, sigmas, etas, kernel, *, with_error=False,
    masked=None, reach_limit=None,
):
    """One pass of Kohonen's online rule over ``X[order]``, updating ``W`` in place.

    .. math:: w_k ← w_k + η(t) h(c, k; σ(t)) (x − w_k)

    A sample of weight s counts as s consecutive presentations:
    (1 − a)^s is what is left of w_k − x after s steps of size a = η h, so
    the step is 1 − (1 − a)^s (a weight of 0 is no step).
    Returns Σ s ‖x − w_c‖ before each step (with ``with_error``, else 0).
    A sample with NaN (``masked``; None finds out) finds its unit by, and moves
    the prototypes in, its observed features only: x − w_k is 0 elsewhere.

    A ``ValueError`` stops a pass that diverges: a prototype that moves more
    than :data:`DIVERGED_REACH` times the extent of the data (or of the
    codebook) further beyond the data's bounding box, or that is no longer
    finite, looked for every few steps. ``reach_limit`` (from
    :func:`divergence_limit` at the start of a fit) holds the limit fixed over
    the fit's epochs; None sets it from this pass's start.
    """
    if masked is None:
        masked = has_missing(X)
    incomplete = (
        frozenset(np.flatnonzero(np.isnan(X).any(axis=1)).tolist())
        if masked
        else frozenset()
    )
    reach = _Reach(X, W, masked)
    if reach_limit is not None:
        reach.limit = reach_limit
    dtype = W.dtype
    error_sum = 0.0
    diff = np.empty_like(W)
    d_sq = np.empty(W.shape[0], dtype=dtype)
    # Python scalars and lists: this loop is sequential by definition, so its
    # per-step overhead is what there is to save.
    sigmas = np.asarray(sigmas, dtype=np.float64).tolist()
    etas = np.asarray(etas, dtype=np.float64).tolist()
    weights = None if sample_weight is None else sample_weight.tolist()
    order = np.asarray(order).tolist()
    for start in range(0, len(order), _REACH_EVERY):
        for step, i in enumerate(order[start:start + _REACH_EVERY], start):
            np.subtract(X[i], W, out=diff)
            if masked and i in incomplete:
                diff[:, np.isnan(X[i])] = 0.0
            np.einsum("ij,ij->i", diff, diff, out=d_sq)
            c = d_sq.argmin()
            if with_error:
                weight = 1.0 if weights is None else weights[i]
                error_sum += weight * sqrt(max(float(d_sq[c]), 0.0))
            a = kernel(grid_dist[c], sigmas[step])
            a *= etas[step]
            if weights is not None:
                s = weights[i]
                if s == 0.0:
                    continue  # no presentation (and 0 · log1p(−1) is NaN)
                # s steps of size a leave (1 − a)^s of x − w_k. Formed as
                # −expm1(s log1p(−a)), not 1 − (1 − a)^s, where 1 − a would
                # round a small step away (a = 1e-20, s = 1e306 must give 1);
                # a = 1 makes log1p −inf, the full step. A negative a (the
                # mexican hat's lobe) may overflow to −∞: a push to infinity.
                with np.errstate(divide="ignore", over="ignore"):
                    a = -np.expm1(s * np.log1p(-a))
                if a.min() == -np.inf:
                    reach.fail(np.inf, step + 1)
            diff *= a.astype(dtype, copy=False)[:, None]
            W += diff
        reach.check(W, step + 1)
    return error_sum
