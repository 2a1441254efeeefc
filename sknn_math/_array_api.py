"""Array API dispatch: fitting and predicting on PyTorch, CuPy and other arrays.

With ``sklearn.set_config(array_api_dispatch=True)``, an estimator given arrays of
another namespace than NumPy (a PyTorch tensor on a GPU, a CuPy array) computes in
that namespace, on that device, and keeps its fitted arrays there; NumPy input
takes the tuned NumPy kernels as always. This module holds the plumbing the
estimators share: which namespace a call runs in, moving ``y`` and
``sample_weight`` to ``X``'s namespace and device ("everything follows X"), the
check that ``predict`` gets arrays of the fit's namespace, and moving a fitted
model to NumPy (:meth:`ArrayAPISupportMixin.to_numpy`).

It also holds the few namespace-generic helpers the networks' kernels share
(:func:`xp_of`, :func:`namespace_of_array`, :func:`copy_array`,
:func:`reshape`): a kernel keeps its NumPy code, in place into buffers, for
``isinstance(x, np.ndarray)``, and otherwise calls plain array API functions,
which return new arrays.

scikit-learn's own array-API helpers are private; they are reached from here
only, so a change in them is mended in one place.
"""

import copy

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.externals.array_api_compat import array_namespace
from sklearn.externals.array_api_compat import device as array_device
from sklearn.utils._array_api import (
    _convert_to_numpy,
    _is_numpy_namespace,
    get_namespace_and_device,
    move_to,
)

__all__ = [
    "ArrayAPISupportMixin",
    "Namespace",
    "check_fit_namespace",
    "copy_array",
    "fitted_arrays_to",
    "float_dtypes",
    "follow_X",
    "host_stand_in",
    "namespace_of",
    "namespace_of_array",
    "reshape",
    "to_numpy_array",
    "xp_of",
]

# The dtypes a fitted network or its data can hold, by name: the bridge between
# NumPy's dtypes (host-side arrays) and another namespace's.
_DTYPE_NAMES = ("float64", "float32", "int64", "int32", "int16", "int8", "uint8",
                "bool")


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

    def dtype(self, numpy_dtype):
        """This namespace's dtype of the NumPy dtype ``numpy_dtype``."""
        if self.is_numpy:
            return np.dtype(numpy_dtype)
        return getattr(self.xp, np.dtype(numpy_dtype).name)

    def numpy_dtype(self, dtype):
        """The NumPy dtype of this namespace's ``dtype``."""
        if self.is_numpy:
            return np.dtype(dtype)
        for name in _DTYPE_NAMES:
            if dtype == getattr(self.xp, name, None):
                return np.dtype(name)
        raise TypeError(f"{dtype} has no NumPy counterpart here.")

    def empty(self, shape, dtype):
        """An uninitialised buffer of ``shape`` and ``dtype`` (this namespace's)
        on this device."""
        if self.is_numpy:
            return np.empty(shape, dtype)
        return self.xp.empty(shape, dtype=dtype, device=self.device)

    def cast(self, array, numpy_dtype):
        """``array`` (of this namespace) as ``numpy_dtype``, uncopied where it
        already is."""
        if self.is_numpy or sp.issparse(array):
            return array.astype(numpy_dtype, copy=False)
        wanted = self.dtype(numpy_dtype)
        return array if array.dtype == wanted else self.xp.astype(array, wanted)


_NUMPY = Namespace(np, None, True)
_XP_BY_TYPE = {}


def namespace_of(X):
    """The :class:`Namespace` of ``X`` under the current configuration.

    Array-likes, sparse matrices and dataframes, and anything with dispatch off,
    are the NumPy namespace.
    """
    xp, is_array_api, device = get_namespace_and_device(X)
    numpy_like = not is_array_api or _is_numpy_namespace(xp)
    return Namespace(np if numpy_like else xp, None if numpy_like else device,
                     numpy_like)


def namespace_of_array(array):
    """The :class:`Namespace` an array lives in, whatever the configuration: the
    fitted arrays and buffers of a network say where its computations run."""
    if isinstance(array, np.ndarray) or not _has_namespace(array):
        return _NUMPY
    return Namespace(xp_of(array), array_device(array), False)


def xp_of(array):
    """The array API namespace of ``array`` (array-api-compat's wrapper where
    the library needs one; NumPy's for a NumPy array).

    Looked up once per array type: a kernel calls this on every batch.
    """
    kind = type(array)
    xp = _XP_BY_TYPE.get(kind)
    if xp is None:
        xp = _XP_BY_TYPE[kind] = array_namespace(array)
    return xp


def copy_array(array):
    """A copy of ``array``, in its namespace and on its device."""
    if isinstance(array, np.ndarray):
        return array.copy()
    return xp_of(array).asarray(array, copy=True)


def reshape(array, shape):
    """``array`` reshaped (a view where the layout allows), in any namespace."""
    if isinstance(array, np.ndarray):
        return array.reshape(shape)
    return xp_of(array).reshape(array, shape)


def host_stand_in(X):
    """``X`` itself if it is a NumPy array or a sparse matrix, else a NumPy
    stand-in with ``X``'s rows (and no columns): the host-side checks of the
    sample weights only read the number of rows."""
    if isinstance(X, np.ndarray) or sp.issparse(X):
        return X
    return np.empty((X.shape[0], 0))


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
    the fitted ``attribute`` (an array, or a list of arrays: its first).

    scikit-learn's rule for ``predict`` and friends under array API dispatch
    (``check_same_namespace``), whose message names
    ``ClassName.method()``; with dispatch off, a model whose arrays live in
    another namespace is refused too, naming the two cures.
    """
    fitted = getattr(estimator, attribute)
    if isinstance(fitted, list):
        fitted = fitted[0]
    name = type(estimator).__name__
    cure = (f"or call {name}.to_numpy() for a copy of the model that works on "
            "NumPy arrays.")
    if not get_config()["array_api_dispatch"]:
        if _has_namespace(fitted):
            raise ValueError(
                f"{name} was fitted on {xp_of(fitted).__name__} arrays under array "
                f"API dispatch, which is off in {name}.{method}(). Enable it "
                "(sklearn.set_config(array_api_dispatch=True)) and pass X in that "
                f"namespace, {cure}"
            )
        return
    xp_fit, _, device_fit = get_namespace_and_device(fitted)
    xp_X, _, device_X = get_namespace_and_device(X)
    if xp_X == xp_fit and device_X == device_fit:
        return
    if _is_numpy_namespace(xp_fit) and _is_numpy_namespace(xp_X):
        return  # array-likes and sparse matrices meet NumPy fits
    given = ("an array-like or sparse matrix" if device_X is None
             else f"{xp_X.__name__} arrays on device {device_X!r}")
    raise ValueError(
        f"Inputs passed to {name}.{method}() must use the same namespace and the "
        f"same device as those passed to fit(): it was fitted on "
        f"{xp_fit.__name__} arrays on device {device_fit!r} and got {given}. "
        f"Pass X in the fit's namespace and on its device, {cure}"
    )


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
    # the constructor's parameters (an init array) are the user's: never moved
    parameters = set(estimator.get_params(deep=False))
    for name, value in list(vars(estimator).items()):
        if name == "classes_" or name in parameters:
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


def _home(value):
    """``value`` with its arrays as NumPy copies: an array, a list of arrays, or
    an object holding arrays (an optimiser and its moments), copied; random
    states copied; anything else as it is."""
    if _has_namespace(value):
        return to_numpy_array(value)
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_home(v) for v in value]
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return copy.deepcopy(value)
    state = getattr(value, "__dict__", None)
    if state and any(_has_namespace(v) or isinstance(v, np.ndarray)
                     for v in state.values()):
        moved = copy.copy(value)
        for name, item in state.items():
            setattr(moved, name, _home(item))
        return moved
    return value


class ArrayAPISupportMixin:
    """``to_numpy()`` and the ``array_api_support`` tag."""

    def to_numpy(self):
        """A copy of the fitted estimator whose arrays are NumPy arrays.

        A model fitted on GPU arrays under array API dispatch keeps its fitted
        arrays on the GPU; this copy runs anywhere, pickles without the array
        library, exports to ONNX (:mod:`sknn_math.onnx`) and goes on training
        (``partial_fit``, ``warm_start``) on NumPy arrays. A model fitted on
        NumPy arrays comes back as an equal, independent copy.

        Returns
        -------
        estimator : object
            A new estimator of the same class and parameters, its fitted arrays
            (in lists too, and the optimiser's moments) moved to NumPy on the
            host; the random state is copied, so that training the copy leaves
            the original's alone.
        """
        moved = copy.copy(self)
        for name, value in list(vars(self).items()):
            setattr(moved, name, _home(value))
        return moved

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = True
        return tags
