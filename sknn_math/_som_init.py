"""Initial codebook of a self-organizing map: the data's principal plane.

The weighted principal axes give ``init='pca'`` its codebook and the map-shape
rule (:func:`sknn_math._som_grid.pick_map_shape`) its side ratio. Only the two
leading axes are ever needed, so they come from the cheapest exact route
(:func:`weighted_pca`): the eigendecomposition of the features × features
covariance when features are few, of the samples × samples Gram matrix when
samples are few, and otherwise Lanczos iterations over the centred, weighted
rows, which never form either matrix.

Data with missing values (NaN): the mean of a feature is taken over the samples
that observe it, and the covariance of two features over the samples that
observe both (pairwise deletion), each with its own weight sum. Filling the
gaps with the means instead would shrink every variance by the share of missing
values, and with it the span of the initial map; pairwise estimates are
unbiased when values are missing at random (the matrix may then be slightly
indefinite: its negative eigenvalues count as 0, as rounding's do). This path,
like the Dask one (:mod:`._som_dask`), forms the features × features matrix:
memory grows as n_features².
"""

from math import sqrt

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh
from sklearn.utils import gen_batches

from ._parallel import chunk_n_rows, map_in_order
from ._som_bmu import has_missing

__all__ = [
    "SMALL_SIDE",
    "covariance_sums",
    "mean_sums",
    "observed_means",
    "pca_codebook",
    "principal_axes",
    "weighted_pca",
    "weighted_ratio",
]


# Rows per task of the sums on the worker threads: enough cache-sized blocks
# that handing a task to a thread costs a few percent of it.
_TASK_ROWS = 32768


def _block_sums(block_sums, n_samples, rows):
    """``block_sums(batch)`` of every cache-sized block of ``rows`` rows, in
    order, the blocks of a task summed on a worker thread: the sums come out
    in the same order, so the same bits, whatever the number of threads."""
    per_task = max(1, _TASK_ROWS // rows) * rows

    def task_sums(task):
        blocks = range(task.start, task.stop, rows)
        total = block_sums(slice(blocks[0], min(blocks[0] + rows, task.stop)))
        for start in blocks[1:]:
            total += block_sums(slice(start, min(start + rows, task.stop)))
        return total

    return map_in_order(task_sums, gen_batches(n_samples, per_task))


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
        for part in _block_sums(
            lambda batch: w[batch] @ X[batch].astype(np.float64, copy=False),
            n_samples, rows,
        ):
            total += part
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

        def block_sums(batch):
            centred = X[batch].astype(np.float64) - mean
            weighted = centred if sample_weight is None else centred * w[batch, None]
            return weighted.T @ centred

        cov = np.zeros((n_features, n_features))
        for part in _block_sums(block_sums, n_samples, rows):
            cov += part
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


# The side of a Gram matrix (features × features, or samples × samples) up to
# which forming it is the way to the leading axes: at 1024 it holds 8 MiB and its
# exact eigendecomposition takes about 0.15 s. Beyond, the side³ eigensolve
# (2 s at 3000) and the n·side² product that forms the matrix outgrow the ~40
# passes over the data that a Lanczos solve for two axes makes (measured on
# 5000 × 1024 and 2000 × 3000 data: 0.25 s against 0.4 s, and 2.2 s against
# 0.45 s).
SMALL_SIDE = 1024

# Lanczos basis size: a larger basis than ARPACK's default (2k + 1, at least
# 20) halves the passes over the data when the leading eigenvalues are close.
_LANCZOS_VECTORS = 40


def weighted_pca(X, sample_weight, *, masked=None, n_components=2):
    """Weighted mean and the ``n_components`` leading principal axes.

    Returns ``(mean, eigenvalues, eigenvectors)``: the eigenvalues of the
    weighted covariance, descending and ≥ 0, shape (k,), and their sign-fixed
    eigenvectors as columns, shape (n_features, k), with
    k = min(n_components, n_features).

    The route is the cheapest exact one, all in float64 on centred chunks of
    rows (a large offset in the data costs no precision and no copy of ``X``):

    - at most :data:`SMALL_SIDE` features, or NaN in ``X`` (``masked``; None
      finds out; pairwise, see the module's notes): the covariance, formed and
      diagonalised;
    - at most :data:`SMALL_SIDE` samples: the samples × samples Gram matrix of
      the centred rows scaled by √s, the axes mapped back through the data;
    - otherwise: the leading eigenvectors of AᵀA for those scaled rows A, by
      ARPACK's Lanczos iterations from a fixed start (so the result is
      deterministic); each product AᵀA v is one pass over the rows, a chunk
      at a time, and no features × features or samples × samples matrix is
      formed.
    """
    if masked is None:
        masked = has_missing(X)
    n_samples, n_features = X.shape
    k = min(n_components, n_features)
    mean = weighted_ratio(*mean_sums(X, sample_weight, masked=masked))
    if masked or n_features <= SMALL_SIDE:
        cov = weighted_ratio(*covariance_sums(X, sample_weight, mean, masked=masked))
        return principal_axes(mean, cov, n_components=k)
    w = _weights(n_samples, sample_weight)
    if n_samples <= SMALL_SIDE:
        squares, vectors = _gram_axes(X, np.sqrt(w), mean, k)
    else:
        squares, vectors = _lanczos_axes(X, w, mean, k)
    # The covariance is AᵀA / Σs for the scaled rows A = √s (x − μ).
    return mean, *_leading(squares / w.sum(), vectors, k)


def _centred_columns(X, root_w, mean, columns):
    """√s (x − μ) restricted to ``columns``, float64, shape (n_samples, c)."""
    A = X[:, columns].astype(np.float64)
    A -= mean[columns]
    A *= root_w[:, None]
    return A


def _gram_axes(X, root_w, mean, k):
    """Leading eigenpairs (σ², v) of AᵀA for A = √s (X − μ) from the n × n Gram
    matrix A Aᵀ, formed over chunks of columns: for its eigenvector u with
    eigenvalue σ², v = Aᵀ u / σ."""
    n_samples, n_features = X.shape
    columns = chunk_n_rows(2 * n_samples * 8, n_features)
    G = np.zeros((n_samples, n_samples))
    for batch in gen_batches(n_features, columns):
        A = _centred_columns(X, root_w, mean, batch)
        G += A @ A.T
    eigenvalues, U = np.linalg.eigh(G)
    order = np.argsort(eigenvalues)[::-1][:k]
    singular = np.sqrt(np.maximum(eigenvalues[order], 0.0))
    U = U[:, order]
    vectors = np.empty((n_features, k))
    for batch in gen_batches(n_features, columns):
        vectors[batch] = _centred_columns(X, root_w, mean, batch).T @ U
    # A vanishing σ (fewer directions of variance than k) leaves a zero vector;
    # the rank check of pca_codebook reports it.
    np.divide(vectors, singular, out=vectors, where=singular > 0)
    vectors[:, singular == 0] = 0.0
    return singular**2, vectors


def _lanczos_axes(X, w, mean, k):
    """Leading eigenpairs (σ², v) of AᵀA for A = √s (X − μ), A never formed.

    AᵀA v = Σ_i s_i (x_i − μ) ((x_i − μ)·v) is one pass over the rows: each
    chunk is centred once into a reused float64 buffer that stays in the CPU
    cache for both of its products.
    """
    n_samples, n_features = X.shape
    rows = chunk_n_rows(n_features * 8, n_samples, fit_in_cache=True)
    buffer = np.empty((rows, n_features))

    def normal_product(v):
        v = np.ravel(v)
        out = np.zeros(n_features)
        for batch in gen_batches(n_samples, rows):
            centred = buffer[: batch.stop - batch.start]
            np.subtract(X[batch], mean, out=centred)
            projection = centred @ v
            projection *= w[batch]
            out += projection @ centred
        return out

    # Data without variance leave nothing for Lanczos to iterate on (its start
    # vector maps to zero): no axes, which pca_codebook's rank check reports.
    if not np.any(normal_product(np.ones(n_features))) and not np.any(
            normal_product(np.random.RandomState(0).uniform(-1, 1, n_features))):
        return np.zeros(k), np.zeros((n_features, k))
    normal = LinearOperator((n_features, n_features), matvec=normal_product,
                            dtype=np.float64)
    return _eigsh_leading(normal, k)


def _eigsh_leading(M, k):
    """The k largest eigenpairs of the symmetric operator ``M`` by ARPACK, from
    a fixed, generic start vector: deterministic, and not orthogonal to the
    leading axes (a constant one can be: centred rows sum to 0)."""
    n = M.shape[0]
    v0 = np.random.RandomState(0).uniform(-1.0, 1.0, size=n)
    return eigsh(M, k=k, which="LA", v0=v0, ncv=min(n, _LANCZOS_VECTORS))


def principal_axes(mean, cov, n_components=2):
    """Mean, and the ``n_components`` leading eigenvalues (descending, ≥ 0) and
    sign-fixed eigenvectors of ``cov``.

    Up to :data:`SMALL_SIDE` features by a full eigendecomposition; beyond, by
    Lanczos iterations for the leading pairs only.
    """
    n_features = cov.shape[0]
    k = min(n_components, n_features)
    if n_features <= SMALL_SIDE:
        eigenvalues, eigenvectors = np.linalg.eigh(cov)
    else:
        eigenvalues, eigenvectors = _eigsh_leading(cov, k)
    return mean, *_leading(eigenvalues, eigenvectors, k)


def _leading(eigenvalues, eigenvectors, k):
    """The k largest eigenvalues (descending, clipped at 0: rounding and pairwise
    estimates can make them slightly negative) and their eigenvectors, signs
    fixed."""
    order = np.argsort(eigenvalues, kind="stable")[::-1][:k]
    eigenvalues = np.maximum(eigenvalues[order], 0.0)
    eigenvectors = eigenvectors[:, order]
    # Eigenvectors are defined up to sign; fix it (largest component positive) so
    # that equal data give equal maps whatever LAPACK returns.
    largest = np.argmax(np.abs(eigenvectors), axis=0)
    signs = np.sign(eigenvectors[largest, np.arange(k)])
    signs[signs == 0] = 1.0
    eigenvectors *= signs
    return eigenvalues, eigenvectors


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

