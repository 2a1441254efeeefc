"""
==========================================
Choosing a map for clustering: wine types
==========================================

178 wines of three cultivars, 13 chemical measurements each. A
self-organizing map with ``n_clusters=3`` groups them without seeing the
cultivars, and how well its groups match them depends on the map's size. This
example chooses the size on held-out data with the map-quality scorers of
:mod:`sknn_math.metrics`, shows why the estimator's own score cannot choose it,
and compares the result with k-means by the adjusted Rand index (ARI: 1 for the
cultivars exactly, 0 for chance). The cultivars serve only to judge the
results, never to choose.
"""

# %%
# Two references: k-means and the automatic map size
# --------------------------------------------------
# The measurements come in different units, so every model sees them
# standardised, in a pipeline. K-means with three clusters finds the cultivars
# well; a map of the automatic size (about 5·√n units, here 10 × 7) grouped
# into three clusters does worse.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_wine
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import SelfOrganizingMap, SOMDisplay
from sknn_math.metrics import SCORERS, get_scorer

X, y = load_wine(return_X_y=True)


def map_pipeline(**params):
    """Standardise, then a map whose units are grouped into three clusters."""
    return make_pipeline(
        StandardScaler(), SelfOrganizingMap(n_clusters=3, random_state=0, **params)
    )


kmeans = make_pipeline(StandardScaler(), KMeans(3, n_init=10, random_state=0))
automatic = map_pipeline().fit(X)
print(f"k-means: ARI {adjusted_rand_score(y, kmeans.fit_predict(X)):.2f}")
print(f"automatic {automatic[-1].n_rows_} x {automatic[-1].n_cols_} map: "
      f"ARI {adjusted_rand_score(y, automatic.predict(X)):.2f}")

# %%
# The default score always prefers the largest map
# ------------------------------------------------
# :class:`~sklearn.model_selection.GridSearchCV` without ``scoring`` ranks the
# candidates by the estimator's ``score``, minus the quantization error (QE)
# on the held-out fold. Every unit added puts a prototype closer to some
# samples, held-out ones included, and nothing in the QE counts the cost of a
# unit: on any data it falls as the map grows, so the search returns the
# largest candidate, whatever the data.
sides = [2, 3, 4, 5, 6, 7, 8, 10, 12]
param_grid = [
    {"selforganizingmap__n_rows": [side], "selforganizingmap__n_cols": [side]}
    for side in sides
]
cv = KFold(3, shuffle=True, random_state=0)
by_qe = GridSearchCV(map_pipeline(), param_grid, cv=cv).fit(X)
side = by_qe.best_params_["selforganizingmap__n_rows"]
print(f"chosen by -QE: {side} x {side}, the largest candidate")

# %%
# A score that weighs what the map shows
# --------------------------------------
# The map is also a picture of the data, and the measures of its order do not
# improve without end. Trustworthiness (here over each sample's 10 nearest
# neighbours) asks whether samples near on the map are near in the data: it
# rises while more units show more of the data's neighbourhoods, then levels
# off. The topographic error, the share of samples whose two best units are not
# grid neighbours, grows with the map. The ``refit`` callable below picks the
# smallest map whose held-out trustworthiness is within 0.01 of the best: the
# cheapest map that shows the neighbourhoods about as faithfully as any.
scoring = {
    "neg_quantization_error": SCORERS["neg_quantization_error"],
    "trustworthiness": get_scorer("trustworthiness", n_neighbors=10),
    "neg_topographic_error": SCORERS["neg_topographic_error"],
}


def smallest_trustworthy_map(cv_results, tolerance=0.01):
    """Index of the smallest map within ``tolerance`` of the most trustworthy."""
    trust = cv_results["mean_test_trustworthiness"]
    good = np.flatnonzero(trust >= trust.max() - tolerance)
    units = [p["selforganizingmap__n_rows"] * p["selforganizingmap__n_cols"]
             for p in cv_results["params"]]
    return good[np.argmin(np.take(units, good))]


search = GridSearchCV(map_pipeline(), param_grid, cv=cv, scoring=scoring,
                      refit=smallest_trustworthy_map).fit(X)
chosen = search.best_estimator_
print(f"chosen by trustworthiness: {chosen[-1].n_rows_} x {chosen[-1].n_cols_}")

results = search.cv_results_
n_units = np.square(sides)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharex=True,
                         constrained_layout=True)
for ax, (name, title) in zip(axes, [
    ("neg_quantization_error", "-QE: always the largest"),
    ("trustworthiness", "trustworthiness (k = 10)"),
    ("neg_topographic_error", "-topographic error"),
], strict=True):
    ax.errorbar(n_units, results[f"mean_test_{name}"],
                yerr=results[f"std_test_{name}"], marker="o", capsize=2)
    ax.axvline(n_units[search.best_index_], color="tab:green", linestyle="--",
               label="chosen by trustworthiness")
    ax.axvline(n_units[by_qe.best_index_], color="tab:red", linestyle=":",
               label="chosen by -QE")
    ax.set(xscale="log", xlabel="units", title=title)
axes[0].legend(fontsize=8)
fig.suptitle("held-out scores of square maps (greater is better)")
plt.show()

# %%
# The clusters of the chosen map
# ------------------------------
# The chosen map, grouped into three clusters, finds the cultivars as well as
# k-means does; the largest map and the automatic size do worse.
for name, model in [("chosen", chosen), ("largest (-QE)", by_qe.best_estimator_),
                    ("automatic size", automatic)]:
    print(f"{name}: ARI {adjusted_rand_score(y, model.predict(X)):.2f}")

# %%
# The clusters are a second step, Ward linkage over the prototypes of
# neighbouring units, and their match to the cultivars moves with the map's
# size more than the map-quality scores do: the 6 × 6 map is nearly as
# trustworthy as the 5 × 5 one, its groups much worse. The cultivars show it
# below (left, blue), but a real use would not have them. What it has is the
# clusters of other sizes: the ARI between two label vectors needs no truth,
# and a size whose clusters its neighbouring sizes do not share (orange: their
# mean agreement) deserves suspicion before its clusters are trusted.
labels = [map_pipeline(n_rows=side, n_cols=side).fit(X).predict(X)
          for side in sides]
truth = [adjusted_rand_score(y, found) for found in labels]
agreement = [
    np.mean([adjusted_rand_score(labels[i], labels[j])
             for j in (i - 1, i + 1) if 0 <= j < len(sides)])
    for i in range(len(sides))
]
fig, (ax_ari, ax_map) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
ax_ari.plot(n_units, truth, marker="o", label="against the cultivars")
ax_ari.plot(n_units, agreement, marker="s", label="with the neighbouring sizes")
ax_ari.axhline(adjusted_rand_score(y, kmeans.predict(X)), color="k", linestyle=":",
               label="k-means, against the cultivars")
ax_ari.axvline(n_units[search.best_index_], color="tab:green", linestyle="--",
               label="chosen")
ax_ari.set(xscale="log", xlabel="units", ylabel="adjusted Rand index",
           ylim=(0, 1), title="the three clusters of each map")
ax_ari.legend(loc="lower right", fontsize=8)
SOMDisplay.from_estimator(chosen, "clusters", X=X, y=y, ax=ax_map,
                          label_colors=dict.fromkeys(range(3), "k"),
                          title="chosen map: clusters, and the cultivar each "
                                "unit wins most")
plt.show()
