"""The one door to HiGHS: the only module in lptrain that imports ``highspy``.

It passes a :class:`~lptrain.solver.lp.LinearProgram` to HiGHS in one ``passModel`` call,
maps every HiGHS model status to :class:`~lptrain.solver.lp.LPStatus`, and raises the
library's own errors for every outcome other than an optimum: :class:`InfeasibleLPError`
(an :class:`~lptrain.errors.InfeasibleError` carrying HiGHS's Farkas ray, checked by
:func:`~lptrain.solver.certificate.verify_farkas`), :class:`~lptrain.errors.UnboundedError`,
:class:`~lptrain.errors.TimeLimitError` and :class:`~lptrain.errors.SolverError`.
Nothing outside this module sees a HiGHS object. HiGHS output is always silenced.
:func:`solve_mip` is the door to HiGHS's MIP solver (used by the binarized-network
comparison of Appendix C).

:class:`HighsSession` is *build once, solve many*: the model is passed once, column bounds
are changed in place (vectorized ``changeColsBounds``) and each re-solve starts warm from
the previous basis.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from lptrain._validation import check_array, check_float
from lptrain.errors import (
    InfeasibleError,
    InvalidInputError,
    SolverError,
    TimeLimitError,
    UnboundedError,
)
from lptrain.solver.lp import LinearProgram, LPSolution, LPStatus

__all__ = ["CuttingPlaneLP", "HighsSession", "InfeasibleLPError", "MIPSolution", "solve_lp",
           "solve_mip"]

_STATUS = highspy.HighsModelStatus
_banner_silenced = False


class InfeasibleLPError(InfeasibleError):
    """The LP is infeasible. ``farkas_ray`` holds HiGHS's dual ray (row multipliers) or
    ``None``; ``farkas_verified`` says whether :func:`verify_farkas` accepted it."""

    def __init__(self, message: str, farkas_ray: np.ndarray | None, verified: bool) -> None:
        super().__init__(message)
        self.farkas_ray = farkas_ray
        self.farkas_verified = verified


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (HiGHS prints its banner from C++)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no real stdout
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _new_highs() -> highspy.Highs:
    global _banner_silenced
    if _banner_silenced:
        h = highspy.Highs()
    else:
        with _quiet_stdout():
            h = highspy.Highs()
        _banner_silenced = True
    h.setOptionValue("output_flag", False)
    return h


def _set_option(h: highspy.Highs, name: str, value: Any) -> None:
    status = h.setOptionValue(name, value)
    if status != highspy.HighsStatus.kOk:
        raise InvalidInputError(f"HiGHS rejected option {name}={value!r} (status {status.name})")


def _to_highs(lp: LinearProgram) -> highspy.HighsLp:
    model = highspy.HighsLp()
    model.num_col_ = lp.n_cols
    model.num_row_ = lp.n_rows
    sign = 1.0 if lp.sense == "min" else -1.0
    # HiGHS minimizes what we pass; a max problem is passed negated and mapped back.
    model.col_cost_ = sign * lp.c
    model.offset_ = sign * lp.offset
    model.col_lower_ = lp.col_lower
    model.col_upper_ = lp.col_upper
    model.row_lower_ = lp.row_lower
    model.row_upper_ = lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = lp.A.indptr.astype(np.int32)
    model.a_matrix_.index_ = lp.A.indices.astype(np.int32)
    model.a_matrix_.value_ = lp.A.data
    return model


class HighsSession:
    """One HiGHS instance holding one LP: solve, change column bounds, re-solve warm.

    Parameters
    ----------
    lp : LinearProgram
    time_limit : float, optional
        Seconds per solve; exceeding it raises :class:`~lptrain.errors.TimeLimitError`.
    options : mapping, optional
        Extra HiGHS options (name -> value); a rejected option raises InvalidInputError.
    presolve : bool

    Examples
    --------
    >>> lp = LinearProgram(c=[1.0, 2.0], A=[[1.0, 1.0]], row_lower=[1.0], row_upper=[np.inf],
    ...                    col_lower=[0.0, 0.0], col_upper=[1.0, 1.0])
    >>> with HighsSession(lp) as session:
    ...     first = session.solve().objective
    ...     session.set_col_bounds([0], [0.0], [0.0])
    ...     second = session.solve().objective
    >>> (first, second)
    (1.0, 2.0)
    """

    def __init__(
        self,
        lp: LinearProgram,
        *,
        time_limit: float | None = None,
        options: Mapping[str, Any] | None = None,
        presolve: bool = True,
    ) -> None:
        self._lp = lp
        self._lower = lp.col_lower.copy()
        self._upper = lp.col_upper.copy()
        self._presolve = bool(presolve)
        self._h: Any = _new_highs()
        if time_limit is not None:
            _set_option(self._h, "time_limit", check_float("time_limit", time_limit, 0.0))
        _set_option(self._h, "presolve", "on" if presolve else "off")
        for name, value in (options or {}).items():
            _set_option(self._h, name, value)
        status = self._h.passModel(_to_highs(lp))
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model in passModel")

    def __enter__(self) -> HighsSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HiGHS instance."""
        self._h.clear()

    @property
    def lp(self) -> LinearProgram:
        """The LP as it stands now (with the current column bounds)."""
        if np.array_equal(self._lower, self._lp.col_lower) and np.array_equal(
            self._upper, self._lp.col_upper
        ):
            return self._lp
        return self._lp.with_col_bounds(self._lower, self._upper)

    def clear_basis(self) -> None:
        """Forget the basis and solution: the next :meth:`solve` starts cold (with presolve
        when it is on) instead of warm from the previous basis."""
        self._h.clearSolver()

    def set_time_limit(self, seconds: float | None) -> None:
        """Seconds allowed to each later :meth:`solve` (``None``: no limit)."""
        limit = float("inf") if seconds is None else check_float("time_limit", seconds, 0.0)
        _set_option(self._h, "time_limit", limit)

    def set_col_bounds(self, indices: Any, lower: Any, upper: Any) -> None:
        """Change the bounds of columns ``indices`` (vectorized; one HiGHS call)."""
        idx = check_array("indices", indices, ndim=1, dtype=np.int64, allow_empty=True)
        lo = np.broadcast_to(check_array("lower", lower, finite=False, allow_empty=True), idx.shape)
        up = np.broadcast_to(check_array("upper", upper, finite=False, allow_empty=True), idx.shape)
        if idx.size and (idx.min() < 0 or idx.max() >= self._lp.n_cols):
            raise InvalidInputError(
                f"indices must lie in [0, {self._lp.n_cols}); got values from "
                f"{int(idx.min())} to {int(idx.max())}"
            )
        if np.isnan(lo).any() or np.isnan(up).any() or (lo > up).any():
            raise InvalidInputError(
                "lower/upper contain NaN or a lower bound above its upper bound"
            )
        self._lower[idx] = lo
        self._upper[idx] = up
        status = self._h.changeColsBounds(
            int(idx.size), idx.astype(np.int32), lo.astype(np.float64), up.astype(np.float64)
        )
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected changeColsBounds")

    def solve(self) -> LPSolution:
        """Solve (warm after a bound change); raise unless the LP has an optimum."""
        start = time.perf_counter()
        self._h.run()
        status = self._h.getModelStatus()
        if status == _STATUS.kUnboundedOrInfeasible and self._presolve:
            status = self._rerun_without_presolve()
        seconds = time.perf_counter() - start
        if status in (_STATUS.kOptimal, _STATUS.kModelEmpty):
            return self._solution(seconds)
        if status == _STATUS.kInfeasible:
            raise self._infeasible()
        if status == _STATUS.kUnbounded:
            raise UnboundedError("the LP is unbounded (HiGHS: unbounded)")
        if status == _STATUS.kTimeLimit:
            raise TimeLimitError(
                f"HiGHS stopped at its time limit after {seconds:.3g} s before proving "
                "optimality; raise time_limit"
            )
        raise SolverError(f"HiGHS ended with status '{self._h.modelStatusToString(status)}'")

    def _rerun_without_presolve(self) -> Any:
        self._h.setOptionValue("presolve", "off")
        self._h.clearSolver()
        self._h.run()
        self._h.setOptionValue("presolve", "on")
        return self._h.getModelStatus()

    def _infeasible(self) -> InfeasibleLPError:
        # Imported here: certificate depends on lp only, but keep import cycles impossible.
        from lptrain.solver.certificate import verify_farkas

        _, has_ray, ray = self._h.getDualRay()
        if not has_ray and self._presolve:
            self._rerun_without_presolve()
            _, has_ray, ray = self._h.getDualRay()
        if not has_ray:
            return InfeasibleLPError("the LP is infeasible (HiGHS; no Farkas ray)", None, False)
        arr = np.asarray(ray, dtype=np.float64).copy()
        ok = verify_farkas(self.lp, arr)
        note = "verified independently" if ok else "NOT verified independently"
        return InfeasibleLPError(f"the LP is infeasible (HiGHS; Farkas ray {note})", arr, ok)

    def _solution(self, seconds: float) -> LPSolution:
        lp = self._lp
        info = self._h.getInfo()
        if lp.n_cols == 0:
            x = np.zeros(0)
            duals = np.zeros(lp.n_rows)
            red = np.zeros(0)
        else:
            sol = self._h.getSolution()
            x = np.asarray(sol.col_value, dtype=np.float64).copy()
            duals = np.asarray(sol.row_dual, dtype=np.float64).copy()
            red = np.asarray(sol.col_dual, dtype=np.float64).copy()
        sign = 1.0 if lp.sense == "min" else -1.0
        objective = float(lp.c @ x) + lp.offset if lp.n_cols else lp.offset
        iterations = int(max(info.simplex_iteration_count, 0) + max(info.ipm_iteration_count, 0))
        return LPSolution(
            status=LPStatus.OPTIMAL,
            x=x,
            row_duals=sign * duals,
            reduced_costs=sign * red,
            objective=objective,
            seconds=seconds,
            iterations=iterations,
            info={"highs_objective": sign * float(info.objective_function_value)},
        )


class CuttingPlaneLP:
    """An LP whose rows arrive over time (Kelley's cutting-plane method): optimize
    ``cost · x`` over column bounds and the rows added so far; every re-solve starts warm
    from the last basis. Dense rows, no presolve; ``scale=False`` turns HiGHS's simplex
    scaling off (the unit-hull master, whose columns and rows are already of one scale,
    re-solves in about two thirds of the time without it: ``benchmarks/bench_master_lp.py``).

    Examples
    --------
    >>> lp = CuttingPlaneLP([1.0, 2.0], [0.0, 0.0], [1.0, 1.0], sense="max")
    >>> lp.solve()[1]
    3.0
    >>> lp.add_rows([[1.0, 1.0]], [-np.inf], [1.5])
    >>> x, value = lp.solve()
    >>> (x.tolist(), value)
    ([0.5, 1.0], 2.5)
    """

    def __init__(self, cost: Any, lower: Any, upper: Any, *, sense: str = "min",
                 scale: bool = True) -> None:
        c = check_array("cost", cost, ndim=1)
        lo = check_array("lower", lower, ndim=1, finite=False)
        up = check_array("upper", upper, ndim=1, finite=False)
        if sense not in ("min", "max"):
            raise InvalidInputError(f"sense must be 'min' or 'max'; got {sense!r}")
        if lo.shape != c.shape or up.shape != c.shape:
            raise InvalidInputError(
                f"cost, lower and upper must have one length; got {c.size}, {lo.size}, "
                f"{up.size}")
        self.n = int(c.size)
        self._sign = 1.0 if sense == "min" else -1.0
        self._h: Any = _new_highs()
        _set_option(self._h, "presolve", "off")
        if not scale:
            _set_option(self._h, "simplex_scale_strategy", 0)
        self._h.addVars(self.n, lo.astype(np.float64), up.astype(np.float64))
        self._h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32),
                               (self._sign * c).astype(np.float64))
        self.n_rows = 0

    def add_rows(self, A: Any, lower: Any, upper: Any) -> None:
        """Append the rows ``lower <= A x <= upper`` (A dense, shape (k, n))."""
        M = np.atleast_2d(np.asarray(A, dtype=np.float64))
        if M.ndim != 2 or M.shape[1] != self.n:
            raise InvalidInputError(f"A must have shape (k, {self.n}); got {M.shape}")
        k = M.shape[0]
        lo = np.broadcast_to(np.asarray(lower, dtype=np.float64), (k,))
        up = np.broadcast_to(np.asarray(upper, dtype=np.float64), (k,))
        rows, cols = np.nonzero(M)
        starts = np.searchsorted(rows, np.arange(k)).astype(np.int32)
        status = self._h.addRows(k, lo.copy(), up.copy(), int(rows.size), starts,
                                 cols.astype(np.int32), M[rows, cols])
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected addRows")
        self.n_rows += k

    def solve(self) -> tuple[np.ndarray, float]:
        """``(x, objective)`` at the optimum; SolverError for any other outcome."""
        self._h.run()
        status = self._h.getModelStatus()
        if status != _STATUS.kOptimal:
            raise SolverError(
                f"HiGHS ended with status '{self._h.modelStatusToString(status)}'")
        sol = self._h.getSolution()
        x = np.asarray(sol.col_value, dtype=np.float64).copy()
        #: the duals of the last solve (rows, then columns' bounds), as HiGHS reports them
        self.row_duals = np.asarray(sol.row_dual, dtype=np.float64).copy()
        self.col_duals = np.asarray(sol.col_dual, dtype=np.float64).copy()
        return x, self._sign * float(self._h.getInfo().objective_function_value)

    def close(self) -> None:
        """Release the HiGHS instance."""
        self._h.clear()


def solve_lp(
    lp: LinearProgram,
    *,
    time_limit: float | None = None,
    options: Mapping[str, Any] | None = None,
    presolve: bool = True,
) -> LPSolution:
    """Solve ``lp`` with HiGHS and return its optimal solution, or raise.

    Raises
    ------
    InfeasibleLPError
        (an InfeasibleError) with the Farkas ray when HiGHS provides one.
    UnboundedError, TimeLimitError, SolverError

    Examples
    --------
    >>> lp = LinearProgram(c=[1.0, 1.0], A=[[1.0, 2.0]], row_lower=[2.0], row_upper=[2.0],
    ...                    col_lower=[0.0, 0.0], col_upper=[np.inf, np.inf])
    >>> sol = solve_lp(lp)
    >>> (sol.status.value, sol.objective, sol.x.tolist())
    ('optimal', 1.0, [0.0, 1.0])
    """
    with HighsSession(lp, time_limit=time_limit, options=options, presolve=presolve) as session:
        return session.solve()


@dataclass(frozen=True)
class MIPSolution:
    """What HiGHS's MIP solver returned: an optimal integral point and its proof data.

    Attributes
    ----------
    x : array (n,)
        The incumbent (integer columns within HiGHS's feasibility tolerance; round them).
    objective : float
        ``c^T x + offset`` recomputed from ``x``.
    dual_bound : float
        HiGHS's proven bound on the optimum (lower for min); not independently checked.
    gap : float
        HiGHS's relative MIP gap at termination.
    nodes : int
        Branch-and-bound nodes.
    seconds : float
        Wall time of the solve call.
    """

    status: LPStatus
    x: np.ndarray
    objective: float
    dual_bound: float
    gap: float
    nodes: int
    seconds: float


def solve_mip(
    lp: LinearProgram,
    integrality: Any,
    *,
    time_limit: float | None = None,
    options: Mapping[str, Any] | None = None,
) -> MIPSolution:
    """Solve ``lp`` with the columns flagged in ``integrality`` integer (HiGHS MIP).

    Parameters
    ----------
    lp : LinearProgram
    integrality : bool array (n,)
        True for an integer column.
    time_limit : float, optional
        Seconds; stopping there raises :class:`~lptrain.errors.TimeLimitError`.
    options : mapping, optional
        Extra HiGHS options (e.g. ``{"mip_rel_gap": 0.0}``).

    Raises
    ------
    InfeasibleError, UnboundedError, TimeLimitError, SolverError

    Examples
    --------
    >>> lp = LinearProgram(c=[-1.0, -1.0], A=[[2.0, 2.0]], row_lower=[-np.inf],
    ...                    row_upper=[3.0], col_lower=[0.0, 0.0], col_upper=[1.0, 1.0])
    >>> sol = solve_mip(lp, [True, True])
    >>> (sol.objective, sorted(sol.x.round().tolist()))
    (-1.0, [0.0, 1.0])
    """
    flags = np.asarray(integrality)
    if flags.shape != (lp.n_cols,) or flags.dtype != np.bool_:
        raise InvalidInputError(
            f"integrality must be a bool array of length {lp.n_cols} (one flag per column); "
            f"got shape {flags.shape} and dtype {flags.dtype}"
        )
    h: Any = _new_highs()
    try:
        if time_limit is not None:
            _set_option(h, "time_limit", check_float("time_limit", time_limit, 0.0))
        _set_option(h, "mip_rel_gap", 0.0)
        for name, value in (options or {}).items():
            _set_option(h, name, value)
        model = _to_highs(lp)
        var = highspy.HighsVarType
        model.integrality_ = [var.kInteger if f else var.kContinuous for f in flags.tolist()]
        if h.passModel(model) == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the MIP model in passModel")
        start = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - start
        status = h.getModelStatus()
        if status == _STATUS.kInfeasible:
            raise InfeasibleError("the MIP is infeasible (HiGHS)")
        if status in (_STATUS.kUnbounded, _STATUS.kUnboundedOrInfeasible):
            raise UnboundedError("the MIP is unbounded or infeasible (HiGHS)")
        if status == _STATUS.kTimeLimit:
            raise TimeLimitError(
                f"HiGHS MIP stopped at its time limit after {seconds:.3g} s before proving "
                "optimality; raise time_limit"
            )
        if status != _STATUS.kOptimal:
            raise SolverError(f"HiGHS MIP ended with status '{h.modelStatusToString(status)}'")
        x = np.asarray(h.getSolution().col_value, dtype=np.float64).copy()
        info = h.getInfo()
        sign = 1.0 if lp.sense == "min" else -1.0
        return MIPSolution(
            status=LPStatus.OPTIMAL,
            x=x,
            objective=float(lp.c @ x) + lp.offset,
            dual_bound=sign * float(info.mip_dual_bound),
            gap=float(info.mip_gap),
            nodes=int(info.mip_node_count),
            seconds=seconds,
        )
    finally:
        h.clear()
