"""Cross-entropy with softmax ``-Σ_j y_j log softmax(z)_j`` (§4.3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from lptrain.components._dsl import exp, log, maximum, where
from lptrain.components.base import require_torch
from lptrain.components.loss import Loss, fold_sum
from lptrain.components.losses.hinge import product_bounds

__all__ = ["CrossEntropyLoss"]


def _log_sum_exp(zs: Sequence[Any]) -> Any:
    top = zs[0]
    for z in zs[1:]:
        top = maximum(top, z)
    s = fold_sum([exp(z - top) for z in zs])
    return top + log(s)


def _log1p_sum_exp(args: Sequence[Any]) -> Any:
    """``log(1 + Σ exp(a_i))`` without overflow (shift by ``max(0, max a_i)``)."""
    if not args:
        return 0.0
    top = maximum(args[0], 0.0)
    for a in args[1:]:
        top = maximum(top, a)
    return top + log(fold_sum([exp(-top), *(exp(a - top) for a in args)]))


class CrossEntropyLoss(Loss):
    """``ℓ(z, y) = -Σ_j y_j log softmax(z)_j = Σ_j y_j (LSE(z) - z_j)``.

    Lipschitz: ``|∂ℓ/∂z_i| <= |y_i| + softmax_i Σ_j |y_j|`` sums to at most ``2m`` and
    ``|∂ℓ/∂y_i| = -log softmax_i <= log m + 2U``, so ``‖∇ℓ‖₁ <= m(2 + log m + 2U)``
    (:meth:`lipschitz_refined`), which the paper's ``2m(log m + 2U)`` bounds since
    ``U >= 1`` (§4.3). Interval: ``t_j = -log softmax_j(z) = log(1 + Σ_{i≠j} e^{z_i - z_j})``
    is increasing in ``z_i`` and decreasing in ``z_j``. Minorant: convex in z when
    ``Σ y >= 0`` — the tangent at the centres, gradient ``(Σy) softmax_j - y_j`` — else the
    interval floor.

    Examples
    --------
    >>> ce = CrossEntropyLoss()
    >>> ce(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])).round(6)
    array([0.693147])
    """

    key = "cross_entropy"
    aliases = ("ce", "crossentropy")
    in_theory = True
    table1_like = "cross_entropy"
    class_labels = "onehot"
    theory = "a Lipschitz loss of §4.3 (L = 2m(log m + 2U)): Main Theorem 3.1 applies"

    def value(self, zs: Sequence[Any], ys: Sequence[Any]) -> Any:
        lse = _log_sum_exp(zs)
        return fold_sum([y * (lse - z) for z, y in zip(zs, ys, strict=True)])

    def interval(self, zlo: Sequence[Any], zhi: Sequence[Any], ylo: Sequence[Any],
                 yhi: Sequence[Any]) -> tuple[Any, Any]:
        m = len(zlo)
        lo_t, hi_t = [], []
        for j in range(m):
            t_lo = _log1p_sum_exp([zlo[i] - zhi[j] for i in range(m) if i != j])
            t_hi = _log1p_sum_exp([zhi[i] - zlo[j] for i in range(m) if i != j])
            p_lo, p_hi = product_bounds(ylo[j], yhi[j], t_lo, t_hi)
            lo_t.append(p_lo)
            hi_t.append(p_hi)
        return fold_sum(lo_t), fold_sum(hi_t)

    def minorant(self, cs: Sequence[Any], rs: Sequence[Any], ys: Sequence[Any], floor: Any
                 ) -> tuple[list[Any], Any]:
        lse = _log_sum_exp(cs)
        ysum = fold_sum(list(ys))
        val = fold_sum([y * (lse - c) for c, y in zip(cs, ys, strict=True)])
        cvx = ysum >= 0.0
        slopes = [where(cvx, ysum * exp(c - lse) - y, 0.0) for c, y in zip(cs, ys,
                                                                         strict=True)]
        return slopes, where(cvx, val, floor)

    def lipschitz(self, m: int, U: float) -> float:
        """The paper's ``2m(log m + 2U)`` (class docstring)."""
        return 2.0 * m * (math.log(m) + 2.0 * U)

    def lipschitz_refined(self, m: int, U: float) -> float:
        """``m(2 + log m + 2U)``, valid for any ``U >= 0``."""
        return m * (2.0 + math.log(m) + 2.0 * U)

    def magnitude(self, B: Sequence[float]) -> float:
        m = len(B)
        return float(m * (2.0 * max(B) + math.log(m) + 1.0))

    def rounding_ops(self, m: int) -> int:
        return 4 * m + 16

    def interval_slack(self, B: Sequence[float]) -> float:
        """exp and log are accurate to a few ulps: ``16(m + 4) u`` times the magnitude,
        plus ``64u``."""
        return 16.0 * (len(B) + 4) * 2.0**-53 * self.magnitude(B) + 64.0 * 2.0**-53

    def minorant_magnitude(self, T: Sequence[float]) -> float:
        m = len(T)
        return 4.0 * (m + 1) * m * (float(max(T)) + math.log(m) + 1.0)

    def value_range(self, m: int, U: float) -> tuple[float, float]:
        width = m * (math.log(m) + 2.0 * U)
        return -width, width

    def torch_loss(self, z: Any, y: Any) -> Any:
        torch = require_torch("a PyTorch loss")
        return -(y * torch.log_softmax(z, dim=1)).sum(dim=1)

    def pieces(self, lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> Any:
        """The tangent plane at the centre where convex (``Σy >= 0``) and the floor."""
        return super().pieces(lo, hi, y)
