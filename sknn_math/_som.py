"""Kohonen's self-organizing map as a scikit-learn clusterer and transformer.

The estimator holds parameters, validation and fitted state; the work is done by

- :mod:`._som_grid`: unit positions, grid distances and neighbours, map shape;
- :mod:`._som_kernels`: neighbourhood kernels and schedule decays, by name;
- :mod:`._som_init`: the weighted principal axes and the PCA codebook;
- :mod:`._som_bmu`: best-matching units, one matrix product per chunk of samples
  on worker threads, and the quantization and topographic errors;
- :mod:`._som_rules`: one epoch of the batch rule (chunk statistics, their sum,
  the update) or of the online rule;
- :mod:`._som_grouping`: Ward grouping of the units into ``n_clusters``;
- :mod:`._som_array_api`: the batch rule and inference in another array
  namespace (PyTorch, CuPy) under array API dispatch.
"""

import copy
import numbers
import time
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._array_api import (
    ArrayAPISupportMixin,
    check_fit_namespace,
    fitted_arrays_to,
    float_dtypes,
    follow_X,
    namespace_of,
    to_numpy_array,
)
from ._callbacks import CallbackSupportMixin, FitTask
from ._dask import is_dask_array
from ._som_array_api import ArrayAPIData, unit_distances
from ._som_array_api import best_matching_units as device_best_matching_units
from ._som_array_api import bmu_and_errors as device_bmu_and_errors
from ._som_bmu import (
    best_matching_units,
    bmu_and_errors,
    check_missing,
    observed_distances,
)
from ._som_dask import (
    check_inference_data,
    dask_distances,
    dask_errors,
    dask_hits,
    dask_training_data,
    dask_unit_values,
)
from ._som_data import InMemoryData, relative_weights
from ._som_grid import (
    SMALL_MAP_UNITS,
    automatic_n_units,
    axis_distances,
    grid_adjacency,
    grid_periods,
    neighbour_reach,
    pick_map_shape,
    unit_coordinates,
    unit_grid_distances,
)
from ._som_grouping import group_units
from ._som_init import pca_codebook
from ._som_kernels import (
    DECAYS,
    NEIGHBORHOODS,
    NON_NEGATIVE_NEIGHBORHOODS,
    SeparableNeighbourhood,
    schedule_fraction,
)
from ._som_rules import divergence_limit, online_epoch
from ._validation import (
    Interval,
    StrOptions,
    check_finite_result,
    check_sample_weight,
    fit_context,
)

__all__ = ["SelfOrganizingMap"]


def _host_rows(X):
    """A NumPy stand-in with ``X``'s rows, to validate host-side arrays
    (sample weights) against the rows of an array on a device."""
    return np.empty((X.shape[0], 0))


def _relative_hits(hits):
    """Hits divided by the largest: hit-weighted means, with no sum that
    overflows. A unit whose hits exceed the float range (inf) outweighs the
    others."""
    top = hits.max()
    if np.isinf(top):
        return np.isinf(hits).astype(np.float64)
    return hits / top if top > 0 else hits


class SelfOrganizingMap(
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    ArrayAPISupportMixin,
    CallbackSupportMixin,
    BaseEstimator,
):
    """Self-organizing map (Kohonen map): clusterer and transformer.

    A two-dimensional grid of units, each with a prototype vector in input space,
    learns from unlabeled data: every sample pulls its best-matching unit (the one
    with the closest prototype) and that unit's grid neighbours towards itself,
    within a radius that shrinks during training. Similar samples end up on nearby
    units, so the map is both a clustering (one cluster per unit, or ``n_clusters``
    groups of units) and a two-dimensional projection of the data.

    Parameters
    ----------
    n_rows : int, default=None
        Number of rows of the grid. None picks a shape from the data: about
        ``5·√n_samples`` units (at least 2), with sides in the ratio of the
        spreads along the two leading principal axes. If only one side is
        given, the other is chosen to reach about the same number of units.
        With ``sample_weight``, n_samples is the weight sum (a weight counts as
        that many copies), and the map has at most ``max(m, 100)`` units, m
        the number of samples of positive weight; a ``UserWarning`` says when
        the weights make it larger than the samples alone would (normalise the
        weights, e.g. to mean 1, or set the shape).

    n_cols : int, default=None
        Number of columns of the grid. None as for ``n_rows``.

    topology : {'rectangular', 'hexagonal'}, default='rectangular'
        Arrangement of the units.

        - 'rectangular': a square lattice; each unit has 4 neighbours.
        - 'hexagonal': odd rows shifted by half a unit; each unit has 6
          neighbours, all at distance 1.

    periodic : bool, default=False
        If True, the map is a torus: opposite edges are neighbours, and every
        unit has as many neighbours as in the interior. A hexagonal torus with an
        odd number of rows wraps with a half-unit twist, which keeps its rows
        staggered across the edge.

    neighborhood : {'gaussian', 'bubble', 'triangle', 'mexican_hat'}, \
            default='gaussian'
        Neighbourhood function h of the grid distance d to the winning unit.

        - 'gaussian': ``exp(-d² / (2σ²))``.
        - 'bubble': 1 within distance σ, 0 beyond.
        - 'triangle': ``max(0, 1 - d/σ)``.
        - 'mexican_hat': ``(1 - d²/σ²) exp(-d² / (2σ²))``; negative beyond σ,
          so only ``algorithm='online'`` accepts it. Its negative lobe pushes
          the units that never win outwards: a long fit or a large learning
          rate can diverge, and ``fit`` then stops with "Training diverged"
          and the cures.

    sigma_start : float, default=None
        Neighbourhood radius at the start of training, in grid units. None
        uses half the longer side of the map (at least ``sigma_end``). A
        radius below ``sigma_end``, one that would grow, is an error.

    sigma_end : float, default=1.0
        Neighbourhood radius in the last epoch.

    decay : {'linear', 'exponential'}, default='linear'
        How the radius (and, online, the learning rate) goes from its start to its
        end value, at the fraction f of training done.

        - 'linear': ``(1 - f) · start + f · end``.
        - 'exponential': ``start^(1 - f) · end^f``, that is
          ``start · (end/start)^f``.

        Batch: ``f = t/(T − 1)`` in epoch t = 0 … T − 1 (T = ``max_iter``), so
        the last epoch runs at the end value. Online: the schedules advance
        per sample, ``f = step/(T·n − 1)`` over the T·n steps of training (n
        samples). ``partial_fit``: ``f = k/(T − 1)`` in its k-th call (from
        0), then 1. A single step (T = 1) runs at the end value.

    algorithm : {'batch', 'online'}, default='batch'
        Training rule.

        - 'batch': each epoch sets every prototype to the neighbourhood-weighted
          mean of the data; deterministic, fast, no learning rate.
        - 'online': Kohonen's original rule, one update per sample in random
          order (see ``shuffle``), with a decaying learning rate.

    learning_rate_start : float, default=0.5
        Learning rate η of the first online step. Only used when
        ``algorithm='online'``.

    learning_rate_end : float, default=0.01
        Learning rate η of the last online step. Only used when
        ``algorithm='online'``.

    max_iter : int, default=10
        Number of epochs (passes over the data). In ``partial_fit`` it is the
        number of calls over which the schedules run from start to end.

    init : {'pca', 'random', 'sample'} or array-like of shape \
            (n_rows * n_cols, n_features), default='pca'
        Initial prototypes.

        - 'pca': evenly spread over the plane of the two leading principal axes
          (one axis for a map with a single row or column), deterministic. The
          data must have as many directions of non-zero variance as the map has
          dimensions.
        - 'random': uniform in the bounding box of the data.
        - 'sample': randomly drawn training samples.
        - array: the prototypes themselves, row-major over the grid; needs
          ``n_rows`` and ``n_cols``.

    n_clusters : int, default=None
        None: every unit is a cluster and labels are unit indices. An int k:
        after training, the prototypes of the units that won training samples
        are grouped into k clusters by Ward linkage restricted to grid
        neighbours; the other units join their nearest group. Labels are then
        group numbers 0 … k−1, all of them used by the training data.

    shuffle : bool, default=True
        Whether the online algorithm visits the samples in a new random order
        every epoch. Ignored by the batch algorithm.

    random_state : int, RandomState instance or None, default=None
        Seeds ``init='random'`` / ``'sample'`` and the online sample order. Pass
        an int for reproducible, bit-identical results.

    verbose : int, default=0
        If positive, print one line per epoch: its radius (online, with the
        learning rate, their values at the epoch's first step), the
        quantization and topographic errors of the codebook the epoch ends
        with, which are ``quantization_error_`` and ``topographic_error_``
        after the last epoch, and the epoch's time. Measuring the errors
        takes one more pass over the data per epoch, not counted in the time.
        While the radius is wide the map is smoothed towards the data's mean,
        so the errors fall mostly as the radius shrinks.

    Attributes
    ----------
    codebook_ : ndarray of shape (n_units, n_features)
        Prototype (weight vector) of every unit, row-major over the grid: unit
        ``k`` sits at row ``k // n_cols_``, column ``k % n_cols_``. Same dtype
        as the training data (float32 or float64).

    unit_coordinates_ : ndarray of shape (n_units, 2)
        Position (x, y) of every unit in the plane; x follows columns, y rows.
        On a hexagonal map odd rows are shifted by 0.5 and rows are √3/2 apart.

    n_rows_ : int
        Number of rows of the trained map.

    n_cols_ : int
        Number of columns of the trained map.

    sigma_start_ : float
        Radius the schedule started from.

    labels_ : ndarray of shape (n_samples,)
        Label of every training sample (of the last chunk for ``partial_fit``):
        its best-matching unit, or that unit's group when ``n_clusters`` is set.

    unit_labels_ : ndarray of shape (n_units,)
        Label of every unit: ``arange(n_units)``, or its group.

    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The codebook when ``n_clusters`` is None; otherwise the hit-weighted mean
        of the prototypes of each group.

    hits_ : ndarray of shape (n_units,)
        (Weighted) number of training samples won by every unit after training;
        ``partial_fit`` adds up the hits of all chunks. A weight counts as that
        many samples (inf where a unit's total exceeds the float range).

    quantization_error_ : float
        Weighted mean distance of the training samples to their best-matching
        prototype.

    topographic_error_ : float
        Weighted fraction of training samples whose two best-matching units are
        not grid neighbours (NaN for a map with one unit).

    n_iter_ : int
        Number of epochs run (``partial_fit`` calls count one each).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``. Defined only when `X` has feature
        names that are all strings.

    See Also
    --------
    sklearn.cluster.KMeans : Prototype clustering without a map; a SOM whose
        radius has shrunk to zero.
    sklearn.cluster.MiniBatchKMeans : Its ``partial_fit`` plays the same role.
    sklearn.manifold.Isomap : Another non-linear two-dimensional embedding.

    Notes
    -----
    Unit ``c(x) = argmin_k ‖x − w_k‖`` is the best-matching unit of sample x and
    ``h(j, k; σ)`` the neighbourhood function of the grid distance between units
    j and k (wrapped around on a torus).

    The online rule presents the samples one at a time; at step t, with sample x,

    .. math::

        w_k \\leftarrow w_k + \\eta(t)\\, h(c(x), k; \\sigma(t))\\, (x - w_k)

    for every unit k. A sample of weight s acts as s consecutive presentations.

    The batch rule (Kohonen's batch map) replaces every prototype, once per epoch,
    by the neighbourhood-weighted mean of the data,

    .. math::

        w_k \\leftarrow
        \\frac{\\sum_j h(j, k; \\sigma)\\, S_j}{\\sum_j h(j, k; \\sigma)\\, n_j},
        \\qquad S_j = \\sum_{i: c(x_i) = j} s_i x_i,\\quad
        n_j = \\sum_{i: c(x_i) = j} s_i,

    with sample weights s_i. Best-matching units come from one matrix product per
    chunk of samples (chunks bounded by ``working_memory``, shared among one
    thread per CPU core), ``S`` and ``n`` from one sparse one-hot product per
    chunk, the smoothing from one product with the neighbourhood matrix H
    (for the gaussian on a rectangular grid, the defaults, H factors over the
    grid's two axes and is never formed). float32 data train in float32. Memory
    beyond the data is a few chunks (and, for other neighbourhoods or
    hexagonal grids, the n_units × n_units matrix H), never n_samples × n_units.

    A fitted map answers from what it was fitted with: its grid (shape,
    ``topology``, ``periodic``), its grouping and, for
    :func:`sknn_math.metrics.distortion`, the radius and kernel of its last
    epoch. Parameters changed by ``set_params`` take effect at the next
    ``fit``.

    ``partial_fit`` runs one epoch of the chosen rule on each chunk and advances
    the schedules by one step per call. Once the radius stops changing it
    averages, batch rule, over all chunks seen: the previous prototype counts
    with the neighbourhood mass ``Σ_j h(j,k) n_j`` it has gathered so far, as
    mini-batch k-means does with counts.

    The quantization error is the mean distance of samples to their
    best-matching prototype; the topographic error the fraction of samples whose
    best and second-best matching units c and c₂ are not neighbours on the grid
    (4 neighbours on a rectangular map, 6 on a hexagonal one, across the edges
    of a torus), as in the SOM Toolbox. Under sample weights both are weighted
    means,

    .. math::

        E_q = \\frac{\\sum_i s_i \\lVert x_i - w_{c(x_i)} \\rVert}{\\sum_i s_i},
        \\qquad
        E_t = \\frac{\\sum_i s_i\\, [c(x_i), c_2(x_i) \\text{ not adjacent}]}
        {\\sum_i s_i},

    the plain means 1/n Σ without them. Weighted means (these, the batch rule
    and the principal axes of ``init='pca'``) do not change under a common
    factor on all weights; they are computed with the weights divided by the
    largest, so that no sum of weights overflows, however large the weights.
    The online rule and the automatic map size count a weight as copies.

    Missing values (NaN) are allowed wherever ``X`` is: a sample meets the
    prototypes on its observed features only, ``‖x_o − w_o‖² = Σ_f observed
    (x_f − w_f)²``. It is the plain sum over those features, as in the SOM
    Toolbox, not rescaled by n_features / n_observed: the factor would be the
    same for every unit, so it would change no best-matching unit, and it would
    only extrapolate the distances that ``transform`` and the errors report to
    features the sample does not have. The batch rule averages each feature over
    the samples that observe it (a unit keeps its weight for a feature none of
    its neighbourhood's samples observe); the online rule moves the observed
    features only; ``init='pca'`` uses the pairwise-observed covariance (a
    features × features matrix, which complete data with many features never
    form), ``init='sample'`` fills a drawn sample's gaps with the feature
    means. A sample with no observed feature is an error, and so is infinity.
    Data without NaN give the same bits as before missing values were
    supported.

    **Dask.** ``fit`` and ``partial_fit`` accept a ``dask.array.Array`` (and
    ``sample_weight`` as a dask array blocked like its rows, or a NumPy
    array), with the optional extra ``dask``. ``X`` is persisted on the
    workers once and never gathered: the PCA or random initialisation and every
    batch epoch are map-reduces over its row blocks, each block running the
    in-memory kernels, the codebook updated on the client and sent out once per
    epoch. The result equals the in-memory fit's up to rounding (the sums run
    in another order). ``algorithm='online'`` is an error: its updates are
    sequential. Fitted attributes are NumPy arrays (``labels_`` is brought to
    the client at the end, one integer per sample); a fit that fails leaves the
    estimator as it was. On a dask array ``predict``, ``transform``,
    ``best_matching_unit`` and ``grid_coordinates`` return lazy dask arrays
    computed block by block; ``score``, ``quantization_error``,
    ``topographic_error`` and ``hit_map`` compute on the cluster and return
    numbers, as scikit-learn's scorers expect.

    References
    ----------
    .. [1] T. Kohonen, "Self-organized formation of topologically correct feature
       maps", Biological Cybernetics 43, 59–69, 1982.
    .. [2] T. Kohonen, "Essentials of the self-organizing map", Neural Networks
       37, 52–65, 2013.
    .. [3] J. Vesanto and E. Alhoniemi, "Clustering of the self-organizing map",
       IEEE Transactions on Neural Networks 11(3), 586–600, 2000.
    .. [4] K. Kiviluoto, "Topology preservation in self-organizing maps", Proc.
       ICNN 1996, 294–299 (topographic error).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(-3, 0.5, (50, 3)), rng.normal(3, 0.5, (50, 3))])
    >>> som = SelfOrganizingMap(4, 5, n_clusters=2, random_state=0).fit(X)
    >>> som.codebook_.shape
    (20, 3)
    >>> np.bincount(som.labels_)
    array([50, 50])
    >>> som.predict([[-3.0, -3.0, -3.0], [3.0, 3.0, 3.0]])
    array([0, 1])
    >>> som.transform(X[:2]).shape
    (2, 20)
    >>> som.hit_map().shape
    (4, 5)
    >>> som.umatrix().shape
    (4, 5)
    """

    _parameter_constraints: dict = {
        "n_rows": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_cols": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "topology": [StrOptions({"rectangular", "hexagonal"})],
        "periodic": ["boolean"],
        "neighborhood": [StrOptions(set(NEIGHBORHOODS))],
        "sigma_start": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "sigma_end": [Interval(numbers.Real, 0, None, closed="neither")],
        "decay": [StrOptions(set(DECAYS))],
        "algorithm": [StrOptions({"batch", "online"})],
        "learning_rate_start": [Interval(numbers.Real, 0, 1, closed="right")],
        "learning_rate_end": [Interval(numbers.Real, 0, 1, closed="both")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [StrOptions({"pca", "random", "sample"}), "array-like"],
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_rows=None,
        n_cols=None,
        *,
        topology="rectangular",
        periodic=False,
        neighborhood="gaussian",
        sigma_start=None,
        sigma_end=1.0,
        decay="linear",
        algorithm="batch",
        learning_rate_start=0.5,
        learning_rate_end=0.01,
        max_iter=10,
        init="pca",
        n_clusters=None,
        shuffle=True,
        random_state=None,
        verbose=0,
    ):
        self.n_rows = n_rows
        self.n_cols = n_cols
        self.topology = topology
        self.periodic = periodic
        self.neighborhood = neighborhood
        self.sigma_start = sigma_start
        self.sigma_end = sigma_end
        self.decay = decay
        self.algorithm = algorithm
        self.learning_rate_start = learning_rate_start
        self.learning_rate_end = learning_rate_end
        self.max_iter = max_iter
        self.init = init
        self.n_clusters = n_clusters
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = True
        return tags

    @property
    def _n_features_out(self):
        return self.codebook_.shape[0]

    # ------------------------------------------------------------------ training

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the map on ``X`` for ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Training data. float32 data train in float32, anything else in float64.
            NaN marks a missing value; every sample needs an observed feature.
            A dask array trains on its cluster (see Notes).

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of every sample; an integer weight acts as that many copies.
            The batch rule, the principal axes and the errors depend only on
            the weights' ratios; the online rule (s presentations) and the
            automatic map size count them as copies.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if is_dask_array(X):
            return self._fit_dask(X, y, sample_weight, partial=False)
        namespace = namespace_of(X)
        if not namespace.is_numpy:
            return self._fit_array_api(X, y, sample_weight, namespace, partial=False)
        X = validate_data(
            self, X, reset=True, dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
        )
        masked = check_missing(X)
        # float64 whatever X's dtype: a weight that float32 cannot hold is legal
        sample_weight = check_sample_weight(sample_weight, X, np.float64)
        return self._fit(InMemoryData(X, sample_weight, masked), y)

    def _fit(self, data, y):
        """``fit`` on validated data (:mod:`._som_data`)."""
        self._check_algorithm()
        self._check_radius()
        rng = check_random_state(self.random_state)
        self._initialize_from(data, rng)

        n_samples = data.n_samples
        W = self.codebook_
        grid_dist = self._epoch_distances()
        decay = DECAYS[self.decay]
        T = self.max_iter
        task = FitTask(self, T, data.X, y, data.sample_weight)
        reach_limit = (divergence_limit(data.X, W, data.masked)
                       if self.algorithm == "online" else None)
        for epoch in range(T):
            tic = time.perf_counter()
            iteration = task.begin_iteration("epoch")
            if self.algorithm == "batch":
                sigma = decay(
                    self.sigma_start_, self.sigma_end, schedule_fraction(epoch, T)
                )
                eta = None
            else:
                # The online schedules advance per sample, over all T · n steps.
                fracs = schedule_fraction(
                    epoch * n_samples + np.arange(n_samples), T * n_samples
                )
                sigma = decay(self.sigma_start_, self.sigma_end, fracs)
                eta = decay(self.learning_rate_start, self.learning_rate_end, fracs)
            W, mass = self._epoch(data, W, grid_dist, sigma, eta, rng,
                                  reach_limit=reach_limit)
            if self.verbose > 0:
                elapsed = time.perf_counter() - tic
                _, error_sum, wrong_sum, _ = data.results(
                    W, self.unit_coordinates_, self._periods()
                )
                total = data.scaled_total()
                self._print_epoch(
                    epoch + 1, T, sigma, eta, error_sum / total,
                    self._topographic(wrong_sum / total), elapsed,
                )
            if task.end_iteration(
                iteration, lambda W=W: self._fitted_state(W, data)
            ):
                break
        self.codebook_ = to_numpy_array(W)
        self.n_iter_ = epoch + 1
        # partial_fit after fit continues the same random stream and schedule.
        self._rng = rng
        self._sigma_last = float(np.ravel(sigma)[-1])
        self._neighborhood = self.neighborhood
        self._mass = None if mass is None else to_numpy_array(mass)
        self._weight_scale = data.weight_scale  # the unit of _mass
        self.hits_ = np.zeros(W.shape[0])
        self._finalize(data)
        task.end()
        return self

    def _fit_dask(self, X, y, sample_weight, partial):
        """``fit`` or ``partial_fit`` on a dask array, by map-reduce over its
        blocks (:mod:`._som_dask`).

        The work runs on a shallow copy of the estimator, whose attributes
        replace this one's only when it has succeeded: a fit that fails (bad
        data found at compute time, a cluster that gives up) leaves the
        estimator as it was.
        """
        if self.algorithm == "online":
            raise ValueError(
                "algorithm='online' updates the map after every sample, one at a "
                "time, which a dask array's blocks cannot share out. Use "
                "algorithm='batch' (the default), whose epochs run on the "
                "cluster, or train online on X.compute() in memory."
            )
        first_call = self._starts_a_map(X, partial)
        data = dask_training_data(
            X, sample_weight,
            n_features=None if first_call else self.n_features_in_,
            dtype=None if first_call else self.codebook_.dtype,
        )
        work = self._work_copy()
        if first_call:
            work.n_features_in_ = data.n_features
            work.__dict__.pop("feature_names_in_", None)
        work._train(data, y, partial, first_call)
        return self._take_over(work)

    def _starts_a_map(self, X, partial):
        """Whether this call trains a new map (``fit``, or a first
        ``partial_fit``); a continued one must come in the fitted namespace and
        find the grid it was fitted on."""
        self._check_algorithm()
        first_call = not (partial and hasattr(self, "codebook_"))
        if not first_call:
            check_fit_namespace(X, self, attribute="codebook_", method="partial_fit")
            self._check_fitted_geometry()
        return first_call

    def _work_copy(self):
        """A shallow copy to train, with a random stream of its own, which
        replaces this estimator (:meth:`_take_over`) only once it has
        succeeded: a failed call leaves the model where it was."""
        work = copy.copy(self)
        if hasattr(self, "_rng"):
            work._rng = copy.deepcopy(self._rng)
        return work

    def _train(self, data, y, partial, first_call):
        if partial:
            self._partial_fit(data, y, first_call)
        else:
            self._fit(data, y)

    def _take_over(self, work):
        self.__dict__.clear()
        self.__dict__.update(work.__dict__)
        return self

    def _fit_array_api(self, X, y, sample_weight, namespace, partial):
        """``fit`` or ``partial_fit`` on an array of another namespace (array
        API dispatch): the epochs run there (:mod:`._som_array_api`), the small
        host-side steps (grid, unit groups) in NumPy, and every fitted array ends
        in X's namespace and device."""
        if self.algorithm == "online":
            raise ValueError(
                "algorithm='online' updates the map after every sample, one at a "
                "time, which leaves a GPU idle; with array API dispatch use "
                "algorithm='batch' (the default), or train online on NumPy arrays."
            )
        first_call = self._starts_a_map(X, partial)
        # The work's fitted arrays are on the host: the host-side steps read NumPy.
        work = self._work_copy()
        fitted_arrays_to(work, None)
        X = validate_data(
            work, X, reset=first_call, dtype=float_dtypes(namespace),
            ensure_all_finite="allow-nan",
        )
        xp = namespace.xp
        if bool(xp.any(xp.isnan(X))):
            raise ValueError(
                "X holds NaN. Missing values are handled on NumPy arrays only: "
                "fit on X moved to the host (NumPy), or impute them first."
            )
        if not first_call and X.dtype != namespace.asarray(work.codebook_).dtype:
            X = xp.astype(X, namespace.asarray(work.codebook_).dtype)
        # The weights' checks and rules of copies run on the host (n floats);
        # the kernels read them from the device (ArrayAPIData).
        sample_weight = check_sample_weight(
            follow_X(None, sample_weight), _host_rows(X), np.float64)
        data = ArrayAPIData(X, sample_weight, namespace)
        work._train(data, y, partial, first_call)
        fitted_arrays_to(work, namespace)
        return self._take_over(work)

    def _fitted_state(self, W, data):
        """The fitted attributes of the map with codebook ``W`` trained on
        ``data``, for a callback's snapshot of the model in the middle of
        ``fit``."""
        snapshot = copy.copy(self)
        snapshot.codebook_ = to_numpy_array(W).copy()
        snapshot.hits_ = np.zeros(W.shape[0])
        snapshot._finalize(data)
        names = ("codebook_", "hits_", "quantization_error_", "topographic_error_",
                 "unit_labels_", "cluster_centers_", "labels_")
        return {name: getattr(snapshot, name) for name in names}

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train the map for one epoch on a chunk of data.

        The first call initializes the map from this chunk (the shape too, when
        ``n_rows``/``n_cols`` are None). Each call advances the radius and
        learning-rate schedules by one step; after ``max_iter`` calls they stay at
        their end values and the batch rule averages over all chunks seen.

        Later calls continue the fitted map on the grid it was fitted on: a
        ``topology``, ``periodic``, ``n_rows`` or ``n_cols`` that ``set_params``
        has changed since is a ``ValueError`` (``fit`` trains a map with the new
        geometry). The training parameters (radius, learning rate, kernel,
        ``n_clusters``) are read at every call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Chunk of training data; NaN marks a missing value. A dask array
            is one chunk, its epoch run on the cluster block by block.

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of every sample.

        Returns
        -------
        self : object
            Updated estimator.
        """
        if is_dask_array(X):
            return self._fit_dask(X, y, sample_weight, partial=True)
        namespace = namespace_of(X)
        if not namespace.is_numpy:
            return self._fit_array_api(X, y, sample_weight, namespace, partial=True)
        first_call = not hasattr(self, "codebook_")
        if not first_call:
            check_fit_namespace(X, self, attribute="codebook_", method="partial_fit")
        X = validate_data(
            self, X, reset=first_call, dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
        )
        masked = check_missing(X)
        if not first_call and X.dtype != self.codebook_.dtype:
            X = X.astype(self.codebook_.dtype)
        sample_weight = check_sample_weight(sample_weight, X, np.float64)
        # every call: set_params may have changed the rule since the last one
        self._check_algorithm()
        if not first_call:
            self._check_fitted_geometry()
        return self._partial_fit(InMemoryData(X, sample_weight, masked), y, first_call)

    def _partial_fit(self, data, y, first_call):
        """``partial_fit`` on validated data (:mod:`._som_data`)."""
        self._check_radius(None if first_call else self.sigma_start_)
        if first_call:
            self._rng = check_random_state(self.random_state)
            self._initialize_from(data, self._rng)
            if self.n_rows is None or self.n_cols is None:
                warnings.warn(
                    f"partial_fit chose the map's shape from its first chunk "
                    f"alone: {data.n_samples} samples give {self.n_rows_}×"
                    f"{self.n_cols_} units, and later chunks cannot change it. "
                    "Pass n_rows and n_cols sized for all the data (the "
                    "automatic rule gives about 5·√N units for N samples).",
                    UserWarning,
                    stacklevel=4,
                )
            self.n_iter_ = 0
            self._sigma_last = None
            self._mass = None
            self._weight_scale = data.weight_scale
            self.hits_ = np.zeros(self.codebook_.shape[0])

        n_samples = data.n_samples
        task = FitTask(self, 1, data.X, y, data.sample_weight)
        iteration = task.begin_iteration("epoch")
        decay = DECAYS[self.decay]
        frac = schedule_fraction(self.n_iter_, self.max_iter)
        sigma = float(decay(self.sigma_start_, self.sigma_end, frac))
        tic = time.perf_counter()
        if self.algorithm == "batch":
            eta = None
            # Only at a constant radius are earlier chunks' estimates of the same
            # fixed point, worth averaging with this one.
            previous = self._mass if sigma == self._sigma_last else None
            if previous is not None:
                # The chunks meet in one unit of weight, the larger of the two
                # scales: nothing overflows, and a side far lighter than the
                # other fades to the rounding it is (the mass is float64).
                scale = max(self._weight_scale, data.weight_scale)
                previous = previous * (self._weight_scale / scale)
                data.weight_scale = scale
        else:
            eta = np.full(
                n_samples, decay(self.learning_rate_start, self.learning_rate_end, frac)
            )
            sigma = np.full(n_samples, sigma)
            previous = None
        W, self._mass = self._epoch(
            data,
            self.codebook_,
            self._epoch_distances(),
            sigma,
            eta,
            self._rng,
            previous_mass=previous,
        )
        self._weight_scale = data.weight_scale
        self.codebook_ = to_numpy_array(W)
        if self._mass is not None:
            self._mass = to_numpy_array(self._mass)
        self.n_iter_ += 1
        self._sigma_last = float(np.ravel(sigma)[-1])
        self._neighborhood = self.neighborhood
        elapsed = time.perf_counter() - tic
        self._finalize(data)  # the errors of the new codebook, for verbose too
        if self.verbose > 0:
            self._print_epoch(
                self.n_iter_, None, sigma, eta, self.quantization_error_,
                self.topographic_error_, elapsed,
            )
        task.end_iteration(iteration, {})
        task.end()
        return self

    def _epoch(self, data, W, grid_dist, sigma, eta, rng, previous_mass=None,
               reach_limit=None):
        """One epoch of the chosen rule; returns ``(W, mass)``.

        Batch: ``sigma`` is a number, ``mass`` the denominators Σ_j h(j,k) n_j
        (per feature when the data hold NaN).
        Online: ``sigma`` and ``eta`` hold one value per step, ``mass`` is None.
        """
        kernel = NEIGHBORHOODS[self.neighborhood]
        if self.algorithm == "batch":
            if isinstance(grid_dist, tuple):  # distances along each axis
                H = SeparableNeighbourhood(
                    *(kernel(axis, float(sigma)) for axis in grid_dist)
                )
            else:
                H = kernel(grid_dist, float(sigma))
            W, mass, _ = data.batch_epoch(W, H, previous_mass=previous_mass)
        else:
            n_samples = data.n_samples
            W, mass = W.copy(), None
            order = rng.permutation(n_samples) if self.shuffle else range(n_samples)
            online_epoch(
                data.X,
                data.sample_weight,
                W,
                grid_dist,
                order,
                sigma,
                eta,
                kernel,
                masked=data.masked,
                reach_limit=reach_limit,
            )
        cure = "Scale the data (e.g. StandardScaler) and refit."
        if self.algorithm == "online" and data.weight_scale > 1.0:
            cure += (
                " Online, a sample of weight s counts as s presentations; the "
                f"largest weight is {data.weight_scale:.4g}: normalise the weights "
                "(e.g. to mean 1)."
            )
        check_finite_result(to_numpy_array(W), "The codebook", cure)
        return W, mass

    def _check_algorithm(self):
        if (
            self.algorithm == "batch"
            and self.neighborhood not in NON_NEGATIVE_NEIGHBORHOODS
        ):
            raise ValueError(
                f"neighborhood={self.neighborhood!r} takes negative values, which the "
                "batch update (a neighbourhood-weighted mean) cannot use; choose "
                "algorithm='online' or another neighborhood."
            )
        if (self.algorithm == "online" and self.decay == "exponential"
                and self.learning_rate_end == 0):
            # start · (0 / start)^frac is 0 from the first step on
            raise ValueError(
                "decay='exponential' cannot reach learning_rate_end=0: the "
                "learning rate would be 0 after the first step. Use a positive "
                "learning_rate_end or decay='linear'."
            )

    def _check_radius(self, fitted_start=None):
        """A ``ValueError`` for a radius schedule that would grow.

        ``fitted_start``: the radius a continued ``partial_fit`` started from
        (``sigma_start_``); None checks the parameters.
        """
        start = self.sigma_start if fitted_start is None else fitted_start
        if start is None or start >= self.sigma_end:
            return
        if fitted_start is None:
            raise ValueError(
                f"sigma_start={start} is below sigma_end={self.sigma_end}: the "
                "neighbourhood radius would grow during training. A map orders "
                "itself while the radius is wide and refines while it shrinks: "
                "set sigma_start above sigma_end (None starts at half the map's "
                "longer side), or lower sigma_end."
            )
        raise ValueError(
            f"The fitted map's radius started at sigma_start_={start:.4g}, below "
            f"sigma_end={self.sigma_end}: partial_fit would grow the radius. "
            "Lower sigma_end, or call fit to start a new schedule."
        )

    def _initialize(self, X, sample_weight, rng, masked=False):
        """Resolve the map shape and radius, and set the initial codebook."""
        self._initialize_from(InMemoryData(X, sample_weight, masked), rng)

    def _initialize_from(self, data, rng):
        """:meth:`_initialize` from the data's facade (:mod:`._som_data`)."""
        for name, value in self._initial_state(data, rng).items():
            setattr(self, name, value)

    def _initial_state(self, data, rng):
        """Map shape, unit positions, radius and initial codebook, as a dict of
        the attributes they set.

        ``data`` answers for the training data (:class:`._som_init.InMemoryData`,
        or :class:`._som_dask.DaskData` for a dask array). With NaN in the data
        (``data.masked``) every feature needs an observed value (of positive
        weight); the principal axes come from the observed entries
        (:mod:`._som_init`), drawn samples have their gaps filled with the
        feature means, and the random box spans the observed values.
        """
        n_samples, n_features = data.n_samples, data.n_features
        means = None
        if data.masked:
            means, observed_weight = data.observed_means()
            never = np.flatnonzero(observed_weight == 0)
            if never.size:
                raise ValueError(
                    f"Feature(s) {never.tolist()} of X have no observed value (of "
                    "positive weight): a map cannot learn them. Drop these columns."
                )
        init_is_array = not isinstance(self.init, str)
        needs_pca = self.init == "pca" if not init_is_array else False
        if init_is_array and (self.n_rows is None or self.n_cols is None):
            raise ValueError(
                "init given as an array needs the map shape: set n_rows and n_cols."
            )
        if init_is_array and np.iscomplexobj(self.init):
            raise ValueError(
                "init holds complex numbers; prototypes live in the real input "
                "space. Pass real initial prototypes (e.g. init.real)."
            )
        pca = None
        if needs_pca or self.n_rows is None or self.n_cols is None:
            pca = data.pca()
        if self.n_rows is None or self.n_cols is None:
            n_rows, n_cols = pick_map_shape(
                self._automatic_n_units(data), pca[1], self.topology, self.n_rows,
                self.n_cols,
            )
        else:
            n_rows, n_cols = self.n_rows, self.n_cols
        n_rows, n_cols = int(n_rows), int(n_cols)
        n_units = n_rows * n_cols
        coords = unit_coordinates(n_rows, n_cols, self.topology)
        default_sigma = max(max(n_rows, n_cols) / 2.0, self.sigma_end)
        sigma_start = float(
            default_sigma if self.sigma_start is None else self.sigma_start
        )

        if init_is_array:
            W = np.array(self.init, dtype=data.dtype, copy=True)
            if W.shape != (n_units, n_features):
                raise ValueError(
                    f"init has shape {W.shape}; a {n_rows}×{n_cols} map on data with "
                    f"{n_features} features needs ({n_units}, {n_features})."
                )
            check_finite_result(W, "init", "Pass finite initial prototypes.")
        elif self.init == "pca":
            W = pca_codebook(pca, coords, n_samples, n_features, (n_rows, n_cols))
        elif self.init == "sample":
            W = data.draw(rng, n_units)
            if data.masked:
                W = np.where(np.isnan(W), means.astype(data.dtype), W)
        else:
            low, high = data.bounds()
            W = low + (high - low) * rng.uniform(size=(n_units, n_features))
        return {
            "n_rows_": n_rows,
            "n_cols_": n_cols,
            # The grid the codebook lives on: every method of the fitted map
            # reads these, never the parameters, which set_params may change.
            "_topology": self.topology,
            "_periodic": bool(self.periodic),
            "unit_coordinates_": coords,
            "sigma_start_": sigma_start,
            "codebook_": np.ascontiguousarray(W, dtype=data.dtype),
        }

    def _automatic_n_units(self, data):
        """Units of the automatic map shape, warning when weights enlarge it.

        A weight counts as that many copies of its sample (scikit-learn's
        convention, which its weight-equivalence check asks for), so the size
        follows the weight sum, bounded by :func:`._som_grid.automatic_n_units`.
        """
        n_live = data.n_live()
        n_units = automatic_n_units(data.total_weight(), n_live)
        from_rows = automatic_n_units(n_live, n_live)
        if n_units > from_rows:
            warnings.warn(
                f"sample_weight sums to {data.total_weight():.4g}. Weights count "
                f"as copies of their samples, so they size the automatic map at "
                f"{n_units} units where the {n_live} samples alone give "
                f"{from_rows} (at most max(n_samples, {SMALL_MAP_UNITS}) units). "
                "Normalise the weights (e.g. to mean 1), or set n_rows and "
                "n_cols.",
                UserWarning,
                stacklevel=2,
            )
        return n_units

    def _periods(self):
        return grid_periods(self.n_rows_, self.n_cols_, self._topology, self._periodic)

    def _check_fitted_geometry(self):
        """A ``ValueError`` when set_params changed the grid of a fitted map.

        ``partial_fit`` continues the fitted map, whose codebook is laid out on
        the fitted grid: training it on another would mix two geometries.
        """
        changed = [
            f"{name}={fitted!r} (now {given!r})"
            for name, fitted, given in (
                ("topology", self._topology, self.topology),
                ("periodic", self._periodic, bool(self.periodic)),
                ("n_rows", self.n_rows_, self.n_rows),
                ("n_cols", self.n_cols_, self.n_cols),
            )
            if given is not None and given != fitted
        ]
        if changed:
            raise ValueError(
                "partial_fit continues the fitted map, which has "
                + ", ".join(changed)
                + ". Call fit to train a map with the new geometry, or set the "
                "fitted values back."
            )

    def _epoch_distances(self):
        """What the epochs' neighbourhoods come from: for the batch rule's
        gaussian on a rectangular grid, which factors over the grid's axes,
        the ``(rows, cols)`` distances along each axis
        (:class:`._som_kernels.SeparableNeighbourhood`); else the grid
        distance of every two units."""
        if (self.algorithm == "batch" and self.neighborhood == "gaussian"
                and self._topology == "rectangular"):
            return axis_distances(self.n_rows_, self.n_cols_, self._periods())
        return self._grid_distances()

    def _grid_distances(self):
        return unit_grid_distances(self.unit_coordinates_, self._periods())

    def _print_epoch(self, epoch, n_epochs, sigma, eta, quantization_error,
                     topographic_error, elapsed):
        """The verbose line of an epoch: its schedules and the errors of the
        codebook it ends with."""
        # Online schedules hold one value per step: report the epoch's first.
        sigma = float(np.ravel(sigma)[0])
        eta = None if eta is None else float(np.ravel(eta)[0])
        rate = "" if eta is None else f", learning rate = {eta:.4g}"
        of = "" if n_epochs is None else f"/{n_epochs}"  # partial_fit has no end
        print(
            f"Epoch {epoch}{of}: sigma = {sigma:.4g}{rate}; at its end "
            f"quantization error = {quantization_error:.6g}, topographic error "
            f"= {topographic_error:.4g}; time = {elapsed:.3f} s"
        )

    def _topographic(self, wrong):
        """The topographic error, NaN for a map with one unit (no neighbours)."""
        return float("nan") if self.codebook_.shape[0] == 1 else wrong

    def _finalize(self, data):
        """Labels, errors, hits and unit groups of the trained codebook on the
        training data (:mod:`._som_data`)."""
        bmu, error_sum, wrong_sum, hits = data.results(
            self.codebook_, self.unit_coordinates_, self._periods()
        )
        total = data.scaled_total()
        self.quantization_error_ = error_sum / total
        self.topographic_error_ = self._topographic(wrong_sum / total)
        with np.errstate(over="ignore"):  # beyond the float range: inf
            self.hits_ = self.hits_ + hits
        self._n_clusters = self.n_clusters  # the grouping below, for the Displays
        if self.n_clusters is None:
            self.unit_labels_ = np.arange(self.codebook_.shape[0])
            self.cluster_centers_ = self.codebook_
        else:
            self.unit_labels_ = group_units(
                self.codebook_,
                self.hits_,
                self.unit_coordinates_,
                self._periods(),
                self.n_clusters,
            )
            hits = _relative_hits(self.hits_)
            sums = np.zeros((self.n_clusters, self.codebook_.shape[1]))
            np.add.at(sums, self.unit_labels_, hits[:, None] * self.codebook_)
            mass = np.bincount(
                self.unit_labels_, weights=hits, minlength=self.n_clusters
            )
            self.cluster_centers_ = (sums / mass[:, None]).astype(self.codebook_.dtype)
        self.labels_ = self.unit_labels_[bmu]

    def _bmu_and_errors(self, X, sample_weight, masked=None, reach=1.0):
        """Best-matching units, Σ s·‖x − w_c‖ and Σ s·[c, c₂ not adjacent]."""
        return bmu_and_errors(
            X, sample_weight, self.codebook_, self.unit_coordinates_, self._periods(),
            masked=masked, reach=reach,
        )

    # ---------------------------------------------------------------- inference

    def _validate_for_inference(self, X):
        """``X`` checked against the fit, and whether it holds NaN."""
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
        )
        return X, check_missing(X)

    def _validate_dask(self, X):
        """A dask ``X`` checked against the fit (:mod:`._som_dask`)."""
        check_is_fitted(self)
        return check_inference_data(X, self.n_features_in_)

    def _on_device(self, X, method):
        """``(namespace, X)`` when ``X`` is an array of another namespace than
        NumPy under array API dispatch (checked against the fit's namespace and
        features), else None: the NumPy path runs."""
        check_is_fitted(self)
        check_fit_namespace(X, self, attribute="codebook_", method=method)
        namespace = namespace_of(X)
        if namespace.is_numpy:
            return None
        X = validate_data(self, X, reset=False, dtype=float_dtypes(namespace))
        return namespace, X

    def _device_codebook(self, namespace, X):
        return namespace.xp.astype(namespace.asarray(self.codebook_), X.dtype)

    def best_matching_unit(self, X):
        """Index of the best-matching unit of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN marks a missing value.

        Returns
        -------
        bmu : ndarray of shape (n_samples,)
            Unit index, row-major over the grid (row ``bmu // n_cols_``, column
            ``bmu % n_cols_``).
        """
        if is_dask_array(X):
            return dask_unit_values(
                self._validate_dask(X), self.codebook_,
                np.arange(self.codebook_.shape[0]),
            )
        on_device = self._on_device(X, "best_matching_unit")
        if on_device is not None:
            namespace, X = on_device
            return device_best_matching_units(
                namespace, X, self._device_codebook(namespace, X))
        X, masked = self._validate_for_inference(X)
        return best_matching_units(
            X, self.codebook_.astype(X.dtype, copy=False), masked=masked
        )

    def predict(self, X):
        """Label of every sample: its best-matching unit, or that unit's group.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN marks a missing value.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Unit index when ``n_clusters`` is None, otherwise group 0 … k−1.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return dask_unit_values(
                self._validate_dask(X), self.codebook_, self.unit_labels_
            )
        on_device = self._on_device(X, "predict")
        if on_device is not None:
            namespace, X = on_device
            bmu = device_best_matching_units(
                namespace, X, self._device_codebook(namespace, X))
            return namespace.xp.take(namespace.asarray(self.unit_labels_), bmu)
        return self.unit_labels_[self.best_matching_unit(X)]

    def transform(self, X):
        """Euclidean distance of every sample to every unit's prototype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN marks a missing value.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_units)
            Distances, same dtype as ``X`` (float32 or float64), over each
            sample's observed features when ``X`` holds NaN. Column ``k`` is
            named ``selforganizingmap{k}`` by ``get_feature_names_out``.
        """
        if is_dask_array(X):
            return dask_distances(self._validate_dask(X), self.codebook_)
        on_device = self._on_device(X, "transform")
        if on_device is not None:
            namespace, X = on_device
            return unit_distances(namespace, X, self._device_codebook(namespace, X))
        X, masked = self._validate_for_inference(X)
        W = self.codebook_.astype(X.dtype, copy=False)
        if masked:
            return observed_distances(X, W)
        return euclidean_distances(X, W)

    def grid_coordinates(self, X):
        """Position on the map of every sample's best-matching unit.

        A two-dimensional projection of the data, for plots.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN marks a missing value.

        Returns
        -------
        coordinates : ndarray of shape (n_samples, 2)
            Position (x, y) in the plane, as in ``unit_coordinates_``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return dask_unit_values(
                self._validate_dask(X), self.codebook_, self.unit_coordinates_
            )
        on_device = self._on_device(X, "grid_coordinates")
        if on_device is not None:
            namespace, X = on_device
            bmu = device_best_matching_units(
                namespace, X, self._device_codebook(namespace, X))
            return namespace.xp.take(namespace.asarray(self.unit_coordinates_), bmu,
                                     axis=0)
        return self.unit_coordinates_[self.best_matching_unit(X)]

    def hit_map(self, X=None, sample_weight=None):
        """Number of samples won by every unit, laid out as the grid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Samples; None returns the hits of the training data, ``hits_``.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of every sample.

        Returns
        -------
        hits : ndarray of shape (n_rows_, n_cols_)
            (Weighted) count of samples per unit; integer counts without weights.
        """
        check_is_fitted(self)
        if X is None:
            return self.hits_.reshape(self.n_rows_, self.n_cols_)
        if is_dask_array(X):
            hits = dask_hits(self._validate_dask(X), sample_weight, self.codebook_)
            return hits.reshape(self.n_rows_, self.n_cols_)
        on_device = self._on_device(X, "hit_map")
        if on_device is not None:
            namespace, X = on_device
            bmu = to_numpy_array(device_best_matching_units(
                namespace, X, self._device_codebook(namespace, X)))
            sample_weight = check_sample_weight(
                follow_X(None, sample_weight), _host_rows(X), np.float64)
            hits = np.bincount(
                bmu, weights=sample_weight, minlength=self.n_rows_ * self.n_cols_)
            return namespace.asarray(hits.reshape(self.n_rows_, self.n_cols_))
        X, masked = self._validate_for_inference(X)
        sample_weight = check_sample_weight(sample_weight, X, np.float64)
        bmu = best_matching_units(
            X, self.codebook_.astype(X.dtype, copy=False), masked=masked
        )
        hits = np.bincount(
            bmu, weights=sample_weight, minlength=self.codebook_.shape[0]
        )
        return hits.reshape(self.n_rows_, self.n_cols_)

    def quantization_error(self, X, sample_weight=None):
        """Weighted mean distance of the samples to their best-matching prototype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN marks a missing value.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of every sample.

        Returns
        -------
        error : float
            Mean of ``‖x − w_c(x)‖``, over each sample's observed features.
        """
        if is_dask_array(X):
            return self._dask_errors(X, sample_weight)[0]
        on_device = self._on_device(X, "quantization_error")
        if on_device is not None:
            return self._device_errors(*on_device, sample_weight)[0]
        X, masked = self._validate_for_inference(X)
        sample_weight = check_sample_weight(sample_weight, X, np.float64)
        error_sum, _ = self._errors(X, sample_weight, masked)
        return error_sum

    def topographic_error(self, X, sample_weight=None, *, diagonal=False):
        """Weighted fraction of samples whose two best units are not neighbours.

        Neighbours are units at grid distance 1: 4 per unit on a rectangular map,
        6 on a hexagonal one, counted across the edges of a periodic map. With
        ``diagonal=True`` a rectangular map's diagonal units count too (8
        neighbours, MiniSom's definition), which gives a lower error on the same
        map; ``topographic_error_`` uses 4.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN marks a missing value.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of every sample.

        diagonal : bool, default=False
            Count the diagonal units of a rectangular map as neighbours (no
            effect on a hexagonal map, whose 6 neighbours all lie at distance 1).

        Returns
        -------
        error : float
            In [0, 1]; NaN for a map with a single unit.
        """
        check_is_fitted(self)
        reach = neighbour_reach(self._topology, diagonal)
        if is_dask_array(X):
            return self._topographic(self._dask_errors(X, sample_weight, reach)[1])
        on_device = self._on_device(X, "topographic_error")
        if on_device is not None:
            return self._topographic(
                self._device_errors(*on_device, sample_weight, reach)[1])
        X, masked = self._validate_for_inference(X)
        sample_weight = check_sample_weight(sample_weight, X, np.float64)
        _, wrong = self._errors(X, sample_weight, masked, reach)
        return self._topographic(wrong)

    def _dask_errors(self, X, sample_weight, reach=1.0):
        return dask_errors(
            self._validate_dask(X), sample_weight, self.codebook_,
            self.unit_coordinates_, self._periods(), reach,
        )

    def _device_errors(self, namespace, X, sample_weight, reach=1.0):
        """:meth:`_errors` on an array of another namespace."""
        sample_weight = relative_weights(check_sample_weight(
            follow_X(None, sample_weight), _host_rows(X), np.float64))
        total = X.shape[0] if sample_weight is None else sample_weight.sum()
        if sample_weight is not None:
            sample_weight = namespace.asarray(sample_weight.astype(
                np.float32 if X.dtype == namespace.xp.float32 else np.float64))
        _, error_sum, wrong_sum = device_bmu_and_errors(
            namespace, X, sample_weight, self._device_codebook(namespace, X),
            to_numpy_array(self.unit_coordinates_), self._periods(), reach)
        return error_sum / total, wrong_sum / total

    def _errors(self, X, sample_weight, masked=None, reach=1.0):
        """Weighted means of the distance and the topographic miss; the weights
        scaled by their largest, so that no sum of them overflows."""
        sample_weight = relative_weights(sample_weight)
        _, error_sum, wrong_sum = self._bmu_and_errors(X, sample_weight, masked,
                                                       reach)
        total = X.shape[0] if sample_weight is None else sample_weight.sum()
        return error_sum / total, wrong_sum / total

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the quantization error of ``X``: higher is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN marks a missing value.

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of every sample.

        Returns
        -------
        score : float
            ``-quantization_error(X, sample_weight)``.
        """
        return -self.quantization_error(X, sample_weight=sample_weight)

    def umatrix(self):
        """Unified distance matrix: mean distance of each prototype to its neighbours.

        High values mark borders between clusters, low values their interiors;
        :class:`~sknn_math.SOMDisplay` draws them dark and light.

        Returns
        -------
        umatrix : ndarray of shape (n_rows_, n_cols_)
            Mean Euclidean distance of every unit's prototype to the prototypes of
            its grid neighbours (0 for a map with one unit).
        """
        check_is_fitted(self)
        coordinates = to_numpy_array(self.unit_coordinates_)
        a, b = np.nonzero(grid_adjacency(coordinates, self._periods()))
        W = to_numpy_array(self.codebook_).astype(np.float64)
        edge = np.linalg.norm(W[a] - W[b], axis=1)
        n_units = W.shape[0]
        total = np.bincount(a, weights=edge, minlength=n_units)
        degree = np.bincount(a, minlength=n_units)
        mean = np.divide(total, degree, out=np.zeros(n_units), where=degree > 0)
        return mean.reshape(self.n_rows_, self.n_cols_)
