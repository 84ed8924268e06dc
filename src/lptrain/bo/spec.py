"""The vectorized description of a lifted LP: :class:`LiftSpec` (proof of Theorem 2.8).

A LiftSpec is a tree decomposition with, per bag ``t``, its feasible local assignments
``F_t`` and the objective coefficient of each, in a form that numpy can assemble without a
Python loop over bags that share structure:

* **bags come in blocks.** A :class:`BagBlock` holds ``G`` bags sharing one local
  assignment table ``table`` (``R`` rows, ``q`` local variables, stored once); bag ``g``
  of the block maps its local column ``k`` to global variable ``variables[g, k]``.
  ``cost`` (shape ``(R,)`` or ``(G, R)``, broadcast over the bags) is the objective
  coefficient of ``lambda_{g,r}`` beyond outputs (e.g. the linear cost ``c^T x``).
* **tree edges come in blocks.** An :class:`EdgeBlock` joins bag ``bags[e, 0]`` of block
  ``blocks[0]`` to bag ``bags[e, 1]`` of block ``blocks[1]``; the intersection of the two
  bags is exactly local columns ``positions[0]`` of the first and ``positions[1]`` of the
  second (aligned: the same global variables in the same order).
* **outputs** ``y_j`` come in :class:`OutputBlock` s: output ``outputs[p]`` lives in bag
  ``bags[p]`` of block ``block`` only, with value ``values[..., r]`` at table row ``r``
  and objective weight ``weights[p]``.

The spec validates itself on construction (vectorized): variable ids and table entries in
range, table rows distinct, separators exact and aligned, the bag graph a forest, and
Definition 2.3 (i) (the bags holding a variable are connected: ``#bags - #edges = 1``).

Global bag ids run block by block: bag ``g`` of block ``b`` is ``bag_offsets[b] + g``.
The LP layout built from a spec is documented in :mod:`lptrain.bo.assemble`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from lptrain.errors import InvalidInputError

__all__ = ["BagBlock", "EdgeBlock", "OutputBlock", "LiftSpec", "mixed_radix_codes"]


def mixed_radix_codes(values: np.ndarray, radices: np.ndarray) -> np.ndarray:
    """Codes of the rows of ``values`` (shape (R, s)) in mixed radix, last column fastest.

    Examples
    --------
    >>> mixed_radix_codes(np.array([[0, 2], [1, 0]]), np.array([2, 3])).tolist()
    [2, 3]
    """
    radices = np.asarray(radices, dtype=np.int64)
    strides = np.ones(radices.size, dtype=np.int64)
    if radices.size > 1:
        strides[:-1] = np.cumprod(radices[::-1])[::-1][1:]
    return np.asarray(values, dtype=np.int64) @ strides


def _int_array(name: str, value: Any, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != ndim or (arr.size and arr.dtype.kind not in "iu"):
        raise InvalidInputError(
            f"{name} must be a {ndim}-dimensional integer array; got shape {arr.shape} "
            f"and dtype {arr.dtype}"
        )
    return arr.astype(np.int64)


def _float_array(name: str, value: Any, shapes: list[tuple[int, ...]]) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape not in shapes:
        raise InvalidInputError(
            f"{name} must have shape {' or '.join(map(str, shapes))}; got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise InvalidInputError(f"{name} contains NaN or inf")
    return arr


@dataclass(frozen=True)
class BagBlock:
    """``G`` bags sharing one table of ``R`` local assignments over ``q`` local variables."""

    table: np.ndarray
    variables: np.ndarray
    cost: np.ndarray | None = None

    def __post_init__(self) -> None:
        table = _int_array("BagBlock.table", self.table, 2)
        variables = _int_array("BagBlock.variables", self.variables, 2)
        if variables.shape[0] < 1 or variables.shape[1] < 1:
            raise InvalidInputError(
                f"BagBlock.variables must have at least one bag and one variable; "
                f"got shape {variables.shape}"
            )
        if table.shape[1] != variables.shape[1]:
            raise InvalidInputError(
                f"BagBlock.table has {table.shape[1]} columns but variables has "
                f"{variables.shape[1]} (one per local variable)"
            )
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "variables", variables)
        if self.cost is not None:
            shapes = [(table.shape[0],), (variables.shape[0], table.shape[0])]
            object.__setattr__(self, "cost", _float_array("BagBlock.cost", self.cost, shapes))

    @property
    def n_bags(self) -> int:
        return int(self.variables.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.table.shape[0])

    @property
    def n_local(self) -> int:
        return int(self.variables.shape[1])


@dataclass(frozen=True)
class EdgeBlock:
    """Tree edges between bags of ``blocks[0]`` and ``blocks[1]`` glued on aligned columns."""

    blocks: tuple[int, int]
    bags: np.ndarray
    positions: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", (int(self.blocks[0]), int(self.blocks[1])))
        bags = _int_array("EdgeBlock.bags", self.bags, 2)
        pos = _int_array("EdgeBlock.positions", self.positions, 2)
        if bags.shape[1] != 2 or pos.shape[0] != 2:
            raise InvalidInputError(
                f"EdgeBlock.bags must have shape (E, 2) and positions (2, s); got "
                f"{bags.shape} and {pos.shape}"
            )
        object.__setattr__(self, "bags", bags)
        object.__setattr__(self, "positions", pos)

    @property
    def n_edges(self) -> int:
        return int(self.bags.shape[0])


@dataclass(frozen=True)
class OutputBlock:
    """Outputs ``y_{outputs[p]}`` living in bag ``bags[p]`` of block ``block``."""

    block: int
    bags: np.ndarray
    outputs: np.ndarray
    values: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        bags = _int_array("OutputBlock.bags", self.bags, 1)
        outputs = _int_array("OutputBlock.outputs", self.outputs, 1)
        weights = _float_array("OutputBlock.weights", self.weights, [bags.shape])
        if outputs.shape != bags.shape:
            raise InvalidInputError("OutputBlock.outputs and bags must have the same length")
        values = np.asarray(self.values, dtype=np.float64)
        values = _float_array(
            "OutputBlock.values", values, [values.shape[-1:], (bags.size,) + values.shape[-1:]]
        )
        for name, arr in (
            ("bags", bags),
            ("outputs", outputs),
            ("values", values),
            ("weights", weights),
        ):
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "block", int(self.block))


@dataclass(frozen=True)
class LiftSpec:
    """Bags (in blocks), tree edges (in blocks) and outputs: everything the lift needs.

    Parameters
    ----------
    levels : int array (n_vars,)
        Levels ``K_i`` of each global variable (2 = binary).
    blocks, edges, outputs : tuples of BagBlock, EdgeBlock, OutputBlock
    n_outputs : int
        Number of outputs; the output blocks must name each of ``0..n_outputs-1`` once.
    offset : float
        Constant added to the objective.

    Examples
    --------
    A path of three bags ``{0,1}, {1,2}, {2,3}`` sharing one table (all 4 assignments):

    >>> from lptrain.bo.problem import assignments
    >>> block = BagBlock(assignments([2, 2]), variables=[[0, 1], [1, 2], [2, 3]])
    >>> spec = LiftSpec(levels=np.full(4, 2), blocks=(block,),
    ...                 edges=(EdgeBlock((0, 0), bags=[[0, 1], [1, 2]], positions=[[1], [0]]),))
    >>> (spec.n_bags, spec.width, spec.width_bits)
    (3, 1, 1)
    """

    levels: np.ndarray
    blocks: tuple[BagBlock, ...]
    edges: tuple[EdgeBlock, ...] = ()
    outputs: tuple[OutputBlock, ...] = ()
    n_outputs: int = 0
    offset: float = 0.0
    bag_offsets: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        levels = _int_array("levels", self.levels, 1)
        if levels.size == 0 or (levels < 1).any():
            raise InvalidInputError("levels must be a non-empty array of positive integers")
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "blocks", tuple(self.blocks))
        object.__setattr__(self, "edges", tuple(self.edges))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        object.__setattr__(self, "offset", float(self.offset))
        if not self.blocks:
            raise InvalidInputError("a LiftSpec needs at least one BagBlock")
        counts = [b.n_bags for b in self.blocks]
        object.__setattr__(self, "bag_offsets", np.concatenate([[0], np.cumsum(counts)]))
        for b, block in enumerate(self.blocks):
            _check_block(b, block, levels)
        separators = [
            _check_edge_block(k, e, self.blocks, levels) for k, e in enumerate(self.edges)
        ]
        self._check_forest()
        self._check_running_intersection(separators)
        self._check_outputs()

    # ---------------------------------------------------------------- derived quantities
    @property
    def n_vars(self) -> int:
        return int(self.levels.size)

    @property
    def n_bags(self) -> int:
        return int(self.bag_offsets[-1])

    @property
    def n_edges(self) -> int:
        return sum(e.n_edges for e in self.edges)

    @property
    def width(self) -> int:
        """Largest number of variables in a bag, minus one (outputs not counted)."""
        return max(b.n_local for b in self.blocks) - 1

    @property
    def bag_bits(self) -> int:
        """Largest bag size in bits: ``max_t sum_{i in Q_t} ceil(log2 K_i)``."""
        bits = np.ceil(np.log2(self.levels)).astype(np.int64)
        return max(int(bits[b.variables].sum(axis=1).max()) for b in self.blocks)

    @property
    def width_bits(self) -> int:
        """Width in the paper's binary terms: ``bag_bits - 1``."""
        return self.bag_bits - 1

    def separator_size(self, k: int) -> int:
        """Number of assignments ``M_k`` of the separator of edge block ``k``."""
        e = self.edges[k]
        block = self.blocks[e.blocks[0]]
        if e.n_edges == 0:
            return 1
        sep = block.variables[e.bags[0, 0], e.positions[0]]
        return int(np.prod(self.levels[sep])) if sep.size else 1

    def global_edges(self) -> np.ndarray:
        """All tree edges as global bag ids, shape (n_edges, 2), in edge-block order."""
        parts = [
            np.stack(
                [
                    self.bag_offsets[e.blocks[0]] + e.bags[:, 0],
                    self.bag_offsets[e.blocks[1]] + e.bags[:, 1],
                ],
                axis=1,
            )
            for e in self.edges
        ]
        return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)

    # ---------------------------------------------------------------- validation
    def _check_forest(self) -> None:
        edges = self.global_edges()
        n = self.n_bags
        if len(edges) == 0:
            return
        if (edges[:, 0] == edges[:, 1]).any():
            t = int(edges[edges[:, 0] == edges[:, 1]][0, 0])
            raise InvalidInputError(f"LiftSpec: bag {t} has a tree edge to itself")
        graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        n_comp, _ = connected_components(graph, directed=False)
        if n_comp != n - len(edges):
            raise InvalidInputError(
                f"LiftSpec: the bag graph has {n} bags, {len(edges)} edges and {n_comp} "
                "components, so it has a cycle or a repeated edge; it must be a forest"
            )

    def _check_running_intersection(self, separators: list[np.ndarray]) -> None:
        n = self.n_vars
        in_bags = np.zeros(n, dtype=np.int64)
        for b in self.blocks:
            in_bags += np.bincount(b.variables.ravel(), minlength=n)
        in_seps = np.zeros(n, dtype=np.int64)
        for s in separators:
            in_seps += np.bincount(s.ravel(), minlength=n)
        missing = np.flatnonzero(in_bags == 0)
        if missing.size:
            raise InvalidInputError(f"LiftSpec: variable {int(missing[0])} lies in no bag")
        broken = np.flatnonzero(in_bags - in_seps != 1)
        if broken.size:
            v = int(broken[0])
            raise InvalidInputError(
                f"LiftSpec: variable {v} lies in {int(in_bags[v])} bags joined by only "
                f"{int(in_seps[v])} tree edges through it, so those bags are not connected "
                "(property (i) of Definition 2.3)"
            )

    def _check_outputs(self) -> None:
        seen = np.zeros(self.n_outputs, dtype=np.int64)
        for o, out in enumerate(self.outputs):
            if not 0 <= out.block < len(self.blocks):
                raise InvalidInputError(f"OutputBlock {o}: block {out.block} does not exist")
            block = self.blocks[out.block]
            if out.bags.size and (out.bags.min() < 0 or out.bags.max() >= block.n_bags):
                raise InvalidInputError(f"OutputBlock {o}: a bag index is out of range")
            if out.values.shape[-1] != block.n_rows:
                raise InvalidInputError(
                    f"OutputBlock {o}: values has {out.values.shape[-1]} entries per bag but "
                    f"the block's table has {block.n_rows} rows"
                )
            if out.outputs.size and (out.outputs.min() < 0 or out.outputs.max() >= self.n_outputs):
                raise InvalidInputError(
                    f"OutputBlock {o}: output indices must lie in [0, {self.n_outputs})"
                )
            np.add.at(seen, out.outputs, 1)
        bad = np.flatnonzero(seen != 1)
        if bad.size:
            j = int(bad[0])
            raise InvalidInputError(
                f"LiftSpec: output {j} lives in {int(seen[j])} bags; each output must live "
                "in exactly one"
            )


def _check_block(b: int, block: BagBlock, levels: np.ndarray) -> None:
    V = block.variables
    if V.min() < 0 or V.max() >= levels.size:
        raise InvalidInputError(
            f"BagBlock {b}: variable ids must lie in [0, {levels.size}); got {int(V.min())}.."
            f"{int(V.max())}"
        )
    srt = np.sort(V, axis=1)
    dup = np.flatnonzero((np.diff(srt, axis=1) == 0).any(axis=1))
    if dup.size:
        raise InvalidInputError(f"BagBlock {b}: bag {int(dup[0])} lists a variable twice")
    if block.n_rows == 0:
        return
    radix = levels[V].min(axis=0)
    T = block.table
    if T.min() < 0 or (T.max(axis=0) >= radix).any():
        k = int(np.flatnonzero(T.max(axis=0) >= radix)[0]) if (T.max(axis=0) >= radix).any() else 0
        raise InvalidInputError(
            f"BagBlock {b}: table column {k} has a value outside 0..K-1 of its variable"
        )
    if np.unique(mixed_radix_codes(T, radix)).size != block.n_rows:
        raise InvalidInputError(f"BagBlock {b}: table has repeated rows")


def _check_edge_block(
    k: int, e: EdgeBlock, blocks: tuple[BagBlock, ...], levels: np.ndarray
) -> np.ndarray:
    """Validate one edge block; return its separators as global ids, shape (E, s)."""
    sides = []
    for side in (0, 1):
        b = e.blocks[side]
        if not 0 <= b < len(blocks):
            raise InvalidInputError(f"EdgeBlock {k}: block {b} does not exist")
        block, bags, pos = blocks[b], e.bags[:, side], e.positions[side]
        if bags.size and (bags.min() < 0 or bags.max() >= block.n_bags):
            raise InvalidInputError(f"EdgeBlock {k}: a bag index of side {side} is out of range")
        if pos.size and (
            pos.min() < 0 or pos.max() >= block.n_local or np.unique(pos).size != pos.size
        ):
            raise InvalidInputError(
                f"EdgeBlock {k}: positions[{side}] must be distinct local columns in "
                f"[0, {block.n_local})"
            )
        sides.append(block.variables[bags])
    sep0 = sides[0][:, e.positions[0]]
    if not np.array_equal(sep0, sides[1][:, e.positions[1]]):
        raise InvalidInputError(
            f"EdgeBlock {k}: positions[0] and positions[1] do not name the same global "
            "variables in the same order"
        )
    shared = (sides[0][:, :, None] == sides[1][:, None, :]).sum(axis=(1, 2))
    wrong = np.flatnonzero(shared != e.positions.shape[1])
    if wrong.size:
        raise InvalidInputError(
            f"EdgeBlock {k}: edge {int(wrong[0])} joins bags sharing {int(shared[wrong[0]])} "
            f"variables but positions name {e.positions.shape[1]}; the separator must be the "
            "whole intersection"
        )
    if e.n_edges and not (levels[sep0] == levels[sep0[:1]]).all():
        raise InvalidInputError(f"EdgeBlock {k}: separator variables differ in levels across edges")
    return sep0
