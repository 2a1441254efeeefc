"""Input validation shared by every estimator.

All private scikit-learn helpers the package relies on are reached from this module
only, so a change in scikit-learn's internals is mended in one place.
"""

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
    "reject_non_numeric",
]

fit_context = _fit_context


def reject_non_numeric(X, name="X"):
    """Raise a ``ValueError`` naming the cure for complex input.

    scikit-learn's validation refuses complex numbers with a message about
    conversion only; strings and objects get its own clear messages.
    """
    dtype = getattr(X, "dtype", None)
    if dtype is None:
        return
    if np.issubdtype(dtype, np.complexfloating):
        raise ValueError(
            f"Complex data not supported in {name}; pass the real and imaginary "
            "parts as separate real-valued features."
        )


def check_sample_weight(sample_weight, X, dtype):
    """Validated, non-negative sample weights with a positive sum, as ``dtype``.

    Returns None when ``sample_weight`` is None, so the unweighted path keeps its
    cheaper arithmetic.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(X.shape[0], sample_weight, dtype=dtype)
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=dtype, ensure_non_negative=True
    )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight contains NaN or infinity; pass finite weights.")
    if not sample_weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to zero; at least one sample needs a positive weight."
        )
    return sample_weight


def check_finite_result(value, what, cure):
    """Raise a ``ValueError`` naming ``what`` and ``cure`` if ``value`` is not
    finite."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} is not finite (NaN or infinity). {cure}")
