"""LP model type, the HiGHS door, solver-independent certificates and MPS export.

``lptrain.solver.highs`` is the only module of lptrain that imports ``highspy``.
"""

from __future__ import annotations

from lptrain.solver.certificate import (
    EXACT_NNZ_LIMIT,
    LPCertificate,
    certify,
    dual_bound,
    verify_farkas,
)
from lptrain.solver.highs import (
    HighsSession,
    InfeasibleLPError,
    MIPSolution,
    solve_lp,
    solve_mip,
)
from lptrain.solver.lp import LinearProgram, LPSolution, LPStatus
from lptrain.solver.mps import write_mps

__all__ = [
    "EXACT_NNZ_LIMIT",
    "HighsSession",
    "InfeasibleLPError",
    "LinearProgram",
    "LPCertificate",
    "LPSolution",
    "LPStatus",
    "MIPSolution",
    "certify",
    "dual_bound",
    "solve_lp",
    "solve_mip",
    "verify_farkas",
    "write_mps",
]
