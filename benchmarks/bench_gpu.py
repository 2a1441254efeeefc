"""Benchmark: the estimators on PyTorch tensors (array API dispatch) against plain
hand-written PyTorch code, on whatever device torch finds, in one process.

Cases (``--scale`` shrinks the row counts, for a CPU run):

- SOM 1,000,000 × 32 on a 40×40 map, 10 batch epochs; SOM 5,000,000 × 64 on
  50×50, 10 epochs. Ours on the device, a hand-written batch SOM (one product per
  chunk, ``index_add_``, H @ [S | n]), and ours on NumPy on the CPU;
- MLP 1,000,000 × 100, hidden (512,), Adam, batch 2000, one epoch, against
  ``nn.Linear`` → ``sigmoid`` → ``nn.Linear`` with ``torch.optim.Adam``;
- Elman 200,000 sequences × 100 steps, hidden 256, one epoch, against
  ``nn.RNN`` + ``nn.Linear`` with ``torch.optim.Adam``.

Quality: the SOM's quantization error (all computed by the same code), the
network's training loss after the epoch. Ratio: our time / the reference's.

Usage::

    python benchmarks/bench_gpu.py                  # full sizes, torch's device
    python benchmarks/bench_gpu.py --scale 0.02     # 2 % of the rows (CPU)
    python benchmarks/bench_gpu.py --cases som      # som, mlp, elman
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402

from sknn_math import ElmanRegressor, SelfOrganizingMap, SigmoidMLPClassifier  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def synchronize():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def timed(fn):
    synchronize()
    tic = time.perf_counter()
    out = fn()
    synchronize()
    return time.perf_counter() - tic, out


# ------------------------------------------------------------------------- SOM


def som_reference(X, W0, grid, epochs, sigma_start, sigma_end, chunk=65536):
    """A plain batch SOM in PyTorch: w_k = Σ_j h(j,k) S_j / Σ_j h(j,k) n_j."""
    W = W0.clone()
    d_grid = torch.cdist(grid, grid) ** 2
    ones = torch.ones(chunk, 1, dtype=X.dtype, device=X.device)
    for epoch in range(epochs):
        frac = epoch / max(epochs - 1, 1)
        sigma = (1 - frac) * sigma_start + frac * sigma_end
        H = torch.exp(-d_grid / (2 * sigma * sigma))
        S = torch.zeros(W.shape[0], W.shape[1] + 1, dtype=torch.float64,
                        device=X.device)
        half_sq = 0.5 * (W * W).sum(1)
        for start in range(0, X.shape[0], chunk):
            x = X[start:start + chunk]
            bmu = torch.argmax(x @ W.T - half_sq, dim=1)
            part = torch.zeros(W.shape[0], W.shape[1] + 1, dtype=X.dtype,
                               device=X.device)
            part.index_add_(0, bmu, torch.cat([x, ones[:x.shape[0]]], 1))
            S += part.double()
        num_den = H.double() @ S
        den = num_den[:, -1:]
        W = torch.where(den > 0, num_den[:, :-1] / den.clamp_min(1e-300),
                        W.double()).to(X.dtype)
    return W


def quantization_error(X_np, W_np, n_rows, n_cols):
    som = SelfOrganizingMap(n_rows, n_cols, init=W_np, max_iter=1)
    som.fit(X_np[: n_rows * n_cols])
    som.codebook_ = np.ascontiguousarray(W_np, dtype=X_np.dtype)
    return som.quantization_error(X_np)


def bench_som(n_samples, n_features, side, epochs, rows):
    rng = np.random.default_rng(0)
    X_np = rng.standard_normal((n_samples, n_features), dtype=np.float32)
    som_np = SelfOrganizingMap(side, side, init="random", max_iter=epochs,
                               sigma_start=side / 2, sigma_end=1.0, random_state=0)
    # the same initial codebook for every contestant
    W0 = X_np[rng.choice(n_samples, side * side, replace=False)]
    som_np.set_params(init=W0)
    X = torch.asarray(X_np, device=DEVICE)
    som_dev = SelfOrganizingMap(side, side, init=W0, max_iter=epochs,
                                sigma_start=side / 2, sigma_end=1.0, random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        timed(lambda: som_dev.fit(X[:20000]))  # warm-up
        t_ours, _ = timed(lambda: som_dev.fit(X))
    grid = torch.asarray(
        np.asarray(som_dev.unit_coordinates_.cpu() if torch.is_tensor(
            som_dev.unit_coordinates_) else som_dev.unit_coordinates_),
        dtype=torch.float32, device=DEVICE)
    W0_t = torch.asarray(W0, device=DEVICE)
    som_reference(X[:20000], W0_t, grid, 1, side / 2, 1.0)  # warm-up
    t_ref, W_ref = timed(lambda: som_reference(X, W0_t, grid, epochs, side / 2, 1.0))
    t_cpu, _ = timed(lambda: som_np.fit(X_np))
    name = f"SOM {n_samples:,}×{n_features}, {side}×{side}, {epochs} epochs"
    W_ours = som_dev.to_numpy().codebook_
    rows.append((name, t_ours, t_ref,
                 quantization_error(X_np, W_ours, side, side),
                 quantization_error(X_np, W_ref.cpu().numpy(), side, side),
                 f"CPU NumPy {t_cpu:.2f} s = {t_cpu / t_ours:.1f}× ours"))


# ------------------------------------------------------------------ networks


def adam_epoch(model, loss_fn, X, y, batch, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-8)
    generator = torch.Generator(device="cpu").manual_seed(0)
    order = torch.randperm(X.shape[0], generator=generator).to(X.device)
    total = 0.0
    for start in range(0, X.shape[0], batch):
        rows = order[start:start + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(X[rows]), y[rows])
        loss.backward()
        optimizer.step()
        total += loss.detach() * rows.shape[0]
    return float(total) / X.shape[0]


def bench_mlp(n_samples, rows):
    rng = np.random.default_rng(0)
    X_np = rng.standard_normal((n_samples, 100), dtype=np.float32)
    y_np = (X_np[:, :10].sum(1) > 0).astype(np.int64) + (X_np[:, 10] > 1)
    X = torch.asarray(X_np, device=DEVICE)
    y = torch.asarray(y_np, device=DEVICE)
    ours = SigmoidMLPClassifier((512,), solver="adam", batch_size=2000, max_iter=1,
                                alpha=0.0, learning_rate_init=1e-3, random_state=0)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(100, 512), torch.nn.Sigmoid(),
                                torch.nn.Linear(512, 3)).to(DEVICE)
    with warnings.catch_warnings(), sklearn.config_context(array_api_dispatch=True):
        warnings.simplefilter("ignore")
        timed(lambda: ours.fit(X[:4000], y[:4000]))  # warm-up
        t_ours, _ = timed(lambda: ours.fit(X, y))
    warm_up = torch.nn.Sequential(torch.nn.Linear(100, 512), torch.nn.Sigmoid(),
                                  torch.nn.Linear(512, 3)).to(DEVICE)
    adam_epoch(warm_up, torch.nn.functional.cross_entropy, X[:4000], y[:4000], 2000,
               1e-3)
    t_ref, loss_ref = timed(lambda: adam_epoch(
        model, torch.nn.functional.cross_entropy, X, y, 2000, 1e-3))
    rows.append((f"MLP {n_samples:,}×100, hidden 512, batch 2000, 1 epoch",
                 t_ours, t_ref, ours.loss_, loss_ref, "training loss"))


class _ReferenceElman(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.rnn = torch.nn.RNN(1, hidden, nonlinearity="tanh", batch_first=True)
        self.out = torch.nn.Linear(hidden, 1)

    def forward(self, X):
        states, _ = self.rnn(X[:, :, None])
        return self.out(states[:, -1])


def bench_elman(n_samples, rows, steps=100, hidden=256):
    rng = np.random.default_rng(0)
    t = np.arange(n_samples + steps + 1)
    series = (np.sin(2 * np.pi * t / 37) + 0.1 * rng.standard_normal(t.size))
    windows = np.lib.stride_tricks.sliding_window_view(series, steps + 1)[:n_samples]
    X_np = np.ascontiguousarray(windows[:, :steps], dtype=np.float32)
    y_np = np.ascontiguousarray(windows[:, steps], dtype=np.float32)
    X = torch.asarray(X_np, device=DEVICE)
    y = torch.asarray(y_np, device=DEVICE)
    ours = ElmanRegressor(hidden, solver="adam", batch_size=200, max_iter=1,
                          alpha=0.0, max_grad_norm=None, random_state=0)
    torch.manual_seed(0)
    model = _ReferenceElman(hidden).to(DEVICE)
    with warnings.catch_warnings(), sklearn.config_context(array_api_dispatch=True):
        warnings.simplefilter("ignore")
        timed(lambda: ours.fit(X[:1000], y[:1000]))  # warm-up
        t_ours, _ = timed(lambda: ours.fit(X, y))

    def mse(pred, target):
        return 0.5 * torch.nn.functional.mse_loss(pred[:, 0], target)

    adam_epoch(_ReferenceElman(hidden).to(DEVICE), mse, X[:1000], y[:1000], 200,
               0.003)  # warm-up
    t_ref, loss_ref = timed(lambda: adam_epoch(model, mse, X, y, 200, 0.003))
    rows.append((f"Elman {n_samples:,} × {steps} steps, hidden {hidden}, 1 epoch",
                 t_ours, t_ref, ours.loss_, loss_ref, "training loss"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the rows of every case")
    parser.add_argument("--cases", nargs="*", default=["som", "mlp", "elman"])
    args = parser.parse_args()
    name = (torch.cuda.get_device_name() if DEVICE == "cuda"
            else f"CPU ({torch.get_num_threads()} torch threads)")
    print(f"device: {name}; torch {torch.__version__}; scale {args.scale}")
    rows = []

    def n(count):
        return max(int(count * args.scale), 2000)

    if "som" in args.cases:
        bench_som(n(1_000_000), 32, 40, 10, rows)
        bench_som(n(5_000_000), 64, 50, 10, rows)
    if "mlp" in args.cases:
        bench_mlp(n(1_000_000), rows)
    if "elman" in args.cases:
        bench_elman(n(200_000), rows)
    print()
    print("| case | ours (s) | PyTorch (s) | ratio | quality ours | quality PyTorch "
          "| note |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for case, t_ours, t_ref, q_ours, q_ref, note in rows:
        print(f"| {case} | {t_ours:.3f} | {t_ref:.3f} | {t_ours / t_ref:.2f} | "
              f"{q_ours:.4f} | {q_ref:.4f} | {note} |")


if __name__ == "__main__":
    main()
