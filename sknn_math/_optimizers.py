"""Stochastic optimisers over one flat parameter vector.

Every network keeps its weights as views into a single contiguous buffer, so one
update is a handful of in-place vector operations whatever the number of layers.
Learning-rate schedules are shared by both optimisers, and so is the proximal
step of an L1 penalty (``shrink_l1``): after the gradient step, soft thresholding

.. math::

    w_j \\leftarrow \\operatorname{sign}(w_j)\\,\\max(|w_j| - τ_j λ_1, 0)

with λ₁ the batch's L1 strength and τ_j the optimiser's step size along
coordinate j, which puts weights at exactly zero where a subgradient would make
them oscillate around it. τ_j is the step a steady gradient g_j is taken with,
Δw_j = −τ_j g_j: then a fixed point of step and shrinkage satisfies
0 ∈ g_j + λ₁ ∂|w_j|, the optimality condition of the penalised objective.

On NumPy arrays a step updates θ (and the moments) in place with a few vector
operations into a scratch buffer; on the arrays of another namespace (array API
dispatch) it computes the same formulas with array API calls and returns the
new θ. Callers always use the returned θ (for NumPy, θ itself).
"""

import math

import numpy as np

from ._array_api import namespace_of_array, xp_of


class _Optimizer:
    """Learning-rate schedule common to SGD and Adam.

    ``constant`` keeps ``learning_rate_init``; ``invscaling`` sets
    η = η₀ / (t + 1)^power_t after each epoch, t the number of samples seen;
    ``adaptive`` divides η by 5 whenever training stops improving.
    """

    def __init__(self, n_params, dtype, learning_rate_init, schedule, power_t,
                 like=None):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = schedule
        self.power_t = power_t
        # the state lives where θ does: ``like`` is an array of θ's namespace
        # and device (None: NumPy), and ``dtype`` a dtype of that namespace
        self._scratch = namespace_of_array(like).empty(n_params, dtype)

    def _zeros(self):
        """Zeros of θ's size, dtype, namespace and device (a moment's start)."""
        scratch = self._scratch
        if isinstance(scratch, np.ndarray):
            return np.zeros_like(scratch)
        return xp_of(scratch).zeros_like(scratch)

    @property
    def size(self):
        return self._scratch.shape[0]

    @property
    def dtype(self):
        return self._scratch.dtype

    def iteration_ends(self, n_samples_seen):
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (
                (n_samples_seen + 1) ** self.power_t
            )

    def _soft_threshold(self, weights, threshold):
        """w ← sign(w) · max(|w| − threshold, 0), in place; ``threshold`` a scalar
        or one value per weight. Returns the weights."""
        if not isinstance(weights, np.ndarray):
            xp = xp_of(weights)
            return xp.sign(weights) * xp.clip(xp.abs(weights) - threshold, min=0)
        shrunk = self._scratch[:weights.size]
        np.abs(weights, out=shrunk)
        shrunk -= threshold
        np.maximum(shrunk, 0, out=shrunk)
        return np.copysign(shrunk, weights, out=weights)

    def trigger_stopping(self, verbose):
        """Return True when training should stop after a plateau."""
        if self.schedule != "adaptive":
            return True
        if self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(f"Setting learning rate to {self.learning_rate:f}")
        return False


class SGD(_Optimizer):
    """Gradient descent with (Nesterov) momentum.

    v ← μ v − η g;  θ ← θ + v, or θ ← θ + μ v − η g with Nesterov's momentum.

    The proximal step of an L1 penalty λ₁ thresholds by τ λ₁ with τ = η / (1 − μ),
    the step a steady gradient is taken with once the velocity has built up
    (v → −η g / (1 − μ), with or without Nesterov): with τ = η a fixed point
    would solve the problem whose L1 strength is (1 − μ) λ₁, ten times too weak
    at μ = 0.9. μ = 1, whose velocity never settles, uses τ = η.
    """

    def __init__(self, n_params, dtype, learning_rate_init=0.1, schedule="constant",
                 power_t=0.5, momentum=0.9, nesterov=True, like=None):
        super().__init__(n_params, dtype, learning_rate_init, schedule, power_t,
                         like)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = self._zeros()

    def step(self, theta, grad):
        """One update of θ by the gradient ``grad``; returns θ."""
        if not isinstance(theta, np.ndarray):
            eta_grad = grad * self.learning_rate
            self.velocity = self.velocity * self.momentum - eta_grad
            if self.nesterov:
                return theta - eta_grad + self.velocity * self.momentum
            return theta + self.velocity
        eta_grad = np.multiply(grad, self.learning_rate, out=self._scratch)
        velocity = self.velocity
        velocity *= self.momentum
        velocity -= eta_grad
        if self.nesterov:
            theta -= eta_grad
            eta_grad = np.multiply(velocity, self.momentum, out=self._scratch)
            theta += eta_grad
        else:
            theta += velocity
        return theta

    def shrink_l1(self, weights, l1):
        """The proximal step of the L1 penalty ``l1`` · ‖w‖₁ on ``weights`` (the
        leading slice of θ) after a step: soft thresholding by τ · ``l1``.
        Returns the weights."""
        steady = 1 - self.momentum if self.momentum < 1 else 1.0
        return self._soft_threshold(weights, self.learning_rate / steady * l1)


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2014).

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − η √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε):

    the bias corrections folded into the step size, the efficient form at the
    end of the paper's section 2, as scikit-learn's MLP updates. ε is added to
    √v, the uncorrected second moment. In terms of the corrected moments
    m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) the step is η m̂ / (√v̂ + ε/√(1 − β₂ᵗ)):
    the paper's "ε̂" form, whose stability term is ε/√(1 − β₂ᵗ), about 31.6 ε at
    t = 1 with β₂ = 0.999, falling to ε as t grows. ``torch.optim.Adam`` (and the
    paper's Algorithm 1) add ε to √v̂ instead, η m̂ / (√v̂ + ε): the two agree
    wherever √v̂ ≫ ε/√(1 − β₂ᵗ), and differ when the gradients are of the order
    of ε, early in training.

    The proximal step of an L1 penalty λ₁ uses this step's per-coordinate
    learning rate, τ_j = η √(1 − β₂ᵗ)/(1 − β₁ᵗ) / (√v_j + ε): the scaled
    proximal step, so each weight is shrunk in the geometry it was just moved in.
    """

    def __init__(self, n_params, dtype, learning_rate_init=0.001, schedule="constant",
                 power_t=0.5, beta_1=0.9, beta_2=0.999, epsilon=1e-8, like=None):
        super().__init__(n_params, dtype, learning_rate_init, schedule, power_t,
                         like)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moment = self._zeros()
        self.second_moment = self._zeros()
        self._step_size = 0.0  # of the last step, for the L1 proximal step
        self._threshold = None  # its per-weight thresholds, made on first use

    def step(self, theta, grad):
        """One update of θ by the gradient ``grad``; returns θ."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        step_size = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self._step_size = step_size
        if not isinstance(theta, np.ndarray):
            xp = xp_of(theta)
            self.first_moment = self.first_moment * b1 + grad * (1 - b1)
            self.second_moment = self.second_moment * b2 + grad * grad * (1 - b2)
            return theta - self.first_moment / (
                xp.sqrt(self.second_moment) + self.epsilon) * step_size
        m, v, scratch = self.first_moment, self.second_moment, self._scratch
        # NumPy only: SciPy's BLAS is a second OpenBLAS with its own spinning
        # thread pool, which halves the speed of NumPy's products beside it.
        m *= b1
        m += np.multiply(grad, 1 - b1, out=scratch)
        v *= b2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - b2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        theta -= scratch
        return theta

    def shrink_l1(self, weights, l1):
        """The proximal step of the L1 penalty ``l1`` · ‖w‖₁ on ``weights`` (the
        leading slice of θ) after a step: soft thresholding by
        τ_j · ``l1``, τ_j the step size the last update gave coordinate j.
        Returns the weights."""
        if not isinstance(weights, np.ndarray):
            xp = xp_of(weights)
            v = self.second_moment[:weights.shape[0]]
            return self._soft_threshold(
                weights, self._step_size * l1 / (xp.sqrt(v) + self.epsilon))
        n = weights.size
        threshold = getattr(self, "_threshold", None)  # absent in older pickles
        if threshold is None or threshold.size != n:
            threshold = self._threshold = np.empty(n, dtype=self.dtype)
        np.sqrt(self.second_moment[:n], out=threshold)
        threshold += self.epsilon
        np.divide(self._step_size * l1, threshold, out=threshold)
        return self._soft_threshold(weights, threshold)


def clip_grad_norm(grad, max_norm):
    """``grad`` scaled so that its global L2 norm is at most ``max_norm``: in
    place for NumPy; returns the gradient.

    On another namespace the scale is min(1, max_norm / ‖g‖) computed on the
    device, with no test of ‖g‖ on the host (which would wait for the device).
    """
    if not isinstance(grad, np.ndarray):
        xp = xp_of(grad)
        norm = xp.sqrt(xp.vecdot(grad, grad))
        return grad * xp.where(norm > max_norm, max_norm / norm, 1.0)
    norm = np.sqrt(np.dot(grad, grad))
    if norm > max_norm:
        grad *= max_norm / norm
    return grad
