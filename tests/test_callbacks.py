"""scikit-learn's fit callbacks (scikit-learn >= 1.9) on all five estimators."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import (
    ElmanClassifier,
    ElmanRegressor,
    SelfOrganizingMap,
    SigmoidMLPClassifier,
    SigmoidMLPRegressor,
)

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X = np.random.RandomState(0).normal(size=(120, 6))
Y_LABELS = (X[:, :3].sum(axis=1) > 0).astype(int)
Y_VALUES = X[:, :3].sum(axis=1)


def _cases():
    """(estimator, y, a scoring for ScoringMonitor) for each estimator."""
    return [
        (SigmoidMLPClassifier((5,), max_iter=4, random_state=0), Y_LABELS,
         "accuracy"),
        (SigmoidMLPClassifier((5,), solver="lbfgs", max_iter=4, random_state=0),
         Y_LABELS, "accuracy"),
        (SigmoidMLPRegressor((5,), max_iter=4, random_state=0), Y_VALUES, "r2"),
        (ElmanClassifier(hidden_size=4, max_iter=4, random_state=0), Y_LABELS,
         "accuracy"),
        (ElmanRegressor(hidden_size=4, max_iter=4, random_state=0), Y_VALUES, "r2"),
        # y only feeds the scorer: a map learns from X alone
        (SelfOrganizingMap(3, 3, max_iter=4, n_clusters=2, random_state=0),
         Y_LABELS, "adjusted_rand_score"),
    ]


class Recorder:
    """An auto-propagated callback that records every task it sees, and can ask
    to stop after ``stop_after`` iterations."""

    max_propagation_depth = None

    def __init__(self, stop_after=None):
        self.tasks = []
        self.stop_after = stop_after

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        self.tasks.append((type(estimator).__name__, context.task_name))
        iterations = sum(name != "fit" for _, name in self.tasks)
        return self.stop_after is not None and iterations >= self.stop_after


def _ids(case):
    est = case[0]
    return type(est).__name__ + ("-lbfgs" if getattr(est, "solver", "") == "lbfgs"
                                 else "")


@pytest.mark.parametrize("case", _cases(), ids=_ids)
def test_scoring_monitor_scores_every_iteration(case):
    est, y, scoring = case
    monitor = callback.ScoringMonitor(scoring=scoring)
    est.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    iterations = [row for row in rows if len(row["task_id_path"]) == 2]
    assert len(iterations) == est.n_iter_
    assert all(np.isfinite(row[scoring]) for row in rows)
    # the last iteration's model is the fitted one
    fitted = [row for row in rows if len(row["task_id_path"]) == 1]
    assert iterations[-1][scoring] == pytest.approx(fitted[0][scoring])


@pytest.mark.parametrize("case", _cases(), ids=_ids)
def test_callbacks_leave_the_model_unchanged(case):
    est, y, _ = case
    plain = est.__class__(**est.get_params()).fit(X, y)
    watched = est.set_callbacks(callback.ProgressBar(), Recorder()).fit(X, y)
    if hasattr(plain, "codebook_"):
        arrays = [(plain.codebook_, watched.codebook_)]
    else:
        arrays = zip(plain.coefs_ + plain.intercepts_,
                     watched.coefs_ + watched.intercepts_, strict=True)
    for a, b in arrays:
        np.testing.assert_array_equal(a, b)  # the very same computation


@pytest.mark.parametrize("case", _cases(), ids=_ids)
def test_a_callback_can_stop_training(case):
    est, y, _ = case
    recorder = Recorder(stop_after=2)
    est.set_callbacks(recorder).fit(X, y)
    assert est.n_iter_ == 2
    assert est.predict(X).shape[0] == X.shape[0]


def test_callbacks_reach_estimators_inside_a_grid_search_and_a_pipeline():
    recorder = Recorder()
    search = GridSearchCV(
        make_pipeline(StandardScaler(), SigmoidMLPClassifier((4,), max_iter=3,
                                                             random_state=0)),
        {"sigmoidmlpclassifier__alpha": [1e-4, 1e-2]}, cv=2,
    )
    search.set_callbacks(recorder).fit(X, Y_LABELS)
    seen = [task for name, task in recorder.tasks if name == "SigmoidMLPClassifier"]
    # 2 settings × 2 folds, and the refit: 5 fits of 3 epochs each
    assert seen.count("epoch") == 5 * 3
