"""Grid geometry of a self-organizing map: where the units sit and who neighbours whom.

Units are numbered row-major: unit ``k`` is row ``k // n_cols``, column
``k % n_cols``. Neighbouring units sit at distance exactly 1 in the plane, on a
square lattice or a hexagonal one; a periodic map is a torus. The estimator, its
measures (topographic error, U-matrix, grouping of units) and the plots all take
their geometry from here.
"""

from math import sqrt

import numpy as np

__all__ = [
    "ADJACENCY_TOL",
    "HEX_ROW_HEIGHT",
    "SMALL_MAP_UNITS",
    "automatic_n_units",
    "axis_distances",
    "grid_adjacency",
    "grid_distances",
    "grid_periods",
    "is_adjacent",
    "neighbour_reach",
    "pick_map_shape",
    "unit_coordinates",
    "unit_grid_distances",
    "unit_polygons",
]

# Row spacing of a hexagonal grid whose neighbouring units sit at distance 1.
HEX_ROW_HEIGHT = sqrt(3.0) / 2.0

# Grid neighbours sit at distance exactly 1; the tolerance absorbs the rounding of
# the hexagonal coordinates (0.5, sqrt(3)/2).
ADJACENCY_TOL = 1e-6

# The cell drawn around a unit. Pointy-topped hexagons of circumradius
# R = 1/sqrt(3) are sqrt(3)·R = 1 wide between flat sides and tile in rows
# 1.5·R = sqrt(3)/2 apart: exactly the hexagonal grid, as unit squares tile the
# rectangular one.
_HEX_ANGLES = np.deg2rad(30.0 + 60.0 * np.arange(6))
_HEXAGON = (1.0 / sqrt(3.0)) * np.column_stack([np.cos(_HEX_ANGLES),
                                                np.sin(_HEX_ANGLES)])
_SQUARE = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])


def unit_coordinates(n_rows, n_cols, topology):
    """Positions (x, y) in the plane of the units, indexed row-major."""
    row, col = np.divmod(np.arange(n_rows * n_cols), n_cols)
    x = col.astype(np.float64)
    y = row.astype(np.float64)
    if topology == "hexagonal":
        # Odd rows shift right by half a unit; rows are sqrt(3)/2 apart, so each
        # unit has six neighbours at distance 1.
        x += 0.5 * (row % 2)
        y *= HEX_ROW_HEIGHT
    return np.column_stack([x, y])


def grid_periods(n_rows, n_cols, topology, periodic):
    """Translations of the torus, or None for a planar map.

    Returns ``(P_x, P_y, shear)``: the torus identifies a position with its
    translates by (P_x, 0) and (shear, P_y). A hexagonal map with an odd number
    of rows needs the half-unit shear: the row after the last is shifted like
    an odd row, the first row is not, and the twist makes them meet so that
    every unit keeps six neighbours at distance 1.
    """
    if not periodic:
        return None
    if topology == "hexagonal":
        # A single row has no stagger to keep.
        shear = 0.5 if n_rows % 2 == 1 and n_rows > 1 else 0.0
        return (float(n_cols), n_rows * HEX_ROW_HEIGHT, shear)
    return (float(n_cols), float(n_rows), 0.0)


def grid_distances(a, b, periods):
    """Euclidean grid distances between positions ``a`` and ``b`` (…, 2).

    Broadcasts: pass ``a[:, None]`` and ``b[None]`` for a full matrix, or two
    equally long arrays for paired distances. On a torus the distance is the
    shortest over the translates of ``b``: the nearest row image (shifting x by
    the shear when it wraps), then the nearest column image.
    """
    # x and y differences apart, each contiguous: hypot over the interleaved
    # pairs of ``a - b`` runs at a quarter of the speed on a units² matrix.
    delta_x = a[..., 0] - b[..., 0]
    delta_y = a[..., 1] - b[..., 1]
    if periods is None:
        return np.hypot(delta_x, delta_y)
    P_x, P_y, shear = periods
    best = None
    for k in (-1, 0, 1):
        dy = delta_y + k * P_y
        dx = delta_x + k * shear
        dx -= P_x * np.round(dx / P_x)
        dist = np.hypot(dx, dy)
        best = dist if best is None else np.minimum(best, dist)
    return best


def axis_distances(n_rows, n_cols, periods):
    """Distances between the rows, and between the columns, of a rectangular
    grid: ``(rows, cols)`` of shapes (n_rows, n_rows) and (n_cols, n_cols),
    the shorter way round on a torus. The grid distance of two units is
    √(rows[r, r′]² + cols[c, c′]²)."""

    def along(n, period):
        index = np.arange(n, dtype=np.float64)
        delta = np.abs(index[:, None] - index[None, :])
        return delta if period is None else np.minimum(delta, period - delta)

    P_x, P_y, _ = (None, None, None) if periods is None else periods
    return along(n_rows, P_y), along(n_cols, P_x)


def unit_grid_distances(coords, periods):
    """Grid distance between every two units, shape (n_units, n_units)."""
    return grid_distances(coords[:, None], coords[None], periods)


def is_adjacent(dist, reach=1.0):
    """Whether units at grid distance ``dist`` (≠ 0) are neighbours: within
    ``reach`` (1, or √2 to count a square grid's diagonals)."""
    return dist <= reach + ADJACENCY_TOL


def neighbour_reach(topology, diagonal):
    """The grid distance within which units are neighbours: 1, or √2 on a
    rectangular map whose diagonal units count (8 neighbours, as MiniSom
    counts them); a hexagonal map's 6 neighbours are all at distance 1."""
    return sqrt(2.0) if diagonal and topology == "rectangular" else 1.0


def grid_adjacency(coords, periods, reach=1.0):
    """Boolean (n_units, n_units) matrix of grid neighbours, False on the diagonal.

    4 neighbours per unit on a rectangular map (8 with ``reach`` √2), 6 on a
    hexagonal one, counted across the edges of a torus.
    """
    adjacent = is_adjacent(unit_grid_distances(coords, periods), reach)
    np.fill_diagonal(adjacent, False)
    return adjacent


def unit_polygons(coords, topology):
    """Vertices (n_units, n_vertices, 2) of the square or hexagon of each unit."""
    shape = _HEXAGON if topology == "hexagonal" else _SQUARE
    return np.asarray(coords, dtype=float)[:, None, :] + shape[None]


# The automatic map never has more units than max(samples, SMALL_MAP_UNITS): a
# map of 100 units (10 × 10, a 100 × 100 neighbourhood matrix) costs little
# whatever the data, and below it 5·√n units already exceed n only for n < 25.
SMALL_MAP_UNITS = 100


def automatic_n_units(total_weight, n_samples):
    """Units of the automatic map: about 5·√(total weight), at least 2, at most
    ``max(n_samples, SMALL_MAP_UNITS)``.

    ``total_weight`` is the number of samples, or the sum of their weights (a
    weight counts as that many copies); it may be infinite (a sum beyond the
    float range), which asks for the bound. ``n_samples`` counts the samples
    of positive weight.
    """
    wanted = 5.0 * sqrt(total_weight)  # inf stays inf, and min() bounds it
    return max(int(round(min(wanted, max(n_samples, SMALL_MAP_UNITS)))), 2)


def pick_map_shape(n_units, eigenvalues, topology, n_rows, n_cols):
    """Map shape of about ``n_units`` units, sides as the principal axes.

    The side ratio is sqrt(λ1/λ2), the ratio of the spreads along the two leading
    principal axes (Vesanto's SOM Toolbox rule); rows run along the first axis.
    ``n_units`` comes from :func:`automatic_n_units`; a side given completes
    it with the other.
    """
    lam1 = eigenvalues[0] if eigenvalues.size > 0 else 0.0
    lam2 = eigenvalues[1] if eigenvalues.size > 1 else 0.0
    if n_rows is not None:
        cols = max(1, int(round(n_units / n_rows)))
        return n_rows, cols
    if n_cols is not None:
        rows = max(1, int(round(n_units / n_cols)))
    elif lam2 <= 0.0 or lam1 <= 0.0:
        rows, n_cols = n_units, 1
    else:
        ratio = sqrt(lam1 / lam2)
        if topology == "hexagonal":
            # Rows are sqrt(3)/2 apart: more of them fit in the same height.
            ratio /= HEX_ROW_HEIGHT
        # min() first: a vanishing λ2 makes the ratio infinite
        rows = max(1, int(round(min(sqrt(n_units * ratio), n_units))))
        n_cols = max(1, int(round(n_units / rows)))
    return rows, n_cols
