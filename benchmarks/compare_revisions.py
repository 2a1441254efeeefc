"""Before and after a change, in one process: another revision of sknn_math against
the working tree, on the cases of the three benchmarks, runs alternating.

The other revision is exported with ``git archive`` into a temporary folder and
imported as ``sknn_math_old`` (the package's imports are relative), so both run
in the same process on the same data, and drift in the machine's speed weighs on
both alike.

    python benchmarks/compare_revisions.py REVISION [mlp] [elman] [som]
"""

import argparse
import importlib
import io
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning

import sknn_math as new


def import_revision(revision, folder):
    """Import ``sknn_math`` as of ``revision`` under the name ``sknn_math_old``."""
    root = pathlib.Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "archive", revision, "sknn_math"], cwd=root,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (pathlib.Path(folder) / "sknn_math").rename(pathlib.Path(folder) / "sknn_math_old")
    sys.path.insert(0, folder)
    return importlib.import_module("sknn_math_old")


def best_times(old, make_fit, repeat):
    times = {"before": [], "after": []}
    for _ in range(repeat):
        for name, module in (("before", old), ("after", new)):
            fit = make_fit(module)
            # OpenBLAS's idle threads spin for a while after a product on every
            # thread: let them stop, so that no fit runs beside the other's.
            time.sleep(0.3)
            start = time.perf_counter()
            fit()
            times[name].append(time.perf_counter() - start)
    return min(times["before"]), min(times["after"])


def mlp_cases():
    X, y = make_classification(20000, 50, n_informative=30, n_classes=4,
                               random_state=0)
    for hidden, batch, epochs, repeat in (((100,), 200, 10, 7), ((512,), 2000, 3, 5)):
        for dtype in (np.float64, np.float32):
            Xd = X.astype(dtype)

            def make_fit(m, Xd=Xd, hidden=hidden, batch=batch, epochs=epochs):
                clf = m.SigmoidMLPClassifier(hidden, batch_size=batch,
                                             max_iter=epochs, tol=0, random_state=0)
                return lambda: clf.fit(Xd, y)

            yield (f"MLP {hidden}, batch {batch}, {epochs} epochs",
                   np.dtype(dtype).name, make_fit, repeat)


def elman_cases():
    rng = np.random.RandomState(0)
    series = np.sin(np.arange(5051) * 0.3) + 0.1 * rng.standard_normal(5051)
    X = np.lib.stride_tricks.sliding_window_view(series, 50)[:5000].copy()
    y = series[50:5050]
    for hidden in (32, 128):
        for dtype in (np.float64, np.float32):
            Xd = X.astype(dtype)

            def make_fit(m, Xd=Xd, hidden=hidden):
                reg = m.ElmanRegressor(hidden_size=hidden, batch_size=64, max_iter=5,
                                       learning_rate_init=1e-3, max_grad_norm=None,
                                       alpha=0, tol=0, random_state=0)
                return lambda: reg.fit(Xd, y)

            yield (f"Elman 5000×50, hidden {hidden}, batch 64, 5 epochs",
                   np.dtype(dtype).name, make_fit, 3)


def som_cases():
    X, _ = make_blobs(20000, 16, centers=10, random_state=0)
    X = X.astype(np.float32)

    def batch(m):
        som = m.SelfOrganizingMap(20, 20, max_iter=10, sigma_start=10, random_state=0)
        return lambda: som.fit(X)

    def online(m):
        som = m.SelfOrganizingMap(20, 20, max_iter=1, algorithm="online",
                                  sigma_start=10, random_state=0)
        return lambda: som.fit(X[:5000])

    yield "SOM batch 20000×16, 20×20, 10 epochs", "float32", batch, 9
    yield "SOM online 5000×16, 20×20, 1 epoch", "float32", online, 3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("which", nargs="*",
                        help="mlp, elman and/or som (default: all three)")
    args = parser.parse_args()
    args.which = args.which or ["mlp", "elman", "som"]
    if not set(args.which) <= {"mlp", "elman", "som"}:
        parser.error(f"choose among mlp, elman and som, not {args.which}")
    warnings.simplefilter("ignore", ConvergenceWarning)
    cases = {"mlp": mlp_cases, "elman": elman_cases, "som": som_cases}
    with tempfile.TemporaryDirectory() as folder:
        old = import_revision(args.revision, folder)
        print(f"before: {args.revision}; after: the working tree\n")
        print("| case | dtype | before (s) | after (s) | after / before |")
        print("|---|---|---|---|---|")
        for which in args.which:
            for case, dtype, make_fit, repeat in cases[which]():
                before, after = best_times(old, make_fit, repeat)
                print(f"| {case} | {dtype} | {before:.3f} | {after:.3f} | "
                      f"{after / before:.3f} |", flush=True)


if __name__ == "__main__":
    main()
