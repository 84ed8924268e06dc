"""The shifted softplus ``log(1 + e^t) - log 2`` (inside Lemma 4.5)."""

from __future__ import annotations

import math
from typing import Any

from lptrain.components._dsl import absolute, clip, exp, log, log1p, maximum, minimum, where
from lptrain.components.activation import Activation
from lptrain.components.activations.elu import tangent_offset
from lptrain.components.base import require_torch
from lptrain.components.hull import Envelope, convex_envelope

__all__ = ["Softplus"]

LOG2 = math.log(2.0)


class Softplus(Activation):
    """``a(t) = log(1 + e^t) - log 2``, shifted so that ``a(0) = 0``.

    Lipschitz: ``a'(t) = σ(t) = 1 / (1 + e^-t) ∈ (0, 1)``, so a is 1-Lipschitz (and
    increasing); ``a(0) = log 2 - log 2 = 0``: inside Lemma 4.5 (``|a(t)| <= |t|``).
    Convex (``a'' = σ(1 - σ) > 0``): the relaxation is the chord above and the tangent
    where ``σ(x*) = λ``, ``x* = log λ - log(1 - λ)``, below (clamped into the range; any
    tangent is valid, the offset may reach ``4 T_s``: ``relax_magnitude = 5 T_s + 1``).
    Evaluated as ``log1p(e^-|t|) + max(t, 0) - log 2`` (no overflow); values from libm.

    Examples
    --------
    >>> import numpy as np
    >>> Softplus()(np.array([0.0, 1.0])).round(6)
    array([0.      , 0.620115])
    """

    key = "softplus"
    in_theory = True
    lipschitz = 1.0
    theory = "inside Lemma 4.5: 1-Lipschitz (a' = sigmoid) with a(0) = 0"

    def value(self, t: Any) -> Any:
        return log1p(exp(-absolute(t))) + maximum(t, 0.0) - LOG2

    def derivative(self, t: Any) -> Any:
        e = exp(-absolute(t))
        return where(t >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        fl, fh = self.value(lo), self.value(hi)
        lam = clip(where(hi > lo, (fh - fl) / where(hi > lo, hi - lo, 1.0), 0.0), 0.0, 1.0)
        bh = maximum(fl - lam * lo, fh - lam * hi)
        logit = log(maximum(lam, 1e-300)) - log1p(-minimum(lam, 1.0 - 2.0**-53))
        xs = minimum(maximum(logit, lo), hi)
        return lam, tangent_offset(self.value, self.derivative, xs, lam, lo, hi), bh

    def relax_magnitude(self, ts: float) -> float:
        return 5.0 * ts + 1.0

    def torch_module(self) -> Any:
        torch = require_torch("exporting to PyTorch")
        base: Any = torch.nn.Module

        class ShiftedSoftplus(base):
            """``softplus(t) - log 2`` (so that 0 maps to 0; torch's linear threshold at 50,
            where the two agree to the last bit)."""

            def forward(self, t: Any) -> Any:
                return torch.nn.functional.softplus(t, 1.0, 50.0) - LOG2  # exact beyond 50

        return ShiftedSoftplus()

    def scip(self, model: Any, s: Any, lo: float, hi: float, tag: str) -> Any:
        """``z = log(1 + exp(s)) - log 2`` as a nonlinear equality."""
        import pyscipopt as scip

        z = model.addVar(f"sp{tag}", lb=-LOG2, ub=max(hi, 0.0) + 1.0)
        model.addCons(z + LOG2 == scip.log(1 + scip.exp(s)))
        return z

    def envelope(self, lo: Any, hi: Any) -> Envelope:
        """Convex: the chord above, tangents below."""
        return convex_envelope(self, self.derivative, lo, hi)
