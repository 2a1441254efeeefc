"""Thread and chunk policy: how many BLAS threads, worker threads and rows at once.

Every estimator asks here and nowhere else:

- :func:`blas_threads_for` — BLAS threads for a loop of matrix products of a
  given size (the MLP's batches), or for a chain of dependent ones (the Elman
  net's time steps);
- :func:`map_in_order` — a chunked pass over the data on one worker thread per
  core (the SOM's epochs, measures and PCA sums);
- :func:`row_parts` and :func:`run_in_parts` — a network's batch cut into row
  parts whose forward and backward passes run side by side on two cores (wide
  layers, where NumPy's one-core element-wise passes would leave a core idle);
- :func:`chunk_n_rows` — rows per chunk, within ``working_memory`` and, for
  passes that stream a distance block, within the CPU cache.
"""

import contextlib
import os
import sys
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait
from functools import cache
from itertools import islice

import numpy as np
from threadpoolctl import ThreadpoolController

from ._validation import get_chunk_n_rows

# Below about 4 million multiply-adds a product is over before extra BLAS threads
# have started, and on a busy machine a descheduled BLAS thread stalls every call
# (fits 20× slower were measured on two shared cores). scikit-learn's KMeans limits
# BLAS the same way for its small products.
SMALL_PRODUCT_MULTIPLY_ADDS = 2**22

# A batch large enough runs in two row parts, side by side on two cores.
ROW_PARTS = 2

# A batch runs in row parts when each part's largest product takes at least this
# many multiply-adds: enough to pay for handing the part to a thread and for the
# threads' turns over Python's GIL between NumPy calls (a narrow network's many
# small calls would spend more on those turns than the second core gives).
ROW_PART_MULTIPLY_ADDS = 2**22

# Below this OpenBLAS runs a matrix product on one thread by itself (vector
# products and reductions may still spread over threads).
TINY_PRODUCT_MULTIPLY_ADDS = 2**18

# A block of rows whose distance block stays in one core's cache (half of a
# 2 MiB L2) from the product that writes it to the argmax that reads it:
# larger blocks send both to memory, smaller ones pay the per-call overhead.
CACHE_BYTES = 2**20


@cache
def _controller():
    # Building the controller inspects every loaded library: do it once.
    return ThreadpoolController()


# BLAS thread limits are process-wide: when several threads of the user's (say,
# concurrent ``predict`` calls) each set and restored the limit, they could restore
# each other's "1" and leave BLAS single-threaded for good. The first context in
# sets the limit, the last one out restores it.
_limit_lock = threading.Lock()
_limit_users = 0
_limiter = None


@contextlib.contextmanager
def single_threaded_blas():
    """Context in which NumPy's BLAS runs on one thread; safe across threads."""
    global _limit_users, _limiter
    with _limit_lock:
        if _limit_users == 0:
            _limiter = _controller().limit(limits=1, user_api="blas")
        _limit_users += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0:
                _limiter.restore_original_limits()
                _limiter = None


def blas_threads_for(multiply_adds, *, sequential=False, in_parts=False,
                     prediction=False):
    """BLAS threads for work whose largest product takes ``multiply_adds``.

    One thread for small products, BLAS's own choice for large ones. A
    ``sequential`` chain, each product waiting for the one before (a recurrence),
    runs on one thread whatever the size: every step would wait for the slowest
    thread, and a descheduled one stalls the whole chain. Work ``in_parts``
    (:func:`run_in_parts`) already has a core per part: one BLAS thread each,
    for OpenBLAS's idle threads spin on the cores the parts need. A ``prediction`` whose
    products BLAS runs on one thread anyway leaves the limits alone: changing
    them costs some 10 µs, much of a prediction on a few rows.
    """
    if in_dask_task():
        # Dask starts worker processes with one BLAS thread (its nanny sets
        # OPENBLAS_NUM_THREADS=1 and its kin); a limit changed from a worker
        # thread would reach the other tasks and, in-process, the client.
        return contextlib.nullcontext()
    if prediction and multiply_adds < TINY_PRODUCT_MULTIPLY_ADDS:
        return contextlib.nullcontext()
    if sequential or in_parts or multiply_adds <= SMALL_PRODUCT_MULTIPLY_ADDS:
        return single_threaded_blas()
    return contextlib.nullcontext()


def in_dask_task():
    """Whether this runs in a task on a Dask worker (never imports dask)."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


def chunk_n_rows(row_bytes, n_rows, *, fit_in_cache=False):
    """Rows per chunk: at most ``working_memory`` (scikit-learn's config) and
    ``n_rows``; with ``fit_in_cache``, also at most :data:`CACHE_BYTES`."""
    rows = get_chunk_n_rows(row_bytes, max_n_rows=n_rows)
    if fit_in_cache:
        rows = min(rows, CACHE_BYTES // row_bytes)
    return int(max(rows, 1))


# Read once, as OpenMP and BLAS read it when the process starts: a Dask nanny
# sets OMP_NUM_THREADS=1 in its own process's environment as it spawns a worker,
# and a client that started a LocalCluster must not have its in-memory fits
# turned single-threaded by that.
_OMP_NUM_THREADS = os.environ.get("OMP_NUM_THREADS", "")


def n_worker_threads():
    """Worker threads: one per usable core, at most ``OMP_NUM_THREADS`` (as it
    was when sknn_math was imported).

    scikit-learn's own parallel loops (KMeans) follow ``OMP_NUM_THREADS``; so do
    ours, which lets a user pin the whole pipeline to one core.
    """
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    limit = _OMP_NUM_THREADS
    if limit.isdigit() and int(limit) > 0:
        n = min(n, int(limit))
    if in_dask_task():
        n = 1  # the worker's own threads already share the cores
    return n


# pid -> {n_workers: executor}; a forked child must not reuse its parent's threads.
_POOLS = {}
_pool_lock = threading.Lock()


def _worker_pool(n_workers):
    """A thread pool kept between calls (starting threads costs milliseconds)
    of exactly ``n_workers`` threads: a larger one would run the queue ahead
    of the consumer at once, more threads than asked and a scratch each.

    One pool per size, never shut down: another thread may be submitting to a
    pool of another size at this moment (concurrent ``predict`` calls on data
    of different sizes); there are at most as many sizes as cores.
    """
    with _pool_lock:
        pools = _POOLS.setdefault(os.getpid(), {})
        if n_workers not in pools:
            pools[n_workers] = ThreadPoolExecutor(n_workers)
        return pools[n_workers]


def map_in_order(work, items, *, n_workers=None):
    """Yield ``work(item)`` for every item, in order, on one thread per core.

    Items go to the threads as they come free, so a core taken by another process
    slows one worker, not the whole pass; BLAS runs single-threaded meanwhile.
    Results come back in item order: folding them gives the same bits whatever
    the timing and the number of threads. ``work`` may keep per-thread buffers
    (``threading.local``) but must not return views of them.
    """
    items = list(items)
    if n_workers is None:
        n_workers = n_worker_threads()
    n_workers = min(n_workers, len(items))
    if n_workers <= 1:
        for item in items:
            yield work(item)
        return
    pool = _worker_pool(n_workers)
    todo = iter(items)
    with single_threaded_blas():
        # A short queue ahead of the consumer keeps every worker busy without
        # piling up results.
        pending = deque(pool.submit(work, item) for item in islice(todo, 2 * n_workers))
        while pending:
            result = pending.popleft().result()
            item = next(todo, None)
            if item is not None:
                pending.append(pool.submit(work, item))
            yield result


def row_parts(n_rows, part_multiply_adds, threshold=ROW_PART_MULTIPLY_ADDS):
    """Into how many row parts to cut a batch of ``n_rows`` rows: :data:`ROW_PARTS`
    where each part's products, ``part_multiply_adds(rows)``, reach
    ``threshold``; else 1. Never the number of cores: the parts' sums would then
    change the bits from one machine, or one ``OMP_NUM_THREADS``, to another."""
    if n_rows < ROW_PARTS or part_multiply_adds(n_rows // ROW_PARTS) < threshold:
        return 1
    return ROW_PARTS


def run_in_parts(work, n_parts):
    """``[work(0), …, work(n_parts − 1)]``: part 0 on the calling thread, the
    others on worker threads (one after the other on the caller with a single
    worker), all under the caller's floating-point error state (NumPy keeps it
    per thread). ``work`` must not itself run in parts or map in order."""
    n_workers = min(n_worker_threads(), n_parts)
    if n_workers <= 1:
        return [work(part) for part in range(n_parts)]
    errors = np.geterr()

    def run(part):
        with np.errstate(**errors):
            return work(part)

    pool = _worker_pool(n_parts - 1)
    others = [pool.submit(run, part) for part in range(1, n_parts)]
    try:
        first = work(0)
    finally:
        # every part ends before the caller reads or reuses their buffers, even
        # when one of them (or the caller's) raised
        wait(others)
    return [first, *(future.result() for future in others)]
