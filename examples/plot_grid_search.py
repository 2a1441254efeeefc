"""
============================================================
Grid search over learning rate and hidden size in a Pipeline
============================================================

The estimators are ordinary scikit-learn estimators, so model selection works as
for any other: put the network behind a scaler in a
:class:`~sklearn.pipeline.Pipeline` and let
:class:`~sklearn.model_selection.GridSearchCV` cross-validate every combination
of ``learning_rate_init`` and ``hidden_layer_sizes``. A heat map of the scores
shows how the two interact.
"""

# %%
# Data and pipeline
# -----------------
# Two interleaving half moons, a classic non-linear problem, with the features
# on different scales so that the scaler matters.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import SigmoidMLPClassifier

X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
X[:, 1] *= 10.0

pipe = make_pipeline(
    StandardScaler(),
    SigmoidMLPClassifier(solver="adam", batch_size=20, max_iter=100, random_state=0),
)

# %%
# The search
# ----------
# Four step sizes by four hidden sizes, three stratified folds: 48 short fits. Parameters of a pipeline step are addressed as
# ``<step>__<parameter>``.
param_grid = {
    "sigmoidmlpclassifier__learning_rate_init": [1e-3, 1e-2, 1e-1, 1.0],
    "sigmoidmlpclassifier__hidden_layer_sizes": [(1,), (3,), (10,), (50,)],
}
search = GridSearchCV(pipe, param_grid, cv=StratifiedKFold(3, shuffle=True,
                                                           random_state=0))
with warnings.catch_warnings():
    # the smallest steps do not converge in 100 epochs: that is the point
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")

# %%
# The heat map reads like the texts' advice. Steps of 0.001 and 0.01 are too
# timid for 100 epochs whatever the width: the boundary stays nearly straight
# and scores what a line scores on the moons, about 0.83. With steps of 0.1 and
# 1, ten or fifty hidden units bend the boundary around the moons (0.92 to
# 0.95); a single hidden unit cannot bend it at all, and the largest step starts
# to hurt the single unit and the widest network.
results = pd.DataFrame(search.cv_results_)
scores = results.pivot_table(
    index="param_sigmoidmlpclassifier__hidden_layer_sizes",
    columns="param_sigmoidmlpclassifier__learning_rate_init",
    values="mean_test_score",
)
fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
image = ax.imshow(scores.to_numpy(), cmap="viridis", vmin=0.5, vmax=1.0)
ax.set_xticks(range(scores.shape[1]), [f"{lr:g}" for lr in scores.columns])
ax.set_yticks(range(scores.shape[0]), [str(h) for h in scores.index])
ax.set(xlabel="learning_rate_init", ylabel="hidden_layer_sizes",
       title="mean cross-validated accuracy")
for (i, j), score in np.ndenumerate(scores.to_numpy()):
    ax.text(j, i, f"{score:.2f}", ha="center", va="center",
            color="white" if score < 0.8 else "black")
fig.colorbar(image, ax=ax)
plt.show()

# %%
# The best pipeline, refitted on all the data, and its decision boundary.
# :class:`~sklearn.inspection.DecisionBoundaryDisplay` takes the whole pipeline:
# the scaler is applied before the network sees the grid.
fig, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
DecisionBoundaryDisplay.from_estimator(
    search.best_estimator_, X, response_method="predict_proba", cmap="RdBu_r",
    alpha=0.6, ax=ax, vmin=0, vmax=1,
)
ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=15)
ax.set_title(f"best pipeline: training accuracy {search.score(X, y):.3f}")
plt.show()
