"""Stochastic optimisers over one flat parameter vector.

Every network keeps its weights as views into a single contiguous buffer, so one
update is a handful of in-place vector operations whatever the number of layers.
Learning-rate schedules are shared by both optimisers.
"""

import math

import numpy as np


class _Optimizer:
    """Learning-rate schedule common to SGD and Adam.

    ``constant`` keeps ``learning_rate_init``; ``invscaling`` sets
    η = η₀ / (t + 1)^power_t after each epoch, t the number of samples seen;
    ``adaptive`` divides η by 5 whenever training stops improving.
    """

    def __init__(self, n_params, dtype, learning_rate_init, schedule, power_t):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = schedule
        self.power_t = power_t
        self._scratch = np.empty(n_params, dtype=dtype)

    @property
    def size(self):
        return self._scratch.size

    @property
    def dtype(self):
        return self._scratch.dtype

    def iteration_ends(self, n_samples_seen):
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (
                (n_samples_seen + 1) ** self.power_t
            )

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
    """

    def __init__(self, n_params, dtype, learning_rate_init=0.1, schedule="constant",
                 power_t=0.5, momentum=0.9, nesterov=True):
        super().__init__(n_params, dtype, learning_rate_init, schedule, power_t)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros(n_params, dtype=dtype)

    def step(self, theta, grad):
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


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2014).

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − η √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε):

    the bias corrections folded into the step size, the efficient form of the
    paper's section 2, as scikit-learn's MLP updates.
    """

    def __init__(self, n_params, dtype, learning_rate_init=0.001, schedule="constant",
                 power_t=0.5, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(n_params, dtype, learning_rate_init, schedule, power_t)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moment = np.zeros(n_params, dtype=dtype)
        self.second_moment = np.zeros(n_params, dtype=dtype)

    def step(self, theta, grad):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        m, v, scratch = self.first_moment, self.second_moment, self._scratch
        # NumPy only: SciPy's BLAS is a second OpenBLAS with its own spinning
        # thread pool, which halves the speed of NumPy's products beside it.
        m *= b1
        m += np.multiply(grad, 1 - b1, out=scratch)
        v *= b2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - b2
        v += scratch
        step_size = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        theta -= scratch


def clip_grad_norm(grad, max_norm):
    """Scale ``grad`` in place so that its global L2 norm is at most ``max_norm``."""
    norm = np.sqrt(np.dot(grad, grad))
    if norm > max_norm:
        grad *= max_norm / norm
    return norm
