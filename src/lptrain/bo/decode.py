"""Decoding an optimal point from the lift (proof of Theorem 2.8) and min-sum DP.

* :func:`decode` walks the bag forest from the roots: each root takes its largest
  ``lambda``; each child takes, among its table rows that agree with its parent's choice
  on the separator, the one with the largest ``lambda``. If ``lambda`` is an optimal LP
  point, the rows with ``lambda > 0`` that agree with the parent exist (the marginal
  equations carry the parent's positive mass across the edge), and every point so decoded
  is optimal (the LP point is a mixture of such points with the same objective). The
  decoded x is always feasible: every row of every table satisfies the constraints of
  its bag, and the choices agree on every shared variable.
* :func:`min_sum` is the exact dynamic program on the same forest: messages
  ``m_{t->p}(a) = min_{v in F_t, v|S = a} [cost_t(v) + sum of messages into t at v]``,
  computed bottom-up group by group (encode separator assignments as mixed-radix codes;
  sort + ``minimum.reduceat``), then the argmin decoded top-down.

Both return a :class:`Decoded` with ``x``, the output values ``y`` at ``x``, and the
objective recomputed from the spec's tables (not from the solver).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lptrain.bo._tree import Group, rooted_forest
from lptrain.bo.assemble import lambda_costs
from lptrain.bo.spec import LiftSpec, mixed_radix_codes
from lptrain.errors import InfeasibleError, SolverError

__all__ = ["Decoded", "decode", "min_sum", "evaluate_rows"]


@dataclass(frozen=True)
class Decoded:
    """A decoded point: ``x`` (levels), ``y`` (outputs), objective and chosen table rows."""

    x: np.ndarray
    y: np.ndarray
    objective: float
    rows: tuple[np.ndarray, ...]


def _codes(spec: LiftSpec, block: int, pos: np.ndarray, radices: np.ndarray) -> np.ndarray:
    return mixed_radix_codes(spec.blocks[block].table[:, pos], radices)


def evaluate_rows(spec: LiftSpec, rows: tuple[np.ndarray, ...]) -> Decoded:
    """Turn one chosen table row per bag into ``x``, ``y`` and the objective.

    Raises SolverError if the choices disagree on a shared variable.

    Examples
    --------
    >>> from lptrain.bo.spec import BagBlock
    >>> block = BagBlock([[0, 1], [1, 1]], [[0, 1]], cost=[1.0, 5.0])
    >>> spec = LiftSpec(levels=[2, 2], blocks=(block,))
    >>> d = evaluate_rows(spec, (np.array([1]),))
    >>> (d.x.tolist(), d.objective)
    ([1, 1], 5.0)
    """
    x = np.full(spec.n_vars, -1, dtype=np.int64)
    for b, block in enumerate(spec.blocks):
        x[block.variables] = block.table[rows[b]]
    objective = spec.offset
    for b, block in enumerate(spec.blocks):
        chosen = block.table[rows[b]]
        clash = np.argwhere(x[block.variables] != chosen)
        if clash.size:
            v = int(block.variables[tuple(clash[0])])
            raise SolverError(f"decoding failed: the chosen bag rows disagree on variable {v}")
        if block.cost is not None:
            cost = np.broadcast_to(block.cost, (block.n_bags, block.n_rows))
            objective += float(cost[np.arange(block.n_bags), rows[b]].sum())
    y = np.zeros(spec.n_outputs)
    for out in spec.outputs:
        r = rows[out.block][out.bags]
        vals = out.values[r] if out.values.ndim == 1 else out.values[np.arange(r.size), r]
        y[out.outputs] = vals
        objective += float(out.weights @ vals)
    return Decoded(x=x, y=y, objective=float(objective), rows=rows)


def decode(spec: LiftSpec, lambdas: list[np.ndarray]) -> Decoded:
    """Decode a point from the lambda values of an LP solution (one (G, R) array per block).

    Examples
    --------
    >>> from lptrain.bo.spec import BagBlock
    >>> spec = LiftSpec(levels=[2, 2], blocks=(BagBlock([[0, 1], [1, 0]], [[0, 1]]),))
    >>> decode(spec, [np.array([[0.2, 0.8]])]).x.tolist()
    [1, 0]
    """
    forest = rooted_forest(spec)
    rows = [np.full(b.n_bags, -1, dtype=np.int64) for b in spec.blocks]
    for b, roots in enumerate(forest.roots):
        if roots.size:
            if spec.blocks[b].n_rows == 0:
                raise SolverError(f"cannot decode: block {b} has an empty table")
            rows[b][roots] = np.argmax(lambdas[b][roots], axis=1)
    for g in forest.groups:
        need = _codes(spec, g.parent_block, g.parent_pos, g.radices)[
            rows[g.parent_block][g.parent_bags]
        ]
        have = _codes(spec, g.child_block, g.child_pos, g.radices)
        masked = np.where(
            have[None, :] == need[:, None], lambdas[g.child_block][g.child_bags], -1.0
        )
        pick = np.argmax(masked, axis=1) if masked.shape[1] else np.zeros(len(need), np.int64)
        if masked.shape[1] == 0 or (masked[np.arange(len(need)), pick] < 0).any():
            raise SolverError(
                f"cannot decode: a bag of block {g.child_block} has no row agreeing with its "
                "parent (the LP point is not feasible for the lift)"
            )
        rows[g.child_block][g.child_bags] = pick
    return evaluate_rows(spec, tuple(rows))


def _segment_min(
    vals: np.ndarray, codes: np.ndarray, n_codes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``vals`` (E, R): min and argmin over the columns of each code."""
    E, R = vals.shape
    msg = np.full((E, n_codes), np.inf)
    arg = np.full((E, n_codes), -1, dtype=np.int64)
    if R == 0:
        return msg, arg
    order = np.argsort(codes, kind="stable")
    sc = codes[order]
    starts = np.flatnonzero(np.concatenate([[True], sc[1:] != sc[:-1]]))
    v = vals[:, order]
    mins = np.minimum.reduceat(v, starts, axis=1)
    lengths = np.diff(np.concatenate([starts, [R]]))
    at = np.where(v == np.repeat(mins, lengths, axis=1), np.arange(R), R)
    first = np.minimum.reduceat(at, starts, axis=1)
    msg[:, sc[starts]] = mins
    arg[:, sc[starts]] = order[first]
    return msg, arg


def _send_up(spec: LiftSpec, g: Group, acc: list[np.ndarray]) -> np.ndarray:
    have = _codes(spec, g.child_block, g.child_pos, g.radices)
    msg, arg = _segment_min(acc[g.child_block][g.child_bags], have, g.n_codes)
    at_parent = _codes(spec, g.parent_block, g.parent_pos, g.radices)
    parents, inv = np.unique(g.parent_bags, return_inverse=True)
    total = np.zeros((parents.size, g.n_codes))
    np.add.at(total, inv.ravel(), msg)
    acc[g.parent_block][parents] += total[:, at_parent]
    return arg


def min_sum(spec: LiftSpec) -> Decoded:
    """Exact min-sum message passing on the bag forest of ``spec`` (an optimal point).

    Raises InfeasibleError when no assignment is consistent.

    Examples
    --------
    >>> from lptrain.bo.spec import BagBlock, EdgeBlock
    >>> from lptrain.bo.problem import assignments
    >>> block = BagBlock(assignments([2, 2]), [[0, 1], [1, 2]], cost=[0.0, 1.0, 1.0, -3.0])
    >>> spec = LiftSpec(levels=[2, 2, 2], blocks=(block,),
    ...                 edges=(EdgeBlock((0, 0), [[0, 1]], [[1], [0]]),))
    >>> d = min_sum(spec)
    >>> (d.x.tolist(), d.objective)
    ([1, 1, 1], -6.0)
    """
    forest = rooted_forest(spec)
    acc = lambda_costs(spec)
    args = [_send_up(spec, g, acc) for g in reversed(forest.groups)][::-1]
    rows = [np.full(b.n_bags, -1, dtype=np.int64) for b in spec.blocks]
    for b, roots in enumerate(forest.roots):
        if roots.size == 0:
            continue
        vals = acc[b][roots]
        if vals.shape[1] == 0 or not np.isfinite(vals.min(axis=1)).all():
            raise InfeasibleError(
                "the problem is infeasible: min-sum message passing finds no assignment "
                "consistent across the bags"
            )
        rows[b][roots] = np.argmin(vals, axis=1)
    for g, arg in zip(forest.groups, args, strict=True):
        need = _codes(spec, g.parent_block, g.parent_pos, g.radices)[
            rows[g.parent_block][g.parent_bags]
        ]
        rows[g.child_block][g.child_bags] = arg[np.arange(need.size), need]
    return evaluate_rows(spec, tuple(rows))
