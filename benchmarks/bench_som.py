"""Benchmark: SelfOrganizingMap against MiniSom and xpysom, in one process.

All maps train on the same float32 data from the same initial codebook, with a
gaussian neighbourhood whose radius decays linearly from 10 to 1 over 10 epochs:

- sknn_math ``SelfOrganizingMap``: the batch algorithm (the default) and the
  online one (η linear 0.5 → 0, σ and η decaying per step, as MiniSom's);
- MiniSom ``train`` (online rule, random order, 10 · n steps; σ and η decay per
  step) and ``train_batch_offline`` (its true batch rule; learning rate held at 1
  and σ reaching 1 in the last epoch, so that it computes what ours does);
- xpysom ``train`` with its NumPy backend (``std_coeff=1`` so that its gaussian is
  exp(−d²/2σ²) like the others).

Quantization and topographic errors of every final codebook are computed by the
same code (sknn_math's, on a map holding that codebook), so they compare like
with like; the topographic error counts 4 neighbours per unit.

Usage::

    python benchmarks/bench_som.py                 # the comparison table
    python benchmarks/bench_som.py --scale         # plus 1,000,000 × 32 on 40×40
    python benchmarks/bench_som.py --no-minisom    # skip the slow MiniSom runs
"""

import argparse
import contextlib
import io
import os
import resource
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.datasets import make_blobs

from sknn_math._som import SelfOrganizingMap

N_ROWS = N_COLS = 20
SIGMA_START, SIGMA_END = 10.0, 1.0
EPOCHS = 10


def evaluate(W, X):
    """Quantization and topographic error of codebook ``W`` on ``X``."""
    som = SelfOrganizingMap(N_ROWS, N_COLS, init=np.asarray(W, dtype=X.dtype), max_iter=1)
    # A fitted map holding exactly W: fit once, then put W back.
    som.fit(X[:N_ROWS * N_COLS])
    som.codebook_ = np.ascontiguousarray(W, dtype=X.dtype)
    return som.quantization_error(X), som.topographic_error(X)


def best_time(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        tic = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - tic)
    return min(times), result


def run_ours(X, W0, repeats):
    def fit():
        return SelfOrganizingMap(
            N_ROWS, N_COLS, sigma_start=SIGMA_START, sigma_end=SIGMA_END,
            max_iter=EPOCHS, init=W0,
        ).fit(X)

    fit()  # warm up BLAS threads and caches
    seconds, som = best_time(fit, repeats)
    predict_seconds, _ = best_time(lambda: som.predict(X), repeats)
    return seconds, som.codebook_, predict_seconds


def run_ours_online(X, W0):
    som = SelfOrganizingMap(
        N_ROWS, N_COLS, algorithm="online", sigma_start=SIGMA_START,
        sigma_end=SIGMA_END, learning_rate_start=0.5, learning_rate_end=0.0,
        max_iter=EPOCHS, init=W0, random_state=0,
    )
    tic = time.perf_counter()
    som.fit(X)
    return time.perf_counter() - tic, som.codebook_


def run_minisom_online(X, W0):
    from minisom import MiniSom

    som = MiniSom(
        N_ROWS, N_COLS, X.shape[1], sigma=SIGMA_START, learning_rate=0.5,
        neighborhood_function="gaussian", random_seed=0,
        decay_function="linear_decay_to_zero",
        sigma_decay_function="linear_decay_to_one",
    )
    som._weights = W0.reshape(N_ROWS, N_COLS, -1).astype(np.float64)
    tic = time.perf_counter()
    som.train(X, EPOCHS * X.shape[0], random_order=True)
    return time.perf_counter() - tic, som.get_weights().reshape(N_ROWS * N_COLS, -1)


def run_minisom_batch(X, W0):
    from minisom import MiniSom

    som = MiniSom(
        N_ROWS, N_COLS, X.shape[1], sigma=SIGMA_START, learning_rate=1.0,
        neighborhood_function="gaussian", random_seed=0,
        decay_function=lambda lr, t, T: 1.0,
    )
    # Its linear σ decay stops at 1.9 after 10 epochs; use the schedule the
    # others use, reaching σ_end in the last epoch.
    som._sigma_decay_function = lambda s, t, T: s + (SIGMA_END - s) * t / (T - 1)
    som._weights = W0.reshape(N_ROWS, N_COLS, -1).astype(np.float64)
    tic = time.perf_counter()
    som.train_batch_offline(X, EPOCHS)
    return time.perf_counter() - tic, som.get_weights().reshape(N_ROWS * N_COLS, -1)


def run_xpysom(X, W0, repeats):
    with contextlib.redirect_stdout(io.StringIO()):  # "CuPy could not be imported"
        from xpysom import XPySom

    def fit():
        som = XPySom(
            N_ROWS, N_COLS, X.shape[1], sigma=SIGMA_START, sigmaN=SIGMA_END,
            decay_function="linear", neighborhood_function="gaussian",
            std_coeff=1.0, xp=np, random_seed=0,
        )
        som._weights = W0.reshape(N_ROWS, N_COLS, -1).copy()
        som.train(X, EPOCHS)
        return som

    fit()
    seconds, som = best_time(fit, repeats)
    return seconds, np.asarray(som.get_weights()).reshape(N_ROWS * N_COLS, -1)


def comparison(repeats, minisom):
    X, _ = make_blobs(n_samples=20_000, n_features=16, centers=10, random_state=0)
    X = X.astype(np.float32)
    rng = np.random.RandomState(0)
    W0 = X[rng.choice(X.shape[0], N_ROWS * N_COLS, replace=False)]

    rows = []
    t_ours, W, t_predict = run_ours(X, W0, repeats)
    rows.append(("sknn_math SelfOrganizingMap (batch, float32)", t_ours, W))
    t, W = run_ours_online(X, W0)
    rows.append(("sknn_math SelfOrganizingMap (online, float32)", t, W))
    t, W = run_xpysom(X, W0, repeats)
    rows.append(("xpysom train (NumPy backend)", t, W))
    if minisom:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, W = run_minisom_batch(X, W0)
            rows.append(("MiniSom train_batch_offline", t, W))
            t, W = run_minisom_online(X, W0)
            rows.append(("MiniSom train (online)", t, W))

    qe_ours = evaluate(rows[0][2], X)[0]
    print(f"20,000 × 16 blobs (float32), {N_ROWS}×{N_COLS} map, {EPOCHS} epochs, "
          f"σ linear {SIGMA_START:g}→{SIGMA_END:g}; best of {repeats} (MiniSom: 1 run)")
    print()
    print("| implementation | time (s) | time / ours | quantization error "
          "| QE / ours | topographic error |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, seconds, W in rows:
        qe, te = evaluate(W, X)
        print(f"| {name} | {seconds:.3f} | {seconds / t_ours:.1f}× | {qe:.4f} "
              f"| {qe / qe_ours:.3f} | {te:.4f} |")
    print()
    print(f"predict on 20,000 samples: {t_predict * 1e3:.1f} ms")


def scale():
    n, d, side = 1_000_000, 32, 40
    X, _ = make_blobs(n_samples=n, n_features=d, centers=20, random_state=0)
    X = X.astype(np.float32)
    som = SelfOrganizingMap(side, side, max_iter=EPOCHS, init="sample", random_state=0)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    tic = time.perf_counter()
    som.fit(X)
    seconds = time.perf_counter() - tic
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tic = time.perf_counter()
    som.predict(X)
    predict_seconds = time.perf_counter() - tic
    print()
    print(f"Scale: {n:,} × {d} float32 blobs ({X.nbytes / 2**20:.0f} MiB), "
          f"{side}×{side} map, {EPOCHS} epochs")
    print()
    print("| fit time (s) | predict time (s) | peak memory allocated by fit (MiB) "
          "| process max RSS (MiB) | quantization error | topographic error |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {seconds:.1f} | {predict_seconds:.2f} | {(peak - base) / 2**20:.0f} "
          f"| {rss:.0f} | {som.quantization_error_:.4f} | {som.topographic_error_:.4f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-minisom", action="store_true")
    parser.add_argument("--scale", action="store_true")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, {os.cpu_count()} CPU cores")
    comparison(args.repeats, minisom=not args.no_minisom)
    if args.scale:
        scale()


if __name__ == "__main__":
    main()
