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

__all__ = [
    "__version__",
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
