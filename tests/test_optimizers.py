"""The optimisers against their textbook updates, written out literally."""

import numpy as np
import pytest

from sknn_math._optimizers import SGD, Adam, clip_grad_norm


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_follows_kingma_and_ba(dtype):
    rng = np.random.RandomState(0)
    theta = rng.normal(size=7).astype(dtype)
    expected = theta.astype(np.float64)
    m = np.zeros(7)
    v = np.zeros(7)
    adam = Adam(7, dtype, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99,
                epsilon=1e-6)
    for t in range(1, 6):
        grad = rng.normal(size=7)
        adam.step(theta, grad.astype(dtype))
        m = 0.8 * m + 0.2 * grad
        v = 0.99 * v + 0.01 * grad**2
        m_hat, v_hat_sqrt = m / (1 - 0.8**t), np.sqrt(v) / np.sqrt(1 - 0.99**t)
        # the implementation folds the bias corrections into the step size, which
        # moves ε by the factor √(1 − β₂ᵗ): compare with that form
        expected -= 0.01 * m_hat / (v_hat_sqrt + 1e-6 / np.sqrt(1 - 0.99**t))
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(theta, expected, rtol=rtol)
    assert theta.dtype == dtype


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_follows_its_update(nesterov):
    rng = np.random.RandomState(1)
    theta = rng.normal(size=5)
    expected = theta.copy()
    velocity = np.zeros(5)
    sgd = SGD(5, np.float64, learning_rate_init=0.1, momentum=0.9, nesterov=nesterov)
    for _ in range(4):
        grad = rng.normal(size=5)
        sgd.step(theta, grad)
        velocity = 0.9 * velocity - 0.1 * grad
        expected += 0.9 * velocity - 0.1 * grad if nesterov else velocity
    np.testing.assert_allclose(theta, expected, rtol=1e-13)


def test_clip_grad_norm_scales_only_long_gradients():
    grad = np.array([3.0, 4.0])
    assert clip_grad_norm(grad, 10.0) == 5.0
    np.testing.assert_array_equal(grad, [3.0, 4.0])
    clip_grad_norm(grad, 1.0)
    np.testing.assert_allclose(grad, [0.6, 0.8])
