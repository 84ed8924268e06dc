"""Regularizers ``λR(φ)`` of the regularized ERM (Appendix B) — the import path of
:mod:`lptrain.components`, where each regularizer is one module.

Examples
--------
>>> get_regularizer("l1:0.01")
Regularizer('l1:0.01')
>>> get_regularizer("l3:1")
Traceback (most recent call last):
...
lptrain.errors.InvalidInputError: regularizer must look like 'l1:0.01' or 'l2:0.5' \
(kind:lambda); got 'l3:1'
"""

from __future__ import annotations

from lptrain.components import REGULARIZERS, Regularizer, get_regularizer

__all__ = ["Regularizer", "get_regularizer", "REGULARIZERS"]
