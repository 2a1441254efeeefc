"""scikit-learn's estimator checks over every public estimator."""

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

import sknn_math


def _public_estimators():
    """Small, fast instances of every public estimator."""
    estimators = [
        sknn_math.SigmoidMLPClassifier(random_state=0),
        sknn_math.SigmoidMLPClassifier(
            hidden_layer_sizes=(), learning_rate_init=0.01, random_state=0
        ),
        sknn_math.SigmoidMLPRegressor(random_state=0),
    ]
    for name in ("ElmanClassifier", "ElmanRegressor"):
        if hasattr(sknn_math, name):
            estimators.append(getattr(sknn_math, name)(random_state=0))
    if hasattr(sknn_math, "SelfOrganizingMap"):
        estimators.append(sknn_math.SelfOrganizingMap(random_state=0))
    return estimators


ESTIMATORS = _public_estimators()


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


def test_every_public_estimator_is_checked():
    checked = {type(e).__name__ for e in ESTIMATORS}
    exported = {
        name for name in sknn_math.__all__
        if isinstance(getattr(sknn_math, name), type)
        and issubclass(getattr(sknn_math, name), BaseEstimator)
    }
    assert exported <= checked
