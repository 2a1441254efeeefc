"""scikit-learn estimators for the classic neural networks, in plain NumPy/SciPy."""

__version__ = "0.1.0.dev0"

__all__ = [
    "__version__",
]
