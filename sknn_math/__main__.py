"""A tour of sknn_math: ``python -m sknn_math [--out [DIR]]``.

Trains each network on a small problem and prints what it learned; with
``--out`` and matplotlib installed, also writes the figures to a folder.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import __version__
from ._elman import ElmanRegressor, make_windows
from ._mlp import SigmoidMLPClassifier
from ._som import SelfOrganizingMap


def _section(title):
    print(f"\n== {title} ==")


def tour_single_layer():
    _section("Single-layer sigmoid network (hidden_layer_sizes=())")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + 2 * X[:, 1] > 0).astype(int)
    clf = SigmoidMLPClassifier((), learning_rate_init=0.05, random_state=0).fit(X, y)
    W, b = clf.coefs_[0].ravel(), clf.intercepts_[0][0]
    print(f"separable problem x0 + 2·x1 > 0: accuracy {clf.score(X, y):.3f}")
    print(f"learned boundary {W[0]:+.2f}·x0 {W[1]:+.2f}·x1 {b:+.2f} = 0 "
          f"(ratio of weights {W[1] / W[0]:.2f}, true 2.00)")
    X_xor = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y_xor = np.array([0, 1, 1, 0])
    xor = SigmoidMLPClassifier((), learning_rate_init=0.1, max_iter=500,
                               random_state=0).fit(X_xor, y_xor)
    p = xor.predict_proba(X_xor)[:, 1]
    print(f"XOR: accuracy {xor.score(X_xor, y_xor):.2f}, p(1) = {np.round(p, 2)}: "
          "no straight line separates it, so it settles near p = 1/2 everywhere")
    return {"single_layer_accuracy": clf.score(X, y), "single_layer": (clf, X, y)}


def tour_xor():
    _section("XOR with a 2-3 sigmoid network (one logistic output), "
             "trained by backpropagation")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    clf = SigmoidMLPClassifier((3,), solver="sgd", learning_rate_init=0.5,
                               batch_size=4, max_iter=3000, tol=0, random_state=1)
    start = time.perf_counter()
    clf.fit(X, y)
    elapsed = time.perf_counter() - start
    print(f"trained {clf.n_iter_} epochs in {elapsed:.2f}s; loss "
          f"{clf.loss_curve_[0]:.3f} -> {clf.loss_:.4f}")
    for x, p in zip(X, clf.predict_proba(X)[:, 1], strict=True):
        print(f"  XOR({int(x[0])}, {int(x[1])}) = {int(p > 0.5)}   "
              f"(p = {p:.3f})")
    return {"xor_accuracy": clf.score(X, y), "xor": (clf, X, y)}


def tour_elman():
    _section("Elman recurrent network: forecasting a noisy series")
    rng = np.random.RandomState(0)
    t = np.arange(800)
    signal = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 23)
    series = signal + 0.1 * rng.normal(size=t.size)
    window, n_train = 25, 600
    X, y = make_windows(series, window=window)
    rnn = ElmanRegressor(hidden_size=16, solver="lbfgs", max_iter=150,
                         random_state=0)
    start = time.perf_counter()
    rnn.fit(X[:n_train], y[:n_train])
    elapsed = time.perf_counter() - start
    r2 = rnn.score(X[n_train:], y[n_train:])
    first = n_train + window  # the first step never seen in training
    forecast = rnn.forecast(series[first - window:first][np.newaxis], 100)[0]
    rmse = np.sqrt(np.mean((forecast - signal[first:first + 100]) ** 2))
    print(f"16 tanh units, BPTT + L-BFGS, {rnn.n_iter_} iterations in {elapsed:.2f}s")
    print(f"one step ahead on unseen later data: R² = {r2:.3f}")
    print(f"100 steps ahead, recursively: RMSE {rmse:.3f} against the clean "
          "signal (noise 0.1)")
    return {"elman_r2": r2, "elman": (rnn, series, signal, first, forecast)}


def tour_som():
    _section("Self-organizing map: colours and handwritten digits")
    from sklearn.datasets import load_digits

    rng = np.random.RandomState(0)
    colors = rng.uniform(0, 1, size=(1000, 3))
    start = time.perf_counter()
    som = SelfOrganizingMap(20, 30, topology="hexagonal", max_iter=20,
                            random_state=0).fit(colors)
    print(f"1000 random RGB colours on a 20x30 hexagonal map in "
          f"{time.perf_counter() - start:.2f}s: quantization error "
          f"{som.quantization_error_:.3f}, topographic error "
          f"{som.topographic_error_:.3f}")
    X, y = load_digits(return_X_y=True)
    start = time.perf_counter()
    digits = SelfOrganizingMap(14, 18, topology="hexagonal", max_iter=15,
                               n_clusters=10, random_state=0).fit(X)
    purity = np.mean([np.bincount(y[digits.labels_ == k]).max() / np.sum(
        digits.labels_ == k) for k in range(10)])
    print(f"1797 digits (64 pixels) on a 14x18 map in "
          f"{time.perf_counter() - start:.2f}s: quantization error "
          f"{digits.quantization_error_:.2f}, topographic error "
          f"{digits.topographic_error_:.3f}")
    print(f"grouped into 10 clusters without labels; mean share of the most "
          f"common digit per cluster: {purity:.2f}")
    return {"som_colors_qe": som.quantization_error_,
            "som_digits_te": digits.topographic_error_,
            "som_colors": som, "som_digits": (digits, X, y)}


def write_figures(results, out):
    """Draw the tour's figures into the folder ``out``; return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.inspection import DecisionBoundaryDisplay

    from ._plotting import LossCurveDisplay, SOMDisplay

    os.makedirs(out, exist_ok=True)
    written = []

    def save(fig, name):
        path = os.path.join(out, name)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    for key, title in [("single_layer", "single-layer net: a line"),
                       ("xor", "XOR, 2-3-1 network")]:
        clf, X, y = results[key]
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4),
                                       constrained_layout=True)
        DecisionBoundaryDisplay.from_estimator(
            clf, X, response_method="predict_proba", cmap="RdBu_r", alpha=0.6,
            ax=ax1, vmin=0, vmax=1, eps=0.5)
        ax1.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k")
        ax1.set_title(f"{title}: accuracy {clf.score(X, y):.2f}")
        LossCurveDisplay.from_estimator(clf, ax=ax2, log_scale=True)
        save(fig, f"{key}.png")

    rnn, series, signal, first, forecast = results["elman"]
    fig, ax = plt.subplots(figsize=(10, 4), constrained_layout=True)
    steps = np.arange(first - 150, first + forecast.size)
    ax.plot(steps, series[steps], color="0.6", lw=1, label="noisy series")
    ax.plot(steps[150:], forecast, color="tab:red", lw=2,
            label="Elman forecast, recursive")
    ax.axvline(first - 0.5, color="k", lw=0.8)
    ax.set(xlabel="time step", title="100 steps ahead of the training data")
    ax.legend(loc="lower left")
    save(fig, "elman_forecast.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True)
    SOMDisplay.from_estimator(results["som_colors"], "codebook", ax=axes[0],
                              edgecolor="face", title="colour SOM")
    SOMDisplay.from_estimator(results["som_colors"], "umatrix", ax=axes[1])
    save(fig, "som_colors.png")

    digits, X, y = results["som_digits"]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5), constrained_layout=True)
    SOMDisplay.from_estimator(digits, "umatrix", X=X, y=y, ax=axes[0],
                              title="digits: U-matrix and labels")
    SOMDisplay.from_estimator(digits, "clusters", X=X, y=y, ax=axes[1],
                              label_colors=dict.fromkeys(range(10), "k"))
    save(fig, "som_digits.png")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sknn_math",
        description="A tour of sknn_math. Trains each of the four networks on a "
        "small problem and prints what it learned: the single-layer sigmoid net "
        "on a separable problem and on XOR (accuracy), a 2-3 network on XOR, an "
        "Elman network forecasting a noisy series (R², forecast error), and "
        "self-organizing maps of colours and of handwritten digits (quantization "
        "and topographic errors). Takes well under a minute.",
    )
    parser.add_argument(
        "--out", metavar="DIR", nargs="?", const="sknn_math_tour", default=None,
        help="also write the tour's figures as PNG files to DIR (default "
        "'sknn_math_tour'); needs matplotlib (pip install 'sknn-math[plot]')",
    )
    args = parser.parse_args(argv)
    print(f"sknn_math {__version__}: the math of intelligence as scikit-learn "
          "estimators")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = {}
        results.update(tour_single_layer())
        results.update(tour_xor())
        results.update(tour_elman())
        results.update(tour_som())
    print(f"\nthe tour took {time.perf_counter() - start:.1f}s")
    if args.out is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print(f"\nmatplotlib is not installed: no figures written to "
                  f"{args.out}. pip install 'sknn-math[plot]' to get them.")
        else:
            written = write_figures(results, args.out)
            print(f"\n{len(written)} figures written to {args.out}/: "
                  + ", ".join(os.path.basename(p) for p in written))
    return {k: v for k, v in results.items() if isinstance(v, float)}


if __name__ == "__main__":
    main()
