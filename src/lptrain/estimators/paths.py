"""The two ways an estimator trains, on data already checked and scaled into [-1, 1].

* **On the grid** (:func:`fit_on_grid`, ``bits``/``eps``/``polytope`` given): the §3 pipeline —
  define or build the data-independent polytope of Main Theorem 3.1 for D samples, take the
  face of the data (Lemma 3.6), solve it, keep φ̃ with its certificate (v̂, ``ERM(φ̃)``,
  ``v̂ - ε`` of Lemma 3.4); with a ``target_gap`` the branch and bound on the actual data
  then certifies an a-posteriori bound and may return better parameters.
* **Without a grid** (:func:`fit_without_grid`, ``target_gap`` alone): the continuous
  certificate :func:`lptrain.certify.certify_erm` — branch and bound over ``[-1, 1]^N`` on
  the data; its best point becomes the model. A local search (L-BFGS-B from a seeded random
  start, :func:`local_search`) gives it a first incumbent; the certificate does not rest on
  it (the bound is the branch and bound's), only the model's quality and the time to the
  gap do.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lptrain.errors import InvalidInputError
from lptrain.estimators.common import FitResult
from lptrain.nn import Network, empirical_risk, get_loss
from lptrain.nn.losses import Loss
from lptrain.nn.regularizers import get_regularizer

__all__ = ["FitOptions", "fit_problem", "fit_on_grid", "fit_without_grid", "local_search",
           "check_polytope"]

#: Face solvers that need the materialized polytope (ERMPolytope.build).
_MATERIALIZED = frozenset({"highs"})


@dataclass(frozen=True)
class FitOptions:
    """The training options shared by every estimator (their constructor arguments)."""

    bits: int | None = None
    eps: float | None = None
    regularizer: str | None = None
    solver: str = "structured"
    polytope: Any = None
    max_memory: int | str | None = None
    backend: str = "auto"
    progress: bool | None = None
    verify: Any = True
    target_gap: float | None = None
    time_limit: float | None = None
    default_time_limit: float | None = 60.0
    lipschitz: str = "paper"
    cluster: Any = None
    local_search: bool = True
    random_state: Any = None
    max_open: int = 4_000_000

    @property
    def on_grid(self) -> bool:
        """Whether the fit runs the §3 grid (bits, eps or a polytope given)."""
        return self.bits is not None or self.eps is not None or self.polytope is not None


def check_polytope(poly: Any, net: Network, loss: Loss, D: int, bits: int | None,
                   eps: float | None, regularizer: str | None) -> None:
    """Refuse a given polytope that does not fit the problem, naming the mismatch.

    Examples
    --------
    >>> from lptrain.erm import ERMPolytope
    >>> from lptrain.nn import dense
    >>> poly = ERMPolytope.define(dense([1, 1]), "abs", samples=3, bits=2)
    >>> check_polytope(poly, dense([1, 1]), get_loss("abs"), 4, None, None, None)
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: the polytope was built for D=3 samples but the data \
has 4 rows; build one with --samples 4
    """
    p_net = getattr(poly, "network", None)
    if p_net is not None and p_net != net:
        raise InvalidInputError(
            f"the polytope was built for a different network ({p_net!r}); this problem has "
            f"{net!r}")
    p_loss = getattr(poly, "loss", None)
    p_loss = getattr(p_loss, "name", p_loss)
    if p_loss is not None and get_loss(p_loss).name != loss.name:
        raise InvalidInputError(
            f"the polytope was built for loss {p_loss!r}; this problem uses {loss.name!r}")
    if int(poly.samples) != D:
        raise InvalidInputError(
            f"the polytope was built for D={poly.samples} samples but the data has {D} rows; "
            f"build one with --samples {D}")
    if bits is not None and int(poly.bits) != int(bits):
        raise InvalidInputError(
            f"the polytope has bits={poly.bits} but bits={bits} was asked for; leave bits "
            "unset to use the polytope's grid")
    if eps is not None and float(poly.epsilon) > float(eps):
        raise InvalidInputError(
            f"the polytope's grid gives eps={poly.epsilon:g}, more than the eps={eps:g} asked "
            "for; leave eps unset to use the polytope's grid")
    p_reg = getattr(poly, "regularizer", None)
    p_reg = getattr(p_reg, "spec", p_reg)
    if regularizer is not None and p_reg != regularizer:
        raise InvalidInputError(
            f"the polytope was built with regularizer {p_reg!r}; this problem uses "
            f"{regularizer!r}")


def _polytope(net: Network, loss: Loss, D: int, opt: FitOptions) -> Any:
    from lptrain.erm import ERMPolytope

    poly = opt.polytope
    if poly is not None:
        if isinstance(poly, (str, os.PathLike)):
            poly = ERMPolytope.load(Path(poly), max_memory=opt.max_memory)
        check_polytope(poly, net, loss, D, opt.bits, opt.eps, opt.regularizer)
        return poly
    if opt.bits is not None and opt.eps is not None:
        raise InvalidInputError("give exactly one of bits and eps (e.g. bits=3); "
                                f"got bits={opt.bits!r}, eps={opt.eps!r}")
    common: dict[str, Any] = {"samples": D, "bits": opt.bits, "eps": opt.eps,
                              "regularizer": opt.regularizer, "backend": opt.backend,
                              "lipschitz_method": opt.lipschitz}
    if opt.solver in _MATERIALIZED:
        return ERMPolytope.build(net, loss.name, **common, max_memory=opt.max_memory,
                                 progress=opt.progress)
    return ERMPolytope.define(net, loss.name, **common)


def _certify(net: Network, loss: Loss, Xs: np.ndarray, Ys: np.ndarray, phi: Any,
             opt: FitOptions) -> Any:
    from lptrain.certify import certify_erm

    assert opt.target_gap is not None
    limit = opt.default_time_limit if opt.time_limit is None else opt.time_limit
    return certify_erm(net, loss.name, Xs, Ys, initial=phi, regularizer=opt.regularizer,
                       target_gap=opt.target_gap, time_limit=limit, progress=opt.progress,
                       cluster=opt.cluster, backend=opt.backend, max_open=opt.max_open)


def fit_on_grid(net: Network, loss: Loss, Xs: np.ndarray, Ys: np.ndarray,
                opt: FitOptions) -> FitResult:
    """The §3 pipeline (module docstring); a-posteriori certificate with ``target_gap``."""
    t0 = time.perf_counter()
    poly = _polytope(net, loss, Xs.shape[0], opt)
    t1 = time.perf_counter()
    extra: dict[str, Any] = {}
    if opt.cluster is not None and opt.solver == "lazy":
        extra["cluster"] = opt.cluster
    sol = poly.face(Xs, Ys).solve(opt.solver, time_limit=opt.time_limit,
                                  progress=opt.progress, verify=opt.verify, **extra)
    t2 = time.perf_counter()
    cert = None if opt.target_gap is None else _certify(net, loss, Xs, Ys, sol.phi, opt)
    params, erm, source = np.asarray(sol.phi, dtype=np.float64), float(sol.erm), "face LP"
    lower, kind = float(sol.lower_bound), str(sol.lower_bound_kind)
    if cert is not None:
        if cert.best_value < erm:
            params, erm, source = np.asarray(cert.phi, dtype=np.float64), \
                float(cert.best_value), "branch and bound"
        if cert.lower_bound > lower:
            lower, kind = float(cert.lower_bound), "a-posteriori"
    seconds = {"polytope": t1 - t0, "face_and_solve": t2 - t1,
               "certify": cert.seconds if cert is not None else 0.0,
               "total": time.perf_counter() - t0}
    return FitResult("face LP", params, erm, lower, kind, source, face=sol, polytope=poly,
                     a_posteriori=cert, lp_objective=float(sol.lp_value),
                     epsilon=float(sol.epsilon), seconds=seconds)


def _risk_function(network: Network, loss: Loss, X: np.ndarray, Y: np.ndarray,
                   reg: Any, backend: str) -> Any:
    """``Phi (P, N) -> risks (P,)``: for a dense builder network a batched numpy forward
    (one matrix product per layer for all P parameter vectors, the activations' and the
    loss's own numpy values), else :func:`lptrain.nn.empirical_risk`."""
    from lptrain.torch.layout import activations, recognize

    layout = recognize(network)
    if layout is None or layout["kind"] != "dense":
        return lambda P: empirical_risk(network, loss, X, Y, P, reg, backend=backend)
    act, out_act = activations(network)
    shapes = [shape for _, shape in network.groups]
    bias = bool(layout["bias"])
    D, m = X.shape[0], network.m
    Yt = np.broadcast_to(Y, (1, D, m))

    def risk(P: np.ndarray) -> np.ndarray:
        raw = network.full_parameters(P)
        H: np.ndarray = X[None, :, :]
        pos, layer, n_layers = 0, 0, len(layout["widths"]) - 1
        while pos < raw.shape[1]:
            w_shape = shapes[layer * (2 if bias else 1)]
            W = raw[:, pos:pos + w_shape[0] * w_shape[1]].reshape(-1, *w_shape)
            pos += w_shape[0] * w_shape[1]
            Z = np.matmul(H, W.transpose(0, 2, 1))
            if bias:
                Z = Z + raw[:, pos:pos + w_shape[0]][:, None, :]
                pos += w_shape[0]
            layer += 1
            H = (out_act if layer == n_layers else act)(Z)
        per = loss(H.reshape(-1, m), np.broadcast_to(Yt, H.shape).reshape(-1, m))
        value = np.asarray(per).reshape(P.shape[0], D).mean(axis=1)
        return value + reg(P) if reg is not None else value

    return risk


def _compass(risk: Any, phi: np.ndarray, value: float, step: float = 0.05,
             min_step: float = 1e-5, max_rounds: int = 150) -> tuple[np.ndarray, float]:
    """Compass search in ``[-1, 1]^N`` with the same schedule as the branch and bound's
    ``polish`` (all 2N moves of one step size per evaluation; a success is tried once more
    at twice the distance; otherwise the step halves), so that ``polish`` then starts at a
    point it cannot improve and costs only its step halvings."""
    dirs = np.concatenate([np.eye(phi.size), -np.eye(phi.size)])
    for _ in range(max_rounds):
        if step < min_step:
            break
        pts = np.clip(phi[None, :] + step * dirs, -1.0, 1.0)
        vals = risk(pts)
        k = int(np.argmin(vals))
        if vals[k] < value:
            phi, value = pts[k], float(vals[k])
            far = np.clip(phi + step * dirs[k], -1.0, 1.0)
            v2 = float(risk(far[None, :])[0])
            if v2 < value:
                phi, value = far, v2
        else:
            step *= 0.5
    return phi, value


def local_search(network: Network, loss: str | Loss, X: np.ndarray, Y: np.ndarray, *,
                 regularizer: str | None = None, random_state: Any = None,
                 restarts: int = 2, maxiter: int = 60, backend: str = "auto"
                 ) -> tuple[np.ndarray, float, dict[str, Any]] | None:
    """A local minimum of the ERM in ``[-1, 1]^N``: L-BFGS-B (SciPy) with forward-difference
    gradients (N + 1 risks per gradient, one batched evaluation) from ``restarts`` random
    starts drawn from ``random_state`` (uniform in ``±1/sqrt(Δ)``), then a compass search
    (nonsmooth losses and kinks). A heuristic: its point is
    only ever used as a candidate whose risk is evaluated exactly
    (:func:`lptrain.nn.empirical_risk`). Returns ``(φ, ERM(φ), info)``, or None for a network
    with a constraint ``Aφ <= b`` (infeasible points have risk +inf).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> X = np.linspace(-1, 1, 9)[:, None]
    >>> phi, value, info = local_search(dense([1, 1]), "quadratic", X, 0.5 * X - 0.25,
    ...                                 random_state=0, backend="numpy")
    >>> np.round(phi, 4).tolist(), value < 1e-8
    ([0.5, -0.25], True)
    """
    from scipy.optimize import minimize

    if network.constraint is not None or network.N == 0:
        return None
    lo_, reg = get_loss(loss), get_regularizer(regularizer)
    rng = random_state if isinstance(random_state, np.random.Generator) else \
        np.random.default_rng(random_state)
    N, h = network.N, 1e-7
    eye = np.eye(N)
    risk = _risk_function(network, lo_, np.asarray(X, dtype=np.float64),
                          np.asarray(Y, dtype=np.float64), reg, backend)

    def value_and_gradient(phi: np.ndarray) -> tuple[float, np.ndarray]:
        sign = np.where(phi + h <= 1.0, 1.0, -1.0)  # stay inside the box
        vals = risk(np.vstack([phi[None, :], phi[None, :] + (sign * h)[:, None] * eye]))
        return float(vals[0]), (vals[1:] - vals[0]) / (sign * h)

    scale = min(1.0, 1.0 / np.sqrt(max(network.max_in_degree, 1)))
    best: tuple[np.ndarray, float] | None = None
    evaluations = 0
    for _ in range(restarts):
        x0 = rng.uniform(-scale, scale, N)
        res = minimize(value_and_gradient, x0, jac=True, method="L-BFGS-B",
                       bounds=[(-1.0, 1.0)] * N, options={"maxiter": maxiter})
        evaluations += int(res.nfev)
        phi, val = _compass(risk, np.clip(res.x, -1.0, 1.0), float(res.fun))
        if best is None or val < best[1]:
            best = (phi, val)
    assert best is not None
    value = float(empirical_risk(network, lo_, X, Y, best[0][None, :], reg, backend=backend)[0])
    return best[0], value, {"method": "L-BFGS-B (forward differences), compass search",
                            "restarts": restarts, "evaluations": evaluations * (N + 1),
                            "value": value}


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Small matrix products (the local search, the numpy bounds) run fastest on one BLAS
    thread; several threads spin against each other on a busy machine (measured: L-BFGS-B
    5× slower). The numba kernels keep their own threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def fit_without_grid(net: Network, loss: Loss, Xs: np.ndarray, Ys: np.ndarray,
                     opt: FitOptions) -> FitResult:
    """Certified training without a grid: local search, then the continuous certificate;
    the branch and bound's best point is the model (module docstring)."""
    t0 = time.perf_counter()
    with _one_blas_thread():
        start = (local_search(net, loss, Xs, Ys, regularizer=opt.regularizer,
                              random_state=opt.random_state, backend=opt.backend)
                 if opt.local_search else None)
    t1 = time.perf_counter()
    with _one_blas_thread():
        cert = _certify(net, loss, Xs, Ys, None if start is None else start[0], opt)
    best = float(cert.best_value)
    source = ("local search" if start is not None and best >= start[1] else "branch and bound")
    seconds = {"local_search": t1 - t0, "certify": cert.seconds,
               "total": time.perf_counter() - t0}
    return FitResult("branch and bound", np.asarray(cert.phi, dtype=np.float64), best,
                     float(cert.lower_bound), "a-posteriori", source, a_posteriori=cert,
                     seconds=seconds, local_search=None if start is None else start[2])


def fit_problem(net: Network, loss: Loss, Xs: np.ndarray, Ys: np.ndarray,
                opt: FitOptions) -> FitResult:
    """On the grid when bits, eps or a polytope is given; otherwise without a grid when a
    ``target_gap`` is; else an error saying so."""
    if opt.on_grid:
        return fit_on_grid(net, loss, Xs, Ys, opt)
    if opt.target_gap is None:
        raise InvalidInputError(
            "give exactly one of bits and eps (e.g. bits=3) for the face LP of §3, or "
            "target_gap alone (e.g. target_gap=0.01) for certified training without a grid; "
            f"got bits={opt.bits!r}, eps={opt.eps!r}, target_gap=None")
    return fit_without_grid(net, loss, Xs, Ys, opt)
