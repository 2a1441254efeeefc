"""ONNX export of the five estimators through skl2onnx.

Importing this module registers, with `skl2onnx <https://onnx.ai/sklearn-onnx/>`_,
a converter and a shape calculator for :class:`~sknn_math.SigmoidMLPClassifier`,
:class:`~sknn_math.SigmoidMLPRegressor`, :class:`~sknn_math.ElmanClassifier`,
:class:`~sknn_math.ElmanRegressor` and :class:`~sknn_math.SelfOrganizingMap`.
From then on ``skl2onnx.to_onnx`` converts them, alone or as steps of a
:class:`~sklearn.pipeline.Pipeline` (with a scaler in front, say), like any
scikit-learn estimator. It needs the optional extra ``onnx``
(``pip install "sknn-math[onnx]"``: skl2onnx and onnxruntime); ``import
sknn_math`` alone never imports skl2onnx.

The graphs read only the fitted public attributes (``coefs_``, ``intercepts_``,
``activation``, ``out_activation_``, ``classes_``, ``n_outputs_``,
``n_features_per_step_``, ``codebook_``, ``unit_labels_``):

- **SigmoidMLPClassifier**, **SigmoidMLPRegressor**: each layer is ``MatMul``,
  ``Add`` and the activation (``Sigmoid``, ``Tanh``, ``Relu``; nothing for
  ``'identity'``). The outputs are those of skl2onnx's own ``MLPClassifier`` and
  ``MLPRegressor`` converters: a classifier gives ``label`` (as ``predict``) and
  ``probabilities`` (as ``predict_proba``; a ZipMap of them unless
  ``options={'zipmap': False}``; multilabel: the labels' independent
  probabilities and a 0/1 indicator matrix of labels); a regressor gives
  ``variable`` of shape (n_samples, n_outputs), (n_samples, 1) for one output.
- **ElmanClassifier**, **ElmanRegressor**: the 2-D input (n_sequences,
  n_timesteps · n_features_per_step) is reshaped in the graph to (n_sequences,
  n_timesteps, n_features_per_step) and made time-major for ONNX's ``RNN``
  operator, whose last state ``Y_h`` feeds the output layer. The number of
  time steps is fixed at conversion, from ``n_features_in_``. 3-D input
  (n_sequences, n_timesteps, n_features_per_step) works too.
- **SelfOrganizingMap**: like skl2onnx's ``KMeans`` converter, two outputs:
  ``label`` (as ``predict``: the best-matching unit, or with ``n_clusters`` its
  group) and ``scores`` (as ``transform``: the Euclidean distance to every unit).

The graph computes in float32, as skl2onnx does, unless the input is declared
float64 (``DoubleTensorType``, or a float64 array given to ``to_onnx``); then it
computes in float64 and, for the Elman nets, unrolls the recurrence into one
``MatMul`` per time step, as onnxruntime implements ``RNN`` for float32 only.
Integer and boolean inputs are cast to float32.

A model fitted on the arrays of another namespace (PyTorch or CuPy under array
API dispatch, its fitted arrays on their device) converts as it is: the
converters read its NumPy copy (``to_numpy()``).

What the graphs cannot do is an error at conversion: sparse input (skl2onnx has
no sparse tensor type: convert with a dense sample or an explicit
``FloatTensorType``, then feed dense arrays), an input whose declared width
differs from ``n_features_in_``, an unfitted estimator, class labels that are
neither integers nor strings, and an activation the graph has no operator for.
A :class:`SelfOrganizingMap` gives two outputs, so, as with ``KMeans``, it can
end a pipeline but not feed a later step. Missing values (NaN) are not handled
by the graphs.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> from sklearn.datasets import load_iris
>>> import sknn_math.onnx  # registers the converters
>>> from sknn_math import SigmoidMLPClassifier
>>> X, y = load_iris(return_X_y=True)
>>> X = X.astype(np.float32)
>>> clf = SigmoidMLPClassifier(learning_rate_init=0.01, max_iter=1000,
...                            random_state=0).fit(X, y)
>>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
>>> sess = ort.InferenceSession(onx.SerializeToString(),
...                             providers=["CPUExecutionProvider"])
>>> label, proba = sess.run(None, {"X": X})
>>> proba.shape
(150, 3)
>>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
True
"""

import numbers

import numpy as np

try:
    from onnx import TensorProto, numpy_helper
    from skl2onnx import update_registered_converter
except ImportError as exc:  # pragma: no cover
    raise ImportError(
        "sknn_math.onnx needs skl2onnx and onnxruntime, the optional extra "
        '`onnx`: pip install "sknn-math[onnx]".'
    ) from exc
from skl2onnx._parse import _parse_sklearn_classifier
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import (
    check_input_and_output_numbers,
    check_input_and_output_types,
)
from skl2onnx.common.utils_classifier import get_label_classes
from sklearn.utils.validation import check_is_fitted

from ._array_api import namespace_of_array
from ._elman import ElmanClassifier, ElmanRegressor
from ._mlp import SigmoidMLPClassifier, SigmoidMLPRegressor
from ._som import SelfOrganizingMap

__all__ = []

# ONNX operator of each activation name; None: no operator (identity).
_ACTIVATION_OPS = {
    "identity": None,
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "softmax": "Softmax",
    "exp": "Exp",
}
# The activations ONNX's RNN operator takes for its hidden state.
_RNN_ACTIVATIONS = {"logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}
_INPUT_TYPES = [BooleanTensorType, DoubleTensorType, FloatTensorType, Int64TensorType]

# Classifier options, as skl2onnx declares them for scikit-learn's MLPClassifier.
_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [True, False],
}


# ----------------------------------------------------------------------------
# Graph helpers


class _Graph:
    """Adds nodes and initializers to one operator's part of the ONNX graph,
    computing in ``dtype`` (float32 or float64)."""

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def const(self, value, hint="const", dtype=None):
        """An initializer holding ``value`` (in the graph's dtype by default)."""
        value = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self.name(hint)
        if value.dtype.kind in "USO":
            strings = [str(s).encode("utf-8") for s in value.ravel()]
            self.container.add_initializer(
                name, TensorProto.STRING, list(value.shape), strings
            )
        else:
            tensor = numpy_helper.from_array(value, name)
            self.container.add_initializer(
                name, tensor.data_type, list(value.shape), tensor
            )
        return name

    def node(self, op_type, inputs, output=None, op_domain="", **attrs):
        """One node with one output (named ``output``, or a new name)."""
        output = output or self.name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            [output],
            op_domain=op_domain,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def cast_input(self, variable):
        """The operator's input, cast to the graph's dtype where it differs."""
        if _input_dtype(variable) == self.dtype:
            return variable.full_name
        return self.node(
            "Cast", [variable.full_name], to=_proto_type(self.dtype)
        )

    def dense(self, x, W, b, activation):
        """``σ(x W + b)``: MatMul, Add and the activation's operator."""
        z = self.node("MatMul", [x, self.const(W, "coefficient")])
        z = self.node("Add", [z, self.const(np.reshape(b, (1, -1)), "intercepts")])
        return self.activate(z, activation)

    def activate(self, z, activation, output=None):
        op = _ACTIVATION_OPS[activation]
        if op is None:
            return z if output is None else self.node("Identity", [z], output)
        attrs = {"axis": 1} if op == "Softmax" else {}
        return self.node(op, [z], output, **attrs)


def _proto_type(dtype):
    return TensorProto.DOUBLE if np.dtype(dtype) == np.float64 else TensorProto.FLOAT


def _input_dtype(variable):
    """float64 for a float64 input, float32 (skl2onnx's default) otherwise."""
    if isinstance(variable.type, DoubleTensorType):
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def _output_tensor_type(variable):
    return DoubleTensorType if _input_dtype(variable) == np.float64 else FloatTensorType


# ----------------------------------------------------------------------------
# Checks done at conversion (in the shape calculators, before any node exists)


def _check_operator(operator, n_outputs):
    """Fitted model, one dense numeric input of the fitted width."""
    model = operator.raw_operator
    check_is_fitted(model)
    check_input_and_output_numbers(
        operator, input_count_range=1, output_count_range=n_outputs
    )
    check_input_and_output_types(operator, good_input_types=_INPUT_TYPES)
    shape = operator.inputs[0].type.shape
    name = type(model).__name__
    if isinstance(model, (ElmanClassifier, ElmanRegressor)):
        d = model.n_features_per_step_
        expected = {2: [model.n_features_in_], 3: [model.n_features_in_ // d, d]}
    else:
        expected = {2: [model.n_features_in_]}
    if shape is None or len(shape) not in expected:
        raise ValueError(
            f"{name} converts an input of rank {' or '.join(map(str, expected))}, "
            f"but the input is declared with shape {shape}."
        )
    for got, want in zip(shape[1:], expected[len(shape)], strict=True):
        if isinstance(got, numbers.Integral) and got != want:
            fitted = " or ".join(
                f"[None, {', '.join(map(str, dims))}]" for dims in expected.values()
            )
            raise ValueError(
                f"{name} was fitted on {model.n_features_in_} features, but the "
                f"input is declared with shape {shape}. Declare the fitted "
                f"shape: {fitted}."
            )


def _check_activation(model, name, supported):
    if name not in supported:
        raise NotImplementedError(
            f"{type(model).__name__} with activation {name!r} has no ONNX "
            f"conversion; supported: {sorted(supported)}."
        )


def _is_multilabel(model):
    # A logistic output of more than one unit: independent labels. (One unit is
    # the binary case; softmax, multiclass.)
    return model.out_activation_ == "logistic" and model.n_outputs_ > 1


def _label_classes(operator):
    """``classes_`` as the label output gives them (``nocl``: their indices),
    with the ONNX type of the labels."""
    model = operator.raw_operator
    classes = np.asarray(get_label_classes(operator.scope_inst, model))
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64), Int64TensorType
    if classes.dtype.kind == "f":
        if not np.all(classes == np.round(classes)):
            raise NotImplementedError(
                f"{type(model).__name__} has float class labels that are not "
                f"integers ({classes.tolist()}); ONNX labels are integers or "
                "strings. Fit on integer or string labels."
            )
        return classes.astype(np.int64), Int64TensorType
    if all(isinstance(c, str) for c in classes.tolist()):
        return classes.astype(str), StringTensorType
    raise NotImplementedError(
        f"{type(model).__name__} has class labels of type {classes.dtype} "
        f"({classes.tolist()!r}); ONNX labels are integers or strings."
    )


def _classifier_shapes(operator):
    _check_operator(operator, n_outputs=[2, 2])
    model = operator.raw_operator
    _check_network_activations(model)
    N = operator.inputs[0].get_first_dimension()
    if _is_multilabel(model):
        operator.outputs[0].type = Int64TensorType([N, model.n_outputs_])
    else:
        _, label_type = _label_classes(operator)
        operator.outputs[0].type = label_type([N])
    n_columns = len(model.classes_)
    operator.outputs[1].type = _output_tensor_type(operator.inputs[0])([N, n_columns])


def _regressor_shapes(operator):
    _check_operator(operator, n_outputs=[1, 1])
    model = operator.raw_operator
    _check_network_activations(model)
    N = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _output_tensor_type(operator.inputs[0])(
        [N, model.n_outputs_]
    )


def _som_shapes(operator):
    _check_operator(operator, n_outputs=[2, 2])
    model = operator.raw_operator
    N = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([N])
    operator.outputs[1].type = _output_tensor_type(operator.inputs[0])(
        [N, model.codebook_.shape[0]]
    )


def _check_network_activations(model):
    hidden = _RNN_ACTIVATIONS if _is_elman(model) else _ACTIVATION_OPS
    _check_activation(model, model.activation, set(hidden) - {"softmax", "exp"})
    _check_activation(model, model.out_activation_, _ACTIVATION_OPS)


def _is_elman(model):
    return isinstance(model, (ElmanClassifier, ElmanRegressor))


# ----------------------------------------------------------------------------
# Converters


def _classifier_outputs(graph, operator, P):
    """``label`` and ``probabilities`` from the output layer's activations ``P``,
    as ``predict`` and ``predict_proba`` compute them."""
    model = operator.raw_operator
    label, proba = (v.full_name for v in operator.outputs[:2])
    if _is_multilabel(model):
        # independent labels: probability > 0.5, as 0/1 per label
        graph.node("Identity", [P], proba)
        above = graph.node("Greater", [P, graph.const(0.5)])
        graph.node("Cast", [above], label, to=TensorProto.INT64)
        return
    classes, _ = _label_classes(operator)
    if model.n_outputs_ == 1:
        # binary with one logistic unit: [1 − p, p]; the label is classes_[p > 0.5]
        q = graph.node("Sub", [graph.const(np.ones((1, 1))), P])
        graph.node("Concat", [q, P], proba, axis=1)
        above = graph.node("Greater", [P, graph.const(0.5)])
        index = graph.node("Cast", [above], to=TensorProto.INT64)
        index = graph.node("Reshape", [index, graph.const([-1], dtype=np.int64)])
    else:
        # multiclass (softmax): the most probable class, as predict
        graph.node("Identity", [P], proba)
        index = graph.node("ArgMax", [P], axis=1, keepdims=0)
    graph.node("Gather", [graph.const(classes, "classes", classes.dtype), index],
               label, axis=0)


def _network_output(graph, operator, h, W, b):
    """The output layer ``g(h W + b)`` and the estimator's outputs from it."""
    model = operator.raw_operator
    Y = graph.dense(h, W, b, model.out_activation_)
    if hasattr(model, "classes_"):
        _classifier_outputs(graph, operator, Y)
    else:
        graph.node("Identity", [Y], operator.outputs[0].full_name)


def _host_model(operator):
    """The operator's model, or its NumPy copy when its fitted arrays live in
    another namespace: the graph's initializers are NumPy arrays."""
    model = operator.raw_operator
    fitted = model.codebook_ if hasattr(model, "codebook_") else model.coefs_[0]
    return model if namespace_of_array(fitted).is_numpy else model.to_numpy()


def _convert_mlp(scope, operator, container):
    model = _host_model(operator)
    graph = _Graph(scope, container, _input_dtype(operator.inputs[0]))
    h = graph.cast_input(operator.inputs[0])
    # h_l = σ(h_{l−1} W_l + b_l) for the hidden layers
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1], strict=True):
        h = graph.dense(h, W, b, model.activation)
    _network_output(graph, operator, h, model.coefs_[-1], model.intercepts_[-1])


def _convert_elman(scope, operator, container):
    model = _host_model(operator)
    W_xh, W_hh, W_hy = model.coefs_
    b_h, b_y = model.intercepts_
    (d, H), T = W_xh.shape, model.n_features_in_ // model.n_features_per_step_
    graph = _Graph(scope, container, _input_dtype(operator.inputs[0]))
    x = graph.cast_input(operator.inputs[0])
    # column j of X is step j // d, feature j % d: (N, T·d) → (N, T, d)
    x = graph.node("Reshape", [x, graph.const([-1, T, d], dtype=np.int64)])
    if graph.dtype == np.float32:
        # ONNX RNN: H_t = f(X_t Wᵀ + H_{t−1} Rᵀ + Wb + Rb), time-major input
        # (T, N, d); W = W_xhᵀ, R = W_hhᵀ, Wb = b_h, Rb = 0; Y_h = h_T.
        x = graph.node("Transpose", [x], perm=[1, 0, 2])
        B = np.concatenate([b_h, np.zeros_like(b_h)]).reshape(1, 2 * H)
        h_T = graph.name("Y_h")
        container.add_node(
            "RNN",
            [x, graph.const(W_xh.T[None], "W"), graph.const(W_hh.T[None], "R"),
             graph.const(B, "B")],
            ["", h_T],
            name=scope.get_unique_operator_name("RNN"),
            hidden_size=H,
            activations=[_RNN_ACTIVATIONS[model.activation]],
        )
        h = graph.node("Reshape", [h_T, graph.const([-1, H], dtype=np.int64)])
    else:
        # onnxruntime's RNN is float32 only: unroll the T steps.
        # x_t W_xh + b_h for every step at once: (N, T, d)(d, H) → (N, T, H)
        xW = graph.node("MatMul", [x, graph.const(W_xh, "W_xh")])
        xW = graph.node("Add", [xW, graph.const(b_h.reshape(1, 1, H), "b_h")])
        R = graph.const(W_hh, "W_hh")
        h = None
        for t in range(T):
            # h_t = σ(x_t W_xh + b_h + h_{t−1} W_hh); h_0 = 0 adds nothing at t = 0
            z = graph.node("Gather", [xW, graph.const(t, dtype=np.int64)], axis=1)
            if h is not None:
                z = graph.node("Add", [z, graph.node("MatMul", [h, R])])
            h = graph.activate(z, model.activation)
    _network_output(graph, operator, h, W_hy, b_y)


def _convert_som(scope, operator, container):
    model = _host_model(operator)
    graph = _Graph(scope, container, _input_dtype(operator.inputs[0]))
    x = graph.cast_input(operator.inputs[0])
    # ‖x − w_k‖² = ‖x − μ‖² − 2 (x − μ)·(w_k − μ) + ‖w_k − μ‖², with μ the
    # codebook's coordinate-wise median, as in _som_bmu.bmu_operands: centring
    # keeps float32 precision far from the origin, and the median, unlike the
    # mean, stays among the prototypes when one of them lies far away. (The graph
    # has no exact re-ranking near far prototypes: there it may differ from
    # predict in float32.)
    W = np.asarray(model.codebook_, dtype=np.float64)
    mu = np.median(W, axis=0)
    W_c = W - mu
    x_c = graph.node("Sub", [x, graph.const(mu.reshape(1, -1), "mu")])
    xx = graph.node("MatMul", [graph.node("Mul", [x_c, x_c]),
                               graph.const(np.ones((W.shape[1], 1)), "ones")])
    cross = graph.node("MatMul", [x_c, graph.const(-2.0 * W_c.T, "codebook")])
    ww = graph.const(np.einsum("ij,ij->i", W_c, W_c).reshape(1, -1), "unit_norms")
    D2 = graph.node("Add", [graph.node("Add", [cross, xx]), ww])
    bmu = graph.node("ArgMin", [D2], axis=1, keepdims=0)
    graph.node("Gather", [graph.const(model.unit_labels_, "unit_labels", np.int64),
                          bmu], operator.outputs[0].full_name, axis=0)
    # rounding can leave a tiny negative square where a sample sits on a unit
    D2 = graph.node("Max", [D2, graph.const(0.0)])
    graph.node("Sqrt", [D2], operator.outputs[1].full_name)


# ----------------------------------------------------------------------------
# Registration


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's classifier parser (label, probabilities, ZipMap), after checking
    that the model is fitted: that parser reads ``classes_`` first."""
    check_is_fitted(model)
    return _parse_sklearn_classifier(
        scope, model, inputs, custom_parsers=custom_parsers
    )


for _model, _shapes, _convert, _parser, _options in [
    (SigmoidMLPClassifier, _classifier_shapes, _convert_mlp, _parse_classifier,
     _CLASSIFIER_OPTIONS),
    (SigmoidMLPRegressor, _regressor_shapes, _convert_mlp, None, None),
    (ElmanClassifier, _classifier_shapes, _convert_elman, _parse_classifier,
     _CLASSIFIER_OPTIONS),
    (ElmanRegressor, _regressor_shapes, _convert_elman, None, None),
    (SelfOrganizingMap, _som_shapes, _convert_som, None, None),
]:
    update_registered_converter(
        _model, f"SknnMath{_model.__name__}", _shapes, _convert,
        parser=_parser, options=_options,
    )
del _model, _shapes, _convert, _parser, _options
