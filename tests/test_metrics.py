"""Tests of sknn_math.metrics: every map-quality measure against a literal
implementation (loops over samples, units and tie orders, written from the
papers' definitions), scikit-learn's trustworthiness as an oracle, agreement with
the estimator's own errors, chunking, and the scorers in GridSearchCV."""

import itertools
from math import log, sqrt

import numpy as np
import pytest
from _som_oracles import literal_grid_distance, near_ties_at_far_units
from sklearn import config_context
from sklearn.manifold import trustworthiness as sklearn_trustworthiness
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import SelfOrganizingMap, metrics
from sknn_math.metrics import (
    SCORERS,
    combined_error,
    continuity,
    distortion,
    get_scorer,
    get_scorer_names,
    neighborhood_preservation,
    quantization_error,
    topographic_error,
    topographic_product,
    trustworthiness,
)

# Not enough rows for working_memory: scikit-learn warns and uses one row.
pytestmark = pytest.mark.filterwarnings("ignore:Could not adhere to working_memory")

GRIDS = [
    ("rectangular", False),
    ("hexagonal", False),
    ("rectangular", True),
    ("hexagonal", True),
]
GRID_IDS = ["rect", "hex", "rect-torus", "hex-torus"]


# --------------------------------------------------------------------------------
# Literal oracles
# --------------------------------------------------------------------------------




def literal_grid(som, *, ties=False):
    """Grid distances between units; with ``ties``, rounded to 9 decimals so that
    equal distances compare equal."""
    n = som.n_rows_ * som.n_cols_
    D = np.array([[literal_grid_distance(a, b, som.n_rows_, som.n_cols_,
                                         som.topology, som.periodic)
                   for b in range(n)] for a in range(n)])
    return np.round(D, 9) if ties else D


def literal_kernel(name, d, sigma):
    if name == "gaussian":
        return np.exp(-d * d / (2 * sigma * sigma))
    if name == "bubble":
        return float(d <= sigma)
    if name == "triangle":
        return max(0.0, 1 - d / sigma)
    raise ValueError(name)


def literal_sq_distance(x, w):
    """‖x − w‖² over the observed (non-NaN) features of x."""
    return sum((x[f] - w[f]) ** 2 for f in range(len(x)) if not np.isnan(x[f]))


def literal_bmus(x, W):
    """Best and second-best unit of one sample (first index on ties)."""
    d = [sqrt(literal_sq_distance(x, w)) for w in W]
    order = sorted(range(len(W)), key=lambda k: (d[k], k))
    return order[0], order[1], d[order[0]]


def literal_quantization_error(som, X, w):
    W = som.codebook_.astype(float)
    return sum(w[i] * literal_bmus(X[i], W)[2] for i in range(len(X))) / sum(w)


def literal_topographic_error(som, X, w):
    W = som.codebook_.astype(float)
    grid = literal_grid(som)
    wrong = 0.0
    for i in range(len(X)):
        c, c2, _ = literal_bmus(X[i], W)
        wrong += w[i] * (grid[c, c2] > 1 + 1e-6)
    return wrong / sum(w)


def literal_distortion(som, X, w, sigma):
    W = som.codebook_.astype(float)
    grid = literal_grid(som)
    total = 0.0
    for i in range(len(X)):
        c = literal_bmus(X[i], W)[0]
        for k in range(len(W)):
            h = literal_kernel(som.neighborhood, grid[c, k], sigma)
            total += w[i] * h * literal_sq_distance(X[i], W[k])
    return total / sum(w)


def literal_combined_error(som, X, w):
    """Floyd–Warshall over the grid graph, edges weighted by prototype distance."""
    W = som.codebook_.astype(float)
    grid = literal_grid(som)
    n = len(W)
    path = [[0.0 if a == b else np.inf for b in range(n)] for a in range(n)]
    for a in range(n):
        for b in range(n):
            if a != b and grid[a, b] <= 1 + 1e-6:
                path[a][b] = sqrt(sum((W[a, f] - W[b, f]) ** 2
                                      for f in range(W.shape[1])))
    for m in range(n):
        for a in range(n):
            for b in range(n):
                if path[a][m] + path[m][b] < path[a][b]:
                    path[a][b] = path[a][m] + path[m][b]
    total = 0.0
    for i in range(len(X)):
        c, c2, dist = literal_bmus(X[i], W)
        total += w[i] * (dist + path[c][c2])
    return total / sum(w)


def literal_topographic_product(som):
    """Bauer & Pawelzik's formula, averaged over every order of the grid ties.

    For unit j the other units are ordered by grid distance; units at equal
    distance are taken in every order (all permutations of each tie group), the
    product formula evaluated for each, and the values averaged.
    """
    W = som.codebook_.astype(float)
    grid = literal_grid(som)
    tie_key = literal_grid(som, ties=True)
    N = len(W)
    d_V = [[sqrt(sum((W[a, f] - W[b, f]) ** 2 for f in range(W.shape[1])))
            for b in range(N)] for a in range(N)]
    total = 0.0
    for j in range(N):
        others = [u for u in range(N) if u != j]
        by_input = sorted(others, key=lambda u: d_V[j][u])  # no ties: random W
        groups = {}
        for u in others:
            groups.setdefault(tie_key[j, u], []).append(u)
        tie_orders = [list(itertools.permutations(groups[d])) for d in sorted(groups)]
        values = []
        for choice in itertools.product(*tie_orders):
            by_grid = [u for group in choice for u in group]
            value = 0.0
            for k in range(1, N):
                log_product = 0.0
                for l_ in range(k):
                    Q1 = d_V[j][by_grid[l_]] / d_V[j][by_input[l_]]
                    Q2 = grid[j, by_grid[l_]] / grid[j, by_input[l_]]
                    log_product += log(Q1 * Q2)
                value += log_product / (2 * k)
            values.append(value)
        total += sum(values) / len(values)
    return total / (N * (N - 1))


def literal_rank_terms(D, i, j, k):
    """For j ≠ i in row i of D: P(j among the k nearest of i) and E[max(r − k, 0)]
    of j's rank r, ties in random order, by counting."""
    n = len(D)
    closer = sum(1 for m in range(n) if m != i and D[i][m] < D[i][j])
    tied = sum(1 for m in range(n) if m != i and D[i][m] == D[i][j])
    ranks = range(closer + 1, closer + tied + 1)  # equally likely
    p = sum(1 for r in ranks if r <= k) / tied
    e = sum(max(r - k, 0) for r in ranks) / tied
    return p, e


def literal_rank_measures(som, X, k):
    """Trustworthiness, continuity and neighbourhood preservation, by loops."""
    W = som.codebook_.astype(float)
    grid = literal_grid(som, ties=True)
    n = len(X)
    bmu = [literal_bmus(x, W)[0] for x in X]
    D_X = [[sqrt(sum((X[i, f] - X[j, f]) ** 2 for f in range(X.shape[1])))
            for j in range(n)] for i in range(n)]
    D_Y = [[grid[bmu[i], bmu[j]] for j in range(n)] for i in range(n)]
    untrusted = discontinued = shared = 0.0
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            p_X, e_X = literal_rank_terms(D_X, i, j, k)
            p_Y, e_Y = literal_rank_terms(D_Y, i, j, k)
            untrusted += p_Y * e_X  # on the map's k-NN, beyond the data's k-NN
            discontinued += p_X * e_Y
            shared += p_X * p_Y
    scale = 2.0 / (n * k * (2 * n - 3 * k - 1))
    return 1 - scale * untrusted, 1 - scale * discontinued, shared / (n * k)


# --------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------


def fitted_map(n_rows, n_cols, topology="rectangular", periodic=False, *,
               n_samples=60, n_features=3, seed=0, **params):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    som = SelfOrganizingMap(n_rows, n_cols, topology=topology, periodic=periodic,
                            max_iter=3, random_state=seed, **params).fit(X)
    return som, X


def weights(n, seed=1):
    return np.random.RandomState(seed).uniform(0.2, 2.0, size=n)


# --------------------------------------------------------------------------------
# Each measure against its literal implementation
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("topology, periodic", GRIDS, ids=GRID_IDS)
def test_quantization_and_topographic_errors_match_literal(topology, periodic):
    som, X = fitted_map(3, 4, topology, periodic)
    w = weights(len(X))
    assert quantization_error(som, X) == pytest.approx(
        literal_quantization_error(som, X, np.ones(len(X))), rel=1e-12)
    assert quantization_error(som, X, w) == pytest.approx(
        literal_quantization_error(som, X, w), rel=1e-12)
    assert topographic_error(som, X, w) == pytest.approx(
        literal_topographic_error(som, X, w), rel=1e-12)
    assert topographic_error(som, X) == pytest.approx(
        literal_topographic_error(som, X, np.ones(len(X))), rel=1e-12)


def test_errors_are_the_estimators_own():
    som, X = fitted_map(4, 5, "hexagonal", True)
    w = weights(len(X))
    assert quantization_error(som, X) == som.quantization_error_
    assert topographic_error(som, X) == som.topographic_error_
    assert quantization_error(som, X, w) == som.quantization_error(X, w)
    assert topographic_error(som, X, w) == som.topographic_error(X, w)
    assert SCORERS["neg_quantization_error"](som, X) == som.score(X)


@pytest.mark.parametrize(
    "n_rows, n_cols, topology, periodic, expected",
    [
        (2, 2, "rectangular", False, (1.0, 1.0)),  # both pairs diagonal
        (2, 2, "hexagonal", False, (1.0, 0.0)),  # 1 (1, 0), 2 (½, √3/2) touch
        (1, 4, "rectangular", False, (1.0, 0.0)),  # 0 and 3 end a chain
        (1, 4, "rectangular", True, (0.0, 0.0)),  # a ring: the ends touch
    ],
)
def test_topographic_error_by_hand(n_rows, n_cols, topology, periodic, expected):
    W = np.array([[0.0, 0.0], [5.0, -5.0], [5.1, -5.0], [1.0, 1.0]])
    som = SelfOrganizingMap(n_rows, n_cols, topology=topology, periodic=periodic,
                            max_iter=1).fit(W)
    som.codebook_ = W.copy()
    best_0_then_3 = np.array([[0.45, 0.45]])
    best_1_then_2 = np.array([[5.04, -5.0]])
    assert topographic_error(som, best_0_then_3) == expected[0]
    assert topographic_error(som, best_1_then_2) == expected[1]


@pytest.mark.parametrize("topology, periodic", GRIDS, ids=GRID_IDS)
@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "triangle"])
def test_distortion_matches_literal(topology, periodic, neighborhood):
    som, X = fitted_map(3, 4, topology, periodic, neighborhood=neighborhood,
                        sigma_end=1.3)
    w = weights(len(X))
    assert distortion(som, X) == pytest.approx(
        literal_distortion(som, X, np.ones(len(X)), 1.3), rel=1e-10)
    assert distortion(som, X, w, sigma=0.7) == pytest.approx(
        literal_distortion(som, X, w, 0.7), rel=1e-10)


@pytest.mark.parametrize("dtype, factor", [(np.float32, 1e37), (np.float64, 1e306)])
def test_weighted_measures_of_weights_whose_sum_overflows(dtype, factor):
    # The measures are weighted means: weights whose sum exceeds the float
    # range give the values of the same weights scaled down, never 0 or NaN.
    som, X = fitted_map(3, 4, "hexagonal", True)
    X = X.astype(dtype)
    w = weights(len(X))
    for name in ("neg_quantization_error", "neg_topographic_error",
                 "neg_distortion", "neg_combined_error"):
        scorer = SCORERS[name]
        heavy = scorer(som, X, sample_weight=w * factor)
        assert np.isfinite(heavy), name
        assert heavy == pytest.approx(scorer(som, X, sample_weight=w), rel=1e-12,
                                      abs=1e-15), name


@pytest.mark.parametrize("dtype, far", [(np.float32, 1e4), (np.float64, 1e12)])
def test_distortion_of_samples_near_a_far_prototype(dtype, far):
    # Five prototypes `far` away, one apart, and samples a few ulps off their
    # bisectors: the product in the data's dtype cannot tell which of two is
    # the best unit there (its rounding grows with `far`²), and the wrong one
    # brings another neighbourhood. The energy is the literal one.
    X, W = near_ties_at_far_units(dtype, far, n_pairs=120, n_near=60)
    som = SelfOrganizingMap(5, 5, init="sample", max_iter=1, random_state=0).fit(W)
    som.codebook_ = W.copy()
    w = weights(len(X))
    assert distortion(som, X, w, sigma=1.0) == pytest.approx(
        literal_distortion(som, X, w, 1.0), rel=1e-9)


def test_distortion_reads_the_radius_and_kernel_the_map_was_trained_with():
    som, X = fitted_map(3, 4, neighborhood="bubble", sigma_end=1.3)
    w = weights(len(X))
    expected = literal_distortion(som, X, w, 1.3)
    som.set_params(neighborhood="gaussian", sigma_end=0.4)
    assert distortion(som, X, w) == pytest.approx(expected, rel=1e-10)


def with_missing(X, fraction=0.2, seed=5):
    """A copy of X with about ``fraction`` of its values NaN, every row keeping
    one observed feature."""
    rng = np.random.RandomState(seed)
    X = X.copy()
    X[rng.uniform(size=X.shape) < fraction] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    return X


@pytest.mark.parametrize("topology, periodic", GRIDS, ids=GRID_IDS)
def test_measures_of_data_with_missing_values_match_literal(topology, periodic):
    # Distances over each sample's observed features, as in training.
    som, X = fitted_map(3, 4, topology, periodic)
    X = with_missing(X)
    w = weights(len(X))
    assert np.isnan(X).mean() > 0.1
    assert distortion(som, X, w) == pytest.approx(
        literal_distortion(som, X, w, som.sigma_end), rel=1e-10)
    assert combined_error(som, X, w) == pytest.approx(
        literal_combined_error(som, X, w), rel=1e-12)
    assert quantization_error(som, X, w) == pytest.approx(
        literal_quantization_error(som, X, w), rel=1e-12)
    assert topographic_error(som, X, w) == pytest.approx(
        literal_topographic_error(som, X, w), rel=1e-12)


def test_distortion_at_small_radius_is_the_squared_quantization_error():
    som, X = fitted_map(4, 4)
    squared = np.mean(som.transform(X).min(axis=1) ** 2)
    assert distortion(som, X, sigma=1e-3) == pytest.approx(squared, rel=1e-10)


@pytest.mark.parametrize("topology, periodic", GRIDS, ids=GRID_IDS)
def test_combined_error_matches_literal_graph_search(topology, periodic):
    # A rough map (one epoch from random prototypes) so that many second-best
    # units are far from the best and the paths are long.
    som, X = fitted_map(3, 4, topology, periodic, init="random")
    som.codebook_ = np.random.RandomState(3).normal(size=som.codebook_.shape)
    w = weights(len(X))
    assert topographic_error(som, X) > 0.3  # the paths are not all one edge
    assert combined_error(som, X) == pytest.approx(
        literal_combined_error(som, X, np.ones(len(X))), rel=1e-12)
    assert combined_error(som, X, w) == pytest.approx(
        literal_combined_error(som, X, w), rel=1e-12)


@pytest.mark.parametrize(
    "shape, topology, periodic",
    [((3, 3), "rectangular", False), ((2, 4), "rectangular", False),
     ((3, 3), "hexagonal", False), ((3, 3), "rectangular", True),
     ((3, 3), "hexagonal", True), ((2, 3), "hexagonal", True)],
    ids=["rect3x3", "rect2x4", "hex3x3", "rect-torus3x3", "hex-torus3x3",
         "hex-torus2x3"],
)
def test_topographic_product_matches_literal_over_all_tie_orders(
        shape, topology, periodic):
    som, _ = fitted_map(*shape, topology, periodic)
    # Random prototypes: no ties in the input space, large and mixed ratios.
    som.codebook_ = np.random.RandomState(1).normal(size=som.codebook_.shape)
    assert topographic_product(som) == pytest.approx(
        literal_topographic_product(som), rel=1e-10, abs=1e-13)


def test_topographic_product_signs():
    rng = np.random.RandomState(0)
    # Zero for prototypes laid out as the grid itself: the two orders agree.
    som, _ = fitted_map(4, 5, n_features=2)
    som.codebook_ = som.unit_coordinates_.copy() * 3.0
    assert abs(topographic_product(som)) < 1e-12
    # Negative for a long chain folded into a square (map dimension too low),
    # positive for a square map on a thin strip (too high), near 0 for a square
    # map on a square: Bauer and Pawelzik's reading of the sign.
    square = rng.uniform(size=(400, 2))
    chain = SelfOrganizingMap(1, 60, random_state=0).fit(square)
    assert topographic_product(chain) < -0.01
    strip = np.column_stack([rng.uniform(0, 10, 400), rng.uniform(0, 0.05, 400)])
    sheet = SelfOrganizingMap(6, 6, random_state=0).fit(strip)
    assert topographic_product(sheet) > 0.1
    flat = SelfOrganizingMap(8, 8, random_state=0).fit(square)
    assert abs(topographic_product(flat)) < 0.01
    assert np.isnan(topographic_product(SelfOrganizingMap(1, 1).fit(square)))


def test_topographic_product_refuses_coincident_prototypes():
    som, _ = fitted_map(3, 3)
    som.codebook_[4] = som.codebook_[0]
    with pytest.raises(ValueError, match="prototypes of the map coincide"):
        topographic_product(som)


@pytest.mark.parametrize("topology, periodic", GRIDS, ids=GRID_IDS)
@pytest.mark.parametrize("k", [1, 4])
def test_rank_measures_match_literal(topology, periodic, k):
    som, X = fitted_map(3, 4, topology, periodic, n_samples=40)
    expected = literal_rank_measures(som, X, k)
    got = (trustworthiness(som, X, k), continuity(som, X, k),
           neighborhood_preservation(som, X, k))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_rank_measures_without_ties_are_venna_and_kaski_as_in_scikit_learn():
    # The core on a continuous embedding (no ties): trustworthiness is
    # scikit-learn's; continuity is scikit-learn's with the spaces swapped.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(70, 5))
    Y = X[:, :2] + 0.5 * rng.normal(size=(70, 2))

    def projected(rows):
        return np.linalg.norm(Y[rows][:, None] - Y[None], axis=2)

    for k in (1, 5, 12):
        T, C, NP = metrics._rank_measures(X, projected, k)
        assert T == pytest.approx(sklearn_trustworthiness(X, Y, n_neighbors=k),
                                  rel=1e-12)
        assert C == pytest.approx(sklearn_trustworthiness(Y, X, n_neighbors=k),
                                  rel=1e-12)
        nn_X = np.argsort(np.linalg.norm(X[:, None] - X[None], axis=2)
                          + np.diag(np.full(70, np.inf)), axis=1)[:, :k]
        nn_Y = np.argsort(projected(slice(None)) + np.diag(np.full(70, np.inf)),
                          axis=1)[:, :k]
        overlap = np.mean([len(set(a) & set(b)) for a, b in zip(nn_X, nn_Y,
                                                                 strict=True)])
        assert NP == pytest.approx(overlap / k, rel=1e-12)


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_trustworthiness_is_scikit_learns_averaged_over_random_tie_breaks(topology):
    # scikit-learn on the grid projection with every tie broken at random: one
    # tiny extra coordinate per sample makes the ties of each sample's
    # neighbours exchangeable and keeps distinct grid distances in order.
    som, X = fitted_map(4, 4, topology, n_samples=50)
    P = som.grid_coordinates(X)
    rng = np.random.RandomState(0)
    k = 5
    draws = [sklearn_trustworthiness(
                X, np.column_stack([P, 1e-4 * rng.normal(size=len(X))]),
                n_neighbors=k)
             for _ in range(400)]
    mean, sem = np.mean(draws), np.std(draws) / sqrt(len(draws))
    assert np.std(draws) > 0  # the ties matter
    assert trustworthiness(som, X, k) == pytest.approx(mean, abs=4 * sem + 1e-12)


def test_a_single_unit_scores_like_a_random_projection():
    # Every sample on one unit: each of the n − 1 others is a map neighbour with
    # probability k/(n − 1); the closed form follows from the definition.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    som = SelfOrganizingMap(1, 1).fit(X)
    n, k = 40, 5
    random = 1 - (n - 1 - k) * (n - k) / ((n - 1) * (2 * n - 3 * k - 1))
    assert trustworthiness(som, X, k) == pytest.approx(random, rel=1e-12)
    assert continuity(som, X, k) == pytest.approx(random, rel=1e-12)
    assert neighborhood_preservation(som, X, k) == pytest.approx(k / (n - 1),
                                                                 rel=1e-12)
    assert np.isnan(topographic_error(som, X))
    assert np.isnan(combined_error(som, X))


def test_a_good_map_keeps_neighbourhoods():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(300, 2))
    good = SelfOrganizingMap(10, 10, random_state=0).fit(X)
    bad = SelfOrganizingMap(10, 10, random_state=0).fit(X)
    bad.codebook_ = rng.permutation(bad.codebook_)  # same prototypes, shuffled grid
    for measure in (trustworthiness, continuity, neighborhood_preservation):
        assert measure(good, X) > measure(bad, X) + 0.1
    assert combined_error(good, X) < combined_error(bad, X)
    assert topographic_error(good, X) < topographic_error(bad, X)
    assert abs(topographic_product(good)) < abs(topographic_product(bad))


# --------------------------------------------------------------------------------
# Memory: chunked passes give the unchunked results
# --------------------------------------------------------------------------------


def test_chunked_measures_equal_unchunked():
    som, X = fitted_map(5, 6, "hexagonal", True, n_samples=120)
    X_nan = with_missing(X)
    w = weights(len(X))
    measures = {
        "quantization_error": lambda: quantization_error(som, X, w),
        "topographic_error": lambda: topographic_error(som, X, w),
        "distortion": lambda: distortion(som, X, w),
        "combined_error": lambda: combined_error(som, X, w),
        "topographic_product": lambda: topographic_product(som),
        "trustworthiness": lambda: trustworthiness(som, X, 7),
        "continuity": lambda: continuity(som, X, 7),
        "neighborhood_preservation": lambda: neighborhood_preservation(som, X, 7),
        "distortion with NaN": lambda: distortion(som, X_nan, w),
        "combined_error with NaN": lambda: combined_error(som, X_nan, w),
    }
    whole = {name: f() for name, f in measures.items()}
    # 2e-3 MiB: a few rows per chunk in every pass (tens of chunks); 1e-5 MiB:
    # one row per chunk.
    for working_memory in (2e-3, 1e-5):
        with config_context(working_memory=working_memory):
            chunked = {name: f() for name, f in measures.items()}
        for name in measures:
            assert chunked[name] == pytest.approx(
                whole[name], rel=100 * np.finfo(float).eps, abs=1e-14), name


def test_chunks_really_are_small(monkeypatch):
    som, X = fitted_map(5, 6, n_samples=120)
    sizes = []
    original = metrics._positions_before

    def spy(D):
        sizes.append(D.shape[0])
        return original(D)

    monkeypatch.setattr(metrics, "_positions_before", spy)
    with config_context(working_memory=2e-3):
        trustworthiness(som, X)
        topographic_product(som)
    assert max(sizes) < 10
    assert len(sizes) > 2 * 120 // 10


# --------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------


def test_float32_data_give_float64_measures_close_to_float64():
    som, X = fitted_map(4, 4)
    X32 = X.astype(np.float32)
    for measure in (quantization_error, distortion, combined_error, trustworthiness):
        assert measure(som, X32) == pytest.approx(measure(som, X), rel=1e-5)


def test_max_samples_subsamples_reproducibly():
    som, X = fitted_map(4, 4, n_samples=200)
    a = trustworthiness(som, X, max_samples=50, random_state=0)
    assert a == trustworthiness(som, X, max_samples=50, random_state=0)
    assert a != trustworthiness(som, X, max_samples=50, random_state=1)
    assert trustworthiness(som, X, max_samples=500) == trustworthiness(som, X)
    rows = np.sort(np.random.RandomState(0).choice(200, 50, replace=False))
    assert a == trustworthiness(som, X[rows])


def test_bad_input_is_a_clear_error():
    som, X = fitted_map(3, 3, n_samples=20)
    with pytest.raises(ValueError, match="less than n_samples / 2"):
        trustworthiness(som, X, n_neighbors=10)
    with pytest.raises(ValueError, match="positive integer"):
        continuity(som, X, n_neighbors=0)
    with pytest.raises(ValueError, match="max_samples"):
        neighborhood_preservation(som, X, max_samples=0)
    with pytest.raises(ValueError, match="sigma"):
        distortion(som, X, sigma=0.0)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    for measure in (trustworthiness, continuity, neighborhood_preservation):
        with pytest.raises(ValueError, match="missing values"):
            measure(som, X_nan)
    X_nan[1] = np.nan
    for measure in (distortion, combined_error):
        with pytest.raises(ValueError, match="no observed feature"):
            measure(som, X_nan)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    for measure in (distortion, combined_error, trustworthiness):
        with pytest.raises(ValueError, match="infinity"):
            measure(som, X_inf)
    with pytest.raises(ValueError, match="features"):
        quantization_error(som, X[:, :2])
    with pytest.raises(TypeError, match="SelfOrganizingMap"):
        topographic_product(make_pipeline(StandardScaler(), som))
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        combined_error(SelfOrganizingMap(2, 2), X)


# --------------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------------


def test_scorers_are_the_measures_greater_is_better():
    som, X = fitted_map(4, 4, "hexagonal", n_samples=60)
    assert get_scorer_names() == sorted(SCORERS)
    assert SCORERS["neg_quantization_error"](som, X) == -quantization_error(som, X)
    assert SCORERS["neg_topographic_error"](som, X) == -topographic_error(som, X)
    assert SCORERS["neg_distortion"](som, X) == -distortion(som, X)
    assert SCORERS["neg_combined_error"](som, X) == -combined_error(som, X)
    assert SCORERS["neg_abs_topographic_product"](som, X) == -abs(
        topographic_product(som))
    assert SCORERS["trustworthiness"](som, X) == trustworthiness(som, X)
    assert SCORERS["continuity"](som, X, None) == continuity(som, X)
    assert SCORERS["neighborhood_preservation"](som, X) == (
        neighborhood_preservation(som, X))
    assert get_scorer("trustworthiness", n_neighbors=3)(som, X) == (
        trustworthiness(som, X, 3))
    assert repr(get_scorer("continuity", n_neighbors=3)) == (
        "get_scorer('continuity', n_neighbors=3)")
    w = weights(len(X))
    assert get_scorer("neg_combined_error")(som, X, sample_weight=w) == (
        -combined_error(som, X, w))
    with pytest.raises(TypeError, match="sample_weight"):
        get_scorer("trustworthiness")(som, X, sample_weight=w)
    with pytest.raises(ValueError, match="'neg_topographic_error'"):
        get_scorer("topographic_error")


def test_scorers_measure_the_map_at_the_end_of_a_pipeline():
    som, X = fitted_map(4, 4)
    X_big = 10.0 * X + 3.0
    pipe = make_pipeline(StandardScaler(), SelfOrganizingMap(4, 4, random_state=0))
    pipe.fit(X_big)
    Z = pipe[0].transform(X_big)
    for name, scorer in SCORERS.items():
        measure, score_from_value = metrics._MEASURES[name]
        direct = (measure(pipe[-1]) if measure is topographic_product
                  else measure(pipe[-1], Z))
        assert scorer(pipe, X_big) == score_from_value(direct), name


def test_scorers_in_grid_search_over_map_size_and_radius():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(150, 2))
    grid = [{"n_rows": [n], "n_cols": [n], "sigma_end": [0.5, 1.0]}
            for n in (2, 4, 6)]
    search = GridSearchCV(
        SelfOrganizingMap(max_iter=5, random_state=0), grid,
        scoring=SCORERS, refit="neg_combined_error",
        cv=KFold(3, shuffle=True, random_state=0), error_score="raise",
    ).fit(X)
    for name in SCORERS:
        scores = search.cv_results_[f"mean_test_{name}"]
        assert scores.shape == (6,) and np.all(np.isfinite(scores)), name
    # Bigger maps quantize better: the score rises with the map size.
    qe = search.cv_results_["mean_test_neg_quantization_error"]
    assert qe[0] < qe[2] < qe[4]
    best = search.best_estimator_
    assert best.n_rows_ == search.best_params_["n_rows"]
    # One scorer alone, by name, works as scoring= too.
    single = GridSearchCV(SelfOrganizingMap(max_iter=5, random_state=0), grid,
                          scoring=get_scorer("trustworthiness", n_neighbors=4),
                          cv=3, error_score="raise").fit(X)
    assert np.all(np.isfinite(single.cv_results_["mean_test_score"]))
