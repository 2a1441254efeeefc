"""
================================================
Forecasting a noisy series with an Elman network
================================================

An Elman network reads a window of a series step by step, carrying a hidden
state that mixes each new value with what it has seen,

.. math::

    h_t = \\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \\qquad
    \\hat y = h_T W_{hy} + b_y,

and learns by backpropagation through time. This example trains
:class:`~sknn_math.ElmanRegressor` to predict the next value of a noisy series,
checks it on the future it never saw, and then forecasts a hundred steps ahead
by feeding its own predictions back in.
"""

# %%
# A noisy series
# --------------
# Two sine waves of periods 50 and 23 and Gaussian noise of standard deviation
# 0.1. :func:`~sknn_math.make_windows` cuts the series into windows of 25 steps,
# each with the value that follows it as target. The first 600 windows train;
# the rest, later in time, test.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

from sknn_math import ElmanRegressor, LossCurveDisplay, make_windows

rng = np.random.RandomState(0)
t = np.arange(800)
signal = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 23)
series = signal + 0.1 * rng.normal(size=t.size)

window = 25
X, y = make_windows(series, window=window)
n_train = 600
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
print(f"{X.shape[0]} windows of {X.shape[1]} steps")

# %%
# One step ahead
# --------------
# Sixteen tanh units, trained with L-BFGS and a penalty far weaker than the
# default (``alpha=0.1`` rather than 3.0, which suits short series): the
# default's shrunken weights still predict one step well, but they damp the
# oscillation, and a recursive forecast then fades towards zero within a
# hundred steps. The one-step-ahead R² on the test windows is close to what
# the noise allows: the noise alone accounts for about 2 % of the variance. A
# linear autoregressive model (ridge regression on the same windows) is the
# baseline every forecaster should beat or match.
rnn = ElmanRegressor(hidden_size=16, solver="lbfgs", alpha=0.1, max_iter=500,
                     random_state=0)
with warnings.catch_warnings():
    # 500 L-BFGS iterations are a budget; the last ones polish the noise
    warnings.simplefilter("ignore", ConvergenceWarning)
    rnn.fit(X_train, y_train)
ridge = Ridge(alpha=1.0).fit(X_train, y_train)
print(f"Elman R² one step ahead (test): {rnn.score(X_test, y_test):.3f}")
print(f"ridge R² one step ahead (test): {ridge.score(X_test, y_test):.3f}")
print(f"best possible (noise-free signal): "
      f"{r2_score(y_test, signal[n_train + window:]):.3f}")

# %%
# A recursive multi-step forecast
# -------------------------------
# :meth:`~sknn_math.ElmanRegressor.forecast` continues the last 25 steps the
# model was trained on: each prediction becomes the newest step of the window
# and the model predicts again. Nothing of the test period is seen. The
# forecast follows the clean signal, not the noise, and drifts slowly as the
# errors compound; ridge's recursive forecast does the same. How far each
# drifts in a hundred steps depends on small differences in the fitted
# weights: other seeds of the network give an RMSE between 0.06 and 0.16
# against the clean signal, on a par with ridge.
n_steps = 100
start = n_train + window  # the first step never seen in training
last_window = series[start - window:start][np.newaxis]
forecast = rnn.forecast(last_window, n_steps=n_steps)[0]
ridge_forecast = last_window[0].copy()
ridge_path = []
for _ in range(n_steps):
    next_value = ridge.predict(ridge_forecast[None])[0]
    ridge_path.append(next_value)
    ridge_forecast = np.append(ridge_forecast[1:], next_value)
future = np.arange(start, start + n_steps)
for name, path in [("Elman", forecast), ("ridge", np.array(ridge_path))]:
    rmse = np.sqrt(np.mean((path - signal[future]) ** 2))
    print(f"{name}: RMSE of the 100-step forecast against the clean signal {rmse:.3f}")

fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(13, 4),
                                  gridspec_kw={"width_ratios": [3, 1]},
                                  constrained_layout=True)
ax.plot(t[start - 150:start + n_steps], series[start - 150:start + n_steps],
        color="0.6", lw=1, label="noisy series")
ax.plot(t[future], signal[future], color="k", lw=1, ls=":", label="clean signal")
ax.plot(t[future], forecast, color="tab:red", lw=2, label="Elman, recursive")
ax.plot(t[future], ridge_path, color="tab:blue", lw=1, ls="--",
        label="ridge, recursive")
ax.axvline(start - 0.5, color="k", lw=0.8)
ax.text(start - 3, 1.55, "forecast starts", ha="right")
ax.set(xlabel="time step", title="100 steps ahead, from the training data only")
ax.legend(loc="lower left", ncol=2, fontsize=9)
LossCurveDisplay.from_estimator(rnn, ax=ax_loss, name="ElmanRegressor",
                                log_scale=True)
plt.show()
