"""Exact training of BiU networks (Appendix C): the LP of Theorem C.1, exhaustive search and
a MIP, all returning a :class:`BNNResult` that can be checked without any solver.

* ``"lp"`` -- the face of the data-independent polytope (:class:`BiUPolytope`) solved by
  HiGHS; the solution is certified (residuals and a safe dual bound, exact rational
  arithmetic when small) and decoded by walking the path of bags (Theorem 2.8).
* ``"exhaustive"`` -- all ``2^N`` parameter vectors, vectorized and chunked, evaluated by
  the integer path :func:`~lptrain.bnn.network.biu_errors`; ties go to the smallest index.
* ``"mip"`` -- the same training problem as a big-M MIP (:mod:`lptrain.bnn.mip`) solved by
  HiGHS's branch and bound.

The optimum (mean Hamming loss, a multiple of 1/D) is the same for the three; the optimal
parameters need not be (ties).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lptrain._validation import check_choice
from lptrain.bnn.mip import solve_bnn_mip
from lptrain.bnn.network import biu_errors, check_binary, check_biu_network, levels_to_params
from lptrain.bnn.polytope import BiUPolytope, biu_sizes
from lptrain.bo import decode
from lptrain.errors import CertificateError, InvalidInputError, TooLargeError
from lptrain.nn import Network
from lptrain.solver import HighsSession, certify

__all__ = ["BNNResult", "train_bnn", "exhaustive_search", "SOLVERS", "MAX_EXHAUSTIVE_PARAMS"]

SOLVERS = ("lp", "mip", "exhaustive")
#: Largest N the exhaustive solver accepts (2^N parameter vectors).
MAX_EXHAUSTIVE_PARAMS = 26


@dataclass(frozen=True)
class BNNResult:
    """An optimal BiU network for a data set, with how it was found and its proof.

    ``objective`` is the mean Hamming loss ``errors / D`` recomputed from ``params`` by the
    integer evaluation path; ``dual_bound`` is a lower bound on the optimum proven without
    trusting the solver ("lp": weak duality from the LP duals; "exhaustive": the
    enumeration itself) or reported by HiGHS ("mip").
    """

    solver: str
    params: np.ndarray
    objective: float
    errors: int
    D: int
    predictions: np.ndarray
    dual_bound: float
    build_seconds: float
    solve_seconds: float
    sizes: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Build plus solve time."""
        return self.build_seconds + self.solve_seconds

    def check(self, network: Network, X: Any, Y: Any) -> BNNResult:
        """Recompute errors and predictions with the integer path; return self or raise."""
        Xb, Yb = _data(network, X, Y)
        errors, out = biu_errors(network, Xb, Yb, ((self.params + 1) // 2)[None].astype(int))
        if int(errors[0]) != self.errors or not np.array_equal(out[0], self.predictions):
            raise CertificateError(
                f"the parameters make {int(errors[0])} errors, reported {self.errors}"
            )
        if self.dual_bound > self.objective + 1e-9:
            raise CertificateError("the reported lower bound exceeds the objective")
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the keys of ``lptrain bnn --json``)."""
        return {
            "solver": self.solver, "objective": self.objective, "errors": self.errors,
            "samples": self.D, "params": self.params.tolist(), "dual_bound": self.dual_bound,
            "gap": self.objective - self.dual_bound, "seconds": self.seconds,
            "build_seconds": self.build_seconds, "solve_seconds": self.solve_seconds,
            "sizes": self.sizes, "certificate": self.certificate,
        }


def _data(network: Network, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    Xb, Yb = check_binary("X", X), check_binary("Y", np.atleast_2d(np.asarray(Y).T).T)
    if Xb.shape[1] != network.n:
        raise InvalidInputError(
            f"X has {Xb.shape[1]} columns but the network has {network.n} inputs (n={network.n})"
        )
    if Yb.shape != (Xb.shape[0], network.m):
        raise InvalidInputError(
            f"Y has shape {Yb.shape} but the network has m={network.m} outputs and X has "
            f"{Xb.shape[0]} rows; expected ({Xb.shape[0]}, {network.m})"
        )
    return Xb, Yb


def _result(solver: str, network: Network, X: np.ndarray, Y: np.ndarray, levels: np.ndarray,
            bound: float, build: float, solve: float, sizes: dict[str, Any],
            certificate: dict[str, Any]) -> BNNResult:
    errors, out = biu_errors(network, X, Y, levels[None])
    D = X.shape[0]
    return BNNResult(solver=solver, params=levels_to_params(levels).astype(np.int64),
                     objective=int(errors[0]) / D, errors=int(errors[0]), D=D,
                     predictions=out[0], dual_bound=bound, build_seconds=build,
                     solve_seconds=solve, sizes=sizes, certificate=certificate)


def exhaustive_search(network: Network, X: Any, Y: Any, *, chunk_cells: int = 1 << 22
                      ) -> BNNResult:
    """Enumerate all ``2^N`` parameter vectors (chunked, vectorized); the first optimum.

    Examples
    --------
    >>> from lptrain.bnn.network import biu_network
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); Y = np.array([[0], [0], [0], [1]])
    >>> res = exhaustive_search(biu_network([2, 1]), X, Y)   # AND: x1 + x2 > 1
    >>> res.errors, res.params.tolist()
    (0, [1, 1, 1])
    """
    check_biu_network(network)
    Xb, Yb = _data(network, X, Y)
    N = network.N
    if N > MAX_EXHAUSTIVE_PARAMS:
        raise TooLargeError(f"exhaustive search over 2^{N} parameter vectors exceeds the "
                            f"limit 2^{MAX_EXHAUSTIVE_PARAMS}; use solver 'lp' or 'mip'")
    start = time.perf_counter()
    total = 1 << N
    step = max(1, min(total, chunk_cells // max(Xb.shape[0], 1)))
    shifts = np.arange(N - 1, -1, -1, dtype=np.int64)
    best_err, best_code = np.iinfo(np.int64).max, -1
    for c0 in range(0, total, step):
        codes = np.arange(c0, min(c0 + step, total), dtype=np.int64)
        errors, _ = biu_errors(network, Xb, Yb, (codes[:, None] >> shifts) & 1)
        k = int(np.argmin(errors))
        if errors[k] < best_err:
            best_err, best_code = int(errors[k]), int(codes[k])
    levels = (best_code >> shifts) & 1
    seconds = time.perf_counter() - start
    return _result("exhaustive", network, Xb, Yb, levels, best_err / Xb.shape[0], 0.0,
                   seconds, {"configurations": total, "evaluations": total * Xb.shape[0]},
                   {"kind": "enumeration", "configurations": total})


def _train_lp(network: Network, X: np.ndarray, Y: np.ndarray, polytope: BiUPolytope | None,
              time_limit: float | None, max_memory: int | None) -> BNNResult:
    poly = polytope or BiUPolytope.build(network, X.shape[0], max_memory=max_memory)
    start = time.perf_counter()
    face, keep = poly.face(X, Y)
    with HighsSession(face, time_limit=time_limit) as session:
        solution = session.solve()
    cert = certify(face, solution).check(1e-6)
    x = np.zeros(poly.lifted.lp.n_cols)
    x[keep] = solution.x
    lam = poly.lifted.lambdas(x, 0)
    decoded = decode(poly.spec, [lam])
    q = network.n + network.m
    data = decoded.x[network.N:].reshape(poly.D, q)
    if not np.array_equal(data, np.concatenate([X, Y], axis=1)):
        raise CertificateError("the decoded point leaves the face (its data part differs)")
    levels = decoded.x[:network.N]
    if decoded.objective > cert.dual_bound + 1e-6:
        raise CertificateError(f"decoded objective {decoded.objective!r} exceeds the proven "
                               f"lower bound {cert.dual_bound!r}")
    seconds = time.perf_counter() - start
    certificate = {"kind": "lp dual bound", "dual_bound": cert.dual_bound, "gap": cert.gap,
                   "exact": cert.exact, "row_residual": cert.row_residual,
                   "lp_objective": cert.primal_objective, "iterations": solution.iterations}
    build = poly.build_seconds if polytope is None else 0.0
    return _result("lp", network, X, Y, levels, cert.dual_bound, build, seconds,
                   poly.size_report(), certificate)


def train_bnn(network: Network, X: Any, Y: Any, solver: str = "lp", *,
              polytope: BiUPolytope | None = None, time_limit: float | None = None,
              max_memory: int | None = None) -> BNNResult:
    """Train a BiU network exactly: minimize the mean Hamming loss over φ ∈ {-1, 1}^N.

    Parameters
    ----------
    network : Network
        A BiU network (:func:`~lptrain.bnn.network.biu_network`).
    X, Y : 0/1 arrays (D, n) and (D, m)
    solver : {"lp", "mip", "exhaustive"}
    polytope : BiUPolytope, optional
        A polytope already built for this network and D ("lp": build once, solve many).
    time_limit : float, optional
        HiGHS time limit ("lp", "mip").
    max_memory : int, optional
        Size guard of the polytope build, in bytes.

    Examples
    --------
    XOR needs a hidden layer; the LP finds a zero-loss 2-2-1 BiU network:

    >>> from lptrain.bnn.network import biu_network
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); Y = np.array([[0], [1], [1], [0]])
    >>> [train_bnn(biu_network([2, 1]), X, Y, s).objective for s in SOLVERS]
    [0.5, 0.5, 0.5]
    >>> res = train_bnn(biu_network([2, 2, 1]), X, Y)
    >>> res.objective, res.dual_bound, res.certificate["exact"]
    (0.0, 0.0, True)
    """
    check_choice("solver", solver, SOLVERS)
    check_biu_network(network)
    Xb, Yb = _data(network, X, Y)
    if solver == "exhaustive":
        return exhaustive_search(network, Xb, Yb)
    if solver == "lp":
        if polytope is not None and (polytope.network != network or polytope.D != Xb.shape[0]):
            raise InvalidInputError(f"the polytope was built for another network or D="
                                    f"{polytope.D}; the data has D={Xb.shape[0]}")
        return _train_lp(network, Xb, Yb, polytope, time_limit, max_memory)
    mip = solve_bnn_mip(network, Xb, Yb, time_limit=time_limit)
    sol, levels = mip.solution, mip.levels
    assert sol is not None and levels is not None
    sizes = {"variables": mip.variables, "constraints": mip.constraints,
             "nonzeros": mip.nonzeros, "integer_variables": mip.integers,
             "polytope": biu_sizes(network, Xb.shape[0]).to_dict()}
    certificate = {"kind": "HiGHS MIP bound (not independently checked)",
                   "dual_bound": sol.dual_bound, "mip_gap": sol.gap, "nodes": sol.nodes}
    return _result("mip", network, Xb, Yb, levels, sol.dual_bound, mip.build_seconds,
                   sol.seconds, sizes, certificate)
