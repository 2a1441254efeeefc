"""Behaviour and math of the sigmoid MLP estimators."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _gradient_check import central_differences, loss_and_gradient
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import SigmoidMLPClassifier, SigmoidMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_XOR = np.array([0, 1, 1, 0])


def noisy_xor(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


# ----------------------------------------------------------------------------
# Gradients
def assert_gradient_matches_finite_differences(est, X, Y, sample_weight, rtol=1e-6):
    theta, _, grad, J = loss_and_gradient(est, X, Y, sample_weight)
    np.testing.assert_allclose(grad, central_differences(J, theta), rtol=rtol,
                               atol=1e-8)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_classifier_gradient_finite_differences(activation, loss, l1_ratio, weighted,
                                                target):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 3))
    y = {
        "binary": rng.randint(2, size=12),
        "multiclass": np.arange(12) % 3,
        "multilabel": rng.randint(2, size=(12, 3)),
    }[target]
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(4, 3), activation=activation, loss=loss, alpha=0.3,
        l1_ratio=l1_ratio, max_iter=2, random_state=0,
    ).fit(X, y)
    Y = est._label_binarizer.transform(y).astype(float)
    sample_weight = rng.uniform(0.1, 2, 12) if weighted else None
    assert_gradient_matches_finite_differences(est, X, Y, sample_weight)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)])
@pytest.mark.parametrize("weighted", [False, True])
def test_regressor_gradient_finite_differences(activation, hidden, weighted):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(10, 3))
    Y = rng.normal(size=(10, 2))
    est = SigmoidMLPRegressor(
        hidden_layer_sizes=hidden, activation=activation, alpha=0.2, l1_ratio=0.3,
        max_iter=2, random_state=0,
    ).fit(X, Y)
    sample_weight = rng.uniform(0.1, 2, 10) if weighted else None
    assert_gradient_matches_finite_differences(est, X, Y, sample_weight)


@pytest.mark.parametrize("hidden", [(), (4,)])
@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_gradient_finite_differences(hidden, weighted):
    rng = np.random.RandomState(2)
    X = rng.normal(size=(12, 3))
    Y = rng.poisson(2.0, size=(12, 2)).astype(float)
    est = SigmoidMLPRegressor(hidden_layer_sizes=hidden, loss="poisson", alpha=0.2,
                              max_iter=2, random_state=0).fit(X, Y)
    assert est.out_activation_ == "exp"
    sample_weight = rng.uniform(0.1, 2, 12) if weighted else None
    assert_gradient_matches_finite_differences(est, X, Y, sample_weight)


def test_sparse_input_gives_the_dense_gradient():
    X, y = make_classification(30, 6, random_state=0)
    X[X < 0.5] = 0
    est = SigmoidMLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    Y = est._label_binarizer.transform(y).astype(float)
    _, loss_dense, grad_dense, _ = loss_and_gradient(est, X, Y, None)
    _, loss_sparse, grad_sparse, _ = loss_and_gradient(est, sp.csr_matrix(X), Y, None)
    assert loss_sparse == pytest.approx(loss_dense, rel=1e-12)
    np.testing.assert_allclose(grad_sparse, grad_dense, rtol=1e-10, atol=1e-14)


def test_one_hand_worked_sgd_step():
    # Single-layer sigmoid net, one sample x = (1, 2), target 1, W = (0.1, −0.2)ᵀ,
    # b = 0, no penalty, plain SGD with η = 0.5:
    #   z = 1·0.1 + 2·(−0.2) = −0.3,   ŷ = σ(−0.3) = 0.425557483188341
    #   δ = ŷ − y = −0.574442516811659       (softmax/logistic + log loss)
    #   ∂J/∂W = x δ = (−0.574442516811659, −1.148885033623318)
    #   ∂J/∂b = δ
    #   W ← W − η ∂J/∂W = (0.387221258405830, 0.374442516811659)
    #   b ← b − η δ = 0.287221258405830
    X = np.array([[1.0, 2.0], [0.0, 0.0]])
    y = np.array([1, 0])
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(), solver="sgd", learning_rate_init=0.5, momentum=0.0,
        alpha=0.0, shuffle=False, batch_size=1,
    )
    est.partial_fit(X[1:], y[1:], classes=[0, 1])
    est.coefs_ = [np.array([[0.1], [-0.2]])]
    est.intercepts_ = [np.array([0.0])]
    est.partial_fit(X[:1], y[:1])
    np.testing.assert_allclose(est.coefs_[0].ravel(),
                               [0.387221258405830, 0.374442516811659], rtol=1e-12)
    np.testing.assert_allclose(est.intercepts_[0], [0.287221258405830], rtol=1e-12)
    assert est.loss_ == pytest.approx(-np.log(0.425557483188341), rel=1e-12)


# ----------------------------------------------------------------------------
# Oracle: scikit-learn's MLP with logistic units
def _copy_weights(source, target):
    target.coefs_ = [c.copy() for c in source.coefs_]
    target.intercepts_ = [b.copy() for b in source.intercepts_]


def _closest_tie(proba, multilabel=False):
    """How near the closest row comes to a tie between two labels.

    Two implementations agree on the probabilities only to within rounding, so
    their labels can be compared exactly only where no row is that close to a tie.
    """
    if multilabel:  # each label on its own: predicted where p > 0.5
        return np.abs(proba - 0.5).min()
    top_two = np.sort(proba, axis=1)[:, -2:]
    return (top_two[:, 1] - top_two[:, 0]).min()


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("hidden", [(), (7,), (6, 5)])
def test_predict_proba_equals_scikit_learn(n_classes, hidden):
    X, y = make_classification(80, 5, n_informative=4, n_redundant=0,
                               n_classes=n_classes, random_state=0)
    sk = MLPClassifier(hidden_layer_sizes=hidden, activation="logistic", max_iter=30,
                       random_state=0)
    sk.fit(X, y)
    ours = SigmoidMLPClassifier(hidden, max_iter=1, random_state=1).fit(X, y)
    _copy_weights(sk, ours)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X),
                               rtol=1e-12, atol=1e-15)
    assert _closest_tie(sk.predict_proba(X)) > 1e-9
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


def test_multilabel_predict_equals_scikit_learn():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    Y = (X[:, :3] > 0).astype(int)
    sk = MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", max_iter=50,
                       random_state=0)
    sk.fit(X, Y)
    ours = SigmoidMLPClassifier((5,), max_iter=1, random_state=0).fit(X, Y)
    _copy_weights(sk, ours)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), rtol=1e-12)
    assert _closest_tie(sk.predict_proba(X), multilabel=True) > 1e-9
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor_predict_equals_scikit_learn(n_outputs):
    X, y = make_regression(70, 4, n_targets=n_outputs, random_state=0)
    sk = MLPRegressor(hidden_layer_sizes=(6,), activation="logistic", max_iter=20,
                      random_state=0)
    sk.fit(X, y)
    ours = SigmoidMLPRegressor((6,), max_iter=1, random_state=0).fit(X, y)
    _copy_weights(sk, ours)
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_equals_scikit_learn(n_classes, weighted):
    # L-BFGS's final loss_ is the full-batch objective at the final weights.
    X, y = make_classification(90, 6, n_informative=4, n_classes=n_classes,
                               random_state=0)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2, 90) if weighted else None
    sk = MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", solver="lbfgs",
                       alpha=0.7, max_iter=15, random_state=0)
    sk.fit(X, y, sample_weight=sample_weight)
    ours = SigmoidMLPClassifier((5,), alpha=0.7, max_iter=1, random_state=0).fit(X, y)
    _copy_weights(sk, ours)
    Y = ours._label_binarizer.transform(y).astype(float)
    _, loss, _, _ = loss_and_gradient(ours, X, Y, sample_weight)
    assert loss == pytest.approx(sk.loss_, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_loss_and_predictions_equal_scikit_learn(weighted):
    # scikit-learn >= 1.7: exponential output, half Poisson deviance
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1]))
    sample_weight = rng.uniform(0.5, 2, 80) if weighted else None
    sk = MLPRegressor(hidden_layer_sizes=(5,), activation="logistic", loss="poisson",
                      solver="lbfgs", alpha=0.3, max_iter=20, random_state=0)
    sk.fit(X, y, sample_weight=sample_weight)
    ours = SigmoidMLPRegressor((5,), loss="poisson", alpha=0.3, max_iter=1,
                               random_state=0).fit(X, y)
    _copy_weights(sk, ours)
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), rtol=1e-12)
    _, loss, _, _ = loss_and_gradient(ours, X, y[:, None].astype(float),
                                      sample_weight)
    assert loss == pytest.approx(sk.loss_, rel=1e-12)


def test_poisson_refuses_negative_targets():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="non-negative"):
        SigmoidMLPRegressor(loss="poisson").fit(X, [1.0, 0.0, -1.0, 2.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_log_loss_is_exact_where_probabilities_underflow(dtype, weighted):
    from scipy.special import log_softmax, softmax

    from sknn_math._losses import softmax_log_loss

    rng = np.random.RandomState(0)
    # rows 0 and 1 saturate: the true class's probability underflows to 0
    Z = np.vstack([[[0.0, 1000.0, -1000.0], [-2000.0, 0.0, 0.0]],
                   rng.normal(0, 3, (6, 3))]).astype(dtype)
    Y = np.eye(3, dtype=dtype)[[0, 0, 1, 2, 0, 1, 2, 0]]
    w = rng.uniform(0.5, 2, 8).astype(dtype) if weighted else None
    per_sample = -np.sum(Y * log_softmax(Z.astype(np.float64), axis=1), axis=1)
    expected = np.average(per_sample, weights=w)

    P, loss = softmax_log_loss(Z.copy(), Y, w)
    assert np.isfinite(loss) and loss > 300  # clipping p at eps would cap it at 36
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert loss == pytest.approx(expected, rel=rtol)
    assert P.dtype == dtype
    np.testing.assert_allclose(P, softmax(Z.astype(np.float64), axis=1),
                               rtol=rtol, atol=1e-30)


# ----------------------------------------------------------------------------
# The seeds' behaviours
def test_xor_is_learned_by_a_2_3_2_network():
    clf = SigmoidMLPClassifier((3,), solver="lbfgs", random_state=1).fit(X_XOR, Y_XOR)
    np.testing.assert_array_equal(clf.predict(X_XOR), Y_XOR)
    assert [c.shape for c in clf.coefs_] == [(2, 3), (3, 1)]


def test_xor_is_learned_by_gradient_descent():
    clf = SigmoidMLPClassifier((3,), solver="sgd", learning_rate_init=0.5,
                               batch_size=4, max_iter=3000, tol=0, random_state=1)
    clf.fit(X_XOR, Y_XOR)
    np.testing.assert_array_equal(clf.predict(X_XOR), Y_XOR)
    assert clf.loss_curve_[-1] < 0.1 < clf.loss_curve_[0]


def test_single_layer_net_learns_a_separable_problem_but_not_xor():
    X, y = make_blobs(200, centers=[[-2, -2], [2, 2]], random_state=0)
    single = SigmoidMLPClassifier((), learning_rate_init=0.05, random_state=0)
    assert single.fit(X, y).score(X, y) == 1.0
    for solver in ("lbfgs", "adam"):
        xor = SigmoidMLPClassifier((), solver=solver, learning_rate_init=0.1,
                                   random_state=0).fit(X_XOR, Y_XOR)
        # a straight line gets at most three of XOR's four points right
        assert xor.score(X_XOR, Y_XOR) <= 0.75


def _worst_late_jump(loss_curve, skip=50):
    """Largest ratio of an epoch's loss to the best loss before it, after `skip`."""
    curve = np.asarray(loss_curve)
    ratio = curve / np.minimum.accumulate(curve)
    return ratio[skip:].max()


JUMPY = dict(hidden_layer_sizes=(50,), solver="sgd", momentum=0.0, batch_size=20,
             learning_rate_init=10.0, max_iter=600, n_iter_no_change=10**9,
             random_state=0)


def test_fifty_hidden_units_and_a_large_step_make_the_loss_jump_late():
    X, y = noisy_xor()
    clf = SigmoidMLPClassifier(**JUMPY).fit(X, y)
    assert min(clf.loss_curve_) < 0.05
    assert _worst_late_jump(clf.loss_curve_) > 5


@pytest.mark.parametrize("cure", [
    {"learning_rate_init": 1.0},
    {"learning_rate": "invscaling", "power_t": 0.25},
    {"max_grad_norm": 0.05},
], ids=["smaller-step", "decaying-schedule", "gradient-clipping"])
def test_each_cure_tames_the_late_jump(cure):
    X, y = noisy_xor()
    clf = SigmoidMLPClassifier(**{**JUMPY, **cure}).fit(X, y)
    assert _worst_late_jump(clf.loss_curve_) < 3
    assert clf.score(X, y) > 0.8


def test_divergence_stops_with_a_clear_error_and_finite_weights():
    X, y = make_regression(50, 3, noise=1, random_state=0)
    reg = SigmoidMLPRegressor((20,), activation="identity", solver="sgd",
                              learning_rate_init=10.0, momentum=0.9, max_iter=50,
                              random_state=0)
    with pytest.raises(ValueError, match="diverged.*learning_rate_init"):
        reg.fit(X, y * 1e3)
    assert all(np.all(np.isfinite(c)) for c in reg.coefs_)


def test_divergence_during_early_stopping_restores_the_best_weights():
    X, y = make_regression(200, 3, noise=1, random_state=0)
    reg = SigmoidMLPRegressor((20,), activation="identity", solver="sgd",
                              learning_rate_init=1e-4, max_iter=20, warm_start=True,
                              early_stopping=True, random_state=0).fit(X, y)
    before = reg.predict(X)
    reg.set_params(learning_rate_init=10.0, momentum=0.9)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.fit(X, y * 1e3)
    np.testing.assert_array_equal(reg.predict(X), before)


# ----------------------------------------------------------------------------
# Training machinery
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_same_seed_gives_bit_identical_models(solver):
    X, y = make_classification(100, 5, random_state=0)
    a = SigmoidMLPClassifier((6,), solver=solver, max_iter=20, random_state=3).fit(X, y)
    b = SigmoidMLPClassifier((6,), solver=solver, max_iter=20, random_state=3).fit(X, y)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_,
                      strict=True):
        assert ca.tobytes() == cb.tobytes()


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, SigmoidMLPRegressor])
def test_float32_trains_and_predicts_in_float32(Estimator):
    X, y = make_classification(80, 5, random_state=0)
    est = Estimator((5,), max_iter=5, random_state=0).fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
    out = est.predict_proba(X.astype(np.float32)) if hasattr(est, "predict_proba") \
        else est.predict(X.astype(np.float32))
    assert out.dtype == np.float32


def test_early_stopping_records_validation_loss_and_keeps_best_weights():
    X, y = make_classification(300, 8, random_state=0)
    clf = SigmoidMLPClassifier((10,), early_stopping=True, learning_rate_init=0.01,
                               max_iter=100, random_state=0).fit(X, y)
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    without = SigmoidMLPClassifier((10,), max_iter=3, random_state=0).fit(X, y)
    assert without.validation_loss_curve_ is None
    assert without.validation_scores_ is None


def test_n_iter_no_change_stops_training():
    X, y = make_classification(200, 5, random_state=0)
    clf = SigmoidMLPClassifier((5,), learning_rate_init=0.05, tol=1.0,
                               n_iter_no_change=3, max_iter=100, random_state=0)
    clf.fit(X, y)
    # the first epoch improves on nothing; the next n_iter_no_change + 1 do not
    assert clf.n_iter_ == 5


def test_adaptive_schedule_divides_the_step_by_five():
    X, y = make_classification(200, 5, random_state=0)
    clf = SigmoidMLPClassifier((5,), solver="sgd", learning_rate="adaptive", tol=1.0,
                               n_iter_no_change=1, max_iter=10, random_state=0)
    clf.fit(X, y)
    assert clf._optimizer.learning_rate == pytest.approx(0.001 / 5**4)


def test_adam_honours_the_invscaling_schedule():
    X, y = make_classification(100, 5, random_state=0)
    clf = SigmoidMLPClassifier((5,), learning_rate="invscaling", power_t=0.5,
                               learning_rate_init=0.1, max_iter=3, random_state=0)
    clf.fit(X, y)
    assert clf._optimizer.learning_rate == pytest.approx(0.1 / (300 + 1) ** 0.5)


def test_max_grad_norm_bounds_every_step():
    X, y = make_regression(40, 3, random_state=0)
    reg = SigmoidMLPRegressor((4,), solver="sgd", momentum=0.0, batch_size=40,
                              learning_rate_init=1.0, max_grad_norm=1e-3, max_iter=1,
                              shuffle=False, random_state=0)
    # the same seed draws the same initial weights
    coefs, intercepts = reg._initial_parameters(3, 1, np.random.RandomState(0))
    start = np.concatenate([a.ravel() for a in coefs + intercepts])
    reg.fit(X, y)
    after = np.concatenate([a.ravel() for a in reg.coefs_ + reg.intercepts_])
    # one step of plain SGD moves the weights by η‖clipped gradient‖ ≤ 1e-3
    assert np.linalg.norm(after - start) == pytest.approx(1e-3)


def test_warm_start_continues_and_partial_fit_learns_online():
    X, y = make_classification(200, 5, random_state=0)
    clf = SigmoidMLPClassifier((5,), max_iter=5, warm_start=True, random_state=0)
    clf.fit(X, y)
    first = clf.coefs_[0].copy()
    clf.fit(X, y)
    # n_iter_ counts this call's epochs (scikit-learn's #16812); t_ goes on
    assert clf.n_iter_ == 5
    assert clf.t_ == 2 * 5 * 200
    assert len(clf.loss_curve_) == 10
    assert not np.array_equal(first, clf.coefs_[0])

    online = SigmoidMLPClassifier((5,), learning_rate_init=0.01, random_state=0)
    for _ in range(30):
        for chunk in np.array_split(np.arange(200), 4):
            online.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    assert online.score(X, y) > 0.85


def test_partial_fit_after_fit_needs_no_classes():
    X, y = make_classification(60, 5, random_state=0)
    clf = SigmoidMLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1  # this call's one epoch
    assert clf.t_ == 4 * 60


def test_partial_fit_is_hidden_for_lbfgs():
    assert not hasattr(SigmoidMLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(SigmoidMLPRegressor(solver="sgd"), "partial_fit")


def test_sample_weight_equals_repeating_samples():
    X, y = make_classification(40, 5, random_state=0)
    weights = np.random.RandomState(0).randint(1, 3, size=40)
    common = dict(hidden_layer_sizes=(5,), solver="lbfgs", alpha=0.1, max_iter=40,
                  tol=0, random_state=0)
    weighted = SigmoidMLPClassifier(**common).fit(X, y, sample_weight=weights)
    repeated = SigmoidMLPClassifier(**common).fit(np.repeat(X, weights, axis=0),
                                                  np.repeat(y, weights))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               rtol=1e-6)


def test_class_weight_shifts_the_decision_towards_the_weighted_class():
    X, y = make_classification(300, 5, weights=[0.9, 0.1], random_state=0)
    plain = SigmoidMLPClassifier((5,), solver="lbfgs", random_state=0).fit(X, y)
    balanced = SigmoidMLPClassifier((5,), solver="lbfgs", class_weight="balanced",
                                    random_state=0).fit(X, y)
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    as_dict = SigmoidMLPClassifier((5,), solver="lbfgs", random_state=0,
                                   class_weight={0: 1.0, 1: 9.0}).fit(X, y)
    assert (as_dict.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_l1_penalty_drives_weights_to_exactly_zero(solver):
    # mini-batches of 50: the proximal step after each one sets weights to zero,
    # where a subgradient step (sign(0) = 0) jumps across zero and never lands
    X, y = make_classification(200, 20, n_informative=3, random_state=0)
    common = dict(solver=solver, batch_size=50, learning_rate_init=0.01,
                  max_iter=100, random_state=0)
    dense = SigmoidMLPClassifier((), alpha=0.0, **common).fit(X, y)
    sparse_w = SigmoidMLPClassifier((), alpha=2.0, l1_ratio=1.0, **common).fit(X, y)
    assert np.all(dense.coefs_[0] != 0)
    assert np.sum(sparse_w.coefs_[0] == 0) >= 8  # of 20 weights
    assert np.all(sparse_w.intercepts_[0] != 0)  # biases are not penalised


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = make_classification(60, 5, random_state=0)
    SigmoidMLPClassifier((4,), max_iter=3, verbose=True, early_stopping=True,
                         n_iter_no_change=100, random_state=0).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if ln.startswith("Iteration")]
    assert len(lines) == 3
    assert "loss" in lines[0] and "validation score" in lines[0]
    assert "learning rate" in lines[0]


def test_multioutput_regression_and_sparse_input():
    X, Y = make_regression(120, 5, n_targets=2, random_state=0)
    Y = Y / Y.std(axis=0)
    reg = SigmoidMLPRegressor((20,), solver="lbfgs", random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (120, 2)
    assert reg.score(X, Y) > 0.95
    sparse_reg = SigmoidMLPRegressor((20,), solver="lbfgs", random_state=0)
    assert sparse_reg.fit(sp.csr_matrix(X), Y).score(X, Y) > 0.95
    np.testing.assert_allclose(reg.predict(sp.csc_matrix(X)), reg.predict(X),
                               rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------
# scikit-learn integration
def test_pipeline_grid_search_over_learning_rate_and_hidden_size():
    X, y = make_classification(150, 6, random_state=0)
    pipe = make_pipeline(StandardScaler(),
                         SigmoidMLPClassifier(max_iter=50, random_state=0))
    grid = GridSearchCV(pipe, {
        "sigmoidmlpclassifier__learning_rate_init": [0.001, 0.01],
        "sigmoidmlpclassifier__hidden_layer_sizes": [(3,), (10,)],
    }, cv=3).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_score_ > 0.8
    scores = cross_val_score(clone(grid.best_estimator_), X, y, cv=3)
    assert scores.mean() > 0.8


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, SigmoidMLPRegressor])
def test_pickle_round_trip_gives_identical_predictions(Estimator):
    X, y = make_classification(60, 5, random_state=0)
    est = Estimator((5,), max_iter=5, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    # the restored model carries on training, optimiser state and all, exactly as
    # the original does: the very same computation, so the very same bits
    before = est.coefs_[0].copy()
    est.partial_fit(X, y)
    restored.partial_fit(X, y)
    assert restored.n_iter_ == est.n_iter_ == 1  # this call's one epoch
    assert restored.t_ == est.t_ == 6 * 60
    assert not np.array_equal(est.coefs_[0], before)
    for a, b in zip(restored.coefs_ + restored.intercepts_,
                    est.coefs_ + est.intercepts_, strict=True):
        assert a.tobytes() == b.tobytes()


def test_predictions_are_chunked_by_working_memory(monkeypatch):
    import sklearn

    X, y = make_classification(2000, 5, random_state=0)
    clf = SigmoidMLPClassifier((50,), max_iter=2, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    forward_pass, rows = clf._forward_pass, []

    def counting_forward_pass(X, *args, **kwargs):
        rows.append(X.shape[0])
        return forward_pass(X, *args, **kwargs)

    monkeypatch.setattr(clf, "_forward_pass", counting_forward_pass)
    with sklearn.config_context(working_memory=0.01):  # 10 kB: a few dozen rows
        chunked = clf.predict_proba(X)
    assert sum(rows) == len(X) and max(rows) <= 100
    # Chunks are differently shaped products, equal to the whole only up to
    # rounding: a few eps in the logits, which is relative in probabilities.
    np.testing.assert_allclose(chunked, expected, rtol=256 * np.finfo(X.dtype).eps)


# ----------------------------------------------------------------------------
# Bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused_and_left_untouched(bad):
    X, y = make_classification(20, 5, random_state=0)
    X[3, 1] = bad
    X_before, y_before = X.copy(), y.copy()
    with pytest.raises(ValueError, match="NaN|infinity"):
        SigmoidMLPClassifier().fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize("X, y, match", [
    (np.empty((0, 3)), np.empty(0), "0 sample"),
    (np.arange(5.0), np.arange(5) % 2, "2D array"),
    (np.array([["a", "b"], ["c", "d"]]), [0, 1], "could not convert|dtype"),
    (np.ones((4, 2)), [0, 0, 0, 0], "two classes"),
    (np.ones((4, 2)), [0, 1, 0], "inconsistent numbers of samples"),
])
def test_bad_training_input_gives_a_clear_error(X, y, match):
    with pytest.raises(ValueError, match=match):
        SigmoidMLPClassifier().fit(X, y)


def test_wrong_width_at_predict_and_unfitted_use():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SigmoidMLPClassifier().predict(X_XOR)
    clf = SigmoidMLPClassifier((3,), max_iter=2).fit(X_XOR, Y_XOR)
    with pytest.raises(ValueError, match="3 features.*expecting 2"):
        clf.predict(np.ones((2, 3)))


def test_partial_fit_refuses_unknown_classes_and_missing_classes():
    clf = SigmoidMLPClassifier((3,))
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X_XOR, Y_XOR)
    clf.partial_fit(X_XOR, Y_XOR, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[7\] not in classes_"):
        clf.partial_fit(X_XOR, [0, 1, 7, 0])
    with pytest.raises(ValueError, match="not the same"):
        clf.partial_fit(X_XOR, Y_XOR, classes=[0, 1, 2])


def test_bad_sample_weight_is_refused():
    with pytest.raises(ValueError, match="(?i)negative"):
        SigmoidMLPClassifier().fit(X_XOR, Y_XOR, sample_weight=[1, -1, 1, 1])
    with pytest.raises(ValueError, match="non-zero|sums to zero"):
        SigmoidMLPClassifier().fit(X_XOR, Y_XOR, sample_weight=np.zeros(4))


def test_invalid_hyperparameters_are_refused():
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        SigmoidMLPClassifier(hidden_layer_sizes=(3, 0)).fit(X_XOR, Y_XOR)
    with pytest.raises(ValueError, match="l1_ratio"):
        SigmoidMLPClassifier(l1_ratio=2).fit(X_XOR, Y_XOR)
    with pytest.raises(ValueError, match="loss"):
        SigmoidMLPRegressor(loss="log_loss").fit(X_XOR, Y_XOR)


def test_refit_forgets_the_old_optimiser_and_partial_fit_follows_the_solver():
    X, y = make_classification(80, 5, random_state=0)
    clf = SigmoidMLPClassifier((5,), max_iter=3, random_state=0).fit(X, y)
    clf.set_params(hidden_layer_sizes=(7,), solver="lbfgs", max_iter=5).fit(X, y)
    clf.set_params(solver="adam").partial_fit(X, y)
    assert clf._optimizer.t == 1
    clf.set_params(solver="sgd").partial_fit(X, y)
    assert type(clf._optimizer).__name__ == "SGD"


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_continued_training_refuses_a_changed_architecture(method):
    X, y = make_classification(80, 5, random_state=0)
    clf = SigmoidMLPClassifier((5,), max_iter=3, warm_start=True,
                               random_state=0).fit(X, y)
    clf.set_params(hidden_layer_sizes=(7, 2))
    with pytest.raises(ValueError, match="cannot change its architecture"):
        getattr(clf, method)(X, y)
    assert [c.shape for c in clf.coefs_] == [(5, 5), (5, 1)]


def test_lbfgs_has_no_early_stopping_attributes():
    X, y = make_classification(80, 5, random_state=0)
    clf = SigmoidMLPClassifier((5,), solver="lbfgs", early_stopping=True,
                               max_iter=20, random_state=0).fit(X, y)
    assert clf.validation_scores_ is None
    assert clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_class_weight_dict_on_multilabel_targets_is_refused_clearly():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = (X > 0).astype(int)
    with pytest.raises(ValueError, match="multilabel.*balanced"):
        SigmoidMLPClassifier((4,), class_weight={0: 2.0}).fit(X, Y)
    balanced = SigmoidMLPClassifier((4,), class_weight="balanced", max_iter=5)
    assert balanced.fit(X, Y).predict(X).shape == (40, 3)
