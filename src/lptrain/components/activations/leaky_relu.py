"""Leaky ReLU ``t if t > 0 else α t`` with α in [0, 1] (inside Lemma 4.5)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain.components._dsl import maximum
from lptrain.components.activation import Activation
from lptrain.components.activations.relu import relu_relax, relu_scip
from lptrain.components.base import Parameter, require_torch
from lptrain.components.hull import Envelope, envelope

__all__ = ["LeakyReLU"]


class LeakyReLU(Activation):
    """``a(t) = t`` for ``t > 0``, ``α t`` otherwise, ``α ∈ [0, 1]`` (default 0.01).

    Lipschitz: slopes α and 1, both in [0, 1], so a is 1-Lipschitz, monotone and
    ``a(0) = 0``: inside Lemma 4.5. ``a = α t + (1 - α) max(t, 0)``, so its relaxation is
    ReLU's scaled: slope ``α + (1 - α) λ`` and offsets ``(1 - α) β``. Positively
    homogeneous.

    Examples
    --------
    >>> LeakyReLU(0.5)(np.array([-2.0, 3.0]))
    array([-1.,  3.])
    """

    key = "leaky_relu"
    aliases = ("leaky", "leakyrelu")
    parameter = Parameter("alpha", 0.01, lambda a: 0.0 <= a <= 1.0,
                          "leaky_relu slope must lie in [0, 1] (1-Lipschitz, monotone); "
                          "got {got!r}")
    in_theory = True
    lipschitz = 1.0
    positively_homogeneous = True
    theory = "inside Lemma 4.5: 1-Lipschitz with a(0) = 0 for a slope in [0, 1]"

    def value(self, t: Any) -> Any:
        return maximum(t, self.param * t)  # = t for t > 0, α t otherwise (α <= 1)

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        a = self.param
        lam, bl, bh = relu_relax(lo, hi)
        return a + (1.0 - a) * lam, (1.0 - a) * bl, (1.0 - a) * bh

    def torch_module(self) -> Any:
        return require_torch("exporting to PyTorch").nn.LeakyReLU(self.param)

    def scip(self, model: Any, s: Any, lo: float, hi: float, tag: str) -> Any:
        if hi <= 0:
            return self.param * s
        r = relu_scip(model, s, lo, hi, tag)
        return s if r is s else self.param * s + (1 - self.param) * r

    def envelope(self, lo: Any, hi: Any) -> Envelope:
        """The exact convex hull: ``y >= α x``, ``y >= x``, ``y <=`` the chord."""
        lam, _, bh = self.relaxation(lo, hi)
        zero = np.zeros_like(lam)
        return envelope([(zero + self.param, zero), (zero + 1.0, zero)], [(lam, bh)],
                        np.asarray(lo), np.asarray(hi))
