"""Compile the soundness matrix's numba kernels into the on-disk kernel cache
(``python soundness_precompile.py DONE_DIR CASE_ID...``), writing ``DONE_DIR/<id>.done``
after each case. ``conftest.py`` starts this in the background when a session selects
numba tests of the matrix, so that the kernels (~15 s of compilation each on a cold cache)
compile on the second core while other tests run; each numba test waits for its kernel's
marker and then loads it from the cache (or compiles it itself if this process failed)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from soundness_matrix import numba_cases

__all__ = ["ROUNDING", "compile_case", "main"]

#: The small fixed networks of ``test_rounding.py`` (one id for all of them).
ROUNDING = "rounding-kernels"


def compile_case(net, loss: str) -> None:
    """Compile (or load) the affine and the interval kernel of (network, loss)."""
    from lptrain.certify import BoxBounder
    from lptrain.nn import risk_interval

    X, Y = np.zeros((2, net.n)), np.zeros((2, net.m))
    point = np.zeros((1, net.N))
    BoxBounder(net, loss, X, Y, backend="numba")(point, point)
    risk_interval(net, loss, X, Y, point, point, backend="numba")


def _rounding_nets():
    from test_rounding import _sum_net

    from lptrain.nn import dense
    return [(_sum_net(), "hamming"), (dense([1, 1], "identity"), "abs")]


def main(argv: list[str]) -> int:
    done, ids = Path(argv[0]), set(argv[1:])
    for case in numba_cases():
        if case.id in ids:
            (_, net), = case.networks
            compile_case(net, case.loss)
            (done / f"{case.id}.done").touch()
    if ROUNDING in ids:
        from test_rounding import relax_module

        for net, loss in _rounding_nets():
            compile_case(net, loss)
        relax_module()
        (done / f"{ROUNDING}.done").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
