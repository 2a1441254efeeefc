"""Initial codebook of a self-organizing map: the data's principal plane.

The weighted principal axes give ``init='pca'`` its codebook and the map-shape
rule (:func:`sknn_math._som_grid.pick_map_shape`) its side ratio.

Data with missing values (NaN): the mean of a feature is taken over the samples
that observe it, and the covariance of two features over the samples that
observe both (pairwise deletion), each with its own weight sum. Filling the
gaps with the means instead would shrink every variance by the share of missing
values, and with it the span of the initial map; pairwise estimates are
unbiased when values are missing at random (the matrix may then be slightly
indefinite: its negative eigenvalues count as 0, as rounding's do).
"""

from math import sqrt

import numpy as np
from sklearn.utils import gen_batches

from ._parallel import chunk_n_rows
from ._som_bmu import has_missing

__all__ = [
    "covariance_sums",
    "mean_sums",
    "observed_means",
    "pca_codebook",
    "principal_axes",
    "weighted_pca",
    "weighted_ratio",
]


def _weights(n_samples, sample_weight):
    return (
        np.ones(n_samples)
        if sample_weight is None
        else sample_weight.astype(np.float64, copy=False)
    )


# The principal axes are two map-reduce passes over the rows: weighted sums for
# the mean, then weighted centred products for the covariance. Each ``*_sums``
# function below is one pass over the rows it is given, all of X in memory or
# one block of a Dask array; the sums of the blocks add up to those of X.


def mean_sums(X, sample_weight, *, masked=False):
    """``(Σ_i s_i x_i, weight)`` over the rows of ``X``, in float64.

    ``weight`` is Σ s_i, or with ``masked`` (NaN in ``X``) Σ s_i [x_if observed]
    per feature, and the sums skip the missing entries.
    """
    n_samples, n_features = X.shape
    w = _weights(n_samples, sample_weight)
    rows = chunk_n_rows(2 * n_features * 8, n_samples, fit_in_cache=True)
    total = np.zeros(n_features)
    if not masked:
        for batch in gen_batches(n_samples, rows):
            total += w[batch] @ X[batch].astype(np.float64, copy=False)
        return total, w.sum()
    observed_weight = np.zeros(n_features)
    for batch in gen_batches(n_samples, rows):
        X_batch = X[batch].astype(np.float64)
        observed = ~np.isnan(X_batch)
        X_batch[~observed] = 0.0
        total += w[batch] @ X_batch
        observed_weight += w[batch] @ observed
    return total, observed_weight


def covariance_sums(X, sample_weight, mean, *, masked=False):
    """``(Σ_i s_i (x_i − μ)(x_i − μ)ᵀ, weight)`` over the rows of ``X``, float64.

    ``weight`` is Σ s_i, or with ``masked`` the weight of every pair of features
    observed together, (n_features, n_features), and the sums skip the pairs
    not observed.
    """
    n_samples, n_features = X.shape
    w = _weights(n_samples, sample_weight)
    if not masked:
        # A float64 copy and its weighted twin per row.
        rows = chunk_n_rows(2 * n_features * 8, n_samples, fit_in_cache=True)
        cov = np.zeros((n_features, n_features))
        for batch in gen_batches(n_samples, rows):
            centred = X[batch].astype(np.float64) - mean
            cov += (centred * w[batch, None]).T @ centred
        return cov, w.sum()
    return _pairwise_covariance(X, w, mean)


def _pairwise_covariance(X, w, mean):
    """:func:`covariance_sums` of data with NaN: the sums and weights of every
    pair of features over the samples that observe both."""
    n_samples, n_features = X.shape
    rows = chunk_n_rows(3 * n_features * 8, n_samples, fit_in_cache=True)
    cov = np.zeros((n_features, n_features))
    pair_weight = np.zeros((n_features, n_features))
    for batch in gen_batches(n_samples, rows):
        centred = X[batch].astype(np.float64) - mean
        observed = ~np.isnan(centred)
        centred[~observed] = 0.0
        cov += (centred * w[batch, None]).T @ centred
        observed = observed.astype(np.float64)
        pair_weight += (observed * w[batch, None]).T @ observed
    return cov, pair_weight


def weighted_ratio(sums, weight):
    """``sums / weight``; 0 where the weight is 0 (a feature never observed)."""
    if np.ndim(weight) == 0:
        return sums / weight
    return np.divide(sums, weight, out=np.zeros_like(sums), where=weight > 0)


def observed_means(X, sample_weight):
    """Weighted mean of every feature over the samples where it is observed.

    Returns ``(mean, observed_weight)``, both of shape (n_features,), in float64:
    the weight sum of the observed values of a feature is 0 when it has none,
    and then its mean is 0.
    """
    total, observed_weight = mean_sums(X, sample_weight, masked=True)
    return weighted_ratio(total, observed_weight), observed_weight


def weighted_pca(X, sample_weight, *, masked=None):
    """Weighted mean, eigenvalues (descending) and eigenvectors (columns).

    The covariance is accumulated over chunks of centred rows in float64, so a
    large offset in the data costs no precision and no copy of ``X``. With NaN in
    ``X`` (``masked``; None finds out) the mean and covariance use the observed
    entries (pairwise, see the module's notes).
    """
    if masked is None:
        masked = has_missing(X)
    mean = weighted_ratio(*mean_sums(X, sample_weight, masked=masked))
    cov = weighted_ratio(*covariance_sums(X, sample_weight, mean, masked=masked))
    return principal_axes(mean, cov)


def principal_axes(mean, cov):
    """Mean, eigenvalues (descending, ≥ 0) and sign-fixed eigenvectors of ``cov``."""
    n_features = cov.shape[0]
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues = np.maximum(eigenvalues[::-1], 0.0)
    eigenvectors = eigenvectors[:, ::-1]
    # Eigenvectors are defined up to sign; fix it (largest component positive) so
    # that equal data give equal maps whatever LAPACK returns.
    largest = np.argmax(np.abs(eigenvectors), axis=0)
    signs = np.sign(eigenvectors[largest, np.arange(n_features)])
    signs[signs == 0] = 1.0
    eigenvectors *= signs
    return mean, eigenvalues, eigenvectors


def pca_codebook(pca, coords, n_samples, n_features, map_shape):
    """Prototypes spread evenly over the plane of the leading principal axes.

    ``pca`` is :func:`weighted_pca`'s result, ``coords`` the units' grid
    positions, ``map_shape`` (n_rows, n_cols) names the map in the error raised
    when the data have fewer directions of variance than the map dimensions.
    """
    mean, eigenvalues, eigenvectors = pca
    coords = coords - coords.mean(axis=0)
    extent = np.abs(coords).max(axis=0)
    # The longer grid axis follows the first principal axis; rows win ties,
    # matching the shape rule that puts the first axis along the rows.
    axes = [a for a in (1, 0) if extent[a] > 0]
    axes.sort(key=lambda a: -extent[a])
    tol = eigenvalues[0] * max(n_samples, n_features) * np.finfo(np.float64).eps
    rank = int(np.sum(eigenvalues > tol)) if eigenvalues[0] > 0 else 0
    if rank < len(axes):
        n_rows, n_cols = map_shape
        raise ValueError(
            f"init='pca' spreads a {n_rows}×{n_cols} map over "
            f"{len(axes)} principal axes, but X (n_samples={n_samples}, "
            f"n_features={n_features}) varies along only {rank}. Use "
            "init='random' or init='sample', or a map with fewer dimensions "
            "(n_rows=1 for a line)."
        )
    W = np.tile(mean, (coords.shape[0], 1))
    for pc, axis in enumerate(axes):
        # Span ±√3 standard deviations: exactly the extent of uniform data.
        spread = sqrt(3.0 * eigenvalues[pc])
        W += np.outer(coords[:, axis] / extent[axis] * spread, eigenvectors[:, pc])
    return W

