"""The relaxation of one node of the pattern search and its certified lower bound.

A node gives every hidden unit j a region ``P_j`` (:mod:`lptrain.certify.patterns.cones`).
On ``P_j`` the pre-activation ``t_jd = x̃_d · v_j`` of data point d lies in a certified
interval ``[L_jd, U_jd]``, so ``relu(t_jd)`` is

* **active** (``L >= -δ``): between t and ``t + δ_a``, ``δ_a = max(0, -L)``;
* **inactive** (``U <= δ``): between 0 and ``max(0, U)``;
* **unstable**: between ``max(0, t)`` (convex) and the chord ``λ(t - L) + ε``,
  ``λ = U / (U - L)`` (ε covers the rounding of λ),

with δ = 1e-9 (a pre-activation certified to lie in [-δ, δ] changes the loss by at most
δ per unit, and that is charged exactly). After a first pass with the chords, the chord of
every unstable pair that is not tight at the solution is replaced by the facet of the
concave envelope of the ReLU over the unit's region active there
(:mod:`lptrain.certify.patterns.envelope`, made valid by :func:`certify_upper`) and the
relaxation is solved again; the better certified bound is kept (:func:`node_bound`).
A leaky ReLU is ``α t + (1 - α) relu(t)``. Summing over the units with their signs gives
a convex lower function ``F_lo,d(θ)`` and a concave upper function ``F_hi,d(θ)`` of
``θ = (c, v_1, ..., v_h)`` with
``F_lo,d <= f(x_d) <= F_hi,d`` on the node. For a loss convex in f, the least loss over
``[F_lo, F_hi]`` is a convex function of θ that is the maximum of affine *pieces*
(``max(0, t)`` is expanded into its two pieces for up to four units per side and data
point; beyond that it is replaced by the valid ``λ t``):

* absolute: ``max(F_lo - y, y - F_hi, 0)``; quadratic: the square of it;
* hinge ``max(0, 1 - y f)``: ``max(0, 1 - y F_hi)`` for ``y >= 0``, ``max(0, 1 - y F_lo)``
  for ``y < 0``.

The relaxation ``min_θ (1/D) Σ_d ψ(max_k piece_k(θ)) + Ω(θ)`` over the node (boxes, cone
constraints, the ordering of same-sign units) is solved approximately by
:mod:`lptrain.certify.patterns.ipm`; the **certified bound** then takes its multipliers z:

    for abs and hinge  ``max_k piece_k >= Σ_k λ_k piece_k`` (``λ = z / Σ z``, convex weights);
    for quadratic      ``e² >= 2τ e - τ²`` with ``τ >= 0`` the solver's ``e_d``;
    ``λ c² >= λ(2 c_0 c - c_0²)`` and ``R(v) >= 2λ ||v||_2 >= 2λ u · v`` (``||u||_2 < 1``);
    an ordering row ``v_{j+1,k} - v_{j,k} >= 0`` enters with its multiplier ω >= 0,

so the objective is at least an affine function of θ on the node, whose minimum
separates over c and the units and is bounded with
:func:`~lptrain.certify.patterns.cones.certified_min`.
Rounding of every sum is bounded by ``γ_n`` times the sum of magnitudes and subtracted.
The bound holds for any multipliers; the solver only makes it tight.
"""

from __future__ import annotations

import numpy as np

from lptrain.certify.patterns._jit import njit
from lptrain.certify.patterns.cones import (
    RMAX,
    VMAX,
    certified_min,
    facets_and_origin_bases,
    nnls,
    unit_vertices,
    vertex_bases,
)
from lptrain.certify.patterns.envelope import envelope_facet
from lptrain.certify.patterns.ipm import solve_relaxation

__all__ = ["node_bound", "bound_nodes", "true_risk", "DELTA", "CAP", "NodeStatus", "OPEN",
           "EXACT", "INFEASIBLE", "PRUNED"]

#: A pre-activation certified within [-DELTA, DELTA] of one sign is treated as that sign.
DELTA = 1e-9
#: Units per side and data point whose max(0, t) is expanded into pieces.
CAP = 4
_U = 2.0**-53
#: Smoothing of ||v|| in the solver (``sqrt(||v||² + eps²)``); see ipm.py.
_EPS_REG = 1e-7


#: Status codes of :func:`node_bound`: bounded, branch on (unit, point); the relaxation is
#: tight at its solution (no branching needed); the ordering of same-sign units leaves no
#: point (bound +inf); pruned by the parent's minorant (no relaxation solved).
OPEN, EXACT, INFEASIBLE, PRUNED = 0, 1, 2, 3


class NodeStatus:
    """The status codes as names (for Python callers)."""

    OPEN = OPEN
    EXACT = EXACT
    INFEASIBLE = INFEASIBLE
    PRUNED = PRUNED


@njit
def _regions(normals: np.ndarray, nr: np.ndarray, q: int):  # type: ignore[no-untyped-def]
    """Every unit's vertices, vertex bases, origin bases and facets, packed by unit."""
    H = nr.shape[0]
    lo = -np.ones(q)
    hi = np.ones(q)
    V = np.zeros((H, VMAX, q))
    nv = np.zeros(H, dtype=np.int64)
    binv = np.zeros((H, VMAX, q, q))
    ids = np.full((H, VMAX, q), -1, dtype=np.int64)
    ok = np.zeros((H, VMAX), dtype=np.bool_)
    keep = np.zeros((H, RMAX), dtype=np.bool_)
    obs = []
    nob = np.zeros(H, dtype=np.int64)
    for j in range(H):
        Vj, Mj, n, _ = unit_vertices(normals[j], nr[j], lo, hi)
        b, i, o = vertex_bases(Vj, Mj, n, normals[j], q)
        kp, ob, oi = facets_and_origin_bases(Vj, Mj, n, normals[j], nr[j], q)
        V[j] = Vj
        nv[j] = n
        binv[j, :n] = b
        ids[j, :n] = i
        ok[j, :n] = o
        for r in range(nr[j]):
            keep[j, r] = kp[r]
        obs.append((ob, oi))
        nob[j] = ob.shape[0]
    NB = max(1, np.max(nob))
    obinv = np.zeros((H, NB, q, q))
    oids = np.zeros((H, NB, q), dtype=np.int64)
    for j in range(H):
        obinv[j, : nob[j]] = obs[j][0]
        oids[j, : nob[j]] = obs[j][1]
    return V, nv, binv, ids, ok, obinv, oids, nob, keep, lo, hi


@njit
def _umin(x, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi
          ):  # type: ignore[no-untyped-def]
    """Certified lower bound of ``min x · v`` over unit j's region."""
    return certified_min(x, V[j], nv[j], binv[j], ids[j], ok[j], obinv[j], oids[j], nob[j],
                         normals[j], nr[j], lo, hi)


@njit
def _ranges(Xt, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi
            ):  # type: ignore[no-untyped-def]
    """Certified ``L_jd <= x̃_d · v_j <= U_jd`` over every unit's region."""
    D, q = Xt.shape
    H = nr.shape[0]
    L = np.empty((H, D))
    U = np.empty((H, D))
    neg = np.empty(q)
    for j in range(H):
        for d in range(D):
            x = Xt[d]
            L[j, d] = _umin(x, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)
            for i in range(q):
                neg[i] = -x[i]
            U[j, d] = -_umin(neg, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo,
                             hi)
    return L, U


@njit
def _classify(L: np.ndarray, U: np.ndarray):  # type: ignore[no-untyped-def]
    """Active (0), inactive (1) or unstable (2) per (unit, point); the margin of an
    active/inactive pair, or the chord ``λ(t - L) + ε`` of an unstable one
    (``lam_c = λ``, ``lo_c = -λL + ε``)."""
    H, D = L.shape
    cls = np.empty((H, D), dtype=np.int64)
    lo_c = np.zeros((H, D))
    lam_c = np.zeros((H, D))
    for j in range(H):
        for d in range(D):
            lv, uv = L[j, d], U[j, d]
            if lv >= -DELTA:
                cls[j, d] = 0
                lo_c[j, d] = max(0.0, -lv)
            elif uv <= DELTA:
                cls[j, d] = 1
                lo_c[j, d] = max(0.0, uv)
            else:
                cls[j, d] = 2
                lm = uv / (uv - lv)
                lam_c[j, d] = lm
                lo_c[j, d] = -lm * lv + 4.0 * _U * (uv - lv)
    return cls, lo_c, lam_c


@njit
def _piece_counts(y, loss, signs, cls, lo_c):  # type: ignore[no-untyped-def]
    H, D = cls.shape
    start = np.zeros(D + 1, dtype=np.int64)
    for d in range(D):
        cp = 0
        cm = 0
        exact = True
        for j in range(H):
            if cls[j, d] == 2:
                exact = False
                if signs[j] > 0:
                    cp += 1
                else:
                    cm += 1
            elif lo_c[j, d] != 0.0:
                exact = False
        cp = min(cp, CAP)
        cm = min(cm, CAP)
        if loss == 2:
            cnt = (1 << (cm if y[d] >= 0.0 else cp)) + 1
        else:
            cnt = (1 << cp) + (1 << cm) + (1 if (loss == 1 or not exact) else 0)
        start[d + 1] = start[d] + cnt
    return start


@njit
def _bases(x, alpha, signs, c_free, c_fixed, cls, lo_c, lam_c, Wu, bu, d, off, base_lo,
           base_hi, cvx_p, cvx_m):  # type: ignore[no-untyped-def]
    """Affine parts of ``F_lo`` and ``F_hi`` at point d and the units whose ``max(0, t)``
    is expanded (positive units for ``F_lo``, negative ones for ``F_hi``)."""
    q = x.shape[0]
    H = signs.shape[0]
    a1 = 1.0 - alpha
    base_lo[:] = 0.0
    base_hi[:] = 0.0
    const_lo = 0.0 if c_free else c_fixed
    const_hi = const_lo
    if c_free:
        base_lo[0] = 1.0
        base_hi[0] = 1.0
    n_p = 0
    n_m = 0
    for j in range(H):
        o = off + j * q
        c = cls[j, d]
        # act_lo = kl t (+ a1 max(0, t) when unstable);  act_hi = kh t + ch
        kl = 1.0 if c == 0 else alpha
        kh = 1.0 if c == 0 else alpha
        ch = a1 * (bu[j, d] if c == 2 else lo_c[j, d])
        if c == 2:
            if signs[j] > 0 and n_p < CAP:
                cvx_p[n_p] = j
                n_p += 1
            elif signs[j] < 0 and n_m < CAP:
                cvx_m[n_m] = j
                n_m += 1
            else:
                kl += a1 * lam_c[j, d]  # max(0, t) >= λ t beyond CAP units
        up = c == 2  # act_hi = α t + a1 (Wu · v + bu): the chord or an envelope facet
        if signs[j] > 0:  # F_lo += act_lo, F_hi += act_hi
            for i in range(q):
                base_lo[o + i] += kl * x[i]
                base_hi[o + i] += kh * x[i] + (a1 * Wu[j, d, i] if up else 0.0)
            const_hi += ch
        else:  # F_lo -= act_hi, F_hi -= act_lo
            for i in range(q):
                base_lo[o + i] -= kh * x[i] + (a1 * Wu[j, d, i] if up else 0.0)
                base_hi[o + i] -= kl * x[i]
            const_lo -= ch
    return const_lo, const_hi, n_p, n_m


@njit
def _pieces(Xt, y, loss, alpha, signs, c_free, c_fixed, cls, lo_c, lam_c, Wu, bu, off, p
            ):  # type: ignore[no-untyped-def]
    """The affine pieces ``a_k · θ + b_k`` of every point's relaxed loss (module
    docstring); the pieces of point d are rows ``start[d]:start[d+1]``."""
    D, q = Xt.shape
    a1 = 1.0 - alpha
    start = _piece_counts(y, loss, signs, cls, lo_c)
    K = start[D]
    A = np.zeros((K, p))
    b = np.zeros(K)
    base_lo = np.empty(p)
    base_hi = np.empty(p)
    cvx_p = np.empty(CAP, dtype=np.int64)
    cvx_m = np.empty(CAP, dtype=np.int64)
    for d in range(D):
        x = Xt[d]
        const_lo, const_hi, n_p, n_m = _bases(x, alpha, signs, c_free, c_fixed, cls, lo_c,
                                              lam_c, Wu, bu, d, off, base_lo, base_hi, cvx_p,
                                              cvx_m)
        k = start[d]
        yd = y[d]
        # sides: (scale, base, const, expanded units, sign of their t): a piece is
        # scale·(F_side,S - shift) with F_lo,S = base_lo + a1 Σ_S t, F_hi,S = base_hi - a1 Σ_S t
        for side in range(2):
            if loss == 2:
                use_hi = yd >= 0.0
                if (side == 0) == use_hi:
                    continue
                sc, sh = -yd, 0.0
            else:
                sc = 1.0 if side == 0 else -1.0
                sh = yd
            n_e = n_p if side == 0 else n_m
            for S in range(1 << n_e):
                for i in range(p):
                    A[k, i] = sc * (base_lo[i] if side == 0 else base_hi[i])
                if loss == 2:
                    b[k] = 1.0 - yd * (const_lo if side == 0 else const_hi)
                else:
                    b[k] = sc * ((const_lo if side == 0 else const_hi) - sh)
                for t in range(n_e):
                    if (S >> t) & 1:
                        j = cvx_p[t] if side == 0 else cvx_m[t]
                        for i in range(q):
                            A[k, off + j * q + i] += sc * (a1 if side == 0 else -a1) * x[i]
                k += 1
        # a remaining row of the point is the zero piece
    return A, b, start


@njit
def _rows(p, c_free, clo, chi, normals, nr, pairs, k_ord, off, q
          ):  # type: ignore[no-untyped-def]
    """Rows ``G θ >= h``: the boxes, the cone constraints, the ordering of units."""
    H = nr.shape[0]
    nG = 2 * p + pairs.shape[0]
    for j in range(H):
        nG += nr[j]
    G = np.zeros((nG, p))
    hG = np.zeros(nG)
    r = 0
    for i in range(p):
        c_row = c_free and i == 0
        G[r, i] = 1.0
        hG[r] = clo if c_row else -1.0
        G[r + 1, i] = -1.0
        hG[r + 1] = -(chi if c_row else 1.0)
        r += 2
    for j in range(H):
        for t in range(nr[j]):
            for i in range(q):
                G[r, off + j * q + i] = normals[j, t, i]
            r += 1
    for t in range(pairs.shape[0]):
        G[r, off + pairs[t, 1] * q + k_ord] = 1.0
        G[r, off + pairs[t, 0] * q + k_ord] = -1.0
        r += 1
    return G, hG


@njit
def _lagrangian(A, b, start, z, e, theta, quadratic):  # type: ignore[no-untyped-def]
    """``(g, const, mag)``: the relaxed loss term is at least ``const + g · θ`` on the node
    (convex weights of the pieces; the tangent of e² for the quadratic loss); ``mag``
    bounds the magnitude of every term summed (for the rounding margin)."""
    K, p = A.shape
    D = start.shape[0] - 1
    invD = 1.0 / D
    g = np.zeros(p)
    const = 0.0
    mag = 0.0
    for d in range(D):
        s0, s1 = start[d], start[d + 1]
        tot = 0.0
        for k in range(s0, s1):
            if z[k] > 0.0 and np.isfinite(z[k]):
                tot += z[k]
        coef = invD
        if quadratic:
            tau = e[d] if (np.isfinite(e[d]) and e[d] > 0.0) else 0.0
            coef = 2.0 * tau * invD
            const -= tau * tau * invD
            mag += tau * tau * invD
        if coef == 0.0:
            continue
        kbest = s0
        if tot <= 0.0:
            vb = -np.inf
            for k in range(s0, s1):
                v = b[k]
                for i in range(p):
                    v += A[k, i] * theta[i]
                if v > vb:
                    vb, kbest = v, k
        for k in range(s0, s1):
            if tot > 0.0:
                wk = z[k] / tot if (z[k] > 0.0 and np.isfinite(z[k])) else 0.0
            else:
                wk = 1.0 if k == kbest else 0.0
            if wk == 0.0:
                continue
            w = coef * wk
            const += w * b[k]
            m = abs(b[k])
            for i in range(p):
                g[i] += w * A[k, i]
                m += abs(A[k, i])
            mag += w * m
    return g, const, mag


@njit
def _unit_term(gj, theta_j, lam, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr,
               lo, hi, g_out_j):  # type: ignore[no-untyped-def]
    """Certified minimum over unit j's region of its part of the minorant; with weight
    decay ``R(v) >= 2λ u·v`` (``||u||_2 < 1``) for the best of five u: none, the tangent at
    the solution, the u cancelling the loss gradient, the solver's smoothed gradient, the
    u putting the gradient into the facets' dual cone. Writes the chosen vector."""
    q = gj.shape[0]
    if lam <= 0.0:
        g_out_j[:] = gj
        return _umin(gj, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)
    nv0 = np.sqrt(np.sum(theta_j * theta_j))
    ng = np.sqrt(np.sum(gj * gj))
    sm = np.sqrt(nv0 * nv0 + _EPS_REG * _EPS_REG)
    proj = np.zeros(q)
    if nr[j] > 0:
        pi = nnls(normals[j, : nr[j]].T.copy(), gj.copy())
        for r in range(nr[j]):
            for i in range(q):
                proj[i] += pi[r] * normals[j, r, i]
    shrink = 1.0 - 16.0 * _U
    uj = np.empty(q)
    best = -np.inf
    for cand in range(5):
        for i in range(q):
            if cand == 0:
                uj[i] = 0.0
            elif cand == 1:
                uj[i] = theta_j[i] / nv0 if nv0 > 0.0 else 0.0
            elif cand == 2:
                uj[i] = -gj[i] / max(ng, 2.0 * lam) if ng > 0.0 else 0.0
            elif cand == 3:
                uj[i] = theta_j[i] / sm
            else:
                uj[i] = (proj[i] - gj[i]) / (2.0 * lam)
        nu = np.sqrt(np.sum(uj * uj))
        if nu > 1.0:
            uj /= nu
        for i in range(q):
            uj[i] = gj[i] + 2.0 * lam * shrink * uj[i]
        val = _umin(uj, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)
        if val > best:
            best = val
            g_out_j[:] = uj
    return best


@njit
def _branch(Xt, theta, cls, Wu, bu, errs, off):  # type: ignore[no-untyped-def]
    """The point of largest relaxation error with an unstable unit, and the unit of
    largest gap ``Wu·v + bu - relu(t)`` there (the upper bound in use: chord or envelope
    facet); ``(-1, -1, 0)`` when there is none."""
    D, q = Xt.shape
    H = cls.shape[0]
    bj, bd = -1, -1
    worst = 0.0
    for d in range(D):
        if errs[d] > worst:
            best_gap = 0.0
            jj = -1
            for j in range(H):
                if cls[j, d] == 2:
                    t0 = 0.0
                    u0 = bu[j, d]
                    for i in range(q):
                        t0 += Xt[d, i] * theta[off + j * q + i]
                        u0 += Wu[j, d, i] * theta[off + j * q + i]
                    gap = u0 - max(0.0, t0)
                    if gap > best_gap:
                        best_gap, jj = gap, j
            if jj >= 0:
                worst, bj, bd = errs[d], jj, d
    return bj, bd, worst


@njit
def _minorant_min(g, const, c_free, clo, chi, off, q, V, nv, binv, ids, ok, obinv, oids,
                  nob, normals, nr, lo, hi):  # type: ignore[no-untyped-def]
    """Certified minimum of ``const + g · θ`` over the node (no weight-decay choices)."""
    H = nr.shape[0]
    val = const
    if c_free:
        val += min(g[0] * clo, g[0] * chi)
    for j in range(H):
        val += _umin(g[off + j * q: off + (j + 1) * q].copy(), j, V, nv, binv, ids, ok,
                     obinv, oids, nob, normals, nr, lo, hi)
    return val


@njit
def _chord_uppers(Xt, cls, lo_c, lam_c):  # type: ignore[no-untyped-def]
    """The chords ``λ x̃_d · v + (ε - λL)`` of the unstable pairs as ``Wu · v + bu``."""
    D, q = Xt.shape
    H = cls.shape[0]
    Wu = np.zeros((H, D, q))
    bu = np.zeros((H, D))
    for j in range(H):
        for d in range(D):
            if cls[j, d] == 2:
                for i in range(q):
                    Wu[j, d, i] = lam_c[j, d] * Xt[d, i]
                bu[j, d] = lo_c[j, d]
    return Wu, bu


@njit
def certify_upper(w, beta, x, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo,
                  hi):  # type: ignore[no-untyped-def]
    """The least ``β' >= β`` for which ``w · v + β' >= max(0, x · v)`` holds on unit j's
    region in exact arithmetic: with ``m1 <= min_P w·v`` and ``m2 <= min_P (w - x)·v``
    certified (the rounding of ``w - x`` charged to m2), ``β' = max(β, -m1, -m2)`` plus a
    few ulps. NaN (the caller keeps its chord) when w, β or a certified minimum is not
    finite."""
    q = x.shape[0]
    fin = np.isfinite(beta)
    wa = np.empty(q)
    rnd = 0.0
    for i in range(q):
        fin = fin and np.isfinite(w[i])
        wa[i] = w[i] - x[i]
        rnd += abs(wa[i])
    if not fin:
        return np.nan
    m1 = _umin(w, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)
    m2 = _umin(wa, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)
    m2 -= 4.0 * _U * rnd
    if not (np.isfinite(m1) and np.isfinite(m2)):  # max() would drop a NaN: fail safe
        return np.nan
    beta = max(beta, -m1, -m2)
    return beta + 4.0 * _U * abs(beta)


@njit
def _facet_uppers(Xt, cls, Wu, bu, theta, off, V, nv, binv, ids, ok, obinv, oids, nob,
                  normals, nr, lo, hi):  # type: ignore[no-untyped-def]
    """Replace the upper bound of every unstable pair whose gap at θ is not negligible by
    the envelope facet active at θ (:mod:`lptrain.certify.patterns.envelope`), made valid
    in exact arithmetic by :func:`certify_upper`, where it is lower at θ. Returns the new
    ``(Wu, bu)`` and how many changed."""
    D, q = Xt.shape
    H = cls.shape[0]
    W2 = Wu.copy()
    b2 = bu.copy()
    w = np.empty(q)
    vs = np.empty(q)
    changed = 0
    for j in range(H):
        for i in range(q):
            vs[i] = theta[off + j * q + i]
        for d in range(D):
            if cls[j, d] != 2:
                continue
            t0 = 0.0
            u0 = bu[j, d]
            for i in range(q):
                t0 += Xt[d, i] * vs[i]
                u0 += Wu[j, d, i] * vs[i]
            if u0 - max(0.0, t0) <= 1e-12:
                continue
            beta, good = envelope_facet(V[j], nv[j], Xt[d], vs, w)
            if not good:
                continue
            beta = certify_upper(w, beta, Xt[d], j, V, nv, binv, ids, ok, obinv, oids, nob,
                                 normals, nr, lo, hi)
            f0 = beta
            for i in range(q):
                f0 += w[i] * vs[i]
            if not (f0 < u0):  # also false for NaN
                continue
            for i in range(q):
                W2[j, d, i] = w[i]
            b2[j, d] = beta
            changed += 1
    return W2, b2, changed


@njit
def _solve_pass(Xt, y, loss, alpha, signs, c_free, clo, chi, c_fixed, lam, pairs, k_ord,
                max_iter, cls, lo_c, lam_c, Wu, bu, G, hG, theta0, off, V, nv, binv, ids,
                ok, obinv, oids, nob, normals, nr, lo, hi):  # type: ignore[no-untyped-def]
    """Solve the relaxation with the upper bounds ``(Wu, bu)`` and certify its bound:
    ``(lb, theta, value, errs, g, const, iters)``."""
    q = Xt.shape[1]
    H = signs.shape[0]
    p = off + H * q
    reg = (V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)
    A, b, start = _pieces(Xt, y, loss, alpha, signs, c_free, c_fixed, cls, lo_c, lam_c, Wu,
                          bu, off, p)
    quadratic = loss == 1
    theta, e, z, zG, iters = solve_relaxation(A, b, start, G, hG, theta0, quadratic, lam,
                                              c_free, H, q, max_iter)
    for i in range(p):
        if not np.isfinite(theta[i]):
            theta[i] = theta0[i]
    g, const, mag = _lagrangian(A, b, start, z, e, theta, quadratic)
    if lam > 0.0 and c_free:
        c0 = min(max(theta[0], clo), chi)
        g[0] += 2.0 * lam * c0
        const -= lam * c0 * c0
        mag += 3.0 * lam
    first = G.shape[0] - pairs.shape[0]
    for t in range(pairs.shape[0]):
        w = zG[first + t]
        if w > 0.0 and np.isfinite(w):
            g[off + pairs[t, 0] * q + k_ord] += w
            g[off + pairs[t, 1] * q + k_ord] -= w
            mag += 2.0 * w
    lb = const
    if c_free:
        lb += min(g[0] * clo, g[0] * chi)
    g_out = g.copy()
    for j in range(H):
        o = off + j * q
        lb += _unit_term(g[o:o + q].copy(), theta[o:o + q].copy(), lam, j, *reg,
                         g_out[o:o + q])
        mag += 2.0 * lam * q
    margin = 2.0 * (A.shape[0] + p + 8 * H * q + 80) * _U * (mag + abs(const) + 1.0)
    lb -= margin
    value, errs = _true_and_gap(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, theta, A, b,
                                start, off, q)
    return lb, theta, value, errs, g_out, const - margin, iters


@njit
def node_bound(Xt: np.ndarray, y: np.ndarray, loss: int, alpha: float, signs: np.ndarray,
               c_free: bool, clo: float, chi: float, c_fixed: float, lam: float,
               normals: np.ndarray, nr: np.ndarray, pairs: np.ndarray, k_ord: int,
               max_iter: int, parent_g: np.ndarray, parent_const: float,
               thr: float, refine: int = 1):  # type: ignore[no-untyped-def]
    """Certified lower bound of one node; see the module docstring.

    ``(parent_g, parent_const)`` is the affine minorant ``const + g·θ`` of the relaxed
    objective that the parent's bound proved over the parent's region (``parent_const =
    -inf``: none); it holds on this node too, so its certified minimum over this node's
    smaller region is a bound at almost no cost, and when it reaches ``thr`` the node is
    pruned without solving its relaxation (status PRUNED).

    The relaxation is solved with the chords first; then, ``refine`` times, with the
    envelope facet active at the last solution in place of the chord of every unstable
    pair whose gap there is not negligible (:func:`_facet_uppers`). Every pass gives a
    certified bound; the best is kept, with its minorant and branching choice.

    Returns ``(lb, theta, value, branch_unit, branch_point, status, keep, iterations, g,
    const)``: ``theta`` the relaxation's solution (a candidate), ``value`` the true
    (regularized) risk there, ``keep`` (h, RMAX) which cone constraints are facets, and the
    node's own minorant for its children.
    """
    D, q = Xt.shape
    H = signs.shape[0]
    off = 1 if c_free else 0
    p = off + H * q
    V, nv, binv, ids, ok, obinv, oids, nob, keep, lo, hi = _regions(normals, nr, q)
    reg = (V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)
    nan = np.full(p, np.nan)
    if parent_const > -np.inf:
        inh = _minorant_min(parent_g, parent_const, c_free, clo, chi, off, q, *reg)
        if inh >= thr:
            return inh, nan, np.inf, -1, -1, PRUNED, keep, 0, parent_g, parent_const
    ek = np.zeros(q)
    for t in range(pairs.shape[0]):
        ek[:] = 0.0
        ek[k_ord] = 1.0
        mn = _umin(ek, pairs[t, 0], *reg)
        ek[k_ord] = -1.0
        if mn > -_umin(ek, pairs[t, 1], *reg):
            return np.inf, nan, np.inf, -1, -1, INFEASIBLE, keep, 0, np.zeros(p), -np.inf
    L, U = _ranges(Xt, *reg)
    cls, lo_c, lam_c = _classify(L, U)
    Wu, bu = _chord_uppers(Xt, cls, lo_c, lam_c)
    G, hG = _rows(p, c_free, clo, chi, normals, nr, pairs, k_ord, off, q)
    theta0 = np.zeros(p)
    for j in range(H):
        for k in range(nv[j]):
            for i in range(q):
                theta0[off + j * q + i] += V[j, k, i] / nv[j]
    if c_free:
        theta0[0] = 0.5 * (clo + chi)
    lb, theta, value, errs, g_out, const_out, iters = _solve_pass(
        Xt, y, loss, alpha, signs, c_free, clo, chi, c_fixed, lam, pairs, k_ord, max_iter,
        cls, lo_c, lam_c, Wu, bu, G, hG, theta0, off, *reg)
    Wb, bb = Wu, bu
    cur = theta
    theta_br = theta
    for _ in range(refine):
        if lb >= thr:
            break
        W2, b2, changed = _facet_uppers(Xt, cls, Wb, bb, cur, off, *reg)
        if changed == 0:
            break
        lb2, th2, val2, errs2, g2, c2, it2 = _solve_pass(
            Xt, y, loss, alpha, signs, c_free, clo, chi, c_fixed, lam, pairs, k_ord,
            max_iter, cls, lo_c, lam_c, W2, b2, G, hG, theta0, off, *reg)
        iters += it2
        cur = th2
        if val2 < value:
            value, theta = val2, th2
        if lb2 > lb:
            lb, errs, g_out, const_out = lb2, errs2, g2, c2
            Wb, bb = W2, b2
            theta_br = th2
        else:
            break
    # ----- branching (from the relaxation that gave the bound) ---------------------------
    bj, bd, worst = _branch(Xt, theta_br, cls, Wb, bb, errs, off)
    if bj < 0 or worst <= 1e-12:
        # Tight at θ: the node is solved if the bound agrees; if not, the solver stopped
        # short or its multipliers are poor, so branch on the widest unstable pair left.
        if value - lb <= 1e-9 + 1e-7 * abs(value):
            return lb, theta, value, -1, -1, EXACT, keep, iters, g_out, const_out
        bj, bd = _widest_unstable(cls, L, U)
        if bj < 0:
            return lb, theta, value, -1, -1, EXACT, keep, iters, g_out, const_out
    return lb, theta, value, bj, bd, OPEN, keep, iters, g_out, const_out


@njit
def _widest_unstable(cls: np.ndarray, L: np.ndarray, U: np.ndarray) -> tuple[int, int]:
    best, bj, bd = 0.0, -1, -1
    for j in range(cls.shape[0]):
        for d in range(cls.shape[1]):
            if cls[j, d] == 2:
                gap = -L[j, d] * U[j, d] / (U[j, d] - L[j, d])
                if gap > best:
                    best, bj, bd = gap, j, d
    return bj, bd


@njit
def _point_loss(Xt, y, d, loss, alpha, signs, c, theta, off, q):  # type: ignore[no-untyped-def]
    """``ℓ(c + Σ_j s_j σ(x̃_d·v_j), y_d)`` at one data point."""
    f = c
    for j in range(signs.shape[0]):
        t = 0.0
        for i in range(q):
            t += Xt[d, i] * theta[off + j * q + i]
        f += signs[j] * (t if t > 0.0 else alpha * t)
    if loss == 0:
        return abs(f - y[d])
    if loss == 1:
        return (f - y[d]) * (f - y[d])
    return max(0.0, 1.0 - y[d] * f)


@njit
def _regularization(theta, lam, c_free, c, H, off, q):  # type: ignore[no-untyped-def]
    """``λ c² + Σ_j R(v_j)`` of the balanced weight decay (0 without it)."""
    value = 0.0
    if lam > 0.0:
        if c_free:
            value += lam * c * c
        for j in range(H):
            nrm = 0.0
            for i in range(q):
                nrm += theta[off + j * q + i] ** 2
            nrm = np.sqrt(nrm)
            value += lam * (2.0 * nrm if nrm <= 1.0 else 1.0 + nrm * nrm)
    return value


@njit
def true_risk(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, theta, off, q
              ):  # type: ignore[no-untyped-def]
    """The sign-form (regularized) risk at θ: ``(1/D) Σ_d ℓ(c + Σ_j s_j σ(x̃_d·v_j), y_d)
    + λ c² + Σ_j R(v_j)``."""
    D = Xt.shape[0]
    c = theta[0] if c_free else c_fixed
    total = 0.0
    for d in range(D):
        total += _point_loss(Xt, y, d, loss, alpha, signs, c, theta, off, q)
    return total / D + _regularization(theta, lam, c_free, c, signs.shape[0], off, q)


@njit
def _true_and_gap(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, theta, A, b, start, off,
                  q):  # type: ignore[no-untyped-def]
    """True regularized risk at θ (as :func:`true_risk`, in one pass) and, per point, true
    loss minus the relaxed loss."""
    D = Xt.shape[0]
    p = theta.shape[0]
    c = theta[0] if c_free else c_fixed
    errs = np.empty(D)
    total = 0.0
    for d in range(D):
        ell = _point_loss(Xt, y, d, loss, alpha, signs, c, theta, off, q)
        total += ell
        m = 0.0
        for k in range(start[d], start[d + 1]):
            v = b[k]
            for i in range(p):
                v += A[k, i] * theta[i]
            m = max(m, v)
        relaxed = m * m if loss == 1 else m
        errs[d] = ell - relaxed
    value = total / D + _regularization(theta, lam, c_free, c, signs.shape[0], off, q)
    return value, errs


@njit(nogil=True)
def bound_nodes(Xt: np.ndarray, y: np.ndarray, loss: int, alpha: float, signs: np.ndarray,
                c_free: bool, clo: float, chi: float, c_fixed: float, lam: float,
                normals: np.ndarray, nr: np.ndarray, pairs: np.ndarray, k_ord: int,
                max_iter: int, parent_g: np.ndarray, parent_const: np.ndarray,
                thr: float, refine: int = 1):  # type: ignore[no-untyped-def]
    """:func:`node_bound` for a batch of B nodes (``signs`` (B, h), ``normals``
    (B, h, RMAX, q), ``nr`` (B, h), ``parent_g`` (B, p), ``parent_const`` (B,));
    ``pairs`` (B, P, 2) with unused rows ``-1``. It releases the GIL: the caller runs
    sub-batches on threads (one compiled function, no parallel compilation pass)."""
    B = normals.shape[0]
    H = signs.shape[1]
    q = Xt.shape[1]
    p = (1 if c_free else 0) + H * q
    lb = np.empty(B)
    theta = np.empty((B, p))
    value = np.empty(B)
    bj = np.empty(B, dtype=np.int64)
    bd = np.empty(B, dtype=np.int64)
    status = np.empty(B, dtype=np.int64)
    keep = np.zeros((B, H, RMAX), dtype=np.bool_)
    iters = np.empty(B, dtype=np.int64)
    g_out = np.empty((B, p))
    c_out = np.empty(B)
    for n in range(B):
        npairs = 0
        for t in range(pairs.shape[1]):
            if pairs[n, t, 0] >= 0:
                npairs += 1
        pr = pairs[n, :npairs].copy()
        out = node_bound(Xt, y, loss, alpha, signs[n], c_free, clo, chi, c_fixed, lam,
                         normals[n], nr[n], pr, k_ord, max_iter, parent_g[n],
                         parent_const[n], thr, refine)
        lb[n] = out[0]
        theta[n] = out[1]
        value[n] = out[2]
        bj[n] = out[3]
        bd[n] = out[4]
        status[n] = out[5]
        keep[n] = out[6]
        iters[n] = out[7]
        g_out[n] = out[8]
        c_out[n] = out[9]
    return lb, theta, value, bj, bd, status, keep, iters, g_out, c_out
