"""Tests of the Elman networks: BPTT against finite differences and PyTorch,
behaviour on small sequence problems, and input validation.

scikit-learn's estimator checks run once for every estimator, in test_common.py."""

import io
import pickle
import re
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
from _gradient_check import central_differences, loss_and_gradient
from _series import LYNX
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math._elman import (
    ElmanClassifier,
    ElmanRegressor,
    make_windows,
    pad_sequences,
)

# Short fits (small max_iter) are the point of many tests here, and the defaults
# may use all 200 epochs on the behaviour problems: neither is a test failure.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = ["tanh", "logistic", "relu"]



def noisy_sine(n=300, period=20, noise=0.1, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(n)


def bump_sequences(n=300, n_steps=20, seed=0):
    """Class 0: a two-step bump in the first half; class 1: in the second half."""
    rng = np.random.RandomState(seed)
    X = 0.3 * rng.standard_normal((n, n_steps))
    y = rng.randint(2, size=n)
    half = n_steps // 2
    start = np.where(y == 0, rng.randint(0, half - 1, n),
                     rng.randint(half, n_steps - 1, n))
    X[np.arange(n), start] += 2.0
    X[np.arange(n), start + 1] += 2.0
    return X, y


# ----------------------------------------------------------------------
# BPTT against finite differences of an independent, literal forward pass
def literal_loss(theta, shapes, X3, Y, sample_weight, activation, alpha, l1_ratio,
                 classifier, truncate, frozen):
    """The objective J(θ), written from the definitions with a plain loop.

    With truncation, the states before the last ``truncate`` steps are computed
    with the ``frozen`` parameters: truncated BPTT is the exact gradient of
    this function.
    """
    sigma = {"tanh": np.tanh, "logistic": expit,
             "relu": lambda z: np.maximum(z, 0)}[activation]

    def unpack(flat):
        arrays, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            arrays.append(flat[start:start + size].reshape(shape))
            start += size
        return arrays

    W_xh, W_hh, W_hy, b_h, b_y = unpack(theta)
    n, T, _ = X3.shape
    first = 0 if truncate is None else max(T - truncate, 0)
    h = np.zeros((n, W_hh.shape[0]))
    if first:
        F_xh, F_hh, _, f_h, _ = unpack(frozen)
        for t in range(first):
            h = sigma(X3[:, t] @ F_xh + h @ F_hh + f_h)
    for t in range(first, T):
        h = sigma(X3[:, t] @ W_xh + h @ W_hh + b_h)
    Z = h @ W_hy + b_y
    if classifier:
        per_sample = -np.sum(Y * np.log(softmax(Z, axis=1)), axis=1)
    else:
        per_sample = 0.5 * np.mean((Z - Y) ** 2, axis=1)
    W = np.concatenate([W_xh.ravel(), W_hh.ravel(), W_hy.ravel()])
    penalty = alpha * ((1 - l1_ratio) / 2 * W @ W + l1_ratio * np.abs(W).sum())
    return (per_sample @ sample_weight + penalty) / sample_weight.sum()


def fitted_network(Estimator, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(max_iter=2, random_state=0, **params).fit(X, y)


def analytic_gradient(est, X, Y, sample_weight):
    theta, loss, grad, _ = loss_and_gradient(est, X, Y, sample_weight)
    return theta, loss, grad


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("truncate", [None, 2])
@pytest.mark.parametrize("weighted_l1", [False, True],
                         ids=["plain", "sample_weight+l1"])
@pytest.mark.parametrize("classifier", [False, True], ids=["regressor", "classifier"])
def test_bptt_gradient_matches_finite_differences(activation, truncate, weighted_l1,
                                                  classifier):
    rng = np.random.RandomState(0)
    n, T, d, H = 7, 5, 2, 4
    X = rng.standard_normal((n, T * d))
    if classifier:
        y = np.arange(n) % 3
        Y = np.eye(3)[y]
        Estimator = ElmanClassifier
    else:
        Y = y = rng.standard_normal((n, 2))
        Estimator = ElmanRegressor
    alpha, l1_ratio = (0.3, 0.6) if weighted_l1 else (0.0, 0.0)
    sample_weight = rng.uniform(0.2, 2.0, n) if weighted_l1 else np.ones(n)
    est = fitted_network(Estimator, X, y, hidden_size=H, activation=activation,
                         n_features_per_step=d, bptt_truncate=truncate,
                         alpha=alpha, l1_ratio=l1_ratio)
    theta, loss, grad = analytic_gradient(
        est, X, Y, sample_weight if weighted_l1 else None
    )
    shapes = [a.shape for a in est.coefs_ + est.intercepts_]
    frozen = theta.copy()
    args = (shapes, X.reshape(n, T, d), Y, sample_weight, activation, alpha,
            l1_ratio, classifier, truncate, frozen)

    assert loss == pytest.approx(literal_loss(theta, *args), rel=1e-12)
    numeric = central_differences(lambda x: literal_loss(x, *args), theta)
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_truncation_longer_than_sequence_is_full_bptt():
    rng = np.random.RandomState(1)
    X, y = rng.standard_normal((6, 4)), rng.standard_normal(6)
    grads = []
    for truncate in (None, 4, 50):
        est = fitted_network(ElmanRegressor, X, y, hidden_size=3,
                             bptt_truncate=truncate)
        grads.append(analytic_gradient(est, X, y[:, None], None)[2])
    assert_allclose(grads[1], grads[0], rtol=1e-14)
    assert_allclose(grads[2], grads[0], rtol=1e-14)
    short = fitted_network(ElmanRegressor, X, y, hidden_size=3, bptt_truncate=1)
    assert not np.allclose(analytic_gradient(short, X, y[:, None], None)[2],
                           grads[0])


# ----------------------------------------------------------------------
# Oracle: PyTorch's nn.RNN + nn.Linear given the same weights
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("truncate", [None, 3])
def test_outputs_and_gradients_match_pytorch(activation, truncate):
    torch = pytest.importorskip(
        "torch", reason='PyTorch is the oracle here: pip install -e ".[oracles]"')
    rng = np.random.RandomState(0)
    n, T, d, H, n_out = 9, 7, 3, 5, 2
    X3 = rng.standard_normal((n, T, d))
    y = rng.standard_normal((n, n_out))
    sample_weight = rng.uniform(0.5, 2.0, n)
    est = fitted_network(ElmanRegressor, X3, y, hidden_size=H, activation=activation,
                         bptt_truncate=truncate, alpha=0.0)
    X = X3.reshape(n, T * d)
    _, loss, grad = analytic_gradient(est, X, y, sample_weight)
    W_xh, W_hh, W_hy = est.coefs_
    b_h, b_y = est.intercepts_

    rnn = torch.nn.RNN(d, H, nonlinearity=activation, batch_first=True).double()
    head = torch.nn.Linear(H, n_out).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh.T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh.T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b_h))
        rnn.bias_hh_l0.zero_()  # the two biases combined into b_h
        head.weight.copy_(torch.from_numpy(W_hy.T))
        head.bias.copy_(torch.from_numpy(b_y))
    x = torch.from_numpy(X3)
    if truncate is None:
        out, _ = rnn(x)
    else:  # truncated BPTT = the gradient stopped at the state T − k
        _, h = rnn(x[:, : T - truncate])
        out, _ = rnn(x[:, T - truncate:], h.detach())
    pred = head(out[:, -1])
    w = torch.from_numpy(sample_weight)
    per_sample = 0.5 * ((pred - torch.from_numpy(y)) ** 2).mean(dim=1)
    torch_loss = (per_sample * w).sum() / w.sum()
    torch_loss.backward()

    if truncate is None:
        assert_allclose(est.predict(X3), pred.detach().numpy(), rtol=0, atol=1e-10)
    assert loss == pytest.approx(torch_loss.item(), abs=1e-12)
    torch_grad = np.concatenate([
        rnn.weight_ih_l0.grad.numpy().T.ravel(),
        rnn.weight_hh_l0.grad.numpy().T.ravel(),
        head.weight.grad.numpy().T.ravel(),
        rnn.bias_ih_l0.grad.numpy(),
        head.bias.grad.numpy(),
    ])
    assert_allclose(grad, torch_grad, rtol=0, atol=1e-10)


def test_classifier_probabilities_match_pytorch():
    torch = pytest.importorskip(
        "torch", reason='PyTorch is the oracle here: pip install -e ".[oracles]"')
    rng = np.random.RandomState(2)
    X = rng.standard_normal((12, 6))
    y = np.arange(12) % 3
    clf = fitted_network(ElmanClassifier, X, y, hidden_size=4)
    W_xh, W_hh, W_hy = clf.coefs_
    b_h, b_y = clf.intercepts_
    rnn = torch.nn.RNN(1, 4, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh.T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh.T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b_h))
        rnn.bias_hh_l0.zero_()
        out, _ = rnn(torch.from_numpy(X[:, :, None]))
        logits = out[:, -1] @ torch.from_numpy(W_hy) + torch.from_numpy(b_y)
        proba = torch.softmax(logits, dim=1).numpy()
    assert_allclose(clf.predict_proba(X), proba, rtol=0, atol=1e-10)


# ----------------------------------------------------------------------
# Behaviour with the defaults on small problems
def test_forecasts_a_noisy_periodic_series():
    X, y = make_windows(noisy_sine(400), window=10)
    reg = ElmanRegressor(random_state=0).fit(X[:300], y[:300])
    assert reg.score(X[300:], y[300:]) > 0.95
    # recursive forecasts from one window stay close to the noiseless sine
    start = 300
    forecast = reg.forecast(X[start:start + 1], n_steps=10)
    assert forecast.shape == (1, 10)
    t = np.arange(start + 10, start + 20)
    assert np.abs(forecast[0] - np.sin(2 * np.pi * t / 20)).max() < 0.3


def test_forecasts_a_short_real_yearly_series():
    z = np.log10(LYNX)
    z = (z - z[:90].mean()) / z[:90].std()  # scaled on the training years only
    X, y = make_windows(z, window=8)
    n_train = 90 - 8
    reg = ElmanRegressor(random_state=0).fit(X[:n_train], y[:n_train])
    assert reg.score(X[n_train:], y[n_train:]) > 0.5


def test_recalls_a_value_several_steps_back():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((600, 10))
    y = X[:, 4]  # the value six steps before the last
    reg = ElmanRegressor(random_state=0).fit(X[:400], y[:400])
    assert reg.score(X[400:], y[400:]) > 0.9


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classifies_sequences_by_a_pattern(activation):
    X, y = bump_sequences(400)
    clf = ElmanClassifier(activation=activation, random_state=0).fit(X[:300], y[:300])
    assert clf.score(X[300:], y[300:]) > 0.95
    proba = clf.predict_proba(X[300:])
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X[300:]))


def test_multiclass_and_multioutput():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 8))
    y = np.digitize(X[:, 3], [-0.5, 0.5])  # three classes from step 4
    clf = ElmanClassifier(random_state=0).fit(X, y)
    assert clf.out_activation_ == "softmax"
    assert clf.predict_proba(X).shape == (300, 3)
    assert clf.score(X, y) > 0.9
    Y = X[:, [3, 6]]
    reg = ElmanRegressor(random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (300, 2)
    assert reg.score(X, Y) > 0.9


def test_lbfgs_and_sgd_also_train():
    X, y = make_windows(noisy_sine(300), window=10)
    for solver in ("lbfgs", "sgd"):
        reg = ElmanRegressor(solver=solver, random_state=0).fit(X[:250], y[:250])
        assert reg.score(X[250:], y[250:]) > 0.9, solver


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_l1_penalty_sets_recurrent_weights_to_exactly_zero(solver):
    X, y = make_windows(noisy_sine(300), window=10)
    params = dict(hidden_size=8, solver=solver, max_iter=50, random_state=0)
    dense = ElmanRegressor(**params).fit(X, y)
    sparse = ElmanRegressor(alpha=3.0, l1_ratio=1.0, **params).fit(X, y)
    assert sum(int(np.sum(W == 0)) for W in dense.coefs_) == 0
    assert sum(int(np.sum(W == 0)) for W in sparse.coefs_) >= 10  # of 80 weights
    assert all(np.all(b != 0) for b in sparse.intercepts_)  # biases: no penalty
    assert sparse.score(X, y) > 0.9


def test_class_weight_balanced_favours_the_rare_class():
    X, y = bump_sequences(400, seed=1)
    keep = (y == 0) | (np.arange(400) % 8 == 0)  # one class 1 in eight
    X, y = X[keep], y[keep]
    plain = ElmanClassifier(random_state=0, max_iter=20).fit(X, y)
    balanced = ElmanClassifier(random_state=0, max_iter=20,
                               class_weight="balanced").fit(X, y)
    rare = y == 1
    assert (balanced.predict_proba(X[rare])[:, 1].mean()
            > plain.predict_proba(X[rare])[:, 1].mean())


def test_sample_weight_equals_repetition():
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((30, 6)), rng.standard_normal(30)
    weights = rng.randint(0, 3, 30)
    params = dict(solver="lbfgs", max_iter=30, random_state=0, hidden_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = ElmanRegressor(**params).fit(X, y, sample_weight=weights)
        repeated = ElmanRegressor(**params).fit(np.repeat(X, weights, axis=0),
                                                np.repeat(y, weights))
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------
# Input layouts
def test_2d_and_3d_input_give_identical_models():
    rng = np.random.RandomState(0)
    X3 = rng.standard_normal((50, 6, 3))
    X2 = X3.reshape(50, 18)
    y = X3[:, 2, 1] - X3[:, 4, 0]
    from_3d = ElmanRegressor(random_state=0, max_iter=20).fit(X3, y)
    from_2d = ElmanRegressor(n_features_per_step=3, random_state=0,
                             max_iter=20).fit(X2, y)
    # Bit for bit: X2 is a view of X3's buffer, and both layouts are validated to
    # the same 2-D array, so the two fits run the very same products.
    for a, b in zip(from_3d.coefs_ + from_3d.intercepts_,
                    from_2d.coefs_ + from_2d.intercepts_, strict=True):
        assert_array_equal(a, b)
    assert from_3d.n_features_in_ == from_2d.n_features_in_ == 18
    assert from_3d.n_features_per_step_ == from_2d.n_features_per_step_ == 3
    assert from_3d.coefs_[0].shape == (3, 32)
    assert from_3d.n_layers_ == 3
    assert_array_equal(from_3d.predict(X2), from_2d.predict(X3))


def test_float32_stays_float32():
    X, y = make_windows(noisy_sine(200).astype(np.float32), window=10)
    reg = ElmanRegressor(random_state=0, max_iter=30).fit(X, y)
    assert all(a.dtype == np.float32 for a in reg.coefs_ + reg.intercepts_)
    assert reg.predict(X).dtype == np.float32
    assert reg.forecast(X[:2], 3).dtype == np.float32
    reg64 = ElmanRegressor(random_state=0, max_iter=30).fit(X.astype(np.float64), y)
    assert_allclose(reg.predict(X), reg64.predict(X), atol=1e-3)


def test_multivariate_forecast():
    t = np.arange(300)
    series = np.column_stack([np.sin(2 * np.pi * t / 20), np.cos(2 * np.pi * t / 20)])
    X, y = make_windows(series, window=6)
    reg = ElmanRegressor(n_features_per_step=2, random_state=0).fit(X, y)
    forecast = reg.forecast(X[-3:], n_steps=4)
    assert forecast.shape == (3, 4, 2)
    assert_allclose(forecast[:, 0], reg.predict(X[-3:]))
    # the second forecast is the prediction from the window slid by one step
    slid = np.hstack([X[-3:, 2:], forecast[:, 0]])
    assert_allclose(forecast[:, 1], reg.predict(slid), rtol=1e-6)


def test_forecast_needs_next_step_outputs():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 6))
    reg = ElmanRegressor(random_state=0, max_iter=5).fit(X, X[:, :2])
    with pytest.raises(ValueError, match="next step"):
        reg.forecast(X, 3)
    reg.fit(X, X[:, 0])
    with pytest.raises(ValueError, match="n_steps"):
        reg.forecast(X, 0)


# ----------------------------------------------------------------------
# Bad input: clear errors, inputs untouched
@pytest.mark.parametrize("Estimator", [ElmanRegressor, ElmanClassifier])
def test_bad_input(Estimator):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 7))
    y = np.arange(20) % 2
    original = X.copy()
    with pytest.raises(ValueError, match="n_features_per_step=2 does not divide"):
        Estimator(n_features_per_step=2).fit(X, y)
    with pytest.raises(ValueError, match="4 dimensions"):
        Estimator().fit(X[:, :6].reshape(20, 3, 1, 2), y)
    ragged = [[0.0, 1.0, 2.0], [0.0, 1.0]] * 10
    with pytest.raises(ValueError, match="ragged"):
        Estimator().fit(ragged, y)
    with pytest.raises(ValueError, match="ragged"):
        Estimator().fit(np.array([np.zeros(3), np.zeros(2)] * 10, dtype=object), y)
    for bad in (np.nan, np.inf):
        X_bad = X.copy()
        X_bad[3, 2] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            Estimator().fit(X_bad, y)
        with pytest.raises(ValueError, match="NaN|infinity"):
            Estimator().fit(X_bad.reshape(20, 7, 1), y)
    assert_array_equal(X, original)

    est = Estimator(n_features_per_step=2, max_iter=3, random_state=0)
    est.fit(X[:, :6], y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X)
    with pytest.raises(ValueError, match="3 features per step"):
        est.predict(X[:, :6].reshape(20, 2, 3))
    with pytest.raises(ValueError, match="4 dimensions"):
        est.predict(X[:, :6].reshape(20, 3, 1, 2))
    assert_array_equal(X, original)


def test_3d_input_is_not_modified():
    X3 = np.random.RandomState(0).standard_normal((30, 4, 2))
    original = X3.copy()
    ElmanRegressor(random_state=0, max_iter=5).fit(X3, X3[:, 1, 0]).predict(X3)
    assert_array_equal(X3, original)


# ----------------------------------------------------------------------
# Shared training machinery seen through the Elman networks
def test_partial_fit_warm_start_and_early_stopping():
    X, y = make_windows(noisy_sine(300), window=10)
    reg = ElmanRegressor(random_state=0)
    for _ in range(3):
        reg.partial_fit(X, y)
    # each call runs one epoch: n_iter_ counts the last call's, t_ all of them
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 3
    assert reg.t_ == 3 * X.shape[0]
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]

    warm = ElmanRegressor(max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
        warm.fit(X, y)
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 10  # this call's epochs

    early = ElmanRegressor(early_stopping=True, random_state=0).fit(X, y)
    assert early.n_iter_ < 200
    assert len(early.validation_scores_) == len(early.validation_loss_curve_)
    assert early.best_validation_score_ > 0.9

    assert not hasattr(ElmanClassifier(solver="lbfgs"), "partial_fit")
    clf = ElmanClassifier(random_state=0)
    Xc, yc = bump_sequences(60)
    clf.partial_fit(Xc, yc, classes=[0, 1])
    assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 1


def test_verbose_prints_one_line_per_epoch():
    X, y = make_windows(noisy_sine(100), window=5)
    out = io.StringIO()
    with redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ElmanRegressor(max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert re.match(r"Iteration 1, loss = [0-9.]+", lines[0])


def test_clipping_caps_each_step():
    # With plain SGD (no momentum) one step moves θ by exactly lr · clipped grad.
    X, y = make_windows(100 * noisy_sine(60), window=5)
    params = dict(solver="sgd", momentum=0.0, learning_rate_init=0.1, max_iter=1,
                  batch_size=len(y), shuffle=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clipped = ElmanRegressor(max_grad_norm=0.5, **params).fit(X, y)
        start = ElmanRegressor(max_iter=1, random_state=0)
        initial = start._initial_parameters
    rng = np.random.RandomState(0)
    start.n_features_per_step_ = 1
    coefs, intercepts = initial(X.shape[1], 1, rng)
    before = np.concatenate([a.ravel() for a in coefs + intercepts])
    after = np.concatenate([a.ravel() for a in clipped.coefs_ + clipped.intercepts_])
    assert np.linalg.norm(after - before) == pytest.approx(0.1 * 0.5)


def test_pickle_clone_and_determinism():
    X, y = make_windows(noisy_sine(150), window=8)
    reg = ElmanRegressor(random_state=0, max_iter=20).fit(X, y)
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict(X), reg.predict(X))
    again = clone(reg).fit(X, y)
    assert_array_equal(again.predict(X), reg.predict(X))


def test_grid_search_in_a_pipeline_and_time_series_split():
    X, y = make_windows(noisy_sine(260), window=8)
    pipe = make_pipeline(StandardScaler(), ElmanRegressor(random_state=0))
    search = GridSearchCV(
        pipe,
        {"elmanregressor__learning_rate_init": [1e-3, 1e-2],
         "elmanregressor__hidden_size": [4, 16]},
        cv=TimeSeriesSplit(n_splits=3),
    ).fit(X, y)
    # every setting was tried on every split, and the best one forecasts well
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.9
    scores = cross_val_score(ElmanRegressor(random_state=0), X, y,
                             cv=TimeSeriesSplit(n_splits=3))
    assert scores.min() > 0.9


# ----------------------------------------------------------------------
# make_windows
def test_make_windows_horizon_and_errors():
    series = np.arange(10.0)
    X, y = make_windows(series, window=3, horizon=2)
    assert X.shape == (6, 3)
    assert_array_equal(X[0], [0, 1, 2])
    assert_array_equal(y, np.arange(4.0, 10.0))
    with pytest.raises(ValueError, match="too short"):
        make_windows(series, window=8, horizon=3)
    with pytest.raises(ValueError, match="window must be a positive integer"):
        make_windows(series, window=0)
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        make_windows(series, window=2, horizon=1.5)
    with pytest.raises(ValueError, match="1-D .* or 2-D"):
        make_windows(np.zeros((4, 2, 2)), window=2)


@settings(max_examples=30, deadline=None)
@given(n_steps=st.integers(2, 30), n_features=st.integers(1, 3),
       window=st.integers(1, 10), horizon=st.integers(1, 5))
def test_make_windows_layout(n_steps, n_features, window, horizon):
    series = np.arange(n_steps * n_features, dtype=float).reshape(n_steps, n_features)
    if n_steps < window + horizon:
        with pytest.raises(ValueError, match="too short"):
            make_windows(series, window, horizon)
        return
    X, y = make_windows(series, window, horizon)
    n_windows = n_steps - window - horizon + 1
    assert X.shape == (n_windows, window * n_features)
    for i in range(n_windows):
        # column j is step j // d, feature j % d: the 2-D layout of the estimators
        assert_array_equal(X[i], series[i:i + window].ravel())
        assert_array_equal(y[i], series[i + window + horizon - 1])


@settings(max_examples=30, deadline=None)
@given(n_steps=st.integers(3, 30), n_features=st.integers(1, 3),
       window=st.integers(1, 6), horizon=st.integers(1, 3),
       n_steps_out=st.integers(1, 4), data=st.data())
def test_make_windows_multi_step_and_exogenous_layout(n_steps, n_features, window,
                                                      horizon, n_steps_out, data):
    series = np.arange(n_steps * n_features, dtype=float).reshape(n_steps, n_features)
    target = data.draw(st.none() | st.integers(0, n_features - 1)
                       | st.lists(st.integers(0, n_features - 1), min_size=1,
                                  max_size=n_features, unique=True))
    if n_steps < window + horizon + n_steps_out - 1:
        with pytest.raises(ValueError, match="too short"):
            make_windows(series, window, horizon, n_steps_out=n_steps_out,
                         target=target)
        return
    X, y = make_windows(series, window, horizon, n_steps_out=n_steps_out,
                        target=target)
    columns = range(n_features) if target is None else np.atleast_1d(target)
    n_windows = n_steps - window - horizon - n_steps_out + 2
    assert X.shape == (n_windows, window * n_features)
    for i in range(n_windows):
        assert_array_equal(X[i], series[i:i + window].ravel())  # exogenous too
        first = i + window + horizon - 1
        expected = series[first:first + n_steps_out][:, list(columns)]
        assert_array_equal(y[i], expected.ravel() if y.ndim == 2 else expected[0, 0])
    # one value per window (one step of one named column) keeps y 1-D
    assert (y.ndim == 1) == (n_steps_out == 1 and isinstance(target, int))


@pytest.mark.parametrize("series", [np.arange(20.0), np.arange(40.0).reshape(20, 2)])
@pytest.mark.parametrize("params", [{}, {"n_steps_out": 3}, {"n_steps_out": 3,
                                                              "target": 0}])
def test_make_windows_returns_writable_copies(series, params):
    if series.ndim == 1:
        params = {k: v for k, v in params.items() if k != "target"}
    X, y = make_windows(series, 4, **params)
    for out in (X, y):
        assert out.flags.writeable and not np.shares_memory(out, series)


def test_make_windows_bad_targets_and_horizons_are_clear_errors():
    series = np.arange(20.0).reshape(10, 2)
    original = series.copy()
    with pytest.raises(ValueError, match="n_steps_out must be a positive integer"):
        make_windows(series, window=2, n_steps_out=0)
    with pytest.raises(ValueError, match="too short .* n_steps_out=9"):
        make_windows(series, window=2, n_steps_out=9)
    with pytest.raises(ValueError, match=r"target=5 must name columns"):
        make_windows(series, window=2, target=5)
    with pytest.raises(ValueError, match="must name columns"):
        make_windows(series, window=2, target=[])
    with pytest.raises(ValueError, match="names a column twice"):
        make_windows(series, window=2, target=[1, 1])
    with pytest.raises(ValueError, match="1-D series has one"):
        make_windows(np.arange(10.0), window=2, target=0)
    assert_array_equal(series, original)


# ----------------------------------------------------------------------
# Sequences of different lengths: leading NaN steps
def _same_weights(est, Estimator, X_short, **params):
    """A network with ``est``'s weights and classes, fitted (briefly) on the short
    layout."""
    y = (np.arange(2 * len(X_short)) % 2 if Estimator is ElmanClassifier
         else np.zeros(2 * len(X_short)))
    other = Estimator(max_iter=1, random_state=0, **params).fit(
        np.vstack([X_short, X_short]), y)
    other.coefs_ = [c.copy() for c in est.coefs_]
    other.intercepts_ = [b.copy() for b in est.intercepts_]
    return other


@pytest.mark.parametrize("Estimator", [ElmanRegressor, ElmanClassifier])
@pytest.mark.parametrize("d", [1, 2])
def test_padded_sequence_predicts_as_it_would_alone(Estimator, d):
    rng = np.random.RandomState(0)
    sequences = [rng.normal(size=(T, d)) for T in (6, 3, 5, 6, 2)]
    X = pad_sequences(sequences)
    y = np.arange(5) % 2 if Estimator is ElmanClassifier else rng.normal(size=5)
    est = Estimator(hidden_size=4, n_features_per_step=d, max_iter=20,
                    random_state=0).fit(X, y)
    for T in (3, 2):
        alone = np.vstack([s.ravel() for s in sequences if len(s) == T])
        other = _same_weights(est, Estimator, alone, hidden_size=4,
                              n_features_per_step=d)
        padded = X[[len(s) == T for s in sequences]]
        method = "predict_proba" if Estimator is ElmanClassifier else "predict"
        assert_allclose(getattr(est, method)(padded), getattr(other, method)(alone),
                        rtol=1e-12, atol=1e-14)
        states = est.hidden_states(padded)
        assert np.all(states[:, :6 - T] == 0)  # padded steps hold h_0 = 0
        assert_allclose(states[:, 6 - T:], other.hidden_states(alone), rtol=1e-12,
                        atol=1e-14)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_padding_gets_no_gradient(activation):
    rng = np.random.RandomState(1)
    short = rng.normal(size=(1, 3))
    padded = np.hstack([np.full((1, 4), np.nan), short])
    Y = rng.normal(size=(1, 1))
    est = ElmanRegressor(hidden_size=3, activation=activation, alpha=0.1, max_iter=2,
                         random_state=0).fit(np.vstack([padded, padded]), [0.0, 1.0])
    other = _same_weights(est, ElmanRegressor, short, hidden_size=3,
                          activation=activation, alpha=0.1)
    _, loss_padded, grad_padded, _ = loss_and_gradient(est, padded, Y, None)
    _, loss_alone, grad_alone, _ = loss_and_gradient(other, short, Y, None)
    assert loss_padded == pytest.approx(loss_alone, rel=1e-12)
    assert_allclose(grad_padded, grad_alone, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("truncate", [None, 2])
def test_bptt_on_padded_batches_matches_finite_differences(truncate):
    rng = np.random.RandomState(2)
    X = pad_sequences([rng.normal(size=T) for T in (5, 2, 4, 1, 5)])
    Y = rng.normal(size=(5, 1))
    est = ElmanRegressor(hidden_size=3, bptt_truncate=truncate, max_iter=2,
                         random_state=0).fit(X, Y.ravel())
    theta, _, grad, J = loss_and_gradient(est, X, Y, rng.uniform(0.5, 2, 5))
    if truncate is None:  # truncation makes the gradient inexact on purpose
        assert_allclose(grad, central_differences(J, theta), rtol=1e-6, atol=1e-8)
    assert np.all(np.isfinite(grad))


def test_nan_elsewhere_than_leading_steps_is_a_clear_error():
    X = np.arange(24.0).reshape(4, 6)
    est = ElmanRegressor(n_features_per_step=2, max_iter=2, random_state=0)
    y = np.arange(4.0)
    inside = X.copy()
    inside[1, 2:4] = np.nan  # a whole step, after an observed one
    partial = X.copy()
    partial[2, 0] = np.nan  # one feature of a leading step
    empty = X.copy()
    empty[3] = np.nan
    for bad, what in ((inside, "NaN step after an observed one"),
                      (partial, "only some features NaN"),
                      (empty, "no observed step")):
        before = bad.copy()
        with pytest.raises(ValueError, match=what):
            est.fit(bad, y)
        assert_array_equal(bad, before)
    fitted = est.fit(X, y)
    with pytest.raises(ValueError, match="NaN step after an observed one"):
        fitted.predict(inside)
    with pytest.raises(ValueError, match="infinity|inf"):
        fitted.predict(np.where(X == 5, np.inf, X))


def test_padded_sequences_train_and_pickle():
    # sum of a variable-length sequence: the net must read every observed step
    rng = np.random.RandomState(0)
    sequences = [rng.normal(size=T) for T in rng.randint(2, 9, size=300)]
    X = pad_sequences(sequences)
    y = np.array([s.sum() for s in sequences])
    reg = ElmanRegressor(hidden_size=16, solver="lbfgs", max_iter=300,
                         random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.95
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict(X), reg.predict(X))


def test_pad_sequences_layout_and_errors():
    X = pad_sequences([np.array([[1, 2], [3, 4]]), [[5, 6]]])
    assert_array_equal(X, [[1, 2, 3, 4], [np.nan, np.nan, 5, 6]])
    assert X.dtype == np.float64
    with pytest.raises(ValueError, match="different numbers of features"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])
    with pytest.raises(ValueError, match="empty"):
        pad_sequences([])
    with pytest.raises(ValueError, match="list of 1-D or 2-D arrays"):
        pad_sequences(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3 dimensions"):
        pad_sequences([np.zeros((2, 2, 2))])


def test_hidden_states_feed_the_output_and_respect_working_memory():
    from sklearn import config_context

    X, y = make_windows(noisy_sine(200), window=12)
    reg = ElmanRegressor(hidden_size=5, max_iter=5, random_state=0).fit(X, y)
    states = reg.hidden_states(X)
    assert states.shape == (X.shape[0], 12, 5)
    W_hy, b_y = reg.coefs_[2], reg.intercepts_[1]
    assert_allclose(states[:, -1] @ W_hy[:, 0] + b_y[0], reg.predict(X),
                    rtol=1e-10, atol=1e-12)
    with config_context(working_memory=0.01):  # many chunks
        assert_allclose(reg.hidden_states(X), states, rtol=1e-12, atol=1e-14)
    assert_allclose(reg.hidden_states(X.reshape(-1, 12, 1)), states, rtol=1e-12,
                    atol=1e-14)


# ----------------------------------------------------------------------
# Windows of a series of several features: the 3-D layout, and 2-D windows
# read with the wrong number of features per step


def _two_feature_series(n=120, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return np.column_stack([np.sin(t / 3), np.cos(t / 5) + 0.1 * rng.normal(size=n)])


def test_make_windows_3d_layout_is_the_2d_one_with_steps_apart():
    series = _two_feature_series()
    X2, y2 = make_windows(series, window=5, target=0)
    X3, y3 = make_windows(series, window=5, target=0, layout="3d")
    assert X3.shape == (X2.shape[0], 5, 2)
    np.testing.assert_array_equal(X3[7, 2], series[7 + 2])  # window 7, step 2
    np.testing.assert_array_equal(X3.reshape(X2.shape), X2)
    np.testing.assert_array_equal(y3, y2)
    X1, _ = make_windows(series[:, 0], window=5, layout="3d")
    assert X1.shape == (X2.shape[0], 5, 1)
    with pytest.raises(ValueError, match="layout must be '2d' or '3d'"):
        make_windows(series, window=5, layout="3D")


def test_3d_windows_train_the_model_of_2d_windows_with_their_step_width():
    series = _two_feature_series()
    X2, y = make_windows(series, window=5, target=0)
    X3, _ = make_windows(series, window=5, target=0, layout="3d")
    params = {"hidden_size": 4, "solver": "lbfgs", "max_iter": 5, "random_state": 0}
    flat = ElmanRegressor(n_features_per_step=2, **params).fit(X2, y)
    deep = ElmanRegressor(**params).fit(X3, y)
    assert deep.n_features_per_step_ == 2
    np.testing.assert_allclose(deep.predict(X3), flat.predict(X2),
                               rtol=1e3 * np.finfo(float).eps)


@pytest.mark.parametrize("scaled", [False, True])
def test_2d_windows_of_several_features_read_one_per_step_warn(scaled):
    X, y = make_windows(_two_feature_series(), window=5, target=0)
    net = ElmanRegressor(hidden_size=3, max_iter=2, random_state=0)
    model = make_pipeline(StandardScaler(), net) if scaled else net
    with pytest.warns(UserWarning, match=r"2 feature\(s\) per time step.*"
                                         r"n_features_per_step=2.*layout='3d'"):
        model.fit(X, y)
    # the layouts that read the windows right say nothing
    X3, _ = make_windows(_two_feature_series(), window=5, target=0, layout="3d")
    Xu, yu = make_windows(_two_feature_series()[:, 0], window=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.set_params(n_features_per_step=2).fit(X, y)
        net.set_params(n_features_per_step=1).fit(X3, y)
        net.fit(Xu, yu)
        net.fit(np.random.RandomState(0).normal(size=(50, 10)), np.ones(50))
