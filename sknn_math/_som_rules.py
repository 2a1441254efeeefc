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
"""

from math import sqrt

import numpy as np
from scipy import sparse

from ._som_bmu import bmu_operands, chunk_products, map_chunks

__all__ = [
    "batch_epoch",
    "batch_update",
    "chunk_statistics",
    "online_epoch",
    "sum_statistics",
]


# --------------------------------------------------------------------------------
# Batch rule.
# --------------------------------------------------------------------------------


def chunk_statistics(X_chunk, sample_weight_chunk, operands, *, with_error=False,
                     buffers=None):
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

    Returns
    -------
    S_aug : ndarray of shape (n_units, n_features + 1)
        ``S_aug[:, :-1]`` holds Σ s_i (x_i − μ) over the rows whose
        best-matching unit is j, ``S_aug[:, -1]`` holds Σ s_i; in the dtype of
        ``operands``.
    error : float
        The weighted error sum, or 0.0.
    """
    X_aug, G = chunk_products(X_chunk, operands, buffers)
    bmu = G.argmax(axis=1)
    m, n_units = G.shape
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
    error = 0.0
    if with_error:
        # ‖x − w_c‖² = ‖x‖² − 2 G[i, c] on the centred data.
        X_c = X_aug[:, :-1]
        x_sq = np.einsum("ij,ij->i", X_c, X_c)
        d_sq = np.maximum(x_sq - 2.0 * G[np.arange(m), bmu], 0.0)
        error = float(s @ np.sqrt(d_sq))
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
    """
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


def batch_epoch(X, sample_weight, W, H, *, previous_mass=None, with_error=False):
    """One epoch of the batch rule; returns ``(W, mass, error_sum)``.

    ``H`` is the (n_units, n_units) neighbourhood matrix at this epoch's radius,
    ``mass`` the denominators Σ_j h(j,k) n_j, ``error_sum`` Σ s ‖x − w_c‖ of the
    codebook the epoch started from (with ``with_error``, else 0).
    """
    operands = bmu_operands(W, X.dtype)

    def work(batch, buffers):
        s = None if sample_weight is None else sample_weight[batch]
        return chunk_statistics(
            X[batch], s, operands, with_error=with_error, buffers=buffers
        )

    # Statistics of every chunk of rows, on worker threads ...
    parts = map_chunks(X, operands, work)
    # ... added up ...
    S_aug, error_sum = sum_statistics(parts, (W.shape[0], X.shape[1] + 1))
    # ... update the codebook, with μ as the update sees it (in X's dtype).
    mu = operands.mu.astype(np.float64)
    W, mass = batch_update(W, S_aug, mu, H, previous_mass=previous_mass)
    return W, mass, error_sum


# --------------------------------------------------------------------------------
# Online rule.
# --------------------------------------------------------------------------------


def online_epoch(
    X, sample_weight, W, grid_dist, order, sigmas, etas, kernel, *, with_error=False
):
    """One pass of Kohonen's online rule over ``X[order]``, updating ``W`` in place.

    .. math:: w_k ← w_k + η(t) h(c, k; σ(t)) (x − w_k)

    A sample of weight s counts as s consecutive presentations:
    (1 − a)^s is what is left of w_k − x after s steps of size a = η h.
    Returns Σ s ‖x − w_c‖ before each step (with ``with_error``, else 0).
    """
    dtype = W.dtype
    error_sum = 0.0
    diff = np.empty_like(W)
    d_sq = np.empty(W.shape[0], dtype=dtype)
    # Python scalars and lists: this loop is sequential by definition, so its
    # per-step overhead is what there is to save.
    sigmas = np.asarray(sigmas, dtype=np.float64).tolist()
    etas = np.asarray(etas, dtype=np.float64).tolist()
    weights = None if sample_weight is None else sample_weight.tolist()
    for step, i in enumerate(np.asarray(order).tolist()):
        np.subtract(X[i], W, out=diff)
        np.einsum("ij,ij->i", diff, diff, out=d_sq)
        c = d_sq.argmin()
        if with_error:
            weight = 1.0 if weights is None else weights[i]
            error_sum += weight * sqrt(max(float(d_sq[c]), 0.0))
        a = kernel(grid_dist[c], sigmas[step])
        a *= etas[step]
        if weights is not None:
            a = 1.0 - np.power(1.0 - a, weights[i])
        diff *= a.astype(dtype, copy=False)[:, None]
        W += diff
    return error_sum
