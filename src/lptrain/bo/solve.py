"""Solving a BO problem exactly: the lift plus HiGHS ("lp") or min-sum DP ("dp").

``method="lp"`` assembles the LP of Theorem 2.8, solves it with HiGHS, certifies the
solution without the solver (residuals and a safe dual bound, exact rational arithmetic
when small), decodes an optimal binary point by walking the tree and checks that the
point's objective (recomputed from the oracle tables) does not exceed the proven lower
bound. ``method="dp"`` runs min-sum message passing on the same decomposition. Both
return a :class:`BOResult`; an infeasible problem raises
:class:`~lptrain.errors.InfeasibleError` in both.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from lptrain._validation import check_choice
from lptrain.bo.assemble import (
    LiftedLP,
    LPSize,
    SizeBound,
    assemble,
    lp_size,
    theorem_2_8_bound,
)
from lptrain.bo.decode import Decoded, decode, min_sum
from lptrain.bo.decomposition import TreeDecomposition
from lptrain.bo.lift import lift_spec
from lptrain.bo.problem import BinaryProblem
from lptrain.bo.spec import LiftSpec
from lptrain.errors import CertificateError, InfeasibleError
from lptrain.solver.certificate import LPCertificate, certify
from lptrain.solver.highs import InfeasibleLPError, solve_lp

__all__ = ["BOResult", "solve", "solve_spec"]


@dataclass(frozen=True)
class BOResult:
    """An optimal point of a BO problem, with sizes, times and (for "lp") its certificate.

    Attributes
    ----------
    x, y : arrays
        Optimal variable levels and the output values ``g_j(x)``.
    objective : float
        ``c^T x + w^T y`` recomputed from the oracle tables.
    width, width_bits : int
        Width of the decomposition ``T`` in variables and in bits (outputs not counted).
    n_bags : int
        Bags of the lifted tree ``T'``.
    lp_size, bound : LPSize, SizeBound
        Size of the LP of Theorem 2.8 (built for "lp", computed for "dp") and its bound.
    certificate : LPCertificate or None
        For "lp": residuals, safe dual bound and gap of the LP solution.
    dual_bound : float or None
        For "lp": proven lower bound on the optimum; ``objective - dual_bound`` is the
        certified optimality gap of ``x``.
    """

    method: str
    x: np.ndarray
    y: np.ndarray
    objective: float
    width: int
    width_bits: int
    n_bags: int
    lp_size: LPSize
    bound: SizeBound
    build_seconds: float
    solve_seconds: float
    certificate: LPCertificate | None = None
    dual_bound: float | None = None
    decomposition: TreeDecomposition | None = None

    @property
    def gap(self) -> float | None:
        """Certified optimality gap of ``x``: ``objective - dual_bound`` ("lp" only)."""
        return None if self.dual_bound is None else self.objective - self.dual_bound

    def check(self, problem: BinaryProblem, tol: float = 1e-9) -> BOResult:
        """Recompute feasibility, outputs and objective of ``x`` with the oracles.

        Returns self; raises CertificateError naming what does not match.
        """
        feasible, y, objective = problem.evaluate(self.x[None, :])
        if not feasible[0]:
            raise CertificateError("x violates a constraint of the problem")
        if not np.allclose(y[0], self.y, rtol=0.0, atol=tol):
            raise CertificateError("the reported y differs from the outputs at x")
        if abs(float(objective[0]) - self.objective) > tol * (1.0 + abs(self.objective)):
            raise CertificateError(
                f"objective at x is {float(objective[0])!r}, reported {self.objective!r}"
            )
        if self.dual_bound is not None and self.objective > self.dual_bound + 1e-6 * (
            1.0 + abs(self.objective)
        ):
            raise CertificateError("x is worse than the proven lower bound allows")
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no arrays beyond x and y as lists)."""
        cert = None if self.certificate is None else asdict(self.certificate)
        return {
            "method": self.method,
            "objective": self.objective,
            "dual_bound": self.dual_bound,
            "gap": self.gap,
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "width": self.width,
            "width_bits": self.width_bits,
            "n_bags": self.n_bags,
            "lp_size": asdict(self.lp_size),
            "bound": asdict(self.bound),
            "build_seconds": self.build_seconds,
            "solve_seconds": self.solve_seconds,
            "certificate": cert,
        }


def _empty_bag_check(spec: LiftSpec) -> None:
    for b, block in enumerate(spec.blocks):
        if block.n_rows == 0:
            bag = block.variables[0].tolist()
            raise InfeasibleError(
                f"the problem is infeasible: bag {b} (variables {bag}) has no assignment "
                "satisfying the constraints inside it"
            )


def _solve_lp(
    lifted: LiftedLP, time_limit: float | None, exact: bool | str
) -> tuple[Decoded, LPCertificate]:
    spec = lifted.spec
    try:
        solution = solve_lp(lifted.lp, time_limit=time_limit)
    except InfeasibleLPError as exc:
        raise InfeasibleLPError(
            "the problem is infeasible: its exact LP (Theorem 2.8) is infeasible"
            + (" (Farkas ray verified independently)" if exc.farkas_verified else ""),
            exc.farkas_ray,
            exc.farkas_verified,
        ) from None
    cert = certify(lifted.lp, solution, exact=exact).check(1e-6)
    lambdas = [lifted.lambdas(solution.x, b) for b in range(len(spec.blocks))]
    decoded = decode(spec, lambdas)
    slack = 1e-6 * (1.0 + abs(decoded.objective))
    if decoded.objective > cert.dual_bound + slack:
        raise CertificateError(
            f"decoded point has objective {decoded.objective!r}, above the proven lower bound "
            f"{cert.dual_bound!r} by more than {slack:.2g}"
        )
    return decoded, cert


def solve_spec(
    spec: LiftSpec,
    method: str = "lp",
    *,
    time_limit: float | None = None,
    exact: bool | str = "auto",
) -> BOResult:
    """Solve the problem a LiftSpec describes (see :func:`solve`).

    ``build_seconds`` is the LP assembly time ("lp") or 0 ("dp"); ``solve_seconds`` covers
    HiGHS, the certificate and decoding ("lp") or message passing ("dp").
    """
    check_choice("method", method, ["lp", "dp"])
    _empty_bag_check(spec)
    start = time.perf_counter()
    cert: LPCertificate | None = None
    if method == "lp":
        lifted = assemble(spec)
        build = time.perf_counter() - start
        decoded, cert = _solve_lp(lifted, time_limit, exact)
        size = lifted.size
    else:
        build = 0.0
        decoded, size = min_sum(spec), lp_size(spec)
    seconds = time.perf_counter() - start - build
    return BOResult(
        method=method,
        x=decoded.x,
        y=decoded.y,
        objective=decoded.objective,
        width=spec.width,
        width_bits=spec.width_bits,
        n_bags=spec.n_bags,
        lp_size=size,
        bound=theorem_2_8_bound(spec.bag_bits, spec.n_bags),
        build_seconds=build,
        solve_seconds=seconds,
        certificate=cert,
        dual_bound=None if cert is None else cert.dual_bound,
    )


def solve(
    problem: BinaryProblem,
    method: str = "lp",
    *,
    decomposition: object | None = None,
    outputs: str = "attach",
    heuristic: str = "best",
    time_limit: float | None = None,
    exact: bool | str = "auto",
) -> BOResult:
    """Solve a BO problem exactly by the LP of Theorem 2.8 ("lp") or min-sum DP ("dp").

    Parameters
    ----------
    problem : BinaryProblem
    method : {"lp", "dp"}
    decomposition : optional
        A tree decomposition of the intersection graph (validated); default: heuristic.
    outputs : {"attach", "leaf"}
        Where outputs live (see :mod:`lptrain.bo.lift`).
    heuristic : {"best", "min_fill_in", "min_degree"}
    time_limit : float, optional
        HiGHS time limit in seconds ("lp").
    exact : bool or "auto"
        Exact rational arithmetic for the certificate ("auto": when nnz is small).

    Examples
    --------
    Maximum-weight independent set on a path of 4 vertices:

    >>> bp = BinaryProblem(4)
    >>> for u in range(3):
    ...     _ = bp.add_constraint((u, u + 1), lambda z: z[:, 0] + z[:, 1] <= 1)
    >>> bp.set_linear_cost([-1.0, -3.0, -1.0, -2.0])
    >>> res = solve(bp)
    >>> (res.x.tolist(), res.objective, res.certificate.exact, res.lp_size.within(res.bound))
    ([0, 1, 0, 1], -5.0, True, True)
    >>> solve(bp, method="dp").objective
    -5.0
    """
    start = time.perf_counter()
    spec, td = lift_spec(problem, decomposition, outputs=outputs, heuristic=heuristic)
    build = time.perf_counter() - start
    result = solve_spec(spec, method, time_limit=time_limit, exact=exact)
    return replace(
        result, build_seconds=build + result.build_seconds, width=td.width, decomposition=td
    )
