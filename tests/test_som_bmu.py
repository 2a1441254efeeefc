"""Tests of the SOM's best-matching units (sknn_math._som_bmu) against a literal
oracle on adversarial data: samples and prototypes far from the rest, near
ties, data far from the origin, missing values, float32 and float64."""

import numpy as np
import pytest
from _som_oracles import near_ties_at_far_units
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import config_context

from sknn_math import _parallel, _som_bmu
from sknn_math._parallel import chunk_n_rows
from sknn_math._som import SelfOrganizingMap
from sknn_math._som_bmu import (
    best_matching_units,
    bmu_and_errors,
    bmu_operands,
    two_best_units,
)
from sknn_math._som_grid import grid_adjacency, unit_coordinates
from sknn_math._som_rules import chunk_statistics

# --------------------------------------------------------------------------------
# The oracle: float64 direct differences, Σ_f (x_f − w_kf)² over the observed
# features, written from the definition (no product, no centring).
# --------------------------------------------------------------------------------


def oracle_sq_distances(X, W):
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    diff = X[:, None, :] - W[None, :, :]
    return np.where(np.isnan(diff), 0.0, diff**2).sum(axis=2)


def assert_ranked_like_oracle(units, D, rank=0):
    """Every row's unit is the oracle's ``rank``-th nearest, but for ties: a
    unit at the same distance (to float64 rounding of the sum) is as good."""
    D = np.asarray(D)
    wanted = np.sort(D, axis=1)[:, rank]
    got = D[np.arange(len(D)), units]
    tol = 16 * np.finfo(np.float64).eps * np.maximum(wanted, np.finfo(float).tiny)
    bad = np.flatnonzero(np.abs(got - wanted) > tol)
    assert bad.size == 0, (
        f"{bad.size} rows ranked unlike the oracle, e.g. row {bad[0]}: unit "
        f"{units[bad[0]]} at {got[bad[0]]!r}, oracle {wanted[bad[0]]!r}"
    )


def far_sample_rows(rng, dtype, masked):
    """300 rows of 3 features near 0 but the first, 1e5 away; with ``masked``
    a fifth of the entries NaN (no row all NaN). Drawn from ``rng``."""
    X = rng.normal(size=(300, 3))
    X[0] = [1e5, 0.0, 0.0]
    if masked:
        X[rng.uniform(size=X.shape) < 0.2] = np.nan
        X[np.isnan(X).all(axis=1), 1] = 0.0
    return X.astype(dtype)


def assert_best_and_second_like_oracle(X, W):
    """Every pass's best units, and the second-best units, of ``X`` as the
    oracle ranks them."""
    D = oracle_sq_distances(X, W)
    assert_ranked_like_oracle(best_matching_units(X, W), D)
    best, second, _ = two_best_units(X, bmu_operands(W, X.dtype), None, False)
    assert_ranked_like_oracle(best, D)
    assert_ranked_like_oracle(second, D, rank=1)


def issue_data(dtype, seed=0):
    """2000 × 3 N(0, 1) with one sample at 1e5 along the first axis."""
    X = np.random.RandomState(seed).normal(size=(2000, 3))
    X[0] = [1e5, 0.0, 0.0]
    return X.astype(dtype)


def far_codebook(dtype, far=1e17, n_units=25, n_features=3, seed=1):
    """Prototypes among N(0, 1) data but one ``far`` along the first axis."""
    W = np.random.RandomState(seed).normal(size=(n_units, n_features))
    W[7, 0] = far
    return W.astype(dtype)


# --------------------------------------------------------------------------------
# The issue's data.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_with_a_far_sample_ranks_every_sample_exactly(dtype):
    # A sample at 1e5 trains a unit out there; the centre of the product must not
    # follow it. Labels, predictions and both errors are those of the exact
    # distances to the fitted codebook.
    X = issue_data(dtype)
    som = SelfOrganizingMap(5, 5).fit(X)
    D = oracle_sq_distances(X, som.codebook_)
    assert_ranked_like_oracle(som.labels_, D)
    assert_ranked_like_oracle(som.predict(X), D)
    assert som.quantization_error_ == pytest.approx(
        np.sqrt(D.min(axis=1)).mean(), rel=1e-9)
    order = np.argsort(D, axis=1)
    adjacent = grid_adjacency(som.unit_coordinates_, som._periods())
    literal_te = np.mean(~adjacent[order[:, 0], order[:, 1]])
    assert som.topographic_error_ == pytest.approx(literal_te, abs=1e-12)


@pytest.mark.parametrize("dtype, far", [
    (np.float32, 1e3), (np.float32, 1e6),
    (np.float64, 1e3), (np.float64, 1e6), (np.float64, 1e17),
])
def test_a_far_unit_leaves_the_others_ranked_exactly(dtype, far):
    # One prototype at `far`: every kernel ranks the units of every sample as
    # the oracle does, in chunks of 100 rows.
    rng = np.random.RandomState(2)
    X = rng.normal(size=(700, 3)).astype(dtype)
    W = far_codebook(dtype, far)
    D = oracle_sq_distances(X, W)
    coords = unit_coordinates(5, 5, "rectangular")
    periods = None
    with config_context(working_memory=100 * (25 + 3 + 1) * 8 / 2**20):
        assert chunk_n_rows((25 + 3 + 1) * 8, len(X), fit_in_cache=True) == 100
        bmu = best_matching_units(X, W)
        bmu_e, error_sum, wrong_sum = bmu_and_errors(X, None, W, coords, periods)
    assert_ranked_like_oracle(bmu, D)
    np.testing.assert_array_equal(bmu_e, bmu)
    assert error_sum == pytest.approx(np.sqrt(D.min(axis=1)).sum(), rel=1e-12)
    operands = bmu_operands(W, dtype)
    best, second, dist = two_best_units(X, operands, None, False)
    assert_ranked_like_oracle(best, D)
    assert_ranked_like_oracle(second, D, rank=1)
    np.testing.assert_allclose(dist, np.sqrt(D.min(axis=1)), rtol=1e-12)


def test_the_product_is_centred_among_the_prototypes():
    # One far prototype does not drag the centre, and the centre is a value of
    # the data's dtype (samples and prototypes shift by the same vector).
    # A codebook this wide runs its products in float64 (_product_dtype).
    W = far_codebook(np.float32, 1e6)
    operands = bmu_operands(W, np.float32)
    assert operands.mu.dtype == np.float64
    assert np.all(np.abs(operands.mu) < 3)
    np.testing.assert_array_equal(
        operands.W_c, W.astype(np.float64) - operands.mu)


def test_an_ordinary_float32_codebook_keeps_float32_products():
    rng = np.random.RandomState(0)
    W = rng.standard_normal((400, 8)).astype(np.float32)
    operands = bmu_operands(W, np.float32)
    assert operands.W_aug.dtype == np.float32
    assert operands.mu.dtype == np.float32


# --------------------------------------------------------------------------------
# Near ties, far data, missing values: the exact pass decides.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, far", [(np.float32, 1e4), (np.float64, 1e12)])
def test_near_ties_around_far_units_are_decided_exactly(dtype, far):
    # A small group of samples `far` away, with units of their own one apart,
    # and most samples and units near 0: the group's samples sit a few ulps off
    # the bisectors of its units, where the product (whose rounding there grows
    # with `far`²) cannot order them. Every row is ranked as the oracle ranks it.
    X, W = near_ties_at_far_units(dtype, far, n_pairs=300, n_near=300)
    assert_best_and_second_like_oracle(X, W)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_rows_with_a_far_unit_are_ranked_exactly(dtype):
    # NaN in a third of the entries, one prototype far away in a feature some
    # samples do not observe: distances over the observed features only.
    rng = np.random.RandomState(4)
    X = rng.normal(size=(500, 4))
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.5
    X = X.astype(dtype)
    W = far_codebook(dtype, 1e5, n_units=12, n_features=4)
    D = oracle_sq_distances(X, W)
    assert_ranked_like_oracle(best_matching_units(X, W), D)
    best, second, dist = two_best_units(X, bmu_operands(W, dtype), None, True)
    assert_ranked_like_oracle(best, D)
    assert_ranked_like_oracle(second, D, rank=1)
    np.testing.assert_allclose(dist, np.sqrt(D.min(axis=1)), rtol=1e-12)


def test_masked_distances_near_a_far_unit_are_accurate():
    # transform on data with NaN: a sample next to a prototype 1e6 away from the
    # others is 1 from it, not the difference of two numbers of 1e12.
    rng = np.random.RandomState(7)
    W = far_codebook(np.float64, 1e6, n_units=12, n_features=4)
    X = rng.normal(size=(200, 4))
    X[:5] = W[7] + rng.normal(size=(5, 4))
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    X[np.isnan(X).all(axis=1), 1] = 0.0
    D = np.sqrt(oracle_sq_distances(X, W))
    np.testing.assert_allclose(_som_bmu.observed_distances(X, W), D, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("masked", [False, True])
def test_chunk_statistics_sum_the_exact_winners(dtype, masked):
    # The batch rule's per-unit sums and counts come from the exact winners,
    # with a far sample and a far prototype in the chunk.
    rng = np.random.RandomState(5)
    X = far_sample_rows(rng, dtype, masked)
    W = far_codebook(dtype, 1e4, n_units=10)
    s = rng.uniform(0.5, 2.0, size=len(X)).astype(dtype)
    operands = bmu_operands(W, dtype)
    S_aug, error = chunk_statistics(X, s, operands, with_error=True, masked=masked)
    D = oracle_sq_distances(X, W)
    winner = D.argmin(axis=1)
    centred = np.nan_to_num(X.astype(np.float64) - operands.mu.astype(np.float64))
    weights = s.astype(np.float64)
    S = np.zeros((10, 3))
    np.add.at(S, winner, weights[:, None] * centred)
    n = np.bincount(winner, weights=weights, minlength=10)
    scale = np.abs(weights) @ np.abs(centred)
    eps = 50 * np.finfo(dtype).eps
    np.testing.assert_allclose(S_aug[:, :3], S, rtol=eps, atol=eps * scale.max())
    np.testing.assert_allclose(S_aug[:, 3], n, rtol=eps)
    assert error == pytest.approx(weights @ np.sqrt(D.min(axis=1)), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_without_outliers_the_units_are_one_product_and_an_argmax(monkeypatch, dtype):
    # The common path of training, predictions and errors stays the product in
    # the data's dtype and its argmax: a map of data without outliers (far from
    # the origin, with NaN or not) never ranks a row again.
    def refuse(*args, **kwargs):
        raise AssertionError("a row ranked again without outliers")

    monkeypatch.setattr(_som_bmu, "_exact_best_units", refuse)
    rng = np.random.RandomState(6)
    centres = rng.normal(size=(5, 4)) * 10 + 1e3
    X = (centres[rng.randint(0, 5, size=3000)] + rng.normal(size=(3000, 4)))
    X = X.astype(dtype)
    som = SelfOrganizingMap(6, 6, random_state=0).fit(X)
    som.predict(X), som.topographic_error(X)
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1e3
    som.fit(X).predict(X)


# --------------------------------------------------------------------------------
# Chunks of whole blocks: the distance block in the cache, memory bounded.
# --------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Could not adhere to working_memory")
@settings(max_examples=200, deadline=None)
@given(
    n_samples=st.integers(1, 10**7),
    n_features=st.integers(1, 3000),
    n_units=st.integers(1, 10**4),
    dtype=st.sampled_from([np.float32, np.float64]),
    working_memory=st.sampled_from([0.01, 1.0, 64.0, 1024.0]),
)
def test_chunks_are_whole_blocks_within_the_cache_and_working_memory(
    n_samples, n_features, n_units, dtype, working_memory
):
    itemsize = np.dtype(dtype).itemsize
    with config_context(working_memory=working_memory), \
            pytest.MonkeyPatch.context() as patch:
        patch.setattr(_parallel, "_OMP_NUM_THREADS", "1")
        block, rows = _som_bmu.chunk_sizes(n_samples, n_features, n_units, dtype)
        patch.setattr(_parallel, "_OMP_NUM_THREADS", "3")  # no say: same bits
        assert _som_bmu.chunk_sizes(n_samples, n_features, n_units, dtype) == (
            block, rows)
    assert 1 <= block <= rows <= max(n_samples, 1) and rows % block == 0
    # a block's distances stay in the cache, a chunk within working_memory
    budget = working_memory * 2**20
    assert block == 1 or block * (n_units + n_features + 1) * itemsize <= min(
        _parallel.CACHE_BYTES, budget)
    assert rows == block or rows * (n_features + 1) * itemsize <= budget
    # about CHUNK_ROWS rows, and enough chunks for the threads to end a pass
    # together, to half a block
    assert rows == block or rows <= _som_bmu.CHUNK_ROWS + block / 2
    assert rows == block or rows <= -(-n_samples // _som_bmu.MIN_CHUNKS) + block / 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("masked", [False, True])
def test_units_of_chunks_of_many_blocks_are_exact(monkeypatch, dtype, masked):
    # Blocks of a few rows (a tiny cache) within larger chunks: every kernel
    # ranks every row as the oracle does, far units, far samples and NaN
    # included, and the batch sums are those of the exact winners.
    monkeypatch.setattr(_parallel, "CACHE_BYTES", 7 * (10 + 3 + 1) * 8)
    rng = np.random.RandomState(8)
    X = far_sample_rows(rng, dtype, masked)
    W = far_codebook(dtype, 1e4, n_units=10)
    block, rows = _som_bmu.chunk_sizes(len(X), 3, 10, dtype)
    assert block < rows < len(X) and block <= 14
    D = oracle_sq_distances(X, W)
    assert_ranked_like_oracle(best_matching_units(X, W), D)
    operands = bmu_operands(W, dtype)
    best, second, dist = two_best_units(X, operands, None, masked)
    assert_ranked_like_oracle(best, D)
    assert_ranked_like_oracle(second, D, rank=1)
    np.testing.assert_allclose(dist, np.sqrt(D.min(axis=1)), rtol=1e-12)
    S_aug, _ = chunk_statistics(X, None, operands, masked=masked)
    winner = D.argmin(axis=1)
    centred = np.nan_to_num(X.astype(np.float64) - operands.mu.astype(np.float64))
    S = np.zeros((10, 3))
    np.add.at(S, winner, centred)
    eps = 50 * np.finfo(dtype).eps
    np.testing.assert_allclose(S_aug[:, :3], S, rtol=eps,
                               atol=eps * np.abs(centred).sum(axis=0).max())
    np.testing.assert_array_equal(S_aug[:, 3], np.bincount(winner, minlength=10))
    if masked:
        # computed in float64, returned in X's dtype
        np.testing.assert_allclose(_som_bmu.observed_distances(X, W), np.sqrt(D),
                                   rtol=np.finfo(dtype).eps, atol=1e-12)


def test_a_pass_holds_a_block_of_distances_not_the_data_s():
    # 40,000 rows on 400 units: the whole distance matrix is 64 MB, a pass holds
    # one cache-sized block and one chunk per worker thread.
    import tracemalloc

    rng = np.random.RandomState(9)
    X = rng.normal(size=(40_000, 4)).astype(np.float32)
    W = rng.normal(size=(400, 4)).astype(np.float32)
    coords = unit_coordinates(20, 20, "rectangular")
    tracemalloc.start()
    try:
        best_matching_units(X, W)
        bmu_and_errors(X, None, W, coords, None)
        chunk_statistics(X[:8192], None, bmu_operands(W, np.float32))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * _parallel.CACHE_BYTES + 2 * X.nbytes / 4


# --------------------------------------------------------------------------------
# Property: exact but for ties, whatever the outliers.
# --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    n_samples=st.integers(1, 60),
    n_units=st.integers(2, 12),
    n_features=st.integers(1, 5),
    far_samples=st.lists(st.floats(1e3, 1e6), max_size=3),
    far_units=st.lists(st.floats(1e3, 1e6), max_size=2),
    offset=st.sampled_from([0.0, 1e3]),
    seed=st.integers(0, 2**16),
)
def test_property_units_are_the_exact_ones_but_for_ties(
    dtype, n_samples, n_units, n_features, far_samples, far_units, offset, seed
):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)) + offset
    W = rng.normal(size=(n_units, n_features)) + offset
    for i, scale in enumerate(far_samples[:n_samples]):
        X[i] *= scale
    # Outliers: fewer than half the prototypes (the breakdown point of the
    # median the product is centred on).
    for k, scale in enumerate(far_units[: (n_units - 1) // 2]):
        W[k] *= scale
    X, W = X.astype(dtype), W.astype(dtype)
    assert_best_and_second_like_oracle(X, W)


# --------------------------------------------------------------------------------
# The Dask blocks run the same kernels.
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dask_blocks_rank_the_issue_data_exactly(dask_client, dtype):
    # The batch epochs, labels, predictions and errors of a fit on a dask array
    # (uneven blocks, the far sample in the first) are those of the exact
    # distances, as in memory.
    da = pytest.importorskip("dask.array")
    X = issue_data(dtype)
    som = SelfOrganizingMap(5, 5).fit(da.from_array(X, chunks=((700, 1300), 3)))
    D = oracle_sq_distances(X, som.codebook_)
    assert_ranked_like_oracle(som.labels_, D)
    predicted = som.predict(da.from_array(X, chunks=(500, 3))).compute()
    assert_ranked_like_oracle(predicted, D)
    assert som.quantization_error_ == pytest.approx(
        np.sqrt(D.min(axis=1)).mean(), rel=1e-9)


@pytest.mark.parametrize("fraction", [0.05, 0.3])
def test_a_far_cluster_of_samples_is_ranked_exactly_in_float32(fraction):
    """A cluster of outliers 1e4 away (a share of the rows, not one sample)
    trains units there: float32 scores centred among the near units would round
    at the clusters' distance and reorder the far units for every sample."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((2000, 3)).astype(np.float32)
    k = int(fraction * len(X))
    X[:k] = (1e4 + rng.standard_normal((k, 3))).astype(np.float32)
    som = SelfOrganizingMap(5, 5, random_state=0).fit(X)
    W = som.codebook_.astype(np.float64)
    d_sq = ((X.astype(np.float64)[:, None] - W[None]) ** 2).sum(axis=2)
    exact = np.sqrt(d_sq.min(axis=1))
    chosen = np.sqrt(d_sq[np.arange(len(X)), som.labels_])
    np.testing.assert_array_equal(chosen, exact)
    assert som.quantization_error_ == pytest.approx(exact.mean(), rel=1e-12)
