"""The one door to PyTorch (optional extra ``lptrain[torch]``).

* export — :func:`to_torch`: an lptrain network and its φ as an equivalent
  ``torch.nn.Module`` (``nn.Sequential`` of ``nn.Linear``/``nn.Conv`` layers, a residual
  module, or a generic ``DAGModule``; :mod:`lptrain.torch.export`);
* import — :func:`from_torch` (a module's weights, its architecture and activations
  checked), :func:`module_network` (the network an ``nn.Sequential`` computes),
  :func:`params_from_state_dict` (``0.weight``… or ``layer1.weight``… names),
  :func:`read_weights` / :func:`load_weights` / :func:`params_from_file` (``.pt`` read with
  ``weights_only=True``: a state_dict or an ``nn.Sequential`` of torch.nn layers; ``.npz``
  without pickle, ``.json``; :mod:`lptrain.torch.weights`);
* the gradient baseline — :func:`train_sgd` (:mod:`lptrain.torch.baseline`);
* :mod:`lptrain.torch.mapping` — the only place where activations and losses are matched
  with PyTorch's.

``import lptrain.torch`` does not import PyTorch; the functions that need it raise an
ImportError naming ``pip install torch`` when it is missing. ``lptrain.export`` re-exports
these names for compatibility.

Examples
--------
>>> import pytest; torch = pytest.importorskip("torch")
>>> import numpy as np
>>> from lptrain.nn import dense
>>> net = dense([1, 2, 1])
>>> phi = np.array([0.5, -1.0, 0.0, 0.25, 1.0, -0.5, 0.125])
>>> module = to_torch(net, phi)
>>> from_torch(module, net).tolist() == phi.tolist()
True
"""

from __future__ import annotations

from lptrain.torch.baseline import SGDResult, train_sgd
from lptrain.torch.export import to_torch
from lptrain.torch.runtime import require_torch, torch_available
from lptrain.torch.weights import (
    from_torch,
    load_weights,
    module_network,
    params_from_file,
    params_from_state_dict,
    read_weights,
)

__all__ = ["SGDResult", "from_torch", "load_weights", "module_network", "params_from_file",
           "params_from_state_dict", "read_weights", "require_torch", "to_torch",
           "torch_available", "train_sgd"]
