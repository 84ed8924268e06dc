"""tanh (inside Lemma 4.5)."""

from __future__ import annotations

from typing import Any

from lptrain.components._dsl import arctanh, clip, sqrt, tanh
from lptrain.components.activation import Activation
from lptrain.components.activations.hard_tanh import chord_relax
from lptrain.components.base import require_torch

__all__ = ["Tanh"]


class Tanh(Activation):
    """``a(t) = tanh(t)``.

    Lipschitz: ``a'(t) = 1 - tanh(t)² ∈ (0, 1]``, so 1-Lipschitz; ``a(0) = 0``: inside
    Lemma 4.5; ``|a| < 1``. Relaxation: the chord slope λ and the extremes of
    ``tanh(x) - λx``, at the ends or where ``tanh'(x) = λ``, i.e. ``x = ±atanh(√(1 - λ))``.
    Values come from libm (a few ulps): the interval bounds widen them.

    Examples
    --------
    >>> lam, lo, hi = Tanh().relaxation(-1.0, 1.0)
    >>> round(float(lam), 6), float(lo) < 0 < float(hi)
    (0.761594, True)
    """

    key = "tanh"
    in_theory = True
    lipschitz = 1.0
    theory = "inside Lemma 4.5: 1-Lipschitz with a(0) = 0"

    def value(self, t: Any) -> Any:
        return tanh(t)

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        def critical(lam: Any) -> list[tuple[Any, Any]]:
            xc = arctanh(sqrt(clip(1.0 - lam, 0.0, 1.0)))
            inner = (lam > 0.0) & (lam < 1.0)
            return [(-xc, inner), (xc, inner)]

        return chord_relax(self.value, lo, hi, critical)

    def value_bound(self, b: float) -> float:
        return min(b, 1.0)

    def torch_module(self) -> Any:
        return require_torch("exporting to PyTorch").nn.Tanh()

    def scip(self, model: Any, s: Any, lo: float, hi: float, tag: str) -> Any:
        """``z = tanh(s)`` as ``z (exp(2s) + 1) = exp(2s) - 1``."""
        import pyscipopt as scip

        z = model.addVar(f"t{tag}", lb=-1.0, ub=1.0)
        model.addCons(z * (scip.exp(2 * s) + 1) == scip.exp(2 * s) - 1)
        return z
