"""Tests of SelfOrganizingMap: scikit-learn compatibility, oracles, behaviour."""

import io
import pickle
import re
import threading
import warnings
from contextlib import redirect_stdout
from math import sqrt

import numpy as np
import pytest
from _som_oracles import assert_same_units_off_ties, literal_grid_distance
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from sknn_math import _parallel, _som_bmu, _som_data, _som_init, _som_rules
from sknn_math._parallel import chunk_n_rows
from sknn_math._som import SelfOrganizingMap
from sknn_math._som_bmu import bmu_operands
from sknn_math._som_grid import automatic_n_units, grid_adjacency
from sknn_math._som_kernels import DECAYS, NEIGHBORHOODS
from sknn_math._som_rules import chunk_statistics, sum_statistics

# --------------------------------------------------------------------------------
# Literal oracles: loops over samples and units, written from the textbook
# definitions and independent of the vectorised implementation.
# --------------------------------------------------------------------------------




def literal_kernel(name, d, sigma):
    if name == "gaussian":
        return np.exp(-d * d / (2 * sigma * sigma))
    if name == "bubble":
        return 1.0 if d <= sigma else 0.0
    if name == "triangle":
        return max(0.0, 1.0 - d / sigma)
    if name == "mexican_hat":
        return (1 - d * d / sigma**2) * np.exp(-d * d / (2 * sigma**2))
    raise ValueError(name)


def literal_winner(x, W):
    best, best_d = 0, np.inf
    for k in range(len(W)):
        d = sum((x[f] - W[k, f]) ** 2 for f in range(len(x)))
        if d < best_d:
            best, best_d = k, d
    return best


def literal_batch_epoch(X, s, W, sigma, shape, topology, periodic, neighborhood):
    """w_k = Σ_i s_i h(c_i, k) x_i / Σ_i s_i h(c_i, k); no mass keeps w_k."""
    n_rows, n_cols = shape
    num = np.zeros_like(W)
    den = np.zeros(len(W))
    for i, x in enumerate(X):
        c = literal_winner(x, W)
        for k in range(len(W)):
            d = literal_grid_distance(c, k, n_rows, n_cols, topology, periodic)
            h = literal_kernel(neighborhood, d, sigma)
            num[k] += s[i] * h * x
            den[k] += s[i] * h
    W_new = W.copy()
    for k in range(len(W)):
        if den[k] > 0:
            W_new[k] = num[k] / den[k]
    return W_new


def literal_online(X, W, sigmas, etas, shape, topology, periodic, neighborhood):
    """w_k ← w_k + η(t) h(c, k; σ(t)) (x − w_k), samples in the given order."""
    n_rows, n_cols = shape
    W = W.copy()
    for t, x in enumerate(X):
        c = literal_winner(x, W)
        for k in range(len(W)):
            d = literal_grid_distance(c, k, n_rows, n_cols, topology, periodic)
            W[k] = W[k] + etas[t] * literal_kernel(neighborhood, d, sigmas[t]) * (
                x - W[k]
            )
    return W


def signed_data(n=30, d=3, seed=0):
    # Offset and mixed signs, so that a wrong sign or a dropped ‖x‖² shows.
    rng = np.random.RandomState(seed)
    scale = np.resize([3.0, 1.0, 0.5], d)
    offset = np.resize([-2.0, 5.0, -1.0], d)
    return rng.normal(size=(n, d)) * scale + offset


def tolerance(dtype):
    """Relative tolerance between computations that BLAS may round differently."""
    return 50 * float(np.finfo(dtype).eps)


# scikit-learn's own checks run in tests/test_common.py.


# --------------------------------------------------------------------------------
# Oracles.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "triangle"])
def test_batch_epochs_equal_literal_loop(topology, periodic, neighborhood):
    X = signed_data(25, 3)
    s = np.random.RandomState(1).randint(0, 4, size=len(X)).astype(float)
    W0 = np.random.RandomState(2).normal(size=(12, 3)) * 2
    shape = (4, 3)
    # Linear decay over 3 epochs. A bubble gives units with the same neighbours
    # the same prototype, and the winner among equals is a matter of rounding:
    # one epoch from distinct prototypes is the meaningful comparison there.
    sigmas = [2.5, (2.5 + 1.2) / 2, 1.2] if neighborhood != "bubble" else [1.2]
    som = SelfOrganizingMap(
        *shape,
        topology=topology,
        periodic=periodic,
        neighborhood=neighborhood,
        sigma_start=sigmas[0],
        sigma_end=1.2,
        max_iter=len(sigmas),
        init=W0,
    ).fit(X, sample_weight=s)
    W = W0
    for sigma in sigmas:
        W = literal_batch_epoch(X, s, W, sigma, shape, topology, periodic, neighborhood)
    np.testing.assert_allclose(som.codebook_, W, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_chunk_statistics_add_up_over_any_split(dtype, weighted):
    # The map-reduce contract of the batch epoch: statistics of the blocks of any
    # split of the rows, summed, are the statistics of the whole data, which are
    # the literal per-unit sums S_j = Σ s_i (x_i − μ) and counts n_j = Σ s_i.
    rng = np.random.RandomState(0)
    W = np.array([[i, j, i - j] for i in range(3) for j in range(4)], dtype=float)
    W = (3.0 * W + [-2.0, 5.0, 1.0]).astype(dtype)
    # Samples near a unit each (offsets ≤ 0.6 of the unit spacing 3): no ties.
    winner = rng.randint(0, len(W), size=200)
    X = (W[winner] + rng.uniform(-0.6, 0.6, size=(200, 3))).astype(dtype)
    s = rng.uniform(0, 3, size=200).astype(dtype) if weighted else None
    operands = bmu_operands(W, dtype)

    whole, error = chunk_statistics(X, s, operands, with_error=True)
    assert whole.shape == (len(W), 4)
    weights = np.ones(len(X)) if s is None else s.astype(np.float64)
    centred = X.astype(np.float64) - operands.mu.astype(np.float64)
    S = np.zeros((len(W), 3))
    n = np.zeros(len(W))
    for i in range(len(X)):
        S[winner[i]] += weights[i] * centred[i]
        n[winner[i]] += weights[i]
    eps = tolerance(dtype)
    scale = np.abs(weights) @ np.abs(centred)
    np.testing.assert_allclose(whole[:, :3], S, rtol=eps, atol=eps * scale.max())
    np.testing.assert_allclose(whole[:, 3], n, rtol=eps)
    expected_error = weights @ np.linalg.norm(X - W[winner].astype(np.float64), axis=1)
    assert error == pytest.approx(expected_error, rel=1e3 * eps)

    for n_cuts in (1, 5, 40):
        cuts = np.sort(rng.choice(np.arange(1, len(X)), n_cuts, replace=False))
        parts = [
            chunk_statistics(
                X_block, None if s is None else s_block, operands, with_error=True
            )
            for X_block, s_block in zip(
                np.split(X, cuts), np.split(weights.astype(dtype), cuts), strict=True
            )
        ]
        total, total_error = sum_statistics(parts, whole.shape)
        assert total.dtype == np.float64
        np.testing.assert_allclose(total[:, :3], S, rtol=eps, atol=eps * scale.max())
        np.testing.assert_allclose(total[:, 3], n, rtol=eps)
        assert total_error == pytest.approx(error, rel=eps)


def test_batch_epoch_float32_matches_float64():
    X = signed_data(40, 3)
    W0 = X[np.random.RandomState(3).choice(40, 9, replace=False)]
    kw = dict(max_iter=4, init=W0)
    som64 = SelfOrganizingMap(3, 3, **kw).fit(X)
    som32 = SelfOrganizingMap(3, 3, **kw).fit(X.astype(np.float32))
    assert som32.codebook_.dtype == np.float32
    np.testing.assert_allclose(som32.codebook_, som64.codebook_, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("neighborhood", ["gaussian", "mexican_hat", "bubble"])
def test_online_epoch_equals_textbook_update(topology, neighborhood):
    X = signed_data(12, 3)
    W0 = np.random.RandomState(4).normal(size=(6, 3))
    shape = (2, 3)
    som = SelfOrganizingMap(
        *shape,
        topology=topology,
        neighborhood=neighborhood,
        algorithm="online",
        sigma_start=2.0,
        sigma_end=0.8,
        learning_rate_start=0.6,
        learning_rate_end=0.05,
        max_iter=2,
        init=W0,
        shuffle=False,
    ).fit(X)
    T = 2 * len(X)
    frac = np.arange(T) / (T - 1)  # the schedules advance per sample
    sigmas = 2.0 + (0.8 - 2.0) * frac
    etas = 0.6 + (0.05 - 0.6) * frac
    W = literal_online(
        np.vstack([X, X]), W0, sigmas, etas, shape, topology, False, neighborhood
    )
    np.testing.assert_allclose(som.codebook_, W, rtol=1e-10, atol=1e-12)


def test_online_single_step_by_hand():
    # One sample, 1×3 map, σ = 1, η = 0.5. Winner is unit 0 (distance 1), so
    # h = exp(−d²/2) = (1, e^−½, e^−2) and w_k += 0.5 h_k (x − w_k).
    x = np.array([[-1.0, 2.0]])
    W0 = np.array([[0.0, 2.0], [3.0, -1.0], [-4.0, -4.0]])
    som = SelfOrganizingMap(
        1,
        3,
        algorithm="online",
        sigma_start=1.0,
        sigma_end=1.0,
        learning_rate_start=0.5,
        learning_rate_end=0.5,
        max_iter=1,
        init=W0,
    ).fit(x)
    h = np.exp(-np.array([0.0, 1.0, 4.0]) / 2)
    expected = W0 + 0.5 * h[:, None] * (x - W0)
    np.testing.assert_allclose(som.codebook_, expected)
    assert som.codebook_[0].tolist() == [-0.5, 2.0]


def test_online_weight_equals_repeated_presentation():
    X = signed_data(5, 2)
    W0 = np.random.RandomState(5).normal(size=(4, 2))
    kw = dict(
        algorithm="online",
        sigma_start=1.5,
        sigma_end=1.5,
        learning_rate_start=0.3,
        learning_rate_end=0.3,
        max_iter=1,
        init=W0,
        shuffle=False,
    )
    weights = np.array([1, 3, 0, 2, 1])
    weighted = SelfOrganizingMap(2, 2, **kw).fit(X, sample_weight=weights)
    repeated = SelfOrganizingMap(2, 2, **kw).fit(np.repeat(X, weights, axis=0))
    np.testing.assert_allclose(weighted.codebook_, repeated.codebook_, rtol=1e-12)


def fitted_with_codebook(W, shape, topology="rectangular", periodic=False):
    """A fitted map whose codebook is then set by hand."""
    som = SelfOrganizingMap(
        *shape,
        topology=topology,
        periodic=periodic,
        init="sample",
        max_iter=1,
        random_state=0,
    )
    som.fit(np.random.RandomState(0).normal(size=(20, W.shape[1])))
    som.codebook_ = np.asarray(W, dtype=float)
    return som


def test_hand_placed_weights_winners_and_errors():
    # 2×2 map: unit 0 (row 0, col 0), 1 (0, 1), 2 (1, 0), 3 (1, 1); 0 and 3 are
    # diagonal, so not neighbours on a rectangular grid.
    W = np.array([[-2.0, 0.0], [4.0, -4.0], [-6.0, 6.0], [-1.0, 0.0]])
    som = fitted_with_codebook(W, (2, 2))
    X = np.array(
        [
            [-1.6, 0.0],  # best 0 (0.4), second 3 (0.6): diagonal → error
            [-0.7, 0.0],  # best 3 (0.3), second 0 (1.3): diagonal → error
            [4.0, -1.0],  # best 1 (3.0), second 3 (5.099): neighbours
            [-6.0, 2.0],  # best 2 (4.0), second 0 (4.472): neighbours
        ]
    )
    np.testing.assert_array_equal(som.predict(X), [0, 3, 1, 2])
    np.testing.assert_array_equal(som.best_matching_unit(X), [0, 3, 1, 2])
    assert som.quantization_error(X) == pytest.approx((0.4 + 0.3 + 3.0 + 4.0) / 4)
    assert som.topographic_error(X) == pytest.approx(0.5)
    assert som.score(X) == pytest.approx(-(0.4 + 0.3 + 3.0 + 4.0) / 4)
    # Weighted: the two diagonal samples weigh 1, the others 3.
    s = np.array([1.0, 1.0, 3.0, 3.0])
    assert som.topographic_error(X, sample_weight=s) == pytest.approx(2 / 8)
    assert som.quantization_error(X, sample_weight=s) == pytest.approx(
        (0.4 + 0.3 + 9.0 + 12.0) / 8
    )
    np.testing.assert_allclose(
        som.transform(X[[2]])[0], [sqrt(37), 3.0, sqrt(149), sqrt(26)]
    )
    np.testing.assert_allclose(
        som.grid_coordinates(X), [[0, 0], [1, 1], [1, 0], [0, 1]]
    )
    np.testing.assert_array_equal(som.hit_map(X), [[1, 1], [1, 1]])


def test_topographic_error_on_torus_and_hexagonal_grid():
    # 1×4 map: units 0 and 3 meet only across the edge of a torus.
    W = np.array([[0.0, 0.0], [10.0, 10.0], [20.0, 20.0], [1.0, 0.0]])
    X = np.array([[0.4, 0.0], [0.6, 0.0]])
    assert fitted_with_codebook(W, (1, 4)).topographic_error(X) == 1.0
    assert fitted_with_codebook(W, (1, 4), periodic=True).topographic_error(X) == 0.0
    # 2×2 map: units 1 (row 0, col 1) and 2 (row 1, col 0) are diagonal on a
    # rectangular grid but neighbours on a hexagonal one (row 1 shifts by ½).
    W = np.array([[9.0, 9.0], [0.0, 0.0], [1.0, 0.0], [-9.0, 9.0]])
    X = np.array([[0.3, 0.0], [0.8, 0.1]])
    assert fitted_with_codebook(W, (2, 2)).topographic_error(X) == 1.0
    assert fitted_with_codebook(W, (2, 2), "hexagonal").topographic_error(X) == 0.0
    # ... and units 0 and 3 are not neighbours on a planar hexagonal map.
    W = np.array([[0.0, 0.0], [9.0, 9.0], [-9.0, 9.0], [1.0, 0.0]])
    assert fitted_with_codebook(W, (2, 2), "hexagonal").topographic_error(X) == 1.0


@pytest.mark.parametrize(
    "shape, topology, periodic, degree",
    [
        ((4, 6), "rectangular", True, 4),
        ((4, 6), "hexagonal", True, 6),
        ((6, 5), "hexagonal", True, 6),
        ((5, 6), "hexagonal", True, 6),
        ((3, 4), "hexagonal", True, 6),
        ((3, 3), "rectangular", True, 4),
    ],
)
def test_every_unit_has_its_neighbours_on_a_torus(shape, topology, periodic, degree):
    W = np.arange(np.prod(shape) * 2, dtype=float).reshape(-1, 2) ** 1.5
    som = fitted_with_codebook(W, shape, topology, periodic)
    n = np.prod(shape)
    literal = np.array(
        [
            [
                j != k
                and abs(literal_grid_distance(k, j, *shape, topology, periodic) - 1)
                < 1e-9
                for j in range(n)
            ]
            for k in range(n)
        ]
    )
    assert (literal.sum(axis=1) == degree).all()  # the oracle itself
    adjacency = grid_adjacency(som.unit_coordinates_, som._periods())
    np.testing.assert_array_equal(adjacency, literal)
    # U-matrix: literal mean distance to the neighbours.
    U = som.umatrix().ravel()
    for k in range(n):
        neighbours = np.flatnonzero(literal[k])
        expected = np.mean([np.linalg.norm(W[k] - W[j]) for j in neighbours])
        assert U[k] == pytest.approx(expected)


# --------------------------------------------------------------------------------
# The map orders and clusters.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("algorithm", ["batch", "online"])
def test_map_orders_a_square(topology, algorithm):
    X = np.random.RandomState(0).uniform(-1, 1, size=(1500, 2))
    n = 1500 if algorithm == "batch" else 600
    som = SelfOrganizingMap(
        8,
        8,
        topology=topology,
        algorithm=algorithm,
        max_iter=15 if algorithm == "batch" else 5,
        init="random",
        random_state=0,
    ).fit(X[:n])
    assert som.topographic_error_ < 0.05
    # Neighbouring units hold neighbouring prototypes: every grid edge is short
    # (the spacing of an 8×8 map on a side of 2 is 0.25).
    coords = som.unit_coordinates_
    d_grid = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    d_proto = np.linalg.norm(som.codebook_[:, None] - som.codebook_[None], axis=-1)
    adjacent = np.isclose(d_grid, 1.0)
    assert d_proto[adjacent].max() < 0.6
    # ... and prototypes far apart on the grid are far apart in the data.
    assert d_proto[d_grid > 4].min() > 0.4


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_two_level_clustering_recovers_blobs(topology):
    X, y = make_blobs(n_samples=600, centers=4, n_features=5, random_state=3)
    som = SelfOrganizingMap(8, 8, topology=topology, n_clusters=4, random_state=0).fit(
        X
    )
    assert adjusted_rand_score(y, som.labels_) > 0.95
    np.testing.assert_array_equal(np.unique(som.labels_), np.arange(4))
    np.testing.assert_array_equal(som.predict(X), som.labels_)
    assert som.cluster_centers_.shape == (4, 5)
    assert som.unit_labels_.shape == (64,)
    # The cluster centres sit on the blob centres.
    for k in range(4):
        members = X[som.labels_ == k]
        np.testing.assert_allclose(
            som.cluster_centers_[k], members.mean(axis=0), atol=0.5
        )


def test_clustering_labels_are_all_used_with_idle_units():
    # Three tight blobs on a big map leave most units without hits.
    X, _ = make_blobs(n_samples=60, centers=3, cluster_std=0.05, random_state=0)
    som = SelfOrganizingMap(10, 10, n_clusters=3, random_state=0).fit(X)
    assert (som.hits_ == 0).sum() > 50
    np.testing.assert_array_equal(np.unique(som.labels_), [0, 1, 2])
    assert set(som.unit_labels_) == {0, 1, 2}


def test_more_clusters_than_winning_units_is_a_clear_error():
    X = np.repeat([[0.0, 0.0], [5.0, 1.0]], 10, axis=0)
    with pytest.raises(ValueError, match="only 2 map units won"):
        SelfOrganizingMap(3, 3, n_clusters=3, init="random", random_state=0).fit(X)


# --------------------------------------------------------------------------------
# partial_fit, reproducibility, persistence, shapes.
# --------------------------------------------------------------------------------


def test_partial_fit_reaches_fit_quality():
    X = np.random.RandomState(0).uniform(-1, 1, size=(3000, 3))
    full = SelfOrganizingMap(6, 6, max_iter=10, random_state=0).fit(X)
    chunks = np.array_split(X, 10)
    online = SelfOrganizingMap(6, 6, max_iter=10, random_state=0)
    for _ in range(2):  # the schedule over the first pass, averaging on the second
        for chunk in chunks:
            online.partial_fit(chunk)
    assert online.n_iter_ == 20
    qe_full = full.quantization_error(X)
    assert online.quantization_error(X) < 1.05 * qe_full


def test_partial_fit_online_algorithm_and_first_call_shape():
    X = np.random.RandomState(0).normal(size=(400, 2)) * [3, 1]
    som = SelfOrganizingMap(algorithm="online", max_iter=8, random_state=0)
    chunks = np.array_split(X, 4)
    with pytest.warns(UserWarning, match="shape from its first chunk alone"):
        som.partial_fit(chunks[0])
    for chunk in chunks[1:] + chunks:
        som.partial_fit(chunk)
    # 5·√100 ≈ 50 units from the first chunk, longer side along the first axis.
    assert som.n_rows_ * som.n_cols_ == pytest.approx(50, abs=3)
    assert som.n_rows_ > som.n_cols_
    full = SelfOrganizingMap(som.n_rows_, som.n_cols_, random_state=0).fit(X)
    assert som.quantization_error(X) < 1.5 * full.quantization_error(X)


def test_partial_fit_after_fit_keeps_the_map():
    X = signed_data(300, 3)
    som = SelfOrganizingMap(5, 5, random_state=0).fit(X)
    qe = som.quantization_error(X)
    som.partial_fit(X[:100])
    assert som.quantization_error(X) < 1.1 * qe
    with pytest.raises(ValueError, match="features"):
        som.partial_fit(X[:, :2])


@pytest.mark.parametrize(
    "params",
    [
        dict(init="random"),
        dict(init="sample", algorithm="online", max_iter=2),
        dict(init="pca", topology="hexagonal", periodic=True, n_clusters=3),
    ],
)
def test_same_seed_same_bits_and_pickle(params):
    X = signed_data(200, 3)
    a = SelfOrganizingMap(4, 4, random_state=7, **params).fit(X)
    b = SelfOrganizingMap(4, 4, random_state=7, **params).fit(X)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.codebook_, a.codebook_)
    np.testing.assert_array_equal(c.predict(X), a.predict(X))
    np.testing.assert_array_equal(c.transform(X), a.transform(X))


def test_working_memory_does_not_change_the_result():
    X = signed_data(500, 4)
    a = SelfOrganizingMap(5, 5).fit(X)
    with config_context(working_memory=0.01):  # chunks of a few rows
        b = SelfOrganizingMap(5, 5).fit(X)
        labels_b = b.predict(X)
    # Other chunks sum in another order: equal up to rounding, not bit for bit.
    eps = tolerance(np.float64)
    np.testing.assert_allclose(
        b.codebook_, a.codebook_, rtol=eps, atol=eps * np.abs(X).max()
    )
    # A label may flip between units at equal distance, but never to a worse unit.
    D = a.transform(X)
    np.testing.assert_allclose(
        D[np.arange(len(X)), labels_b], D.min(axis=1), rtol=1e-9
    )
    assert np.mean(labels_b == a.predict(X)) > 0.99


def test_map_shape_from_the_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3)) * [4.0, 1.0, 0.1]
    som = SelfOrganizingMap(max_iter=2).fit(X)
    assert som.n_rows_ * som.n_cols_ == pytest.approx(100, abs=5)  # 5·√400
    assert som.n_rows_ / som.n_cols_ == pytest.approx(4.0, rel=0.35)  # √(λ1/λ2)
    assert som.sigma_start_ == max(som.n_rows_, som.n_cols_) / 2
    # One feature: a line of units.
    som = SelfOrganizingMap(max_iter=2).fit(X[:, :1])
    assert som.n_cols_ == 1
    # Only one side given: the other completes about 5·√n units.
    som = SelfOrganizingMap(n_rows=5, max_iter=1).fit(X)
    assert (som.n_rows_, som.n_cols_) == (5, 20)


def test_pca_init_spans_the_principal_plane():
    from sklearn.decomposition import PCA

    X = signed_data(300, 3)
    som = SelfOrganizingMap(5, 4)
    som._initialize(X, None, np.random.RandomState(0))
    W = som.codebook_
    pca = PCA(n_components=2).fit(X)
    np.testing.assert_allclose(W.mean(axis=0), X.mean(axis=0), atol=1e-12)
    # Nothing off the principal plane ...
    offset = W - X.mean(axis=0)
    residual = offset - offset @ pca.components_.T @ pca.components_
    np.testing.assert_allclose(residual, 0, atol=1e-10)
    # ... rows (5, the longer side) along the first axis, columns along the
    # second, spanning ±√3 standard deviations (the extent of uniform data).
    scores = offset @ pca.components_.T
    std = np.sqrt(pca.explained_variance_ * (len(X) - 1) / len(X))
    grid = scores.reshape(5, 4, 2)
    np.testing.assert_allclose(np.abs(grid[[0, -1], :, 0]), sqrt(3) * std[0])
    np.testing.assert_allclose(np.abs(grid[:, [0, -1], 1]), sqrt(3) * std[1])
    assert np.all(np.diff(grid[:, 0, 0]) * np.sign(grid[-1, 0, 0]) > 0)


def test_float32_trains_and_predicts_in_float32():
    X = signed_data(300, 3).astype(np.float32)
    som = SelfOrganizingMap(4, 4, random_state=0).fit(X)
    assert som.codebook_.dtype == np.float32
    assert som.transform(X).dtype == np.float32
    assert som.cluster_centers_.dtype == np.float32
    som64 = SelfOrganizingMap(4, 4, random_state=0).fit(X.astype(np.float64))
    assert som.quantization_error_ == pytest.approx(som64.quantization_error_, rel=1e-3)


def test_float32_far_from_the_origin():
    # An offset of 10⁴ on unit-scale data: x·w in float32 would lose the winner
    # without centring.
    X = signed_data(400, 3) + 1e4
    som32 = SelfOrganizingMap(4, 4).fit(X.astype(np.float32))
    som64 = SelfOrganizingMap(4, 4).fit(X)
    agree = np.mean(som32.predict(X.astype(np.float32)) == som64.predict(X))
    assert agree > 0.97
    assert som32.quantization_error_ == pytest.approx(
        som64.quantization_error_, rel=2e-2
    )


def test_pandas_output_and_feature_names():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(signed_data(50, 3), columns=["a", "b", "c"])
    som = SelfOrganizingMap(2, 3).set_output(transform="pandas").fit(X)
    out = som.transform(X)
    assert list(out.columns) == [f"selforganizingmap{k}" for k in range(6)]
    np.testing.assert_array_equal(som.feature_names_in_, ["a", "b", "c"])
    pipe = make_pipeline(StandardScaler(), SelfOrganizingMap(2, 2, n_clusters=2))
    assert pipe.fit_predict(X).shape == (50,)


def test_verbose_prints_one_line_per_epoch():
    X = signed_data(60, 2)
    for algorithm in ("batch", "online"):
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            SelfOrganizingMap(3, 3, algorithm=algorithm, max_iter=3, verbose=1).fit(X)
        lines = buffer.getvalue().strip().splitlines()
        assert len(lines) == 3
        assert lines[0].startswith("Epoch 1/3: sigma = ")
        assert "at its end quantization error" in lines[-1]


def printed_errors(text):
    """The (quantization, topographic) errors of every verbose line."""
    return [
        (float(qe), float(te)) for qe, te in re.findall(
            r"quantization error = (\S+), topographic error = (\S+);", text)
    ]


@pytest.mark.parametrize("algorithm", ["batch", "online"])
def test_verbose_reports_the_errors_of_the_codebook_each_epoch_ends_with(algorithm):
    # Each line is the map after its epoch: the last is the fitted map's errors,
    # and an epoch's figure is that of a fit stopped there. (The codebook an
    # epoch starts from, the initial one for the first, scores otherwise.)
    X, _ = make_blobs(200, n_features=3, centers=4, random_state=0)
    params = dict(n_rows=4, n_cols=5, algorithm=algorithm, random_state=0,
                  sigma_start=2.5)
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        som = SelfOrganizingMap(max_iter=4, verbose=1, **params).fit(X)
    errors = printed_errors(buffer.getvalue())
    assert len(errors) == 4
    np.testing.assert_allclose(errors[-1], [som.quantization_error_,
                                            som.topographic_error_], rtol=1e-5)
    first = SelfOrganizingMap(max_iter=4, **params)
    first._initialize(X, None, check_random_state(0))
    distances = np.linalg.norm(X[:, None, :] - first.codebook_[None], axis=2)
    initial = distances.min(axis=1).mean()
    assert abs(errors[0][0] - initial) > 1e-3 * initial
    # printing measures the map without changing how it trains
    quiet = SelfOrganizingMap(max_iter=4, **params).fit(X)
    np.testing.assert_array_equal(quiet.codebook_, som.codebook_)


def test_verbose_partial_fit_reports_the_chunk_errors_after_its_epoch():
    X, _ = make_blobs(200, n_features=3, centers=4, random_state=0)
    som = SelfOrganizingMap(4, 5, max_iter=3, verbose=1, random_state=0)
    for chunk in np.array_split(X, 2):
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            som.partial_fit(chunk)
        (qe, te), = printed_errors(buffer.getvalue())
        assert qe == pytest.approx(som.quantization_error(chunk), rel=1e-5)
        assert te == pytest.approx(som.topographic_error(chunk), abs=1e-4)
    assert buffer.getvalue().startswith("Epoch 2: sigma = ")


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_radius_that_grows_is_refused_with_the_cure(method):
    X = signed_data(40, 2)
    som = SelfOrganizingMap(3, 3, sigma_start=0.5, sigma_end=1.0)
    with pytest.raises(ValueError, match=r"sigma_start=0.5 is below "
                       r"sigma_end=1.0.*set sigma_start above sigma_end"):
        getattr(som, method)(X)
    assert not hasattr(som, "codebook_")
    # a constant radius is a schedule like any other
    SelfOrganizingMap(3, 3, sigma_start=1.0, sigma_end=1.0, max_iter=2).fit(X)


def test_partial_fit_refuses_a_sigma_end_above_the_radius_it_started_from():
    X = signed_data(40, 2)
    som = SelfOrganizingMap(3, 3, max_iter=2).partial_fit(X)  # sigma_start_ 1.5
    som.set_params(sigma_end=4.0)
    with pytest.raises(ValueError, match=r"sigma_start_=1.5, below sigma_end=4.0"
                       r".*Lower sigma_end, or call fit"):
        som.partial_fit(X)
    assert som.n_iter_ == 1
    som.fit(X)  # a new schedule, from a radius of at least sigma_end
    assert som.sigma_start_ == 4.0


def test_partial_fit_warns_that_its_first_chunk_fixes_the_automatic_shape():
    X = signed_data(500, 2)
    som = SelfOrganizingMap(random_state=0)
    with pytest.warns(UserWarning, match=r"first chunk alone: 10 samples give "
                      r"\d+×\d+ units.*Pass n_rows and n_cols") as record:
        som.partial_fit(X[:10])
    assert record[0].filename == __file__  # points at the caller's line
    assert f"give {som.n_rows_}×{som.n_cols_} units" in str(record[0].message)
    # far fewer units than the whole data would get
    assert som.n_rows_ * som.n_cols_ < automatic_n_units(500, 500) / 4
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        som.partial_fit(X[10:])  # later chunks keep the shape, without a word
        SelfOrganizingMap(4, 4).partial_fit(X[:10])  # a given shape is kept
    with pytest.warns(UserWarning, match="first chunk alone"):
        SelfOrganizingMap(n_rows=4).partial_fit(X[:10])  # n_cols chosen


@pytest.mark.parametrize("holes", [0.0, 0.2], ids=["complete", "with-nan"])
def test_predict_many_samples_is_vectorised(monkeypatch, holes):
    # One distance product per chunk of rows, as many chunks as chunk_n_rows
    # says, with or without missing values: a loop over samples (or any route
    # around the chunk kernel) fails.
    X = with_holes(signed_data(20000, 8), holes, seed=6)
    som = SelfOrganizingMap(10, 10, max_iter=2).fit(X[:2000])
    calls = []
    kernel = _som_bmu.chunk_products

    def counted(X_chunk, *args, **kwargs):
        calls.append(X_chunk.shape[0])
        return kernel(X_chunk, *args, **kwargs)

    monkeypatch.setattr(_som_bmu, "chunk_products", counted)
    labels = som.predict(X)
    rows = chunk_n_rows((100 + 8 + 1) * 8, len(X), fit_in_cache=True)
    assert rows > 100
    assert len(calls) == -(-len(X) // rows)
    assert sum(calls) == len(X)
    D = som.transform(X)
    np.testing.assert_allclose(D[np.arange(len(X)), labels], D.min(axis=1),
                               rtol=1e-9)


# --------------------------------------------------------------------------------
# Bad input: clear errors, inputs untouched.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_input_is_rejected(bad):
    # NaN is a missing value; infinity stays an error, NaN beside it or not.
    X = signed_data(20, 3)
    X[3, 1] = bad
    before = X.copy()
    with pytest.raises(ValueError, match="infinity"):
        SelfOrganizingMap(2, 2).fit(X)
    X[5, 0] = np.nan
    before = X.copy()
    with pytest.raises(ValueError, match="infinity"):
        SelfOrganizingMap(2, 2).partial_fit(X)
    som = SelfOrganizingMap(2, 2).fit(signed_data(20, 3))
    for method in (som.predict, som.transform, som.score, som.hit_map):
        with pytest.raises(ValueError, match="infinity"):
            method(X)
    np.testing.assert_array_equal(X, before)


def test_empty_and_wrong_width_are_rejected():
    with pytest.raises(ValueError, match="0 sample"):
        SelfOrganizingMap(2, 2).fit(np.empty((0, 3)))
    som = SelfOrganizingMap(2, 2).fit(signed_data(20, 3))
    with pytest.raises(ValueError, match="3 features"):
        som.transform(signed_data(5, 2))


def test_pca_needs_as_many_axes_as_the_map():
    X = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])  # one direction
    with pytest.raises(ValueError, match="varies along only 1.*init='random'"):
        SelfOrganizingMap(3, 3).fit(X)
    SelfOrganizingMap(1, 5).fit(X)  # a line needs one axis
    SelfOrganizingMap(3, 3, init="random", random_state=0).fit(X)
    with pytest.raises(ValueError, match="n_samples=1"):
        SelfOrganizingMap(2, 2).fit(X[:1])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(neighborhood="mexican_hat"), "algorithm='online'"),
        (dict(init=np.zeros((5, 3))), r"needs \(6, 3\)"),
        (dict(init=np.zeros((6, 3)), n_rows=None), "set n_rows and n_cols"),
    ],
)
def test_bad_parameters_are_clear_errors(params, match):
    X = signed_data(30, 3)
    before = X.copy()
    kw = dict(n_rows=2, n_cols=3)
    kw.update(params)
    with pytest.raises(ValueError, match=match):
        SelfOrganizingMap(**kw).fit(X)
    np.testing.assert_array_equal(X, before)


def test_inputs_are_not_modified():
    X = np.asfortranarray(signed_data(50, 3).astype(np.float32))
    s = np.linspace(0.5, 2.0, 50)
    init = np.random.RandomState(0).normal(size=(6, 3))
    X0, s0, init0 = X.copy(), s.copy(), init.copy()
    for algorithm in ("batch", "online"):
        som = SelfOrganizingMap(2, 3, algorithm=algorithm, init=init).fit(
            X, sample_weight=s
        )
        som.partial_fit(X, sample_weight=s)
        som.predict(X), som.transform(X), som.hit_map(X, sample_weight=s)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(s, s0)
    np.testing.assert_array_equal(init, init0)


# --------------------------------------------------------------------------------
# Kernels, decays and properties.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NEIGHBORHOODS))
def test_neighbourhoods_match_their_definition(name):
    d = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.7])
    got = NEIGHBORHOODS[name](d, 1.5)
    expected = [literal_kernel(name, v, 1.5) for v in d]
    np.testing.assert_allclose(got, expected)
    assert got[0] == 1.0
    assert float(NEIGHBORHOODS[name](1.5, 1.5)) == pytest.approx(expected[3])


@pytest.mark.parametrize("name", sorted(DECAYS))
def test_decays_run_from_start_to_end(name):
    assert DECAYS[name](10.0, 1.0, 0.0) == pytest.approx(10.0)
    assert DECAYS[name](10.0, 1.0, 1.0) == pytest.approx(1.0)
    mid = DECAYS[name](10.0, 1.0, 0.5)
    assert mid == pytest.approx(5.5 if name == "linear" else sqrt(10.0))


@settings(max_examples=25, deadline=None)
@given(
    n_rows=st.integers(1, 4),
    n_cols=st.integers(1, 4),
    topology=st.sampled_from(["rectangular", "hexagonal"]),
    periodic=st.booleans(),
    neighborhood=st.sampled_from(["gaussian", "bubble", "triangle"]),
    seed=st.integers(0, 2**16),
)
def test_property_batch_epoch_is_the_literal_one(
    n_rows, n_cols, topology, periodic, neighborhood, seed
):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(15, 2)) * rng.uniform(0.1, 5) + rng.normal(size=2) * 3
    W0 = rng.normal(size=(n_rows * n_cols, 2))
    sigma = rng.uniform(0.3, 3.0)
    som = SelfOrganizingMap(
        n_rows,
        n_cols,
        topology=topology,
        periodic=periodic,
        neighborhood=neighborhood,
        sigma_start=sigma,
        sigma_end=sigma,
        max_iter=1,
        init=W0,
    ).fit(X)
    expected = literal_batch_epoch(
        X,
        np.ones(len(X)),
        W0,
        sigma,
        (n_rows, n_cols),
        topology,
        periodic,
        neighborhood,
    )
    np.testing.assert_allclose(som.codebook_, expected, rtol=1e-9, atol=1e-12)
    # Invariants of the fitted map.
    assert som.hit_map().sum() == len(X)
    # Near-equal prototypes make the argmin a matter of rounding: compare the
    # squared distances, within the rounding of the product that ranks them
    # (a few eps of the squared scale of data and prototypes).
    D = som.transform(X)
    scale = 2 * max(np.abs(X).max(), np.abs(som.codebook_).max())
    excess = D[np.arange(len(X)), som.predict(X)] ** 2 - D.min(axis=1) ** 2
    assert np.all(excess <= 256 * np.finfo(X.dtype).eps * scale**2)
    assert (som.umatrix() >= 0).all()
    assert som.grid_coordinates(X).shape == (len(X), 2)


def test_threaded_chunks_give_the_same_bits(monkeypatch):
    # Many chunks, shared among 4 worker threads whatever the machine's cores:
    # results are folded in chunk order, so neither thread timing nor the number
    # of threads changes a bit. Every run makes the very same products, on
    # single-threaded BLAS (as the workers do), so bit-identity is the contract.
    X = signed_data(3000, 4).astype(np.float32)
    threads = set()
    kernel = _som_bmu.chunk_products

    def recorded(*args, **kwargs):
        threads.add(threading.get_ident())
        return kernel(*args, **kwargs)

    # the training epochs and the final measures
    monkeypatch.setattr(_som_bmu, "chunk_products", recorded)
    # the PCA's sums: several tasks of cache-sized blocks
    monkeypatch.setattr(_som_init, "_TASK_ROWS", 1000)

    def fit(n_workers):
        monkeypatch.setattr(_parallel, "n_worker_threads", lambda: n_workers)
        threads.clear()
        with config_context(working_memory=0.05), _parallel.single_threaded_blas():
            som = SelfOrganizingMap(6, 6, init="pca", random_state=1).fit(X)
        return som, set(threads)

    fits = [fit(4) for _ in range(3)] + [fit(2), fit(1)]
    main = threading.get_ident()
    for _, used in fits[:-1]:
        assert main not in used  # the chunks ran on worker threads
    assert fits[-1][1] == {main}  # ... and serially with one worker
    reference = fits[0][0]
    for som, _ in fits[1:]:
        np.testing.assert_array_equal(som.codebook_, reference.codebook_)
        np.testing.assert_array_equal(som.labels_, reference.labels_)
        assert som.quantization_error_ == reference.quantization_error_
        assert som.topographic_error_ == reference.topographic_error_


def test_exponential_decay_cannot_reach_a_zero_learning_rate():
    X = np.random.RandomState(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="learning_rate_end"):
        SelfOrganizingMap(3, 3, algorithm="online", decay="exponential",
                          learning_rate_end=0.0).fit(X)
    SelfOrganizingMap(3, 3, algorithm="online", learning_rate_end=0.0).fit(X)


# --------------------------------------------------------------------------------
# Missing values (NaN): observed features only.
# --------------------------------------------------------------------------------


def literal_masked_distances(X, W):
    """d[i, k] = Σ over the observed features f of x_i of (x_if − w_kf)²."""
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    D = np.zeros((len(X), len(W)))
    for i in range(len(X)):
        for k in range(len(W)):
            D[i, k] = sum(
                (X[i, f] - W[k, f]) ** 2
                for f in range(X.shape[1])
                if not np.isnan(X[i, f])
            )
    return D


def literal_masked_batch_epoch(X, s, W, sigma, shape, topology, periodic,
                               neighborhood):
    """w_kf = Σ_i s_i h(c_i, k) x_if / Σ_i s_i h(c_i, k) over the samples i that
    observe f; no such mass keeps w_kf."""
    n_rows, n_cols = shape
    winners = literal_masked_distances(X, W).argmin(axis=1)
    num = np.zeros(W.shape)
    den = np.zeros(W.shape)
    for i, x in enumerate(X):
        for k in range(len(W)):
            d = literal_grid_distance(winners[i], k, n_rows, n_cols, topology,
                                      periodic)
            h = literal_kernel(neighborhood, d, sigma)
            for f in range(len(x)):
                if not np.isnan(x[f]):
                    num[k, f] += s[i] * h * x[f]
                    den[k, f] += s[i] * h
    W_new = np.array(W, dtype=np.float64)
    for k in range(len(W)):
        for f in range(W.shape[1]):
            if den[k, f] > 0:
                W_new[k, f] = num[k, f] / den[k, f]
    return W_new


def literal_masked_online(X, W, sigmas, etas, shape, topology, periodic,
                          neighborhood):
    """w_kf ← w_kf + η h(c, k) (x_f − w_kf) for the observed features f of x."""
    n_rows, n_cols = shape
    W = np.array(W, dtype=np.float64)
    for t, x in enumerate(X):
        c = literal_masked_distances(x[None], W)[0].argmin()
        for k in range(len(W)):
            d = literal_grid_distance(c, k, n_rows, n_cols, topology, periodic)
            a = etas[t] * literal_kernel(neighborhood, d, sigmas[t])
            for f in range(len(x)):
                if not np.isnan(x[f]):
                    W[k, f] += a * (x[f] - W[k, f])
    return W


def with_holes(X, fraction, seed=0, keep_rows=0):
    """A copy of X with about ``fraction`` of its values NaN; every row keeps an
    observed value and the first ``keep_rows`` rows keep them all."""
    rng = np.random.RandomState(seed)
    X = np.array(X, copy=True)
    missing = rng.uniform(size=X.shape) < fraction
    missing[:keep_rows] = False
    empty = np.flatnonzero(missing.all(axis=1))
    missing[empty, rng.randint(X.shape[1], size=empty.size)] = False
    X[missing] = np.nan
    return X


def clear_winners(D, margin=1e-3):
    """Rows whose three smallest distances are apart by a relative ``margin``:
    their best and second-best units do not depend on rounding."""
    part = np.sort(D, axis=1)[:, :3]
    scale = part[:, 2] + 1e-12
    return (np.diff(part, axis=1) > margin * scale[:, None]).all(axis=1)


def test_nan_is_declared_in_the_tags():
    tags = SelfOrganizingMap().__sklearn_tags__()
    assert tags.input_tags.allow_nan


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_masked_distances_and_units_equal_literal_loop(dtype, weighted):
    # Random NaN patterns; the first rows complete, and chunks of 5 rows, so
    # that chunks with and without NaN meet in one pass.
    rng = np.random.RandomState(0)
    X = with_holes(signed_data(240, 5), 0.3, seed=1, keep_rows=40).astype(dtype)
    W = (rng.normal(size=(12, 5)) * 2 + [-2.0, 5.0, -1.0, 0.0, 3.0]).astype(dtype)
    D = literal_masked_distances(X, W)
    clear = clear_winners(D)
    assert clear.mean() > 0.9
    s = rng.uniform(0.5, 3.0, size=len(X)) if weighted else np.ones(len(X))
    s = (s * clear).astype(dtype)  # near-ties weigh nothing
    som = fitted_with_codebook(W.astype(np.float64), (3, 4), topology="hexagonal")
    som.codebook_ = W
    with config_context(working_memory=5 * (12 + 5 + 1) * 8 / 2**20):
        assert chunk_n_rows((12 + 5 + 1) * 8, len(X), fit_in_cache=True) == 5
        bmu = _som_bmu.best_matching_units(X, W)
        bmu_e, error, wrong = _som_bmu.bmu_and_errors(
            X, s, W, som.unit_coordinates_, som._periods()
        )
        distances = som.transform(X)
    eps = tolerance(dtype)
    scale = D.max()
    np.testing.assert_array_equal(bmu[clear], D.argmin(axis=1)[clear])
    np.testing.assert_array_equal(bmu_e, bmu)
    np.testing.assert_allclose(D[np.arange(len(X)), bmu], D.min(axis=1),
                               rtol=eps, atol=eps * scale)
    # Errors over the observed features, the topographic one from the masked
    # second-best unit.
    assert error == pytest.approx(s @ np.sqrt(D.min(axis=1)), rel=1e3 * eps)
    order = np.argsort(D, axis=1)
    adjacent = grid_adjacency(som.unit_coordinates_, som._periods())
    literal_wrong = s @ ~adjacent[order[:, 0], order[:, 1]]
    assert wrong == pytest.approx(literal_wrong, rel=eps)
    assert distances.dtype == dtype
    np.testing.assert_allclose(distances, np.sqrt(D), rtol=1e-6, atol=1e-6)
    # The kernel itself: ‖x_o − w_o‖² = ‖x⁰‖² − 2 G on the centred chunk.
    operands = bmu_operands(W, dtype)
    X_aug, G = _som_bmu.chunk_products(
        X, operands, missing=_som_bmu.missing_mask(X)
    )
    X_c = X_aug[:, :5].astype(np.float64)
    d_sq = np.einsum("ij,ij->i", X_c, X_c)[:, None] - 2.0 * G
    np.testing.assert_allclose(d_sq, D, rtol=eps, atol=eps * scale)


def test_nan_free_data_never_enter_the_masked_code(monkeypatch):
    # Without NaN the code is the one from before missing values: no mask is
    # taken, no per-feature update runs, whatever the method.
    def refuse(*args, **kwargs):
        raise AssertionError("masked code on NaN-free data")

    for module in (_som_bmu, _som_rules):
        monkeypatch.setattr(module, "missing_mask", refuse)
    monkeypatch.setattr(_som_rules, "_batch_update_per_feature", refuse)
    monkeypatch.setattr(_som_init, "observed_means", refuse)
    monkeypatch.setattr(_som_init, "_pairwise_covariance", refuse)
    X = signed_data(200, 3)
    for algorithm in ("batch", "online"):
        for init in ("pca", "random", "sample"):
            som = SelfOrganizingMap(3, 3, algorithm=algorithm, init=init,
                                    max_iter=2, random_state=0).fit(X)
            som.partial_fit(X)
            som.predict(X), som.transform(X), som.score(X)
            som.topographic_error(X), som.hit_map(X)


def test_masked_path_on_nan_free_data_gives_the_plain_result():
    # The masked code run on data without NaN is the plain code: same units and
    # errors to the bit (a chunk without NaN takes no mask), and the same batch
    # update up to the rounding of a wider product.
    X = signed_data(500, 4)
    s = np.random.RandomState(0).uniform(0, 2, size=500)
    som = SelfOrganizingMap(4, 5, max_iter=2, random_state=0).fit(X)
    W, coords, periods = som.codebook_, som.unit_coordinates_, som._periods()
    plain = _som_bmu.bmu_and_errors(X, s, W, coords, periods, masked=False)
    masked = _som_bmu.bmu_and_errors(X, s, W, coords, periods, masked=True)
    np.testing.assert_array_equal(masked[0], plain[0])
    assert masked[1:] == plain[1:]
    H = NEIGHBORHOODS["gaussian"](som._grid_distances(), 1.5)
    W_plain, mass_plain, _ = _som_rules.batch_epoch(X, s, W, H, masked=False)
    W_masked, mass_masked, _ = _som_rules.batch_epoch(X, s, W, H, masked=True)
    np.testing.assert_allclose(W_masked, W_plain, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(mass_masked, np.repeat(mass_plain[:, None], 4, 1),
                               rtol=1e-14)
    assert not _som_bmu.has_missing(X)
    assert _som_bmu.has_missing(with_holes(X, 0.01))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_masked_chunk_statistics_equal_literal_loop(dtype, weighted):
    # S_jf = Σ s_i (x_if − μ_f) and n_jf = Σ s_i over the rows won by unit j that
    # observe f; n_j = Σ s_i over all of them. Any split adds up to the whole.
    rng = np.random.RandomState(0)
    W = (rng.normal(size=(12, 3)) * 3 + [-2.0, 5.0, 1.0]).astype(dtype)
    X = (W[rng.randint(0, 12, size=300)] + rng.normal(0, 0.4, size=(300, 3)))
    X = with_holes(X, 0.25, seed=2).astype(dtype)
    D = literal_masked_distances(X, W)
    X = X[clear_winners(D)]
    winner = D[clear_winners(D)].argmin(axis=1)
    s = rng.uniform(0, 3, size=len(X)).astype(dtype) if weighted else None
    weights = np.ones(len(X)) if s is None else s.astype(np.float64)
    operands = bmu_operands(W, dtype)
    mu = operands.mu.astype(np.float64)

    S = np.zeros((12, 3))
    n = np.zeros(12)
    n_f = np.zeros((12, 3))
    for i, x in enumerate(X.astype(np.float64)):
        n[winner[i]] += weights[i]
        for f in range(3):
            if not np.isnan(x[f]):
                S[winner[i], f] += weights[i] * (x[f] - mu[f])
                n_f[winner[i], f] += weights[i]

    whole, _ = chunk_statistics(X, s, operands, masked=True)
    assert whole.shape == (12, 7)
    eps = tolerance(dtype)
    atol = eps * np.nansum(np.abs(X)) * 3
    for stats in [whole] + [
        sum_statistics(
            [
                chunk_statistics(X_block, None if s is None else s_block, operands,
                                 masked=True)
                for X_block, s_block in zip(
                    np.split(X, cuts), np.split(weights.astype(dtype), cuts),
                    strict=True,
                )
            ],
            whole.shape,
        )[0]
        for cuts in ([7], [3, 50, 51, 120])
    ]:
        np.testing.assert_allclose(stats[:, :3], S, rtol=eps, atol=atol)
        np.testing.assert_allclose(stats[:, 3], n, rtol=eps)
        np.testing.assert_allclose(stats[:, 4:], n_f, rtol=eps)


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "triangle"])
def test_masked_batch_epochs_equal_literal_loop(topology, neighborhood):
    X = with_holes(signed_data(25, 3), 0.3, seed=3)
    s = np.random.RandomState(1).randint(0, 4, size=len(X)).astype(float)
    W0 = np.random.RandomState(2).normal(size=(12, 3)) * 2
    shape = (4, 3)
    sigmas = [2.5, (2.5 + 1.2) / 2, 1.2] if neighborhood != "bubble" else [1.2]
    som = SelfOrganizingMap(
        *shape, topology=topology, neighborhood=neighborhood,
        sigma_start=sigmas[0], sigma_end=1.2, max_iter=len(sigmas), init=W0,
    ).fit(X, sample_weight=s)
    W = W0
    for sigma in sigmas:
        W = literal_masked_batch_epoch(X, s, W, sigma, shape, topology, False,
                                       neighborhood)
    np.testing.assert_allclose(som.codebook_, W, rtol=1e-10, atol=1e-12)
    som32 = SelfOrganizingMap(
        *shape, topology=topology, neighborhood=neighborhood,
        sigma_start=sigmas[0], sigma_end=1.2, max_iter=len(sigmas), init=W0,
    ).fit(X.astype(np.float32), sample_weight=s)
    assert som32.codebook_.dtype == np.float32
    np.testing.assert_allclose(som32.codebook_, W, rtol=1e-4, atol=1e-4)


def test_batch_unit_keeps_the_weight_of_a_feature_it_never_sees():
    # 1×2 map, bubble of radius 0.5: each unit averages the samples it wins.
    # Unit 0 wins only samples missing feature 1: its feature 1 stays put,
    # its feature 0 is their mean; unit 1 averages what each feature has.
    W0 = np.array([[0.0, 7.0], [10.0, 10.0]])
    X = np.array([[1.0, np.nan], [-3.0, np.nan], [9.0, 11.0], [np.nan, 10.5],
                  [12.0, 12.0]])
    som = SelfOrganizingMap(1, 2, neighborhood="bubble", sigma_start=0.5,
                            sigma_end=0.5, max_iter=1, init=W0).fit(X)
    np.testing.assert_array_equal(som.labels_, [0, 0, 1, 1, 1])
    np.testing.assert_allclose(som.codebook_, [[-1.0, 7.0], [10.5, 33.5 / 3]])
    assert som.codebook_[0, 1] == 7.0


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
@pytest.mark.parametrize("neighborhood", ["gaussian", "mexican_hat"])
def test_masked_online_epoch_equals_textbook_update(topology, neighborhood):
    X = with_holes(signed_data(12, 3), 0.3, seed=4)
    W0 = np.random.RandomState(4).normal(size=(6, 3))
    shape = (2, 3)
    som = SelfOrganizingMap(
        *shape, topology=topology, neighborhood=neighborhood, algorithm="online",
        sigma_start=2.0, sigma_end=0.8, learning_rate_start=0.6,
        learning_rate_end=0.05, max_iter=2, init=W0, shuffle=False,
    ).fit(X)
    T = 2 * len(X)
    frac = np.arange(T) / (T - 1)
    sigmas = 2.0 + (0.8 - 2.0) * frac
    etas = 0.6 + (0.05 - 0.6) * frac
    W = literal_masked_online(np.vstack([X, X]), W0, sigmas, etas, shape,
                              topology, False, neighborhood)
    np.testing.assert_allclose(som.codebook_, W, rtol=1e-10, atol=1e-12)


def test_online_step_moves_only_the_observed_features():
    # One sample missing feature 1 (and weighted, which changes the step size
    # only): every prototype's feature 1 keeps its bits, feature 0 moves.
    x = np.array([[-1.0, np.nan, 4.0]])
    W0 = np.array([[0.0, 2.0, 3.0], [3.0, -1.0, 5.0], [-4.0, -4.0, 1.0]])
    W = W0.copy()
    grid_dist = np.abs(np.subtract.outer(np.arange(3.0), np.arange(3.0)))
    error = _som_rules.online_epoch(
        x, np.array([2.0]), W, grid_dist, [0], [1.0], [0.5],
        NEIGHBORHOODS["gaussian"], with_error=True,
    )
    np.testing.assert_array_equal(W[:, 1], W0[:, 1])
    # Winner: unit 0 (observed distance² 2 against 17 and 18).
    assert error == pytest.approx(2 * sqrt(2))
    a = 1 - (1 - 0.5 * np.exp(-np.array([0.0, 1.0, 4.0]) / 2)) ** 2
    expected = W0 + a[:, None] * (np.nan_to_num(x) - W0)
    expected[:, 1] = W0[:, 1]
    np.testing.assert_allclose(W, expected, rtol=1e-12)


def test_predict_transform_and_measures_with_nan():
    X = signed_data(300, 4)
    som = SelfOrganizingMap(4, 4, topology="hexagonal", random_state=0).fit(X)
    X_nan = with_holes(X, 0.25, seed=5, keep_rows=50)
    D = literal_masked_distances(X_nan, som.codebook_)
    clear = clear_winners(D)
    labels = som.predict(X_nan)
    np.testing.assert_array_equal(labels[clear], D.argmin(axis=1)[clear])
    np.testing.assert_array_equal(som.best_matching_unit(X_nan), labels)
    np.testing.assert_allclose(som.transform(X_nan), np.sqrt(D), rtol=1e-9,
                               atol=1e-9)
    # The complete rows are placed as they are alone.
    np.testing.assert_array_equal(labels[:50], som.predict(X[:50]))
    np.testing.assert_allclose(som.transform(X_nan)[:50], som.transform(X[:50]),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(som.grid_coordinates(X_nan),
                               som.unit_coordinates_[labels])
    assert som.hit_map(X_nan).sum() == len(X)
    qe = np.sqrt(D.min(axis=1)).mean()
    assert som.quantization_error(X_nan) == pytest.approx(qe, rel=1e-9)
    assert som.score(X_nan) == pytest.approx(-qe, rel=1e-9)
    order = np.argsort(D[clear], axis=1)
    adjacent = grid_adjacency(som.unit_coordinates_, som._periods())
    te = np.mean(~adjacent[order[:, 0], order[:, 1]])
    s = clear.astype(float)
    assert som.topographic_error(X_nan, sample_weight=s) == pytest.approx(te)
    # float32 in, float32 out, NaN or not.
    assert som.transform(X_nan.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("algorithm", ["batch", "online"])
def test_fit_with_nan_approaches_the_complete_fit(algorithm):
    X, _ = make_blobs(1500, n_features=6, centers=5, random_state=0)
    complete = SelfOrganizingMap(6, 6, algorithm=algorithm, random_state=0).fit(X)
    for init in ("pca", "random", "sample"):
        som = SelfOrganizingMap(6, 6, algorithm=algorithm, init=init,
                                random_state=0).fit(with_holes(X, 0.2, seed=7))
        assert np.isfinite(som.codebook_).all()
        assert som.quantization_error(X) < 1.1 * complete.quantization_error(X)
        assert 0 <= som.topographic_error_ <= 1
        assert np.isfinite(som.quantization_error_)


def test_partial_fit_with_nan():
    X = np.random.RandomState(0).uniform(-1, 1, size=(3000, 3))
    X_nan = with_holes(X, 0.2, seed=8)
    full = SelfOrganizingMap(6, 6, random_state=0).fit(X)
    som = SelfOrganizingMap(6, 6, max_iter=10, random_state=0)
    # NaN and NaN-free chunks in turn: the batch rule's averaging at the final
    # radius carries per-unit and per-feature masses from one to the next.
    for _ in range(2):
        for k, chunk in enumerate(np.array_split(np.arange(3000), 10)):
            som.partial_fit(X_nan[chunk] if k % 3 else X[chunk])
    assert som._mass.shape == (36, 3)
    assert som.quantization_error(X) < 1.05 * full.quantization_error(X)
    online = SelfOrganizingMap(6, 6, algorithm="online", max_iter=4,
                               random_state=0)
    for chunk in np.array_split(X_nan, 4):
        online.partial_fit(chunk)
    assert online.quantization_error(X) < 1.5 * full.quantization_error(X)


@pytest.mark.parametrize("stats_masked", [False, True])
def test_batch_update_mixes_unit_and_feature_masses(stats_masked):
    # partial_fit at a fixed radius: the old prototype counts with its mass,
    # per unit (NaN-free chunks) or per feature (chunks with NaN), either way
    # round: w_kf = μ_f + (A_kf (w_kf − μ_f) + num_kf) / (A_kf + den_kf).
    rng = np.random.RandomState(0)
    n_units, n_features = 4, 3
    W = rng.normal(size=(n_units, n_features))
    mu = W.mean(axis=0)
    H = NEIGHBORHOODS["gaussian"](rng.uniform(0, 2, size=(n_units, n_units)), 1.0)
    S = rng.normal(size=(n_units, n_features))
    n = rng.uniform(1, 3, size=n_units)
    n_f = n[:, None] * rng.uniform(0, 1, size=(n_units, n_features))
    n_f[0, 1] = 0.0
    H[0, :] = 0.0
    H[0, 0] = 1.0  # unit 0 sees only itself: no mass for feature 1 of unit 0
    if stats_masked:
        S_aug = np.hstack([S, n[:, None], n_f])
        A = rng.uniform(0, 2, size=n_units)
        A[0] = 0.0
        A_full = np.repeat(A[:, None], n_features, axis=1)
        den = H @ n_f
    else:
        S_aug = np.hstack([S, n[:, None]])
        A_full = A = rng.uniform(0, 2, size=(n_units, n_features))
        A[0, 1] = 0.0
        n_f = np.repeat(n[:, None], n_features, axis=1)
        den = H @ n_f
    W_new, mass = _som_rules.batch_update(W, S_aug, mu, H, previous_mass=A)
    expected = W.copy()
    num = H @ S
    for k in range(n_units):
        for f in range(n_features):
            total = A_full[k, f] + den[k, f]
            if total > 0:
                expected[k, f] = mu[f] + (
                    A_full[k, f] * (W[k, f] - mu[f]) + num[k, f]
                ) / total
    np.testing.assert_allclose(W_new, expected, rtol=1e-12)
    np.testing.assert_allclose(mass, A_full + den, rtol=1e-12)
    if stats_masked:
        assert W_new[0, 1] == W[0, 1]


def test_initial_codebooks_with_nan():
    rng = np.random.RandomState(0)
    X = with_holes(rng.normal(size=(200, 4)) * [3, 1, 2, 0.5] + 5, 0.3, seed=9)
    s = rng.uniform(0.5, 2, size=200)
    for init in ("random", "sample"):
        som = SelfOrganizingMap(3, 4, init=init, max_iter=1, random_state=0)
        som._initialize(X, s, np.random.RandomState(0), masked=True)
        assert np.isfinite(som.codebook_).all()
        assert (som.codebook_ >= np.nanmin(X, axis=0)).all()
        assert (som.codebook_ <= np.nanmax(X, axis=0)).all()
    # init='pca': the weighted mean of the observed values and the covariance
    # of every pair of features over the samples that observe both.
    observed = ~np.isnan(X)
    mean = np.array([s[observed[:, f]] @ X[observed[:, f], f]
                     / s[observed[:, f]].sum() for f in range(4)])
    cov = np.zeros((4, 4))
    for a in range(4):
        for b in range(4):
            both = observed[:, a] & observed[:, b]
            cov[a, b] = (s[both] * (X[both, a] - mean[a])) @ (X[both, b] - mean[b])
            cov[a, b] /= s[both].sum()
    mean_got, eigenvalues, eigenvectors = _som_init.weighted_pca(X, s)
    np.testing.assert_allclose(mean_got, mean, rtol=1e-12)
    # the two leading eigenpairs of that matrix
    want_values, want_vectors = np.linalg.eigh(cov)
    np.testing.assert_allclose(eigenvalues, want_values[::-1][:2], rtol=1e-10)
    np.testing.assert_allclose(
        np.abs(eigenvectors.T @ want_vectors[:, ::-1][:, :2]), np.eye(2), atol=1e-10
    )
    som = SelfOrganizingMap(3, 4, max_iter=1).fit(X, sample_weight=s)
    assert np.isfinite(som.codebook_).all()


def test_rows_without_an_observed_feature_are_errors():
    X = with_holes(signed_data(30, 3), 0.2, seed=10)
    X[[4, 17]] = np.nan
    before = X.copy()
    for fit in (SelfOrganizingMap(2, 2).fit, SelfOrganizingMap(2, 2).partial_fit):
        with pytest.raises(ValueError, match=r"2 sample\(s\).*no observed feature.*"
                                             r"row\(s\) 4, 17"):
            fit(X)
    som = SelfOrganizingMap(2, 2).fit(signed_data(30, 3))
    for method in (som.predict, som.transform, som.score, som.hit_map,
                   som.quantization_error, som.topographic_error,
                   som.best_matching_unit, som.grid_coordinates, som.partial_fit):
        with pytest.raises(ValueError, match="no observed feature"):
            method(X)
    np.testing.assert_array_equal(X, before)


def test_a_feature_never_observed_is_an_error():
    X = signed_data(30, 3)
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"Feature\(s\) \[1\].*no observed value"):
        SelfOrganizingMap(2, 2).fit(X)
    # Observed only where the weight is 0 counts as never.
    X[0, 1] = 1.0
    s = np.ones(30)
    s[0] = 0.0
    with pytest.raises(ValueError, match="no observed value"):
        SelfOrganizingMap(2, 2, init="random").fit(X, sample_weight=s)


def test_nan_inputs_are_not_modified():
    X = np.asfortranarray(with_holes(signed_data(50, 3), 0.3, seed=11)
                          .astype(np.float32))
    s = np.linspace(0.5, 2.0, 50)
    X0, s0 = X.copy(), s.copy()
    for algorithm in ("batch", "online"):
        for init in ("pca", "random", "sample"):
            som = SelfOrganizingMap(2, 3, algorithm=algorithm, init=init,
                                    random_state=0, verbose=0)
            som.fit(X, sample_weight=s)
            som.partial_fit(X, sample_weight=s)
            som.predict(X), som.transform(X), som.hit_map(X, sample_weight=s)
            som.score(X, sample_weight=s), som.topographic_error(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(s, s0)


def test_verbose_with_nan_reports_the_observed_error():
    X = with_holes(signed_data(60, 2), 0.2, seed=12)
    for algorithm in ("batch", "online"):
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            SelfOrganizingMap(3, 3, algorithm=algorithm, max_iter=2, verbose=1).fit(X)
        assert "nan" not in buffer.getvalue()


# --------------------------------------------------------------------------------
# At the extremes: weights beyond the float range, many features, weights that
# set the map size, fitted geometry.
# --------------------------------------------------------------------------------


def blob_data(n=400, d=3, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return (rng.normal(size=(n, d)) * np.resize([2.0, 1.0, 0.5], d)).astype(dtype)


@pytest.mark.parametrize("dtype, weight", [(np.float32, 1e36), (np.float64, 1e306)])
def test_weights_whose_sum_overflows_train_the_unweighted_map(dtype, weight):
    # Each weight fits the dtype, their sum does not: the weighted means the
    # batch rule, the principal axes and the errors take are those of the
    # unweighted data, not an untrained map reporting an error of 0.
    X = blob_data(400, 3, dtype=dtype)
    w = np.full(len(X), weight)
    kw = dict(n_rows=3, n_cols=3, random_state=0)
    plain = SelfOrganizingMap(**kw).fit(X)
    heavy = SelfOrganizingMap(**kw).fit(X, sample_weight=w)
    eps = tolerance(dtype)
    np.testing.assert_allclose(heavy.codebook_, plain.codebook_, rtol=eps,
                               atol=eps * np.abs(X).max())
    assert_same_units_off_ties(heavy.labels_, plain.labels_, X, plain.codebook_,
                               eps * 2 * np.abs(X).max())
    assert heavy.quantization_error_ > 0.1
    assert heavy.quantization_error_ == pytest.approx(plain.quantization_error_,
                                                      rel=eps)
    assert heavy.topographic_error_ == pytest.approx(plain.topographic_error_,
                                                     rel=eps, abs=eps)
    for method in ("quantization_error", "topographic_error", "score"):
        got = getattr(heavy, method)(X, sample_weight=w)
        assert np.isfinite(got)
        assert got == pytest.approx(getattr(plain, method)(X), rel=eps, abs=eps)
    # hits count the weights themselves: finite as long as each unit's are
    np.testing.assert_allclose(heavy.hits_, plain.hits_ * weight, rtol=eps)
    np.testing.assert_allclose(heavy.hit_map(X, sample_weight=w),
                               plain.hit_map(X) * weight, rtol=eps)


def test_cluster_centres_of_hits_beyond_the_float_range():
    # 1e306 on 200 samples per unit: a unit's hits exceed float64 (inf), and the
    # hit-weighted group centres must still be finite means.
    X = np.vstack([blob_data(200, 2) - 5, blob_data(200, 2, seed=1) + 5])
    kw = dict(n_rows=1, n_cols=2, n_clusters=1, init="sample", random_state=0)
    plain = SelfOrganizingMap(**kw).fit(X)
    heavy = SelfOrganizingMap(**kw).fit(X, sample_weight=np.full(400, 1e306))
    assert np.isinf(heavy.hits_).all()  # 200 × 1e306 per unit
    assert np.isfinite(heavy.cluster_centers_).all()
    np.testing.assert_allclose(heavy.cluster_centers_, plain.cluster_centers_,
                               rtol=1e-12)


def test_online_weights_beyond_the_float_range_are_a_clear_result():
    # Online, a weight s is s presentations: (1 − ηh)^s of w − x is left, which
    # for s = 1e306 pulls every unit the kernel reaches onto the sample. The
    # map and its error are finite, and the error is the map's true error.
    X = blob_data(200, 2)
    som = SelfOrganizingMap(3, 3, algorithm="online", max_iter=2, random_state=0)
    som.fit(X, sample_weight=np.full(len(X), 1e306))
    assert np.isfinite(som.codebook_).all()
    assert som.quantization_error_ == pytest.approx(som.quantization_error(X),
                                                    rel=1e-12)
    assert som.quantization_error_ > 0.1


def test_online_expanding_kernel_with_huge_weights_is_an_error():
    # With the mexican hat's negative lobe, s presentations push a unit away by
    # (1 + η|h|)^s: weights of 1e306 diverge at once, which must be an error,
    # never a map of NaN or a reported error of 0.
    import warnings

    X = blob_data(100, 2)
    som = SelfOrganizingMap(3, 3, algorithm="online", neighborhood="mexican_hat",
                            random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError):
            som.fit(X, sample_weight=np.full(len(X), 1e306))
    assert not hasattr(som, "quantization_error_")


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    exponent=st.floats(-1.0, 1.0),
    dtype=st.sampled_from([np.float32, np.float64]),
    init=st.sampled_from(["pca", "random", "sample"]),
    zeros=st.booleans(),
)
def test_property_a_common_weight_factor_changes_nothing(seed, exponent, dtype,
                                                         init, zeros):
    # Factors from 1e-38 to 1e38 (float32 data) or 1e-307 to 1e307 (float64),
    # up to sums of weights beyond the float range: the batch rule and every
    # weighted mean see only relative weights.
    rng = np.random.RandomState(seed)
    X = blob_data(60, 3, seed=seed, dtype=dtype)
    w = rng.uniform(0.1, 3.0, size=len(X))
    if zeros:
        w[rng.rand(len(X)) < 0.2] = 0.0
    factor = 10.0 ** (exponent * (38 if dtype == np.float32 else 307))
    kw = dict(n_rows=3, n_cols=4, init=init, max_iter=4, random_state=seed)
    a = SelfOrganizingMap(**kw).fit(X, sample_weight=w)
    b = SelfOrganizingMap(**kw).fit(X, sample_weight=w * factor)
    eps = tolerance(dtype)
    np.testing.assert_allclose(b.codebook_, a.codebook_, rtol=eps,
                               atol=eps * np.abs(X).max())
    assert_same_units_off_ties(b.labels_, a.labels_, X, a.codebook_,
                               eps * 2 * np.abs(X).max())
    np.testing.assert_allclose(b.hits_, a.hits_ * factor, rtol=eps)
    assert b.quantization_error_ == pytest.approx(a.quantization_error_, rel=eps)
    assert b.topographic_error_ == pytest.approx(a.topographic_error_, rel=eps,
                                                 abs=eps)
    assert b.quantization_error(X, w * factor) == pytest.approx(
        a.quantization_error(X, w), rel=eps)


def test_partial_fit_meets_chunks_of_very_different_weights():
    # At a constant radius the batch rule averages over the chunks, each
    # weighing its weights. Only their ratio counts, and nothing overflows:
    # weights of 1e306 on both chunks, or 1e-3 then 1e300, give the map of
    # weights 1 and 3, or 1e-303 and 1.
    X = blob_data(300, 2)

    def two_chunks(first, second):
        som = SelfOrganizingMap(3, 3, max_iter=1, random_state=0)
        som.partial_fit(X[:150], sample_weight=np.full(150, first))
        som.partial_fit(X[150:], sample_weight=np.full(150, second))
        assert np.isfinite(som.codebook_).all()
        return som.codebook_

    for heavy, plain in [((1e306, 3e306), (1.0, 3.0)), ((1e-3, 1e300), (1e-303, 1.0))]:
        np.testing.assert_allclose(two_chunks(*heavy), two_chunks(*plain),
                                   rtol=1e-12, atol=1e-12)
    # the first chunk counts: weights 1 and 3 are not the second chunk alone
    assert not np.allclose(two_chunks(1.0, 3.0), two_chunks(1e-303, 1.0))


@pytest.mark.parametrize("init", ["random", "pca"])
def test_many_features_cost_no_features_squared_memory(init):
    # 100 × 8000 (images, embeddings): the automatic shape and the PCA codebook
    # need two principal axes, never the 8000 × 8000 covariance (512 MB).
    import tracemalloc

    X = np.random.RandomState(0).normal(size=(100, 8000))
    tracemalloc.start()
    try:
        som = SelfOrganizingMap(init=init, max_iter=2, random_state=0).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8000**2 * 8 / 8
    assert som.n_rows_ * som.n_cols_ == pytest.approx(50, abs=3)  # 5·√100


def literal_weighted_covariance(X, s):
    mean = s @ X / s.sum()
    centred = X - mean
    return mean, (centred * s[:, None]).T @ centred / s.sum()


@pytest.mark.parametrize(
    "small_side, route",
    [(10**6, "covariance"), (40, "gram"), (5, "lanczos")],
)
def test_principal_axes_are_the_covariance_eigenvectors(monkeypatch, small_side,
                                                        route):
    # 30 samples × 60 features: every route (forced by the side limit) gives the
    # two leading eigenpairs of the weighted covariance, up to sign.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 60)) * np.linspace(3.0, 0.1, 60) + 7.0
    s = rng.uniform(0.2, 2.0, size=30)
    mean, cov = literal_weighted_covariance(X, s)
    values, vectors = np.linalg.eigh(cov)
    monkeypatch.setattr(_som_init, "SMALL_SIDE", small_side)
    got_mean, got_values, got_vectors = _som_init.weighted_pca(X, s)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(got_values, values[::-1][:2], rtol=1e-10)
    np.testing.assert_allclose(np.abs(got_vectors.T @ vectors[:, ::-1][:, :2]),
                               np.eye(2), atol=1e-8)
    # ... and a covariance too big to diagonalise whole (Dask, NaN) as well
    _, big_values, big_vectors = _som_init.principal_axes(mean, cov)
    np.testing.assert_allclose(big_values, values[::-1][:2], rtol=1e-10)
    np.testing.assert_allclose(np.abs(big_vectors.T @ vectors[:, ::-1][:, :2]),
                               np.eye(2), atol=1e-8)


def test_random_init_with_a_given_shape_computes_no_principal_axes(monkeypatch):
    def no_pca(self):
        raise AssertionError("principal axes computed")

    monkeypatch.setattr(_som_data.InMemoryData, "pca", no_pca)
    X = blob_data(50, 4)
    SelfOrganizingMap(3, 3, init="random", max_iter=1, random_state=0).fit(X)
    SelfOrganizingMap(3, 3, init="sample", max_iter=1, random_state=0).fit(X)
    with pytest.raises(AssertionError, match="principal axes"):
        SelfOrganizingMap(init="random", max_iter=1).fit(X)


def test_weights_bound_the_automatic_map_and_warn():
    # 300 samples of weight 5,000 count as 1.5 million: 5·√ would be 6,124
    # units. The map has at most as many units as samples, and says why.
    X = blob_data(300, 2)
    with pytest.warns(UserWarning, match="Normalise the weights.*n_rows"):
        som = SelfOrganizingMap(max_iter=1).fit(X, sample_weight=np.full(300, 5e3))
    assert 280 <= som.n_rows_ * som.n_cols_ <= 300
    # Weights of 1e300 (a sum of 3e302) are the same bound, not a huge array.
    with pytest.warns(UserWarning, match="3e\\+302"):
        som = SelfOrganizingMap(max_iter=1).fit(X, sample_weight=np.full(300, 1e300))
    assert 280 <= som.n_rows_ * som.n_cols_ <= 300
    # A few samples with weights of copies keep their map up to 100 units.
    with pytest.warns(UserWarning):
        som = SelfOrganizingMap(max_iter=1).fit(X[:20], sample_weight=np.full(20, 4))
    assert som.n_rows_ * som.n_cols_ > 30  # about 5·√80; the rows alone give 22
    # The rule itself: 5·√(weight sum), at least 2, at most max(samples, 100).
    assert automatic_n_units(80, 20) == 45
    assert automatic_n_units(10, 10) == 16
    assert automatic_n_units(1e-9, 5) == 2
    assert automatic_n_units(float("inf"), 300) == 300
    assert automatic_n_units(1e12, 30) == 100


def test_weights_that_do_not_enlarge_the_map_do_not_warn():
    import warnings

    X = blob_data(300, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        unweighted = SelfOrganizingMap(max_iter=1).fit(X)
        w = np.random.RandomState(0).uniform(0.5, 1.5, 300)
        mean_one = SelfOrganizingMap(max_iter=1).fit(X, sample_weight=w * 300 / w.sum())
        small = SelfOrganizingMap(max_iter=1).fit(X, sample_weight=np.full(300, 0.5))
        SelfOrganizingMap(max_iter=1).fit(X[:10])  # 16 units for 10 samples
    n_units = unweighted.n_rows_ * unweighted.n_cols_
    assert mean_one.n_rows_ * mean_one.n_cols_ == n_units
    assert small.n_rows_ * small.n_cols_ < n_units


def test_complex_init_is_a_clear_error():
    init = np.zeros((6, 3), dtype=complex)
    with pytest.raises(ValueError, match="complex.*real"):
        SelfOrganizingMap(2, 3, init=init).fit(signed_data(30, 3))


def fitted_answers(som, X):
    """Everything a fitted map answers, the metrics included."""
    from sknn_math import metrics

    return {
        "predict": som.predict(X),
        "transform": som.transform(X),
        "grid_coordinates": som.grid_coordinates(X),
        "hit_map": som.hit_map(X),
        "umatrix": som.umatrix(),
        "quantization_error": som.quantization_error(X),
        "topographic_error": som.topographic_error(X),
        "distortion": metrics.distortion(som, X),
        "combined_error": metrics.combined_error(som, X),
        "topographic_product": metrics.topographic_product(som),
        "trustworthiness": metrics.trustworthiness(som, X, n_neighbors=3),
    }


@settings(max_examples=15, deadline=None)
@given(
    topology=st.sampled_from(["rectangular", "hexagonal"]),
    periodic=st.booleans(),
    n_clusters=st.sampled_from([None, 2]),
    changes=st.fixed_dictionaries({}, optional={
        "topology": st.sampled_from(["rectangular", "hexagonal"]),
        "periodic": st.booleans(),
        "n_rows": st.sampled_from([None, 2, 5]),
        "n_cols": st.sampled_from([None, 3, 6]),
        "neighborhood": st.sampled_from(["bubble", "triangle", "mexican_hat"]),
        "sigma_end": st.sampled_from([0.3, 2.0]),
        "n_clusters": st.sampled_from([None, 3]),
    }),
)
def test_property_set_params_leaves_the_fitted_answers(topology, periodic,
                                                        n_clusters, changes):
    X = signed_data(40, 3)
    som = SelfOrganizingMap(3, 4, topology=topology, periodic=periodic,
                            n_clusters=n_clusters, max_iter=3).fit(X)
    before = fitted_answers(som, X)
    som.set_params(**changes)
    after = fitted_answers(som, X)
    for name, value in before.items():
        # the same computation on the same fitted state: the same bits
        np.testing.assert_array_equal(after[name], value, err_msg=name)


def test_partial_fit_refuses_another_geometry_than_the_fitted_one():
    X = signed_data(60, 3)
    som = SelfOrganizingMap(3, 4, max_iter=2).fit(X)
    before = som.codebook_.copy()
    for change in (dict(periodic=True), dict(topology="hexagonal"),
                   dict(n_rows=5)):
        som.set_params(**change)
        with pytest.raises(ValueError, match="partial_fit continues the fitted map"):
            som.partial_fit(X)
        np.testing.assert_array_equal(som.codebook_, before)
        som.set_params(periodic=False, topology="rectangular", n_rows=3)
    # the automatic shape (None) is no change; the training parameters are
    # read at every call, and a rule they make impossible is an error
    som.set_params(n_rows=None, n_cols=None, sigma_end=0.5).partial_fit(X)
    som.set_params(neighborhood="mexican_hat")
    with pytest.raises(ValueError, match="algorithm='online'"):
        som.partial_fit(X)
    # a new fit takes the new geometry
    som.set_params(neighborhood="gaussian", periodic=True).fit(X)
    som.partial_fit(X)


def test_topographic_error_with_diagonal_neighbours_counts_eight_as_minisom():
    """diagonal=True on a rectangular map counts the 8 surrounding units
    (MiniSom's definition): a literal loop over the samples agrees, and the
    figure is never above the 4-neighbour one; a hexagonal map is unchanged."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(300, 3))
    som = SelfOrganizingMap(6, 7, max_iter=3, random_state=0).fit(X)
    W = som.codebook_
    rows, cols = np.divmod(np.arange(W.shape[0]), som.n_cols_)
    misses = 0
    for x in X:
        first, second = np.argsort(((x - W) ** 2).sum(axis=1), kind="stable")[:2]
        chebyshev = max(abs(rows[first] - rows[second]),
                        abs(cols[first] - cols[second]))
        misses += chebyshev > 1
    eight = som.topographic_error(X, diagonal=True)
    assert eight == pytest.approx(misses / len(X), abs=1e-12)
    assert eight <= som.topographic_error(X)
    assert eight < som.topographic_error(X)  # this map has diagonal pairs
    hexagonal = SelfOrganizingMap(6, 7, topology="hexagonal", max_iter=3,
                                  random_state=0).fit(X)
    assert hexagonal.topographic_error(X, diagonal=True) == (
        hexagonal.topographic_error(X))


def test_online_mexican_hat_diverging_slowly_over_epochs_is_an_error():
    """A codebook that grows a little every epoch is caught too: the limit is
    set once for the fit, not afresh from each epoch's codebook."""
    X = np.random.RandomState(0).standard_normal((300, 3))
    som = SelfOrganizingMap(6, 6, algorithm="online", neighborhood="mexican_hat",
                            learning_rate_start=0.02, sigma_start=1, max_iter=50,
                            random_state=0)
    with pytest.raises(ValueError, match="Training diverged"):
        som.fit(X)


def test_data_without_variance_on_the_lanczos_route_is_no_arpack_error():
    """Many samples and features (the principal axes by Lanczos iterations) of
    constant data: init='random' fits, init='pca' is the rank error."""
    X = np.ones((1100, 1100))
    SelfOrganizingMap(init="random", max_iter=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="varies along only 0"):
        SelfOrganizingMap(init="pca", max_iter=2).fit(X)
