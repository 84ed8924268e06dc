"""Activations (§4.2, Lemma 4.5; Appendix C) — the import path of
:mod:`lptrain.components`, where each activation is one module.

An activation is named by a string such as ``"relu"``, ``"leaky_relu:0.1"`` or
``"elu:0.5"`` (CLI and files); :func:`get_activation` parses it.

Examples
--------
>>> get_activation("elu")
Activation('elu:1.0')
>>> get_activation("elu:2")
Traceback (most recent call last):
...
lptrain.errors.InvalidInputError: elu alpha must lie in (0, 1]: with alpha > 1 ELU is \
not 1-Lipschitz (Lemma 4.5); got 2.0
"""

from __future__ import annotations

from lptrain.components import ACTIVATIONS, THEORY_ACTIVATIONS, Activation, get_activation

__all__ = ["Activation", "get_activation", "ACTIVATIONS", "THEORY_ACTIVATIONS"]
