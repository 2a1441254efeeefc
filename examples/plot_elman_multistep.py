"""
=======================================================
Direct and recursive multi-step forecasts of a real EEG
=======================================================

Ten steps ahead, an Elman network can forecast in two ways. *Recursively*: one
model predicts the next step, and :meth:`~sknn_math.ElmanRegressor.forecast` feeds
each prediction back in as the newest step, ten times. *Directly*: one model
predicts all ten future values at once, a target made by
:func:`~sknn_math.make_windows` with ``n_steps_out=10``. A direct model can also
read series it is not asked to predict: ``target=0`` predicts the first channel
from windows of all four (the others are exogenous inputs).

The series is a four-channel electroencephalogram of 800 samples that ships with
matplotlib (``eeg.dat``, read without any download).
"""

# %%
# The series
# ----------
# Four EEG channels, standardised. The first 600 samples train, the last 200
# (later in time) test.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import cbook
from sklearn.exceptions import ConvergenceWarning

from sknn_math import ElmanRegressor, make_windows

with cbook.get_sample_data("eeg.dat") as eeg_file:
    eeg = np.fromfile(eeg_file, dtype=float).reshape(800, 4)

window, n_ahead, split = 24, 10, 600
train, test = eeg[:split], eeg[split - window:]

# %%
# Three models
# ------------
# The same small network each time; only the targets differ.
params = dict(hidden_size=16, solver="lbfgs", max_iter=200, alpha=1e-3,
              random_state=0)


def fit(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget
        return ElmanRegressor(**params).fit(X, y)


# recursive: channel 0 alone, next step only
X, y = make_windows(train[:, 0], window)
recursive = fit(X, y)
# direct: channel 0 alone, the next ten steps at once
X, y = make_windows(train[:, 0], window, n_steps_out=n_ahead)
direct = fit(X, y)
# direct with exogenous inputs: windows of the four channels, channel 0's future
X, y = make_windows(train, window, n_steps_out=n_ahead, target=0)
exogenous = ElmanRegressor(n_features_per_step=4, **params)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    exogenous.fit(X, y)

# %%
# Errors by horizon on the test part
# ----------------------------------
# Every test window is forecast ten steps ahead; the root mean squared error of
# each horizon is compared with the naive forecast (the last observed value).
X_uni, Y_true = make_windows(test[:, 0], window, n_steps_out=n_ahead)
X_all, _ = make_windows(test, window, n_steps_out=n_ahead, target=0)
forecasts = {
    "recursive (forecast)": recursive.forecast(X_uni, n_ahead),
    "direct (n_steps_out=10)": direct.predict(X_uni),
    "direct, 4 channels (target=0)": exogenous.predict(X_all),
    "naive (last value)": np.repeat(X_uni[:, -1:], n_ahead, axis=1),
}
rmse = {name: np.sqrt(np.mean((F - Y_true) ** 2, axis=0))
        for name, F in forecasts.items()}
for name, errors in rmse.items():
    print(f"{name:32s} RMSE at 1, 5, 10 steps: "
          f"{errors[0]:.3f}, {errors[4]:.3f}, {errors[9]:.3f}")

fig, (ax_err, ax_series) = plt.subplots(1, 2, figsize=(12, 4),
                                        constrained_layout=True)
steps = np.arange(1, n_ahead + 1)
for name, errors in rmse.items():
    ax_err.plot(steps, errors, marker="o", label=name)
ax_err.set(xlabel="steps ahead", ylabel="RMSE (test)",
           title="Forecast error by horizon")
ax_err.legend()

# %%
# One forecast
# ------------
# From one test window, the three models' ten-step forecasts against what came.
i = 100
ax_series.plot(np.arange(window), X_uni[i], color="grey", label="window")
ax_series.plot(window + steps - 1, Y_true[i], color="black", label="what came")
for name, F in list(forecasts.items())[:3]:
    ax_series.plot(window + steps - 1, F[i], marker=".", label=name)
ax_series.set(xlabel="step", title="Ten steps ahead of one window")
ax_series.legend(fontsize="small")
plt.show()

# %%
# The recursive model compounds its own errors step by step; the direct models
# are trained on each horizon's error itself. Whether that wins depends on the
# series: the table above is the answer for this one.
