"""Benchmark: a SelfOrganizingMap trained on data with values missing at random.

For each data set shipped with scikit-learn (digits, and the breast-cancer data
standardised), a share of the values (10, 20, 30 %) is removed completely at
random (NaN) and three maps are trained with the same parameters and map shape:

- *complete*: on the complete data;
- *NaN*: on the incomplete data, missing values handled by the map itself
  (observed features only, in the best-matching units and the updates);
- *mean-imputed*: on the incomplete data with every gap filled by its column's
  mean (scikit-learn's ``SimpleImputer``), the usual workaround.

All three are judged on the complete data: the quantization error (QE) of the
complete rows and the topographic error (TE). The ratio is QE(NaN) / QE(complete);
each figure is the mean over ``--seeds`` random masks.

Usage::

    python benchmarks/bench_som_missing.py              # batch and online rules
    python benchmarks/bench_som_missing.py --seeds 2    # quicker
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from sknn_math import SelfOrganizingMap

FRACTIONS = (0.1, 0.2, 0.3)


def datasets():
    X, _ = load_digits(return_X_y=True)
    yield "digits (1797×64)", X
    X, _ = load_breast_cancer(return_X_y=True)
    yield "breast cancer (569×30, standardised)", StandardScaler().fit_transform(X)


def remove_at_random(X, fraction, seed):
    """X with ``fraction`` of its values set to NaN, every row keeping one."""
    rng = np.random.RandomState(seed)
    X = X.copy()
    missing = rng.uniform(size=X.shape) < fraction
    empty = np.flatnonzero(missing.all(axis=1))
    missing[empty, rng.randint(X.shape[1], size=empty.size)] = False
    X[missing] = np.nan
    return X


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print("| data | rule | missing | QE complete | QE NaN | ratio | "
          "QE mean-imputed | ratio | TE complete | TE NaN | TE mean-imputed |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    tic = time.perf_counter()
    for name, X in datasets():
        for algorithm in ("batch", "online"):
            complete = SelfOrganizingMap(algorithm=algorithm, random_state=0).fit(X)
            params = dict(n_rows=complete.n_rows_, n_cols=complete.n_cols_,
                          algorithm=algorithm, random_state=0)
            qe0 = complete.quantization_error(X)
            te0 = complete.topographic_error(X)
            for fraction in FRACTIONS:
                qe_nan, te_nan, qe_imp, te_imp = [], [], [], []
                for seed in range(args.seeds):
                    X_nan = remove_at_random(X, fraction, seed)
                    som = SelfOrganizingMap(**params).fit(X_nan)
                    qe_nan.append(som.quantization_error(X))
                    te_nan.append(som.topographic_error(X))
                    X_imp = SimpleImputer().fit_transform(X_nan)
                    som = SelfOrganizingMap(**params).fit(X_imp)
                    qe_imp.append(som.quantization_error(X))
                    te_imp.append(som.topographic_error(X))
                q_nan, q_imp = np.mean(qe_nan), np.mean(qe_imp)
                print(f"| {name} | {algorithm} | {fraction:.0%} | {qe0:.4g} | "
                      f"{q_nan:.4g} | {q_nan / qe0:.3f} | {q_imp:.4g} | "
                      f"{q_imp / qe0:.3f} | {te0:.3f} | {np.mean(te_nan):.3f} | "
                      f"{np.mean(te_imp):.3f} |")
    print(f"\n{args.seeds} random masks per row of the table; "
          f"{time.perf_counter() - tic:.0f} s in all.")


if __name__ == "__main__":
    main()
