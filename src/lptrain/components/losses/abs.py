"""The absolute loss ``Σ_j |z_j - y_j|`` (§4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lptrain.components._dsl import absolute, clip, maximum, where
from lptrain.components.base import require_torch
from lptrain.components.loss import SeparableLoss

__all__ = ["AbsoluteLoss", "magnitude_bounds"]


def magnitude_bounds(zl: Any, zh: Any, yl: Any, yh: Any) -> tuple[Any, Any]:
    """Bounds of ``|z - y|`` over ``[zl, zh] × [yl, yh]``."""
    dl, dh = zl - yh, zh - yl
    return where(dl > 0.0, dl, where(dh < 0.0, -dh, 0.0)), maximum(absolute(dl), absolute(dh))


def chord_sign(t: Any, r: Any) -> Any:
    """The chord slope of ``|.|`` over ``[t - r, t + r]`` (any value in [-1, 1] gives a valid
    minorant ``|x| >= σ x``; this one is tight)."""
    return where(r > 0.0, clip(t / where(r > 0.0, r, 1.0), -1.0, 1.0),
                 where(t >= 0.0, 1.0, -1.0))


class AbsoluteLoss(SeparableLoss):
    """``ℓ(z, y) = Σ_j |z_j - y_j|``.

    Lipschitz: ``∂ℓ/∂z_j = sign(z_j - y_j) = -∂ℓ/∂y_j``, so ``‖∇ℓ‖₁ <= 2m``:
    ``L∞ = 2m`` whatever U (§4.3). Minorant: ``|t| >= σ t`` for every ``σ ∈ [-1, 1]``, with
    σ the chord slope over t's range. LP pieces: ``e_j >= ±(z_j - y_j)``, the exact epigraph.

    Examples
    --------
    >>> AbsoluteLoss().lipschitz(m=3, U=13.0)
    6.0
    """

    key = "abs"
    aliases = ("absolute", "l1")
    in_theory = True
    table1_like = "abs"
    theory = "a Lipschitz loss of §4.3 (L = 2m): Main Theorem 3.1 applies"

    def term(self, z: Any, y: Any) -> Any:
        return absolute(z - y)

    def term_interval(self, zl: Any, zh: Any, yl: Any, yh: Any) -> tuple[Any, Any]:
        return magnitude_bounds(zl, zh, yl, yh)

    def term_minorant(self, c: Any, r: Any, y: Any) -> tuple[Any, Any]:
        t = c - y
        sg = chord_sign(t, r)
        return sg, sg * t

    def term_pieces(self, lo: np.ndarray, hi: np.ndarray, y: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
        one = np.ones_like(lo)
        return [(one, -y + 0.0 * lo), (-one, y + 0.0 * lo)]

    def lipschitz(self, m: int, U: float) -> float:
        """``2m`` (module docstring)."""
        return 2.0 * m

    def magnitude(self, B: Sequence[float]) -> float:
        return float(sum(b + 1.0 for b in B))

    def rounding_ops(self, m: int) -> int:
        return 2 * m + 2

    def minorant_magnitude(self, T: Sequence[float]) -> float:
        """``|σ t| <= T + 1``, ``|σ a| <= T`` per output."""
        return float(sum(t + 1.0 for t in T))

    def value_range(self, m: int, U: float) -> tuple[float, float]:
        return 0.0, m * (U + 1.0)

    def torch_loss(self, z: Any, y: Any) -> Any:
        require_torch("a PyTorch loss")
        return (z - y).abs().sum(dim=1)

    def scip(self, model: Any, outs: Sequence[Any], y: np.ndarray, tag: str) -> Any:
        parts = []
        for j, (o, yj) in enumerate(zip(outs, y, strict=True)):
            a = model.addVar(f"a{tag}_{j}", lb=0.0)
            model.addCons(a >= o - float(yj))
            model.addCons(a >= float(yj) - o)
            parts.append(a)
        e = model.addVar(f"e{tag}", lb=0.0)
        model.addCons(e >= sum(parts))
        return e
