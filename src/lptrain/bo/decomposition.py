"""Intersection graphs and tree decompositions (SPEC §1; paper §2.2, Definitions 2.3, 2.7).

* :func:`intersection_graph` -- Definition 2.7: a vertex per x variable, a clique on the
  support of every constraint and output.
* :func:`tree_decomposition` -- networkx's min-degree / min-fill-in heuristics (the better
  of both by default), reduced by Lemma 2.5 and validated.
* :func:`validate_tree_decomposition` -- Definition 2.3: (i) the bags holding a vertex
  form a connected subtree, (ii) every edge lies in a bag; plus: the bag graph is a tree,
  every bag is a subset of the vertices, every vertex lies in a bag. Runs on every
  decomposition the library builds or accepts; the message names what fails.
* :func:`reduce_tree_decomposition` -- Lemma 2.5: contract every tree edge whose one bag is
  a subset of the other; at most ``|V(G)|`` bags remain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from networkx.algorithms.approximation import treewidth_min_degree, treewidth_min_fill_in

from lptrain._validation import check_choice
from lptrain.bo.problem import BinaryProblem
from lptrain.errors import InvalidInputError

__all__ = [
    "TreeDecomposition",
    "as_tree_decomposition",
    "covering_bags",
    "intersection_graph",
    "reduce_tree_decomposition",
    "tree_decomposition",
    "validate_tree_decomposition",
]

_PREFIX = "not a tree decomposition: "


@dataclass(frozen=True)
class TreeDecomposition:
    """A tree ``T`` with a bag (sorted tuple of vertices) per node.

    ``edges`` is an int array of shape ``(n_bags - 1, 2)`` of bag indices.

    Examples
    --------
    >>> td = TreeDecomposition(bags=((0, 1), (1, 2)), edges=np.array([[0, 1]]))
    >>> (td.n_bags, td.width)
    (2, 1)
    """

    bags: tuple[tuple[int, ...], ...]
    edges: np.ndarray

    def __post_init__(self) -> None:
        bags = tuple(tuple(sorted(int(v) for v in b)) for b in self.bags)
        edges = np.asarray(self.edges, dtype=np.int64).reshape(-1, 2)
        object.__setattr__(self, "bags", bags)
        object.__setattr__(self, "edges", edges)

    @property
    def n_bags(self) -> int:
        return len(self.bags)

    @property
    def width(self) -> int:
        """Largest bag size minus one (Definition 2.3)."""
        return max((len(b) for b in self.bags), default=0) - 1

    def to_networkx(self) -> nx.Graph:
        """The tree as a networkx graph on bag indices, with a ``bag`` attribute."""
        tree = nx.Graph()
        tree.add_nodes_from((t, {"bag": frozenset(b)}) for t, b in enumerate(self.bags))
        tree.add_edges_from(self.edges.tolist())
        return tree


def intersection_graph(problem: BinaryProblem) -> nx.Graph:
    """Definition 2.7: vertices ``0..n-1``; a clique on every constraint and output support.

    Examples
    --------
    >>> bp = BinaryProblem(4)
    >>> _ = bp.add_constraint((0, 1, 2), lambda z: z.sum(axis=1) <= 1)
    >>> sorted(intersection_graph(bp).edges())
    [(0, 1), (0, 2), (1, 2)]
    """
    graph = nx.Graph()
    graph.add_nodes_from(range(problem.n_vars))
    for term in [*problem.constraints, *problem.outputs]:
        s = term.support
        graph.add_edges_from((s[a], s[b]) for a in range(len(s)) for b in range(a + 1, len(s)))
    return graph


def _from_networkx_tree(tree: nx.Graph) -> TreeDecomposition:
    nodes = list(tree.nodes())
    index = {node: i for i, node in enumerate(nodes)}
    try:
        bags = tuple(tuple(tree.nodes[node].get("bag", node)) for node in nodes)
        edges = np.array([[index[u], index[v]] for u, v in tree.edges()], dtype=np.int64)
        return TreeDecomposition(bags=bags, edges=edges.reshape(-1, 2))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            "decomposition: a networkx tree's nodes must be bags (iterables of variable "
            f"indices) or carry a 'bag' attribute ({exc})"
        ) from None


def as_tree_decomposition(obj: Any) -> TreeDecomposition:
    """Accept a TreeDecomposition, a networkx tree (nodes are bags, e.g. frozensets, or have
    a ``bag`` attribute), or a pair ``(bags, edges)``. Not validated here.

    Examples
    --------
    >>> as_tree_decomposition(([(0, 1), (1, 2)], [[0, 1]])).bags
    ((0, 1), (1, 2))
    >>> tree = nx.Graph([(frozenset({0, 1}), frozenset({1, 2}))])
    >>> as_tree_decomposition(tree).width
    1
    """
    if isinstance(obj, TreeDecomposition):
        return obj
    if isinstance(obj, nx.Graph):
        return _from_networkx_tree(obj)
    if isinstance(obj, tuple) and len(obj) == 2:
        bags, edges = obj
        try:
            return TreeDecomposition(bags=tuple(tuple(b) for b in bags), edges=np.asarray(edges))
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"decomposition (bags, edges) is malformed: {exc}") from None
    raise InvalidInputError(
        "decomposition must be a TreeDecomposition, a networkx tree of bags or a pair "
        f"(bags, edges); got {type(obj).__name__}"
    )


def _check_tree(td: TreeDecomposition) -> nx.Graph:
    n = td.n_bags
    if n == 0:
        raise InvalidInputError(_PREFIX + "it has no bags")
    e = td.edges
    if e.size and (e.min() < 0 or e.max() >= n):
        raise InvalidInputError(_PREFIX + f"an edge names bag {int(e.max())}; bags are 0..{n - 1}")
    if (e[:, 0] == e[:, 1]).any():
        t = int(e[e[:, 0] == e[:, 1]][0, 0])
        raise InvalidInputError(_PREFIX + f"bag {t} has an edge to itself (T must be a tree)")
    if len(e) != n - 1:
        raise InvalidInputError(_PREFIX + f"T has {n} bags and {len(e)} edges; a tree has {n - 1}")
    tree = td.to_networkx()
    if not nx.is_connected(tree):
        comps = list(nx.connected_components(tree))
        a, b = min(comps[0]), min(comps[1])
        raise InvalidInputError(
            _PREFIX + f"T is not connected: bags {a} and {b} lie in different components"
        )
    return tree


def validate_tree_decomposition(graph: nx.Graph, td: TreeDecomposition) -> None:
    """Check Definition 2.3 (and tree-ness, bags within V(G)); raise naming the failure.

    Examples
    --------
    >>> g = nx.path_graph(3)
    >>> validate_tree_decomposition(g, TreeDecomposition(((0, 1), (2,), (1, 2)), [[0, 1], [1, 2]]))
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: not a tree decomposition: vertex 1 lies in bags 0 and 2 \
but not in bag 1 on the path between them (property (i) of Definition 2.3)
    """
    tree = _check_tree(td)
    vertices = set(graph.nodes())
    holders: dict[Any, list[int]] = {v: [] for v in vertices}
    for t, bag in enumerate(td.bags):
        for v in bag:
            if v not in vertices:
                raise InvalidInputError(
                    _PREFIX + f"bag {t} contains {v}, which is not a vertex of the graph"
                )
            holders[v].append(t)
    for v in sorted(vertices):
        if not holders[v]:
            raise InvalidInputError(_PREFIX + f"vertex {v} lies in no bag")
        sub = tree.subgraph(holders[v])
        if not nx.is_connected(sub):
            comps = list(nx.connected_components(sub))
            path = nx.shortest_path(tree, min(comps[0]), min(comps[1]))
            gap = next(t for t in path if v not in td.bags[t])
            raise InvalidInputError(
                _PREFIX + f"vertex {v} lies in bags {path[0]} and {path[-1]} but not in bag "
                f"{gap} on the path between them (property (i) of Definition 2.3)"
            )
    for u, v in graph.edges():
        if not set(holders[u]) & set(holders[v]):
            a, b = sorted((u, v))
            raise InvalidInputError(
                _PREFIX + f"edge ({a}, {b}) of the graph lies in no bag "
                "(property (ii) of Definition 2.3)"
            )


def reduce_tree_decomposition(td: TreeDecomposition) -> TreeDecomposition:
    """Lemma 2.5: contract tree edges whose one bag is a subset of the other.

    The result has the same width, no bag contained in a neighbour, and therefore at most
    ``|V(G)|`` bags (root the tree: every bag holds a vertex its parent lacks, and that
    vertex's subtree has its top there).

    Examples
    --------
    >>> td = TreeDecomposition(((0, 1), (1,), (1, 2), (2,)), [[0, 1], [1, 2], [2, 3]])
    >>> reduce_tree_decomposition(td).bags
    ((0, 1), (1, 2))
    """
    bags = {t: frozenset(b) for t, b in enumerate(td.bags)}
    adj: dict[int, set[int]] = {t: set() for t in bags}
    for u, v in td.edges.tolist():
        adj[u].add(v)
        adj[v].add(u)
    stack = [tuple(e) for e in td.edges.tolist()]
    while stack:
        u, v = stack.pop()
        if u not in bags or v not in bags or v not in adj[u]:
            continue
        if bags[v] <= bags[u]:
            u, v = v, u
        if not bags[u] <= bags[v]:
            continue
        for w in adj.pop(u) - {v}:  # merge u into v
            adj[w].discard(u)
            adj[w].add(v)
            adj[v].add(w)
            stack.append((w, v))
        adj[v].discard(u)
        del bags[u]
    keep = sorted(bags)
    index = {t: i for i, t in enumerate(keep)}
    edges = sorted(
        {(min(index[u], index[v]), max(index[u], index[v])) for u in keep for v in adj[u]}
    )
    return TreeDecomposition(
        bags=tuple(tuple(bags[t]) for t in keep), edges=np.array(edges, dtype=np.int64)
    )


def tree_decomposition(
    graph: nx.Graph, heuristic: str = "best", *, reduce: bool = True
) -> TreeDecomposition:
    """A validated tree decomposition of ``graph`` by a networkx heuristic.

    Parameters
    ----------
    heuristic : {"best", "min_fill_in", "min_degree"}
        ``"best"`` runs both and keeps the smaller width (then fewer bags).
    reduce : bool
        Apply Lemma 2.5 (:func:`reduce_tree_decomposition`).

    Examples
    --------
    >>> td = tree_decomposition(nx.cycle_graph(6))
    >>> (td.width, td.n_bags)
    (2, 4)
    """
    check_choice("heuristic", heuristic, ["best", "min_fill_in", "min_degree"])
    funcs = {"min_fill_in": treewidth_min_fill_in, "min_degree": treewidth_min_degree}
    names: Iterable[str] = funcs if heuristic == "best" else [heuristic]
    candidates = []
    for name in names:
        _, tree = funcs[name](graph)
        td = _from_networkx_tree(tree)
        if reduce:
            td = reduce_tree_decomposition(td)
        candidates.append(td)
    best = min(candidates, key=lambda d: (d.width, d.n_bags))
    validate_tree_decomposition(graph, best)
    return best


def _bags_containing(td: TreeDecomposition) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for t, bag in enumerate(td.bags):
        for v in bag:
            out.setdefault(v, set()).add(t)
    return out


def covering_bags(td: TreeDecomposition, supports: Sequence[tuple[int, ...]]) -> list[list[int]]:
    """For each support, the bags that contain it (Lemma 2.6 says there is one).

    Examples
    --------
    >>> td = TreeDecomposition(((0, 1), (1, 2)), [[0, 1]])
    >>> covering_bags(td, [(1,), (2, 1), (0, 2)])
    [[0, 1], [1], []]
    """
    holders = _bags_containing(td)
    return [sorted(set.intersection(*(holders.get(v, set()) for v in s))) for s in supports]
