"""The hinge loss: ``max(1 - z y, 0)`` for one output, the sum of per-output hinges
``Σ_j max(1 - z_j y_j, 0)`` on ±1 one-vs-rest labels for m outputs (§4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lptrain.components._dsl import absolute, maximum, minimum
from lptrain.components.activations.relu import relu_relax
from lptrain.components.base import require_torch
from lptrain.components.loss import SeparableLoss

__all__ = ["HingeLoss", "product_bounds"]


def product_bounds(al: Any, ah: Any, bl: Any, bh: Any) -> tuple[Any, Any]:
    """Bounds of ``a b`` over ``[al, ah] × [bl, bh]`` (the four corner products)."""
    p1, p2, p3, p4 = al * bl, al * bh, ah * bl, ah * bh
    return (minimum(minimum(p1, p2), minimum(p3, p4)),
            maximum(maximum(p1, p2), maximum(p3, p4)))


class HingeLoss(SeparableLoss):
    """``ℓ(z, y) = Σ_j max(1 - z_j y_j, 0)``: for ``m = 1`` the binary hinge
    ``max(1 - zy, 0)`` (the paper's ``max{1 - zᵀy, 0}``, written with ``zᵀx`` by a typo,
    SPEC §5); for ``m > 1`` one hinge per output on ±1 one-vs-rest labels.

    The paper's ``max(1 - zᵀy, 0)`` read literally for m outputs is no classification loss:
    on one-vs-rest labels (one +1, m - 1 entries -1) the constant network
    ``z = (-1, ..., -1)`` has ``zᵀy = m - 2``, so for ``m >= 3`` it reaches the optimum 0
    while classifying nothing. Files of format 1 stored that form for ``m > 1``; they are
    refused (:meth:`legacy_reason`). With the per-output form a misclassified point (its
    own output not the largest) costs at least 2, so a model within ``2/D`` of the optimum
    on separable data classifies every point.

    Lipschitz: where the j-th hinge is active ``∂ℓ/∂z_j = -y_j`` and ``∂ℓ/∂y_j = -z_j``,
    otherwise 0, so ``‖∇ℓ‖₁ <= Σ_j (|y_j| + |z_j|) <= m(1 + U)``: ``L∞ = m(U + 1)``, the
    paper's constant. Minorant: ``max(t, 0) >= λt`` with λ the chord slope of ``max(., 0)``
    over the range of ``t = 1 - z_j y_j``. LP pieces: ``e_j >= 0``, ``e_j >= 1 - y_j z_j``
    (exact).

    Examples
    --------
    >>> h = HingeLoss()
    >>> h(np.array([[2.0, -0.5, 1.0]]), np.array([[1.0, -1.0, -1.0]]))
    array([2.5])
    >>> h.lipschitz(m=3, U=13.0)
    42.0
    """

    key = "hinge"
    in_theory = True
    table1_like = "hinge"
    class_labels = "pm_onehot"
    theory = "a Lipschitz loss of §4.3 (L = m(U+1)): Main Theorem 3.1 applies"

    def term(self, z: Any, y: Any) -> Any:
        return maximum(1.0 - z * y, 0.0)

    def term_interval(self, zl: Any, zh: Any, yl: Any, yh: Any) -> tuple[Any, Any]:
        plo, phi = product_bounds(zl, zh, yl, yh)
        return maximum(1.0 - phi, 0.0), maximum(1.0 - plo, 0.0)

    def term_minorant(self, c: Any, r: Any, y: Any) -> tuple[Any, Any]:
        t = 1.0 - c * y
        spread = absolute(y) * r
        lam = relu_relax(t - spread, t + spread)[0]
        return -lam * y, lam * t

    def term_pieces(self, lo: np.ndarray, hi: np.ndarray, y: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
        zero = np.zeros(np.broadcast(lo, hi, y).shape)
        return [(zero, zero), (zero - y, zero + 1.0)]

    def lipschitz(self, m: int, U: float) -> float:
        """``m(U + 1)`` (class docstring)."""
        return m * (U + 1.0)

    def magnitude(self, B: Sequence[float]) -> float:
        return float(sum(1.0 + b for b in B))

    def rounding_ops(self, m: int) -> int:
        return 2 * m + 2

    def minorant_magnitude(self, T: Sequence[float]) -> float:
        """``|λ t| <= 1 + T``, ``|λ y a| <= T`` and the range ``t ± |y| r`` within
        ``1 + 2T`` per output."""
        return float(sum(2.0 * (1.0 + t) for t in T))

    def value_range(self, m: int, U: float) -> tuple[float, float]:
        return 0.0, m * (1.0 + U)

    def legacy_reason(self, m: int) -> str | None:
        if m == 1:
            return None
        return (f"it stores the hinge loss of a network with m={m} outputs, which files of "
                "format 1 meant as max(1 - zᵀy, 0): on one-vs-rest labels a constant "
                "network minimizes that loss, so its optimum and certificate say nothing "
                "about classification. hinge is now the sum of per-output hinges "
                "Σ_j max(1 - z_j y_j, 0); rebuild or retrain with this version")

    def torch_loss(self, z: Any, y: Any) -> Any:
        torch = require_torch("a PyTorch loss")
        return torch.relu(1.0 - z * y).sum(dim=1)

    def scip(self, model: Any, outs: Sequence[Any], y: np.ndarray, tag: str) -> Any:
        parts = []
        for j, (o, yj) in enumerate(zip(outs, y, strict=True)):
            a = model.addVar(f"a{tag}_{j}", lb=0.0)
            model.addCons(a >= 1 - o * float(yj))
            parts.append(a)
        e = model.addVar(f"e{tag}", lb=0.0)
        model.addCons(e >= sum(parts))
        return e
