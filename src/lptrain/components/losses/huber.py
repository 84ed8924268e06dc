"""The Huber loss ``Σ_j h_δ(z_j - y_j)`` (a Lipschitz loss of §4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lptrain.components._dsl import absolute, clip, where
from lptrain.components.base import Parameter, finite_positive, require_torch
from lptrain.components.loss import SeparableLoss
from lptrain.components.losses.abs import magnitude_bounds

__all__ = ["HuberLoss"]


class HuberLoss(SeparableLoss):
    """``ℓ(z, y) = Σ_j h_δ(z_j - y_j)`` with ``h_δ(t) = t²/2`` for ``|t| <= δ`` and
    ``δ(|t| - δ/2)`` beyond (``huber:δ``, δ > 0, default 1; PyTorch's ``huber_loss``).

    Lipschitz: ``h_δ'(t) = clip(t, -δ, δ)``, so ``|∂ℓ/∂z_j| = |∂ℓ/∂y_j| <= min(δ, U + 1)``
    over ``[-U, U]^m × [-1, 1]^m`` (``|z_j - y_j| <= U + 1``) and
    ``L∞ = 2m min(δ, U + 1)``; the order of abs's ``2m`` (Table 1's abs/quadratic/hinge row
    applies). ``h_δ`` is convex and C¹: the minorant is the tangent at the centre, slope
    ``clip(t₀, -δ, δ)``; ``h_δ(t) <= min(δ, |t|)·|t|`` bounds its magnitudes.

    Examples
    --------
    >>> h = HuberLoss(0.5)
    >>> h(np.array([[0.25, 3.0]]), np.array([[0.0, 0.0]]))
    array([1.40625])
    >>> h.lipschitz(m=2, U=3.0)
    2.0
    """

    key = "huber"
    parameter = Parameter("delta", 1.0, finite_positive,
                          "huber delta must be a finite number > 0 (the width of the "
                          "quadratic part), e.g. huber:0.5; got {got!r}")
    in_theory = True
    table1_like = "abs"
    theory = "a Lipschitz loss of §4.3 (L = 2m min(delta, U+1)): Main Theorem 3.1 applies"

    @property
    def delta(self) -> float:
        """δ, the width of the quadratic part."""
        return self.param

    def _h(self, t: Any) -> Any:
        d = self.param
        a = absolute(t)
        return where(a <= d, 0.5 * (t * t), d * (a - 0.5 * d))

    def term(self, z: Any, y: Any) -> Any:
        return self._h(z - y)

    def term_interval(self, zl: Any, zh: Any, yl: Any, yh: Any) -> tuple[Any, Any]:
        lo, hi = magnitude_bounds(zl, zh, yl, yh)  # h is even and increasing in |t|
        return self._h(lo), self._h(hi)

    def term_minorant(self, c: Any, r: Any, y: Any) -> tuple[Any, Any]:
        t = c - y
        return clip(t, -self.param, self.param), self._h(t)

    def _mu(self, b: float) -> float:
        return min(self.param, b + 1.0)

    def lipschitz(self, m: int, U: float) -> float:
        """``2m min(δ, U + 1)`` (class docstring)."""
        return 2.0 * m * self._mu(U)

    def magnitude(self, B: Sequence[float]) -> float:
        return float(sum(self._mu(b) * (b + 1.0) for b in B))

    def rounding_ops(self, m: int) -> int:
        return 4 * m + 4

    def minorant_magnitude(self, T: Sequence[float]) -> float:
        """``h(t₀) <= μ(T + 1)``, ``|s a| <= μ T`` per output, ``μ = min(δ, T + 1)``."""
        return float(sum(3.0 * self._mu(t) * (t + 1.0) for t in T))

    def value_range(self, m: int, U: float) -> tuple[float, float]:
        return 0.0, m * float(self._h(np.float64(U + 1.0)))

    def torch_loss(self, z: Any, y: Any) -> Any:
        torch = require_torch("a PyTorch loss")
        return torch.nn.functional.huber_loss(z, y, reduction="none",
                                              delta=self.param).sum(dim=1)

    def scip(self, model: Any, outs: Sequence[Any], y: np.ndarray, tag: str) -> Any:
        """``h_δ(t) = min { p²/2 + δ|q| : p + q = t, |p| <= δ }`` (its infimal convolution
        form): ``e >= Σ_j (p_j²/2 + δ a_j)``, ``a_j >= ±q_j``."""
        d = self.param
        parts = []
        for j, (o, yj) in enumerate(zip(outs, y, strict=True)):
            p = model.addVar(f"p{tag}_{j}", lb=-d, ub=d)
            q = model.addVar(f"q{tag}_{j}", lb=-model.infinity())
            a = model.addVar(f"a{tag}_{j}", lb=0.0)
            model.addCons(p + q == o - float(yj))
            model.addCons(a >= q)
            model.addCons(a >= -q)
            s = model.addVar(f"s{tag}_{j}", lb=0.0)
            model.addCons(s >= 0.5 * p * p)
            parts.append(s + d * a)
        e = model.addVar(f"e{tag}", lb=0.0)
        model.addCons(e >= sum(parts))
        return e
