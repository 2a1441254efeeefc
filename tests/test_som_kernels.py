"""Tests of the SOM's neighbourhood kernels and schedule decays
(sknn_math._som_kernels), and of what the online rule does with a kernel's
negative lobe."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sknn_math import _som_kernels, _som_rules
from sknn_math._som import SelfOrganizingMap
from sknn_math._som_grid import (
    axis_distances,
    grid_periods,
    unit_coordinates,
    unit_grid_distances,
)
from sknn_math._som_kernels import (
    DECAYS,
    NEIGHBORHOODS,
    SeparableNeighbourhood,
    schedule_fraction,
)


def literal_kernel(name, d, sigma):
    """h(d; σ) from its definition, in Python floats; σ = 0 is the winner-only
    limit. (d/σ)² is formed from the ratio, which does not overflow here."""
    if sigma == 0:
        return 1.0 if d == 0 else 0.0
    r = d / sigma
    if name == "gaussian":
        return math.exp(-0.5 * r * r)
    if name == "bubble":
        return 1.0 if d <= sigma else 0.0
    if name == "triangle":
        return max(0.0, 1.0 - r)
    if name == "mexican_hat":
        return (1.0 - r * r) * math.exp(-0.5 * r * r)
    raise ValueError(name)


def grid_distances(n_rows=4, n_cols=5, topology="rectangular", periodic=False):
    coords = unit_coordinates(n_rows, n_cols, topology)
    return unit_grid_distances(coords, grid_periods(n_rows, n_cols, topology, periodic))


def quiet(fn, *args, **kwargs):
    """``fn(*args)``, failing on any warning (overflow, 0/0, division by zero)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------------
# Kernels.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NEIGHBORHOODS))
@pytest.mark.parametrize("sigma", [0.0, 5e-324, 1e-300, 1e-170, 1e-100, 1e-17])
def test_vanishing_radius_is_the_winner_only_limit(name, sigma):
    # σ → 0: the winner keeps weight 1, every other unit gets 0, on a whole grid
    # (the batch rule's matrix), on one row of it (an online step) and on a
    # scalar, with no 0/0, no overflow and no warning.
    D = grid_distances(topology="hexagonal", periodic=True)
    kernel = NEIGHBORHOODS[name]
    np.testing.assert_array_equal(quiet(kernel, D, sigma), np.eye(len(D)))
    np.testing.assert_array_equal(quiet(kernel, D[3], sigma), np.eye(len(D))[3])
    assert quiet(kernel, 0.0, sigma) == 1.0
    assert quiet(kernel, 1.0, sigma) == 0.0


@pytest.mark.parametrize("name", sorted(NEIGHBORHOODS))
@pytest.mark.parametrize("sigma", [1e-101, 1e-100, 1e-99, 1e-3, 0.7, 1.5, 40.0])
def test_kernels_equal_their_definition(name, sigma):
    # Distances at multiples of σ (around the radius, the lobe, and far beyond,
    # where the value underflows), so both sides of the small-radius threshold
    # are checked against the formula.
    d = sigma * np.array([0.0, 0.3, 1.0, math.sqrt(3.0), 2.5, 30.0, 39.0, 41.0, 1e4])
    got = quiet(NEIGHBORHOODS[name], d, sigma)
    expected = [literal_kernel(name, float(x), sigma) for x in d]
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-300)
    assert got.dtype == np.float64


# --------------------------------------------------------------------------------
# Decays and the schedule.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DECAYS))
@pytest.mark.parametrize("end", [1.0, 1e-8, 1e-17, 1e-300, 5e-324])
@pytest.mark.parametrize("start", [0.5, 10.0, 1e6])
def test_decays_start_and_end_exactly(name, start, end):
    # The first step runs at `start` and the last at `end`, to the bit, even
    # where `end` is far below an ulp of `start` (start + (end − start)·1 is
    # `start` there); scalars and arrays of fractions alike.
    decay = DECAYS[name]
    assert quiet(decay, start, end, 0.0) == start
    assert quiet(decay, start, end, 1.0) == end
    values = quiet(decay, start, end, schedule_fraction(np.arange(7), 7))
    assert values[0] == start
    assert values[-1] == end
    # monotone from start to end
    assert np.all(np.diff(values) * np.sign(end - start) >= 0)


def test_linear_decay_may_end_at_zero():
    # learning_rate_end=0 is allowed with the linear decay.
    values = DECAYS["linear"](0.5, 0.0, schedule_fraction(np.arange(5), 5))
    np.testing.assert_allclose(values, [0.5, 0.375, 0.25, 0.125, 0.0], rtol=1e-15)
    assert values[-1] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(1e-6, 1e6),
    ratio=st.floats(1e-30, 1.0),
    frac=st.floats(0.0, 1.0),
)
def test_property_decays_interpolate(start, ratio, frac):
    # Between the end points, and at the closed forms start + (end − start)·f
    # and start·(end/start)^f up to rounding.
    end = start * ratio
    linear = DECAYS["linear"](start, end, frac)
    geometric = DECAYS["exponential"](start, end, frac)
    eps = np.finfo(float).eps
    for value in (linear, geometric):
        assert end * (1 - 4 * eps) <= value <= start * (1 + 4 * eps)
    assert linear == pytest.approx(start + (end - start) * frac, rel=8 * eps,
                                   abs=8 * eps * start)
    assert geometric == pytest.approx(start * (end / start) ** frac, rel=1e-12)


def test_schedule_fraction_runs_from_zero_to_one():
    # t/(T − 1): step 0 at the start value, step T − 1 (and later ones, as in
    # partial_fit) at the end value; a single step at the end value.
    np.testing.assert_allclose(schedule_fraction(np.arange(5), 5),
                               [0.0, 0.25, 0.5, 0.75, 1.0], rtol=0, atol=0)
    assert schedule_fraction(9, 5) == 1.0
    assert schedule_fraction(0, 1) == 1.0


# --------------------------------------------------------------------------------
# The estimator at a vanishing final radius.
# --------------------------------------------------------------------------------


CASES = [
    (name, algorithm)
    for name in sorted(NEIGHBORHOODS)
    for algorithm in ("batch", "online")
    if not (name == "mexican_hat" and algorithm == "batch")
]


@pytest.mark.parametrize("name, algorithm", CASES)
def test_fit_to_a_vanishing_radius_ends_winner_only(monkeypatch, name, algorithm):
    # sigma_end=1e-17 is below an ulp of sigma_start: the last epoch (batch) or
    # step (online) runs at exactly 1e-17, where the neighbourhood is the winner
    # alone; the fit gives a finite codebook without a warning.
    X = np.random.RandomState(0).normal(size=(60, 3))
    calls = []
    kernel = NEIGHBORHOODS[name]

    def recorded(dist, sigma):
        h = kernel(dist, sigma)
        calls.append((sigma, dist, np.copy(h)))  # the online rule scales h in place
        return h

    monkeypatch.setitem(_som_kernels.NEIGHBORHOODS, name, recorded)
    # The mexican hat online at the default learning rate diverges whatever the
    # radius (see the tests of the online rule below): a smaller one.
    rate = dict(learning_rate_start=0.05) if name == "mexican_hat" else {}
    som = SelfOrganizingMap(4, 5, sigma_end=1e-17, neighborhood=name,
                            algorithm=algorithm, max_iter=3, random_state=0, **rate)
    quiet(som.fit, X)
    assert np.all(np.isfinite(som.codebook_))
    assert np.isfinite(som.quantization_error_)
    sigma, dist, h = calls[-1]
    assert sigma == 1e-17
    np.testing.assert_array_equal(h, (dist == 0).astype(float))


@pytest.mark.parametrize("name", ["gaussian", "bubble", "triangle"])
def test_batch_epoch_at_a_vanishing_radius_is_a_lloyd_step(name):
    # With the winner-only neighbourhood the batch update moves every unit to
    # the mean of the samples it wins and leaves the others where they are (a
    # NaN neighbourhood used to skip the update).
    rng = np.random.RandomState(1)
    X = rng.normal(size=(80, 2)) * [3.0, 1.0] + [1.0, -2.0]
    W0 = X[rng.choice(80, 6, replace=False)] + 0.1
    som = SelfOrganizingMap(2, 3, init=W0, max_iter=1, sigma_end=1e-17,
                            neighborhood=name)
    quiet(som.fit, X)
    D = ((X[:, None, :] - W0[None]) ** 2).sum(axis=2)
    winner = D.argmin(axis=1)
    expected = W0.copy()
    for k in range(6):
        if np.any(winner == k):
            expected[k] = X[winner == k].mean(axis=0)
    np.testing.assert_allclose(som.codebook_, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------
# A negative lobe in the online rule: divergence is an error, not a result.
# --------------------------------------------------------------------------------


def test_online_mexican_hat_divergence_is_an_error_naming_the_cures():
    # The case: default settings, 500 × 3 N(0, 1), a 6×6 map. The
    # negative lobe pushes the units that never win further out at every step
    # (max |w| reached 2e136 and the quantization error read 0.0); fit stops
    # with the cures instead, and reports no quality figure.
    X = np.random.RandomState(0).normal(size=(500, 3))
    som = SelfOrganizingMap(6, 6, neighborhood="mexican_hat", algorithm="online",
                            random_state=0)
    with pytest.raises(ValueError, match="Training diverged") as error:
        som.fit(X)
    message = str(error.value)
    for cure in ("learning_rate_start", "sigma_start", "neighborhood"):
        assert cure in message
    assert not hasattr(som, "quantization_error_")


def test_online_divergence_is_caught_before_overflow(monkeypatch):
    # Float32 overflows at 3e38: the reach is looked at often enough that the
    # error is the divergence, not a non-finite codebook; and a weight that
    # counts as many presentations (here the whole growth in one step) is
    # caught too.
    X = np.random.RandomState(1).normal(size=(400, 2)).astype(np.float32)
    for sample_weight in (None, np.full(400, 50.0, dtype=np.float32)):
        som = SelfOrganizingMap(5, 5, neighborhood="mexican_hat", algorithm="online",
                                learning_rate_start=1.0, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the overflow itself
            with pytest.raises(ValueError, match="Training diverged"):
                som.fit(X, sample_weight=sample_weight)


def test_online_mexican_hat_with_sane_settings_trains():
    # A small learning rate and a narrow lobe over a few epochs: the map stays
    # within the data's reach, and its quantization error is the true one.
    X = np.random.RandomState(0).normal(size=(500, 3))
    som = SelfOrganizingMap(6, 6, neighborhood="mexican_hat", algorithm="online",
                            learning_rate_start=0.005, sigma_start=1.0,
                            max_iter=3, random_state=0).fit(X)
    low, high = X.min(axis=0), X.max(axis=0)
    outside = np.maximum(low - som.codebook_, som.codebook_ - high).max()
    assert outside < _som_rules.DIVERGED_REACH * (high - low).max()
    D = np.sqrt(((X[:, None, :] - som.codebook_[None]) ** 2).sum(axis=2))
    assert som.quantization_error_ == pytest.approx(D.min(axis=1).mean(), rel=1e-9)
    assert som.quantization_error_ < np.linalg.norm(X - X.mean(axis=0), axis=1).mean()


def test_contracting_rules_never_trip_the_divergence_check(monkeypatch):
    # With a non-negative kernel and η ≤ 1 a step is a convex combination of a
    # prototype and a sample: a codebook that starts far outside the data (a
    # given init) only comes closer, at any reach limit.
    monkeypatch.setattr(_som_rules, "DIVERGED_REACH", 0.0)
    rng = np.random.RandomState(2)
    X = rng.normal(size=(200, 3))
    init = rng.normal(size=(12, 3)) * 50
    for name in ("gaussian", "bubble", "triangle"):
        som = SelfOrganizingMap(3, 4, neighborhood=name, algorithm="online",
                                learning_rate_start=1.0, init=init, max_iter=2)
        som.fit(X, sample_weight=rng.uniform(0, 3, size=200))
        assert np.all(np.isfinite(som.codebook_))


def test_partial_fit_on_a_narrow_chunk_is_not_divergence():
    # A chunk whose samples span a small box leaves most of a trained codebook
    # outside it from the start; the lobe's small pushes there (a unit that
    # never wins drifts outwards slowly) are not a divergence.
    rng = np.random.RandomState(3)
    X = rng.normal(size=(500, 3))
    som = SelfOrganizingMap(6, 6, neighborhood="mexican_hat", algorithm="online",
                            learning_rate_start=0.005, learning_rate_end=0.005,
                            sigma_start=1.0, max_iter=3, random_state=0).fit(X)
    before = np.abs(som.codebook_).max()
    for _ in range(3):
        som.partial_fit(0.05 * rng.normal(size=(40, 3)) + 0.5)
    assert np.abs(som.codebook_).max() < 2 * before


# --------------------------------------------------------------------------------
# A weight as many presentations in the online rule.
# --------------------------------------------------------------------------------


def one_weighted_step(W, x, weight, eta, name="gaussian", sigma=1.0):
    """W after one online step on sample x of the given weight (units on a row)."""
    W = np.array(W, dtype=np.float64)
    grid_dist = unit_grid_distances(
        unit_coordinates(1, len(W), "rectangular"),
        grid_periods(1, len(W), "rectangular", False),
    )
    quiet(_som_rules.online_epoch, np.array([x], dtype=np.float64),
          np.array([weight]), W, grid_dist, [0], [sigma], [eta],
          NEIGHBORHOODS[name])
    return W


def test_a_tiny_step_taken_very_many_times_reaches_the_sample():
    # 1e306 presentations of a step of 1e-20 leave (1 − 1e-20)^1e306 = e^-1e286
    # = 0 of w − x: the winner lands on the sample (1 − 1e-20 rounds to 1, so
    # 1 − (1 − a)^s would leave it in place).
    W = one_weighted_step([[0.0, 0.0], [5.0, 5.0]], [1.0, 2.0], 1e306, 1e-20)
    np.testing.assert_array_equal(W[0], [1.0, 2.0])


@pytest.mark.parametrize("weight, eta, kept", [
    # (1 − 1e-12)^1e10 = exp(1e10 log1p(−1e-12)) = exp(−0.01 − 5e-15)
    (1e10, 1e-12, math.exp(-0.01 - 5e-15)),
    (3.0, 0.25, 0.421875),  # 0.75³
    (0.5, 1.0, 0.0),
])
def test_a_weighted_step_is_that_many_presentations(weight, eta, kept):
    # The winner (h = 1): w ← x + (1 − η)^s (w − x).
    W = one_weighted_step([[0.0, 4.0], [5.0, 5.0]], [1.0, 2.0], weight, eta)
    expected = np.array([1.0, 2.0]) + kept * np.array([-1.0, 2.0])
    np.testing.assert_allclose(W[0], expected, rtol=8 * np.finfo(float).eps)


def test_a_zero_weight_is_no_step_even_at_full_rate():
    W = one_weighted_step([[0.0, 0.0], [5.0, 5.0]], [1.0, 2.0], 0.0, 1.0, "bubble")
    np.testing.assert_array_equal(W, [[0.0, 0.0], [5.0, 5.0]])


def test_a_negative_step_taken_very_many_times_is_divergence_without_overflow():
    # The mexican hat is negative beyond σ: 1e300 presentations push the far
    # unit out by (1 + η|h|)^1e300 = ∞. That is a divergence error, raised
    # before the codebook holds infinity, with no overflow warning on the way.
    with pytest.raises(ValueError, match="Training diverged"):
        one_weighted_step([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [0.0, 0.0],
                          1e300, 0.5, "mexican_hat", sigma=1.0)


# ---------------------------------------------------------------------------
# The gaussian of a rectangular grid, factored over its axes


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (1, 6), (6, 1)])
@pytest.mark.parametrize("periodic", [False, True])
def test_axis_distances_make_the_grid_distances(shape, periodic):
    periods = grid_periods(*shape, "rectangular", periodic)
    rows, cols = axis_distances(*shape, periods)
    row, col = np.divmod(np.arange(shape[0] * shape[1]), shape[1])
    combined = np.hypot(rows[row][:, row], cols[col][:, col])
    coords = unit_coordinates(*shape, "rectangular")
    np.testing.assert_allclose(combined, unit_grid_distances(coords, periods),
                               rtol=4 * np.finfo(np.float64).eps)


@pytest.mark.parametrize("sigma", [0.0, 1e-17, 0.4, 1.5, 30.0])
@pytest.mark.parametrize("periodic", [False, True])
def test_separable_gaussian_is_the_dense_neighbourhood(sigma, periodic):
    shape = (4, 5)
    periods = grid_periods(*shape, "rectangular", periodic)
    gaussian = NEIGHBORHOODS["gaussian"]
    H = SeparableNeighbourhood(*(gaussian(d, sigma)
                                 for d in axis_distances(*shape, periods)))
    coords = unit_coordinates(*shape, "rectangular")
    dense = gaussian(unit_grid_distances(coords, periods), sigma)
    S = np.random.RandomState(0).normal(size=(20, 3))
    tol = 8 * np.finfo(np.float64).eps
    np.testing.assert_allclose(np.asarray(H), dense, rtol=tol, atol=tol)
    np.testing.assert_allclose(H @ S, dense @ S, rtol=tol,
                               atol=tol * np.abs(S).sum(axis=0).max())


@pytest.mark.parametrize("periodic", [False, True])
def test_a_large_gaussian_map_trains_without_a_units_squared_matrix(periodic):
    import tracemalloc

    X = np.random.RandomState(0).normal(size=(300, 3))
    # 3600 units: one units × units float64 matrix would take 104 MB
    som = SelfOrganizingMap(60, 60, periodic=periodic, max_iter=2, random_state=0)
    tracemalloc.start()
    try:
        som.fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20

    # ... and trains the same map as the matrix would
    dense = SelfOrganizingMap(6, 7, periodic=periodic, max_iter=4, random_state=0)
    factored = SelfOrganizingMap(6, 7, periodic=periodic, max_iter=4, random_state=0)
    factored.fit(X)
    dense._epoch_distances = dense._grid_distances  # the units × units route
    dense.fit(X)
    np.testing.assert_allclose(factored.codebook_, dense.codebook_,
                               rtol=1e-10, atol=1e-12)
