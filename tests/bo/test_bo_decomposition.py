"""Intersection graph, heuristics, Definition 2.3 validator, Lemma 2.5 reduction."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from lptrain.bo import (
    BinaryProblem,
    TreeDecomposition,
    intersection_graph,
    reduce_tree_decomposition,
    solve,
    tree_decomposition,
    validate_tree_decomposition,
)
from lptrain.bo.instances import make_graph, partial_k_tree
from lptrain.errors import InvalidInputError


def _figure_1():
    """The width-2 decomposition of the paper's Figure 1(b) (vertices 1..8 -> 0..7) on a
    graph consistent with it (the figure's edges are not legible in the text)."""
    g = nx.Graph(
        [
            (1, 2),
            (2, 3),
            (1, 4),
            (2, 4),
            (2, 5),
            (3, 5),
            (4, 6),
            (4, 7),
            (6, 7),
            (5, 7),
            (5, 8),
            (7, 8),
            (2, 7),
        ]
    )
    g = nx.relabel_nodes(g, {v: v - 1 for v in g})
    bags = ((0, 1, 3), (3, 5, 6), (1, 3, 6), (1, 4, 6), (1, 2, 4), (4, 6, 7))
    edges = [[0, 2], [1, 2], [2, 3], [3, 4], [3, 5]]
    return g, TreeDecomposition(bags, edges)


def test_figure_1_decomposition_is_valid_and_has_width_2():
    g, td = _figure_1()
    validate_tree_decomposition(g, td)
    assert td.width == 2


def test_intersection_graph_has_a_clique_per_support():
    bp = BinaryProblem(5)
    bp.add_constraint((0, 2, 4), lambda z: z.sum(axis=1) > 0)
    bp.add_output((1, 3), lambda z: z[:, 0] * 1.0)
    g = intersection_graph(bp)
    assert sorted(g.nodes()) == list(range(5))
    assert sorted(g.edges()) == [(0, 2), (0, 4), (1, 3), (2, 4)]


@pytest.mark.parametrize(
    ("kind", "size", "width"),
    [("path", "40", 1), ("cycle", "40", 2), ("grid", "3x30", 3)],
)
def test_heuristic_widths_on_known_graphs(kind, size, width):
    g = make_graph(kind, size)
    td = tree_decomposition(g)
    assert td.width == width
    assert td.n_bags <= g.number_of_nodes()


@pytest.mark.parametrize("heuristic", ["best", "min_fill_in", "min_degree"])
def test_partial_k_tree_width_at_most_k(heuristic):
    g = partial_k_tree(80, 3, seed=5)
    td = tree_decomposition(g, heuristic)
    validate_tree_decomposition(g, td)
    assert td.width <= 3 or heuristic != "best"


def _padded(td: TreeDecomposition, rng: np.random.Generator) -> TreeDecomposition:
    """Add redundant subset bags as leaves and as chains to a valid decomposition."""
    bags = list(td.bags)
    edges = td.edges.tolist()
    for _ in range(3 * len(bags)):
        t = int(rng.integers(len(bags)))
        sub = tuple(v for v in bags[t] if rng.random() < 0.6)
        bags.append(sub)
        edges.append([t, len(bags) - 1])
    return TreeDecomposition(tuple(bags), np.array(edges))


@pytest.mark.parametrize("seed", range(5))
def test_lemma_2_5_reduction_keeps_validity_and_width(seed):
    rng = np.random.default_rng(seed)
    g = partial_k_tree(30, 2, seed=seed)
    td = tree_decomposition(g, reduce=False)
    padded = _padded(td, rng)
    validate_tree_decomposition(g, padded)
    reduced = reduce_tree_decomposition(padded)
    validate_tree_decomposition(g, reduced)
    assert reduced.width == td.width
    assert reduced.n_bags <= g.number_of_nodes() < padded.n_bags
    tree = reduced.to_networkx()
    for u, v in tree.edges():
        a, b = set(reduced.bags[u]), set(reduced.bags[v])
        assert not a <= b and not b <= a


def _path3():
    return nx.path_graph(3)


@pytest.mark.parametrize(
    ("td", "message"),
    [
        (
            TreeDecomposition(((0, 1), (2,), (1, 2)), [[0, 1], [1, 2]]),
            r"^not a tree decomposition: vertex 1 lies in bags 0 and 2 but not in bag 1 on the "
            r"path between them \(property \(i\) of Definition 2\.3\)$",
        ),
        (
            TreeDecomposition(((0, 1), (2,)), [[0, 1]]),
            r"edge \(1, 2\) of the graph lies in no bag \(property \(ii\) of Definition 2\.3\)",
        ),
        (
            TreeDecomposition(((0, 1), (1, 2)), np.zeros((0, 2))),
            r"T has 2 bags and 0 edges; a tree has 1",
        ),
        (
            TreeDecomposition(((0, 1), (1, 2), (1,)), [[0, 1], [1, 2], [0, 2]]),
            r"T has 3 bags and 3 edges; a tree has 2",
        ),
        (
            TreeDecomposition(((0, 1), (1, 2), (1,), (1,)), [[0, 1], [2, 3], [3, 2]]),
            r"T is not connected: bags 0 and 2 lie in different components",
        ),
        (
            TreeDecomposition(((0, 1), (1, 2, 7)), [[0, 1]]),
            r"bag 1 contains 7, which is not a vertex of the graph",
        ),
        (TreeDecomposition(((0, 1), (1,)), [[0, 1]]), r"vertex 2 lies in no bag"),
        (TreeDecomposition(((0, 1), (1, 2)), [[1, 1]]), r"bag 1 has an edge to itself"),
        (TreeDecomposition(((0, 1), (1, 2)), [[0, 5]]), r"an edge names bag 5; bags are 0\.\.1"),
        (TreeDecomposition((), np.zeros((0, 2))), r"it has no bags"),
    ],
)
def test_validator_names_the_failure(td, message):
    with pytest.raises(InvalidInputError, match=message):
        validate_tree_decomposition(_path3(), td)


def _chain_problem(n: int = 4) -> BinaryProblem:
    bp = BinaryProblem(n)
    for u in range(n - 1):
        bp.add_output((u, u + 1), lambda z: (z[:, 0] != z[:, 1]).astype(float), weight=-1.0)
    return bp


def test_user_decomposition_accepted_in_every_form():
    bp = _chain_problem()
    bags, edges = [(0, 1), (1, 2), (2, 3)], [[0, 1], [1, 2]]
    tree = nx.Graph(
        [(frozenset(bags[0]), frozenset(bags[1])), (frozenset(bags[1]), frozenset(bags[2]))]
    )
    for given in ((bags, edges), TreeDecomposition(tuple(bags), edges), tree):
        res = solve(bp, decomposition=given)
        assert res.objective == -3.0
        assert res.decomposition is not None and res.decomposition.n_bags == 3


def test_user_decomposition_is_validated():
    bp = _chain_problem()
    bad = ([(0, 1), (2, 3), (1, 2)], [[0, 1], [1, 2]])
    with pytest.raises(InvalidInputError, match=r"vertex 1 lies in bags 0 and 2 but not in bag 1"):
        solve(bp, decomposition=bad)
    with pytest.raises(InvalidInputError, match=r"decomposition must be a TreeDecomposition"):
        solve(bp, decomposition="bags")


def test_wider_user_decomposition_is_exact_too():
    bp = _chain_problem(5)
    res = solve(bp, decomposition=([tuple(range(5))], np.zeros((0, 2))))
    assert res.objective == -4.0 and res.width == 4
