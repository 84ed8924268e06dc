"""Faces of the ERM polytope (Lemma 3.6) and their two solvers.

A face fixes ``λ_{d,v} = 0`` for every table row v whose (x, y) part is not the
discretized data point d; with the table layout (φ fastest) the free λ of bag d are one
contiguous block of ``|Φ_grid|`` columns. Its LP optimum v̂ gives φ̃ with
``ERM(φ̃) - ERM(φ*) ≤ 2ε`` (Main Theorem 3.1 (c)), and ``v̂ - ε ≤ ERM(φ*)``
(Lemma 3.4).

Solvers (``Face.solve(solver=...)``; add one by adding to ``SOLVERS``):

* ``"highs"`` — the face LP on the built polytope: one HiGHS session per polytope, bounds
  changed by difference between faces, warm re-solves; φ̃ decoded by the engine's decoder
  (:func:`lptrain.bo.decode`).
* ``"structured"`` — the face's structure (SPEC §4): the marginal rows force one common
  distribution μ over Φ_grid, so the face LP is ``min_{μ ∈ simplex} Σ_φ μ_φ C(φ)``, i.e.
  ``min_φ C(φ)`` with ``C(φ) = (1/D) Σ_d ℓ(f(x̃^d, φ), ỹ^d) + λR(φ)``: the §3.4 enumeration
  on the discretized data (:func:`lptrain.nn.grid_argmin`, parallel, in bounded memory),
  no polytope needed. Both give the same optimum.

Ties between optimal grid points are broken the same way by every solver
(:mod:`lptrain.erm.ties`): least true ERM, then least grid index.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lptrain._progress import progress as progress_bar
from lptrain._validation import check_choice
from lptrain.bo import decode
from lptrain.discretize import grid_levels, grid_points
from lptrain.erm.certificate import (
    FaceCertificate,
    check_face_table,
    highs_certificate,
    verify_structured,
)
from lptrain.erm.table import discretize_data, point_positions
from lptrain.erm.ties import break_ties, grid_minimum
from lptrain.errors import CertificateError, InvalidInputError, TimeLimitError, TooLargeError
from lptrain.nn.evaluate import empirical_risk
from lptrain.solver import LinearProgram, certify, write_mps

if TYPE_CHECKING:
    from lptrain.erm.polytope import ERMPolytope

__all__ = ["Face", "FaceSolution", "SOLVERS", "STRUCTURED_MAX_EVALUATIONS"]

#: Without a time limit, the structured solver refuses faces needing more loss evaluations
#: (|Φ_grid| · D) than this: about an hour of work at 10^8–10^9 evaluations per second.
STRUCTURED_MAX_EVALUATIONS = 10**12


@dataclass(frozen=True)
class FaceSolution:
    """A solved face: φ̃, the LP value v̂, the true ERM of φ̃ and what is guaranteed.

    ``lower_bound = v̂ - ε`` (Lemma 3.4) bounds ERM(φ*) from below a priori;
    ``guarantee = 2ε`` bounds ``ERM(φ̃) - ERM(φ*)``; ``upper_bound = v̂ + ε ≥ ERM(φ̃)``
    (checked). ``certificate`` says how v̂ was proven optimal for the face LP.
    """

    phi: np.ndarray
    phi_index: int
    lp_value: float
    erm: float
    epsilon: float
    lower_bound: float
    lower_bound_kind: str
    guarantee: float
    upper_bound: float
    certificate: FaceCertificate
    solver: str
    sizes: dict[str, Any]
    seconds: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"phi": [float(v) for v in self.phi], "phi_index": int(self.phi_index),
                "lp_value": self.lp_value, "erm": self.erm, "epsilon": self.epsilon,
                "lower_bound": self.lower_bound, "lower_bound_kind": self.lower_bound_kind,
                "guarantee": self.guarantee, "upper_bound": self.upper_bound,
                "certificate": self.certificate.to_dict(), "solver": self.solver,
                "sizes": dict(self.sizes), "seconds": dict(self.seconds),
                "info": dict(self.info)}


class Face:
    """The face of an :class:`ERMPolytope` for one data set (Lemma 3.6).

    Attributes: ``polytope``, ``X`` (D, n), ``Y`` (D, m) as given (checked),
    ``X_tilde``, ``Y_tilde`` (rounded down to the grid, §3.1).
    """

    def __init__(self, polytope: ERMPolytope, X: Any, Y: Any) -> None:
        self.polytope = polytope
        lv, both = discretize_data(polytope.network, X, Y, polytope.bits)
        n, D = polytope.network.n, polytope.samples
        if lv.shape[0] != D:
            raise InvalidInputError(
                f"X has {lv.shape[0]} rows but the polytope was built for samples={D} data "
                f"points (D); faces need exactly D rows: build or define a polytope with "
                f"samples={lv.shape[0]}")
        self.X, self.Y = both[:, :n], both[:, n:]
        grid = -1.0 + lv * (2.0 / polytope.levels)
        self.X_tilde = np.ascontiguousarray(grid[:, :n])
        self.Y_tilde = np.ascontiguousarray(grid[:, n:])
        self._levels = lv
        self._rows: np.ndarray | None = None
        if polytope.points.data_informed:
            self._rows = point_positions(polytope.points, lv, both)

    @property
    def point_rows(self) -> np.ndarray:
        """Index of each discretized data point among the table's data points (D,)."""
        if self._rows is None:
            self._rows = point_positions(self.polytope.points, self._levels,
                                         np.concatenate([self.X, self.Y], axis=1))
        return self._rows

    def free_columns(self) -> np.ndarray:
        """The λ columns left free by Lemma 3.6: bag d keeps the |Φ_grid| rows of its data
        point, columns ``d·|F| + p_d·G + j``."""
        poly = self.polytope
        G, R = poly.sizes.phi_grid, poly.sizes.table_rows
        start = np.arange(poly.samples, dtype=np.int64) * R + self.point_rows * G
        return (start[:, None] + np.arange(G, dtype=np.int64)).ravel()

    def lp(self) -> LinearProgram:
        """The face LP as the polytope's LP with the Lemma 3.6 fixings (materialized only)."""
        poly = self.polytope
        lp = poly._require_lifted("Face.lp")
        upper = lp.lp.col_upper.copy()
        upper[: int(lp.lambda_offsets[-1])] = 0.0
        upper[self.free_columns()] = 1.0
        return lp.lp.with_col_bounds(lp.lp.col_lower, upper)

    def write_mps(self, path: str | Path) -> Path:
        """Write the face LP (polytope with the Lemma 3.6 fixings) in free MPS."""
        return write_mps(self.lp(), path, name="ERMFACE")

    def solve(self, solver: str = "highs", *, time_limit: float | None = None,
              progress: bool | None = None, verify: Any = True,
              warm_start: bool = False, cluster: Any = None) -> FaceSolution:
        """Solve the face LP; return φ̃, v̂, ERM(φ̃), the a-priori guarantee and a checked
        dual certificate.

        ``solver``: "highs" (the materialized polytope), "structured" (enumerates the
        φ-grid in memory-bounded chunks) or "lazy" (column generation with certified
        branch-and-bound pricing: grids far too large to enumerate; docs/certify.md).
        ``verify``: True (full check while it is cheap, else sampled), False, ``"full"`` or
        ``"sample"``. ``warm_start`` (highs): start from the previous face's basis instead
        of presolving again (usually slower, see :meth:`ERMPolytope._highs`).
        ``cluster`` (lazy only): a Dask scheduler address or ``distributed.Client``.
        """
        name = check_choice("solver", solver, tuple(SOLVERS))
        extra: dict[str, Any] = {}
        if cluster is not None:
            if name != "lazy":
                raise InvalidInputError(
                    f"cluster is used by solver='lazy' only; got solver={name!r}")
            extra["cluster"] = cluster
        start = time.perf_counter()
        phi_index, value, cert, times, sizes, info = SOLVERS[name](
            self, time_limit=time_limit, progress=progress, verify=verify,
            warm_start=warm_start, **extra)
        if "ties" not in info:  # [users, issue 12.5] one tie rule for every solver (ties.py)
            tie = break_ties(self, phi_index, value)
            info = {**info, "ties": tie.to_dict(), "solver_phi_index": int(phi_index)}
            phi_index = tie.index
        return self._finish(name, phi_index, value, cert, times, sizes, info, start)

    def _finish(self, name: str, phi_index: int, value: float, cert: FaceCertificate,
                times: dict[str, float], sizes: dict[str, Any], info: dict[str, Any],
                start: float) -> FaceSolution:
        poly = self.polytope
        phi = grid_points(poly.network.N, poly.bits, phi_index, phi_index + 1)[0]
        erm = float(empirical_risk(poly.network, poly.loss, self.X, self.Y, phi[None, :],
                                   poly.regularizer, backend=poly.backend)[0])
        if poly.network.constraint is not None:
            info = {**info, "lower_bound_note": (
                "Φ has a user constraint: v̂ - ε bounds ERM(φ*) only if rounding φ* down "
                "to the grid stays inside Φ (Lemma 3.4)")}
        eps = poly.epsilon
        if not erm <= value + eps + 1e-9 * (1.0 + abs(value)):
            raise CertificateError(
                f"ERM(φ̃) = {erm!r} exceeds v̂ + ε = {value!r} + {eps!r}: the a-priori bound "
                "of Lemma 3.1 fails, a bug in the discretization or the Lipschitz constant")
        total = time.perf_counter() - start
        seconds = {"build": poly.build_seconds["total"], "solve": times["solve"],
                   "verify": times["verify"], "total": total}
        # Lemma 3.4: ERM(φ*) >= v̂ - ε; with a solver that stops early (lazy at its time
        # limit) only the certified bound on v̂ is known, so use the smaller of the two.
        face_lower = min(float(value), float(cert.dual_bound))
        return FaceSolution(
            phi=phi, phi_index=int(phi_index), lp_value=float(value), erm=erm, epsilon=eps,
            lower_bound=face_lower - eps, lower_bound_kind="a-priori",
            guarantee=2.0 * eps, upper_bound=float(value) + eps, certificate=cert,
            solver=name, sizes=sizes, seconds=seconds, info=info)


_Outcome = tuple[int, float, FaceCertificate, dict[str, float], dict[str, Any],
                 dict[str, Any]]


def _solve_highs(face: Face, *, time_limit: float | None, progress: bool | None,
                 verify: Any, warm_start: bool = False) -> _Outcome:
    poly = face.polytope
    lifted = poly._require_lifted("solver='highs'")
    free = face.free_columns()
    t0 = time.perf_counter()
    session = poly._highs(free, warm_start)
    session.set_time_limit(time_limit)
    sol = session.solve()
    solve_seconds = time.perf_counter() - t0
    decoded = decode(lifted.spec, [lifted.lambdas(sol.x, 0)])
    code = int(decoded.x[0])
    phi_index = code if poly.phi_index is None else int(poly.phi_index[code])
    t1 = time.perf_counter()
    cols = np.concatenate([free, np.arange(int(lifted.x_offsets[0]), lifted.lp.n_cols)])
    face_lp = LinearProgram(c=lifted.lp.c[cols], A=lifted.lp.A[:, cols],
                            row_lower=lifted.lp.row_lower, row_upper=lifted.lp.row_upper,
                            col_lower=np.zeros(cols.size), col_upper=np.ones(cols.size))
    cert = costs = None
    if verify is not False and verify is not None:
        cert = certify(face_lp, replace(sol, x=sol.x[cols], reduced_costs=sol.reduced_costs[cols]))
        costs = check_face_table(face)  # the LP's costs, recomputed: never trust the table
    fixed = np.ones(lifted.lp.n_cols, dtype=bool)
    fixed[cols] = False
    fixed_max = float(np.max(np.abs(sol.x[fixed]), initial=0.0))
    certificate = highs_certificate(cert, face_lp, fixed_max, decoded.objective, costs)
    if cert is not None and not certificate.verified:
        raise CertificateError(
            f"the HiGHS solution of the face LP failed its independent check: row residual "
            f"{cert.row_residual:.3g}, bound residual {cert.bound_residual:.3g}, fixed "
            f"columns up to {fixed_max:.3g}, decoded value {decoded.objective!r} against the "
            f"proven lower bound {cert.dual_bound!r} (gap {certificate.gap:.3g})")
    sizes = {"variables": lifted.lp.n_cols, "constraints": lifted.lp.n_rows,
             "nonzeros": lifted.lp.nnz, "face_free_lambda": int(free.size),
             "face_variables": face_lp.n_cols, "face_nonzeros": face_lp.nnz}
    info = {"iterations": sol.iterations, "highs_objective": sol.objective,
            "decoded_value": decoded.objective,
            "warm_start": bool(warm_start and poly._solves > 0), "session_solves": poly._solves}
    poly._solves += 1
    times = {"solve": solve_seconds, "verify": time.perf_counter() - t1}
    return phi_index, float(sol.objective), certificate, times, sizes, info


def _solve_structured(face: Face, *, time_limit: float | None, progress: bool | None,
                      verify: Any, warm_start: bool = False) -> _Outcome:
    poly = face.polytope
    total = poly.levels ** poly.network.N
    work = total * poly.samples
    if time_limit is None and work > STRUCTURED_MAX_EVALUATIONS:
        raise TooLargeError(
            f"the structured solver would evaluate {float(work):.3g} losses (|Φ_grid| = "
            f"{poly.levels}^{poly.network.N} grid points × D = {poly.samples}), more than "
            f"{float(STRUCTURED_MAX_EVALUATIONS):.0e} (hours of work): use solver 'lazy' "
            "(--solver lazy), fewer bits, or give a time limit (--time-limit S) to try anyway")
    t0 = time.perf_counter()
    with progress_bar(total, "minimizing C(φ)", enabled=progress, unit="φ") as bar:
        r = grid_minimum(face, _ticker(bar.update, t0, time_limit))  # [users] ties.py
    solve_seconds = time.perf_counter() - t0
    if r.index < 0 or not math.isfinite(r.value):
        raise InvalidInputError("no grid point of Φ satisfies the network's constraint")
    t1 = time.perf_counter()
    certificate = verify_structured(face, r.index, r.value, verify)
    if certificate.details and not (certificate.details["dual_feasible"]
                                    and certificate.details["attained"]):
        raise CertificateError(
            f"the structured solver's answer failed its independent check: "
            f"{certificate.method}; claimed optimum t = {r.value!r}, recomputed minimum "
            f"{certificate.details['min_recomputed']!r}, recomputed C(φ̃) = "
            f"{certificate.details['recomputed_at_phi']!r}")
    sizes = {"phi_grid": poly.sizes.phi_grid, "evaluated": r.evaluated,
             "evaluations": r.evaluated * poly.samples,
             "face_variables": poly.sizes.face_variables}
    info = {"phi_levels": grid_levels([r.index], poly.network.N, poly.bits)[0].tolist(),
            "ties": r.to_dict()}
    times = {"solve": solve_seconds, "verify": time.perf_counter() - t1}
    return r.index, r.value, certificate, times, sizes, info


def _ticker(update: Callable[[int], None], start: float, time_limit: float | None
            ) -> Callable[[int, int], None]:
    """Progress callback for grid_argmin that also enforces the time limit."""
    last = [0]

    def tick(done: int, total: int) -> None:
        update(done - last[0])
        last[0] = done
        elapsed = time.perf_counter() - start
        if time_limit is not None and elapsed > time_limit and done < total:
            raise TimeLimitError(
                f"the structured solver stopped at its time limit ({time_limit:g} s) after "
                f"{done} of {total} grid points; raise time_limit")
    return tick


def _solve_lazy(face: Face, **options: Any) -> _Outcome:
    """Column generation with branch-and-bound pricing (lptrain.certify.lazy): the face LP
    over grids far too large to enumerate; works on a defined (unmaterialized) polytope."""
    from lptrain.certify.lazy import face_solver_lazy

    return face_solver_lazy(face, **options)


#: Face solvers by name: each takes (face, *, time_limit, progress, verify, warm_start)
#: and returns (phi_index, value, FaceCertificate, times, sizes, info).
SOLVERS: dict[str, Callable[..., Any]] = {"highs": _solve_highs,
                                          "structured": _solve_structured,
                                          "lazy": _solve_lazy}
