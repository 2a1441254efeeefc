"""Benchmark: ElmanRegressor against PyTorch's nn.RNN + nn.Linear on the CPU.

Same data, same settings, one process: sequence-to-one regression, Adam with
learning rate 1e-3, mini-batches of 64, a fixed number of epochs, no penalty and
no gradient clipping, with the same number of threads for NumPy's BLAS and for
PyTorch. Prints, per configuration, the training time, the final training loss
(½·MSE, the loss both minimise) and R², and the time ratio ours / PyTorch.

Run::

    python benchmarks/bench_elman.py                 # the default table
    python benchmarks/bench_elman.py --threads 1 --repeat 3

Needs ``torch`` (the ``bench`` extra) and ``threadpoolctl``.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from threadpoolctl import threadpool_limits

from sknn_math._elman import ElmanRegressor


def make_data(n_sequences, n_steps, seed=0):
    """Noisy sines of random frequency and phase; the target is the next value."""
    rng = np.random.RandomState(seed)
    omega = rng.uniform(0.1, 0.5, (n_sequences, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_sequences, 1))
    t = np.arange(n_steps + 1)
    series = np.sin(omega * t + phase) + 0.1 * rng.standard_normal((n_sequences,
                                                                     n_steps + 1))
    return series[:, :n_steps], series[:, n_steps]


def fit_flops(n_sequences, n_steps, n_features, hidden, epochs):
    """Floating-point operations of the fit's matrix products, sequence to one.

    Per sequence: the input projection and its weight gradient (2 T d H), the
    recurrent product, its back-propagation and the recurrent weight gradient
    (3 (T − 1) H²), and the output layer's three (3 H) multiply-adds; two
    operations each.
    """
    T, d, H = n_steps, n_features, hidden
    per_sequence = 2 * T * d * H + 3 * (T - 1) * H * H + 3 * H
    return 2 * per_sequence * n_sequences * epochs


def gemm_rate(dtype, m=2000, k=512, n=512, repeat=5):
    """NumPy's rate on a large square-ish product, BLAS's own threads."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((m, k)).astype(dtype)
    B = rng.standard_normal((k, n)).astype(dtype)
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        A @ B
        best = min(best, time.perf_counter() - start)
    return 2 * m * k * n / best / 1e9


def run_ours(X, y, hidden, epochs, batch_size, lr, seed):
    model = ElmanRegressor(
        hidden_size=hidden, solver="adam", learning_rate_init=lr,
        batch_size=batch_size, max_iter=epochs, alpha=0.0, max_grad_norm=None,
        tol=0.0, n_iter_no_change=epochs + 1, random_state=seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    elapsed = time.perf_counter() - start
    pred = model.predict(X)
    return elapsed, 0.5 * np.mean((pred - y) ** 2), r2_score(y, pred)


def run_torch(X, y, hidden, epochs, batch_size, lr, seed):
    import torch

    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    torch.manual_seed(seed)
    rnn = torch.nn.RNN(1, hidden, nonlinearity="tanh", batch_first=True).to(dtype)
    head = torch.nn.Linear(hidden, 1).to(dtype)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    X_t = torch.from_numpy(X).reshape(X.shape[0], X.shape[1], 1)
    y_t = torch.from_numpy(y).reshape(-1, 1)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(X_t.shape[0], generator=generator)
        X_e, y_e = X_t[order], y_t[order]
        for i in range(0, X_t.shape[0], batch_size):
            xb, yb = X_e[i:i + batch_size], y_e[i:i + batch_size]
            optimizer.zero_grad()
            out, _ = rnn(xb)
            loss = 0.5 * torch.mean((head(out[:, -1]) - yb) ** 2)
            loss.backward()
            optimizer.step()
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        out, _ = rnn(X_t)
        pred = head(out[:, -1]).numpy().ravel()
    return elapsed, 0.5 * np.mean((pred - y) ** 2), r2_score(y, pred)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sequences", type=int, default=5000)
    parser.add_argument("--n-steps", type=int, default=50)
    parser.add_argument("--hidden", type=int, nargs="+", default=[32, 128, 256])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=3,
                        help="report the fastest of this many runs of each")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    X64, y64 = make_data(args.n_sequences, args.n_steps)
    print(f"{args.n_sequences} sequences x {args.n_steps} steps, 1 feature, adam "
          f"lr={args.lr}, batch {args.batch_size}, {args.epochs} epochs, "
          f"{args.threads} thread(s); torch {torch.__version__}, numpy "
          f"{np.__version__}; best of {args.repeat}")
    print()
    print("| hidden | dtype | ours (s) | PyTorch (s) | ours / PyTorch "
          "| ours loss | PyTorch loss | ours R² | PyTorch R² "
          "| ours GFLOP/s | PyTorch GFLOP/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with threadpool_limits(limits=args.threads):
        for hidden in args.hidden:
            for dtype in (np.float64, np.float32):
                X, y = X64.astype(dtype), y64.astype(dtype)
                settings = (X, y, hidden, args.epochs, args.batch_size, args.lr, 0)
                ours = min((run_ours(*settings) for _ in range(args.repeat)),
                           key=lambda r: r[0])
                theirs = min((run_torch(*settings) for _ in range(args.repeat)),
                             key=lambda r: r[0])
                flops = fit_flops(args.n_sequences, args.n_steps, 1, hidden,
                                  args.epochs) / 1e9
                print(f"| {hidden} | {np.dtype(dtype).name} | {ours[0]:.3f} | "
                      f"{theirs[0]:.3f} | {ours[0] / theirs[0]:.2f} | "
                      f"{ours[1]:.4f} | {theirs[1]:.4f} | {ours[2]:.3f} | "
                      f"{theirs[2]:.3f} | {flops / ours[0]:.1f} | "
                      f"{flops / theirs[0]:.1f} |", flush=True)
        print()
        print("NumPy GEMM (2000 × 512)·(512 × 512), same threads: "
              + ", ".join(f"{np.dtype(dtype).name} {gemm_rate(dtype):.1f} GFLOP/s"
                          for dtype in (np.float64, np.float32)))


if __name__ == "__main__":
    main()
