"""SelfOrganizingMap on dask arrays, on a LocalCluster bound to 127.0.0.1.

The dask fit runs the in-memory kernels on every block and adds up the blocks'
results in another order than the in-memory chunks', so it equals the in-memory
fit to rounding: the tolerances below are multiples of the dtype's eps times the
data's scale, and labels must agree exactly (the data have no ties).
"""

import contextlib
import os
import pickle
import threading
import time

import numpy as np
import pytest
from _som_oracles import assert_same_units_off_ties

from sknn_math import SelfOrganizingMap

da = pytest.importorskip("dask.array",
                         reason='Dask is an extra: pip install -e ".[dask]"')
pytest.importorskip("distributed", reason='Dask is an extra: pip install -e ".[dask]"')

from sknn_math import _som_dask  # noqa: E402  (imports dask)

# Uneven row blocks, one of them small.
CHUNKS = (700, 1300, 90, 910)
N_SAMPLES = sum(CHUNKS)


def make_data(dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    centres = rng.uniform(-6, 6, size=(6, 5))
    X = centres[rng.randint(6, size=N_SAMPLES)] + rng.normal(size=(N_SAMPLES, 5))
    X *= [1.0, 2.0, 0.5, 3.0, 1.0]
    X += 4.0
    sample_weight = rng.uniform(0.2, 2.0, size=N_SAMPLES)
    sample_weight[rng.rand(N_SAMPLES) < 0.05] = 0.0
    return X.astype(dtype), sample_weight.astype(dtype)


def to_dask(a):
    return da.from_array(a, chunks=(CHUNKS,) + a.shape[1:])


def assert_same_map(got, want, X):
    """Equal fitted maps of ``X``, up to the rounding of a different summation
    order."""
    dtype = want.codebook_.dtype
    scale = np.abs(want.codebook_).max()
    # float32 sums within a chunk in float32; the chunks differ between the paths
    rtol = (2e3 if dtype == np.float32 else 1e3) * float(np.finfo(dtype).eps)
    assert got.codebook_.dtype == dtype
    np.testing.assert_allclose(got.codebook_, want.codebook_, rtol=0, atol=rtol * scale)
    assert_same_units_off_ties(got.labels_, want.labels_, X, want.codebook_,
                               rtol * scale)
    np.testing.assert_allclose(got.hits_, want.hits_, rtol=rtol)
    assert got.quantization_error_ == pytest.approx(want.quantization_error_, rel=rtol)
    assert got.topographic_error_ == pytest.approx(want.topographic_error_, rel=rtol)
    assert (got.n_rows_, got.n_cols_, got.n_iter_) == (
        want.n_rows_, want.n_cols_, want.n_iter_)
    for name in ("codebook_", "labels_", "hits_", "cluster_centers_", "unit_labels_"):
        assert isinstance(getattr(got, name), np.ndarray), name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("init", ["pca", "random"])
def test_fit_equals_in_memory_fit(client, dtype, weighted, init):
    X, s = make_data(dtype)
    s = s if weighted else None
    params = dict(n_rows=6, n_cols=5, max_iter=4, init=init, random_state=0)
    want = SelfOrganizingMap(**params).fit(X, sample_weight=s)
    got = SelfOrganizingMap(**params).fit(
        to_dask(X), sample_weight=None if s is None else to_dask(s)
    )
    assert_same_map(got, want, X)


# weights of mean 1.1 enlarge the automatic map a little, and say so
@pytest.mark.filterwarnings("ignore:sample_weight sums to:UserWarning")
def test_fit_sample_init_map_shape_and_groups_equal_in_memory(client):
    X, s = make_data()
    # init='sample' draws the same rows (only they come to the client); the
    # automatic shape comes from the out-of-core PCA and the weight sum; the
    # weights come as a NumPy array, split along X's blocks.
    for params in (dict(init="sample", n_rows=4, n_cols=4, random_state=3),
                   dict(n_clusters=3, topology="hexagonal", periodic=True)):
        want = SelfOrganizingMap(max_iter=3, **params).fit(X, sample_weight=s)
        got = SelfOrganizingMap(max_iter=3, **params).fit(to_dask(X), sample_weight=s)
        assert_same_map(got, want, X)
        np.testing.assert_array_equal(got.unit_labels_, want.unit_labels_)


def test_missing_values_as_in_memory(client):
    X, s = make_data()
    rng = np.random.RandomState(1)
    X[rng.rand(*X.shape) < 0.1] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    X_dask = to_dask(X)
    for init in ("pca", "sample"):
        params = dict(n_rows=5, n_cols=4, max_iter=3, init=init, random_state=0)
        want = SelfOrganizingMap(**params).fit(X, sample_weight=s)
        got = SelfOrganizingMap(**params).fit(X_dask, sample_weight=to_dask(s))
        assert_same_map(got, want, X)
    np.testing.assert_allclose(got.transform(X_dask).compute(), want.transform(X),
                               rtol=1e-12)


def test_partial_fit_equals_in_memory(client):
    X, s = make_data(np.float32)
    want = SelfOrganizingMap(5, 5, max_iter=2)
    got = SelfOrganizingMap(5, 5, max_iter=2)
    for part in np.array_split(np.arange(N_SAMPLES), 3):
        want.partial_fit(X[part], sample_weight=s[part])
        # a float64 chunk after float32 ones trains in the map's float32
        chunk = da.from_array(X[part].astype(np.float64), chunks=400)
        got.partial_fit(chunk, sample_weight=da.from_array(s[part], chunks=400))
    np.testing.assert_allclose(got.codebook_, want.codebook_, rtol=1e-5)
    np.testing.assert_allclose(got.hits_, want.hits_, rtol=1e-5)
    # labels_ are those of the last chunk
    assert_same_units_off_ties(got.labels_, want.labels_, X[part], want.codebook_,
                               1e-5 * np.abs(want.codebook_).max())
    assert got.n_iter_ == want.n_iter_ == 3


def test_predictions_are_lazy_and_equal_in_memory(client):
    X, s = make_data()
    som = SelfOrganizingMap(6, 5, max_iter=3, n_clusters=4).fit(X)
    X_dask = to_dask(X)
    for method in ("predict", "best_matching_unit", "grid_coordinates", "transform"):
        lazy = getattr(som, method)(X_dask)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == CHUNKS
        want = getattr(som, method)(X)
        got = lazy.compute()
        assert got.dtype == want.dtype and got.shape == want.shape, method
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # float32 in, float32 distances out, as in memory
    assert som.transform(to_dask(X.astype(np.float32))).dtype == np.float32
    # the measures are numbers, computed on the cluster
    for method in ("score", "quantization_error", "topographic_error"):
        got = getattr(som, method)(X_dask, sample_weight=s)
        assert isinstance(got, float)
        assert got == pytest.approx(getattr(som, method)(X, sample_weight=s),
                                    rel=1e-12)
    np.testing.assert_allclose(som.hit_map(X_dask, s), som.hit_map(X, s), rtol=1e-12)
    assert som.fit_predict(X_dask).shape == (N_SAMPLES,)


@pytest.mark.parametrize("dtype, factor", [(np.float32, 1e36), (np.float64, 1e306)])
def test_weights_whose_sum_overflows_as_in_memory(client, dtype, factor):
    # The blocks' weights are scaled by the largest, as in memory: the fit, its
    # errors and the measures on the cluster are those of the weights scaled
    # down, and finite.
    X, s = make_data(dtype)
    params = dict(n_rows=5, n_cols=4, max_iter=3, random_state=0)
    want = SelfOrganizingMap(**params).fit(X, sample_weight=s)
    heavy = s.astype(np.float64) * factor
    got = SelfOrganizingMap(**params).fit(to_dask(X), sample_weight=to_dask(heavy))
    dtype_eps = float(np.finfo(dtype).eps)
    atol = 2e3 * dtype_eps * np.abs(X).max()
    np.testing.assert_allclose(got.codebook_, want.codebook_, rtol=0, atol=atol)
    assert_same_units_off_ties(got.labels_, want.labels_, X, want.codebook_, atol)
    assert got.quantization_error_ == pytest.approx(want.quantization_error_,
                                                    rel=1e3 * dtype_eps)
    X_dask = to_dask(X)
    for method in ("quantization_error", "topographic_error"):
        value = getattr(got, method)(X_dask, sample_weight=to_dask(heavy))
        assert np.isfinite(value)
        assert value == pytest.approx(getattr(got, method)(X, sample_weight=s),
                                      rel=1e3 * dtype_eps)


def test_partial_fit_keeps_the_fitted_geometry(client):
    X, _ = make_data()
    som = SelfOrganizingMap(4, 4, max_iter=2).fit(to_dask(X))
    before = pickle.dumps(som)
    som.set_params(topology="hexagonal")
    with pytest.raises(ValueError, match="partial_fit continues the fitted map"):
        som.partial_fit(to_dask(X))
    som.set_params(topology="rectangular")
    assert pickle.dumps(som) == before
    # the measures read the fitted grid
    te = som.topographic_error(to_dask(X))
    som.set_params(periodic=True)
    assert som.topographic_error(to_dask(X)) == te


def test_online_is_a_clear_error(client):
    X, _ = make_data()
    with pytest.raises(ValueError, match="algorithm='batch'"):
        SelfOrganizingMap(3, 3, algorithm="online").fit(to_dask(X))


def test_bad_input_is_a_clear_error_and_leaves_model_and_cluster_healthy(client):
    X, s = make_data()
    X_dask, s_dask = to_dask(X), to_dask(s)
    som = SelfOrganizingMap(4, 4, max_iter=2).fit(X_dask)
    before = pickle.dumps(som)

    with pytest.raises(ValueError, match="unknown chunk sizes"):
        som.fit(X_dask[X_dask[:, 0] > 4])
    with pytest.raises(ValueError, match="do not match X's row blocks"):
        som.fit(X_dask, sample_weight=s_dask.rechunk(1000))
    with pytest.raises(ValueError, match="needs shape"):
        som.fit(X_dask, sample_weight=s[:-1])
    X_bad = X.copy()
    X_bad[1500] = np.nan  # found only when the blocks are computed
    with pytest.raises(ValueError, match=r"no observed feature.*row\(s\) 1500"):
        som.fit(to_dask(X_bad))
    X_bad[1500] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        som.fit(to_dask(X_bad))
    with pytest.raises(ValueError, match="Negative values"):
        som.fit(X_dask, sample_weight=to_dask(-s))
    with pytest.raises(ValueError, match="expecting 5 features"):
        som.partial_fit(X_dask[:, :3])
    assert pickle.dumps(som) == before

    # prediction finds the empty row when computed, with its index
    X_bad[1500] = np.nan
    lazy = som.predict(to_dask(X_bad))
    with pytest.raises(ValueError, match=r"row\(s\) 1500"):
        lazy.compute()
    with pytest.raises(ValueError, match="expecting 5 features"):
        som.transform(X_dask[:, :3])

    # the cluster is healthy: the next fit works
    refit = SelfOrganizingMap(4, 4, max_iter=2).fit(X_dask)
    np.testing.assert_array_equal(refit.codebook_, som.codebook_)


def test_worker_processes_pickle_everything(process_client):
    X, s = make_data(np.float32)
    params = dict(n_rows=5, n_cols=4, max_iter=3, init="random", random_state=0)
    want = SelfOrganizingMap(**params).fit(X, sample_weight=s)
    got = SelfOrganizingMap(**params).fit(to_dask(X), sample_weight=to_dask(s))
    assert_same_map(got, want, X)
    restored = pickle.loads(pickle.dumps(got))
    np.testing.assert_array_equal(restored.predict(X), want.predict(X))
    np.testing.assert_array_equal(
        restored.predict(to_dask(X)).compute(), want.predict(X))


def test_fit_survives_a_killed_worker(process_client, monkeypatch):
    # After the first epoch one worker process dies (os._exit: no goodbye). Its
    # persisted blocks are recomputed on the survivor (the nanny starts a new
    # process as well), the next epochs run there, and the map is the one an
    # undisturbed fit gives.
    X, s = make_data()
    params = dict(n_rows=5, n_cols=4, max_iter=4)
    want = SelfOrganizingMap(**params).fit(X, sample_weight=s)
    epoch = _som_dask.DaskData.batch_epoch
    killed = []

    def kill(victim):
        # The worker dies without answering: the call fails, as it should.
        with contextlib.suppress(Exception):
            process_client.run(os._exit, 1, workers=[victim])

    def batch_epoch_then_kill(self, *args, **kwargs):
        result = epoch(self, *args, **kwargs)
        if not killed:
            victim = sorted(process_client.scheduler_info()["workers"])[0]
            killed.append(victim)
            threading.Thread(target=kill, args=(victim,), daemon=True).start()
            # the next epoch starts once the scheduler has lost the worker
            deadline = time.monotonic() + 30
            while victim in process_client.scheduler_info()["workers"]:
                assert time.monotonic() < deadline, "the worker did not die"
                time.sleep(0.05)
        return result

    monkeypatch.setattr(_som_dask.DaskData, "batch_epoch", batch_epoch_then_kill)
    # both workers up (an earlier test's restarted process may still be joining
    # on a loaded machine), so that one is there to kill and one to survive
    process_client.wait_for_workers(2, timeout=60)
    got = SelfOrganizingMap(**params).fit(to_dask(X), sample_weight=to_dask(s))
    assert killed
    assert_same_map(got, want, X)


def test_diagonal_topographic_error_on_dask_equals_in_memory(client):
    X, _ = make_data()
    som = SelfOrganizingMap(4, 5, max_iter=3, random_state=0).fit(X)
    assert som.topographic_error(to_dask(X), diagonal=True) == pytest.approx(
        som.topographic_error(X, diagonal=True), abs=1e-12)
