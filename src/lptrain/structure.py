"""Network structure (§5): the node formulation, its intersection graph and decompositions.

**Node formulation** (§5, with Assumption 5.1). Every variable has ``K = 2^bits`` levels
on the §3.1 grid ``g_k = -1 + 2k/K``: the N parameters φ, and per data point d the data
``x^d`` (n), labels ``y^d`` (m) and one node variable ``s^d_v`` per computed node v (input
node u uses ``x^d_u``). Constraint per (d, v), on the grid:

    ``s^d_v = round_down(a_v(t))``  with  ``t = Σ_{(u,p,c) ∈ in(v)} w(p,c) s^d_u + w(bias_v)``

computed from the grid values of its support, and *infeasible* unless ``-1 <= a_v(t) <= 1``
(Assumption 5.1: node computations bounded in [-1, 1]; the paper restricts Φ to such
networks). Output per d: ``L_d = ℓ(s^d_out, y^d)`` with weight ``1/D``. So the ERM of this
formulation is over φ-grid points for which every node value stays in [-1, 1], each node
value rounded down to the grid (the network is evaluated *with rounding at every node*;
:func:`node_brute_force` enumerates exactly this).

**Decompositions.** :func:`node_formulation` gives a :class:`~lptrain.bo.BinaryProblem`;
its intersection graph (Definition 2.7) has, per (d, v), a clique on ``s^d_v``, the inputs'
node variables and the parameters of v. A valid decomposition comes from the engine's
heuristics and Theorem 2.8 turns it into an exact LP (:func:`train_node_formulation`).
:func:`paper_decomposition` builds §5's construction literally -- copy a decomposition of
``Γ_φ`` (the graph induced by φ) once per data point, add the data point's variables to
every bag of its copy, concatenate the copies -- which violates property (i) of Definition
2.3 as soon as some parameter misses a bag of ``Γ_φ``'s decomposition (SPEC §6 Caution).
Contracting the data variables of each d gives a ``K_{N,D}`` minor, so the treewidth is at
least ``min(N, D)``; :func:`width_report` sets it next to §3's width and Lemma 5.2's
claimed exponent. Widths in bits: a bag of q K-level variables holds ``q·bits`` bits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from lptrain._validation import check_int
from lptrain.bo import (
    BinaryProblem,
    TreeDecomposition,
    intersection_graph,
    solve,
    tree_decomposition,
    validate_tree_decomposition,
)
from lptrain.discretize import grid_points, levels, round_down
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import Loss, Network, dag, get_loss, parse_arch
from lptrain.nn.evaluate import check_data

__all__ = [
    "NodeFormulation",
    "NodeResult",
    "node_formulation",
    "NAMED_NETWORKS",
    "chain_network",
    "counterexample_network",
    "network_graph",
    "structure_network",
    "tree_network",
    "paper_decomposition",
    "paper_decomposition_violation",
    "node_brute_force",
    "train_node_formulation",
    "width_report",
]

#: Largest φ-grid :func:`node_brute_force` enumerates.
MAX_BRUTE_FORCE = 1 << 22


@dataclass(frozen=True)
class NodeFormulation:
    """The §5 node formulation as a BO problem, with the variable ids of each part.

    ``phi`` (N,), ``x`` (D, n), ``y`` (D, m), ``s`` (D, computed nodes): variable ids.
    ``data`` holds the variables of each data point (``x^d``, ``y^d``, ``s^d``), shape
    (D, n + m + computed).
    """

    network: Network
    loss: Loss
    D: int
    bits: int
    problem: BinaryProblem
    phi: np.ndarray
    x: np.ndarray
    y: np.ndarray
    s: np.ndarray

    @property
    def data(self) -> np.ndarray:
        return np.concatenate([self.x, self.y, self.s], axis=1)


def _grid(level: np.ndarray, K: int) -> np.ndarray:
    return -1.0 + level * (2.0 / K)


def _node_oracle(net: Network, i: int, pos: dict[Any, int], K: int, bits: int) -> Any:
    """f(s_v, inputs, params) >= 0 iff s_v = round_down(a(t)) and a(t) in [-1, 1]."""
    v = net.nodes[i]

    def weight(z: np.ndarray, p: int, c: float) -> np.ndarray | float:
        return c * _grid(z[:, pos[("p", p)]], K) if p >= 0 else c

    def fn(z: np.ndarray) -> np.ndarray:
        t = np.zeros(z.shape[0]) + weight(z, *v.bias)
        for u, p, c in v.inputs:
            t = t + weight(z, p, c) * _grid(z[:, pos[("z", u)]], K)
        value = v.activation(t)
        ok = (value >= -1.0) & (value <= 1.0)
        level = round_down(np.clip(value, -1.0, 1.0), bits)
        return np.asarray(ok & (level == z[:, 0]))

    return fn


def _loss_oracle(loss: Loss, m: int, K: int) -> Any:
    def fn(z: np.ndarray) -> np.ndarray:
        return loss(_grid(z[:, :m], K), _grid(z[:, m:], K))

    return fn


def node_formulation(network: Network, loss: str | Loss, D: int, bits: int,
                     X: Any = None, Y: Any = None) -> NodeFormulation:
    """The §5 node formulation for D data points (see the module docstring).

    With data ``X`` (D, n) and ``Y`` (D, m) in [-1, 1], unary constraints fix ``x^d`` and
    ``y^d`` to the rounded-down data (the face of Lemma 3.6); without, the data are free
    variables (the data-independent formulation whose graph the widths describe).

    Examples
    --------
    >>> from lptrain.nn import dag
    >>> net = dag(1, [{"inputs": [(0, 0)], "bias": 1, "activation": "relu"}], outputs=[1])
    >>> form = node_formulation(net, "abs", D=2, bits=2)
    >>> form.phi.tolist(), form.x.tolist(), form.y.tolist(), form.s.tolist()
    ([0, 1], [[2], [5]], [[3], [6]], [[4], [7]])
    """
    lo = get_loss(loss)
    D, bits = check_int("D (samples)", D, 1), check_int("bits", bits, 1, 8)
    K, n, m, N, c = levels(bits), network.n, network.m, network.N, len(network.nodes)
    per = n + m + c
    base = N + per * np.arange(D)[:, None]
    x, y, s = base + np.arange(n), base + n + np.arange(m), base + n + m + np.arange(c)
    problem = BinaryProblem(N + per * D, levels=K)
    value_var = np.concatenate([x, s], axis=1)  # node id -> variable, per d
    for i, v in enumerate(network.nodes):
        sources = list(dict.fromkeys(u for u, _, _ in v.inputs))
        params = list(dict.fromkeys(p for _, p, _ in (*v.inputs, (0, *v.bias)) if p >= 0))
        pos: dict[Any, int] = {("z", u): 1 + k for k, u in enumerate(sources)}
        pos.update({("p", p): 1 + len(sources) + k for k, p in enumerate(params)})
        fn = _node_oracle(network, i, pos, K, bits)
        for d in range(D):  # the BO API takes one support per constraint
            support = [int(s[d, i]), *(int(value_var[d, u]) for u in sources), *params]
            problem.add_constraint(support, fn)
    out_cols = [int(o) for o in network.outputs]
    lfn = _loss_oracle(lo, m, K)
    for d in range(D):
        problem.add_output([*(int(value_var[d, o]) for o in out_cols), *y[d].tolist()], lfn,
                           weight=1.0 / D)
    if X is not None or Y is not None:
        _fix_data(problem, network, X, Y, D, bits, x, y)
    return NodeFormulation(network, lo, D, bits, problem, np.arange(N), x, y, s)


def _fix_data(problem: BinaryProblem, net: Network, X: Any, Y: Any, D: int, bits: int,
              x: np.ndarray, y: np.ndarray) -> None:
    Xa, Ya = check_data(net, X, Y)
    assert Ya is not None
    if Xa.shape[0] != D:
        raise InvalidInputError(f"X has {Xa.shape[0]} rows but the formulation has D={D}")
    lx, ly = round_down(Xa, bits), round_down(Ya, bits)
    for var, level in zip(np.concatenate([x, y], axis=1).ravel().tolist(),
                          np.concatenate([lx, ly], axis=1).ravel().tolist(), strict=True):
        problem.add_constraint([var], _equals(int(level)))


def _equals(level: int) -> Any:
    def fn(z: np.ndarray) -> np.ndarray:
        return np.asarray(z[:, 0] == level)
    return fn


def counterexample_network() -> Network:
    """SPEC §6's minimal counterexample: ``h1 <- x1`` (e1), ``h2 <- x2`` (e2),
    ``o <- h1, h2`` (e3, e4); no biases, identity units; Γ_φ has bags {e1}, {e2}, {e3, e4}.

    Examples
    --------
    >>> counterexample_network().N
    4
    """
    return dag(2, [{"inputs": [(0, 0)]}, {"inputs": [(1, 1)]},
                   {"inputs": [(2, 2), (3, 3)]}], outputs=[4])


def chain_network(hidden: int, activation: str = "relu") -> Network:
    """``x -> h_1 -> ... -> h_k -> o``, one weight and one bias per node (N = 2(k + 1)).

    Examples
    --------
    >>> chain_network(3).N, chain_network(3).depth
    (8, 4)
    """
    nodes = [{"inputs": [(i, 2 * i)], "bias": 2 * i + 1,
              "activation": activation if i < hidden else "identity"}
             for i in range(hidden + 1)]
    return dag(1, nodes, outputs=[hidden + 1])


def tree_network(activation: str = "relu") -> Network:
    """A binary tree: ``h1 <- x1, x2``; ``h2 <- x3, x4``; ``o <- h1, h2`` (with biases).

    Examples
    --------
    >>> tree_network().N
    9
    """
    return dag(4, [{"inputs": [(0, 0), (1, 1)], "bias": 2, "activation": activation},
                   {"inputs": [(2, 3), (3, 4)], "bias": 5, "activation": activation},
                   {"inputs": [(4, 6), (5, 7)], "bias": 8}], outputs=[6])


#: Named sparse networks for ``lptrain structure --arch NAME`` and the width table.
NAMED_NETWORKS: dict[str, Callable[[], Network]] = {
    "spec6": counterexample_network, "chain3": lambda: chain_network(3),
    "chain6": lambda: chain_network(6), "tree": tree_network}


def structure_network(spec: str, activation: str = "relu") -> Network:
    """A named network of :data:`NAMED_NETWORKS` or any ``--arch`` of :func:`parse_arch`.

    Examples
    --------
    >>> structure_network("spec6").n, structure_network("2-2-1").N
    (2, 9)
    """
    if spec in NAMED_NETWORKS:
        return NAMED_NETWORKS[spec]()
    return parse_arch(spec, activation)


def network_graph(network: Network) -> nx.Graph:
    """The undirected graph G of the network (inputs and computed nodes, one edge per arc).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> g = network_graph(dense([2, 2, 1]))
    >>> g.number_of_nodes(), g.number_of_edges()
    (5, 6)
    """
    g = nx.Graph()
    g.add_nodes_from(range(network.n_nodes))
    for i, v in enumerate(network.nodes):
        g.add_edges_from((u, network.n + i) for u, _, _ in v.inputs)
    return g


def paper_decomposition(form: NodeFormulation,
                        phi_decomposition: TreeDecomposition | None = None) -> TreeDecomposition:
    """§5's construction, literally: copy a decomposition of Γ_φ once per data point, add
    the data point's variables to every bag of its copy, concatenate the copies (the last
    bag of copy d joined to the first bag of copy d+1). Not validated (it is usually wrong).

    Examples
    --------
    >>> from lptrain.nn import dag
    >>> net = dag(2, [{"inputs": [(0, 0)]}, {"inputs": [(1, 1)]},
    ...               {"inputs": [(2, 2), (3, 3)]}], outputs=[4])
    >>> form = node_formulation(net, "abs", D=2, bits=1)
    >>> td = paper_decomposition(form, TreeDecomposition(((0,), (1,), (2, 3)), [[0, 1], [1, 2]]))
    >>> td.bags[0], td.edges.tolist()
    ((0, 4, 5, 6, 7, 8, 9), [[0, 1], [1, 2], [3, 4], [4, 5], [2, 3]])
    """
    if phi_decomposition is None:
        graph = intersection_graph(form.problem).subgraph(form.phi.tolist())
        phi_decomposition = tree_decomposition(nx.Graph(graph))
    T = phi_decomposition
    data = form.data
    bags = tuple(tuple(sorted({*bag, *data[d].tolist()})) for d in range(form.D)
                 for bag in T.bags)
    copies = [T.edges + d * T.n_bags for d in range(form.D)]
    links = [[d * T.n_bags + T.n_bags - 1, (d + 1) * T.n_bags] for d in range(form.D - 1)]
    edges = np.concatenate([*copies, np.asarray(links, dtype=np.int64).reshape(-1, 2)])
    return TreeDecomposition(bags=bags, edges=edges)


def paper_decomposition_violation(form: NodeFormulation,
                                  phi_decomposition: TreeDecomposition | None = None
                                  ) -> str | None:
    """The validator's message for :func:`paper_decomposition`, or None if it is valid.

    Examples
    --------
    >>> form = node_formulation(counterexample_network(), "abs", D=2, bits=1)
    >>> paper_decomposition_violation(form, TreeDecomposition(((0,), (1,), (2, 3)),
    ...                                                       [[0, 1], [1, 2]]))
    'not a tree decomposition: vertex 0 lies in bags 0 and 3 but not in bag 1 on the path \
between them (property (i) of Definition 2.3)'
    """
    try:
        validate_tree_decomposition(intersection_graph(form.problem),
                                    paper_decomposition(form, phi_decomposition))
    except InvalidInputError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class NodeResult:
    """An optimal φ of the node formulation (grid values), its objective and the LP data."""

    phi: np.ndarray
    objective: float
    width: int
    width_bits: int
    n_bags: int
    lp_variables: int
    method: str


def train_node_formulation(network: Network, loss: str | Loss, X: Any, Y: Any, bits: int,
                           method: str = "lp") -> NodeResult:
    """Solve the node formulation's face for data (X, Y) with the engine (Theorem 2.8).

    Examples
    --------
    >>> from lptrain.nn import dag
    >>> net = dag(1, [{"inputs": [(0, 0)], "bias": 1}], outputs=[1])
    >>> res = train_node_formulation(net, "abs", [[0.5], [-0.5]], [[0.5], [0.0]], bits=2)
    >>> res.objective == node_brute_force(net, "abs", [[0.5], [-0.5]], [[0.5], [0.0]], 2)[1]
    True
    """
    Xa, _ = check_data(network, X, Y)
    form = node_formulation(network, loss, Xa.shape[0], bits, X, Y)
    res = solve(form.problem, method)
    return NodeResult(phi=_grid(res.x[form.phi], levels(bits)), objective=res.objective,
                      width=res.width, width_bits=res.width_bits, n_bags=res.n_bags,
                      lp_variables=res.lp_size.variables, method=method)


def node_brute_force(network: Network, loss: str | Loss, X: Any, Y: Any, bits: int
                     ) -> tuple[np.ndarray, float]:
    """Enumerate the φ-grid with rounding at every node (the node formulation's ERM).

    Returns the first optimal φ and its mean loss; φ with a node value outside [-1, 1] on
    some data point are infeasible (Assumption 5.1).
    """
    lo = get_loss(loss)
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    K = levels(bits)
    if K**network.N > MAX_BRUTE_FORCE:
        raise TooLargeError(f"brute force over {K}^{network.N} grid points exceeds "
                            f"{MAX_BRUTE_FORCE}")
    phi = grid_points(network.N, bits)
    z = [np.broadcast_to(_grid(round_down(Xa[:, j], bits), K), (phi.shape[0], Xa.shape[0]))
         for j in range(network.n)]
    feasible = np.ones(phi.shape[0], dtype=bool)

    def w(p: int, c: float) -> np.ndarray | float:
        return c * phi[:, p][:, None] if p >= 0 else c

    for v in network.nodes:
        t = w(*v.bias) + sum(w(p, c) * z[u] for u, p, c in v.inputs)
        value = v.activation(np.asarray(t, dtype=np.float64))
        feasible &= ((value >= -1.0) & (value <= 1.0)).all(axis=1)
        z.append(_grid(round_down(np.clip(value, -1.0, 1.0), bits), K))
    out = np.stack([z[o] for o in network.outputs], axis=2)
    yv = _grid(round_down(Ya, bits), K)
    risk = np.where(feasible, lo(out, yv[None]).mean(axis=1), np.inf)
    k = int(np.argmin(risk))
    return phi[k], float(risk[k])


def width_report(network: Network, D: int, bits: int, loss: str | Loss = "abs"
                 ) -> dict[str, Any]:
    """Widths of the node formulation for D samples next to §3 and Lemma 5.2 (in bits).

    Keys: ``width_vars``/``width_bits`` of the heuristic decomposition (valid, checked);
    ``path_width_bits`` of the path with φ in every bag; ``section3_width_bits`` =
    ``bits(n+m+N) - 1``; ``lemma52_exponent_bits`` = ``bits(tw(G)Δ(G) + |V(G)| + n + m)``
    with ``tw(G)`` a heuristic upper bound (so the claim is, if anything, overstated);
    ``paper_width_bits`` = ``bits(tw(Γ_φ) + |V(G)| + n + m)``; ``lower_bound_vars`` =
    ``min(N, D)`` (the ``K_{N,D}`` minor) and ``lower_bound_bits`` =
    ``bits(min(N, D) + 1) - 1``; ``lower_exceeds_lemma52`` (``min(N, D)`` above the claimed
    exponent, in variables) and ``lower_exceeds_paper_width`` (no valid decomposition can
    have the width §5 claims for its construction); ``paper_valid`` and ``paper_violation``.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> r = width_report(dense([1, 1, 1]), D=4, bits=2)
    >>> r["N"], r["lower_bound_vars"], r["section3_width_bits"], r["paper_valid"]
    (4, 4, 11, False)
    """
    form = node_formulation(network, loss, D, bits)
    graph = intersection_graph(form.problem)
    td = tree_decomposition(graph)
    G = network_graph(network)
    tw_G = tree_decomposition(G).width if G.number_of_edges() else 0
    phi_graph = nx.Graph(graph.subgraph(form.phi.tolist()))
    phi_td = tree_decomposition(phi_graph)
    delta = max((deg for _, deg in G.degree()), default=0)
    n, m, N, V = network.n, network.m, network.N, network.n_nodes
    violation = paper_decomposition_violation(form, phi_td)
    lower = min(N, D)
    claim = tw_G * delta + V + n + m
    return {
        "n": n, "m": m, "N": N, "V": V, "edges": network.n_edges, "D": D, "bits": bits,
        "tw_G": tw_G, "max_degree": delta, "tw_phi_graph": phi_td.width,
        "graph_vertices": graph.number_of_nodes(), "graph_edges": graph.number_of_edges(),
        "width_vars": td.width, "width_bits": bits * (td.width + 1) - 1, "bags": td.n_bags,
        "path_width_bits": bits * (N + n + m + len(network.nodes)) - 1,
        "section3_width_bits": bits * (n + m + N) - 1,
        "lemma52_exponent_vars": claim, "lemma52_exponent_bits": bits * claim,
        "paper_width_bits": bits * (phi_td.width + V + n + m),
        "lower_bound_vars": lower, "lower_bound_bits": bits * (lower + 1) - 1,
        "lower_exceeds_lemma52": lower > claim,
        "lower_exceeds_paper_width": bits * (lower + 1) - 1 > bits * (phi_td.width + V + n + m),
        "paper_valid": violation is None, "paper_violation": violation,
    }
