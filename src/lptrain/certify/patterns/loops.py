"""The exact sweeps of the unit-hull bound for two inputs (q = 3) from a table of each data
point's loop, built once per data set.

:func:`~lptrain.certify.patterns.hull.unit_min` sweeps the loop of every unstable kink a
with a positive coefficient: the crossings ``±(x̃_a × x̃_b)`` of every other unstable
point's plane with it, each placed by its pseudo-angle (the events that switch b's kink on
and off, and candidate vertices). Those crossings, their pseudo-angles, their order and
which of ``±r`` turns b on depend on the data alone, not on the node's multipliers or cuts:
:func:`build_loops` computes them once for every pair of points (O(D² log D) time,
12 bytes per crossing: 24 D² bytes, so only for ``D <= CACHE_MAX``) and
:func:`unit_min_loops` sweeps each loop in the stored order, with the node's unstable
points picked out by an index, the cuts' crossings (a few per loop) merged in, and, in a
cut region, only the stored events inside the arc of the region (:func:`hull._narrow_keys`)
taken, found by bisection. The sum of the kinks active at the sweep's start is computed
directly there, as the uncached sweep does.

Every rounding bound is the one of the uncached sweep: the stored crossings are the same
floating-point computations (:func:`hull._crossing`); the crossings that cannot be placed
(too short, or too near the start's tie test) are listed apart per loop and charged or
evaluated directly as there; the misplacement charge takes the loop's largest key error
over *all* points (at least the node's). A loop whose start is too near a kink to tell its
side is swept by the uncached code.
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np

from lptrain.certify.patterns._jit import njit
from lptrain.certify.patterns.hull import (
    _ILL,
    _U,
    _argsort_keys,
    _axes,
    _corners_min,
    _cross_err,
    _crossing,
    _cut_events,
    _edges_min,
    _err_G,
    _key,
    _lift,
    _loop_sweep,
    _narrow_keys,
    _planes,
    _ray_pair,
    _split,
    _sweep,
    _unkey,
    _widest_gap,
)

__all__ = ["CACHE_MAX", "build_loops", "loops_of", "unit_min_loops"]

#: the largest data set whose loops are tabled (24 D² bytes: about 100 MB at 2048)
CACHE_MAX = 2048


@njit(nogil=True)
def build_loops(Xt):  # type: ignore[no-untyped-def]
    """For every point a (the rows of ``Xt`` (D, 3)): its loop's events sorted by
    pseudo-angle — ``keys[a, :cnt[a]]``, ``refs`` = ``8 b + 4 (−r) + kind`` (kind 0 a
    candidate only, 1 on, 2 off) — a start key ``kmid[a]`` in the widest gap, the largest
    key error ``dmax[a]`` of a switching event, and the points not placed on it,
    ``xb[xoff[a]:xoff[a+1]]`` with ``xm`` (0: the crossing cannot be placed, 1: placed but
    its side cannot be told, 2: the same plane) and ``xrn`` (``(||r||_2 + √3 e) / ||n_a||``,
    its charge per unit of coefficient before the final rounding factor)."""
    D = Xt.shape[0]
    n2 = max(2 * D, 1)
    keys = np.empty((D, n2))
    refs = np.empty((D, n2), dtype=np.int32)
    cnt = np.zeros(D, dtype=np.int64)
    kmid = np.zeros(D)
    dmax = np.zeros(D)
    xoff = np.zeros(D + 1, dtype=np.int64)
    cap = 64
    xb = np.empty(cap, dtype=np.int64)
    xm = np.empty(cap, dtype=np.int64)
    xrn = np.empty(cap)
    nx = 0
    tk = np.empty(n2)
    tr = np.empty(n2, dtype=np.int32)
    r = np.empty(3)
    for a in range(D):
        xoff[a] = nx
        na = Xt[a]
        m, ii, jj = _axes(na)
        if na[m] == 0.0:  # x̃_a = 0: never unstable, no loop
            continue
        na2 = np.sqrt(na[0] * na[0] + na[1] * na[1] + na[2] * na[2]) * (1.0 - 4.0 * _U)
        ne = 0
        dm = 0.0
        for b in range(D):
            x = Xt[b]
            mode = -1
            rn = 0.0
            if (x[0] == na[0] and x[1] == na[1] and x[2] == na[2]) or (
                    x[0] == -na[0] and x[1] == -na[1] and x[2] == -na[2]):
                mode = 2
            else:
                e, d, ill = _crossing(na, x, ii, jj, r)
                px = -r[jj]
                py = r[ii]
                rm = -(na[ii] * px + na[jj] * py) / na[m]
                t = x[ii] * px + x[jj] * py + x[m] * rm
                tmag = abs(x[ii] * px) + abs(x[jj] * py) + abs(x[m] * rm)
                if ill or d > _ILL or abs(t) <= 1e-6 * tmag:
                    mode = 0 if (ill or d > _ILL) else 1
                    rn = (np.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])
                          + np.sqrt(3.0) * e) / na2
                if mode == -1 or mode == 1:
                    on = 0 if mode == 1 else (1 if t > 0.0 else 2)
                    if mode == -1:
                        dm = max(dm, d)
                    for sg in (0, 1):
                        if sg == 0:
                            tk[ne] = _key(r[ii], r[jj])
                            kd = on
                        else:
                            tk[ne] = _key(-r[ii], -r[jj])
                            kd = 0 if on == 0 else 3 - on
                        tr[ne] = 8 * b + 4 * sg + kd
                        ne += 1
            if mode >= 0:
                if nx == cap:
                    cap *= 2
                    xb2 = np.empty(cap, dtype=np.int64)
                    xm2 = np.empty(cap, dtype=np.int64)
                    xrn2 = np.empty(cap)
                    xb2[:nx] = xb[:nx]
                    xm2[:nx] = xm[:nx]
                    xrn2[:nx] = xrn[:nx]
                    xb, xm, xrn = xb2, xm2, xrn2
                xb[nx] = b
                xm[nx] = mode
                xrn[nx] = rn
                nx += 1
        if ne > 0:
            order = _argsort_keys(tk, ne)
            for t_ in range(ne):
                keys[a, t_] = tk[order[t_]]
                refs[a, t_] = tr[order[t_]]
            gap, start = _widest_gap(keys[a], np.arange(ne), ne)
            k0 = keys[a, start] - 0.5 * gap
            kmid[a] = k0 + 4.0 if k0 < 0.0 else k0
        cnt[a] = ne
        dmax[a] = dm
    xoff[D] = nx
    return keys, refs, cnt, kmid, dmax, xoff, xb[:nx].copy(), xm[:nx].copy(), xrn[:nx].copy()


_LOOPS: dict[tuple[object, ...], tuple[np.ndarray, ...]] = {}
_LOCK = threading.Lock()


def loops_of(Xt: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """The loop table of ``Xt`` (D, 3) (:func:`build_loops`), built on first use and kept
    for one data set at a time (memory bounded: 24 D² bytes); None when ``q != 3`` or
    ``D > CACHE_MAX`` (the uncached sweeps then)."""
    D, q = Xt.shape
    if q != 3 or D > CACHE_MAX or D < 2:
        return None
    Xc = np.ascontiguousarray(Xt, dtype=np.float64)
    key = (Xc.shape, hashlib.blake2b(Xc.tobytes(), digest_size=16).digest())
    with _LOCK:
        table = _LOOPS.get(key)
        if table is None:
            _LOOPS.clear()
            table = build_loops(Xc)
            _LOOPS[key] = table
    return table


@njit(nogil=True)
def _cached_loop(a, da, P, npos, Xu, cu, kmap, kidx, stamp, w, A, errG, cuts, ncut,
                 rigorous, vout, keys, refs, cnt, kmid, dmax, xoff, xb, xm, xrn,
                 R, E, dlt, kind, ref, cand, seq, Rc, Ec, dc, kc, kindc, refc, candc, rel
                 ):  # type: ignore[no-untyped-def]
    """:func:`hull._loop_sweep` of plane ``a`` (the kink of data point ``da``) from the
    stored loop; ``(done, best)``, not done when the start is too near a kink."""
    na = P[a]
    m, ii, jj = _axes(na)
    nU = Xu.shape[0]
    r = np.empty(3)
    # the cuts' crossings: candidates only, computed here (as the uncached sweep)
    ne, placed, best = _cut_events(a, P, npos, ii, jj, w, Xu, cu, A, errG, cuts, ncut,
                                   rigorous, vout, Rc, Ec, dc, kc, kindc, refc, candc)
    narrow = ncut > 0 and placed
    charge = 0.0
    for t_ in range(xoff[da], xoff[da + 1]):  # the points not placed on this loop
        b = xb[t_]
        k = kmap[b]
        if k < 0:
            continue
        stamp[b] = da  # not in the starting sum
        if xm[t_] == 2:
            continue
        if cu[k] < 0.0:
            charge += abs(cu[k]) * xrn[t_] * (1.0 + 8.0 * _U)
        elif cu[k] > 0.0 and xm[t_] == 0 and rigorous > 0.0:
            e = _cross_err(na, Xu[k], r)
            best = min(best, _ray_pair(r, e, w, Xu, cu, A, errG, cuts, ncut, vout))
    ks = kmid[da]
    reach = 4.0
    if narrow:
        ok, kA, rch = _narrow_keys(na, m, ii, jj, Rc, Ec, kc, ne, cuts, ncut, rigorous)
        if ok:
            ks = kA
            reach = rch
    # the starting sum, directly (every placed unstable kink, wherever it switches)
    u = np.empty(3)
    px, py = _unkey(ks)
    _lift(na, m, ii, jj, px, py, u)
    S = np.zeros(3)
    active = np.zeros(nU, dtype=np.bool_)
    gsum = 0.0
    for k in range(nU):
        if stamp[kidx[k]] == da:
            continue
        x = Xu[k]
        t = x[ii] * u[ii] + x[jj] * u[jj] + x[m] * u[m]
        tmag = abs(x[ii] * u[ii]) + abs(x[jj] * u[jj]) + abs(x[m] * u[m])
        if abs(t) <= 1e-6 * tmag:
            return False, best
        gsum += abs(cu[k]) * 2.5 * (abs(x[0]) + abs(x[1]) + abs(x[2]))
        if t > 0.0:
            active[k] = True
            for i in range(3):
                S[i] += cu[k] * x[i]
    # the cuts' crossings in range, by their distance from the start
    nc = 0
    for c in range(ne):
        dd = kc[c] - ks
        if dd < 0.0:
            dd += 4.0
        if dd <= reach:
            rel[nc] = dd
            seq[nc] = c
            nc += 1
    for i in range(1, nc):  # a few: insertion sort
        j = i
        while j > 0 and rel[j - 1] > rel[j]:
            rel[j - 1], rel[j] = rel[j], rel[j - 1]
            seq[j - 1], seq[j] = seq[j], seq[j - 1]
            j -= 1
    # the stored events from the start, merged with the cuts' crossings
    n0 = cnt[da]
    row = keys[da]
    i0 = np.searchsorted(row[:n0], ks)
    n = 0
    ci = 0
    for s_ in range(n0 + 1):
        if s_ < n0:
            p_ = i0 + s_
            if p_ >= n0:
                p_ -= n0
            dd = row[p_] - ks
            if dd < 0.0:
                dd += 4.0
            if dd > reach:
                dd = np.inf
        else:
            dd = np.inf
        while ci < nc and rel[ci] <= dd:
            c = seq[ci]
            for i in range(3):
                R[n, i] = Rc[c, i]
            E[n] = Ec[c]
            dlt[n] = dc[c]
            kind[n] = 0
            ref[n] = -1
            cand[n] = True
            n += 1
            ci += 1
        if dd == np.inf:
            break
        code = refs[da, p_]
        b = code >> 3
        k = kmap[b]
        if k < 0:
            continue
        kd = code & 3
        vert = cu[k] > 0.0
        if kd == 0 and not vert:
            continue
        kind[n] = kd
        ref[n] = k
        cand[n] = vert
        if vert:
            e, d, _ = _crossing(na, Xu[k], ii, jj, r)
            sg = -1.0 if code & 4 else 1.0
            for i in range(3):
                R[n, i] = sg * r[i]
            E[n] = e
            dlt[n] = d
        n += 1
    if n == 0:
        return True, best
    for t_ in range(n):
        seq[t_] = t_
    return True, _sweep(best, seq, n, S, active, R, E, dlt, kind, ref, cand, False, Xu, cu,
                        w, A, errG, cuts, ncut, rigorous, dmax[da], gsum, charge, vout)


@njit(nogil=True)
def unit_min_loops(Xt, coef, alpha, Lj, Uj, cuts, ncut, rigorous, keys, refs, cnt, kmid,
                   dmax, xoff, xb, xm, xrn):  # type: ignore[no-untyped-def]
    """:func:`hull.unit_min` (``rigorous``: a proven lower bound) or the exact minimum of
    :func:`hull.unit_min_local` with ``sweeps = -1`` (not rigorous) for q = 3, every data
    loop swept from the table of :func:`build_loops` (the same candidates; see the module
    docstring). Returns ``(value, v)``."""
    D, q = Xt.shape
    w, Xu, cu, A = _split(Xt, coef, alpha, Lj, Uj)
    nU = Xu.shape[0]
    errG = _err_G(D, q, A) if rigorous > 0.0 else 0.0
    kmap = np.full(D, -1, dtype=np.int64)
    kidx = np.empty(nU, dtype=np.int64)
    k = 0
    for d in range(D):  # the unstable points, in _split's order
        if coef[d] != 0.0 and Lj[d] < 0.0 and Uj[d] > 0.0:
            kmap[d] = k
            kidx[k] = d
            k += 1
    vbest = np.zeros(q)
    v = np.empty(q)
    best = _corners_min(w, Xu, cu, errG, cuts, ncut, vbest)
    P = _planes(Xu, cu, cuts, ncut)
    nP = P.shape[0]
    npos = nP - ncut
    posidx = np.empty(npos, dtype=np.int64)
    a = 0
    for k in range(nU):
        if cu[k] > 0.0:
            posidx[a] = kidx[k]
            a += 1
    stamp = np.full(D, -1, dtype=np.int64)
    nmax = 2 * D + 2 * ncut + 2
    R = np.empty((nmax, 3))
    E = np.empty(nmax)
    dlt = np.empty(nmax)
    kind = np.empty(nmax, dtype=np.int64)
    ref = np.empty(nmax, dtype=np.int64)
    cand = np.zeros(nmax, dtype=np.bool_)
    seq = np.empty(nmax, dtype=np.int64)
    nc2 = 2 * ncut + 2
    Rc = np.empty((nc2, 3))
    Ec = np.empty(nc2)
    dc = np.empty(nc2)
    kc = np.empty(nc2)
    kindc = np.empty(nc2, dtype=np.int64)
    refc = np.empty(nc2, dtype=np.int64)
    candc = np.zeros(nc2, dtype=np.bool_)
    rel = np.empty(nc2)
    r = np.empty(3)
    for a in range(nP):
        done = False
        if a < npos:
            done, g = _cached_loop(a, posidx[a], P, npos, Xu, cu, kmap, kidx, stamp, w, A,
                                   errG, cuts, ncut, rigorous, r, keys, refs, cnt, kmid,
                                   dmax, xoff, xb, xm, xrn, R, E, dlt, kind, ref, cand, seq,
                                   Rc, Ec, dc, kc, kindc, refc, candc, rel)
        if not done:
            g = _loop_sweep(a, P, Xu, cu, w, A, errG, cuts, ncut, rigorous, r)
        if g < best:
            best = g
            vbest[:] = r
    g = _edges_min(P, w, Xu, cu, A, errG, cuts, ncut, rigorous, v)
    if g < best:
        best = g
        vbest[:] = v
    return best, vbest
