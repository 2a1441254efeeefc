"""The MLP and Elman networks on dask arrays, on a LocalCluster bound to 127.0.0.1.

L-BFGS on dask evaluates the same objective as the in-memory fit, but adds the
blocks' sums in another order: the loss and gradient at given weights agree to a
few ulps, and L-BFGS, whose line searches and curvature pairs feed each
iteration's rounding into the next, carries that difference along. So the first
iterations are compared tightly and a longer fit loosely. SGD and Adam stream
the blocks through the client's own loop, so a dask epoch is bit for bit a
``partial_fit`` on each block in turn.
"""

import os
import pickle
import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknn_math import (
    ElmanClassifier,
    ElmanRegressor,
    SelfOrganizingMap,
    SigmoidMLPClassifier,
    SigmoidMLPRegressor,
)

da = pytest.importorskip("dask.array",
                         reason='Dask is an extra: pip install -e ".[dask]"')
pytest.importorskip("distributed", reason='Dask is an extra: pip install -e ".[dask]"')

from sknn_math import _dask_networks  # noqa: E402  (imports dask)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NETWORKS = [SigmoidMLPClassifier, SigmoidMLPRegressor, ElmanClassifier, ElmanRegressor]
# Uneven row blocks, one of them small.
CHUNKS = (50, 120, 30, 100)
N_SAMPLES = sum(CHUNKS)


def make_data(Estimator, dtype=np.float64, seed=0):
    """Sequences of 6 steps (or 6 features), a label or a value that depends on
    them, and sample weights with some zeros."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, 6))
    value = X[:, :3].sum(axis=1) - X[:, 3:].sum(axis=1)
    y = ((value > 0).astype(int) + (value > 1.5) if _is_classifier(Estimator)
         else value)
    sample_weight = rng.uniform(0.2, 2.0, N_SAMPLES)
    sample_weight[rng.rand(N_SAMPLES) < 0.05] = 0.0
    return X.astype(dtype), y, sample_weight.astype(dtype)


def _is_classifier(Estimator):
    return Estimator in (SigmoidMLPClassifier, ElmanClassifier)


def small(Estimator, **params):
    size = ({"hidden_size": 5} if Estimator in (ElmanClassifier, ElmanRegressor)
            else {"hidden_layer_sizes": (7,)})
    return Estimator(**{**size, "random_state": 0, **params})


def to_dask(a):
    return da.from_array(a, chunks=(CHUNKS,) + a.shape[1:])


def parameters(est):
    return est.coefs_ + est.intercepts_


def assert_same_parameters(got, want, rtol, atol=0):
    for g, w in zip(parameters(got), parameters(want), strict=True):
        assert type(g) is np.ndarray and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("Estimator", NETWORKS)
def test_lbfgs_equals_in_memory_fit(client, Estimator, weighted, dtype):
    X, y, sw = make_data(Estimator, dtype)
    sw = sw if weighted else None
    # float64: a few ulps per evaluation; float32 blocks also sum within the block
    # in float32, against one float32 sum over all rows in memory
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-3, 1e-5)
    for max_iter in (1, 3):
        params = dict(solver="lbfgs", max_iter=max_iter, alpha=1e-3)
        want = small(Estimator, **params).fit(X, y, sample_weight=sw)
        got = small(Estimator, **params).fit(
            to_dask(X), to_dask(y), sample_weight=None if sw is None else to_dask(sw))
        assert_same_parameters(got, want, rtol, atol)
        np.testing.assert_allclose(got.loss_curve_, want.loss_curve_, rtol=rtol)
        assert (got.n_iter_, got.t_) == (want.n_iter_, want.t_)
    if _is_classifier(Estimator):
        np.testing.assert_array_equal(got.classes_, want.classes_)


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_longer_lbfgs_fit_ends_near_the_in_memory_one(client, Estimator):
    # 30 iterations: the rounding differences grow, but the models stay close
    X, y, sw = make_data(Estimator)
    params = dict(solver="lbfgs", max_iter=30, alpha=1e-3)
    want = small(Estimator, **params).fit(X, y, sample_weight=sw)
    got = small(Estimator, **params).fit(to_dask(X), y, sample_weight=sw)
    assert got.loss_ == pytest.approx(want.loss_, rel=1e-6)
    assert_same_parameters(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanRegressor])
def test_stream_is_partial_fit_block_after_block(client, Estimator, solver):
    # One dask epoch shuffles within each block, in block order, with the
    # estimator's random state: exactly partial_fit on each block in turn.
    X, y, sw = make_data(Estimator)
    params = dict(solver=solver, learning_rate_init=0.01, batch_size=32,
                  n_iter_no_change=100)
    classes = np.unique(y) if _is_classifier(Estimator) else None
    extra = {} if classes is None else {"classes": classes}
    bounds = np.cumsum((0,) + CHUNKS)
    by_hand = small(Estimator, **params)
    for _ in range(2):
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            by_hand.partial_fit(X[start:stop], y[start:stop],
                                sample_weight=sw[start:stop], **extra)
    got = small(Estimator, max_iter=2, **params).fit(
        to_dask(X), to_dask(y), sample_weight=to_dask(sw))
    assert_same_parameters(got, by_hand, rtol=0)
    assert (got.n_iter_, got.t_) == (2, 2 * N_SAMPLES)
    # partial_fit on dask: one more pass over the blocks, again as by hand
    got.partial_fit(to_dask(X), to_dask(y), sample_weight=to_dask(sw), **extra)
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        by_hand.partial_fit(X[start:stop], y[start:stop],
                            sample_weight=sw[start:stop], **extra)
    assert_same_parameters(got, by_hand, rtol=0)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_weights_whose_sum_overflows_train_as_weights_of_one(client, solver):
    # float32 weights of 1e36 and up: each fits, their sum (about 4e38) does not;
    # the blocks are normalised by the largest weight over all of them (L-BFGS)
    # or by their own (the stream, as partial_fit)
    X, y, sw = make_data(SigmoidMLPClassifier, np.float32)
    heavy = 1e36 * (1 + sw.astype(np.float64))
    params = dict(solver=solver, max_iter=3, batch_size=32, alpha=0.0)
    got = small(SigmoidMLPClassifier, **params).fit(
        to_dask(X), to_dask(y), sample_weight=to_dask(heavy))
    assert np.all(np.isfinite(got.loss_curve_)) and got.loss_ > 0
    light = small(SigmoidMLPClassifier, **params).fit(
        to_dask(X), to_dask(y), sample_weight=to_dask(1 + sw))
    assert_same_parameters(got, light, rtol=1e-4, atol=1e-6)
    if solver == "lbfgs":
        in_memory = small(SigmoidMLPClassifier, **params).fit(X, y,
                                                               sample_weight=heavy)
        assert_same_parameters(got, in_memory, rtol=1e-3, atol=1e-5)
    assert got.score(to_dask(X), to_dask(y), sample_weight=to_dask(heavy)) == (
        pytest.approx(light.score(X, y, sample_weight=1 + sw), rel=1e-6))


def test_class_weight_dict_on_blocks_without_some_classes(client):
    # sorted labels: the first block holds one class only; the dict is applied
    # against classes_, not against each block's labels
    X, y, _ = make_data(SigmoidMLPClassifier)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    params = dict(solver="lbfgs", max_iter=3, class_weight={0: 2.0, 2: 3.0})
    want = small(SigmoidMLPClassifier, **params).fit(X, y)
    got = small(SigmoidMLPClassifier, **params).fit(to_dask(X), to_dask(y))
    assert_same_parameters(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, SigmoidMLPRegressor])
def test_score_ignores_a_common_factor_of_the_weights(client, Estimator):
    X, y, sw = make_data(Estimator)
    est = small(Estimator, solver="lbfgs", max_iter=5).fit(X, y)
    expected = est.score(X, y, sample_weight=sw)
    got = est.score(to_dask(X), to_dask(y), sample_weight=to_dask(1e307 * sw))
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_stream_learns(client, Estimator):
    X, y, _ = make_data(Estimator)
    est = small(Estimator, solver="adam", learning_rate_init=0.02, max_iter=60,
                alpha=1e-4)
    est.fit(to_dask(X), to_dask(y))
    assert est.score(X, y) > 0.8
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_early_stopping_needs_an_explicit_validation_set(client):
    X, y, _ = make_data(SigmoidMLPClassifier)
    est = small(SigmoidMLPClassifier, solver="adam", early_stopping=True,
                max_iter=5)
    with pytest.raises(ValueError, match="explicit validation set.*X_val"):
        est.fit(to_dask(X), y)
    assert not hasattr(est, "coefs_")
    # the last block, in memory or as a dask array, is the validation set
    est.fit(da.from_array(X[:200], chunks=(50, 6)), y[:200],
            X_val=da.from_array(X[200:], chunks=(60, 6)), y_val=y[200:])
    assert len(est.validation_scores_) == est.n_iter_
    assert est.t_ == est.n_iter_ * 200


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_incremental_wrapper(client, Estimator):
    Incremental = pytest.importorskip(
        "dask_ml.wrappers", reason='dask-ml is a test peer: pip install -e ".[oracles]"'
    ).Incremental

    X, y, _ = make_data(Estimator)
    classifier = _is_classifier(Estimator)
    est = small(Estimator, solver="adam", learning_rate_init=0.02, alpha=1e-4)
    # scoring=None: the estimator's own score, which takes dask arrays
    inc = Incremental(est, shuffle_blocks=False)
    classes = {"classes": np.unique(y)} if classifier else {}
    for _ in range(20):
        inc.partial_fit(to_dask(X), to_dask(y), **classes)
    assert inc.score(to_dask(X), to_dask(y)) > 0.8
    assert isinstance(inc.predict(to_dask(X)), da.Array)


@pytest.mark.parametrize("Estimator", NETWORKS)
def test_predictions_are_lazy_and_equal(client, Estimator):
    X, y, sw = make_data(Estimator)
    est = small(Estimator, solver="lbfgs", max_iter=20).fit(X, y)
    X_dask = to_dask(X)
    methods = ["predict"]
    if _is_classifier(Estimator):
        methods += ["predict_proba", "predict_log_proba"]
    if Estimator in (ElmanClassifier, ElmanRegressor):
        methods += ["hidden_states"]
    for method in methods:
        lazy = getattr(est, method)(X_dask)
        assert isinstance(lazy, da.Array)
        assert lazy.chunks[0] == CHUNKS
        want = getattr(est, method)(X)
        got = lazy.compute()
        assert got.shape == want.shape and got.dtype == want.dtype
        if method == "predict" and _is_classifier(Estimator):
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    for weights in (None, sw):
        score = est.score(X_dask, to_dask(y), sample_weight=weights)
        assert isinstance(score, float)
        assert score == pytest.approx(est.score(X, y, sample_weight=weights),
                                      rel=1e-12)
    if Estimator in (ElmanClassifier, ElmanRegressor):
        X_3d = da.from_array(X.reshape(-1, 6, 1), chunks=(CHUNKS, 2, 1))
        np.testing.assert_allclose(est.predict(X_3d).compute(), est.predict(X))


def test_fitted_model_holds_numpy_and_pickles(client):
    X, y, _ = make_data(ElmanClassifier, np.float32)
    est = small(ElmanClassifier, solver="lbfgs", max_iter=5).fit(to_dask(X), y)
    assert all(type(a) is np.ndarray for a in parameters(est))
    assert not any(type(v).__module__.startswith(("dask", "distributed"))
                   for v in vars(est).values())
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))


@pytest.mark.parametrize("Estimator", [*NETWORKS, SelfOrganizingMap])
def test_grid_search_with_the_dask_joblib_backend(client, Estimator):
    import joblib

    X, y, _ = make_data(Estimator)
    if Estimator is SelfOrganizingMap:
        grid = {"n_rows": [2, 3], "sigma_end": [0.5, 1.0]}
        est, y = SelfOrganizingMap(n_cols=3, max_iter=5, random_state=0), None
    else:
        grid = {"alpha": [1e-4, 1e-1], "learning_rate_init": [1e-3, 1e-2]}
        est = small(Estimator, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        want = GridSearchCV(est, grid, cv=3).fit(X, y)
        with joblib.parallel_backend("dask"):
            got = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)
    # the same fits, run on the workers (with other BLAS threads: to rounding)
    np.testing.assert_allclose(got.cv_results_["mean_test_score"],
                               want.cv_results_["mean_test_score"], rtol=1e-9)
    assert got.best_params_ == want.best_params_


def _assert_unchanged(est, before):
    assert vars(est).keys() == before.keys()
    for key, value in before.items():
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            for a, b in zip(getattr(est, key), value, strict=True):
                np.testing.assert_array_equal(a, b)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(est, key), value)
        elif key not in ("_label_binarizer", "_optimizer", "_random_state"):
            assert getattr(est, key) == value, key


def test_bad_input_is_a_clear_error(client):
    X, y, sw = make_data(ElmanClassifier)
    est = small(ElmanClassifier, solver="lbfgs", max_iter=3).fit(X, y)
    est.set_params(warm_start=True)
    before = {k: (v.copy() if isinstance(v, (list, np.ndarray)) else v)
              for k, v in vars(est).items()}
    X_dask = to_dask(X)

    with pytest.raises(ValueError, match="unknown chunk sizes"):
        est.fit(X_dask[X_dask[:, 0] > 0], y[X[:, 0] > 0])
    with pytest.raises(ValueError, match="do not match X's row blocks"):
        est.fit(X_dask, da.from_array(y, chunks=100))
    with pytest.raises(ValueError, match="needs 300 rows"):
        est.fit(X_dask, y[:-1])
    with pytest.raises(ValueError, match="do not match X's row blocks"):
        est.fit(X_dask, y, sample_weight=da.from_array(sw, chunks=150))
    # found only when the blocks are computed on the workers
    X_nan = da.where(da.arange(N_SAMPLES)[:, None] == 205, np.inf, X_dask)
    with pytest.raises(ValueError, match="rows 200 to 299 of the dask array X"):
        est.fit(X_nan, y)
    with pytest.raises(ValueError, match="rows 200 to 299 of the dask array X"):
        est.predict(X_nan).compute()
    sw_bad = to_dask(sw) - da.where(da.arange(N_SAMPLES) == 10, 5.0, 0.0)
    with pytest.raises(ValueError, match="rows 0 to 49 of the dask array "
                                         "sample_weight.*negative"):
        est.fit(X_dask, y, sample_weight=sw_bad)
    with pytest.raises(ValueError, match="warm_start can only be used where"):
        est.fit(X_dask, np.where(np.arange(N_SAMPLES) == 3, 7, y))
    with pytest.raises(ValueError, match="X has 5 features"):
        est.predict(X_dask[:, :5])
    _assert_unchanged(est, before)
    # the cluster is healthy and the estimator still trains
    assert client.submit(sum, [1, 2]).result() == 3
    assert len(client.scheduler_info()["workers"]) == 2
    est.fit(X_dask, y)
    assert est.n_iter_ == 3


def test_worker_processes_pickle_everything(process_client):
    X, y, sw = make_data(ElmanRegressor, np.float32)
    params = dict(solver="lbfgs", max_iter=3)
    want = small(ElmanRegressor, **params).fit(X, y, sample_weight=sw)
    got = small(ElmanRegressor, **params).fit(to_dask(X), to_dask(y),
                                             sample_weight=to_dask(sw))
    assert_same_parameters(got, want, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(got.predict(to_dask(X)).compute(), got.predict(X),
                               rtol=1e-6)
    stream = small(SigmoidMLPClassifier, solver="adam", max_iter=2)
    stream.fit(to_dask(X), to_dask(make_data(SigmoidMLPClassifier)[1]))
    assert stream.n_iter_ == 2


def test_lbfgs_survives_a_killed_worker(process_client, monkeypatch):
    # After the first evaluation of the objective one worker process dies
    # (os._exit: no goodbye). Its persisted blocks are recomputed on the
    # survivor and the fit ends as an undisturbed one: every block's sum and
    # their tree are the same whichever worker computes them.
    X, y, sw = make_data(SigmoidMLPRegressor)
    params = dict(solver="lbfgs", max_iter=8)
    want = small(SigmoidMLPRegressor, **params).fit(
        to_dask(X), to_dask(y), sample_weight=to_dask(sw))
    reduce = _dask_networks.reduce_row_blocks
    killed = []

    def reduce_then_kill(func, *args, **kwargs):
        result = reduce(func, *args, **kwargs)
        if func is _dask_networks._block_loss_grad and not killed:
            victim = sorted(process_client.scheduler_info()["workers"])[0]
            killed.append(victim)
            threading.Thread(
                target=process_client.run, args=(os._exit, 1),
                kwargs=dict(workers=[victim]), daemon=True,
            ).start()
            # go on only once the scheduler has lost it: the rest of the fit
            # runs without that worker (its nanny may start a new one)
            deadline = time.monotonic() + 30
            while victim in process_client.scheduler_info()["workers"]:
                assert time.monotonic() < deadline, "the worker did not die"
                time.sleep(0.05)
        return result

    monkeypatch.setattr(_dask_networks, "reduce_row_blocks", reduce_then_kill)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        got = small(SigmoidMLPRegressor, **params).fit(
            to_dask(X), to_dask(y), sample_weight=to_dask(sw))
    assert killed
    assert_same_parameters(got, want, rtol=1e-12, atol=1e-14)
    assert got.loss_curve_ == pytest.approx(want.loss_curve_, rel=1e-12)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, ElmanRegressor,
                                       SelfOrganizingMap])
def test_a_model_fitted_on_dask_exports_to_onnx(client, Estimator):
    # fitted models hold NumPy arrays: they convert as any other
    pytest.importorskip("onnxruntime",
                        reason='ONNX export needs the extra: pip install -e ".[onnx]"')
    skl2onnx = pytest.importorskip(
        "skl2onnx", reason='ONNX export needs the extra: pip install -e ".[onnx]"')
    import onnxruntime

    import sknn_math.onnx  # noqa: F401  (registers the converters)

    X, y, _ = make_data(Estimator)
    if Estimator is SelfOrganizingMap:
        est = SelfOrganizingMap(3, 3, max_iter=5, random_state=0).fit(to_dask(X))
        expected = est.transform(X)
    else:
        est = small(Estimator, solver="lbfgs", max_iter=10).fit(to_dask(X),
                                                                 to_dask(y))
        expected = (est.predict_proba(X) if _is_classifier(Estimator)
                    else est.predict(X).reshape(-1, 1))
    onx = skl2onnx.to_onnx(est, X[:1].astype(np.float32),
                           options={"zipmap": False} if _is_classifier(Estimator)
                           else None)
    session = onnxruntime.InferenceSession(onx.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name:
                                 X.astype(np.float32)})
    # (label, probabilities) or (label, distances); a regressor's values alone
    got = outputs[-1]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
