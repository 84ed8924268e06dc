"""Rooting the bag forest of a LiftSpec for top-down decoding and bottom-up min-sum.

Bags are processed in *groups*: non-root bags of one block, at one depth, whose parent
bags lie in one block and whose separators sit at the same local columns on both sides.
Within a group everything is one numpy operation, so a block of many bags with the same
structure costs a handful of operations, not a loop over its bags.

Chains of bags glued on the *same* separator (the ERM path: every bag shares phi with
the next) would otherwise be as deep as they are long. They are re-hung by pointer
jumping: if ``sep(t, parent) == sep(parent, grandparent) = S`` then ``t`` may hang on the
grandparent instead (every variable both hold lies on the path between them, hence in
``S``; the result is still a tree decomposition). After ``O(log depth)`` vectorized rounds
such a chain becomes a star, of depth one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from lptrain.bo.spec import LiftSpec

__all__ = ["Group", "RootedForest", "rooted_forest"]


@dataclass(frozen=True)
class Group:
    """Child bags (of one block) hanging on parent bags (of one block) at one depth."""

    depth: int
    child_block: int
    parent_block: int
    child_bags: np.ndarray
    parent_bags: np.ndarray
    child_pos: np.ndarray
    parent_pos: np.ndarray
    radices: np.ndarray

    @property
    def n_codes(self) -> int:
        return int(np.prod(self.radices)) if self.radices.size else 1


@dataclass(frozen=True)
class RootedForest:
    """Roots (local bag ids per block) and groups sorted by increasing depth."""

    roots: tuple[np.ndarray, ...]
    groups: tuple[Group, ...]


def _separators(spec: LiftSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per global edge: separator ids sorted, and the matching local columns per side."""
    width = max((e.positions.shape[1] for e in spec.edges), default=0)
    seps, pos0, pos1 = [], [], []
    for e in spec.edges:
        s = e.positions.shape[1]
        vars0 = spec.blocks[e.blocks[0]].variables[e.bags[:, 0]][:, e.positions[0]]
        order = np.argsort(vars0, axis=1)
        pad = ((0, 0), (0, width - s))
        seps.append(np.pad(np.take_along_axis(vars0, order, axis=1), pad, constant_values=-1))
        pos0.append(np.pad(e.positions[0][order], pad, constant_values=-1))
        pos1.append(np.pad(e.positions[1][order], pad, constant_values=-1))
    if not seps:
        empty = np.zeros((0, width), dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(seps), np.concatenate(pos0), np.concatenate(pos1)


def _bfs_parents(n: int, edges: np.ndarray) -> np.ndarray:
    """Parent of every bag (-1 for roots) with a virtual super-root over all components."""
    graph = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    rows = np.concatenate([edges[:, 0], np.full(first.size, n)])
    cols = np.concatenate([edges[:, 1], first])
    full = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    _, pred = breadth_first_order(full, n, directed=False, return_predecessors=True)
    parent = pred[:n].astype(np.int64)
    parent[parent == n] = -1
    return parent


def _rewire(parent: np.ndarray, key: np.ndarray, ppos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointer jumping over chains with equal separators (see module docstring)."""
    while True:
        pc = np.where(parent >= 0, parent, 0)
        jump = (parent >= 0) & (key >= 0) & (key[pc] == key)
        if not jump.any():
            return parent, ppos
        parent, ppos = parent.copy(), ppos.copy()
        parent[jump] = parent[pc[jump]]
        ppos[jump] = ppos[pc[jump]]


def _depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every bag by pointer doubling (list ranking on a forest)."""
    depth = (parent >= 0).astype(np.int64)
    anc = parent.copy()
    while (anc >= 0).any():
        live = anc >= 0
        ac = np.where(live, anc, 0)
        depth = depth + np.where(live, depth[ac], 0)
        anc = np.where(live, anc[ac], -1)
    return depth


def rooted_forest(spec: LiftSpec) -> RootedForest:
    """Root every component of the bag forest, collapse equal-separator chains, group."""
    n = spec.n_bags
    block_of = np.repeat(np.arange(len(spec.blocks)), np.diff(spec.bag_offsets))
    local = np.arange(n) - spec.bag_offsets[block_of]
    edges = spec.global_edges()
    parent = _bfs_parents(n, edges)
    sep, pos0, pos1 = _separators(spec)
    width = sep.shape[1]
    child_is_0 = parent[edges[:, 0]] == edges[:, 1]
    child = np.where(child_is_0, edges[:, 0], edges[:, 1])
    sep_of = np.full((n, width), -1, dtype=np.int64)
    cpos = np.full((n, width), -1, dtype=np.int64)
    ppos = np.full((n, width), -1, dtype=np.int64)
    sep_of[child] = sep
    cpos[child] = np.where(child_is_0[:, None], pos0, pos1)
    ppos[child] = np.where(child_is_0[:, None], pos1, pos0)
    key = np.full(n, -1, dtype=np.int64)
    nonroot = parent >= 0
    if nonroot.any():
        _, inv = np.unique(sep_of[nonroot], axis=0, return_inverse=True)
        key[nonroot] = inv.ravel()
    parent, ppos = _rewire(parent, key, ppos)
    depth = _depths(parent)
    roots = tuple(local[(parent < 0) & (block_of == b)] for b in range(len(spec.blocks)))
    members = np.flatnonzero(parent >= 0)
    if members.size == 0:
        return RootedForest(roots=roots, groups=())
    radices = np.where(sep_of >= 0, spec.levels[np.maximum(sep_of, 0)], -1)
    table = np.column_stack(
        [depth, block_of, block_of[np.maximum(parent, 0)], cpos, ppos, radices]
    )[members]
    uniq, inv = np.unique(table, axis=0, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    splits = np.split(members[order], np.cumsum(np.bincount(inv, minlength=len(uniq)))[:-1])
    groups = []
    for row, bags in zip(uniq, splits, strict=True):
        s = int((row[3 : 3 + width] >= 0).sum())
        groups.append(
            Group(
                depth=int(row[0]),
                child_block=int(row[1]),
                parent_block=int(row[2]),
                child_bags=local[bags],
                parent_bags=local[parent[bags]],
                child_pos=row[3 : 3 + s].copy(),
                parent_pos=row[3 + width : 3 + width + s].copy(),
                radices=row[3 + 2 * width : 3 + 2 * width + s].copy(),
            )
        )
    groups.sort(key=lambda g: g.depth)
    return RootedForest(roots=roots, groups=tuple(groups))
