"""The estimators' Parameters sections: complete, with the signature's defaults,
and word for word the same wherever sibling estimators share a parameter.

The four networks share one training loop, so a parameter they share means the
same thing in each and is documented the same way; near-identical sibling
docstrings drift apart otherwise. The self-organizing map shares some names
(``max_iter``, ``shuffle``, ``random_state``, ``verbose``) but not their meaning,
so it is checked for completeness only.
"""

import ast
import inspect
import re

import pytest
from numpydoc.docscrape import ClassDoc

import sknn_math

NETWORKS = {
    sknn_math.SigmoidMLPClassifier: ("MLP", "classifier"),
    sknn_math.SigmoidMLPRegressor: ("MLP", "regressor"),
    sknn_math.ElmanClassifier: ("Elman", "classifier"),
    sknn_math.ElmanRegressor: ("Elman", "regressor"),
}
ESTIMATORS = [*NETWORKS, sknn_math.SelfOrganizingMap]

# Shared parameters whose meaning legitimately differs between networks or between
# tasks, so that their entries are compared only among estimators of the same
# network (or the same task). Keep this list short; every entry says why.
# (The MLP's hidden_layer_sizes and the Elman net's hidden_size differ in name,
# so they are never compared.)
MAY_DIFFER_BY = {
    "activation": ("network", "the MLP's units default to logistic and include "
                              "identity; the Elman net's default to tanh"),
    "learning_rate_init": ("network", "the Elman net starts from a larger step"),
    "alpha": ("network", "the Elman net's default penalty is far stronger (a sweep "
                         "over recurrent tasks chose it)"),
    "max_grad_norm": ("network", "the Elman net clips by default, against BPTT's "
                                 "exploding gradients; the MLP does not"),
    "loss": ("estimator", "classifiers offer log_loss, the MLP regressor poisson "
                          "too, the Elman regressor squared_error only"),
    "early_stopping": ("estimator", "the validation score is accuracy for "
                                    "classifiers, R² for regressors, and the Elman "
                                    "net holds out the last rows (time order)"),
    "validation_fraction": ("network", "the Elman net holds out the last rows "
                                       "(time order), the MLP a random split"),
    "random_state": ("network", "the Elman net's validation split (the last rows) "
                                "draws no random numbers"),
}

# An Elman net's sample is a sequence, and its docstrings say so; that wording is
# the one difference allowed everywhere.
SEQUENCE_WORDS = [(r"\bn_sequences\b", "n_samples"), (r"\bsequences\b", "samples"),
                  (r"\bsequence\b", "sample")]


def _parameters(cls):
    """{name: (type line, description)} from the class docstring, whitespace
    normalised."""
    doc = ClassDoc(cls, config={"show_class_members": False})
    return {
        p.name: (" ".join(p.type.split()), " ".join(" ".join(p.desc).split()))
        for p in doc["Parameters"]
    }


def _as_network_sibling(text):
    for pattern, replacement in SEQUENCE_WORDS:
        text = re.sub(pattern, replacement, text)
    return text


def _signature_defaults(cls):
    parameters = inspect.signature(cls.__init__).parameters
    return {name: p.default for name, p in parameters.items() if name != "self"}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_parameter_is_documented_with_its_default(cls):
    documented = _parameters(cls)
    defaults = _signature_defaults(cls)
    assert set(documented) == set(defaults), (
        f"undocumented: {sorted(set(defaults) - set(documented))}; "
        f"documented but not in __init__: {sorted(set(documented) - set(defaults))}")
    wrong = []
    for name, default in defaults.items():
        type_line = documented[name][0]
        match = re.search(r",\s*default=(.+)$", type_line)
        if match is None:
            hint = (" (a backslash continuation stays in the text of a raw r\"\"\" "
                    "docstring)" if type_line.endswith("\\") else "")
            wrong.append(f"{name}: no 'default=' in type line {type_line!r}{hint}")
            continue
        try:
            stated = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            stated = match.group(1)
        if type(stated) is not type(default) or stated != default:
            wrong.append(f"{name}: documented default={match.group(1)}, "
                         f"signature default={default!r}")
    assert not wrong, "\n".join(wrong)


def _shared_parameter_names():
    counts = {}
    for cls in NETWORKS:
        for name in _signature_defaults(cls):
            counts[name] = counts.get(name, 0) + 1
    return sorted(name for name, count in counts.items() if count > 1)


def test_the_allowed_differences_are_shared_parameters():
    assert set(MAY_DIFFER_BY) <= set(_shared_parameter_names())
    assert {axis for axis, _ in MAY_DIFFER_BY.values()} <= {"network", "task",
                                                            "estimator"}


@pytest.mark.parametrize("name", _shared_parameter_names())
def test_shared_parameters_are_documented_alike(name):
    """Every pair of networks that share ``name`` documents it word for word alike,
    but for the allowed differences (compared only within a network, a task or
    not at all)."""
    axis = MAY_DIFFER_BY.get(name, (None,))[0]
    groups = {}
    for cls, (network, task) in NETWORKS.items():
        if name in _signature_defaults(cls):
            key = {None: None, "network": network, "task": task,
                   "estimator": cls}[axis]
            groups.setdefault(key, []).append(cls)
    mismatches = []
    for group in groups.values():
        entries = {cls: _parameters(cls).get(name) for cls in group}
        if None in entries.values():
            continue  # reported by test_every_parameter_is_documented_with_its_default
        for part, index in (("type", 0), ("description", 1)):
            variants = {}  # normalised text -> (first text as written, owners)
            for cls, entry in entries.items():
                text, owners = variants.setdefault(_as_network_sibling(entry[index]),
                                                   (entry[index], []))
                owners.append(cls.__name__)
            if len(variants) > 1:
                mismatches.append(f"{part} of {name!r} differs:" + "".join(
                    f"\n  {', '.join(owners)}: {text}"
                    for text, owners in variants.values()))
    assert not mismatches, "\n".join(mismatches)
