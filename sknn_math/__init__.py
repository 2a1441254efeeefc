"""scikit-learn estimators for the classic neural networks, in plain NumPy/SciPy.

- :class:`SigmoidMLPClassifier`, :class:`SigmoidMLPRegressor`: the single-layer
  sigmoid network and the multi-layer perceptron, trained by backpropagation.
- :class:`ElmanClassifier`, :class:`ElmanRegressor`: Elman recurrent networks
  trained by backpropagation through time.
- :class:`SelfOrganizingMap`: Kohonen's self-organizing map, as a clusterer and
  a transformer.
- :func:`make_windows`, :func:`pad_sequences` and :func:`forecast`: series and
  sequences laid out for the Elman networks, and recursive forecasts through a
  pipeline's scalers.

``SKOPS_TRUSTED_TYPES`` lists the types to trust when loading these
estimators safely with ``skops.io.load``.
"""

from . import _optimizers
from ._elman import ElmanClassifier, ElmanRegressor, make_windows, pad_sequences
from ._forecast import forecast
from ._mlp import SigmoidMLPClassifier, SigmoidMLPRegressor
from ._plotting import ComponentPlanesDisplay, LossCurveDisplay, SOMDisplay
from ._som import SelfOrganizingMap

__version__ = "0.1.0.dev0"

SKOPS_TRUSTED_TYPES = [
    f"{cls.__module__}.{cls.__qualname__}"
    for cls in (
        ElmanClassifier,
        ElmanRegressor,
        SelfOrganizingMap,
        SigmoidMLPClassifier,
        SigmoidMLPRegressor,
        # the state of the stochastic solvers, kept for partial_fit and warm_start
        _optimizers.SGD,
        _optimizers.Adam,
    )
]
"""The types of this library that a skops file of its estimators holds.

Everything else in such a file (NumPy arrays, scikit-learn's own estimators in a
pipeline, built-in types) is trusted by skops by default, so one call loads any
model of this library, alone or in a pipeline, without trusting anything else::

    import skops.io as sio
    from sknn_math import SKOPS_TRUSTED_TYPES

    model = sio.load("model.skops", trusted=SKOPS_TRUSTED_TYPES)

The names are those of the private modules that define the types
(``sknn_math._mlp.SigmoidMLPClassifier``, ``sknn_math._optimizers.Adam`` …),
which is how skops names what it rebuilds. Add the types of your own code to a
copy of the list: ``trusted=[*SKOPS_TRUSTED_TYPES, "mypackage.MyTransformer"]``.
"""

__all__ = [
    "ElmanClassifier",
    "ElmanRegressor",
    "make_windows",
    "pad_sequences",
    "forecast",
    "SelfOrganizingMap",
    "ComponentPlanesDisplay",
    "LossCurveDisplay",
    "SOMDisplay",
    "SigmoidMLPClassifier",
    "SigmoidMLPRegressor",
    "SKOPS_TRUSTED_TYPES",
    "__version__",
]
