"""Array API dispatch: the estimators on array-api-strict arrays and PyTorch tensors.

scikit-learn's own array-API checks run for every estimator in
``test_common.py`` (they follow the ``array_api_support`` tag); here the results
of the array API path are compared with the NumPy path's, value by value, and
the behaviours a GPU user relies on are pinned: fitted arrays stay in the input's
namespace, ``to_numpy`` brings a model home, and what stays NumPy-only says so.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_array_api_input

import sknn_math
from sknn_math import _activations

pytest.importorskip("array_api_strict")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NAMESPACES = [
    ("array_api_strict", "CPU_DEVICE", "float64"),
    ("array_api_strict", "device1", "float32"),
    ("torch", "cpu", "float64"),
    ("torch", "cpu", "float32"),
]


def _estimators():
    return [
        sknn_math.SelfOrganizingMap(3, 4, max_iter=5, random_state=0),
        sknn_math.SelfOrganizingMap(
            4, 5, topology="hexagonal", periodic=True, n_clusters=2, max_iter=5,
            random_state=0,
        ),
        *_networks(),
    ]


def _networks(solver="adam", max_iter=5, **params):
    """The four networks, small: a few epochs (iterations) of ``solver``."""
    common = {"solver": solver, "max_iter": max_iter, "random_state": 0, **params}
    return [
        sknn_math.SigmoidMLPClassifier((5,), **common),
        sknn_math.SigmoidMLPRegressor((5, 3), activation="tanh", **common),
        sknn_math.ElmanClassifier(5, **common),
        sknn_math.ElmanRegressor(4, n_features_per_step=2, **common),
    ]


def _id(estimator):
    return type(estimator).__name__


def _namespace(name, device_name):
    """``(xp, device)``: scikit-learn's test namespace and device of that name
    (skips where the library is absent)."""
    pytest.importorskip(name)
    from sklearn.utils._testing import _array_api_for_tests

    return _array_api_for_tests(name, device_name)


@pytest.mark.parametrize("estimator", _estimators(), ids=_id)
@pytest.mark.parametrize("namespace, device_name, dtype_name", NAMESPACES)
def test_results_equal_numpy_path(estimator, namespace, device_name, dtype_name):
    """Fitted attributes and every method's output equal the NumPy path's to the
    dtype's tolerance (scikit-learn's check with ``check_values=True``)."""
    check_array_api_input(
        type(estimator).__name__, estimator, array_namespace=namespace,
        device_name=device_name, dtype_name=dtype_name, check_values=True,
        check_sample_weight=True,
    )


def _data(dtype, n_samples=300):
    X, y = make_classification(n_samples=n_samples, n_features=6, random_state=0)
    return X.astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_som_on_torch_keeps_arrays_on_the_device_and_to_numpy_brings_them_home(dtype):
    torch = pytest.importorskip("torch")
    X, _ = _data(dtype)
    som = sknn_math.SelfOrganizingMap(5, 5, max_iter=8, random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        som.fit(torch.asarray(X))
        assert torch.is_tensor(som.codebook_)
        assert som.codebook_.dtype == (torch.float32 if dtype == np.float32
                                       else torch.float64)
        labels = som.predict(torch.asarray(X))
        assert torch.is_tensor(labels)
    reference = clone(som).fit(X)
    home = som.to_numpy()
    assert isinstance(home.codebook_, np.ndarray)
    assert torch.is_tensor(som.codebook_)  # the original is untouched
    assert_allclose(home.codebook_, reference.codebook_,
                    rtol=50 * np.finfo(dtype).eps, atol=50 * np.finfo(dtype).eps)
    assert_allclose(home.quantization_error_, reference.quantization_error_,
                    rtol=1e-5)
    # the NumPy copy predicts on NumPy data, pickles and loads anywhere
    restored = pickle.loads(pickle.dumps(home))
    np.testing.assert_array_equal(restored.predict(X), home.predict(X))


def test_som_predict_with_another_namespace_is_a_clear_error():
    strict = pytest.importorskip("array_api_strict")
    X, _ = _data(np.float64)
    som = sknn_math.SelfOrganizingMap(3, 3, max_iter=3, random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        som.fit(strict.asarray(X))
        with pytest.raises(ValueError, match="must use the same namespace"):
            som.predict(X)


def test_som_refuses_what_stays_on_numpy():
    torch = pytest.importorskip("torch")
    X, _ = _data(np.float64)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="algorithm='batch'"):
            sknn_math.SelfOrganizingMap(3, 3, algorithm="online").fit(
                torch.asarray(X))
        with pytest.raises(ValueError, match="NaN"):
            sknn_math.SelfOrganizingMap(3, 3).fit(torch.asarray(X_nan))


def test_som_far_outlier_units_match_exact_argmin_on_torch():
    """The best units on the device equal the exact (float64) argmin even with a
    far prototype, as on NumPy."""
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    X = rng.standard_normal((2000, 3)).astype(np.float32)
    X[0] = [1e5, 0, 0]
    som = sknn_math.SelfOrganizingMap(5, 5, max_iter=5, random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        som.fit(torch.asarray(X))
        units = som.predict(torch.asarray(X)).numpy()
    W = som.codebook_.numpy().astype(np.float64)
    d_sq = ((X.astype(np.float64)[:, None, :] - W[None]) ** 2).sum(axis=2)
    exact = d_sq.argmin(axis=1)
    ties = np.isclose(d_sq[np.arange(len(X)), units], d_sq.min(axis=1), rtol=0,
                      atol=0)
    assert np.all((units == exact) | ties)


# ----------------------------------------------------------------------------
# The networks (MLP and Elman): one loop and one set of kernels on every namespace


def _tol(dtype):
    """A few hundred roundings of the dtype: what separates two correct
    computations of a few epochs that sum in different orders."""
    return 200 * float(np.finfo(dtype).eps)


def _fit_both(estimator, namespace, device_name, dtype_name, X, y, **fit_params):
    """The estimator fitted on NumPy arrays and, under dispatch, on the same data
    in ``namespace``; returns both and the data there."""
    xp, device = _namespace(namespace, device_name)
    X = X.astype(dtype_name)
    reference = clone(estimator).fit(X, y, **fit_params)
    on_device = clone(estimator)
    X_xp = xp.asarray(X, device=device)
    with sklearn.config_context(array_api_dispatch=True):
        on_device.fit(X_xp, y, **fit_params)
    return reference, on_device, X, X_xp


def _assert_same_weights(reference, on_device, dtype):
    home = on_device.to_numpy()
    for ours, theirs in zip(home.coefs_ + home.intercepts_,
                            reference.coefs_ + reference.intercepts_, strict=True):
        assert ours.dtype == theirs.dtype == dtype
        assert_allclose(ours, theirs, rtol=_tol(dtype), atol=_tol(dtype))


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("estimator", _networks(), ids=_id)
@pytest.mark.parametrize("namespace, device_name, dtype_name", NAMESPACES)
def test_network_weights_and_outputs_equal_numpy_path(
        estimator, solver, namespace, device_name, dtype_name):
    """The device path trains the same network as the NumPy path: the same
    initial draws and batches, the same formulas, rounded differently."""
    X, y = _data(np.float64, n_samples=120)
    if isinstance(estimator, sknn_math.SigmoidMLPRegressor):
        y = X[:, :2] @ [1.0, -2.0]
    estimator = clone(estimator).set_params(solver=solver)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2, X.shape[0])
    reference, on_device, X, X_xp = _fit_both(
        estimator, namespace, device_name, dtype_name, X, y,
        sample_weight=sample_weight)
    dtype = np.dtype(dtype_name)
    _assert_same_weights(reference, on_device, dtype)
    assert on_device.loss_ == pytest.approx(reference.loss_, rel=_tol(dtype))
    method = "predict_proba" if hasattr(estimator, "predict_proba") else "predict"
    with sklearn.config_context(array_api_dispatch=True):
        result = getattr(on_device, method)(X_xp)
    assert_allclose(sknn_math._array_api.to_numpy_array(result),
                    getattr(reference, method)(X), rtol=_tol(dtype),
                    atol=_tol(dtype))


@pytest.mark.parametrize("namespace, device_name, dtype_name", NAMESPACES[:2])
@pytest.mark.parametrize("params", [
    {"early_stopping": True, "n_iter_no_change": 2, "validation_fraction": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "nesterovs_momentum": False,
     "l1_ratio": 0.5, "alpha": 0.5, "max_grad_norm": 0.05},
    {"learning_rate": "adaptive", "n_iter_no_change": 1, "tol": 1.0,
     "class_weight": {0: 1.0, 1: 3.0}},
], ids=["early_stopping", "sgd_schedule_l1_clipping", "adaptive_class_weight"])
def test_training_options_on_the_device_equal_numpy_path(
        params, namespace, device_name, dtype_name):
    """Early stopping (the split drawn on the host), schedules, momentum, the L1
    proximal step, clipping and class weights train the same network."""
    X, y = _data(np.float64, n_samples=150)
    for estimator in (sknn_math.SigmoidMLPClassifier((6,)),
                      sknn_math.ElmanClassifier(4)):
        estimator.set_params(max_iter=8, random_state=0, **params)
        reference, on_device, *_ = _fit_both(estimator, namespace, device_name,
                                             dtype_name, X, y)
        _assert_same_weights(reference, on_device, np.dtype(dtype_name))
        assert on_device.n_iter_ == reference.n_iter_
        assert_allclose(on_device.loss_curve_, reference.loss_curve_,
                        rtol=_tol(np.dtype(dtype_name)))
        if estimator.early_stopping:
            assert all(isinstance(s, float) for s in on_device.validation_scores_)
            assert on_device.validation_scores_ == pytest.approx(
                reference.validation_scores_, abs=1e-12)


@pytest.mark.parametrize("estimator", _networks(), ids=_id)
def test_partial_fit_and_warm_start_on_the_device_equal_numpy_path(estimator):
    strict = pytest.importorskip("array_api_strict")
    X, y = _data(np.float64, n_samples=90)
    X_xp = strict.asarray(X)
    classes = {"classes": np.unique(y)} if is_classifier(estimator) else {}
    incremental, incremental_xp = clone(estimator), clone(estimator)
    warm = clone(estimator).set_params(warm_start=True, max_iter=2)
    warm_xp = clone(warm)
    for chunk in (slice(0, 45), slice(45, 90)):
        incremental.partial_fit(X[chunk], y[chunk], **classes)
        warm.fit(X[chunk], y[chunk])
        with sklearn.config_context(array_api_dispatch=True):
            incremental_xp.partial_fit(X_xp[chunk, :], y[chunk], **classes)
            warm_xp.fit(X_xp[chunk, :], y[chunk])
    _assert_same_weights(incremental, incremental_xp, np.dtype(np.float64))
    _assert_same_weights(warm, warm_xp, np.dtype(np.float64))
    assert incremental_xp.t_ == incremental.t_ == 90


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_validation_set_and_callbacks_on_the_device_equal_numpy_path(solver):
    """An explicit validation set (NumPy, while X is on the device) follows X;
    scikit-learn's ScoringMonitor scores the snapshots of a device fit as it
    scores the NumPy fit's."""
    callback = pytest.importorskip("sklearn.callback")
    strict = pytest.importorskip("array_api_strict")
    X, y = _data(np.float64, n_samples=100)
    X_val, y_val = _data(np.float64, n_samples=130)
    X_val, y_val = X_val[100:], y_val[100:]
    validation = ({} if solver == "lbfgs" else
                  {"X_val": X_val, "y_val": y_val,
                   "sample_weight_val": np.linspace(0.5, 2, 30)})
    fits = []
    for X_fit in (X, strict.asarray(X)):
        clf = sknn_math.SigmoidMLPClassifier(
            (4,), solver=solver, max_iter=6, random_state=0,
            early_stopping=solver != "lbfgs", n_iter_no_change=100)
        monitor = callback.ScoringMonitor(scoring="accuracy")
        with sklearn.config_context(array_api_dispatch=True):
            clf.set_callbacks(monitor).fit(X_fit, y, **validation)
        fits.append((clf, [row["accuracy"] for row in monitor.get_logs().data]))
    (reference, reference_scores), (on_device, scores) = fits
    _assert_same_weights(reference, on_device, np.dtype(np.float64))
    assert scores == pytest.approx(reference_scores, abs=1e-12)
    if solver != "lbfgs":
        assert on_device.validation_scores_ == pytest.approx(
            reference.validation_scores_, abs=1e-12)


def test_divergence_on_the_device_is_the_numpy_paths_error():
    """The device path finds a divergence at the end of the epoch and, as the
    NumPy path, leaves finite weights behind: the error, or with early stopping
    the best weights so far and a warning."""
    torch = pytest.importorskip("torch")
    X, y = make_regression(200, 3, noise=1, random_state=0)
    X_t, y_t = torch.asarray(X), torch.asarray(y * 1e3)
    reg = sknn_math.SigmoidMLPRegressor(
        (20,), activation="identity", solver="sgd", learning_rate_init=10.0,
        momentum=0.9, max_iter=50, random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="diverged.*learning_rate_init"):
            reg.fit(X_t, y_t)
        assert all(bool(torch.isfinite(c).all()) for c in reg.coefs_)
        reg = clone(reg).set_params(learning_rate_init=1e-4, max_iter=20,
                                    warm_start=True, early_stopping=True)
        reg.fit(X_t, torch.asarray(y))
        before = reg.predict(X_t)
        reg.set_params(learning_rate_init=10.0)
        with pytest.warns(ConvergenceWarning, match="diverged"):
            reg.fit(X_t, y_t)
        torch.testing.assert_close(reg.predict(X_t), before, rtol=0, atol=0)


@pytest.mark.parametrize("estimator", _networks(), ids=_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_network_arrays_stay_on_the_device(estimator, dtype):
    torch = pytest.importorskip("torch")
    X, y = _data(dtype, n_samples=60)
    X_t = torch.asarray(X)
    with sklearn.config_context(array_api_dispatch=True):
        estimator = clone(estimator).fit(X_t, torch.asarray(y))
        outputs = [estimator.predict(X_t)]
        if hasattr(estimator, "predict_proba"):
            outputs += [estimator.predict_proba(X_t), estimator.predict_log_proba(X_t)]
        score = estimator.score(X_t, torch.asarray(y))
    wanted = torch.float32 if dtype == np.float32 else torch.float64
    optimizer = estimator._optimizer
    for array in [*estimator.coefs_, *estimator.intercepts_, optimizer.first_moment,
                  optimizer.second_moment]:
        assert torch.is_tensor(array) and array.dtype == wanted
    assert all(torch.is_tensor(output) for output in outputs)
    assert isinstance(score, float) and isinstance(estimator.loss_, float)
    if hasattr(estimator, "classes_"):
        assert isinstance(estimator.classes_, np.ndarray)
        assert outputs[0].dtype == torch.int64  # the labels, on the device


@pytest.mark.parametrize("estimator", _networks(), ids=_id)
def test_network_to_numpy_pickles_without_torch_and_trains_on(estimator):
    torch = pytest.importorskip("torch")
    X, y = _data(np.float32, n_samples=80)
    X_t = torch.asarray(X)
    with sklearn.config_context(array_api_dispatch=True):
        on_device = clone(estimator).fit(X_t, y)
    home = on_device.to_numpy()
    assert torch.is_tensor(on_device.coefs_[0])  # the original is untouched
    assert isinstance(home._optimizer.first_moment, np.ndarray)
    restored = pickle.loads(pickle.dumps(home))
    assert b"torch" not in pickle.dumps(home)
    # both go on training from the same state: one epoch more each
    steps = on_device._optimizer.t
    with sklearn.config_context(array_api_dispatch=True):
        on_device.partial_fit(X_t, y)
    restored.partial_fit(X, y)
    assert restored._optimizer.t == on_device._optimizer.t > steps
    _assert_same_weights(restored, on_device, np.dtype(np.float32))
    # the copy's random state is its own
    assert home._random_state is not on_device._random_state


@pytest.mark.parametrize("method", ["predict", "partial_fit", "score"])
@pytest.mark.parametrize("estimator", _networks(), ids=_id)
def test_network_with_another_namespace_is_a_clear_error(estimator, method):
    strict = pytest.importorskip("array_api_strict")
    X, y = _data(np.float64, n_samples=40)
    estimator = clone(estimator)
    with sklearn.config_context(array_api_dispatch=True):
        estimator.fit(strict.asarray(X), y)
        args = (X,) if method == "predict" else (X, y)
        with pytest.raises(ValueError, match="must use the same namespace") as error:
            getattr(estimator, method)(*args)
    assert f"{type(estimator).__name__}.{method}()" in str(error.value)
    assert "to_numpy()" in str(error.value)


def test_network_fitted_on_the_device_refuses_dispatch_off():
    torch = pytest.importorskip("torch")
    X, y = _data(np.float64, n_samples=40)
    with sklearn.config_context(array_api_dispatch=True):
        clf = sknn_math.SigmoidMLPClassifier((3,), max_iter=2).fit(
            torch.asarray(X), y)
    with pytest.raises(ValueError, match="array_api_dispatch=True.*to_numpy"):
        clf.predict(X)
    np.testing.assert_array_equal(clf.to_numpy().predict(X).shape, (40,))


def test_elman_extras_and_padding_on_the_device_equal_numpy_path():
    """3-D input, NaN padding of shorter sequences, hidden_states and forecast
    run on the device; a NaN elsewhere is the NumPy path's error."""
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8, 2))
    X[:10, :3] = np.nan  # ten sequences five steps long
    y = rng.normal(size=(60, 2))
    reg = sknn_math.ElmanRegressor(4, max_iter=4, random_state=0)
    reference = clone(reg).fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        reg.fit(torch.asarray(X), torch.asarray(y))
        states = reg.hidden_states(torch.asarray(X))
        forecast = reg.forecast(torch.asarray(X[10:15]), 3)
        bad = X.copy()
        bad[20, 5, 0] = np.nan
        with pytest.raises(ValueError, match="only some features NaN"):
            reg.predict(torch.asarray(bad))
    _assert_same_weights(reference, reg, np.dtype(np.float64))
    assert torch.is_tensor(states) and torch.is_tensor(forecast)
    assert_allclose(states.numpy(), reference.hidden_states(X), rtol=1e-12,
                    atol=1e-12)
    assert_allclose(forecast.numpy(), reference.forecast(X[10:15], 3), rtol=1e-12)
    np.testing.assert_array_equal(states.numpy()[:10, :3], 0)  # h_0 on padding


def test_what_stays_on_numpy_under_dispatch():
    """Sparse X trains on NumPy (SciPy's sparse matrices are NumPy's); string
    labels come back as NumPy arrays while the probabilities stay on the
    device."""
    torch = pytest.importorskip("torch")
    X, y = _data(np.float64, n_samples=60)
    with sklearn.config_context(array_api_dispatch=True):
        clf = sknn_math.SigmoidMLPClassifier((3,), max_iter=3, random_state=0)
        clf.fit(sp.csr_matrix(X), y)
        assert isinstance(clf.coefs_[0], np.ndarray)
        labels = np.array(["no", "yes"])[y]
        clf.fit(torch.asarray(X), labels)
        predicted = clf.predict(torch.asarray(X))
        proba = clf.predict_proba(torch.asarray(X))
    assert isinstance(predicted, np.ndarray) and predicted.dtype.kind == "U"
    assert torch.is_tensor(proba)
    np.testing.assert_array_equal(
        predicted, clf.classes_[proba.numpy().argmax(axis=1)])


# The kernels' two branches: NumPy's in-place code and the array API calls.
_ARRAYS = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
    elements=st.floats(-30, 30),
)


@settings(max_examples=30, deadline=None)
@given(Z=_ARRAYS, name=st.sampled_from(sorted(_activations.ACTIVATIONS)),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_activation_kernels_agree_on_every_namespace(Z, name, dtype):
    strict = pytest.importorskip("array_api_strict")
    Z = Z.astype(dtype)
    on_numpy = _activations.ACTIVATIONS[name](Z.copy())
    on_strict = np.asarray(_activations.ACTIVATIONS[name](strict.asarray(Z)))
    assert on_strict.dtype == dtype
    assert_allclose(on_strict, on_numpy, rtol=8 * np.finfo(dtype).eps, atol=1e-30)
    if name in _activations.DERIVATIVES:
        derivative = _activations.DERIVATIVES[name]
        assert_allclose(np.asarray(derivative(strict.asarray(on_numpy), None)),
                        derivative(on_numpy, np.empty_like(on_numpy)),
                        rtol=8 * np.finfo(dtype).eps, atol=1e-30)
    for reduction in (_activations.row_sums, _activations.column_sums,
                      _activations.row_max):
        assert_allclose(np.asarray(reduction(strict.asarray(Z))), reduction(Z),
                        rtol=8 * np.finfo(dtype).eps * Z.shape[1], atol=1e-4)


def _far_cluster_codebook_case():
    """The reviewer's case: a 40-row cluster at 1e4 and three far units, two of
    them adjacent, on float32 data."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((400, 3)).astype(np.float32)
    X[:40] = (1e4 + rng.standard_normal((40, 3))).astype(np.float32)
    return X


def test_som_device_transform_and_errors_equal_numpy_next_to_far_units():
    torch = pytest.importorskip("torch")
    X = _far_cluster_codebook_case()
    som = sknn_math.SelfOrganizingMap(5, 5, max_iter=5, random_state=0).fit(X)
    som_t = clone(som)
    with sklearn.config_context(array_api_dispatch=True):
        som_t.fit(torch.asarray(X))
        distances = som_t.transform(torch.asarray(X)).numpy()
        te = som_t.topographic_error(torch.asarray(X))
    home = som_t.to_numpy()
    exact = np.sqrt(((X.astype(np.float64)[:, None] - home.codebook_.astype(
        np.float64)[None]) ** 2).sum(axis=2))
    assert_allclose(distances, exact, rtol=1e-5, atol=1e-3)
    assert te == pytest.approx(home.topographic_error(X), abs=1e-12)


def test_som_failed_device_partial_fit_leaves_the_model_on_the_device():
    torch = pytest.importorskip("torch")
    X, _ = _data(np.float64)
    som = sknn_math.SelfOrganizingMap(3, 3, max_iter=3, random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        som.partial_fit(torch.asarray(X))
        with pytest.raises(ValueError, match="features"):
            som.partial_fit(torch.asarray(X[:, :3]))
        assert torch.is_tensor(som.codebook_)
        som.predict(torch.asarray(X))
    with pytest.raises(ValueError, match="to_numpy"):
        som.partial_fit(X)


def test_som_fit_on_the_device_leaves_the_init_parameter_alone():
    torch = pytest.importorskip("torch")
    X, _ = _data(np.float64)
    init = X[:9].copy()
    som = sknn_math.SelfOrganizingMap(3, 3, init=init, max_iter=2)
    with sklearn.config_context(array_api_dispatch=True):
        som.fit(torch.asarray(X))
    assert som.get_params()["init"] is init


def test_som_callback_snapshot_of_a_device_fit_is_a_numpy_model():
    """What the fit hands scikit-learn's callbacks at the end of an epoch (the
    fitted state of the codebook so far) is built on the host, also when the
    epochs run on the device."""
    torch = pytest.importorskip("torch")
    from sknn_math._array_api import namespace_of
    from sknn_math._som_array_api import ArrayAPIData

    X, _ = _data(np.float64)
    som = sknn_math.SelfOrganizingMap(3, 3, max_iter=3, n_clusters=2,
                                      random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        som.fit(torch.asarray(X))
        data = ArrayAPIData(torch.asarray(X), None, namespace_of(torch.asarray(X)))
        snapshot = som.to_numpy()._fitted_state(som.codebook_, data)
    assert isinstance(snapshot["codebook_"], np.ndarray)
    assert_allclose(snapshot["codebook_"], som.to_numpy().codebook_)
    assert snapshot["quantization_error_"] == pytest.approx(
        som.quantization_error_, rel=1e-12)


def test_som_diagonal_topographic_error_on_the_device_equals_numpy():
    torch = pytest.importorskip("torch")
    X, _ = _data(np.float64)
    som = sknn_math.SelfOrganizingMap(4, 5, max_iter=4, random_state=0).fit(X)
    with sklearn.config_context(array_api_dispatch=True):
        on_device = clone(som).fit(torch.asarray(X))
        te = on_device.topographic_error(torch.asarray(X), diagonal=True)
    assert te == pytest.approx(som.topographic_error(X, diagonal=True), abs=1e-12)
