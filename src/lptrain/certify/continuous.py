"""A-posteriori certificate of the continuous ERM: ``min_{φ ∈ Φ} ERM(φ)`` on the true data.

:func:`certify_erm` runs one of two branch and bounds on the actual (undiscretized) data:

* ``method="patterns"`` — for dense one-hidden-layer ReLU / leaky-ReLU networks with one
  output, absolute, quadratic or hinge loss and no regularizer or ``l2``: the search over
  activation patterns of :mod:`lptrain.certify.patterns` (sign form, no bilinear terms,
  LP-strength node bounds, certified by weak duality);
* ``method="boxes"`` — every other network: the branch and bound of
  :mod:`lptrain.certify.bnb` over the continuous box ``Φ = [-1, 1]^N`` (restricted to the
  symmetry faces of :mod:`lptrain.certify.symmetry`) with the affine box bounds of
  :mod:`lptrain.certify.bounds`.

``method="auto"`` (the default) takes the pattern search where it applies (it needs numba).
The result is a certified lower bound on the global optimum; with the ERM of the best
parameters found — or of parameters you give, e.g. weights trained by SGD — it gives a
certified gap. Unlike the a-priori ``2ε`` of Main Theorem 3.1, which rests on the
worst-case Lipschitz constant, this bound rests only on the data at hand and on the
rounding margins.

**What the status says.** ``"target reached"``: the gap of the parameters the certificate
is about — the given ``params``, else the best point found — is at most ``target_gap``.
``"exceeds target"``: ``params`` were given and are certified to be more than
``target_gap`` above the optimum (a better point was found and the bound closed around it).
``"time limit"``, ``"node limit"``, ``"interrupted"`` (Ctrl-C): stopped early with a sound
bound; ``"exhausted"``: the search space was covered without reaching the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._interrupt import interrupt_requests
from lptrain._validation import check_array, check_choice, check_float, check_unit_box
from lptrain.certify._monitor import BoundMonitor, ProgressArg, SearchStatus
from lptrain.certify.bnb import BranchAndBound
from lptrain.certify.bounds import BoxBounds
from lptrain.certify.boxes import ContinuousSpace
from lptrain.certify.distributed import make_bounder
from lptrain.certify.patterns import (
    PatternProblem,
    PatternSearch,
    dask_pattern_bounder,
    descent_seeds,
    from_params,
    patterns_available,
    polish_pattern,
    sign_form,
    to_params,
)
from lptrain.certify.symmetry import symmetry_roots
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import check_data, check_phi, empirical_risk
from lptrain.nn.losses import Loss, get_loss
from lptrain.nn.regularizers import Regularizer, get_regularizer

__all__ = ["ERMCertificate", "certify_erm", "choose_method", "polish"]


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
    seconds : wall time; status : "target reached", "exceeds target", "time limit",
    "node limit", "interrupted" (Ctrl-C: the bound reached so far), "exhausted" (see the
    module docstring).
    symmetry_groups : scaling groups used to restrict the box search (0 = none).
    method : "patterns" or "boxes" (see :func:`choose_method`).
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
    method: str = "boxes"

    @property
    def best_gap(self) -> float:
        """``best_value - lower_bound``: how far the best point found is from the optimum."""
        return float(self.best_value - self.lower_bound)

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
            "method": self.method, "best_gap": self.best_gap,
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


def choose_method(network: Network, loss: str | Loss,
                  regularizer: str | Regularizer | None = None, *, method: str = "auto",
                  backend: str = "auto", cluster: Any = None) -> tuple[str, str]:
    """The search :func:`certify_erm` runs and why: ``("patterns" | "boxes", reason)``.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> choose_method(dense([1, 3, 1], "tanh"), "abs")[0]
    'boxes'
    """
    choice = check_choice("method", method, ("auto", "patterns", "boxes"))
    if choice == "boxes":
        return "boxes", "asked for"
    sf = sign_form(network, get_loss(loss), get_regularizer(regularizer))
    why = sf.reason
    if sf.ok and not patterns_available():
        why = "the pattern search needs numba (pip install 'lptrain[fast]')"
    elif sf.ok and backend == "numpy":
        why = "backend='numpy' asks for the box search's numpy path"
    if sf.ok and not why:
        if choice == "auto" and sf.h == 1:
            # measured (benchmarks/bench_hidden_units.py, 2-1-1, D = 1000): boxes 0.23 s,
            # patterns 0.60 s; from two units on the pattern search is far ahead
            return "boxes", "one hidden unit: the box search is as strong and faster"
        return "patterns", "one hidden ReLU layer: activation-pattern search"
    if choice == "patterns":
        raise InvalidInputError(f"method='patterns' does not apply: {why}; use "
                                "method='auto' or 'boxes'")
    return "boxes", why


def certify_erm(network: Network, loss: str | Loss, X: Any, Y: Any, params: Any = None, *,
                regularizer: str | Regularizer | None = None, target_gap: float = 1e-2,
                time_limit: float | None = 60.0, progress: ProgressArg = None,
                cluster: Any = None, symmetry: bool = True, batch: int | None = None,
                max_open: int = 4_000_000, backend: str = "auto", method: str = "auto",
                initial: Any = None, box: float = 1.0) -> ERMCertificate:
    """Certified lower bound on ``min_{φ ∈ [-1,1]^N} (1/D) Σ_d ℓ(f(x_d, φ), y_d) + λR(φ)``
    and the gap of the best parameters found, or of ``params``.

    Branch and bound (best first, in batches) over activation patterns or over boxes of
    parameters (see the module docstring and :func:`choose_method`); stops when the gap of
    ``params`` (or, without them, of the best point) is at most ``target_gap``, when
    ``params`` are certified to be further than that from the optimum, at ``time_limit``
    seconds, when the open nodes reach ``max_open`` (memory stays bounded) or on Ctrl-C.
    Every stop returns a sound bound.

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
    initial : array (N,), optional
        A starting point only (e.g. a trainer's solution to improve on), in the units of
        ``params``: offered to the search as a candidate; the certificate is about the best
        point found.
    box : float
        Certify over ``Φ = [-box, box]^N`` (the network with coefficients times ``box``
        over ``[-1, 1]^N``, docs/certify.md); ``phi`` is returned in the original units.
    progress : None, bool or callable
        Progress bar on a terminal (None), forced on/off, or a callback per round.
    cluster : None, scheduler address or distributed.Client
        Where the bounding runs (default: in process, every core).
    symmetry : bool
        Box search: search only the faces left by the ReLU scaling symmetry (sound; see
        :mod:`lptrain.certify.symmetry`). The pattern search removes the scaling and the
        permutation symmetry by construction.
    method : {"auto", "patterns", "boxes"}

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
                backend=backend, method=method,
                initial=None if initial is None else np.asarray(initial, float) / prep.radius))
        network, params, regularizer = prep.network, prep.params, prep.regularizer
    # ---- end [users] ---------------------------------------------------------------------
    lo_, reg = get_loss(loss), get_regularizer(regularizer)
    gap_target = check_float("target_gap", target_gap, 0.0)
    if time_limit is not None:
        time_limit = check_float("time_limit", time_limit, 0.0)
    if network.N < 1:
        raise InvalidInputError("certify_erm needs a network with at least one free "
                                "parameter (N >= 1)")
    chosen, _ = choose_method(network, lo_, reg, method=method, backend=backend,
                              cluster=cluster)
    p_value, p_in, p_arr = None, None, None
    if params is not None:
        p_arr, p_in = _check_params(network, params)
        p_value = float(empirical_risk(network, lo_, X, Y, p_arr[None], reg,
                                       backend=backend)[0])
    if chosen == "patterns":
        run = _PatternRun(network, lo_, X, Y, reg, gap_target, cluster, batch, max_open)
        used = 0
    else:
        run = _BoxRun(network, lo_, X, Y, reg, gap_target, cluster, batch, max_open,
                      backend, symmetry)
        used = run.symmetry_groups
    # The clock starts once the search is set up (kernels compiled or loaded from the cache).
    monitor = BoundMonitor(time_limit, progress, "certify")
    if p_arr is not None and p_in:
        run.offer(p_arr, float(p_value))  # type: ignore[arg-type]
    if initial is not None:
        i_arr, i_in = _check_params(network, initial)
        if i_in:
            run.offer(i_arr, float(empirical_risk(network, lo_, X, Y, i_arr[None], reg,
                                                  backend=backend)[0]))
    status = _drive(run, monitor, gap_target, p_value)
    engine = run.engine
    lower = engine.lower_bound()
    phi = run.best_params()
    best_value = (float(empirical_risk(network, lo_, X, Y, phi[None], reg,
                                       backend=backend)[0])
                  if np.all(np.isfinite(phi)) else float("inf"))
    if p_arr is not None and p_in and p_value is not None and p_value <= best_value:
        phi, best_value = p_arr.copy(), p_value
    upper = p_value if p_value is not None else best_value
    return ERMCertificate(
        lower_bound=lower, upper_bound=float(upper), gap=float(upper - lower),
        phi=phi, best_value=best_value, params_value=p_value, params_in_box=p_in,
        history=tuple(monitor.history), nodes=engine.nodes, rounds=engine.rounds,
        seconds=monitor.seconds, status=status, target_gap=gap_target,
        symmetry_groups=used, method=chosen)


class _BoxRun:
    """The box search behind :func:`certify_erm`."""

    def __init__(self, network: Network, loss: Loss, X: Any, Y: Any,
                 reg: Regularizer | None, gap_target: float, cluster: Any,
                 batch: int | None, max_open: int, backend: str, symmetry: bool) -> None:
        self.network = network
        bounder: Any = make_bounder(network, loss, X, Y, reg, cluster=cluster,
                                    backend=backend)
        local = bounder if not hasattr(bounder, "client") else None
        D = local.D if local is not None else np.asarray(X).shape[0]
        if network.constraint is not None:
            bounder = _Constrained(bounder, network)
        self.bounder = bounder
        self.feasible = network.feasible if network.constraint is not None else None
        roots_lo, roots_hi, used = (symmetry_roots(network, reg) if symmetry else
                                    (-np.ones((1, network.N)), np.ones((1, network.N)), 0))
        self.symmetry_groups = used
        if batch is None:
            batch = int(np.clip(2_000_000 // max(D, 1), 256, 32768))
        self.engine = BranchAndBound(bounder, ContinuousSpace(network.N), roots_lo, roots_hi,
                                     lambda: self.engine.best - gap_target, batch=batch,
                                     soft_open=max_open // 4, max_open=max_open)
        self._polished = np.inf

    def offer(self, phi: np.ndarray, value: float) -> None:
        self.engine.offer(phi, value)

    def step(self, stop: Any = None) -> None:
        engine = self.engine
        engine.step()
        if engine.best < self._polished - 1e-9 and np.isfinite(engine.best):
            phi, val = polish(self.bounder, engine.best_point, engine.best,
                              feasible=self.feasible, stop=stop)
            engine.offer(phi, val)
            self._polished = engine.best

    def best_params(self) -> np.ndarray:
        return np.asarray(self.engine.best_point, dtype=np.float64).copy()


class _PatternRun:
    """The activation-pattern search behind :func:`certify_erm` (sign form inside)."""

    def __init__(self, network: Network, loss: Loss, X: Any, Y: Any,
                 reg: Regularizer | None, gap_target: float, cluster: Any,
                 batch: int | None, max_open: int) -> None:
        Xa, Ya = check_data(network, X, Y)
        assert Ya is not None
        Xa = check_unit_box("X", Xa, "scale the data into [-1, 1] first")
        Ya = check_unit_box("Y", Ya, "scale the labels into [-1, 1] first")
        self.sf = sign_form(network, loss, reg)
        self.problem = PatternProblem.from_signform(self.sf, loss.name, Xa, Ya)
        bounder = None if cluster is None else dask_pattern_bounder(self.problem, cluster)
        self.gap_target = gap_target
        self.engine = PatternSearch(self.problem, lambda: self.engine.best - gap_target,
                                    batch=16 if batch is None else int(batch),
                                    max_open=min(int(max_open), 2_000_000), bounder=bounder)
        self._polished = np.inf
        self._seeded = False
        # Bound the roots now: the first call compiles the kernels (minutes, once per
        # machine) or loads them from numba's cache; the time limit is for the search.
        self.engine.step()

    def offer(self, phi: np.ndarray, value: float) -> None:
        c, V, signs = from_params(self.sf, phi)
        theta = (np.concatenate([[c], V.ravel()]) if self.problem.c_free else V.ravel())
        order = np.argsort(-signs, kind="stable")  # the roots list positive units first
        self.engine.offer(_reorder(theta, order, self.problem), value, signs[order])

    def step(self, stop: Any = None) -> None:
        """One batch, then the exact convex problem of the best candidates' patterns
        (local search: it only ever offers true risks); none once ``stop()`` is true."""
        engine = self.engine
        engine.step(stop)
        # Projected Adam from 10 starts, once, for two or more inputs: there the networks
        # met in the tree are far from the best (docs/patterns.md); on one input they were
        # measured as good, and the seeding would only cost its half second
        if not self._seeded and self.problem.q >= 3 and not engine.done \
                and not (stop is not None and stop()):
            self._seeded = True
            for theta, value, signs in descent_seeds(self.problem)[:2]:
                engine.offer(theta, value, signs)
                t2, v2 = polish_pattern(self.problem, theta, signs)
                engine.offer(t2, v2, signs)
        # Local search on every new best point, and on the batch's best candidate every
        # 8th round (a fixed rule, so that a run is reproducible, on a cluster too).
        periodic = engine.rounds % 8 == 0
        for theta, value, signs in engine.last_candidates:
            if stop is not None and stop():
                break
            if value <= engine.best or (periodic and value < engine.best
                                        + 4.0 * self.gap_target):
                t2, v2 = polish_pattern(self.problem, theta, signs)
                engine.offer(t2, v2, signs)
                periodic = False

    def best_params(self) -> np.ndarray:
        pb, engine = self.problem, self.engine
        theta = engine.best_point
        if not np.all(np.isfinite(theta)):
            return np.full(self.sf.w_index.size + self.sf.a_index.size  # type: ignore
                           + (pb.h if self.sf.bias else 0) + (1 if pb.c_free else 0), np.nan)
        off = 1 if pb.c_free else 0
        c = float(theta[0]) if pb.c_free else pb.c_fixed
        V = theta[off:].reshape(pb.h, pb.q)
        return to_params(self.sf, c, V, engine.best_signs)


def _reorder(theta: np.ndarray, order: np.ndarray, pb: PatternProblem) -> np.ndarray:
    off = 1 if pb.c_free else 0
    V = theta[off:].reshape(pb.h, pb.q)[order]
    return np.concatenate([theta[:off], V.ravel()])


def _drive(run: Any, monitor: BoundMonitor, gap_target: float, p_value: float | None) -> str:
    """Step the search until a stop rule fires; the status says what was proven."""
    engine = run.engine
    # Ctrl-C: the step finishes and the bound reached is returned ("interrupted"); a second
    # Ctrl-C interrupts at once (lptrain._interrupt), with the same status.
    with monitor.display(), interrupt_requests() as ctrl_c:
        halt = lambda: ctrl_c.requested or monitor.out_of_time()  # noqa: E731
        try:
            while True:
                run.step(halt)
                lower = engine.lower_bound()
                best = engine.best
                monitor.update(lower, best, engine.nodes, len(engine.queue))
                if p_value is not None:
                    if p_value - lower <= gap_target:
                        status = SearchStatus.TARGET_REACHED
                        break
                    if best - lower <= gap_target and p_value - best > gap_target:
                        status = SearchStatus.EXCEEDS_TARGET
                        break
                elif best - lower <= gap_target:
                    status = SearchStatus.TARGET_REACHED
                    break
                if engine.done:
                    status = SearchStatus.EXHAUSTED
                    break
                if ctrl_c.requested:
                    status = SearchStatus.INTERRUPTED
                    break
                stop = monitor.stop_reason(engine)
                if stop is not None:
                    status = stop
                    break
        except KeyboardInterrupt:
            status = SearchStatus.INTERRUPTED
    monitor.update(engine.lower_bound(), engine.best, engine.nodes, len(engine.queue),
                   force=True)
    return status
