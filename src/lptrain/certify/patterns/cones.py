"""The parameter region of one hidden unit in a node of the pattern search, and certified
linear bounds over it.

In the sign form (:mod:`lptrain.certify.patterns.signform`) hidden unit j has parameters
``v ∈ R^q`` (its incoming weights and bias, scaled by its outgoing weight), and its
pre-activation on data point d is ``t_d = x̃_d · v``. A node of the search fixes the sign of
some of these pre-activations, so the unit's region is

    ``P = {v : lo <= v <= hi,  n_r · v >= 0  (r = 1..R)}``,

a box cut by half-spaces through the origin (each ``n_r = ±x̃_d``, or another direction).

Two things are computed here, both in small dimension ``q = n + 1 <= 4``:

* the vertices of P, by clipping the box one half-space at a time (each vertex keeps the
  set of constraints active at it; an edge joins two vertices sharing ``q - 1`` of them);
* **certified lower bounds** of ``min_{v ∈ P} x · v``. The vertices are only a heuristic
  for choosing multipliers: for any ``π >= 0``,

      ``x · v = w · v + Σ_r π_r n_r · v >= w · v >= Σ_i min(w_i lo_i, w_i hi_i)``
      for every v in P, with ``w = x - Σ_r π_r n_r``,

  so the bound holds whatever the floating-point vertices are (weak duality). π comes from
  the basis of the minimizing vertex (``Bᵀ y = x``, cone multipliers clipped at 0), or, when
  the minimum is near 0 (attained at the origin, which lies in every P), from non-negative
  least squares on the cone normals. The rounding of ``w`` and of the final sum is bounded
  with ``γ_k = k u / (1 - k u)`` and subtracted, so the result is a lower bound in exact
  arithmetic.

The kernels need numba (``lptrain.certify.patterns._jit``).
"""

from __future__ import annotations

import numpy as np

from lptrain.certify.patterns._jit import njit

__all__ = ["QMAX", "RMAX", "VMAX", "unit_vertices", "vertex_bases", "certified_min",
           "certified_ranges", "facets_and_origin_bases", "nnls", "solve_small",
           "inverse_small"]

#: Largest unit dimension q = n + 1 (inputs plus bias).
QMAX = 4
#: Most cone constraints kept per unit.
RMAX = 48
#: Most vertices of one unit region.
VMAX = 128
_U = 2.0**-53


@njit
def solve_small(Msys: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, bool]:
    """Solve a small square system by Gaussian elimination with partial pivoting
    (``ok = False`` when a pivot is below 1e-12 of the largest entry: singular)."""
    n = rhs.shape[0]
    Aa = Msys.copy()
    x = rhs.copy()
    scale = 0.0
    for i in range(n):
        for j in range(n):
            scale = max(scale, abs(Aa[i, j]))
    if scale == 0.0:
        return x, False
    for c in range(n):
        piv = c
        for r in range(c + 1, n):
            if abs(Aa[r, c]) > abs(Aa[piv, c]):
                piv = r
        if abs(Aa[piv, c]) <= 1e-12 * scale:
            return x, False
        if piv != c:
            for j in range(n):
                t = Aa[c, j]
                Aa[c, j] = Aa[piv, j]
                Aa[piv, j] = t
            t = x[c]
            x[c] = x[piv]
            x[piv] = t
        for r in range(c + 1, n):
            f = Aa[r, c] / Aa[c, c]
            if f != 0.0:
                for j in range(c, n):
                    Aa[r, j] -= f * Aa[c, j]
                x[r] -= f * x[c]
    for c in range(n - 1, -1, -1):
        acc = x[c]
        for j in range(c + 1, n):
            acc -= Aa[c, j] * x[j]
        x[c] = acc / Aa[c, c]
    return x, True


@njit
def inverse_small(Msys: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of a small square matrix (column by column with :func:`solve_small`)."""
    n = Msys.shape[0]
    inv = np.zeros((n, n))
    e = np.zeros(n)
    for c in range(n):
        e[:] = 0.0
        e[c] = 1.0
        col, ok = solve_small(Msys, e)
        if not ok:
            return inv, False
        for r in range(n):
            inv[r, c] = col[r]
    return inv, True


@njit
def _popcount(x: np.uint64) -> int:
    c = 0
    while x:
        x &= x - np.uint64(1)
        c += 1
    return c


@njit
def unit_vertices(normals: np.ndarray, nr: int, lo: np.ndarray, hi: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Vertices of ``{lo <= v <= hi, normals[r] · v >= 0, r < nr}``.

    Returns ``(V (VMAX, q), masks (VMAX,) uint64, nv, complete)``. Bit ``i < q`` of a mask
    marks the face ``v_i = lo_i``, bit ``q + i`` the face ``v_i = hi_i``, bit ``2q + r``
    constraint r. ``complete`` is False when the vertex store overflowed (the vertices
    then describe a superset of the region; bounds stay sound because they are certified
    from the constraints, not from the vertices). An empty region gives ``nv = 0``.
    """
    q = lo.shape[0]
    V = np.empty((VMAX, q))
    M = np.zeros(VMAX, dtype=np.uint64)
    nv = 1 << q
    for k in range(nv):
        m = np.uint64(0)
        for i in range(q):
            if (k >> i) & 1:
                V[k, i] = hi[i]
                m |= np.uint64(1) << np.uint64(q + i)
            else:
                V[k, i] = lo[i]
                m |= np.uint64(1) << np.uint64(i)
        M[k] = m
    W = np.empty((VMAX, q))
    MW = np.zeros(VMAX, dtype=np.uint64)
    s = np.empty(VMAX)
    complete = True
    for r in range(nr):
        bit = np.uint64(1) << np.uint64(2 * q + r)
        scale = 0.0
        for i in range(q):
            scale += abs(normals[r, i]) * max(abs(lo[i]), abs(hi[i]))
        tol = 1e-12 * max(scale, 1e-300)
        for k in range(nv):
            acc = 0.0
            for i in range(q):
                acc += normals[r, i] * V[k, i]
            s[k] = acc
        nw = 0
        for k in range(nv):
            if s[k] >= -tol:
                for i in range(q):
                    W[nw, i] = V[k, i]
                MW[nw] = M[k] | bit if s[k] <= tol else M[k]
                nw += 1
        overflow = False
        for a in range(nv):
            if s[a] <= tol:
                continue
            for b in range(nv):
                if s[b] >= -tol:
                    continue
                common = M[a] & M[b]
                if _popcount(common) < q - 1:
                    continue
                t = s[a] / (s[a] - s[b])
                # Merge with an equal point already produced (degenerate vertices).
                found = -1
                for k in range(nw):
                    same = True
                    for i in range(q):
                        if abs(W[k, i] - (V[a, i] + t * (V[b, i] - V[a, i]))) > 1e-12:
                            same = False
                            break
                    if same:
                        found = k
                        break
                if found >= 0:
                    MW[found] |= common | bit
                    continue
                if nw >= VMAX:
                    overflow = True
                    continue
                for i in range(q):
                    W[nw, i] = V[a, i] + t * (V[b, i] - V[a, i])
                MW[nw] = common | bit
                nw += 1
        if overflow:
            complete = False  # keep the region before this cut (a superset)
            continue
        for k in range(nw):
            for i in range(q):
                V[k, i] = W[k, i]
            M[k] = MW[k]
        nv = nw
        if nv == 0:
            break
    return V, M, nv, complete


@njit
def _normal(cid: int, q: int, normals: np.ndarray, out: np.ndarray) -> None:
    """Inward normal of constraint ``cid`` (``normal · v >= const``)."""
    for i in range(q):
        out[i] = 0.0
    if cid < q:
        out[cid] = 1.0
    elif cid < 2 * q:
        out[cid - q] = -1.0
    else:
        for i in range(q):
            out[i] = normals[cid - 2 * q, i]


@njit
def vertex_bases(V: np.ndarray, M: np.ndarray, nv: int, normals: np.ndarray, q: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each vertex, q linearly independent active constraints (box faces first) and
    ``B^{-T}`` of their normals: ``(binvT (nv, q, q), ids (nv, q), ok (nv,))``. A vertex
    without q independent active constraints (a degenerate or spurious point) has
    ``ok = False`` and is bounded with zero cone multipliers."""
    binv = np.zeros((nv, q, q))
    ids = np.full((nv, q), -1, dtype=np.int64)
    ok = np.zeros(nv, dtype=np.bool_)
    basis = np.empty((q, q))
    ortho = np.empty((q, q))
    a = np.empty(q)
    for k in range(nv):
        cnt = 0
        m = M[k]
        for cid in range(64):
            if cnt == q:
                break
            if not (m >> np.uint64(cid)) & np.uint64(1):
                continue
            _normal(cid, q, normals, a)
            res = a.copy()
            for p in range(cnt):
                dot = 0.0
                for i in range(q):
                    dot += res[i] * ortho[p, i]
                for i in range(q):
                    res[i] -= dot * ortho[p, i]
            nrm = 0.0
            na = 0.0
            for i in range(q):
                nrm += res[i] * res[i]
                na += a[i] * a[i]
            if nrm <= 1e-18 * max(na, 1e-300):
                continue
            nrm = np.sqrt(nrm)
            for i in range(q):
                ortho[cnt, i] = res[i] / nrm
                basis[cnt, i] = a[i]
            ids[k, cnt] = cid
            cnt += 1
        if cnt == q:
            # B rows = normals; we need y with B^T y = x: y = inv(B^T) x.
            inv, good = inverse_small(basis.T.copy())
            if good:
                binv[k] = inv
                ok[k] = True
    return binv, ids, ok


@njit
def nnls(A: np.ndarray, x: np.ndarray, iters: int = 60) -> np.ndarray:
    """Non-negative least squares ``min ||A π - x||_2, π >= 0`` (Lawson–Hanson) for a
    small A (q × R). Any π >= 0 it returns gives a valid certificate; it only needs to be
    good."""
    q, R = A.shape
    pi = np.zeros(R)
    passive = np.zeros(R, dtype=np.bool_)
    idx = np.empty(R, dtype=np.int64)
    for _ in range(iters):
        resid = x - A @ pi
        grad = A.T @ resid
        best, j = 1e-14, -1
        for r in range(R):
            if not passive[r] and grad[r] > best:
                best, j = grad[r], r
        if j < 0:
            break
        passive[j] = True
        for _inner in range(R + 1):
            n = 0
            for r in range(R):
                if passive[r]:
                    idx[n] = r
                    n += 1
            # least squares on the passive set through its (regularized) normal equations
            Msys = np.empty((n, n))
            rhs = np.empty(n)
            for a in range(n):
                acc = 0.0
                for i in range(q):
                    acc += A[i, idx[a]] * x[i]
                rhs[a] = acc
                for c in range(n):
                    acc = 0.0
                    for i in range(q):
                        acc += A[i, idx[a]] * A[i, idx[c]]
                    Msys[a, c] = acc + (1e-14 if a == c else 0.0)
            zz, good = solve_small(Msys, rhs)
            if not good:
                passive[j] = False
                return pi
            allpos = True
            for t in range(n):
                if zz[t] <= 0.0:
                    allpos = False
            if allpos:
                pi[:] = 0.0
                for t in range(n):
                    pi[idx[t]] = zz[t]
                break
            alpha = 1.0
            for t in range(n):
                if zz[t] <= 0.0:
                    pv = pi[idx[t]]
                    alpha = min(alpha, pv / (pv - zz[t]) if pv - zz[t] != 0.0 else 0.0)
            for t in range(n):
                pi[idx[t]] += alpha * (zz[t] - pi[idx[t]])
            for t in range(n):
                if pi[idx[t]] <= 1e-15:
                    pi[idx[t]] = 0.0
                    passive[idx[t]] = False
    return pi


@njit
def _bound_with(x: np.ndarray, pi: np.ndarray, normals: np.ndarray, nr: int,
                lo: np.ndarray, hi: np.ndarray) -> float:
    """``Σ_i min(w_i lo_i, w_i hi_i)`` for ``w = x - Σ π_r n_r``, minus its rounding: a lower
    bound of ``x · v`` over the region in exact arithmetic, for any ``π >= 0``."""
    q = x.shape[0]
    gam = (nr + 3) * _U / (1.0 - (nr + 3) * _U)
    total = 0.0
    mag = 0.0
    for i in range(q):
        w = x[i]
        e = abs(x[i])
        for r in range(nr):
            if pi[r] > 0.0:
                w -= pi[r] * normals[r, i]
                e += abs(pi[r] * normals[r, i])
        box = max(abs(lo[i]), abs(hi[i]))
        term = min(w * lo[i], w * hi[i])
        total += term - gam * e * box
        mag += abs(term) + gam * e * box
    return total - (2 * q + 2) * _U * mag


@njit
def facets_and_origin_bases(V: np.ndarray, M: np.ndarray, nv: int, normals: np.ndarray,
                            nr: int, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cone constraints that are facets (active at ``q - 1`` or more vertices other
    than the origin) and, for certifying minima attained at the origin, ``B^{-T}`` of
    every q-subset of facets with independent normals: ``(keep (nr,), obinv (nb, q, q),
    oids (nb, q))`` (oids are constraint indices r)."""
    keep = np.zeros(max(nr, 1), dtype=np.bool_)
    cnt = np.zeros(max(nr, 1), dtype=np.int64)
    for k in range(nv):
        origin = True
        for i in range(q):
            if abs(V[k, i]) > 1e-12:
                origin = False
                break
        if origin:
            continue
        for r in range(nr):
            if (M[k] >> np.uint64(2 * q + r)) & np.uint64(1):
                cnt[r] += 1
    fac = np.empty(max(nr, 1), dtype=np.int64)
    nf = 0
    for r in range(nr):
        if cnt[r] >= q - 1:
            keep[r] = True
            fac[nf] = r
            nf += 1
    if nf < q or nf > 10:
        return keep, np.zeros((0, q, q)), np.zeros((0, q), dtype=np.int64)
    # all q-subsets of the facets (nf <= 10, q <= 4: at most 210)
    total = 1
    for t in range(q):
        total = total * (nf - t) // (t + 1)
    obinv = np.zeros((total, q, q))
    oids = np.zeros((total, q), dtype=np.int64)
    nb = 0
    comb = np.arange(q)
    B = np.empty((q, q))
    while True:
        for t in range(q):
            for i in range(q):
                B[t, i] = normals[fac[comb[t]], i]
        inv, good = inverse_small(B.T.copy())
        if good:
            obinv[nb] = inv
            for t in range(q):
                oids[nb, t] = fac[comb[t]]
            nb += 1
        # next combination
        t = q - 1
        while t >= 0 and comb[t] == nf - q + t:
            t -= 1
        if t < 0:
            break
        comb[t] += 1
        for k in range(t + 1, q):
            comb[k] = comb[k - 1] + 1
    return keep, obinv[:nb], oids[:nb]


@njit
def certified_min(x: np.ndarray, V: np.ndarray, nv: int, binv: np.ndarray, ids: np.ndarray,
                  ok: np.ndarray, obinv: np.ndarray, oids: np.ndarray, nob: int,
                  normals: np.ndarray, nr: int, lo: np.ndarray, hi: np.ndarray) -> float:
    """A lower bound, valid in exact arithmetic, of ``min x · v`` over the unit region.

    The multipliers come from the basis of the minimizing vertex; when the minimum is near
    0 (the origin lies in every region), from a simplicial sub-cone of the facets that
    contains x (``obinv``), or else from non-negative least squares."""
    q = x.shape[0]
    pi = np.zeros(max(nr, 1))
    if nv == 0:
        return _bound_with(x, pi, normals, nr, lo, hi)
    best = np.inf
    kmin = 0
    for k in range(nv):
        val = 0.0
        for i in range(q):
            val += x[i] * V[k, i]
        if val < best:
            best, kmin = val, k
    if ok[kmin]:
        y = binv[kmin] @ x
        for p in range(q):
            cid = ids[kmin, p]
            if cid >= 2 * q and y[p] > 0.0:
                pi[cid - 2 * q] = y[p]
    bound = _bound_with(x, pi, normals, nr, lo, hi)
    scale = 0.0
    for i in range(q):
        scale += abs(x[i]) * max(abs(lo[i]), abs(hi[i]))
    if nr == 0 or best < -1e-9 * max(scale, 1e-300) or bound >= -1e-12 * scale:
        return bound
    # The minimum is (near) 0, at the origin: x should lie in the cone of the normals.
    for b in range(nob):
        y = obinv[b] @ x
        good = True
        for t in range(q):
            if y[t] < -1e-12 * max(scale, 1e-300):
                good = False
                break
        if good:
            pi[:] = 0.0
            for t in range(q):
                if y[t] > 0.0:
                    pi[oids[b, t]] = y[t]
            return max(bound, _bound_with(x, pi, normals, nr, lo, hi))
    A = normals[:nr].T.copy()
    pi2 = nnls(A, x.copy())
    return max(bound, _bound_with(x, pi2, normals, nr, lo, hi))


@njit
def certified_ranges(Xt: np.ndarray, normals: np.ndarray, nr: int, lo: np.ndarray,
                     hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Certified ``L_d <= min_P x̃_d · v`` and ``U_d >= max_P x̃_d · v`` for every row of
    ``Xt`` (D, q), and the number of vertices (0: the vertex set is empty, and the region
    is certified empty only by the caller)."""
    V, M, nv, _ = unit_vertices(normals, nr, lo, hi)
    q = lo.shape[0]
    binv, ids, ok = vertex_bases(V, M, nv, normals, q)
    _, obinv, oids = facets_and_origin_bases(V, M, nv, normals, nr, q)
    D = Xt.shape[0]
    L = np.empty(D)
    U = np.empty(D)
    neg = np.empty(q)
    for d in range(D):
        x = Xt[d]
        L[d] = certified_min(x, V, nv, binv, ids, ok, obinv, oids, obinv.shape[0], normals, nr,
                             lo, hi)
        for i in range(q):
            neg[i] = -x[i]
        U[d] = -certified_min(neg, V, nv, binv, ids, ok, obinv, oids, obinv.shape[0], normals,
                              nr, lo, hi)
    return L, U, nv
