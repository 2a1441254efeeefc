"""Peak memory of predicting and transforming 1,000,000 rows.

Each fitted estimator answers for a 1,000,000 × 16 float64 matrix (128 MB). The
peak of what NumPy allocates on top of the input (measured with ``tracemalloc``) must
stay bounded by scikit-learn's ``working_memory`` (default 1024 MB; here also at
64 MB), plus the output itself, whatever the number of rows.

    python benchmarks/bench_memory.py [--rows 1000000]
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning

import sknn_math


def estimators(d):
    yield "SigmoidMLPClassifier (100,)", sknn_math.SigmoidMLPClassifier(
        (100,), max_iter=2, random_state=0), "predict_proba", "classifier"
    yield "SigmoidMLPRegressor (100,)", sknn_math.SigmoidMLPRegressor(
        (100,), max_iter=2, random_state=0), "predict", "regressor"
    if hasattr(sknn_math, "ElmanRegressor"):
        yield "ElmanRegressor h32, 16 steps", sknn_math.ElmanRegressor(
            hidden_size=32, max_iter=2, random_state=0), "predict", "regressor"
    if hasattr(sknn_math, "SelfOrganizingMap"):
        yield "SelfOrganizingMap 20x20", sknn_math.SelfOrganizingMap(
            n_rows=20, n_cols=20, max_iter=2, random_state=0), "transform", "cluster"
        yield "SelfOrganizingMap 20x20", sknn_math.SelfOrganizingMap(
            n_rows=20, n_cols=20, max_iter=2, random_state=0), "predict", "cluster"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    d = 16
    rng = np.random.default_rng(0)
    X_small = rng.standard_normal((2000, d))
    y_class = (X_small[:, 0] > 0).astype(int)
    y_reg = X_small[:, 0] + X_small[:, 1]
    X = rng.standard_normal((args.rows, d))
    input_mb = X.nbytes / 2**20
    print(f"## Predicting {args.rows:,} x {d} float64 rows ({input_mb:.0f} MB input)\n")
    print("| estimator | method | working_memory MB | seconds | output MB | "
          "peak extra MB (beyond input) |")
    print("|---|---|---|---|---|---|")
    for name, est, method, kind in estimators(d):
        y = {"classifier": y_class, "regressor": y_reg, "cluster": None}[kind]
        est.fit(X_small, y)
        for working_memory in (1024, 64):
            with sklearn.config_context(working_memory=working_memory):
                tracemalloc.start()
                start = time.perf_counter()
                out = getattr(est, method)(X)
                seconds = time.perf_counter() - start
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            print(f"| {name} | {method} | {working_memory} | {seconds:.2f} | "
                  f"{out.nbytes / 2**20:.0f} | {peak / 2**20:.0f} |")
            del out


if __name__ == "__main__":
    main()
