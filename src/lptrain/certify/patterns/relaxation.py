"""The relaxation of one node of the pattern search and its certified lower bound.

A node gives every hidden unit j a region ``P_j`` (:mod:`lptrain.certify.patterns.cones`).
On ``P_j`` the pre-activation ``t_jd = x̃_d · v_j`` of data point d lies in a certified
interval ``[L_jd, U_jd]``, so ``relu(t_jd)`` is

* **active** (``L >= -δ``): between t and ``t + δ_a``, ``δ_a = max(0, -L)``;
* **inactive** (``U <= δ``): between 0 and ``max(0, U)``;
* **unstable**: between ``max(0, t)`` (convex) and the chord ``λ(t - L) + ε``,
  ``λ = U / (U - L)`` (ε covers the rounding of λ),

with δ = 1e-9 (a pre-activation certified to lie in [-δ, δ] changes the loss by at most
δ per unit, and that is charged exactly). A leaky ReLU is ``α t + (1 - α) relu(t)``. Summing
over the units with their signs gives a convex lower function ``F_lo,d(θ)`` and a concave
upper function ``F_hi,d(θ)`` of ``θ = (c, v_1, ..., v_h)`` with
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
separates over c and the units and is bounded with :func:`~lptrain.certify.patterns.cones.certified_min`.
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
def _unit_data(normals: np.ndarray, nr: int, q: int):  # type: ignore[no-untyped-def]
    lo = -np.ones(q)
    hi = np.ones(q)
    V, M, nv, _ = unit_vertices(normals, nr, lo, hi)
    binv, ids, ok = vertex_bases(V, M, nv, normals, q)
    keep, obinv, oids = facets_and_origin_bases(V, M, nv, normals, nr, q)
    return V, nv, binv, ids, ok, obinv, oids, keep, lo, hi


@njit
def node_bound(Xt: np.ndarray, y: np.ndarray, loss: int, alpha: float, signs: np.ndarray,
               c_free: bool, clo: float, chi: float, c_fixed: float, lam: float,
               normals: np.ndarray, nr: np.ndarray, pairs: np.ndarray, k_ord: int,
               max_iter: int, parent_g: np.ndarray, parent_const: float,
               thr: float):  # type: ignore[no-untyped-def]
    """Certified lower bound of one node; see the module docstring.

    ``(parent_g, parent_const)`` is the affine minorant ``const + g·θ`` of the relaxed
    objective that the parent's bound proved over the parent's region (``parent_const =
    -inf``: none); it holds on this node too, so its certified minimum over this node's
    smaller region is a bound at almost no cost, and when it reaches ``thr`` the node is
    pruned without solving its relaxation (status PRUNED).

    Returns ``(lb, theta, value, branch_unit, branch_point, status, keep, iterations, g,
    const)``: ``theta`` the relaxation's solution (a candidate), ``value`` the true
    (regularized) risk there, ``keep`` (h, RMAX) which cone constraints are facets, and the
    node's own minorant for its children.
    """
    D, q = Xt.shape
    H = signs.shape[0]
    off = 1 if c_free else 0
    p = off + H * q
    keep_all = np.zeros((H, RMAX), dtype=np.bool_)
    L = np.empty((H, D))
    U = np.empty((H, D))
    Vv = np.empty((H, VMAX, q))
    nvs = np.empty(H, dtype=np.int64)
    xneg = np.empty(q)
    centre = np.zeros(p)
    regions = []
    for j in range(H):
        V, nv, binv, ids, ok, obinv, oids, keep, lo, hi = _unit_data(normals[j], nr[j], q)
        regions.append((V, nv, binv, ids, ok, obinv, oids, lo, hi))
        for r in range(nr[j]):
            keep_all[j, r] = keep[r]
        Vv[j] = V
        nvs[j] = nv
        for k in range(nv):
            for i in range(q):
                centre[off + j * q + i] += V[k, i] / nv
    theta_nan = np.full(p, np.nan)
    g_none = np.zeros(p)
    if parent_const > -np.inf:
        inh = parent_const
        if c_free:
            inh += min(parent_g[0] * clo, parent_g[0] * chi)
        gp = np.empty(q)
        for j in range(H):
            for i in range(q):
                gp[i] = parent_g[off + j * q + i]
            a = regions[j]
            inh += certified_min(gp, a[0], a[1], a[2], a[3], a[4], a[5], a[6], normals[j],
                                 nr[j], a[7], a[8])
        if inh >= thr:
            return (inh, theta_nan, np.inf, -1, -1, PRUNED, keep_all, 0, parent_g,
                    parent_const)
    for j in range(H):
        a = regions[j]
        for d in range(D):
            x = Xt[d]
            L[j, d] = certified_min(x, a[0], a[1], a[2], a[3], a[4], a[5], a[6], normals[j],
                                    nr[j], a[7], a[8])
            for i in range(q):
                xneg[i] = -x[i]
            U[j, d] = -certified_min(xneg, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                                     normals[j], nr[j], a[7], a[8])
    ek = np.zeros(q)
    for t in range(pairs.shape[0]):
        j1, j2 = pairs[t, 0], pairs[t, 1]
        ek[:] = 0.0
        ek[k_ord] = 1.0
        a = regions[j1]
        mn = certified_min(ek, a[0], a[1], a[2], a[3], a[4], a[5], a[6], normals[j1], nr[j1],
                           a[7], a[8])
        ek[k_ord] = -1.0
        b2 = regions[j2]
        mx = -certified_min(ek, b2[0], b2[1], b2[2], b2[3], b2[4], b2[5], b2[6], normals[j2],
                            nr[j2], b2[7], b2[8])
        if mn > mx:
            return (np.inf, theta_nan, np.inf, -1, -1, INFEASIBLE, keep_all, 0, g_none,
                    -np.inf)
    # ----- classification ---------------------------------------------------------------
    cls = np.empty((H, D), dtype=np.int64)
    lo_c = np.zeros((H, D))  # active/inactive margin, or the chord constant
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
    # ----- pieces -------------------------------------------------------------------------
    a1 = 1.0 - alpha
    start = np.zeros(D + 1, dtype=np.int64)
    npl = np.zeros(D, dtype=np.int64)
    nmi = np.zeros(D, dtype=np.int64)
    exact = np.ones(D, dtype=np.bool_)
    for d in range(D):
        cp = 0
        cm = 0
        for j in range(H):
            if cls[j, d] == 2:
                exact[d] = False
                if signs[j] > 0:
                    cp += 1
                else:
                    cm += 1
            elif lo_c[j, d] != 0.0:
                exact[d] = False
        npl[d] = min(cp, CAP)
        nmi[d] = min(cm, CAP)
        if loss == 2:
            side = nmi[d] if y[d] >= 0.0 else npl[d]
            cnt = (1 << side) + 1
        else:
            cnt = (1 << npl[d]) + (1 << nmi[d])
            if loss == 1 or not exact[d]:
                cnt += 1
        start[d + 1] = start[d] + cnt
    K = start[D]
    A = np.zeros((K, p))
    b = np.zeros(K)
    base_lo = np.empty(p)
    base_hi = np.empty(p)
    cvx_p = np.empty(CAP, dtype=np.int64)
    cvx_m = np.empty(CAP, dtype=np.int64)
    for d in range(D):
        x = Xt[d]
        base_lo[:] = 0.0
        base_hi[:] = 0.0
        const_lo = 0.0
        const_hi = 0.0
        if c_free:
            base_lo[0] = 1.0
            base_hi[0] = 1.0
        else:
            const_lo = c_fixed
            const_hi = c_fixed
        n_p = 0
        n_m = 0
        for j in range(H):
            o = off + j * q
            c = cls[j, d]
            s = signs[j]
            # act_lo = kl t + cl (+ a1 max(0, t) when unstable);  act_hi = kh t + ch
            if c == 0:
                kl, cl, kh, ch = 1.0, 0.0, 1.0, a1 * lo_c[j, d]
            elif c == 1:
                kl, cl, kh, ch = alpha, 0.0, alpha, a1 * lo_c[j, d]
            else:
                kl, cl = alpha, 0.0
                kh, ch = alpha + a1 * lam_c[j, d], a1 * lo_c[j, d]
            conv = c == 2
            if s > 0:
                # F_lo += act_lo, F_hi += act_hi
                if conv:
                    if n_p < CAP:
                        cvx_p[n_p] = j
                        n_p += 1
                    else:
                        kl += a1 * lam_c[j, d]  # max(0, t) >= λ t
                for i in range(q):
                    base_lo[o + i] += kl * x[i]
                    base_hi[o + i] += kh * x[i]
                const_lo += cl
                const_hi += ch
            else:
                # F_lo -= act_hi, F_hi -= act_lo
                if conv:
                    if n_m < CAP:
                        cvx_m[n_m] = j
                        n_m += 1
                    else:
                        kl += a1 * lam_c[j, d]
                for i in range(q):
                    base_lo[o + i] -= kh * x[i]
                    base_hi[o + i] -= kl * x[i]
                const_lo -= ch
                const_hi -= cl
        k = start[d]
        yd = y[d]
        if loss == 2:
            # hinge: y >= 0 uses F_hi (pieces over cvx_m), y < 0 uses F_lo (over cvx_p)
            use_hi = yd >= 0.0
            nside = n_m if use_hi else n_p
            for S in range(1 << nside):
                for i in range(p):
                    A[k, i] = -yd * (base_hi[i] if use_hi else base_lo[i])
                b[k] = 1.0 - yd * (const_hi if use_hi else const_lo)
                for t in range(nside):
                    if (S >> t) & 1:
                        j = cvx_m[t] if use_hi else cvx_p[t]
                        sgn = -1.0 if use_hi else 1.0  # F_hi,S subtracts, F_lo,S adds
                        for i in range(q):
                            A[k, off + j * q + i] += -yd * sgn * a1 * x[i]
                k += 1
            k += 1  # the zero piece (already zero)
            continue
        for S in range(1 << n_p):  # F_lo,S - y
            for i in range(p):
                A[k, i] = base_lo[i]
            b[k] = const_lo - yd
            for t in range(n_p):
                if (S >> t) & 1:
                    j = cvx_p[t]
                    for i in range(q):
                        A[k, off + j * q + i] += a1 * x[i]
            k += 1
        for S in range(1 << n_m):  # y - F_hi,S
            for i in range(p):
                A[k, i] = -base_hi[i]
            b[k] = yd - const_hi
            for t in range(n_m):
                if (S >> t) & 1:
                    j = cvx_m[t]
                    for i in range(q):
                        A[k, off + j * q + i] += a1 * x[i]
            k += 1
        # remaining slot (if any) is the zero piece
    # ----- rows G θ >= h: boxes, cones, ordering ----------------------------------------
    nG = 2 * p + pairs.shape[0]
    for j in range(H):
        nG += nr[j]
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
    for j in range(H):
        for t in range(nr[j]):
            for i in range(q):
                G[r, off + j * q + i] = normals[j, t, i]
            r += 1
    for t in range(pairs.shape[0]):
        G[r, off + pairs[t, 1] * q + k_ord] = 1.0
        G[r, off + pairs[t, 0] * q + k_ord] = -1.0
        r += 1
    theta0 = centre.copy()
    if c_free:
        theta0[0] = 0.5 * (clo + chi)
    quadratic = loss == 1
    theta, e, z, zG, iters = solve_relaxation(A, b, start, G, hG, theta0, quadratic, lam,
                                              c_free, H, q, max_iter)
    for i in range(p):
        if not np.isfinite(theta[i]):
            theta[i] = theta0[i]
    # ----- certified bound --------------------------------------------------------------
    g = np.zeros(p)
    const = 0.0
    mag = 0.0
    invD = 1.0 / D
    for d in range(D):
        s0, s1 = start[d], start[d + 1]
        tot = 0.0
        for k in range(s0, s1):
            if z[k] > 0.0 and np.isfinite(z[k]):
                tot += z[k]
        if quadratic:
            tau = e[d] if (np.isfinite(e[d]) and e[d] > 0.0) else 0.0
            coef = 2.0 * tau * invD
            const -= tau * tau * invD
            mag += tau * tau * invD
        else:
            coef = invD
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
    if lam > 0.0 and c_free:
        c0 = min(max(theta[0], clo), chi)
        g[0] += 2.0 * lam * c0
        const -= lam * c0 * c0
        mag += 3.0 * lam
    for t in range(pairs.shape[0]):
        w = zG[2 * p + _cone_rows(nr) + t]
        if w > 0.0 and np.isfinite(w):
            g[off + pairs[t, 0] * q + k_ord] += w
            g[off + pairs[t, 1] * q + k_ord] -= w
            mag += 2.0 * w
    lb = const
    if c_free:
        lb += min(g[0] * clo, g[0] * chi)
    gj = np.empty(q)
    uj = np.empty(q)
    g_out = g.copy()
    shrink = 1.0 - 16.0 * _U
    for j in range(H):
        o = off + j * q
        for i in range(q):
            gj[i] = g[o + i]
        a = regions[j]
        best = -np.inf
        if lam <= 0.0:
            best = certified_min(gj, a[0], a[1], a[2], a[3], a[4], a[5], a[6], normals[j],
                                 nr[j], a[7], a[8])
        else:
            # R(v) >= 2λ ||v||_2 >= 2λ u·v for every ||u||_2 <= 1 (and >= 0): try the
            # tangent at the solution, the u that cancels the loss gradient and the
            # solver's smoothed gradient (both meant for a unit at v = 0); keep the best.
            nv0 = 0.0
            ng = 0.0
            for i in range(q):
                nv0 += theta[o + i] * theta[o + i]
                ng += gj[i] * gj[i]
            nv0 = np.sqrt(nv0)
            ng = np.sqrt(ng)
            sm = np.sqrt(nv0 * nv0 + _EPS_REG * _EPS_REG)
            # u making g + 2λu the point of the dual cone nearest g (then the unit's term
            # is about 0: the right choice when the cone, not the norm, holds v at 0).
            proj = np.zeros(q)
            if nr[j] > 0:
                pi = nnls(normals[j, : nr[j]].T.copy(), gj.copy())
                for r in range(nr[j]):
                    for i in range(q):
                        proj[i] += pi[r] * normals[j, r, i]
            for cand in range(5):
                for i in range(q):
                    if cand == 0:
                        uj[i] = 0.0
                    elif cand == 1:
                        uj[i] = theta[o + i] / nv0 if nv0 > 0.0 else 0.0
                    elif cand == 2:
                        uj[i] = -gj[i] / max(ng, 2.0 * lam) if ng > 0.0 else 0.0
                    elif cand == 3:  # the solver's own (smoothed) subgradient
                        uj[i] = theta[o + i] / sm
                    else:
                        uj[i] = (proj[i] - gj[i]) / (2.0 * lam)
                if cand == 4:
                    nu = 0.0
                    for i in range(q):
                        nu += uj[i] * uj[i]
                    nu = np.sqrt(nu)
                    if nu > 1.0:
                        for i in range(q):
                            uj[i] /= nu
                for i in range(q):
                    uj[i] = gj[i] + 2.0 * lam * shrink * uj[i]
                val = certified_min(uj, a[0], a[1], a[2], a[3], a[4], a[5], a[6], normals[j],
                                    nr[j], a[7], a[8])
                if val > best:
                    best = val
                    for i in range(q):
                        g_out[o + i] = uj[i]
            mag += 2.0 * lam * q
        lb += best
    nterms = K + p + 8 * H * q + 64
    margin = 2.0 * (nterms + 16) * _U * (mag + abs(const) + 1.0)
    lb -= margin
    const_out = const - margin
    # ----- candidate and branching ------------------------------------------------------
    value, errs = _true_and_gap(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, theta, A, b,
                                start, off, q)
    bj, bd = -1, -1
    worst = 0.0
    for d in range(D):
        if errs[d] > worst:
            best_gap = 0.0
            jj = -1
            for j in range(H):
                if cls[j, d] == 2:
                    t0 = 0.0
                    for i in range(q):
                        t0 += Xt[d, i] * theta[off + j * q + i]
                    gap = lam_c[j, d] * t0 + lo_c[j, d] - max(0.0, t0)
                    if gap > best_gap:
                        best_gap, jj = gap, j
            if jj >= 0:
                worst, bj, bd = errs[d], jj, d
    if bj < 0 or worst <= 1e-12:
        # Tight at θ: the node is solved if the bound agrees; if not, the solver stopped
        # short or its multipliers are poor, so branch on the widest unstable pair left.
        if value - lb <= 1e-9 + 1e-7 * abs(value):
            return lb, theta, value, -1, -1, EXACT, keep_all, iters, g_out, const_out
        bj, bd = _widest_unstable(cls, L, U)
        if bj < 0:
            return lb, theta, value, -1, -1, EXACT, keep_all, iters, g_out, const_out
    return lb, theta, value, bj, bd, OPEN, keep_all, iters, g_out, const_out


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
def _cone_rows(nr: np.ndarray) -> int:
    tot = 0
    for j in range(nr.shape[0]):
        tot += nr[j]
    return tot


@njit
def true_risk(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, theta, off, q
              ):  # type: ignore[no-untyped-def]
    """The sign-form (regularized) risk at θ: ``(1/D) Σ_d ℓ(c + Σ_j s_j σ(x̃_d·v_j), y_d)
    + λ c² + Σ_j R(v_j)``."""
    D = Xt.shape[0]
    H = signs.shape[0]
    c = theta[0] if c_free else c_fixed
    total = 0.0
    for d in range(D):
        f = c
        for j in range(H):
            t = 0.0
            for i in range(q):
                t += Xt[d, i] * theta[off + j * q + i]
            f += signs[j] * (t if t > 0.0 else alpha * t)
        if loss == 0:
            total += abs(f - y[d])
        elif loss == 1:
            total += (f - y[d]) * (f - y[d])
        else:
            total += max(0.0, 1.0 - y[d] * f)
    value = total / D
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
def _true_and_gap(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, theta, A, b, start, off,
                  q):  # type: ignore[no-untyped-def]
    """True regularized risk at θ and, per point, true loss minus the relaxed loss."""
    D = Xt.shape[0]
    H = signs.shape[0]
    p = theta.shape[0]
    c = theta[0] if c_free else c_fixed
    errs = np.empty(D)
    for d in range(D):
        f = c
        for j in range(H):
            t = 0.0
            for i in range(q):
                t += Xt[d, i] * theta[off + j * q + i]
            f += signs[j] * (t if t > 0.0 else alpha * t)
        if loss == 0:
            ell = abs(f - y[d])
        elif loss == 1:
            ell = (f - y[d]) * (f - y[d])
        else:
            ell = max(0.0, 1.0 - y[d] * f)
        m = 0.0
        for k in range(start[d], start[d + 1]):
            v = b[k]
            for i in range(p):
                v += A[k, i] * theta[i]
            m = max(m, v)
        relaxed = m * m if loss == 1 else m
        errs[d] = ell - relaxed
    value = true_risk(Xt, y, loss, alpha, signs, c_free, c_fixed, lam, theta, off, q)
    return value, errs


@njit(nogil=True)
def bound_nodes(Xt: np.ndarray, y: np.ndarray, loss: int, alpha: float, signs: np.ndarray,
                c_free: bool, clo: float, chi: float, c_fixed: float, lam: float,
                normals: np.ndarray, nr: np.ndarray, pairs: np.ndarray, k_ord: int,
                max_iter: int, parent_g: np.ndarray, parent_const: np.ndarray,
                thr: float):  # type: ignore[no-untyped-def]
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
                         parent_const[n], thr)
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
