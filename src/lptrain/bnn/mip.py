"""The BiU training problem as a mixed-integer program (big-M), for HiGHS's MIP solver.

Variables (all in [0, 1]):

* ``α_p`` (integer) for every parameter; the BiU parameter is ``2α_p - 1 ∈ {-1, 1}``;
* ``z_{v,d}`` (integer) for every computed node v and data point d: the BiU's output;
* ``w_{e,d}`` (continuous) for every edge ``e = (u, p)`` out of a *computed* node u: the
  product ``α_p z_{u,d}``, linearized exactly by ``w ≤ α_p``, ``w ≤ z_u``,
  ``w ≥ α_p + z_u - 1`` (``z`` and ``α`` are binary).

The pre-activation of node v on data point d is an integer,

    ``s_{v,d} = Σ_{u input} (2α_p - 1) x_{u,d} + Σ_{u computed} (2 w_{e,d} - z_{u,d})
    - (2α_b - 1)``,

with ``|s| ≤ p_v + 1`` (``p_v`` the fan-in), so "``z = 1`` iff ``s > 0``" is exactly

    ``s ≥ 1 - (p_v + 2)(1 - z)``  and  ``s ≤ (p_v + 1) z``.

The objective is the mean Hamming loss, linear in the output z's because the labels are
data: ``(1/D) Σ_d Σ_o (z_{o,d} if y_{o,d} = 0 else 1 - z_{o,d})``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from lptrain.bnn.network import check_biu_network
from lptrain.nn import Network
from lptrain.solver import LinearProgram
from lptrain.solver.highs import MIPSolution, solve_mip

__all__ = ["BNNMip", "bnn_mip", "solve_bnn_mip"]


@dataclass(frozen=True)
class BNNMip:
    """The MIP of the module docstring, its integrality flags and its solution (if solved)."""

    lp: LinearProgram
    integrality: np.ndarray
    z_offset: int
    build_seconds: float
    solution: MIPSolution | None = None
    levels: np.ndarray | None = None

    @property
    def variables(self) -> int:
        return self.lp.n_cols

    @property
    def constraints(self) -> int:
        return self.lp.n_rows

    @property
    def nonzeros(self) -> int:
        return self.lp.nnz

    @property
    def integers(self) -> int:
        return int(self.integrality.sum())


class _Rows:
    """Collects constraint rows ``lo <= Σ coef · col <= hi``, each block vectorized over d."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.count = 0

    def add(self, terms: list[tuple[Any, Any]], lo: np.ndarray,
            hi: np.ndarray) -> None:
        """``terms``: (columns (k,), coefficients (k,)) pairs, one row per entry."""
        k = lo.size
        ids = self.count + np.arange(k)
        for cols, coef in terms:
            self.rows.append(ids)
            self.cols.append(np.broadcast_to(cols, (k,)))
            self.vals.append(np.broadcast_to(np.asarray(coef, dtype=np.float64), (k,)))
        self.lo.append(lo)
        self.hi.append(hi)
        self.count += k


def bnn_mip(network: Network, X: np.ndarray, Y: np.ndarray) -> BNNMip:
    """Build the MIP for 0/1 data ``X`` (D, n) and labels ``Y`` (D, m).

    Examples
    --------
    >>> from lptrain.bnn.network import biu_network
    >>> mip = bnn_mip(biu_network([2, 1]), np.array([[0, 1]]), np.array([[1]]))
    >>> mip.variables, mip.constraints, mip.integers
    (4, 2, 4)
    """
    start = time.perf_counter()
    check_biu_network(network)
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    D, n, N = X.shape[0], network.n, network.N
    n_nodes = len(network.nodes)
    z_off = N
    hidden_edges = [(i, u, p) for i, v in enumerate(network.nodes)
                    for u, p, _ in v.inputs if u >= n]
    w_off = z_off + n_nodes * D
    n_cols = w_off + len(hidden_edges) * D
    d = np.arange(D)
    rows = _Rows()
    for k, (_, u, p) in enumerate(hidden_edges):  # w = α_p z_u exactly (binary α, z)
        w, zu = w_off + k * D + d, z_off + (u - n) * D + d
        one = np.ones(D)
        rows.add([(w, 1.0), (np.full(D, p), -1.0)], -np.inf * one, 0.0 * one)
        rows.add([(w, 1.0), (zu, -1.0)], -np.inf * one, 0.0 * one)
        rows.add([(w, 1.0), (np.full(D, p), -1.0), (zu, -1.0)], -one, np.inf * one)
    edge_index = {(i, u): k for k, (i, u, _) in enumerate(hidden_edges)}
    for i, v in enumerate(network.nodes):
        fan_in = len(v.inputs)
        terms: list[tuple[Any, Any]] = []
        const = np.zeros(D)
        for u, p, _ in v.inputs:
            if u < n:   # (2α_p - 1) x_u
                terms.append((np.full(D, p), 2.0 * X[:, u]))
                const -= X[:, u]
            else:       # (2α_p - 1) z_u = 2 w - z_u
                terms += [(w_off + edge_index[(i, u)] * D + d, np.full(D, 2.0)),
                          (z_off + (u - n) * D + d, np.full(D, -1.0))]
        terms.append((np.full(D, v.bias[0]), np.full(D, -2.0)))   # - (2α_b - 1)
        const += 1.0
        z = z_off + i * D + d
        # s - (p+2) z >= 1 - (p+2)   and   s - (p+1) z <= 0, with s = Σ terms + const
        rows.add([*terms, (z, np.full(D, -(fan_in + 2.0)))],
                 1.0 - (fan_in + 2.0) - const, np.full(D, np.inf))
        rows.add([*terms, (z, np.full(D, -(fan_in + 1.0)))], np.full(D, -np.inf), -const)
    c = np.zeros(n_cols)
    offset = 0.0
    for j, o in enumerate(network.outputs):
        if o < n:
            offset += float(np.abs(X[:, o] - Y[:, j]).sum()) / D
            continue
        c[z_off + (o - n) * D + d] += np.where(Y[:, j] == 0, 1.0, -1.0) / D
        offset += float(Y[:, j].sum()) / D
    A = sp.csc_matrix((np.concatenate(rows.vals), (np.concatenate(rows.rows),
                                                  np.concatenate(rows.cols))),
                      shape=(rows.count, n_cols))
    lp = LinearProgram(c=c, A=A, row_lower=np.concatenate(rows.lo),
                       row_upper=np.concatenate(rows.hi), col_lower=np.zeros(n_cols),
                       col_upper=np.ones(n_cols), offset=offset)
    integrality = np.zeros(n_cols, dtype=bool)
    integrality[:w_off] = True
    return BNNMip(lp, integrality, z_off, time.perf_counter() - start)


def solve_bnn_mip(network: Network, X: np.ndarray, Y: np.ndarray, *,
                  time_limit: float | None = None) -> BNNMip:
    """Build and solve the MIP with HiGHS; ``levels`` holds the optimal parameter levels.

    Examples
    --------
    >>> from lptrain.bnn.network import biu_network
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); Y = np.array([[0], [0], [0], [1]])
    >>> res = solve_bnn_mip(biu_network([2, 1]), X, Y)   # AND is a single BiU
    >>> round(res.solution.objective, 9), res.levels.tolist()
    (0.0, [1, 1, 1])
    """
    mip = bnn_mip(network, X, Y)
    sol = solve_mip(mip.lp, mip.integrality, time_limit=time_limit)
    levels = np.round(sol.x[:network.N]).astype(np.int64)
    return BNNMip(mip.lp, mip.integrality, mip.z_offset, mip.build_seconds, sol, levels)
