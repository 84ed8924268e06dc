"""A-posteriori certificate of the continuous ERM: ``min_{φ ∈ Φ} ERM(φ)`` on the true data.

:func:`certify_erm` runs the branch and bound of :mod:`lptrain.certify.bnb` over the
continuous box ``Φ = [-1, 1]^N`` (restricted to the symmetry faces of
:mod:`lptrain.certify.symmetry` when the network has scaling groups) with the sound box
bounds of :mod:`lptrain.certify.bounds` on the actual (undiscretized) data. The result is a
certified lower bound on the global optimum; with the ERM of the best parameters found — or
of parameters you give, e.g. weights trained by SGD — it gives a certified gap. Unlike the
a-priori ``2ε`` of Main Theorem 3.1, which rests on the worst-case Lipschitz constant, this
bound rests only on the data at hand and on the rounding margins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._interrupt import interrupt_requests
from lptrain._validation import check_array, check_float
from lptrain.certify._monitor import BoundMonitor, ProgressArg
from lptrain.certify.bnb import BranchAndBound
from lptrain.certify.bounds import BoxBounds
from lptrain.certify.boxes import ContinuousSpace
from lptrain.certify.distributed import make_bounder
from lptrain.certify.symmetry import symmetry_roots
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import check_phi, empirical_risk
from lptrain.nn.losses import Loss, get_loss
from lptrain.nn.regularizers import Regularizer, get_regularizer

__all__ = ["ERMCertificate", "certify_erm", "polish"]


@dataclass(frozen=True)
class ERMCertificate:
    """A certified bracket of the global optimum of the (regularized) ERM over Φ.

    Attributes
    ----------
    lower_bound : float
        Certified: ``min_{φ∈Φ} ERM(φ) >= lower_bound`` (kind ``"a-posteriori"``).
    upper_bound : float
        The ERM of the given parameters, or of the best parameters found.
    gap : float
        ``upper_bound - lower_bound``: how far the parameters can be from the optimum
        (negative only when given parameters lie outside Φ and beat every point of Φ).
    phi, best_value : the best parameters found in Φ and their ERM.
    params_value, params_in_box : the given parameters' ERM and whether they lie in Φ.
    history : ((seconds, lower bound, best value), ...) as the bounds closed.
    nodes, rounds : boxes bounded, batches processed.
    seconds : wall time; status : "target reached", "time limit", "node limit", "exhausted",
    "interrupted" (Ctrl-C: the bound reached so far).
    symmetry_groups : scaling groups used to restrict the search (0 = none).
    """

    lower_bound: float
    upper_bound: float
    gap: float
    phi: np.ndarray
    best_value: float
    params_value: float | None
    params_in_box: bool | None
    history: tuple[tuple[float, float, float], ...]
    nodes: int
    rounds: int
    seconds: float
    status: str
    target_gap: float
    symmetry_groups: int
    domain: str = "[-1, 1]^N"
    lower_bound_kind: str = "a-posteriori"

    @property
    def optimality_excess(self) -> tuple[float, float]:
        """Bracket of ``ERM(params) - min ERM``: ``(upper - best found, upper - lower)``."""
        return (self.upper_bound - self.best_value, self.gap)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (what ``lptrain certify --json`` prints)."""
        return {
            "lower_bound": self.lower_bound, "lower_bound_kind": self.lower_bound_kind,
            "upper_bound": self.upper_bound, "gap": self.gap, "erm": self.upper_bound,
            "best_value": self.best_value, "phi": self.phi.tolist(),
            "params_value": self.params_value, "params_in_box": self.params_in_box,
            "status": self.status, "seconds": self.seconds, "nodes": self.nodes,
            "rounds": self.rounds, "target_gap": self.target_gap,
            "symmetry_groups": self.symmetry_groups, "domain": self.domain,
            "history": [list(h) for h in self.history],
        }


class _Constrained:
    """Wraps a bounder for a network with ``Aφ <= b``: boxes outside it get +inf bounds and
    infeasible candidates +inf values (a bound over the whole box stays valid inside)."""

    def __init__(self, bounder: Any, network: Network) -> None:
        self.bounder, self.net = bounder, network
        con = network.constraint
        assert con is not None
        self.A, self.b = np.asarray(con.A), np.asarray(con.b) + con.tol

    def __call__(self, lo: np.ndarray, hi: np.ndarray, cand: np.ndarray) -> BoxBounds:
        bb = self.bounder(lo, hi, cand)
        c, r = 0.5 * (lo + hi), 0.5 * (hi - lo)
        least = c @ self.A.T - r @ np.abs(self.A).T  # min of each row of Aφ over the box
        empty = (least > self.b + 1e-12 * (1 + np.abs(self.b))).any(axis=1)
        lower = np.where(empty, np.inf, bb.lower)
        value = np.where(self.net.feasible(cand), bb.value, np.inf)
        return BoxBounds(lower, value, bb.split)


def polish(bounder: Any, phi: np.ndarray, value: float, *, step: float = 0.05,
           min_step: float = 1e-5, max_evals: int = 4000, feasible: Any = None,
           stop: Any = None) -> tuple[np.ndarray, float]:
    """Compass search from ``phi`` inside ``[-1, 1]^N`` (an upper-bound heuristic: the
    result is only ever used as a candidate whose risk is evaluated exactly). ``stop``: a
    callable checked before every move (time limit, Ctrl-C).

    Examples
    --------
    >>> from lptrain.certify.bounds import BoxBounder
    >>> from lptrain.nn import dense
    >>> b = BoxBounder(dense([1, 1], "identity"), "abs", [[0.5], [-0.5]], [[0.25], [-0.25]],
    ...                backend="numpy")
    >>> phi, v = polish(b, np.array([0.0, 0.0]), 0.25)
    >>> round(v, 6)
    0.0
    """
    N = phi.size
    dirs = np.concatenate([np.eye(N), -np.eye(N)])
    evals = 0
    while step >= min_step and evals < max_evals and not (stop is not None and stop()):
        pts = np.clip(phi[None, :] + step * dirs, -1.0, 1.0)
        vals = bounder(pts, pts, pts).value
        if feasible is not None:
            vals = np.where(feasible(pts), vals, np.inf)
        evals += pts.shape[0]
        k = int(np.argmin(vals))
        if vals[k] < value:
            # Move, then try the same direction once more with a doubled step.
            phi, value = pts[k], float(vals[k])
            far = np.clip(phi + step * dirs[k], -1.0, 1.0)[None, :]
            v2 = float(bounder(far, far, far).value[0])
            evals += 1
            if v2 < value and (feasible is None or feasible(far)[0]):
                phi, value = far[0], v2
        else:
            step *= 0.5
    return phi, value


def _check_params(network: Network, params: Any) -> tuple[np.ndarray, bool]:
    arr = check_phi(network, check_array("params", params, ndim=(1, 2)))[0]
    return arr, bool(np.all(np.abs(arr) <= 1.0) and network.feasible(arr[None])[0])


def certify_erm(network: Network, loss: str | Loss, X: Any, Y: Any, params: Any = None, *,
                regularizer: str | Regularizer | None = None, target_gap: float = 1e-2,
                time_limit: float | None = 60.0, progress: ProgressArg = None,
                cluster: Any = None, symmetry: bool = True, batch: int | None = None,
                max_open: int = 4_000_000, backend: str = "auto",
                box: float = 1.0) -> ERMCertificate:
    """Certified lower bound on ``min_{φ ∈ [-1,1]^N} (1/D) Σ_d ℓ(f(x_d, φ), y_d) + λR(φ)``
    and the gap of the best parameters found, or of ``params``.

    Branch and bound (best first, batches of boxes) with the affine box bounds of
    :mod:`lptrain.certify.bounds`; stops when ``best - lower <= target_gap`` (or
    ``ERM(params) - lower <= target_gap``), at ``time_limit`` seconds, or when the open
    boxes reach ``max_open`` (memory stays bounded). Every stop returns a sound bound.

    Parameters
    ----------
    network, loss, X, Y, regularizer
        The ERM; data and labels in [-1, 1] (scale them first).
    params : array (N,), torch module, state_dict, weights file or scikit-learn MLP, optional
        Parameters to certify (e.g. trained by SGD). ``network`` may itself be a torch
        module or a fitted MLP (then ``params`` is None); see :mod:`lptrain.convert`. ReLU
        units outside Φ are rescaled into it first (same function); parameters that stay
        outside are certified as they are (the gap may then be negative: the bound is
        over Φ).
    box : float
        Certify over ``Φ = [-box, box]^N`` (the network with coefficients times ``box``
        over ``[-1, 1]^N``, docs/certify.md); ``phi`` is returned in the original units.
    progress : None, bool or callable
        Progress bar on a terminal (None), forced on/off, or a callback per round.
    cluster : None, scheduler address or distributed.Client
        Where the bounding runs (default: in process, every core).
    symmetry : bool
        Search only the faces left by the ReLU scaling symmetry (sound; see
        :mod:`lptrain.certify.symmetry`).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> X = np.array([[-1.0], [0.0], [1.0]]); Y = np.array([[-0.5], [0.0], [0.5]])
    >>> cert = certify_erm(dense([1, 1], "identity"), "abs", X, Y, target_gap=1e-3,
    ...                    backend="numpy", progress=False)
    >>> cert.status, cert.lower_bound <= 0.0 <= cert.upper_bound <= 1e-3
    ('target reached', True)
    """
    # ---- [users, issue 12.2] foreign models, ReLU rescaling, box=R: lptrain.convert ----
    from lptrain.convert.prepare import needs_preparation, prepare_certify

    if needs_preparation(network, params, box):
        prep = prepare_certify(network, params, box=box, regularizer=regularizer)
        if prep.radius != 1.0:
            return prep.restore(certify_erm(  # type: ignore[no-any-return]
                prep.network, loss, X, Y, prep.params, regularizer=prep.regularizer,
                target_gap=target_gap, time_limit=time_limit, progress=progress,
                cluster=cluster, symmetry=symmetry, batch=batch, max_open=max_open,
                backend=backend))
        network, params, regularizer = prep.network, prep.params, prep.regularizer
    # ---- end [users] ---------------------------------------------------------------------
    lo_, reg = get_loss(loss), get_regularizer(regularizer)
    gap_target = check_float("target_gap", target_gap, 0.0)
    if time_limit is not None:
        time_limit = check_float("time_limit", time_limit, 0.0)
    if network.N < 1:
        raise InvalidInputError("certify_erm needs a network with at least one free "
                                "parameter (N >= 1)")
    monitor = BoundMonitor(time_limit, progress, "certify")
    bounder: Any = make_bounder(network, lo_, X, Y, reg, cluster=cluster, backend=backend)
    local = bounder if not hasattr(bounder, "client") else None
    D = local.D if local is not None else np.asarray(X).shape[0]
    if network.constraint is not None:
        bounder = _Constrained(bounder, network)
    feasible = network.feasible if network.constraint is not None else None
    roots_lo, roots_hi, used = (symmetry_roots(network, reg) if symmetry else
                                (-np.ones((1, network.N)), np.ones((1, network.N)), 0))
    if batch is None:
        batch = int(np.clip(2_000_000 // max(D, 1), 256, 32768))
    engine = BranchAndBound(bounder, ContinuousSpace(network.N), roots_lo, roots_hi,
                            lambda: engine.best - gap_target, batch=batch,
                            soft_open=max_open // 4, max_open=max_open)
    p_value, p_in = None, None
    if params is not None:
        p_arr, p_in = _check_params(network, params)
        p_value = float(empirical_risk(network, lo_, X, Y, p_arr[None], reg,
                                       backend=backend)[0])
        if p_in:
            engine.offer(p_arr, p_value)
    status = _run(engine, monitor, bounder, gap_target, p_value, feasible)
    lower = engine.lower_bound()
    upper = p_value if p_value is not None else engine.best
    return ERMCertificate(
        lower_bound=lower, upper_bound=float(upper), gap=float(upper - lower),
        phi=engine.best_point.copy(), best_value=float(engine.best), params_value=p_value,
        params_in_box=p_in, history=tuple(monitor.history), nodes=engine.nodes,
        rounds=engine.rounds, seconds=monitor.seconds, status=status,
        target_gap=gap_target, symmetry_groups=used)


def _run(engine: BranchAndBound, monitor: BoundMonitor, bounder: Any, gap_target: float,
         p_value: float | None, feasible: Any) -> str:
    polished = np.inf
    # [users, issue 12.2] Ctrl-C: finish the step, return the bound reached ("interrupted")
    with monitor.display(), interrupt_requests() as ctrl_c:
        halt = lambda: ctrl_c.requested or monitor.out_of_time()  # noqa: E731
        while True:
            engine.step()
            if engine.best < polished - 1e-9 and np.isfinite(engine.best):
                phi, val = polish(bounder, engine.best_point, engine.best, feasible=feasible,
                                  stop=halt)
                engine.offer(phi, val)
                polished = engine.best
            lower = engine.lower_bound()
            upper = engine.best if p_value is None else min(engine.best, p_value)
            monitor.update(lower, engine.best, engine.nodes, len(engine.queue))
            if engine.done or upper - lower <= gap_target:
                status = "target reached" if upper - lower <= gap_target else "exhausted"
                break
            if ctrl_c.requested:  # [users] see above
                status = "interrupted"
                break
            stop = monitor.stop_reason(engine)
            if stop is not None:
                status = stop
                break
    monitor.update(engine.lower_bound(), engine.best, engine.nodes, len(engine.queue),
                   force=True)
    return status
