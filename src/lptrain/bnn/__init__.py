"""Binarized neural networks (Appendix C): exact training of networks of BiUs by LP.

Networks of binarized activation units (``1 if aᵀz > b``, ``a ∈ {-1,1}^p``,
``b ∈ {-1,1}``) on 0/1 data and labels with the Hamming (0-1) loss: the ERM is a binary
optimization problem, so Theorem 2.8 gives an exact, data-independent LP (Theorem C.1)
with no discretization error. :func:`train_bnn` solves it through the engine ("lp"), by
exhaustive search ("exhaustive") or by a big-M MIP with HiGHS ("mip").

Examples
--------
>>> import numpy as np
>>> from lptrain.bnn import biu_network, train_bnn
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); Y = np.array([[0], [1], [1], [0]])
>>> train_bnn(biu_network([2, 2, 1]), X, Y).errors
0
"""

from __future__ import annotations

from lptrain.bnn.mip import BNNMip, bnn_mip, solve_bnn_mip
from lptrain.bnn.network import (
    biu_errors,
    biu_network,
    check_binary,
    check_biu_network,
    levels_to_params,
    params_to_levels,
    parse_biu_arch,
)
from lptrain.bnn.polytope import BiUPolytope, BiUSizes, biu_sizes
from lptrain.bnn.train import SOLVERS, BNNResult, exhaustive_search, train_bnn

__all__ = [
    "SOLVERS",
    "BiUPolytope",
    "BiUSizes",
    "BNNMip",
    "BNNResult",
    "biu_errors",
    "biu_network",
    "biu_sizes",
    "bnn_mip",
    "check_binary",
    "check_biu_network",
    "exhaustive_search",
    "levels_to_params",
    "params_to_levels",
    "parse_biu_arch",
    "solve_bnn_mip",
    "train_bnn",
]
