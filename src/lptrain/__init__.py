"""lptrain: train neural networks by linear programming, with proofs of how good the result is.

Implements Bienstock, Muñoz, Pokutta, "Principled Deep Neural Network Training through
Linear Programming". See ``docs/`` for the mathematics and the user guide.
"""

from __future__ import annotations

from lptrain.errors import (
    CertificateError,
    FileFormatError,
    InfeasibleError,
    InvalidInputError,
    LPTrainError,
    NotFittedError,
    OutsideTheoryError,
    SolverError,
    TimeLimitError,
    TooLargeError,
    UnboundedError,
)

__version__ = "0.1.0"

# The main entry points, imported on first use so that ``import lptrain`` stays light.
_LAZY = {
    "LPTrainer": "lptrain.estimators",
    "LPRegressor": "lptrain.estimators",
    "LPClassifier": "lptrain.estimators",
    "ERMPolytope": "lptrain.erm",
    "BinaryProblem": "lptrain.bo",
    "load_model": "lptrain.model_io",
    "dense": "lptrain.nn",
    "parse_arch": "lptrain.nn",
    "architecture_lipschitz": "lptrain.nn",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lptrain' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)

__all__ = [
    "__version__",
    "LPTrainer",
    "LPRegressor",
    "LPClassifier",
    "ERMPolytope",
    "BinaryProblem",
    "load_model",
    "dense",
    "parse_arch",
    "architecture_lipschitz",
    "CertificateError",
    "FileFormatError",
    "InfeasibleError",
    "InvalidInputError",
    "LPTrainError",
    "NotFittedError",
    "OutsideTheoryError",
    "SolverError",
    "TimeLimitError",
    "TooLargeError",
    "UnboundedError",
]
