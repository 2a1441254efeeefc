"""Array API dispatch: fitting and predicting on PyTorch, CuPy and other arrays.

With ``sklearn.set_config(array_api_dispatch=True)``, an estimator given arrays of
another namespace than NumPy (a PyTorch tensor on a GPU, a CuPy array) computes in
that namespace, on that device, and keeps its fitted arrays there; NumPy input
takes the tuned NumPy kernels as always. This module holds the plumbing the
estimators share: which namespace a call runs in, moving ``y`` and
``sample_weight`` to ``X``'s namespace and device ("everything follows X"), the
check that ``predict`` gets arrays of the fit's namespace, and moving a fitted
model to NumPy (:meth:`ArrayAPISupportMixin.to_numpy`).

scikit-learn's own array-API helpers are private; they are reached from here
only, so a change in them is mended in one place.
"""

import numpy as np
from sklearn.externals.array_api_compat import array_namespace
from sklearn.utils._array_api import (
    _convert_to_numpy,
    _is_numpy_namespace,
    check_same_namespace,
    get_namespace_and_device,
    move_to,
)

__all__ = [
    "ArrayAPISupportMixin",
    "Namespace",
    "check_fit_namespace",
    "fitted_arrays_to",
    "float_dtypes",
    "follow_X",
    "namespace_of",
    "to_numpy_array",
]


class Namespace:
    """The namespace ``xp`` and ``device`` a call computes in.

    ``is_numpy`` is True for NumPy input (or dispatch off): the NumPy kernels run.
    """

    __slots__ = ("xp", "device", "is_numpy")

    def __init__(self, xp, device, is_numpy):
        self.xp, self.device, self.is_numpy = xp, device, is_numpy

    def asarray(self, array, dtype=None):
        """``array`` (NumPy or this namespace) in this namespace and device."""
        if self.is_numpy:
            return np.asarray(array, dtype=dtype)
        if not isinstance(array, np.ndarray) and not np.isscalar(array):
            array = move_to(array, xp=self.xp, device=self.device)
            return array if dtype is None else self.xp.astype(array, dtype)
        return self.xp.asarray(np.asarray(array), dtype=dtype, device=self.device)

    def to_numpy(self, array):
        """``array`` as a NumPy array on the host."""
        return to_numpy_array(array)


def namespace_of(X):
    """The :class:`Namespace` of ``X`` under the current configuration.

    Array-likes, sparse matrices and dataframes, and anything with dispatch off,
    are the NumPy namespace.
    """
    xp, is_array_api, device = get_namespace_and_device(X)
    numpy_like = not is_array_api or _is_numpy_namespace(xp)
    return Namespace(np if numpy_like else xp, None if numpy_like else device,
                     numpy_like)


def follow_X(namespace, *arrays):
    """``arrays`` (``y``, ``sample_weight``; None passes) moved to ``X``'s
    namespace and device, as scikit-learn's estimators move them.

    Labels (``y`` of a classifier) are wanted on the host: pass ``namespace`` None
    to bring any array to NumPy.
    """
    moved = []
    for array in arrays:
        if array is None or isinstance(array, (list, tuple)) or np.isscalar(array):
            moved.append(array)
        elif namespace is None or namespace.is_numpy:
            moved.append(to_numpy_array(array) if _has_namespace(array) else array)
        else:
            moved.append(move_to(array, xp=namespace.xp, device=namespace.device))
    return moved[0] if len(moved) == 1 else moved


def _has_namespace(array):
    """Whether ``array`` is an array of a namespace other than NumPy (a tensor
    exposes DLPack, as scikit-learn recognises arrays)."""
    return hasattr(array, "__dlpack__") and not isinstance(
        array, (np.ndarray, np.generic))


def to_numpy_array(array):
    """Any array (NumPy, PyTorch on any device, CuPy, array-api-strict) as a
    NumPy array on the host."""
    if not _has_namespace(array):
        return np.asarray(array)
    return _convert_to_numpy(array, array_namespace(array))


def check_fit_namespace(X, estimator, *, attribute, method):
    """A clear ``ValueError`` when ``X`` is not in the namespace and device of
    the fitted ``attribute`` (scikit-learn's rule for ``predict`` and friends)."""
    check_same_namespace(X, estimator, attribute=attribute, method=method)


def fitted_arrays_to(estimator, namespace):
    """Move the fitted arrays of ``estimator`` (array attributes, and arrays in
    list attributes) to ``namespace``, in place; None moves them to NumPy.

    The fit computes small host-side pieces (the grid, unit groups) in NumPy;
    this puts every fitted array where ``X`` was, as scikit-learn asks of an
    estimator fitted under array API dispatch, and back to the host when a
    later call (``partial_fit``) runs those steps again. ``classes_`` stays
    on the host: labels may be strings.
    """
    if namespace is not None and namespace.is_numpy:
        return
    for name, value in list(vars(estimator).items()):
        if name == "classes_":
            continue
        if namespace is None:
            if _has_namespace(value):
                setattr(estimator, name, to_numpy_array(value))
            elif isinstance(value, list) and any(_has_namespace(v) for v in value):
                setattr(estimator, name, [to_numpy_array(v) for v in value])
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            setattr(estimator, name, namespace.asarray(value))
        elif isinstance(value, list) and value and all(
                isinstance(v, np.ndarray) for v in value):
            setattr(estimator, name, [namespace.asarray(v) for v in value])


def float_dtypes(namespace):
    """The float dtypes ``fit`` accepts, in ``namespace``: float64 first, so that
    other input becomes float64 and float32 stays float32."""
    xp = namespace.xp
    return [xp.float64, xp.float32]


class ArrayAPISupportMixin:
    """``to_numpy()`` and the ``array_api_support`` tag."""

    def to_numpy(self):
        """A copy of the fitted estimator whose arrays are NumPy arrays.

        A model fitted on GPU arrays under array API dispatch keeps its fitted
        arrays on the GPU; this copy runs anywhere, pickles without the array
        library and exports to ONNX (:mod:`sknn_math.onnx`). A model fitted on
        NumPy arrays comes back as an equal copy.

        Returns
        -------
        estimator : object
            A new estimator of the same class and parameters, its fitted arrays
            (lists of arrays included) moved to NumPy on the host.
        """
        import copy

        moved = copy.copy(self)
        for name, value in list(vars(self).items()):
            if _has_namespace(value):
                setattr(moved, name, to_numpy_array(value))
            elif isinstance(value, list) and any(_has_namespace(v) for v in value):
                setattr(moved, name, [to_numpy_array(v) for v in value])
            elif isinstance(value, np.ndarray):
                setattr(moved, name, value.copy())
            elif isinstance(value, list):
                setattr(moved, name, copy.copy(value))
        return moved

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = True
        return tags
