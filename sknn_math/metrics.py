"""Quality measures of a fitted self-organizing map, and scorers for model selection.

A map is judged on two counts: how well its prototypes represent the data
(:func:`quantization_error`, :func:`distortion`) and how well the grid keeps the
data's neighbourhoods (:func:`topographic_error`, :func:`topographic_product`,
:func:`trustworthiness`, :func:`continuity`, :func:`neighborhood_preservation`);
:func:`combined_error` weighs both at once. Every function takes a fitted
:class:`~sknn_math.SelfOrganizingMap` and, except the topographic product, data.

Each measure is also a scorer for :class:`~sklearn.model_selection.GridSearchCV`
and its kin (greater is better, errors negated): ``scoring=get_scorer(name)`` or
a dict of them, from :data:`SCORERS`.

Memory: the data are read in chunks of rows bounded by scikit-learn's
``working_memory`` (:func:`sklearn.config_context`), through the same
best-matching-unit passes as training (:mod:`._som_bmu`). Unit-by-unit arrays
(n_units × n_units) are built whole, as training builds its neighbourhood
matrix for other kernels than the gaussian of a rectangular grid. The
rank-based measures compare every sample with every other, which takes time
O(n²): they are meant for samples of modest size (``max_samples``).
"""

import numbers

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from sklearn import get_config
from sklearn.metrics import pairwise_distances_chunked
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.validation import check_is_fitted, validate_data

from ._parallel import chunk_n_rows
from ._som import SelfOrganizingMap
from ._som_bmu import (
    bmu_operands,
    check_missing,
    chunk_units,
    has_missing,
    map_chunks,
    missing_mask,
    two_best_units,
)
from ._som_data import relative_weights
from ._som_grid import grid_adjacency, grid_distances
from ._som_kernels import NEIGHBORHOODS
from ._validation import check_sample_weight

__all__ = [
    "SCORERS",
    "combined_error",
    "continuity",
    "distortion",
    "get_scorer",
    "get_scorer_names",
    "neighborhood_preservation",
    "quantization_error",
    "topographic_error",
    "topographic_product",
    "trustworthiness",
]


# --------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------


def _check_map(som):
    if not isinstance(som, SelfOrganizingMap):
        raise TypeError(
            f"Expected a fitted SelfOrganizingMap, got {type(som).__name__}. For a "
            "Pipeline ending in a map, pass its last step and the data transformed "
            "by the steps before it, or use a scorer from get_scorer, which does so."
        )
    check_is_fitted(som)


def _check_data(som, X):
    """``X`` validated against the fitted map (float32 kept as float32), and
    whether it holds NaN: a missing value, as for the estimator (a row with no
    observed feature is an error)."""
    _check_map(som)
    X = validate_data(som, X, reset=False, dtype=[np.float64, np.float32],
                      ensure_all_finite="allow-nan")
    return X, check_missing(X)


def _check_weights(sample_weight, X):
    """Validated weights scaled by their largest (None stays None): the weighted
    means below do not change, and no sum of weights overflows."""
    return relative_weights(check_sample_weight(sample_weight, X, np.float64))


def _total_weight(n_samples, sample_weight):
    return float(n_samples) if sample_weight is None else float(sample_weight.sum())


# --------------------------------------------------------------------------------
# Vector quantization: quantization error and distortion
# --------------------------------------------------------------------------------


def quantization_error(som, X, sample_weight=None):
    """Mean distance of the samples to the prototype of their best-matching unit.

    .. math::

        E_q = \\frac{1}{\\sum_i s_i} \\sum_i s_i \\, \\lVert x_i - w_{c(x_i)} \\rVert,

    with :math:`c(x) = \\arg\\min_k \\lVert x - w_k \\rVert` and sample weights
    :math:`s_i` (1 by default). The same computation as
    :meth:`SelfOrganizingMap.quantization_error
    <sknn_math.SelfOrganizingMap.quantization_error>`, in chunks of rows.

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map.

    X : array-like of shape (n_samples, n_features)
        Samples.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of every sample; a weight counts as that many copies.

    Returns
    -------
    error : float
        Non-negative; 0 when every sample coincides with a prototype. Lower is
        better; it always falls as the map grows.

    See Also
    --------
    distortion : The energy the batch rule minimises, neighbourhood included.

    References
    ----------
    .. [1] T. Kohonen, "Self-Organizing Maps", 3rd ed., Springer, 2001, §3.
    .. [2] J. Vesanto, "SOM-based data visualization methods", Intelligent Data
       Analysis 3(2), 111–126, 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import quantization_error
    >>> X = np.random.RandomState(0).uniform(size=(200, 3))
    >>> som = SelfOrganizingMap(5, 5, random_state=0).fit(X)
    >>> bool(quantization_error(som, X) == som.quantization_error(X))
    True
    """
    _check_map(som)
    return float(som.quantization_error(X, sample_weight=sample_weight))


def distortion(som, X, sample_weight=None, *, sigma=None):
    """The SOM's energy: neighbourhood-weighted squared distance to all prototypes.

    .. math::

        E_h = \\frac{1}{\\sum_i s_i} \\sum_i s_i \\sum_k h(c(x_i), k; \\sigma)\\,
        \\lVert x_i - w_k \\rVert^2,

    with :math:`c(x_i)` the best-matching unit of :math:`x_i`, :math:`h` the map's
    ``neighborhood`` kernel of the grid distance (wrapped on a torus) and sample
    weights :math:`s_i`. For fixed best-matching units, the batch rule's update
    (each prototype the :math:`h`-weighted mean of the data) is the minimiser of
    :math:`E_h`; at :math:`\\sigma \\to 0` it becomes the mean squared
    quantization error. It is normalised by the total weight only, so values
    are comparable between data sets of different sizes but not between radii
    or kernels (a wider kernel adds more terms).

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map.

    X : array-like of shape (n_samples, n_features)
        Samples; NaN marks a missing value, and distances then run over the
        sample's observed features only, as in training.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of every sample; a weight counts as that many copies.

    sigma : float, default=None
        Radius of the neighbourhood kernel; None uses the radius of the map's
        last training epoch (``sigma_end`` once ``fit`` has run its schedule).

    Returns
    -------
    energy : float
        Lower is better. Negative values are possible only with the
        ``'mexican_hat'`` kernel, which is negative beyond σ.

    See Also
    --------
    quantization_error : The mean (unsquared) distance to the best prototype.

    Notes
    -----
    With :math:`M_c = \\sum_k h(c, k)`, :math:`V_c = \\sum_k h(c, k)\\, w_k` and
    :math:`Q_c = \\sum_k h(c, k) \\lVert w_k \\rVert^2` computed once per unit,
    each sample costs :math:`M_c \\lVert x \\rVert^2 - 2\\, x \\cdot V_c + Q_c`,
    in float64 on data and prototypes centred on the codebook's coordinate-wise
    median, with :math:`c(x)` the best-matching unit that training finds (the
    exact one near a far prototype). With
    missing values, x counts 0 in the missing features and :math:`Q_c` loses
    their terms :math:`\\sum_k h(c, k)\\, w_{kf}^2`.

    References
    ----------
    .. [1] T. Heskes, "Energy functions for self-organizing maps", in E. Oja and
       S. Kaski (eds.), Kohonen Maps, Elsevier, 303–315, 1999.
    .. [2] T. Kohonen, "Essentials of the self-organizing map", Neural Networks
       37, 52–65, 2013 (the batch map as the fixed point of this energy).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import distortion, quantization_error
    >>> X = np.random.RandomState(0).uniform(size=(200, 3))
    >>> som = SelfOrganizingMap(5, 5, random_state=0).fit(X)
    >>> bool(distortion(som, X) > quantization_error(som, X) ** 2)
    True
    """
    X, masked = _check_data(som, X)
    sample_weight = _check_weights(sample_weight, X)
    # the radius and kernel the map was trained with, not the parameters now
    sigma = som._sigma_last if sigma is None else sigma
    if not (isinstance(sigma, numbers.Real) and sigma > 0):
        raise ValueError(f"sigma must be a positive number, got {sigma!r}.")
    W = som.codebook_.astype(X.dtype, copy=False)
    operands = bmu_operands(W, X.dtype)
    # Per unit c: M_c = Σ_k h(c,k), V_c = Σ_k h(c,k) w_k, Q_c = Σ_k h(c,k) ‖w_k‖²
    # (prototypes centred on μ, as the chunk's samples are), so that
    # Σ_k h(c,k) ‖x − w_k‖² = M_c ‖x‖² − 2 x·V_c + Q_c. Over the observed
    # features only, x is 0 where missing and Q_c drops the missing features'
    # Q_cf = Σ_k h(c,k) w_kf². Both are centred in float64, not rounded to the
    # data's dtype as the product's operands are.
    H = NEIGHBORHOODS[som._neighborhood](som._grid_distances(), float(sigma))
    mu = operands.mu.astype(np.float64)
    W_c = operands.W - mu
    M = H.sum(axis=1)
    V = H @ W_c
    Q_f = H @ np.square(W_c)
    Q = Q_f.sum(axis=1)

    def work(batch, buffers):
        X_chunk = X[batch]
        missing = missing_mask(X_chunk) if masked else None
        c = chunk_units(X_chunk, operands, buffers, missing=missing)[1]
        x = X_chunk - mu
        if missing is not None:
            x[missing] = 0.0
        Q_obs = Q[c]
        if missing is not None:
            Q_obs = Q_obs - np.einsum("ij,ij->i", missing, Q_f[c])
        energy = (M[c] * np.einsum("ij,ij->i", x, x)
                  - 2.0 * np.einsum("ij,ij->i", x, V[c]) + Q_obs)
        if sample_weight is None:
            return float(energy.sum())
        return float(sample_weight[batch] @ energy)

    total = sum(map_chunks(X, operands, work))
    return total / _total_weight(X.shape[0], sample_weight)


# --------------------------------------------------------------------------------
# Topology: topographic error, topographic product, combined error
# --------------------------------------------------------------------------------


def topographic_error(som, X, sample_weight=None, *, diagonal=False):
    """Fraction of samples whose best and second-best units are not neighbours.

    .. math::

        E_t = \\frac{1}{\\sum_i s_i} \\sum_i s_i \\,
        [\\, c(x_i) \\text{ and } c_2(x_i) \\text{ are not adjacent} \\,],

    with :math:`c_2(x)` the second-best matching unit. Adjacent units sit at grid
    distance 1: 4 neighbours on a rectangular map, 6 on a hexagonal one,
    counted across the edges of a periodic (toroidal) map; with ``diagonal``
    a rectangular map's diagonal units count too (8, as MiniSom counts them). The same
    computation as :meth:`SelfOrganizingMap.topographic_error
    <sknn_math.SelfOrganizingMap.topographic_error>`, in chunks of rows.

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map.

    X : array-like of shape (n_samples, n_features)
        Samples.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of every sample; a weight counts as that many copies.

    diagonal : bool, default=False
        Count the diagonal units of a rectangular map as neighbours.

    Returns
    -------
    error : float
        In [0, 1], lower is better; NaN for a map with a single unit.

    See Also
    --------
    combined_error : Also measures how far the second-best unit lies.

    References
    ----------
    .. [1] K. Kiviluoto, "Topology preservation in self-organizing maps", Proc.
       IEEE International Conference on Neural Networks (ICNN) 1996, 294–299.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import topographic_error
    >>> X = np.random.RandomState(0).uniform(size=(200, 2))
    >>> som = SelfOrganizingMap(5, 5, topology="hexagonal", random_state=0).fit(X)
    >>> 0 <= topographic_error(som, X) <= 1
    True
    """
    _check_map(som)
    return float(som.topographic_error(X, sample_weight=sample_weight,
                                       diagonal=diagonal))


def _positions_before(D):
    """Rank of every entry within its row, ties counted as in a random order.

    Returns ``(a, g)``, both of D's shape: ``a`` is the number of entries of the
    row strictly smaller than the entry, ``g`` the number equal to it (itself
    included). With ties broken uniformly at random, the entry's rank (from 1)
    is uniform on ``a + 1 … a + g``.
    """
    m, n = D.shape
    order = np.argsort(D, axis=1, kind="stable")
    S = np.take_along_axis(D, order, axis=1)
    positions = np.broadcast_to(np.arange(n), (m, n))
    first = np.ones((m, n), dtype=bool)  # first of its tie group in sorted order
    np.not_equal(S[:, 1:], S[:, :-1], out=first[:, 1:])
    last = np.ones((m, n), dtype=bool)
    last[:, :-1] = first[:, 1:]
    start = np.maximum.accumulate(np.where(first, positions, 0), axis=1)
    end = np.minimum.accumulate(np.where(last, positions, n - 1)[:, ::-1], axis=1)
    end = end[:, ::-1]
    a = np.empty((m, n), dtype=np.intp)
    g = np.empty((m, n), dtype=np.intp)
    np.put_along_axis(a, order, start, axis=1)
    np.put_along_axis(g, order, end - start + 1, axis=1)
    return a, g


def _grid_keys(coords_a, coords_b, periods):
    """4·d² of the grid distances, rounded to integers: equal distances compare
    equal exactly.

    On both lattices 4·d² is an integer (x steps of 1/2, y steps of √3/2 on the
    hexagonal one, also across the edges of a torus), so rounding removes the
    last-bit noise of the coordinates without merging distinct distances.
    """
    d = grid_distances(coords_a[:, None], coords_b[None], periods)
    return np.rint(4.0 * d * d)


def topographic_product(som):
    """Bauer and Pawelzik's topographic product of the codebook.

    Compares, for every unit j, the order of the other units by grid distance
    :math:`d^A` with their order by prototype distance :math:`d^V`. With
    :math:`n^A_l(j)` and :math:`n^V_l(j)` the l-th nearest unit to j on the grid
    and in the input space,

    .. math::

        Q_1(j, l) = \\frac{d^V(w_j, w_{n^A_l(j)})}{d^V(w_j, w_{n^V_l(j)})},\\qquad
        Q_2(j, l) = \\frac{d^A(j, n^A_l(j))}{d^A(j, n^V_l(j))},

        P = \\frac{1}{N(N-1)} \\sum_{j=1}^{N} \\sum_{k=1}^{N-1}
        \\frac{1}{2k} \\log \\prod_{l=1}^{k} Q_1(j, l)\\, Q_2(j, l).

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map; only its codebook and grid are used.

    Returns
    -------
    product : float
        0 when both orders agree; negative when the map's dimension is too low
        for the data (the map folds), positive when it is too high. NaN for a
        map with a single unit. As a score, ``-abs(product)``.

    Raises
    ------
    ValueError
        When two prototypes coincide: a distance ratio is then 0 or infinite.

    See Also
    --------
    trustworthiness : Neighbourhoods of the samples rather than of the units.

    Notes
    -----
    Many units sit at the same grid distance from j, and :math:`n^A_l(j)` is then
    not unique. The measure is taken as its expected value when every tie is
    broken uniformly at random (and the same for exact ties of prototype
    distances). As the sum is linear in the logarithms it can be computed
    exactly: with :math:`c_l = \\sum_{k=l}^{N-1} 1/(2k)` and
    :math:`L(j, u) = \\log d^V(w_j, w_u) + \\log d^A(j, u)`,

    .. math::

        P = \\frac{1}{N(N-1)} \\sum_j \\sum_{u \\neq j} L(j, u)\\,
        \\bigl(\\bar c^A(j, u) - \\bar c^V(j, u)\\bigr),

    where :math:`\\bar c^A(j, u)` is the mean of :math:`c_l` over the positions
    l that u's tie group occupies in j's grid order (and :math:`\\bar c^V` in
    its input-space order). Any fixed tie-breaking rule would make the value
    depend on the numbering of the units. Time O(N² log N) in the number of
    units N, memory in chunks of rows of units.

    References
    ----------
    .. [1] H.-U. Bauer and K. R. Pawelzik, "Quantifying the neighborhood
       preservation of self-organizing feature maps", IEEE Transactions on
       Neural Networks 3(4), 570–579, 1992.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import topographic_product
    >>> X = np.random.RandomState(0).uniform(size=(500, 2))
    >>> chain = SelfOrganizingMap(1, 25, random_state=0).fit(X)
    >>> bool(topographic_product(chain) < 0)  # a 1-D map folded into a square
    True
    """
    _check_map(som)
    W = som.codebook_.astype(np.float64)
    coords = som.unit_coordinates_
    periods = som._periods()
    N = W.shape[0]
    if N == 1:
        return float("nan")
    # c_l = Σ_{k=l}^{N−1} 1/(2k) for l = 1 … N−1; C[p] = Σ_{l ≤ p} c_l, C[0] = 0.
    k = np.arange(1, N)
    c = np.cumsum((0.5 / k)[::-1])[::-1]
    C = np.concatenate([[0.0], np.cumsum(c)])

    def mean_coefficient(D, rows, diagonal):
        # Mean c_l over the positions a+1 … a+g of each unit's tie group among
        # the others: the unit itself is put first (−∞) and taken off the count.
        D[rows, diagonal] = -np.inf
        a, g = _positions_before(D)
        a -= 1
        a[rows, diagonal] = 0  # the unit itself: any valid index, masked in L
        return (C[a + g] - C[a]) / g

    coincide = ValueError(
        "Two prototypes of the map coincide, which makes the topographic "
        "product infinite. Train longer or on data with more distinct "
        "samples than units."
    )
    # Equal rows exactly: the expanded distance of two equal prototypes may
    # round to a tiny positive number instead of 0.
    if np.unique(W, axis=0).shape[0] < N:
        raise coincide
    total = 0.0
    # About a dozen (rows, N) arrays are alive at once.
    for batch in gen_batches(N, chunk_n_rows(12 * 8 * N, N)):
        rows = np.arange(batch.stop - batch.start)
        diagonal = rows + batch.start
        D_V = euclidean_distances(W[batch], W)
        D_V[rows, diagonal] = np.inf
        if np.any(D_V == 0.0):
            raise coincide
        D_A = np.sqrt(_grid_keys(coords[batch], coords, periods)) / 2.0
        D_A[rows, diagonal] = 1.0
        # L(j, u) = log d^V(w_j, w_u) + log d^A(j, u), 0 for u = j
        L = np.log(D_V) + np.log(D_A)
        L[rows, diagonal] = 0.0
        c_A = mean_coefficient(D_A, rows, diagonal)
        c_V = mean_coefficient(D_V, rows, diagonal)
        total += float(np.sum(L * (c_A - c_V)))
    return total / (N * (N - 1))


def combined_error(som, X, sample_weight=None):
    """Kaski and Lagus's combined error: distance to the second-best unit along
    the map.

    For sample x with best-matching unit c and second-best unit c₂, the length of
    the way from x to c and on from c to c₂ along the shortest path of
    neighbouring units,

    .. math::

        e(x) = \\lVert x - w_{c} \\rVert + \\min_{c = u_0, u_1, \\dots, u_K = c_2}
        \\sum_{t=0}^{K-1} \\lVert w_{u_t} - w_{u_{t+1}} \\rVert,

    the minimum taken over paths whose consecutive units are grid neighbours
    (as in :func:`topographic_error`), and :math:`E_{KL}` the weighted mean of
    :math:`e(x_i)`. It is the quantization error plus the length, in the input
    space, that the map needs to reach the second-best prototype: small when
    prototypes are close and the second-best unit is near on the grid.

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map.

    X : array-like of shape (n_samples, n_features)
        Samples; NaN marks a missing value, and distances to the prototypes
        then run over the sample's observed features only, as in training.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of every sample; a weight counts as that many copies.

    Returns
    -------
    error : float
        Lower is better; NaN for a map with a single unit.

    See Also
    --------
    topographic_error : Counts only whether c₂ is a neighbour of c.

    Notes
    -----
    "Shortest" is in the input space: the path minimises the summed prototype
    distances (Dijkstra's algorithm on the grid graph, edges weighted by
    :math:`\\lVert w_a - w_b \\rVert`), not the number of grid steps, which
    would leave the path, and so its length, ambiguous. Second-best units are
    chosen as by :func:`topographic_error`. Samples are read in chunks; the
    shortest paths are computed only from the units that are some sample's
    best match, a few source units at a time.

    References
    ----------
    .. [1] S. Kaski and K. Lagus, "Comparing self-organizing maps", Proc.
       International Conference on Artificial Neural Networks (ICANN) 1996,
       LNCS 1112, 809–814.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import combined_error, quantization_error
    >>> X = np.random.RandomState(0).uniform(size=(200, 3))
    >>> som = SelfOrganizingMap(5, 5, random_state=0).fit(X)
    >>> bool(combined_error(som, X) > quantization_error(som, X))
    True
    """
    X, masked = _check_data(som, X)
    sample_weight = _check_weights(sample_weight, X)
    W = som.codebook_.astype(X.dtype, copy=False)
    N = W.shape[0]
    if N == 1:
        return float("nan")
    operands = bmu_operands(W, X.dtype)

    # Pass 1, over the data: Σ s‖x − w_c‖ and the weight of every (c, c₂) pair.
    def work(batch, buffers):
        c, c2, dist = two_best_units(X[batch], operands, buffers, masked)
        s = None if sample_weight is None else sample_weight[batch]
        pairs, inverse = np.unique(c * N + c2, return_inverse=True)
        mass = np.bincount(inverse, weights=s, minlength=pairs.size)
        return float(dist.sum() if s is None else s @ dist), pairs, mass

    error_sum = 0.0
    all_pairs, all_mass = [], []
    for error, pairs, mass in map_chunks(X, operands, work):
        error_sum += error
        all_pairs.append(pairs)
        all_mass.append(mass)
    pairs, inverse = np.unique(np.concatenate(all_pairs), return_inverse=True)
    mass = np.bincount(inverse, weights=np.concatenate(all_mass), minlength=pairs.size)
    source, target = np.divmod(pairs, N)

    # Pass 2, over the units: shortest paths from the sources, a chunk at a time.
    a, b = np.nonzero(grid_adjacency(som.unit_coordinates_, som._periods()))
    W64 = som.codebook_.astype(np.float64)
    edge = np.linalg.norm(W64[a] - W64[b], axis=1)
    # Explicit zeros stay edges (coincident neighbouring prototypes) in csgraph.
    graph = csr_matrix((edge, (a, b)), shape=(N, N))
    sources, source_index = np.unique(source, return_inverse=True)
    path_sum = 0.0
    for batch in gen_batches(sources.size, chunk_n_rows(8 * N, sources.size)):
        lengths = dijkstra(graph, directed=False, indices=sources[batch])
        here = (source_index >= batch.start) & (source_index < batch.stop)
        path = lengths[source_index[here] - batch.start, target[here]]
        path_sum += float(mass[here] @ path)
    return (error_sum + path_sum) / _total_weight(X.shape[0], sample_weight)


# --------------------------------------------------------------------------------
# Rank-based measures of the projection: trustworthiness, continuity,
# neighbourhood preservation
# --------------------------------------------------------------------------------


def _triangle(m):
    """m (m + 1) / 2 of max(m, 0)."""
    m = np.maximum(m, 0)
    return 0.5 * m * (m + 1)


def _rank_sums(X, projected_distances, n_neighbors):
    """Σ_i Σ_j over the pairs i ≠ j of p^Y e^X, p^X e^Y and p^X p^Y.

    ``projected_distances(rows)`` returns the (len(rows), n) projection
    distances. For sample i and other sample j, in either space, ``p`` is the
    probability that j is among the k nearest neighbours of i and ``e`` the
    expected ``max(r − k, 0)`` of j's rank r, ties broken uniformly at random
    (:func:`_positions_before`).
    """
    k = n_neighbors

    def tie_terms(D, rows, start):
        D[rows, rows + start] = -np.inf  # the sample itself ranks first, alone
        a, g = _positions_before(D)
        a -= 1
        p = np.clip((k - a) / g, 0.0, 1.0)
        e = (_triangle(a + g - k) - _triangle(a - k)) / g
        p[rows, rows + start] = 0.0
        e[rows, rows + start] = 0.0
        return p, e

    def reduce(D_X, start):
        rows = np.arange(D_X.shape[0])
        D_Y = projected_distances(slice(start, start + rows.size))
        p_X, e_X = tie_terms(D_X, rows, start)
        p_Y, e_Y = tie_terms(D_Y, rows, start)
        return (np.einsum("ij,ij->i", p_Y, e_X), np.einsum("ij,ij->i", p_X, e_Y),
                np.einsum("ij,ij->i", p_X, p_Y))

    # About 24 arrays of n entries per row of a chunk are alive at once.
    working_memory = get_config()["working_memory"] / 24
    sums = np.zeros(3)
    for chunk in pairwise_distances_chunked(X, reduce_func=reduce,
                                            working_memory=working_memory):
        sums += [float(np.sum(part)) for part in chunk]
    return sums


def _rank_measures(X, projected_distances, n_neighbors):
    """Trustworthiness, continuity and neighbourhood preservation at k."""
    n = X.shape[0]
    k = n_neighbors
    untrusted, discontinued, shared = _rank_sums(X, projected_distances, k)
    scale = 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
    return 1.0 - scale * untrusted, 1.0 - scale * discontinued, shared / (n * k)


def _projection(som, X, n_neighbors, max_samples, random_state):
    """Samples (subsampled) and their grid-distance function on the map."""
    _check_map(som)
    X = validate_data(som, X, reset=False, dtype=[np.float64, np.float32],
                      ensure_all_finite="allow-nan")
    if has_missing(X):
        raise ValueError(
            "X holds missing values (NaN). The rank measures compare the distances "
            "between samples, which missing values leave undefined: drop those rows "
            "or impute them (e.g. sklearn.impute.SimpleImputer) before measuring."
        )
    n = X.shape[0]
    if max_samples is not None:
        if not (isinstance(max_samples, numbers.Integral) and max_samples > 0):
            raise ValueError(
                f"max_samples must be a positive integer or None, got {max_samples!r}."
            )
        if n > max_samples:
            rng = check_random_state(random_state)
            X = X[np.sort(rng.choice(n, size=max_samples, replace=False))]
            n = max_samples
    if not isinstance(n_neighbors, numbers.Integral) or n_neighbors < 1:
        raise ValueError(
            f"n_neighbors must be a positive integer, got {n_neighbors!r}."
        )
    if n_neighbors >= n / 2:
        raise ValueError(
            f"n_neighbors ({n_neighbors}) should be less than n_samples / 2 "
            f"({n / 2}); use fewer neighbours or more samples."
        )
    bmu = som.best_matching_unit(X)
    # Grid distances between the units, once (n_units², as training's
    # neighbourhood matrix), then gathered for each chunk of samples.
    coords = som.unit_coordinates_
    unit_keys = _grid_keys(coords, coords, som._periods())

    def projected_distances(rows):
        return unit_keys[np.ix_(bmu[rows], bmu)]

    return X, projected_distances




def trustworthiness(som, X, n_neighbors=5, *, max_samples=None, random_state=None):
    """Trustworthiness of the map projection: are samples close on the map
    also close in the data?

    The projection of sample x is the grid position of its best-matching unit
    (:meth:`SelfOrganizingMap.grid_coordinates
    <sknn_math.SelfOrganizingMap.grid_coordinates>`), distances on the map are
    grid distances (wrapped on a torus). With :math:`U_k(i)` the samples among
    the k nearest to i on the map but not in the data, and :math:`r(i, j)` the
    rank of j by distance from i in the data,

    .. math::

        T(k) = 1 - \\frac{2}{n k (2n - 3k - 1)} \\sum_{i=1}^{n}
        \\sum_{j \\in U_k(i)} \\bigl(r(i, j) - k\\bigr).

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map.

    X : array-like of shape (n_samples, n_features)
        Samples, without missing values.

    n_neighbors : int, default=5
        Size k of the neighbourhoods; less than ``n_samples / 2``.

    max_samples : int, default=None
        If set and ``X`` has more rows, score a random subsample of this many
        rows (without replacement). The measure takes time O(n²): use it on
        big data.

    random_state : int, RandomState instance or None, default=None
        Draws the subsample when ``max_samples`` applies.

    Returns
    -------
    trustworthiness : float
        In [0, 1], higher is better: 1 when no sample is brought closer on the
        map than its k nearest neighbours in the data.

    See Also
    --------
    continuity : The converse: are neighbours in the data kept close on the map?
    sklearn.manifold.trustworthiness : The same measure for a continuous
        embedding; equal to this one when the projection has no ties.

    Notes
    -----
    Many samples share a best-matching unit, and many units lie at the same grid
    distance, so the map's neighbour ranks are full of ties, which any fixed
    rule (such as the sorting order scikit-learn's ``trustworthiness`` happens
    to use) would resolve by sample numbering. The value returned is the
    expectation over ties broken uniformly at random, in both spaces: j belongs
    to :math:`U_k(i)` with the probability that a random order puts it among
    the k nearest, and :math:`r(i, j)` is averaged over the ranks its tie group
    spans. Without ties this is exactly Venna and Kaski's measure. A map that
    puts every sample on one unit thus scores like a random projection, not
    like a perfect one. Grid distances are compared exactly, as integers
    :math:`4 d^2`.

    The sample-by-sample ranks are computed a chunk of rows at a time
    (:func:`sklearn.metrics.pairwise_distances_chunked`, within
    ``working_memory``), in time O(n² log n).

    References
    ----------
    .. [1] J. Venna and S. Kaski, "Neighborhood preservation in nonlinear
       projection methods: an experimental study", Proc. International
       Conference on Artificial Neural Networks (ICANN) 2001, LNCS 2130,
       485–491.
    .. [2] J. Venna and S. Kaski, "Local multidimensional scaling", Neural
       Networks 19(6–7), 889–899, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import trustworthiness
    >>> X = np.random.RandomState(0).uniform(size=(200, 2))
    >>> som = SelfOrganizingMap(8, 8, random_state=0).fit(X)
    >>> bool(trustworthiness(som, X, n_neighbors=5) > 0.9)
    True
    """
    X, projected = _projection(som, X, n_neighbors, max_samples, random_state)
    return _rank_measures(X, projected, n_neighbors)[0]


def continuity(som, X, n_neighbors=5, *, max_samples=None, random_state=None):
    """Continuity of the map projection: are neighbours in the data kept close
    on the map?

    With :math:`V_k(i)` the samples among the k nearest to i in the data but not
    on the map, and :math:`\\hat r(i, j)` the rank of j by grid distance from i
    on the map (see :func:`trustworthiness` for the projection),

    .. math::

        C(k) = 1 - \\frac{2}{n k (2n - 3k - 1)} \\sum_{i=1}^{n}
        \\sum_{j \\in V_k(i)} \\bigl(\\hat r(i, j) - k\\bigr).

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map.

    X : array-like of shape (n_samples, n_features)
        Samples, without missing values.

    n_neighbors : int, default=5
        Size k of the neighbourhoods; less than ``n_samples / 2``.

    max_samples : int, default=None
        If set and ``X`` has more rows, score a random subsample of this many
        rows (without replacement). The measure takes time O(n²): use it on
        big data.

    random_state : int, RandomState instance or None, default=None
        Draws the subsample when ``max_samples`` applies.

    Returns
    -------
    continuity : float
        In [0, 1], higher is better: 1 when the k nearest neighbours of every
        sample in the data are among its k nearest on the map.

    See Also
    --------
    trustworthiness : The converse, and the handling of ties.

    Notes
    -----
    Ties (samples on one unit, units at equal grid distance) are taken as in
    :func:`trustworthiness`: the value is the expectation over ties broken
    uniformly at random, and without ties it is Venna and Kaski's measure,
    that is scikit-learn's :func:`~sklearn.manifold.trustworthiness` with the
    two spaces swapped. Chunked, in time O(n² log n).

    References
    ----------
    .. [1] J. Venna and S. Kaski, "Neighborhood preservation in nonlinear
       projection methods: an experimental study", Proc. ICANN 2001, LNCS 2130,
       485–491.
    .. [2] J. Venna and S. Kaski, "Local multidimensional scaling", Neural
       Networks 19(6–7), 889–899, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import continuity
    >>> X = np.random.RandomState(0).uniform(size=(200, 2))
    >>> som = SelfOrganizingMap(8, 8, random_state=0).fit(X)
    >>> bool(continuity(som, X, n_neighbors=5) > 0.9)
    True
    """
    X, projected = _projection(som, X, n_neighbors, max_samples, random_state)
    return _rank_measures(X, projected, n_neighbors)[1]


def neighborhood_preservation(som, X, n_neighbors=5, *, max_samples=None,
                              random_state=None):
    """Share of every sample's k nearest neighbours in the data that are also
    its k nearest on the map.

    With :math:`N^X_k(i)` and :math:`N^M_k(i)` the k nearest neighbours of
    sample i in the data and on the map (grid distances between best-matching
    units, as in :func:`trustworthiness`),

    .. math::

        N\\!P(k) = \\frac{1}{n k} \\sum_{i=1}^{n}
        \\bigl| N^X_k(i) \\cap N^M_k(i) \\bigr|,

    the mean k-nearest-neighbour overlap (Lee and Verleysen's :math:`Q_{NX}(k)`;
    the mean precision, equally the mean recall, of Venna et al.'s retrieval
    view).

    Parameters
    ----------
    som : SelfOrganizingMap
        A fitted map.

    X : array-like of shape (n_samples, n_features)
        Samples, without missing values.

    n_neighbors : int, default=5
        Size k of the neighbourhoods; less than ``n_samples / 2``.

    max_samples : int, default=None
        If set and ``X`` has more rows, score a random subsample of this many
        rows (without replacement). The measure takes time O(n²): use it on
        big data.

    random_state : int, RandomState instance or None, default=None
        Draws the subsample when ``max_samples`` applies.

    Returns
    -------
    preservation : float
        In [0, 1], higher is better. A random projection scores about
        ``k / (n - 1)``.

    See Also
    --------
    trustworthiness, continuity : Also weigh how far the misplaced neighbours
        are.

    Notes
    -----
    Ties are taken as in :func:`trustworthiness`: j counts with the probability
    that it is among the k nearest in the data times the probability that it
    is among the k nearest on the map, when ties are broken uniformly at random
    and independently in the two spaces. Chunked, in time O(n² log n).

    References
    ----------
    .. [1] J. A. Lee and M. Verleysen, "Quality assessment of dimensionality
       reduction: rank-based criteria", Neurocomputing 72(7–9), 1431–1443, 2009.
    .. [2] J. Venna, J. Peltonen, K. Nybo, H. Aidos and S. Kaski, "Information
       retrieval perspective to nonlinear dimensionality reduction for data
       visualization", Journal of Machine Learning Research 11, 451–490, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import neighborhood_preservation
    >>> X = np.random.RandomState(0).uniform(size=(200, 2))
    >>> som = SelfOrganizingMap(8, 8, random_state=0).fit(X)
    >>> bool(0.3 < neighborhood_preservation(som, X, n_neighbors=5) < 1)
    True
    """
    X, projected = _projection(som, X, n_neighbors, max_samples, random_state)
    return _rank_measures(X, projected, n_neighbors)[2]


# --------------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------------


class _MapScorer:
    """``scorer(estimator, X, y=None)``: a map-quality measure, greater is better.

    ``estimator`` is a fitted :class:`~sknn_math.SelfOrganizingMap` or a
    :class:`~sklearn.pipeline.Pipeline` ending in one, whose other steps then
    transform ``X`` first.
    """

    def __init__(self, name, measure, score_from_value, kwargs):
        self._name = name
        self._measure = measure
        self._score_from_value = score_from_value
        self._kwargs = kwargs

    def __call__(self, estimator, X, y=None, sample_weight=None):
        if hasattr(estimator, "steps"):  # a Pipeline: transform, then measure
            X = estimator[:-1].transform(X)
            estimator = estimator[-1]
        kwargs = dict(self._kwargs)
        if sample_weight is not None:
            if self._measure not in _WEIGHTED:
                raise TypeError(f"{self._measure.__name__} takes no sample_weight.")
            kwargs["sample_weight"] = sample_weight
        if self._measure is topographic_product:  # a measure of the codebook
            return self._score_from_value(topographic_product(estimator, **kwargs))
        return self._score_from_value(self._measure(estimator, X, **kwargs))

    def __repr__(self):
        kwargs = "".join(f", {key}={value!r}" for key, value in self._kwargs.items())
        return f"get_scorer({self._name!r}{kwargs})"


_WEIGHTED = (quantization_error, topographic_error, distortion, combined_error)



def _as_is(value):
    return float(value)


def _negated(value):
    return -float(value)


def _negated_abs(value):
    return -abs(float(value))


# name → (measure, its score as a function of its value)
_MEASURES = {
    "neg_quantization_error": (quantization_error, _negated),
    "neg_topographic_error": (topographic_error, _negated),
    "neg_abs_topographic_product": (topographic_product, _negated_abs),
    "trustworthiness": (trustworthiness, _as_is),
    "continuity": (continuity, _as_is),
    "neighborhood_preservation": (neighborhood_preservation, _as_is),
    "neg_distortion": (distortion, _negated),
    "neg_combined_error": (combined_error, _negated),
}

SCORERS = {
    name: _MapScorer(name, measure, score_from_value, {})
    for name, (measure, score_from_value) in _MEASURES.items()
}
"""Scorers of every measure with its default parameters, by name.

Each is a callable ``scorer(estimator, X, y=None)`` for the ``scoring``
parameter of scikit-learn's model selection; the errors are negated (names
``neg_…``) and the topographic product becomes ``-abs(P)``, so that greater is
always better."""


def get_scorer_names():
    """Names of the map-quality scorers, for :func:`get_scorer`.

    Returns
    -------
    names : list of str
        Sorted names; error measures carry the prefix ``neg_``.

    Examples
    --------
    >>> from sknn_math.metrics import get_scorer_names
    >>> get_scorer_names()[:3]
    ['continuity', 'neg_abs_topographic_product', 'neg_combined_error']
    """
    return sorted(_MEASURES)


def get_scorer(name, **kwargs):
    """A map-quality scorer for ``scoring=`` in scikit-learn's model selection.

    Parameters
    ----------
    name : str
        One of :func:`get_scorer_names`: ``'neg_quantization_error'``,
        ``'neg_topographic_error'``, ``'neg_abs_topographic_product'``,
        ``'trustworthiness'``, ``'continuity'``, ``'neighborhood_preservation'``,
        ``'neg_distortion'``, ``'neg_combined_error'``.

    **kwargs : dict
        Keyword arguments of the measure, such as ``n_neighbors`` or
        ``max_samples`` of :func:`trustworthiness`, or ``sigma`` of
        :func:`distortion`.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None, sample_weight=None) -> float``, greater is
        better. ``estimator`` is a fitted
        :class:`~sknn_math.SelfOrganizingMap`, or a
        :class:`~sklearn.pipeline.Pipeline` ending in one (its first steps
        transform ``X``). ``y`` is ignored: the measures are unsupervised.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sknn_math import SelfOrganizingMap
    >>> from sknn_math.metrics import get_scorer
    >>> X = np.random.RandomState(0).uniform(size=(300, 2))
    >>> search = GridSearchCV(
    ...     SelfOrganizingMap(random_state=0),
    ...     [{"n_rows": [n], "n_cols": [n]} for n in (2, 4, 8)],
    ...     scoring=get_scorer("neg_combined_error"),
    ... ).fit(X)
    >>> search.best_params_
    {'n_cols': 8, 'n_rows': 8}
    """
    if name not in _MEASURES:
        hint = ""
        if f"neg_{name}" in _MEASURES:
            hint = f" As a score (greater is better) the error is 'neg_{name}'."
        raise ValueError(
            f"{name!r} is not a map-quality scorer.{hint} Valid names: "
            f"{', '.join(get_scorer_names())}."
        )
    measure, score_from_value = _MEASURES[name]
    return _MapScorer(name, measure, score_from_value, kwargs)
