"""The library's exception tree.

Every error lptrain raises on purpose derives from :class:`LPTrainError`, and each
subclass also derives from the builtin it means, so ``except ValueError`` keeps working
for callers that do not know about lptrain.

Messages name the argument, what was expected, what was received and, where there is
one, how to fix it.
"""

from __future__ import annotations

__all__ = [
    "LPTrainError",
    "InvalidInputError",
    "FileFormatError",
    "TooLargeError",
    "SolverError",
    "InfeasibleError",
    "UnboundedError",
    "TimeLimitError",
    "CertificateError",
    "NotFittedError",
    "OutsideTheoryError",
    "OutputError",
]


class LPTrainError(Exception):
    """Base class of every error raised by lptrain."""


class InvalidInputError(LPTrainError, ValueError):
    """An argument has the wrong type, shape, range or value (NaN, inf, ...)."""


class OutsideTheoryError(InvalidInputError):
    """A component is used where the paper's theory must cover it but does not
    (e.g. the binary step activation in a Lipschitz-based construction)."""


class FileFormatError(LPTrainError, ValueError):
    """A file is malformed, truncated, tampered with, or of an unknown format version."""


class TooLargeError(LPTrainError, MemoryError):
    """A build was refused by the size guard before allocating; the message carries the
    estimate and the limit."""


class SolverError(LPTrainError, RuntimeError):
    """The LP/MIP solver failed or returned a status the library cannot use."""


class InfeasibleError(SolverError):
    """The problem has no feasible point."""


class UnboundedError(SolverError):
    """The problem is unbounded."""


class TimeLimitError(SolverError):
    """The solver stopped at its time limit before proving optimality."""


class CertificateError(LPTrainError, ArithmeticError):
    """An independent check of a solver's answer failed (residuals or dual bound)."""


class NotFittedError(LPTrainError, AttributeError):
    """An estimator method that needs ``fit`` was called before ``fit``."""


class OutputError(LPTrainError, OSError):
    """An output file could not be written (missing folder, permissions, disk full);
    nothing half-written is left behind."""
