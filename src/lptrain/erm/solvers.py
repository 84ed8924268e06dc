"""Face solvers: the :class:`FaceSolver` protocol, its outcome type and the HiGHS and
structured solvers (the lazy one is in :mod:`lptrain.erm.lazy`).

A face solver finds the optimum v̂ of the face LP of Lemma 3.6 and a grid point φ̃
attaining it, with a checked certificate; :meth:`lptrain.erm.Face.solve` then applies the
common tie rule (:mod:`lptrain.erm.ties`) and the a-priori bounds of Lemma 3.4.

* :class:`HighsFaceSolver` (``"highs"``) — the face LP on the built polytope: it owns **one**
  HiGHS session per polytope (the model is passed once), bounds changed by difference
  between faces, warm re-solves; φ̃ decoded by the engine's decoder (:func:`lptrain.bo.decode`).
* :class:`StructuredFaceSolver` (``"structured"``) — the face's structure (SPEC §4): the
  marginal rows force one common distribution μ over Φ_grid, so the face LP is
  ``min_{μ ∈ simplex} Σ_φ μ_φ C(φ)``, i.e. ``min_φ C(φ)`` with
  ``C(φ) = (1/D) Σ_d ℓ(f(x̃^d, φ), ỹ^d) + λR(φ)``: the §3.4 enumeration on the discretized
  data, no polytope needed. Both give the same optimum.

``SOLVERS`` maps a name to a factory (a class) of solvers; each polytope makes its own
solver on first use (:meth:`lptrain.erm.ERMPolytope.face_solver`), so per-polytope state
such as the HiGHS session lives in the solver. Add a solver by adding to ``SOLVERS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from lptrain._progress import progress as progress_bar
from lptrain.bo import decode
from lptrain.discretize import grid_levels
from lptrain.erm.certificate import (
    FaceCertificate,
    check_face_table,
    highs_certificate,
    verify_structured,
)
from lptrain.erm.ties import grid_minimum
from lptrain.errors import CertificateError, InvalidInputError, TimeLimitError, TooLargeError
from lptrain.solver import HighsSession, LinearProgram, certify

if TYPE_CHECKING:
    from lptrain.erm.face import Face

__all__ = ["FaceOutcome", "FaceSolver", "HighsFaceSolver", "StructuredFaceSolver",
           "STRUCTURED_MAX_EVALUATIONS"]

#: Without a time limit, the structured solver refuses faces needing more loss evaluations
#: (|Φ_grid| · D) than this: about an hour of work at 10^8–10^9 evaluations per second.
STRUCTURED_MAX_EVALUATIONS = 10**12


@dataclass(frozen=True)
class FaceOutcome:
    """What a face solver returns: the face LP value v̂, the grid point attaining it, how
    that was proven, and what it cost.

    Attributes
    ----------
    phi_index : int
        The parameters: mixed-radix index of the solver's optimal grid point φ̃ (before
        :meth:`Face.solve` applies the common tie rule).
    value : float
        The face LP value v̂ (Lemma 3.6).
    certificate : FaceCertificate
        The checked proof that ``value`` is optimal for the face LP (or a bound on it).
    seconds : dict
        ``{"solve": ..., "verify": ...}`` wall times.
    sizes : dict
        Solver-specific sizes (variables, grid points, columns, ...).
    info : dict
        Solver-specific details, JSON-able (iterations, status, history, ties, ...).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> from lptrain.erm import ERMPolytope
    >>> face = ERMPolytope.define(dense([1, 1]), "abs", samples=2, bits=2).face(
    ...     [[0.5], [-0.5]], [[0.25], [0.0]])
    >>> out = StructuredFaceSolver().solve(face, time_limit=None, progress=False,
    ...                                    verify=True)
    >>> out.value == face.solve("structured").lp_value, sorted(out.seconds)
    (True, ['solve', 'verify'])
    """

    phi_index: int
    value: float
    certificate: FaceCertificate
    seconds: dict[str, float]
    sizes: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class FaceSolver(Protocol):
    """A face LP solver (Lemma 3.6), made per polytope by a factory in ``SOLVERS``.

    ``solve(face, *, time_limit, progress, verify, warm_start=False, **options)`` returns
    a :class:`FaceOutcome`; ``close()`` releases what the solver holds (a later solve starts
    afresh).
    """

    def solve(self, face: Face, *, time_limit: float | None, progress: bool | None,
              verify: Any, warm_start: bool = False, **options: Any) -> FaceOutcome:
        """Solve the face LP of ``face``."""

    def close(self) -> None:
        """Release held resources (sessions, caches)."""


class HighsFaceSolver:
    """The face LP on the materialized polytope, on one HiGHS session owned by this solver.

    The model is passed to HiGHS once; a new face changes the bounds of the previous face's
    free columns and of its own, by difference. With ``warm_start`` the re-solve starts from
    the previous face's basis; otherwise the basis is cleared so that presolve first
    removes the fixed columns, which is faster here: the previous face's basic λ are all
    fixed at 0 in the next face, so the warm dual simplex needs thousands of pivots over
    every column (``benchmarks/bench_polytope.py`` measures both).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> from lptrain.erm import ERMPolytope
    >>> poly = ERMPolytope.build(dense([1, 1]), "abs", samples=2, bits=2, backend="numpy")
    >>> sol = poly.face([[0.5], [-0.5]], [[0.25], [0.0]]).solve("highs")
    >>> solver = poly.face_solver("highs")
    >>> solver.session is not None, solver.solves
    (True, 1)
    >>> poly.close(); solver.session is None
    True
    """

    def __init__(self) -> None:
        self.session: HighsSession | None = None
        self.solves = 0
        self._free: np.ndarray | None = None

    def _session_for(self, face: Face, free: np.ndarray, warm_start: bool) -> HighsSession:
        lifted = face.polytope._require_lifted("solver='highs'")
        if self.session is None:
            self.session = HighsSession(lifted.lp)
            n_lam = int(lifted.lambda_offsets[-1])
            self.session.set_col_bounds(np.arange(n_lam), 0.0, 0.0)
        elif self._free is not None:
            self.session.set_col_bounds(self._free, 0.0, 0.0)
        self.session.set_col_bounds(free, 0.0, 1.0)
        self._free = free
        if not warm_start:
            self.session.clear_basis()
        return self.session

    def close(self) -> None:
        """Release the HiGHS session (a later solve starts a new one)."""
        if self.session is not None:
            self.session.close()
        self.session, self._free, self.solves = None, None, 0

    def solve(self, face: Face, *, time_limit: float | None, progress: bool | None,
              verify: Any, warm_start: bool = False, **options: Any) -> FaceOutcome:
        """Solve the face LP with HiGHS; check the dual certificate and the table's costs."""
        poly = face.polytope
        lifted = poly._require_lifted("solver='highs'")
        free = face.free_columns()
        t0 = time.perf_counter()
        session = self._session_for(face, free, warm_start)
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
            cert = certify(face_lp, replace(sol, x=sol.x[cols],
                                            reduced_costs=sol.reduced_costs[cols]))
            costs = check_face_table(face)  # the LP's costs, recomputed: never trust the table
        fixed = np.ones(lifted.lp.n_cols, dtype=bool)
        fixed[cols] = False
        fixed_max = float(np.max(np.abs(sol.x[fixed]), initial=0.0))
        certificate = highs_certificate(cert, face_lp, fixed_max, decoded.objective, costs)
        if cert is not None and not certificate.verified:
            raise CertificateError(
                f"the HiGHS solution of the face LP failed its independent check: row residual "
                f"{cert.row_residual:.3g}, bound residual {cert.bound_residual:.3g}, fixed "
                f"columns up to {fixed_max:.3g}, decoded value {decoded.objective!r} against "
                f"the proven lower bound {cert.dual_bound!r} (gap {certificate.gap:.3g})")
        sizes = {"variables": lifted.lp.n_cols, "constraints": lifted.lp.n_rows,
                 "nonzeros": lifted.lp.nnz, "face_free_lambda": int(free.size),
                 "face_variables": face_lp.n_cols, "face_nonzeros": face_lp.nnz}
        info = {"iterations": sol.iterations, "highs_objective": sol.objective,
                "decoded_value": decoded.objective,
                "warm_start": bool(warm_start and self.solves > 0),
                "session_solves": self.solves}
        self.solves += 1
        return FaceOutcome(phi_index=phi_index, value=float(sol.objective),
                           certificate=certificate, sizes=sizes, info=info,
                           seconds={"solve": solve_seconds,
                                    "verify": time.perf_counter() - t1})


class StructuredFaceSolver:
    """``min_φ C(φ)`` by the §3.4 enumeration of the φ-grid (SPEC §4), in bounded memory;
    works on a defined (unmaterialized) polytope. Holds nothing between faces."""

    def close(self) -> None:
        """Nothing to release."""

    def solve(self, face: Face, *, time_limit: float | None, progress: bool | None,
              verify: Any, warm_start: bool = False, **options: Any) -> FaceOutcome:
        """Enumerate the φ-grid (with the common tie rule) and verify the minimum."""
        poly = face.polytope
        total = poly.levels ** poly.network.N
        work = total * poly.samples
        if time_limit is None and work > STRUCTURED_MAX_EVALUATIONS:
            raise TooLargeError(
                f"the structured solver would evaluate {float(work):.3g} losses (|Φ_grid| = "
                f"{poly.levels}^{poly.network.N} grid points × D = {poly.samples}), more than "
                f"{float(STRUCTURED_MAX_EVALUATIONS):.0e} (hours of work): use solver 'lazy' "
                "(--solver lazy), fewer bits, or give a time limit (--time-limit S) to try "
                "anyway")
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
        return FaceOutcome(phi_index=r.index, value=r.value, certificate=certificate,
                           sizes=sizes, info=info,
                           seconds={"solve": solve_seconds,
                                    "verify": time.perf_counter() - t1})


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
