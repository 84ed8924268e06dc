"""The face LP at fine resolution without writing it down: column generation
(Dantzig–Wolfe) with a branch-and-bound pricing step.

**The reduction** (SPEC §4, "Structure of a face"). On the face of Lemma 3.6 the D bags
share φ and the marginal constraints force one common distribution μ over the φ-grid, so
the face LP equals

    ``min { Σ_φ μ_φ C(φ) : Σ_φ μ_φ = 1, μ >= 0 }``,  ``C(φ) = (1/D) Σ_d ℓ(f(x̃_d, φ), ỹ_d) + λR(φ)``

over the ``K^N`` grid points. Its restriction to a set S of columns is the *master LP*
(solved with HiGHS through :func:`lptrain.solver.solve_lp`); its dual is one scalar t (the
multiplier of the convexity row, ``t = min_{φ∈S} C(φ)``) and the reduced cost of a column
is ``C(φ) - t``. *Pricing* asks for a grid point with ``C(φ) < t - tol``: it is the certified
global minimization of C over the grid by branch and bound over integer index boxes
(:class:`lptrain.certify.bnb.BranchAndBound` on a :class:`~lptrain.certify.boxes.GridSpace`,
boxes bounded with the sound bounds of :mod:`lptrain.certify.bounds` over their continuous
hull, boxes of at most ``leaf_points`` points enumerated exactly). So column generation on
this master *is* certified branch and bound for ``min C`` with the master's dual as the
pruning target — said plainly, because that is what makes it fast: the search tree persists
across pricing rounds (t only decreases, so a pruned box stays pruned), each round adds the
best improving columns found, and the loop ends when the pricing has proven that no box
holds a column of reduced cost below ``-tol``.

**The certificate.** At the end, every grid point lies in a box whose lower bound is
``>= t - tol`` or was evaluated exactly, so ``min(t, least pruned bound)`` is a lower bound
of the face LP optimum, and t is attained by a column: the gap is at most ``tol``. Stopped
early (time or node limit) the same bound is still sound, only wider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._validation import check_float, check_int
from lptrain.certify._monitor import BoundMonitor, ProgressArg, SearchStatus
from lptrain.certify.bnb import BranchAndBound, Candidates
from lptrain.certify.boxes import GridSpace
from lptrain.certify.distributed import make_bounder
from lptrain.discretize import grid_index, grid_size, levels
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.losses import Loss, get_loss
from lptrain.nn.regularizers import Regularizer, get_regularizer
from lptrain.solver import LinearProgram, solve_lp

__all__ = ["LazyFaceResult", "solve_face_lazy", "master_lp"]


@dataclass(frozen=True)
class LazyFaceResult:
    """Optimum of the face LP found by column generation, with its certificate.

    Attributes
    ----------
    phi, phi_levels, phi_index : the optimal grid point (values, level indices, mixed-radix
        index; the index is None when ``bits·N > 62``).
    lp_value : float
        Optimum of the final master LP = the face LP optimum (within ``tol`` when optimal).
    lower_bound : float
        Certified lower bound of the face LP optimum; ``gap = lp_value - lower_bound``.
    dual : float
        t, the master's dual of the convexity row (equals ``lp_value``).
    columns, column_values, mu : the master's columns (level indices), C at each, weights.
    master_solves, pricing_rounds, nodes, enumerated : statistics (boxes bounded, grid
        points evaluated exactly).
    history : ((seconds, lower bound, t), ...); seconds; status ("optimal", "time limit",
        "node limit").
    """

    phi: np.ndarray
    phi_levels: np.ndarray
    phi_index: int | None
    lp_value: float
    lower_bound: float
    gap: float
    dual: float
    columns: np.ndarray
    column_values: np.ndarray
    mu: np.ndarray
    master_solves: int
    pricing_rounds: int
    nodes: int
    enumerated: int
    history: tuple[tuple[float, float, float], ...]
    seconds: float
    status: str
    tol: float
    bits: int
    grid_points: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "phi": self.phi.tolist(), "phi_levels": self.phi_levels.tolist(),
            "phi_index": self.phi_index, "lp_value": self.lp_value,
            "lower_bound": self.lower_bound, "lower_bound_kind": "a-posteriori",
            "gap": self.gap, "dual": self.dual, "columns": len(self.column_values),
            "master_solves": self.master_solves, "pricing_rounds": self.pricing_rounds,
            "nodes": self.nodes, "enumerated": self.enumerated, "seconds": self.seconds,
            "status": self.status, "tol": self.tol, "bits": self.bits,
            "grid_points": str(self.grid_points),
            "history": [list(h) for h in self.history],
        }


def master_lp(values: np.ndarray) -> LinearProgram:
    """The restricted master ``min Σ_k μ_k C_k  s.t.  Σ_k μ_k = 1,  μ >= 0``.

    Examples
    --------
    >>> sol = solve_lp(master_lp(np.array([0.5, 0.25, 0.75])))
    >>> sol.objective, float(sol.row_duals[0]), sol.x.tolist()
    (0.25, 0.25, [0.0, 1.0, 0.0])
    """
    k = values.size
    return LinearProgram(c=values, A=np.ones((1, k)), row_lower=np.ones(1),
                         row_upper=np.ones(1),
                         col_lower=np.zeros(k), col_upper=np.full(k, np.inf))


class _Master:
    """Columns (level indices) and their costs; re-solves the master with HiGHS."""

    def __init__(self, n_dims: int) -> None:
        self.levels = np.empty((0, n_dims), dtype=np.int64)
        self.values = np.empty(0)
        self.mu = np.empty(0)
        self.t = np.inf
        self.solves = 0
        self._seen: set[bytes] = set()

    def add(self, lv: np.ndarray, values: np.ndarray) -> int:
        fresh = [i for i in range(lv.shape[0]) if lv[i].tobytes() not in self._seen]
        for i in fresh:
            self._seen.add(lv[i].tobytes())
        if fresh:
            self.levels = np.concatenate([self.levels, lv[fresh]])
            self.values = np.concatenate([self.values, values[fresh]])
        return len(fresh)

    def solve(self) -> None:
        sol = solve_lp(master_lp(self.values))
        self.solves += 1
        self.mu = sol.x
        # t is the dual of the convexity row; it equals the optimum min_k C_k.
        self.t = float(sol.row_duals[0])


def _improving(c: Candidates, t: float, tol: float, k: int) -> np.ndarray:
    good = np.flatnonzero(c.values < t - tol)
    return good[np.argsort(c.values[good], kind="stable")[:k]]


def solve_face_lazy(network: Network, loss: str | Loss, X_tilde: Any, Y_tilde: Any,
                    bits: int, *, regularizer: str | Regularizer | None = None,
                    time_limit: float | None = None, progress: ProgressArg = None,
                    cluster: Any = None, tol: float = 1e-9, columns_per_round: int = 16,
                    batch: int | None = None, leaf_points: int = 64,
                    max_open: int = 4_000_000, backend: str = "auto") -> LazyFaceResult:
    """Solve the face LP of the discretized data ``(X_tilde, Y_tilde)`` over the ``bits``
    φ-grid by column generation (module docstring), without enumerating the grid.

    Returns the same optimum as the full face LP (to ``tol``) with a certified lower
    bound; stopped by ``time_limit`` or ``max_open`` it returns a sound, wider bound.

    Examples
    --------
    >>> from lptrain.nn import dense, grid_argmin
    >>> net = dense([1, 1], "identity")
    >>> X = np.array([[-0.5], [0.25], [0.5]]); Y = np.array([[0.0], [0.25], [0.5]])
    >>> r = solve_face_lazy(net, "abs", X, Y, bits=4, backend="numpy", progress=False)
    >>> ref = grid_argmin(net, "abs", X, Y, bits=4, backend="numpy")
    >>> r.status, abs(r.lp_value - ref.value) <= 1e-9, r.gap <= 1e-9
    ('optimal', True, True)
    """
    lo_, reg = get_loss(loss), get_regularizer(regularizer)
    b = check_int("bits", bits, 1, 30)
    tol = check_float("tol", tol, 0.0)
    if time_limit is not None:
        time_limit = check_float("time_limit", time_limit, 0.0)
    N = network.N
    if N < 1:
        raise InvalidInputError("solve_face_lazy needs a network with N >= 1 parameters")
    if network.constraint is not None:
        raise InvalidInputError("solve_face_lazy does not support a constraint Aφ <= b yet; "
                                "use the 'highs' or 'structured' face solvers")
    monitor = BoundMonitor(time_limit, progress, "face LP (lazy)")
    bounder = make_bounder(network, lo_, X_tilde, Y_tilde, reg, cluster=cluster,
                           backend=backend)
    D = np.asarray(X_tilde).shape[0]
    space = GridSpace(N, b)
    K = levels(b)
    master = _Master(N)
    start = np.full((1, N), K // 2, dtype=np.int64)
    pt = space.value(start)
    master.add(start, bounder(pt, pt, pt).value)
    master.solve()
    if batch is None:
        batch = int(np.clip(2_000_000 // max(D, 1), 256, 32768))
    engine = BranchAndBound(bounder, space, np.zeros((1, N), dtype=np.int64),
                            np.full((1, N), K - 1, dtype=np.int64), lambda: master.t - tol,
                            batch=batch, soft_open=max_open // 4, max_open=max_open,
                            leaf_points=leaf_points)
    rounds = 0
    with monitor.display():
        while True:
            cands = engine.step()
            pick = _improving(cands, master.t, tol, columns_per_round)
            if pick.size and cands.levels is not None:
                if master.add(cands.levels[pick], cands.values[pick]):
                    master.solve()
                    rounds += 1
            lower = min(master.t, engine.lower_bound())
            monitor.update(lower, master.t, engine.nodes, len(engine.queue))
            if engine.done:
                status = SearchStatus.OPTIMAL
                break
            stop = monitor.stop_reason(engine)
            if stop is not None:
                status = stop
                break
    lower = min(master.t, engine.lower_bound())
    monitor.update(lower, master.t, engine.nodes, len(engine.queue), force=True)
    k = int(np.argmax(master.mu))
    lv = master.levels[k]
    return LazyFaceResult(
        phi=space.value(lv), phi_levels=lv.copy(),
        phi_index=int(grid_index(lv[None], b)[0]) if b * N <= 62 else None,
        lp_value=float(master.mu @ master.values), lower_bound=float(lower),
        gap=float(master.mu @ master.values - lower), dual=master.t,
        columns=master.levels.copy(), column_values=master.values.copy(),
        mu=master.mu.copy(), master_solves=master.solves, pricing_rounds=rounds,
        nodes=engine.nodes, enumerated=engine.enumerated, history=tuple(monitor.history),
        seconds=monitor.seconds, status=status, tol=tol, bits=b,
        grid_points=grid_size(N, b))
