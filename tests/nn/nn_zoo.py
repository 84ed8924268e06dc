"""Shared zoo of small networks for the nn tests, and a plain per-sample reference.

Every architecture kind the library describes, built for any activation and output
dimension, plus an independent scalar evaluator (Python floats and ``math``) used as the
oracle for both evaluation backends.
"""

from __future__ import annotations

import math

import numpy as np

from lptrain.nn import (
    LOSSES,
    Network,
    Node,
    conv1d,
    conv2d,
    dag,
    dense,
    get_activation,
    get_loss,
    resnet,
)
from lptrain.nn.activations import THEORY_ACTIVATIONS as THEORY_ACTIVATION_NAMES

THEORY_ACTIVATIONS = ("relu", "leaky_relu:0.2", "tanh", "hard_tanh", "elu:0.5", "identity")
THEORY_LOSSES = ("abs", "quadratic", "hinge", "cross_entropy")


def _specs(names: tuple[str, ...], family: str) -> tuple[str, ...]:
    """Registered names, with a non-default parameter (0.5) for those that take one."""
    get = get_activation if family == "activation" else get_loss
    return tuple(f"{k}:0.5" if get(k).parameter is not None else k for k in names)


#: Every registered activation / loss covered by the Lipschitz theory (the registry decides:
#: a component added later is tested without editing this list; ``_act`` and
#: ``reference_loss`` below must know its definition).
COMPONENT_ACTIVATIONS = _specs(THEORY_ACTIVATION_NAMES, "activation")
COMPONENT_LOSSES = _specs(tuple(k for k in LOSSES if get_loss(k).in_theory), "loss")


def _extra(specs: tuple[str, ...], listed: tuple[str, ...]) -> tuple[str, ...]:
    known = {s.partition(":")[0] for s in listed}
    return tuple(s for s in specs if s.partition(":")[0] not in known)


#: The registered components beyond the two lists above (the tests that iterate those
#: lists add these).
EXTRA_ACTIVATIONS = _extra(COMPONENT_ACTIVATIONS, THEORY_ACTIVATIONS)
EXTRA_LOSSES = _extra(COMPONENT_LOSSES, THEORY_LOSSES)


def shared_dag(activation: str, m: int = 1) -> Network:
    """Explicit DAG with a shared weight, a signed coefficient, a constant edge and a
    skip from the inputs to the output."""
    nodes = [
        Node.make([(0, 0), (1, 0)], bias=1, activation=activation),          # node 2
        Node.make([(0, 2), (2, None, 0.5)], bias=(3, -1.0), activation=activation),  # 3
    ]
    outs = []
    for j in range(m):
        nodes.append(Node.make([(2, 4 + j), (3, 0), (1, None, -1.0)], bias=None))
        outs.append(4 + j)
    return dag(2, nodes, outs)


def build(kind: str, activation: str = "relu", m: int = 1) -> Network:
    """A small network of the given kind."""
    if kind == "dense":
        return dense([2, 3, m], activation)
    if kind == "deep":
        return dense([1, 2, 2, m], activation)
    if kind == "conv1d":
        return conv1d((1, 4), [(2, 2, 2)], [m], activation)
    if kind == "conv2d":
        return conv2d((3, 3), [(1, 2)], [m], activation)
    if kind == "resnet":
        return resnet(2, 2, 1, m, activation)
    if kind == "dag":
        return shared_dag(activation, m)
    if kind == "fixed":
        net = dense([2, 2, m], activation)
        return net.fix_parameters({0: 0.5, 3: -1.0, net.N - 1: 0.25})
    raise ValueError(kind)


ARCH_KINDS = ("dense", "deep", "conv1d", "conv2d", "resnet", "dag", "fixed")


def reference_outputs(net: Network, x: np.ndarray, phi: np.ndarray) -> list[float]:
    """f(x, φ) for one data point and one φ, node by node with Python floats."""
    z = [float(v) for v in x]
    for v in net.nodes:
        h = 0.0
        for src, p, c in v.inputs:
            h += (c * float(phi[p]) if p >= 0 else c) * z[src]
        bp, bc = v.bias
        h += bc * float(phi[bp]) if bp >= 0 else bc
        z.append(_act(v.activation.name, v.activation.alpha, h))
    return [z[o] for o in net.outputs]


def _act(name: str, a: float, h: float) -> float:
    if name == "relu":
        return max(h, 0.0)
    if name == "leaky_relu":
        return h if h > 0 else a * h
    if name == "tanh":
        return math.tanh(h)
    if name == "hard_tanh":
        return min(max(h, -1.0), 1.0)
    if name == "elu":
        return h if h > 0 else a * (math.exp(h) - 1.0)
    if name == "step":
        return 1.0 if h > 0 else 0.0
    if name == "softplus":
        return math.log(1.0 + math.exp(h)) - math.log(2.0) if h < 30 else h - math.log(2.0)
    if name == "identity":
        return h
    raise KeyError(f"the reference knows no activation {name!r}")


def reference_loss(loss: str, z: list[float], y: np.ndarray) -> float:
    """ℓ(z, y) straight from the definitions of §4.3 (hinge: one hinge per output on ±1
    one-vs-rest labels; huber:δ as in PyTorch)."""
    yy = [float(v) for v in y]
    name, _, param = loss.partition(":")
    if name == "abs":
        return sum(abs(a - b) for a, b in zip(z, yy, strict=True))
    if name == "quadratic":
        return sum((a - b) ** 2 for a, b in zip(z, yy, strict=True))
    if name == "hinge":
        return sum(max(1.0 - a * b, 0.0) for a, b in zip(z, yy, strict=True))
    if name == "hamming":
        return float(sum(a != b for a, b in zip(z, yy, strict=True)))
    if name == "huber":
        delta = float(param or 1.0)
        return sum(0.5 * (a - b) ** 2 if abs(a - b) <= delta else delta * (abs(a - b) - 0.5 * delta)
                   for a, b in zip(z, yy, strict=True))
    if name == "cross_entropy":
        norm = sum(math.exp(a) for a in z)
        return -sum(b * math.log(math.exp(a) / norm) for a, b in zip(z, yy, strict=True))
    raise KeyError(f"the reference knows no loss {loss!r}")


def reference_matrix(net: Network, loss: str, X: np.ndarray, Y: np.ndarray,
                     phi: np.ndarray) -> np.ndarray:
    """(D, P) loss matrix by the scalar reference."""
    return np.array([[reference_loss(loss, reference_outputs(net, x, p), y) for p in phi]
                     for x, y in zip(X, Y, strict=True)])


def random_data(net: Network, D: int, P: int, seed: int = 0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, net.m)),
            rng.uniform(-1, 1, (P, net.N)))
