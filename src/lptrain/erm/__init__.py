"""The data-independent ERM polytope (§3, Main Theorem 3.1), its faces and LP training.

>>> from lptrain.nn import dense
>>> from lptrain.erm import ERMPolytope
>>> poly = ERMPolytope.build(dense([1, 1]), "abs", samples=2, bits=2, backend="numpy")
>>> face = poly.face([[0.5], [-0.5]], [[0.25], [0.0]])
>>> a, b = face.solve("highs"), face.solve("structured")
>>> a.lp_value == b.lp_value, a.phi.tolist() == b.phi.tolist()
(True, True)
"""

from __future__ import annotations

from lptrain.erm.certificate import FaceCertificate, explicit_dual, verify_structured
from lptrain.erm.face import SOLVERS, Face, FaceSolution
from lptrain.erm.guard import MemoryEstimate, available_memory, memory_estimate, memory_limit
from lptrain.erm.lazy import LazyFaceSolver
from lptrain.erm.polytope import ERMPolytope, estimate_build_memory, polytope_spec
from lptrain.erm.solvers import FaceOutcome, FaceSolver, HighsFaceSolver, StructuredFaceSolver

__all__ = [
    "ERMPolytope",
    "Face",
    "FaceCertificate",
    "FaceOutcome",
    "FaceSolution",
    "FaceSolver",
    "HighsFaceSolver",
    "LazyFaceSolver",
    "MemoryEstimate",
    "SOLVERS",
    "StructuredFaceSolver",
    "available_memory",
    "estimate_build_memory",
    "explicit_dual",
    "memory_estimate",
    "memory_limit",
    "polytope_spec",
    "verify_structured",
]
