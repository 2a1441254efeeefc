"""Literal oracles of the map's grid geometry, shared by the SOM tests: written
from the definitions, independent of sknn_math._som_grid; and the data that
put the best-matching-unit product at its hardest."""

from math import sqrt

import numpy as np


def literal_position(k, n_cols, topology):
    row, col = divmod(k, n_cols)
    if topology == "hexagonal":
        return col + 0.5 * (row % 2), row * sqrt(3) / 2
    return float(col), float(row)


def literal_grid_distance(a, b, n_rows, n_cols, topology, periodic):
    """Shortest distance from unit a to any translate of unit b on the torus."""
    xa, ya = literal_position(a, n_cols, topology)
    xb, yb = literal_position(b, n_cols, topology)
    if not periodic:
        return sqrt((xa - xb) ** 2 + (ya - yb) ** 2)
    height = n_rows * (sqrt(3) / 2 if topology == "hexagonal" else 1.0)
    # The row after the last is laid out like row n_rows: on a hexagonal map
    # with an odd number of rows it is shifted by half a unit.
    shear = 0.5 if topology == "hexagonal" and n_rows % 2 == 1 and n_rows > 1 else 0
    return min(
        sqrt((xa - xb - i * n_cols - j * shear) ** 2 + (ya - yb - j * height) ** 2)
        for i in range(-3, 4)
        for j in range(-3, 4)
    )


def near_ties_at_far_units(dtype, far, n_pairs, n_near, seed=3):
    """``(X, W)``: 20 prototypes near 0 and 5 about one apart around a point
    ``far`` away; ``n_near`` samples near 0 and, for ``n_pairs`` random pairs
    of the far prototypes, a sample a few ulps off their bisector, where a
    product in ``dtype`` (whose rounding there grows with ``far``²) cannot
    order the two."""
    rng = np.random.RandomState(seed)
    offset = np.array([far, -far, 0.5 * far])
    W = np.vstack([rng.normal(size=(20, 3)), rng.normal(size=(5, 3)) + offset])
    W = W.astype(dtype)
    a, b = rng.randint(20, 25, size=(2, n_pairs))
    keep = a != b
    a, b = a[keep], b[keep]
    t = 0.5 + rng.randint(-40, 41, size=a.size) * np.finfo(dtype).eps
    group = W[a] + t[:, None] * (W[b].astype(np.float64) - W[a])
    X = np.vstack([rng.normal(size=(n_near, 3)), group]).astype(dtype)
    return X, W


def assert_same_units_off_ties(got, want, X, W, atol):
    """Best units ``got`` equal ``want`` (those of codebook ``W`` for ``X``)
    wherever the two nearest prototypes are further apart than a codebook
    equal to ``W`` up to ``atol`` per coordinate, plus the product's rounding,
    can close: another summation order may swap near-tied units, and only
    those. Nearly every sample must be clear of a tie, so that the check
    holds something."""
    eps = float(np.finfo(np.asarray(X).dtype).eps)
    X, W = np.asarray(X, dtype=np.float64), np.asarray(W, dtype=np.float64)
    # over each sample's observed features (NaN: missing), as the map measures
    d_sq = np.nansum(np.square(X[:, None, :] - W[None, :, :]), axis=2)
    first, second = np.partition(d_sq, 1, axis=1)[:, :2].T
    shift = np.sqrt(W.shape[1]) * atol  # the most a prototype moves
    scale = max(np.nanmax(np.abs(X)), np.abs(W).max())
    # each squared distance moves by at most 2 d shift + shift²
    bound = 2 * (2 * np.sqrt(second) * shift + shift**2) + 64 * eps * scale**2
    clear = second - first > bound
    assert clear.mean() > 0.9
    np.testing.assert_array_equal(np.asarray(got)[clear], np.asarray(want)[clear])
