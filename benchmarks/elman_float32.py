"""Issue 12: is the float32/float64 gap the training's sensitivity or a defect?

The observation: from one seed, a float32 and a float64 ``ElmanClassifier`` fit on
a sign-of-sum task (400 × 20, ``learning_rate_init=1e-3``) end with
``predict_proba`` up to 0.73 apart, while at the default rate they agree to 0.004.

This script measures, on that task (400 training sequences of 20 N(0, 1) steps,
label: is the sum positive; 2000 held-out sequences; the data are float32 values,
so that both precisions see exactly the same numbers):

1. the observation itself, at ``learning_rate_init`` 1e-3 and 1e-2;
2. the distance between pairs of training trajectories, epoch by epoch:
   float32 against float64 from the same seed, and — all in float64 — a fit whose
   initial weights are rounded to float32, and a fit whose data differ from the
   first by 1 ulp in a single entry. If float32 only plants a rounding-sized
   seed difference that the training then amplifies, the float64 pairs separate
   the same way (the same growth rate), just from a smaller start;
3. the float32 gradient against the float64 gradient at the same weights (the
   initial ones and those after training) on the same data: a defect (a lost
   reduction, an overflow, a wrong float32 path) would show as a relative error
   far above float32's rounding (~1e-7); then one Adam epoch from the same state
   in both precisions;
4. the spread of held-out accuracy over seeds in float32 and in float64, and how
   far apart the two precisions end compared with float64 fits that start from
   the weights rounded to float32 or see data 1 ulp apart.

Run from the repository root::

    python benchmarks/elman_float32.py              # ~40 s on 2 busy cores
    python benchmarks/elman_float32.py --seeds 10

Needs scikit-learn ≥ 1.9 (fit callbacks, to record the weights each epoch).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn_math import ElmanClassifier
from sknn_math._optimizers import Adam, clip_grad_norm
from sknn_math._training import pack_parameters

N_TRAIN, N_TEST, N_STEPS = 400, 2000, 20


def sign_of_sum(seed):
    """Float32 data (exactly representable in both precisions) and labels."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((N_TRAIN + N_TEST, N_STEPS)).astype(np.float32)
    y = (X.astype(np.float64).sum(axis=1) > 0).astype(int)
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


class RoundedInitClassifier(ElmanClassifier):
    """Float64 training from the initial weights rounded to float32: the same
    start as a float32 fit, but every operation after it in float64."""

    def _initial_parameters(self, n_features, n_outputs, rng):
        coefs, intercepts = super()._initial_parameters(n_features, n_outputs, rng)
        rounded = [a.astype(np.float32).astype(np.float64) for a in coefs + intercepts]
        return rounded[:len(coefs)], rounded[len(coefs):]


class CapturingClassifier(ElmanClassifier):
    """An ElmanClassifier that keeps a copy of its initial weights, flat."""

    def _initial_parameters(self, n_features, n_outputs, rng):
        coefs, intercepts = super()._initial_parameters(n_features, n_outputs, rng)
        self.initial_theta_ = np.concatenate([a.ravel() for a in coefs + intercepts])
        return coefs, intercepts


class _Trajectory:
    """A fit callback recording the flat weight vector (in float64) each epoch."""

    def __init__(self):
        self.thetas = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch":
            self.thetas.append(np.concatenate(
                [a.ravel() for a in fitted_estimator.coefs_
                 + fitted_estimator.intercepts_]).astype(np.float64))
        return False


def fit(X, y, dtype, lr, seed, cls=ElmanClassifier, record=False, **params):
    model = cls(learning_rate_init=lr, random_state=seed, **params)
    trajectory = _Trajectory()
    if record:
        model.set_callbacks(trajectory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X.astype(dtype), y)
    return model, trajectory.thetas


def proba(model, X):
    return model.predict_proba(X.astype(model.coefs_[0].dtype))[:, 1].astype(
        np.float64)


def one_ulp(X):
    """X with its first entry moved to the next float64 number."""
    X = X.astype(np.float64)
    X[0, 0] = np.nextafter(X[0, 0], np.inf)
    return X


# ----------------------------------------------------------------------------
def part_1(seed):
    print("## 1. The observation (data seed = random_state = "
          f"{seed}; held-out predict_proba)\n")
    print("| learning_rate_init | max abs Δp | mean abs Δp | acc float64 | "
          "acc float32 | epochs float64 | epochs float32 |")
    print("|---|---|---|---|---|---|---|")
    X, y, X_test, y_test = sign_of_sum(seed)
    for lr in (1e-3, 1e-2):
        m64, _ = fit(X, y, np.float64, lr, seed)
        m32, _ = fit(X, y, np.float32, lr, seed)
        dp = np.abs(proba(m64, X_test) - proba(m32, X_test))
        print(f"| {lr:g} | {dp.max():.3f} | {dp.mean():.4f} | "
              f"{m64.score(X_test, y_test):.3f} | "
              f"{m32.score(X_test.astype(np.float32), y_test):.3f} | "
              f"{m64.n_iter_} | {m32.n_iter_} |")
    print()


def separation(a, b):
    """‖θ_a − θ_b‖ / ‖θ_b‖ at each epoch both ran."""
    n = min(len(a), len(b))
    return np.array([np.linalg.norm(a[i] - b[i]) / np.linalg.norm(b[i])
                     for i in range(n)])


def growth_rate(sep, lo=1e-6, hi=1e-2):
    """Slope of log10(separation) per epoch while it lies between lo and hi."""
    idx = np.flatnonzero((sep > lo) & (sep < hi))
    if idx.size < 3:
        return np.nan
    return np.polyfit(idx + 1, np.log10(sep[idx]), 1)[0]


def part_2(seed, lr):
    print(f"## 2. Trajectories from one seed ({seed}), learning_rate_init={lr:g}\n")
    print("Relative distance ‖θ_a − θ_b‖ / ‖θ_b‖ of the weights after each epoch; "
          "growth = slope of log10(distance) per epoch while it lies in "
          "[1e-6, 1e-2]; Δp = held-out predict_proba.\n")
    X, y, X_test, y_test = sign_of_sum(seed)
    ref, t_ref = fit(X, y, np.float64, lr, seed, record=True)
    pairs = {
        "float32 vs float64": fit(X, y, np.float32, lr, seed, record=True),
        "float64, init rounded to float32, vs float64":
            fit(X, y, np.float64, lr, seed, cls=RoundedInitClassifier, record=True),
        "float64, 1 ulp in one data entry, vs float64":
            fit(one_ulp(X), y, np.float64, lr, seed, record=True),
    }
    epochs = [1, 10, 25, 50, 75, 90, 100, 110, 120, 130, 140, 150, 175, 200, 300]
    shown = [e for e in epochs if e <= max(len(t) for _, t in pairs.values())]
    print("| pair | " + " | ".join(f"ep {e}" for e in shown)
          + " | growth /epoch | max abs Δp | acc a | acc b | epochs a, b |")
    print("|---|" + "---|" * (len(shown) + 5))
    loss = ref.loss_curve_
    print("| float64 training loss | "
          + " | ".join(f"{loss[e - 1]:.4f}" if e <= len(loss) else "" for e in shown)
          + " | | | | | |")
    for name, (model, traj) in pairs.items():
        sep = separation(traj, t_ref)
        cells = " | ".join(f"{sep[e - 1]:.1e}" if e <= sep.size else "" for e in shown)
        dp = np.abs(proba(model, X_test) - proba(ref, X_test))
        acc = model.score(X_test.astype(model.coefs_[0].dtype), y_test)
        print(f"| {name} | {cells} | {growth_rate(sep):.3f} | {dp.max():.3f} | "
              f"{acc:.3f} | {ref.score(X_test, y_test):.3f} | "
              f"{model.n_iter_}, {ref.n_iter_} |")
    print()


def gradients(model, X, y, dtype, theta64):
    """Loss and gradient of ``model`` at the weights ``theta64`` in ``dtype``."""
    shapes = [a.shape for a in model.coefs_ + model.intercepts_]
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(theta64[start:start + size].reshape(shape))
        start += size
    n_layers = len(model.coefs_)
    params = pack_parameters(arrays[:n_layers], arrays[n_layers:], dtype)
    workspace = model._make_workspace(X.shape[0], X.shape[1], dtype)
    Y = model._label_binarizer.transform(y).astype(dtype)
    loss = model._loss_grad(params, X.astype(dtype), Y, None, workspace)
    return float(loss), params.grad.astype(np.float64), params


def part_3(seed, lr):
    print("## 3. The float32 gradient against the float64 gradient at the same "
          "weights\n")
    print("Weights rounded to float32 and used by both; the same float32 data; "
          "relative error ‖g32 − g64‖ / ‖g64‖ (float32's unit roundoff is 6e-8: "
          "rounding g64 itself to float32 gives the last column).\n")
    X, y, _, _ = sign_of_sum(seed)
    model, traj = fit(X, y, np.float64, lr, seed, cls=CapturingClassifier,
                      record=True)
    points = {"initial weights": model.initial_theta_,
              f"after epoch {len(traj) // 2}": traj[len(traj) // 2],
              f"after epoch {len(traj)} (end)": traj[-1]}
    print("| weights | rows | loss rel. error | ‖g‖ | grad rel. error | "
          "max abs error / ‖g‖∞ | g64 rounded to float32 | float64, weights "
          "moved by 2⁻²⁴ |")
    print("|---|---|---|---|---|---|---|---|")
    rng = np.random.RandomState(0)
    for name, theta in points.items():
        theta = theta.astype(np.float32).astype(np.float64)
        for rows in (200, 400):
            l64, g64, _ = gradients(model, X[:rows], y[:rows], np.float64, theta)
            l32, g32, _ = gradients(model, X[:rows], y[:rows], np.float32, theta)
            rel = np.linalg.norm(g32 - g64) / np.linalg.norm(g64)
            inf = np.abs(g32 - g64).max() / np.abs(g64).max()
            rounding = (np.linalg.norm(g64.astype(np.float32) - g64)
                        / np.linalg.norm(g64))
            # Conditioning: the float64 gradient at weights each moved by a
            # random relative 2⁻²⁴ (float32's unit roundoff), as float32's
            # rounding of the states moves them.
            moved = theta * (1 + 2.0**-24 * rng.choice([-1.0, 1.0], theta.size))
            _, g_moved, _ = gradients(model, X[:rows], y[:rows], np.float64, moved)
            cond = np.linalg.norm(g_moved - g64) / np.linalg.norm(g64)
            print(f"| {name} | {rows} | {abs(l32 - l64) / l64:.1e} | "
                  f"{np.linalg.norm(g64):.2e} | {rel:.1e} | {inf:.1e} | "
                  f"{rounding:.1e} | {cond:.1e} |")
    print()

    # One epoch of clipped Adam from the same state in both precisions.
    print("One epoch (2 batches of 200, clipping at 1, Adam at "
          f"learning_rate_init={lr:g}) from the same weights in both precisions; "
          "the relative distance of the results and the size of the step:\n")
    print("| weights | ‖θ32 − θ64‖ / ‖θ64‖ | ‖step‖ / ‖θ‖ | "
          "‖θ32 − θ64‖ / ‖step‖ |")
    print("|---|---|---|---|")
    for name, theta in points.items():
        theta = theta.astype(np.float32).astype(np.float64)
        results = {}
        for dtype in (np.float64, np.float32):
            opt = Adam(theta.size, dtype, lr)
            th = theta.astype(dtype)
            for start in (0, 200):
                _, g, params = gradients(model, X[start:start + 200],
                                         y[start:start + 200], dtype, th)
                grad = params.grad
                clip_grad_norm(grad, 1.0)
                opt.step(th, grad)
            results[dtype] = th.astype(np.float64)
        diff = np.linalg.norm(results[np.float32] - results[np.float64])
        step = np.linalg.norm(results[np.float64] - theta)
        print(f"| {name} | {diff / np.linalg.norm(results[np.float64]):.1e} | "
              f"{step / np.linalg.norm(theta):.1e} | {diff / step:.1e} |")
    print()


def part_4(n_seeds, lr):
    print(f"## 4. Spread over {n_seeds} seeds (data and weights), "
          f"learning_rate_init={lr:g}\n")
    acc = {"float64": [], "float32": [], "float64 (init rounded)": [],
           "float64 (1 ulp)": []}
    gaps = {"float32 vs float64": [],
            "float64, init rounded to float32, vs float64": [],
            "float64, 1 ulp in one data entry, vs float64": []}
    for seed in range(n_seeds):
        X, y, X_test, y_test = sign_of_sum(seed)
        m64, _ = fit(X, y, np.float64, lr, seed)
        m32, _ = fit(X, y, np.float32, lr, seed)
        mrnd, _ = fit(X, y, np.float64, lr, seed, cls=RoundedInitClassifier)
        mulp, _ = fit(one_ulp(X), y, np.float64, lr, seed)
        p64 = proba(m64, X_test)
        acc["float64"].append(m64.score(X_test, y_test))
        acc["float32"].append(m32.score(X_test.astype(np.float32), y_test))
        acc["float64 (init rounded)"].append(mrnd.score(X_test, y_test))
        acc["float64 (1 ulp)"].append(mulp.score(X_test, y_test))
        for name, m in zip(gaps, (m32, mrnd, mulp), strict=True):
            gaps[name].append(np.abs(proba(m, X_test) - p64).max())
    print("| fits | mean accuracy | std over seeds | min | max |")
    print("|---|---|---|---|---|")
    for name, v in acc.items():
        v = np.array(v)
        print(f"| {name} | {v.mean():.3f} | {v.std(ddof=1):.3f} | {v.min():.3f} | "
              f"{v.max():.3f} |")
    print("\n| pair, same seed | median max abs Δp | largest max abs Δp | "
          "mean abs Δaccuracy |")
    print("|---|---|---|---|")
    a64 = np.array(acc["float64"])
    for (name, g), other in zip(gaps.items(), list(acc)[1:], strict=True):
        print(f"| {name} | {np.median(g):.3f} | {np.max(g):.3f} | "
              f"{np.mean(np.abs(np.array(acc[other]) - a64)):.3f} |")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    start = time.perf_counter()
    part_1(args.seed)
    part_2(args.seed, 1e-3)
    part_2(args.seed, 1e-2)
    part_3(args.seed, 1e-3)
    part_4(args.seeds, 1e-3)
    part_4(args.seeds, 1e-2)
    print(f"total time {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
