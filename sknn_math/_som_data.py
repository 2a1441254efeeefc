"""The training data of a self-organizing map, as its fit reads them.

``fit`` and ``partial_fit`` run one loop whatever holds the data; what they read
from the data goes through one of two facades with the same methods:

- :class:`InMemoryData` (here): a NumPy array, read by the chunked kernels of
  :mod:`._som_init`, :mod:`._som_rules` and :mod:`._som_bmu` on worker threads;
- :class:`._som_dask.DaskData`: a dask array, read by the same kernels on every
  block, on the workers of a Dask cluster, the blocks' results added up.

Methods: ``total_weight()``, ``observed_means()``, ``pca()``,
``draw(rng, n_units)`` and ``bounds()`` for the initialisation;
``batch_epoch(W, H, previous_mass=, with_error=)`` for one epoch of the batch
rule; ``results(W, coords, periods)`` for the labels, errors and hits of the
trained map. Attributes: ``X``, ``sample_weight``, ``masked`` (the data hold
NaN), ``n_samples``, ``n_features``, ``dtype``.
"""

import numpy as np

from ._som_bmu import bmu_and_errors
from ._som_init import observed_means, weighted_pca
from ._som_rules import batch_epoch

__all__ = ["InMemoryData"]


class InMemoryData:
    """Training data in memory: ``X`` validated, its weights, whether it has NaN."""

    def __init__(self, X, sample_weight, masked):
        self.X = X
        self.sample_weight = sample_weight
        self.masked = masked
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype

    def total_weight(self):
        """Number of samples, or the sum of their weights."""
        if self.sample_weight is None:
            return self.n_samples
        return float(self.sample_weight.sum())

    # ------------------------------------------------------------ initialisation

    def observed_means(self):
        """:func:`._som_init.observed_means` of the data."""
        return observed_means(self.X, self.sample_weight)

    def pca(self):
        """:func:`._som_init.weighted_pca` of the data."""
        return weighted_pca(self.X, self.sample_weight, masked=self.masked)

    def _live(self):
        if self.sample_weight is None:
            return np.arange(self.n_samples)
        return np.flatnonzero(self.sample_weight > 0)

    def draw(self, rng, n_units):
        """``n_units`` rows of positive weight drawn by ``rng`` (with replacement
        when there are fewer)."""
        live = self._live()
        return self.X[rng.choice(live, size=n_units, replace=n_units > live.size)]

    def bounds(self):
        """Per-feature minimum and maximum over the rows of positive weight
        (over the observed values when ``masked``)."""
        X_live = self.X[self._live()]
        if self.masked:
            return np.nanmin(X_live, axis=0), np.nanmax(X_live, axis=0)
        return np.min(X_live, axis=0), np.max(X_live, axis=0)

    # ------------------------------------------------------------------ training

    def batch_epoch(self, W, H, *, previous_mass=None, with_error=False):
        """:func:`._som_rules.batch_epoch` on the data: ``(W, mass, error_sum)``."""
        return batch_epoch(
            self.X, self.sample_weight, W, H, previous_mass=previous_mass,
            with_error=with_error, masked=self.masked,
        )

    def results(self, W, coords, periods):
        """``(bmu, error_sum, wrong_sum, hits)`` of codebook ``W`` on the data."""
        bmu, error_sum, wrong_sum = bmu_and_errors(
            self.X, self.sample_weight, W, coords, periods, masked=self.masked
        )
        hits = np.bincount(bmu, weights=self.sample_weight, minlength=W.shape[0])
        return bmu, error_sum, wrong_sum, hits
