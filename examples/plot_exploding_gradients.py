"""
=====================================================
Exploding gradients: the late loss jump and its cures
=====================================================

A wide network trained with a large step can learn well and then, late in
training, see its loss jump: one mini-batch produces a gradient so large that
the step throws the weights far from the valley they had found. The texts meet
this with 50 hidden units on XOR and name the cures: a smaller learning rate, a
learning-rate schedule that decays, stronger regularisation, or L1 instead of
L2. :class:`~sknn_math.SigmoidMLPClassifier` has each of them as a parameter,
plus gradient clipping (``max_grad_norm``), which bounds the step directly:

.. math::

    g \\leftarrow g \\cdot \\min\\Big(1, \\frac{\\mathtt{max\\_grad\\_norm}}{‖g‖_2}\\Big).

This example reproduces the jump and puts every cure side by side.
"""

# %%
# The setting
# -----------
# XOR of the signs of two uniform coordinates, 50 hidden sigmoid units, plain
# SGD (no momentum) with mini-batches of 20 and a step of 10, for 600 epochs with
# early stopping switched off so every curve has the same length.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn_math import SigmoidMLPClassifier

rng = np.random.RandomState(0)
X = rng.uniform(-1, 1, size=(200, 2))
y = (X[:, 0] * X[:, 1] > 0).astype(int)

jumpy = dict(hidden_layer_sizes=(50,), solver="sgd", momentum=0.0, batch_size=20,
             learning_rate_init=10.0, max_iter=600, n_iter_no_change=10**9,
             random_state=0)


def worst_late_jump(loss_curve, skip=50):
    """Largest ratio of an epoch's loss to the best loss before it, after `skip`."""
    curve = np.asarray(loss_curve)
    return (curve / np.minimum.accumulate(curve))[skip:].max()


# %%
# The jump, and each cure
# -----------------------
# Each cure changes one or two parameters of the jumpy network and keeps the
# rest. L2 (``alpha``) and L1 (``l1_ratio=1``) regularisation are shown at the
# weakest strength that removes the jump in this setting.
cures = {
    "no cure: step 10": {},
    "smaller step: 1.0": {"learning_rate_init": 1.0},
    "decaying schedule: invscaling": {"learning_rate": "invscaling",
                                      "power_t": 0.25},
    "stronger L2: alpha=5e-3": {"alpha": 5e-3},
    "L1: alpha=1e-3, l1_ratio=1": {"alpha": 1e-3, "l1_ratio": 1.0},
    "gradient clipping: 0.05": {"max_grad_norm": 0.05},
}
models = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget
    for name, cure in cures.items():
        models[name] = SigmoidMLPClassifier(**{**jumpy, **cure}).fit(X, y)

print(f"{'':32s} accuracy  best loss  final loss  worst late jump")
for name, model in models.items():
    curve = model.loss_curve_
    print(f"{name:32s} {model.score(X, y):8.3f}  {min(curve):9.4f}  {curve[-1]:10.4f}"
          f"  {worst_late_jump(curve):9.1f}x")

# %%
# The uncured network first learns: by epoch 150 its loss is down to a few
# hundredths. From then on it does not settle. Every few epochs one mini-batch
# yields a gradient large enough that the step of 10 throws the weights out of
# the valley, and the loss jumps back up, the worst time tenfold, hundreds of
# epochs into training.
curve = np.asarray(models["no cure: step 10"].loss_curve_)
ratio = curve / np.minimum.accumulate(curve)
worst = 50 + int(np.argmax(ratio[50:]))
fig, ax = plt.subplots(figsize=(8, 3.5), constrained_layout=True)
ax.plot(np.arange(1, curve.size + 1), curve, color="tab:red", lw=1)
ax.annotate(f"epoch {worst + 1}: loss ×{ratio[worst]:.0f}\nover the best so far",
            xy=(worst + 1, curve[worst]), xytext=(worst - 220, curve[worst] * 1.5),
            arrowprops={"arrowstyle": "->"})
ax.set(xlabel="epoch", ylabel="loss", yscale="log",
       title="50 hidden units, step 10: the late loss jumps")
plt.show()

# %%
# Side by side, on the same axes as the uncured curve (grey). A smaller step
# removes the jump and keeps the accuracy. Gradient clipping tames it (at worst
# twice the best loss so far, against eleven times) and reaches the lowest loss
# of all, because it keeps the large step wherever the gradient is small. The decaying schedule never jumps, but
# its step shrinks before the network has fitted the corners, so it stops at a
# higher loss.
#
# Regularisation is the honest exception. The curves show the penalised
# objective. Weak penalties (``alpha`` up to about ``2e-3`` for L2, ``5e-4`` for
# L1 here) shrink the weights but do not stop the jump; the strengths drawn
# here stop it only by holding the weights so small that the network underfits
# (accuracy about 0.85). Against exploding gradients regularisation is a blunt
# tool: the step size and clipping address the cause.
fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True, sharey=True,
                         constrained_layout=True)
baseline = models["no cure: step 10"].loss_curve_
for ax, (name, model) in zip(axes.ravel(), models.items(), strict=False):
    if name != "no cure: step 10":
        ax.plot(baseline, color="0.75", lw=1, label="no cure")
    ax.plot(model.loss_curve_, color="tab:red" if not cures[name] else "tab:blue",
            lw=1.2, label=name.split(":")[0])
    jump = worst_late_jump(model.loss_curve_)
    ax.set_title(f"{name}\naccuracy {model.score(X, y):.3f}, worst jump {jump:.1f}x",
                 fontsize=10)
    ax.set_yscale("log")
    ax.legend(loc="upper right", fontsize=8)
for ax in axes[1]:
    ax.set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("loss")
plt.show()
