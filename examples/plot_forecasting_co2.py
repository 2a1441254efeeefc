"""
==========================================
Forecasting a real series: Mauna Loa CO₂
==========================================

The weekly CO₂ concentration measured at Mauna Loa from 1958 to 2001, shipped
with statsmodels (``statsmodels.datasets.co2``), rises by about 1.5 ppm a year
and swings by ±3 ppm with the seasons. This example forecasts it with
:class:`~sknn_math.ElmanRegressor` the way a real series needs: differenced and
scaled, validated in time order, and compared with two baselines that every
forecaster must beat — the seasonal naive forecast and a linear autoregressive
model (ridge regression on the same windows). It also shows what happens
without the differencing: the network cannot follow the trend, because its tanh
units cannot extrapolate.
"""

# %%
# The series, monthly, and its month-to-month changes
# ---------------------------------------------------
# The weekly record has gaps; monthly means, with the few missing months
# interpolated, give 526 months. The changes from one month to the next have
# no trend left, only the seasonal cycle, noise and a mean of about 0.12 ppm:
# a series whose future values lie in the range of its past ones.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from statsmodels.datasets import co2

from sknn_math import ElmanRegressor, forecast, make_windows

monthly = co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
level = monthly.to_numpy()
dates = monthly.index
change = np.diff(level)  # change[i] = level[i + 1] - level[i]
print(f"{level.size} months, {dates[0]:%Y-%m} to {dates[-1]:%Y-%m}")
print(f"levels {level.min():.1f} to {level.max():.1f} ppm; "
      f"changes {change.min():.2f} to {change.max():.2f} ppm")

# %%
# Windows, and the last ten years held out
# ----------------------------------------
# :func:`~sknn_math.make_windows` cuts the changes into windows of 24 months,
# each with the next month's change as target. The windows are in time order:
# the last 120 test the models, on a future none of them has seen.
window, n_test = 24, 120
X, y = make_windows(change, window)
X_train, y_train = X[:-n_test], y[:-n_test]
X_test, y_test = X[-n_test:], y[-n_test:]

# %%
# The model: scaled inputs, a scaled target
# -----------------------------------------
# A :class:`~sklearn.preprocessing.StandardScaler` in front of the network puts
# every lag near [−1, 1], where tanh units are sensitive; a
# :class:`~sklearn.compose.TransformedTargetRegressor` scales the target the
# same way and returns predictions in ppm. Sixteen units trained by L-BFGS.


def elman():
    network = ElmanRegressor(hidden_size=16, solver="lbfgs", alpha=1.0,
                             max_iter=200, random_state=0)
    return TransformedTargetRegressor(make_pipeline(StandardScaler(), network),
                                      transformer=StandardScaler())


ridge = make_pipeline(StandardScaler(), Ridge(alpha=1.0))

# %%
# Validation in time order
# ------------------------
# :class:`~sklearn.model_selection.TimeSeriesSplit` trains on the past and
# validates on the block that follows it, as the forecasts will be used. A
# shuffled K-fold would let windows that overlap the validation months train
# the model. (Early stopping in the Elman nets holds out the *last* rows for
# the same reason.)
cv = TimeSeriesSplit(n_splits=3)
with warnings.catch_warnings():
    # 200 L-BFGS iterations are a budget, not convergence, on every fold
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in [("Elman", elman()), ("ridge AR", ridge)]:
        mae = -cross_val_score(model, X_train, y_train, cv=cv,
                               scoring="neg_mean_absolute_error")
        print(f"{name:9s} validation MAE per fold (ppm): {np.round(mae, 3)}")
    net = elman().fit(X_train, y_train)
ridge.fit(X_train, y_train)

# %%
# One month ahead
# ---------------
# An error in the change is the same error in the level, since the level
# forecast is last month's level plus the predicted change. The seasonal naive
# forecast repeats the change of twelve months before.
one_step = {
    "Elman": net.predict(X_test),
    "ridge AR": ridge.predict(X_test),
    "seasonal naive": X_test[:, -12],
}
for name, predicted in one_step.items():
    print(f"{name:14s} one-month MAE on the test years: "
          f"{np.mean(np.abs(predicted - y_test)):.3f} ppm")

# %%
# Two years ahead, recursively
# ----------------------------
# :func:`~sknn_math.forecast` continues windows through the whole model: each
# predicted change goes back through the target scaler's inverse, becomes the
# window's newest step, and the window passes through the input scaler again.
# It forecasts 24 months from every test month that has 24 known months after
# it, all windows at once; the level's error at horizon h is the sum of the
# first h errors in the changes.
horizon = 24
origins = X_test[:n_test - horizon + 1]
truth = np.stack([y_test[i:i + horizon] for i in range(origins.shape[0])])
paths = {"Elman": forecast(net, origins, horizon)}
recent, steps = origins.copy(), []
for _ in range(horizon):  # the same recursion for ridge, written out
    steps.append(ridge.predict(recent))
    recent = np.column_stack([recent[:, 1:], steps[-1]])
paths["ridge AR"] = np.column_stack(steps)
paths["seasonal naive"] = np.tile(origins[:, -12:], 2)
level_mae = {name: np.mean(np.abs(np.cumsum(path - truth, axis=1)), axis=0)
             for name, path in paths.items()}
for name, mae in level_mae.items():
    print(f"{name:14s} level MAE 1, 12 and 24 months ahead: "
          f"{mae[0]:.2f}, {mae[11]:.2f}, {mae[23]:.2f} ppm")

# %%
# Why not forecast the levels directly?
# -------------------------------------
# The same model on windows of the raw levels, scaled all the same, learns the
# training years, but the test years lie beyond them: the scaled levels climb
# from +1.9 to +3.3 standard deviations, where training ended at +2.1. Each
# tanh unit saturates at ±1, so the output is bounded by ``Σ |W_hy| + b_y``
# and cannot follow the series where it has never been. Its one-month error is
# several times the differenced model's, and fed its own predictions it loses
# both the cycle and the trend. A linear model extrapolates, a bounded one does
# not; differencing turns the trend into a mean change the network can learn.
X_level, y_level = make_windows(level, window)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    on_levels = elman().fit(X_level[:-n_test], y_level[:-n_test])
start = level.size - n_test  # the first test month
from_levels = forecast(on_levels, X_level[-n_test:][:1], n_test)[0]
print(f"highest level in training {y_level[:-n_test].max():.1f} ppm, "
      f"in the test years {y_level[-n_test:].max():.1f}; the levels model "
      f"forecasts at most {from_levels.max():.1f}")
print(f"one-month MAE of the levels model on the test years: "
      f"{np.mean(np.abs(on_levels.predict(X_level[-n_test:]) - y_level[-n_test:])):.2f}"
      " ppm")

# %%
# The picture
# -----------
# Left: two years forecast from January 1992, the first test month, as levels
# (the last known level plus the cumulated changes), and the levels model's
# forecast. Right: the level's mean absolute error by horizon, over every test
# month that starts a forecast. The network and the linear model are level for
# about ten months; beyond, the network's error grows more slowly. The
# seasonal naive forecast drifts as soon as one year's change differs from the
# last.
last_known = level[start - 1]
months = dates[start:start + horizon]
fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True)
ax.plot(dates[start - 36:start + horizon], level[start - 36:start + horizon],
        color="k", lw=1.5, label="observed")
styles = {"Elman": ("tab:red", "-"), "ridge AR": ("tab:blue", "--"),
          "seasonal naive": ("tab:green", ":")}
for name, path in paths.items():
    color, ls = styles[name]
    ax.plot(months, last_known + np.cumsum(path[0]), color=color, ls=ls, lw=1.5,
            label=f"{name} (changes)")
ax.plot(months, from_levels[:horizon], color="tab:purple", lw=1.5, ls="-.",
        label="Elman on raw levels")
ax.axvline(dates[start], color="0.5", lw=0.8)
ax.set(ylabel="CO₂ (ppm)", title="24 months from January 1992",
       ylim=(level[start - 36:start + horizon].min() - 2,
             level[start - 36:start + horizon].max() + 5))
ax.legend(loc="upper left", ncol=2, fontsize=9)
for name, mae in level_mae.items():
    color, ls = styles[name]
    ax_err.plot(np.arange(1, horizon + 1), mae, color=color, ls=ls, lw=1.5,
                label=name)
ax_err.set(xlabel="months ahead", ylabel="mean absolute error of the level (ppm)",
           title=f"{origins.shape[0]} forecasts, starting {dates[start]:%Y-%m} "
                 f"to {dates[start + origins.shape[0] - 1]:%Y-%m}")
ax_err.legend(loc="upper left", fontsize=9)
plt.show()
