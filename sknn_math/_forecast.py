"""Recursive forecasting through the transforms a model is wrapped in.

:meth:`ElmanRegressor.forecast` continues windows with the bare network. A model
fitted on scaled data sits in a :class:`~sklearn.pipeline.Pipeline` or a
:class:`~sklearn.compose.TransformedTargetRegressor`, neither of which has
``forecast``: :func:`forecast` runs the same recursion on the model as a whole,
so that each new window passes through the pipeline's earlier steps and each
prediction comes back through the target's inverse transform, in the units of
the series, before it is fed back.
"""

from numbers import Integral

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._elman import ElmanRegressor, _target_columns


def _elman_of(model):
    """The fitted ElmanRegressor at the heart of ``model``, and whether it is
    ``model`` itself; a clear error for anything else."""
    inner = model
    if isinstance(inner, TransformedTargetRegressor):
        check_is_fitted(inner, "regressor_")
        inner = inner.regressor_
    if isinstance(inner, Pipeline):
        inner = inner.steps[-1][1]
    if not isinstance(inner, ElmanRegressor):
        raise TypeError(
            "forecast needs an ElmanRegressor, a Pipeline ending in one, or a "
            "TransformedTargetRegressor around either; got "
            f"{type(model).__name__}"
            + ("" if inner is model else f" around {type(inner).__name__}") + "."
        )
    check_is_fitted(model)
    check_is_fitted(inner)
    return inner, inner is model


def forecast(model, X, n_steps, *, exogenous=None, target=None):
    """Forecast ``n_steps`` steps ahead of each window, feeding predictions back.

    The model predicts the step after each window; the prediction becomes the
    window's newest step, the oldest step is dropped, and the model predicts
    again. ``model`` may be a fitted :class:`ElmanRegressor`, a
    :class:`~sklearn.pipeline.Pipeline` ending in one (each new window goes
    through the earlier steps, e.g. a scaler), or a
    :class:`~sklearn.compose.TransformedTargetRegressor` around either (each
    prediction comes back through the target transformer's inverse, so that what
    is fed back and returned is in the units of the series). The model must have
    been trained on next-step targets, as from ``make_windows(series, window)``.

    Parameters
    ----------
    model : ElmanRegressor, Pipeline or TransformedTargetRegressor
        The fitted model, as described above.
    X : array-like of shape (n_sequences, window * n_features) or \
            (n_sequences, window, n_features)
        The windows to continue, in the layout the model was fitted on (a
        pipeline's earlier steps must keep the columns: one per feature of each
        step, as scalers do).
    n_steps : int
        The number of steps to forecast.
    exogenous : array-like of shape (n_steps, n_exogenous) or \
            (n_sequences, n_steps, n_exogenous), default=None
        The known future values of the features the model does not predict (the
        exogenous inputs of ``make_windows(..., target=...)``), step by step; 2-D
        for the same values in every window, 1-D ``(n_steps,)`` for one feature.
        Needed when the model predicts only some of a step's features.
    target : int, list of int or None, default=None
        The features of a step that the model predicts, as given to
        :func:`make_windows`; the others are filled from ``exogenous``. None:
        every feature.

    Returns
    -------
    y : ndarray of shape (n_sequences, n_steps) or \
            (n_sequences, n_steps, n_targets)
        The forecasts, nearest step first; 2-D for one predicted feature.

    See Also
    --------
    ElmanRegressor.forecast : The same recursion on the bare network.
    make_windows : Next-step training windows of a series.

    Examples
    --------
    A network fitted on scaled windows, its forecasts in the series' units:

    >>> import numpy as np
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_math import ElmanRegressor, forecast, make_windows
    >>> series = 400 + 20 * np.sin(np.arange(300) / 5)
    >>> X, y = make_windows(series, window=12)
    >>> model = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), ElmanRegressor(random_state=0)),
    ...     transformer=StandardScaler(),
    ... ).fit(X, y)
    >>> forecast(model, X[-1:], n_steps=5).shape
    (1, 5)
    """
    network, bare = _elman_of(model)
    if not isinstance(n_steps, Integral) or isinstance(n_steps, bool) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer; got {n_steps!r}.")
    if bare and exogenous is None and target is None:
        return network.forecast(X, n_steps)

    columns = getattr(X, "columns", None)
    window = np.asarray(X)
    if window.dtype.kind not in "fc":
        window = window.astype(np.float64)
    if window.ndim not in (2, 3):
        raise ValueError(
            f"X must be 2-D (n_sequences, window * n_features) or 3-D "
            f"(n_sequences, window, n_features); got {window.ndim} dimension(s)."
        )
    n_features = _step_width(model, network, window)
    predicted = _predicted_columns(target, n_features, network.n_outputs_)
    known = np.setdiff1d(np.arange(n_features), predicted)
    future = _future_exogenous(exogenous, known, window.shape[0], n_steps)

    n_sequences = window.shape[0]
    forecasts = np.empty((n_sequences, n_steps, predicted.size), window.dtype)
    new_step = np.empty((n_sequences, n_features), window.dtype)
    for step in range(n_steps):
        values = np.asarray(model.predict(_like(window, columns)))
        forecasts[:, step, :] = values.reshape(n_sequences, -1)
        new_step[:, predicted] = forecasts[:, step, :]
        if known.size:
            new_step[:, known] = future[:, step, :]
        # slide the window by one step: the oldest out, the new step in
        if window.ndim == 3:
            window = np.concatenate([window[:, 1:], new_step[:, None, :]], axis=1)
        else:
            window = np.concatenate([window[:, n_features:], new_step], axis=1)
    return forecasts[:, :, 0] if predicted.size == 1 else forecasts


def _like(window, columns):
    """The window as the model was fitted on it: a DataFrame with the user's
    column names when ``X`` was one, so that no feature-name warning is due."""
    if columns is None or window.ndim != 2:
        return window
    import pandas as pd

    return pd.DataFrame(window, columns=columns)


def _step_width(model, network, window):
    """The number of features of one step of the windows ``model`` reads."""
    if window.ndim == 3:
        return window.shape[2]
    n_columns = getattr(model, "n_features_in_", network.n_features_in_)
    if n_columns != network.n_features_in_:
        raise ValueError(
            f"The steps before the network turn {n_columns} columns into "
            f"{network.n_features_in_}; forecast appends each prediction as a "
            "window's newest step, so they must keep the columns (one per feature "
            "of each step), as scalers do. Move other transforms out of the "
            "pipeline."
        )
    if window.shape[1] != n_columns:
        raise ValueError(
            f"X has {window.shape[1]} columns, but the model was fitted on "
            f"{n_columns}."
        )
    return network.n_features_per_step_


def _predicted_columns(target, n_features, n_outputs):
    """The indices, in a step, of the features the model predicts."""
    if target is None:
        if n_outputs != n_features:
            raise ValueError(
                f"The model predicts {n_outputs} value(s) but a step has "
                f"{n_features} feature(s). forecast feeds each prediction back as "
                "the next step: train the model on next-step targets "
                "(make_windows(series, window) with horizon=1 and n_steps_out=1), "
                "or, if it predicts only some features, name them with target= "
                "and pass the future values of the others as exogenous=."
            )
        return np.arange(n_features)
    picked = _target_columns(target, np.empty((0, n_features)))
    picked = np.arange(n_features)[np.atleast_1d(picked)]
    if picked.size != n_outputs:
        raise ValueError(
            f"target={target!r} names {picked.size} feature(s), but the model "
            f"predicts {n_outputs} value(s) per step; forecast needs a model "
            "trained on the next step of exactly those features "
            "(make_windows(series, window, target=target))."
        )
    return picked


def _future_exogenous(exogenous, known, n_sequences, n_steps):
    """``exogenous`` as (n_sequences, n_steps, n_known), checked against the
    features the model does not predict."""
    if known.size == 0:
        if exogenous is not None:
            raise ValueError(
                "The model predicts every feature of a step, so there is nothing "
                "for exogenous to fill: drop it, or name the predicted features "
                "with target=."
            )
        return None
    if exogenous is None:
        raise ValueError(
            f"The model does not predict feature(s) {known.tolist()} of a step: "
            "pass their known future values as exogenous, of shape (n_steps, "
            f"{known.size}) or (n_sequences, n_steps, {known.size})."
        )
    future = np.asarray(exogenous, dtype=np.float64)
    if future.ndim == 1 and known.size == 1:
        future = future[:, None]
    if future.ndim == 2:
        future = np.broadcast_to(future, (n_sequences, *future.shape))
    wanted = (n_sequences, n_steps, known.size)
    if future.shape != wanted:
        raise ValueError(
            f"exogenous has shape {np.shape(exogenous)}; it needs the {known.size} "
            f"feature(s) not predicted for each of the {n_steps} steps: shape "
            f"({n_steps}, {known.size}), or {wanted} for values per window."
        )
    if not np.all(np.isfinite(future)):
        raise ValueError("exogenous holds NaN or infinite values; the future "
                         "inputs must be known.")
    return future
