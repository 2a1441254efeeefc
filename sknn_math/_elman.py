"""Elman recurrent networks trained by backpropagation through time (BPTT).

The recurrence, with h_0 = 0 and the output read from the last state:

.. math::

    h_t = σ(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \\qquad ŷ = g(h_T W_{hy} + b_y)

BPTT runs the chain rule backwards through the steps. With δ_t = ∂ℓ/∂z_t the
gradient at the pre-activation of step t:

.. math::

    ∂ℓ/∂h_T = δ_{out} W_{hy}^T, \\qquad δ_t = ∂ℓ/∂h_t ⊙ σ'(z_t), \\qquad
    ∂ℓ/∂h_{t-1} = δ_t W_{hh}^T,

    ∂ℓ/∂W_{xh} = Σ_t x_t^T δ_t, \\qquad ∂ℓ/∂W_{hh} = Σ_t h_{t-1}^T δ_t, \\qquad
    ∂ℓ/∂b_h = Σ_t Σ_i δ_{t,i}

Everything is vectorised over the batch: one matrix product per time step in
each direction, and the input and recurrent weight gradients as one product each
over the stacked (T·n) rows. The states live in a time-major (T, n, H) buffer so
that every per-step slice is contiguous.

On the arrays of another namespace (array API dispatch) the same passes run with
the kernels' array API branches, which return new arrays: a step's state is then
stored into the buffer by assignment, where NumPy's kernels wrote it in place.
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils.validation import check_array, check_is_fitted

from ._activations import ACTIVATIONS, DERIVATIVES, column_sums, matmul
from ._array_api import (
    check_fit_namespace,
    namespace_of,
    namespace_of_array,
    reshape,
    to_numpy_array,
    xp_of,
)
from ._dask import is_dask_array
from ._tasks import ClassifierTask, RegressorTask
from ._training import BaseNetwork
from ._validation import Interval, StrOptions, reject_non_numeric


@dataclass
class _ElmanWorkspace:
    """One batch shape's time-major buffers: the forward pass fills them, BPTT
    reads them. Every per-step slice ``[t]`` is a contiguous (n, ·) block."""

    n_rows: int
    inputs: np.ndarray  # x_1 … x_T, (T, n, d)
    states: np.ndarray  # h_1 … h_T, (T, n, H)
    step: np.ndarray  # h_{t-1} W_hh forwards, ∂ℓ/∂h_t backwards, (n, H)
    output: np.ndarray  # z = h_T W_hy + b_y, (n, n_outputs)
    deltas: np.ndarray  # δ_1 … δ_T, (T, n, H); None when not training
    # 1 for observed steps, 0 for the NaN steps that pad shorter sequences,
    # (T, n, 1); None when the batch has no padding (set by the forward pass)
    observed: np.ndarray = None


def _check_padding(X, d):
    """Refuse NaN anywhere but in whole leading steps (the padding of shorter
    sequences), and sequences with no observed step.

    Written in array API calls, so that a device's data are checked on the
    device; only the rows at fault come to the host, for the message.
    """
    xp = np if isinstance(X, np.ndarray) else xp_of(X)
    nan = xp.isnan(X)
    if not bool(xp.any(nan)):
        return
    n, T = X.shape[0], X.shape[1] // d
    nan = xp.reshape(nan, (n, T, d))
    padded = xp.all(nan, axis=2)
    observed = ~padded
    partial = xp.any(xp.any(nan, axis=2) & observed, axis=1)
    # a NaN step after an observed one: somewhere, an observed step followed
    # directly by a padded one
    late = xp.any(observed[:, :-1] & padded[:, 1:], axis=1)
    empty = ~xp.any(observed, axis=1)
    for rows, what in ((partial, "a time step with only some features NaN"),
                       (late, "a NaN step after an observed one"),
                       (empty, "no observed step at all")):
        rows = np.flatnonzero(to_numpy_array(rows))
        if rows.size:
            raise ValueError(
                f"Sequence {rows[0]} of X has {what}. NaN may only pad a shorter "
                "sequence on the left, as whole time steps (every feature of the "
                "step NaN), before its first observed step; pad_sequences lays "
                "sequences of different lengths out that way. Fill or drop other "
                "missing values first."
            )


def _time_major(X, out):
    """The (n, T·d) batch ``X`` as (T, n, d), time step first: copied into the
    buffer ``out`` for NumPy (returned)."""
    T, n, d = out.shape
    if not isinstance(X, np.ndarray):
        xp = xp_of(X)
        return xp.permute_dims(xp.reshape(X, (n, T, d)), (1, 0, 2))
    np.copyto(out, X.reshape(n, T, d).transpose(1, 0, 2))
    return out


def _observed_steps(X_t):
    """Time-major ``X_t`` with its NaN (padding) steps set to 0 (in place for
    NumPy), and the (T, n, 1) 0/1 mask of the observed steps; None when there is
    no padding."""
    if not isinstance(X_t, np.ndarray):
        xp = xp_of(X_t)
        padded = xp.isnan(X_t[:, :, :1])  # validation made NaN whole steps
        if not bool(xp.any(padded)):
            return X_t, None
        return xp.where(padded, 0.0, X_t), xp.astype(~padded, X_t.dtype)
    padded = np.isnan(X_t[:, :, :1])  # validation made NaN whole steps
    if not padded.any():
        return X_t, None
    X_t[np.broadcast_to(padded, X_t.shape)] = 0
    return X_t, (~padded).astype(X_t.dtype)


def pad_sequences(sequences):
    """Lay sequences of different lengths out as one 2-D array, padded with NaN.

    Each sequence is right-aligned: a shorter one is preceded by whole NaN time
    steps, which :class:`ElmanRegressor` and :class:`ElmanClassifier` skip (the
    state stays at h_0 = 0 until the first observed step), so a padded sequence
    gets exactly the prediction it would get alone.

    Parameters
    ----------
    sequences : list of array-like of shape (n_timesteps_i,) or \
            (n_timesteps_i, n_features)
        The sequences, oldest step first; 1-D for one feature per step. All must
        have the same number of features and at least one step.

    Returns
    -------
    X : ndarray of shape (n_sequences, max_timesteps * n_features)
        Row-major by time step (column ``j`` is step ``j // n_features``, feature
        ``j % n_features``), float64, NaN before each shorter sequence.

    See Also
    --------
    make_windows : Equal-length windows cut from one long series.

    Examples
    --------
    >>> from sknn_math import pad_sequences
    >>> pad_sequences([[1, 2, 3], [4]])
    array([[ 1.,  2.,  3.],
           [nan, nan,  4.]])
    """
    if isinstance(sequences, np.ndarray) or not hasattr(sequences, "__len__"):
        raise ValueError("sequences must be a list of 1-D or 2-D arrays, one per "
                         "sequence.")
    if len(sequences) == 0:
        raise ValueError("sequences is empty: pass at least one sequence.")
    arrays = []
    for i, seq in enumerate(sequences):
        reject_non_numeric(np.asarray(seq), f"sequences[{i}]")
        array = check_array(seq, ensure_2d=False, dtype="numeric", allow_nd=True,
                            input_name=f"sequences[{i}]")
        if array.ndim == 1:
            array = array[:, np.newaxis]
        elif array.ndim != 2:
            raise ValueError(
                f"sequences[{i}] has {array.ndim} dimensions; each sequence is 1-D "
                "(one feature per step) or 2-D (n_timesteps, n_features)."
            )
        arrays.append(array)
    widths = {a.shape[1] for a in arrays}
    if len(widths) > 1:
        raise ValueError(
            f"The sequences have different numbers of features per step: "
            f"{sorted(widths)}. Every sequence needs the same features."
        )
    d = widths.pop()
    T = max(a.shape[0] for a in arrays)
    X = np.full((len(arrays), T, d), np.nan)
    for row, a in zip(X, arrays, strict=True):
        row[T - a.shape[0]:] = a
    return X.reshape(len(arrays), T * d)


def _orthogonal(n, rng):
    """A uniformly random orthogonal n × n matrix (QR of a Gaussian, signs fixed)."""
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def make_windows(series, window, horizon=1, *, n_steps_out=1, target=None,
                 layout="2d"):
    """Cut one long series into overlapping windows and the values that follow them.

    Window i holds steps ``i … i + window − 1``; its target is step
    ``i + window − 1 + horizon``, ``horizon`` steps after the window's last one,
    and with ``n_steps_out`` > 1 the steps after that too (direct multi-step
    forecasting: one output per future step, beside the recursive
    :func:`~sknn_math.forecast`). The windows come out in time order, so they
    work with :class:`~sklearn.model_selection.TimeSeriesSplit` as they are.

    A series of several features has two layouts. ``layout='3d'`` gives
    ``(n_windows, window, n_features)``, which the Elman networks read as it is.
    The default 2-D layout puts the steps side by side, each step's features
    together, so that scalers and other transformers can stand in front of the
    network in a :class:`~sklearn.pipeline.Pipeline`; the network must then be
    told how many columns make one step, ``n_features_per_step=n_features``.
    Without it every column is read as a time step of one feature, a different
    model, and the network's ``fit`` warns.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        The series, oldest step first.
    window : int
        The number of steps in each input sequence.
    horizon : int, default=1
        How many steps ahead of the window the (first) target lies; 1 is the next
        step.
    n_steps_out : int, default=1
        The number of consecutive future steps in each target.
    target : int, list of int or None, default=None
        The columns of a 2-D series to predict; the others are exogenous inputs,
        in the windows but not in the targets. None predicts every column.
    layout : {'2d', '3d'}, default='2d'
        The shape of ``X``.

        - '2d': ``(n_windows, window * n_features)``, row-major by time step;
          pair it with ``n_features_per_step=n_features``.
        - '3d': ``(n_windows, window, n_features)``, also for a 1-D series
          (``n_features`` = 1).

    Returns
    -------
    X : ndarray of shape (n_windows, window * n_features) or \
            (n_windows, window, n_features)
        The windows, ``n_windows = n_timesteps − window − horizon − n_steps_out +
        2``. In the 2-D layout column ``j`` is step ``j // n_features``, feature
        ``j % n_features``.
    y : ndarray of shape (n_windows,) or (n_windows, n_steps_out * n_targets)
        The target of each window, row-major by step as ``X``: 1-D for one value
        per window (one step of one target column).

    See Also
    --------
    ElmanRegressor : Fits such windows; ``forecast`` continues them recursively.
    pad_sequences : Sequences of different lengths in the same layout.
    sklearn.model_selection.TimeSeriesSplit : Cross-validation in time order.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import make_windows
    >>> X, y = make_windows(np.arange(6), window=3)
    >>> X
    array([[0, 1, 2],
           [1, 2, 3],
           [2, 3, 4]])
    >>> y
    array([3, 4, 5])
    >>> X, y = make_windows(np.arange(8).reshape(4, 2), window=2)
    >>> X
    array([[0, 1, 2, 3],
           [2, 3, 4, 5]])
    >>> y
    array([[4, 5],
           [6, 7]])

    Two steps ahead at once, and a second column as exogenous input:

    >>> X, y = make_windows(np.arange(6), window=3, n_steps_out=2)
    >>> y
    array([[3, 4],
           [4, 5]])
    >>> X, y = make_windows(np.arange(8).reshape(4, 2), window=2, target=0)
    >>> y
    array([4, 6])

    The same windows as 3-D, for an Elman network without a transformer in front:

    >>> X, y = make_windows(np.arange(8).reshape(4, 2), window=2, layout="3d")
    >>> X.shape
    (2, 2, 2)
    >>> X[0]
    array([[0, 1],
           [2, 3]])
    """
    for name, value in (("window", window), ("horizon", horizon),
                        ("n_steps_out", n_steps_out)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    if not (isinstance(layout, str) and layout in ("2d", "3d")):
        raise ValueError(f"layout must be '2d' or '3d'; got {layout!r}.")
    reject_non_numeric(series, "series")
    series = check_array(series, ensure_2d=False, dtype="numeric",
                         input_name="series", ensure_min_samples=0, allow_nd=True)
    if series.ndim not in (1, 2):
        raise ValueError(
            f"series must be 1-D (one feature) or 2-D (n_timesteps, n_features); "
            f"got {series.ndim} dimensions."
        )
    columns = _target_columns(target, series)
    n_windows = series.shape[0] - window - horizon - n_steps_out + 2
    if n_windows < 1:
        raise ValueError(
            f"A series of {series.shape[0]} steps is too short for window={window}, "
            f"horizon={horizon} and n_steps_out={n_steps_out}: it needs at least "
            f"window + horizon + n_steps_out − 1 = "
            f"{window + horizon + n_steps_out - 1} steps."
        )
    # sliding_window_view puts the window axis last: (n, [d,] window).
    windows = sliding_window_view(series, window, axis=0)[:n_windows]
    if series.ndim == 2:
        windows = windows.transpose(0, 2, 1)
    # a copy, never a view of the series: a reshape keeps the read-only view
    # whenever the windows already have the 2-D shape (a 1-D series)
    X = np.array(windows.reshape(n_windows, -1))
    if layout == "3d":
        X = X.reshape(n_windows, window, -1)
    values = series if columns is None else series[:, columns]
    first = window + horizon - 1
    if n_steps_out == 1:
        y = values[first:first + n_windows].copy()
    else:
        future = sliding_window_view(values[first:], n_steps_out, axis=0)[:n_windows]
        if values.ndim == 2:
            future = future.transpose(0, 2, 1)
        # a copy: for one column the reshape would return the read-only view
        y = np.array(future.reshape(n_windows, -1))
    return X, y


def _target_columns(target, series):
    """The column(s) of ``series`` that ``target`` names (an int keeps y 1-D), or
    None for all of them."""
    if target is None:
        return None
    if series.ndim == 1:
        raise ValueError(
            f"target={target!r} picks columns of a 2-D series; a 1-D series has "
            "one, which is predicted: leave target=None."
        )
    picked = [target] if isinstance(target, Integral) else list(target)
    n_features = series.shape[1]
    if len(set(picked)) < len(picked):
        raise ValueError(f"target={target!r} names a column twice.")
    if not picked or not all(isinstance(c, Integral) and not isinstance(c, bool)
                             and -n_features <= c < n_features for c in picked):
        raise ValueError(
            f"target={target!r} must name columns of the series, integers in "
            f"[0, {n_features}); the series has {n_features} columns."
        )
    return target if isinstance(target, Integral) else picked


class _BaseElman(BaseNetwork):
    """Parameters, forward pass and BPTT of a single-layer Elman network."""

    # NaN marks the padding of shorter sequences (leading whole steps)
    _allow_nan = True
    # rows are windows in time order: early stopping holds out the last ones
    _rows_in_time_order = True

    _parameter_constraints = {
        **BaseNetwork._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"tanh", "logistic", "relu"})],
        "n_features_per_step": [Interval(Integral, 1, None, closed="left")],
        "bptt_truncate": [None, Interval(Integral, 1, None, closed="left")],
    }

    # ------------------------------------------------------------------
    # Input: 3-D sequences become the 2-D layout before any validation
    def _as_2d(self, X, reset):
        """Reshape 3-D ``X`` (n, T, d) to (n, T·d); refuse ragged and >3-D input.

        Returns ``X`` (untouched, or a reshaped view) and the number of features
        per step it implies (None for 2-D input, whose validation decides).
        """
        if not hasattr(X, "ndim") and isinstance(X, (list, tuple)):
            try:
                array = np.asarray(X)
            except ValueError as exc:
                raise ValueError(
                    "X holds sequences of different lengths (ragged input); every "
                    "sequence needs the same number of time steps. Pad them, or "
                    "cut one long series into equal windows with make_windows."
                ) from exc
            if array.ndim >= 3:
                X = array
        ndim = getattr(X, "ndim", None)
        if ndim is None:
            return X, None
        if ndim == 1 and getattr(X, "dtype", None) == np.dtype(object) and any(
            isinstance(row, (list, tuple, np.ndarray)) for row in X
        ):
            raise ValueError(
                "X holds sequences of different lengths (ragged input); every "
                "sequence needs the same number of time steps. Pad them, or cut "
                "one long series into equal windows with make_windows."
            )
        if ndim > 3:
            raise ValueError(
                f"X has {ndim} dimensions; pass 2-D (n_sequences, n_timesteps · "
                "n_features_per_step) or 3-D (n_sequences, n_timesteps, "
                "n_features_per_step) input."
            )
        if ndim < 3:
            return X, None
        n, T, d = X.shape
        if not reset and d != self.n_features_per_step_:
            raise ValueError(
                f"X has {d} features per step, but {type(self).__name__} was "
                f"fitted with {self.n_features_per_step_}."
            )
        if namespace_of(X).is_numpy:
            X = np.asarray(X)
        return reshape(X, (n, T * d)), d

    def _check_steps(self, X, d, reset):
        """Record (at fit) or check the split of the columns into time steps."""
        if reset:
            d = self.n_features_per_step if d is None else d
            if X.shape[1] % d:
                raise ValueError(
                    f"X has {X.shape[1]} columns, which n_features_per_step={d} "
                    "does not divide: the columns must be n_timesteps blocks of "
                    f"{d} features. Set n_features_per_step to the number of "
                    "features per time step, or pass 3-D input (n_sequences, "
                    "n_timesteps, n_features)."
                )
            self.n_features_per_step_ = d

    def _validate_X_y(self, X, y, reset):
        X, d = self._as_2d(X, reset)
        X, y = super()._validate_X_y(X, y, reset)
        self._check_steps(X, d, reset)
        _check_padding(X, self.n_features_per_step_)
        return X, y

    def _validate_X(self, X):
        X, _ = self._as_2d(X, reset=False)
        X = super()._validate_X(X)
        _check_padding(X, self.n_features_per_step_)
        return X

    # ------------------------------------------------------------------
    # Parameters
    def _n_layers(self):
        return 3  # input, recurrent hidden layer, output

    def _initial_parameters(self, n_features, n_outputs, rng):
        # W_hh starts as a random orthogonal matrix (Saxe et al., 2014): all its
        # singular values are 1, so the linear part of the recurrence neither
        # shrinks nor blows up the state or the gradient over many steps, and
        # long sequences stay trainable (Henaff et al., 2016; with relu this is
        # close to Le et al.'s identity initialisation). W_xh and W_hy use
        # Glorot & Bengio's uniform bound; the biases start at 0.
        d, H = self.n_features_per_step_, self.hidden_size
        bound_in = np.sqrt(6.0 / (d + H))
        bound_out = np.sqrt(6.0 / (H + n_outputs))
        W_xh = rng.uniform(-bound_in, bound_in, (d, H))
        W_hh = _orthogonal(H, rng)
        W_hy = rng.uniform(-bound_out, bound_out, (H, n_outputs))
        b_h = np.zeros(H)
        if self.activation == "logistic":
            # σ' ≤ 1/4 would shrink the gradient 4× per step: scale W_hh by 4 and
            # centre the bias so that the resting state h = ½ has z = 0, where the
            # step Jacobian diag(σ') W_hhᵀ = ¼ · 4Qᵀ is orthogonal again.
            W_hh *= 4.0
            b_h -= 0.5 * W_hh.sum(axis=0)
        return [W_xh, W_hh, W_hy], [b_h, np.zeros(n_outputs)]

    def _prediction_row_bytes(self, n_features):
        H = self.coefs_[1].shape[0]
        n_steps = n_features // self.n_features_per_step_
        return self._model_dtype().itemsize * (
            n_features + n_steps * H + 2 * H + 2 * self.n_outputs_
        )

    # ------------------------------------------------------------------
    # Forward pass and BPTT
    # The recurrent product h_{t-1} W_hh, repeated every step, each waiting for
    # the one before.
    _sequential_products = True

    def _product_multiply_adds(self, n_rows, n_columns):
        # the products over all T·n rows at once: the input projection and the
        # input and recurrent weight gradients
        (d, H), n_steps = self.coefs_[0].shape, n_columns // self.n_features_per_step_
        return n_rows * n_steps * H * max(d, H)

    # A part's steps each make one (rows × H)(H × H) recurrent product and a
    # few element-wise calls, the two parts' threads taking turns over the GIL
    # between them: the product must be long enough to hide those turns. Two
    # parts of 32 rows against one batch of 64, in time: float64 H = 64 1.21,
    # H = 96 0.92, H = 160 0.68; float32 (whose products take half the time,
    # counted as half as many) H = 128 1.06, H = 160 0.95, H = 256 0.64.
    _row_part_multiply_adds = 2**18

    def _part_multiply_adds(self, n_rows, n_columns):
        W_hh = self.coefs_[1]
        return n_rows * W_hh.shape[0] ** 2 * W_hh.dtype.itemsize // 8

    def _make_workspace(self, n_rows, n_columns, dtype, *, training=True):
        (d, H), n_outputs = self.coefs_[0].shape, self.coefs_[2].shape[1]
        T = n_columns // d
        empty = namespace_of_array(self.coefs_[0]).empty
        return _ElmanWorkspace(
            n_rows=n_rows,
            inputs=empty((T, n_rows, d), dtype),
            states=empty((T, n_rows, H), dtype),
            step=empty((n_rows, H), dtype),
            output=empty((n_rows, n_outputs), dtype),
            deltas=empty((T, n_rows, H), dtype) if training else None,
        )

    # ------------------------------------------------------------------
    # Forward pass and BPTT
    def _forward_pass(self, X, coefs, intercepts, workspace):
        W_xh, W_hh, W_hy = coefs
        b_h, b_y = intercepts
        T, n, d = workspace.inputs.shape
        H = W_hh.shape[0]
        # Leading NaN steps pad shorter sequences: their state is held at h_0 = 0,
        # so the first observed step starts from h_0 as it would alone.
        X_t, observed = _observed_steps(_time_major(X, workspace.inputs))
        workspace.inputs, workspace.observed = X_t, observed

        # x_t W_xh + b_h for every step at once: one (T·n × d)(d × H) product.
        states = reshape(matmul(reshape(X_t, (T * n, d)), W_xh,
                                out=reshape(workspace.states, (T * n, H))), (T, n, H))
        states += b_h
        workspace.states = states
        activation = ACTIVATIONS[self.activation]
        # On NumPy z_t is a view of the state buffer and every step works in place
        # there; the array API kernels return h_t, which is stored into the buffer.
        in_place = isinstance(states, np.ndarray)
        hW = workspace.step
        for t in range(T):
            z = states[t, ...]
            if t > 0:  # h_0 = 0: z_1 = x_1 W_xh + b_h
                hW = matmul(states[t - 1, ...], W_hh, out=hW)
                z += hW  # z_t = x_t W_xh + b_h + h_{t-1} W_hh
            h = activation(z)  # h_t = σ(z_t)
            if observed is not None:
                h *= observed[t, ...]
            if not in_place:
                states[t, ...] = h
        # ŷ's pre-activation from the last state: z = h_T W_hy + b_y
        Z = matmul(states[T - 1, ...], W_hy, out=workspace.output)
        Z += b_y
        return Z

    def _backward_pass(self, coefs, workspace, delta, coef_grads, intercept_grads):
        W_xh, W_hh, W_hy = coefs
        X_t, states = workspace.inputs, workspace.states
        T, n, H = states.shape
        d = X_t.shape[2]

        # Output layer: ∂ℓ/∂W_hy = h_Tᵀ δ_out, ∂ℓ/∂b_y = Σ_i δ_out
        grad_W_hy = matmul(states[T - 1, ...].T, delta, out=coef_grads[2])
        grad_b_y = column_sums(delta, out=intercept_grads[1])

        # Truncated BPTT stops the gradient `bptt_truncate` steps before the end:
        # the states before step `first` count as constants.
        k = T if self.bptt_truncate is None else min(self.bptt_truncate, T)
        first = T - k
        # σ'(z_t) for every step of the window in one vectorised pass, into the δ
        # buffer; the loop then only multiplies it by ∂ℓ/∂h_t. D[j] is step
        # first + j of the window.
        D = DERIVATIVES[self.activation](states[first:, ...],
                                         workspace.deltas[first:, ...])
        if workspace.observed is not None:
            # a padded step's state is the constant 0: no gradient flows through it
            D *= workspace.observed[first:, ...]
        # ∂ℓ/∂h_T = δ_out W_hyᵀ, into the forward pass's scratch
        dh = matmul(delta, W_hy.T, out=workspace.step)
        in_place = isinstance(dh, np.ndarray)
        for j in range(k - 1, -1, -1):
            delta_t = D[j, ...]  # a view of D on NumPy, written in place
            delta_t *= dh  # δ_t = ∂ℓ/∂h_t ⊙ σ'(z_t)
            if not in_place:
                D[j, ...] = delta_t
            if j > 0:
                dh = matmul(delta_t, W_hh.T, out=dh)  # ∂ℓ/∂h_{t-1} = δ_t W_hhᵀ

        # Σ_t x_tᵀ δ_t and Σ_t h_{t-1}ᵀ δ_t as one product each over k·n rows.
        D_rows = reshape(D, (k * n, H))
        grad_W_xh = matmul(reshape(X_t[first:, ...], (k * n, d)).T, D_rows,
                           out=coef_grads[0])
        grad_b_h = column_sums(D_rows, out=intercept_grads[0])
        if first > 0:
            h_prev = reshape(states[first - 1:T - 1, ...], (k * n, H))
            grad_W_hh = matmul(h_prev.T, D_rows, out=coef_grads[1])
        else:  # h_0 = 0 adds nothing for the first step
            h_prev = reshape(states[:T - 1, ...], ((T - 1) * n, H))
            grad_W_hh = matmul(h_prev.T, reshape(D[1:, ...], ((T - 1) * n, H)),
                               out=coef_grads[1])
        # NumPy wrote into these views; the array API results are stored
        coef_grads[:] = [grad_W_xh, grad_W_hh, grad_W_hy]
        intercept_grads[:] = [grad_b_h, grad_b_y]

    def hidden_states(self, X):
        """The hidden states h_1 … h_T of every sequence, for inspection or as
        features.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_timesteps * n_features_per_step) \
                or (n_sequences, n_timesteps, n_features_per_step)
            The sequences, in the layout of ``fit``.

        Returns
        -------
        states : ndarray of shape (n_sequences, n_timesteps, hidden_size)
            ``states[i, t]`` is h_{t+1} of sequence i; the steps that pad a shorter
            sequence hold h_0 = 0. A lazy dask array for a dask array ``X``.
        """
        if is_dask_array(X):
            from ._dask_networks import predict_blocks

            return predict_blocks(self, X, "hidden_states")
        check_is_fitted(self)
        check_fit_namespace(X, self, attribute="coefs_", method="hidden_states")
        X = self._validate_X(X)
        H = self.coefs_[1].shape[0]
        n_steps = X.shape[1] // self.n_features_per_step_
        namespace = namespace_of_array(self.coefs_[0])
        dtype = namespace.xp.result_type(X.dtype, self.coefs_[0].dtype)
        states = namespace.empty((X.shape[0], n_steps, H), dtype)
        itemsize = namespace.numpy_dtype(dtype).itemsize
        for batch, _, workspace in self._forward_in_chunks(
                X, extra_row_bytes=n_steps * H * itemsize):
            states[batch, ...] = xp_of(states).permute_dims(workspace.states,
                                                            (1, 0, 2))
        return states

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class ElmanRegressor(RegressorTask, _BaseElman):
    """Elman recurrent network regressor trained by backpropagation through time.

    Reads each sequence step by step into a hidden state and predicts one or more
    values from the last state: one-step-ahead forecasts of a series (with
    :func:`make_windows`), recursive multi-step forecasts (:meth:`forecast`), or
    any sequence-to-value mapping. Parameter names and fitted attributes follow
    :class:`SigmoidMLPRegressor` and scikit-learn's
    :class:`~sklearn.neural_network.MLPRegressor`.

    Input is 2-D, ``(n_sequences, n_timesteps * n_features_per_step)`` row-major by
    time step, so scalers and other transformers can stand in front of it in a
    :class:`~sklearn.pipeline.Pipeline`; 3-D ``(n_sequences, n_timesteps,
    n_features)`` gives the same model.

    Parameters
    ----------
    hidden_size : int, default=32
        The number of recurrent hidden units H.
    activation : {'tanh', 'logistic', 'relu'}, default='tanh'
        The state non-linearity σ.

        - 'tanh': the hyperbolic tangent, zero-centred; trains best.
        - 'logistic': σ(z) = 1 / (1 + exp(−z)), the texts' sigmoid.
        - 'relu': max(z, 0), PyTorch's ``nonlinearity="relu"``.
    n_features_per_step : int, default=1
        The number of features d of one time step in 2-D input: column ``j`` of
        ``X`` is step ``j // d``, feature ``j % d``. Ignored for 3-D input, whose
        last axis gives it.
    bptt_truncate : int or None, default=None
        Backpropagate through only this many final time steps (truncated BPTT):
        cheaper on long sequences, blind to dependencies further back. None uses
        every step.
    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        The optimiser.

        - 'adam': stochastic gradient descent with adaptive moments.
        - 'sgd': stochastic gradient descent with (Nesterov) momentum.
        - 'lbfgs': full-batch L-BFGS-B from :func:`scipy.optimize.minimize`;
          often the most accurate on a few hundred sequences.
    alpha : float, default=3.0
        Strength of the penalty on the weights (never the biases), divided by the
        weight sum as in scikit-learn's MLP, so it fades as the data grow. The
        default, far above the MLP's, came out of a sweep over memory, counting,
        comparison and forecasting tasks (``benchmarks/tune_defaults.md``): small
        recurrent nets over-fit short series without it. 'lbfgs' minimises the
        objective of the Notes with this α; 'sgd' and 'adam' add the penalty once
        per mini-batch, scaled by 1 / Σ_batch w, and settle where that objective
        with α · n_sequences / batch_size would (scikit-learn's convention).
    l1_ratio : float, default=0.0
        Mix of the penalty: 0 is L2 (ridge, as scikit-learn's MLP), 1 is L1.
        Under 'sgd' and 'adam' the L1 part is a proximal (soft-thresholding) step
        after each update, which sets weights to exactly zero; 'lbfgs' follows
        its subgradient, which leaves small weights that are not exactly zero.
    loss : {'squared_error'}, default='squared_error'
        Half the mean squared error over the outputs ("actual minus predicted").
    batch_size : int or 'auto', default='auto'
        Mini-batch size for the stochastic solvers; 'auto' is min(200, n_sequences).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule, for 'sgd' and 'adam'.

        - 'constant': ``learning_rate_init`` throughout.
        - 'invscaling': η_t = learning_rate_init / (t + 1)^power_t, t sequences seen.
        - 'adaptive': divide η by 5 each time training stops improving.
    learning_rate_init : float, default=0.003
        The initial step size; three times the MLP's, which small recurrent nets
        train well with under gradient clipping (``benchmarks/tune_defaults.md``).
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    max_grad_norm : float or None, default=1.0
        Clip the global L2 norm of the gradient to this value before each step
        (stochastic solvers), the standard cure for the exploding gradients of
        recurrent nets (Pascanu et al., 2013). None disables clipping.
    shuffle : bool, default=True
        Whether to shuffle the sequences each epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation and the shuffling (the validation split
        of early stopping is the last rows, drawn by no seed). An int gives
        bit-identical models across calls.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress; for 'lbfgs', the
        gradient tolerance of the optimiser.
    verbose : bool, default=False
        Print one line per epoch: loss, validation score, learning rate, time.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the rows, stop when their
        R² stops improving and keep the weights with the best validation
        score ('sgd' and 'adam' in ``fit``; ignored, with a warning, by 'lbfgs'
        and ``partial_fit``). ``fit(X, y, X_val=..., y_val=...)`` takes a
        validation set instead.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping: the last
        ``ceil(validation_fraction * n_sequences)`` rows of ``X``, in the order
        given, read as time order, so that no window used for training lies
        after the validation windows (a random split would let windows that
        overlap the validation period train the model). Sequences
        that are not in time order (e.g. sorted by class) should be shuffled
        first, or passed with ``X_val``.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Adam's numerical-stability term.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations for 'lbfgs'.

    Attributes
    ----------
    loss_ : float
        The loss at the end of training.
    best_loss_ : float or None
        The smallest loss reached; None with ``early_stopping``.
    loss_curve_ : list of float
        The training loss after each epoch (each L-BFGS iteration).
    validation_scores_ : list of float or None
        R² on the held-out set after each epoch, with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        Loss on the held-out set after each epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        The best validation R², with ``early_stopping``.
    t_ : int
        The number of training sequences seen, over all calls.
    coefs_ : list of ndarray
        ``[W_xh, W_hh, W_hy]``: input-to-hidden of shape (n_features_per_step_,
        hidden_size), hidden-to-hidden of shape (hidden_size, hidden_size) and
        hidden-to-output of shape (hidden_size, n_outputs_).
    intercepts_ : list of ndarray
        ``[b_h, b_y]``: the hidden bias of shape (hidden_size,) and the output bias
        of shape (n_outputs_,).
    n_features_in_ : int
        Number of columns of the 2-D input seen during fit (n_timesteps ·
        n_features_per_step_; for 3-D input, after flattening its last two axes).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    n_features_per_step_ : int
        The number of features of one time step.
    n_iter_ : int
        The number of epochs (iterations for L-BFGS) run by the last call to
        ``fit`` or ``partial_fit``, as in scikit-learn.
    n_layers_ : int
        The number of layers, input and output included: 3.
    n_outputs_ : int
        The number of output units.
    out_activation_ : str
        Always 'identity'.

    See Also
    --------
    ElmanClassifier : The same network for classifying sequences.
    make_windows : Cut a long series into training windows.
    SigmoidMLPRegressor : The feed-forward network.

    Notes
    -----
    The network reads a sequence x_1 … x_T (each x_t of d features) into a state
    of H units, starting from h_0 = 0:

    .. math::

        h_t = σ(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \\qquad
        ŷ = h_T W_{hy} + b_y

    It is trained on the weighted mean loss plus the penalty
    :math:`\\frac{α}{Σ_i w_i}(\\frac{1-ρ}{2}‖W‖_2^2 + ρ‖W‖_1)` over
    the three weight matrices ('lbfgs' exactly; 'sgd' and 'adam' on each
    mini-batch, see ``alpha``), by backpropagation through time: with the output
    gradient of sequence i, δ_{out,i} = (w_i / Σ_j w_j)(ŷ_i − y_i) / K for the
    squared error over K outputs, and δ_t = ∂ℓ/∂z_t,

    .. math::

        δ_T = (δ_{out} W_{hy}^T) ⊙ σ'(z_T), \\qquad
        δ_{t-1} = (δ_t W_{hh}^T) ⊙ σ'(z_{t-1}),

        ∂ℓ/∂W_{xh} = Σ_t x_t^T δ_t, \\quad ∂ℓ/∂W_{hh} = Σ_t h_{t-1}^T δ_t,
        \\quad ∂ℓ/∂b_h = Σ_t δ_t,

    the sums running over the last ``bptt_truncate`` steps when it is set. Each
    step is one matrix product over the whole batch. Given the same weights, the
    outputs and gradients equal those of PyTorch's ``nn.RNN`` (one layer, the same
    non-linearity, ``bias_ih`` = b_h and ``bias_hh`` = 0) followed by
    ``nn.Linear``.

    Initialisation: W_hh is a random orthogonal matrix (Saxe et al., 2014), whose
    singular values are all 1, so the state and the backpropagated gradient
    neither vanish nor explode through the linear part of long recurrences; for
    'logistic', whose slope is at most ¼, W_hh is scaled by 4 and b_h centred so
    that the resting state ½ sits at z = 0. W_xh and W_hy are Glorot-uniform and
    the biases start at 0.

    Training and prediction run NumPy's BLAS on one thread: the per-step products
    are too small to gain from more, and a busy machine makes threaded small
    products many times slower. A batch whose per-step products are large
    (from ``hidden_size`` 91 at batches of 64, or 52 at batches of 200, in
    float64; about 1.4 times as many hidden units in float32) trains in two
    row parts instead, side by side on two worker threads, each part's
    sequences stepping through time on their own.

    Under array API dispatch (``sklearn.set_config(array_api_dispatch=True)``,
    with ``SCIPY_ARRAY_API=1``), ``X`` may be a PyTorch or CuPy array on any
    device: training and prediction run there, and the fitted arrays stay
    there; ``to_numpy()`` gives a NumPy copy of the model. See the user guide's
    page "GPUs and other array libraries".

    References
    ----------
    Elman, J. L. (1990). Finding structure in time. Cognitive Science, 14(2),
    179–211.

    Werbos, P. J. (1990). Backpropagation through time: what it does and how to
    do it. Proceedings of the IEEE, 78(10), 1550–1560.

    Saxe, A. M., McClelland, J. L. and Ganguli, S. (2014). Exact solutions to the
    nonlinear dynamics of learning in deep linear neural networks. ICLR.

    Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
    recurrent neural networks. ICML.

    Examples
    --------
    One-step-ahead forecasts of a noisy sine from windows of 10 steps:

    >>> import numpy as np
    >>> from sknn_math import ElmanRegressor, make_windows
    >>> rng = np.random.RandomState(0)
    >>> t = np.arange(300)
    >>> series = np.sin(2 * np.pi * t / 20) + 0.1 * rng.standard_normal(300)
    >>> X, y = make_windows(series, window=10)
    >>> reg = ElmanRegressor(random_state=0).fit(X[:250], y[:250])
    >>> reg.score(X[250:], y[250:]) > 0.9
    True
    >>> reg.forecast(X[-1:], n_steps=3).shape
    (1, 3)
    """

    _parameter_constraints = {
        **_BaseElman._parameter_constraints,
        "loss": [StrOptions({"squared_error"})],
    }

    def __init__(
        self,
        hidden_size=32,
        activation="tanh",
        *,
        n_features_per_step=1,
        bptt_truncate=None,
        solver="adam",
        alpha=3.0,
        l1_ratio=0.0,
        loss="squared_error",
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.003,
        power_t=0.5,
        max_iter=200,
        max_grad_norm=1.0,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.n_features_per_step = n_features_per_step
        self.bptt_truncate = bptt_truncate
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.loss = loss
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.max_grad_norm = max_grad_norm
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    def forecast(self, X, n_steps):
        """Forecast ``n_steps`` steps ahead of each sequence, recursively.

        Each prediction is appended to the sequence as its newest step and the
        oldest step dropped, so the window keeps its length, and the model predicts
        again: the model must have been trained to predict the next step's
        features (``n_outputs_ == n_features_per_step_``), as with
        :func:`make_windows` and ``horizon=1``.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_timesteps * n_features_per_step) \
                or (n_sequences, n_timesteps, n_features_per_step)
            The sequences to continue.
        n_steps : int
            The number of steps to forecast.

        Returns
        -------
        y : ndarray of shape (n_sequences, n_steps) or \
                (n_sequences, n_steps, n_features_per_step)
            The forecasts, nearest step first; 2-D for one feature per step.

        See Also
        --------
        sknn_math.forecast : The same recursion for a model behind a scaler (a
            Pipeline, a TransformedTargetRegressor), with known future
            exogenous inputs.
        """
        check_is_fitted(self)
        check_fit_namespace(X, self, attribute="coefs_", method="forecast")
        if not isinstance(n_steps, Integral) or isinstance(n_steps, bool) or (
            n_steps < 1
        ):
            raise ValueError(f"n_steps must be a positive integer; got {n_steps!r}.")
        d = self.n_features_per_step_
        if self.n_outputs_ != d:
            raise ValueError(
                f"forecast feeds each prediction back as the next step, so the "
                f"model must predict the {d} feature(s) of one step; it has "
                f"{self.n_outputs_} output(s). Train it on next-step targets, e.g. "
                "from make_windows(series, window, horizon=1)."
            )
        namespace = namespace_of_array(self.coefs_[0])
        window = namespace.cast(self._validate_X(X), self._model_dtype())
        xp = xp_of(window)
        forecasts = namespace.empty((window.shape[0], n_steps, d), window.dtype)
        for step in range(n_steps):
            forecasts[:, step, :] = self._predict_output(window)
            # slide the window by one step: the oldest out, the forecast in
            window = xp.concat([window[:, d:], forecasts[:, step, :]], axis=1)
        return forecasts[:, :, 0] if d == 1 else forecasts


class ElmanClassifier(ClassifierTask, _BaseElman):
    """Elman recurrent network classifier trained by backpropagation through time.

    Reads each sequence step by step into a hidden state and classifies it from the
    last state, with softmax outputs for several classes and a logistic unit for
    two. Parameter names and fitted attributes follow :class:`SigmoidMLPClassifier`
    and scikit-learn's :class:`~sklearn.neural_network.MLPClassifier`, with
    ``class_weight`` as well.

    Input is 2-D, ``(n_sequences, n_timesteps * n_features_per_step)`` row-major by
    time step, or 3-D ``(n_sequences, n_timesteps, n_features)``; both give the
    same model.

    Parameters
    ----------
    hidden_size : int, default=32
        The number of recurrent hidden units H.
    activation : {'tanh', 'logistic', 'relu'}, default='tanh'
        The state non-linearity σ.

        - 'tanh': the hyperbolic tangent, zero-centred; trains best.
        - 'logistic': σ(z) = 1 / (1 + exp(−z)), the texts' sigmoid.
        - 'relu': max(z, 0), PyTorch's ``nonlinearity="relu"``.
    n_features_per_step : int, default=1
        The number of features d of one time step in 2-D input: column ``j`` of
        ``X`` is step ``j // d``, feature ``j % d``. Ignored for 3-D input, whose
        last axis gives it.
    bptt_truncate : int or None, default=None
        Backpropagate through only this many final time steps (truncated BPTT):
        cheaper on long sequences, blind to dependencies further back. None uses
        every step.
    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        The optimiser.

        - 'adam': stochastic gradient descent with adaptive moments.
        - 'sgd': stochastic gradient descent with (Nesterov) momentum.
        - 'lbfgs': full-batch L-BFGS-B from :func:`scipy.optimize.minimize`;
          often the most accurate on a few hundred sequences.
    alpha : float, default=3.0
        Strength of the penalty on the weights (never the biases), divided by the
        weight sum as in scikit-learn's MLP, so it fades as the data grow. The
        default, far above the MLP's, came out of a sweep over memory, counting,
        comparison and forecasting tasks (``benchmarks/tune_defaults.md``): small
        recurrent nets over-fit short series without it. 'lbfgs' minimises the
        objective of the Notes with this α; 'sgd' and 'adam' add the penalty once
        per mini-batch, scaled by 1 / Σ_batch w, and settle where that objective
        with α · n_sequences / batch_size would (scikit-learn's convention).
    l1_ratio : float, default=0.0
        Mix of the penalty: 0 is L2 (ridge, as scikit-learn's MLP), 1 is L1.
        Under 'sgd' and 'adam' the L1 part is a proximal (soft-thresholding) step
        after each update, which sets weights to exactly zero; 'lbfgs' follows
        its subgradient, which leaves small weights that are not exactly zero.
    loss : {'log_loss', 'squared_error'}, default='log_loss'
        The data term of the objective.

        - 'log_loss': cross-entropy of the softmax or logistic outputs.
        - 'squared_error': half the mean squared difference between the predicted
          probabilities and the one-hot targets ("actual minus predicted").
    batch_size : int or 'auto', default='auto'
        Mini-batch size for the stochastic solvers; 'auto' is min(200, n_sequences).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule, for 'sgd' and 'adam'.

        - 'constant': ``learning_rate_init`` throughout.
        - 'invscaling': η_t = learning_rate_init / (t + 1)^power_t, t sequences seen.
        - 'adaptive': divide η by 5 each time training stops improving.
    learning_rate_init : float, default=0.003
        The initial step size; three times the MLP's, which small recurrent nets
        train well with under gradient clipping (``benchmarks/tune_defaults.md``).
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    max_grad_norm : float or None, default=1.0
        Clip the global L2 norm of the gradient to this value before each step
        (stochastic solvers), the standard cure for the exploding gradients of
        recurrent nets (Pascanu et al., 2013). None disables clipping.
    shuffle : bool, default=True
        Whether to shuffle the sequences each epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation and the shuffling (the validation split
        of early stopping is the last rows, drawn by no seed). An int gives
        bit-identical models across calls.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress; for 'lbfgs', the
        gradient tolerance of the optimiser.
    verbose : bool, default=False
        Print one line per epoch: loss, validation score, learning rate, time.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the rows, stop when their
        accuracy stops improving and keep the weights with the best validation
        score ('sgd' and 'adam' in ``fit``; ignored, with a warning, by 'lbfgs'
        and ``partial_fit``). ``fit(X, y, X_val=..., y_val=...)`` takes a
        validation set instead.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping: the last
        ``ceil(validation_fraction * n_sequences)`` rows of ``X``, in the order
        given, read as time order, so that no window used for training lies
        after the validation windows (a random split would let windows that
        overlap the validation period train the model). Sequences
        that are not in time order (e.g. sorted by class) should be shuffled
        first, or passed with ``X_val``.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Adam's numerical-stability term.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations for 'lbfgs'.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, ``{label: weight}``; 'balanced' uses
        n_sequences / (n_classes · count(label)). Multiplies ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    loss_ : float
        The loss at the end of training.
    best_loss_ : float or None
        The smallest loss reached; None with ``early_stopping``.
    loss_curve_ : list of float
        The training loss after each epoch (each L-BFGS iteration).
    validation_scores_ : list of float or None
        accuracy on the held-out set after each epoch, with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        Loss on the held-out set after each epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        The best validation accuracy, with ``early_stopping``.
    t_ : int
        The number of training sequences seen, over all calls.
    coefs_ : list of ndarray
        ``[W_xh, W_hh, W_hy]``: input-to-hidden of shape (n_features_per_step_,
        hidden_size), hidden-to-hidden of shape (hidden_size, hidden_size) and
        hidden-to-output of shape (hidden_size, n_outputs_).
    intercepts_ : list of ndarray
        ``[b_h, b_y]``: the hidden bias of shape (hidden_size,) and the output bias
        of shape (n_outputs_,).
    n_features_in_ : int
        Number of columns of the 2-D input seen during fit (n_timesteps ·
        n_features_per_step_; for 3-D input, after flattening its last two axes).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    n_features_per_step_ : int
        The number of features of one time step.
    n_iter_ : int
        The number of epochs (iterations for L-BFGS) run by the last call to
        ``fit`` or ``partial_fit``, as in scikit-learn.
    n_layers_ : int
        The number of layers, input and output included: 3.
    n_outputs_ : int
        The number of output units.
    out_activation_ : str
        'softmax' for multiclass, 'logistic' for binary and multilabel targets.

    See Also
    --------
    ElmanRegressor : The same network for regression and forecasting.
    SigmoidMLPClassifier : The feed-forward network.

    Notes
    -----
    The network reads a sequence x_1 … x_T (each x_t of d features) into a state
    of H units, starting from h_0 = 0:

    .. math::

        h_t = σ(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \\qquad
        ŷ = \\mathrm{softmax}(h_T W_{hy} + b_y)

    It is trained on the weighted mean loss plus the penalty
    :math:`\\frac{α}{Σ_i w_i}(\\frac{1-ρ}{2}‖W‖_2^2 + ρ‖W‖_1)` over
    the three weight matrices ('lbfgs' exactly; 'sgd' and 'adam' on each
    mini-batch, see ``alpha``), by backpropagation through time: with the output
    gradient of sequence i, δ_{out,i} = (w_i / Σ_j w_j)(ŷ_i − y_i) for log loss
    (computed from the logits, exact where the probabilities saturate), and
    δ_t = ∂ℓ/∂z_t,

    .. math::

        δ_T = (δ_{out} W_{hy}^T) ⊙ σ'(z_T), \\qquad
        δ_{t-1} = (δ_t W_{hh}^T) ⊙ σ'(z_{t-1}),

        ∂ℓ/∂W_{xh} = Σ_t x_t^T δ_t, \\quad ∂ℓ/∂W_{hh} = Σ_t h_{t-1}^T δ_t,
        \\quad ∂ℓ/∂b_h = Σ_t δ_t,

    the sums running over the last ``bptt_truncate`` steps when it is set. Each
    step is one matrix product over the whole batch. Given the same weights, the
    outputs and gradients equal those of PyTorch's ``nn.RNN`` (one layer, the same
    non-linearity, ``bias_ih`` = b_h and ``bias_hh`` = 0) followed by
    ``nn.Linear``.

    Initialisation: W_hh is a random orthogonal matrix (Saxe et al., 2014), whose
    singular values are all 1, so the state and the backpropagated gradient
    neither vanish nor explode through the linear part of long recurrences; for
    'logistic', whose slope is at most ¼, W_hh is scaled by 4 and b_h centred so
    that the resting state ½ sits at z = 0. W_xh and W_hy are Glorot-uniform and
    the biases start at 0.

    Training and prediction run NumPy's BLAS on one thread: the per-step products
    are too small to gain from more, and a busy machine makes threaded small
    products many times slower. A batch whose per-step products are large
    (from ``hidden_size`` 91 at batches of 64, or 52 at batches of 200, in
    float64; about 1.4 times as many hidden units in float32) trains in two
    row parts instead, side by side on two worker threads, each part's
    sequences stepping through time on their own.

    Under array API dispatch (``sklearn.set_config(array_api_dispatch=True)``,
    with ``SCIPY_ARRAY_API=1``), ``X`` may be a PyTorch or CuPy array on any
    device: training and prediction run there, and the fitted arrays stay
    there; ``to_numpy()`` gives a NumPy copy of the model. See the user guide's
    page "GPUs and other array libraries".

    References
    ----------
    Elman, J. L. (1990). Finding structure in time. Cognitive Science, 14(2),
    179–211.

    Werbos, P. J. (1990). Backpropagation through time: what it does and how to
    do it. Proceedings of the IEEE, 78(10), 1550–1560.

    Saxe, A. M., McClelland, J. L. and Ganguli, S. (2014). Exact solutions to the
    nonlinear dynamics of learning in deep linear neural networks. ICLR.

    Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
    recurrent neural networks. ICML.

    Examples
    --------
    Is the bump in the first or the second half of the sequence?

    >>> import numpy as np
    >>> from sknn_math import ElmanClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = 0.3 * rng.standard_normal((200, 12))
    >>> y = rng.randint(2, size=200)
    >>> X[np.arange(200), np.where(y == 0, 2, 8)] += 2.0
    >>> clf = ElmanClassifier(random_state=0).fit(X[:150], y[:150])
    >>> clf.score(X[150:], y[150:]) > 0.9
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **_BaseElman._parameter_constraints,
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_size=32,
        activation="tanh",
        *,
        n_features_per_step=1,
        bptt_truncate=None,
        solver="adam",
        alpha=3.0,
        l1_ratio=0.0,
        loss="log_loss",
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.003,
        power_t=0.5,
        max_iter=200,
        max_grad_norm=1.0,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.n_features_per_step = n_features_per_step
        self.bptt_truncate = bptt_truncate
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.loss = loss
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.max_grad_norm = max_grad_norm
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight

