"""Hard tanh ``min(max(t, -1), 1)`` (inside Lemma 4.5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lptrain.components._dsl import clip, maximum, minimum, where
from lptrain.components.activation import Activation
from lptrain.components.base import require_torch

__all__ = ["HardTanh", "chord_relax"]


def chord_relax(value: Any, lo: Any, hi: Any,
                critical: Callable[[Any], list[tuple[Any, Any]]]) -> tuple[Any, Any, Any]:
    """Chord slope λ over ``[lo, hi]`` and the extremes of ``a(x) - λx``, which lie at the
    ends or at the points ``critical(λ)`` — pairs (x, condition or None): where
    ``a'(x) = λ`` or a kink — that fall inside the range."""
    fl, fh = value(lo), value(hi)
    lam = where(hi > lo, (fh - fl) / where(hi > lo, hi - lo, 1.0), 0.0)
    bl = minimum(fl - lam * lo, fh - lam * hi)
    bh = maximum(fl - lam * lo, fh - lam * hi)
    for x, cond in critical(lam):
        g = value(x) - lam * x
        inside = (lo < x) & (x < hi)
        if cond is not None:
            inside = cond & inside
        bl = where(inside, minimum(bl, g), bl)
        bh = where(inside, maximum(bh, g), bh)
    return lam, bl, bh


class HardTanh(Activation):
    """``a(t) = min(max(t, -1), 1)``.

    Lipschitz: slopes 0 and 1, so 1-Lipschitz; ``a(0) = 0``: inside Lemma 4.5; ``|a| <= 1``.
    Relaxation: the chord slope and the extremes of ``a(x) - λx`` at the ends and the kinks
    ±1.

    Examples
    --------
    >>> HardTanh().relaxation(-2.0, 2.0)
    (array(0.5), array(-0.5), array(0.5))
    """

    key = "hard_tanh"
    aliases = ("hardtanh",)
    in_theory = True
    lipschitz = 1.0
    theory = "inside Lemma 4.5: 1-Lipschitz with a(0) = 0"

    def value(self, t: Any) -> Any:
        return clip(t, -1.0, 1.0)

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        return chord_relax(self.value, lo, hi, lambda lam: [(-1.0, None), (1.0, None)])

    def value_bound(self, b: float) -> float:
        return min(b, 1.0)

    def torch_module(self) -> Any:
        return require_torch("exporting to PyTorch").nn.Hardtanh(-1.0, 1.0)

