"""lptrain networks → equivalent ``torch.nn.Module`` objects (:func:`to_torch`).

:func:`to_torch` turns a :class:`~lptrain.nn.Network` and its free parameters φ into a
module that gives the same outputs as :func:`lptrain.nn.forward`:

* dense networks → ``nn.Sequential`` of ``nn.Linear`` and activation modules, with the
  weights copied exactly (the canonical parameter order is PyTorch's, docs/networks.md);
* 1-D / 2-D CNNs → ``nn.Unflatten``, ``nn.Conv1d`` / ``nn.Conv2d`` (valid padding, the
  stride recovered from the structure), ``nn.Flatten`` and ``nn.Linear``;
* residual networks → a module of ``nn.Linear`` layers adding the identity skip before the
  block's last activation, exactly as :func:`lptrain.nn.resnet` defines it;
* anything else (shared weights, constant edges, any DAG) → ``DAGModule``, which
  evaluates the nodes layer by layer with φ as one ``nn.Parameter``.

A builder layout is used only when the network is *structurally identical* to the one the
builder makes (:mod:`lptrain.torch.layout`; fixed parameters included: they become ordinary
torch parameters holding their fixed values). The modules use ``float64`` by default, so
outputs agree with lptrain's to rounding; ``module.float()`` converts them. Activation
modules come from :func:`lptrain.torch.mapping.activation_module`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain._validation import check_array
from lptrain.errors import InvalidInputError
from lptrain.nn import Network
from lptrain.nn.activations import Activation
from lptrain.torch.layout import activations, layer_shapes, recognize
from lptrain.torch.mapping import activation_module, apply_activation
from lptrain.torch.runtime import require_torch

__all__ = ["to_torch"]


def _layers_module(net: Network, layout: dict[str, Any], dtype: Any) -> Any:
    torch = require_torch("exporting to PyTorch")
    nn = torch.nn
    act, out_act = activations(net)
    mods: list[Any] = []
    shapes = layer_shapes(net) or []
    n_layers = len(shapes)
    if layout["kind"] in ("conv1d", "conv2d"):
        mods.append(nn.Unflatten(1, tuple(layout["shape"])))
        conv = nn.Conv1d if layout["kind"] == "conv1d" else nn.Conv2d
        for i, (out_ch, kernel, stride) in enumerate(layout["convs"]):
            in_ch = shapes[i][1]
            mods += [conv(in_ch, out_ch, kernel, stride=stride, dtype=dtype),
                     activation_module(out_act if i == n_layers - 1 else act)]
        mods.append(nn.Flatten(1))
        first_dense = len(layout["convs"])
    else:
        first_dense = 0
    bias = any(name.endswith(".bias") for name, _ in net.groups)
    for i in range(first_dense, n_layers):
        out_f, in_f = shapes[i]
        mods += [nn.Linear(in_f, out_f, bias=bias, dtype=dtype),
                 activation_module(out_act if i == n_layers - 1 else act)]
    return nn.Sequential(*[m for m in mods if not isinstance(m, nn.Identity)])


def _resnet_module(net: Network, layout: dict[str, Any], dtype: Any) -> Any:
    torch = require_torch("exporting to PyTorch")
    act, out_act = activations(net)
    shapes = layer_shapes(net) or []

    base: Any = torch.nn.Module

    class ResidualNet(base):
        """``h = σ(A_1 x + b_1)``; per block ``h ← σ(W_d(...σ(W_1 h + b_1)...) + b_d + h)``;
        output ``A_K h + b_K`` (see :func:`lptrain.nn.resnet`)."""

        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(
                [torch.nn.Linear(s[1], s[0], dtype=dtype) for s in shapes])
            self.block_depth = int(layout["block_depth"])
            self.network = net

        def forward(self, x: Any) -> Any:
            h = apply_activation(act, self.layers[0](x))
            inner = self.layers[1:-1]
            for b0 in range(0, len(inner), self.block_depth):
                cur = h
                for j in range(self.block_depth):
                    pre = inner[b0 + j](cur)
                    if j == self.block_depth - 1:
                        pre = pre + h
                    cur = apply_activation(act, pre)
                h = cur
            return apply_activation(out_act, self.layers[-1](h))

    return ResidualNet()


def _dag_module_class() -> Any:
    torch = require_torch("exporting to PyTorch")

    base: Any = torch.nn.Module

    class DAGModule(base):
        """Any lptrain network: nodes evaluated layer by layer; φ is one parameter vector.

        Edge weights ``c·φ_p`` (or constants ``c``) are gathered from φ for each layer, so
        shared weights stay shared and gradients flow to φ.
        """

        def __init__(self, network: Network, params: np.ndarray, dtype: Any) -> None:
            super().__init__()
            self.network = network
            self.phi = torch.nn.Parameter(torch.tensor(params, dtype=dtype))
            self.stages: list[tuple[Activation, dict[str, Any]]] = []
            layers = network.layers
            for layer in range(1, network.depth + 1):
                for act in {v.activation for i, v in enumerate(network.nodes)
                            if layers[network.n_inputs + i] == layer}:
                    ids = [network.n_inputs + i for i, v in enumerate(network.nodes)
                           if layers[network.n_inputs + i] == layer and v.activation == act]
                    self.stages.append((act, self._stage(ids, dtype)))

        def _stage(self, ids: list[int], dtype: Any) -> dict[str, Any]:
            rows, cols, prm, coef = [], [], [], []
            for r, nid in enumerate(ids):
                v = self.network.nodes[nid - self.network.n_inputs]
                for src, p, c in v.inputs:
                    rows.append(r)
                    cols.append(src)
                    prm.append(p)
                    coef.append(c)
            bias_p = [self.network.nodes[i - self.network.n_inputs].bias[0] for i in ids]
            bias_c = [self.network.nodes[i - self.network.n_inputs].bias[1] for i in ids]

            def t(a: list[Any], kind: Any) -> Any:
                return torch.tensor(a, dtype=kind)

            return {"ids": t(ids, torch.long), "rows": t(rows, torch.long),
                    "cols": t(cols, torch.long), "param": t(prm, torch.long),
                    "coef": t(coef, dtype), "bias_param": t(bias_p, torch.long),
                    "bias_coef": t(bias_c, dtype), "size": len(ids)}

        def _weights(self, param: Any, coef: Any) -> Any:
            if self.phi.numel() == 0:
                return coef
            gathered = self.phi[param.clamp(min=0)]
            return torch.where(param >= 0, coef * gathered, coef)

        def forward(self, x: Any) -> Any:
            net = self.network
            z = torch.zeros(x.shape[0], net.n_nodes, dtype=x.dtype, device=x.device)
            z = z.index_copy(1, torch.arange(net.n_inputs), x)
            for act, st in self.stages:
                W = torch.zeros(st["size"], net.n_nodes, dtype=x.dtype)
                W = W.index_put((st["rows"], st["cols"]),
                                self._weights(st["param"], st["coef"]), accumulate=True)
                b = self._weights(st["bias_param"], st["bias_coef"])
                h = apply_activation(act, z @ W.T + b)
                z = z.index_copy(1, st["ids"], h)
            return z[:, list(net.outputs)]

    return DAGModule


def to_torch(network: Network, params: Any, *, dtype: Any = None,
             generic: bool = False) -> Any:
    """An equivalent ``torch.nn.Module`` for ``network`` with free parameters ``params``.

    Parameters
    ----------
    network : Network
        Any network lptrain describes.
    params : array-like (N,)
        The free parameters φ (e.g. ``LPTrainer.params_``).
    dtype : torch dtype, optional
        Default ``torch.float64`` (outputs agree with :func:`lptrain.nn.forward` to rounding).
    generic : bool
        Use ``DAGModule`` even when a builder layout (Linear/Conv layers) is recognized.

    Returns
    -------
    torch.nn.Module
        Maps a tensor (batch, n) to (batch, m).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from lptrain.nn import dense, forward
    >>> net = dense([2, 2, 1])
    >>> phi = np.linspace(-1, 1, net.N)
    >>> model = to_torch(net, phi)
    >>> model
    Sequential(
      (0): Linear(in_features=2, out_features=2, bias=True)
      (1): ReLU()
      (2): Linear(in_features=2, out_features=1, bias=True)
    )
    >>> x = np.array([[0.5, -0.25]])
    >>> float(model(torch.tensor(x)).item()) == float(forward(net, x, phi[None])[0, 0, 0])
    True
    """
    torch = require_torch("exporting to PyTorch")
    dtype = torch.float64 if dtype is None else dtype
    phi = check_array("params", params, ndim=1, allow_empty=network.N == 0)
    if phi.shape[0] != network.N:
        raise InvalidInputError(
            f"params has {phi.shape[0]} entries but the network has N={network.N} free "
            "parameters")
    layout = None if generic else recognize(network)
    if layout is None:
        return _dag_module_class()(network, phi, dtype)
    module = (_resnet_module(network, layout, dtype) if layout["kind"] == "resnet"
              else _layers_module(network, layout, dtype))
    raw = network.full_parameters(phi)
    with torch.no_grad():
        pos = 0
        for p in module.parameters():
            size = p.numel()
            p.copy_(torch.tensor(raw[pos:pos + size], dtype=dtype).reshape(p.shape))
            pos += size
    return module
