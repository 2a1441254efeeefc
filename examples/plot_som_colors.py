"""
================================
A self-organizing map of colours
================================

The classic picture of Kohonen's map: train a grid of units on random RGB
colours and draw each unit in the colour of its prototype. Nothing tells the map
what a colour is, yet similar colours settle on nearby units and the map shows
smooth regions of reds, greens, blues and their mixtures. Here
:class:`~sknn_math.SelfOrganizingMap` learns the picture with the batch rule and
with Kohonen's online rule, and :class:`~sknn_math.SOMDisplay` draws it.
"""

# %%
# Training data: random colours
# -----------------------------
# 1,000 colours drawn uniformly from the RGB cube, each a vector of three
# numbers in [0, 1].
import time

import matplotlib.pyplot as plt
import numpy as np

from sknn_math import ComponentPlanesDisplay, SelfOrganizingMap, SOMDisplay

rng = np.random.RandomState(0)
colors = rng.uniform(0, 1, size=(1000, 3))

# %%
# Batch and online training
# -------------------------
# A hexagonal map of 20 by 30 units. The batch rule sets every prototype, once
# per epoch, to the neighbourhood-weighted mean of the colours; the online rule
# pulls the winner and its neighbours towards one colour at a time. Both shrink
# the neighbourhood radius from half the map to one unit.
maps = {}
for algorithm in ("batch", "online"):
    som = SelfOrganizingMap(20, 30, topology="hexagonal", algorithm=algorithm,
                            max_iter=20 if algorithm == "batch" else 10,
                            random_state=0)
    start = time.perf_counter()
    som.fit(colors)
    maps[algorithm] = som
    print(f"{algorithm:6s}: {time.perf_counter() - start:.2f} s, quantization error "
          f"{som.quantization_error_:.3f}, topographic error "
          f"{som.topographic_error_:.3f}")

# %%
# Each hexagon is a unit, painted in its prototype's colour (``kind='codebook'``).
# Colours change smoothly across the map: the topology of the colour cube is
# kept. The two rules reach maps of similar quality; the batch rule is
# deterministic and needs no learning rate.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True)
for ax, (algorithm, som) in zip(axes, maps.items(), strict=False):
    SOMDisplay.from_estimator(som, "codebook", ax=ax, edgecolor="face",
                              title=f"{algorithm} rule")
plt.show()

# %%
# Where the named colours land
# ----------------------------
# Passing samples ``X`` and labels ``y`` writes on each unit the label of the
# samples it wins. Pure colours sit on the map's edges and corners; their
# mixtures in between, next to their ingredients (orange between red and yellow,
# teal between blue and green, grey in the middle).
named = {
    "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1),
    "yellow": (1, 1, 0), "cyan": (0, 1, 1), "magenta": (1, 0, 1),
    "white": (1, 1, 1), "black": (0, 0, 0), "grey": (0.5, 0.5, 0.5),
    "orange": (1, 0.5, 0), "purple": (0.5, 0, 0.5), "teal": (0, 0.5, 0.5),
}
X_named = np.array(list(named.values()), dtype=float)
som = maps["batch"]
fig, ax = plt.subplots(figsize=(7, 4.4), constrained_layout=True)
display = SOMDisplay.from_estimator(
    som, "codebook", X=X_named, y=list(named), ax=ax, edgecolor="face",
    label_colors=dict.fromkeys(named, "k"), fontsize=9,
    title="named colours on the map",
)
for text in display.texts_:
    text.set_bbox({"facecolor": "white", "alpha": 0.7, "pad": 1, "lw": 0})
plt.show()

# %%
# The U-matrix is the mean distance of each prototype to its neighbours. Uniform
# colours form no clusters, and the U-matrix agrees: no wall of high values
# splits the map, only scattered darker seams where the map folds the
# three-dimensional cube onto two dimensions. Compare the digits in
# :ref:`sphx_glr_auto_examples_plot_som_digits.py`, which do form clusters.
fig, ax = plt.subplots(figsize=(7, 4.4), constrained_layout=True)
SOMDisplay.from_estimator(som, "umatrix", ax=ax)
plt.show()

# %%
# Component planes
# ----------------
# One map per input feature, each unit coloured by its prototype's value of that
# feature: here the red, green and blue channels. Each channel rises smoothly
# from one side of the map to the other, in a different direction, which is how
# three independent features share two dimensions.
display = ComponentPlanesDisplay.from_estimator(som, n_cols=3, cmap="magma")
for plane, channel in zip(display.displays_, ["red", "green", "blue"], strict=False):
    plane.ax_.set_title(f"{channel} channel")
plt.show()
