"""Regularizers ``λR(φ)`` of the regularized ERM (Appendix B, eq. 14, Definition B.1).

Two regularizers on the N free parameters, each with its ∞-norm Lipschitz constant over
``[-1, 1]^N`` (the sup of ``‖∇(λR)‖₁``), which Definition B.1 adds to the architecture
constant:

* ``l1``: ``λ‖φ‖₁ = λ Σ_j |φ_j|``, constant ``λN``;
* ``l2``: ``λ‖φ‖₂² = λ Σ_j φ_j²`` (the squared norm, "weight decay"), constant ``2λN``.

They are named ``"l1:0.01"`` / ``"l2:0.5"`` on the command line and in files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain.errors import InvalidInputError

__all__ = ["Regularizer", "get_regularizer", "REGULARIZERS"]

#: Regularizer kinds.
REGULARIZERS: tuple[str, ...] = ("l1", "l2")


@dataclass(frozen=True)
class Regularizer:
    """``λR(φ)`` with R the ℓ1 norm (``kind="l1"``) or the squared ℓ2 norm (``"l2"``).

    Examples
    --------
    >>> reg = get_regularizer("l2:0.5")
    >>> reg(np.array([[1.0, -0.5]]))
    array([0.625])
    >>> reg.lipschitz(N=2)
    2.0
    """

    kind: str
    lam: float

    def __post_init__(self) -> None:
        if self.kind not in REGULARIZERS:
            raise InvalidInputError(f"regularizer must be 'l1' or 'l2'; got {self.kind!r}")
        lam = self.lam
        if not (isinstance(lam, (int, float)) and np.isfinite(lam) and lam >= 0):
            raise InvalidInputError(f"regularizer weight lambda must be a finite number >= 0; "
                                    f"got {lam!r}")

    @property
    def spec(self) -> str:
        """The string form accepted by :func:`get_regularizer`."""
        return f"{self.kind}:{self.lam!r}"

    @property
    def weights(self) -> tuple[float, float]:
        """``(λ₁, λ₂)``: the weights of ``Σ|φ_j|`` and ``Σφ_j²`` (the kernels take both)."""
        return (self.lam, 0.0) if self.kind == "l1" else (0.0, self.lam)

    def lipschitz(self, N: int) -> float:
        """∞-norm Lipschitz constant of λR over ``[-1, 1]^N`` (Definition B.1)."""
        return self.lam * N * (1.0 if self.kind == "l1" else 2.0)

    def __call__(self, phi: np.ndarray) -> np.ndarray:
        """λR of each row of phi (shape (P, N)) → (P,)."""
        phi = np.asarray(phi, dtype=np.float64)
        if self.kind == "l1":
            return np.asarray(self.lam * np.abs(phi).sum(axis=-1))
        return np.asarray(self.lam * (phi * phi).sum(axis=-1))

    def interval(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of λR over boxes ``[lo, hi]`` (rows) → two (B,) arrays."""
        mag_lo = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
        mag_hi = np.maximum(np.abs(lo), np.abs(hi))
        if self.kind == "l2":
            mag_lo, mag_hi = mag_lo * mag_lo, mag_hi * mag_hi
        return self.lam * mag_lo.sum(axis=-1), self.lam * mag_hi.sum(axis=-1)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"kind": self.kind, "lambda": self.lam}


def get_regularizer(spec: str | Regularizer | None) -> Regularizer | None:
    """Parse ``"l1:0.01"`` or ``"l2:0.5"`` (``None``/``"none"`` → no regularizer).

    Examples
    --------
    >>> get_regularizer("l1:0.01")
    Regularizer(kind='l1', lam=0.01)
    >>> get_regularizer("l3:1")
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: regularizer must look like 'l1:0.01' or 'l2:0.5' \
(kind:lambda); got 'l3:1'
    """
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if not isinstance(spec, str):
        raise InvalidInputError(f"regularizer must be a string like 'l1:0.01'; got {spec!r}")
    text = spec.strip().lower()
    if text in ("", "none"):
        return None
    kind, _, lam = text.partition(":")
    try:
        value = float(lam)
    except ValueError:
        value = float("nan")
    if kind not in REGULARIZERS or not lam:
        raise InvalidInputError(
            f"regularizer must look like 'l1:0.01' or 'l2:0.5' (kind:lambda); got {spec!r}"
        )
    return Regularizer(kind, value)
