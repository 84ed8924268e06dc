"""``λ‖φ‖₁`` (Appendix B)."""

from __future__ import annotations

from typing import Any

from lptrain.components._dsl import absolute, maximum
from lptrain.components.losses.abs import chord_sign
from lptrain.components.regularizer import Regularizer, weight_parameter

__all__ = ["L1"]


class L1(Regularizer):
    """``λR(φ) = λ Σ_j |φ_j|`` (``l1:λ``).

    Lipschitz: ``|∂(λ|φ_j|)/∂φ_j| = λ``, so ``‖∇(λR)‖₁ <= λN`` (Definition B.1). Minorant:
    ``|φ| >= σ φ`` with σ the chord slope of ``|.|`` over the box side.

    Examples
    --------
    >>> reg = L1(0.1)
    >>> reg.lipschitz(N=3), reg.spec
    (0.30000000000000004, 'l1:0.1')
    """

    key = "l1"
    parameter = weight_parameter()
    in_theory = True
    lipschitz_factor = 1.0
    theory = "Appendix B: adds λN to the architecture constant (Definition B.1)"

    def term(self, p: Any) -> Any:
        return absolute(p)

    def term_interval(self, lo: Any, hi: Any) -> tuple[Any, Any]:
        return maximum(maximum(lo, -hi), 0.0), maximum(-lo, hi)

    def term_minorant(self, c: Any, r: Any) -> tuple[Any, Any]:
        sg = chord_sign(c, r)
        return sg, sg * c

    def scip(self, model: Any, var: Any, tag: str) -> Any:
        t = model.addVar(f"reg{tag}", lb=0.0)
        model.addCons(t >= var)
        model.addCons(t >= -var)
        return t

    def torch_penalty(self, flat: Any) -> Any:
        return self.lam * flat.abs().sum()
