"""scikit-learn's estimator checks over every public estimator."""

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import (
    check_param_validation,
    check_sample_weight_equivalence_on_dense_data,
    parametrize_with_checks,
)

import sknn_math


def _public_estimators():
    """Small, fast instances of every public estimator, each configuration once."""
    return [
        sknn_math.SigmoidMLPClassifier(random_state=0),
        sknn_math.SigmoidMLPClassifier(
            hidden_layer_sizes=(), learning_rate_init=0.01, random_state=0
        ),
        sknn_math.SigmoidMLPRegressor(random_state=0),
        sknn_math.ElmanClassifier(random_state=0),
        sknn_math.ElmanRegressor(random_state=0),
        sknn_math.SelfOrganizingMap(random_state=0),
        sknn_math.SelfOrganizingMap(
            4, 5, topology="hexagonal", periodic=True, n_clusters=2, max_iter=5,
            random_state=0,
        ),
    ]


ESTIMATORS = _public_estimators()


def _expected_failed_checks(estimator):
    """Checks at odds with a rule of this library, each with the reason."""
    expected = {}
    if isinstance(estimator, (sknn_math.ElmanClassifier, sknn_math.ElmanRegressor)):
        expected["check_estimators_pickle"] = (
            "with allow_nan it puts NaN at random places; an Elman net takes NaN "
            "only as whole leading steps (the padding of shorter sequences) and "
            "refuses any other NaN with a clear error, as its design asks. "
            "test_elman.py pickles a model fitted on padded sequences instead."
        )
    if isinstance(estimator, sknn_math.ElmanClassifier):
        expected["check_sample_weight_equivalence_on_dense_data"] = (
            "200 full-batch Adam epochs amplify the rounding difference between "
            "weighting and repeating samples beyond the check's tolerance; "
            "test_sample_weights_equal_repetition runs the check with the "
            "parameters scikit-learn uses for its own MLPRegressor"
        )
    return expected


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("Estimator", [sknn_math.ElmanClassifier,
                                       sknn_math.ElmanRegressor])
def test_sample_weights_equal_repetition(Estimator):
    # As scikit-learn checks its MLPRegressor: a looser tol stops training before
    # the trajectories of weighted and repeated data part by rounding alone.
    check_sample_weight_equivalence_on_dense_data(
        Estimator.__name__, Estimator(solver="sgd", tol=1e-2, random_state=0))


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
    assert exported == checked


def test_public_names_are_exactly_these():
    assert set(sknn_math.__all__) == {
        "SigmoidMLPClassifier",
        "SigmoidMLPRegressor",
        "ElmanClassifier",
        "ElmanRegressor",
        "SelfOrganizingMap",
        "make_windows",
        "pad_sequences",
        "forecast",
        "ComponentPlanesDisplay",
        "LossCurveDisplay",
        "SOMDisplay",
        "SKOPS_TRUSTED_TYPES",
        "__version__",
    }
    assert len(sknn_math.__all__) == len(set(sknn_math.__all__))
    for name in sknn_math.__all__:
        assert hasattr(sknn_math, name), name
