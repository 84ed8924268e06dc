"""The exact data-independent polytope of Theorem C.1 for networks of BiUs, and its faces.

The BiU ERM is itself a BO problem (no discretization): binary variables ``φ`` (the N
parameters, level 0 = -1, level 1 = +1) and, for every data point d, ``x^d ∈ {0,1}^n`` and
``y^d ∈ {0,1}^m``; one output per d, ``L_d = Hamming(f(x^d, φ), y^d)``, weight ``1/D``.
Its intersection graph is a clique on ``φ ∪ x^d ∪ y^d`` per d, so the path of bags
``B_d = x^d ∪ y^d ∪ φ`` glued on φ is a tree decomposition, and Theorem 2.8 gives an exact
LP. The table of a bag is all ``2^{n+m+N}`` assignments (rows in mixed-radix order x, y, φ,
φ fastest) with the Hamming loss per row, the same for every bag: one
:class:`~lptrain.bo.BagBlock` with ``G = D``, built once, never looping over D.

A face (the analogue of Lemma 3.6) fixes the data: ``λ_{d,v} = 0`` for every row v whose
(x, y) part is not data point d. Its LP optimum is the exact ERM optimum (Theorem 2.8:
the LP over the face is the convex hull of the feasible binary points of the face).

**Size (Caution of SPEC §8).** Theorem C.1 states ``O(2^p |V(G)| D)`` (p the fan-in of a
BiU), counting bags of about p bits; the valid path decomposition built here has bags of
``N + n + m`` bits, so the built LP has ``D·2^{n+m+N} + (D-1)·2^N`` variables.
:meth:`BiUPolytope.size_report` puts both side by side.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._validation import check_int
from lptrain.bnn.network import check_biu_network, levels_to_params
from lptrain.bo import BagBlock, EdgeBlock, LiftedLP, LiftSpec, OutputBlock, assemble, lp_size
from lptrain.bo.assemble import LPSize
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import Network, loss_matrix
from lptrain.solver import LinearProgram

__all__ = ["BiUPolytope", "BiUSizes", "biu_sizes", "DEFAULT_MAX_MEMORY"]

#: Default memory budget for building the polytope (bytes).
DEFAULT_MAX_MEMORY = 2 * 2**30
# Bytes per nonzero (CSC data + index, plus HiGHS's copy) and per column/row (bounds, costs,
# solution and HiGHS's work arrays) used by the size guard.
_BYTES_PER_NNZ = 32
_BYTES_PER_COL = 160
_NUMPY_ROWS = 1 << 18


@dataclass(frozen=True)
class BiUSizes:
    """Built size of the Theorem C.1 polytope next to the theorem's stated size.

    ``stated`` is ``2^p · |V(G)| · D`` (the O(·) expression with constant 1, p the largest
    fan-in, |V(G)| the nodes including inputs); ``bag_bits = N + n + m`` is what the valid
    path decomposition needs, so ``built.variables ≈ D · 2^bag_bits``.
    """

    n: int
    m: int
    N: int
    D: int
    fan_in: int
    nodes: int
    bag_bits: int
    table_rows: int
    built: LPSize
    face_free_lambda: int
    theorem_2_8_variables: int
    stated: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "n": self.n, "m": self.m, "N": self.N, "D": self.D, "fan_in": self.fan_in,
            "nodes": self.nodes, "bag_bits": self.bag_bits, "table_rows": self.table_rows,
            "variables": self.built.variables, "constraints": self.built.constraints,
            "nonzeros": self.built.nonzeros, "face_free_lambda": self.face_free_lambda,
            "theorem_2_8_variables": self.theorem_2_8_variables,
            "theorem_c1_stated": self.stated,
            "theorem_c1_expression": "O(2^p |V(G)| D)",
            "ratio_built_to_stated": self.built.variables / self.stated,
        }


def biu_sizes(network: Network, D: int) -> BiUSizes:
    """Exact sizes of the Theorem C.1 polytope for ``D`` samples, without building it.

    Examples
    --------
    >>> from lptrain.bnn.network import biu_network
    >>> s = biu_sizes(biu_network([2, 2, 1]), 10)
    >>> s.bag_bits, s.built.variables, s.stated
    (12, 45568, 200)
    """
    D = check_int("D (samples)", D, 1)
    n, m, N = network.n, network.m, network.N
    R, G = 1 << (n + m + N), 1 << N
    built = LPSize(variables=D * R + (D - 1) * G, constraints=D + 2 * (D - 1) * G,
                   nonzeros=D * R + 2 * (D - 1) * R + 2 * (D - 1) * G)
    p = network.max_in_degree
    return BiUSizes(n=n, m=m, N=N, D=D, fan_in=p, nodes=network.n_nodes, bag_bits=n + m + N,
                    table_rows=R, built=built, face_free_lambda=D * G,
                    theorem_2_8_variables=2 * R * D, stated=(1 << p) * network.n_nodes * D)


def _guard(sizes: BiUSizes, max_memory: int) -> None:
    s = sizes.built
    need = (_BYTES_PER_NNZ * s.nonzeros + _BYTES_PER_COL * (s.variables + s.constraints)
            + 8 * sizes.table_rows * sizes.bag_bits)
    if need > max_memory:
        raise TooLargeError(
            f"this build needs {need / 2**30:.3g} GiB ({float(s.nonzeros):.3g} nonzeros; "
            f"2^{sizes.bag_bits} table rows per bag, D={sizes.D}); the limit is "
            f"{max_memory / 2**30:.3g} GiB: use a smaller network or fewer samples, or "
            "raise --max-memory"
        )


def _table(n_cols: int) -> np.ndarray:
    """All assignments of ``n_cols`` bits, mixed-radix order (last column fastest)."""
    shifts = np.arange(n_cols - 1, -1, -1, dtype=np.int64)
    return ((np.arange(1 << n_cols, dtype=np.int64)[:, None] >> shifts) & 1).astype(np.int8)


class BiUPolytope:
    """The data-independent polytope of Theorem C.1 for ``D`` samples (built once).

    Attributes
    ----------
    network : Network
    D : int
    spec : LiftSpec
        One bag block (``G = D``), one edge block (the path, glued on φ), one output block.
    lifted : LiftedLP
        The assembled LP (:func:`lptrain.bo.assemble`).
    sizes : BiUSizes
    build_seconds : float

    Examples
    --------
    >>> from lptrain.bnn.network import biu_network
    >>> poly = BiUPolytope.build(biu_network([1, 1]), D=3)
    >>> (poly.lifted.size.variables, poly.sizes.built == poly.lifted.size)
    (56, True)
    """

    def __init__(self, network: Network, D: int, spec: LiftSpec, lifted: LiftedLP,
                 sizes: BiUSizes, build_seconds: float) -> None:
        self.network, self.D, self.spec, self.lifted = network, D, spec, lifted
        self.sizes, self.build_seconds = sizes, build_seconds

    @classmethod
    def build(cls, network: Network, D: int, *, max_memory: int | None = None) -> BiUPolytope:
        """Tabulate the Hamming loss on all ``2^{n+m+N}`` (x, y, φ) once and assemble.

        Refuses (TooLargeError, with the estimate) a build over ``max_memory`` bytes.
        """
        start = time.perf_counter()
        check_biu_network(network)
        sizes = biu_sizes(network, D)
        _guard(sizes, DEFAULT_MAX_MEMORY if max_memory is None else int(max_memory))
        n, m, N = network.n, network.m, network.N
        data = _table(n + m).astype(np.float64)
        phi = levels_to_params(_table(N))
        # numpy for small tables: no kernel compilation; numba (if present) for large ones
        backend = "numpy" if sizes.table_rows <= _NUMPY_ROWS else "auto"
        values = loss_matrix(network, "hamming", data[:, :n], data[:, n:], phi,
                             backend=backend).ravel()
        q = n + m
        variables = np.empty((sizes.D, q + N), dtype=np.int64)
        variables[:, :q] = N + q * np.arange(sizes.D)[:, None] + np.arange(q)
        variables[:, q:] = np.arange(N)
        edges = np.stack([np.arange(sizes.D - 1), np.arange(1, sizes.D)], axis=1)
        phi_cols = np.arange(q, q + N)
        spec = LiftSpec(
            levels=np.full(N + q * sizes.D, 2),
            blocks=(BagBlock(_table(q + N), variables),),
            edges=(EdgeBlock((0, 0), edges, np.stack([phi_cols, phi_cols])),),
            outputs=(OutputBlock(0, np.arange(sizes.D), np.arange(sizes.D), values,
                                 np.full(sizes.D, 1.0 / sizes.D)),),
            n_outputs=sizes.D,
        )
        lifted = assemble(spec)
        assert lifted.size == lp_size(spec) == sizes.built
        return cls(network, sizes.D, spec, lifted, sizes, time.perf_counter() - start)

    def data_codes(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Mixed-radix code of each data point's (x, y) bits: its row block in the table."""
        X, Y = np.asarray(X, dtype=np.int64), np.asarray(Y, dtype=np.int64)
        n, m = self.network.n, self.network.m
        if X.shape != (self.D, n) or Y.shape != (self.D, m):
            raise InvalidInputError(
                f"the polytope was built for D={self.D} samples with n={n}, m={m}; got X of "
                f"shape {X.shape} and Y of shape {Y.shape}"
            )
        bits = np.concatenate([X, Y], axis=1)
        return np.asarray(bits @ (1 << np.arange(n + m - 1, -1, -1, dtype=np.int64)))

    def face_bounds(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds of the face for data (X, Y): λ_{d,v} = 0 off data point d."""
        lp = self.lifted.lp
        codes = self.data_codes(X, Y)
        G, R = 1 << self.network.N, self.sizes.table_rows
        upper = lp.col_upper.copy()
        lam = self.lifted.lambda_slice(0)
        upper[lam] = 0.0
        keep = (lam.start + np.arange(self.D)[:, None] * R + codes[:, None] * G
                + np.arange(G)).ravel()
        upper[keep] = 1.0
        return lp.col_lower.copy(), upper

    def face(self, X: np.ndarray, Y: np.ndarray) -> tuple[LinearProgram, np.ndarray]:
        """The face's LP with its fixed-to-zero columns dropped, and the kept columns.

        Dropping a column fixed at 0 changes neither the feasible set (projected on the
        other columns) nor any dual bound, so this LP and :meth:`face_bounds` on the full
        LP have the same optimum and certificates; it is just smaller for HiGHS.
        """
        _, upper = self.face_bounds(X, Y)
        keep = np.flatnonzero(upper > 0.0)
        lp = self.lifted.lp
        return LinearProgram(c=lp.c[keep], A=lp.A[:, keep], row_lower=lp.row_lower,
                             row_upper=lp.row_upper, col_lower=lp.col_lower[keep],
                             col_upper=lp.col_upper[keep], offset=lp.offset), keep

    def size_report(self) -> dict[str, Any]:
        """Built size next to Theorem C.1's stated ``O(2^p |V(G)| D)`` (see module)."""
        return self.sizes.to_dict()
