"""How the costs grow: fit time of every estimator and its peers, one size at a time.

Each sweep lets one size grow while the others stay fixed, and times a fit of a
fixed number of epochs (no early stopping, ``tol=0``) for sknn_math and its
peers on the same data in one process:

- ``SigmoidMLPClassifier`` and scikit-learn's ``MLPClassifier(activation=
  "logistic")``, adam, batches of 200: samples, features, hidden units;
- ``ElmanRegressor`` and PyTorch's ``nn.RNN`` + ``nn.Linear`` (the loop of
  ``bench_elman.py``), adam, batches of 64: sequences, sequence length, hidden
  units, features per step;
- ``SelfOrganizingMap`` (batch rule, float32) and xpysom (NumPy backend) and
  MiniSom's ``train_batch_offline`` (its batch rule, at the smaller sizes
  only): samples, features, map units.

It prints a table per sweep, the slope of every curve on log–log axes (least
squares over all its points, and over its last three: the growth at the large
end, where fixed costs no longer hide it), and draws the curves into one PNG
per estimator. The cost of a fit should be linear in the number of samples and
in the sequence length (slope 1); a curve whose slope at the large end lies
outside 0.85–1.15 is named, with the likely reason.

Usage::

    python benchmarks/bench_scaling.py --quick     # a smoke run, about a minute
    python benchmarks/bench_scaling.py             # the full sweeps (10⁴ … 10⁶)
    python benchmarks/bench_scaling.py --only som --out /tmp/scaling
"""

import argparse
import contextlib
import io
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

# The slope of a linear cost, within what timing noise and caches allow.
LINEAR = (0.85, 1.15)

# Epochs per fit: a SOM fit ends with one more pass over the data (labels and
# errors of the final map), so it gets a few epochs for the training to count.
EPOCHS = {"quick": {"MLP": 1, "Elman": 1, "SOM": 3},
          "full": {"MLP": 2, "Elman": 2, "SOM": 5}}


# --------------------------------------------------------------------------------
# Data.
# --------------------------------------------------------------------------------


def classification_data(n, d, seed=0):
    """Gaussian features, 4 classes from a random linear map of the first ten."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.argmax(X[:, : min(d, 10)] @ rng.standard_normal((min(d, 10), 4)), axis=1)
    return X, y


def sequence_data(n, steps, features, seed=0):
    """Noisy sines in every feature; the target is the next value of the first."""
    rng = np.random.default_rng(seed)
    omega = rng.uniform(0.1, 0.5, (n, 1, features))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, features))
    t = np.arange(steps + 1)[None, :, None]
    series = np.sin(omega * t + phase) + 0.1 * rng.standard_normal(
        (n, steps + 1, features))
    # C-contiguous, as data read from a file are. On strided views of the
    # series the networks' batch gather (np.take) copies the whole array for
    # every batch, and the fit time grows with the square of the sequences.
    X = np.ascontiguousarray(series[:, :steps].reshape(n, steps * features))
    return X, np.ascontiguousarray(series[:, steps, 0])


def blob_data(n, d, seed=0):
    """Float32 blobs around 20 centres, written straight into float32."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(20, d)).astype(np.float32)
    X = rng.standard_normal((n, d), dtype=np.float32)
    X += centres[rng.integers(0, len(centres), size=n)]
    return X


# --------------------------------------------------------------------------------
# Fits: each takes the sizes of one point and returns a function that fits once.
# --------------------------------------------------------------------------------


def mlp_fits(epochs):
    from sklearn.neural_network import MLPClassifier

    from sknn_math import SigmoidMLPClassifier

    def make(cls):
        def prepare(sizes):
            X, y = classification_data(sizes["samples"], sizes["features"])
            model = cls(hidden_layer_sizes=(sizes["hidden"],), activation="logistic",
                        solver="adam", batch_size=200, max_iter=epochs, tol=0.0,
                        n_iter_no_change=epochs + 1, random_state=0)
            return lambda: model.fit(X, y)

        return prepare

    return {"sknn_math": make(SigmoidMLPClassifier),
            "scikit-learn": make(MLPClassifier)}


def elman_fits(epochs):
    from sknn_math import ElmanRegressor

    def ours(sizes):
        X, y = sequence_data(sizes["sequences"], sizes["steps"], sizes["features"])
        model = ElmanRegressor(
            hidden_size=sizes["hidden"], n_features_per_step=sizes["features"],
            solver="adam", learning_rate_init=1e-3, batch_size=64, max_iter=epochs,
            alpha=0.0, max_grad_norm=None, tol=0.0, n_iter_no_change=epochs + 1,
            random_state=0)
        return lambda: model.fit(X, y)

    def torch_rnn(sizes):
        import torch

        X, y = sequence_data(sizes["sequences"], sizes["steps"], sizes["features"])
        X_t = torch.from_numpy(X).reshape(len(X), sizes["steps"], sizes["features"])
        y_t = torch.from_numpy(y).reshape(-1, 1)

        def fit():
            torch.manual_seed(0)
            rnn = torch.nn.RNN(sizes["features"], sizes["hidden"], nonlinearity="tanh",
                               batch_first=True).double()
            head = torch.nn.Linear(sizes["hidden"], 1).double()
            optimizer = torch.optim.Adam(
                list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
            generator = torch.Generator().manual_seed(0)
            for _ in range(epochs):
                order = torch.randperm(len(X_t), generator=generator)
                X_e, y_e = X_t[order], y_t[order]
                for i in range(0, len(X_t), 64):
                    optimizer.zero_grad()
                    out, _ = rnn(X_e[i:i + 64])
                    loss = 0.5 * torch.mean((head(out[:, -1]) - y_e[i:i + 64]) ** 2)
                    loss.backward()
                    optimizer.step()

        return fit

    return {"sknn_math": ours, "PyTorch nn.RNN": torch_rnn}


def som_fits(epochs):
    from sknn_math import SelfOrganizingMap

    def side(units):
        return int(round(np.sqrt(units)))

    def schedule(sizes):
        s = side(sizes["units"])
        return s, max(s / 2, 1.0)

    def ours(sizes):
        X = blob_data(sizes["samples"], sizes["features"])
        s, sigma = schedule(sizes)
        model = SelfOrganizingMap(s, s, sigma_start=sigma, sigma_end=1.0,
                                  max_iter=epochs, init="random", random_state=0)
        return lambda: model.fit(X)

    def xpysom(sizes):
        with contextlib.redirect_stdout(io.StringIO()):  # "CuPy could not be imported"
            from xpysom import XPySom
        X = blob_data(sizes["samples"], sizes["features"])
        s, sigma = schedule(sizes)

        def fit():
            som = XPySom(s, s, X.shape[1], sigma=sigma, sigmaN=1.0,
                         decay_function="linear", neighborhood_function="gaussian",
                         std_coeff=1.0, xp=np, random_seed=0)
            with warnings.catch_warnings():  # 0/0 of its units without mass
                warnings.simplefilter("ignore", RuntimeWarning)
                som.train(X, epochs)

        return fit

    def minisom(sizes):
        from minisom import MiniSom

        X = blob_data(sizes["samples"], sizes["features"])
        s, sigma = schedule(sizes)

        def fit():
            som = MiniSom(s, s, X.shape[1], sigma=sigma, learning_rate=1.0,
                          neighborhood_function="gaussian", random_seed=0,
                          decay_function=lambda lr, t, T: 1.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                som.train_batch_offline(X, epochs)

        return fit

    return {"sknn_math": ours, "xpysom": xpysom, "MiniSom batch": minisom}


# --------------------------------------------------------------------------------
# Sweeps.
# --------------------------------------------------------------------------------


@dataclass
class Sweep:
    """One size growing, the others fixed. ``limits`` caps a slow peer's size."""

    estimator: str
    axis: str
    label: str
    values: list
    fixed: dict
    linear: bool = False
    limits: dict = field(default_factory=dict)

    def sizes(self, value):
        return {**self.fixed, self.axis: value}


def sweeps(quick):
    """The sweeps of the full run, or the small ones of ``--quick``."""
    if quick:
        return [
            Sweep("MLP", "samples", "samples", [10_000, 30_000, 100_000],
                  {"features": 50, "hidden": 100}, linear=True),
            Sweep("MLP", "features", "features", [10, 40, 160],
                  {"samples": 20_000, "hidden": 100}),
            Sweep("MLP", "hidden", "hidden units", [16, 64, 256],
                  {"samples": 20_000, "features": 50}),
            Sweep("Elman", "sequences", "sequences", [1000, 3000, 10_000],
                  {"steps": 20, "hidden": 32, "features": 1}, linear=True),
            Sweep("Elman", "steps", "sequence length", [20, 60, 200],
                  {"sequences": 1000, "hidden": 32, "features": 1}, linear=True),
            Sweep("Elman", "hidden", "hidden units", [16, 64, 256],
                  {"sequences": 1000, "steps": 20, "features": 1}),
            Sweep("Elman", "features", "features per step", [1, 8, 64],
                  {"sequences": 1000, "steps": 20, "hidden": 32}),
            Sweep("SOM", "samples", "samples", [30_000, 100_000, 300_000],
                  {"features": 16, "units": 400}, linear=True,
                  limits={"MiniSom batch": 30_000}),
            Sweep("SOM", "features", "features", [4, 16, 64],
                  {"samples": 30_000, "units": 400},
                  limits={"MiniSom batch": 4}),
            Sweep("SOM", "units", "map units", [100, 400, 1600],
                  {"samples": 30_000, "features": 16},
                  limits={"MiniSom batch": 100}),
        ]
    return [
        Sweep("MLP", "samples", "samples",
              [10_000, 30_000, 100_000, 300_000, 1_000_000],
              {"features": 50, "hidden": 100}, linear=True),
        Sweep("MLP", "features", "features", [10, 30, 100, 300, 1000],
              {"samples": 20_000, "hidden": 100}),
        Sweep("MLP", "hidden", "hidden units", [16, 64, 256, 1024],
              {"samples": 20_000, "features": 50}),
        Sweep("Elman", "sequences", "sequences", [1000, 3000, 10_000, 30_000, 100_000],
              {"steps": 20, "hidden": 32, "features": 1}, linear=True),
        Sweep("Elman", "steps", "sequence length", [10, 30, 100, 300],
              {"sequences": 2000, "hidden": 32, "features": 1}, linear=True),
        Sweep("Elman", "hidden", "hidden units", [16, 32, 64, 128, 256, 512],
              {"sequences": 2000, "steps": 20, "features": 1}),
        Sweep("Elman", "features", "features per step", [1, 4, 16, 64, 256],
              {"sequences": 2000, "steps": 20, "hidden": 32}),
        Sweep("SOM", "samples", "samples",
              [10_000, 30_000, 100_000, 300_000, 1_000_000],
              {"features": 16, "units": 400}, linear=True,
              limits={"MiniSom batch": 30_000}),
        Sweep("SOM", "features", "features", [4, 16, 64, 256],
              {"samples": 20_000, "units": 400},
              limits={"MiniSom batch": 16}),
        Sweep("SOM", "units", "map units", [100, 400, 1600, 6400],
              {"samples": 20_000, "features": 16},
              limits={"MiniSom batch": 400}),
    ]


def best_time(fit, repeat, budget=0.3, most=5):
    """Best of ``repeat`` fits, or of as many (up to ``most``) as fit into
    ``budget`` seconds: short fits are the noisiest."""
    times = []
    while len(times) < repeat or (sum(times) < budget and len(times) < most):
        tic = time.perf_counter()
        fit()
        times.append(time.perf_counter() - tic)
    return min(times)


def run_sweep(sweep, fits, repeat):
    """``{contender: [(value, seconds), ...]}``, the contenders taking turns."""
    curves = {name: [] for name in fits}
    for name, prepare in fits.items():  # warm-up: imports, thread pools, caches
        if sweep.values[0] <= sweep.limits.get(name, np.inf):
            prepare(sweep.sizes(sweep.values[0]))()
    for value in sweep.values:
        for name, prepare in fits.items():
            if value > sweep.limits.get(name, np.inf):
                continue
            fit = prepare(sweep.sizes(value))
            curves[name].append((value, best_time(fit, repeat)))
    return {name: points for name, points in curves.items() if points}


# --------------------------------------------------------------------------------
# Slopes and the report.
# --------------------------------------------------------------------------------


def slope(points):
    """Least-squares slope of log(time) against log(size); NaN below 2 points."""
    if len(points) < 2:
        return float("nan")
    x, t = np.log(np.array(points, dtype=float)).T
    return float(np.polyfit(x, t, 1)[0])


def verdict(sweep, points):
    """Why a curve that should be linear is not, or None."""
    if not sweep.linear or len(points) < 3:
        return None
    low, high = LINEAR
    overall, end = slope(points), slope(points[-3:])
    if end > high:
        return (f"grows faster than linear at the large end (slope {end:.2f}): "
                "the working set outgrows a cache level, or memory is short")
    if end < low:
        return (f"grows slower than linear (slope {end:.2f}): fixed costs per fit "
                "(set-up, per-epoch overhead, thread start) still dominate")
    if overall < low:
        return (f"linear at the large end (slope {end:.2f}), but the small sizes "
                f"pay a fixed cost per fit (slope {overall:.2f} overall)")
    return None


def report(sweep, curves):
    names = list(curves)
    print(f"\n### {sweep.estimator}: {sweep.label} "
          f"({', '.join(f'{k} {v:,}' for k, v in sweep.fixed.items())})\n")
    print(f"| {sweep.label} | " + " | ".join(f"{n} (s)" for n in names) + " |")
    print("| ---: |" + " ---: |" * len(names))
    for value in sweep.values:
        cells = []
        for name in names:
            seconds = dict(curves[name]).get(value)
            cells.append("—" if seconds is None else f"{seconds:.3f}")
        print(f"| {value:,} | " + " | ".join(cells) + " |")
    print()
    lines = []
    for name, points in curves.items():
        if len(points) < 2:
            print(f"- {name}: one point only (a slow peer, capped in size)")
            continue
        line = (f"- {name}: slope {slope(points):.2f} overall, "
                f"{slope(points[-3:]):.2f} over the last three points")
        why = verdict(sweep, points)
        if why is not None:
            line += f" — NOT LINEAR: {why}"
            lines.append((sweep, name, why))
        print(line)
    return lines


def plot(estimator, results, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8),
                             squeeze=False)
    for ax, (sweep, curves) in zip(axes[0], results, strict=True):
        for name, points in curves.items():
            x, t = np.array(points, dtype=float).T
            tag = f"{slope(points):.2f}" if len(points) > 1 else "one point"
            ax.loglog(x, t, marker="o", label=f"{name} ({tag})")
        if sweep.linear:
            # slope-1 guide through the end of our curve
            x, t = np.array(curves["sknn_math"], dtype=float).T
            ax.loglog(x, t[-1] * x / x[-1], "k:", lw=1, label="slope 1")
        fixed = ", ".join(f"{k} {v:,}" for k, v in sweep.fixed.items())
        ax.set_title(f"{sweep.label}\n({fixed})", fontsize=9)
        ax.set_xlabel(sweep.label)
        ax.set_xticks(sweep.values)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("fit time (s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, title="slope", title_fontsize=8)
    fig.suptitle(f"{estimator}: fit time as one size grows (log–log)")
    fig.tight_layout()
    path = out / f"{estimator.lower()}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, one run each: a smoke run of about a minute")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "scaling",
                        help="directory for the PNG plots (default: %(default)s)")
    parser.add_argument("--only", nargs="+", choices=["mlp", "elman", "som"],
                        help="estimators to sweep (default: all)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="best of at least this many fits per point "
                        "(default: %(default)s; the first fit at a new size pays "
                        "for its first touch of the memory)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per fit for every estimator (default: "
                        f"{EPOCHS['quick']} quick, {EPOCHS['full']} full)")
    args = parser.parse_args()
    repeat = args.repeat
    mode = "quick" if args.quick else "full"
    epochs = {name: args.epochs or n for name, n in EPOCHS[mode].items()}
    warnings.simplefilter("ignore", ConvergenceWarning)

    import torch

    torch.set_num_threads(os.cpu_count())
    print(f"numpy {np.__version__}, torch {torch.__version__}, {os.cpu_count()} CPU "
          f"cores, load average {os.getloadavg()[0]:.1f} at start; epochs per fit "
          f"{epochs}, best of {repeat} or more fits per point")
    makers = {"MLP": mlp_fits, "Elman": elman_fits, "SOM": som_fits}
    chosen = [e for e in makers if args.only is None or e.lower() in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    not_linear = []
    for estimator in chosen:
        fits = makers[estimator](epochs[estimator])
        results = []
        for sweep in sweeps(args.quick):
            if sweep.estimator != estimator:
                continue
            curves = run_sweep(sweep, fits, repeat)
            not_linear += report(sweep, curves)
            results.append((sweep, curves))
        print(f"\nplot: {plot(estimator, results, args.out)}", flush=True)
    print("\n## Linear in samples and sequence length?\n")
    if args.quick:
        print("(--quick: sizes too small for the slopes to say much; the full "
              "sweeps decide.)\n")
    if not not_linear:
        print("Every curve along samples and sequence length is linear at its large "
              f"end (slope within {LINEAR[0]}–{LINEAR[1]}).")
    for sweep, name, why in not_linear:
        print(f"- {sweep.estimator} / {sweep.label} / {name}: {why}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
