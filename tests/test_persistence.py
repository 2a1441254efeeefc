"""Safe loading with skops: one call with ``sknn_math.SKOPS_TRUSTED_TYPES``."""

import importlib
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn_math
from sknn_math import (
    SKOPS_TRUSTED_TYPES,
    ElmanClassifier,
    ElmanRegressor,
    SelfOrganizingMap,
    SigmoidMLPClassifier,
    SigmoidMLPRegressor,
)

sio = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 6))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)
Y_REG = X[:, 2] - 0.5 * X[:, 3]

# Every estimator, with each solver whose state the model keeps (SGD and Adam
# keep an optimiser object for partial_fit and warm_start), early stopping,
# and the map's two rules and its grouping: each kind of state a file can hold.
MODELS = {
    "mlp-classifier-adam-early": (
        SigmoidMLPClassifier((4,), early_stopping=True, max_iter=5, random_state=0),
        Y_CLASS),
    "mlp-classifier-sgd": (
        SigmoidMLPClassifier((4,), solver="sgd", max_iter=5, random_state=0),
        Y_CLASS),
    "mlp-regressor-lbfgs": (
        SigmoidMLPRegressor((4,), solver="lbfgs", max_iter=5, random_state=0),
        Y_REG),
    "elman-regressor-adam": (
        ElmanRegressor(3, max_iter=5, n_features_per_step=2, random_state=0),
        Y_REG),
    "elman-classifier-sgd-early": (
        ElmanClassifier(3, solver="sgd", early_stopping=True, max_iter=5,
                        random_state=0),
        np.array(["a", "b", "c"])[np.arange(60) % 3]),
    "som-batch-clusters": (SelfOrganizingMap(3, 4, n_clusters=3, random_state=0),
                           None),
    "som-online": (SelfOrganizingMap(3, 3, algorithm="online", max_iter=2,
                                     random_state=0), None),
}


def fitted(name, *, pipeline=False):
    estimator, y = MODELS[name]
    model = make_pipeline(StandardScaler(), estimator) if pipeline else estimator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few epochs only
        return model.fit(X, y)


@pytest.mark.parametrize("pipeline", [False, True], ids=["alone", "in-pipeline"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_skops_loads_every_estimator_with_the_trusted_types(name, pipeline,
                                                            tmp_path):
    model = fitted(name, pipeline=pipeline)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    restored = sio.load(path, trusted=SKOPS_TRUSTED_TYPES)
    assert type(restored) is type(model)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    if hasattr(model, "transform"):
        np.testing.assert_array_equal(restored.transform(X), model.transform(X))


def test_skops_refuses_the_library_types_when_they_are_not_trusted():
    # The list is what makes the call safe and sufficient: without it skops
    # names exactly the library's types as the ones it will not rebuild.
    data = sio.dumps(fitted("mlp-classifier-sgd"))
    untrusted = set(sio.get_untrusted_types(data=data))
    assert untrusted == {"sknn_math._mlp.SigmoidMLPClassifier",
                         "sknn_math._optimizers.SGD"}
    assert untrusted <= set(SKOPS_TRUSTED_TYPES)
    with pytest.raises(UntrustedTypesFoundException):
        sio.loads(data)


def test_the_trusted_types_name_classes_of_the_library_only():
    assert "SKOPS_TRUSTED_TYPES" in sknn_math.__all__
    assert len(set(SKOPS_TRUSTED_TYPES)) == len(SKOPS_TRUSTED_TYPES)
    for path in SKOPS_TRUSTED_TYPES:
        module, _, name = path.rpartition(".")
        assert module.startswith("sknn_math.")
        assert isinstance(getattr(importlib.import_module(module), name), type)
