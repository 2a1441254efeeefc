"""
===========================================
A self-organizing map of handwritten digits
===========================================

scikit-learn's 1,797 handwritten digits are 8×8 images, vectors of 64 grey
levels. A self-organizing map trained on them without the labels lays them out
on a grid, similar images on nearby units. The labels, written on the map after
training, show that it found the ten digits by itself; the U-matrix shows the
borders between them; ``n_clusters`` turns the map into ten clusters.
"""

# %%
# Training
# --------
# A hexagonal map of 14 by 18 units, batch rule, 15 epochs.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score

from sknn_math import SelfOrganizingMap, SOMDisplay

digits = load_digits()
X, y = digits.data, digits.target
som = SelfOrganizingMap(14, 18, topology="hexagonal", max_iter=15, n_clusters=10,
                        random_state=0).fit(X)
print(f"quantization error {som.quantization_error_:.2f} "
      f"(two random images are about 48 apart)")
print(f"topographic error {som.topographic_error_:.3f}")

# %%
# Labels on the U-matrix
# ----------------------
# Each unit shows the digit it wins most often; the background is the U-matrix,
# light inside a region of similar images and dark along the borders between
# them. The digits occupy contiguous regions separated by dark ridges. Neighbouring
# regions are digits that look alike: 3, 5 and 9 share strokes, as do 1, 7
# and 4.
fig, ax = plt.subplots(figsize=(9, 6.5), constrained_layout=True)
SOMDisplay.from_estimator(som, "umatrix", X=X, y=y, ax=ax,
                          title="U-matrix, with the digit each unit wins most")
plt.show()

# %%
# Prototypes as images
# --------------------
# Every unit's prototype is itself an 8×8 image: the map is a smooth atlas of
# handwriting, each digit morphing into its neighbours.
fig, axes = plt.subplots(som.n_rows_, som.n_cols_, figsize=(9, 7))
for unit, ax in enumerate(axes.ravel()):
    ax.imshow(som.codebook_[unit].reshape(8, 8), cmap="gray_r")
    ax.axis("off")
fig.suptitle("the prototypes (hexagonal rows drawn as a rectangle)")
plt.show()

# %%
# Hits and ten clusters
# ---------------------
# The hit map counts the images each unit wins; empty units (white) sit on
# the borders, interpolating between clusters. With ``n_clusters=10`` the units
# are grouped by Ward linkage restricted to grid neighbours, so every cluster is
# a connected region of the map; ``labels_`` gives each image its region. The
# adjusted Rand index compares them with the true digits (1 is perfect, 0 is
# chance) without using the labels in training.
print(f"adjusted Rand index of the 10 clusters: "
      f"{adjusted_rand_score(y, som.labels_):.2f}")
print("images per cluster:", np.bincount(som.labels_))
fig, axes = plt.subplots(1, 2, figsize=(13, 4.6), constrained_layout=True)
SOMDisplay.from_estimator(som, "hits", ax=axes[0])
SOMDisplay.from_estimator(som, "clusters", X=X, y=y, ax=axes[1],
                          label_colors=dict.fromkeys(range(10), "k"))
plt.show()
