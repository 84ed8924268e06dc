"""Built-in BO instances: structured ones with known treewidth, and seeded random ones.

Structured (used by ``lptrain bo``, the benchmarks and the tests): max-cut
(``y_e = x_u xor x_v``, weight ``-w_e``) and maximum-weight independent set
(``x_u + x_v <= 1``, cost ``-w_v``) on a path, a cycle, a ``3 x k`` grid and a random
partial k-tree. Random: supports of a few variables, constraint and output *tables*
(oracles that look their answer up), some instances infeasible -- the material of the
exactness tests against brute force.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import networkx as nx
import numpy as np

from lptrain._validation import check_choice, check_int
from lptrain.bo.problem import BinaryProblem
from lptrain.bo.spec import mixed_radix_codes
from lptrain.errors import InvalidInputError

__all__ = [
    "INSTANCES",
    "TableOracle",
    "make_graph",
    "make_instance",
    "max_weight_independent_set",
    "maxcut",
    "partial_k_tree",
    "random_problem",
]

#: Names accepted by :func:`make_instance`.
INSTANCES = tuple(
    f"{p}-{g}" for p in ("maxcut", "mwis") for g in ("path", "cycle", "grid", "ktree")
)


class TableOracle:
    """An oracle answering from a table indexed by the mixed-radix code of its input."""

    def __init__(self, table: np.ndarray, radices: np.ndarray) -> None:
        self.table = np.asarray(table)
        self.radices = np.asarray(radices, dtype=np.int64)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return self.table[mixed_radix_codes(rows, self.radices)]


def _xor(z: np.ndarray) -> np.ndarray:
    return (z[:, 0] != z[:, 1]).astype(np.float64)


def _not_both(z: np.ndarray) -> np.ndarray:
    return ~((z[:, 0] == 1) & (z[:, 1] == 1))


def partial_k_tree(n: int, k: int, keep: float = 0.7, seed: int = 0) -> nx.Graph:
    """A random partial k-tree on ``n`` vertices (treewidth at most ``k``).

    Grow a k-tree (each new vertex joins a random k-clique of an existing (k+1)-clique),
    then keep each edge with probability ``keep``.

    Examples
    --------
    >>> g = partial_k_tree(30, 3, seed=1)
    >>> g.number_of_nodes()
    30
    """
    n, k = check_int("n", n, 1), check_int("k", k, 1)
    rng = np.random.default_rng(seed)
    graph = nx.complete_graph(min(n, k + 1))
    cliques = [list(range(min(n, k + 1)))]
    for v in range(k + 1, n):
        base = cliques[rng.integers(len(cliques))]
        drop = int(rng.integers(len(base)))
        clique = [u for i, u in enumerate(base) if i != drop]
        graph.add_edges_from((v, u) for u in clique)
        cliques.append([*clique, v])
    drop_mask = rng.random(graph.number_of_edges()) > keep
    graph.remove_edges_from([e for e, d in zip(list(graph.edges()), drop_mask, strict=True) if d])
    return graph


def make_graph(kind: str, size: str, seed: int = 0) -> nx.Graph:
    """``path``/``cycle``/``ktree`` with ``size="N"`` (ktree: ``"N"`` or ``"NkK"``, default
    k=3); ``grid`` with ``size="RxC"``. Vertices are relabelled ``0..n-1``.

    Examples
    --------
    >>> make_graph("grid", "3x4").number_of_edges()
    17
    """
    check_choice("graph kind", kind, ["path", "cycle", "grid", "ktree"])
    pattern = {"grid": r"(\d+)x(\d+)", "ktree": r"(\d+)(?:k(\d+))?"}.get(kind, r"(\d+)")
    match = re.fullmatch(pattern, size)
    if not match:
        want = {"grid": "RxC, e.g. 3x20", "ktree": "N or NkK, e.g. 300k3"}.get(kind, "N, e.g. 300")
        raise InvalidInputError(f"size for a {kind} must look like {want}; got {size!r}")
    nums = [int(g) for g in match.groups() if g is not None]
    if kind == "path":
        graph = nx.path_graph(nums[0])
    elif kind == "cycle":
        graph = nx.cycle_graph(nums[0])
    elif kind == "grid":
        graph = nx.grid_2d_graph(nums[0], nums[1])
    else:
        graph = partial_k_tree(nums[0], nums[1] if len(nums) > 1 else 3, seed=seed)
    return nx.convert_node_labels_to_integers(graph, ordering="sorted")


def _weights(n: int, seed: int | None) -> np.ndarray:
    if seed is None:
        return np.ones(n)
    return np.random.default_rng(seed).integers(1, 10, size=n).astype(np.float64)


def maxcut(graph: nx.Graph, seed: int | None = None) -> BinaryProblem:
    """Max-cut as a BO: an output ``x_u xor x_v`` with weight ``-w_e`` per edge.

    Weights are 1, or random integers in 1..9 when ``seed`` is given.

    Examples
    --------
    >>> from lptrain.bo.problem import brute_force
    >>> brute_force(maxcut(nx.cycle_graph(5)))[2]
    -4.0
    """
    problem = BinaryProblem(max(graph.number_of_nodes(), 1))
    edges = sorted(tuple(sorted(e)) for e in graph.edges())
    for (u, v), w in zip(edges, _weights(len(edges), seed), strict=True):
        problem.add_output((u, v), _xor, weight=-float(w))
    return problem


def max_weight_independent_set(graph: nx.Graph, seed: int | None = None) -> BinaryProblem:
    """MWIS as a BO: ``not (x_u and x_v)`` per edge, linear cost ``-w_v``.

    Examples
    --------
    >>> from lptrain.bo.problem import brute_force
    >>> brute_force(max_weight_independent_set(nx.cycle_graph(5)))[2]
    -2.0
    """
    problem = BinaryProblem(max(graph.number_of_nodes(), 1))
    for u, v in sorted(tuple(sorted(e)) for e in graph.edges()):
        problem.add_constraint((u, v), _not_both)
    problem.set_linear_cost(-_weights(problem.n_vars, seed))
    return problem


def make_instance(name: str, size: str, seed: int = 0, weighted: bool = True) -> BinaryProblem:
    """A built-in instance by name (see :data:`INSTANCES`), e.g. ``("maxcut-grid", "3x20")``.

    Examples
    --------
    >>> make_instance("mwis-grid", "3x4")
    BinaryProblem(n_vars=12, constraints=17, outputs=0)
    """
    check_choice("instance", name, INSTANCES)
    kind, graph_kind = name.split("-")
    graph = make_graph(graph_kind, size, seed)
    build: Callable[..., BinaryProblem] = maxcut if kind == "maxcut" else max_weight_independent_set
    return build(graph, seed=seed if weighted else None)


def random_problem(
    seed: int,
    n_vars: int = 10,
    n_constraints: int = 4,
    n_outputs: int = 4,
    support_sizes: tuple[int, int] = (2, 4),
    feasible_fraction: float = 0.7,
    levels: int = 2,
) -> BinaryProblem:
    """A seeded random BO: random supports, random constraint and output tables.

    Each constraint table marks an assignment feasible with probability
    ``feasible_fraction`` (so some instances are infeasible); output values are random
    multiples of 1/8 in [-2, 2] with random weights; the linear cost is random.

    Examples
    --------
    >>> random_problem(0, n_vars=6)
    BinaryProblem(n_vars=6, constraints=4, outputs=4)
    """
    rng = np.random.default_rng(seed)
    problem = BinaryProblem(n_vars, levels)
    lo, hi = support_sizes
    for kind in ("constraint",) * n_constraints + ("output",) * n_outputs:
        size = int(rng.integers(lo, min(hi, n_vars) + 1))
        support = tuple(int(v) for v in rng.choice(n_vars, size=size, replace=False))
        radices = problem.levels[list(support)]
        count = int(np.prod(radices))
        if kind == "constraint":
            problem.add_constraint(
                support, TableOracle(rng.random(count) < feasible_fraction, radices)
            )
        else:
            values = rng.integers(-16, 17, size=count) / 8.0
            problem.add_output(support, TableOracle(values, radices), float(rng.integers(-3, 4)))
    problem.set_linear_cost(rng.integers(-4, 5, size=n_vars) / 4.0)
    return problem
