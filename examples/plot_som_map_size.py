"""
====================================
Choosing a map size by grid search
====================================

How many units should a self-organizing map have? More units always quantize
the data better, but a map is also meant to keep neighbourhoods: samples close
in the data should land close on the grid, and the reverse. The measures of
:mod:`sknn_math.metrics` score both, and each is a scorer for scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV`, so that the map size and the
final radius can be chosen on held-out data like any other hyperparameter.
"""

# %%
# Data: a two-dimensional sheet rolled up in three dimensions
# -------------------------------------------------------------
# 600 points on an S-shaped surface. A two-dimensional map can unroll it; how
# finely depends on the number of units.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_s_curve
from sklearn.model_selection import GridSearchCV, KFold

from sknn_math import SelfOrganizingMap
from sknn_math.metrics import (
    SCORERS,
    continuity,
    quantization_error,
    topographic_error,
    trustworthiness,
)

X, position = make_s_curve(600, noise=0.05, random_state=0)

# %%
# Grid search over map size and radius
# ------------------------------------
# Square maps from 2 × 2 to 15 × 15 units, each trained down to a final radius
# of 0.5 or 1 unit. ``scoring=SCORERS`` scores every candidate on the held-out
# folds with all eight measures; greater is better for each, so the errors
# appear negated (``neg_…``) and the topographic product as ``-abs(P)``.
#
# None of them alone picks a size: a bigger map always fits the data more
# closely. The ``refit`` callable below picks the smallest map whose held-out
# trustworthiness comes within 0.01 of the best, the cheapest map that shows
# the data's neighbourhoods about as faithfully as any.
sides = [2, 3, 4, 6, 8, 11, 15]
param_grid = [
    {"n_rows": [side], "n_cols": [side], "sigma_end": [0.5, 1.0]} for side in sides
]


def smallest_trustworthy_map(cv_results, tolerance=0.01):
    """Index of the smallest map within ``tolerance`` of the most trustworthy."""
    mean = cv_results["mean_test_trustworthiness"]
    good = np.flatnonzero(mean >= mean.max() - tolerance)
    units = np.array([p["n_rows"] * p["n_cols"] for p in cv_results["params"]])
    return good[np.lexsort((-mean[good], units[good]))[0]]


search = GridSearchCV(
    SelfOrganizingMap(max_iter=10, random_state=0),
    param_grid,
    scoring=SCORERS,
    refit=smallest_trustworthy_map,
    cv=KFold(3, shuffle=True, random_state=0),
).fit(X)
print("chosen:", search.best_params_)

# %%
# What each measure says as the map grows
# ---------------------------------------
# The quantization error and the Kaski–Lagus combined error fall steadily with
# more units. Trustworthiness, continuity and the neighbourhood preservation
# rise fast and then level off: beyond some size the map shows little more of
# the data's neighbourhoods. The topographic error grows with the map, more so
# at the smaller final radius: more units, more places where the two best
# units of a sample can lie apart. The topographic product is close to 0 from
# 3 × 3 units on: a two-dimensional map suits this two-dimensional sheet. The
# distortion is the energy at the map's own final radius, so its two curves
# differ by the width of the neighbourhood; compare it within one radius only.
results = search.cv_results_
n_units = np.array([p["n_rows"] * p["n_cols"] for p in results["params"]])
sigma_end = np.array([p["sigma_end"] for p in results["params"]])

fig, axes = plt.subplots(2, 4, figsize=(13, 6), sharex=True, constrained_layout=True)
for ax, name in zip(axes.ravel(), SCORERS, strict=True):
    for sigma, marker in ((0.5, "o"), (1.0, "s")):
        rows = sigma_end == sigma
        ax.errorbar(n_units[rows], results[f"mean_test_{name}"][rows],
                    yerr=results[f"std_test_{name}"][rows], marker=marker,
                    capsize=2, label=f"sigma_end = {sigma}")
    ax.axvline(n_units[search.best_index_], color="grey", linestyle=":")
    ax.set_xscale("log")
    ax.set_title(name, fontsize=10)
for ax in axes[1]:
    ax.set_xlabel("number of units")
axes[0, 0].legend(fontsize=8)
fig.suptitle("Held-out scores (greater is better); dotted: the chosen map")
plt.show()

# %%
# The chosen map
# --------------
# ``best_estimator_`` is the chosen map refitted on all the data; the functions
# of :mod:`sknn_math.metrics` measure it directly. Below, each sample is
# coloured by the row of its best-matching unit (rows run along the data's
# first principal axis), next to its true position along the sheet: the map
# has unrolled the S, so that neighbouring rows of units cover neighbouring
# stretches of the surface.
som = search.best_estimator_
print(f"{som.n_rows_} x {som.n_cols_} units, refitted on all the data: "
      f"quantization error {quantization_error(som, X):.3f}, topographic error "
      f"{topographic_error(som, X):.3f}, trustworthiness "
      f"{trustworthiness(som, X, n_neighbors=10):.3f}, continuity "
      f"{continuity(som, X, n_neighbors=10):.3f} (k = 10)")
row = som.grid_coordinates(X)[:, 1]
if np.corrcoef(row, position)[0, 1] < 0:  # the map's direction is arbitrary
    row = row.max() - row
fig = plt.figure(figsize=(10, 4.5), constrained_layout=True)
for i, (colour, title) in enumerate(
    [(position, "position along the S"), (row, "row of the best unit")]
):
    ax = fig.add_subplot(1, 2, i + 1, projection="3d")
    ax.scatter(*X.T, c=colour, cmap="viridis", s=8)
    ax.view_init(elev=10, azim=-70)
    ax.set_title(title)
plt.show()
