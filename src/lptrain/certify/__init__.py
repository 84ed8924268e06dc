"""Certified training at scale (issue 6): sound box bounds of the empirical risk, a batched
branch and bound, the face LP solved lazily by column generation, and a-posteriori
certificates of the continuous ERM, on every core or a Dask cluster.

Entry points:

* :func:`certify_erm` — certified lower bound on ``min_{φ∈Φ} ERM(φ)`` on the true data and
  the gap of the best (or given) parameters → :class:`ERMCertificate`;
* :func:`solve_face_lazy` — the face LP over a grid too large to enumerate →
  :class:`LazyFaceResult`;
* :func:`box_bounds` / :class:`BoxBounder` — the bounding step itself;
* :func:`solve_erm_scip` — the same ERM as a MINLP for SCIP (baseline and test oracle).

Examples
--------
>>> import numpy as np
>>> from lptrain.nn import dense
>>> X = np.array([[-1.0], [0.0], [1.0]]); Y = np.array([[-0.5], [0.0], [0.5]])
>>> cert = certify_erm(dense([1, 1], "identity"), "abs", X, Y, params=[0.4, 0.0],
...                    target_gap=1e-3, backend="numpy", progress=False)
>>> round(cert.upper_bound, 6), cert.lower_bound <= 0.0, cert.gap >= 0.0
(0.066667, True, True)
"""

from __future__ import annotations

from lptrain.certify._monitor import SearchStatus
from lptrain.certify.bnb import BranchAndBound
from lptrain.certify.bounds import BoxBounder, BoxBounds, box_bounds
from lptrain.certify.continuous import ERMCertificate, certify_erm, choose_method
from lptrain.certify.lazy import LazyFaceResult, solve_face_lazy
from lptrain.certify.minlp import SCIPResult, solve_erm_scip
from lptrain.certify.symmetry import ScalingGroup, scaling_groups, symmetry_roots

__all__ = [
    "BoxBounder", "BoxBounds", "BranchAndBound", "ERMCertificate", "LazyFaceResult",
    "SCIPResult", "ScalingGroup", "SearchStatus", "box_bounds", "certify_erm", "choose_method",
    "scaling_groups",
    "solve_erm_scip", "solve_face_lazy", "symmetry_roots",
]
