"""The shared training loop (sknn_math._training), seen through all four networks:
the explicit validation set, per-call iteration counts, divergence messages."""

import numpy as np
import pytest
import sklearn
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import (
    ElmanClassifier,
    ElmanRegressor,
    SigmoidMLPClassifier,
    SigmoidMLPRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NETWORKS = [SigmoidMLPClassifier, SigmoidMLPRegressor, ElmanClassifier, ElmanRegressor]


def _data(Estimator, n=160, seed=0):
    """Sequences of 6 steps; a label or a value that depends on them."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    value = X[:, :3].sum(axis=1) - X[:, 3:].sum(axis=1)
    if Estimator in (SigmoidMLPClassifier, ElmanClassifier):
        return X, (value > 0).astype(int)
    return X, value


def _small(Estimator, **params):
    size = {"hidden_size": 8} if Estimator in (ElmanClassifier, ElmanRegressor) else {
        "hidden_layer_sizes": (8,)}
    defaults = {"learning_rate_init": 0.01, "max_iter": 15, "random_state": 0}
    return Estimator(**{**size, **defaults, **params})


@pytest.mark.parametrize("Estimator", NETWORKS)
@pytest.mark.parametrize("weighted", [False, True])
def test_explicit_validation_set_replaces_the_split(Estimator, weighted):
    X, y = _data(Estimator)
    X_val, y_val = _data(Estimator, n=40, seed=1)
    sw_val = np.random.RandomState(2).uniform(0.5, 2, 40) if weighted else None
    est = _small(Estimator, early_stopping=True, n_iter_no_change=100)
    est.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    # every training row was used: nothing was split off
    assert est.t_ == est.n_iter_ * X.shape[0]
    assert len(est.validation_scores_) == est.n_iter_
    # the best weights are kept, and their score is the one on X_val
    assert est.best_validation_score_ == pytest.approx(
        est.score(X_val, y_val, sample_weight=sw_val), rel=1e-6)
    assert est.best_validation_score_ == max(est.validation_scores_)


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_validation_set_mistakes_are_clear_errors(Estimator):
    X, y = _data(Estimator)
    X_val, y_val = _data(Estimator, n=20, seed=1)
    est = _small(Estimator, early_stopping=True)
    with pytest.raises(ValueError, match="X_val and y_val go together"):
        est.fit(X, y, X_val=X_val)
    with pytest.raises(ValueError, match="X_val and y_val go together"):
        est.fit(X, y, y_val=y_val)
    with pytest.raises(ValueError, match="sample_weight_val"):
        est.fit(X, y, sample_weight_val=np.ones(20))
    with pytest.raises(ValueError, match="early_stopping=True"):
        _small(Estimator).fit(X, y, X_val=X_val, y_val=y_val)
    with pytest.raises(ValueError, match="lbfgs"):
        _small(Estimator, early_stopping=True, solver="lbfgs").fit(
            X, y, X_val=X_val, y_val=y_val)
    with pytest.raises(ValueError, match="features"):
        est.fit(X, y, X_val=X_val[:, :4], y_val=y_val)
    with pytest.raises(ValueError, match="at least 2"):
        est.fit(X, y, X_val=X_val[:1], y_val=y_val[:1])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y, X_val=X_val, y_val=y_val[:10])


def test_validation_labels_must_be_known():
    X, y = _data(SigmoidMLPClassifier)
    X_val, y_val = _data(SigmoidMLPClassifier, n=20, seed=1)
    with pytest.raises(ValueError, match=r"labels \[7\] not in classes_"):
        _small(SigmoidMLPClassifier, early_stopping=True).fit(
            X, y, X_val=X_val, y_val=np.where(y_val == 1, 7, y_val))


def test_validation_set_is_routed_through_a_pipeline():
    # metadata routing: the pipeline passes X_val (scaled like X) and y_val on
    X, y = _data(SigmoidMLPClassifier)
    X_val, y_val = _data(SigmoidMLPClassifier, n=40, seed=1)
    X, X_val = 100 * X + 5, 100 * X_val + 5
    with sklearn.config_context(enable_metadata_routing=True):
        clf = _small(SigmoidMLPClassifier, early_stopping=True,
                     n_iter_no_change=100).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("clf", clf)],
                        transform_input=["X_val"])
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
    fitted = pipe.named_steps["clf"]
    assert fitted.t_ == fitted.n_iter_ * X.shape[0]
    assert fitted.best_validation_score_ == pytest.approx(pipe.score(X_val, y_val))


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_n_iter_counts_this_call_and_t_all_calls(Estimator):
    # scikit-learn's #16812: a warm-started fit reports its own max_iter epochs
    X, y = _data(Estimator)
    est = _small(Estimator, warm_start=True, max_iter=3, tol=0)
    est.fit(X, y)
    est.fit(X, y)
    assert est.n_iter_ == 3
    assert est.t_ == 6 * X.shape[0]
    assert len(est.loss_curve_) == 6
    est.partial_fit(X[:50], y[:50])
    assert est.n_iter_ == 1
    assert est.t_ == 6 * X.shape[0] + 50


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanClassifier])
def test_warm_start_with_other_classes_is_refused(Estimator):
    X, y = _data(Estimator)
    est = _small(Estimator, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has "
                                         "the same classes"):
        est.fit(X, np.where(y == 1, 2, y))


def test_divergence_names_the_large_inputs():
    X, y = _data(SigmoidMLPRegressor)
    with pytest.raises(ValueError, match="non-finite parameter weights. The input "
                                         "data may contain large values"):
        SigmoidMLPRegressor((), random_state=0).fit(1e160 * X, y)


def test_refit_with_a_validation_set_may_change_the_outputs():
    # a refit starts afresh: the old fit's output count does not bind y_val
    X, y = _data(SigmoidMLPRegressor)
    X_val, y_val = _data(SigmoidMLPRegressor, n=20, seed=1)
    est = _small(SigmoidMLPRegressor, early_stopping=True).fit(X, y)
    est.fit(X, np.c_[y, -y], X_val=X_val, y_val=np.c_[y_val, -y_val])
    assert est.n_outputs_ == 2
    with pytest.raises(ValueError, match="y_val has 1 output"):
        est.fit(X, np.c_[y, -y], X_val=X_val, y_val=y_val)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, SigmoidMLPRegressor])
def test_partial_fit_continues_weights_set_by_hand(Estimator):
    X, y = _data(Estimator)
    fitted = _small(Estimator).fit(X, y)
    by_hand = _small(Estimator)
    by_hand.coefs_ = [c.copy() for c in fitted.coefs_]
    by_hand.intercepts_ = [b.copy() for b in fitted.intercepts_]
    kwargs = {"classes": [0, 1]} if Estimator is SigmoidMLPClassifier else {}
    by_hand.partial_fit(X, y, **kwargs)
    assert by_hand.n_outputs_ == fitted.n_outputs_
    assert by_hand.out_activation_ == fitted.out_activation_
    assert by_hand.t_ == X.shape[0] and len(by_hand.loss_curve_) == 1
    assert np.isfinite(by_hand.loss_)
    assert not np.array_equal(by_hand.coefs_[0], fitted.coefs_[0])  # it trained


@pytest.mark.parametrize("Estimator", [SigmoidMLPRegressor, ElmanRegressor])
def test_continuing_training_refuses_other_outputs(Estimator):
    X, y = _data(Estimator)
    est = _small(Estimator, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="y has 2 output"):
        est.fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="y has 2 output"):
        est.partial_fit(X, np.c_[y, y])
