"""The identity ``a(t) = t`` (output nodes; inside Lemma 4.5)."""

from __future__ import annotations

from typing import Any

from lptrain.components.activation import Activation
from lptrain.components.base import require_torch

__all__ = ["Identity"]


class Identity(Activation):
    """``a(t) = t``: 1-Lipschitz (slope 1) with ``a(0) = 0``, inside Lemma 4.5; the
    emitters pass the node's value through (``passthrough``), and its relaxation is exact.

    Examples
    --------
    >>> Identity().expr("h"), Identity().relaxation(-1.0, 2.0)[0]
    ('h', array(1.))
    """

    key = "identity"
    aliases = ("linear", "none")
    in_theory = True
    lipschitz = 1.0
    positively_homogeneous = True
    passthrough = True
    theory = "inside Lemma 4.5: 1-Lipschitz with a(0) = 0"

    def value(self, t: Any) -> Any:
        return t

    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        return 1.0, 0.0, 0.0

    def torch_module(self) -> Any:
        return require_torch("exporting to PyTorch").nn.Identity()

    def scip(self, model: Any, s: Any, lo: float, hi: float, tag: str) -> Any:
        return s
