"""Compatibility door: the PyTorch functions of :mod:`lptrain.torch` and the scikit-learn
import of :mod:`lptrain.convert`, under their historical module name.

``to_torch``, ``from_torch``, ``train_sgd``, ``SGDResult``, ``torch_available`` and
``require_torch`` are :mod:`lptrain.torch`'s; ``from_sklearn`` and ``from_module`` are
:mod:`lptrain.convert`'s. New code may import from either.

Examples
--------
>>> from lptrain import export, torch as lt
>>> export.to_torch is lt.to_torch
True
"""

from __future__ import annotations

from lptrain.convert import ImportedModel, from_module, from_sklearn
from lptrain.torch import (
    SGDResult,
    from_torch,
    load_weights,
    module_network,
    params_from_file,
    params_from_state_dict,
    require_torch,
    to_torch,
    torch_available,
    train_sgd,
)

__all__ = ["ImportedModel", "SGDResult", "from_module", "from_sklearn", "from_torch",
           "load_weights", "module_network", "params_from_file", "params_from_state_dict",
           "require_torch", "to_torch", "torch_available", "train_sgd"]
