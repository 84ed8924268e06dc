"""Faces of the ERM polytope (Lemma 3.6) and how they are solved.

A face fixes ``λ_{d,v} = 0`` for every table row v whose (x, y) part is not the
discretized data point d; with the table layout (φ fastest) the free λ of bag d are one
contiguous block of ``|Φ_grid|`` columns. Its LP optimum v̂ gives φ̃ with
``ERM(φ̃) - ERM(φ*) ≤ 2ε`` (Main Theorem 3.1 (c)), and ``v̂ - ε ≤ ERM(φ*)``
(Lemma 3.4).

Solvers (``Face.solve(solver=...)``; add one by adding a factory to ``SOLVERS``), each a
:class:`~lptrain.erm.solvers.FaceSolver` returning a
:class:`~lptrain.erm.solvers.FaceOutcome`:

* ``"highs"`` — :class:`~lptrain.erm.solvers.HighsFaceSolver`: the face LP on the built
  polytope, on one HiGHS session (owned by the polytope's HiGHS solver), warm re-solves.
* ``"structured"`` — :class:`~lptrain.erm.solvers.StructuredFaceSolver`: ``min_φ C(φ)`` by
  the §3.4 enumeration on the discretized data (SPEC §4), no polytope needed.
* ``"lazy"`` — :class:`~lptrain.erm.lazy.LazyFaceSolver`: column generation with certified
  branch-and-bound pricing (:mod:`lptrain.certify.lazy`), for grids too large to enumerate.

Ties between optimal grid points are broken the same way by every solver
(:mod:`lptrain.erm.ties`): least true ERM, then least grid index.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lptrain._validation import check_choice
from lptrain.discretize import grid_points
from lptrain.erm.certificate import FaceCertificate
from lptrain.erm.lazy import LazyFaceSolver
from lptrain.erm.solvers import (
    STRUCTURED_MAX_EVALUATIONS,
    FaceOutcome,
    FaceSolver,
    HighsFaceSolver,
    StructuredFaceSolver,
)
from lptrain.erm.table import discretize_data, point_positions
from lptrain.erm.ties import break_ties
from lptrain.errors import CertificateError, InvalidInputError
from lptrain.nn.evaluate import empirical_risk
from lptrain.solver import LinearProgram, write_mps

if TYPE_CHECKING:
    from lptrain.erm.polytope import ERMPolytope

__all__ = ["Face", "FaceSolution", "FaceOutcome", "FaceSolver", "SOLVERS",
           "STRUCTURED_MAX_EVALUATIONS"]


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
        of presolving again (usually slower, see
        :class:`~lptrain.erm.solvers.HighsFaceSolver`).
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
        out = self.polytope.face_solver(name).solve(
            self, time_limit=time_limit, progress=progress, verify=verify,
            warm_start=warm_start, **extra)
        if "ties" not in out.info:  # [users, issue 12.5] one tie rule for every solver
            tie = break_ties(self, out.phi_index, out.value)
            out = replace(out, phi_index=tie.index,
                          info={**out.info, "ties": tie.to_dict(),
                                "solver_phi_index": int(out.phi_index)})
        return self._finish(name, out, start)

    def _finish(self, name: str, out: FaceOutcome, start: float) -> FaceSolution:
        poly = self.polytope
        phi_index, value, cert, info = out.phi_index, out.value, out.certificate, out.info
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
        seconds = {"build": poly.build_seconds["total"], "solve": out.seconds["solve"],
                   "verify": out.seconds["verify"], "total": total}
        # Lemma 3.4: ERM(φ*) >= v̂ - ε; with a solver that stops early (lazy at its time
        # limit) only the certified bound on v̂ is known, so use the smaller of the two.
        face_lower = min(float(value), float(cert.dual_bound))
        return FaceSolution(
            phi=phi, phi_index=int(phi_index), lp_value=float(value), erm=erm, epsilon=eps,
            lower_bound=face_lower - eps, lower_bound_kind="a-priori",
            guarantee=2.0 * eps, upper_bound=float(value) + eps, certificate=cert,
            solver=name, sizes=out.sizes, seconds=seconds, info=info)


#: Face solver factories by name: each makes a :class:`FaceSolver` for one polytope
#: (:meth:`lptrain.erm.ERMPolytope.face_solver`); its ``solve(face, *, time_limit, progress,
#: verify, warm_start, **options)`` returns a :class:`FaceOutcome`.
SOLVERS: dict[str, Callable[[], FaceSolver]] = {"highs": HighsFaceSolver,
                                                "structured": StructuredFaceSolver,
                                                "lazy": LazyFaceSolver}
