"""Assembling the LBO of Theorem 2.8 from a :class:`~lptrain.bo.spec.LiftSpec`.

The LP (x and y substituted out, as at the end of the proof of Theorem 2.8)::

    min   sum_{t, v in F_t} cost_t(v) lambda_{t,v} + offset
    s.t.  sum_{v in F_t} lambda_{t,v} = 1                      for every bag t
          X_e[a] - sum_{v in F_t, v|I_e = a} lambda_{t,v} = 0  for every tree edge e = (t1, t2),
                                                               both ends t, every a in I_e
          0 <= lambda, X <= 1

with ``cost_t(v) = block cost + sum of weight * value of the outputs living in t``. (The
upper bounds 1 are implied by the equations; they keep every dual bound finite.)

**Column layout** (the contract other builders rely on):

* lambda of block ``b``, bag ``g``, table row ``r``: column
  ``lambda_offsets[b] + g * R_b + r``;
* X of edge block ``k``, edge ``e``, separator code ``a``: column
  ``x_offsets[k] + e * M_k + a``, where ``a`` is the mixed-radix code (last separator
  variable fastest) of the separator values in the order of ``positions``, and
  ``M_k = prod K`` over the separator; ``x_offsets[0] = lambda_offsets[-1]``.

**Row layout**: the normalization row of global bag ``t`` is row ``t``; the marginal row
of edge block ``k``, edge ``e``, side ``s`` (0 = ``blocks[0]``), code ``a`` is row
``marginal_offsets[k] + (2 e + s) * M_k + a`` with ``marginal_offsets[0] = n_bags``.

**Size bound.** Let ``beta = max_t sum_{i in Q_t} ceil(log2 K_i)`` (bits in the largest bag;
``beta = omega + 1`` for binary variables and a decomposition of width ``omega``) and ``N``
the number of bags of the lifted tree ``T'``. Every table has at most ``2^beta`` rows,
every separator at most ``2^beta`` assignments (it lies in a bag) and a forest on ``N``
bags has at most ``N - 1`` edges, so the built LP has at most

* ``2 * 2^beta * N`` variables  (``sum R + sum M <= 2^beta N + 2^beta (N - 1)``),
* ``(2 * 2^beta + 1) * N`` constraints  (``N + 2 sum M``),
* ``5 * 2^beta * N`` nonzeros  (``sum R (1 + deg) + 2 sum M``).

This is the paper's count "``2 * 2^omega |V(T')|`` variables and
``(2 * 2^omega + 1) |V(T')|`` constraints" with ``omega`` read as the width of ``T'``
counting the output variables (``omega + 1``, as the paper says ``T'`` has), i.e. with
``2^beta``; read with the width of ``T`` it is false (two bags ``{0,1}``, ``{1,2}`` already
need 8 lambda and 2 X variables > ``2 * 2^1 * 2``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lptrain.bo.spec import LiftSpec, mixed_radix_codes
from lptrain.solver.lp import LinearProgram

__all__ = [
    "LPSize",
    "SizeBound",
    "LiftedLP",
    "assemble",
    "lambda_costs",
    "lp_size",
    "theorem_2_8_bound",
]


@dataclass(frozen=True)
class LPSize:
    """Variables, constraints and nonzeros of an LP."""

    variables: int
    constraints: int
    nonzeros: int

    def within(self, bound: SizeBound) -> bool:
        """Whether every count is at most the bound's."""
        return (
            self.variables <= bound.variables
            and self.constraints <= bound.constraints
            and self.nonzeros <= bound.nonzeros
        )


@dataclass(frozen=True)
class SizeBound:
    """Theorem 2.8's size bound for ``n_bags`` bags of at most ``bits`` bits (see module)."""

    bits: int
    n_bags: int
    variables: int
    constraints: int
    nonzeros: int


def theorem_2_8_bound(bits: int, n_bags: int) -> SizeBound:
    """The bound ``(2 * 2^bits N, (2 * 2^bits + 1) N, 5 * 2^bits N)`` for ``N`` bags.

    Examples
    --------
    >>> theorem_2_8_bound(2, 3)
    SizeBound(bits=2, n_bags=3, variables=24, constraints=27, nonzeros=60)
    """
    p = 1 << int(bits)
    n = int(n_bags)
    return SizeBound(
        bits=int(bits),
        n_bags=n,
        variables=2 * p * n,
        constraints=(2 * p + 1) * n,
        nonzeros=5 * p * n,
    )


def lp_size(spec: LiftSpec) -> LPSize:
    """The exact size :func:`assemble` builds, computed without building it.

    Examples
    --------
    >>> from lptrain.bo.spec import BagBlock, EdgeBlock
    >>> from lptrain.bo.problem import assignments
    >>> spec = LiftSpec(levels=np.full(3, 2),
    ...                 blocks=(BagBlock(assignments([2, 2]), [[0, 1], [1, 2]]),),
    ...                 edges=(EdgeBlock((0, 0), [[0, 1]], [[1], [0]]),))
    >>> lp_size(spec)
    LPSize(variables=10, constraints=6, nonzeros=20)
    """
    lam = sum(b.n_bags * b.n_rows for b in spec.blocks)
    xs = [e.n_edges * spec.separator_size(k) for k, e in enumerate(spec.edges)]
    touch = sum(
        e.n_edges * (spec.blocks[e.blocks[0]].n_rows + spec.blocks[e.blocks[1]].n_rows)
        for e in spec.edges
    )
    return LPSize(
        variables=lam + sum(xs),
        constraints=spec.n_bags + 2 * sum(xs),
        nonzeros=lam + touch + 2 * sum(xs),
    )


@dataclass(frozen=True)
class LiftedLP:
    """The assembled LBO with its layout, exact size and Theorem 2.8 bound."""

    lp: LinearProgram
    spec: LiftSpec
    lambda_offsets: np.ndarray
    x_offsets: np.ndarray
    marginal_offsets: np.ndarray
    size: LPSize
    bound: SizeBound

    def lambda_slice(self, block: int) -> slice:
        """Columns of the lambda variables of ``block`` (``G * R`` of them, bag-major)."""
        return slice(int(self.lambda_offsets[block]), int(self.lambda_offsets[block + 1]))

    def lambdas(self, x: np.ndarray, block: int) -> np.ndarray:
        """The lambda part of an LP point for ``block``, as a ``(G, R)`` view."""
        b = self.spec.blocks[block]
        return np.asarray(x)[self.lambda_slice(block)].reshape(b.n_bags, b.n_rows)


def lambda_costs(spec: LiftSpec) -> list[np.ndarray]:
    """Objective coefficient of every lambda, per block as a (G, R) array (block cost plus
    weight * value of the outputs living in the bag)."""
    costs = []
    for block in spec.blocks:
        c = np.zeros((block.n_bags, block.n_rows))
        if block.cost is not None:
            c += block.cost
        costs.append(c)
    for out in spec.outputs:
        add = out.weights[:, None] * np.broadcast_to(
            out.values, (out.bags.size, out.values.shape[-1])
        )
        if np.unique(out.bags).size == out.bags.size:
            costs[out.block][out.bags] += add
        else:
            np.add.at(costs[out.block], out.bags, add)
    return costs


def _edge_ranks(spec: LiftSpec) -> np.ndarray:
    """For every (global edge, side): the edge's rank among the edges of that side's bag.

    Marginal rows increase with the global edge index, so inside a lambda column the entry
    of an edge sits at ``1 + rank`` (after the normalization entry).
    """
    ends = spec.global_edges().ravel()
    edge = np.repeat(np.arange(ends.size // 2), 2)
    order = np.lexsort((edge, ends))
    first = np.searchsorted(ends[order], ends[order])
    rank = np.empty(ends.size, dtype=np.int64)
    rank[order] = np.arange(ends.size) - first
    return rank.reshape(-1, 2)


def _matrix(
    spec: LiftSpec, lam_off: np.ndarray, x_off: np.ndarray, m_off: np.ndarray, M: np.ndarray
) -> sp.csc_matrix:
    """The constraint matrix, written straight into CSC arrays (no COO sort)."""
    R = np.array([b.n_rows for b in spec.blocks], dtype=np.int64)
    G = np.array([b.n_bags for b in spec.blocks], dtype=np.int64)
    n_lam, n_cols, n_rows = int(lam_off[-1]), int(x_off[-1]), int(m_off[-1])
    degree = np.bincount(spec.global_edges().ravel(), minlength=spec.n_bags)
    counts = np.concatenate([np.repeat(1 + degree, np.repeat(R, G)), np.full(n_cols - n_lam, 2)])
    indptr = np.concatenate([[0], np.cumsum(counts)])
    idx_type = np.int32 if max(indptr[-1], n_rows) < 2**31 else np.int64
    indices = np.empty(indptr[-1], dtype=idx_type)
    data = np.empty(indptr[-1])
    head = indptr[:n_lam]  # normalization entry first: bag t's lambdas have a 1 in row t
    indices[head] = np.repeat(np.arange(spec.n_bags), np.repeat(R, G))
    data[head] = 1.0
    rank = _edge_ranks(spec)
    first_edge = np.concatenate([[0], np.cumsum([e.n_edges for e in spec.edges])])
    for k, e in enumerate(spec.edges):
        if e.n_edges == 0:
            continue
        radices = spec.levels[spec.blocks[e.blocks[0]].variables[e.bags[0, 0], e.positions[0]]]
        base = m_off[k] + 2 * np.arange(e.n_edges) * M[k]
        x_cols = x_off[k] + np.arange(e.n_edges * M[k])
        for side in (0, 1):
            b = e.blocks[side]
            codes = mixed_radix_codes(spec.blocks[b].table[:, e.positions[side]], radices)
            cols = lam_off[b] + e.bags[:, side, None] * R[b] + np.arange(R[b])
            at = indptr[cols] + 1 + rank[first_edge[k] : first_edge[k + 1], side, None]
            indices[at] = (base + side * M[k])[:, None] + codes[None, :]
            data[at] = -1.0
            indices[indptr[x_cols] + side] = (base[:, None] + side * M[k] + np.arange(M[k])).ravel()
            data[indptr[x_cols] + side] = 1.0
    return sp.csc_matrix((data, indices, indptr.astype(idx_type)), shape=(n_rows, n_cols))


def assemble(spec: LiftSpec) -> LiftedLP:
    """Build the sparse LBO of ``spec`` with numpy (no loop over bags within a block).

    Examples
    --------
    >>> from lptrain.bo.spec import BagBlock, EdgeBlock
    >>> from lptrain.bo.problem import assignments
    >>> spec = LiftSpec(levels=np.full(3, 2),
    ...                 blocks=(BagBlock(assignments([2, 2]), [[0, 1], [1, 2]]),),
    ...                 edges=(EdgeBlock((0, 0), [[0, 1]], [[1], [0]]),))
    >>> lifted = assemble(spec)
    >>> (lifted.lp.n_cols, lifted.lp.n_rows, lifted.lp.nnz, lifted.size.within(lifted.bound))
    (10, 6, 20, True)
    """
    R = np.array([b.n_rows for b in spec.blocks], dtype=np.int64)
    G = np.array([b.n_bags for b in spec.blocks], dtype=np.int64)
    lam_off = np.concatenate([[0], np.cumsum(G * R)])
    M = np.array([spec.separator_size(k) for k in range(len(spec.edges))], dtype=np.int64)
    E = np.array([e.n_edges for e in spec.edges], dtype=np.int64)
    x_off = lam_off[-1] + np.concatenate([[0], np.cumsum(E * M)])
    m_off = spec.n_bags + np.concatenate([[0], np.cumsum(2 * E * M)])
    A = _matrix(spec, lam_off, x_off, m_off, M)
    n_cols, n_rows = A.shape[1], A.shape[0]
    c = np.concatenate(
        [cst.ravel() for cst in lambda_costs(spec)] + [np.zeros(n_cols - lam_off[-1])]
    )
    rhs = np.zeros(n_rows)
    rhs[: spec.n_bags] = 1.0
    lp = LinearProgram(
        c=c,
        A=A,
        row_lower=rhs,
        row_upper=rhs,
        col_lower=np.zeros(n_cols),
        col_upper=np.ones(n_cols),
        offset=spec.offset,
    )
    return LiftedLP(
        lp=lp,
        spec=spec,
        lambda_offsets=lam_off,
        x_offsets=x_off,
        marginal_offsets=m_off,
        size=LPSize(lp.n_cols, lp.n_rows, lp.nnz),
        bound=theorem_2_8_bound(spec.bag_bits, spec.n_bags),
    )
