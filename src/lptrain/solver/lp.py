"""The LP model type every builder in lptrain produces, and the solution type solvers return.

A :class:`LinearProgram` is the plain data of

.. math::

    \\min\\ (\\text{or}\\ \\max)\\quad c^\\top x + \\text{offset}
    \\quad\\text{s.t.}\\quad \\text{row\\_lower} \\le A x \\le \\text{row\\_upper},\\quad
    \\text{col\\_lower} \\le x \\le \\text{col\\_upper},

with ``A`` a SciPy CSC matrix. It is frozen and validated on construction, so anything
holding one can trust its shapes and that no entry is NaN. Infinite bounds are allowed
(``-inf`` lower, ``+inf`` upper). It can evaluate its objective and primal residuals
without any solver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from lptrain._validation import check_array, check_choice
from lptrain.errors import InvalidInputError

__all__ = ["LinearProgram", "LPStatus", "LPSolution"]


def _vector(name: str, value: Any, n: int, *, allow_inf: bool) -> np.ndarray:
    arr = check_array(name, value, ndim=1, finite=False, allow_empty=True)
    if arr.shape != (n,):
        raise InvalidInputError(f"{name} must have length {n}; got shape {arr.shape}")
    if np.isnan(arr).any():
        raise InvalidInputError(f"{name} contains NaN in entry {int(np.argmax(np.isnan(arr)))}")
    if not allow_inf and not np.isfinite(arr).all():
        bad = int(np.argmax(~np.isfinite(arr)))
        raise InvalidInputError(f"{name} contains inf in entry {bad}")
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


def _check_bounds(kind: str, lower: np.ndarray, upper: np.ndarray) -> None:
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"{kind}_lower[{i}] = {float(lower[i])!r} exceeds {kind}_upper[{i}] = "
            f"{float(upper[i])!r}"
        )
    for name, arr, wrong in ((f"{kind}_lower", lower, np.inf), (f"{kind}_upper", upper, -np.inf)):
        hit = np.flatnonzero(arr == wrong)
        if hit.size:
            raise InvalidInputError(f"{name}[{int(hit[0])}] is {wrong!r}; no point satisfies it")


@dataclass(frozen=True)
class LinearProgram:
    """A linear program ``min/max c^T x + offset`` over row and column bounds.

    Parameters
    ----------
    c : array of shape (n,)
        Objective coefficients (finite).
    A : sparse or dense matrix of shape (m, n)
        Constraint matrix; stored as ``scipy.sparse.csc_matrix`` with summed duplicates.
    row_lower, row_upper : arrays of shape (m,)
        Row activity bounds (``-inf`` / ``inf`` allowed).
    col_lower, col_upper : arrays of shape (n,)
        Variable bounds (``-inf`` / ``inf`` allowed).
    offset : float
        Constant added to the objective.
    sense : {"min", "max"}

    Examples
    --------
    >>> lp = LinearProgram(c=[1.0, 2.0], A=[[1.0, 1.0]], row_lower=[1.0], row_upper=[np.inf],
    ...                    col_lower=[0.0, 0.0], col_upper=[1.0, 1.0])
    >>> (lp.n_cols, lp.n_rows, lp.nnz)
    (2, 1, 2)
    >>> lp.objective([1.0, 0.0])
    1.0
    >>> lp.primal_residuals([0.25, 0.25])
    (0.5, 0.0)
    """

    c: np.ndarray
    A: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    offset: float = 0.0
    sense: str = "min"

    def __post_init__(self) -> None:
        A = self.A
        if not sp.issparse(A):
            A = sp.csc_matrix(check_array("A", A, ndim=2, allow_empty=True))
        A = sp.csc_matrix(A, dtype=np.float64)
        A.sum_duplicates()
        A.sort_indices()
        if A.nnz and not np.isfinite(A.data).all():
            k = int(np.argmax(~np.isfinite(A.data)))
            col = int(np.searchsorted(A.indptr, k, side="right") - 1)
            raise InvalidInputError(
                f"A contains a non-finite entry at row {int(A.indices[k])} (column {col})"
            )
        m, n = A.shape
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "c", _vector("c", self.c, n, allow_inf=False))
        for name, size in (("row_lower", m), ("row_upper", m), ("col_lower", n), ("col_upper", n)):
            object.__setattr__(self, name, _vector(name, getattr(self, name), size, allow_inf=True))
        _check_bounds("row", self.row_lower, self.row_upper)
        _check_bounds("col", self.col_lower, self.col_upper)
        if not np.isfinite(self.offset):
            raise InvalidInputError(f"offset must be finite; got {self.offset!r}")
        object.__setattr__(self, "offset", float(self.offset))
        check_choice("sense", self.sense, ["min", "max"])

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return int(self.A.shape[1])

    @property
    def n_rows(self) -> int:
        """Number of constraints (rows of ``A``)."""
        return int(self.A.shape[0])

    @property
    def nnz(self) -> int:
        """Number of stored nonzeros of ``A``."""
        return int(self.A.nnz)

    def _point(self, x: Any) -> np.ndarray:
        return check_array("x", x, shape=(self.n_cols,), allow_empty=True)

    def objective(self, x: Any) -> float:
        """``c^T x + offset`` in floating point."""
        return float(self.c @ self._point(x)) + self.offset

    def row_activity(self, x: Any) -> np.ndarray:
        """``A x``."""
        return np.asarray(self.A @ self._point(x), dtype=np.float64)

    def primal_residuals(self, x: Any) -> tuple[float, float]:
        """Largest violation of the row bounds and of the column bounds by ``x``.

        Returns ``(row_residual, bound_residual)``, both ``>= 0``; ``0.0`` means feasible.
        """
        x = self._point(x)
        ax = self.row_activity(x)
        rows = np.maximum(self.row_lower - ax, ax - self.row_upper)
        cols = np.maximum(self.col_lower - x, x - self.col_upper)
        row_res = float(np.max(rows, initial=0.0))
        col_res = float(np.max(cols, initial=0.0))
        return max(row_res, 0.0), max(col_res, 0.0)

    def with_col_bounds(self, col_lower: Any, col_upper: Any) -> LinearProgram:
        """A copy with new column bounds (the matrix and objective are shared)."""
        return replace(self, col_lower=col_lower, col_upper=col_upper)


class LPStatus(enum.Enum):
    """Outcome of an LP solve, in the library's own terms (not the solver's)."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time limit"
    ERROR = "error"


@dataclass(frozen=True)
class LPSolution:
    """What a solver returned for a :class:`LinearProgram`.

    Attributes
    ----------
    status : LPStatus
        Always ``OPTIMAL`` for a returned solution (other outcomes raise).
    x : array (n,)
        Primal values.
    row_duals : array (m,)
        Row dual values ``y`` with ``c - A^T y = reduced_costs`` (HiGHS convention).
    reduced_costs : array (n,)
        Column duals.
    objective : float
        Objective value reported by the solver (including the offset).
    seconds : float
        Wall time of the solve call.
    iterations : int
        Simplex plus interior-point iterations.
    """

    status: LPStatus
    x: np.ndarray
    row_duals: np.ndarray
    reduced_costs: np.ndarray
    objective: float
    seconds: float
    iterations: int
    info: dict[str, Any] = field(default_factory=dict)
