"""Upper bounds for the pattern search: the exact convex problem of an activation pattern.

With the sign of every pre-activation ``x̃_d · v_j`` fixed (the pattern σ of a point θ),
the network output is affine in θ on the polyhedral cell
``{(2σ_jd - 1) x̃_d · v_j >= 0}``, so the ERM restricted to the cell is convex (an LP for
absolute and hinge loss, a QP for the quadratic loss; SPEC §9 "fixed activation
patterns"). :func:`polish_pattern` solves it with the interior-point method of
:mod:`lptrain.certify.patterns.ipm`, moves to the solution, and repeats with the new
pattern while the true risk decreases. It is a heuristic: only the true risk of the point
it returns is used (as a candidate), never its claims.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain.certify.patterns._jit import njit
from lptrain.certify.patterns.ipm import solve_relaxation
from lptrain.certify.patterns.relaxation import true_risk

__all__ = ["pattern_cell_solve", "polish_pattern"]


@njit(nogil=True)
def pattern_cell_solve(Xt: np.ndarray, y: np.ndarray, loss: int, alpha: float,
                       signs: np.ndarray, c_free: bool, clo: float, chi: float,
                       c_fixed: float, lam: float, theta: np.ndarray, pairs: np.ndarray,
                       k_ord: int, max_iter: int) -> tuple[np.ndarray, float]:
    """Minimize the ERM over the activation-pattern cell of ``theta``; return the solution
    and its true (regularized) risk."""
    D, q = Xt.shape
    H = signs.shape[0]
    off = 1 if c_free else 0
    p = theta.shape[0]
    npc = 3 if loss == 1 else 2
    A = np.zeros((D * npc, p))
    b = np.zeros(D * npc)
    start = np.zeros(D + 1, dtype=np.int64)
    nG = 2 * p + H * D + pairs.shape[0]
    G = np.zeros((nG, p))
    hG = np.zeros(nG)
    r = 0
    for i in range(p):
        lo_i, hi_i = (clo, chi) if (c_free and i == 0) else (-1.0, 1.0)
        G[r, i] = 1.0
        hG[r] = lo_i
        G[r + 1, i] = -1.0
        hG[r + 1] = -hi_i
        r += 2
    f = np.zeros(p)
    for d in range(D):
        f[:] = 0.0
        const = 0.0
        if c_free:
            f[0] = 1.0
        else:
            const = c_fixed
        for j in range(H):
            t = 0.0
            for i in range(q):
                t += Xt[d, i] * theta[off + j * q + i]
            k = 1.0 if t >= 0.0 else alpha
            sg = 1.0 if t >= 0.0 else -1.0
            for i in range(q):
                f[off + j * q + i] = signs[j] * k * Xt[d, i]
                G[r, off + j * q + i] = sg * Xt[d, i]
            r += 1
        k0 = d * npc
        start[d] = k0
        if loss == 2:  # hinge: 1 - y f, 0
            for i in range(p):
                A[k0, i] = -y[d] * f[i]
            b[k0] = 1.0 - y[d] * const
        else:  # f - y, y - f (, 0)
            for i in range(p):
                A[k0, i] = f[i]
                A[k0 + 1, i] = -f[i]
            b[k0] = const - y[d]
            b[k0 + 1] = y[d] - const
    start[D] = D * npc
    if loss == 2:
        # pieces per point: 2 (the second row is the zero piece)
        pass
    for t in range(pairs.shape[0]):
        G[r, off + pairs[t, 1] * q + k_ord] = 1.0
        G[r, off + pairs[t, 0] * q + k_ord] = -1.0
        r += 1
    th = theta.copy()
    for i in range(p):
        th[i] = min(max(th[i], -0.999), 0.999)
    if c_free:
        th[0] = min(max(th[0], clo + 1e-3 * (chi - clo)), chi - 1e-3 * (chi - clo))
    sol, _, _, _, _ = solve_relaxation(A, b, start, G[:r], hG[:r], th, loss == 1, lam,
                                       c_free, H, q, max_iter)
    for i in range(p):
        sol[i] = min(max(sol[i], clo if (c_free and i == 0) else -1.0),
                     chi if (c_free and i == 0) else 1.0)
    return sol, true_risk(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, sol, off, q)


def polish_pattern(pb: Any, theta: np.ndarray, signs: np.ndarray, rounds: int = 6,
                   max_iter: int = 60) -> tuple[np.ndarray, float]:
    """Repeat :func:`pattern_cell_solve` from ``theta`` while the true risk decreases;
    ``pb`` is a :class:`~lptrain.certify.patterns.search.PatternProblem`."""
    h = signs.shape[0]
    pairs = np.array([(j, j + 1) for j in range(h - 1) if signs[j] == signs[j + 1]],
                     dtype=np.int64).reshape(-1, 2)
    off = 1 if pb.c_free else 0
    best_t = np.asarray(theta, dtype=np.float64).copy()
    best_v = float(true_risk(pb.Xt, pb.y, pb.loss, pb.alpha, signs, pb.c_free, pb.c_fixed,
                             pb.lam, best_t, off, pb.q))
    for _ in range(rounds):
        t2, v2 = pattern_cell_solve(pb.Xt, pb.y, pb.loss, pb.alpha, signs, pb.c_free,
                                    pb.c_lo, pb.c_hi, pb.c_fixed, pb.lam, best_t, pairs,
                                    pb.k_ord, max_iter)
        if not (v2 < best_v - 1e-15):
            break
        best_t, best_v = t2, float(v2)
    return best_t, best_v
