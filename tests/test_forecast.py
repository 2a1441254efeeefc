"""sknn_math.forecast: recursive forecasts through a pipeline's transforms and a
transformed target, checked against the recursion written out by hand."""

import warnings

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknn_math import ElmanRegressor, forecast, make_windows

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _series(n=160, n_features=1, seed=0):
    """A trend in the hundreds plus a cycle: far from the tanh units' range, so
    that a missed transform changes every forecast."""
    rng = np.random.RandomState(seed)
    t = np.arange(n, dtype=float)
    columns = [300 + 0.5 * t + 20 * np.sin(t / (4 + k)) + rng.normal(size=n)
               for k in range(n_features)]
    return np.column_stack(columns) if n_features > 1 else columns[0]


def _elman(**params):
    return ElmanRegressor(hidden_size=5, solver="lbfgs", max_iter=20,
                          random_state=0, **params)


def _close(actual, expected):
    """Equal up to a few roundings of the values' size."""
    scale = np.max(np.abs(expected))
    eps = np.finfo(np.asarray(expected).dtype).eps
    np.testing.assert_allclose(actual, expected, rtol=0, atol=64 * eps * scale)


def test_through_a_scaler_and_a_transformed_target_equals_the_manual_recursion():
    series = _series()
    X, y = make_windows(series, window=8)
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), _elman()), transformer=MinMaxScaler(),
    ).fit(X, y)
    windows, n_steps = X[-3:], 6

    got = forecast(model, windows, n_steps)

    scaler = model.regressor_[0]
    network = model.regressor_[-1]
    target = model.transformer_
    window, manual = windows.copy(), []
    for _ in range(n_steps):
        scaled_next = network.predict(scaler.transform(window))
        next_value = target.inverse_transform(scaled_next[:, None])[:, 0]
        manual.append(next_value)
        window = np.column_stack([window[:, 1:], next_value])
    manual = np.column_stack(manual)

    assert got.shape == (3, n_steps)
    _close(got, manual)
    # in the series' units: a forecast of the scaled values would be near 0..1
    assert np.all(got > 300)
    # the user's windows are not modified
    np.testing.assert_array_equal(windows, X[-3:])


def test_a_bare_model_forecasts_as_the_manual_recursion():
    X, y = make_windows(_series() / 300, window=6)
    network = _elman().fit(X, y)
    window, manual = X[-4:].copy(), []
    for _ in range(5):
        next_value = network.predict(window)
        manual.append(next_value)
        window = np.column_stack([window[:, 1:], next_value])
    _close(forecast(network, X[-4:], 5), np.column_stack(manual))


def test_several_features_in_3d_and_2d_windows_forecast_alike():
    series = _series(n_features=2) / 300
    X2, y = make_windows(series, window=5)
    X3, _ = make_windows(series, window=5, layout="3d")
    flat = make_pipeline(StandardScaler(), _elman(n_features_per_step=2)).fit(X2, y)
    got_2d = forecast(flat, X2[-2:], 4)
    assert got_2d.shape == (2, 4, 2)
    # the manual recursion through the scaler, step by step
    window, manual = X2[-2:].copy(), []
    for _ in range(4):
        step = flat[-1].predict(flat[0].transform(window))
        manual.append(step)
        window = np.hstack([window[:, 2:], step])
    _close(got_2d, np.stack(manual, axis=1))

    network = _elman().fit(X3, y)
    _close(forecast(network, X3[-2:], 4), network.forecast(X3[-2:], 4))


def test_known_future_exogenous_values_are_fed_in():
    series = _series(n_features=3)
    X, y = make_windows(series, window=6, target=[0, 2])
    model = make_pipeline(StandardScaler(), _elman(n_features_per_step=3)).fit(X, y)
    future = np.linspace(400, 420, 5)  # the exogenous column 1, known ahead

    got = forecast(model, X[-2:], 5, exogenous=future, target=[0, 2])

    window, manual = X[-2:].copy(), []
    for step in range(5):
        predicted = model.predict(window)
        manual.append(predicted)
        new = np.column_stack([predicted[:, 0], np.full(2, future[step]),
                               predicted[:, 1]])
        window = np.hstack([window[:, 3:], new])
    assert got.shape == (2, 5, 2)
    _close(got, np.stack(manual, axis=1))
    # per window values give the same when they agree, and the future matters
    per_window = np.broadcast_to(future[None, :, None], (2, 5, 1))
    _close(forecast(model, X[-2:], 5, exogenous=per_window, target=[0, 2]), got)
    other = forecast(model, X[-2:], 5, exogenous=future - 300, target=[0, 2])
    assert not np.allclose(other[:, 1:], got[:, 1:])


def test_float32_windows_forecast_in_float32():
    X, y = make_windows((_series() / 300).astype(np.float32), window=6)
    model = make_pipeline(StandardScaler(), _elman()).fit(X, y)
    assert forecast(model, X[-2:], 3).dtype == np.float32


def test_feature_names_of_a_dataframe_flow_through_without_a_warning():
    pd = pytest.importorskip("pandas")
    X, y = make_windows(_series() / 300, window=4)
    frame = pd.DataFrame(X, columns=[f"lag{k}" for k in range(4, 0, -1)])
    model = make_pipeline(StandardScaler(), _elman()).fit(frame, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        got = forecast(model, frame.iloc[-2:], 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # NumPy windows: no names
        _close(got, forecast(model, X[-2:], 3))


def test_what_cannot_be_forecast_is_a_clear_error():
    X, y = make_windows(_series() / 300, window=4)
    with pytest.raises(TypeError, match="ElmanRegressor, a Pipeline ending in one"):
        forecast(Ridge().fit(X, y), X, 2)
    with pytest.raises(TypeError, match="around Ridge"):
        forecast(TransformedTargetRegressor(Ridge()).fit(X, y), X, 2)
    with pytest.raises(NotFittedError):
        forecast(make_pipeline(StandardScaler(), _elman()), X, 2)
    with pytest.raises(NotFittedError):
        forecast(TransformedTargetRegressor(_elman()), X, 2)
    model = _elman().fit(X, y)
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        forecast(model, X, 0)
    # two steps ahead at once is not a next-step model
    X2, y2 = make_windows(_series() / 300, window=4, n_steps_out=2)
    with pytest.raises(ValueError, match="train the model on next-step targets"):
        forecast(make_pipeline(StandardScaler(), _elman()).fit(X2, y2), X2, 2)
    # a transform that changes the columns breaks the windows' layout
    reduced = make_pipeline(PCA(n_components=2), _elman()).fit(X, y)
    with pytest.raises(ValueError, match="must keep the columns"):
        forecast(reduced, X, 2)
    with pytest.raises(ValueError, match="nothing for exogenous to fill"):
        forecast(model, X, 2, exogenous=np.ones(2))


def test_exogenous_inputs_must_be_given_in_full():
    series = _series(n_features=2)
    X, y = make_windows(series, window=4, target=0)
    model = make_pipeline(StandardScaler(), _elman(n_features_per_step=2)).fit(X, y)
    with pytest.raises(ValueError, match="name them with target="):
        forecast(model, X[-1:], 3)
    with pytest.raises(ValueError, match=r"does not predict feature\(s\) \[1\]"):
        forecast(model, X[-1:], 3, target=0)
    with pytest.raises(ValueError, match=r"shape \(3, 1\)"):
        forecast(model, X[-1:], 3, target=0, exogenous=np.ones(4))
    with pytest.raises(ValueError, match="must be known"):
        forecast(model, X[-1:], 3, target=0, exogenous=[1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="names 2 feature"):
        forecast(model, X[-1:], 3, target=[0, 1], exogenous=np.ones(3))
    assert forecast(model, X[-1:], 3, target=0, exogenous=np.ones(3)).shape == (1, 3)
