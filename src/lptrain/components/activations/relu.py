"""ReLU ``max(t, 0)`` (§4.2; inside Lemma 4.5)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain.components._dsl import maximum, where
from lptrain.components.activation import Activation
from lptrain.components.base import require_torch
from lptrain.components.hull import Envelope, envelope

__all__ = ["ReLU", "relu_relax", "relu_scip"]


def relu_relax(lo: Any, hi: Any) -> tuple[Any, Any, Any]:
    """The chord of ``max(x, 0)`` over ``[lo, hi]`` above and the slope-λ line through 0
    below: ``λx <= max(x, 0) <= λx - λ lo`` for any λ in [0, 1] (exact when the sign of x
    is known). Also the hinge minorant ``max(t, 0) >= λ t``."""
    lam = where(lo >= 0.0, 1.0, where(hi <= 0.0, 0.0, hi / where(hi > lo, hi - lo, 1.0)))
    return lam, 0.0, where((lo < 0.0) & (hi > 0.0), -lam * lo, 0.0)


def relu_scip(model: Any, s: Any, lo: float, hi: float, tag: str) -> Any:
    """``max(s, 0)`` for ``s ∈ [lo, hi]``: s itself or 0 when the sign is known, else
    big-M with one binary (``r >= s, r <= s - lo (1 - δ), r <= hi δ, r >= 0``)."""
    if lo >= 0:
        return s
    if hi <= 0:
        return 0.0
    r = model.addVar(f"r{tag}", lb=0.0, ub=hi)
    delta = model.addVar(f"b{tag}", vtype="B")
    model.addCons(r >= s)
    model.addCons(r <= s - lo * (1 - delta))
    model.addCons(r <= hi * delta)
    return r


class ReLU(Activation):
    """``a(t) = max(t, 0)``.

    Lipschitz: a is piecewise linear with slopes 0 and 1, so ``|a(s) - a(t)| <= |s - t|``;
    ``a(0) = 0``: inside Lemma 4.5, constant 1. Positively homogeneous
    (``a(st) = s a(t)``, ``s > 0``), which the symmetry reduction uses.

    Examples
    --------
    >>> ReLU()(np.array([-1.0, 2.0])), ReLU().relaxation(-1.0, 3.0)
    (array([0., 2.]), (array(0.75), array(0.), array(0.75)))
    """

    key = "relu"
    in_theory = True
    lipschitz = 1.0
    positively_homogeneous = True
    theory = "inside Lemma 4.5: 1-Lipschitz with a(0) = 0"

    def value(self, t: Any) -> Any:
        return maximum(t, 0.0)

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        return relu_relax(lo, hi)

    def torch_module(self) -> Any:
        return require_torch("exporting to PyTorch").nn.ReLU()

    def scip(self, model: Any, s: Any, lo: float, hi: float, tag: str) -> Any:
        return relu_scip(model, s, lo, hi, tag)

    def envelope(self, lo: Any, hi: Any) -> Envelope:
        """The exact convex hull: ``y >= 0``, ``y >= x``, ``y <=`` the chord."""
        lam, _, bh = self.relaxation(lo, hi)
        zero, one = np.zeros_like(lam), np.ones_like(lam)
        return envelope([(zero, zero), (one, zero)], [(lam, bh)], np.asarray(lo),
                        np.asarray(hi))
