"""The 0-1 / Hamming loss ``Σ_j [z_j ≠ y_j]`` (Appendix C): outside the Lipschitz theory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lptrain.components._dsl import equal, not_equal, where
from lptrain.components.base import require_torch
from lptrain.components.loss import SeparableLoss

__all__ = ["HammingLoss"]


class HammingLoss(SeparableLoss):
    """``ℓ(z, y) = Σ_j [z_j ≠ y_j]``: mismatched outputs of a binarized network.

    Not continuous, so no Lipschitz constant (``lipschitz`` raises OutsideTheoryError):
    outside the theory of §4; the exact BiU networks of Appendix C use it. Its interval
    bound is exact arithmetic (no rounding slack) and its minorant is that bound (slope 0).

    Examples
    --------
    >>> HammingLoss()(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))
    array([1.])
    """

    key = "hamming"
    aliases = ("zero_one", "0_1", "01")
    in_theory = False
    differentiable = False
    theory = "outside §4 (not continuous); the binarized networks of Appendix C"

    def term(self, z: Any, y: Any) -> Any:
        return where(not_equal(z, y), 1.0, 0.0)

    def term_interval(self, zl: Any, zh: Any, yl: Any, yh: Any) -> tuple[Any, Any]:
        disjoint = (zh < yl) | (yh < zl)
        same = equal(zl, zh) & equal(yl, yh) & equal(zl, yl)
        return where(disjoint, 1.0, 0.0), where(same, 0.0, 1.0)

    def term_minorant(self, c: Any, r: Any, y: Any) -> tuple[Any, Any]:
        return 0.0, self.term_interval(c - r, c + r, y, y)[0]

    def term_pieces(self, lo: np.ndarray, hi: np.ndarray, y: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
        floor = np.asarray(self.term_interval(lo, hi, y, y)[0], dtype=np.float64)
        return [(np.zeros_like(floor), floor)]

    def lipschitz(self, m: int, U: float) -> float:
        """None exists: raises OutsideTheoryError."""
        raise self.outside_theory()

    def magnitude(self, B: Sequence[float]) -> float:
        return float(len(B))

    def rounding_ops(self, m: int) -> int:
        return 0  # sums of 0/1 values are exact

    def minorant_magnitude(self, T: Sequence[float]) -> float:
        return float(len(T))

    def value_range(self, m: int, U: float) -> tuple[float, float]:
        return 0.0, float(m)

    def torch_loss(self, z: Any, y: Any) -> Any:
        """The value (no gradient: ``differentiable`` is False)."""
        require_torch("a PyTorch loss")
        return (z != y).to(z.dtype).sum(dim=1)
