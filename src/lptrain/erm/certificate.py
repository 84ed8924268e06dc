"""Certificates for face solutions: checked without trusting the solver that found them.

The face LP of Lemma 3.6 is ``min Σ_{d,φ} c_{d,φ} λ_{d,φ}`` over D convexity rows and the
marginal rows gluing consecutive bags on φ, with ``c_{d,φ} = (ℓ(f(x̃^d, φ), ỹ^d) + λR(φ))/D``.

* ``solver="highs"``: HiGHS's row duals are checked by :func:`lptrain.solver.certify` on
  the face LP (the polytope's λ restricted to the face and its X; the fixed columns
  contribute exactly 0 to the weak-duality bound, and the solver's values on them are
  checked to be 0): primal residuals and a safe dual bound, in exact rational arithmetic
  up to :data:`~lptrain.solver.EXACT_NNZ_LIMIT` nonzeros.
* ``solver="structured"``: an explicit dual. With partial sums
  ``S_d(φ) = Σ_{k≤d} c_{k,φ}`` and ``t = min_φ S_D(φ)``, take convexity duals
  ``α_d = 0`` (d < D), ``α_D = t`` and marginal duals ``π_{d,φ} = -S_d(φ)`` on the side of
  bag d and ``+S_d(φ)`` on the side of bag d+1 of edge (d, d+1). Every reduced cost of an X
  column is 0, of ``λ_{d,φ}`` (d < D) is ``c_d - S_d + S_{d-1} = 0`` and of ``λ_{D,φ}`` is
  ``S_D(φ) - t ≥ 0``, so the dual bound is ``Σ α = t``: dual feasibility is exactly
  ``t ≤ C(φ) = S_D(φ)`` for every grid φ. :func:`verify_structured` recomputes C with an
  independent code path — the stored loss table when the polytope is materialized, else
  the numpy reference evaluator (the solve uses the generated numba kernel) — over every
  φ (``verify="full"``), a random sample (``"sample"``, reported as *not* verified), or
  whichever fits (``True``: full up to :data:`FULL_VERIFY_EVALUATIONS`).
  :func:`explicit_dual` maps (α, π) onto the polytope's rows, so that
  :func:`lptrain.solver.dual_bound` can check it on the materialized LP.

``verified`` means *fully* checked against loss values recomputed from the network and the
data, never against a table read from a file: the dual check of ``"highs"`` proves the
optimum of the LP whose costs come from the table, so :func:`check_face_table` recomputes
every cost of the face (its distinct data points × Φ_grid) with the numpy reference
evaluator and compares; a table loaded from a file (``ERMPolytope.table_source ==
"file"``) that disagrees is refused (:class:`~lptrain.errors.FileFormatError`), and the
structured check never reads such a table. The face solvers raise
:class:`~lptrain.errors.CertificateError` when a check finds the answer wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lptrain.discretize import GridRange, grid_levels
from lptrain.errors import CertificateError, FileFormatError, InvalidInputError
from lptrain.nn.evaluate import empirical_risk, loss_matrix, resolve_backend
from lptrain.solver import LinearProgram, LPCertificate

if TYPE_CHECKING:
    from lptrain.erm.face import Face

__all__ = ["FaceCertificate", "highs_certificate", "verify_structured", "explicit_dual",
           "face_costs", "check_face_table", "recompute_face_losses",
           "FULL_VERIFY_EVALUATIONS", "SAMPLE_EVALUATIONS", "TOLERANCE"]

#: ``verify=True`` recomputes every φ up to this many loss evaluations (φ · D).
FULL_VERIFY_EVALUATIONS = 10**7
#: Loss evaluations of ``verify="sample"`` (at least one φ).
SAMPLE_EVALUATIONS = 10**6
#: Relative tolerance of the checks.
TOLERANCE = 1e-9
_CHUNK = 2**16


@dataclass(frozen=True)
class FaceCertificate:
    """What was checked about a face solution, and how.

    Attributes
    ----------
    dual_bound : float
        Lower bound on the face-LP optimum proven by the dual solution (claimed only when
        ``verified`` is False).
    primal_value : float
        Value of the returned φ̃ recomputed by the checker.
    gap : float
        ``primal_value - dual_bound`` (≥ 0).
    verified : bool
        Whether the dual solution was checked in full (every grid φ / every column).
    method : str
        How (which duals, which code path, exact or floating point, full or sampled).
    details : dict
        Residuals, counts, the largest violation found.
    """

    dual_bound: float
    primal_value: float
    gap: float
    verified: bool
    method: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"dual_bound": self.dual_bound, "primal_value": self.primal_value,
                "gap": self.gap, "verified": self.verified, "method": self.method,
                "details": dict(self.details)}


def highs_certificate(cert: LPCertificate | None, face_lp: LinearProgram, fixed_max: float,
                      decoded_value: float, costs: dict[str, Any] | None = None
                      ) -> FaceCertificate:
    """Wrap :func:`lptrain.solver.certify` of the face LP (None: not verified).

    Verified when the residuals and the relative gap are ≤ :data:`TOLERANCE`, the fixed
    columns are 0, the decoded φ̃ attains the bound, and ``costs`` (the outcome of
    :func:`check_face_table`) says that every cost of the face LP was recomputed from the
    network and the data: without it the dual check proves the optimum of the stored
    table only, and the answer is not called verified.
    """
    if cert is None:
        return FaceCertificate(math.nan, decoded_value, math.nan, False,
                               "not verified (verify=False)", {})
    scale = 1.0 + abs(cert.primal_objective)
    ok = (cert.holds(TOLERANCE) and fixed_max <= TOLERANCE
          and decoded_value <= cert.dual_bound + TOLERANCE * scale
          and costs is not None and bool(costs.get("agree")))
    arithmetic = "exact rational" if cert.exact else "rigorous floating-point"
    recomputed = ("; every cost of the face recomputed from the network and the data by the "
                  "numpy reference evaluator" if costs is not None else
                  "; the costs were NOT recomputed (the table was trusted)")
    return FaceCertificate(
        dual_bound=cert.dual_bound, primal_value=decoded_value,
        gap=max(decoded_value - cert.dual_bound, 0.0), verified=bool(ok),
        method=f"HiGHS row duals; residuals and weak-duality bound recomputed without the "
               f"solver ({arithmetic} arithmetic) on the face LP{recomputed}",
        details={"row_residual": cert.row_residual, "bound_residual": cert.bound_residual,
                 "lp_gap": cert.gap, "lp_objective": cert.primal_objective,
                 "fixed_columns_max": fixed_max, "exact": cert.exact,
                 "costs_recomputed": None if costs is None else costs["entries"],
                 "costs_max_difference": None if costs is None else costs["max_difference"],
                 "face_lp": {"variables": face_lp.n_cols, "constraints": face_lp.n_rows,
                             "nonzeros": face_lp.nnz}})


def recompute_face_losses(face: Face) -> tuple[np.ndarray, np.ndarray]:
    """``ℓ(f(x̃, φ), ỹ)`` for the face's distinct discretized data points and every point
    of Φ_grid (table column order), by the numpy reference evaluator, never the table
    → (table rows of those points (U,), losses (U, |Φ_grid|)).

    Its cost is that of the structured solver's enumeration (U · |Φ_grid| evaluations).
    """
    poly = face.polytope
    rows, first = np.unique(face.point_rows, return_index=True)
    X, Y = face.X_tilde[first], face.Y_tilde[first]
    total = poly.levels ** poly.network.N
    out = np.empty((rows.size, poly.sizes.phi_grid))
    step = max(1, _CHUNK * 64 // max(rows.size, 1))
    for c0 in range(0, total, step):
        c1 = min(c0 + step, total)
        block = loss_matrix(poly.network, poly.loss, X, Y, GridRange(poly.bits, c0, c1),
                            backend="numpy")
        if poly.phi_index is None:
            out[:, c0:c1] = block
        else:
            lo, hi = np.searchsorted(poly.phi_index, [c0, c1])
            out[:, lo:hi] = block[:, poly.phi_index[lo:hi] - c0]
    return rows, out


def check_face_table(face: Face) -> dict[str, Any]:
    """Compare every loss-table entry the face LP uses with its recomputation
    (:func:`recompute_face_losses`); refuse a disagreement.

    A table loaded from a file that disagrees with its own network raises
    :class:`~lptrain.errors.FileFormatError` (the file was edited or damaged); a table
    computed in this process that disagrees raises CertificateError (the evaluation
    kernels disagree: a bug). Returns ``{"entries", "max_difference", "agree"}``.
    """
    poly = face.polytope
    if poly.loss_table is None:
        raise InvalidInputError("check_face_table needs a materialized polytope")
    rows, want = recompute_face_losses(face)
    have = poly.loss_table[rows]
    diff = np.abs(have - want)
    allowed = TOLERANCE * np.abs(want) + 1e-12
    bad = np.argwhere(~(diff <= allowed))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        where = (f"entry (data point {int(rows[i])}, φ column {j}) is {float(have[i, j])!r} "
                 f"but the network and loss give {float(want[i, j])!r} ({bad.shape[0]} of "
                 f"{diff.size} entries of this face disagree)")
        if getattr(poly, "table_source", "computed") == "file":
            raise FileFormatError(
                f"{getattr(poly, 'source', 'the polytope file')}: the loss table disagrees with "
                f"its own network: {where}; the file was edited or damaged, so it is refused: "
                "rebuild it with lptrain build")
        raise CertificateError(f"the loss table disagrees with the reference evaluator: "
                               f"{where}")
    return {"entries": int(diff.size), "max_difference": float(diff.max(initial=0.0)),
            "agree": True}


def face_costs(face: Face, start: int = 0, stop: int | None = None) -> np.ndarray:
    """``c_{d,φ}`` for φ-codes ``start..stop-1`` from the stored loss table, computed as the
    engine computes the LP costs (``λR/D + (1/D)·ℓ``) → (D, stop-start)."""
    poly = face.polytope
    if poly.loss_table is None:
        raise InvalidInputError("face_costs needs a materialized polytope (ERMPolytope.build)")
    stop = poly.sizes.phi_grid if stop is None else stop
    D = poly.samples
    c = (1.0 / D) * poly.loss_table[face.point_rows, start:stop]
    if poly.reg_costs is not None:
        c = poly.reg_costs[start:stop] / D + c
    return c


def explicit_dual(face: Face, t: float) -> np.ndarray:
    """The structured solver's dual solution as row multipliers of the polytope's LP
    (convexity rows, then marginal rows in the engine's layout), for
    :func:`lptrain.solver.dual_bound` on the face LP (materialized polytopes only).

    Its bound is ``t`` exactly when ``t ≤ C(φ)`` for every grid φ.
    """
    poly = face.polytope
    lifted = poly._require_lifted("explicit_dual")
    D, G = poly.samples, poly.sizes.phi_grid
    y = np.zeros(lifted.lp.n_rows)
    y[D - 1] = t
    if D > 1:
        S = np.cumsum(face_costs(face), axis=0)[:-1]          # S_1 .. S_{D-1}
        base = int(lifted.marginal_offsets[0])
        marg = y[base:base + 2 * (D - 1) * G].reshape(D - 1, 2, G)
        marg[:, 0, :] = -S
        marg[:, 1, :] = S
    return y


def _table_trusted(poly: Any) -> bool:
    """A table computed in this process may stand in for a recomputation; one read from a
    file never does."""
    return poly.loss_table is not None and getattr(poly, "table_source", "computed") != "file"


def _mode(verify: Any, evaluations: int, materialized: bool) -> str:
    if verify is False or verify is None:
        return "none"
    if verify is True or verify == "auto":
        return "full" if materialized or evaluations <= FULL_VERIFY_EVALUATIONS else "sample"
    if verify in ("full", "sample"):
        return str(verify)
    raise InvalidInputError(f"verify must be True, False, 'full' or 'sample'; got {verify!r}")


def _recompute(face: Face, idx: np.ndarray | None, start: int, stop: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Independent C(φ) and a magnitude for the rounding allowance, for the φ ``idx`` (or
    the range ``start..stop``): table columns (φ-codes) when the polytope is materialized,
    full-grid indices otherwise (φ outside a constrained Φ come back as inf)."""
    poly = face.polytope
    if _table_trusted(poly):
        c = face_costs(face, start, stop) if idx is None else face_costs(face)[:, idx]
        return c.sum(axis=0), np.abs(c).sum(axis=0)
    if idx is None:
        phi: Any = GridRange(poly.bits, start, stop)
    else:
        phi = -1.0 + grid_levels(idx, poly.network.N, poly.bits) * (2.0 / poly.levels)
    C = empirical_risk(poly.network, poly.loss, face.X_tilde, face.Y_tilde, phi,
                       poly.regularizer, backend="numpy")
    return C, 1.0 + np.abs(C)


def verify_structured(face: Face, phi_index: int, t: float, verify: Any = True,
                      seed: int = 0) -> FaceCertificate:
    """Check the explicit dual of the structured solver: ``t ≤ C(φ)`` for every grid φ
    (or a sample), with C recomputed independently, and ``C(φ̃) = t`` (``phi_index``: the
    full-grid index of φ̃)."""
    poly = face.polytope
    D = poly.samples
    table = _table_trusted(poly)
    mode = _mode(verify, D * poly.sizes.phi_grid, table)
    if mode == "none":
        return FaceCertificate(t, t, 0.0, False, "explicit dual t = min C(φ), not checked "
                               "(verify=False)", {})
    space = poly.sizes.phi_grid if table else poly.levels ** poly.network.N
    target = phi_index
    if table and poly.phi_index is not None:
        target = int(np.searchsorted(poly.phi_index, phi_index))
    rel = (D + 2) * 2.0**-52 + 1e-13
    low, worst, count = math.inf, math.inf, 0
    if mode == "full":
        for j0 in range(0, space, _CHUNK):
            C, mag = _recompute(face, None, j0, min(j0 + _CHUNK, space))
            fin = np.isfinite(C)
            low = min(low, float(np.min(C[fin] - rel * mag[fin], initial=math.inf)))
            worst = min(worst, float(np.min(C[fin], initial=math.inf)))
            count += int(fin.sum())
        at_phi = float(_recompute(face, np.array([target]), 0, 0)[0][0])
    else:
        rng = np.random.default_rng(seed)
        size = max(1, min(space, SAMPLE_EVALUATIONS // D))
        idx = np.union1d(rng.choice(space, size=size, replace=False), [target])
        C, mag = _recompute(face, idx, 0, 0)
        fin = np.isfinite(C)
        low = float(np.min(C[fin] - rel * mag[fin]))
        worst, count = float(np.min(C[fin])), int(fin.sum())
        at_phi = float(C[np.searchsorted(idx, target)])
    scale = 1.0 + abs(t)
    feasible = t - worst <= TOLERANCE * scale
    attained = abs(at_phi - t) <= TOLERANCE * scale
    bound = min(t, low)
    path = ("the loss table computed in this process" if table
            else "the numpy reference evaluator")
    if not table and resolve_backend(poly.backend) == "numpy":
        path += " (the solve used it too: a separate pass, not an independent code path)"
    what = f"every grid φ ({count})" if mode == "full" else f"a random sample of {count} φ"
    return FaceCertificate(
        dual_bound=bound if mode == "full" else t, primal_value=at_phi,
        gap=max(at_phi - bound, 0.0) if mode == "full" else math.nan,
        verified=bool(mode == "full" and feasible and attained),
        method=f"explicit dual (α_D = t, telescoping marginal duals); dual feasibility "
               f"t ≤ C(φ) checked on {what} with C recomputed by {path}"
               + ("" if mode == "full" else " (not a full verification)"),
        details={"mode": mode, "phi_checked": count, "phi_grid": poly.sizes.phi_grid,
                 "evaluations": count * (0 if table else D),
                 "min_recomputed": worst, "max_violation": max(t - worst, 0.0),
                 "recomputed_at_phi": at_phi, "dual_feasible": bool(feasible),
                 "attained": bool(attained)})
