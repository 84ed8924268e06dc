"""Positive scaling symmetry of ReLU-like units, and the root faces it leaves to search.

A hidden unit v with a positively homogeneous activation (``a(sx) = s a(x)`` for ``s > 0``:
ReLU, leaky ReLU, identity) computes the same network for ``(θ_in, θ_out)`` and
``(s θ_in, θ_out / s)``: ``θ_out a(θ_in · z) = (θ_out / s) a(s θ_in · z)``. So the ERM is
constant along curves, and a branch and bound over the whole box would have to cover them.

**Reduction.** Call v a *scaling group* when (i) its incoming weights and its bias are free
parameters (or the constant 0) used nowhere but on v's incoming edges and bias, (ii) its
outgoing edges all carry free parameters used nowhere but on v's outgoing edges, (iii) v is
not an output, and there is no regularizer and no constraint ``Aφ <= b`` (both break the
symmetry). Then

    ``min_{φ ∈ [-1,1]^N} ERM(φ) = min { ERM(φ) : φ ∈ [-1,1]^N, max_{p ∈ in(g)} |φ_p| = 1
    for every scaling group g }``.

*Proof.* Take any φ in the box and treat the groups in topological order. For group g let
``M = max_{p ∈ in(g)} |φ_p|``. If ``M > 0``, multiply ``in(g)`` by ``1/M >= 1`` (its maximum
becomes 1, the others stay in [-1, 1]) and ``out(g)`` by ``M <= 1`` (stays in the box): the
network function is unchanged. If ``M = 0`` the unit outputs ``a(0) = 0``; set the first
incoming parameter to 1 and ``out(g)`` to 0: the unit's contribution stays 0. A later group
h never touches ``in(g)`` (an edge into g is not an edge into h, and an edge out of h into g
would put h before g), so the normalizations made so far survive; h may rescale ``out(g)``
when those edges enter h, which keeps them in the box. The result has the same ERM and lies
in the restricted set. ∎

The restricted set is the union of the faces ``φ_p = ±1`` (``p ∈ in(g)``) chosen for each
group: :func:`symmetry_roots` returns these faces as root boxes (one coordinate fixed per
group, so the search space loses one dimension per group). It applies to the continuous
problem only: the φ-grid of §3.1 does not contain +1 and is not closed under scaling.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from lptrain.nn.architecture import Network
from lptrain.nn.regularizers import Regularizer

__all__ = ["ScalingGroup", "scaling_groups", "symmetry_roots"]


@dataclass(frozen=True)
class ScalingGroup:
    """A hidden unit whose incoming and outgoing parameters can be rescaled.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> scaling_groups(dense([2, 1, 1]))
    (ScalingGroup(node=2, incoming=(0, 1, 2), outgoing=(3,)),)
    """

    node: int
    incoming: tuple[int, ...]
    outgoing: tuple[int, ...]


def _occurrences(net: Network) -> dict[int, list[tuple[str, int, int]]]:
    """For each parameter, where it is used: ("in", node, src) edges, ("bias", node, -1)."""
    occ: dict[int, list[tuple[str, int, int]]] = {}
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        for u, p, _ in node.inputs:
            if p >= 0:
                occ.setdefault(p, []).append(("in", v, u))
        if node.bias[0] >= 0:
            occ.setdefault(node.bias[0], []).append(("bias", v, -1))
    return occ


def scaling_groups(network: Network, regularizer: Regularizer | None = None
                   ) -> tuple[ScalingGroup, ...]:
    """The scaling groups of the module docstring, in topological order."""
    if regularizer is not None or network.constraint is not None:
        return ()
    occ = _occurrences(network)
    outs = set(network.outputs)
    groups = []
    for i, node in enumerate(network.nodes):
        v = network.n_inputs + i
        if v in outs or not node.activation.positively_homogeneous:
            continue
        inc = _incoming(node.inputs, node.bias)
        if not inc:
            continue
        out_edges = [(w, p, c) for w, nd in enumerate(network.nodes, network.n_inputs)
                     for u, p, c in nd.inputs if u == v]
        if not out_edges or any(p < 0 for _, p, _ in out_edges):
            continue
        out = tuple(sorted({p for _, p, _ in out_edges}))
        ok_in = all(all(kind in ("in", "bias") and w == v for kind, w, _ in occ[p])
                    for p in inc)
        ok_out = all(all(kind == "in" and src == v for kind, _, src in occ[p]) for p in out)
        if ok_in and ok_out and not set(inc) & set(out):
            groups.append(ScalingGroup(v, inc, out))
    return tuple(groups)


def _incoming(inputs: tuple[tuple[int, int, float], ...], bias: tuple[int, float]
              ) -> tuple[int, ...]:
    params = []
    for _, p, c in (*inputs, (0, *bias)):
        if p < 0:
            if c != 0.0:
                return ()
        else:
            params.append(p)
    return tuple(sorted(set(params)))


def symmetry_roots(network: Network, regularizer: Regularizer | None = None, *,
                   max_roots: int = 4096) -> tuple[np.ndarray, np.ndarray, int]:
    """Root boxes covering the restricted set: ``(lo (R, N), hi (R, N), groups used)``.

    Groups are used in order while the number of faces stays within ``max_roots``; without
    any group the single root is ``[-1, 1]^N``.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> lo, hi, used = symmetry_roots(dense([2, 1, 1]))
    >>> lo.shape, used, (hi - lo == 0).sum(axis=1).tolist()
    ((6, 5), 1, [1, 1, 1, 1, 1, 1])
    """
    groups = scaling_groups(network, regularizer)
    chosen: list[ScalingGroup] = []
    count = 1
    for g in groups:
        if count * 2 * len(g.incoming) > max_roots:
            break
        chosen.append(g)
        count *= 2 * len(g.incoming)
    faces = [[(p, s) for p in g.incoming for s in (-1.0, 1.0)] for g in chosen]
    rows = list(itertools.product(*faces)) if faces else [()]
    lo = np.full((len(rows), network.N), -1.0)
    hi = np.full((len(rows), network.N), 1.0)
    for r, combo in enumerate(rows):
        for p, s in combo:
            lo[r, p] = hi[r, p] = s
    return lo, hi, len(chosen)
