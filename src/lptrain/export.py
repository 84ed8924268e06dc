"""Trained weights ↔ PyTorch modules (optional extra ``lptrain[torch]``).

:func:`to_torch` turns a :class:`~lptrain.nn.Network` and its free parameters φ into an
equivalent ``torch.nn.Module`` that gives the same outputs as :func:`lptrain.nn.forward`:

* dense networks → ``nn.Sequential`` of ``nn.Linear`` and activation modules, with the
  weights copied exactly (the canonical parameter order is PyTorch's, docs/networks.md);
* 1-D / 2-D CNNs → ``nn.Unflatten``, ``nn.Conv1d`` / ``nn.Conv2d`` (valid padding, the
  stride recovered from the structure), ``nn.Flatten`` and ``nn.Linear``;
* residual networks → a module of ``nn.Linear`` layers adding the identity skip before the
  block's last activation, exactly as :func:`lptrain.nn.resnet` defines it;
* anything else (shared weights, constant edges, any DAG) → :class:`DAGModule`, which
  evaluates the nodes layer by layer with φ as one ``nn.Parameter``.

A builder layout is used only when the network is *structurally identical* to the one the
builder makes (fixed parameters included; they become ordinary torch parameters holding
their fixed values). The modules use ``float64`` by default, so outputs agree with
lptrain's to rounding; ``module.float()`` converts them.

:func:`from_torch` goes back: the free parameters φ of a network from a module's weights
(e.g. to bound the empirical risk of SGD-trained weights). :func:`train_sgd` is the plain
gradient baseline the demo compares with: the same network, loss and box ``[-1, 1]``
(weights clamped after every step), a few random restarts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._export_layout import activations, layer_shapes, recognize
from lptrain._progress import progress as progress_bar
from lptrain._validation import check_array
from lptrain.errors import InvalidInputError
from lptrain.nn import Network, empirical_risk, get_loss
from lptrain.nn.activations import Activation

__all__ = ["to_torch", "from_torch", "torch_available", "require_torch", "train_sgd",
           "SGDResult"]


def torch_available() -> bool:
    """True when PyTorch can be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def require_torch(what: str = "this feature") -> Any:
    """Import and return ``torch``, or raise ImportError telling how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{what} needs PyTorch, which is not installed: pip install torch "
            "(or pip install 'lptrain[torch]')"
        ) from None
    return torch


# ----- activation modules --------------------------------------------------------------


def _activation_module(act: Activation) -> Any:
    nn = require_torch("exporting to PyTorch").nn
    name = act.name
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(act.alpha)
    if name == "tanh":
        return nn.Tanh()
    if name == "hard_tanh":
        return nn.Hardtanh(-1.0, 1.0)
    if name == "elu":
        return nn.ELU(act.alpha)
    if name == "step":
        return _step_module()
    return nn.Identity()


def _step_module() -> Any:
    torch = require_torch("exporting to PyTorch")

    base: Any = torch.nn.Module

    class Step(base):
        """Binary step ``1 if t > 0 else 0`` (BiU networks, Appendix C)."""

        def forward(self, t: Any) -> Any:
            return (t > 0).to(t.dtype)

    return Step()


def _apply_activation(act: Activation, t: Any) -> Any:
    torch = require_torch("exporting to PyTorch")
    F = torch.nn.functional
    name = act.name
    if name == "relu":
        return torch.relu(t)
    if name == "leaky_relu":
        return F.leaky_relu(t, act.alpha)
    if name == "tanh":
        return torch.tanh(t)
    if name == "hard_tanh":
        return torch.clamp(t, -1.0, 1.0)
    if name == "elu":
        return F.elu(t, act.alpha)
    if name == "step":
        return (t > 0).to(t.dtype)
    return t


# ----- modules ---------------------------------------------------------------------------


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
                     _activation_module(out_act if i == n_layers - 1 else act)]
        mods.append(nn.Flatten(1))
        first_dense = len(layout["convs"])
    else:
        first_dense = 0
    bias = any(name.endswith(".bias") for name, _ in net.groups)
    for i in range(first_dense, n_layers):
        out_f, in_f = shapes[i]
        mods += [nn.Linear(in_f, out_f, bias=bias, dtype=dtype),
                 _activation_module(out_act if i == n_layers - 1 else act)]
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

        def forward(self, x: Any) -> Any:
            h = _apply_activation(act, self.layers[0](x))
            inner = self.layers[1:-1]
            for b0 in range(0, len(inner), self.block_depth):
                cur = h
                for j in range(self.block_depth):
                    pre = inner[b0 + j](cur)
                    if j == self.block_depth - 1:
                        pre = pre + h
                    cur = _apply_activation(act, pre)
                h = cur
            return _apply_activation(out_act, self.layers[-1](h))

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
                h = _apply_activation(act, z @ W.T + b)
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
        Use :class:`DAGModule` even when a builder layout (Linear/Conv layers) is recognized.

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


def from_torch(module: Any, network: Network) -> np.ndarray:
    """The free parameters φ (N,) of ``network`` read from a torch module's weights.

    The module's parameters, in ``module.parameters()`` order, must have the shapes of the
    network's parameter groups (``nn.Linear`` / ``nn.Conv`` layers in the canonical order
    of docs/networks.md), or be the single φ vector of a :class:`DAGModule`. Entries of
    fixed parameters are ignored. Values outside [-1, 1] are returned as they are (they lie
    outside the paper's Φ; clip them if a bound needs Φ).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from lptrain.nn import dense
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
    ...                             torch.nn.Linear(3, 1))
    >>> phi = from_torch(model, dense([2, 3, 1]))
    >>> phi.shape, bool(np.allclose(phi[:6], model[0].weight.detach().numpy().ravel()))
    ((13,), True)
    """
    require_torch("reading PyTorch weights")
    tensors = [p.detach().cpu().double().numpy() for p in module.parameters()]
    if len(tensors) == 1 and tensors[0].shape == (network.N,) and len(network.groups) != 1:
        return np.asarray(tensors[0], dtype=np.float64).copy()
    got = [tuple(t.shape) for t in tensors]
    want = [tuple(shape) for _, shape in network.groups]
    if got != want:
        raise InvalidInputError(
            f"the module's parameter shapes {got} do not match the network's parameter "
            f"groups {want} (names {[name for name, _ in network.groups]})")
    raw = np.concatenate([t.ravel() for t in tensors]) if tensors else np.zeros(0)
    free = np.asarray(network.raw_free, dtype=np.int64)
    phi = np.empty(network.N)
    phi[free[free >= 0]] = raw[free >= 0]
    return phi


# ----- a plain gradient baseline -------------------------------------------------------


@dataclass(frozen=True)
class SGDResult:
    """Result of :func:`train_sgd`: the best restart's φ and every restart's ERM."""

    params: np.ndarray
    erms: tuple[float, ...]
    seconds: float
    restarts: int
    steps: int
    lr: float
    optimizer: str

    @property
    def erm(self) -> float:
        """ERM of the best restart (the one ``params`` holds)."""
        return min(self.erms)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {"params": self.params.tolist(), "erm": self.erm, "erms": list(self.erms),
                "seconds": self.seconds, "restarts": self.restarts, "steps": self.steps,
                "lr": self.lr, "optimizer": self.optimizer}


def _torch_loss(name: str, z: Any, y: Any) -> Any:
    torch = require_torch("the SGD baseline")
    if name == "abs":
        per = (z - y).abs().sum(dim=1)
    elif name == "quadratic":
        per = ((z - y) ** 2).sum(dim=1)
    elif name == "hinge":
        per = torch.relu(1.0 - (z * y).sum(dim=1))
    elif name == "cross_entropy":
        per = -(y * torch.log_softmax(z, dim=1)).sum(dim=1)
    else:
        raise InvalidInputError(f"the SGD baseline has no gradient for loss {name!r}")
    return per.mean()


def train_sgd(network: Network, loss: str, X: Any, Y: Any, *, restarts: int = 5,
              steps: int = 300, lr: float = 0.05, optimizer: str = "adam",
              regularizer: str | None = None, seed: int = 0,
              progress: bool | None = False) -> SGDResult:
    """Plain gradient training in PyTorch on the same problem: full-batch Adam (or SGD)
    on the empirical risk, the weights clamped to the box [-1, 1] after every step, from
    ``restarts`` random starts (uniform in ``±1/sqrt(Δ)``). The ERM of each restart is
    recomputed with :func:`lptrain.nn.empirical_risk`, so it is comparable with the LP's.
    ``progress`` shows a bar over the steps (None: on a terminal).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> from lptrain.nn import dense
    >>> X = np.linspace(-1, 1, 9)[:, None]
    >>> res = train_sgd(dense([1, 1]), "quadratic", X, 0.5 * X, restarts=2, steps=200)
    >>> res.erm < 1e-4, len(res.erms)
    (True, 2)
    """
    from lptrain.nn.regularizers import get_regularizer

    torch = require_torch("the SGD baseline")
    lo = get_loss(loss)
    reg = get_regularizer(regularizer)
    Xa = check_array("X", X, ndim=2)
    Ya = check_array("Y", Y, ndim=(1, 2)).reshape(Xa.shape[0], -1)
    xt, yt = torch.tensor(Xa), torch.tensor(Ya)
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(max(network.max_in_degree, 1))
    generic = any(f < 0 for f in network.raw_free)
    best: np.ndarray | None = None
    erms: list[float] = []
    t0 = time.perf_counter()
    with progress_bar(restarts * steps, "gradient descent", enabled=progress,
                      unit="step") as bar:
        for r in range(restarts):
            phi, erm = _one_restart(network, lo, reg, xt, yt, Xa, Ya,
                                    rng.uniform(-scale, scale, network.N), generic, steps,
                                    lr, optimizer, seed + r, bar.update)
            erms.append(erm)
            if best is None or erm < min(erms[:-1]):
                best = phi
    assert best is not None
    return SGDResult(best, tuple(erms), time.perf_counter() - t0, restarts, steps, lr,
                     optimizer)


def _one_restart(network: Network, lo: Any, reg: Any, xt: Any, yt: Any, Xa: np.ndarray,
                 Ya: np.ndarray, phi0: np.ndarray, generic: bool, steps: int, lr: float,
                 optimizer: str, seed: int, tick: Any) -> tuple[np.ndarray, float]:
    torch = require_torch("the SGD baseline")
    torch.manual_seed(seed)
    module = to_torch(network, phi0, generic=generic)
    params = list(module.parameters())
    opt = (torch.optim.Adam(params, lr=lr) if optimizer == "adam"
           else torch.optim.SGD(params, lr=lr))
    for _ in range(steps):
        opt.zero_grad()
        value = _torch_loss(lo.name, module(xt), yt)
        if reg is not None:
            flat = torch.cat([p.flatten() for p in params])
            lam1, lam2 = reg.weights
            value = value + lam1 * flat.abs().sum() + lam2 * (flat ** 2).sum()
        value.backward()
        opt.step()
        with torch.no_grad():
            for p in params:
                p.clamp_(-1.0, 1.0)
        tick(1)
    phi = from_torch(module, network)
    return phi, float(empirical_risk(network, lo, Xa, Ya, phi[None], reg)[0])
