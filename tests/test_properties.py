"""Invariants that hold for any valid input, checked with hypothesis."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import sknn_math

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def datasets(draw, min_samples=2, max_samples=25, max_features=5):
    n = draw(st.integers(min_samples, max_samples))
    d = draw(st.integers(1, max_features))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = draw(arrays(dtype, (n, d), elements=finite))
    return X


def _classifiers():
    return [
        sknn_math.SigmoidMLPClassifier((3,), max_iter=3, random_state=0),
        sknn_math.ElmanClassifier(hidden_size=3, max_iter=3, random_state=0),
    ]


def _regressors():
    return [
        sknn_math.SigmoidMLPRegressor((3,), max_iter=3, random_state=0),
        sknn_math.ElmanRegressor(hidden_size=3, max_iter=3, random_state=0),
    ]


def assert_equal_up_to_rounding(actual, desired, X):
    """Outputs for the same rows of ``X``, computed by differently shaped or ordered
    matrix products, agree to within their rounding error.

    BLAS promises no bit-identity between such calls (a row's place in the block
    decides which kernel computes it). A row's error starts as the rounding of its
    first products, of order eps·‖x‖₁ for weights of order one; the sigmoids'
    slopes and the later layers pass it on without growing it much.
    """
    eps = np.finfo(X.dtype).eps
    row_scale = np.maximum(1.0, np.abs(X).sum(axis=1))
    tol = 32 * eps * row_scale.reshape((-1,) + (1,) * (np.ndim(desired) - 1))
    excess = np.abs(np.asarray(actual, float) - np.asarray(desired, float)) - tol
    assert np.all(excess <= 0), (
        f"differ by more than rounding at rows {np.unique(np.nonzero(excess > 0)[0])}"
        f":\n{actual}\n{desired}")
    return tol


@pytest.mark.parametrize("estimator", _classifiers(), ids=lambda e: type(e).__name__)
@SETTINGS
@given(X=datasets(min_samples=4), n_classes=st.integers(2, 4), data=st.data())
def test_classifier_outputs_have_the_right_shape_dtype_and_sum(estimator, X,
                                                                n_classes, data):
    y = np.arange(len(X)) % n_classes
    clf = estimator.fit(X, y)
    X_new = data.draw(arrays(X.dtype, (data.draw(st.integers(1, 10)), X.shape[1]),
                             elements=finite))
    proba = clf.predict_proba(X_new)
    assert proba.shape == (len(X_new), n_classes)
    assert proba.dtype == X.dtype
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert np.all((proba >= 0) & (proba <= 1))
    labels = clf.predict(X_new)
    assert labels.shape == (len(X_new),)
    assert set(labels) <= set(clf.classes_)


@pytest.mark.parametrize("estimator", _regressors(), ids=lambda e: type(e).__name__)
@SETTINGS
@given(X=datasets(), n_outputs=st.integers(1, 3))
def test_regressor_outputs_have_the_right_shape_and_dtype(estimator, X, n_outputs):
    y = np.linspace(-1, 1, len(X) * n_outputs).reshape(len(X), n_outputs)
    reg = estimator.fit(X, y[:, 0] if n_outputs == 1 else y)
    pred = reg.predict(X)
    assert pred.shape == ((len(X),) if n_outputs == 1 else (len(X), n_outputs))
    assert pred.dtype == X.dtype
    assert np.all(np.isfinite(pred))


@pytest.mark.parametrize("estimator", _classifiers() + _regressors(),
                         ids=lambda e: type(e).__name__)
@SETTINGS
@given(X=datasets(min_samples=4), seed=st.integers(0, 2**31 - 1))
def test_sample_order_does_not_change_per_sample_predictions(estimator, X, seed):
    y = np.arange(len(X)) % 2
    est = estimator.fit(X, y)
    perm = np.random.RandomState(seed).permutation(len(X))
    if not hasattr(est, "predict_proba"):
        assert_equal_up_to_rounding(est.predict(X[perm]), est.predict(X)[perm], X[perm])
        return
    proba = est.predict_proba(X)[perm]
    tol = assert_equal_up_to_rounding(est.predict_proba(X[perm]), proba, X[perm])
    # a label may flip only between classes whose probabilities tie within rounding
    top_two = np.sort(proba, axis=1)[:, -2:]
    clear = top_two[:, 1] - top_two[:, 0] > 2 * tol.ravel()
    labels = est.predict(X)[perm]
    np.testing.assert_array_equal(est.predict(X[perm])[clear], labels[clear])


@pytest.mark.parametrize("Estimator", [sknn_math.SigmoidMLPClassifier,
                                       sknn_math.ElmanClassifier])
@SETTINGS
@given(X=datasets(min_samples=6), cuts=st.lists(st.integers(1, 24), max_size=4))
def test_partial_fit_accepts_any_chunking(Estimator, X, cuts):
    y = np.arange(len(X)) % 2
    est = Estimator(random_state=0)
    bounds = sorted({c for c in cuts if c < len(X)})
    for chunk_X, chunk_y in zip(np.split(X, bounds), np.split(y, bounds),
                                strict=True):
        est.partial_fit(chunk_X, chunk_y, classes=[0, 1])
    assert est.n_iter_ == 1  # the last call's epoch
    assert est.t_ == len(X)
    assert len(est.loss_curve_) == len(bounds) + 1
    assert np.all(np.isfinite(est.predict_proba(X)))


@SETTINGS
@given(X=datasets(min_samples=5), shape=st.tuples(st.integers(1, 4),
                                                  st.integers(2, 4)),
       topology=st.sampled_from(["rectangular", "hexagonal"]),
       periodic=st.booleans())
def test_som_transform_is_a_distance_whose_argmin_is_predict(X, shape, topology,
                                                              periodic):
    som = sknn_math.SelfOrganizingMap(
        n_rows=shape[0], n_cols=shape[1], topology=topology, periodic=periodic,
        init="random", max_iter=2, random_state=0,
    ).fit(X)
    D = som.transform(X)
    assert D.shape == (len(X), shape[0] * shape[1])
    assert np.all(D >= 0)
    labels = som.predict(X)
    # ties aside, the winner is the nearest unit
    np.testing.assert_allclose(D[np.arange(len(X)), labels], D.min(axis=1),
                               rtol=1e-5, atol=1e-6)

@SETTINGS
@given(X=datasets(min_samples=8), cuts=st.lists(st.integers(1, 24), max_size=4))
def test_som_partial_fit_accepts_any_chunking(X, cuts):
    som = sknn_math.SelfOrganizingMap(n_rows=2, n_cols=2, init="random",
                                      random_state=0)
    bounds = sorted({c for c in cuts if c < len(X)})
    for chunk in np.split(X, bounds):
        som.partial_fit(chunk)
    assert np.all(np.isfinite(som.codebook_))
    assert som.predict(X).shape == (len(X),)


def _weighted_problem(Estimator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    y = X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=30)
    if Estimator is sknn_math.SigmoidMLPClassifier:
        y = (y > 0).astype(int)
    return X, y, rng.uniform(0.5, 2, 30)


def _assert_same_parameters(got, want):
    for g, w in zip(got.coefs_ + got.intercepts_, want.coefs_ + want.intercepts_,
                    strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("Estimator", [sknn_math.SigmoidMLPClassifier,
                                       sknn_math.ElmanRegressor])
@SETTINGS
@given(log10_factor=st.floats(-300, 307.5), solver=st.sampled_from(["lbfgs", "adam",
                                                                    "sgd"]))
def test_a_common_factor_of_the_sample_weights_changes_no_penalty_free_fit(
        Estimator, log10_factor, solver):
    # The data term is a weighted mean: any factor leaves it alone, also where the
    # weights' sum overflows (30 weights of up to 2 · 10^307.5) or is tiny.
    X, y, w = _weighted_problem(Estimator)
    params = dict(solver=solver, alpha=0.0, batch_size=8, max_iter=4, tol=0,
                  random_state=0)
    scaled = Estimator(3, **params).fit(X, y, sample_weight=10.0**log10_factor * w)
    plain = Estimator(3, **params).fit(X, y, sample_weight=w)
    _assert_same_parameters(scaled, plain)
    np.testing.assert_allclose(scaled.loss_curve_, plain.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("Estimator", [sknn_math.SigmoidMLPClassifier,
                                       sknn_math.ElmanRegressor])
@SETTINGS
@given(log10_factors=st.lists(st.floats(-6, 6), min_size=3, max_size=3),
       solver=st.sampled_from(["lbfgs", "adam", "sgd"]))
def test_a_factor_of_the_sample_weights_divides_alpha(Estimator, log10_factors,
                                                      solver):
    # The penalty is α/Σw, as in scikit-learn: weights c·w with α train as weights
    # w with α/c. partial_fit normalises each chunk's weights by their own
    # maximum, which changes nothing: a chunk may carry its own factor.
    X, y, w = _weighted_problem(Estimator)
    c, *chunk_factors = 10.0 ** np.array(log10_factors)
    params = dict(solver=solver, batch_size=8, max_iter=4, tol=0, random_state=0)
    scaled = Estimator(3, alpha=0.5, **params).fit(X, y, sample_weight=c * w)
    plain = Estimator(3, alpha=0.5 / c, **params).fit(X, y, sample_weight=w)
    _assert_same_parameters(scaled, plain)
    if solver == "lbfgs":
        return
    extra = ({"classes": [0, 1]} if Estimator is sknn_math.SigmoidMLPClassifier
             else {})
    scaled, plain = Estimator(3, **params), Estimator(3, **params)
    for rows, factor in zip((slice(0, 12), slice(12, 30)), chunk_factors,
                            strict=True):
        scaled.set_params(alpha=0.5).partial_fit(
            X[rows], y[rows], sample_weight=factor * w[rows], **extra)
        plain.set_params(alpha=0.5 / factor).partial_fit(
            X[rows], y[rows], sample_weight=w[rows], **extra)
    _assert_same_parameters(scaled, plain)
