"""The unit-hull bound of a node: the Lagrangian dual of the network's output equations.

The relaxation of :mod:`lptrain.certify.patterns.relaxation` bounds every (unit, data
point) ReLU on its own; a unit whose region still leaves many points unstable can then fit
almost any residual, and the bound stays near 0 until every unit is pinned down. This
bound looks at a unit as one function of all the data at once.

For the absolute loss, any multipliers ``μ`` with ``|μ_d| <= 1/D`` give, for every θ of
the node (``f_d = c + Σ_j s_j relu_α(x̃_d · v_j)``),

    (1/D) Σ_d |f_d - y_d|  >=  Σ_d μ_d (f_d - y_d)
                           >=  -μ · y + min_c c Σ_d μ_d + Σ_j p_j(μ),
    p_j(μ) = min over v in P_j of  G_j(v) = s_j Σ_d μ_d relu_α(x̃_d · v),

so ``L(μ)`` (the right-hand side) is a lower bound of the node, for every such μ. Its
maximum over μ equals the bound obtained by replacing each unit's set of output vectors
``{relu_α(X̃ v) : v in P_j}`` by its convex hull: for the fit of a residual direction this
is far stronger than any bound that treats the points one by one. (The ordering of
same-sign units is dropped: a relaxation, still a lower bound.)

``G_j`` is positively homogeneous and piecewise linear with kinks on the planes
``x̃_d · v = 0`` of the points unstable on ``P_j`` (the others are linear there); ``P_j``
is the box ``[-1, 1]^q`` cut by half-spaces through the origin. The minimum over ``P_j``
is therefore attained at a vertex of the arrangement of those planes, the cut planes and
the box faces inside ``P_j`` — the origin, the box corners, and

* ``q = 2``: each plane's two rays to the box surface (exact in floating point);
* ``q = 3``: the two rays ``±(n_a × n_b)`` of every pair of planes, scaled to the box
  surface, and every plane's crossing with the box edges.

:func:`unit_min` evaluates ``G_j`` at all of them with a proven bound on every rounding
(the cross product's, the evaluation's, the scaling's, and a Lipschitz term for the
displacement of a computed vertex from the exact one, and 2^-1000 per operation for
underflow; a vertex whose two planes are too
nearly parallel to be located is replaced by the valid ``-A ≥ min G``), so its value is
a lower bound of ``p_j(μ)`` in exact arithmetic. Membership of a candidate in ``P_j`` is
tested with the same margins (a candidate kept wrongly only lowers the bound). Twins —
units with one sign and one set of cuts, so one region and one ``p_j`` — are certified
once (:func:`_twins`).

μ is chosen by Kelley's cutting-plane method (:func:`hull_bound`): the master LP
``max -μ·y + τ + Σ_j π_j`` over the box of μ with a row ``π_j <= G_j(v)`` for every
vertex v seen so far is solved by HiGHS (:class:`~lptrain.solver.highs.CuttingPlaneLP`),
new rows come from a cheap local search over the arrangement (:func:`unit_min_local`),
and only the final μ is certified by :func:`unit_min` (for two inputs and up to
``loops.CACHE_MAX`` points by the same sweeps from the data set's loop table,
:mod:`lptrain.certify.patterns.loops`). The master's value bounds ``L``
from above, so a node whose master falls below the pruning threshold stops early. Only
the absolute loss without weight decay takes this bound (the other losses keep the
relaxation's bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lptrain.certify.patterns._jit import njit
from lptrain.certify.patterns.cones import RMAX
from lptrain.certify.patterns.relaxation import _ranges, _regions

__all__ = ["unit_min", "unit_min_local", "node_ranges", "hull_bound", "hull_node",
           "HullResult", "region_facets", "certified_dual_value", "applies"]

_U = 2.0**-53
#: per operation, far above the 2^-1075 an underflowing product can lose
_TINY = 2.0**-1000
#: the ``rigorous`` flag of the sweeps, a float so that numba compiles one specialization
#: (a constant ``True``/``False`` from jitted code is typed as a literal and compiled twice)
_RIG = 1.0
_FAST = 0.0
#: vertices of a unit's mixture kept for the children's first rows (the heaviest)
_SUPPORT = 8


@njit(cache=True)
def _gamma(n: int) -> float:
    return n * _U / (1.0 - n * _U)


def applies(loss: int, lam: float, q: int, three: bool = False) -> bool:
    """Whether the unit-hull bound is used: absolute loss, no weight decay, units with
    q = 2 parameters (one input and a bias), or q = 3 when ``three``."""
    return loss == 0 and lam == 0.0 and (q == 2 or (three and q == 3))


@njit(nogil=True)
def node_ranges(Xt: np.ndarray, normals: np.ndarray, nr: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Certified ``L_jd <= x̃_d · v_j <= U_jd`` over every unit's region."""
    q = Xt.shape[1]
    V, nv, binv, ids, ok, obinv, oids, nob, keep, lo, hi = _regions(normals, nr, q)
    return _ranges(Xt, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)


@njit(nogil=True)
def _split(Xt, coef, alpha, Lj, Uj):  # type: ignore[no-untyped-def]
    """The linear part ``w`` of G on the region, the unstable points' rows and relu
    coefficients, and ``A = Σ_d |coef_d| ||x̃_d||_1`` (|G(v) - G(v')| <= A ||v - v'||_inf)."""
    D, q = Xt.shape
    w = np.zeros(q)
    idx = np.empty(D, dtype=np.int64)
    nu = 0
    A = 0.0
    for d in range(D):
        c = coef[d]
        if c == 0.0:
            continue
        s = 0.0
        for i in range(q):
            s += abs(Xt[d, i])
        A += abs(c) * s
        if Lj[d] >= 0.0:  # relu_α(t) = t on the region
            for i in range(q):
                w[i] += c * Xt[d, i]
        else:
            if alpha != 0.0:
                for i in range(q):
                    w[i] += (alpha * c) * Xt[d, i]
            if Uj[d] > 0.0:  # unstable
                idx[nu] = d
                nu += 1
    Xu = np.empty((nu, q))
    cu = np.empty(nu)
    for k in range(nu):
        d = idx[k]
        Xu[k] = Xt[d]
        cu[k] = (1.0 - alpha) * coef[d]
    # A is rounded up; a leaky slope outside [0, 1] scales the Lipschitz constant
    scale = max(1.0, abs(alpha) + abs(1.0 - alpha)) * (1.0 + 4.0 * _U)
    return w, Xu, cu, A * (1.0 + _gamma(D + q + 4)) * scale


@njit(nogil=True)
def _G(v, w, Xu, cu):  # type: ignore[no-untyped-def]
    q = w.shape[0]
    s = 0.0
    for i in range(q):
        s += w[i] * v[i]
    for k in range(Xu.shape[0]):
        t = 0.0
        for i in range(q):
            t += Xu[k, i] * v[i]
        if t > 0.0:
            s += cu[k] * t
    return s


@njit(nogil=True)
def _in_region(v, e, cuts, ncut):  # type: ignore[no-untyped-def]
    """False only when ``v`` (within ``e`` of the exact point, componentwise) is certainly
    outside the cone ``{cuts_r · v >= 0}``."""
    q = v.shape[0]
    for r in range(ncut):
        t = 0.0
        mag = 0.0
        n1 = 0.0
        for i in range(q):
            t += cuts[r, i] * v[i]
            mag += abs(cuts[r, i] * v[i])
            n1 += abs(cuts[r, i])
        if t + n1 * e + _gamma(q + 2) * mag < 0.0:
            return False
    return True


@njit(nogil=True)
def _planes(Xu, cu, cuts, ncut):  # type: ignore[no-untyped-def]
    """The planes whose vertices can hold the minimum: the kinks with a positive
    coefficient (convex) and the cuts. A kink ``c relu(t)`` with ``c < 0`` is
    ``min(0, c t)``, so G is the least of functions that are linear across those kinks;
    each one's minimum over P_j lies at a vertex of the other planes' arrangement."""
    q = Xu.shape[1]
    n = 0
    for k in range(Xu.shape[0]):
        if cu[k] > 0.0:
            n += 1
    P = np.empty((n + ncut, q))
    n = 0
    for k in range(Xu.shape[0]):
        if cu[k] > 0.0:
            P[n] = Xu[k]
            n += 1
    P[n:] = cuts[:ncut]
    return P


@njit(nogil=True)
def _ray_value(r, e, w, Xu, cu, A, errG):  # type: ignore[no-untyped-def]
    """Lower bound of ``min(0, G(r*/||r*||_inf))`` for the exact ray r* within ``e``
    (componentwise, e >= 0) of the computed r; ``-A`` when r* cannot be told from 0."""
    q = r.shape[0]
    rho = 0.0
    for i in range(q):
        rho = max(rho, abs(r[i]))
    rho_lo = rho - e
    if rho_lo <= 0.0:
        return -A
    g = _G(r, w, Xu, cu) - errG * max(1.0, rho + e) - A * e
    if g >= 0.0:
        return 0.0
    return (g / rho_lo) * (1.0 + 4.0 * _U)


@njit(nogil=True)
def _plane_sweep(P, Xu, cu, w, A, errG, cuts, ncut, rigorous, vout):  # type: ignore
    """One input (q = 2): every ray vertex by one angular sweep — the plane ``(v, 0)`` of
    R^3 seen as the loop of ``e_3`` (:func:`_loop_sweep` on the lifted data; ``e_3`` goes
    last, after the planes of :func:`_planes`)."""
    nP = P.shape[0]
    P3 = np.zeros((nP + 1, 3))
    P3[:nP, :2] = P
    P3[nP, 2] = 1.0
    X3 = np.zeros((Xu.shape[0], 3))
    X3[:, :2] = Xu
    C3 = np.zeros((cuts.shape[0], 3))
    C3[:, :2] = cuts
    w3 = np.zeros(3)
    w3[:2] = w
    return _loop_sweep(nP, P3, X3, cu, w3, A, errG, C3, ncut, rigorous, vout)


@njit(nogil=True)
def _edges_min(P, w, Xu, cu, A, errG, cuts, ncut, rigorous, vout):  # type: ignore
    """The least G over the points where a plane (q = 3) crosses a box edge: two
    coordinates at ±1 (exact), the third solved for (within γ_3 of the exact one); with
    ``rigorous`` each value is a proven lower bound. ``vout``: the best point."""
    best = np.inf
    v = np.empty(3)
    for a in range(P.shape[0]):
        for f in range(3):
            i1 = (f + 1) % 3
            i2 = (f + 2) % 3
            if P[a, f] == 0.0:
                continue
            for s1 in (1.0, -1.0):
                for s2 in (1.0, -1.0):
                    vf = -(P[a, i1] * s1 + P[a, i2] * s2) / P[a, f]
                    ef = _gamma(3) * abs(vf) if rigorous > 0.0 else 0.0
                    if abs(vf) > 1.0 + ef:
                        continue
                    v[i1] = s1
                    v[i2] = s2
                    v[f] = min(1.0, max(-1.0, vf))
                    if not _in_region(v, ef, cuts, ncut):
                        continue
                    g = _G(v, w, Xu, cu)
                    if rigorous > 0.0:
                        g -= errG + A * ef
                    if g < best:
                        best = g
                        vout[:] = v
    return best


@njit(nogil=True)
def _err_G(D, q, A):  # type: ignore[no-untyped-def]
    """Every rounding of one evaluation of G at a point with ``||v||_inf <= 1`` (module
    docstring), plus an absolute term for underflow (each operation may lose 2^-1075
    outright)."""
    return _gamma(3 * D + 3 * q + 16) * A + _TINY * (D * (q + 4) + 64)


@njit(nogil=True)
def _corners_min(w, Xu, cu, errG, cuts, ncut, vbest):  # type: ignore[no-untyped-def]
    """``min(0, G - errG)`` over the box corners in the region (exact points); ``vbest``
    the corner that gave it (left as it is when none is below 0)."""
    q = w.shape[0]
    best = 0.0
    v = np.empty(q)
    for k in range(1 << q):
        for i in range(q):
            v[i] = 1.0 if (k >> i) & 1 else -1.0
        if _in_region(v, 0.0, cuts, ncut):
            g = _G(v, w, Xu, cu) - errG
            if g < best:
                best = g
                vbest[:] = v
    return best


@njit(nogil=True)
def unit_min(Xt, coef, alpha, Lj, Uj, cuts, ncut, exhaustive=False
             ):  # type: ignore[no-untyped-def]
    """A lower bound of ``min over P_j of s_j Σ_d μ_d relu_α(x̃_d · v)`` (``coef = s_j μ``;
    ``Lj, Uj`` the certified ranges on P_j, ``cuts[:ncut]`` its cone normals): every vertex
    of the arrangement inside P_j, each with its rounding bounds (module docstring).
    Returns ``(bound, v)`` with v the candidate that gave it (a point of the box surface;
    not always in P_j, by a rounding: check before using it)."""
    D, q = Xt.shape
    w, Xu, cu, A = _split(Xt, coef, alpha, Lj, Uj)
    nU = Xu.shape[0]
    errG = _err_G(D, q, A)
    vbest = np.zeros(q)
    v = np.empty(q)
    best = _corners_min(w, Xu, cu, errG, cuts, ncut, vbest)
    P = _planes(Xu, cu, cuts, ncut)
    nP = P.shape[0]
    r = np.empty(q)
    if q == 2 and not exhaustive and nP * nU > 4096:
        r3 = np.empty(3)
        g = _plane_sweep(P, Xu, cu, w, A, errG, cuts, ncut, _RIG, r3)
        return min(best, g), vbest
    if q == 2:
        for a in range(nP):
            for sg in (1.0, -1.0):
                r[0] = sg * P[a, 1]
                r[1] = -sg * P[a, 0]
                if not _in_region(r, 0.0, cuts, ncut):
                    continue
                g = _ray_value(r, 0.0, w, Xu, cu, A, errG)
                if g < best:
                    best = g
                    vbest[:] = r / max(abs(r[0]), abs(r[1]))
        return best, vbest
    # q == 3: the rays of pairs of planes, loop by loop (one angular sweep each), or
    # (``exhaustive``, the reference) every pair evaluated on its own
    if not exhaustive:
        for a in range(nP):
            g = _loop_sweep(a, P, Xu, cu, w, A, errG, cuts, ncut, _RIG, r)
            if g < best:
                best = g
                vbest[:] = r
    else:
        for a in range(nP):
            for b in range(a + 1, nP):
                e = _cross_err(P[a], P[b], r)
                same = True
                opp = True
                for i in range(3):
                    same = same and P[a, i] == P[b, i]
                    opp = opp and P[a, i] == -P[b, i]
                if same or opp:  # one plane twice: no vertex
                    continue
                for sg in (1.0, -1.0):
                    for i in range(3):
                        v[i] = sg * r[i]
                    if not _in_region(v, e, cuts, ncut):
                        continue
                    g = _ray_value(v, e, w, Xu, cu, A, errG)
                    if g < best:
                        best = g
                        rho = max(abs(v[0]), abs(v[1]), abs(v[2]))
                        if rho > 0.0:
                            vbest[:] = v / rho
    # planes crossing the box edges: two coordinates at ±1, the third solved for
    g = _edges_min(P, w, Xu, cu, A, errG, cuts, ncut, _RIG, v)
    if g < best:
        best = g
        vbest[:] = v
    return best, vbest


@njit(nogil=True)
def _key(px, py):  # type: ignore[no-untyped-def]
    """A pseudo-angle in [0, 4) of (px, py) != 0, increasing counterclockwise, with
    ``|dkey/dangle| <= 1`` and ``|dangle/dkey| <= 2``; 8 units of roundoff at most."""
    if py >= 0.0:
        if px > 0.0:
            return py / (px + py)
        return 1.0 + (-px) / (-px + py)
    if px < 0.0:
        return 2.0 + (-py) / (-px - py)
    return 3.0 + px / (px - py)


@njit(nogil=True)
def _unkey(k):  # type: ignore[no-untyped-def]
    f = k - np.floor(k)
    quad = int(np.floor(k)) % 4
    if quad == 0:
        return 1.0 - f, f
    if quad == 1:
        return -f, 1.0 - f
    if quad == 2:
        return -(1.0 - f), -f
    return f, -(1.0 - f)


@njit(nogil=True)
def _cross_err(x, y, r):  # type: ignore[no-untyped-def]
    """r = x × y in floating point; returns the componentwise bound (max over components)
    on its error."""
    r[0] = x[1] * y[2] - x[2] * y[1]
    r[1] = x[2] * y[0] - x[0] * y[2]
    r[2] = x[0] * y[1] - x[1] * y[0]
    return _gamma(3) * max(abs(x[1] * y[2]) + abs(x[2] * y[1]),
                           abs(x[2] * y[0]) + abs(x[0] * y[2]),
                           abs(x[0] * y[1]) + abs(x[1] * y[0]))


@njit(nogil=True)
def _crossing(na, x, ii, jj, r):  # type: ignore[no-untyped-def]
    """``r = n_a × x`` (a direction of plane a's loop where x's plane crosses it) with its
    componentwise error ``e``, the proven error ``d`` of its pseudo-angle in the loop's
    coordinates ``(ii, jj)``, and ``ill`` when it is too short to place at all."""
    s2 = np.sqrt(2.0) * (1.0 + 4.0 * _U)
    e = _cross_err(na, x, r)
    pn = np.sqrt(r[ii] * r[ii] + r[jj] * r[jj]) * (1.0 - 4.0 * _U)
    ill = pn <= 4.0 * s2 * e
    d = 0.0 if ill else 1.6 * s2 * e / (pn - s2 * e) + 8.0 * _U
    return e, d, ill


_ILL = 1e-9  # key error above which a direction is not swept (evaluated or charged apart)


@njit(nogil=True)
def _argsort_keys(keys, n):  # type: ignore[no-untyped-def]
    """The order of ``keys[:n]`` (pseudo-angles: floats in [0, 4), or -0.0) by an LSD
    radix sort of their bits — nonnegative floats order as their bit patterns; the sign
    bit is cleared so that -0.0 sorts as 0.0 — byte by byte, skipping the bytes every key
    shares. The same order as ``np.argsort`` up to ties, in about half its time here."""
    u = np.empty(n, dtype=np.uint64)
    mask = np.uint64(0x7FFFFFFFFFFFFFFF)
    bits = keys[:n].view(np.uint64)
    for i in range(n):
        u[i] = bits[i] & mask
    ut = np.empty(n, dtype=np.uint64)
    idx = np.arange(n)
    tmp = np.empty(n, dtype=np.int64)
    cnt = np.zeros((8, 257), dtype=np.int64)
    for i in range(n):
        x = u[i]
        for p in range(8):
            cnt[p, ((x >> np.uint64(8 * p)) & np.uint64(255)) + 1] += 1
    for p in range(8):
        shared = False
        for b in range(256):
            if cnt[p, b + 1] == n:
                shared = True
        if shared:
            continue
        for b in range(256):
            cnt[p, b + 1] += cnt[p, b]
        sh = np.uint64(8 * p)
        for i in range(n):
            d = (u[i] >> sh) & np.uint64(255)
            j = cnt[p, d]
            ut[j] = u[i]
            tmp[j] = idx[i]
            cnt[p, d] = j + 1
        idx, tmp = tmp, idx
        u, ut = ut, u
    return idx


@njit(nogil=True)
def _ray_pair(r, e, w, Xu, cu, A, errG, cuts, ncut, v):  # type: ignore[no-untyped-def]
    """The least :func:`_ray_value` of ``±r`` in the region (+inf: neither), each vertex
    evaluated directly (one too ill-conditioned to be swept)."""
    best = np.inf
    for sg in (1.0, -1.0):
        for i in range(3):
            v[i] = sg * r[i]
        if _in_region(v, e, cuts, ncut):
            best = min(best, _ray_value(v, e, w, Xu, cu, A, errG))
    return best


@njit(nogil=True)
def _push_pair(r, e, d, ii, jj, on, k, vert, R, E, dlt, keys, kind, ref, cand, ne
               ):  # type: ignore[no-untyped-def]
    """Append the sweep's events at ``±r`` (error ``e``, key error ``d``): kind ``on`` at
    ``+r`` and the opposite at ``-r`` for kink ``k`` (``on = 0``: candidates only),
    candidates when ``vert``. Returns the new event count."""
    for sg in (1.0, -1.0):
        for i in range(3):
            R[ne, i] = sg * r[i]
        E[ne] = e
        dlt[ne] = d
        keys[ne] = _key(R[ne, ii], R[ne, jj])
        kind[ne] = on if sg > 0.0 or on == 0 else 3 - on
        ref[ne] = k
        cand[ne] = vert
        ne += 1
    return ne


@njit(nogil=True)
def _loop_sweep(a, P, Xu, cu, w, A, errG, cuts, ncut, rigorous, vout):  # type: ignore
    """The least G over the ray vertices on plane a's loop (``±(n_a × n_b)`` for every
    other plane b), by one angular sweep: O((P + U) log(P + U)) instead of O(P U).

    ``P`` is laid out as by :func:`_planes`: first the kinks with ``cu > 0`` (in ``Xu``'s
    order), then the other planes. A kink's crossings with the loop are the sweep's
    events that switch it on or off, and for ``cu > 0`` also the candidate vertices of
    its plane (one event, not two: the vertex lies on the kink, where its term is 0).

    The sweep keeps ``S = Σ c_k x̃_k`` over the kinks active at the current angle. With
    ``rigorous`` each value is a proven lower bound: a kink can be taken on the wrong
    side of a candidate only when their pseudo-angles are within the sum of their
    proven errors, and then ``|x̃_k · r| <= ||g_k|| ||p|| 2(δ_b + δ_k)`` is charged
    (``g_k`` the kink's gradient in the loop's coordinates, ``||g_k|| <= 2.5 ||x̃_k||_1``);
    a kink too nearly parallel to n_a to be placed is charged ``|c_k| max |x̃_k · r|``
    over the loop, a candidate too ill-conditioned to be placed is evaluated directly.
    In a cut region the kinks are narrowed first (:func:`_narrow_arc`): a kink whose
    side is the same at both ends of an arc that holds the region's part of the loop has
    no vertex and no switch there; it only enters the starting sum.
    Returns the least value (``vout`` its vertex on the box surface) or +inf."""
    done, best = _loop_sweep_at(a, P, Xu, cu, w, A, errG, cuts, ncut, rigorous, vout, True)
    if not done:  # the narrowed arc's sweep fell back to the whole loop: every kink
        done, best = _loop_sweep_at(a, P, Xu, cu, w, A, errG, cuts, ncut, rigorous, vout,
                                    False)
    return best


@njit(nogil=True)
def _axes(na):  # type: ignore[no-untyped-def]
    """The loop coordinates of plane ``na``: its largest component ``m`` (solved for) and
    the two others ``(ii, jj)``, in cyclic order."""
    m = 0
    for i in range(3):
        if abs(na[i]) > abs(na[m]):
            m = i
    return m, (m + 1) % 3, (m + 2) % 3


@njit(nogil=True)
def _cut_events(a, P, npos, ii, jj, w, Xu, cu, A, errG, cuts, ncut, rigorous, vout, R, E,
                dlt, keys, kind, ref, cand):  # type: ignore[no-untyped-def]
    """The crossings of plane a's loop with the planes that are not kinks (``P[npos:]``,
    the cuts) as candidate events from index 0; those too ill-conditioned to place are
    evaluated directly (``rigorous``). Returns ``(events, every one placed, best)``."""
    na = P[a]
    r = np.empty(3)
    ne = 0
    placed = True
    best = np.inf
    for b in range(npos, P.shape[0]):
        if b == a:
            continue
        same = True
        opp = True
        for i in range(3):
            same = same and P[b, i] == na[i]
            opp = opp and P[b, i] == -na[i]
        if same or opp:
            continue
        e, d, ill = _crossing(na, P[b], ii, jj, r)
        if ill or d > _ILL:
            placed = False
            if rigorous > 0.0:  # evaluate these vertices directly (rare)
                best = min(best, _ray_pair(r, e, w, Xu, cu, A, errG, cuts, ncut, vout))
            continue
        ne = _push_pair(r, e, d, ii, jj, 0, -1, True, R, E, dlt, keys, kind, ref, cand, ne)
    return ne, placed, best


@njit(nogil=True)
def _loop_sweep_at(a, P, Xu, cu, w, A, errG, cuts, ncut, rigorous, vout, narrow
                   ):  # type: ignore[no-untyped-def]
    """:func:`_loop_sweep` with (``narrow``) or without the narrowing of the kinks;
    ``(done, best)``, not done when narrowed and the arc's sweep needs the whole loop."""
    na = P[a]
    m, ii, jj = _axes(na)
    nP = P.shape[0]
    nU = Xu.shape[0]
    npos = 0
    for k in range(nU):
        if cu[k] > 0.0:
            npos += 1
    nmax = 2 * (nP - npos) + 2 * nU
    keys = np.empty(nmax)
    kind = np.empty(nmax, dtype=np.int64)  # 0 candidate, 1 kink on, 2 kink off
    ref = np.empty(nmax, dtype=np.int64)
    cand = np.zeros(nmax, dtype=np.bool_)  # a vertex to evaluate (any kind)
    R = np.empty((nmax, 3))
    E = np.empty(nmax)
    dlt = np.empty(nmax)
    r = np.empty(3)
    ne, placed, best = _cut_events(a, P, npos, ii, jj, w, Xu, cu, A, errG, cuts, ncut,
                                   rigorous, vout, R, E, dlt, keys, kind, ref, cand)
    narrow = narrow and placed  # a cut's vertex not placed: the region's arc is not known
    dmax = 0.0
    charge = 0.0  # per unit of ||r||_2, for kinks that are not swept
    gsum = 0.0  # Σ |c_k| ||g_k|| over swept kinks
    na2 = np.sqrt(na[0] * na[0] + na[1] * na[1] + na[2] * na[2]) * (1.0 - 4.0 * _U)
    swept = np.zeros(nU, dtype=np.bool_)
    uA = np.empty(3)
    uB = np.empty(3)
    if narrow:
        narrow = ncut > 0 and _narrow_arc(na, m, ii, jj, R, E, keys, ne, cuts, ncut,
                                          rigorous, uA, uB)
    for k in range(nU):
        x = Xu[k]
        if narrow:
            tA = x[0] * uA[0] + x[1] * uA[1] + x[2] * uA[2]
            mA = abs(x[0] * uA[0]) + abs(x[1] * uA[1]) + abs(x[2] * uA[2])
            tB = x[0] * uB[0] + x[1] * uB[1] + x[2] * uB[2]
            mB = abs(x[0] * uB[0]) + abs(x[1] * uB[1]) + abs(x[2] * uB[2])
            if ((tA > _SIDE * mA and tB > _SIDE * mB)
                    or (tA < -_SIDE * mA and tB < -_SIDE * mB)):
                # one side on the whole arc: no vertex, no switch; the starting sum
                # takes it (its misplacement charge is kept, though it cannot occur)
                swept[k] = True
                gsum += abs(cu[k]) * 2.5 * (abs(x[0]) + abs(x[1]) + abs(x[2]))
                continue
        if (x[0] == na[0] and x[1] == na[1] and x[2] == na[2]) or (
                x[0] == -na[0] and x[1] == -na[1] and x[2] == -na[2]):
            continue  # x̃_k · r = 0 on the whole plane
        e, d, ill = _crossing(na, x, ii, jj, r)
        vert = cu[k] > 0.0  # its plane is one of P's: its crossings are candidates
        # which of ±r turns the kink on when turning counterclockwise
        px = -r[jj]
        py = r[ii]
        rm = -(na[ii] * px + na[jj] * py) / na[m]
        t = x[ii] * px + x[jj] * py + x[m] * rm
        tmag = abs(x[ii] * px) + abs(x[jj] * py) + abs(x[m] * rm)
        if ill or d > _ILL or abs(t) <= 1e-6 * tmag:
            if cu[k] < 0.0:
                rn = np.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]) + np.sqrt(3.0) * e
                charge += abs(cu[k]) * rn / na2 * (1.0 + 8.0 * _U)
            if vert and (ill or d > _ILL):
                if rigorous > 0.0:  # evaluate these vertices directly (rare)
                    best = min(best, _ray_pair(r, e, w, Xu, cu, A, errG, cuts, ncut, vout))
            elif vert:  # placed, but the kink is not swept: candidates only
                ne = _push_pair(r, e, d, ii, jj, 0, k, True, R, E, dlt, keys, kind, ref, cand,
                                ne)
            continue
        swept[k] = True
        dmax = max(dmax, d)
        gsum += abs(cu[k]) * 2.5 * (abs(x[0]) + abs(x[1]) + abs(x[2]))
        on = 1 if t > 0.0 else 2
        ne = _push_pair(r, e, d, ii, jj, on, k, vert, R, E, dlt, keys, kind, ref, cand, ne)
    if ne == 0:
        return True, best
    if ncut > 0:  # a cut region: only the arc of the loop inside it needs sweeping
        done, best = _arc_sweep(best, na, m, ii, jj, R, E, dlt, keys, kind, ref, cand, ne,
                                swept, Xu, cu, w, A, errG, cuts, ncut, rigorous, dmax, gsum,
                                charge, vout)
        if done:
            return True, best
        if narrow:  # the whole loop: not with the narrowed kinks
            return False, best
    order = _argsort_keys(keys, ne)
    # start in the widest gap between consecutive events (no kink boundary near it)
    gap, start = _widest_gap(keys, order, ne)
    kmid = keys[order[start]] - 0.5 * gap
    if kmid < 0.0:
        kmid += 4.0
    ok, S, active = _start_sum(kmid, na, m, ii, jj, Xu, cu, swept, rigorous > 0.0)
    if not ok and rigorous > 0.0:
        # the gap is too narrow to start in: every vertex of the loop directly
        best2 = np.inf
        for c in range(ne):
            if not cand[c]:
                continue
            for i in range(3):
                vout[i] = R[c, i]
            if _in_region(vout, E[c], cuts, ncut):
                best2 = min(best2, _ray_value(vout, E[c], w, Xu, cu, A, errG))
        return True, min(best, best2)
    seq = np.empty(ne, dtype=np.int64)
    for t_ in range(ne):
        seq[t_] = order[(start + t_) % ne]
    return True, _sweep(best, seq, ne, S, active, R, E, dlt, kind, ref, cand, False, Xu, cu,
                        w, A, errG, cuts, ncut, rigorous, dmax, gsum, charge, vout)


#: a kink is on one side of a direction when ``|x̃_k · u| > _SIDE Σ_i |x̃_ki u_i|``: far
#: above the rounding of the three-term product and of the direction's lift onto the plane
_SIDE = 1e-6


@njit(nogil=True)
def _narrow_arc(na, m, ii, jj, R, E, keys, ne, cuts, ncut, rigorous, uA, uB
                ):  # type: ignore[no-untyped-def]
    """Two directions ``uA``, ``uB`` of plane a's loop whose arc (counterclockwise, under
    half a turn) holds the part of the loop inside the region (:func:`_narrow_keys`, the
    arc's ends lifted onto the plane); False when there is no such arc."""
    ok, kA, reach = _narrow_keys(na, m, ii, jj, R, E, keys, ne, cuts, ncut, rigorous)
    if not ok:
        return False
    kB = kA + reach
    if kB >= 4.0:
        kB -= 4.0
    px, py = _unkey(kA)
    _lift(na, m, ii, jj, px, py, uA)
    px, py = _unkey(kB)
    _lift(na, m, ii, jj, px, py, uB)
    return True


@njit(nogil=True)
def _narrow_keys(na, m, ii, jj, R, E, keys, ne, cuts, ncut, rigorous
                 ):  # type: ignore[no-untyped-def]
    """``(ok, kA, reach)``: the arc of plane a's loop from key ``kA`` counterclockwise
    over ``reach`` (under half a turn) that holds the part of the loop inside the region,
    from the cuts' vertices on the loop (the first ``ne`` events, every cut's crossing
    placed). That part is a convex cone of the plane, its boundary rays crossings of cuts
    inside the region, so they pass the membership test; the arc spans every passing
    crossing with ``2 _ARC`` to spare on each side (far above their keys' errors,
    ``_ILL``). Not ok when no crossing passes (the part is the whole plane, or the origin)
    or they span half a turn or more (a half-plane: no such arc)."""
    ck = np.empty(max(ne, 1))
    nc = 0
    v = np.empty(3)
    for c in range(ne):
        for i in range(3):
            v[i] = R[c, i]
        if _in_region(v, E[c] if rigorous > 0.0 else 0.0, cuts, ncut):
            ck[nc] = keys[c]
            nc += 1
    if nc == 0:
        return False, 0.0, 0.0
    order = _argsort_keys(ck, nc)
    gap, first = _widest_gap(ck, order, nc)
    span = 4.0 - gap
    if span + 8.0 * _ARC > 2.0 - 1e-3:
        return False, 0.0, 0.0
    kA = ck[order[first]] - 2.0 * _ARC
    if kA < 0.0:
        kA += 4.0
    return True, kA, span + 4.0 * _ARC


@njit(nogil=True)
def _lift(na, m, ii, jj, px, py, u):  # type: ignore[no-untyped-def]
    """``u`` the direction of plane a's loop with loop coordinates ``(px, py)``."""
    u[ii] = px
    u[jj] = py
    u[m] = -(na[ii] * px + na[jj] * py) / na[m]


@njit(nogil=True)
def _widest_gap(keys, order, n):  # type: ignore[no-untyped-def]
    """The widest gap between pseudo-angles ``keys`` consecutive in ``order[:n]`` (the
    loop closes: from the last back round to the first), and the position in ``order``
    of the key that ends it."""
    gap = keys[order[0]] + 4.0 - keys[order[n - 1]]
    at = 0
    for t_ in range(1, n):
        g_ = keys[order[t_]] - keys[order[t_ - 1]]
        if g_ > gap:
            gap = g_
            at = t_
    return gap, at


#: the margin (in pseudo-angle) around the arc of a loop that holds its candidates in the
#: region: far above any swept key's proven error (``_ILL``)
_ARC = 1e-6


@njit(nogil=True)
def _start_sum(kmid, na, m, ii, jj, Xu, cu, swept, strict):  # type: ignore
    """``S = Σ c_k x̃_k`` over the swept kinks active at the loop's direction of key
    ``kmid``, and which are; with ``strict``, ``ok`` false (at once) when a kink is too
    near that direction to tell its side (else such a kink is taken as it computes)."""
    u = np.empty(3)
    _lift(na, m, ii, jj, *_unkey(kmid), u)
    nU = Xu.shape[0]
    S = np.zeros(3)
    active = np.zeros(nU, dtype=np.bool_)
    for k in range(nU):
        if swept[k]:
            x = Xu[k]
            t = x[ii] * u[ii] + x[jj] * u[jj] + x[m] * u[m]
            tmag = abs(x[ii] * u[ii]) + abs(x[jj] * u[jj]) + abs(x[m] * u[m])
            if strict and abs(t) <= 1e-6 * tmag:
                return False, S, active
            if t > 0.0:
                active[k] = True
                for i in range(3):
                    S[i] += cu[k] * x[i]
    return True, S, active


@njit(nogil=True)
def _arc_sweep(best, na, m, ii, jj, R, E, dlt, keys, kind, ref, cand, ne, swept, Xu, cu, w,
               A, errG, cuts, ncut, rigorous, dmax, gsum, charge, vout
               ):  # type: ignore[no-untyped-def]
    """:func:`_loop_sweep` on the arc of the loop that holds its candidates inside the
    region: the candidates the sweep would evaluate (the same membership test) span an arc
    from key ``lo`` to ``hi``; the sweep starts at ``lo - _ARC`` with the kinks' sum taken
    there directly and takes only the events up to ``hi + _ARC``. A kink left out has every
    computed crossing outside that range, so (its key's error is at most ``_ILL``) its true
    crossings are too, and its sign is the same at the start and at every candidate.
    Returns ``(done, best)``; not done when the arc is (nearly) the whole loop or the start
    is too near a kink to tell its side (the caller sweeps the whole loop then)."""
    inreg = np.zeros(ne, dtype=np.bool_)
    ck = np.empty(ne)
    nc = 0
    v = np.empty(3)
    for c in range(ne):
        if cand[c]:
            for i in range(3):
                v[i] = R[c, i]
            if _in_region(v, E[c] if rigorous > 0.0 else 0.0, cuts, ncut):
                inreg[c] = True
                ck[nc] = keys[c]
                nc += 1
    if nc == 0:  # no vertex of the loop in the region: the sweep would evaluate none
        return True, best
    order = _argsort_keys(ck, nc)
    gap, first = _widest_gap(ck, order, nc)  # the widest gap between candidates
    span = 4.0 - gap  # the arc from lo counterclockwise that holds every candidate
    if span > 4.0 - 8.0 * _ARC:
        return False, best
    kmid = ck[order[first]] - _ARC
    if kmid < 0.0:
        kmid += 4.0
    ok, S, active = _start_sum(kmid, na, m, ii, jj, Xu, cu, swept, True)
    if not ok:
        return False, best
    reach = span + 2.0 * _ARC
    idx = np.empty(ne, dtype=np.int64)
    rk = np.empty(ne)
    n = 0
    for c in range(ne):
        if kind[c] == 0 and not inreg[c]:
            continue
        d = keys[c] - kmid
        if d < 0.0:
            d += 4.0
        if d > reach:
            continue
        idx[n] = c
        rk[n] = d
        n += 1
    order2 = _argsort_keys(rk, n)
    seq = np.empty(n, dtype=np.int64)
    for t_ in range(n):
        seq[t_] = idx[order2[t_]]
    return True, _sweep(best, seq, n, S, active, R, E, dlt, kind, ref, inreg, True, Xu, cu,
                        w, A, errG, cuts, ncut, rigorous, dmax, gsum, charge, vout)


@njit(nogil=True)
def _sweep(best, seq, n, S, active, R, E, dlt, kind, ref, cand, tested, Xu, cu, w, A, errG,
           cuts, ncut, rigorous, dmax, gsum, charge, vout):  # type: ignore[no-untyped-def]
    """The events ``seq[:n]`` in sweep order from the sum ``S`` of the ``active`` kinks:
    each candidate evaluated before its own kink switches (``tested``: the candidates are
    known to pass the region test), then the event's switch applied."""
    nU = Xu.shape[0]
    errS = _gamma(3 * nU + 8) * 3.0 * A
    v = np.empty(3)
    for t_ in range(n):
        c = seq[t_]
        if cand[c]:  # before its own kink switches: the vertex is on it (term 0)
            for i in range(3):
                v[i] = R[c, i]
            if tested or _in_region(v, E[c] if rigorous > 0.0 else 0.0, cuts, ncut):
                rho = max(abs(v[0]), abs(v[1]), abs(v[2]))
                g = (w[0] + S[0]) * v[0] + (w[1] + S[1]) * v[1] + (w[2] + S[2]) * v[2]
                if rigorous > 0.0:
                    e = E[c]
                    r2 = np.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) + np.sqrt(3.0) * e
                    mis = r2 * 2.0 * (dlt[c] + dmax) * gsum
                    g -= (errG + errS) * max(1.0, rho + e) + A * e + mis + charge * r2
                    if g >= 0.0:
                        g = 0.0
                    else:
                        g = (g / (rho - e)) * (1.0 + 4.0 * _U)
                else:
                    g = g / rho
                if g < best:
                    best = g
                    for i in range(3):
                        vout[i] = v[i] / rho
        k = ref[c]
        if kind[c] == 1:
            if not active[k]:
                active[k] = True
                for i in range(3):
                    S[i] += cu[k] * Xu[k, i]
        elif kind[c] == 2:
            if active[k]:
                active[k] = False
                for i in range(3):
                    S[i] -= cu[k] * Xu[k, i]
    return best


@njit(nogil=True)
def unit_min_local(Xt, coef, alpha, Lj, Uj, cuts, ncut, start, sweeps):  # type: ignore
    """An upper estimate of ``min over P_j of G_j`` (no certificate: it chooses Kelley's
    rows) and its vertex. ``q = 2``: the exact candidate list; ``q = 3``: from ``start``
    (or the best box corner), walk the arrangement loop by loop — the best vertex on the
    loop of one of its planes, then on the loop of the other — ``sweeps`` times."""
    D, q = Xt.shape
    w, Xu, cu, A = _split(Xt, coef, alpha, Lj, Uj)
    if q == 2:
        P = _planes(Xu, cu, cuts, ncut)
        if P.shape[0] * Xu.shape[0] <= 4096:
            return unit_min(Xt, coef, alpha, Lj, Uj, cuts, ncut)
        best = 0.0
        vbest = np.zeros(2)
        v = np.empty(2)
        for k in range(4):
            v[0] = 1.0 if k & 1 else -1.0
            v[1] = 1.0 if k & 2 else -1.0
            if _in_region(v, 0.0, cuts, ncut):
                g = _G(v, w, Xu, cu)
                if g < best:
                    best = g
                    vbest[:] = v
        r3 = np.empty(3)
        g = _plane_sweep(P, Xu, cu, w, A, 0.0, cuts, ncut, _FAST, r3)
        if g < best:
            best = g
            vbest[:] = r3[:2]
        return best, vbest
    P = _planes(Xu, cu, cuts, ncut)
    nP = P.shape[0]
    vbest = np.zeros(q)
    v = np.empty(q)
    best = _corners_min(w, Xu, cu, 0.0, cuts, ncut, vbest)
    if nP == 0:
        return best, vbest
    g0 = _G(start, w, Xu, cu) if _in_region(start, 0.0, cuts, ncut) else np.inf
    cur = start.copy() if g0 < best else vbest.copy()
    # the plane nearest to the starting point begins the walk
    a = 0
    tbest = np.inf
    for k in range(nP):
        t = abs(P[k, 0] * cur[0] + P[k, 1] * cur[1] + P[k, 2] * cur[2])
        t /= abs(P[k, 0]) + abs(P[k, 1]) + abs(P[k, 2]) + 1e-300
        if t < tbest:
            tbest = t
            a = k
    out = np.empty(q)
    errG = 0.0
    if sweeps < 0:  # every loop and edge: the exact minimum (up to rounding), no walk
        g = _edges_min(P, w, Xu, cu, A, errG, cuts, ncut, _FAST, out)
        if g < best:
            best = g
            vbest[:] = out
        for a in range(nP):
            g = _loop_sweep(a, P, Xu, cu, w, A, errG, cuts, ncut, _FAST, out)
            if g < best:
                best = g
                vbest[:] = out
        return best, vbest
    prev = -1
    for _ in range(2 * sweeps):
        g = _loop_sweep(a, P, Xu, cu, w, A, errG, cuts, ncut, _FAST, out)
        if g < best:
            best = g
            vbest[:] = out
        # continue on the loop of the other plane through the best vertex
        b = -1
        tbest = np.inf
        for k in range(nP):
            if k == a:
                continue
            t = abs(P[k, 0] * vbest[0] + P[k, 1] * vbest[1] + P[k, 2] * vbest[2])
            t /= abs(P[k, 0]) + abs(P[k, 1]) + abs(P[k, 2]) + 1e-300
            if t < tbest:
                tbest = t
                b = k
        if b < 0 or b == prev:
            break
        prev = a
        a = b
    return best, vbest


def certified_dual_value(mu: np.ndarray, y: np.ndarray, c_free: bool, clo: float, chi: float,
                         c_fixed: float, unit_bounds: np.ndarray) -> float:
    """``-μ·y + min_c c Σμ + Σ_j p_j`` rounded down (``unit_bounds`` are lower bounds of
    the p_j; μ must satisfy ``|μ_d| <= 1/D`` exactly)."""
    D = mu.shape[0]
    g = D * _U / (1.0 - D * _U)
    s1 = float(-(mu @ y))
    e1 = g * float(np.abs(mu) @ np.abs(y))
    smu = float(mu.sum())
    es = g * float(np.abs(mu).sum())
    if c_free:
        cterm = min(clo * (smu - es), clo * (smu + es), chi * (smu - es), chi * (smu + es))
    else:
        cterm = min(c_fixed * (smu - es), c_fixed * (smu + es))
    parts = [s1 - e1, cterm, *[float(b) for b in unit_bounds]]
    total = float(np.sum(parts))
    mag = float(np.sum(np.abs(parts)))
    return total - _gamma_py(len(parts) + 2) * mag - 4.0 * _U * abs(total)


#: exact pricing rounds of a full hull_node after the walks overstated a prune
_EXACT_ROUNDS = 4


def _gamma_py(n: int) -> float:
    return n * _U / (1.0 - n * _U)


def _relu_cols(Xt: np.ndarray, V: np.ndarray, alpha: float) -> np.ndarray:
    t = V @ Xt.T
    return np.where(t > 0.0, t, alpha * t)


def _twins(signs: np.ndarray, normals: np.ndarray, nr: np.ndarray) -> np.ndarray:
    """``rep[j]``: the first unit with unit j's sign and exactly its cuts (its region, so
    its ``p_j``); ``rep[j] == j`` for the units the bound computes."""
    h = signs.shape[0]
    rep = np.arange(h)
    cuts = [np.unique(normals[j, : nr[j]], axis=0) for j in range(h)]  # sorted sets
    for j in range(h):
        for k in range(j):
            if (rep[k] == k and signs[k] == signs[j] and cuts[k].shape == cuts[j].shape
                    and np.array_equal(cuts[k], cuts[j])):
                rep[j] = k
                break
    return rep


def _exact_min(Xt: np.ndarray, coef: np.ndarray, alpha: float, Lj: np.ndarray,
               Uj: np.ndarray, cuts: np.ndarray, ncut: int, rigorous: float
               ) -> tuple[float, np.ndarray]:
    """A unit's minimum over every vertex: :func:`unit_min` (``rigorous``, a proven lower
    bound) or :func:`unit_min_local` with every loop swept (an estimate); for two inputs
    and ``D <= loops.CACHE_MAX`` from the data set's loop table
    (:func:`lptrain.certify.patterns.loops.unit_min_loops`, the same candidates)."""
    from lptrain.certify.patterns.loops import loops_of, unit_min_loops

    table = loops_of(Xt)
    if table is not None:
        return unit_min_loops(Xt, coef, alpha, Lj, Uj, cuts, ncut, rigorous, *table)
    if rigorous > 0.0:
        return unit_min(Xt, coef, alpha, Lj, Uj, cuts, ncut)
    return unit_min_local(Xt, coef, alpha, Lj, Uj, cuts, ncut, np.zeros(Xt.shape[1]), -1)


def _certify(pb, signs: np.ndarray, mu: np.ndarray, L: np.ndarray, U: np.ndarray,
             normals: np.ndarray, nr: np.ndarray, rep: np.ndarray | None = None,
             verts: np.ndarray | None = None) -> float:  # type: ignore[no-untyped-def]
    """The certified ``L(μ)`` of a node: every unit's minimum by :func:`unit_min` (once
    per set of twins ``rep``, :func:`_twins`; its minimizers into ``verts`` (h, q) when
    given); -inf when it is NaN (an overflow somewhere: nothing is claimed)."""
    h = signs.shape[0]
    rep = np.arange(h) if rep is None else rep
    bounds = np.empty(h)
    for j in range(h):
        if rep[j] != j:
            bounds[j] = bounds[rep[j]]  # the same region and sign: the same minimum
            continue
        bounds[j], v = _exact_min(pb.Xt, signs[j] * mu, pb.alpha, L[j], U[j], normals[j],
                                  nr[j], _RIG)
        if verts is not None:
            verts[j] = v
    bound = certified_dual_value(mu, pb.y, pb.c_free, pb.c_lo, pb.c_hi, pb.c_fixed, bounds)
    return bound if bound == bound else -np.inf


@dataclass
class HullResult:
    """What :func:`hull_node` found: the certified ``bound`` (-inf: none), the last
    minimizers ``verts`` (h, q), the Kelley ``rounds``, the master's mixture of vertices
    per unit as its mean ``vbar`` (h, q), the branching pair ``(unit, point)`` with the
    largest Jensen gap of that mixture (-1: none), the candidate network ``theta``
    (sign form, ``vbar`` with its best output bias) with its true risk ``value``, and the
    mixture's ``support``."""

    bound: float
    verts: np.ndarray
    rounds: int
    vbar: np.ndarray | None = None
    unit: int = -1
    point: int = -1
    theta: np.ndarray | None = None
    value: float = np.inf
    #: the last minimizer and the (up to 8) heaviest vertices of every unit's mixture
    #: (h, k, q; NaN rows pad): where a child's Kelley starts
    support: np.ndarray | None = None
    #: ``defer``: the best multipliers, when the certificate was left for later
    #: (:func:`certify_node` gives it), and the master's last value (an upper bound of
    #: every certifiable value of the node)
    mu: np.ndarray | None = None
    mval: float = np.inf
    #: the best value of ``L`` the rounds saw (an estimate: walks price from above)
    est: float = -np.inf


def hull_bound(pb, signs: np.ndarray, normals: np.ndarray, nr: np.ndarray, thr: float,
               starts: np.ndarray, *, rounds: int = 30, sweeps: int = 3
               ) -> tuple[float, np.ndarray, int]:  # type: ignore[no-untyped-def]
    """The certified unit-hull bound of one node (``normals`` (h, RMAX, q), ``nr`` (h,)),
    with Kelley's method started from the vertices ``starts`` (h, k, q) of every unit.
    Returns ``(bound, last minimizers (h, q), master rounds)``; ``-inf`` when the master
    already shows the bound cannot reach ``thr`` (no certificate computed then)."""
    r = hull_node(pb, signs, normals, nr, thr, starts, rounds=rounds, sweeps=sweeps)
    return r.bound, r.verts, r.rounds


def hull_node(pb, signs: np.ndarray, normals: np.ndarray, nr: np.ndarray, thr: float,
              starts: np.ndarray, *, rounds: int = 30, sweeps: int = 3,
              full: bool = False, floor: float = -np.inf, restarts: int = -1,
              stab: float = 0.0, defer: float = -1.0
              ) -> HullResult:  # type: ignore[no-untyped-def]
    """:func:`hull_bound` with the master's primal: with ``full`` Kelley runs to
    convergence whatever ``thr`` says, the bound is certified (unless the master's value,
    an upper bound of every certifiable value, is at most ``floor``: a bound the caller
    already has, e.g. the parent's), and the result carries the mixture, the branching
    pair and the candidate network (the search then needs no relaxation for this node).
    With ``defer >= 0`` too, a node that has a branching pair, whose master's value is
    below ``thr`` (it will be split whatever its certificate says) and at most ``defer``
    above ``floor`` (so the certificate could raise the caller's bound by at most that
    much) is not certified: the result carries the multipliers instead (``mu``), for
    :func:`certify_node` later."""
    from lptrain.solver.highs import CuttingPlaneLP

    Xt, y = pb.Xt, pb.y
    D, q = Xt.shape
    h = signs.shape[0]
    L, U = node_ranges(Xt, normals, nr)
    mmax = float(np.nextafter(1.0 / D, 0.0))
    nc = D + h + (1 if pb.c_free else 0)
    cost = np.zeros(nc)
    cost[:D] = -y if pb.c_free else -y + pb.c_fixed
    cost[D:D + h] = 1.0
    lower = np.concatenate([np.full(D, -mmax), np.full(h, -np.inf)])
    upper = np.concatenate([np.full(D, mmax), np.zeros(h)])  # the origin: π_j <= 0
    if pb.c_free:
        cost[-1] = 1.0
        lower = np.append(lower, -np.inf)
        upper = np.append(upper, np.inf)
    master = CuttingPlaneLP(cost, lower, upper, sense="max", scale=False)
    first = 0
    if pb.c_free:
        rows = np.zeros((2, nc))
        rows[:, -1] = 1.0
        rows[0, :D] = -pb.c_lo
        rows[1, :D] = -pb.c_hi
        master.add_rows(rows, np.full(2, -np.inf), np.zeros(2))
        first = 2
    row_unit: list[int] = []
    row_v: list[np.ndarray] = []

    def add(j: int, V: np.ndarray) -> None:
        R = _relu_cols(Xt, V, pb.alpha)
        rows = np.zeros((V.shape[0], nc))
        rows[:, :D] = -signs[j] * R
        rows[:, D + j] = 1.0
        master.add_rows(rows, np.full(V.shape[0], -np.inf), np.zeros(V.shape[0]))
        row_unit.extend([j] * V.shape[0])
        row_v.extend(V)

    for j in range(h):  # start from the given vertices that lie in the unit's region
        Vs = starts[j]
        ok = np.all(np.abs(Vs) <= 1.0, axis=1) & np.all(Vs @ normals[j, : nr[j]].T >= 0.0,
                                                          axis=1)
        if ok.any():
            add(j, np.unique(Vs[ok], axis=0))
    cur = starts[:, 0].copy()
    best_mu, best_val = None, -np.inf
    it = 0
    exact = False  # price by sweeping every loop (after the walks overestimated a prune)
    certified = -np.inf  # the certificate taken then (kept whatever follows)

    def inout(mu_m: np.ndarray, pis: np.ndarray) -> bool:
        """In-out separation: price at a point between the best μ and the master's,
        keep the rows that cut the master's point off; False when none does (then the
        round prices at the master's point itself). Only those rounds move the best μ
        and decide convergence: a walk's value is an estimate from above."""
        assert best_mu is not None  # called only after a round at the master's point
        mu_s = np.clip(stab * best_mu + (1.0 - stab) * mu_m, -mmax, mmax)
        mu_s[np.abs(mu_s) < 2.0**-900] = 0.0
        got = False
        for j in range(h):
            _, vj = unit_min_local(Xt, signs[j] * mu_s, pb.alpha, L[j], U[j], normals[j],
                                   nr[j], cur[j], sweeps)
            g_m = signs[j] * float(mu_m @ _relu_cols(Xt, vj[None, :], pb.alpha)[0])
            if g_m < pis[j] - 1e-12:
                add(j, vj[None, :])
                cur[j] = vj
                got = True
        return got

    # full (q = 3): a prune the walks overstated is priced exactly for this many rounds
    # (from the certificate's own minimizers, where the walks missed), then the walks
    # go on; the rounds grow by as many
    extra = _EXACT_ROUNDS if full and q == 3 else 0
    tried = False  # certified early once (a prune the walks said)
    exact_end = rounds  # the last round priced exactly
    fresh = False  # ``certified`` is the certificate of the current best μ
    checked = False  # a convergence the walks claimed, checked by exact pricing
    for it in range(1, rounds + extra + 1):
        x, mval = master.solve()
        if mval < thr and not full:
            return HullResult(certified, cur, it)
        mu = np.clip(x[:D], -mmax, mmax)
        mu[np.abs(mu) < 2.0**-900] = 0.0  # any μ of the box is valid: no subnormal products
        pis = x[D:D + h]
        if stab > 0.0 and best_mu is not None and not exact and inout(mu, pis):
            continue
        val = float(-(mu @ y))
        val += (min(pb.c_lo * mu.sum(), pb.c_hi * mu.sum()) if pb.c_free
                else pb.c_fixed * mu.sum())
        added = False
        sure = True  # every p_j of this round an exact minimum (val is L(μ))
        proven = np.empty(h)  # exact rounds: every p_j a proven lower bound (_RIG)
        for j in range(h):
            coef = signs[j] * mu
            if exact:  # priced rigorously (5% dearer): the round is its μ's certificate
                pj, vj = _exact_min(Xt, coef, pb.alpha, L[j], U[j], normals[j], nr[j], _RIG)
                proven[j] = pj
            else:
                pj, vj = unit_min_local(Xt, coef, pb.alpha, L[j], U[j], normals[j], nr[j],
                                        cur[j], sweeps)
            if q == 3 and not exact and pj >= pis[j] - 1e-12:  # nothing found: walk again
                # from the unit's latest rows, or (``restarts < 0``) sweep every loop
                if restarts < 0:
                    pj, vj = _exact_min(Xt, coef, pb.alpha, L[j], U[j], normals[j], nr[j],
                                        _FAST)
                else:
                    sure = False
                    mine = [v for u, v in zip(row_unit[::-1], row_v[::-1], strict=True)
                            if u == j][:restarts]
                    for v0 in mine:
                        p2, v2 = unit_min_local(Xt, coef, pb.alpha, L[j], U[j], normals[j],
                                                nr[j], np.ascontiguousarray(v0), sweeps)
                        if p2 < pj:
                            pj, vj = p2, v2
                        if pj < pis[j] - 1e-12:
                            break
            elif q == 3 and not exact:
                sure = False  # a walk's value: an estimate from above
            val += pj
            cur[j] = vj
            if pj < pis[j] - 1e-12:
                add(j, vj[None, :])
                added = True
        if exact:  # any μ of the box: a certified bound of the node
            got = certified_dual_value(mu, y, pb.c_free, pb.c_lo, pb.c_hi, pb.c_fixed,
                                       proven)
            certified = max(certified, got if got == got else -np.inf)
        if val > best_val or (sure and not added):
            # (nothing to add, every p_j exact: μ is the master's optimum, L(μ) = its
            # value, whatever a walk's estimate at an earlier μ said); priced exactly,
            # ``certified`` already holds its certificate
            best_val, best_mu, fresh = val, mu.copy(), exact
        enough = best_val >= thr + 1e-9 * max(1.0, abs(thr))
        if enough and not exact and not tried and q == 3 and (it < rounds or full):
            # a walk's value only estimates p_j from above, so best_val may overstate
            # L(μ): certify now; when it falls short, price exactly for the rest (full:
            # a few rounds), starting from the certificate's minimizers
            assert best_mu is not None  # set by this round at the latest
            tried = True
            rep = _twins(signs, normals, nr)
            vs = np.zeros((h, q))
            bound = _certify(pb, signs, best_mu, L, U, normals, nr, rep, vs)
            if bound >= thr and not full:
                return HullResult(bound, cur, it)
            exact, best_val, certified, fresh = True, bound, bound, True
            if bound >= thr:
                break  # full: pruned (the mixture below is still the caller's)
            for j in range(h):  # the minimizers that lie in their regions, as rows
                v = vs[rep[j]]
                if np.all(np.abs(v) <= 1.0) and np.all(normals[j, : nr[j]] @ v >= 0.0):
                    add(j, v[None, :])
                    cur[j] = v
            exact_end = it + extra if full else rounds
            continue
        # the master's value reached by the walks' estimates, which may overstate L(μ):
        # price exactly from now on, from the same master, once (full, q = 3). (When the
        # walks and their restarts find nothing, ``restarts >= 0``, the node stops there:
        # checking that too cost 7% on 2-3-1 and no nodes.)
        close = mval - best_val <= 1e-6 * max(1.0, abs(mval))
        if (q == 3 and full and not exact and not checked and not enough and close
                and added and it < rounds + tried * extra):
            checked, exact, exact_end, best_val = True, True, rounds + extra, -np.inf
            continue
        # enough to prune (certify now), converged, or nothing new to add
        if (enough and (exact or not full)) or not added or it >= rounds + tried * extra:
            break
        if exact and full and it >= exact_end:
            exact = False  # the walks again, for the rest of the rounds
        if close:
            break
    if best_mu is None or (best_val < thr and not full):
        return HullResult(certified, cur, it)
    if not full:
        if fresh:  # the best μ was priced rigorously: certified already
            return HullResult(certified, cur, it)
        # twins (same sign, same cuts: the same p_j) are certified once
        bound = _certify(pb, signs, best_mu, L, U, normals, nr, _twins(signs, normals, nr))
        return HullResult(max(bound, certified), cur, it)
    # the master's primal: a convex mixture of vertices per unit (the origin's weight is
    # the dual of π_j <= 0); its mean, and where it is not one unit (Jensen gap of relu)
    master.solve()
    lam = np.abs(master.row_duals[first:])
    lam0 = np.abs(master.col_duals[D:D + h])
    units = np.asarray(row_unit, dtype=np.int64)
    Vr = np.asarray(row_v, dtype=np.float64).reshape(-1, q)
    vbar = np.zeros((h, q))
    gap = np.zeros((h, D))
    support: list[np.ndarray] = []
    for j in range(h):
        sel = units == j
        wts = lam[sel]
        heavy = np.argsort(-wts, kind="stable")[:_SUPPORT]  # memory per open node bounded
        support.append(np.vstack([cur[j][None, :], Vr[sel][heavy[wts[heavy] > 0.0]]]))
        tot = wts.sum() + lam0[j]
        if tot <= 0.0 or not sel.any():
            continue
        wts = wts / tot
        vbar[j] = wts @ Vr[sel]
        mix = wts @ _relu_cols(Xt, Vr[sel], pb.alpha)
        gap[j] = mix - _relu_cols(Xt, vbar[j][None, :], pb.alpha)[0]
    score = gap * (D * np.abs(best_mu) + 0.1)
    k = int(np.argmax(score))
    unit, point = (k // D, k % D) if score.flat[k] > 1e-12 else (-1, -1)
    f = _relu_cols(Xt, vbar, pb.alpha).T @ signs
    if pb.c_free:
        c = float(np.clip(np.median(y - f), pb.c_lo, pb.c_hi))
        theta = np.concatenate([[c], vbar.ravel()])
    else:
        c = pb.c_fixed
        theta = vbar.ravel().copy()
    value = float(np.mean(np.abs(f + c - y)))
    master.close()
    kmax = max(v.shape[0] for v in support)
    sup = np.full((h, kmax, q), np.nan)
    for j, v in enumerate(support):
        sup[j, : v.shape[0]] = v
    if certified >= thr or fresh:  # pruned, or certified at the best μ already
        return HullResult(certified, cur, it, vbar, unit, point, theta, value, sup,
                          mval=mval, est=best_val)
    if mval <= floor:  # the certificate cannot beat what the caller has
        return HullResult(certified, cur, it, vbar, unit, point, theta, value, sup,
                          mval=mval, est=best_val)
    if (0.0 <= defer and mval < thr and mval - floor <= defer and unit >= 0
            and certified == -np.inf):  # split whatever it says, and little to gain: later
        return HullResult(-np.inf, cur, it, vbar, unit, point, theta, value, sup,
                          best_mu, mval, best_val)
    bound = max(certified, _certify(pb, signs, best_mu, L, U, normals, nr,
                                    _twins(signs, normals, nr)))
    return HullResult(bound, cur, it, vbar, unit, point, theta, value, sup, mval=mval,
                      est=best_val)


def certify_node(pb, signs: np.ndarray, normals: np.ndarray, nr: np.ndarray,
                 mu: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    """The certified ``L(μ)`` of a node at any multipliers ``mu`` (D,): they are clipped
    into the box ``|μ_d| < 1/D`` first, so a stored, rounded copy is as valid as the
    original (every μ of the box gives a lower bound)."""
    D = pb.Xt.shape[0]
    mmax = float(np.nextafter(1.0 / D, 0.0))
    mu = np.clip(np.asarray(mu, dtype=np.float64), -mmax, mmax)
    mu[np.abs(mu) < 2.0**-900] = 0.0
    L, U = node_ranges(pb.Xt, normals, nr)
    return _certify(pb, signs, mu, L, U, normals, nr, _twins(signs, normals, nr))


@njit(nogil=True)
def region_facets(normals: np.ndarray, nr: np.ndarray, q: int) -> np.ndarray:
    """Which cuts of every unit are facets of its region (the others can be dropped)."""
    out = _regions(normals, nr, q)
    return out[8]


assert RMAX > 0  # the node layout of relaxation.py (normals (h, RMAX, q))
