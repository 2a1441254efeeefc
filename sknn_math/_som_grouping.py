"""Grouping the units of a trained map into ``n_clusters`` clusters.

Vesanto and Alhoniemi's two-level clustering: Ward linkage on the prototypes,
merges restricted to grid neighbours, so that every group is a connected region
of the map.
"""

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import pairwise_distances_argmin

from ._som_grid import grid_adjacency

__all__ = ["group_units"]


def group_units(W, hits, coords, periods, n_clusters):
    """Two-level clustering: Ward on the prototypes of the units that won samples.

    Ward merges are constrained to grid neighbours. Units that won nothing are
    contracted away first: two winning units are linked when the grid joins them
    directly or through a run of non-winning units, so the link graph stays
    connected. Every other unit joins the group of its nearest winning prototype.
    Returns the group of every unit, numbered in order of first appearance.
    """
    n_units = W.shape[0]
    won = np.flatnonzero(hits > 0)
    lost = np.flatnonzero(hits <= 0)
    if n_clusters > won.size:
        raise ValueError(
            f"n_clusters={n_clusters} but only {won.size} map units won training "
            "samples; use fewer clusters or a larger map (n_rows, n_cols)."
        )
    W64 = W.astype(np.float64)
    if n_clusters == 1:
        won_labels = np.zeros(won.size, dtype=np.intp)
    else:
        adjacent = grid_adjacency(coords, periods)
        link = adjacent[np.ix_(won, won)].astype(np.int64)
        if lost.size:
            # Winning units that touch the same connected run of idle units.
            n_comp, comp = connected_components(
                sparse.csr_array(adjacent[np.ix_(lost, lost)]), directed=False
            )
            one_hot = np.zeros((lost.size, n_comp), dtype=np.int64)
            one_hot[np.arange(lost.size), comp] = 1
            touches = adjacent[np.ix_(won, lost)].astype(np.int64) @ one_hot
            link = link + touches @ touches.T
        np.fill_diagonal(link, 0)
        link = sparse.csr_array((link > 0).astype(np.float64))
        won_labels = AgglomerativeClustering(
            n_clusters=n_clusters, linkage="ward", connectivity=link
        ).fit_predict(W64[won])
    # Renumber by first appearance along the map, so labels do not depend on the
    # order in which the tree was cut.
    _, first = np.unique(won_labels, return_index=True)
    rank = np.empty(first.size, dtype=np.intp)
    rank[np.argsort(first)] = np.arange(first.size)
    unit_labels = np.empty(n_units, dtype=np.intp)
    unit_labels[won] = rank[won_labels]
    if lost.size:
        nearest = won[pairwise_distances_argmin(W64[lost], W64[won])]
        unit_labels[lost] = unit_labels[nearest]
    return unit_labels
