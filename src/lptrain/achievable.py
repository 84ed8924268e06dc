"""Achievable loss vectors and their certificates (Remark 3.3).

For a sample (X, Y), the face of the §3 polytope (Lemma 3.6) keeps, for every data point
d, the variables ``λ_{d,φ}`` over the φ-grid; the marginal equations of the path force one
common distribution μ over the grid, and ``L_d = Σ_φ λ_{d,φ} ℓ_d(φ)`` is the loss of data
point d (``ℓ_d(φ) = ℓ(f(x̃^d, φ), ỹ^d)`` on the discretized data). Projecting out φ leaves
the set of *achievable loss vectors* ``{(Σ_φ μ_φ ℓ_d(φ))_d : μ a distribution}``: the convex
hull of the loss vectors of the grid points. Adding target rows to the face LP decides

* ``mode="le"``: is there μ with ``Σ_φ μ_φ ℓ_d(φ) <= t_d`` for every d?
* ``mode="eq"``: is ``t`` itself in the projection (``= t_d`` for every d)?
* ``mode="average"``: is there μ with ``(1/D) Σ_d Σ_φ μ_φ ℓ_d(φ) <= a``?

The LP decides achievability by a **mixture** of grid parameters (a randomized predictor);
a single grid φ may not achieve a target a mixture achieves (the loss vectors of single
φ's are the vertices, not the hull). The result reports both (``single``).

When the LP is infeasible, HiGHS's Farkas ray ``y`` is checked by
:func:`~lptrain.solver.verify_farkas` on the materialized LP (exact rational arithmetic
when practical) and projected onto the target rows: weights ``w = -y_target`` (``>= 0`` for
``le``, any sign for ``eq``) with ``Σ_d w_d ℓ_d(φ) > Σ_d w_d t_d`` for **every** grid φ --
a certificate "without the φ variables" (the marginal and normalization multipliers cancel
on any consistent point). :func:`verify_weights` re-checks that inequality over the whole
grid with an independent evaluation of the losses: exact rationals (``fractions``) for
piecewise-rational networks and losses, otherwise the numpy reference kernels with a
rounding allowance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp

from lptrain._validation import (
    check_array,
    check_choice,
    check_float,
    check_int,
    check_unit_box,
)
from lptrain.discretize import grid_levels, grid_size, levels, to_grid
from lptrain.erm import ERMPolytope
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import Loss, Network, get_loss, loss_matrix
from lptrain.nn.evaluate import check_data
from lptrain.solver import (
    EXACT_NNZ_LIMIT,
    HighsSession,
    InfeasibleLPError,
    LinearProgram,
    verify_farkas,
)

__all__ = ["FaceLP", "Certificate", "Achievability", "face_lp", "achievable",
           "verify_weights", "MAX_FACE_LAMBDAS"]

#: Largest D·|Φ_grid| the face LP is built for.
MAX_FACE_LAMBDAS = 8_000_000
#: Largest D·|Φ_grid| checked in exact rational arithmetic by :func:`verify_weights`.
EXACT_CHECK_LIMIT = 300_000
_MODES = ("le", "eq", "average")
_HINT = "scale the data into [-1, 1] first (lptrain.data.UnitScaler)"


@dataclass(frozen=True)
class FaceLP:
    """The face LP of a sample with its target rows.

    ``lp`` has the face's free λ first (bag d, grid point j at column ``d·G + j``), then the
    X variables of the path; ``losses`` is ``ℓ_d(φ_j)`` (D, G) on the discretized data and
    ``phi`` (G, N) the grid points of Φ; ``target_rows`` are the added rows.
    """

    lp: LinearProgram
    losses: np.ndarray
    phi: np.ndarray
    target_rows: np.ndarray
    polytope: ERMPolytope

    @property
    def G(self) -> int:
        return int(self.phi.shape[0])


def _targets(mode: str, target: Any, D: int) -> np.ndarray:
    if mode == "average":
        return np.array([check_float("target average loss", target)])
    t = check_array("target vector", target, ndim=1)
    if t.shape != (D,):
        raise InvalidInputError(f"the target vector has {t.size} entries but the sample has "
                                f"D={D} data points (one target per data point)")
    return t


def face_lp(network: Network, loss: str | Loss, X: Any, Y: Any, bits: int, target: Any,
            mode: str = "le", *, points: str = "data", max_memory: Any = None) -> FaceLP:
    """The face (Lemma 3.6) of the §3 polytope (:class:`lptrain.erm.ERMPolytope`) for the
    sample (X, Y), its fixed columns dropped, plus the target rows (module docstring).

    ``points="data"`` builds the polytope on the sample's own data points (Remark 3.2: the
    same face, a table of ``|P| <= D`` data points instead of ``K^{n+m}``); ``"grid"`` on
    the full data grid.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> f = face_lp(dense([1, 1]), "abs", [[0.5]], [[0.0]], 1, [0.25])
    >>> f.losses.tolist(), f.lp.n_cols, f.lp.n_rows
    ([[1.0, 0.0, 1.0, 0.0]], 4, 2)
    """
    check_choice("mode", mode, _MODES)
    check_choice("points", points, ("data", "grid"))
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    check_unit_box("X", Xa, _HINT)
    check_unit_box("Y", Ya, _HINT)
    bits, D = check_int("bits", bits, 1, 16), Xa.shape[0]
    t = _targets(mode, target, D)
    poly = ERMPolytope.define(network, loss, samples=D, bits=bits,
                              points=(Xa, Ya) if points == "data" else None)
    if poly.sizes.face_free_lambda > MAX_FACE_LAMBDAS:
        raise TooLargeError(f"the face has D*|grid| = {D}*{poly.sizes.phi_grid} = "
                            f"{poly.sizes.face_free_lambda} lambda variables; the limit is "
                            f"{MAX_FACE_LAMBDAS}: use fewer bits or samples")
    poly = ERMPolytope.build(network, loss, samples=D, bits=bits, max_memory=max_memory,
                             points=(Xa, Ya) if points == "data" else None, progress=False)
    face = poly.face(Xa, Ya)
    lifted = poly.lifted
    assert lifted is not None and poly.loss_table is not None
    free = face.free_columns()
    cols = np.concatenate([free, np.arange(int(lifted.x_offsets[0]), lifted.lp.n_cols)])
    base = lifted.lp
    C = poly.loss_table[face.point_rows]
    G = C.shape[1]
    at = np.arange(D * G)
    if mode == "average":
        T = sp.csr_matrix((C.ravel() / D, (np.zeros(D * G, dtype=np.int64), at)),
                          shape=(1, cols.size))
    else:
        T = sp.csr_matrix((C.ravel(), (np.repeat(np.arange(D), G), at)), shape=(D, cols.size))
    low = t if mode == "eq" else np.full(t.size, -np.inf)
    lp = LinearProgram(c=base.c[cols], A=sp.vstack([base.A[:, cols], T]).tocsc(),
                       row_lower=np.concatenate([base.row_lower, low]),
                       row_upper=np.concatenate([base.row_upper, t]),
                       col_lower=base.col_lower[cols], col_upper=base.col_upper[cols],
                       offset=base.offset)
    index = np.arange(G) if poly.phi_index is None else poly.phi_index
    phi = -1.0 + grid_levels(index, network.N, bits) * (2.0 / levels(bits))
    return FaceLP(lp, C, phi, base.n_rows + np.arange(t.size), poly)


def _grid_phi(network: Network, bits: int, G: int) -> np.ndarray:
    return -1.0 + grid_levels(np.arange(G), network.N, bits) * (2.0 / levels(bits))


@dataclass(frozen=True)
class Certificate:
    """Why a target is not achievable: ``Σ_d w_d ℓ_d(φ) > Σ_d w_d t_d`` for every grid φ.

    ``farkas_verified``: :func:`verify_farkas` accepted the LP's ray (``farkas_exact``: in
    exact rational arithmetic). ``weights_verified``: :func:`verify_weights` re-checked the
    inequality over the grid with an independent evaluation (``exact``: in rationals);
    ``margin`` is ``min_φ Σ_d w_d (ℓ_d(φ) - t_d)`` there (> 0 proves unachievability).
    """

    weights: np.ndarray
    ray: np.ndarray
    farkas_verified: bool
    farkas_exact: bool
    weights_verified: bool
    exact: bool
    margin: float

    @property
    def verified(self) -> bool:
        return self.farkas_verified and self.weights_verified

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "verified": self.verified,
                "farkas_verified": self.farkas_verified, "farkas_exact": self.farkas_exact,
                "weights_verified": self.weights_verified, "exact": self.exact,
                "margin": self.margin}


@dataclass(frozen=True)
class Achievability:
    """Outcome of :func:`achievable` (see the module docstring)."""

    achievable: bool
    mode: str
    target: np.ndarray
    mixture_phi: np.ndarray | None
    mixture_weights: np.ndarray | None
    loss_vector: np.ndarray | None
    mixture_verified: bool
    single: bool
    single_phi: np.ndarray | None
    certificate: Certificate | None
    lp_variables: int
    lp_constraints: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the keys of ``lptrain achievable --json``)."""
        mix = None
        if self.mixture_phi is not None and self.mixture_weights is not None:
            mix = [{"phi": p.tolist(), "weight": float(w)}
                   for p, w in zip(self.mixture_phi, self.mixture_weights, strict=True)]
        params = self.single_phi
        # params: one grid φ achieving the target alone (None if only a mixture does)
        return {"achievable": self.achievable, "mode": self.mode,
                "target": self.target.tolist(), "single_achievable": self.single,
                "params": None if params is None else params.tolist(), "mixture": mix,
                "loss_vector": None if self.loss_vector is None else self.loss_vector.tolist(),
                "mixture_verified": self.mixture_verified,
                "certificate": None if self.certificate is None else self.certificate.to_dict(),
                "lp_variables": self.lp_variables, "lp_constraints": self.lp_constraints,
                "seconds": self.seconds}


# ------------------------------------------------------------------ independent evaluation
def _fractions(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [Fraction(float(v)) for v in a.ravel()]
    return out


def _exact_losses(network: Network, loss: Loss, X: np.ndarray, Y: np.ndarray,
                  phi: np.ndarray) -> np.ndarray:
    """ℓ(f(x_d, φ_p), y_d) as exact rationals, shape (D, P) (object array of Fraction).

    Apart from the floating-point kernels of :mod:`lptrain.nn` on purpose: every float
    input is an exact dyadic rational, the network's sums and products are computed on
    Fractions, and each activation and the loss are their components' definitions read as
    exact rationals (:meth:`~lptrain.components.Activation.rational`,
    :meth:`~lptrain.components.Loss.exact_value`); only piecewise-rational ones qualify.
    """
    P, D = phi.shape[0], X.shape[0]
    ph = _fractions(phi).T[:, None, :]                      # (N, 1, P)
    z = [np.broadcast_to(_fractions(X[:, j])[:, None], (D, P)) for j in range(network.n)]

    def weight(p: int, c: float) -> Any:
        return Fraction(c) * ph[p] if p >= 0 else Fraction(c)

    for v in network.nodes:
        t = np.full((D, P), Fraction(0), dtype=object) + weight(*v.bias)
        for u, p, c in v.inputs:
            t = t + weight(p, c) * z[u]
        z.append(np.broadcast_to(v.activation.rational(t), (D, P)))
    ys = _fractions(Y)
    outs = [z[o] for o in network.outputs]
    return np.broadcast_to(loss.exact_value(outs, [ys[:, j][:, None] for j in
                                                   range(len(outs))]), (D, P))


def verify_weights(network: Network, loss: str | Loss, X: Any, Y: Any, bits: int,
                   target: np.ndarray, weights: np.ndarray, mode: str = "le", *,
                   exact: bool | str = "auto"
                   ) -> tuple[bool, float, bool]:
    """Check ``Σ_d w_d ℓ_d(φ) > Σ_d w_d t_d`` for every φ of the grid, without the LP.

    Returns ``(holds, margin, exact)``; the losses are recomputed by an evaluation path
    independent of the one that built the LP (exact rationals when the network and loss
    are piecewise rational and ``D·G <= EXACT_CHECK_LIMIT``, else the numpy reference with
    a relative allowance of 1e-12). For ``le``/``average`` the weights must be ``>= 0``.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> net, X, Y = dense([1, 1], "identity"), [[0.5], [-0.5]], [[0.5], [0.0]]
    >>> verify_weights(net, "abs", X, Y, 2, np.array([0.2, 0.2]), np.array([0.5, 0.5]))
    (True, 0.05, True)
    """
    lo = get_loss(loss)
    Xa, Ya = _data(network, X, Y, bits)
    w = np.asarray(weights, dtype=np.float64)
    if mode != "eq" and (w < 0).any():
        return False, -np.inf, False
    G = grid_size(network.N, bits)
    phi = _grid_phi(network, bits, G)
    feasible = network.feasible(phi)
    can_exact = (lo.rational and Xa.shape[0] * G <= EXACT_CHECK_LIMIT
                 and all(v.activation.exact for v in network.nodes))
    if exact is True and not can_exact:
        raise InvalidInputError("an exact check needs a piecewise-rational network and loss "
                                f"and D*G <= {EXACT_CHECK_LIMIT}")
    t = np.broadcast_to(np.asarray(target, dtype=np.float64), (Xa.shape[0],))
    if can_exact and exact is not False:
        C = _exact_losses(network, lo, Xa, Ya, phi[feasible])
        wf, tf = _fractions(w), _fractions(t)
        margins = (wf[:, None] * (C - tf[:, None])).sum(axis=0)
        margin = min(margins.tolist()) if margins.size else Fraction(1)
        return bool(margin > 0), float(margin), True
    C = loss_matrix(network, lo, Xa, Ya, phi[feasible], backend="numpy")
    margins = w @ (C - t[:, None])
    slack = 1e-12 * (np.abs(w) @ (np.abs(C) + np.abs(t)[:, None])).max(initial=0.0)
    margin = float(margins.min(initial=np.inf))
    return bool(margin > slack), margin, False


# ------------------------------------------------------------------ deciding achievability
def _direction(lp: LinearProgram, ray: np.ndarray) -> np.ndarray:
    """The sign of the Farkas ray that proves infeasibility (float estimate)."""
    lo_ok, up_ok = np.isfinite(lp.row_lower), np.isfinite(lp.row_upper)
    lo, up = np.where(lo_ok, lp.row_lower, 0.0), np.where(up_ok, lp.row_upper, 0.0)

    def value(y: np.ndarray) -> float:
        beta = np.where(y > 0, np.where(lo_ok, y * lo, -np.inf),
                        np.where(y < 0, np.where(up_ok, y * up, -np.inf), 0.0))
        r = lp.A.T @ y
        return float(beta.sum() - np.maximum(r * lp.col_lower, r * lp.col_upper).sum())
    return ray if value(ray) >= value(-ray) else -ray


def achievable(network: Network, loss: str | Loss, X: Any, Y: Any, bits: int, target: Any,
               mode: str = "le", *, points: str = "data", max_memory: Any = None,
               time_limit: float | None = None) -> Achievability:
    """Decide whether a target loss vector (or average loss) is achievable (Remark 3.3).

    Examples
    --------
    Two points, ``f(x) = wx + b`` on the 2-bit grid {-1, -0.5, 0, 0.5}: no grid φ fits
    both (that needs b = 0.25), so (0, 0) is out; the loss vectors (0.5, 0) and (0, 0.5)
    of single grid points mix into (0.125, 0.375), which no single grid point achieves:

    >>> from lptrain.nn import dense
    >>> net, X, Y = dense([1, 1], "identity"), [[0.5], [-0.5]], [[0.5], [0.0]]
    >>> r = achievable(net, "abs", X, Y, 2, [0.125, 0.375])
    >>> r.achievable, r.single, r.mixture_weights.tolist(), r.mixture_verified
    (True, False, [0.25, 0.75], True)
    >>> r = achievable(net, "abs", X, Y, 2, [0.2, 0.2])
    >>> c = r.certificate
    >>> r.achievable, c.verified, c.exact, c.weights.round(6).tolist(), round(c.margin, 6)
    (False, True, True, [0.5, 0.5], 0.05)
    """
    start = time.perf_counter()
    face = face_lp(network, loss, X, Y, bits, target, mode, points=points,
                   max_memory=max_memory)
    lp, C, G, D = face.lp, face.losses, face.G, face.losses.shape[0]
    t = _targets(mode, target, D)
    phi_all = face.phi
    try:
        with HighsSession(lp, time_limit=time_limit) as session:
            solution = session.solve()
    except InfeasibleLPError as exc:
        if exc.farkas_ray is None:
            raise
        y = _direction(lp, exc.farkas_ray)
        use_exact = lp.nnz <= EXACT_NNZ_LIMIT
        ok = verify_farkas(lp, y, exact=use_exact)
        w = -y[face.target_rows]
        if mode == "average":
            w = np.full(D, w[0] / D)
        scale = np.abs(w).sum()
        w = w / scale if scale > 0 else w
        tv = np.full(D, t[0]) if mode == "average" else t
        holds, margin, exact = verify_weights(network, loss, X, Y, bits, tv, w,
                                              "eq" if mode == "eq" else "le")
        cert = Certificate(w, y, ok, use_exact, holds, exact, margin)
        return Achievability(False, mode, t, None, None, None, False, False, None, cert,
                             lp.n_cols, lp.n_rows, time.perf_counter() - start)
    mu = np.clip(solution.x[:G], 0.0, None)  # bag 0's λ: the common distribution μ
    mu /= mu.sum()
    support = np.flatnonzero(mu > 1e-9)
    achieved = C[:, support] @ mu[support]
    check = loss_matrix(network, loss, *_data(network, X, Y, bits), phi_all[support],
                        backend="numpy") @ mu[support]
    ok_vec = (np.abs(check - t) <= 1e-7 if mode == "eq" else
              (check.mean() <= t[0] + 1e-7 if mode == "average" else check <= t + 1e-7))
    single = _single(C, t, mode)
    return Achievability(True, mode, t, phi_all[support], mu[support], achieved,
                         bool(np.all(ok_vec)), single is not None,
                         None if single is None else phi_all[single], None,
                         lp.n_cols, lp.n_rows, time.perf_counter() - start)


def _data(network: Network, X: Any, Y: Any, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The data rounded down to the grid (§3.1), computed here, apart from lptrain.erm."""
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    return to_grid(Xa, bits), to_grid(Ya, bits)


def _single(C: np.ndarray, t: np.ndarray, mode: str) -> int | None:
    """A grid point achieving the target alone (the best one), or None."""
    if mode == "average":
        score = C.mean(axis=0) - t[0]
    elif mode == "eq":
        score = np.abs(C - t[:, None]).max(axis=0)
    else:
        score = (C - t[:, None]).max(axis=0)
    k = int(np.argmin(score))
    return k if score[k] <= 1e-12 else None
