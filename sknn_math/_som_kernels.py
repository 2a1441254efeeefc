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
    "SeparableNeighbourhood",
    "schedule_fraction",
]

# --------------------------------------------------------------------------------
# Neighbourhood kernels h(d; sigma) of the grid distance d between two units.
#
# σ → 0 is the winner-only limit: h = 1 at d = 0 and 0 elsewhere. Every kernel
# reaches it without 0/0, overflow or warning, at σ = 0 itself and at any σ so
# small that d²/σ² would overflow.
# --------------------------------------------------------------------------------

# Above this radius the plain formulas cannot overflow for any d below 1e54;
# below it d/σ is capped where the kernel is already 0 (exp(−c²/2) underflows
# to 0 for c > 38.6), which leaves every value the same.
_SMALL_SIGMA = 1e-100
_EXP_CAP = 40.0


def _small_radius(profile, dist, sigma, cap):
    """``profile(d/σ)`` for σ below :data:`_SMALL_SIGMA`, with d/σ capped at
    ``cap`` where the profile is 0; σ = 0 gives the winner-only limit."""
    if sigma == 0:
        return np.asarray(np.equal(dist, 0), dtype=np.float64)
    return profile(np.minimum(dist, cap * sigma) / sigma)


def _gaussian_profile(r):
    return np.exp(-0.5 * np.square(r))


def _mexican_hat_profile(r):
    r2 = np.square(r)
    return (1.0 - r2) * np.exp(-0.5 * r2)


def _triangle_profile(r):
    return 1.0 - r


def gaussian(dist, sigma):
    """Gaussian neighbourhood, ``exp(-d² / (2 σ²))``."""
    if sigma < _SMALL_SIGMA:
        return _small_radius(_gaussian_profile, dist, sigma, _EXP_CAP)
    # In place on one temporary: the batch rule may evaluate it on a whole
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
    if sigma < _SMALL_SIGMA:
        return _small_radius(_mexican_hat_profile, dist, sigma, _EXP_CAP)
    r2 = np.square(dist) / (sigma * sigma)
    return (1.0 - r2) * np.exp(-0.5 * r2)


def triangle(dist, sigma):
    """Triangular (cone) neighbourhood, ``max(0, 1 − d/σ)``."""
    if sigma < _SMALL_SIGMA:
        return _small_radius(_triangle_profile, dist, sigma, 1.0)
    return np.maximum(1.0 - dist / sigma, 0.0)


class SeparableNeighbourhood:
    """The neighbourhood matrix H = H_rows ⊗ H_cols of a kernel that factors
    over the two axes of a rectangular grid, never formed.

    Units are numbered row-major (unit r·C + c sits in row r, column c), so
    h(j, k) = H_rows[r_j, r_k] · H_cols[c_j, c_k]: the gaussian's
    exp(−(Δr² + Δc²)/2σ²) is the product of one gaussian per axis, on a torus
    too, whose rectangular wrap acts on each axis alone. Why: ``H @ S`` then
    costs units · (rows + columns) multiply-adds instead of units², and
    needs no units × units matrix, which a 100 × 100 map would make 800 MB.
    Only ``H @ S`` with a 2-D ``S`` is offered, as the batch update takes it;
    ``np.asarray(H)`` forms the matrix (the array API path's dense product).
    """

    def __init__(self, rows, cols):
        self.rows = rows
        self.cols = cols

    def __matmul__(self, S):
        n_rows, n_cols = self.rows.shape[0], self.cols.shape[0]
        width = S.shape[1]
        # H_rows along the units' row index, then H_cols along their column index
        by_rows = (self.rows @ S.reshape(n_rows, n_cols * width)).reshape(
            n_rows, n_cols, width
        )
        return np.matmul(self.cols, by_rows).reshape(n_rows * n_cols, width)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(np.kron(self.rows, self.cols), dtype=dtype)


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
# Decays: the value of a schedule at fraction ``frac`` in [0, 1] of training
# (:func:`schedule_fraction`): exactly ``start`` at 0 and exactly ``end`` at 1.
# --------------------------------------------------------------------------------


def linear_decay(start, end, frac):
    """Straight line ``(1 − frac) · start + frac · end`` from ``start`` to ``end``.

    Not ``start + (end − start) · frac``, which at ``frac = 1`` rounds to
    ``start`` when ``end`` is below half an ulp of it.
    """
    return (1.0 - frac) * start + frac * end


def exponential_decay(start, end, frac):
    """Geometric interpolation ``start^(1 − frac) · end^frac``, which is
    ``start · (end / start) ** frac``, exactly ``end`` at ``frac = 1``."""
    return np.power(start, 1.0 - frac) * np.power(end, frac)


DECAYS = {
    "linear": linear_decay,
    "exponential": exponential_decay,
}


def schedule_fraction(step, n_steps):
    """Fraction ``step / (n_steps − 1)`` of training done, clipped to 1.

    The first step runs at the start value and step ``n_steps − 1`` at the end
    value, so that ``sigma_end`` is the radius the map is left with; a single
    step (``n_steps = 1``) runs at the end value. The estimator counts epochs
    for the batch rule (t / (T − 1), T = ``max_iter``), samples for the online
    rule (step / (T·n − 1) over the T·n steps of n samples) and calls for
    ``partial_fit`` (k / (T − 1), then 1).
    """
    if n_steps <= 1:
        return np.ones_like(np.asarray(step, dtype=np.float64))
    return np.minimum(np.asarray(step, dtype=np.float64) / (n_steps - 1), 1.0)
