"""Every estimator under abuse: bad input, odd layouts, extremes, persistence,
reproducibility and concurrency.

Bad input must raise a ``ValueError``/``TypeError`` whose message names the
problem, and must leave the caller's arrays byte for byte as they were.
"""

import copy
import io
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import sknn_math

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N, D = 36, 6
RNG = np.random.RandomState(0)
X_TRAIN = RNG.normal(size=(N, D))
Y_CLASS = np.arange(N) % 3
Y_REG = np.column_stack([X_TRAIN[:, 0] + X_TRAIN[:, 1], X_TRAIN[:, 2]])


class Spec:
    """How to build, train and query one estimator in these tests."""

    def __init__(self, name, make, kind, methods, accepts_sparse=False):
        self.name, self.make, self.kind = name, make, kind
        self.methods, self.accepts_sparse = methods, accepts_sparse

    @property
    def y(self):
        return {"classifier": Y_CLASS, "regressor": Y_REG, "cluster": None}[self.kind]

    def outputs(self, est, X):
        """The estimator's real-valued outputs on ``X``, the ones its labels (if
        any) are read from: these can be compared within a tolerance, where a
        label would flip on a near-tie."""
        method = {"classifier": "predict_proba", "regressor": "predict",
                  "cluster": "transform"}[self.kind]
        return np.asarray(getattr(est, method)(X))

    def rows_clear_of_ties(self, outputs, gap):
        """Rows whose two best classes or units are more than ``gap`` apart in
        ``outputs``: only there must two computations agree on the label."""
        best_two = np.sort(outputs, axis=1)
        best_two = best_two[:, :2] if self.kind == "cluster" else best_two[:, -2:]
        return np.abs(best_two[:, 1] - best_two[:, 0]) > gap

    def fit(self, X=X_TRAIN, y="default", **kwargs):
        y = self.y if isinstance(y, str) else y
        return self.make().fit(X, y, **kwargs)

    def __repr__(self):
        return self.name


def _targets_like(X, y_full):
    """Targets with one row per row of X, whatever X is."""
    n = X.shape[0] if hasattr(X, "shape") and X.ndim else len(X)
    return np.resize(y_full, (n,) + y_full.shape[1:])


def _supervised_methods(classifier):
    y_full = Y_CLASS if classifier else Y_REG
    methods = {
        "predict": lambda est, X: est.predict(X),
        "score": lambda est, X: est.score(X, _targets_like(X, y_full)),
    }
    if classifier:
        methods["predict_proba"] = lambda est, X: est.predict_proba(X)
        methods["predict_log_proba"] = lambda est, X: est.predict_log_proba(X)
    return methods


def _specs():
    specs = [
        Spec("SigmoidMLPClassifier",
             lambda: sknn_math.SigmoidMLPClassifier((4,), max_iter=3, random_state=0),
             "classifier", _supervised_methods(True), accepts_sparse=True),
        Spec("SigmoidMLPRegressor",
             lambda: sknn_math.SigmoidMLPRegressor((4,), max_iter=3, random_state=0),
             "regressor", _supervised_methods(False), accepts_sparse=True),
    ]
    regressor_methods = _supervised_methods(False)
    regressor_methods["forecast"] = lambda est, X: est.forecast(X, 3)
    specs += [
        Spec("ElmanClassifier",
             lambda: sknn_math.ElmanClassifier(hidden_size=4, n_features_per_step=2,
                                               max_iter=3, random_state=0),
             "classifier", _supervised_methods(True)),
        Spec("ElmanRegressor",
             lambda: sknn_math.ElmanRegressor(hidden_size=4, n_features_per_step=2,
                                              max_iter=3, random_state=0),
             "regressor", regressor_methods),
        Spec("SelfOrganizingMap",
             lambda: sknn_math.SelfOrganizingMap(n_rows=3, n_cols=3, max_iter=2,
                                                 random_state=0),
             "cluster", {
                 "predict": lambda est, X: est.predict(X),
                 "transform": lambda est, X: est.transform(X),
                 "score": lambda est, X: est.score(X),
                 "quantization_error": lambda est, X: est.quantization_error(X),
                 "topographic_error": lambda est, X: est.topographic_error(X),
                 "grid_coordinates": lambda est, X: est.grid_coordinates(X),
             }),
    ]
    return specs


SPECS = _specs()
SPEC_IDS = [s.name for s in SPECS]


def _fit_methods(spec):
    """Every method that trains, as callables (estimator, X, y, **kwargs)."""
    methods = {"fit": lambda est, X, y, **kw: est.fit(X, y, **kw)}
    if spec.kind == "classifier":
        methods["partial_fit"] = lambda est, X, y, **kw: est.partial_fit(
            X, y, classes=[0, 1, 2], **kw)
    else:
        methods["partial_fit"] = lambda est, X, y, **kw: est.partial_fit(X, y, **kw)
    if spec.kind == "cluster":
        methods["fit_predict"] = lambda est, X, y, **kw: est.fit_predict(X, y, **kw)
        methods["fit_transform"] = lambda est, X, y, **kw: est.fit_transform(X, y,
                                                                             **kw)
    return methods


def _with(X, row, col, value):
    X = X.astype(float)
    X[row, col] = value
    return X


# name -> (bad X built from a good one, message pattern)
BAD_X = {
    "nan": (lambda X: _with(X, 2, 1, np.nan), "NaN"),
    "inf": (lambda X: _with(X, 0, 0, np.inf), "infinity"),
    "-inf": (lambda X: _with(X, 1, 3, -np.inf), "infinity"),
    "empty": (lambda X: X[:0], "0 sample"),
    "1-D": (lambda X: X[:, 0], "1D|2D"),
    "4-D": (lambda X: X.reshape(len(X), 1, 2, -1), "4|dimension|2D|3D"),
    "strings": (lambda X: X.astype(str).astype(object) + "x", "string|convert|dtype"),
    "complex": (lambda X: X + 1j, "[Cc]omplex"),
    "ragged": (lambda X: [list(row) for row in X[:3]] + [list(X[3, :-1])],
               "inhomogeneous|sequence|ragged|setting an array"),
}

WRONG_WIDTH = (lambda X: np.hstack([X, X]), "features|columns|expecting|expected")


def _bad_X(spec, bad):
    """How to spoil X, and the error it must give. The map takes NaN as a missing
    value (an Elman net as padding, in whole leading steps only), so for it the
    NaN case is a row with nothing observed."""
    if bad == "nan" and spec.kind == "cluster":
        def all_nan_row(X):
            X[2] = np.nan
            return X
        return all_nan_row, "NaN"
    return WRONG_WIDTH if bad == "wrong-width" else BAD_X[bad]


def _assert_unchanged(before, after):
    if isinstance(before, np.ndarray):
        assert before.dtype == after.dtype and before.shape == after.shape
        assert before.tobytes() == after.tobytes()
    else:
        assert before == after


def _call_and_check(call, X, y, match, **kwargs):
    X_before, y_before = copy.deepcopy(X), copy.deepcopy(y)
    with pytest.raises((ValueError, TypeError), match=match):
        call(X, y, **kwargs)
    _assert_unchanged(X_before, X)
    _assert_unchanged(y_before, y)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
@pytest.mark.parametrize("bad", sorted(BAD_X))
def test_bad_X_in_every_training_method(spec, bad):
    make_bad, match = _bad_X(spec, bad)
    X_bad = make_bad(X_TRAIN.copy())
    for method in _fit_methods(spec).values():
        n = len(X_bad) if hasattr(X_bad, "__len__") else N
        y = None if spec.y is None else spec.y[:n].copy()
        _call_and_check(lambda X, y, m=method: m(spec.make(), X, y), X_bad, y, match)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
@pytest.mark.parametrize("bad", sorted(BAD_X) + ["wrong-width"])
def test_bad_X_in_every_fitted_method(spec, bad):
    make_bad, match = _bad_X(spec, bad)
    est = spec.fit()
    X_bad = make_bad(X_TRAIN[:8].copy())
    for method in spec.methods.values():
        _call_and_check(lambda X, y, m=method: m(est, X), X_bad, None, match)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.kind != "cluster"],
                         ids=[s.name for s in SPECS if s.kind != "cluster"])
def test_bad_y(spec):
    for method in _fit_methods(spec).values():
        def fit(X, y, m=method):
            return m(spec.make(), X, y)

        _call_and_check(fit, X_TRAIN.copy(), spec.y[:-3].copy(),
                        "inconsistent numbers of samples")
        y_nan = spec.y.astype(float)
        y_nan[3] = np.nan
        _call_and_check(fit, X_TRAIN.copy(), y_nan, "NaN|infinity")
    if spec.kind == "classifier":
        _call_and_check(lambda X, y: spec.make().fit(X, y), X_TRAIN.copy(),
                        np.zeros(N, dtype=int), "class")
        est = spec.make()
        est.partial_fit(X_TRAIN, Y_CLASS, classes=[0, 1, 2])
        _call_and_check(lambda X, y: est.partial_fit(X, y), X_TRAIN.copy(),
                        Y_CLASS + 1, r"not in classes_")
        _call_and_check(lambda X, y: spec.make().partial_fit(X, y), X_TRAIN.copy(),
                        Y_CLASS.copy(), "classes must be passed")


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
@pytest.mark.parametrize("weights, match", [
    (-np.ones(N), "(?i)negative"),
    (np.zeros(N), "non-zero|sums to zero"),
    (np.ones(N - 1), "sample_weight|shape|samples"),
    (np.full(N, np.nan), "NaN|infinity|finite"),
], ids=["negative", "all-zero", "wrong-length", "nan"])
def test_bad_sample_weight(spec, weights, match):
    for method in _fit_methods(spec).values():
        y = None if spec.y is None else spec.y.copy()
        _call_and_check(lambda X, y, m=method: m(spec.make(), X, y,
                                                 sample_weight=weights.copy()),
                        X_TRAIN.copy(), y, match)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_invalid_hyperparameters(spec):
    est = spec.make()
    for param in ("max_iter", "random_state"):
        bad = clone(est).set_params(**{param: "not-a-valid-value"})
        with pytest.raises(ValueError, match=param):
            bad.fit(X_TRAIN, spec.y)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_unfitted_use_raises_not_fitted(spec):
    from sklearn.exceptions import NotFittedError

    for method in spec.methods.values():
        with pytest.raises(NotFittedError):
            method(spec.make(), X_TRAIN)


# ----------------------------------------------------------------------------
# Layouts that must work
def _layouts(spec):
    X = X_TRAIN
    readonly = X.copy()
    readonly.setflags(write=False)
    layouts = {
        "fortran": np.asfortranarray(X),
        "non-contiguous": np.repeat(X, 2, axis=1)[:, ::2],
        "read-only": readonly,
        "float32": X.astype(np.float32),
        "int": np.round(X * 10).astype(np.int64),
        "list": X.tolist(),
    }
    if spec.accepts_sparse:
        layouts["csr"] = sp.csr_matrix(X)
        layouts["csc"] = sp.csc_matrix(X)
    return layouts


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_odd_layouts_train_and_predict(spec, tmp_path):
    reference = spec.fit()
    layouts = _layouts(spec)
    path = tmp_path / "X.npy"
    np.save(path, X_TRAIN)
    layouts["memmap"] = np.load(path, mmap_mode="r")
    for name, X in layouts.items():
        est = spec.fit(X)
        for method in spec.methods.values():
            result = method(est, X)
            assert np.all(np.isfinite(np.asarray(result, dtype=float))), name
        if name in ("fortran", "non-contiguous", "read-only", "memmap", "list",
                    "csr", "csc"):
            # the same float64 numbers in another layout: the same model up to the
            # rounding of differently laid-out products, grown over a few epochs
            np.testing.assert_allclose(spec.outputs(est, X_TRAIN),
                                       spec.outputs(reference, X_TRAIN),
                                       rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_pandas_input_keeps_feature_names(spec):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_TRAIN, columns=[f"f{i}" for i in range(D)])
    est = spec.fit(frame)
    np.testing.assert_array_equal(est.feature_names_in_, frame.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # e.g. "X has feature names…"
        from_frame = spec.outputs(est, frame)
    np.testing.assert_allclose(from_frame, spec.outputs(spec.fit(), X_TRAIN),
                               rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------
# Numerical extremes
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_extreme_scales_train(spec, scale):
    # Tiny inputs only shrink the first layer's products, and huge ones saturate
    # bounded units (or, for the map, make distances large but finite): neither is a
    # reason to stop, so every estimator trains and answers in finite numbers.
    X = X_TRAIN * scale
    est = spec.fit(X)
    for method in spec.methods.values():
        assert np.all(np.isfinite(np.asarray(method(est, X), dtype=float)))
    _assert_finite_model(est)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_constant_features(spec):
    X = X_TRAIN.copy()
    X[:, 1] = 3.0
    X[:, 4] = 0.0
    est = spec.fit(X)
    _assert_finite_model(est)
    for method in spec.methods.values():
        assert np.all(np.isfinite(np.asarray(method(est, X), dtype=float)))


def test_saturated_sigmoids_stay_finite():
    X = X_TRAIN * 1e4
    clf = sknn_math.SigmoidMLPClassifier((5,), solver="sgd", learning_rate_init=1.0,
                                         max_iter=20, random_state=0).fit(X, Y_CLASS)
    _assert_finite_model(clf)
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def _assert_finite_model(est):
    for name, value in vars(est).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        for array in value if isinstance(value, list) else [value]:
            if isinstance(array, np.ndarray) and array.dtype.kind == "f":
                assert np.all(np.isfinite(array)), name


# ----------------------------------------------------------------------------
# Persistence, reproducibility, concurrency
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_pickle_and_joblib_round_trips_are_bit_identical(spec):
    est = spec.fit()
    expected = {name: np.asarray(m(est, X_TRAIN)) for name, m in spec.methods.items()}
    restored = [pickle.loads(pickle.dumps(est))]
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    restored.append(joblib.load(buffer))
    for other in restored:
        for name, method in spec.methods.items():
            assert np.asarray(method(other, X_TRAIN)).tobytes() == \
                expected[name].tobytes(), name


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_skops_loads_with_the_library_types_trusted(spec):
    sio = pytest.importorskip("skops.io")
    est = spec.fit()
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.startswith(("sknn_math.", "numpy.", "sklearn.", "builtins."))
               for t in untrusted), untrusted
    restored = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(restored.predict(X_TRAIN), est.predict(X_TRAIN))


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_same_seed_same_bits_across_runs(spec):
    a, b = spec.fit(), spec.fit()
    assert pickle.dumps(_learned_state(a)) == pickle.dumps(_learned_state(b))


def _learned_state(est):
    return {k: v for k, v in vars(est).items()
            if k.endswith("_") and not k.startswith("_") and k != "n_iter_"
            and not callable(v)}


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_grid_search_is_identical_across_n_jobs(spec):
    # Bit for bit: each worker process repeats the very same computation as the
    # serial search: same seeds, same data, products this small on one BLAS thread
    # and chunks that do not depend on the number of threads.
    grid = {"sigma_end": [0.5, 1.0]} if spec.kind == "cluster" else {
        "alpha": [1e-4, 1e-2]}
    serial = GridSearchCV(spec.make(), grid, cv=2, n_jobs=1).fit(X_TRAIN, spec.y)
    parallel = GridSearchCV(spec.make(), grid, cv=2, n_jobs=2).fit(X_TRAIN, spec.y)
    np.testing.assert_array_equal(serial.cv_results_["mean_test_score"],
                                  parallel.cv_results_["mean_test_score"])
    assert serial.best_estimator_.predict(X_TRAIN).tobytes() == \
        parallel.best_estimator_.predict(X_TRAIN).tobytes()


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_concurrent_predictions_equal_serial_ones(spec):
    est = spec.fit()
    batches = [RNG.normal(size=(50, D)) for _ in range(16)]

    def query(X):
        return spec.outputs(est, X), np.asarray(est.predict(X))

    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(query, batches))
    # A race on shared state would garble whole rows. Rounding is all that may
    # differ: the threads' BLAS calls need not be threaded like the serial ones.
    tol = 64 * np.finfo(X_TRAIN.dtype).eps
    for X, (outputs, labels) in zip(batches, threaded, strict=True):
        serial_outputs, serial_labels = query(X)
        np.testing.assert_allclose(outputs, serial_outputs, rtol=tol, atol=tol)
        if spec.kind != "regressor":
            clear = spec.rows_clear_of_ties(serial_outputs, 1e-9)
            assert clear.mean() > 0.9
            np.testing.assert_array_equal(labels[clear], serial_labels[clear])


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_very_long_sequences_train(activation):
    # Bounded units keep every state finite; ReLU states are unbounded, but from
    # these initial weights they stay finite over the 1000 steps.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(16, 1000))  # 16 sequences of T = 1000 steps
    y = X[:, -5:].sum(axis=1)
    reg = sknn_math.ElmanRegressor(hidden_size=8, activation=activation, max_iter=3,
                                   random_state=0).fit(X, y)
    _assert_finite_model(reg)
    assert np.all(np.isfinite(reg.predict(X)))
    assert np.all(np.isfinite(reg.forecast(X, 3)))
