"""scikit-learn's own MLP test suite, run against our estimators.

The installed scikit-learn's ``sklearn/neural_network/tests/test_mlp.py`` is read at
test time (nothing of it is copied into this project), its import of
``MLPClassifier``/``MLPRegressor`` is removed from the syntax tree, and the module is
executed with those two names bound to our estimators. Its ``test_*`` functions, with
their ``parametrize``/``filterwarnings`` marks, are re-exported here, so pytest
collects them as tests of this module; ``global_random_seed``, the one fixture they
take from scikit-learn's conftest, is defined below the same way scikit-learn does.

The names are bound to thin subclasses whose only change is scikit-learn's default
``activation="relu"`` (ours is ``"logistic"``: a documented, deliberate difference).
scikit-learn's tests calibrate their thresholds (scores, tolerances, iteration
counts) for its own defaults, so with the subclasses every test exercises the same
configuration as in scikit-learn, and a failure is a difference in behaviour, not
in the default. Tests that name an activation are unaffected by the choice.

``DELIBERATE`` lists the tests expected to fail, each with its reason; they are
marked ``xfail(strict=True)``, so one that starts passing is noticed. Every other
test must pass.
"""

import ast
import importlib.util
import inspect
import os
import types
from pathlib import Path

import pytest

from sknn_math import SigmoidMLPClassifier, SigmoidMLPRegressor

_SUITE = "sklearn.neural_network.tests.test_mlp"


def _find_suite():
    try:
        spec = importlib.util.find_spec(_SUITE)
    except ModuleNotFoundError:  # sklearn.neural_network.tests is not installed
        spec = None
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        pytest.skip(
            f"the installed scikit-learn does not ship its tests ({_SUITE})",
            allow_module_level=True,
        )
    return Path(spec.origin)


def _with_sklearn_defaults(base):
    """``base`` with scikit-learn's default ``activation="relu"``, nothing else."""
    signature = inspect.signature(base.__init__)
    signature = signature.replace(parameters=[
        p.replace(default="relu") if p.name == "activation" else p
        for p in signature.parameters.values()
    ])

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        base.__init__(*bound.args, **bound.kwargs)

    # scikit-learn reads the parameters (get_params, clone) from this signature.
    __init__.__signature__ = signature
    name = base.__name__.replace("Sigmoid", "")  # MLPClassifier, MLPRegressor
    cls = type(name, (base,), {"__init__": __init__, "__module__": __name__,
                               "__doc__": f"{base.__name__} with activation='relu'."})
    __init__.__qualname__ = f"{name}.__init__"
    return cls


MLPClassifier = _with_sklearn_defaults(SigmoidMLPClassifier)
MLPRegressor = _with_sklearn_defaults(SigmoidMLPRegressor)
_OURS = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}


class _BindOurs(ast.NodeTransformer):
    """Drops ``MLPClassifier``/``MLPRegressor`` from sklearn.neural_network imports."""

    def __init__(self):
        self.dropped = set()

    def visit_ImportFrom(self, node):
        if not (node.module or "").startswith("sklearn.neural_network"):
            return node
        kept = [a for a in node.names if (a.asname or a.name) not in _OURS]
        self.dropped |= {a.asname or a.name for a in node.names if a not in kept}
        if kept:
            node.names = kept
            return node
        return ast.copy_location(ast.Pass(), node)  # line numbers stay the same


def _load_suite(path):
    """scikit-learn's test module, executed with ``_OURS`` in place of its MLPs."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rewrite = _BindOurs()
    tree = ast.fix_missing_locations(rewrite.visit(tree))
    if rewrite.dropped != set(_OURS):
        raise RuntimeError(
            f"{path}: expected an import of {sorted(_OURS)} from "
            f"sklearn.neural_network, found {sorted(rewrite.dropped)}; its layout "
            "changed"
        )
    module = types.ModuleType(f"{__name__}_sklearn_test_mlp")
    module.__file__ = str(path)
    module.__dict__.update(_OURS)
    exec(compile(tree, str(path), "exec"), module.__dict__)
    return module


# Tests expected to fail against our estimators, by test name (every parametrization)
# or by one parametrization's pytest name, "test_x[id]", -> the one-line reason.
DELIBERATE = {
    # (a) scikit-learn's private internals
    "test_gradient": (
        "calls scikit-learn's private MLP._loss_grad_lbfgs; our gradients are "
        "checked against finite differences in tests/test_mlp.py"
    ),
    # (b) where we deliberately do what scikit-learn refuses, or refuse what it does
    "test_mlp_partial_fit_after_fit": (
        "scikit-learn refuses partial_fit with early_stopping=True; ours runs the "
        "epoch on the given batch (early stopping belongs to fit)"
    ),
    "test_preserve_feature_names[MLPClassifier]": (
        "its y has a single class, which ours refuses with a clear error (allowed by "
        "check_classifiers_one_label); scikit-learn fits a constant model"
    ),
    # (c) other deliberate differences
    "test_mlp_diverging_loss": (
        "on divergence under early stopping ours stops, restores the best-validation "
        "weights and warns, rather than recording a NaN validation score"
    ),
    "test_early_stopping_stratified": (
        "matches scikit-learn's private label encoding in the message (class 1 shown "
        "as 'True'); ours raises the same train_test_split error, wrapped with a hint"
    ),
}


@pytest.fixture(autouse=True)
def _deliberate_difference(request):
    """Marks the tests of ``DELIBERATE`` ``xfail(strict=True)``."""
    node = request.node
    reason = DELIBERATE.get(node.name) or DELIBERATE.get(node.originalname)
    if reason:
        node.add_marker(pytest.mark.xfail(strict=True, reason=reason))


def _global_random_seeds():
    """As scikit-learn's conftest reads SKLEARN_TESTS_GLOBAL_RANDOM_SEED: unset
    gives 42; "all" 0 to 99; "N" or "N-M" those seeds."""
    seeds = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")
    if seeds == "all":
        return list(range(100))
    first, _, last = seeds.partition("-")
    return list(range(int(first), int(last or first) + 1))


@pytest.fixture(params=_global_random_seeds())
def global_random_seed(request):
    """scikit-learn's fixture of the same name."""
    return request.param


_suite = _load_suite(_find_suite())
_tests = {name: obj for name, obj in vars(_suite).items()
          if name.startswith("test_") and callable(obj)}
if hasattr(_suite, "pytestmark"):  # marks of the whole module, should it get any
    pytestmark = _suite.pytestmark
_unknown = {key for key in DELIBERATE if key.partition("[")[0] not in _tests}
if _unknown:
    raise RuntimeError(f"DELIBERATE names tests scikit-learn's suite lacks: {_unknown}")
globals().update(_tests)
