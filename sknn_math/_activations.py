"""Activation functions and their derivatives, chosen by name.

Every activation works in place on the array it is given, so the networks can
reuse preallocated buffers and keep ``float32`` as ``float32``. Every derivative is
written in terms of the activation's output A = σ(Z), which the forward pass keeps,
and writes σ'(Z) into a buffer ``out`` of A's shape:
``delta *= DERIVATIVES[name](A, out)`` is the chain rule through the layer.

The narrow row and column reductions used by the softmax and the losses live here
too (:func:`row_sums`, :func:`column_sums`, :func:`row_max`), and the matrix
product of the passes (:func:`matmul`).

Every kernel runs on NumPy arrays as written, in place into its buffers; on the
arrays of another namespace (array API dispatch: PyTorch, CuPy) it computes the
same formula with array API functions and returns a new array. Callers always
use the returned array, which for NumPy is the buffer itself.
"""

from functools import lru_cache

import numpy as np

from ._array_api import xp_of


def logistic(Z):
    """σ(z) = 1 / (1 + e^{−z}), in place.

    Why not ``scipy.special.expit``: NumPy's vectorised exp makes this 2.4× (float64)
    to 3.1× (float32) faster, a fifth of an MLP batch's time
    (``benchmarks/bench_kernels.py``), and agrees with expit to a few ulps. e^{−z}
    overflows to +inf for very negative z and 1 / (1 + inf) = 0 is exactly the
    limit: the networks run under
    ``np.errstate(over="ignore")`` for that reason, never producing a NaN.
    """
    if not isinstance(Z, np.ndarray):
        return 1 / (xp_of(Z).exp(-Z) + 1)
    np.negative(Z, out=Z)
    np.exp(Z, out=Z)
    Z += 1
    return np.reciprocal(Z, out=Z)


def tanh(Z):
    """tanh(z), in place."""
    if not isinstance(Z, np.ndarray):
        return xp_of(Z).tanh(Z)
    return np.tanh(Z, out=Z)


def relu(Z):
    """max(z, 0), in place."""
    if not isinstance(Z, np.ndarray):
        return xp_of(Z).clip(Z, min=0)
    return np.maximum(Z, 0, out=Z)


def identity(Z):
    """z, untouched."""
    return Z


def exp(Z):
    """e^z, in place: the Poisson regressor's output, a positive mean."""
    if not isinstance(Z, np.ndarray):
        return xp_of(Z).exp(Z)
    return np.exp(Z, out=Z)


def softmax(Z):
    """Row-wise softmax, in place; the row maximum is subtracted against overflow."""
    if not isinstance(Z, np.ndarray):
        E = xp_of(Z).exp(Z - row_max(Z)[:, None])
        return E / row_sums(E)[:, None]
    Z -= row_max(Z)[:, np.newaxis]
    np.exp(Z, out=Z)
    Z /= row_sums(Z)[:, np.newaxis]
    return Z


ACTIVATIONS = {
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
    "identity": identity,
    "exp": exp,
    "softmax": softmax,
}


def logistic_derivative(A, out):
    """σ'(z) = σ(z)(1 − σ(z)) = A (1 − A)."""
    if not isinstance(A, np.ndarray):
        return (1 - A) * A
    np.subtract(1, A, out=out)
    out *= A
    return out


def tanh_derivative(A, out):
    """tanh'(z) = 1 − tanh²(z) = 1 − A²."""
    if not isinstance(A, np.ndarray):
        return 1 - A * A
    np.multiply(A, A, out=out)
    np.subtract(1, out, out=out)
    return out


def relu_derivative(A, out):
    """relu'(z) = 1 where z > 0 (A > 0), else 0 (0 at z = 0, as PyTorch)."""
    if not isinstance(A, np.ndarray):
        return xp_of(A).astype(A > 0, A.dtype)
    np.greater(A, 0, out=out)
    return out


def identity_derivative(A, out):
    """identity'(z) = 1."""
    if not isinstance(A, np.ndarray):
        return xp_of(A).ones_like(A)
    out.fill(1)
    return out


DERIVATIVES = {
    "logistic": logistic_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
    "identity": identity_derivative,
}


# Narrow reductions. Why BLAS: NumPy's reductions over a short axis cost several
# times a BLAS ``gemv`` against a vector of ones (3–6× on a 200 × 4 or 200 × 100
# array); the four per batch save 7 % (float64) to 11 % (float32) of an MLP
# batch's time (``benchmarks/bench_kernels.py``).
@lru_cache(maxsize=64)
def _ones(n, dtype):
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def row_sums(Z):
    """Σ_k Z[:, k]."""
    if not isinstance(Z, np.ndarray):
        return xp_of(Z).sum(Z, axis=1)
    return np.dot(Z, _ones(Z.shape[1], Z.dtype))


def column_sums(Z, out=None):
    """Σ_i Z[i, :]."""
    if not isinstance(Z, np.ndarray):
        return xp_of(Z).sum(Z, axis=0)
    return np.dot(_ones(Z.shape[0], Z.dtype), Z, out=out)


def row_max(Z):
    """max_k Z[:, k]; a column-major copy lets NumPy reduce a few columns 5× faster."""
    if not isinstance(Z, np.ndarray):
        return xp_of(Z).max(Z, axis=1)
    return np.maximum.reduce(np.asfortranarray(Z), axis=1)


def matmul(A, B, out):
    """A B, into the buffer ``out`` for NumPy arrays (returned)."""
    if not isinstance(B, np.ndarray):
        return A @ B
    return np.dot(A, B, out=out)
