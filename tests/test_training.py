"""The shared training loop (sknn_math._training), seen through all four networks:
the explicit validation set, per-call iteration counts, divergence messages, sample
weights at the extremes, and what the solvers minimise."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.fixes import parse_version

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


# ----------------------------------------------------------------------------
# Sample weights at the extremes
def _assert_same_model(got, want, dtype=np.float64):
    """The same steps on the same batches, the arithmetic differing by rounding."""
    tol = 1e4 * np.finfo(dtype).eps
    for g, w in zip(got.coefs_ + got.intercepts_, want.coefs_ + want.intercepts_,
                    strict=True):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("Estimator", NETWORKS)
@pytest.mark.parametrize("solver, batch_size, zero_rows", [
    ("adam", 1, slice(None, None, 4)),  # every 4th sample, one per batch
    ("sgd", 10, slice(0, 10)),  # the whole first batch
])
def test_a_batch_of_zero_weight_is_skipped(Estimator, solver, batch_size, zero_rows):
    X, y = _data(Estimator, n=40)
    w = np.ones(40)
    w[zero_rows] = 0
    common = dict(solver=solver, batch_size=batch_size, shuffle=False, max_iter=3)
    weighted = _small(Estimator, **common).fit(X, y, sample_weight=w)
    without = _small(Estimator, **common).fit(X[w > 0], y[w > 0])
    # no step, no moment update: the model trained on the other rows alone
    _assert_same_model(weighted, without)
    np.testing.assert_allclose(weighted.loss_curve_, without.loss_curve_, rtol=1e-12)
    if solver == "adam":
        assert weighted._optimizer.t == without._optimizer.t == 3 * 30


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanClassifier])
def test_zero_weights_in_shuffled_single_sample_batches_train(Estimator):
    # the reproduction: batch_size=1 and every 4th weight 0 raised "Training
    # diverged ... Lower learning_rate_init"
    X, y = _data(Estimator, n=40)
    w = np.ones(40)
    w[::4] = 0
    est = _small(Estimator, solver="adam", batch_size=1).fit(X, y, sample_weight=w)
    assert np.all(np.isfinite(est.loss_curve_))
    assert est._optimizer.t == 30 * est.n_iter_  # one step per weighted sample
    assert est.t_ == 40 * est.n_iter_


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_a_validation_set_of_zero_weight_is_a_clear_error_at_the_start(Estimator):
    X, y = _data(Estimator, n=40)
    X_val, y_val = _data(Estimator, n=10, seed=1)
    est = _small(Estimator, early_stopping=True)
    with pytest.raises(ValueError, match="sample_weight_val sums to zero"):
        est.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=np.zeros(10))
    # the validation_fraction split: one sample of positive weight leaves one of
    # the parts with none
    w = np.zeros(40)
    w[0] = 1
    with pytest.raises(ValueError, match="early stopping's (validation|training) "
                                         "split are all zero"):
        est.fit(X, y, sample_weight=w)
    assert est.loss_curve_ == []  # before any epoch


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanClassifier])
def test_class_weights_of_zero_are_clear_errors(Estimator):
    X, y = _data(Estimator, n=40)
    X_val, y_val = _data(Estimator, n=10, seed=1)
    est = _small(Estimator, early_stopping=True, class_weight={0: 0.0, 1: 1.0})
    with pytest.raises(ValueError, match="sample_weight_val times class_weight is "
                                         "zero for every sample"):
        est.fit(X, y, X_val=X_val[y_val == 0], y_val=y_val[y_val == 0])
    only_zeros = _small(Estimator, class_weight={0: 0.0, 1: 1.0})
    with pytest.raises(ValueError, match="sample_weight times class_weight is zero"):
        only_zeros.partial_fit(X[y == 0], y[y == 0], classes=[0, 1])


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_training_weights_all_zero_are_a_clear_error(Estimator):
    X, y = _data(Estimator, n=40)
    for method, kwargs in [("fit", {}), ("partial_fit", {})]:
        if method == "partial_fit" and Estimator in (SigmoidMLPClassifier,
                                                     ElmanClassifier):
            kwargs = {"classes": [0, 1]}
        with pytest.raises(ValueError, match="sample_weight sums to zero"):
            getattr(_small(Estimator), method)(X, y, sample_weight=np.zeros(40),
                                               **kwargs)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanRegressor])
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("dtype, weight", [(np.float32, 1e36), (np.float64, 1e306)])
def test_weights_whose_sum_overflows_train_as_weights_of_one(Estimator, solver, dtype,
                                                             weight):
    # the reproduction: 400 samples, each weight representable, their sum not
    # (L-BFGS reported convergence at iteration 0 with loss_ 0.0; Adam's curve was
    # all 0.0 in float32 and NaN in float64)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 4)).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    if Estimator is ElmanRegressor:
        y = X[:, 0] + X[:, 1]
    common = dict(solver=solver, max_iter=20, tol=0)
    heavy = _small(Estimator, **common).fit(X, y, sample_weight=np.full(400, weight))
    # the default alpha over Σw = 400 · weight is below the dtype's smallest number
    plain = _small(Estimator, alpha=0.0, **common).fit(X, y)
    assert heavy.n_iter_ == plain.n_iter_
    np.testing.assert_allclose(heavy.loss_curve_, plain.loss_curve_, rtol=1e-4)
    assert heavy.loss_ < 0.9 * heavy.loss_curve_[0]  # it trained
    _assert_same_model(heavy, plain, dtype)
    assert heavy.score(X, y) == pytest.approx(plain.score(X, y), rel=1e-4)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanRegressor])
def test_score_ignores_a_common_factor_of_the_weights(Estimator):
    X, y = _data(Estimator)
    est = _small(Estimator).fit(X, y)
    w = np.random.RandomState(0).uniform(0.5, 2, len(X))
    expected = est.score(X, y, sample_weight=w)
    # scikit-learn's weighted mean overflows to NaN for these
    assert est.score(X, y, sample_weight=1e307 * w) == pytest.approx(expected,
                                                                     rel=1e-12)
    assert est.score(X, y, sample_weight=1e-310 * w) == pytest.approx(expected,
                                                                      rel=1e-12)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanClassifier])
def test_partial_fit_weighs_classes_against_all_the_classes(Estimator):
    # the reproduction: a chunk without class 2 raised "The classes, [1], are not
    # in class_weight"
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 6))
    y = np.repeat([0, 1, 2], 30)
    X[:, 0] += y
    class_weight = {0: 2.0, 2: 3.0}
    weighted = _small(Estimator, class_weight=class_weight)
    by_hand = _small(Estimator)
    for chunk in (slice(0, 40), slice(40, 90)):  # classes {0, 1}, then {1, 2}
        weighted.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        # the class weights as sample weights, classes absent from the dict at 1
        w = np.choose(y[chunk], [2.0, 1.0, 3.0])
        by_hand.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2], sample_weight=w)
        _assert_same_model(weighted, by_hand)
    # and fit weighs them the same way
    fitted = _small(Estimator, class_weight=class_weight).fit(X, y)
    assert np.isfinite(fitted.loss_)


# ----------------------------------------------------------------------------
# What the solvers minimise
def test_stochastic_solvers_settle_where_lbfgs_does_with_alpha_times_n_batches():
    # The penalty enters each of the n/|b| = 5 steps of an epoch scaled by
    # 1/Σ_batch w: Adam's α = 5 acts as L-BFGS's α = 25 (a convex net: one minimum).
    X, y = make_classification(1000, 5, n_informative=3, random_state=0)
    adam = SigmoidMLPClassifier((), solver="adam", alpha=5.0, batch_size=200,
                                learning_rate_init=1e-3, max_iter=1000, tol=0,
                                n_iter_no_change=10**6, random_state=0).fit(X, y)

    def lbfgs(alpha):
        return SigmoidMLPClassifier((), solver="lbfgs", alpha=alpha, tol=1e-12,
                                    max_iter=1000, random_state=0).fit(X, y)

    to_25 = np.abs(adam.coefs_[0] - lbfgs(25.0).coefs_[0]).max()
    to_5 = np.abs(adam.coefs_[0] - lbfgs(5.0).coefs_[0]).max()
    assert to_25 < 0.02
    assert to_25 < to_5 / 5


@pytest.mark.parametrize("solver, momentum", [("sgd", 0.0), ("sgd", 0.9),
                                              ("adam", 0.9)])
def test_l1_proximal_steps_reach_the_lasso_solution_and_its_zeros(solver, momentum):
    # One full batch: SGD and Adam then minimise J itself, the mean log loss plus
    # α/n · ‖W‖₁, which is scikit-learn's L1 logistic regression with C = 1/α.
    X, y = make_classification(200, 20, n_informative=3, random_state=0)
    alpha = 5.0
    # scikit-learn 1.8 names the L1 penalty by l1_ratio alone, deprecating penalty
    l1 = ({"l1_ratio": 1.0} if parse_version(sklearn.__version__).release >= (1, 8)
          else {"penalty": "l1"})
    lasso = LogisticRegression(**l1, C=1 / alpha, solver="saga", tol=1e-10,
                               max_iter=10000).fit(X, y)
    zeros = lasso.coef_.ravel() == 0
    assert 5 <= zeros.sum() <= 15
    # SGD's steady step η/(1 − μ) the same with or without momentum
    net = SigmoidMLPClassifier((), solver=solver, alpha=alpha, l1_ratio=1.0,
                               batch_size=200, momentum=momentum,
                               learning_rate_init=(0.5 * (1 - momentum)
                                                   if solver == "sgd" else 0.01),
                               max_iter=1500, tol=0, n_iter_no_change=10**6,
                               random_state=0).fit(X, y)
    coef = net.coefs_[0].ravel()
    np.testing.assert_array_equal(coef == 0, zeros)  # exactly zero, and only there
    np.testing.assert_allclose(coef, lasso.coef_.ravel(), atol=1e-3)
    assert net.intercepts_[0][0] == pytest.approx(lasso.intercept_[0], abs=1e-3)


# ----------------------------------------------------------------------
# Early stopping where it cannot act, a blow-up that stays finite, and the
# time-ordered hold-out of the sequence models


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_early_stopping_that_is_ignored_says_so_and_names_the_cure(Estimator):
    X, y = _data(Estimator)
    lbfgs = _small(Estimator, early_stopping=True, solver="lbfgs", max_iter=3)
    with pytest.warns(UserWarning,
                      match="ignored by solver='lbfgs'.*Use solver='adam'"):
        lbfgs.fit(X, y)
    assert lbfgs.validation_scores_ is None
    online = _small(Estimator, early_stopping=True)
    extra = {"classes": np.unique(y)} if Estimator in (SigmoidMLPClassifier,
                                                       ElmanClassifier) else {}
    with pytest.warns(UserWarning, match="ignored by partial_fit.*use fit"):
        online.partial_fit(X, y, **extra)
    # where it acts, nothing is said
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # a UserWarning too
        _small(Estimator, early_stopping=True).fit(X, y)


def test_a_finite_blow_up_is_a_convergence_warning_with_the_cure():
    # unscaled targets in the hundreds and a step of 10: the loss grows to ~1e200
    # without ever overflowing
    X, y = load_diabetes(return_X_y=True)
    net = SigmoidMLPRegressor(solver="sgd", learning_rate_init=10, random_state=0)
    with pytest.warns(ConvergenceWarning,
                      match=r"blew up.*StandardScaler.*lower learning_rate_init"):
        net.fit(X, y)
    assert np.isfinite(net.loss_) and net.loss_ > 1e3 * min(net.loss_curve_)
    # a fit that settles says nothing of the kind
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Stochastic Optimizer",
                                category=ConvergenceWarning)
        SigmoidMLPRegressor(solver="sgd", random_state=0, max_iter=50).fit(
            StandardScaler().fit_transform(X), (y - y.mean()) / y.std())


def _shifted_tail(n_windows=400, seed=0):
    """Windows of a noisy sine whose last 20 % of targets are moved by 10 σ: a
    change that only a validation set at the end of the series can see."""
    rng = np.random.RandomState(seed)
    t = np.arange(n_windows + 6)
    series = np.sin(t / 4) + 0.1 * rng.normal(size=t.size)
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], 6)[:n_windows].copy()
    y = series[6:6 + n_windows].copy()
    y[-n_windows // 5:] += 10 * y.std()
    return X, y


def test_sequence_models_hold_out_the_last_rows_the_mlp_a_random_split():
    X, y = _shifted_tail()
    params = {"early_stopping": True, "validation_fraction": 0.2, "max_iter": 8,
              "n_iter_no_change": 100}
    elman = _small(ElmanRegressor, **params).fit(X, y)
    # every validation target is shifted: no weights trained on the rest score
    assert max(elman.validation_scores_) < -10
    # the training rows are the first 80 %: one epoch saw exactly 320 of them
    assert elman.t_ == elman.n_iter_ * 320
    mlp = _small(SigmoidMLPRegressor, **params).fit(X, y)
    # a random fifth mixes shifted and unshifted rows, as the training rows do
    assert max(mlp.validation_scores_) > -1


def test_a_classifiers_tail_without_some_classes_is_a_warning():
    X, y = _data(ElmanClassifier)
    order = np.argsort(y, kind="stable")  # sorted by class, not by time
    with pytest.warns(UserWarning, match="only 1 of the 2 classes.*shuffle them"):
        _small(ElmanClassifier, early_stopping=True).fit(X[order], y[order])


# ---------------------------------------------------------------------------
# Batches in row parts, side by side on the worker threads


def _encoded(est, X, y):
    """The fitted network's targets as the training loop sees them."""
    return est._encode_targets(y, reset=False, classes=None, incremental=False)


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_row_parts_give_the_whole_batch_loss_and_gradient(Estimator):
    from sknn_math._training import _RowParts, pack_parameters

    X, y = _data(Estimator, n=90)
    if Estimator in (ElmanClassifier, ElmanRegressor):
        X[:20, :2] = np.nan  # shorter sequences, padded in front
    est = _small(Estimator, max_iter=2, random_state=0).fit(X, y)
    Y = _encoded(est, X, y)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, size=len(X))
    weights[:30] = 0.0  # the first of three parts weighs nothing
    for sample_weight in (None, weights):
        weight_sum = len(X) if sample_weight is None else sample_weight.sum()
        results = []
        for n_parts in (1, 3):
            params = pack_parameters(est.coefs_, est.intercepts_, np.float64)
            workspace = (est._make_workspace(len(X), X.shape[1], np.float64)
                         if n_parts == 1 else
                         _RowParts.for_batch(est, len(X), X.shape[1], params, 3))
            loss = est._data_loss_grad(params, X, Y, sample_weight, workspace,
                                       weight_sum)
            results.append((loss, params.grad.copy()))
        (whole_loss, whole_grad), (parts_loss, parts_grad) = results
        # the same sums, added in another order
        tol = 100 * np.finfo(np.float64).eps
        np.testing.assert_allclose(parts_loss, whole_loss, rtol=tol)
        np.testing.assert_allclose(parts_grad, whole_grad, rtol=tol,
                                   atol=tol * np.abs(whole_grad).max())


@pytest.fixture
def part_threads(monkeypatch):
    """The threads every row part's passes ran on (a set to read and clear),
    with two worker threads whatever the machine."""
    import threading

    from sknn_math import _parallel
    from sknn_math._training import BaseNetwork

    threads = set()
    rows_loss_grad = BaseNetwork._rows_loss_grad

    def recorded(self, *args, **kwargs):
        threads.add(threading.get_ident())
        return rows_loss_grad(self, *args, **kwargs)

    monkeypatch.setattr(BaseNetwork, "_rows_loss_grad", recorded)
    monkeypatch.setattr(_parallel, "n_worker_threads", lambda: 2)
    return threads


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanRegressor])
def test_a_fit_in_row_parts_runs_them_on_worker_threads(Estimator, monkeypatch,
                                                        part_threads):
    import threading

    from sknn_math import _parallel

    X, y = _data(Estimator, n=120)
    X = X * 1e3  # the logistic's e^{-z} overflows: ignored on every thread
    threads = part_threads

    def fit(part_multiply_adds):
        monkeypatch.setattr(Estimator, "_row_part_multiply_adds", part_multiply_adds)
        threads.clear()
        params = {"activation": "logistic"} if Estimator is SigmoidMLPClassifier else {}
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            est = _small(Estimator, max_iter=3, batch_size=40, random_state=0,
                         **params).fit(X, y)
        return est, set(threads)

    whole, whole_threads = fit(np.inf)
    parts, parts_threads = fit(1)
    again, _ = fit(1)
    monkeypatch.setattr(_parallel, "n_worker_threads", lambda: 1)
    in_turn, in_turn_threads = fit(1)
    assert whole_threads == {threading.get_ident()}
    assert len(parts_threads) == 2
    assert in_turn_threads == {threading.get_ident()}  # one core: parts in turn
    for W_whole, W_parts, W_again, W_in_turn in zip(
        whole.coefs_, parts.coefs_, again.coefs_, in_turn.coefs_, strict=True
    ):
        # the same parts, summed in the same order whatever the threads
        np.testing.assert_array_equal(W_again, W_parts)
        np.testing.assert_array_equal(W_in_turn, W_parts)
        np.testing.assert_allclose(W_parts, W_whole, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Estimator", [SigmoidMLPRegressor, ElmanRegressor])
def test_prediction_temporaries_stay_within_working_memory(Estimator):
    # 30,000 rows in chunks of working_memory, the last one shorter: its
    # buffers are made while the caller still holds the full chunks' output.
    import tracemalloc

    rng = np.random.RandomState(0)
    X_fit = rng.normal(size=(300, 16))
    size = {"hidden_size": 32} if Estimator is ElmanRegressor else {
        "hidden_layer_sizes": (100,)}
    est = Estimator(**size, max_iter=2, random_state=0).fit(X_fit, X_fit[:, 0])
    X = rng.normal(size=(30_000, 16))
    for working_memory in (0.5, 2.0):
        with sklearn.config_context(working_memory=working_memory):
            tracemalloc.start()
            try:
                out = est.predict(X)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert peak - out.nbytes <= working_memory * 2**20


def test_full_batches_run_in_parts_after_early_stopping_holds_rows_out(
    monkeypatch, part_threads
):
    # The fit decides the parts (and one BLAS thread for them) on its batch
    # size before the hold-out: the full batches then run in parts all the same.
    X, y = _data(SigmoidMLPRegressor, n=120)
    # halves of 120 rows reach it (60 · 6 · 8 multiply-adds), of 60 do not
    monkeypatch.setattr(SigmoidMLPRegressor, "_row_part_multiply_adds", 2000)
    _small(SigmoidMLPRegressor, batch_size=120, early_stopping=True,
           validation_fraction=0.5, max_iter=2).fit(X, y)
    assert len(part_threads) == 2
