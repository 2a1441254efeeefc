"""Literal oracles of the map's grid geometry, shared by the SOM tests: written
from the definitions, independent of sknn_math._som_grid."""

from math import sqrt


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
