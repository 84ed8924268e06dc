"""Affine overestimators of ``relu(x · v)`` over a unit's region that follow its geometry.

The chord of the triangle relaxation, ``λ(t - L)`` with ``t = x · v`` and ``[L, U]`` the
range of t over the unit's region P, only sees that range. The **concave envelope** of
``g(v) = max(0, x · v)`` over the polytope P is much tighter where P is not thin along x
(in two input dimensions, q = 3, node bounds rose three- to a hundredfold on the nodes of a
2-3-1 search where the chord kept them near 0). Since g is convex, the envelope is the
least concave function through the lifted vertices ``(V_i, g(V_i))``, and each of its
facets ``ℓ(v) = w · v + β`` is an affine function with ``ℓ >= g`` on P (``ℓ - g`` is
concave and non-negative at the vertices) — a valid replacement of the chord, which the
node relaxation takes as it is.

:func:`envelope_facet` picks the facet active at a point ``v*`` (the relaxation's solution
with the chord) from the small linear program

    ``max Σ_i μ_i g(V_i)  s.t.  Σ_i μ_i V_i = v*,  Σ_i μ_i = 1,  μ >= 0``,

whose optimal dual ``(w, β)`` is the facet: ``q + 1`` rows, one column per vertex, solved
by a dense two-phase simplex. Nothing here needs to be exact: the caller certifies the
overestimator it returns (``min_P ℓ >= 0`` and ``min_P (ℓ - x·v) >= 0`` by weak duality,
raising β where needed), so a wrong vertex or a poor basis can only make it looser.
"""

from __future__ import annotations

import numpy as np

from lptrain.certify.patterns._jit import njit
from lptrain.certify.patterns.cones import solve_small

__all__ = ["envelope_facet"]

_TOL = 1e-11


@njit
def _pivot(T: np.ndarray, basis: np.ndarray, r: int, k: int) -> None:
    m = T.shape[0]
    piv = T[r, k]
    T[r, :] /= piv
    for i in range(m):
        if i != r and T[i, k] != 0.0:
            T[i, :] -= T[i, k] * T[r, :]
    basis[r] = k


@njit
def _simplex(T: np.ndarray, basis: np.ndarray, cost: np.ndarray, allowed: int,
             iters: int) -> bool:
    """Maximize ``cost · μ`` on the tableau T (rows ``[A | rhs]``, a feasible basis);
    only the first ``allowed`` columns may enter. False when out of iterations."""
    m, ncol = T.shape[0], T.shape[1] - 1
    for _ in range(iters):
        best, k = _TOL, -1
        for c in range(allowed):
            rc = cost[c]
            for i in range(m):
                rc -= cost[basis[i]] * T[i, c]
            if rc > best:
                best, k = rc, c
        if k < 0:
            return True
        r, ratio = -1, np.inf
        for i in range(m):
            if T[i, k] > _TOL:
                v = T[i, ncol] / T[i, k]
                if v < ratio:
                    ratio, r = v, i
        if r < 0:
            return False  # unbounded: cannot happen with Σ μ = 1
        _pivot(T, basis, r, k)
    return False


@njit
def envelope_facet(V: np.ndarray, nv: int, x: np.ndarray, vstar: np.ndarray,
                   w_out: np.ndarray) -> tuple[float, bool]:
    """The facet ``w · v + β`` of the concave envelope of ``max(0, x · v)`` over the
    vertices ``V[:nv]`` that is active at ``vstar``; writes w, returns ``(β, ok)``
    (``ok = False``: vstar is not in the vertices' hull or the simplex stalled)."""
    q = x.shape[0]
    m = q + 1
    ncol = nv + m
    T = np.zeros((m, ncol + 1))
    sgn = np.ones(m)
    for i in range(nv):
        for r in range(q):
            T[r, i] = V[i, r]
        T[q, i] = 1.0
    for r in range(q):
        T[r, ncol] = vstar[r]
    T[q, ncol] = 1.0
    basis = np.empty(m, dtype=np.int64)
    for r in range(m):
        if T[r, ncol] < 0.0:
            sgn[r] = -1.0
            T[r, :] = -T[r, :]
        T[r, nv + r] = 1.0
        basis[r] = nv + r
    cost = np.zeros(ncol)
    for r in range(m):
        cost[nv + r] = -1.0
    if not _simplex(T, basis, cost, nv, 4 * (nv + m)):
        return 0.0, False
    infeas = 0.0
    for r in range(m):
        if basis[r] >= nv:
            infeas += T[r, ncol]
    if infeas > 1e-6:  # vstar is not (nearly) in the hull: no facet
        return 0.0, False
    # Drive the artificials left in the basis (at level ~0) out by degenerate pivots, so
    # that phase 2 cannot raise them; a row with no structural entry is redundant.
    for r in range(m):
        if basis[r] < nv:
            continue
        kbest, vbest = -1, 1e-9
        for c in range(nv):
            if abs(T[r, c]) > vbest:
                kbest, vbest = c, abs(T[r, c])
        if kbest >= 0:
            _pivot(T, basis, r, kbest)
            if T[r, ncol] < 0.0:  # a level of -1e-16 after the pivot: keep it feasible
                T[r, ncol] = 0.0
    g = np.zeros(ncol)
    for i in range(nv):
        t = 0.0
        for r in range(q):
            t += x[r] * V[i, r]
        g[i] = max(0.0, t)
    if not _simplex(T, basis, g, nv, 4 * (nv + m)):
        return 0.0, False
    # The duals y = c_B B^-1 of the original rows (B's columns as in the original system).
    Bt = np.zeros((m, m))
    cb = np.zeros(m)
    for r in range(m):
        k = basis[r]
        if k < nv:
            for s in range(q):
                Bt[r, s] = V[k, s]
            Bt[r, q] = 1.0
            cb[r] = g[k]
        else:
            Bt[r, k - nv] = sgn[k - nv]
    yv, ok = solve_small(Bt, cb)
    if not ok:
        return 0.0, False
    for s in range(q):
        w_out[s] = yv[s]
    return yv[q], True
