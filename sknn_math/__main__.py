"""A tour of sknn_math: ``python -m sknn_math [--out DIR]``.

Trains each network on a small problem and prints what it learned.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import __version__
from ._mlp import SigmoidMLPClassifier


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
    xor = SigmoidMLPClassifier((), solver="lbfgs", random_state=0).fit(X_xor, y_xor)
    print(f"XOR: accuracy {xor.score(X_xor, y_xor):.2f} — no straight line "
          "separates it")
    return {"single_layer_accuracy": clf.score(X, y)}


def tour_xor():
    _section("XOR with a 2-3-2 sigmoid network, trained by backpropagation")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    clf = SigmoidMLPClassifier((3,), solver="sgd", learning_rate_init=0.5,
                               batch_size=4, max_iter=3000, tol=0, random_state=1)
    start = time.perf_counter()
    clf.fit(X, y)
    elapsed = time.perf_counter() - start
    print(f"trained {clf.n_iter_} epochs in {elapsed:.2f}s; loss "
          f"{clf.loss_curve_[0]:.3f} -> {clf.loss_:.4f}")
    for x, p in zip(X, clf.predict_proba(X)[:, 1]):
        print(f"  XOR({int(x[0])}, {int(x[1])}) = {int(p > 0.5)}   "
              f"(p = {p:.3f})")
    return {"xor_accuracy": clf.score(X, y)}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sknn_math",
        description="A tour of sknn_math: trains each network on a small problem "
        "and prints what it learned.",
    )
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="write the tour's figures to DIR (needs matplotlib)")
    args = parser.parse_args(argv)
    print(f"sknn_math {__version__}: the math of intelligence as scikit-learn "
          "estimators")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = {}
        results.update(tour_single_layer())
        results.update(tour_xor())
    if args.out is not None:
        print(f"\n(figures for --out {args.out} are not written yet)")
    return results


if __name__ == "__main__":
    main()
