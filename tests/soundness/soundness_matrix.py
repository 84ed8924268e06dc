"""The soundness matrix: every registered component × every architecture kind, on tiny
networks, with boxes from a point to the whole of ``[-1, 1]^N`` and the points sampled in
each box.

**Coverage.** Components come from the registries (``ACTIVATIONS``, ``LOSSES``,
``REGULARIZERS`` of :mod:`lptrain.nn`), so one added later is covered without editing this
file (if it takes a parameter, :data:`PARAM_SPECS` may name a non-default one; the oracle in
``soundness_oracle.py`` must know its definition, which ``test_oracles.py`` enforces).

* numpy backend: the full product — every architecture kind × every loss × every
  regularizer with a network that mixes every activation over its hidden nodes (its
  first output has an activation too, in turn) — and, for each activation alone, a
  network per kind × loss with one regularizer (in turn).
* numba backend (the kernel ``backend="auto"`` runs): generated kernels cost about 1.3 s of
  compilation per parameter and 1 s per node on a cold cache, so the matrix compiles
  ``max(#kinds, #losses)`` kernels: kernel i pairs kind ``i mod #kinds`` with loss
  ``i mod #losses`` (hinge and the loss of the two-output kind "multi" swapped, so that the
  multi-class hinge is in a kernel), and its network mixes every activation over its
  hidden nodes. Every
  activation meets every kind and every loss, every regularizer meets every kind and loss
  (regularizers are run-time arguments of the same kernel), and numba is compared with
  numpy on every box. The loss × kind product is covered on numpy.

Networks have about five free parameters (the others are fixed to seeded constants, which
the kernels treat as constant edges) and one hidden node per activation. Boxes: see
:data:`BOX_KINDS`, plus nested boxes and slabs around points where the data put
pre-activations on an activation's kinks (:func:`kink_data`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import zlib
from dataclasses import dataclass

import numpy as np
from soundness_oracle import outputs, pre_activations, spec_of

from lptrain.nn import (
    ACTIVATIONS,
    LOSSES,
    REGULARIZERS,
    Network,
    Node,
    conv1d,
    conv2d,
    dag,
    dense,
    get_activation,
    get_loss,
    get_regularizer,
    resnet,
)

__all__ = ["ARCH_KINDS", "PARAM_SPECS", "Case", "activation_specs", "loss_specs",
           "regularizer_specs", "network", "numba_cases", "numpy_cases", "boxes", "samples",
           "data", "kink_data", "kink_boxes", "seed"]

#: Architecture kinds: "multi" is a dense network with two outputs; "dag" an explicit DAG
#: with weights shared across nodes and layers, constant and signed edges, two outputs.
ARCH_KINDS = ("multi", "dense", "conv1d", "conv2d", "resnet", "dag")
#: Parameters for components that take one (a default that hides a bug is a bad test:
#: leaky_relu's default slope 0.01 is nearly ReLU).
PARAM_SPECS = {"leaky_relu": "leaky_relu:0.3", "elu": "elu:0.5", "huber": "huber:0.5"}
REG_LAMBDA = 0.3
#: Free parameters kept per kind (by name); the other parameters are fixed.
_FREE = {
    "dense": ("layer1.weight[0,0]", "layer1.weight[1,0]", "layer1.bias[0]",
              "layer2.weight[0,0]", "layer2.bias[0]"),
    "multi": ("layer1.weight[0,0]", "layer1.bias[1]", "layer2.weight[0,0]",
              "layer2.weight[1,1]", "layer2.bias[1]"),
    "conv1d": ("layer1.weight[0,0,0]", "layer1.weight[0,0,1]", "layer1.bias[0]",
               "layer2.weight[0,0]", "layer2.bias[0]"),
    "conv2d": ("layer1.weight[0,0,0,0]", "layer1.weight[0,0,0,1]", "layer1.bias[0]",
               "layer2.weight[1,0]", "layer2.bias[1]"),
    "resnet": ("layer1.weight[0,0]", "layer1.bias[1]", "layer2.weight[0,1]",
               "layer2.bias[0]", "OUT.weight[0,0]", "OUT.bias[0]"),
}


def seed(*parts: object) -> int:
    """A stable seed from the parts' text (``hash()`` is salted per process)."""
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def activation_specs() -> tuple[str, ...]:
    """One spec per registered activation."""
    return tuple(spec_of(get_activation(PARAM_SPECS.get(n, n))) for n in ACTIVATIONS)


def loss_specs() -> tuple[str, ...]:
    """One spec per registered loss."""
    return tuple(spec_of(get_loss(PARAM_SPECS.get(n, n))) for n in LOSSES)


def regularizer_specs() -> tuple[str | None, ...]:
    """No regularizer, then every registered kind with weight :data:`REG_LAMBDA`."""
    return (None, *(spec_of(get_regularizer(f"{k}:{REG_LAMBDA}")) for k in REGULARIZERS))


# ----- networks ----------------------------------------------------------------------------
def _shared_dag(k: int) -> Network:
    """Inputs x0, x1; hidden ``h_i = a(φ0 x0 + c_i φ0 x1 + φ1)`` (φ0 on two edges of one
    node), ``g = a(φ2 h0 - φ0 h1 + 0.5 h2 - φ3)`` (φ0 again, one layer deeper; a bias with
    coefficient -1), outputs ``o0 = φ4 g + h3 - x1`` and
    ``o1 = φ2 h4 + φ4 h5 + 0.5 (h6 + ...) + 0.125`` (φ2, φ4 shared by both outputs)."""
    assert k >= 5, k
    coefs = (0.5, -1.0, 0.25, -0.5)
    nodes = [Node.make([(0, 0), (1, 0, coefs[i % 4])], bias=1, activation="relu")
             for i in range(k)]
    g = 2 + k
    nodes.append(Node.make([(2, 2), (3, 0, -1.0), (4, None, 0.5)], bias=(3, -1.0),
                           activation="relu"))
    nodes.append(Node.make([(g, 4), (5, None, 1.0), (1, None, -1.0)]))
    tail = [(2 + i, (2, 4)[i % 2] if i < 6 else None, 1.0 if i < 6 else 0.5)
            for i in range(4, k)]
    nodes.append(Node.make(tail, bias=(None, 0.125)))
    return dag(2, nodes, [g + 1, g + 2])


def _base(kind: str, k: int) -> Network:
    """The kind's network with at least k hidden nodes, every parameter free."""
    if kind == "dense":
        return dense([1, k, 1])
    if kind == "multi":
        return dense([1, k, 2])
    if kind == "conv1d":
        return conv1d((1, k + 1), [(1, 2)], [1])
    if kind == "conv2d":
        return conv2d((2, math.ceil(k / 2) + 1), [(1, (1, 2))], [2])
    if kind == "resnet":
        return resnet(1, 2, max(1, math.ceil((k - 2) / 2)), 1)
    if kind == "dag":
        return _shared_dag(k)
    raise ValueError(f"unknown architecture kind {kind!r}")


def _fix_most(net: Network, kind: str) -> Network:
    if kind == "dag":
        return net
    names = net.param_names
    last = max(int(n[5:n.index(".")]) for n in names)
    keep = {n.replace("OUT.", f"layer{last}.") for n in _FREE[kind]}
    missing = keep - set(names)
    assert not missing, f"{kind}: no parameters {sorted(missing)} in {names}"
    rng = np.random.default_rng(seed("fixed", kind, net.N))
    return net.fix_parameters({j: float(rng.uniform(-0.9, 0.9))
                               for j, n in enumerate(names) if n not in keep})


def network(kind: str, activations: tuple[str, ...],
            output_activation: str | tuple[str, ...] = "identity", offset: int = 0) -> Network:
    """The kind's network; hidden node i gets ``activations[(i + offset) % len]``, output j
    ``output_activation`` (or its j-th entry, cyclically)."""
    k = len(activations)
    net = _fix_most(_base(kind, k), kind)
    outs = {o: j for j, o in enumerate(net.outputs)}
    out_acts = (output_activation,) if isinstance(output_activation, str) else output_activation
    nodes, i = [], 0
    for v, node in enumerate(net.nodes, net.n_inputs):
        if v in outs:
            act = out_acts[outs[v] % len(out_acts)]
        else:
            act = activations[(i + offset) % k]
            i += 1
        nodes.append(Node(node.inputs, node.bias, get_activation(act)))
    return dataclasses.replace(net, nodes=tuple(nodes))


def output_activation_for(loss: str) -> str:
    """Hamming compares outputs with labels exactly: BiU networks end in a step."""
    return "step" if loss.split(":")[0] == "hamming" else "identity"


@dataclass(frozen=True)
class Case:
    """One (kind, loss) cell of the matrix with its networks (label → network)."""

    kind: str
    loss: str
    networks: tuple[tuple[str, Network], ...]

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.loss}"


def mixed_outputs(loss: str, i: int) -> str | tuple[str, ...]:
    """Output activations of the i-th mixed network: the first output in turn every
    activation (the loss acts right after it), a second output none; a step before the
    Hamming loss."""
    acts = activation_specs()
    if loss.split(":")[0] == "hamming":
        return "step"
    return (acts[(i + 2) % len(acts)], "identity")


def numba_cases() -> list[Case]:
    """The covering of the numba kernels (module docstring): one mixed network each."""
    acts, ls = activation_specs(), list(loss_specs())
    # hinge's multi-class form (one hinge per output, ±1 one-vs-rest labels) shows only
    # with m > 1: it takes the slot of the two-output kind "multi"
    i, j = ls.index("hinge"), ARCH_KINDS.index("multi")
    ls[i], ls[j] = ls[j], ls[i]
    out = []
    for i in range(max(len(ARCH_KINDS), len(ls))):
        kind, loss = ARCH_KINDS[i % len(ARCH_KINDS)], ls[i % len(ls)]
        net = network(kind, acts, mixed_outputs(loss, i), offset=i)
        out.append(Case(kind, loss, (("mixed", net),)))
    return out


def numpy_cases() -> list[Case]:
    """Every kind × loss, each with the mixed network and one network per activation."""
    acts, out = activation_specs(), []
    for kind, loss in itertools.product(ARCH_KINDS, loss_specs()):
        oa = output_activation_for(loss)
        nets = [("mixed", network(kind, acts, mixed_outputs(loss, len(out) + 3), offset=1))]
        nets += [(a, network(kind, (a,) * len(acts), oa)) for a in acts]
        out.append(Case(kind, loss, tuple(nets)))
    return out


# ----- data --------------------------------------------------------------------------------
def data(net: Network, loss: str, rng: np.random.Generator, D: int = 8
         ) -> tuple[np.ndarray, np.ndarray]:
    """Data in [-1, 1] (with exact -1, 0, 1 entries) and labels suited to the loss."""
    X = rng.uniform(-1, 1, (D, net.n))
    X.flat[rng.choice(X.size, min(3, X.size), replace=False)] = [-1.0, 0.0, 1.0][:min(3,
                                                                                    X.size)]
    name = loss.split(":")[0]
    if name == "hamming":
        Y = rng.integers(0, 2, (D, net.m)).astype(np.float64)
    elif name == "hinge":
        Y = np.where(rng.uniform(size=(D, net.m)) < 0.75, rng.choice([-1.0, 1.0], (D, net.m)),
                     rng.uniform(-1, 1, (D, net.m)))
    elif name == "cross_entropy":
        Y = rng.uniform(-1, 1, (D, net.m))
        Y[: D // 2] = np.abs(Y[: D // 2])  # Σy >= 0 (the convex case) and both signs
    else:
        Y = rng.uniform(-1, 1, (D, net.m))
    return X, Y


# ----- boxes and samples -------------------------------------------------------------------
#: Box families: a point; half-widths ~1e-9, ~1e-2, ~0.3; the whole box (and its halves);
#: boxes on a symmetry face (coordinates pinned at ±1); boxes touching the boundary; slabs
#: (one or two coordinates wide, the others points: the bound is then tight except along
#: the slab, where second-order terms in one parameter show).
BOX_KINDS = ("point", "tiny", "small", "medium", "wide", "face", "edge", "slab")


def boxes(N: int, rng: np.random.Generator, per_kind: int = 4
          ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(lo, hi, labels)``: ``per_kind`` boxes of every family in :data:`BOX_KINDS`."""
    los, his, labels = [], [], []
    for kind in BOX_KINDS:
        for _ in range(per_kind):
            c = rng.uniform(-1, 1, N)
            c[rng.uniform(size=N) < 0.15] = rng.choice([-1.0, 0.0, 1.0])
            if kind == "point":
                r = np.zeros(N)
            elif kind == "wide":
                c, r = np.zeros(N), np.ones(N)
                j = rng.integers(N)
                c[j], r[j] = rng.choice([-0.5, 0.5]), 0.5  # the whole box, or a half of it
                if rng.uniform() < 0.5:
                    c[j], r[j] = 0.0, 1.0
            else:
                scale = {"tiny": 10.0 ** rng.uniform(-9, -6), "small": 10.0 ** rng.uniform(-3, -1),
                         "medium": rng.uniform(0.1, 0.6), "face": 10.0 ** rng.uniform(-4, -0.3),
                         "edge": rng.uniform(0.05, 0.5), "slab": rng.uniform(0.2, 1.0)}[kind]
                r = scale * rng.uniform(0.2, 1.0, N) * (rng.uniform(size=N) < 0.85)
                if kind == "slab":
                    r = np.zeros(N)
                    r[rng.choice(N, min(N, int(rng.integers(1, 3))), replace=False)] = scale
            lo, hi = np.clip(c - r, -1, 1), np.clip(c + r, -1, 1)
            if kind == "face":  # the symmetry reduction's roots fix coordinates at ±1
                for j in rng.choice(N, min(N, int(rng.integers(1, 3))), replace=False):
                    lo[j] = hi[j] = rng.choice([-1.0, 1.0])
            elif kind == "edge":
                for j in rng.choice(N, min(N, 2), replace=False):
                    if rng.uniform() < 0.5:
                        lo[j] = -1.0
                    else:
                        hi[j] = 1.0
            los.append(lo)
            his.append(hi)
            labels.append(kind)
    return np.array(los), np.array(his), labels


def samples(lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, interior: int = 24
            ) -> np.ndarray:
    """Points of each box → (B, S, N): every corner (128 random ones when N > 7), the
    centre, points on the faces of the box and uniform interior points."""
    B, N = lo.shape
    if N <= 7:
        corners = np.array(list(itertools.product((0.0, 1.0), repeat=N)))
    else:
        corners = rng.integers(0, 2, (128, N)).astype(np.float64)
    t = np.concatenate([corners, np.full((1, N), 0.5), rng.uniform(size=(interior, N))])
    faces = rng.uniform(size=(8, N))
    faces[np.arange(8), rng.integers(0, N, 8)] = rng.integers(0, 2, 8)
    t = np.concatenate([t, faces])
    pts = lo[:, None, :] + t[None, :, :] * (hi - lo)[:, None, :]
    # corners exactly (lo + 1·(hi - lo) may round past hi)
    pts = np.where(t[None] == 0.0, lo[:, None, :], np.where(t[None] == 1.0, hi[:, None, :],
                                                             pts))
    return np.clip(pts, lo[:, None, :], hi[:, None, :])


# ----- data and boxes at the kinks -------------------------------------------------------
#: Pre-activation values where an activation's relaxation is loosest (default: 0).
KINKS = {"hard_tanh": (-1.0, 1.0), "identity": (), "tanh": (0.0, -1.0, 1.0),
         "elu": (0.0, -1.0)}


def _kinks(spec: str) -> tuple[float, ...]:
    return KINKS.get(spec.split(":")[0], (0.0,))


def kink_data(net: Network, loss: str, centre: np.ndarray, rng: np.random.Generator,
              D: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Data whose pre-activations at ``φ = centre`` sit on a kink of a node (each data
    point its own node, in turn, outputs included), found by bisection along random segments of the
    input box; labels at or next to the outputs there (the kinks of abs and Hamming). Small
    boxes around the centre then straddle the kinks, where a wrong relaxation shows."""
    nodes = [(v, k) for v, node in enumerate(net.nodes, net.n_inputs)
             for k in _kinks(spec_of(node.activation))]
    X = rng.uniform(-1, 1, (D, net.n))
    phi = centre[None, :]
    if nodes:
        tries = 8
        a = rng.uniform(-1, 1, (D * tries, net.n))
        b = rng.uniform(-1, 1, (D * tries, net.n))
        pick = [nodes[(d + int(rng.integers(len(nodes)))) % len(nodes)] for d in range(D)]
        v_of = np.repeat([v for v, _ in pick], tries)
        k_of = np.repeat([k for _, k in pick], tries)

        def g(x):
            pre = pre_activations(net, x, phi)
            return np.array([float(pre[v][0, i]) for i, v in enumerate(v_of)]) - k_of
        ga, gb = g(a), g(b)
        ok = np.sign(ga) * np.sign(gb) < 0
        for _ in range(40):  # bisection on every segment at once
            m = 0.5 * (a + b)
            gm = g(m)
            left = np.sign(gm) == np.sign(ga)
            a = np.where(left[:, None], m, a)
            ga = np.where(left, gm, ga)
            b = np.where(left[:, None], b, m)
        for d in range(D):
            hit = np.flatnonzero(ok[d * tries:(d + 1) * tries])
            if hit.size:
                X[d] = a[d * tries + hit[0]]
    Z = np.stack([z[0].astype(np.float64) for z in outputs(net, X, phi)], axis=1)
    name = loss.split(":")[0]
    if name == "hamming":
        Y = np.where(rng.uniform(size=Z.shape) < 0.8, Z, 1.0 - Z)
    elif name == "hinge":
        Y = rng.choice([-1.0, 1.0], Z.shape)
    elif name == "cross_entropy":
        Y = rng.uniform(-1, 1, Z.shape)
    else:
        noise = rng.normal(0, 1e-3, Z.shape) * (rng.uniform(size=Z.shape) < 0.5)
        Y = np.clip(Z + noise, -1, 1)  # the loss's own kink: a residual 0 at the centre
    return X, Y


def kink_boxes(centre: np.ndarray, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Nested boxes around the centre, from a point to half-width 0.2, then slabs through
    it (one coordinate of half-width 0.05 .. 0.5, the others 1e-6)."""
    widths = (0.0, 1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.2)
    r = [w * rng.uniform(0.3, 1.0, centre.size) for w in widths]
    labels = [f"kink {w:g}" for w in widths]
    for w in (0.05, 0.5):
        rr = np.full(centre.size, 1e-6)
        rr[rng.integers(centre.size)] = w
        r.append(rr)
        labels.append(f"kink slab {w:g}")
    rad = np.array(r)
    lo, hi = np.clip(centre - rad, -1, 1), np.clip(centre + rad, -1, 1)
    return lo, hi, labels


def kink_centre(N: int, rng: np.random.Generator) -> np.ndarray:
    """A random centre, some coordinates on the faces ±1."""
    c = rng.uniform(-1, 1, N)
    c[rng.uniform(size=N) < 0.2] = rng.choice([-1.0, 1.0])
    return c
