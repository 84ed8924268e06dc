"""Builders for the architectures the paper covers (§4.1, §4.2) and the ``--arch`` parser.

Canonical parameter order (the raw layout, before any parameter is fixed): layer by layer,
each layer's weight tensor row-major in PyTorch's layout, then its bias:

* dense layer l: ``layer{l}.weight`` of shape (w_l, w_{l-1}) (``nn.Linear.weight``), then
  ``layer{l}.bias`` (w_l,);
* conv1d layer: weight (out, in, k) (``nn.Conv1d``), bias (out,); conv2d: weight
  (out, in, kh, kw), bias (out,). Feature maps are flattened channel-major, like
  ``torch.flatten`` of (C, L) or (C, H, W);
* resnet: the input layer, each block's layers, the output layer, as dense layers.

Hidden nodes use ``activation``; output nodes use ``output_activation`` (identity by
default, the paper's ``f = T_k ∘ σ ∘ ... ∘ σ ∘ T_1``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lptrain.errors import FileFormatError, InvalidInputError, TooLargeError
from lptrain.nn.activations import Activation, get_activation
from lptrain.nn.architecture import Network, Node

__all__ = ["dense", "conv1d", "conv2d", "resnet", "dag", "parse_arch", "ARCH_HELP",
           "network_bytes", "MAX_NETWORK_BYTES"]

#: Largest network (its estimated memory as Python objects) the builders construct; the
#: size is checked from the widths alone, before any node is allocated.
MAX_NETWORK_BYTES = 512 * 2**20
# Measured: ~420 B per node (Node, its tuples, the graph arrays), ~200 B per edge (one
# (source, parameter, coefficient) entry), 16 B per input (the feature map of node ids).
_NODE_BYTES, _EDGE_BYTES, _INPUT_BYTES = 450, 220, 16
_MAX_ARCH_FILE = 128 * 2**20


def network_bytes(inputs: int, nodes: int, edges: int) -> int:
    """Estimated memory of a network with these counts (what the size check compares with
    :data:`MAX_NETWORK_BYTES`).

    Examples
    --------
    >>> network_bytes(1, 100_000_001, 200_000_000) > MAX_NETWORK_BYTES
    True
    """
    return _INPUT_BYTES * inputs + _NODE_BYTES * nodes + _EDGE_BYTES * edges


def _check_size(inputs: int, nodes: int, edges: int) -> None:
    """Refuse (TooLargeError) a network too large to build, before allocating it."""
    need = network_bytes(inputs, nodes, edges)
    if need > MAX_NETWORK_BYTES:
        raise TooLargeError(
            f"the network has {inputs:,} input{'s' if inputs != 1 else ''}, {nodes:,} nodes "
            f"and {edges:,} edges; building it would take about {need / 2**30:.3g} GiB, above "
            f"the limit of {MAX_NETWORK_BYTES // 2**20} MiB for a network: use smaller widths "
            "(every lptrain method grows exponentially with the number of parameters)")

ARCH_HELP = (
    "dense: widths n-w1-...-m (e.g. 2-3-1); "
    "conv1d:[Cx]L-c<out>k<kernel>[s<stride>]-...-<dense widths> (e.g. conv1d:8-c2k3s2-1; "
    "2x8 means C=2 channels of length 8); "
    "conv2d:HxW or CxHxW, same layer syntax (e.g. conv2d:4x4-c1k2s2-1); "
    "resnet:n-w x B-m, B residual blocks of width w (e.g. resnet:2-3x2-1); "
    "@file.json: a network saved with Network.to_dict()"
)


class _Builder:
    """Allocates raw parameters (named groups) and nodes."""

    def __init__(self, n_inputs: int) -> None:
        self.n_inputs = n_inputs
        self.nodes: list[Node] = []
        self.groups: list[tuple[str, tuple[int, ...]]] = []
        self.n_raw = 0

    def group(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        size = int(np.prod(shape))
        idx = np.arange(self.n_raw, self.n_raw + size).reshape(shape)
        self.groups.append((name, shape))
        self.n_raw += size
        return idx

    def node(self, inputs: list[tuple[int, int, float]], bias: int, act: Activation) -> int:
        self.nodes.append(Node(tuple(inputs), (bias, 1.0) if bias >= 0 else (-1, 0.0), act))
        return self.n_inputs + len(self.nodes) - 1

    def dense_layer(self, prev: Sequence[int], width: int, layer: int, act: Activation,
                    bias: bool) -> list[int]:
        W = self.group(f"layer{layer}.weight", (width, len(prev)))
        b = self.group(f"layer{layer}.bias", (width,)) if bias else None
        return [self.node([(int(u), int(W[i, j]), 1.0) for j, u in enumerate(prev)],
                          int(b[i]) if b is not None else -1, act) for i in range(width)]

    def build(self, outputs: Sequence[int], kind: str) -> Network:
        return Network(self.n_inputs, tuple(self.nodes), tuple(int(o) for o in outputs),
                       self.n_raw, tuple(self.groups), kind=kind)


def _positive(name: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise InvalidInputError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def dense(widths: Sequence[int], activation: str | Activation = "relu",
          output_activation: str | Activation = "identity", bias: bool = True) -> Network:
    """Fully connected network with layer widths ``[n, w_1, ..., m]`` (§4.1).

    Examples
    --------
    >>> net = dense([2, 3, 1])
    >>> net.n, net.m, net.N, net.depth, net.max_in_degree
    (2, 1, 13, 2, 3)
    >>> net.param_names[:3]
    ('layer1.weight[0,0]', 'layer1.weight[0,1]', 'layer1.weight[1,0]')
    """
    ws = [_positive(f"widths[{i}]", w) for i, w in enumerate(widths)]
    if len(ws) < 2:
        raise InvalidInputError(f"widths must list at least n and m, e.g. [2, 3, 1]; got {ws}")
    _check_size(ws[0], sum(ws[1:]), sum(a * c for a, c in zip(ws, ws[1:], strict=False)))
    act, out_act = get_activation(activation), get_activation(output_activation)
    b = _Builder(ws[0])
    prev = list(range(ws[0]))
    for layer, w in enumerate(ws[1:], start=1):
        prev = b.dense_layer(prev, w, layer, out_act if layer == len(ws) - 1 else act, bias)
    return b.build(prev, "dense")


def _conv(b: _Builder, fmap: np.ndarray, spec: Sequence[int], layer: int,
          act: Activation) -> np.ndarray:
    """One convolution (valid padding) over a feature map of node ids (C, *spatial)."""
    out_ch = _positive("out_channels", spec[0])
    dims = fmap.ndim - 1
    kernel = _pair(spec[1], dims, "kernel")
    stride = _pair(spec[2] if len(spec) > 2 else 1, dims, "stride")
    sizes = [(s - k) // st + 1 for s, k, st in zip(fmap.shape[1:], kernel, stride, strict=True)]
    if min(sizes) < 1:
        raise InvalidInputError(f"conv layer {layer}: kernel {kernel} is larger than the "
                                f"input {fmap.shape[1:]}")
    W = b.group(f"layer{layer}.weight", (out_ch, fmap.shape[0], *kernel))
    bias = b.group(f"layer{layer}.bias", (out_ch,))
    out = np.empty((out_ch, *sizes), dtype=np.int64)
    for o in range(out_ch):
        for pos in np.ndindex(*sizes):
            edges = []
            for c in range(fmap.shape[0]):
                for off in np.ndindex(*kernel):
                    src = fmap[(c, *(p * st + k for p, st, k in zip(pos, stride, off,
                                                                     strict=True)))]
                    edges.append((int(src), int(W[(o, c, *off)]), 1.0))
            out[(o, *pos)] = b.node(edges, int(bias[o]), act)
    return out


def _pair(value: Any, dims: int, name: str) -> tuple[int, ...]:
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(vals) != dims:
        raise InvalidInputError(f"{name} must have {dims} entries; got {value!r}")
    return tuple(_positive(name, v) for v in vals)


def _conv_net(shape: tuple[int, ...], conv_layers: Sequence[Sequence[int]],
              dense_widths: Sequence[int], activation: str | Activation,
              output_activation: str | Activation, kind: str) -> Network:
    shape = tuple(_positive("input shape", s) for s in shape)
    act, out_act = get_activation(activation), get_activation(output_activation)
    if not conv_layers:
        raise InvalidInputError(f"{kind} needs at least one conv layer (out, kernel[, stride])")
    _check_size(*_conv_counts(shape, conv_layers, dense_widths))
    b = _Builder(int(np.prod(shape)))
    fmap = np.arange(b.n_inputs).reshape(shape)
    n_layers = len(conv_layers) + len(dense_widths)
    for layer, spec in enumerate(conv_layers, start=1):
        fmap = _conv(b, fmap, spec, layer, out_act if layer == n_layers else act)
    prev = [int(u) for u in fmap.reshape(-1)]
    for layer, w in enumerate(dense_widths, start=len(conv_layers) + 1):
        w = _positive("dense width", w)
        prev = b.dense_layer(prev, w, layer, out_act if layer == n_layers else act, True)
    return b.build(prev, kind)


def _conv_counts(shape: tuple[int, ...], conv_layers: Sequence[Sequence[int]],
                 dense_widths: Sequence[int]) -> tuple[int, int, int]:
    """(inputs, nodes, edges) of a conv net from its layer specs alone (valid padding);
    layers that do not fit are left to the builder's own message."""
    inputs = int(np.prod(shape, dtype=object))
    chans, spatial, nodes, edges = shape[0], list(shape[1:]), 0, 0
    for spec in conv_layers:
        dims = len(spatial)
        kernel = _pair(spec[1], dims, "kernel")
        stride = _pair(spec[2] if len(spec) > 2 else 1, dims, "stride")
        spatial = [(s - k) // st + 1 for s, k, st in zip(spatial, kernel, stride, strict=True)]
        if min(spatial) < 1:
            return inputs, nodes, edges
        out = _positive("out_channels", spec[0])
        count = out * int(np.prod(spatial, dtype=object))
        nodes += count
        edges += count * chans * int(np.prod(kernel, dtype=object))
        chans = out
    width = chans * int(np.prod(spatial, dtype=object))
    for w in dense_widths:
        w = _positive("dense width", w)
        nodes, edges, width = nodes + w, edges + w * width, w
    return inputs, nodes, edges


def conv1d(input_shape: int | Sequence[int], conv_layers: Sequence[Sequence[int]],
           dense_widths: Sequence[int] = (), activation: str | Activation = "relu",
           output_activation: str | Activation = "identity") -> Network:
    """1-D CNN: conv layers ``(out_channels, kernel[, stride])`` then dense layers (§4.2).

    ``input_shape`` is the length L or ``(C, L)``; inputs are indexed ``c*L + t``. Kernel
    weights are shared across positions, so N counts distinct parameters.

    Examples
    --------
    >>> net = conv1d(6, [(2, 3)], [1])
    >>> net.N, net.n_edges, net.max_in_degree
    (17, 32, 8)
    """
    shape = (1, input_shape) if isinstance(input_shape, (int, np.integer)) else input_shape
    if len(shape) != 2:
        raise InvalidInputError(f"conv1d input_shape must be L or (C, L); got {input_shape!r}")
    return _conv_net(tuple(shape), conv_layers, dense_widths, activation, output_activation,
                     "conv1d")


def conv2d(input_shape: Sequence[int], conv_layers: Sequence[Sequence[Any]],
           dense_widths: Sequence[int] = (), activation: str | Activation = "relu",
           output_activation: str | Activation = "identity") -> Network:
    """2-D CNN: ``input_shape`` (H, W) or (C, H, W); conv layers ``(out, kernel[, stride])``
    with int or (kh, kw) kernel/stride, valid padding; then dense layers (§4.2).

    Examples
    --------
    >>> net = conv2d((3, 3), [(1, 2)], [1])
    >>> net.N, net.n_edges
    (10, 20)
    """
    shape = tuple(input_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3:
        raise InvalidInputError(f"conv2d input_shape must be (H, W) or (C, H, W); "
                                f"got {input_shape!r}")
    return _conv_net(shape, conv_layers, dense_widths, activation, output_activation, "conv2d")


def resnet(n: int, width: int, blocks: int, m: int, activation: str | Activation = "relu",
           block_depth: int = 1, output_activation: str | Activation = "identity") -> Network:
    """Residual network (§4.2, Corollary 4.6): a dense input layer n→width, ``blocks``
    residual blocks, a dense output layer width→m.

    A block of depth d applies d dense width→width layers; its last layer adds the block
    input through identity edges (constant weight 1) *before* the activation,
    ``h' = σ(W h_{d-1} + b + h)``, so every node stays affine-then-activation and the
    in-degree is ``width + 1``.

    Examples
    --------
    >>> net = resnet(2, 3, 2, 1)
    >>> net.N, net.depth, net.max_in_degree
    (37, 4, 4)
    """
    n, width, blocks, m = (_positive(k, v) for k, v in
                           (("n", n), ("width", width), ("blocks", blocks), ("m", m)))
    depth = _positive("block_depth", block_depth)
    _check_size(n, width * (1 + blocks * depth) + m,
                n * width + blocks * depth * width * width + blocks * width + width * m)
    act, out_act = get_activation(activation), get_activation(output_activation)
    b = _Builder(n)
    layer = 1
    h = b.dense_layer(list(range(n)), width, layer, act, True)
    for _ in range(blocks):
        skip, cur = h, h
        for j in range(depth):
            layer += 1
            cur = b.dense_layer(cur, width, layer, act, True)
            if j == depth - 1:
                for i, v in enumerate(cur):
                    node = b.nodes[v - n]
                    b.nodes[v - n] = Node((*node.inputs, (skip[i], -1, 1.0)), node.bias, act)
        h = cur
    out = b.dense_layer(h, m, layer + 1, out_act, True)
    return b.build(out, "resnet")


def dag(n_inputs: int, nodes: Sequence[Node | Mapping[str, Any]], outputs: Sequence[int],
        n_params: int | None = None) -> Network:
    """A network given explicitly as a DAG (Lemma 4.5).

    ``nodes`` holds :class:`Node` objects or dicts with keys ``inputs`` (``(src, param)``
    or ``(src, param, coef)``, ``param=None`` for a constant), ``bias`` and
    ``activation`` (see :meth:`Node.make`). N defaults to 1 + the largest index used.

    Examples
    --------
    >>> net = dag(2, [{"inputs": [(0, 0), (1, 0)], "bias": 1, "activation": "relu"},
    ...               {"inputs": [(2, 2), (0, None, 1.0)]}], outputs=[3])
    >>> net.N, net.depth, net.max_in_degree
    (3, 2, 2)
    """
    built = tuple(v if isinstance(v, Node) else Node.make(**v) for v in nodes)
    if n_params is None:
        used = [p for v in built for p in (*(e[1] for e in v.inputs), v.bias[0])]
        n_params = max(used, default=-1) + 1
    return Network(int(n_inputs), built, tuple(int(o) for o in outputs), int(n_params))


_LAYER = re.compile(r"^c(\d+)k(\d+)(?:s(\d+))?$")


def parse_arch(spec: str, activation: str | Activation = "relu") -> Network:
    """Parse the ``--arch`` shorthand (see :data:`ARCH_HELP` and docs/networks.md).

    Examples
    --------
    >>> parse_arch("2-3-1").widths
    (2, 3, 1)
    >>> parse_arch("conv1d:8-c2k3s2-1").N
    15
    >>> parse_arch("2-x-1")
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: --arch '2-x-1': expected layer widths separated by \
'-', e.g. 2-3-1
    """
    if not isinstance(spec, str):
        raise InvalidInputError(f"--arch must be a string such as 2-3-1; got {spec!r}")
    activation = get_activation(activation)  # its own errors, not prefixed by --arch
    text = spec.strip()
    if text.startswith("@"):
        return _from_file(text[1:])
    kind, sep, body = text.partition(":")
    if not sep:
        if not re.fullmatch(r"\d+(-\d+)+", text):
            raise InvalidInputError(
                f"--arch {spec!r}: expected layer widths separated by '-', e.g. 2-3-1")
        return _checked(spec, lambda: dense([int(w) for w in text.split("-")], activation))
    if kind in ("conv1d", "conv2d"):
        return _parse_conv(spec, kind, body, activation)
    if kind == "resnet":
        match = re.fullmatch(r"(\d+)-(\d+)x(\d+)-(\d+)", body)
        if not match:
            raise InvalidInputError(f"--arch {spec!r}: expected resnet:n-wxB-m, e.g. "
                                    "resnet:2-3x2-1 (B blocks of width w)")
        n, w, blocks, m = (int(g) for g in match.groups())
        return _checked(spec, lambda: resnet(n, w, blocks, m, activation))
    raise InvalidInputError(f"--arch {spec!r}: unknown kind {kind!r}; expected one of: "
                            + ARCH_HELP)


def _checked(spec: str, make: Any) -> Network:
    try:
        return make()  # type: ignore[no-any-return]
    except InvalidInputError as exc:
        raise InvalidInputError(f"--arch {spec!r}: {exc}") from None
    except TooLargeError as exc:
        raise TooLargeError(f"--arch {spec!r}: {exc}") from None


def _parse_conv(spec: str, kind: str, body: str, activation: str | Activation) -> Network:
    dims = 1 if kind == "conv1d" else 2
    parts = body.split("-")
    example = "conv1d:8-c2k3s2-1" if dims == 1 else "conv2d:4x4-c1k2s2-1"
    usage = (f"--arch {spec!r}: expected {kind}:{'[Cx]L' if dims == 1 else '[Cx]HxW'}"
             f"-c<out>k<kernel>[s<stride>]-...-<widths>, e.g. {example}")
    shape_ok = re.fullmatch(r"\d+(x\d+)*", parts[0])
    shape = tuple(int(s) for s in parts[0].split("x")) if shape_ok else ()
    if not shape or len(shape) not in (dims, dims + 1):
        raise InvalidInputError(usage)
    convs: list[tuple[int, ...]] = []
    widths: list[int] = []
    for part in parts[1:]:
        match = _LAYER.fullmatch(part)
        if match and not widths:
            convs.append(tuple(int(g) for g in match.groups() if g is not None))
        elif part.isdigit():
            widths.append(int(part))
        else:
            raise InvalidInputError(usage)
    if not convs:
        raise InvalidInputError(usage)
    if dims == 1:
        return _checked(spec, lambda: conv1d(shape if len(shape) == 2 else shape[0], convs,
                                             widths, activation))
    return _checked(spec, lambda: conv2d(shape, convs, widths, activation))


def _from_file(path: str) -> Network:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > _MAX_ARCH_FILE:
            raise TooLargeError(f"--arch @{path}: the file has {size / 2**20:.0f} MiB; a "
                                f"network file is at most {_MAX_ARCH_FILE // 2**20} MiB")
        data = json.loads(p.read_text(), parse_constant=_no_constant)
    except OSError as exc:
        raise InvalidInputError(f"--arch @{path}: cannot read the file ({exc.strerror})") from None
    except RecursionError:
        raise InvalidInputError(f"--arch @{path}: not JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, NaN literals, huge integers, bad UTF-8
        raise InvalidInputError(f"--arch @{path}: not JSON ({exc})") from None
    try:
        return Network.from_dict(data.get("network", data) if isinstance(data, dict) else {})
    except (InvalidInputError, FileFormatError) as exc:
        raise InvalidInputError(f"--arch @{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError,
            OverflowError) as exc:
        raise InvalidInputError(f"--arch @{path}: not a network written by Network.to_dict "
                                f"({type(exc).__name__}: {exc})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
