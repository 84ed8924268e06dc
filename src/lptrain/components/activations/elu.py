"""ELU ``t if t > 0 else α (e^t - 1)`` with α in (0, 1] (inside Lemma 4.5)."""

from __future__ import annotations

from typing import Any

from lptrain.components._dsl import exp, expm1, log, maximum, minimum, where
from lptrain.components.activation import Activation
from lptrain.components.base import Parameter, require_torch
from lptrain.components.hull import Envelope, convex_envelope

__all__ = ["ELU", "tangent_offset"]


def tangent_offset(value: Any, derivative: Any, xs: Any, lam: Any, lo: Any, hi: Any) -> Any:
    """Lower offset of slope λ from the tangent of a convex function at ``xs``:
    ``a(x) >= a(xs) + d (x - xs) >= λx + a(xs) - d xs + min((d - λ) lo, (d - λ) hi)`` on
    ``[lo, hi]`` with ``d = a'(xs)`` — valid for every λ and every ``xs`` (tightest where
    ``a'(xs) = λ``)."""
    d = derivative(xs)
    return value(xs) - d * xs + minimum((d - lam) * lo, (d - lam) * hi)


class ELU(Activation):
    """``a(t) = t`` for ``t > 0``, ``α (e^t - 1)`` otherwise, ``α ∈ (0, 1]`` (default 1).

    Lipschitz: ``a'(t) = α e^t <= α <= 1`` for ``t < 0`` and 1 for ``t > 0``: 1-Lipschitz
    exactly when ``α <= 1``; ``a(0) = 0``: inside Lemma 4.5. Convex for ``α <= 1``, so its
    relaxation is the chord above and a tangent below (at ``x* = log(λ/α)``, where
    ``a'(x*) = λ``, clamped into the range); the tangent's offset may reach ``4 T_s``,
    hence ``relax_magnitude = 5 T_s + 1``. Values come from libm (a few ulps).

    Examples
    --------
    >>> import numpy as np
    >>> ELU(0.5)(np.array([-1.0, 2.0])).round(6)
    array([-0.31606,  2.     ])
    """

    key = "elu"
    parameter = Parameter("alpha", 1.0, lambda a: 0.0 < a <= 1.0,
                          "elu alpha must lie in (0, 1]: with alpha > 1 ELU is not "
                          "1-Lipschitz (Lemma 4.5); got {got!r}")
    in_theory = True
    lipschitz = 1.0
    theory = "inside Lemma 4.5: 1-Lipschitz with a(0) = 0 for alpha in (0, 1]"
    theory_label = "elu with alpha <= 1"

    def value(self, t: Any) -> Any:
        return where(t > 0.0, t, self.param * expm1(minimum(t, 0.0)))

    def derivative(self, t: Any) -> Any:
        return where(t > 0.0, 1.0, self.param * exp(minimum(t, 0.0)))

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        a = self.param
        fl, fh = self.value(lo), self.value(hi)
        lam = minimum(where(hi > lo, (fh - fl) / where(hi > lo, hi - lo, 1.0), 0.0), 1.0)
        bh = maximum(fl - lam * lo, fh - lam * hi)
        small = lam < a
        xs = where(small, log(where(small & (lam > 0.0), lam / a, 1.0)), 0.0)
        xs = minimum(maximum(xs, lo), hi)
        neg = xs < 0.0
        xs = where(neg, xs, 0.0)
        d = where(neg, a * exp(xs), maximum(lam, a))  # at 0: any slope of [a, 1] is a subgradient
        bl = where(neg, a * expm1(xs), 0.0) - d * xs + minimum((d - lam) * lo, (d - lam) * hi)
        flat = lam <= 0.0
        ident = lo >= 0.0
        return (where(ident, 1.0, where(flat, 0.0, lam)), where(ident, 0.0, where(flat, fl, bl)),
                where(ident, 0.0, where(flat, fh, bh)))

    def relax_magnitude(self, ts: float) -> float:
        return 5.0 * ts + 1.0

    def torch_module(self) -> Any:
        return require_torch("exporting to PyTorch").nn.ELU(self.param)

    def envelope(self, lo: Any, hi: Any) -> Envelope:
        """Convex: the chord above, tangents below."""
        return convex_envelope(self, self.derivative, lo, hi)
