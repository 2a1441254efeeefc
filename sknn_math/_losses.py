"""The data terms of the objective, chosen by the public ``loss`` name.

Each loss is the weighted mean over samples of a per-sample loss, with the same
values as scikit-learn's MLP, so that equal weights give an equal loss. A loss is
read together with the network's output activation: ``log_loss`` is the
cross-entropy of the output's own distribution, categorical under a softmax,
independent Bernoulli under logistic outputs.

The training losses (:func:`output_and_loss`, :func:`output_delta`) take NumPy
arrays, on which they work in place, or the arrays of another namespace (array
API dispatch), on which they return new arrays and the loss as a 0-d array of
that namespace: reading it waits for the device, which the training loop does
once per epoch. :func:`log_loss` scores NumPy arrays only (early stopping's
validation loss, computed on the host).
"""

import numpy as np
from scipy.special import xlogy

from ._activations import ACTIVATIONS, DERIVATIVES, row_max, row_sums
from ._array_api import xp_of


def _weighted_mean(per_sample, sample_weight):
    if not isinstance(per_sample, np.ndarray):
        xp = xp_of(per_sample)
        if sample_weight is None:
            return xp.sum(per_sample) / per_sample.shape[0]
        return xp.vecdot(per_sample, sample_weight) / xp.sum(sample_weight)
    if sample_weight is None:
        return per_sample.sum() / per_sample.shape[0]
    return np.dot(per_sample, sample_weight) / sample_weight.sum()


def _row_dots(A, B):
    """Σ_k A[:, k] B[:, k], one value per row."""
    if not isinstance(A, np.ndarray):
        return xp_of(A).sum(A * B, axis=1)
    return np.einsum("ij,ij->i", A, B)


def squared_error(Y, Y_pred, sample_weight=None, out_activation="identity"):
    """½ · mean over outputs of (ŷ − y)², averaged over samples."""
    diff = Y_pred - Y
    per_sample = _row_dots(diff, diff) / (2 * Y.shape[1])
    return _weighted_mean(per_sample, sample_weight)


def log_loss(Y, Y_pred, sample_weight=None, out_activation="softmax"):
    """Cross-entropy of ``Y`` under the output's distribution ``Y_pred``.

    Softmax: −Σ_k y_k log p_k, with one-hot ``Y`` one log per sample (−log of the
    true class's probability). Logistic: −Σ_k [y_k log p_k + (1 − y_k) log(1 − p_k)].
    Probabilities are clipped at eps as scikit-learn does, so that scoring a model
    never meets log 0. This scores given probabilities (early stopping's
    validation loss); training takes the exact loss from the logits
    (:func:`softmax_log_loss`, :func:`logistic_log_loss`).
    """
    eps = np.finfo(Y_pred.dtype).eps
    if out_activation == "logistic":
        P = np.clip(Y_pred, eps, 1 - eps)
        per_sample = -(xlogy(Y, P) + xlogy(1 - Y, 1 - P)).sum(axis=1)
        return _weighted_mean(per_sample, sample_weight)
    # scikit-learn also clips at 1 − eps, which changes −log p by at most eps.
    p_true = row_sums(Y * Y_pred)
    np.maximum(p_true, eps, out=p_true)
    per_sample = np.log(p_true, out=p_true)
    return -_weighted_mean(per_sample, sample_weight)


def poisson(Y, Y_pred, sample_weight=None, out_activation="exp"):
    """Half the Poisson deviance, y log(y/ŷ) − y + ŷ, summed over the outputs and
    averaged over samples (scikit-learn's MLPRegressor's "poisson" loss)."""
    if not isinstance(Y, np.ndarray):
        xp = xp_of(Y)
        # xlogy: y log(y/ŷ), 0 where y = 0 (the log's argument 1 there)
        y_log = Y * xp.log(xp.where(Y == 0, 1.0, Y / Y_pred))
        per_sample = xp.sum(y_log - Y + Y_pred, axis=1)
        return _weighted_mean(per_sample, sample_weight)
    per_sample = (xlogy(Y, Y / Y_pred) - Y + Y_pred).sum(axis=1)
    return _weighted_mean(per_sample, sample_weight)


LOSSES = {
    "squared_error": squared_error,
    "log_loss": log_loss,
    "poisson": poisson,
}


def softmax_log_loss(Z, Y, sample_weight=None):
    """Softmax of the logits ``Z`` in place, and the cross-entropy of one-hot ``Y``.

    The loss comes from the logits, −log p_true = log Σ_k e^{z_k − m} − (z_true − m)
    with m the row maximum: exact where p_true underflows, and the true value of
    the objective whose gradient is P − Y (clipping p, as :func:`log_loss` does for
    scoring, would bend it). Returns the probabilities (``Z`` itself) and the loss.
    """
    if not isinstance(Z, np.ndarray):
        xp = xp_of(Z)
        Z = Z - row_max(Z)[:, None]
        shifted_true = row_sums(Z * Y)  # z_true − m of every sample
        E = xp.exp(Z)
        norm = row_sums(E)
        per_sample = xp.log(norm) - shifted_true
        return E / norm[:, None], _weighted_mean(per_sample, sample_weight)
    Z -= row_max(Z)[:, np.newaxis]
    if sample_weight is None:
        shifted_true = np.vdot(Z, Y)  # Σ_i (z_true − m)_i in one product
    else:
        shifted_true = np.dot(sample_weight, row_sums(np.multiply(Z, Y)))
    np.exp(Z, out=Z)
    norm = row_sums(Z)
    Z /= norm[:, np.newaxis]
    log_norm = np.log(norm, out=norm)
    if sample_weight is None:
        return Z, (log_norm.sum() - shifted_true) / Z.shape[0]
    return Z, (np.dot(sample_weight, log_norm) - shifted_true) / sample_weight.sum()


def logistic_log_loss(Z, Y, sample_weight=None):
    """The logistic function of the logits ``Z`` in place, and the binary
    cross-entropy of ``Y`` under it.

    The loss comes from the logits, as :func:`softmax_log_loss`'s does: per output,
    −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z with
    softplus(z) = max(z, 0) + log1p(e^{−|z|}), exact for any z, where clipping σ at
    eps caps each term at −log eps (36 in float64, 16 in float32) and leaves the
    objective flat where its gradient σ − y is not. Both σ(z) and the loss come
    from the one e^{−|z|} ∈ (0, 1], which cannot overflow. Returns the
    probabilities (``Z`` itself) and the loss.
    """
    if not isinstance(Z, np.ndarray):
        xp = xp_of(Z)
        E = xp.exp(-xp.abs(Z))  # e^{−|z|}
        per_sample = row_sums(xp.log1p(E) + xp.clip(Z, min=0) - Y * Z)
        P = xp.where(Z >= 0, 1.0, E) / (E + 1)
        return P, _weighted_mean(per_sample, sample_weight)
    E = np.abs(Z)
    np.negative(E, out=E)
    np.exp(E, out=E)  # e^{−|z|}
    per_output = np.log1p(E)
    per_output += np.maximum(Z, 0)
    per_output -= np.multiply(Y, Z)
    per_sample = row_sums(per_output)
    # σ(z) = 1 / (1 + e^{−z}) for z ≥ 0 and e^{z} / (1 + e^{z}) for z < 0
    denominator = np.add(E, 1, out=per_output)
    np.copyto(E, 1, where=Z >= 0)
    np.divide(E, denominator, out=Z)
    return Z, _weighted_mean(per_sample, sample_weight)


def output_and_loss(loss, out_activation, Y, Z, sample_weight=None):
    """The output layer's activations from its pre-activations ``Z`` (overwritten),
    and the training loss of ``Y`` under them.

    The log loss of a softmax or logistic output is computed from the logits
    (exact everywhere, the true objective of the gradient ŷ − y); the loss of
    other outputs from the activations.
    """
    if loss == "log_loss" and out_activation == "softmax":
        return softmax_log_loss(Z, Y, sample_weight)
    if loss == "log_loss" and out_activation == "logistic":
        return logistic_log_loss(Z, Y, sample_weight)
    Y_pred = ACTIVATIONS[out_activation](Z)
    return Y_pred, LOSSES[loss](Y, Y_pred, sample_weight, out_activation)


def output_delta(loss, out_activation, Y, Y_pred):
    """∂loss/∂z of the output layer, per sample (before sample weighting).

    For the canonical pairs the derivative collapses to ŷ − y:
    softmax + log loss, logistic + binary log loss, exp + Poisson deviance. Squared
    error averages over the outputs, hence the 1/n_outputs; through a squashing
    output it picks up σ'(z).
    """
    delta = Y_pred - Y
    if loss != "squared_error":
        return delta
    delta /= Y.shape[1]
    if out_activation == "logistic":
        delta *= DERIVATIVES["logistic"](
            Y_pred, np.empty_like(delta) if isinstance(delta, np.ndarray) else None)
    elif out_activation == "softmax":
        # Jacobian of softmax: ∂p_k/∂z_j = p_k (δ_kj − p_j).
        delta -= _row_dots(delta, Y_pred)[:, None]
        delta *= Y_pred
    return delta
