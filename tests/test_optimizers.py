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
    assert clip_grad_norm(grad, 10.0) is grad  # in place, returned
    np.testing.assert_array_equal(grad, [3.0, 4.0])
    clip_grad_norm(grad, 1.0)
    np.testing.assert_allclose(grad, [0.6, 0.8])


def _soft_threshold(w, threshold):
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_l1_proximal_step_thresholds_by_its_steady_step(dtype, momentum):
    rng = np.random.RandomState(2)
    theta = rng.normal(size=6).astype(dtype)
    sgd = SGD(6, dtype, learning_rate_init=0.1, momentum=momentum)
    sgd.step(theta, rng.normal(size=6).astype(dtype))
    before = theta.astype(np.float64)
    weights = theta[:4]  # the weights lead θ; the biases are never shrunk
    sgd.shrink_l1(weights, 2.0)
    # τ = η / (1 − μ): the step a steady gradient is taken with
    expected = _soft_threshold(before[:4], 0.1 / (1 - momentum) * 2.0)
    np.testing.assert_allclose(theta[:4], expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(theta[4:], before[4:].astype(dtype))
    assert theta.dtype == dtype
    assert np.any(theta[:4] == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_l1_proximal_step_thresholds_by_each_weights_step(dtype):
    rng = np.random.RandomState(3)
    theta = rng.normal(size=6).astype(dtype)
    adam = Adam(6, dtype, learning_rate_init=0.05, beta_1=0.8, beta_2=0.99,
                epsilon=1e-6)
    v = np.zeros(6)
    for _ in range(2):
        grad = rng.normal(size=6)
        adam.step(theta, grad.astype(dtype))
        v = 0.99 * v + 0.01 * grad**2
    before = theta.astype(np.float64)
    adam.shrink_l1(theta[:4], 3.0)
    # τ_j = η √(1 − β₂ᵗ)/(1 − β₁ᵗ) / (√v_j + ε), t = 2: the step of the last update
    step = 0.05 * np.sqrt(1 - 0.99**2) / (1 - 0.8**2) / (np.sqrt(v[:4]) + 1e-6)
    expected = _soft_threshold(before[:4], step * 3.0)
    np.testing.assert_allclose(theta[:4], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(theta[4:], before[4:].astype(dtype))


def _adam_against_torch(torch, start, grads):
    """Where our Adam and torch.optim.Adam (same η, β, ε) move ``start``."""
    ours = start.copy()
    adam = Adam(start.size, np.float64, learning_rate_init=1e-3)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    torch_adam = torch.optim.Adam([theirs], lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    for g in grads:
        adam.step(ours, g)
        theirs.grad = torch.tensor(g)
        torch_adam.step()
    return ours - start, theirs.detach().numpy() - start


def test_adam_adds_epsilon_to_the_uncorrected_moment_unlike_torch():
    # The documented difference: ε is added to √v here (scikit-learn, Kingma and
    # Ba's ε̂), to √v̂ in torch.optim.Adam; ε/√(1 − β₂ᵗ) is 32 ε at t = 1.
    torch = pytest.importorskip("torch")
    start = np.random.RandomState(0).normal(size=5)
    ours, theirs = _adam_against_torch(torch, start, np.full((100, 5), 1e-6))
    # gradients of 1e-6: ours has moved 4.5 % less after 100 steps
    np.testing.assert_allclose(1 - ours / theirs, 0.045, atol=0.005)
    # gradients far above ε: the same optimiser
    grads = np.random.RandomState(1).normal(size=(100, 5))
    ours, theirs = _adam_against_torch(torch, start, grads)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def _optimizers(dtype, like):
    n = 9
    return [
        SGD(n, dtype, learning_rate_init=0.1, momentum=0.9, nesterov=True, like=like),
        SGD(n, dtype, learning_rate_init=0.1, momentum=0.5, nesterov=False,
            like=like),
        Adam(n, dtype, learning_rate_init=0.05, beta_1=0.8, beta_2=0.99,
             epsilon=1e-6, like=like),
    ]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("which", range(3), ids=["nesterov", "momentum", "adam"])
def test_steps_on_another_namespace_equal_the_numpy_steps(dtype, which):
    """The array API branch (new arrays) of step, clipping and the L1 proximal
    step computes what the NumPy branch computes in place."""
    strict = pytest.importorskip("array_api_strict")
    rng = np.random.RandomState(4)
    theta = rng.normal(size=9).astype(dtype)
    theta_xp = strict.asarray(theta.copy())
    ours = _optimizers(dtype, None)[which]
    theirs = _optimizers(strict.float32 if dtype == np.float32 else strict.float64,
                         theta_xp)[which]
    for _ in range(4):
        grad = rng.normal(0, 3, size=9).astype(dtype)
        grad_xp = clip_grad_norm(strict.asarray(grad), 2.0)
        ours.step(theta, clip_grad_norm(grad, 2.0))
        theta_xp = theirs.step(theta_xp, grad_xp)
        ours.shrink_l1(theta[:6], 0.3)
        theta_xp = strict.concat([theirs.shrink_l1(theta_xp[:6], 0.3), theta_xp[6:]])
    assert theta_xp.dtype == (strict.float32 if dtype == np.float32 else strict.float64)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(np.asarray(theta_xp), theta, rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(np.asarray(theta_xp) == 0, theta == 0)
