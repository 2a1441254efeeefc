"""Benchmark: fitting on dask arrays on a ``LocalCluster`` vs in memory.

Three parts (issue 13):

1. ``SelfOrganizingMap`` (batch, 40×40, 10 epochs, PCA init) on N × 32 float32
   blobs generated *on the workers*, block by block, each block from its own
   seeded generator (nothing is built on the client). Fitted on a
   ``LocalCluster`` with 1 and 2 single-threaded worker processes, then in memory
   on the same data computed to NumPy. Reported: fit time, quantization error
   and the client process's peak resident memory during each dask fit (sampled
   every 5 ms with psutil) beside the data's size.
2. The same SOM on a cluster whose workers have a ``memory_limit`` below their
   share of the data: the persisted blocks spill to disk and the fit completes.
3. ``SigmoidMLPRegressor(solver="lbfgs")`` on N × 50 float64 (also generated per
   block on the workers), ``max_iter`` fixed and ``tol=0`` so that both runs do
   the same number of iterations: in memory vs 2 workers.

The dask fits run first, so that the client's memory is measured before it ever
holds the data in NumPy; the in-memory fits then run in a fresh subprocess.
Clusters listen on 127.0.0.1 only.

Usage::

    python benchmarks/bench_dask.py                       # defaults below
    python benchmarks/bench_dask.py --som-rows 2000000 --mlp-rows 1000000
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

import dask
import dask.array as da
import numpy as np
import psutil
from distributed import Client, LocalCluster

from sknn_math import SelfOrganizingMap, SigmoidMLPRegressor

MiB = 2**20


# --------------------------------------------------------------------- data
def _blob_block(block_info=None, *, n_features, n_centers, seed):
    """One block of gaussian blobs, from a generator seeded by the block index."""
    info = block_info[None]
    (start, stop), _ = info["array-location"]
    i = info["chunk-location"][0]
    centers = np.random.default_rng(seed).uniform(
        -10, 10, size=(n_centers, n_features)
    )
    rng = np.random.default_rng([seed, i])
    n = stop - start
    label = rng.integers(n_centers, size=n)
    X = centers[label] + rng.standard_normal((n, n_features))
    return X.astype(np.float32)


def lazy_blobs(n_samples, n_features, chunk, n_centers=16, seed=0):
    chunks = (da.core.normalize_chunks(chunk, (n_samples,))[0], (n_features,))
    return da.map_blocks(
        _blob_block,
        chunks=chunks,
        dtype=np.float32,
        meta=np.empty((0, n_features), np.float32),
        n_features=n_features,
        n_centers=n_centers,
        seed=seed,
    )


def _regression_block(block_info=None, *, n_features, seed):
    info = block_info[None]
    (start, stop), _ = info["array-location"]
    i = info["chunk-location"][0]
    w = np.random.default_rng(seed).standard_normal(n_features) / np.sqrt(n_features)
    rng = np.random.default_rng([seed, i])
    X = rng.standard_normal((stop - start, n_features))
    y = np.tanh(X @ w) + 0.5 * np.sin(X[:, 0] * X[:, 1]) + 0.1 * rng.standard_normal(
        stop - start
    )
    return np.column_stack([X, y])


def lazy_regression(n_samples, n_features, chunk, seed=0):
    chunks = (da.core.normalize_chunks(chunk, (n_samples,))[0], (n_features + 1,))
    Z = da.map_blocks(
        _regression_block,
        chunks=chunks,
        dtype=np.float64,
        meta=np.empty((0, n_features + 1)),
        n_features=n_features,
        seed=seed,
    )
    return Z[:, :n_features], Z[:, n_features]


# ------------------------------------------------------------------ memory
class PeakRSS:
    """Peak resident set size of this (the client) process while in the block."""

    def __init__(self, interval=0.005):
        self.interval = interval
        self.proc = psutil.Process()

    def __enter__(self):
        self.before = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cluster(n_workers, memory_limit="auto", local_directory=None):
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        protocol="tcp://",
        dashboard_address="127.0.0.1:0",
        memory_limit=memory_limit,
        local_directory=local_directory,
    )


def make_som(args, epochs=None):
    return SelfOrganizingMap(40, 40, max_iter=epochs or args.epochs, random_state=0)


# -------------------------------------------------------------------- parts
def som_dask(args, n_workers, memory_limit="auto", rows=None, epochs=None):
    X = lazy_blobs(rows or args.som_rows, 32, args.som_chunk)
    with tempfile.TemporaryDirectory() as tmp, cluster(
        n_workers, memory_limit, tmp
    ) as c, Client(c) as client:
        client.wait_for_workers(n_workers)
        som = make_som(args, epochs)
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            som.fit(X)
            t = time.perf_counter() - t0
        qe = float(som.quantization_error(X))

    return dict(time=t, qe=qe, rss_before=mem.before / MiB, rss_peak=mem.peak / MiB,
                labels_mib=som.labels_.nbytes / MiB)


def som_memory(args):
    X = lazy_blobs(args.som_rows, 32, args.som_chunk).compute(scheduler="threads")
    som = make_som(args)
    t0 = time.perf_counter()
    som.fit(X)
    t = time.perf_counter() - t0
    return dict(time=t, qe=float(som.quantization_error(X)))


def make_mlp(args):
    return SigmoidMLPRegressor(
        (args.mlp_hidden,), solver="lbfgs", max_iter=args.mlp_iter, tol=0.0,
        alpha=1e-4, random_state=0,
    )


def mlp_dask(args, n_workers):
    X, y = lazy_regression(args.mlp_rows, 50, args.mlp_chunk)
    with cluster(n_workers) as c, Client(c) as client:
        client.wait_for_workers(n_workers)
        net = make_mlp(args)
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            net.fit(X, y)
            t = time.perf_counter() - t0
    return dict(time=t, loss=float(net.loss_), n_iter=net.n_iter_,
                rss_before=mem.before / MiB, rss_peak=mem.peak / MiB)


def mlp_memory(args):
    X, y = lazy_regression(args.mlp_rows, 50, args.mlp_chunk)
    X, y = dask.compute(X, y, scheduler="threads")
    net = make_mlp(args)
    t0 = time.perf_counter()
    net.fit(X, y)
    t = time.perf_counter() - t0
    return dict(time=t, loss=float(net.loss_), n_iter=net.n_iter_)


# -------------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--som-rows", type=int, default=1_000_000)
    p.add_argument("--som-chunk", type=int, default=100_000)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--limited-workers", type=int, default=1)
    p.add_argument("--limited-rows", type=int, default=4_000_000)
    p.add_argument("--limited-epochs", type=int, default=3)
    p.add_argument("--memory-limit", default="450MiB",
                   help="per worker, for the run with data larger than the limit (a "
                   "worker process with sknn_math imported holds ~230 MiB before any "
                   "data, and distributed pauses it at 80%% of the limit)")
    p.add_argument("--mlp-rows", type=int, default=500_000)
    p.add_argument("--mlp-chunk", type=int, default=100_000)
    p.add_argument("--mlp-hidden", type=int, default=32)
    p.add_argument("--mlp-iter", type=int, default=20)
    p.add_argument("--skip", nargs="*", default=[], choices=["som", "limited", "mlp"])
    p.add_argument("--in-memory-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.in_memory_only:
        # Run in a fresh process: an in-memory fit in the process that ran the
        # clusters measured 2.5 times slower (53.9 s against 21.6 s fresh).
        out = {}
        if "som" not in args.skip:
            out["som"] = som_memory(args)
        if "mlp" not in args.skip:
            out["mlp"] = mlp_memory(args)
        print("RESULT " + json.dumps(out))
        return

    som_mib = args.som_rows * 32 * 4 / MiB
    mlp_mib = args.mlp_rows * 51 * 8 / MiB
    print(f"cores: {os.cpu_count()}; SOM data {args.som_rows:,} × 32 float32 = "
          f"{som_mib:.0f} MiB in blocks of {args.som_chunk:,} rows; MLP data "
          f"{args.mlp_rows:,} × 50 float64 (+ y) = {mlp_mib:.0f} MiB")
    print(f"client max RSS at start: {maxrss_mib():.0f} MiB")

    som, limited, mlp = {}, None, {}
    if "som" not in args.skip:
        for w in (1, 2):
            som[f"{w} worker{'s' * (w > 1)}"] = r = som_dask(args, w)
            print(f"SOM dask {w}w: {r}", flush=True)
    if "limited" not in args.skip:
        limited = som_dask(args, args.limited_workers, args.memory_limit,
                           args.limited_rows, args.limited_epochs)
        print(f"SOM limited: {limited}", flush=True)
    if "mlp" not in args.skip:
        mlp["2 workers"] = r = mlp_dask(args, 2)
        print(f"MLP dask 2w: {r}", flush=True)
    print(f"client max RSS after all dask fits (never held the data): "
          f"{maxrss_mib():.0f} MiB", flush=True)
    if "som" not in args.skip or "mlp" not in args.skip:
        proc = subprocess.run(
            [sys.executable, __file__, "--in-memory-only", *sys.argv[1:]],
            capture_output=True, text=True, check=True,
        )
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        mem = json.loads(line[-1][len("RESULT "):])
        if "som" in mem:
            som = {"in memory": mem["som"], **som}
            print(f"SOM memory: {mem['som']}", flush=True)
        if "mlp" in mem:
            mlp = {"in memory": mem["mlp"], **mlp}
            print(f"MLP memory: {mem['mlp']}", flush=True)

    if som:
        base = som["in memory"]
        print(f"\nSOM {args.som_rows:,} × 32 float32 ({som_mib:.0f} MiB), 40×40, "
              f"{args.epochs} epochs, PCA init\n")
        print("| fit | time (s) | time / in-memory | quantization error | QE rel. diff "
              "| client RSS before → peak (MiB) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, r in som.items():
            rss = (f"{r['rss_before']:.0f} → {r['rss_peak']:.0f}"
                   if "rss_peak" in r else "—")
            rel = abs(r["qe"] - base["qe"]) / base["qe"]
            print(f"| {name} | {r['time']:.1f} | {r['time'] / base['time']:.2f} | "
                  f"{r['qe']:.6f} | {rel:.1e} | {rss} |")
    if limited:
        per_worker = args.limited_rows * 32 * 4 / MiB / args.limited_workers
        print(f"\nSOM {args.limited_rows:,} × 32 float32, 40×40, {args.limited_epochs} "
              f"epochs, memory_limit={args.memory_limit} per worker, "
              f"{args.limited_workers} worker(s), {per_worker:.0f} MiB of data "
              "per worker\n")
        print("| time (s) | quantization error | client RSS before → peak (MiB) |")
        print("| ---: | ---: | ---: |")
        print(f"| {limited['time']:.1f} | {limited['qe']:.6f} | "
              f"{limited['rss_before']:.0f} → {limited['rss_peak']:.0f} |")
    if mlp:
        base = mlp["in memory"]
        print(f"\nSigmoidMLPRegressor(({args.mlp_hidden},), solver='lbfgs', "
              f"max_iter={args.mlp_iter}, tol=0) on {args.mlp_rows:,} × 50 float64 "
              f"({mlp_mib:.0f} MiB)\n")
        print("| fit | time (s) | time / in-memory | iterations | final loss "
              "| loss rel. diff | client RSS before → peak (MiB) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in mlp.items():
            rss = (f"{r['rss_before']:.0f} → {r['rss_peak']:.0f}"
                   if "rss_peak" in r else "—")
            print(f"| {name} | {r['time']:.1f} | {r['time'] / base['time']:.2f} | "
                  f"{r['n_iter']} | {r['loss']:.6f} | "
                  f"{abs(r['loss'] - base['loss']) / base['loss']:.1e} | {rss} |")


if __name__ == "__main__":
    main()
