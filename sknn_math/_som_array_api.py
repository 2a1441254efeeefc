"""The self-organizing map on arrays of another namespace (array API dispatch).

A PyTorch tensor on a GPU, a CuPy array, any array API namespace: the batch rule
runs there, chunk by chunk, as the NumPy kernels of :mod:`._som_bmu` and
:mod:`._som_rules` do on the CPU:

- the scores G = (x − μ)·(w − μ) − ‖w − μ‖²/2 of a chunk are one matrix product,
  the best unit their argmax (:func:`_chunk_scores`);
- the per-unit sums S_j = Σ s_i (x_i − μ) and counts n_j are the one-hot product
  Mᵀ X (or the namespace's scatter-add, :func:`_unit_sums`);
- the update w_k = μ + Σ_j h(j,k) S_j / Σ_j h(j,k) n_j is one small product with
  the neighbourhood matrix, in float64 (:func:`~._som_rules.batch_update`'s
  arithmetic).

The NumPy kernels keep their in-place buffers and worker threads; these are the
same formulas in plain array API calls, and the tests pin the two to the same
maps. Missing values (NaN) and the online rule stay on NumPy: the estimator
refuses them here with a clear error.

:class:`ArrayAPIData` is the training data's facade for ``fit`` (the methods of
:class:`._som_data.InMemoryData`).
"""

import numpy as np

from ._parallel import chunk_n_rows
from ._som_bmu import FAR, bmu_operands
from ._som_data import InMemoryData
from ._som_grid import grid_adjacency
from ._som_init import principal_axes

__all__ = [
    "ArrayAPIData",
    "best_matching_units",
    "bmu_and_errors",
    "unit_distances",
]


def _chunks(n_samples, n_units, n_features, itemsize):
    """Row slices of chunks whose score block stays within ``working_memory``."""
    rows = chunk_n_rows((n_units + n_features) * itemsize, n_samples)
    return [slice(start, min(start + rows, n_samples))
            for start in range(0, n_samples, rows)]


class _Operands:
    """:func:`._som_bmu.bmu_operands` of the codebook, moved to X's namespace.

    The centre (the codebook's median), the centred codebook and which units
    are far are found on the host, by the NumPy kernel itself: the codebook is
    small. Only the products with the data run in the namespace.
    """

    def __init__(self, ns, W, dtype):
        xp = ns.xp
        host = bmu_operands(ns.to_numpy(W), _numpy_dtype(ns, dtype))
        n_features = host.W_c.shape[1]
        self.host = host
        self.mu = ns.asarray(host.mu)
        self.W_c = ns.asarray(host.W_c)
        self.mu64 = ns.asarray(host.mu.astype(np.float64))
        self.W64 = ns.asarray(host.W)
        self.half_sq = ns.asarray(host.W_aug[n_features])
        self.far_units = (None if host.far_units is None
                          else ns.asarray(host.far_units))
        self.far_sq = float((FAR * host.radius) ** 2)
        self.xp = xp


def _numpy_dtype(ns, dtype):
    return np.float32 if dtype == ns.xp.float32 else np.float64


def _chunk_scores(ns, X_chunk, ops):
    """Centred chunk, its scores G = (x − μ)·(w − μ) − ‖w − μ‖²/2 and best
    units.

    As in :func:`._som_bmu.best_units`, the argmax of G is exact to the dtype's
    rounding at the scale of the codebook; a row won by a far unit, or lying far
    from the codebook itself, is ranked again in float64 by direct differences.
    (The bound assumes true float32 products: PyTorch's TF32 matmul mode
    breaks it.)
    """
    xp = ns.xp
    X_c = X_chunk - ops.mu
    G = X_c @ xp.matrix_transpose(ops.W_c) + ops.half_sq
    bmu = xp.argmax(G, axis=1)
    if ops.far_units is not None and G.shape[1] > 1:
        far = xp.take(ops.far_units, bmu) | (xp.sum(X_c * X_c, axis=1) > ops.far_sq)
        if bool(xp.any(far)):
            bmu = _exact_units(ns, X_chunk, ops, bmu, far)
    return X_c, G, bmu


def _exact_units(ns, X_chunk, ops, bmu, rows_mask):
    """``bmu`` with the masked rows' units found by float64 differences on the
    host (few rows: those near far prototypes)."""
    bmu_host = ns.to_numpy(bmu).astype(np.intp)
    rows = np.flatnonzero(ns.to_numpy(rows_mask))
    X_rows = ns.to_numpy(ns.xp.take(X_chunk, ns.asarray(rows), axis=0))
    W = ops.host.W
    step = chunk_n_rows(W.size * 8, rows.size)
    for start in range(0, rows.size, step):
        diff = X_rows[start:start + step, None, :].astype(np.float64) - W[None]
        d_sq = np.einsum("ijk,ijk->ij", diff, diff)
        bmu_host[rows[start:start + step]] = d_sq.argmin(axis=1)
    return ns.asarray(bmu_host)


def _exact_second(ns, X_chunk, X_c, ops, bmu, bmu2):
    """``(bmu, bmu2)`` with the best two units of the rows near far prototypes
    (as :func:`_chunk_scores` flags them, or whose second unit is far) ranked
    by float64 differences on the host, as ``best_units(second=True)`` does."""
    xp = ns.xp
    if ops.far_units is None:
        return bmu, bmu2
    far = (xp.take(ops.far_units, bmu) | xp.take(ops.far_units, bmu2)
           | (xp.sum(X_c * X_c, axis=1) > ops.far_sq))
    if not bool(xp.any(far)):
        return bmu, bmu2
    best, second = ns.to_numpy(bmu).astype(np.intp), ns.to_numpy(bmu2).astype(np.intp)
    rows = np.flatnonzero(ns.to_numpy(far))
    X_rows = ns.to_numpy(xp.take(X_chunk, ns.asarray(rows), axis=0))
    W = ops.host.W
    step = chunk_n_rows(W.size * 8, rows.size)
    for start in range(0, rows.size, step):
        diff = X_rows[start:start + step, None, :].astype(np.float64) - W[None]
        order = np.argsort(np.einsum("ijk,ijk->ij", diff, diff), axis=1,
                           kind="stable")
        best[rows[start:start + step]] = order[:, 0]
        second[rows[start:start + step]] = order[:, 1]
    return ns.asarray(best), ns.asarray(second)


def _unit_sums(ns, bmu, values, n_units):
    """Σ_i values[i] over the rows whose unit is j, shape (n_units, width).

    PyTorch tensors add rows into place (``index_add``), which reads each row
    once; elsewhere it is the one-hot product Mᵀ values.
    """
    xp = ns.xp
    if hasattr(values, "index_add"):
        out = xp.zeros((n_units, values.shape[1]), dtype=values.dtype,
                       device=ns.device)
        return out.index_add(0, bmu, values)
    one_hot = xp.astype(
        xp.arange(n_units, device=ns.device)[:, None] == bmu[None, :], values.dtype)
    return one_hot @ values


def _weights(ns, sample_weight, n_rows, dtype):
    xp = ns.xp
    if sample_weight is None:
        return xp.ones(n_rows, dtype=dtype, device=ns.device)
    return xp.astype(sample_weight, dtype)


def batch_statistics(ns, X, sample_weight, W, *, with_error=False):
    """Per-unit sums [S | n] (float64, shape (n_units, n_features + 1)) and the
    error sum Σ s ‖x − w_c‖ (0.0 without ``with_error``), with μ."""
    xp = ns.xp
    n_samples, n_features = X.shape
    n_units = W.shape[0]
    ops = _Operands(ns, W, X.dtype)
    S_aug = xp.zeros((n_units, n_features + 1), dtype=xp.float64, device=ns.device)
    error_sum = 0.0
    for rows in _chunks(n_samples, n_units, n_features, _itemsize(ns, X.dtype)):
        X_c, G, bmu = _chunk_scores(ns, X[rows, :], ops)
        s = _weights(ns, None if sample_weight is None else sample_weight[rows],
                     X_c.shape[0], X.dtype)
        values = xp.concat([X_c * s[:, None], s[:, None]], axis=1)
        # Summed in the data's dtype within a chunk, in float64 across chunks.
        S_aug += xp.astype(_unit_sums(ns, bmu, values, n_units), xp.float64)
        if with_error:
            error_sum += float(xp.sum(
                xp.astype(s, xp.float64) * _exact_distance(ns, X[rows, :], ops, bmu)))
    return S_aug, ops.mu64, error_sum


def _exact_distance(ns, X_chunk, ops, bmu):
    """‖x − w_c‖ by the difference in float64, not from the scores."""
    xp = ns.xp
    diff = xp.astype(X_chunk, xp.float64) - xp.take(ops.W64, bmu, axis=0)
    return xp.sqrt(xp.sum(diff * diff, axis=1))


def _itemsize(ns, dtype):
    return 4 if dtype == ns.xp.float32 else 8


def batch_update(ns, W, S_aug, mu, H, previous_mass=None):
    """:func:`._som_rules.batch_update` in the namespace: new codebook (W's
    dtype) and the denominators Σ_j h(j,k) n_j."""
    xp = ns.xp
    num_den = H @ S_aug
    numerator = num_den[:, :-1]
    denominator = num_den[:, -1]
    W_c = xp.astype(W, xp.float64) - mu
    if previous_mass is not None:
        numerator = numerator + previous_mass[:, None] * W_c
        denominator = denominator + previous_mass
    has_mass = denominator > 0
    safe = xp.where(has_mass, denominator, xp.ones_like(denominator))
    W_new = xp.where(has_mass[:, None], numerator / safe[:, None], W_c) + mu
    return xp.astype(W_new, W.dtype), denominator


def best_matching_units(ns, X, W):
    """Index of every row's best-matching unit, in the namespace."""
    xp = ns.xp
    ops = _Operands(ns, W, X.dtype)
    n_samples, n_features = X.shape
    parts = [_chunk_scores(ns, X[rows, :], ops)[2]
             for rows in _chunks(n_samples, W.shape[0], n_features,
                                 _itemsize(ns, X.dtype))]
    return xp.concat(parts) if parts else xp.zeros(0, dtype=xp.int64,
                                                     device=ns.device)


def unit_distances(ns, X, W):
    """Euclidean distance of every row to every unit, (n_samples, n_units), in
    X's dtype.

    Formed in float64 from the centred product, as NumPy's ``transform`` forms
    it (scikit-learn's ``euclidean_distances`` upcasts float32 chunks): in the
    data's dtype, ‖x − μ‖² − 2G cancels to nothing next to a far prototype.
    """
    xp = ns.xp
    ops = _Operands(ns, W, X.dtype)
    n_samples, n_features = X.shape
    W_c = ops.W64 - ops.mu64
    half_sq = -0.5 * xp.sum(W_c * W_c, axis=1)
    parts = []
    for rows in _chunks(n_samples, W.shape[0], n_features, 8):
        X_c = xp.astype(X[rows, :], xp.float64) - ops.mu64
        G = X_c @ xp.matrix_transpose(W_c) + half_sq
        d_sq = xp.sum(X_c * X_c, axis=1)[:, None] - 2 * G
        parts.append(xp.astype(xp.sqrt(xp.clip(d_sq, 0, None)), X.dtype))
    return xp.concat(parts, axis=0)


def bmu_and_errors(ns, X, sample_weight, W, coords, periods, reach=1.0):
    """Best units (in the namespace), Σ s‖x − w_c‖ and Σ s[c, c₂ not adjacent]
    of codebook ``W`` on ``X``."""
    xp = ns.xp
    n_samples, n_features = X.shape
    n_units = W.shape[0]
    ops = _Operands(ns, W, X.dtype)
    adjacency = ns.asarray(grid_adjacency(coords, periods, reach).ravel())
    error_sum = wrong_sum = 0.0
    parts = []
    for rows in _chunks(n_samples, n_units, n_features, _itemsize(ns, X.dtype)):
        X_c, G, bmu = _chunk_scores(ns, X[rows, :], ops)
        s = xp.astype(_weights(ns, None if sample_weight is None
                               else sample_weight[rows], X_c.shape[0], X.dtype),
                      xp.float64)
        error_sum += float(xp.sum(s * _exact_distance(ns, X[rows, :], ops, bmu)))
        one_hot = xp.arange(n_units, device=ns.device)[None, :] == bmu[:, None]
        if n_units > 1:
            bmu2 = xp.argmax(xp.where(one_hot, -xp.inf, G), axis=1)
            bmu, bmu2 = _exact_second(ns, X[rows, :], X_c, ops, bmu, bmu2)
            adjacent = xp.take(adjacency, bmu * n_units + bmu2)
            wrong_sum += float(xp.sum(xp.where(adjacent, 0.0, s)))
        parts.append(bmu)
    return xp.concat(parts), error_sum, wrong_sum


class ArrayAPIData(InMemoryData):
    """Training data in another namespace: the facade ``fit`` reads
    (:mod:`._som_data`, whose weight rules it inherits).

    ``X`` lives in the namespace; the sample weights are kept twice: as given,
    float64 on the host (the hits, the automatic size), and divided by
    ``weight_scale`` in X's dtype on the device (the weighted means). The
    initialisation's small results (drawn rows, bounds, principal axes) come
    back to the host as NumPy arrays; the codebook lives in the namespace during
    the epochs.
    """

    def __init__(self, X, sample_weight, namespace):
        self.ns = namespace
        super().__init__(X, sample_weight, masked=False)
        self.dtype = _numpy_dtype(namespace, X.dtype)

    def _where_X_is(self, array):
        return self.ns.asarray(array)

    def scaled_total(self):
        if self.scaled_weight is None:
            return float(self.n_samples)
        xp = self.ns.xp
        return float(xp.sum(xp.astype(self.scaled_weight, xp.float64)))

    def observed_means(self):  # pragma: no cover - NaN is refused before
        raise AssertionError("data with NaN stay on NumPy")

    def pca(self):
        """Weighted mean, eigenvalues and eigenvectors (host, float64): the
        covariance is summed on the device, its eigenvectors found on the host
        (:func:`._som_init.principal_axes`)."""
        xp = self.ns.xp
        n_samples, n_features = self.X.shape
        w = _weights(self.ns, self.scaled_weight, n_samples, xp.float64)
        total = xp.sum(w)
        mean = xp.zeros(n_features, dtype=xp.float64, device=self.ns.device)
        rows_per_chunk = _chunks(n_samples, n_features, n_features, 8)
        for rows in rows_per_chunk:
            mean += xp.sum(xp.astype(self.X[rows, :], xp.float64) * w[rows][:, None],
                           axis=0)
        mean = mean / total
        cov = xp.zeros((n_features, n_features), dtype=xp.float64,
                       device=self.ns.device)
        for rows in rows_per_chunk:
            centred = xp.astype(self.X[rows, :], xp.float64) - mean
            cov += xp.matrix_transpose(centred * w[rows][:, None]) @ centred
        return principal_axes(self.ns.to_numpy(mean), self.ns.to_numpy(cov / total))

    def draw(self, rng, n_units):
        live = self._live()
        rows = rng.choice(live, size=n_units, replace=n_units > live.size)
        return self.ns.to_numpy(self.ns.xp.take(self.X, self.ns.asarray(rows), axis=0))

    def bounds(self):
        xp = self.ns.xp
        X = self.X
        if self.sample_weight is not None:
            X = xp.take(X, self.ns.asarray(self._live()), axis=0)
        return (self.ns.to_numpy(xp.min(X, axis=0)),
                self.ns.to_numpy(xp.max(X, axis=0)))

    def batch_epoch(self, W, H, *, previous_mass=None, with_error=False):
        """One epoch of the batch rule: ``(W, mass, error_sum)``, ``W`` and
        ``mass`` in the namespace."""
        ns = self.ns
        W = ns.asarray(W)
        S_aug, mu, error_sum = batch_statistics(ns, self.X, self.scaled_weight, W,
                                                with_error=with_error)
        # (a separable neighbourhood formed: the device's product is dense)
        H = ns.asarray(np.asarray(H), dtype=ns.xp.float64)
        if previous_mass is not None:
            previous_mass = ns.asarray(previous_mass, dtype=ns.xp.float64)
        W, mass = batch_update(ns, W, S_aug, mu, H, previous_mass)
        return W, mass, error_sum

    def results(self, W, coords, periods):
        """``(bmu, error_sum, wrong_sum, hits)`` on the host, as
        :meth:`._som_data.InMemoryData.results` gives them."""
        ns = self.ns
        bmu, error_sum, wrong_sum = bmu_and_errors(
            ns, self.X, self.scaled_weight, ns.asarray(W), coords, periods)
        bmu = ns.to_numpy(bmu).astype(np.intp, copy=False)
        hits = np.bincount(bmu, weights=self.sample_weight, minlength=W.shape[0])
        return bmu, error_sum, wrong_sum, hits
