"""Input validation shared by every estimator.

All private scikit-learn helpers the package relies on are reached from this module
only, so a change in scikit-learn's internals is mended in one place.
"""

import inspect
import numbers

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "Interval",
    "Options",
    "StrOptions",
    "check_finite_result",
    "check_sample_weight",
    "fit_context",
    "get_chunk_n_rows",
    "normalize_sample_weight",
    "reject_non_numeric",
]

fit_context = _fit_context

# scikit-learn >= 1.9 refuses all-zero weights itself, with a message that cannot
# name the argument (``sample_weight_val``); the check below does it by name.
_ZERO_WEIGHTS_OPTION = (
    {"allow_all_zero_weights": True}
    if "allow_all_zero_weights" in inspect.signature(_check_sample_weight).parameters
    else {}
)


def reject_non_numeric(X, name="X"):
    """Raise a ``ValueError`` naming the cure for complex input.

    scikit-learn's validation refuses complex numbers with a message about
    conversion only; strings and objects get its own clear messages.
    """
    dtype = getattr(X, "dtype", None)
    if dtype is None:
        return
    try:
        complex_data = np.issubdtype(dtype, np.complexfloating)
    except TypeError:  # another library's dtype (array API dispatch)
        complex_data = getattr(dtype, "is_complex", False) or "complex" in str(dtype)
    if complex_data:
        raise ValueError(
            f"Complex data not supported in {name}; pass the real and imaginary "
            "parts as separate real-valued features."
        )


def check_sample_weight(sample_weight, X, dtype, name="sample_weight"):
    """Validated, non-negative sample weights with a positive sum, as ``dtype``.

    Returns None when ``sample_weight`` is None, so the unweighted path keeps its
    cheaper arithmetic. ``name`` is the argument the messages name.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(X.shape[0], sample_weight, dtype=dtype)
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=dtype, ensure_non_negative=True,
        **_ZERO_WEIGHTS_OPTION,
    )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError(f"{name} contains NaN or infinity; pass finite weights.")
    if not np.any(sample_weight > 0):
        raise ValueError(
            f"{name} sums to zero; at least one sample needs a positive weight."
        )
    return sample_weight


def normalize_sample_weight(sample_weight, dtype, what="sample_weight"):
    """Weights divided by their maximum, as ``dtype``, and that maximum.

    The losses and scores are weighted means, unchanged by a common factor of
    the weights; dividing by the largest one keeps every sum of weights between
    the largest weight's share (1) and the number of samples, so that weights
    such as 1e36 in float32 (whose sum overflows) or 1e-300 (whose sum
    underflows) train the model the same as weights of 1. Returns a new array,
    never the caller's, and ``(None, 1.0)`` for None. Weights that are all zero
    (``what`` names them in the message) are a ``ValueError``.
    """
    if sample_weight is None:
        return None, 1.0
    scale = float(np.max(sample_weight)) if sample_weight.size else 0.0
    if not scale > 0:
        raise ValueError(
            f"{what} is zero for every sample, so there is nothing to learn from "
            "(or to score); give at least one sample a positive weight."
        )
    normalized = np.divide(sample_weight, scale, dtype=np.float64)
    return normalized.astype(dtype, copy=False), scale


def check_finite_result(value, what, cure):
    """Raise a ``ValueError`` naming ``what`` and ``cure`` if ``value`` is not
    finite."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} is not finite (NaN or infinity). {cure}")
