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
                                                   # (in a fresh process), against
                                                   # NumPy's rate for its products
    python benchmarks/bench_som.py --no-minisom    # skip the slow MiniSom runs
"""

import argparse
import contextlib
import io
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
from _machine import machine
from sklearn.datasets import make_blobs

from sknn_math._som import SelfOrganizingMap

N_ROWS = N_COLS = 20
SIGMA_START, SIGMA_END = 10.0, 1.0
EPOCHS = 10


def evaluate(W, X):
    """Quantization and topographic error of codebook ``W`` on ``X``."""
    som = SelfOrganizingMap(
        N_ROWS, N_COLS, init=np.asarray(W, dtype=X.dtype), max_iter=1
    )
    # A fitted map holding exactly W: fit once, then put W back.
    som.fit(X[: N_ROWS * N_COLS])
    som.codebook_ = np.ascontiguousarray(W, dtype=X.dtype)
    return som.quantization_error(X), som.topographic_error(X)


def interleaved_best_times(fits, repeats):
    """Best time of every fit, the fits taking turns round after round.

    On a shared machine the load changes from second to second; taking turns
    exposes every contender to the same conditions.
    """
    results = {name: fit() for name, fit in fits.items()}  # warm-up
    walls = {name: [] for name in fits}
    cpus = {name: [] for name in fits}
    for _ in range(repeats):
        for name, fit in fits.items():
            wall, cpu, results[name] = measure(fit)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {name: (min(walls[name]), min(cpus[name]), results[name]) for name in fits}


def measure(fn):
    """Wall-clock and CPU time (all threads of the process) of ``fn()``."""
    tic, cpu_tic = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - tic, time.process_time() - cpu_tic, result


def timed(fn):
    return measure(fn)[0]


def ours_fit(X, W0, epochs=EPOCHS):
    def fit():
        som = SelfOrganizingMap(
            N_ROWS,
            N_COLS,
            sigma_start=SIGMA_START,
            sigma_end=SIGMA_END,
            max_iter=epochs,
            init=W0,
        ).fit(X)
        return som.codebook_

    return fit


def run_ours_online(X, W0):
    som = SelfOrganizingMap(
        N_ROWS,
        N_COLS,
        algorithm="online",
        sigma_start=SIGMA_START,
        sigma_end=SIGMA_END,
        learning_rate_start=0.5,
        learning_rate_end=0.0,
        max_iter=EPOCHS,
        init=W0,
        random_state=0,
    )
    wall, cpu, _ = measure(lambda: som.fit(X))
    return wall, cpu, som.codebook_


def run_minisom_online(X, W0):
    from minisom import MiniSom

    som = MiniSom(
        N_ROWS,
        N_COLS,
        X.shape[1],
        sigma=SIGMA_START,
        learning_rate=0.5,
        neighborhood_function="gaussian",
        random_seed=0,
        decay_function="linear_decay_to_zero",
        sigma_decay_function="linear_decay_to_one",
    )
    som._weights = W0.reshape(N_ROWS, N_COLS, -1).astype(np.float64)
    wall, cpu, _ = measure(lambda: som.train(X, EPOCHS * X.shape[0], random_order=True))
    return wall, cpu, som.get_weights().reshape(N_ROWS * N_COLS, -1)


def run_minisom_batch(X, W0):
    from minisom import MiniSom

    som = MiniSom(
        N_ROWS,
        N_COLS,
        X.shape[1],
        sigma=SIGMA_START,
        learning_rate=1.0,
        neighborhood_function="gaussian",
        random_seed=0,
        decay_function=lambda lr, t, T: 1.0,
    )
    # Its linear σ decay stops at 1.9 after 10 epochs; use the schedule the
    # others use, reaching σ_end in the last epoch.
    som._sigma_decay_function = lambda s, t, T: s + (SIGMA_END - s) * t / (T - 1)
    som._weights = W0.reshape(N_ROWS, N_COLS, -1).astype(np.float64)
    wall, cpu, _ = measure(lambda: som.train_batch_offline(X, EPOCHS))
    return wall, cpu, som.get_weights().reshape(N_ROWS * N_COLS, -1)


def xpysom_fit(X, W0):
    with contextlib.redirect_stdout(io.StringIO()):  # "CuPy could not be imported"
        from xpysom import XPySom

    def fit():
        som = XPySom(
            N_ROWS,
            N_COLS,
            X.shape[1],
            sigma=SIGMA_START,
            sigmaN=SIGMA_END,
            decay_function="linear",
            neighborhood_function="gaussian",
            std_coeff=1.0,
            xp=np,
            random_seed=0,
        )
        som._weights = W0.reshape(N_ROWS, N_COLS, -1).copy()
        som.train(X, EPOCHS)
        return np.asarray(som.get_weights()).reshape(N_ROWS * N_COLS, -1)

    return fit


def comparison(repeats, minisom):
    X, _ = make_blobs(n_samples=20_000, n_features=16, centers=10, random_state=0)
    X = X.astype(np.float32)
    rng = np.random.RandomState(0)
    W0 = X[rng.choice(X.shape[0], N_ROWS * N_COLS, replace=False)]

    names = {
        "ours": "sknn_math SelfOrganizingMap (batch, float32)",
        # The online rule ends ~1.5 % below the batch fixed point at σ = 1;
        # twenty batch epochs on the same schedule close that gap.
        "ours20": "sknn_math SelfOrganizingMap (batch, float32, 20 epochs)",
        "xpysom": "xpysom train (NumPy backend)",
    }
    best = interleaved_best_times(
        {
            "ours": ours_fit(X, W0),
            "ours20": ours_fit(X, W0, 2 * EPOCHS),
            "xpysom": xpysom_fit(X, W0),
        },
        repeats,
    )
    rows = [(names[key], *best[key]) for key in ("ours", "ours20")]
    t_ours = rows[0][1]
    som = SelfOrganizingMap(N_ROWS, N_COLS, init=W0, max_iter=EPOCHS).fit(X)
    t_predict = min(timed(lambda: som.predict(X)) for _ in range(repeats))
    rows.append(
        ("sknn_math SelfOrganizingMap (online, float32)", *run_ours_online(X, W0))
    )
    rows.append((names["xpysom"], *best["xpysom"]))
    if minisom:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows.append(("MiniSom train_batch_offline", *run_minisom_batch(X, W0)))
            rows.append(("MiniSom train (online)", *run_minisom_online(X, W0)))

    qe_ours = evaluate(rows[0][3], X)[0]
    print(
        f"20,000 × 16 blobs (float32), {N_ROWS}×{N_COLS} map, {EPOCHS} epochs "
        f"unless stated, σ linear {SIGMA_START:g}→{SIGMA_END:g}; best of {repeats} "
        "interleaved runs (online and MiniSom: 1 run)"
    )
    print()
    print(
        "| implementation | time (s) | time / ours | CPU time (s) "
        "| quantization error | QE / ours | topographic error |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    measured = {}
    for name, seconds, cpu, W in rows:
        qe, te = evaluate(W, X)
        measured[name] = (seconds, qe)
        print(
            f"| {name} | {seconds:.3f} | {seconds / t_ours:.1f}× | {cpu:.3f} "
            f"| {qe:.4f} | {qe / qe_ours:.3f} | {te:.4f} |"
        )
    print()
    print(f"predict on 20,000 samples: {t_predict * 1e3:.1f} ms")
    ours = [
        (t, qe)
        for name, (t, qe) in measured.items()
        if name.startswith("sknn_math") and "batch" in name
    ]

    def at_equal_error(peer):
        """Time of our fastest batch run whose QE is within 1 % of the peer's."""
        t_peer, qe_peer = measured[peer]
        fits = [t for t, qe in ours if qe <= 1.01 * qe_peer]
        return t_peer, (min(fits) if fits else float("nan"))

    xpy = "xpysom train (NumPy backend)"
    t_peer, t_eq = at_equal_error(xpy)
    print(f"ours / xpysom at equal QE: {t_eq / t_peer:.2f} (target ≤ 0.5)")
    online = "MiniSom train (online)"
    if online in measured:
        t_peer, t_eq = at_equal_error(online)
        print(f"MiniSom online / ours at equal QE: {t_peer / t_eq:.0f}× (target ≥ 40×)")


def gemm_seconds(X, n_units, repeats=3):
    """NumPy's best time for the products of one pass over ``X``:
    (rows × d)·(d × n_units) in float32, over blocks of 2048 to 16384 rows
    (its fastest shapes here; the whole (n × n_units) product would not fit in
    memory), with BLAS's own threads."""
    n, d = X.shape
    B = np.random.default_rng(1).standard_normal((d, n_units), dtype=np.float32)
    best = np.inf
    for _ in range(repeats):
        for rows in (2048, 4096, 8192, 16384):
            G = np.empty((rows, n_units), dtype=np.float32)
            tic = time.perf_counter()
            for start in range(0, n - rows + 1, rows):
                np.matmul(X[start:start + rows], B, out=G)
            best = min(best, (time.perf_counter() - tic) * n / (n // rows * rows))
    return best


def scale():
    n, d, side = 1_000_000, 32, 40
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Blobs written chunk by chunk straight into float32, so that the process's
    # peak memory shows the data and the fit, not a float64 staging copy.
    rng = np.random.default_rng(0)
    centers = rng.uniform(-10, 10, size=(20, d)).astype(np.float32)
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        part = X[start : start + 100_000]
        part[:] = rng.standard_normal(part.shape, dtype=np.float32)
        part += centers[rng.integers(0, len(centers), size=len(part))]
    load = os.getloadavg()[0]
    gemm = gemm_seconds(X, side * side)
    som = SelfOrganizingMap(side, side, max_iter=EPOCHS)
    # best of 3, as predict and NumPy's products: the machine's speed drifts
    # by several percent from one run to the next
    seconds = min(timed(lambda: som.fit(X)) for _ in range(3))
    # Again for the peak memory: tracing every allocation slows the fit.
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    som.fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    predict_seconds = min(timed(lambda: som.predict(X)) for _ in range(3))
    gemm = min(gemm, gemm_seconds(X, side * side))
    print()
    print(
        f"Scale: {n:,} × {d} float32 blobs ({X.nbytes / 2**20:.0f} MiB), "
        f"{side}×{side} map, {EPOCHS} epochs, default PCA init; {machine()}; "
        f"load average {load:.2f} at start"
    )
    print()
    flops = 2 * n * d * side * side
    print(
        f"NumPy's products of one pass, ({n:,} × {d})·({d} × {side * side}): "
        f"{gemm:.3f} s ({flops / gemm / 1e9:.0f} GFLOP/s). Share of that rate: "
        f"fit {EPOCHS * gemm / seconds:.0%} ({EPOCHS} passes' products in the "
        f"whole fit's time, which also holds the PCA and one more pass for the "
        f"labels and errors), predict {gemm / predict_seconds:.0%} (one pass); "
        "best of 3 each"
    )
    print()
    print(
        "| fit time (s) | predict time (s) | peak memory allocated by fit (MiB) "
        "| process max RSS (MiB): before data → end "
        "| quantization error | topographic error |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| {seconds:.1f} | {predict_seconds:.2f} | {(peak - base) / 2**20:.0f} "
        f"| {rss_before:.0f} → {rss:.0f} | {som.quantization_error_:.4f} "
        f"| {som.topographic_error_:.4f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-minisom", action="store_true")
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--scale-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_only:
        scale()
        return
    print(
        f"numpy {np.__version__}, {os.cpu_count()} CPU cores, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    comparison(args.repeats, minisom=not args.no_minisom)
    if args.scale:
        # A fresh process, so that its peak memory is the scale run's own.
        sys.stdout.flush()
        subprocess.run([sys.executable, __file__, "--scale-only"], check=True)


if __name__ == "__main__":
    main()
