"""
============================================================
The single-layer sigmoid network: a line, and where it fails
============================================================

With no hidden layer, :class:`~sknn_math.SigmoidMLPClassifier` is the first
network of the texts: multiply the inputs by a weight vector, add a bias and
squash with the sigmoid,

.. math::

    p(y = 1 \\mid x) = σ(x W + b), \\qquad σ(z) = \\frac{1}{1 + e^{-z}}.

Trained by gradient descent on the log loss, it learns any mapping that a
straight line separates, and nothing else: its decision boundary is the line
:math:`x W + b = 0`. This example trains it on a separable problem and then on
XOR, which no line separates.
"""

# %%
# A separable problem
# -------------------
# Two clouds of points, one on each side of the line :math:`x_0 + 2 x_1 = 0`.
# ``hidden_layer_sizes=()`` asks for no hidden layer at all.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.inspection import DecisionBoundaryDisplay

from sknn_math import LossCurveDisplay, SigmoidMLPClassifier

rng = np.random.RandomState(0)
X = rng.normal(size=(200, 2))
y = (X[:, 0] + 2 * X[:, 1] > 0).astype(int)

clf = SigmoidMLPClassifier(hidden_layer_sizes=(), learning_rate_init=0.3,
                           max_iter=300, random_state=0).fit(X, y)
W, b = clf.coefs_[0].ravel(), clf.intercepts_[0][0]
print(f"training accuracy: {clf.score(X, y):.3f}")
print(f"learned boundary: {W[0]:+.2f}·x0 {W[1]:+.2f}·x1 {b:+.2f} = 0")
print(f"ratio of the weights: {W[1] / W[0]:.2f} (the true line has 2)")

# %%
# The whole model is one weight vector and a bias: ``coefs_[0]`` has shape
# ``(2, 1)``. The decision boundary drawn by scikit-learn's
# :class:`~sklearn.inspection.DecisionBoundaryDisplay` is exactly the line
# :math:`x W + b = 0`, dashed below; the loss falls steadily as gradient
# descent turns the line into place.
fig, (ax_boundary, ax_loss) = plt.subplots(1, 2, figsize=(10, 4),
                                           constrained_layout=True)
DecisionBoundaryDisplay.from_estimator(
    clf, X, response_method="predict_proba", cmap="RdBu_r", alpha=0.6,
    ax=ax_boundary, vmin=0, vmax=1,
)
ax_boundary.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=20)
x0 = np.array(ax_boundary.get_xlim())
ax_boundary.plot(x0, -(W[0] * x0 + b) / W[1], "k--", lw=1.5, label="x W + b = 0")
ax_boundary.set_ylim(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5)
ax_boundary.legend(loc="lower left")
ax_boundary.set_title("single-layer net: a straight boundary")
LossCurveDisplay.from_estimator(clf, ax=ax_loss, name="single-layer net")
plt.show()

# %%
# XOR: where a line cannot go
# ---------------------------
# XOR labels :math:`(0, 0)` and :math:`(1, 1)` with 0, :math:`(0, 1)` and
# :math:`(1, 0)` with 1. Any line leaves at least one of the four points on the
# wrong side, so no line gets more than three of the four points right, however
# long it trains. Worse, for the log loss the best line is no line at all: tilting
# it gains on two points and loses more on the other two, so gradient descent
# shrinks the weights towards zero.
X_xor = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y_xor = np.array([0, 1, 1, 0])
xor = SigmoidMLPClassifier((), learning_rate_init=0.1, max_iter=500,
                           random_state=0).fit(X_xor, y_xor)
print("weights:", xor.coefs_[0].ravel().round(3), "bias:", xor.intercepts_[0].round(3))
print(f"XOR accuracy of the single-layer net: {xor.score(X_xor, y_xor):.2f}")
print("predicted probabilities of class 1:", xor.predict_proba(X_xor)[:, 1].round(2))

# %%
# Every probability sits near one half and the accuracy is a coin toss: the
# flat background below is the network saying "I cannot tell". The
# next example, :ref:`sphx_glr_auto_examples_plot_xor.py`, adds a hidden layer.
fig, ax = plt.subplots(figsize=(4.5, 4), constrained_layout=True)
DecisionBoundaryDisplay.from_estimator(
    xor, X_xor, response_method="predict_proba", cmap="RdBu_r", alpha=0.6, ax=ax,
    vmin=0, vmax=1, grid_resolution=200, eps=0.5,
)
ax.scatter(X_xor[:, 0], X_xor[:, 1], c=y_xor, cmap="RdBu_r", edgecolor="k", s=120)
ax.set_title(f"XOR, single layer: accuracy {xor.score(X_xor, y_xor):.2f}")
plt.show()
