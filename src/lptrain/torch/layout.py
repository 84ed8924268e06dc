"""Recognizing builder layouts for the PyTorch export (:mod:`lptrain.torch.export`).

A network gets ``nn.Linear`` / ``nn.Conv`` layers only when it is *structurally identical*
to what :mod:`lptrain.nn.builders` makes from the shapes of its parameter groups (fixed
parameters allowed): the builder is re-run with candidate hyper-parameters (conv strides,
input shapes, resnet block depth) and the nodes compared exactly.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from lptrain.errors import InvalidInputError
from lptrain.nn import Network, conv1d, conv2d, dense, resnet
from lptrain.nn.activations import Activation

__all__ = ["recognize", "layer_shapes", "activations"]


def _same_structure(net: Network, ref: Network) -> bool:
    """True when ``net`` is ``ref`` with some raw parameters fixed (same groups, nodes)."""
    if ref.groups != net.groups or len(ref.raw_free) != len(net.raw_free):
        return False
    fixed = {r: net.raw_fixed[r] for r, f in enumerate(net.raw_free) if f < 0}
    try:
        cand = ref.fix_parameters(fixed) if fixed else ref
    except InvalidInputError:
        return False
    return cand.nodes == net.nodes and cand.outputs == net.outputs and (
        cand.raw_free == net.raw_free)


def activations(net: Network) -> tuple[Activation, Activation]:
    """(hidden activation, output activation) of a builder network.

    Examples
    --------
    >>> [a.name for a in activations(dense([2, 3, 1], "tanh"))]
    ['tanh', 'identity']
    """
    hidden = [v.activation for i, v in enumerate(net.nodes)
              if net.n_inputs + i not in net.outputs]
    out = net.nodes[net.outputs[0] - net.n_inputs].activation
    return (hidden[0] if hidden else out), out


def layer_shapes(net: Network) -> list[tuple[int, ...]] | None:
    """Weight shapes of layer1..layerK when the groups are ``layer{l}.weight/bias`` pairs.

    Examples
    --------
    >>> layer_shapes(dense([2, 3, 1]))
    [(3, 2), (1, 3)]
    """
    shapes = []
    groups = list(net.groups)
    for layer in itertools.count(1):
        if not groups:
            break
        if groups[0][0] != f"layer{layer}.weight":
            return None
        shapes.append(groups[0][1])
        groups = groups[1:]
        if groups and groups[0][0] == f"layer{layer}.bias":
            groups = groups[1:]
    return shapes or None


def _match_dense(net: Network, shapes: list[tuple[int, ...]]) -> dict[str, Any] | None:
    if any(len(s) != 2 for s in shapes):
        return None
    widths = [shapes[0][1]] + [s[0] for s in shapes]
    bias = any(name.endswith(".bias") for name, _ in net.groups)
    act, out_act = activations(net)
    try:
        ref = dense(widths, act, out_act, bias=bias)
    except InvalidInputError:
        return None
    return {"kind": "dense", "widths": widths, "bias": bias} if _same_structure(net, ref) else None


def _conv_candidates(sizes: tuple[int, ...], kernels: list[tuple[int, ...]],
                     out_channels: list[int], widths: tuple[int, ...]
                     ) -> list[list[tuple[int, ...]]]:
    """Stride tuples per conv layer consistent with the number of nodes in each layer."""
    if not kernels:
        return [[]]
    found = []
    options = [range(1, s + 1) for s in sizes]
    for stride in itertools.product(*options):
        out = tuple((s - k) // st + 1 for s, k, st in zip(sizes, kernels[0], stride, strict=True))
        if min(out) < 1 or out_channels[0] * int(np.prod(out)) != widths[0]:
            continue
        if any(o == 1 and st > 1 for o, st in zip(out, stride, strict=True)):
            continue  # any stride >= the span gives the same single position: keep 1
        found += [[stride, *rest] for rest in _conv_candidates(
            out, kernels[1:], out_channels[1:], widths[1:])]
    return found


def _match_conv(net: Network, shapes: list[tuple[int, ...]]) -> dict[str, Any] | None:
    dims = len(shapes[0]) - 2
    if dims not in (1, 2):
        return None
    n_conv = sum(1 for s in shapes if len(s) == dims + 2)
    if any(len(s) != dims + 2 for s in shapes[:n_conv]) or any(
            len(s) != 2 for s in shapes[n_conv:]):
        return None
    C = shapes[0][1]
    if net.n % C:
        return None
    act, out_act = activations(net)
    dense_widths = [s[0] for s in shapes[n_conv:]]
    area = net.n // C
    inputs = [(area,)] if dims == 1 else [(h, area // h) for h in range(1, area + 1)
                                         if area % h == 0]
    kernels = [tuple(s[2:]) for s in shapes[:n_conv]]
    outs = [s[0] for s in shapes[:n_conv]]
    builder = conv1d if dims == 1 else conv2d
    for spatial in inputs:
        for strides in _conv_candidates(spatial, kernels, outs, net.widths[1:]):
            convs: list[Any] = [(o, k if dims == 2 else k[0], st if dims == 2 else st[0])
                     for o, k, st in zip(outs, kernels, strides, strict=True)]
            try:
                ref = builder((C, *spatial), convs, dense_widths, act, out_act)
            except InvalidInputError:
                continue
            if _same_structure(net, ref):
                return {"kind": net.kind, "shape": (C, *spatial), "convs": convs}
    return None


def _match_resnet(net: Network, shapes: list[tuple[int, ...]]) -> dict[str, Any] | None:
    if len(shapes) < 3 or any(len(s) != 2 for s in shapes):
        return None
    n, width, m = shapes[0][1], shapes[0][0], shapes[-1][0]
    middle = len(shapes) - 2
    act, out_act = activations(net)
    for depth in range(1, middle + 1):
        if middle % depth:
            continue
        try:
            ref = resnet(n, width, middle // depth, m, act, depth, out_act)
        except InvalidInputError:
            continue
        if _same_structure(net, ref):
            return {"kind": "resnet", "blocks": middle // depth, "block_depth": depth}
    return None


def recognize(net: Network) -> dict[str, Any] | None:
    """The builder layout of ``net`` (``{"kind": ..., ...}``) or None for a general DAG.

    Examples
    --------
    >>> recognize(dense([2, 3, 1]))
    {'kind': 'dense', 'widths': [2, 3, 1], 'bias': True}
    """
    shapes = layer_shapes(net)
    if shapes is None:
        return None
    if net.kind == "dense":
        return _match_dense(net, shapes)
    if net.kind in ("conv1d", "conv2d"):
        return _match_conv(net, shapes)
    if net.kind == "resnet":
        return _match_resnet(net, shapes)
    return None
