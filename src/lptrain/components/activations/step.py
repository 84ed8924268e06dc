"""The binary step of BiU networks (Appendix C): outside the Lipschitz theory."""

from __future__ import annotations

from typing import Any

from lptrain.components._dsl import where
from lptrain.components.activation import Activation
from lptrain.components.base import require_torch

__all__ = ["Step"]


class Step(Activation):
    """``a(t) = 1`` if ``t > 0`` else ``0`` (a BiU, Appendix C).

    Not continuous, hence not Lipschitz (``lipschitz = None``): outside Lemma 4.5, and
    asking for an architecture constant with it raises ``OutsideTheoryError``. Its values
    lie in {0, 1} (``|a| <= 1``) and its relaxation is the interval: slope 0, offsets
    ``[a(lo), a(hi)]``.

    Examples
    --------
    >>> import numpy as np
    >>> Step()(np.array([-1.0, 0.0, 2.0])), Step().relaxation(-1.0, 1.0)
    (array([0., 0., 1.]), (array(0.), array(0.), array(1.)))
    """

    key = "step"
    aliases = ("heaviside",)
    in_theory = False
    lipschitz = None
    theory = "outside Lemma 4.5 (not continuous); the binarized networks of Appendix C"

    def value(self, t: Any) -> Any:
        return where(t > 0.0, 1.0, 0.0)

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        return 0.0, where(lo > 0.0, 1.0, 0.0), where(hi <= 0.0, 0.0, 1.0)

    def value_bound(self, b: float) -> float:
        return 1.0

    def relax_magnitude(self, ts: float) -> float:
        """The relaxed form is the interval ``[0, 1]`` at most: ``T_v = 1``."""
        return 1.0

    def torch_module(self) -> Any:
        torch = require_torch("exporting to PyTorch")
        base: Any = torch.nn.Module

        class Step(base):
            """Binary step ``1 if t > 0 else 0`` (BiU networks, Appendix C)."""

            def forward(self, t: Any) -> Any:
                return (t > 0).to(t.dtype)

        return Step()
