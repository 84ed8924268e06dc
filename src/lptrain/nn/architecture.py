"""Feed-forward networks as DAGs of affine nodes (§2.1, §4; Lemma 4.5).

A :class:`Network` has ``n`` input nodes (ids ``0..n-1``) and computed nodes (ids
``n, n+1, ...`` in topological order). Computed node v evaluates

    ``z_v = a_v( Σ_{(u, p, c) ∈ inputs(v)} w(p, c) · z_u  +  w(bias_v) )``

where an edge or bias weight ``w(p, c)`` is ``c · φ_p`` when ``p >= 0`` (parameter p,
scaled by the constant c, usually 1) and the constant ``c`` when ``p == -1``. Several
edges may share one parameter (convolutions), edges may carry constants (identity skips)
and fixed parameters are constants. ``φ`` always holds only the N *free* parameters.

A BiU (Appendix C), ``z ↦ 1 if aᵀz > b``, is a node with ``step`` activation, edges
``(u, p_a, 1.0)`` and bias ``(p_b, -1.0)``: the bias enters with sign -1 so that the
parameter is the threshold b itself.

The builders (:func:`dense`, :func:`conv1d`, :func:`conv2d`, :func:`resnet`, :func:`dag`)
and the CLI parser :func:`parse_arch` live in :mod:`lptrain.nn.builders` and are
re-exported here. The canonical parameter order is described in ``docs/networks.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from lptrain.components import Activation, get_activation
from lptrain.components.activation import theory_labels
from lptrain.errors import FileFormatError, InvalidInputError, OutsideTheoryError

__all__ = ["Node", "PhiConstraint", "Network", "FORMAT", "FORMAT_VERSION"]

FORMAT = "lptrain.network"
FORMAT_VERSION = 1
_IDENTITY = get_activation("identity")


@dataclass(frozen=True)
class Node:
    """One computed node: incoming edges ``(source, param or -1, coef)``, bias, activation.

    Examples
    --------
    >>> Node.make([(0, 0), (1, None, 1.0)], bias=1, activation="relu").inputs
    ((0, 0, 1.0), (1, -1, 1.0))
    """

    inputs: tuple[tuple[int, int, float], ...]
    bias: tuple[int, float] = (-1, 0.0)
    activation: Activation = _IDENTITY

    @classmethod
    def make(
        cls,
        inputs: Sequence[Sequence[Any]],
        bias: int | Sequence[Any] | None = None,
        activation: str | Activation = "identity",
    ) -> Node:
        """Build from loose forms: an edge is ``(src, param)`` or ``(src, param, coef)``
        with ``param=None`` for a constant; bias is a parameter index, ``(param, coef)``
        or None."""
        edges = tuple(_weight_spec(e[0], e[1], e[2] if len(e) > 2 else 1.0) for e in inputs)
        if bias is None:
            b = (-1, 0.0)
        elif isinstance(bias, (int, np.integer)):
            b = (int(bias), 1.0)
        else:
            b = _weight_spec(0, bias[0], bias[1] if len(bias) > 1 else 1.0)[1:]
        return cls(edges, (int(b[0]), float(b[1])), get_activation(activation))


def _weight_spec(src: Any, param: Any, coef: Any) -> tuple[int, int, float]:
    return (int(src), -1 if param is None else int(param), float(coef))


@dataclass(frozen=True)
class PhiConstraint:
    """A user constraint ``A φ <= b`` on the free parameters (rows of A, entries of b).

    Examples
    --------
    >>> c = PhiConstraint(((1.0, 1.0),), (0.5,))
    >>> c.feasible(np.array([[0.25, 0.25], [0.5, 0.25]]))
    array([ True, False])
    """

    A: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    #: Absolute slack allowed in every row (rounding of Aφ).
    tol: float = 1e-12

    def feasible(self, phi: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows of phi (P, N) that satisfy every inequality."""
        lhs = np.asarray(phi, dtype=np.float64) @ np.asarray(self.A, dtype=np.float64).T
        return np.asarray((lhs <= np.asarray(self.b) + self.tol).all(axis=1))


@dataclass(frozen=True)
class Network:
    """A feed-forward network; see the module docstring for the node computation.

    Attributes
    ----------
    n_inputs : int
        Number n of inputs (node ids ``0..n-1``).
    nodes : tuple of Node
        Computed nodes, node id ``n_inputs + position``, in topological order.
    outputs : tuple of int
        The m output node ids, in output order.
    n_params : int
        Number N of free parameters (entries of φ).
    groups : tuple of (name, shape)
        The builder's raw parameter layout (e.g. ``("layer1.weight", (3, 2))``); the raw
        vector is their row-major concatenation. Free parameter j is raw parameter
        ``raw_free.index(j)``; fixed raw parameters hold ``raw_fixed`` values.
    raw_free : tuple of int
        For each raw parameter, its free index or -1 when fixed.
    raw_fixed : tuple of float
        For each raw parameter, its fixed value (0.0 when free).
    constraint : PhiConstraint or None
        Optional ``Aφ <= b`` restricting Φ.
    kind : str
        Builder label (``dense``, ``conv1d``, ``conv2d``, ``resnet``, ``dag``).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> net = dense([2, 3, 1])
    >>> net.n, net.m, net.N, net.depth, net.widths, net.max_in_degree
    (2, 1, 13, 2, (2, 3, 1), 3)
    >>> fixed = net.fix_parameters({12: 0.5})   # the output bias becomes a constant
    >>> fixed.N, Network.from_dict(fixed.to_dict()) == fixed
    (12, True)
    """

    n_inputs: int
    nodes: tuple[Node, ...]
    outputs: tuple[int, ...]
    n_params: int
    groups: tuple[tuple[str, tuple[int, ...]], ...] = ()
    raw_free: tuple[int, ...] = ()
    raw_fixed: tuple[float, ...] = ()
    constraint: PhiConstraint | None = None
    kind: str = "dag"

    def __post_init__(self) -> None:
        if not self.groups:
            object.__setattr__(self, "groups", (("phi", (self.n_params,)),))
        if not self.raw_free:
            object.__setattr__(self, "raw_free", tuple(range(self.n_params)))
            object.__setattr__(self, "raw_fixed", (0.0,) * self.n_params)
        _validate(self)

    # ----- sizes of §2.1 / §4 ----------------------------------------------------------
    @property
    def n(self) -> int:
        """Input dimension n."""
        return self.n_inputs

    @property
    def m(self) -> int:
        """Output dimension m."""
        return len(self.outputs)

    @property
    def N(self) -> int:  # noqa: N802 - the paper's name
        """Number of distinct free parameters N."""
        return self.n_params

    @property
    def n_nodes(self) -> int:
        """Number of nodes, inputs included."""
        return self.n_inputs + len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Number of edges |E(G)|."""
        return sum(len(v.inputs) for v in self.nodes)

    @cached_property
    def layers(self) -> tuple[int, ...]:
        """Layer of every node: the longest path from an input (inputs are layer 0)."""
        layer = [0] * self.n_nodes
        for i, v in enumerate(self.nodes):
            layer[self.n_inputs + i] = 1 + max((layer[u] for u, _, _ in v.inputs), default=0)
        return tuple(layer)

    @property
    def depth(self) -> int:
        """Depth k: the largest layer (number of affine layers of a dense net)."""
        return max(self.layers)

    @property
    def widths(self) -> tuple[int, ...]:
        """Number of nodes in each layer 0..k (``(n, w_1, ..., w_k)`` for a dense net)."""
        counts = [0] * (self.depth + 1)
        for layer in self.layers:
            counts[layer] += 1
        return tuple(counts)

    @property
    def max_in_degree(self) -> int:
        """Δ, the maximum in-degree of a node (= w for a dense net, Lemma 4.5)."""
        return max((len(v.inputs) for v in self.nodes), default=0)

    @property
    def param_names(self) -> tuple[str, ...]:
        """A readable name for each free parameter, e.g. ``layer1.weight[2,0]``."""
        raw = _raw_names(self.groups)
        return tuple(raw[r] for r, f in enumerate(self.raw_free) if f >= 0)

    # ----- theory checks ----------------------------------------------------------------
    def check_theory(self, weights: bool = True) -> None:
        """Raise OutsideTheoryError unless Lemma 4.5 covers every component.

        Needs activations that are 1-Lipschitz with ``a(0) = 0`` and, when ``weights``,
        weights in [-1, 1] (``|c| <= 1`` for every coefficient and constant).
        """
        for i, v in enumerate(self.nodes):
            nid = self.n_inputs + i
            if not v.activation.in_theory:
                raise OutsideTheoryError(
                    f"activation {v.activation.name!r} (node {nid}) is outside the Lipschitz "
                    "theory of §4: Lemma 4.5 needs 1-Lipschitz activations with a(0) = 0 "
                    f"({theory_labels()})"
                )
            for _, _, c in (*v.inputs, (None, *v.bias)):
                if weights and abs(c) > 1.0:
                    raise OutsideTheoryError(
                        f"node {nid} has a weight coefficient {c!r} outside [-1, 1]; the "
                        "paper's constants assume normalized weights (use "
                        "method='refined' in architecture_lipschitz)"
                    )

    # ----- parameters -------------------------------------------------------------------
    def full_parameters(self, phi: Any) -> np.ndarray:
        """The raw parameter vector(s) in builder layout: free entries from phi, fixed
        entries from ``raw_fixed``; shape ``phi.shape[:-1] + (len(raw_free),)``."""
        phi = np.asarray(phi, dtype=np.float64)
        free = np.asarray(self.raw_free, dtype=np.int64)
        raw = np.broadcast_to(np.asarray(self.raw_fixed), phi.shape[:-1] + free.shape).copy()
        raw[..., free >= 0] = phi[..., free[free >= 0]]
        return raw

    def group_arrays(self, phi: Any) -> dict[str, np.ndarray]:
        """Split one φ (N,) into the named raw arrays, e.g. ``layer1.weight`` of shape
        (w_1, n), matching ``torch.nn.Linear.weight``."""
        raw = self.full_parameters(np.asarray(phi, dtype=np.float64).reshape(-1))
        out, pos = {}, 0
        for name, shape in self.groups:
            size = int(np.prod(shape))
            out[name] = raw[pos:pos + size].reshape(shape)
            pos += size
        return out

    def feasible(self, phi: np.ndarray) -> np.ndarray:
        """Mask of the rows of phi satisfying the user constraint (all True without one)."""
        phi = np.atleast_2d(np.asarray(phi, dtype=np.float64))
        if self.constraint is None:
            return np.ones(phi.shape[0], dtype=bool)
        return self.constraint.feasible(phi)

    def fix_parameters(self, values: Mapping[int, float]) -> Network:
        """Return the network with the given free parameters (index → value in [-1, 1])
        replaced by constants; the remaining parameters keep their order, renumbered."""
        return _fix(self, dict(values))

    def with_constraint(self, A: Any, b: Any) -> Network:
        """Return the network with the constraint ``A φ <= b`` on its free parameters."""
        a = np.atleast_2d(np.asarray(A, dtype=np.float64))
        bb = np.asarray(b, dtype=np.float64).reshape(-1)
        if a.shape != (bb.size, self.n_params) or not (np.isfinite(a).all() and
                                                       np.isfinite(bb).all()):
            raise InvalidInputError(
                f"constraint A must have shape (rows, N={self.n_params}) and b one entry per "
                f"row, all finite; got A {a.shape} and b {bb.shape}"
            )
        rows = tuple(tuple(float(x) for x in r) for r in a)
        return replace(self, constraint=PhiConstraint(rows, tuple(float(x) for x in bb)))

    # ----- serialization ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; ``Network.from_dict(net.to_dict()) == net``."""
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "kind": self.kind,
            "n_inputs": self.n_inputs, "n_params": self.n_params,
            "nodes": [{"inputs": [list(e) for e in v.inputs], "bias": list(v.bias),
                       "activation": v.activation.to_dict()} for v in self.nodes],
            "outputs": list(self.outputs),
            "groups": [[name, list(shape)] for name, shape in self.groups],
            "raw_free": list(self.raw_free), "raw_fixed": list(self.raw_fixed),
            "constraint": None if self.constraint is None else
            {"A": [list(r) for r in self.constraint.A], "b": list(self.constraint.b)},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Network:
        """Inverse of :meth:`to_dict`; raises FileFormatError on malformed input."""
        if d.get("format") != FORMAT or d.get("version") != FORMAT_VERSION:
            raise FileFormatError(
                f"not an lptrain network (format {d.get('format')!r}, version "
                f"{d.get('version')!r}); expected format {FORMAT!r} version {FORMAT_VERSION}"
            )
        try:
            nodes = tuple(
                Node(tuple(_weight_spec(*e) for e in v["inputs"]),
                     (int(v["bias"][0]), float(v["bias"][1])),
                     Activation.from_dict(v["activation"]))
                for v in d["nodes"])
            con = d.get("constraint")
            return cls(
                int(d["n_inputs"]), nodes, tuple(int(o) for o in d["outputs"]),
                int(d["n_params"]),
                tuple((str(g[0]), tuple(int(s) for s in g[1])) for g in d["groups"]),
                tuple(int(r) for r in d["raw_free"]), tuple(float(x) for x in d["raw_fixed"]),
                None if con is None else PhiConstraint(
                    tuple(tuple(float(x) for x in r) for r in con["A"]),
                    tuple(float(x) for x in con["b"])),
                str(d.get("kind", "dag")))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise FileFormatError(f"malformed network dict: {exc!r}") from None

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the exact structure (used to key generated kernels)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def __repr__(self) -> str:
        return (f"Network(kind={self.kind!r}, n={self.n}, m={self.m}, N={self.N}, "
                f"depth={self.depth}, widths={self.widths}, max_in_degree={self.max_in_degree})")


def _raw_names(groups: tuple[tuple[str, tuple[int, ...]], ...]) -> list[str]:
    names = []
    for name, shape in groups:
        for idx in np.ndindex(*shape):
            names.append(f"{name}[{','.join(str(i) for i in idx)}]")
    return names


def _validate(net: Network) -> None:
    n, N = net.n_inputs, net.n_params
    if n < 1 or N < 0:
        raise InvalidInputError(f"a network needs n_inputs >= 1 and n_params >= 0; got {n}, {N}")
    used = np.zeros(N, dtype=bool)
    for i, v in enumerate(net.nodes):
        nid = n + i
        for src, p, c in (*v.inputs, (0, *v.bias)):
            if not 0 <= src < nid:
                raise InvalidInputError(
                    f"node {nid} reads node {src}: edges must come from an earlier node "
                    "(inputs are 0..n-1, computed nodes follow in topological order)")
            if not -1 <= p < N:
                raise InvalidInputError(f"node {nid} uses parameter {p}; N={N}")
            if not np.isfinite(c):
                raise InvalidInputError(f"node {nid} has a non-finite coefficient {c!r}")
            if p >= 0:
                used[p] = True
    if not used.all():
        raise InvalidInputError(
            f"parameter {int(np.argmin(used))} is not used by any edge or bias; "
            "N must count only the parameters the network uses")
    if not net.outputs or any(not 0 <= o < net.n_nodes for o in net.outputs):
        raise InvalidInputError(f"outputs must be node ids in [0, {net.n_nodes}); "
                                f"got {list(net.outputs)}")
    n_raw = sum(int(np.prod(s)) for _, s in net.groups)
    free = [f for f in net.raw_free if f >= 0]
    if (len(net.raw_free) != n_raw or len(net.raw_fixed) != n_raw
            or sorted(free) != list(range(N))):
        raise InvalidInputError("groups, raw_free and raw_fixed do not describe the N "
                                f"free parameters consistently (N={N}, raw size {n_raw})")


def _fix(net: Network, values: dict[int, float]) -> Network:
    for p, val in values.items():
        if not (0 <= p < net.n_params) or not (np.isfinite(val) and abs(val) <= 1.0):
            raise InvalidInputError(
                f"fixed parameter {p} = {val!r}: need an index in [0, {net.n_params}) and a "
                "value in [-1, 1]")
    new_index, k = {}, 0
    for p in range(net.n_params):
        if p not in values:
            new_index[p] = k
            k += 1

    def spec(p: int, c: float) -> tuple[int, float]:
        if p < 0:
            return p, c
        return (-1, c * values[p]) if p in values else (new_index[p], c)

    nodes = tuple(
        Node(tuple((s, *spec(p, c)) for s, p, c in v.inputs), spec(*v.bias), v.activation)
        for v in net.nodes)
    raw_free = tuple(-1 if f >= 0 and f in values else (new_index[f] if f >= 0 else -1)
                     for f in net.raw_free)
    raw_fixed = tuple(values.get(f, 0.0) if f >= 0 else x
                      for f, x in zip(net.raw_free, net.raw_fixed, strict=True))
    con = net.constraint
    if con is not None:
        A = np.asarray(con.A)
        keep = [p for p in range(net.n_params) if p not in values]
        fixed = [p for p in range(net.n_params) if p in values]
        b = np.asarray(con.b) - A[:, fixed] @ np.asarray([values[p] for p in fixed])
        con = PhiConstraint(tuple(tuple(float(x) for x in r) for r in A[:, keep]),
                            tuple(float(x) for x in b))
    return Network(net.n_inputs, nodes, net.outputs, k, net.groups, raw_free, raw_fixed,
                   con, net.kind)


_BUILDERS = ("dense", "conv1d", "conv2d", "resnet", "dag", "parse_arch")


def __getattr__(name: str) -> Any:
    # The builders live in lptrain.nn.builders (which imports this module); they are
    # reachable from here too, e.g. ``lptrain.nn.architecture.dense``.
    if name in _BUILDERS:
        from lptrain.nn import builders

        return getattr(builders, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
