"""The lazy face solver (``Face.solve("lazy")``): the face LP by column generation with
certified branch-and-bound pricing (:func:`lptrain.certify.lazy.solve_face_lazy`), as a
:class:`~lptrain.erm.solvers.FaceSolver`.

This adapter lives on the ``erm`` side so that :mod:`lptrain.certify` never imports
:mod:`lptrain.erm` (dependencies point one way: ``erm`` → ``certify``). It works on an
unmaterialized polytope (``ERMPolytope.define``) and returns at a time limit instead of
raising, with the certified bound reached so far.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lptrain.erm.certificate import FaceCertificate
from lptrain.erm.solvers import FaceOutcome
from lptrain.errors import InvalidInputError

if TYPE_CHECKING:
    from lptrain.erm.face import Face

__all__ = ["LazyFaceSolver"]


class LazyFaceSolver:
    """Column generation on the face's Dantzig–Wolfe master with branch-and-bound pricing
    (docs/certify.md); holds nothing between faces.

    ``solve`` accepts ``time_limit``, ``progress``, ``verify``, ``warm_start`` (ignored),
    ``target_gap`` (stop the pricing once the face-LP gap is that small; default
    ``tol = 1e-9``) and ``cluster`` (a Dask scheduler address or ``distributed.Client``).
    The certificate's dual bound is the lazy solve's certified lower bound; ``verified`` is
    True when the pricing proved optimality (status "optimal") and C(φ̃), recomputed with
    the numpy reference, equals the LP value.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> from lptrain.erm import ERMPolytope
    >>> face = ERMPolytope.define(dense([1, 1]), "abs", samples=2, bits=2,
    ...                           backend="numpy").face([[0.5], [-0.5]], [[0.25], [0.0]])
    >>> out = LazyFaceSolver().solve(face, time_limit=None, progress=False, verify=True)
    >>> out.value == face.solve("structured").lp_value, out.certificate.verified
    (True, True)
    """

    def close(self) -> None:
        """Nothing to release."""

    def solve(self, face: Face, *, time_limit: float | None = None,
              progress: bool | None = None, verify: Any = True, warm_start: bool = False,
              target_gap: float | None = None, cluster: Any = None,
              **options: Any) -> FaceOutcome:
        """Solve the face LP by column generation; see the class docstring."""
        from lptrain.certify.lazy import solve_face_lazy  # the certify stack loads on use
        from lptrain.nn.evaluate import empirical_risk

        if options:
            raise InvalidInputError(f"solver='lazy' got unknown options {sorted(options)}; "
                                    "it accepts time_limit, progress, verify, warm_start, "
                                    "target_gap and cluster")
        poly = face.polytope
        t0 = time.perf_counter()
        r = solve_face_lazy(poly.network, poly.loss, face.X_tilde, face.Y_tilde, poly.bits,
                            regularizer=poly.regularizer, time_limit=time_limit,
                            progress=progress, cluster=cluster,
                            tol=1e-9 if target_gap is None else float(target_gap),
                            backend=poly.backend)
        t1 = time.perf_counter()
        if r.phi_index is None:
            raise InvalidInputError(f"bits*N = {poly.bits * poly.network.N} > 62: the grid "
                                    "index of φ̃ does not fit in int64; use fewer bits")
        recomputed = r.lp_value
        if verify is not False and verify is not None:
            recomputed = float(empirical_risk(poly.network, poly.loss, face.X_tilde,
                                              face.Y_tilde, r.phi[None, :], poly.regularizer,
                                              backend="numpy")[0])
        attained = abs(recomputed - r.lp_value) <= 1e-9 * (1.0 + abs(r.lp_value))
        cert = FaceCertificate(
            dual_bound=r.lower_bound, primal_value=recomputed,
            gap=max(recomputed - r.lower_bound, 0.0),
            verified=bool(r.status == "optimal" and attained and verify not in (False, None)),
            method=("column generation on the face's Dantzig-Wolfe master (HiGHS); pricing "
                    "by certified branch and bound over grid boxes (affine bounds with "
                    "rounding margins, small boxes enumerated); bound = min(t, least pruned "
                    "bound)"),
            details={"status": r.status, "t": r.dual, "attained": attained,
                     "tol": r.tol, "pricing_rounds": r.pricing_rounds})
        sizes = {"phi_grid": r.grid_points, "columns": int(r.column_values.size),
                 "nodes": r.nodes, "enumerated": r.enumerated,
                 "face_variables": poly.sizes.face_variables}
        info = {"phi_levels": r.phi_levels.tolist(), "status": r.status,
                "master_solves": r.master_solves, "pricing_rounds": r.pricing_rounds,
                "history": [list(h) for h in r.history], "lower_bound_face": r.lower_bound}
        return FaceOutcome(phi_index=int(r.phi_index), value=float(r.lp_value),
                           certificate=cert, sizes=sizes, info=info,
                           seconds={"solve": t1 - t0, "verify": time.perf_counter() - t1})
