"""Losses ``ℓ(z, y)`` with their Lipschitz constants (§4.3) — the import path of
:mod:`lptrain.components`, where each loss is one module.

Examples
--------
>>> get_loss("absolute")
Loss('abs')
>>> get_loss("logcosh")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lptrain.errors.InvalidInputError: loss must be one of abs, quadratic, hinge, ...; got 'logcosh'
"""

from __future__ import annotations

from lptrain.components import LOSSES, Loss, get_loss

__all__ = ["Loss", "get_loss", "LOSSES"]
