"""Thread and chunk policy (sknn_math._parallel)."""

import contextlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn import config_context
from threadpoolctl import threadpool_info, threadpool_limits

from sknn_math import ElmanRegressor, SigmoidMLPClassifier
from sknn_math._parallel import (
    CACHE_BYTES,
    blas_threads_for,
    chunk_n_rows,
    map_in_order,
    row_parts,
    run_in_parts,
    single_threaded_blas,
)


def _blas_threads():
    return sorted(info["num_threads"] for info in threadpool_info()
                  if info["user_api"] == "blas")


@pytest.fixture
def two_blas_threads():
    """Start from two BLAS threads, so that a limit to one can show (a 1-core
    runner or OPENBLAS_NUM_THREADS=1 would otherwise hide it)."""
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_single_threaded_blas_limits_and_restores(two_blas_threads):
    before = _blas_threads()
    assert set(before) == {2}
    with single_threaded_blas():
        assert set(_blas_threads()) == {1}
        with single_threaded_blas():  # nested: still one thread
            assert set(_blas_threads()) == {1}
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanRegressor])
def test_concurrent_predictions_leave_the_blas_threads_as_they_were(Estimator):
    # Thread limits are process-wide: interleaved set/restore pairs of several
    # threads once left BLAS on one thread for the rest of the process.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 20))  # products large enough to limit the threads
    y = (X[:, 0] > 0).astype(int)
    est = Estimator(max_iter=3, random_state=0).fit(X, y)
    before = _blas_threads()
    if max(before) < 2:
        # (OpenBLAS does not honour a limit set from a worker thread over one
        # set by threadpool_limits here, so the check needs BLAS's own start.)
        pytest.skip("BLAS already runs on one thread here: no thread to lose")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(est.predict, [X] * 256))
    assert _blas_threads() == before
    for result in results:
        np.testing.assert_array_equal(result, results[0])  # same call, same bits


def test_blas_threads_by_product_size(two_blas_threads):
    def threads_inside(multiply_adds, sequential=False, prediction=False):
        with blas_threads_for(multiply_adds, sequential=sequential,
                              prediction=prediction):
            return set(_blas_threads())

    assert threads_inside(2**10) == {1}  # a training loop's small products
    # a prediction whose products BLAS keeps on one thread anyway
    assert threads_inside(2**10, prediction=True) == {2}
    assert threads_inside(2**20, prediction=True) == {1}
    assert threads_inside(2**20) == {1}  # small: one thread
    assert threads_inside(2**24) == {2}  # large: BLAS's own choice
    assert threads_inside(2**24, sequential=True) == {1}  # a chain of products
    with blas_threads_for(2**24, in_parts=True):  # one core per part already
        assert set(_blas_threads()) == {1}


def test_row_parts_only_where_each_part_has_large_products(monkeypatch):
    from sknn_math import _parallel

    wide = lambda rows: rows * 50 * 512  # noqa: E731  (an MLP's first layer)
    narrow = lambda rows: rows * 50 * 100  # noqa: E731
    for n_workers in (1, 2, 8):  # never the cores: the same sums everywhere
        monkeypatch.setattr(_parallel, "n_worker_threads", lambda n=n_workers: n)
        assert row_parts(2000, wide) == 2
        assert row_parts(200, narrow) == 1  # small products: one part
        assert row_parts(1, wide) == 1  # a single row


def test_run_in_parts_on_one_worker_runs_them_in_turn(monkeypatch):
    import threading

    from sknn_math import _parallel

    def work(part):
        return part, threading.get_ident()

    monkeypatch.setattr(_parallel, "n_worker_threads", lambda: 1)
    results = run_in_parts(work, 2)
    assert [part for part, _ in results] == [0, 1]
    assert {thread for _, thread in results} == {threading.get_ident()}
    monkeypatch.setattr(_parallel, "n_worker_threads", lambda: 2)
    results = run_in_parts(work, 2)
    assert [part for part, _ in results] == [0, 1]
    assert len({thread for _, thread in results}) == 2


def test_run_in_parts_waits_for_every_part_when_one_raises(monkeypatch):
    import time

    from sknn_math import _parallel

    monkeypatch.setattr(_parallel, "n_worker_threads", lambda: 3)
    done = []

    def work(part):
        if part == 1:
            raise MemoryError("part 1")
        time.sleep(0.2 if part == 2 else 0.0)
        done.append(part)

    with pytest.raises(MemoryError):
        run_in_parts(work, 3)
    # the slow part ended before the error came back: nothing still writes
    # into the parts' buffers
    assert sorted(done) == [0, 2]


def test_run_in_parts_keeps_the_callers_error_state(monkeypatch):
    from sknn_math import _parallel

    monkeypatch.setattr(_parallel, "n_worker_threads", lambda: 3)
    def work(part):
        # overflow raises here unless the caller's "ignore" reached this thread
        return part, float(np.exp(np.float64(1000.0)))

    with np.errstate(over="ignore"):
        results = run_in_parts(work, 3)
    assert results == [(0, np.inf), (1, np.inf), (2, np.inf)]
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        run_in_parts(work, 2)


def test_chunk_n_rows_respects_working_memory_and_cache():
    with config_context(working_memory=1):  # 1 MiB
        assert chunk_n_rows(1024, 10_000) == 1024
        assert chunk_n_rows(1024, 100) == 100
        with pytest.warns(UserWarning, match="working_memory"):
            assert chunk_n_rows(2**21, 10) == 1  # a row larger than the budget
    with config_context(working_memory=1024):
        assert chunk_n_rows(1024, 10**9, fit_in_cache=True) == CACHE_BYTES // 1024
        assert chunk_n_rows(2**21, 10, fit_in_cache=True) == 1  # one row at least


@pytest.mark.parametrize("n_workers", [1, 3])
def test_map_in_order_returns_results_in_item_order(n_workers):
    items = list(range(50))
    assert list(map_in_order(lambda i: i * i, items, n_workers=n_workers)) == [
        i * i for i in items
    ]


def test_map_in_order_runs_at_most_n_workers_items_at_once():
    # After a pass on more threads, a pass asked to use two runs two at a time
    # (each worker holds a chunk's scratch: memory and cores follow n_workers).
    import threading
    import time

    lock = threading.Lock()
    running, most = 0, 0

    def work(item):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.002)
        with lock:
            running -= 1
        return item

    assert list(map_in_order(work, range(12), n_workers=4)) == list(range(12))
    most = 0
    assert list(map_in_order(work, range(12), n_workers=2)) == list(range(12))
    assert 1 <= most <= 2


def test_dask_tasks_leave_the_threads_to_the_worker(dask_client):
    # A task runs its chunks in its own thread, and leaves the process-wide BLAS
    # limit alone: Dask starts worker processes with one BLAS thread, and a
    # limit set from a worker thread would reach the other tasks (and here,
    # in-process, this test's own thread).
    from sknn_math._parallel import in_dask_task, n_worker_threads

    def inside():
        limits = blas_threads_for(2**20)  # a size that gets one thread outside
        return (in_dask_task(), n_worker_threads(),
                isinstance(limits, contextlib.nullcontext))

    assert not in_dask_task()
    assert not isinstance(blas_threads_for(2**20), contextlib.nullcontext)
    assert dask_client.submit(inside).result() == (True, 1, True)


def test_concurrent_passes_of_different_sizes_share_the_pools_safely():
    """Passes started at once from several threads, each with its own number of
    workers (as the chunk count of their data sets it), all complete with their
    results in order: no pool is shut down under another thread's feet."""
    from concurrent.futures import ThreadPoolExecutor as Threads

    from sknn_math._parallel import map_in_order

    def one_pass(n_items):
        results = []
        for _ in range(20):
            results = list(map_in_order(lambda i: i * i, range(n_items),
                                        n_workers=n_items % 7 + 2))
        return results

    sizes = [3, 4, 5, 6, 7, 8, 9, 10]
    with Threads(len(sizes)) as threads:
        outcomes = list(threads.map(one_pass, sizes))
    for n_items, results in zip(sizes, outcomes, strict=True):
        assert results == [i * i for i in range(n_items)]


def test_worker_threads_ignore_a_later_omp_num_threads(monkeypatch):
    # A Dask nanny sets OMP_NUM_THREADS=1 in its own process as it spawns a
    # worker: the client's fits keep the threads the process started with.
    from sknn_math import _parallel

    before = _parallel.n_worker_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert _parallel.n_worker_threads() == before
    monkeypatch.setattr(_parallel, "_OMP_NUM_THREADS", "1")  # set at the start
    assert _parallel.n_worker_threads() == 1
