"""The training losses (sknn_math._losses) at the extremes, and the sample-weight
normalisation they rely on (sknn_math._validation.normalize_sample_weight)."""

import numpy as np
import pytest
from scipy.special import expit

from sknn_math import ElmanClassifier, SigmoidMLPClassifier
from sknn_math._losses import logistic_log_loss, output_and_loss, output_delta
from sknn_math._training import pack_parameters
from sknn_math._validation import normalize_sample_weight

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _rtol(dtype):
    return 1e-12 if dtype == np.float64 else 1e-5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_log_loss_is_exact_for_saturated_logits(dtype, weighted):
    rng = np.random.RandomState(0)
    # three outputs (multilabel); the first rows saturate either way, right and wrong
    Z = np.vstack([[[-50.0, 50.0, 800.0], [100.0, -100.0, -800.0]],
                   rng.normal(0, 3, (6, 3))]).astype(dtype)
    Y = np.vstack([[[1, 1, 0], [1, 0, 0]], rng.randint(2, size=(6, 3))]).astype(dtype)
    w = rng.uniform(0.5, 2, 8).astype(dtype) if weighted else None
    # −log σ(z) = log(1 + e^{−z}) and −log(1 − σ(z)) = log(1 + e^{z}), in float64
    Z64, Y64 = Z.astype(np.float64), Y.astype(np.float64)
    per_output = Y64 * np.logaddexp(0, -Z64) + (1 - Y64) * np.logaddexp(0, Z64)
    expected = np.average(per_output.sum(axis=1), weights=w)

    P, loss = logistic_log_loss(Z.copy(), Y, w)
    # clipping at eps would cap the first row's 50 + 800 at 2 · 36 (float32: 2 · 16)
    assert loss == pytest.approx(expected, rel=_rtol(dtype))
    assert P.dtype == dtype
    np.testing.assert_allclose(P, expit(Z64), rtol=_rtol(dtype), atol=1e-30)
    assert np.all((P >= 0) & (P <= 1))


def test_training_loss_of_the_logistic_output_comes_from_the_logits():
    Z = np.array([[-50.0], [50.0]])
    Y = np.array([[1.0], [0.0]])
    P, loss = output_and_loss("log_loss", "logistic", Y, Z.copy())
    assert loss == pytest.approx(50.0, rel=1e-12)
    np.testing.assert_allclose(P, expit([[-50.0], [50.0]]), rtol=1e-12)


def _binary_net_at_minus_50(Estimator, dtype):
    """The binary net of the reproduction: one logistic unit, W = −50, b = 0 on
    x = ±1, ±2 labelled by their sign, so every sample is confidently wrong."""
    X = np.array([[1.0], [-1.0], [2.0], [-2.0]], dtype=dtype)
    y = np.array([1, 0, 1, 0])
    est = Estimator((), solver="lbfgs", alpha=0.0, max_iter=1).fit(X, y)
    est.coefs_[0][...] = -50.0
    est.intercepts_[0][...] = 0.0
    Y = est._label_binarizer.transform(y).astype(dtype)
    return est, X, Y


def _loss_grad_at(est, X, Y, theta):
    dtype = X.dtype
    params = pack_parameters(est.coefs_, est.intercepts_, dtype)
    params.theta[...] = theta
    workspace = est._make_workspace(X.shape[0], X.shape[1], dtype)
    loss = est._loss_grad(params, X, Y, None, workspace)
    return float(loss), params.grad.astype(np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_loss_and_gradient_agree_where_the_output_saturates(dtype):
    est, X, Y = _binary_net_at_minus_50(SigmoidMLPClassifier, dtype)
    theta = np.array([-50.0, 0.0])  # W, b
    loss, grad = _loss_grad_at(est, X, Y, theta)
    # per sample |z| = 50 or 100, all wrong: mean (50 + 50 + 100 + 100) / 4
    assert loss == pytest.approx(75.0, rel=_rtol(dtype))
    # ∂J/∂W = mean of (σ(z) − y) x = (−1 − 1 − 2 − 2) / 4
    np.testing.assert_allclose(grad, [-1.5, 0.0], atol=1e-6)
    # the slope of the reported loss is that gradient (the loss is linear here,
    # so a wide step keeps float32's rounding small against it)
    h = 1e-2
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        slope = (_loss_grad_at(est, X, Y, theta + step)[0]
                 - _loss_grad_at(est, X, Y, theta - step)[0]) / (2 * h)
        assert slope == pytest.approx(grad[k], abs=1e-3)


def test_lbfgs_leaves_a_saturated_wrong_start():
    # With a clipped loss L-BFGS saw a flat objective here and stopped at once.
    est, X, Y = _binary_net_at_minus_50(SigmoidMLPClassifier, np.float64)
    est.set_params(warm_start=True, max_iter=50).fit(X, [1, 0, 1, 0])
    assert est.score(X, [1, 0, 1, 0]) == 1.0
    assert est.coefs_[0][0, 0] > 0


def test_elman_classifier_trains_on_the_exact_logistic_loss():
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [2.0, 2.0], [-2.0, -2.0]])
    y = np.array([1, 0, 1, 0])
    est = ElmanClassifier(hidden_size=1, activation="tanh", solver="lbfgs",
                          alpha=0.0, max_iter=1, random_state=0).fit(X, y)
    est.coefs_[2][...] = -50.0  # W_hy, against the label
    est.intercepts_[1][...] = 0.0
    Y = est._label_binarizer.transform(y).astype(float)
    params = pack_parameters(est.coefs_, est.intercepts_, np.float64)
    workspace = est._make_workspace(4, 2, np.float64)
    loss = est._loss_grad(params, X, Y, None, workspace)
    h_T = np.tanh(X[:, 1] * est.coefs_[0][0, 0]
                  + np.tanh(X[:, 0] * est.coefs_[0][0, 0]) * est.coefs_[1][0, 0]
                  + est.intercepts_[0][0])
    z = -50.0 * h_T
    expected = np.mean(np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z)))
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normalised_weights_keep_their_ratios_and_the_callers_array(dtype):
    w = np.array([0.0, 1e36, 3e36, 2e36], dtype=np.float64)
    original = w.copy()
    normalized, scale = normalize_sample_weight(w, dtype)
    assert normalized is not w and normalized.dtype == dtype
    np.testing.assert_array_equal(w, original)
    assert scale == 3e36
    np.testing.assert_allclose(normalized, [0, 1 / 3, 1, 2 / 3], rtol=_rtol(dtype))
    assert np.isfinite(normalized.sum())
    assert normalize_sample_weight(None, dtype) == (None, 1.0)


def test_all_zero_weights_cannot_be_normalised():
    with pytest.raises(ValueError, match="sample_weight_val is zero for every"):
        normalize_sample_weight(np.zeros(3), np.float64, "sample_weight_val")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss, out_activation", [
    ("log_loss", "softmax"), ("log_loss", "logistic"), ("squared_error", "softmax"),
    ("squared_error", "logistic"), ("squared_error", "identity"), ("poisson", "exp"),
])
def test_losses_on_another_namespace_equal_the_numpy_losses(
        loss, out_activation, weighted, dtype):
    """The array API branch of the output layer, its loss and its delta computes
    what the NumPy branch computes in place."""
    strict = pytest.importorskip("array_api_strict")
    rng = np.random.RandomState(5)
    Z = np.vstack([[[-60.0, 0.0, 60.0]], rng.normal(0, 3, (7, 3))]).astype(dtype)
    if out_activation == "softmax":
        Y = np.eye(3)[rng.randint(3, size=8)]
    elif loss == "poisson":
        Y = rng.poisson(2, size=(8, 3)).astype(float)  # zeros included
    else:
        Y = rng.randint(2, size=(8, 3)).astype(float)
    Y = Y.astype(dtype)
    w = rng.uniform(0, 2, 8).astype(dtype) if weighted else None
    P, value = output_and_loss(loss, out_activation, Y, Z.copy(), w)
    delta = output_delta(loss, out_activation, Y, P)
    P_xp, value_xp = output_and_loss(
        loss, out_activation, strict.asarray(Y), strict.asarray(Z),
        None if w is None else strict.asarray(w))
    delta_xp = output_delta(loss, out_activation, strict.asarray(Y), P_xp)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert float(value_xp) == pytest.approx(float(value), rel=rtol)
    for ours, theirs in ((P_xp, P), (delta_xp, delta)):
        assert np.asarray(ours).dtype == dtype
        np.testing.assert_allclose(np.asarray(ours), theirs, rtol=rtol, atol=1e-30)
