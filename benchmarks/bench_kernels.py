"""Does each speed trick earn its place? The plain form and the trick, side by side.

A trick that changes a kernel's interface or hurts reading stays only where it
saves at least 3 % of a benchmark's time (``docs/architecture.rst``). This script
times each one on the shapes of the standard MLP benchmark (a batch of 200 rows,
50 features, 100 hidden units, 4 classes, 5504 parameters) and of an Elman state
(200 × 32, one call per time step), one BLAS thread as in training, and prints
what the form in the code saves per call against the time of one MLP batch
measured in the same run (negative: the other form would be faster).

    python benchmarks/bench_kernels.py
"""

import timeit
import warnings

import numpy as np
from scipy.special import expit
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sknn_math import SigmoidMLPClassifier
from sknn_math._activations import column_sums, logistic, row_max, row_sums


def best_us(fn, number=500):
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def mlp_batch_us(dtype):
    """Time of one mini-batch of the standard MLP benchmark, in microseconds."""
    X, y = make_classification(20000, 50, n_informative=30, n_classes=4,
                               random_state=0)
    X = X.astype(dtype)
    clf = SigmoidMLPClassifier((100,), batch_size=200, max_iter=3, tol=0,
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs on purpose
        seconds = min(timeit.repeat(lambda: clf.fit(X, y), number=1, repeat=3))
    return seconds / (3 * 100) * 1e6


def cases(dtype):
    """(name, the form in the code, the other form, which one the code uses)."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((200, 100)).astype(dtype)
    b = rng.standard_normal(100).astype(dtype)
    H = rng.standard_normal((200, 32)).astype(dtype)
    X = rng.standard_normal((200, 50)).astype(dtype)
    D4 = rng.standard_normal((200, 4)).astype(dtype)
    out100, out4 = np.empty(100, dtype), np.empty(4, dtype)
    A, work = Z.copy(), Z.copy()
    grad = rng.standard_normal(5504).astype(dtype)
    theta, scratch = np.zeros(5504, dtype), np.empty(5504, dtype)
    m, v = np.zeros(5504, dtype), np.zeros(5504, dtype)
    moments = np.zeros((2, 5504), dtype)
    decay = np.array([[0.9], [0.999]], dtype)
    g, g_T = np.empty((50, 100), dtype), np.empty((100, 50), dtype)
    rows = rng.permutation(20000)[:200]
    X_all = rng.standard_normal((20000, 50)).astype(dtype)
    X_buf = np.empty((200, 50), dtype)

    def logistic_numpy():
        work[...] = A
        logistic(work)

    def logistic_expit():
        work[...] = A
        expit(work, out=work)

    def bias_then_logistic():
        work[...] = A
        np.add(work, b, out=work)
        logistic(work)

    def bias_fused_logistic():
        work[...] = A
        np.subtract(-b, work, out=work)
        np.exp(work, out=work)
        np.add(work, 1, out=work)
        np.reciprocal(work, out=work)

    def tanh_numpy():
        np.tanh(H, out=H)

    def tanh_via_logistic():
        np.multiply(H, 2.0, out=H)
        logistic(H)
        np.multiply(H, 2.0, out=H)
        np.subtract(H, 1.0, out=H)

    def adam_textbook():
        np.multiply(m, 0.9, out=m)
        np.add(m, np.multiply(grad, 0.1, out=scratch), out=m)
        np.multiply(v, 0.999, out=v)
        np.multiply(grad, grad, out=scratch)
        np.multiply(scratch, 0.001, out=scratch)
        np.add(v, scratch, out=v)
        np.sqrt(v, out=scratch)
        np.add(scratch, 1e-8, out=scratch)
        np.divide(m, scratch, out=scratch)
        np.multiply(scratch, 0.001, out=scratch)
        np.subtract(theta, scratch, out=theta)

    def adam_stacked():
        np.multiply(moments, decay, out=moments)
        np.add(moments[0], grad, out=moments[0])
        np.add(moments[1], np.multiply(grad, grad, out=scratch), out=moments[1])
        np.sqrt(moments[1], out=scratch)
        np.add(scratch, 1e-8, out=scratch)
        np.divide(moments[0], scratch, out=scratch)
        np.multiply(scratch, 0.001, out=scratch)
        np.subtract(theta, scratch, out=theta)

    def gradient_direct():
        np.dot(X.T, Z, out=g)

    def gradient_transposed():
        np.dot(Z.T, X, out=g_T)
        g[...] = g_T.T

    return [
        ("logistic: NumPy exp (kept) / scipy expit", logistic_numpy,
         logistic_expit, "trick"),
        ("column sums 200x100: BLAS (kept) / np.sum",
         lambda: column_sums(Z, out=out100),
         lambda: np.sum(Z, axis=0, out=out100), "trick"),
        ("column sums 200x4: BLAS (kept) / np.sum",
         lambda: column_sums(D4, out=out4),
         lambda: np.sum(D4, axis=0, out=out4), "trick"),
        ("row sums 200x4: BLAS (kept) / np.sum", lambda: row_sums(D4),
         lambda: np.sum(D4, axis=1), "trick"),
        ("row max 200x4: column-major (kept) / max", lambda: row_max(D4),
         lambda: D4.max(axis=1), "trick"),
        ("hidden bias: separate (plain) / fused in logistic", bias_then_logistic,
         bias_fused_logistic, "plain"),
        ("tanh 200x32: np.tanh (plain) / 2σ(2z) − 1", tanh_numpy, tanh_via_logistic,
         "plain"),
        ("Adam step: textbook (plain) / stacked rescaled moments", adam_textbook,
         adam_stacked, "plain"),
        ("weight gradient hᵀδ: direct (plain) / (δᵀh)ᵀ", gradient_direct,
         gradient_transposed, "plain"),
        ("batch gather: take(mode='clip') into a buffer (kept) / X[rows]",
         lambda: np.take(X_all, rows, axis=0, out=X_buf, mode="clip"),
         lambda: X_all[rows], "trick"),
    ]


def main():
    with threadpool_limits(limits=1, user_api="blas"):
        for dtype in (np.float64, np.float32):
            batch = mlp_batch_us(dtype)
            print(f"\n## {np.dtype(dtype).name}: one MLP batch takes {batch:.0f} µs\n")
            print("| kernel: in the code / the other form | in the code µs | "
                  "other µs | the code's saving per call, % of one MLP batch |")
            print("|---|---|---|---|")
            for name, ours, other, _ in cases(dtype):
                t_ours, t_other = best_us(ours), best_us(other)
                print(f"| {name} | {t_ours:.2f} | {t_other:.2f} | "
                      f"{(t_other - t_ours) / batch:+.1%} |")


if __name__ == "__main__":
    main()
