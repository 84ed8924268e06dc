"""The one place where lptrain's activations and losses meet PyTorch's.

* :func:`activation_module` — the ``torch.nn`` module computing an activation (export);
* :func:`apply_activation` — the same as a function on tensors (the residual and DAG
  modules);
* :func:`activation_of_module` — back: the lptrain activation a ``torch.nn`` module computes,
  or None (import: :func:`lptrain.torch.from_torch` checks a module's activations with it);
* :func:`loss_value` — a loss on tensors, mean over the batch (the SGD baseline).

Each is a small table on the component's name. When the activations and losses become
component modules with their own ``torch_module()`` / ``torch_loss(z, y)`` methods (issue 10),
the bodies of :func:`activation_module`, :func:`apply_activation` and :func:`loss_value`
become one call each; nothing else in the package switches on a name.
"""

from __future__ import annotations

from typing import Any

from lptrain.errors import InvalidInputError
from lptrain.nn.activations import Activation, get_activation
from lptrain.torch.runtime import require_torch

__all__ = ["activation_module", "apply_activation", "activation_of_module", "loss_value"]


def activation_module(act: Activation) -> Any:
    """A ``torch.nn`` module computing ``act`` (``nn.Identity`` for the identity).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> activation_module(get_activation("leaky_relu:0.25"))
    LeakyReLU(negative_slope=0.25)
    """
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


def apply_activation(act: Activation, t: Any) -> Any:
    """``act`` applied to a tensor (what :func:`activation_module` computes).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> apply_activation(get_activation("relu"), torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
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


def activation_of_module(module: Any) -> Activation | None:
    """The lptrain activation a ``torch.nn`` activation module computes, or None when the
    module is not one lptrain has (e.g. ``nn.Sigmoid``, ``nn.GELU``, ``nn.Hardtanh(0, 6)``).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> activation_of_module(torch.nn.ELU(0.5)).spec, activation_of_module(torch.nn.GELU())
    ('elu:0.5', None)
    """
    name = type(module).__name__
    try:
        if name == "ReLU":
            return get_activation("relu")
        if name == "LeakyReLU":
            return get_activation(f"leaky_relu:{float(module.negative_slope)!r}")
        if name == "Tanh":
            return get_activation("tanh")
        if name == "Hardtanh" and (module.min_val, module.max_val) == (-1.0, 1.0):
            return get_activation("hard_tanh")
        if name == "ELU":
            return get_activation(f"elu:{float(module.alpha)!r}")
        if name == "Step":
            return get_activation("step")
        if name == "Identity":
            return get_activation("identity")
    except InvalidInputError:  # e.g. ELU(alpha=2): not an lptrain activation
        return None
    return None


def loss_value(name: str, z: Any, y: Any) -> Any:
    """The loss ``name`` of outputs ``z`` (batch, m) against targets ``y``, averaged over the
    batch, as a differentiable tensor (the same ℓ as :func:`lptrain.nn.get_loss`).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> float(loss_value("abs", torch.tensor([[1.0], [0.0]]), torch.tensor([[0.5], [0.5]])))
    0.5
    """
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
