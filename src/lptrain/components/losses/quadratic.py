"""The quadratic loss ``Σ_j (z_j - y_j)²`` (§4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lptrain.components.base import require_torch
from lptrain.components.loss import SeparableLoss
from lptrain.components.losses.abs import magnitude_bounds

__all__ = ["QuadraticLoss"]


class QuadraticLoss(SeparableLoss):
    """``ℓ(z, y) = Σ_j (z_j - y_j)²``.

    Lipschitz: ``|∂ℓ/∂z_j| = |∂ℓ/∂y_j| = 2|z_j - y_j| <= 2(U + 1)``, so
    ``‖∇ℓ‖₁ <= 4m(U + 1)`` (§4.3). Minorant: the tangent at the centre,
    ``t² >= t₀² + 2 t₀ (t - t₀)``. LP pieces: tangents (an outer approximation of the convex
    epigraph).

    Examples
    --------
    >>> QuadraticLoss().lipschitz(m=2, U=3.0)
    32.0
    """

    key = "quadratic"
    aliases = ("squared", "square")
    in_theory = True
    table1_like = "quadratic"
    theory = "a Lipschitz loss of §4.3 on the bounded box (L = 4m(U+1)): Main Theorem 3.1"

    def term(self, z: Any, y: Any) -> Any:
        d = z - y
        return d * d

    def term_interval(self, zl: Any, zh: Any, yl: Any, yh: Any) -> tuple[Any, Any]:
        lo, hi = magnitude_bounds(zl, zh, yl, yh)
        return lo * lo, hi * hi

    def term_minorant(self, c: Any, r: Any, y: Any) -> tuple[Any, Any]:
        t = c - y
        return 2.0 * t, t * t

    def lipschitz(self, m: int, U: float) -> float:
        """``4m(U + 1)`` (module docstring)."""
        return 4.0 * m * (U + 1.0)

    def magnitude(self, B: Sequence[float]) -> float:
        return float(sum((b + 1.0) ** 2 for b in B))

    def rounding_ops(self, m: int) -> int:
        return 3 * m + 2

    def minorant_magnitude(self, T: Sequence[float]) -> float:
        """``t² <= (T + 1)²`` and ``|2t a| <= 2(T + 1) T`` per output: ``3(T + 1)²``."""
        return float(sum(3.0 * (t + 1.0) ** 2 for t in T))

    def value_range(self, m: int, U: float) -> tuple[float, float]:
        return 0.0, m * (U + 1.0) ** 2

    def torch_loss(self, z: Any, y: Any) -> Any:
        require_torch("a PyTorch loss")
        return ((z - y) ** 2).sum(dim=1)

    def scip(self, model: Any, outs: Sequence[Any], y: np.ndarray, tag: str) -> Any:
        parts = []
        for j, (o, yj) in enumerate(zip(outs, y, strict=True)):
            a = model.addVar(f"a{tag}_{j}", lb=0.0)
            model.addCons(a >= (o - float(yj)) * (o - float(yj)))
            parts.append(a)
        e = model.addVar(f"e{tag}", lb=0.0)
        model.addCons(e >= sum(parts))
        return e
