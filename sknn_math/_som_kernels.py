"""Neighbourhood kernels and schedule decays of the self-organizing map.

Each is a small function in a registry keyed by the public option string:
``NEIGHBORHOODS[neighborhood](dist, sigma)`` and
``DECAYS[decay](start, end, frac)``.
"""

import numpy as np

__all__ = [
    "DECAYS",
    "NEIGHBORHOODS",
    "NON_NEGATIVE_NEIGHBORHOODS",
    "schedule_fraction",
]

# --------------------------------------------------------------------------------
# Neighbourhood kernels h(d; sigma) of the grid distance d between two units.
# --------------------------------------------------------------------------------


def gaussian(dist, sigma):
    """Gaussian neighbourhood, ``exp(-d² / (2 σ²))``."""
    # In place on one temporary: the batch rule evaluates it on the whole
    # (n_units, n_units) matrix every epoch.
    h = np.square(dist) * (-0.5 / (sigma * sigma))
    return np.exp(h, out=h) if np.ndim(h) else np.exp(h)


def bubble(dist, sigma):
    """Bubble neighbourhood: 1 within radius ``σ`` of the winner, 0 beyond."""
    return np.asarray(np.less_equal(dist, sigma), dtype=np.float64)


def mexican_hat(dist, sigma):
    """Mexican hat (Ricker wavelet), ``(1 − d²/σ²) · exp(−d² / (2 σ²))``.

    Negative beyond ``σ``: far units are pushed away from the sample.
    """
    r2 = np.square(dist) / (sigma * sigma)
    return (1.0 - r2) * np.exp(-0.5 * r2)


def triangle(dist, sigma):
    """Triangular (cone) neighbourhood, ``max(0, 1 − d/σ)``."""
    return np.maximum(1.0 - dist / sigma, 0.0)


NEIGHBORHOODS = {
    "gaussian": gaussian,
    "bubble": bubble,
    "mexican_hat": mexican_hat,
    "triangle": triangle,
}

# Kernels that are never negative; the batch update divides by Σ_j h(j,k) n_j,
# which only these keep non-negative.
NON_NEGATIVE_NEIGHBORHOODS = {"gaussian", "bubble", "triangle"}


# --------------------------------------------------------------------------------
# Decays: the value of a schedule at fraction ``frac`` in [0, 1] of training.
# --------------------------------------------------------------------------------


def linear_decay(start, end, frac):
    """Straight line from ``start`` (frac 0) to ``end`` (frac 1)."""
    return start + (end - start) * frac


def exponential_decay(start, end, frac):
    """Geometric interpolation ``start · (end / start) ** frac``."""
    return start * np.power(end / start, frac)


DECAYS = {
    "linear": linear_decay,
    "exponential": exponential_decay,
}


def schedule_fraction(step, n_steps):
    """Fraction ``step / (n_steps − 1)`` of training done, clipped to 1.

    The last step always uses the end value, so that ``sigma_end`` is the radius
    the map is left with even when training has a single step.
    """
    if n_steps <= 1:
        return np.ones_like(np.asarray(step, dtype=np.float64))
    return np.minimum(np.asarray(step, dtype=np.float64) / (n_steps - 1), 1.0)
