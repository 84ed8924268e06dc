"""Binary (and finite-domain) optimization problems given by value oracles (SPEC §2).

The problem (BO) of §2.3 of the paper::

    min  c^T x + sum_j w_j y_j
    s.t. f_i(x) >= 0        (i in [m])     -- add_constraint(support, fn)
         y_j = g_j(x)       (j in [p])     -- add_output(support, fn, weight)
         x in {0, 1}^n                      -- or x_i in {0, ..., K_i - 1}

Each oracle sees only its support: it receives an integer array of shape
``(k, len(support))`` holding ``k`` assignments of the support variables and returns one
value per row: a bool array (feasible or not) for a constraint, a float array for an
output. Oracles are only ever called on batches: :meth:`BinaryProblem.tabulate` calls each
one once on all ``K^|support|`` assignments of its support and checks what came back.

Variables may have ``K`` levels (finite-domain generalization; binary is ``K = 2``). A
``K``-level variable counts as ``ceil(log2 K)`` bits when sizes are stated in the paper's
binary terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._validation import check_array, check_float, check_int
from lptrain.errors import InfeasibleError, InvalidInputError, TooLargeError

__all__ = ["BinaryProblem", "ProblemTables", "assignments", "brute_force"]

Oracle = Callable[[np.ndarray], Any]

#: Largest number of assignments tabulated for one oracle or enumerated by brute force.
MAX_TABLE_ROWS = 1 << 22


def assignments(radices: Sequence[int] | np.ndarray) -> np.ndarray:
    """All assignments of variables with the given numbers of levels, in mixed-radix order
    (last variable fastest), as an int64 array of shape ``(prod(radices), len(radices))``.

    Row ``r`` is ``np.unravel_index(r, radices)``, so a row's index is its code.

    Examples
    --------
    >>> assignments([2, 3]).tolist()
    [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    """
    rad = np.asarray(radices, dtype=np.int64)
    total = int(np.prod(rad)) if rad.size else 1
    if total > MAX_TABLE_ROWS:
        raise TooLargeError(
            f"{total} assignments of {rad.size} variables exceed the limit {MAX_TABLE_ROWS}; "
            "use smaller supports or bags"
        )
    if rad.size == 0:
        return np.zeros((1, 0), dtype=np.int64)
    return np.stack(np.unravel_index(np.arange(total), tuple(rad.tolist())), axis=1)


@dataclass(frozen=True)
class _Term:
    kind: str  # "constraint" or "output"
    index: int
    support: tuple[int, ...]
    fn: Oracle
    weight: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.kind} {self.index} (support {self.support})"


@dataclass(frozen=True)
class ProblemTables:
    """Every oracle evaluated once on all assignments of its support.

    ``feasible[i][code]`` and ``values[j][code]`` are indexed by the mixed-radix code of
    the support assignment (see :func:`assignments`).
    """

    levels: np.ndarray
    constraint_supports: tuple[tuple[int, ...], ...]
    feasible: tuple[np.ndarray, ...]
    output_supports: tuple[tuple[int, ...], ...]
    values: tuple[np.ndarray, ...]
    weights: np.ndarray
    linear_cost: np.ndarray


class BinaryProblem:
    """A BO instance (§2.3): constraints and outputs as oracles with known supports.

    Parameters
    ----------
    n_vars : int
        Number of x variables.
    levels : int or sequence of int, default 2
        Levels per variable (2 = binary).

    Examples
    --------
    Max-cut on a triangle: three outputs ``x_u xor x_v`` with weight ``-1``.

    >>> bp = BinaryProblem(3)
    >>> for u, v in [(0, 1), (1, 2), (0, 2)]:
    ...     _ = bp.add_output((u, v), lambda z: (z[:, 0] != z[:, 1]).astype(float), weight=-1.0)
    >>> x, y, obj = brute_force(bp)
    >>> obj
    -2.0
    """

    def __init__(self, n_vars: int, levels: int | Sequence[int] | np.ndarray = 2) -> None:
        self.n_vars = check_int("n_vars", n_vars, 1)
        lv = np.asarray(levels)
        if lv.ndim == 0:
            lv = np.full(self.n_vars, lv)
        if lv.shape != (self.n_vars,) or lv.dtype.kind not in "iu" or (lv < 1).any():
            raise InvalidInputError(
                f"levels must be positive integers (one or {self.n_vars}); got {levels!r}"
            )
        self.levels = lv.astype(np.int64).copy()
        self.constraints: list[_Term] = []
        self.outputs: list[_Term] = []
        self.linear_cost = np.zeros(self.n_vars)

    def __repr__(self) -> str:
        return (
            f"BinaryProblem(n_vars={self.n_vars}, constraints={len(self.constraints)}, "
            f"outputs={len(self.outputs)})"
        )

    def _support(self, kind: str, index: int, support: Any) -> tuple[int, ...]:
        label = f"{kind} {index}"
        try:
            arr = np.asarray(support)
        except (TypeError, ValueError):  # pragma: no cover - odd objects
            arr = np.asarray([], dtype=np.int64)
        if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
            raise InvalidInputError(
                f"{label}: support must be a non-empty sequence of variable indices; "
                f"got {support!r}"
            )
        bad = arr[(arr < 0) | (arr >= self.n_vars)]
        if bad.size:
            raise InvalidInputError(
                f"{label}: support index {int(bad[0])} is out of range; variables are "
                f"0..{self.n_vars - 1} (n_vars={self.n_vars})"
            )
        if np.unique(arr).size != arr.size:
            values, counts = np.unique(arr, return_counts=True)
            dup = int(values[counts > 1][0])
            raise InvalidInputError(f"{label}: support lists variable {dup} more than once")
        return tuple(int(v) for v in arr)

    def add_constraint(self, support: Sequence[int], fn: Oracle) -> int:
        """Add ``f_i(x) >= 0``: ``fn`` maps ``(k, len(support))`` assignments to k bools.

        Returns the constraint's index.
        """
        index = len(self.constraints)
        sup = self._support("constraint", index, support)
        if not callable(fn):
            raise InvalidInputError(f"constraint {index}: fn must be callable; got {fn!r}")
        self.constraints.append(_Term("constraint", index, sup, fn))
        return index

    def add_output(self, support: Sequence[int], fn: Oracle, weight: float = 1.0) -> int:
        """Add ``y_j = g_j(x)`` with objective coefficient ``weight``; return its index."""
        index = len(self.outputs)
        sup = self._support("output", index, support)
        if not callable(fn):
            raise InvalidInputError(f"output {index}: fn must be callable; got {fn!r}")
        w = check_float(f"output {index}: weight", weight)
        self.outputs.append(_Term("output", index, sup, fn, w))
        return index

    def set_linear_cost(self, c: Any) -> None:
        """Set the objective's ``c^T x`` part (x at its level value 0..K-1)."""
        self.linear_cost = check_array("c", c, shape=(self.n_vars,)).copy()

    def tabulate(self) -> ProblemTables:
        """Call every oracle once on all assignments of its support; check the answers."""
        feasible = tuple(self._table(t) for t in self.constraints)
        values = tuple(self._table(t) for t in self.outputs)
        return ProblemTables(
            levels=self.levels,
            constraint_supports=tuple(t.support for t in self.constraints),
            feasible=feasible,
            output_supports=tuple(t.support for t in self.outputs),
            values=values,
            weights=np.array([t.weight for t in self.outputs], dtype=np.float64),
            linear_cost=self.linear_cost.copy(),
        )

    def _table(self, term: _Term) -> np.ndarray:
        rows = assignments(self.levels[list(term.support)])
        return _call_oracle(term, rows)

    def evaluate(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feasibility, outputs and objective of a batch of points ``X`` of shape (k, n).

        Calls each oracle once on the batch. Returns ``(feasible (k,), y (k, p),
        objective (k,))``.
        """
        X = check_array("X", X, ndim=2, dtype=np.int64, allow_empty=True)
        if X.shape[1] != self.n_vars:
            raise InvalidInputError(f"X has {X.shape[1]} columns but n_vars={self.n_vars}")
        if ((X < 0) | (X >= self.levels)).any():
            raise InvalidInputError("X has an entry outside the variable's levels 0..K-1")
        feasible = np.ones(X.shape[0], dtype=bool)
        for term in self.constraints:
            feasible &= _call_oracle(term, X[:, list(term.support)])
        y = np.zeros((X.shape[0], len(self.outputs)))
        for j, term in enumerate(self.outputs):
            y[:, j] = _call_oracle(term, X[:, list(term.support)])
        weights = np.array([t.weight for t in self.outputs], dtype=np.float64)
        return feasible, y, X @ self.linear_cost + y @ weights


def _call_oracle(term: _Term, rows: np.ndarray) -> np.ndarray:
    """Call an oracle on a batch and check shape, dtype and finiteness of its answer."""
    k = rows.shape[0]
    try:
        out = term.fn(rows.copy())
    except Exception as exc:
        raise InvalidInputError(f"{term.label}: oracle raised {type(exc).__name__}: {exc}") from exc
    arr = np.asarray(out)
    if arr.shape != (k,):
        raise InvalidInputError(
            f"{term.label}: oracle returned shape {arr.shape} for a batch of {k} assignments; "
            f"expected ({k},), one value per row"
        )
    if term.kind == "constraint":
        if arr.dtype != np.bool_:
            raise InvalidInputError(
                f"{term.label}: oracle returned dtype {arr.dtype}; expected bool (True = feasible)"
            )
        return arr.copy()
    if arr.dtype.kind not in "iuf":
        raise InvalidInputError(
            f"{term.label}: oracle returned dtype {arr.dtype}; expected a real number per row"
        )
    vals = arr.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(vals))
    if bad.size:
        what = "NaN" if np.isnan(vals[bad[0]]) else "inf"
        raise InvalidInputError(
            f"{term.label}: oracle returned {what} for assignment {rows[bad[0]].tolist()}"
        )
    return vals


def brute_force(
    problem: BinaryProblem, chunk: int = 1 << 16
) -> tuple[np.ndarray, np.ndarray, float]:
    """Exhaustive enumeration: an optimal ``(x, y, objective)`` or InfeasibleError.

    The oracle of last resort in tests; refuses more than ``MAX_TABLE_ROWS`` points. Ties
    are broken by the smallest code (mixed-radix order).

    Examples
    --------
    >>> bp = BinaryProblem(2)
    >>> _ = bp.add_constraint((0, 1), lambda z: z.sum(axis=1) <= 1)
    >>> bp.set_linear_cost([-1.0, -2.0])
    >>> x, y, obj = brute_force(bp)
    >>> (x.tolist(), obj)
    ([0, 1], -2.0)
    """
    total = int(np.prod(problem.levels))
    if total > MAX_TABLE_ROWS:
        raise TooLargeError(f"brute force over {total} points exceeds {MAX_TABLE_ROWS}")
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for start in range(0, total, chunk):
        codes = np.arange(start, min(start + chunk, total))
        X = np.stack(np.unravel_index(codes, tuple(problem.levels.tolist())), axis=1)
        feasible, y, objective = problem.evaluate(X)
        if not feasible.any():
            continue
        k = int(np.flatnonzero(feasible)[np.argmin(objective[feasible])])
        if best is None or objective[k] < best[0]:
            best = (float(objective[k]), X[k], y[k])
    if best is None:
        raise InfeasibleError("the BO problem is infeasible: no point satisfies all constraints")
    return best[1], best[2], best[0]
