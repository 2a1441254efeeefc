"""Feed-forward sigmoid networks: the single-layer net and the multi-layer perceptron.

.. math::

    h_0 = X, \\qquad z_l = h_{l-1} W_l + b_l, \\qquad h_l = σ(z_l)

Backpropagation walks the layers backwards, reusing the output layer's gradient:

.. math::

    δ_L = ∂ℓ/∂z_L, \\qquad ∂ℓ/∂W_l = h_{l-1}^T δ_l, \\qquad ∂ℓ/∂b_l = Σ_i δ_{l,i},
    \\qquad δ_{l-1} = (δ_l W_l^T) ⊙ σ'(z_{l-1})
"""

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot

from ._activations import ACTIVATIONS, DERIVATIVES, column_sums, matmul
from ._array_api import namespace_of_array
from ._tasks import ClassifierTask, RegressorTask
from ._training import BaseNetwork
from ._validation import StrOptions


def _is_sparse(h):
    # NumPy arrays first: scipy's issparse is an abstract-class check, about a
    # microsecond, which four calls per batch would add to a small network's step
    return not isinstance(h, np.ndarray) and sp.issparse(h)


@dataclass
class _MLPWorkspace:
    """One batch shape's buffers: the forward pass fills them, backprop reads them.

    ``activations[0]`` is the batch X itself, ``activations[l]`` (l ≥ 1) holds z_l
    and then, in place, h_l = σ(z_l); ``deltas[l]`` holds δ_l of hidden layer l+1
    and ``derivatives[l]`` its σ'(z). (On another namespace than NumPy the
    kernels return new arrays, which replace the buffers in these lists.)
    """

    n_rows: int
    activations: list
    deltas: list
    derivatives: list


class _BaseMLP(BaseNetwork):
    """Forward and backward passes of a feed-forward network."""

    _accept_sparse = ("csr", "csc")
    _parameter_constraints = {
        **BaseNetwork._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Integral],
    }

    def _layer_sizes(self, n_features, n_outputs):
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, Integral) else list(hidden)
        if not all(isinstance(h, Integral) and h > 0 for h in hidden):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers; got "
                f"{self.hidden_layer_sizes!r}. Use () for the single-layer network."
            )
        return [n_features, *hidden, n_outputs]

    def _initial_parameters(self, n_features, n_outputs, rng):
        # Glorot & Bengio's uniform initialisation, with the bound for sigmoid
        # units narrowed by √3 as in scikit-learn's MLP.
        factor = 2.0 if self.activation == "logistic" else 6.0
        sizes = self._layer_sizes(n_features, n_outputs)
        coefs, intercepts = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(rng.uniform(-bound, bound, fan_out))
        return coefs, intercepts

    def _n_layers(self):
        return len(self.coefs_) + 1

    def _prediction_row_bytes(self, n_columns):
        widths = sum(W.shape[1] for W in self.coefs_)
        return self._model_dtype().itemsize * (n_columns + 2 * widths)

    def _product_multiply_adds(self, n_rows, n_columns):
        return n_rows * max(math.prod(W.shape) for W in self.coefs_)

    def _make_workspace(self, n_rows, n_columns, dtype, *, training=True):
        empty = namespace_of_array(self.coefs_[0]).empty
        widths = [W.shape[1] for W in self.coefs_]
        hidden = widths[:-1] if training else []
        return _MLPWorkspace(
            n_rows=n_rows,
            activations=[None] + [empty((n_rows, w), dtype) for w in widths],
            deltas=[empty((n_rows, w), dtype) for w in hidden],
            derivatives=[empty((n_rows, w), dtype) for w in hidden],
        )

    def _forward_pass(self, X, coefs, intercepts, workspace):
        hidden_activation = ACTIVATIONS[self.activation]
        activations = workspace.activations
        activations[0] = h = X
        last = len(coefs) - 1
        for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
            # z_l = h_{l-1} W_l + b_l
            if _is_sparse(h):
                z = activations[layer + 1]
                z[...] = safe_sparse_dot(h, W)
            else:
                z = matmul(h, W, out=activations[layer + 1])
            z += b
            if layer < last:
                z = hidden_activation(z)  # h_l = σ(z_l), in place on NumPy
            activations[layer + 1] = h = z
        return h

    def _backward_pass(self, coefs, workspace, delta, coef_grads, intercept_grads):
        activations = workspace.activations
        derivative = DERIVATIVES[self.activation]
        for layer in range(len(coefs) - 1, -1, -1):
            h_prev = activations[layer]
            # ∂ℓ/∂W_l = h_{l-1}ᵀ δ_l ;  ∂ℓ/∂b_l = Σ_i δ_l
            if _is_sparse(h_prev):
                coef_grads[layer][...] = safe_sparse_dot(h_prev.T, delta)
            else:
                coef_grads[layer] = matmul(h_prev.T, delta, out=coef_grads[layer])
            intercept_grads[layer] = column_sums(delta, out=intercept_grads[layer])
            if layer > 0:
                # δ_{l-1} = (δ_l W_lᵀ) ⊙ σ'(z_{l-1})
                delta = matmul(delta, coefs[layer].T, out=workspace.deltas[layer - 1])
                delta *= derivative(h_prev, workspace.derivatives[layer - 1])


class SigmoidMLPClassifier(ClassifierTask, _BaseMLP):
    """Multi-layer sigmoid network classifier trained by backpropagation.

    With ``hidden_layer_sizes=()`` it is the single-layer sigmoid network (logistic
    or softmax regression trained by gradient descent); each hidden layer adds a
    matrix product and a squashing non-linearity. Parameter names and fitted
    attributes follow scikit-learn's :class:`~sklearn.neural_network.MLPClassifier`,
    with an elastic-net penalty (``l1_ratio``), a choice of ``loss``, gradient
    clipping (``max_grad_norm``), learning-rate schedules for Adam too, and
    ``class_weight``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        The number of units in each hidden layer; ``()`` gives the single-layer net.
    activation : {'logistic', 'tanh', 'relu', 'identity'}, default='logistic'
        The hidden units' non-linearity.

        - 'logistic': σ(z) = 1 / (1 + exp(−z)), the sigmoid.
        - 'tanh': the hyperbolic tangent.
        - 'relu': max(z, 0).
        - 'identity': z (a linear hidden layer).
    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        The optimiser.

        - 'adam': stochastic gradient descent with adaptive moments.
        - 'sgd': stochastic gradient descent with (Nesterov) momentum.
        - 'lbfgs': full-batch L-BFGS-B from :func:`scipy.optimize.minimize`;
          often the most accurate on a few hundred samples.
    alpha : float, default=1e-4
        Strength of the penalty on the weights (never the biases), divided by the
        weight sum as in scikit-learn's MLP. 'lbfgs' minimises the objective of
        the Notes with this α; 'sgd' and 'adam' add the penalty once per
        mini-batch, scaled by 1 / Σ_batch w, and settle where that objective with
        α · n_samples / batch_size would (scikit-learn's convention).
    l1_ratio : float, default=0.0
        Mix of the penalty: 0 is L2 (ridge, as scikit-learn's MLP), 1 is L1.
        Under 'sgd' and 'adam' the L1 part is a proximal (soft-thresholding) step
        after each update, which sets weights to exactly zero; 'lbfgs' follows
        its subgradient, which leaves small weights that are not exactly zero.
    loss : {'log_loss', 'squared_error'}, default='log_loss'
        The data term of the objective.

        - 'log_loss': cross-entropy of the softmax or logistic outputs.
        - 'squared_error': half the mean squared difference between the predicted
          probabilities and the one-hot targets ("actual minus predicted").
    batch_size : int or 'auto', default='auto'
        Mini-batch size for the stochastic solvers; 'auto' is min(200, n_samples).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule, for 'sgd' and 'adam'.

        - 'constant': ``learning_rate_init`` throughout.
        - 'invscaling': η_t = learning_rate_init / (t + 1)^power_t, t samples seen.
        - 'adaptive': divide η by 5 each time training stops improving.
    learning_rate_init : float, default=0.001
        The initial step size.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    max_grad_norm : float or None, default=None
        Clip the global L2 norm of the gradient to this value before each step:
        the cure for exploding gradients. None disables clipping; 'lbfgs',
        which needs exact gradients, ignores it.
    shuffle : bool, default=True
        Whether to shuffle the samples each epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, shuffling and the validation split. An int
        gives bit-identical models across calls.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress; for 'lbfgs', the
        gradient tolerance of the optimiser.
    verbose : bool, default=False
        Print one line per epoch: loss, validation score, learning rate, time.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its accuracy stops
        improving and keep the weights with the best validation score.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Adam's numerical-stability term.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations for 'lbfgs'.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, ``{label: weight}``; 'balanced' uses
        n_samples / (n_classes · count(label)). Multiplies ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    loss_ : float
        The loss at the end of training.
    best_loss_ : float or None
        The smallest loss reached; None with ``early_stopping``.
    loss_curve_ : list of float
        The training loss after each epoch (each L-BFGS iteration).
    validation_scores_ : list of float or None
        Accuracy on the held-out set after each epoch, with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        Loss on the held-out set after each epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        The best validation accuracy, with ``early_stopping``.
    t_ : int
        The number of training samples seen, over all calls.
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (fan_in, fan_out) is the weight matrix of layer i+1.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape (fan_out,) is the bias vector of layer i+1.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    n_iter_ : int
        The number of epochs (iterations for L-BFGS) run by the last call to
        ``fit`` or ``partial_fit``, as in scikit-learn.
    n_layers_ : int
        The number of layers, input and output included.
    n_outputs_ : int
        The number of output units.
    out_activation_ : str
        'softmax' for multiclass, 'logistic' for binary and multilabel targets.

    See Also
    --------
    SigmoidMLPRegressor : The same network for regression.
    ElmanClassifier : A recurrent network for classifying sequences.
    sklearn.neural_network.MLPClassifier : scikit-learn's network.

    Notes
    -----
    The forward pass, for layers l = 1 … L:

    .. math::

        h_0 = X, \\quad z_l = h_{l-1} W_l + b_l, \\quad h_l = σ(z_l),

    with softmax (multiclass) or logistic (binary, multilabel) outputs. Training
    minimises the weighted mean loss plus the penalty

    .. math::

        \\frac{α}{Σ_i w_i}\\Big(\\frac{1-ρ}{2}\\sum_l ‖W_l‖_2^2
        + ρ\\sum_l ‖W_l‖_1\\Big),

    ρ = ``l1_ratio`` ('lbfgs' exactly; 'sgd' and 'adam' on each mini-batch, see
    ``alpha``), by backpropagation: the output gradient of sample i is
    δ_{L,i} = (w_i / Σ_j w_j)(ŷ_i − y_i) for log loss (for squared error over K
    outputs, (w_i / Σ_j w_j)(ŷ_i − y_i) / K through the output's derivative),
    then δ_{l−1} = (δ_l W_lᵀ) ⊙ σ'(z_{l−1}). The log loss is computed from the
    logits (log-softmax, log-sigmoid), exact where the probabilities saturate.
    Given the same ``coefs_`` and ``intercepts_``, ``predict_proba`` equals
    scikit-learn's ``MLPClassifier(activation="logistic")``.

    Under array API dispatch (``sklearn.set_config(array_api_dispatch=True)``,
    with ``SCIPY_ARRAY_API=1``), ``X`` may be a PyTorch or CuPy array on any
    device: training and prediction run there, and the fitted arrays stay
    there; ``to_numpy()`` gives a NumPy copy of the model. See the user guide's
    page "GPUs and other array libraries".

    References
    ----------
    Rumelhart, D. E., Hinton, G. E. and Williams, R. J. (1986). Learning
    representations by back-propagating errors. Nature, 323, 533–536.

    Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training
    deep feedforward neural networks. AISTATS.

    Kingma, D. P. and Ba, J. (2014). Adam: a method for stochastic optimization.
    arXiv:1412.6980.

    Examples
    --------
    XOR, which no straight line separates, learned by a 2-3 sigmoid network:

    >>> import numpy as np
    >>> from sknn_math import SigmoidMLPClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y = np.array([0, 1, 1, 0])
    >>> clf = SigmoidMLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
    ...                            random_state=1).fit(X, y)
    >>> clf.predict(X)
    array([0, 1, 1, 0])
    >>> clf.predict_proba(X).shape
    (4, 2)
    """

    _parameter_constraints = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="logistic",
        *,
        solver="adam",
        alpha=1e-4,
        l1_ratio=0.0,
        loss="log_loss",
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        max_grad_norm=None,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.loss = loss
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.max_grad_norm = max_grad_norm
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight


class SigmoidMLPRegressor(RegressorTask, _BaseMLP):
    """Multi-layer sigmoid network regressor trained by backpropagation.

    The same network as :class:`SigmoidMLPClassifier` with an identity output layer
    and squared error; ``hidden_layer_sizes=()`` gives linear regression trained by
    gradient descent. Parameter names and fitted attributes follow scikit-learn's
    :class:`~sklearn.neural_network.MLPRegressor`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        The number of units in each hidden layer; ``()`` gives the single-layer net.
    activation : {'logistic', 'tanh', 'relu', 'identity'}, default='logistic'
        The hidden units' non-linearity.

        - 'logistic': σ(z) = 1 / (1 + exp(−z)), the sigmoid.
        - 'tanh': the hyperbolic tangent.
        - 'relu': max(z, 0).
        - 'identity': z (a linear hidden layer).
    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        The optimiser.

        - 'adam': stochastic gradient descent with adaptive moments.
        - 'sgd': stochastic gradient descent with (Nesterov) momentum.
        - 'lbfgs': full-batch L-BFGS-B from :func:`scipy.optimize.minimize`;
          often the most accurate on a few hundred samples.
    alpha : float, default=1e-4
        Strength of the penalty on the weights (never the biases), divided by the
        weight sum as in scikit-learn's MLP. 'lbfgs' minimises the objective of
        the Notes with this α; 'sgd' and 'adam' add the penalty once per
        mini-batch, scaled by 1 / Σ_batch w, and settle where that objective with
        α · n_samples / batch_size would (scikit-learn's convention).
    l1_ratio : float, default=0.0
        Mix of the penalty: 0 is L2 (ridge, as scikit-learn's MLP), 1 is L1.
        Under 'sgd' and 'adam' the L1 part is a proximal (soft-thresholding) step
        after each update, which sets weights to exactly zero; 'lbfgs' follows
        its subgradient, which leaves small weights that are not exactly zero.
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The data term of the objective.

        - 'squared_error': half the mean squared error over the outputs ("actual
          minus predicted").
        - 'poisson': half the Poisson deviance, with an exponential output layer
          (the predicted mean is e^z), for counts and rates; y must be
          non-negative.
    batch_size : int or 'auto', default='auto'
        Mini-batch size for the stochastic solvers; 'auto' is min(200, n_samples).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule, for 'sgd' and 'adam'.

        - 'constant': ``learning_rate_init`` throughout.
        - 'invscaling': η_t = learning_rate_init / (t + 1)^power_t, t samples seen.
        - 'adaptive': divide η by 5 each time training stops improving.
    learning_rate_init : float, default=0.001
        The initial step size.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    max_grad_norm : float or None, default=None
        Clip the global L2 norm of the gradient to this value before each step:
        the cure for exploding gradients. None disables clipping; 'lbfgs',
        which needs exact gradients, ignores it.
    shuffle : bool, default=True
        Whether to shuffle the samples each epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, shuffling and the validation split. An int
        gives bit-identical models across calls.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress; for 'lbfgs', the
        gradient tolerance of the optimiser.
    verbose : bool, default=False
        Print one line per epoch: loss, validation score, learning rate, time.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its R² stops
        improving and keep the weights with the best validation score.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Adam's numerical-stability term.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations for 'lbfgs'.

    Attributes
    ----------
    loss_ : float
        The loss at the end of training.
    best_loss_ : float or None
        The smallest loss reached; None with ``early_stopping``.
    loss_curve_ : list of float
        The training loss after each epoch (each L-BFGS iteration).
    validation_scores_ : list of float or None
        R² on the held-out set after each epoch, with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        Loss on the held-out set after each epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        The best validation R², with ``early_stopping``.
    t_ : int
        The number of training samples seen, over all calls.
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (fan_in, fan_out) is the weight matrix of layer i+1.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape (fan_out,) is the bias vector of layer i+1.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    n_iter_ : int
        The number of epochs (iterations for L-BFGS) run by the last call to
        ``fit`` or ``partial_fit``, as in scikit-learn.
    n_layers_ : int
        The number of layers, input and output included.
    n_outputs_ : int
        The number of outputs.
    out_activation_ : str
        'identity', or 'exp' with ``loss='poisson'``.

    See Also
    --------
    SigmoidMLPClassifier : The same network for classification.
    ElmanRegressor : A recurrent network for sequences.
    sklearn.neural_network.MLPRegressor : scikit-learn's network.

    Notes
    -----
    The forward pass is :math:`h_l = σ(h_{l-1} W_l + b_l)` with an identity output
    layer; the loss is :math:`\\frac{1}{2 n_{out}} Σ_k (ŷ_k − y_k)^2` averaged over
    samples, plus the elastic-net penalty of :class:`SigmoidMLPClassifier`. The
    output gradient of sample i is δ_{L,i} = (w_i / Σ_j w_j)(ŷ_i − y_i) / n_out
    (for the Poisson loss, (w_i / Σ_j w_j)(ŷ_i − y_i)).
    Given the same weights, ``predict`` equals scikit-learn's ``MLPRegressor``.

    Under array API dispatch (``sklearn.set_config(array_api_dispatch=True)``,
    with ``SCIPY_ARRAY_API=1``), ``X`` may be a PyTorch or CuPy array on any
    device: training and prediction run there, and the fitted arrays stay
    there; ``to_numpy()`` gives a NumPy copy of the model. See the user guide's
    page "GPUs and other array libraries".

    References
    ----------
    Rumelhart, D. E., Hinton, G. E. and Williams, R. J. (1986). Learning
    representations by back-propagating errors. Nature, 323, 533–536.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_math import SigmoidMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-3, 3, size=(200, 1))
    >>> y = np.sin(X).ravel()
    >>> reg = SigmoidMLPRegressor(hidden_layer_sizes=(10,), solver="lbfgs",
    ...                           random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.99
    True
    """

    _parameter_constraints = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="logistic",
        *,
        solver="adam",
        alpha=1e-4,
        l1_ratio=0.0,
        loss="squared_error",
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        max_grad_norm=None,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.loss = loss
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.max_grad_norm = max_grad_norm
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
