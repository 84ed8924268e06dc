"""``λ‖φ‖₂²`` — weight decay (Appendix B)."""

from __future__ import annotations

from typing import Any

from lptrain.components._dsl import maximum
from lptrain.components.regularizer import Regularizer, weight_parameter

__all__ = ["L2"]


class L2(Regularizer):
    """``λR(φ) = λ Σ_j φ_j²`` (``l2:λ``, the squared norm).

    Lipschitz: ``|∂(λφ_j²)/∂φ_j| = 2λ|φ_j| <= 2λ`` on [-1, 1], so ``‖∇(λR)‖₁ <= 2λN``
    (Definition B.1). Minorant: the tangent ``φ² >= c² + 2c (φ - c)``.

    Examples
    --------
    >>> L2(0.5).lipschitz(N=2)
    2.0
    """

    key = "l2"
    parameter = weight_parameter()
    in_theory = True
    lipschitz_factor = 2.0
    theory = "Appendix B: adds 2λN to the architecture constant (Definition B.1)"

    def term(self, p: Any) -> Any:
        return p * p

    def term_interval(self, lo: Any, hi: Any) -> tuple[Any, Any]:
        a = maximum(maximum(lo, -hi), 0.0)
        b = maximum(-lo, hi)
        return a * a, b * b

    def term_minorant(self, c: Any, r: Any) -> tuple[Any, Any]:
        return 2.0 * c, c * c

    def scip(self, model: Any, var: Any, tag: str) -> Any:
        t = model.addVar(f"reg{tag}", lb=0.0)
        model.addCons(t >= var * var)
        return t

    def torch_penalty(self, flat: Any) -> Any:
        return self.lam * (flat ** 2).sum()
