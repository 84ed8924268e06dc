"""What the estimators share: the error for an unfitted model, the losses that classify, the
face solvers, the encoding of class labels and the result of a fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lptrain import errors
from lptrain.data import LabelEncoder
from lptrain.errors import InvalidInputError
from lptrain.nn.losses import Loss

__all__ = ["NotFittedError", "CLASSIFICATION_LOSSES", "solver_names", "encode_labels",
           "FitResult", "set_fitted"]

#: Losses whose 1-D targets are class labels.
CLASSIFICATION_LOSSES: tuple[str, ...] = ("hinge", "cross_entropy")

try:  # scikit-learn's own error, so that its checks and users' ``except`` clauses see it
    from sklearn.exceptions import NotFittedError as _SklearnNotFitted

    class NotFittedError(errors.NotFittedError, _SklearnNotFitted):
        """An estimator method that needs ``fit`` was called before ``fit`` (both
        :class:`lptrain.errors.NotFittedError` and scikit-learn's ``NotFittedError``)."""

except ImportError:  # pragma: no cover - scikit-learn is optional
    NotFittedError = errors.NotFittedError  # type: ignore[misc, assignment]


def solver_names() -> tuple[str, ...]:
    """The face solvers available (``lptrain.erm.SOLVERS``), e.g. ``("highs", "structured")``.

    Examples
    --------
    >>> "structured" in solver_names()
    True
    """
    from lptrain.erm import SOLVERS

    return tuple(SOLVERS)


def encode_labels(lab: np.ndarray, loss: Loss, m: int | None) -> LabelEncoder:
    """The label encoding of class labels for ``loss``: hinge with one output → ``sign``
    (two classes), with k outputs → ``pm_onehot``; cross-entropy → ``onehot`` (k outputs).
    ``m`` is the network's number of outputs, or None to take it from the classes (hinge:
    one output for two classes).

    Examples
    --------
    >>> from lptrain.nn import get_loss
    >>> encode_labels(np.array(["a", "b", "a"]), get_loss("cross_entropy"), None).n_outputs
    2
    """
    if lab.dtype.kind == "f" and not np.isfinite(lab).all():
        i = int(np.flatnonzero(~np.isfinite(lab))[0])
        raise InvalidInputError(f"y contains {lab[i]!r} in row {i}")
    k = len(np.unique(lab))
    if loss.name == "hinge":
        scheme = "sign" if (m == 1 or (m is None and k <= 2)) else "pm_onehot"
    else:
        scheme = "onehot"
        if m == 1:
            raise InvalidInputError(
                "cross_entropy needs one network output per class (m = number of "
                f"classes); the network has m=1 and y has {k} classes")
    enc = LabelEncoder.fit(lab, scheme)
    if m is not None and scheme != "sign" and m != len(enc.classes):
        raise InvalidInputError(
            f"y has {len(enc.classes)} classes but the network has m={m} outputs; "
            f"{loss.name} with class labels needs one output per class (or m=1 with 2 "
            "classes for hinge)")
    return enc


@dataclass(frozen=True)
class FitResult:
    """What one fit found, whichever path it took.

    ``method`` is ``"face LP"`` (the §3 grid: ``face``, ``polytope``, ``lp_objective``,
    ``epsilon`` set; ``a_posteriori`` with a ``target_gap``) or ``"branch and bound"``
    (no grid: ``a_posteriori`` only). ``params_source``: ``"face LP"``, ``"branch and
    bound"`` or ``"local search"`` (the start the branch and bound could not improve).
    """

    method: str
    params: np.ndarray
    erm: float
    lower_bound: float
    lower_bound_kind: str
    params_source: str
    face: Any = None
    polytope: Any = None
    a_posteriori: Any = None
    lp_objective: float | None = None
    epsilon: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    local_search: dict[str, Any] | None = None

    @property
    def gap(self) -> float:
        """``erm - lower_bound``: how far ``params`` can be from the global optimum."""
        return self.erm - self.lower_bound


def set_fitted(est: Any, res: FitResult) -> None:
    """Set the fitted attributes (``params_``, ``erm_``, ``lower_bound_``...) of an
    estimator from a fit's result."""
    est.method_ = res.method
    est.params_ = np.asarray(res.params, dtype=np.float64)
    est.erm_ = float(res.erm)
    est.lower_bound_ = float(res.lower_bound)
    est.lower_bound_kind_ = res.lower_bound_kind
    est.gap_ = float(res.gap)
    est.params_source_ = res.params_source
    est.certificate_ = res.face
    est.polytope_ = res.polytope
    est.a_posteriori_ = res.a_posteriori
    est.lp_objective_ = res.lp_objective
    est.epsilon_ = res.epsilon
    est.seconds_ = dict(res.seconds)
    est.local_search_ = res.local_search
