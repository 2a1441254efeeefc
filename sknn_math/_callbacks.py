"""scikit-learn's fit callbacks (``sklearn.callback``, scikit-learn ≥ 1.9).

Every estimator takes ``set_callbacks(...)`` — scikit-learn's ``ProgressBar``,
``ScoringMonitor`` or any ``FitCallback`` — and reports one task per ``fit``
with one subtask per epoch (per L-BFGS iteration). Callbacks set on a
``GridSearchCV`` or a ``Pipeline`` reach the estimators inside as they reach
scikit-learn's own, because the root task comes from scikit-learn's
``_init_callback_context``, and ``fit_context`` (scikit-learn's ``_fit_context``)
tears the callbacks down after every fit.

With an older scikit-learn, :class:`CallbackSupportMixin` adds nothing (no
``set_callbacks``) and a :class:`FitTask` does nothing.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Callbacks need scikit-learn 1.9: before it, nothing to add."""


class FitTask:
    """The callbacks' view of one ``fit``: the root task, begun on creation, and
    one subtask per iteration.

    ``X``, ``y`` and the sample weights are what the hooks receive (a
    ``ScoringMonitor`` scores on them). Where scikit-learn has no callbacks every
    method does nothing.
    """

    def __init__(self, estimator, max_subtasks, X, y, sample_weight=None):
        self._estimator = estimator
        self._data = {"X": X, "y": y, "metadata": (
            None if sample_weight is None else {"sample_weight": sample_weight})}
        self._root = None
        if hasattr(estimator, "_init_callback_context"):
            self._root = estimator._init_callback_context(max_subtasks=max_subtasks)
            self._root.call_on_fit_task_begin(estimator=estimator, **self._data)

    def begin_iteration(self, name):
        """Begin the next iteration's subtask; returns it (None without callbacks)."""
        if self._root is None:
            return None
        return self._root.subcontext(task_name=name).call_on_fit_task_begin(
            estimator=self._estimator, **self._data)

    def end_iteration(self, iteration, fitted_attributes):
        """End ``iteration``; True when a callback asks to stop.

        ``fitted_attributes`` is a function returning the fitted attributes that
        make a copy of the estimator answer as the model stands now; it is called
        only if a callback wants that copy.
        """
        if iteration is None:
            return False
        return iteration.call_on_fit_task_end(
            estimator=self._estimator, reconstruction_attributes=fitted_attributes,
            **self._data)

    def abandon_iteration(self, iteration):
        """End an iteration that did not run (L-BFGS stopped before it)."""
        if iteration is not None:
            iteration.call_on_fit_task_end(estimator=self._estimator)

    def end(self):
        """End the fit's task; the estimator is fitted."""
        if self._root is not None:
            self._root.call_on_fit_task_end(
                estimator=self._estimator, reconstruction_attributes={}, **self._data)
