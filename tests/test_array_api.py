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
import sklearn
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import check_array_api_input

import sknn_math

pytest.importorskip("array_api_strict")

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
    ]


def _id(estimator):
    return type(estimator).__name__


def _namespace(name, device_name):
    xp_module = pytest.importorskip(name)
    from sklearn.utils._array_api import _array_api_for_tests

    return xp_module, _array_api_for_tests(name, device_name)


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
