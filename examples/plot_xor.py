"""
=======================================================================
XOR with a hidden layer: accuracy, decision boundary and loss per epoch
=======================================================================

No straight line separates XOR (see
:ref:`sphx_glr_auto_examples_plot_single_layer_net.py`). One hidden layer of
three sigmoid units does: the network of the texts is 2-3-2, inputs
:math:`X \\in \\mathbb{R}^{n \\times 2}`, :math:`W_1 \\in \\mathbb{R}^{2 \\times 3}`,
:math:`W_2 \\in \\mathbb{R}^{3 \\times 2}`,

.. math::

    h = σ(X W_1 + b_1), \\qquad \\hat y = \\mathrm{softmax}(h W_2 + b_2),

trained by backpropagation: the output layer's error :math:`δ_2 = \\hat y - y`
gives :math:`∂J/∂W_2 = h^T δ_2`, and the same :math:`δ_2` carried back through
:math:`W_2` gives the hidden layer's, :math:`δ_1 = (δ_2 W_2^T) ⊙ h (1 - h)`.

This example follows training epoch by epoch (accuracy, boundary, loss), then
compares 3 hidden units with 50.
"""

# %%
# Four noisy clouds
# -----------------
# Fifty points around each corner of the unit square, labelled by XOR of the
# corner's coordinates.
import copy
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from sknn_math import LossCurveDisplay, SigmoidMLPClassifier

rng = np.random.RandomState(0)
corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
X = np.repeat(corners, 50, axis=0) + rng.normal(scale=0.15, size=(200, 2))
y = np.repeat([0, 1, 1, 0], 50)

# %%
# The 2-3-2 network, literally
# ----------------------------
# scikit-learn's convention, which :class:`~sknn_math.SigmoidMLPClassifier`
# follows, gives a binary problem a single logistic output unit: 2-3-1. Passing
# one-hot targets instead builds the texts' 2-3-2 network with two outputs; both
# learn XOR. Full-batch L-BFGS does it in a few dozen iterations.
Y_onehot = np.eye(2)[y]
net = SigmoidMLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
                           random_state=1).fit(X, Y_onehot)
print("weight shapes:", [W.shape for W in net.coefs_])
print(f"accuracy: {net.score(X, Y_onehot):.3f} after {net.n_iter_} iterations")

# %%
# Training epoch by epoch
# -----------------------
# Plain stochastic gradient descent with momentum, one ``partial_fit`` call per
# epoch, keeps a record of the accuracy and a copy of the network at a few
# epochs.
clf = SigmoidMLPClassifier(hidden_layer_sizes=(3,), solver="sgd",
                           learning_rate_init=0.1, batch_size=20, random_state=0)
snapshot_epochs = [1, 100, 140, 250]
accuracy, snapshots = [], {}
for epoch in range(1, 251):
    clf.partial_fit(X, y, classes=[0, 1])
    accuracy.append(clf.score(X, y))
    if epoch in snapshot_epochs:
        snapshots[epoch] = copy.deepcopy(clf)
print(f"accuracy after 250 epochs: {accuracy[-1]:.3f}")
print("prediction at the four corners:", clf.predict(corners))

# %%
# For a hundred epochs the network sits at chance: the boundary is close to a
# straight line, which can do no better on XOR. Then the hidden units
# specialise, the loss drops and the accuracy climbs to nearly one in a few
# dozen epochs. The boundary bends into a band that puts the two red corners on
# one side and the two blue corners on the other.
fig = plt.figure(figsize=(12, 6.5), constrained_layout=True)
grid = fig.add_gridspec(2, len(snapshot_epochs))
for i, epoch in enumerate(snapshot_epochs):
    ax = fig.add_subplot(grid[0, i])
    DecisionBoundaryDisplay.from_estimator(
        snapshots[epoch], X, response_method="predict_proba", cmap="RdBu_r",
        alpha=0.6, ax=ax, vmin=0, vmax=1, grid_resolution=80,
    )
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=12)
    ax.set_title(f"epoch {epoch}: accuracy {accuracy[epoch - 1]:.2f}")
    ax.set_xlabel("")
    ax.set_ylabel("")
ax_acc = fig.add_subplot(grid[1, :2])
ax_acc.plot(np.arange(1, len(accuracy) + 1), accuracy)
for epoch in snapshot_epochs:
    ax_acc.axvline(epoch, color="0.8", zorder=0)
ax_acc.set(xlabel="epoch", ylabel="training accuracy", ylim=(0, 1.05),
           title="accuracy per epoch")
LossCurveDisplay.from_estimator(clf, ax=fig.add_subplot(grid[1, 2:]),
                                name="2-3-1 network, SGD")
plt.show()

# %%
# 3 hidden units against 50
# -------------------------
# The same training with 50 hidden units. More units give more ways to bend the
# boundary, so the wide network leaves its plateau sooner and reaches a lower
# loss; its boundary hugs the clouds more tightly.
wide = clone(clf).set_params(hidden_layer_sizes=(50,), max_iter=250,
                             n_iter_no_change=250)
with warnings.catch_warnings():
    # a fixed budget of epochs, as above: not converging is expected
    warnings.simplefilter("ignore", ConvergenceWarning)
    wide.fit(X, y)
for name, model in [("3 hidden units", clf), ("50 hidden units", wide)]:
    print(f"{name}: accuracy {model.score(X, y):.3f}, final loss {model.loss_:.4f}")

fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
for ax, (name, model) in zip(axes, [("3 hidden units", clf),
                                    ("50 hidden units", wide)], strict=False):
    DecisionBoundaryDisplay.from_estimator(
        model, X, response_method="predict_proba", cmap="RdBu_r", alpha=0.6,
        ax=ax, vmin=0, vmax=1, grid_resolution=80,
    )
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=12)
    ax.set_title(f"{name}: accuracy {model.score(X, y):.3f}")
    LossCurveDisplay.from_estimator(model, ax=axes[2], log_scale=True, label=name)
axes[2].set_title("loss per epoch")
axes[2].legend()
plt.show()

# %%
# The wide network trained gently here. With a large step and no momentum its
# loss jumps late in training, the exploding-gradient failure of the texts:
# :ref:`sphx_glr_auto_examples_plot_exploding_gradients.py` shows it and each
# cure.
