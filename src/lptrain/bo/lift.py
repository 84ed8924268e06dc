"""From a :class:`~lptrain.bo.problem.BinaryProblem` to its exact LP (Theorem 2.8).

:func:`lift_spec` builds the :class:`~lptrain.bo.spec.LiftSpec` of the proof of Theorem
2.8 on a tree decomposition of the intersection graph (given or computed, always
validated); :func:`lift` assembles it into a sparse LP.

Outputs ``y_j = g_j(x)`` are placed in one of two ways, both exact because ``y_j`` then
lives in one bag only and never in a separator:

* ``outputs="attach"`` (default, smaller): ``y_j`` is attached to a bag ``Q_t`` holding
  ``supp(g_j)``; the objective coefficient of ``lambda_{t,v}`` gains ``w_j g_j(v)``.
* ``outputs="leaf"`` (the proof's construction): a new leaf bag ``Q'(j) = Q_t + {y_j}``
  glued to ``t`` on all of ``Q_t``; ``T'`` has ``|T| + p`` bags and width ``omega + 1``
  counting ``y_j``.

The linear cost ``c_i x_i`` goes to the first bag holding ``i``.
"""

from __future__ import annotations

import numpy as np

from lptrain._validation import check_choice
from lptrain.bo.assemble import LiftedLP, assemble
from lptrain.bo.decomposition import (
    TreeDecomposition,
    as_tree_decomposition,
    covering_bags,
    intersection_graph,
    tree_decomposition,
    validate_tree_decomposition,
)
from lptrain.bo.problem import BinaryProblem, ProblemTables, assignments
from lptrain.bo.spec import BagBlock, EdgeBlock, LiftSpec, OutputBlock, mixed_radix_codes
from lptrain.errors import InvalidInputError

__all__ = ["decompose", "lift", "lift_spec", "spec_from_tables"]


def decompose(
    problem: BinaryProblem, decomposition: object | None = None, heuristic: str = "best"
) -> TreeDecomposition:
    """The decomposition to lift on: ``decomposition`` if given, else a heuristic one;
    validated against the intersection graph (Definition 2.3) either way.

    Examples
    --------
    >>> bp = BinaryProblem(3)
    >>> _ = bp.add_constraint((0, 1, 2), lambda z: z.sum(axis=1) <= 2)
    >>> decompose(bp).bags
    ((0, 1, 2),)
    >>> decompose(bp, ([(0, 1), (1, 2)], [[0, 1]]))
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: not a tree decomposition: edge (0, 2) of the graph lies \
in no bag (property (ii) of Definition 2.3)
    """
    graph = intersection_graph(problem)
    if decomposition is None:
        return tree_decomposition(graph, heuristic)
    td = as_tree_decomposition(decomposition)
    validate_tree_decomposition(graph, td)
    return td


def _local_positions(bag: tuple[int, ...], support: tuple[int, ...]) -> np.ndarray:
    index = {v: k for k, v in enumerate(bag)}
    return np.array([index[v] for v in support], dtype=np.int64)


def _covering(
    td: TreeDecomposition, kind: str, supports: tuple[tuple[int, ...], ...]
) -> list[list[int]]:
    cover = covering_bags(td, supports)
    for i, bags in enumerate(cover):
        if not bags:  # impossible for a validated decomposition (Lemma 2.6)
            raise InvalidInputError(f"{kind} {i}: support {supports[i]} lies in no bag")
    return cover


def _bag_table(tables: ProblemTables, bag: tuple[int, ...], cons: list[int]) -> np.ndarray:
    """``F_t``: the assignments of the bag satisfying every constraint inside it."""
    rows = assignments(tables.levels[list(bag)])
    keep = np.ones(rows.shape[0], dtype=bool)
    for i in cons:
        sup = tables.constraint_supports[i]
        codes = mixed_radix_codes(rows[:, _local_positions(bag, sup)], tables.levels[list(sup)])
        keep &= tables.feasible[i][codes]
    return rows[keep]


def _output_values(
    tables: ProblemTables, j: int, bag: tuple[int, ...], table: np.ndarray
) -> np.ndarray:
    sup = tables.output_supports[j]
    codes = mixed_radix_codes(table[:, _local_positions(bag, sup)], tables.levels[list(sup)])
    return tables.values[j][codes]


def spec_from_tables(
    tables: ProblemTables, td: TreeDecomposition, outputs: str = "attach"
) -> LiftSpec:
    """The LiftSpec of Theorem 2.8's proof on decomposition ``td`` (one block per bag).

    Examples
    --------
    >>> bp = BinaryProblem(2)
    >>> _ = bp.add_output((0, 1), lambda z: z.sum(axis=1) * 1.0, weight=2.0)
    >>> td = decompose(bp)
    >>> spec = spec_from_tables(bp.tabulate(), td, outputs="leaf")
    >>> (spec.n_bags, spec.n_outputs, spec.outputs[0].values.tolist())
    (2, 1, [0.0, 1.0, 1.0, 2.0])
    """
    check_choice("outputs", outputs, ["attach", "leaf"])
    cons_cover = _covering(td, "constraint", tables.constraint_supports)
    out_cover = _covering(td, "output", tables.output_supports)
    cons_in: list[list[int]] = [[] for _ in td.bags]
    for i, bags in enumerate(cons_cover):
        for t in bags:
            cons_in[t].append(i)
    owner = np.full(tables.levels.size, -1)
    for t in reversed(range(td.n_bags)):
        owner[list(td.bags[t])] = t
    blocks: list[BagBlock] = []
    for t, bag in enumerate(td.bags):
        table = _bag_table(tables, bag, cons_in[t])
        owned = np.where(owner[list(bag)] == t, tables.linear_cost[list(bag)], 0.0)
        blocks.append(BagBlock(table, np.array([bag]), cost=table @ owned))
    edges = [_edge(td.bags[u], td.bags[v], u, v) for u, v in td.edges.tolist()]
    out_blocks: list[OutputBlock] = []
    home = [bags[0] for bags in out_cover]
    if outputs == "attach":
        by_bag: dict[int, list[int]] = {}
        for j, t in enumerate(home):
            by_bag.setdefault(t, []).append(j)
        for t, js in sorted(by_bag.items()):
            vals = np.stack([_output_values(tables, j, td.bags[t], blocks[t].table) for j in js])
            out_blocks.append(
                OutputBlock(t, np.zeros(len(js), np.int64), np.array(js), vals, tables.weights[js])
            )
    else:
        for j, t in enumerate(home):
            leaf = len(blocks)
            blocks.append(BagBlock(blocks[t].table, blocks[t].variables))
            q = len(td.bags[t])
            edges.append(
                EdgeBlock((t, leaf), np.zeros((1, 2), np.int64), np.tile(np.arange(q), (2, 1)))
            )
            vals = _output_values(tables, j, td.bags[t], blocks[t].table)
            out_blocks.append(
                OutputBlock(leaf, np.zeros(1, np.int64), np.array([j]), vals, tables.weights[[j]])
            )
    return LiftSpec(
        levels=tables.levels,
        blocks=tuple(blocks),
        edges=tuple(edges),
        outputs=tuple(out_blocks),
        n_outputs=len(home),
    )


def _edge(bag_u: tuple[int, ...], bag_v: tuple[int, ...], u: int, v: int) -> EdgeBlock:
    shared = tuple(sorted(set(bag_u) & set(bag_v)))
    positions = np.stack([_local_positions(bag_u, shared), _local_positions(bag_v, shared)])
    return EdgeBlock((u, v), np.zeros((1, 2), np.int64), positions)


def lift_spec(
    problem: BinaryProblem,
    decomposition: object | None = None,
    *,
    outputs: str = "attach",
    heuristic: str = "best",
) -> tuple[LiftSpec, TreeDecomposition]:
    """Tabulate the oracles and build the LiftSpec of Theorem 2.8 (and the decomposition).

    Examples
    --------
    >>> bp = BinaryProblem(3)
    >>> _ = bp.add_constraint((0, 1), lambda z: z.sum(axis=1) <= 1)
    >>> _ = bp.add_output((1, 2), lambda z: z[:, 0] * 1.0 + z[:, 1], weight=-1.0)
    >>> spec, td = lift_spec(bp)
    >>> (td.width, spec.n_bags, [b.n_rows for b in spec.blocks])
    (1, 2, [4, 3])
    """
    td = decompose(problem, decomposition, heuristic)
    return spec_from_tables(problem.tabulate(), td, outputs), td


def lift(
    problem: BinaryProblem,
    decomposition: object | None = None,
    *,
    outputs: str = "attach",
    heuristic: str = "best",
) -> LiftedLP:
    """The exact LP of Theorem 2.8 for ``problem``, with its size and the size bound.

    Examples
    --------
    >>> bp = BinaryProblem(3)
    >>> _ = bp.add_constraint((0, 1), lambda z: z.sum(axis=1) <= 1)
    >>> _ = bp.add_output((1, 2), lambda z: z[:, 0] * 1.0 + z[:, 1], weight=-1.0)
    >>> lifted = lift(bp)
    >>> lifted.size, lifted.size.within(lifted.bound)
    (LPSize(variables=9, constraints=6, nonzeros=18), True)
    """
    spec, _ = lift_spec(problem, decomposition, outputs=outputs, heuristic=heuristic)
    return assemble(spec)
