"""Plots in scikit-learn's Display style: ``XDisplay.from_estimator(...)``, ``.plot()``.

matplotlib is an optional dependency (``pip install "sknn-math[plot]"``): it is
imported inside the methods that draw, never when :mod:`sknn_math` is imported.

- :class:`LossCurveDisplay`: a trained network's loss per epoch, with the
  validation loss and score when it trained with ``early_stopping``.
- :class:`SOMDisplay`: one value (U-matrix, hits, a component, a colour, a
  cluster) per unit of a self-organizing map, drawn as squares or hexagons,
  optionally with the labels of the samples each unit wins.
- :class:`ComponentPlanesDisplay`: one map per input feature.

Decision boundaries are :class:`sklearn.inspection.DecisionBoundaryDisplay`'s job.
"""

import numbers
from collections import Counter

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._som_grid import unit_polygons

__all__ = ["ComponentPlanesDisplay", "LossCurveDisplay", "SOMDisplay"]


def _import_pyplot(what):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{what} needs matplotlib. Install it with "
            '`pip install "sknn-math[plot]"` or `pip install matplotlib`.'
        ) from exc
    return plt


def _get_ax(ax, what):
    plt = _import_pyplot(what)
    if ax is None:
        _, ax = plt.subplots()
    return ax


# --------------------------------------------------------------------------------
# Pipelines.
# --------------------------------------------------------------------------------


def _final_step(estimator, X=None):
    """The model at the end of ``estimator``, ``X`` as that model sees it, and the
    names of its input features when the steps before it give them.

    ``estimator`` is returned as is unless it is a fitted
    :class:`~sklearn.pipeline.Pipeline` (nested ones too): then its last step,
    with ``X`` transformed by the steps before it and their
    ``get_feature_names_out()`` (None when a step cannot name its output).
    """
    names = None
    while isinstance(estimator, Pipeline):
        # The pipeline's own check asks its last step; the attributes the
        # Displays read are checked on that step by the caller.
        check_is_fitted(estimator)
        head, estimator = estimator[:-1], estimator[-1]
        if len(head) == 0:
            continue
        if X is not None:
            X = head.transform(X)
        try:
            names = np.asarray(head.get_feature_names_out(), dtype=object)
        except (AttributeError, TypeError, ValueError):
            names = None
    return estimator, X, names


# --------------------------------------------------------------------------------
# Loss and validation curves.
# --------------------------------------------------------------------------------

def _legend_above_curves(ax, handles, axes):
    """A legend at the top of ``ax``, in a band that the y-limits of ``axes``
    (``ax`` and its twin) leave free of curves.

    Loss curves fall and score curves rise across the whole width, so no corner
    stays free; and matplotlib's ``loc='best'`` would not see the curves of a
    twin y-axis. The limits stay autoscaled: a curve added later rescales them.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    for ncol in (2, 1):  # one column where two are wider than the axes
        legend = ax.legend(handles=handles, loc="upper center", ncol=ncol,
                           fontsize="small")
        box = legend.get_window_extent(renderer)
        if box.width <= frame.width:
            break
    height = box.height / max(frame.height, 1.0)
    # slack for a layout engine that shrinks the axes when the figure is drawn
    band = min(1.3 * height + 0.03, 0.6)
    for each in axes:
        bottom, top = each.get_ylim()
        scale = each.yaxis.get_transform()  # identity, or log for a log axis
        low, high = scale.transform(np.array([bottom, top]))
        new_top = scale.inverted().transform(
            np.array([low + (high - low) / (1.0 - band)]))[0]
        each.set_ylim(bottom, new_top)
        each.set_autoscaley_on(True)
    return legend


class LossCurveDisplay:
    """Loss per epoch of a trained network, with its validation curves.

    Build it with :meth:`from_estimator`; the constructor takes the curves
    themselves, for curves computed elsewhere.

    The two losses are not the same quantity: the training loss is the
    objective the solver minimises, the data term plus the L1/L2 penalty
    (``alpha``), averaged over the epoch's mini-batches; the validation loss is
    the data term alone, on the held-out set at the end of the epoch. With a
    penalty the training curve can lie above the validation curve for this
    reason only; the legend says which curve holds the penalty.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The training loss after each epoch (or each L-BFGS iteration).
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        The loss on the held-out set after each epoch.
    validation_scores : array-like of shape (n_epochs,), default=None
        The score (accuracy or R²) on the held-out set after each epoch.
    estimator_name : str, default=None
        Title of the axes.
    best_epoch : int, default=None
        The epoch (from 1) whose weights the model kept, marked by a vertical
        line; None marks none. :meth:`from_estimator` sets it to the epoch of
        the best validation score when the network trained with
        ``early_stopping``.
    penalized : bool, default=False
        Whether ``loss_curve`` includes a penalty that the validation loss does
        not; the legend then says so.
    xlabel : str, default='epoch'
        Label of the x-axis; :meth:`from_estimator` writes 'L-BFGS iteration'
        for a network trained by L-BFGS.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss.
    validation_loss_line_ : matplotlib Line2D or None
        The validation loss, when given.
    validation_score_line_ : matplotlib Line2D or None
        The validation score, drawn against a second y-axis on the right.
    best_epoch_line_ : matplotlib Line2D or None
        The vertical line at ``best_epoch``, when given.
    legend_ : matplotlib Legend
        The legend, at the top of the axes in a band that the y-limits leave
        free of curves, so that it hides none.
    ax_ : matplotlib Axes
        The axes of the loss curves.
    score_ax_ : matplotlib Axes or None
        The twin axes of the validation score.
    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    SOMDisplay : Values on the units of a self-organizing map.
    sklearn.model_selection.LearningCurveDisplay : Scores against training size.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sknn_math import LossCurveDisplay, SigmoidMLPClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y = np.array([0, 1, 1, 0])
    >>> clf = SigmoidMLPClassifier((3,), solver="lbfgs", random_state=1).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> display.line_.get_ydata()[-1] < 0.1
    np.True_
    >>> display.ax_.get_xlabel()
    'L-BFGS iteration'
    >>> plt.close("all")
    """

    def __init__(self, *, loss_curve, validation_loss_curve=None,
                 validation_scores=None, estimator_name=None, best_epoch=None,
                 penalized=False, xlabel="epoch"):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name
        self.best_epoch = best_epoch
        self.penalized = penalized
        self.xlabel = xlabel

    def plot(self, ax=None, *, name=None, log_scale=False, **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        name : str, default=None
            Title of the axes; None uses ``estimator_name``.
        log_scale : bool, default=False
            Draw the loss on a logarithmic axis.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the training loss;
            ``label=`` names it in a legend of several networks' curves.

        Returns
        -------
        display : LossCurveDisplay
            The object, with the artists in its attributes.
        """
        ax = _get_ax(ax, "LossCurveDisplay")
        name = self.estimator_name if name is None else name
        epochs = np.arange(1, len(self.loss_curve) + 1)
        label = "training loss (with penalty)" if self.penalized else "training loss"
        (self.line_,) = ax.plot(epochs, self.loss_curve, **{"label": label, **kwargs})
        self.validation_loss_line_ = None
        if self.validation_loss_curve is not None:
            (self.validation_loss_line_,) = ax.plot(
                epochs[: len(self.validation_loss_curve)], self.validation_loss_curve,
                linestyle="--", color=self.line_.get_color(),
                label=("validation loss (no penalty)" if self.penalized
                       else "validation loss"),
            )
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel("loss")
        self.best_epoch_line_ = None
        if self.best_epoch is not None:
            self.best_epoch_line_ = ax.axvline(
                self.best_epoch, color="grey", linestyle=":", linewidth=1.2,
                label=f"best {self.xlabel} ({self.best_epoch}): weights kept",
            )
        self.score_ax_ = self.validation_score_line_ = None
        if self.validation_scores is not None:
            self.score_ax_ = ax.twinx()
            (self.validation_score_line_,) = self.score_ax_.plot(
                epochs[: len(self.validation_scores)], self.validation_scores,
                color="tab:green", linestyle="-.", label="validation score",
            )
            self.score_ax_.set_ylabel("validation score")
        handles = [h for h in (self.line_, self.validation_loss_line_,
                               self.validation_score_line_, self.best_epoch_line_)
                   if h is not None]
        # on the twin axes when there is one, which are drawn on top
        self.legend_ = _legend_above_curves(
            ax if self.score_ax_ is None else self.score_ax_, handles,
            [a for a in (ax, self.score_ax_) if a is not None],
        )
        if name is not None:
            ax.set_title(name)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, log_scale=False,
                       **kwargs):
        """Draw the loss curve of a fitted network.

        Parameters
        ----------
        estimator : fitted estimator with ``loss_curve_``, or Pipeline
            A :class:`~sknn_math.SigmoidMLPClassifier`,
            :class:`~sknn_math.SigmoidMLPRegressor`, Elman network, or
            scikit-learn's own MLP, or a fitted
            :class:`~sklearn.pipeline.Pipeline` ending in one. Its
            ``validation_loss_curve_`` and ``validation_scores_`` are drawn
            when it has them, with the epoch of the best validation score,
            whose weights early stopping kept.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        name : str, default=None
            Title of the axes; None uses the network's class name.
        log_scale : bool, default=False
            Draw the loss on a logarithmic axis.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the training loss.

        Returns
        -------
        display : LossCurveDisplay
            The drawn display.
        """
        estimator, _, _ = _final_step(estimator)
        check_is_fitted(estimator)
        if getattr(estimator, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_; it is drawn for "
                "networks trained by gradient descent or L-BFGS."
            )
        scores = getattr(estimator, "validation_scores_", None)
        best_epoch = None
        if scores is not None and len(scores) > 0:
            # early stopping keeps the weights of the first best score
            best_epoch = int(np.argmax(scores)) + 1
        lbfgs = getattr(estimator, "solver", None) == "lbfgs"
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=scores,
            estimator_name=type(estimator).__name__ if name is None else name,
            best_epoch=best_epoch,
            penalized=float(getattr(estimator, "alpha", 0.0) or 0.0) > 0,
            xlabel="L-BFGS iteration" if lbfgs else "epoch",
        )
        return display.plot(ax=ax, log_scale=log_scale, **kwargs)


# --------------------------------------------------------------------------------
# Self-organizing maps.
# --------------------------------------------------------------------------------


def _majority_labels(units, y, n_units):
    """Most frequent label among the samples each unit wins, None where it wins none."""
    counts = [Counter() for _ in range(n_units)]
    for unit, label in zip(units, y, strict=True):
        counts[unit][label] += 1
    return [c.most_common(1)[0][0] if c else None for c in counts]


_SOM_KINDS = ("umatrix", "hits", "component", "codebook", "clusters")


class SOMDisplay:
    """One value per unit of a self-organizing map, drawn on the map's grid.

    Each unit is a square (rectangular map) or a hexagon (hexagonal map) placed at
    its grid position, row 0 at the top. The value is a number coloured by a
    colormap (U-matrix, hits, one component of the prototypes, a cluster) or the
    unit's own colour (prototypes that are RGB colours). Labels, when given, are
    written on the units: typically the most frequent class of the samples each
    unit wins. Build it with :meth:`from_estimator`.

    Parameters
    ----------
    values : array-like of shape (n_units,) or (n_units, 3) or (n_units, 4)
        A number per unit, or an RGB(A) colour in [0, 1] per unit.
    unit_coordinates : array-like of shape (n_units, 2)
        The position (x, y) of every unit, as ``SelfOrganizingMap.unit_coordinates_``.
    topology : {'rectangular', 'hexagonal'}, default='rectangular'
        Draw squares or hexagons.
    unit_labels : list of length n_units, default=None
        Text written on each unit; None entries are left blank.
    title : str, default=None
        The axes' title.

    Attributes
    ----------
    collection_ : matplotlib PolyCollection
        The squares or hexagons.
    texts_ : list of matplotlib Text
        The labels written on the units.
    colorbar_ : matplotlib Colorbar or None
        The colour bar of numeric values.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    ComponentPlanesDisplay : One map per input feature.
    LossCurveDisplay : Loss curves of the gradient-trained networks.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sknn_math import SelfOrganizingMap, SOMDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(-3, 0.5, (50, 3)), rng.normal(3, 0.5, (50, 3))])
    >>> y = np.repeat(["a", "b"], 50)
    >>> som = SelfOrganizingMap(4, 5, topology="hexagonal").fit(X)
    >>> display = SOMDisplay.from_estimator(som, "umatrix", X=X, y=y)
    >>> len(display.collection_.get_paths())
    20
    >>> sorted({t.get_text() for t in display.texts_})
    ['a', 'b']
    >>> plt.close("all")
    """

    def __init__(self, values, unit_coordinates, *, topology="rectangular",
                 unit_labels=None, title=None):
        self.values = values
        self.unit_coordinates = unit_coordinates
        self.topology = topology
        self.unit_labels = unit_labels
        self.title = title

    def plot(self, ax=None, *, cmap="viridis", colorbar=True, colorbar_label=None,
             edgecolor="white", label_colors=None, fontsize=None, **kwargs):
        """Draw the map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        cmap : str or matplotlib Colormap, default='viridis'
            Colormap of numeric values (ignored for colours).
        colorbar : bool, default=True
            Add a colour bar for numeric values.
        colorbar_label : str, default=None
            Label of the colour bar.
        edgecolor : color, default='white'
            Colour of the unit outlines.
        label_colors : dict, default=None
            ``{label: color}`` for the unit labels; None colours the labels by
            matplotlib's 'tab10' cycle in sorted order.
        fontsize : float, default=None
            Size of the unit labels; None scales it with the map.
        **kwargs : dict
            Passed to :class:`matplotlib.collections.PolyCollection`.

        Returns
        -------
        display : SOMDisplay
            The object, with the artists in its attributes.
        """
        ax = _get_ax(ax, "SOMDisplay")
        from matplotlib.collections import PolyCollection

        coords = np.asarray(self.unit_coordinates, dtype=float)
        values = np.asarray(self.values)
        n_units = coords.shape[0]
        if values.shape[0] != n_units or values.ndim not in (1, 2):
            raise ValueError(
                f"values must have shape (n_units,) or (n_units, 3|4) with "
                f"n_units={n_units}; got {values.shape}."
            )
        polygons = unit_polygons(coords, self.topology)
        collection = PolyCollection(polygons, edgecolors=edgecolor, **kwargs)
        self.colorbar_ = None
        if values.ndim == 2:
            if values.shape[1] not in (3, 4):
                raise ValueError(
                    "Colours must have 3 (RGB) or 4 (RGBA) columns; got "
                    f"{values.shape[1]}. Draw one component at a time instead."
                )
            collection.set_facecolor(np.clip(values, 0.0, 1.0))
        else:
            collection.set_array(values.astype(float))
            collection.set_cmap(cmap)
        ax.add_collection(collection)
        if values.ndim == 1 and colorbar:
            self.colorbar_ = ax.figure.colorbar(collection, ax=ax,
                                                label=colorbar_label)
        self.texts_ = []
        if self.unit_labels is not None:
            present = sorted({label for label in self.unit_labels if label is not None},
                             key=str)
            if label_colors is None:
                from matplotlib import colormaps

                tab10 = colormaps["tab10"]
                label_colors = {lab: tab10(i % 10) for i, lab in enumerate(present)}
            if fontsize is None:
                extent = np.ptp(coords[:, 0]) + 1
                fontsize = float(np.clip(160.0 / extent, 5.0, 14.0))
            for (x, y), label in zip(coords, self.unit_labels, strict=True):
                if label is None:
                    continue
                self.texts_.append(ax.text(
                    x, y, str(label), ha="center", va="center", fontsize=fontsize,
                    fontweight="bold", color=label_colors.get(label, "black"),
                ))
        pad = 0.6
        ax.set_xlim(coords[:, 0].min() - pad, coords[:, 0].max() + pad)
        ax.set_ylim(coords[:, 1].max() + pad, coords[:, 1].min() - pad)  # row 0 on top
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if self.title is not None:
            ax.set_title(self.title)
        self.collection_ = collection
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, kind="umatrix", *, X=None, y=None,
                       feature=None, feature_names=None, ax=None, cmap=None,
                       colorbar=True, title=None, **kwargs):
        """Draw a fitted :class:`~sknn_math.SelfOrganizingMap`.

        Parameters
        ----------
        estimator : SelfOrganizingMap or Pipeline
            The fitted map, or a fitted :class:`~sklearn.pipeline.Pipeline`
            ending in one: its earlier steps transform ``X`` before the map
            sees it, and name the features the map was trained on.
        kind : {'umatrix', 'hits', 'component', 'codebook', 'clusters'}, \
                default='umatrix'
            What each unit shows.

            - 'umatrix': mean distance of the unit's prototype to its grid
              neighbours; high values are borders between clusters, drawn dark
              by the default colormap ('bone_r'), cluster interiors light.
            - 'hits': the number of samples of ``X`` (the training data when
              ``X`` is None) the unit wins.
            - 'component': the prototypes' value of one input ``feature``.
            - 'codebook': the prototypes themselves as colours; they must have 3
              (RGB) or 4 (RGBA) features in [0, 1].
            - 'clusters': the unit's group, with ``n_clusters``.
        X : array-like of shape (n_samples, n_features), default=None
            Samples for the 'hits' count and for the labels ``y``.
        y : array-like of shape (n_samples,), default=None
            A label per sample of ``X``; each unit is labelled with the most
            frequent label of the samples it wins.
        feature : int or str, default=None
            The feature drawn by ``kind='component'``: an index or a name (see
            ``feature_names``).
        feature_names : array-like of str, default=None
            A name per input feature of the map. None takes them from the
            pipeline's earlier steps (``get_feature_names_out``), else from the
            map's ``feature_names_in_``, else numbers the features.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        cmap : str or matplotlib Colormap, default=None
            Colormap; None picks 'bone_r' for the U-matrix (high values dark),
            'Blues' for hits, 'tab20' for clusters and 'viridis' for
            components.
        colorbar : bool, default=True
            Add a colour bar for numeric values.
        title : str, default=None
            The axes' title; None describes ``kind``.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : SOMDisplay
            The drawn display.
        """
        if kind not in _SOM_KINDS:
            raise ValueError(f"kind must be one of {_SOM_KINDS}; got {kind!r}.")
        if y is not None and X is None:
            raise ValueError("Labels y need the samples X they belong to.")
        estimator, X, step_names = _final_step(estimator, X)
        check_is_fitted(estimator, "codebook_")
        n_units = estimator.codebook_.shape[0]
        default_cmap = "viridis"
        colorbar_label = None
        if kind == "umatrix":
            values = estimator.umatrix().ravel()
            default_cmap, default_title = "bone_r", "U-matrix"
            colorbar_label = "mean distance to neighbours"
        elif kind == "hits":
            values = estimator.hit_map(X).ravel()
            default_cmap, default_title = "Blues", "hits"
            colorbar_label = "samples won"
        elif kind == "component":
            names = _feature_names(estimator, feature_names, step_names)
            index, name = _feature_index(estimator, feature, names)
            values = estimator.codebook_[:, index]
            default_title = f"component {name}"
        elif kind == "codebook":
            values = estimator.codebook_
            if values.shape[1] not in (3, 4):
                raise ValueError(
                    "kind='codebook' draws prototypes of 3 (RGB) or 4 (RGBA) "
                    f"features as colours; this map has {values.shape[1]}. Use "
                    "kind='component' or ComponentPlanesDisplay."
                )
            default_title = "prototypes"
        else:
            values = estimator.unit_labels_
            # the fitted grouping decides, not a parameter changed since fit
            if estimator._n_clusters is None:
                raise ValueError(
                    "kind='clusters' needs a map trained with n_clusters; every "
                    "unit is its own cluster otherwise."
                )
            n_groups = estimator.cluster_centers_.shape[0]
            default_cmap, default_title = "tab20", f"{n_groups} clusters"
        unit_labels = None
        if y is not None:
            units = estimator.best_matching_unit(X)
            y = np.asarray(y)
            if y.ndim != 1 or y.shape[0] != units.shape[0]:
                raise ValueError(
                    f"y must hold one label per sample of X: X has "
                    f"{units.shape[0]} samples, y has shape {y.shape}."
                )
            unit_labels = _majority_labels(units, y, n_units)
        # the grid the map was fitted on, not a parameter changed since fit
        display = cls(values, estimator.unit_coordinates_,
                      topology=estimator._topology, unit_labels=unit_labels,
                      title=default_title if title is None else title)
        return display.plot(ax=ax, cmap=default_cmap if cmap is None else cmap,
                            colorbar=colorbar and kind != "clusters",
                            colorbar_label=colorbar_label, **kwargs)


def _feature_names(estimator, feature_names, step_names):
    """The names of the map's input features: given, from the steps before it in
    a pipeline, from its ``feature_names_in_``, or None."""
    n_features = estimator.n_features_in_
    if feature_names is not None:
        names = np.asarray(feature_names, dtype=object)
        if names.ndim != 1 or names.shape[0] != n_features:
            raise ValueError(
                f"feature_names must hold one name per input feature of the map "
                f"({n_features}); got {names.shape[0] if names.ndim else 0}."
            )
        return names
    if step_names is not None and len(step_names) == n_features:
        return step_names
    return getattr(estimator, "feature_names_in_", None)


def _feature_index(estimator, feature, names):
    """``(index, name)`` of ``feature``, an index or one of ``names``."""
    if feature is None:
        raise ValueError("kind='component' needs the feature to draw.")
    if isinstance(feature, str):
        if names is None or feature not in list(names):
            raise ValueError(
                f"Unknown feature {feature!r}: the map was trained "
                + ("without feature names; pass an index, or the names as "
                   "feature_names."
                   if names is None else f"on {list(names)}.")
            )
        return list(names).index(feature), feature
    if not isinstance(feature, numbers.Integral) or isinstance(feature, bool):
        raise ValueError(
            f"feature must be an integer index or a feature name; got {feature!r}."
        )
    index = int(feature)
    if not 0 <= index < estimator.n_features_in_:
        raise ValueError(
            f"feature must be in [0, {estimator.n_features_in_}); got {feature}."
        )
    return index, str(names[index]) if names is not None else str(index)


class ComponentPlanesDisplay:
    """One map per input feature: each unit coloured by its prototype's value.

    Component planes show how each feature varies over the map; features whose
    planes look alike are correlated. Build it with :meth:`from_estimator`.

    Parameters
    ----------
    codebook : array-like of shape (n_units, n_features)
        The prototypes, as ``SelfOrganizingMap.codebook_``.
    unit_coordinates : array-like of shape (n_units, 2)
        The position (x, y) of every unit.
    topology : {'rectangular', 'hexagonal'}, default='rectangular'
        Draw squares or hexagons.
    feature_names : list of str, default=None
        A title per plane; None numbers them.

    Attributes
    ----------
    displays_ : list of SOMDisplay
        One display per plane.
    axes_ : ndarray of matplotlib Axes
        The axes, one per plane (unused ones hidden).
    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    SOMDisplay : A single map.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_iris
    >>> from sknn_math import ComponentPlanesDisplay, SelfOrganizingMap
    >>> X = load_iris().data
    >>> som = SelfOrganizingMap(6, 8, topology="hexagonal").fit(X)
    >>> display = ComponentPlanesDisplay.from_estimator(som, n_cols=2)
    >>> display.axes_.shape
    (2, 2)
    >>> plt.close("all")
    """

    def __init__(self, codebook, unit_coordinates, *, topology="rectangular",
                 feature_names=None):
        self.codebook = codebook
        self.unit_coordinates = unit_coordinates
        self.topology = topology
        self.feature_names = feature_names

    def plot(self, axes=None, *, n_cols=4, cmap="viridis", colorbar=True,
             subplot_size=2.6):
        """Draw the planes.

        Parameters
        ----------
        axes : array-like of matplotlib Axes, default=None
            At least one axes per feature; None creates a figure with a grid of
            ``n_cols`` columns.
        n_cols : int, default=4
            Columns of the grid created when ``axes`` is None.
        cmap : str or matplotlib Colormap, default='viridis'
            Colormap of the planes.
        colorbar : bool, default=True
            Add a colour bar to each plane.
        subplot_size : float, default=2.6
            Width in inches of each plane in a created figure.

        Returns
        -------
        display : ComponentPlanesDisplay
            The object, with the drawn displays in ``displays_``.
        """
        plt = _import_pyplot("ComponentPlanesDisplay")
        codebook = np.asarray(self.codebook)
        n_features = codebook.shape[1]
        names = (self.feature_names if self.feature_names is not None
                 else [str(j) for j in range(n_features)])
        if axes is None:
            n_cols = min(n_cols, n_features)
            n_rows = -(-n_features // n_cols)
            coords = np.asarray(self.unit_coordinates, dtype=float)
            aspect = (np.ptp(coords[:, 1]) + 1) / (np.ptp(coords[:, 0]) + 1)
            _, axes = plt.subplots(
                n_rows, n_cols, squeeze=False, constrained_layout=True,
                figsize=(subplot_size * n_cols,
                         subplot_size * n_rows * max(aspect, 0.3) + 0.3),
            )
        axes = np.asarray(axes, dtype=object)
        flat = axes.ravel()
        if flat.size < n_features:
            raise ValueError(f"{n_features} planes need at least {n_features} axes; "
                             f"got {flat.size}.")
        self.displays_ = [
            SOMDisplay(codebook[:, j], self.unit_coordinates, topology=self.topology,
                       title=str(names[j])).plot(ax=flat[j], cmap=cmap,
                                                 colorbar=colorbar)
            for j in range(n_features)
        ]
        for ax in flat[n_features:]:
            ax.set_visible(False)
        self.axes_ = axes
        self.figure_ = flat[0].figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, features=None, feature_names=None,
                       axes=None, n_cols=4, cmap="viridis", colorbar=True):
        """Draw the component planes of a fitted :class:`~sknn_math.SelfOrganizingMap`.

        Parameters
        ----------
        estimator : SelfOrganizingMap or Pipeline
            The fitted map, or a fitted :class:`~sklearn.pipeline.Pipeline`
            ending in one.
        features : list of int or str, default=None
            The features to draw (indices, or names, see ``feature_names``);
            None draws them all.
        feature_names : array-like of str, default=None
            A name per input feature of the map, the planes' titles. None takes
            them from the pipeline's earlier steps (``get_feature_names_out``,
            the names of what the map sees, such as a scaler's or a one-hot
            encoder's output), else from the map's ``feature_names_in_``, else
            numbers the planes.
        axes : array-like of matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        n_cols : int, default=4
            Columns of the grid created when ``axes`` is None.
        cmap : str or matplotlib Colormap, default='viridis'
            Colormap of the planes.
        colorbar : bool, default=True
            Add a colour bar to each plane.

        Returns
        -------
        display : ComponentPlanesDisplay
            The drawn display.
        """
        estimator, _, step_names = _final_step(estimator)
        check_is_fitted(estimator, "codebook_")
        all_names = _feature_names(estimator, feature_names, step_names)
        if features is None:
            features = range(estimator.n_features_in_)
        indices, names = zip(
            *(_feature_index(estimator, f, all_names) for f in features), strict=True
        )
        display = cls(estimator.codebook_[:, list(indices)],
                      estimator.unit_coordinates_, topology=estimator._topology,
                      feature_names=list(names))
        return display.plot(axes=axes, n_cols=n_cols, cmap=cmap, colorbar=colorbar)
