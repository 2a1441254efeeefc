"""Finite-difference checks of the networks' analytic gradients, shared by the
MLP and Elman tests."""

import numpy as np

from sknn_math._training import pack_parameters


def loss_and_gradient(est, X, Y, sample_weight):
    """The estimator's penalised loss J and ∂J/∂θ at its fitted weights, in
    float64, and J as a function of θ (the estimator itself is left untouched).

    Returns ``(theta, loss, grad, J)``.
    """
    params = pack_parameters(est.coefs_, est.intercepts_, np.float64)
    workspace = est._make_workspace(X.shape[0], X.shape[1], np.float64)
    loss = est._loss_grad(params, X, Y, sample_weight, workspace)
    theta, grad = params.theta.copy(), params.grad.copy()

    def J(x):
        params.theta[...] = x
        return est._loss_grad(params, X, Y, sample_weight, workspace)

    return theta, loss, grad, J


def central_differences(J, theta, eps=1e-6):
    """(J(θ + ε e_k) − J(θ − ε e_k)) / 2ε for every coordinate k."""
    numeric = np.empty_like(theta)
    for k in range(theta.size):
        step = np.zeros_like(theta)
        step[k] = eps
        numeric[k] = (J(theta + step) - J(theta - step)) / (2 * eps)
    return numeric
