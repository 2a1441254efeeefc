"""The training data of a self-organizing map, as its fit reads them.

``fit`` and ``partial_fit`` run one loop whatever holds the data; what they read
from the data goes through one of two facades with the same methods:

- :class:`InMemoryData` (here): a NumPy array, read by the chunked kernels of
  :mod:`._som_init`, :mod:`._som_rules` and :mod:`._som_bmu` on worker threads;
- :class:`._som_dask.DaskData`: a dask array, read by the same kernels on every
  block, on the workers of a Dask cluster, the blocks' results added up.

Methods: ``total_weight()``, ``n_live()``, ``scaled_total()``,
``observed_means()``, ``pca()``, ``draw(rng, n_units)`` and ``bounds()`` for
the initialisation; ``batch_epoch(W, H, previous_mass=, with_error=)`` for one
epoch of the batch rule; ``results(W, coords, periods)`` for the labels,
errors and hits of the trained map. Attributes: ``X``, ``sample_weight``,
``masked`` (the data hold NaN), ``n_samples``, ``n_features``, ``dtype``,
``weight_scale``.

Sample weights. The batch rule, the principal axes and the quantization and
topographic errors are weighted means: a common factor on all weights changes
none of them. They read the weights divided by ``weight_scale`` (their
maximum, unless ``partial_fit`` sets a common scale for its chunks), so that
no sum of weights overflows however large the weights (``np.full(n, 1e36)``
on float32 data, 1e306 on float64). The weights themselves (``sample_weight``,
float64) count as copies where that is their meaning: the online rule's
presentations, the hits and the automatic map size.
"""

import numpy as np

from ._som_bmu import bmu_and_errors
from ._som_init import observed_means, weighted_pca
from ._som_rules import batch_epoch
from ._validation import normalize_sample_weight

__all__ = ["InMemoryData", "relative_weights", "weight_scale"]


def weight_scale(sample_weight):
    """The largest weight, a scale for :func:`relative_weights`; 1 for None."""
    if sample_weight is None:
        return 1.0
    return float(np.max(sample_weight))


def relative_weights(sample_weight, scale=None, dtype=None):
    """``sample_weight / scale`` (default: its maximum, the networks' rule in
    :func:`._validation.normalize_sample_weight`), as ``dtype`` (default: the
    weights'); None stays None.

    Weighted means are invariant to a common factor on the weights: these in
    (0, 1] give the same means with sums that cannot overflow. A given
    ``scale`` puts several sets of weights (the chunks of ``partial_fit``)
    in one unit.
    """
    if sample_weight is None:
        return None
    dtype = sample_weight.dtype if dtype is None else dtype
    if scale is None:
        return normalize_sample_weight(sample_weight, dtype)[0]
    return np.divide(sample_weight, scale, dtype=np.float64).astype(dtype, copy=False)


class InMemoryData:
    """Training data in memory: ``X`` validated, its weights (float64, or None),
    whether it has NaN."""

    def __init__(self, X, sample_weight, masked):
        self.X = X
        self.sample_weight = sample_weight
        self.masked = masked
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.weight_scale = weight_scale(sample_weight)

    @property
    def weight_scale(self):
        """The weighted means read ``sample_weight / weight_scale``."""
        return self._weight_scale

    @weight_scale.setter
    def weight_scale(self, scale):
        self._weight_scale = float(scale)
        self._scaled = None

    @property
    def scaled_weight(self):
        """``sample_weight / weight_scale`` in X's dtype (None without weights;
        the weights of an unweighted chunk when ``partial_fit`` sets a scale)."""
        if self._scaled is None and (
            self.sample_weight is not None or self._weight_scale != 1.0
        ):
            weights = self.sample_weight
            if weights is None:
                weights = np.ones(self.n_samples)
            self._scaled = self._where_X_is(
                relative_weights(weights, self._weight_scale, self.dtype))
        return self._scaled

    def _where_X_is(self, array):
        """``array`` (NumPy) moved to X's namespace and device: here, as is."""
        return array

    def total_weight(self):
        """Number of samples, or the sum of their weights (float64; infinite
        when it exceeds the float range)."""
        if self.sample_weight is None:
            return self.n_samples
        with np.errstate(over="ignore"):
            return float(self.sample_weight.sum())

    def scaled_total(self):
        """Sum of the weights the weighted means read, in float64."""
        if self.scaled_weight is None:
            return float(self.n_samples)
        return float(self.scaled_weight.sum(dtype=np.float64))

    def n_live(self):
        """Number of samples of positive weight."""
        return int(self._live().size)

    # ------------------------------------------------------------ initialisation

    def observed_means(self):
        """:func:`._som_init.observed_means` of the data."""
        return observed_means(self.X, self.scaled_weight)

    def pca(self):
        """:func:`._som_init.weighted_pca` of the data."""
        return weighted_pca(self.X, self.scaled_weight, masked=self.masked)

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
        # Unweighted, every row is live: no copy of X.
        X_live = self.X if self.sample_weight is None else self.X[self._live()]
        if self.masked:
            return np.nanmin(X_live, axis=0), np.nanmax(X_live, axis=0)
        return np.min(X_live, axis=0), np.max(X_live, axis=0)

    # ------------------------------------------------------------------ training

    def batch_epoch(self, W, H, *, previous_mass=None, with_error=False):
        """:func:`._som_rules.batch_epoch` on the data: ``(W, mass, error_sum)``."""
        return batch_epoch(
            self.X, self.scaled_weight, W, H, previous_mass=previous_mass,
            with_error=with_error, masked=self.masked,
        )

    def results(self, W, coords, periods):
        """``(bmu, error_sum, wrong_sum, hits)`` of codebook ``W`` on the data:
        the error sums with the scaled weights (divide by :meth:`scaled_total`),
        the hits with the weights themselves."""
        bmu, error_sum, wrong_sum = bmu_and_errors(
            self.X, self.scaled_weight, W, coords, periods, masked=self.masked
        )
        hits = np.bincount(bmu, weights=self.sample_weight, minlength=W.shape[0])
        return bmu, error_sum, wrong_sum, hits
