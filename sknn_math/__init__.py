"""scikit-learn estimators for the classic neural networks, in plain NumPy/SciPy.

- :class:`SigmoidMLPClassifier`, :class:`SigmoidMLPRegressor`: the single-layer
  sigmoid network and the multi-layer perceptron, trained by backpropagation.
- :class:`ElmanClassifier`, :class:`ElmanRegressor`: Elman recurrent networks
  trained by backpropagation through time.
- :class:`SelfOrganizingMap`: Kohonen's self-organizing map, as a clusterer and
  a transformer.
"""

from ._elman import ElmanClassifier, ElmanRegressor, make_windows, pad_sequences
from ._mlp import SigmoidMLPClassifier, SigmoidMLPRegressor
from ._plotting import ComponentPlanesDisplay, LossCurveDisplay, SOMDisplay
from ._som import SelfOrganizingMap

__version__ = "0.1.0.dev0"

__all__ = [
    "ElmanClassifier",
    "ElmanRegressor",
    "make_windows",
    "pad_sequences",
    "SelfOrganizingMap",
    "ComponentPlanesDisplay",
    "LossCurveDisplay",
    "SOMDisplay",
    "SigmoidMLPClassifier",
    "SigmoidMLPRegressor",
    "__version__",
]
