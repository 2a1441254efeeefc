"""SigmoidMLPClassifier against scikit-learn's MLPClassifier(activation="logistic").

Both train on the same data in one process with the same settings; the table
gives the best of ``--repeat`` fit times, training accuracy and the time ratio.
A second table gives the arithmetic rate reached on a large case against NumPy's
own matrix-product rate measured in the same run: of a square product, and of
the very products one batch of the network makes (the most the fit could reach
if everything but its products were free), and the time ratio. The first line
names the processor and the BLAS kernel.

    python benchmarks/bench_mlp.py [--repeat 3] [--threads N] [--quick] [--busy]

``--busy`` keeps one core spinning in another process during the runs, as another
job on the same machine would.
"""

import argparse
import contextlib
import multiprocessing
import time
import warnings

import numpy as np
from _machine import machine
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sknn_math import SigmoidMLPClassifier


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def fit_both(X, y, hidden, batch_size, epochs, repeat):
    """Best fit time of each library; the runs alternate, so that a change in the
    machine's speed during the benchmark weighs on both alike."""
    common = dict(hidden_layer_sizes=hidden, activation="logistic", solver="adam",
                  batch_size=batch_size, max_iter=epochs, tol=0.0,
                  n_iter_no_change=epochs + 1, random_state=0)
    makers = {"sknn_math": lambda: SigmoidMLPClassifier(**common),
              "scikit-learn": lambda: MLPClassifier(**common)}
    times = {name: [] for name in makers}
    models = {}
    for _ in range(repeat):
        for name, make in makers.items():
            # OpenBLAS's idle threads spin for a while after a product on every
            # thread: let them stop, so that no fit runs beside the other's.
            time.sleep(0.3)
            start = time.perf_counter()
            models[name] = make().fit(X, y)
            times[name].append(time.perf_counter() - start)
    return {name: (min(times[name]), models[name].score(X, y), models[name].loss_)
            for name in makers}


def _spin(stop):
    while not stop.is_set():
        pass


@contextlib.contextmanager
def busy_core(enabled):
    """One core kept busy by another process while the block runs."""
    if not enabled:
        yield
        return
    stop = multiprocessing.Event()
    spinner = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    spinner.start()
    try:
        yield
    finally:
        stop.set()
        spinner.join()


def epoch_flops(n, sizes):
    """Multiply-adds ×2 of one epoch: forward, weight gradients, back-propagation."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    forward = sum(a * b for a, b in pairs)
    backprop = sum(a * b for a, b in pairs[1:])
    return 2 * n * (2 * forward + backprop)


def gemm_rate(m, k, n, dtype, repeat=5):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((m, k)).astype(dtype)
    B = rng.standard_normal((k, n)).astype(dtype)
    seconds, _ = best_time(lambda: A @ B, repeat)
    return 2 * m * k * n / seconds / 1e9


def batch_products_rate(n, sizes, dtype, repeat=5):
    """NumPy's rate on the matrix products of one batch of ``n`` rows: per
    layer the forward product, the weight gradient and (but the first) the
    back-propagated delta, each timed alone (best of ``repeat``)."""
    rng = np.random.default_rng(0)
    seconds = 0.0
    for layer, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        H = rng.standard_normal((n, a)).astype(dtype)
        W = rng.standard_normal((a, b)).astype(dtype)
        D = rng.standard_normal((n, b)).astype(dtype)
        pairs = [(H, W), (H.T, D)] + ([(D, W.T)] if layer > 0 else [])
        seconds += sum(best_time(lambda A=A, B=B: A @ B, repeat)[0]
                       for A, B in pairs)
    return epoch_flops(n, sizes) / seconds / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for both libraries (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller data, for a smoke run")
    parser.add_argument("--busy", action="store_true",
                        help="time the training table with one core kept busy")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        run(args)


def run(args):
    print(f"Machine: {machine()}\n")

    n = 2000 if args.quick else 20000
    X, y = make_classification(n, 50, n_informative=30, n_classes=4,
                               random_state=0)
    busy = ", one core busy with another process" if args.busy else ""
    print(f"## Training: {n}x50, 4 classes, hidden (100,), adam, batch 200, "
          f"10 epochs, tol=0 (best of {args.repeat}{busy})\n")
    print("| dtype | sknn_math s | scikit-learn s | ratio | sknn_math acc | "
          "scikit-learn acc | sknn_math loss | scikit-learn loss |")
    print("|---|---|---|---|---|---|---|---|")
    for dtype in (np.float64, np.float32):
        with busy_core(args.busy):
            rows = fit_both(X.astype(dtype), y, (100,), 200, 10, args.repeat)
        (t_ours, acc_ours, loss_ours), (t_sk, acc_sk, loss_sk) = (
            rows["sknn_math"], rows["scikit-learn"])
        print(f"| {np.dtype(dtype).name} | {t_ours:.3f} | {t_sk:.3f} | "
              f"{t_ours / t_sk:.2f} | {acc_ours:.4f} | {acc_sk:.4f} | "
              f"{loss_ours:.4f} | {loss_sk:.4f} |")
    if args.busy:
        return

    n_large = 4000 if args.quick else 20000
    X, y = make_classification(n_large, 50, n_informative=30, n_classes=4,
                               random_state=0)
    flops = epoch_flops(n_large, [50, 512, 4]) * 3
    print(f"\n## Arithmetic rate: {n_large}x50, hidden (512,), batch 2000, "
          "3 epochs\n")
    print("| dtype | sknn_math GFLOP/s | scikit-learn GFLOP/s | NumPy GEMM "
          "GFLOP/s (2000x512x512) | NumPy GFLOP/s, one batch's products | "
          "sknn_math share of GEMM | sknn_math share of the batch's products | "
          "ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for dtype in (np.float64, np.float32):
        rows = fit_both(X.astype(dtype), y, (512,), 2000, 3, args.repeat)
        ours = flops / rows["sknn_math"][0] / 1e9
        theirs = flops / rows["scikit-learn"][0] / 1e9
        peak = gemm_rate(2000, 512, 512, dtype)
        products = batch_products_rate(2000, [50, 512, 4], dtype)
        print(f"| {np.dtype(dtype).name} | {ours:.1f} | {theirs:.1f} | {peak:.1f} | "
              f"{products:.1f} | {ours / peak:.0%} | {ours / products:.0%} | "
              f"{theirs / ours:.2f} |")


if __name__ == "__main__":
    main()
