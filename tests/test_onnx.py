"""ONNX export (sknn_math.onnx): onnxruntime's outputs against predict,
predict_proba and transform on real data, alone and in pipelines, and the errors
at conversion. Needs the `onnx` extra (skl2onnx, onnxruntime); CI installs it."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _series import LYNX
from numpy.testing import assert_array_equal
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import (
    ElmanClassifier,
    ElmanRegressor,
    SelfOrganizingMap,
    SigmoidMLPClassifier,
    SigmoidMLPRegressor,
    make_windows,
)

skl2onnx = pytest.importorskip(
    "skl2onnx", reason='ONNX export needs the extra: pip install -e ".[onnx]"')
ort = pytest.importorskip(
    "onnxruntime", reason='ONNX export needs the extra: pip install -e ".[onnx]"')

from skl2onnx.common.data_types import (  # noqa: E402
    DoubleTensorType,
    FloatTensorType,
)

import sknn_math.onnx  # noqa: E402, F401  (registers the converters)

# Short fits are the point here: a converged model is no better test of the graph.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# float32 precision: a few hundred ulps of the outputs' scale
RTOL_32 = 1e-5
RTOL_64 = 1e-12



def run_onnx(model, X, options=None, initial_types=None):
    """Convert ``model`` (with ``X[:1]`` as the input's type unless
    ``initial_types``) and run the graph on ``X`` with onnxruntime's CPU provider."""
    onx = skl2onnx.to_onnx(
        model, None if initial_types else X[:1], initial_types=initial_types,
        options=options,
    )
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_close(actual, expected, dtype):
    """Equal to the dtype's precision, relative to the outputs' scale."""
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    assert actual.dtype == dtype
    rtol = RTOL_32 if dtype == np.float32 else RTOL_64
    scale = max(1.0, np.abs(expected).max())
    err = np.abs(actual - expected).max()
    assert err <= rtol * scale, f"max abs difference {err:.3g} (scale {scale:.3g})"


def assert_labels_match(labels, expected, margin):
    """Labels equal wherever the decision is not a near tie (``margin`` > 1e-4):
    float32 rounding may flip a tie, nothing else."""
    clear = margin > 1e-4
    assert clear.mean() > 0.9
    assert_array_equal(labels[clear], np.asarray(expected)[clear])


def top_two_margin(P):
    P = np.sort(P, axis=1)
    return P[:, -1] - P[:, -2]


def check_classifier(model, X, dtype):
    """label and probabilities (no ZipMap) against predict and predict_proba."""
    X = X.astype(dtype)
    labels, proba = run_onnx(model, X, options={"zipmap": False})
    expected = model.predict_proba(X)
    assert_close(proba, expected, dtype)
    margin = (np.abs(expected - 0.5).min(axis=1) if model.n_outputs_ > 1
              and model.out_activation_ == "logistic" else top_two_margin(expected))
    assert_labels_match(labels, model.predict(X), margin)
    return labels, proba


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def lynx_windows(n_features_per_step, window=8):
    """log10 of the lynx series (and its yearly change, for two features per
    step), cut into windows; targets: the next log10 value."""
    z = np.log10(LYNX)
    series = z if n_features_per_step == 1 else np.c_[z[1:], np.diff(z)]
    X, y = make_windows(series, window)
    return X, (y if y.ndim == 1 else y[:, 0])


def test_import_sknn_math_does_not_import_skl2onnx():
    code = "import sys, sknn_math; sys.exit('skl2onnx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ----------------------------------------------------------------------------- MLP


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_classifier_multiclass_digits(digits, dtype):
    X, y = digits
    clf = SigmoidMLPClassifier(hidden_layer_sizes=(32,), max_iter=30,
                               random_state=0).fit(X / 16, y)
    labels, proba = check_classifier(clf, X / 16, dtype)
    assert labels.dtype == np.int64
    assert proba.shape == (len(X), 10)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("task", ["multiclass", "binary", "multilabel"])
def test_mlp_classifier_iris(iris, activation, task):
    X, y = iris
    if task == "binary":
        y = np.array(["other", "versicolor"])[(y == 1).astype(int)]
    elif task == "multilabel":
        # two independent labels: versicolor, and a long sepal
        y = np.c_[y == 1, X[:, 0] > 0].astype(int)
    clf = SigmoidMLPClassifier(hidden_layer_sizes=(8, 6), activation=activation,
                               max_iter=40, random_state=0).fit(X, y)
    for dtype in (np.float32, np.float64):
        labels, proba = check_classifier(clf, X, dtype)
    if task == "binary":
        assert proba.shape == (len(X), 2)
        assert labels.dtype == object  # string labels, as classes_
    if task == "multilabel":
        assert labels.shape == (len(X), 2)
        assert labels.dtype == np.int64


def test_mlp_classifier_single_layer_float32_model(iris):
    # hidden_layer_sizes=() is the single-layer sigmoid network; a float32 fit
    # gives float32 weights
    X, y = iris
    clf = SigmoidMLPClassifier(hidden_layer_sizes=(), max_iter=50,
                               random_state=0).fit(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32
    check_classifier(clf, X, np.float32)


def test_mlp_classifier_zipmap_and_class_label_options(iris):
    X, y = iris
    X = X.astype(np.float32)
    clf = SigmoidMLPClassifier(max_iter=30, random_state=0).fit(X, y)
    labels, dicts = run_onnx(clf, X)  # ZipMap by default, as scikit-learn's
    expected = clf.predict_proba(X)
    zipped = np.array([[row[c] for c in clf.classes_] for row in dicts])
    assert set(dicts[0]) == set(clf.classes_)
    assert_close(zipped.astype(np.float32), expected, np.float32)
    assert_labels_match(labels, clf.predict(X), top_two_margin(expected))

    labels, proba, class_labels = run_onnx(
        clf, X, options={"zipmap": False, "output_class_labels": True})
    assert_array_equal(class_labels, clf.classes_)
    labels, proba = run_onnx(clf, X, options={"zipmap": False, "nocl": True})
    assert_labels_match(labels, clf.predict(X), top_two_margin(expected))


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_mlp_regressor_diabetes(n_outputs):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    if n_outputs == 2:
        y = np.c_[y, X[:, 2] * X[:, 3]]
    reg = SigmoidMLPRegressor(hidden_layer_sizes=(16,), activation="tanh",
                              max_iter=40, random_state=0).fit(X, y)
    for dtype in (np.float32, np.float64):
        (Y,) = run_onnx(reg, X.astype(dtype))
        # (n_samples, n_outputs), (n_samples, 1) for one output, as scikit-learn's
        # MLPRegressor converter gives it
        assert Y.shape == (len(X), n_outputs)
        assert_close(Y, reg.predict(X.astype(dtype)).reshape(len(X), -1), dtype)


def test_mlp_regressor_poisson_exp_output():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reg = SigmoidMLPRegressor(loss="poisson", max_iter=30,
                              random_state=0).fit(X, y / 100)
    assert reg.out_activation_ == "exp"
    (Y,) = run_onnx(reg, X.astype(np.float32))
    assert_close(Y, reg.predict(X).reshape(-1, 1), np.float32)


# --------------------------------------------------------------------------- Elman


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
@pytest.mark.parametrize("n_features_per_step", [1, 2])
def test_elman_regressor_lynx(activation, n_features_per_step):
    X, y = lynx_windows(n_features_per_step)
    reg = ElmanRegressor(hidden_size=6, activation=activation,
                         n_features_per_step=n_features_per_step, max_iter=30,
                         random_state=0).fit(X, y)
    # float32: ONNX's RNN operator; float64: the recurrence unrolled
    for dtype in (np.float32, np.float64):
        (Y,) = run_onnx(reg, X.astype(dtype))
        assert Y.shape == (len(X), 1)
        assert_close(Y, reg.predict(X.astype(dtype)).reshape(-1, 1), dtype)
    # 3-D input (n_sequences, n_timesteps, n_features_per_step) as well
    X3 = X.reshape(len(X), -1, n_features_per_step).astype(np.float32)
    (Y,) = run_onnx(reg, X3)
    assert_close(Y, reg.predict(X3).reshape(-1, 1), np.float32)


def test_elman_regressor_multi_output_uses_rnn_operator():
    series = np.c_[np.log10(LYNX[1:]), np.diff(np.log10(LYNX))]
    X, y = make_windows(series, 6)
    reg = ElmanRegressor(hidden_size=5, n_features_per_step=2, max_iter=20,
                         random_state=0).fit(X, y)
    onx = skl2onnx.to_onnx(reg, X[:1].astype(np.float32))
    assert "RNN" in {node.op_type for node in onx.graph.node}
    (Y,) = run_onnx(reg, X.astype(np.float32))
    assert_close(Y, reg.predict(X), np.float32)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_elman_classifier_lynx(n_classes):
    # does the population rise next year (2 classes), or fall, hold, rise (3)?
    X, y = lynx_windows(1)
    change = y - X[:, -1]
    if n_classes == 2:
        labels = np.where(change > 0, "rise", "fall")
    else:
        labels = np.digitize(change, np.quantile(change, [1 / 3, 2 / 3]))
    clf = ElmanClassifier(hidden_size=6, max_iter=40, random_state=0).fit(X, labels)
    for dtype in (np.float32, np.float64):
        check_classifier(clf, X, dtype)


# ----------------------------------------------------------------------------- SOM


@pytest.mark.parametrize("n_clusters", [None, 10])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_som_digits(digits, n_clusters, dtype):
    X, _ = digits
    X = X.astype(dtype)
    som = SelfOrganizingMap(6, 8, n_clusters=n_clusters, max_iter=3,
                            random_state=0).fit(X)
    labels, distances = run_onnx(som, X)
    expected = som.transform(X)
    assert distances.shape == (len(X), 48)
    assert_close(distances, expected, dtype)
    assert labels.dtype == np.int64
    # near-equal best distances may swap winners in float32
    D = np.sort(expected, axis=1)
    assert_labels_match(labels, som.predict(X), (D[:, 1] - D[:, 0]) / D[:, 1])
    if n_clusters is not None:
        assert set(labels) <= set(range(n_clusters))


# ------------------------------------------------------------------------ Pipelines


def test_pipelines_with_a_scaler_in_front(iris, digits):
    X, y = load_iris(return_X_y=True)
    clf = make_pipeline(StandardScaler(), SigmoidMLPClassifier(
        max_iter=40, random_state=0)).fit(X, y)
    labels, proba = run_onnx(clf, X.astype(np.float32), options={"zipmap": False})
    expected = clf.predict_proba(X)
    assert_close(proba, expected, np.float32)
    assert_labels_match(labels, clf.predict(X), top_two_margin(expected))

    X, y = lynx_windows(1)
    reg = make_pipeline(StandardScaler(), ElmanRegressor(
        max_iter=20, random_state=0)).fit(X, y)
    (Y,) = run_onnx(reg, X.astype(np.float32))
    assert_close(Y, reg.predict(X).reshape(-1, 1), np.float32)

    X, _ = digits
    som = make_pipeline(StandardScaler(), SelfOrganizingMap(
        5, 5, max_iter=3, random_state=0)).fit(X)
    labels, distances = run_onnx(som, X.astype(np.float32))
    assert_close(distances, som.transform(X), np.float32)
    assert (labels == som.predict(X)).mean() > 0.99


# --------------------------------------------------------------------------- Errors


def test_sparse_input_is_an_error_at_conversion(iris):
    X, y = iris
    clf = SigmoidMLPClassifier(max_iter=5, random_state=0).fit(sp.csr_matrix(X), y)
    with pytest.raises(TypeError, match="csr_matrix"):
        skl2onnx.to_onnx(clf, sp.csr_matrix(X[:1]))
    # a model fitted on sparse data converts for dense input
    labels, proba = run_onnx(clf, X.astype(np.float32), options={"zipmap": False})
    assert_close(proba, clf.predict_proba(X), np.float32)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, SigmoidMLPRegressor,
                                       ElmanClassifier, ElmanRegressor,
                                       SelfOrganizingMap])
def test_unfitted_is_an_error_at_conversion(Estimator):
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(Estimator(), np.zeros((1, 4), dtype=np.float32))


def test_wrong_input_width_is_an_error_at_conversion(iris):
    X, y = iris
    clf = SigmoidMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"fitted on 4 features.*\[None, 4\]"):
        skl2onnx.to_onnx(clf, initial_types=[("X", FloatTensorType([None, 3]))])
    reg = ElmanRegressor(n_features_per_step=2, max_iter=5,
                         random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"\[None, 4\] or \[None, 2, 2\]"):
        skl2onnx.to_onnx(reg, initial_types=[("X", DoubleTensorType([None, 4, 1]))])


def test_som_cannot_feed_a_later_step(digits):
    # like KMeans, the map gives two outputs (label, scores): skl2onnx refuses
    # them as one step's input
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(SelfOrganizingMap(3, 3, max_iter=2, random_state=0),
                             SigmoidMLPClassifier(max_iter=5)).fit(X, y)
    with pytest.raises(RuntimeError, match="label.*scores"):
        skl2onnx.to_onnx(pipe, X[:1].astype(np.float32))


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanRegressor])
def test_model_fitted_on_another_namespace_converts_as_its_numpy_copy(Estimator, iris):
    """A model whose fitted arrays live in another namespace (array API
    dispatch) exports as is; the graph computes what its NumPy copy predicts."""
    strict = pytest.importorskip("array_api_strict")
    import sklearn

    X, y = iris
    if Estimator is ElmanRegressor:
        X, y = lynx_windows(1)
    X = X.astype(np.float32)
    model = Estimator(max_iter=30, random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        # a device other than the CPU, from which NumPy cannot read
        model.fit(strict.asarray(X, device=strict.Device("device1")), y)
    assert not isinstance(model.coefs_[0], np.ndarray)
    home = model.to_numpy()
    if Estimator is SigmoidMLPClassifier:
        check_classifier(home, X, np.float32)
        _, proba = run_onnx(model, X, options={"zipmap": False})
        assert_close(proba, home.predict_proba(X), np.float32)
    else:
        (variable,) = run_onnx(model, X)
        assert_close(variable, home.predict(X).reshape(-1, 1), np.float32)
    assert not isinstance(model.coefs_[0], np.ndarray)  # the model is untouched
