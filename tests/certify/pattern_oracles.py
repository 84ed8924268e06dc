"""Independent oracles for the pattern search (none of them calls lptrain's bounding code):
exact LP ranges, the triangle-relaxation LP of a node, the sign-form risk in plain numpy,
sampling inside a node, brute force over every activation pattern of 1-D data, and the
exact convex reformulation of two-layer ReLU networks with weight decay (Pilanci & Ergen
2020) with every pattern enumerated."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
from scipy.optimize import linprog

__all__ = ["lp_range", "sign_risk", "sample_node", "relaxation_lp", "patterns_1d",
           "patterns_2d", "brute_force_1d", "convex_reformulation", "region_vertices",
           "envelope_value", "envelope_lp"]


def lp_range(x: np.ndarray, cuts: np.ndarray) -> tuple[float, float]:
    """Exact ``min``/``max`` of ``x · v`` over ``{v ∈ [-1,1]^q : cuts @ v >= 0}``."""
    q = x.size
    kw = {"A_ub": -cuts, "b_ub": np.zeros(len(cuts))} if len(cuts) else {}
    lo = linprog(x, bounds=[(-1, 1)] * q, method="highs", **kw)
    hi = linprog(-x, bounds=[(-1, 1)] * q, method="highs", **kw)
    return float(lo.fun), float(-hi.fun)


def sign_risk(Xt, y, loss, signs, c, V, alpha=0.0, lam=0.0, c_free=True):
    """``(1/D) Σ ℓ(c + Σ_j s_j σ(x̃·v_j), y) + λ c² + Σ_j R(v_j)`` for many points:
    c (P,), V (P, h, q) → (P,); a fixed output bias (``c_free=False``) is a constant, not
    a regularized parameter."""
    T = np.einsum("dq,phq->phd", Xt, V)
    act = np.where(T > 0, T, alpha * T)
    f = c[:, None] + np.einsum("h,phd->pd", signs, act)
    if loss == "abs":
        ell = np.abs(f - y)
    elif loss == "quadratic":
        ell = (f - y) ** 2
    else:
        ell = np.maximum(0.0, 1.0 - y * f)
    out = ell.mean(axis=1)
    if lam:
        nrm = np.linalg.norm(V, axis=2)
        out = out + lam * c**2 * c_free + lam * np.where(nrm <= 1, 2 * nrm, 1 + nrm**2).sum(axis=1)
    return out


def sample_node(rng, cuts, h, q, n, pairs=(), k_ord=-1, c_range=(-1.0, 1.0), seeds=None):
    """Points (c (P,), V (P, h, q)) of the node ``{cuts[j] @ v_j >= 0, v_j in the box,
    v_{j2,k} >= v_{j1,k} for (j1, j2) in pairs}`` by rejection around seed points, the
    box, rays to the origin and the origin itself."""
    cs, Vs = [], []
    base = [np.zeros((0, q))] if seeds is None else [seeds]
    tries = 0
    while sum(len(v) for v in Vs) < n and tries < 200:
        tries += 1
        m = 4 * n
        V = rng.uniform(-1, 1, (m, h, q)) * rng.choice([1.0, 0.3, 0.05], (m, 1, 1))
        if seeds is not None:
            V = np.clip(seeds[rng.integers(len(seeds), size=m)]
                        + V * rng.choice([0.0, 0.01, 0.1, 1.0], (m, 1, 1)), -1, 1)
        V *= rng.choice([1.0, 1.0, 0.5, 0.0], (m, 1, 1))
        ok = np.ones(m, dtype=bool)
        for j in range(h):
            if len(cuts[j]):
                ok &= (V[:, j] @ cuts[j].T >= 0).all(axis=1)
        for j1, j2 in pairs:
            ok &= V[:, j2, k_ord] >= V[:, j1, k_ord]
        c = rng.uniform(*c_range, m)
        c[::7] = c_range[0]
        c[1::7] = c_range[1]
        cs.append(c[ok])
        Vs.append(V[ok])
    del base
    return np.concatenate(cs)[:n], np.concatenate(Vs)[:n]


def relaxation_lp(Xt, y, signs, cuts, alpha=0.0, pairs=(), k_ord=-1, c_free=True,
                  c_fixed=0.0):
    """The triangle relaxation of a node (absolute loss) as an explicit LP with one
    variable per unstable (unit, point) pair and exact LP ranges: its optimum."""
    D, q = Xt.shape
    h = len(signs)
    off = 1 if c_free else 0
    p = off + h * q
    L = np.zeros((h, D))
    U = np.zeros((h, D))
    for j in range(h):
        for d in range(D):
            L[j, d], U[j, d] = lp_range(Xt[d], cuts[j])
    uns = [(j, d) for j in range(h) for d in range(D) if L[j, d] < -1e-9 and U[j, d] > 1e-9]
    nu = len(uns)
    # variables: theta (p), r (nu), e (D)
    nvar = p + nu + D
    cost = np.zeros(nvar)
    cost[p + nu:] = 1.0 / D
    rows, rhs = [], []
    idx = {pair: p + k for k, pair in enumerate(uns)}
    for d in range(D):
        f = np.zeros(nvar)
        const = 0.0
        if c_free:
            f[0] = 1.0
        else:
            const = c_fixed
        for j in range(h):
            o = off + j * q
            if (j, d) in idx:
                f[o:o + q] += signs[j] * alpha * Xt[d]
                f[idx[(j, d)]] += signs[j] * (1 - alpha)
            elif L[j, d] >= -1e-9:
                f[o:o + q] += signs[j] * Xt[d]
            else:
                f[o:o + q] += signs[j] * alpha * Xt[d]
        for sgn in (1.0, -1.0):  # sgn (f - y) <= e
            row = sgn * f
            row[p + nu + d] -= 1.0
            rows.append(row)
            rhs.append(sgn * (y[d] - const))
    for (j, d), k in idx.items():
        o = off + j * q
        lam = U[j, d] / (U[j, d] - L[j, d])
        row = np.zeros(nvar)  # t - r <= 0
        row[o:o + q] = Xt[d]
        row[k] = -1.0
        rows.append(row)
        rhs.append(0.0)
        row = np.zeros(nvar)  # r - lam t <= -lam L
        row[k] = 1.0
        row[o:o + q] = -lam * Xt[d]
        rows.append(row)
        rhs.append(-lam * L[j, d])
    for j in range(h):
        for cut in cuts[j]:
            row = np.zeros(nvar)
            row[off + j * q: off + (j + 1) * q] = -cut
            rows.append(row)
            rhs.append(0.0)
    for j1, j2 in pairs:
        row = np.zeros(nvar)
        row[off + j1 * q + k_ord] = 1.0
        row[off + j2 * q + k_ord] = -1.0
        rows.append(row)
        rhs.append(0.0)
    bounds = [(-1, 1)] * p + [(0, None)] * (nu + D)
    res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds,
                  method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


def region_vertices(cuts: np.ndarray, q: int) -> np.ndarray:
    """Vertices of ``{v ∈ [-1,1]^q : cuts @ v >= 0}`` by brute force: every q of the
    constraint planes (box faces and cuts) intersected, feasible points kept."""
    planes = [(np.eye(q)[i], s) for i in range(q) for s in (-1.0, 1.0)]
    planes += [(np.asarray(c, dtype=float), 0.0) for c in cuts]
    pts = []
    for combo in itertools.combinations(range(len(planes)), q):
        A = np.array([planes[i][0] for i in combo])
        b = np.array([planes[i][1] for i in combo])
        if abs(np.linalg.det(A)) < 1e-12:
            continue
        v = np.linalg.solve(A, b)
        if np.all(np.abs(v) <= 1 + 1e-9) and (len(cuts) == 0
                                               or np.all(np.asarray(cuts) @ v >= -1e-9)):
            if not any(np.allclose(v, w, atol=1e-9) for w in pts):
                pts.append(v)
    return np.array(pts).reshape(-1, q)


def envelope_value(V: np.ndarray, x: np.ndarray, vstar: np.ndarray) -> float:
    """The concave envelope of ``max(0, x · v)`` over ``conv(V)`` at vstar:
    ``max Σ μ_i g(V_i)`` over ``Σ μ_i V_i = vstar, Σ μ = 1, μ >= 0`` (an LP)."""
    g = np.maximum(V @ x, 0.0)
    A_eq = np.vstack([V.T, np.ones(len(V))])
    res = linprog(-g, A_eq=A_eq, b_eq=np.concatenate([vstar, [1.0]]),
                  bounds=[(0, None)] * len(V), method="highs")
    assert res.status == 0, res.message
    return float(-res.fun)


def envelope_lp(Xt, y, signs, cuts, alpha=0.0, pairs=(), k_ord=-1):
    """The node's relaxation (absolute loss) with the **concave envelope** of every
    ``relu(x̃_d · v_j)`` over the unit's region in place of the chord, as an explicit LP:
    ``r_jd <= Σ_i μ_jdi g_jd(V_i)``, ``v_j = Σ_i μ_jdi V_i``, ``Σ_i μ_jdi = 1``, μ >= 0
    (the hypograph of the envelope), ``r_jd >= max(0, t_jd)``. Its optimum."""
    D, q = Xt.shape
    h = len(signs)
    p = 1 + h * q
    Vs = [region_vertices(cuts[j], q) for j in range(h)]
    nvs = [len(V) for V in Vs]
    # variables: theta (p), r (h D), e (D), mu (Σ_j D nv_j)
    mu0 = p + h * D + D
    mu_off = [mu0 + D * sum(nvs[:j]) for j in range(h)]
    nvar = mu0 + D * sum(nvs)
    cost = np.zeros(nvar)
    cost[p + h * D: mu0] = 1.0 / D
    A_ub, b_ub, A_eq, b_eq = [], [], [], []
    ridx = lambda j, d: p + j * D + d  # noqa: E731
    for d in range(D):
        f = np.zeros(nvar)
        f[0] = 1.0
        for j in range(h):
            o = 1 + j * q
            f[o:o + q] += signs[j] * alpha * Xt[d]
            f[ridx(j, d)] += signs[j] * (1 - alpha)
        for sgn in (1.0, -1.0):
            row = sgn * f
            row[p + h * D + d] -= 1.0
            A_ub.append(row)
            b_ub.append(sgn * y[d])
    for j in range(h):
        o = 1 + j * q
        g = np.maximum(Vs[j] @ Xt.T, 0.0)  # (nv, D)
        for d in range(D):
            m = mu_off[j] + d * nvs[j]
            row = np.zeros(nvar)  # t - r <= 0
            row[o:o + q] = Xt[d]
            row[ridx(j, d)] = -1.0
            A_ub.append(row)
            b_ub.append(0.0)
            row = np.zeros(nvar)  # r - Σ μ g <= 0
            row[ridx(j, d)] = 1.0
            row[m:m + nvs[j]] = -g[:, d]
            A_ub.append(row)
            b_ub.append(0.0)
            for i in range(q):  # v_j - Σ μ V = 0
                row = np.zeros(nvar)
                row[o + i] = 1.0
                row[m:m + nvs[j]] = -Vs[j][:, i]
                A_eq.append(row)
                b_eq.append(0.0)
            row = np.zeros(nvar)
            row[m:m + nvs[j]] = 1.0
            A_eq.append(row)
            b_eq.append(1.0)
    for j1, j2 in pairs:
        row = np.zeros(nvar)
        row[1 + j1 * q + k_ord] = 1.0
        row[1 + j2 * q + k_ord] = -1.0
        A_ub.append(row)
        b_ub.append(0.0)
    bounds = [(-1, 1)] * p + [(0, None)] * (nvar - p)
    res = linprog(cost, A_ub=np.array(A_ub), b_ub=np.array(b_ub), A_eq=np.array(A_eq),
                  b_eq=np.array(b_eq), bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


def patterns_1d(x: np.ndarray) -> list[np.ndarray]:
    """Every activation pattern ``[w x_d + b >= 0]`` of one unit on 1-D data (closures)."""
    order = np.argsort(x)
    D = x.size
    pats = {tuple([True] * D), tuple([False] * D)}
    for i in range(D + 1):
        suffix = np.zeros(D, dtype=bool)
        suffix[order[i:]] = True
        pats.add(tuple(suffix))
        pats.add(tuple(~suffix))
    return [np.array(p) for p in sorted(pats)]


def patterns_2d(Xt: np.ndarray) -> list[np.ndarray]:
    """Every cell pattern of the central arrangement ``{x̃_d · u = 0}`` in R³ (data in
    general position): each cell has a ray ``x̃_a × x̃_b`` on its boundary, and the four
    cells around that ray are reached by moving off both planes."""
    D = Xt.shape[0]
    pats = set()
    for a, b in itertools.combinations(range(D), 2):
        r = np.cross(Xt[a], Xt[b])
        r /= np.linalg.norm(r)
        # Near the ray every other pre-activation keeps the sign it has on the ray, and
        # the two planes through it can be left to either side independently.
        for s0 in (1.0, -1.0):
            side = np.sign(Xt @ (s0 * r))
            for sa in (1.0, -1.0):
                for sb in (1.0, -1.0):
                    sgn = side.copy()
                    sgn[a], sgn[b] = sa, sb
                    pats.add(tuple(sgn > 0))
    return [np.array(p) for p in sorted(pats)]


def brute_force_1d(X, y, h, alpha=0.0, c_free=True):
    """Global minimum of the absolute-loss ERM of a 1-h-1 (or, with two columns in X,
    2-h-1) network over the box, by an LP for every sign vector and every multiset of
    unit patterns per sign (sign form; units of one sign can be swapped)."""
    D, n = X.shape
    Xt = np.column_stack([X, np.ones(D)])
    pats = patterns_1d(X[:, 0]) if n == 1 else patterns_2d(Xt)
    best = np.inf
    off = 1 if c_free else 0
    q = n + 1
    p = off + q * h
    for k in range(h + 1):
        signs = np.array([1.0] * k + [-1.0] * (h - k))
        # units of one sign are interchangeable (the network is a sum over its units):
        # one pattern multiset per sign, not every ordering
        pos = itertools.combinations_with_replacement(range(len(pats)), k)
        for combo in (a + b for a, b in itertools.product(
                list(pos), list(itertools.combinations_with_replacement(range(len(pats)),
                                                                        h - k)))):
            nvar = p + D
            cost = np.zeros(nvar)
            cost[p:] = 1.0 / D
            rows, rhs = [], []
            for d in range(D):
                f = np.zeros(nvar)
                if c_free:
                    f[0] = 1.0
                for j, pi in enumerate(combo):
                    kk = 1.0 if pats[pi][d] else alpha
                    f[off + q * j: off + q * j + q] += signs[j] * kk * Xt[d]
                for sgn in (1.0, -1.0):
                    row = sgn * f
                    row[p + d] -= 1.0
                    rows.append(row)
                    rhs.append(sgn * y[d])
            for j, pi in enumerate(combo):
                for d in range(D):
                    row = np.zeros(nvar)
                    sg = 1.0 if pats[pi][d] else -1.0
                    row[off + q * j: off + q * j + q] = -sg * Xt[d]
                    rows.append(row)
                    rhs.append(0.0)
            res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(rhs),
                          bounds=[(-1, 1)] * p + [(0, None)] * D, method="highs")
            if res.status == 0:
                best = min(best, float(res.fun))
    return best


def convex_reformulation(Xt: np.ndarray, y: np.ndarray, lam: float,
                         patterns: list[np.ndarray]) -> tuple[float, np.ndarray]:
    """``p* = min (1/D)||Σ_i D_i X̃ (v_i - w_i) - y||² + 2λ Σ_i (||v_i|| + ||w_i||)`` s.t.
    ``(2D_i - I) X̃ v_i >= 0``, ``(2D_i - I) X̃ w_i >= 0`` (SPEC §9) with cvxpy; returns p*
    and the norms of all groups."""
    import cvxpy as cp

    D, q = Xt.shape
    P = len(patterns)
    Vv = cp.Variable((P, q))
    Ww = cp.Variable((P, q))
    pred = 0
    cons = []
    for i, pat in enumerate(patterns):
        Dm = pat.astype(float)
        pred = pred + cp.multiply(Dm, Xt @ (Vv[i] - Ww[i]))
        sgn = 2 * Dm - 1
        cons += [cp.multiply(sgn, Xt @ Vv[i]) >= 0, cp.multiply(sgn, Xt @ Ww[i]) >= 0]
    obj = cp.sum_squares(pred - y) / D + 2 * lam * (cp.sum(cp.norm(Vv, 2, axis=1))
                                                    + cp.sum(cp.norm(Ww, 2, axis=1)))
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    norms = np.concatenate([np.linalg.norm(Vv.value, axis=1),
                            np.linalg.norm(Ww.value, axis=1)])
    return float(prob.value), norms


# ----- the unit-hull bound (hull.py) -------------------------------------------------------

def arrangement_vertices(Xt: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Every vertex of the arrangement of *all* data planes ``x̃_d · v = 0``, the cut planes
    and the box faces that lies in the region ``{|v_i| <= 1, cuts · v >= 0}`` — by solving
    every q-subset of planes (brute force, for a few dozen points)."""
    q = Xt.shape[1]
    rows = [np.eye(q)[i] for i in range(q)] * 2 + list(Xt) + list(cuts)
    rhs = [1.0] * q + [-1.0] * q + [0.0] * (len(Xt) + len(cuts))
    A, b = np.array(rows), np.array(rhs)
    out = [np.zeros(q)]
    for idx in itertools.combinations(range(len(rows)), q):
        M = A[list(idx)]
        if abs(np.linalg.det(M)) < 1e-12:
            continue
        v = np.linalg.solve(M, b[list(idx)])
        if np.all(np.abs(v) <= 1 + 1e-9) and (len(cuts) == 0 or np.all(cuts @ v >= -1e-9)):
            out.append(v)
    return np.array(out)


def unit_min_oracle(Xt, coef, alpha, cuts) -> float:
    """``min over the region of Σ_d coef_d relu_α(x̃_d · v)`` at the arrangement vertices."""
    V = arrangement_vertices(Xt, cuts)
    T = V @ Xt.T
    return float((np.where(T > 0, T, alpha * T) @ coef).min())


def hull_lp(Xt, y, signs, cuts, alpha=0.0, c_range=(-1.0, 1.0)) -> float:
    """The optimum of the absolute loss when each unit's output vector ranges over the
    convex hull of ``{relu_α(X̃ v) : v in P_j}`` — the hull of its values at the
    arrangement vertices — as one LP in scipy's HiGHS (the ordering of units dropped)."""
    D = Xt.shape[0]
    cols = []
    for j, c in enumerate(cuts):
        V = arrangement_vertices(Xt, c)
        T = V @ Xt.T
        cols.append(signs[j] * np.where(T > 0, T, alpha * T).T)  # (D, K_j)
    K = [c.shape[1] for c in cols]
    nl = sum(K)
    # variables: c, λ (nl), e (D)
    F = np.hstack([np.ones((D, 1))] + cols)
    A_ub = np.block([[F, -np.eye(D)], [-F, -np.eye(D)]])
    b_ub = np.concatenate([y, -y])
    A_eq = np.zeros((len(cuts), 1 + nl + D))
    off = 1
    for j, k in enumerate(K):
        A_eq[j, off:off + k] = 1.0
        off += k
    cost = np.concatenate([np.zeros(1 + nl), np.full(D, 1.0 / D)])
    bounds = [c_range] + [(0, None)] * (nl + D)
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=np.ones(len(cuts)),
                  bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


def exact_unit_min(Xt, coef, alpha, cuts) -> Fraction:
    """``unit_min_oracle`` in exact rational arithmetic (vertices by Cramer's rule in
    fractions, membership and values exact): the reference below the rounding level."""
    q = Xt.shape[1]
    F = Fraction
    rows = [[F(int(i == k)) for k in range(q)] for i in range(q)] * 2
    rows += [[F(float(x)) for x in r] for r in Xt] + [[F(float(x)) for x in r] for r in cuts]
    rhs = [F(1)] * q + [F(-1)] * q + [F(0)] * (len(Xt) + len(cuts))
    c = [F(float(x)) for x in coef]
    a = F(float(alpha))
    X = [[F(float(x)) for x in r] for r in Xt]
    C = [[F(float(x)) for x in r] for r in cuts]

    def det(M):
        if len(M) == 2:
            return M[0][0] * M[1][1] - M[0][1] * M[1][0]
        return sum((-1) ** k * M[0][k] * det([r[:k] + r[k + 1:] for r in M[1:]])
                   for k in range(len(M)))

    best = F(0)
    for idx in itertools.combinations(range(len(rows)), q):
        M = [rows[i] for i in idx]
        dm = det(M)
        if dm == 0:
            continue
        v = []
        for k in range(q):
            Mk = [r[:k] + [rhs[i]] + r[k + 1:] for r, i in zip(M, idx, strict=True)]
            v.append(det(Mk) / dm)
        if any(abs(t) > 1 for t in v) or any(sum(n * t for n, t in zip(cr, v, strict=True)) < 0
                                             for cr in C):
            continue
        g = F(0)
        for cd, xd in zip(c, X, strict=True):
            t = sum(n * u for n, u in zip(xd, v, strict=True))
            g += cd * (t if t > 0 else a * t)
        best = min(best, g)
    return best


def pack_cuts(cuts, q: int, rmax: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """The kernels' node layout: ``normals`` (h, rmax, q) and ``nr`` (h,) from one array of
    cuts per unit (``rmax`` is ``lptrain.certify.patterns.cones.RMAX``)."""
    normals = np.zeros((len(cuts), rmax, q))
    nr = np.zeros(len(cuts), dtype=np.int64)
    for j, c in enumerate(cuts):
        normals[j, : len(c)] = c
        nr[j] = len(c)
    return normals, nr
