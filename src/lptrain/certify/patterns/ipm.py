"""A primal-dual interior-point method for the node relaxation of the pattern search.

The relaxation of a node (:mod:`lptrain.certify.patterns.relaxation`) is

    ``min_{θ, e}  (1/D) Σ_d ψ(e_d) + Ω(θ)``
    ``s.t.  e_d >= a_k · θ + b_k``  for every piece k of data point d,
    ``      G_r · θ >= h_r``       (box, cone and ordering rows),

with ψ(e) = e (absolute, hinge) or e² (quadratic), Ω a smooth convex regularizer and θ of
small dimension p (``1 + h(n+1)``), while there are D data points and K pieces.
Mehrotra's predictor-corrector on this form reduces every Newton system to a p × p one:
the variables ``e_d`` appear in their own pieces only, so they are eliminated point by
point. With weights ``w_k = z_k / s_k`` the Schur complement of point d is
``Σ_k w_k (a_k - ā_d)(a_k - ā_d)ᵀ`` (ā_d the w-weighted mean of its pieces; plus
``W_d ψ''/(ψ'' + W_d D) ā ā ᵀ`` for the quadratic loss), so the whole matrix is ``BᵀB`` for
a K × p matrix B: one BLAS product per iteration, and every other step is a matrix-vector
product.

The solution is only a guide: the certified bound is recomputed from the multipliers by
:func:`lptrain.certify.patterns.relaxation.node_bound`, valid whatever the multipliers
are, so nothing here needs to be exact or even to converge (it runs with fast-math).
"""

from __future__ import annotations

import numpy as np

from lptrain.certify.patterns._jit import njit

__all__ = ["solve_relaxation", "EPS_REG"]

#: Smoothing of the norms of the sign-form weight decay in the solver.
EPS_REG = 1e-7


@njit(fastmath=True)
def _reg_terms(theta: np.ndarray, lam: float, c_free: bool, H: int, q: int, off: int,
               eps: float, grad: np.ndarray, hess: np.ndarray) -> None:
    """Gradient and Hessian of Ω(θ) = λ c² + Σ_j 2λ sqrt(||v_j||² + eps²) (the smoothed
    sign-form weight decay; eps keeps it twice differentiable at 0)."""
    grad[:] = 0.0
    hess[:, :] = 0.0
    if lam <= 0.0:
        return
    if c_free:
        grad[0] = 2.0 * lam * theta[0]
        hess[0, 0] = 2.0 * lam
    for j in range(H):
        base = off + j * q
        s2 = eps * eps
        for i in range(q):
            s2 += theta[base + i] * theta[base + i]
        r = np.sqrt(s2)
        for i in range(q):
            grad[base + i] = 2.0 * lam * theta[base + i] / r
            for k in range(q):
                hess[base + i, base + k] = (2.0 * lam * ((1.0 if i == k else 0.0) / r
                                                        - theta[base + i] * theta[base + k]
                                                        / (r * r * r)))


@njit(fastmath=True)
def _max_step(v: np.ndarray, dv: np.ndarray) -> float:
    a = 1.0
    for i in range(v.shape[0]):
        if dv[i] < 0.0:
            a = min(a, -v[i] / dv[i])
    return a


@njit(fastmath=True)
def _cholesky(M: np.ndarray) -> tuple[np.ndarray, bool]:
    """Lower Cholesky factor of a small matrix; ``ok = False`` when it is not positive
    definite (the caller stops iterating)."""
    p = M.shape[0]
    Lc = np.zeros((p, p))
    for j in range(p):
        acc = M[j, j]
        for k in range(j):
            acc -= Lc[j, k] * Lc[j, k]
        if not acc > 0.0:
            return Lc, False
        Lc[j, j] = np.sqrt(acc)
        for i in range(j + 1, p):
            acc = M[i, j]
            for k in range(j):
                acc -= Lc[i, k] * Lc[j, k]
            Lc[i, j] = acc / Lc[j, j]
    return Lc, True


@njit(fastmath=True)
def _chol_solve(Lc: np.ndarray, r: np.ndarray) -> np.ndarray:
    p = r.shape[0]
    y = np.empty(p)
    for i in range(p):
        acc = r[i]
        for k in range(i):
            acc -= Lc[i, k] * y[k]
        y[i] = acc / Lc[i, i]
    x = np.empty(p)
    for i in range(p - 1, -1, -1):
        acc = y[i]
        for k in range(i + 1, p):
            acc -= Lc[k, i] * x[k]
        x[i] = acc / Lc[i, i]
    return x


@njit(fastmath=True)
def _mv(A: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out = A x (explicit loops: no BLAS specializations to compile)."""
    for k in range(A.shape[0]):
        acc = 0.0
        for i in range(A.shape[1]):
            acc += A[k, i] * x[i]
        out[k] = acc


@njit(fastmath=True)
def _mtv(A: np.ndarray, z: np.ndarray, out: np.ndarray) -> None:
    """out = Aᵀ z."""
    out[:] = 0.0
    for k in range(A.shape[0]):
        zk = z[k]
        if zk != 0.0:
            for i in range(A.shape[1]):
                out[i] += A[k, i] * zk


@njit(fastmath=True)
def _gram(B: np.ndarray, w: np.ndarray, M: np.ndarray) -> None:
    """M += Σ_k w_k B_k B_kᵀ (full symmetric result)."""
    p = B.shape[1]
    for k in range(B.shape[0]):
        wk = w[k]
        if wk == 0.0:
            continue
        for i in range(p):
            bi = wk * B[k, i]
            if bi != 0.0:
                for t in range(i, p):
                    M[i, t] += bi * B[k, t]
    for i in range(p):
        for t in range(i):
            M[i, t] = M[t, i]


@njit(fastmath=True)
def _segsum(x: np.ndarray, start: np.ndarray, out: np.ndarray) -> None:
    for d in range(start.shape[0] - 1):
        acc = 0.0
        for k in range(start[d], start[d + 1]):
            acc += x[k]
        out[d] = acc


@njit(fastmath=True)
def solve_relaxation(A: np.ndarray, b: np.ndarray, start: np.ndarray, G: np.ndarray,
                     hG: np.ndarray, theta0: np.ndarray, quadratic: bool, lam: float,
                     c_free: bool, H: int, q: int, max_iter: int = 60, tol: float = 1e-9
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Solve the node relaxation approximately.

    Parameters
    ----------
    A, b : (K, p), (K,)
        Pieces; the pieces of data point d are rows ``start[d]:start[d+1]``.
    G, hG : (R, p), (R,)
        Rows ``G θ >= hG``.
    theta0 : (p,)
        A starting point inside (or near) the region.

    Returns
    -------
    theta, e, z (multipliers of the pieces), zG (of the rows), iterations.
    """
    K, p = A.shape
    D = start.shape[0] - 1
    R = G.shape[0]
    off = 1 if c_free else 0
    invD = 1.0 / D
    own = np.empty(K, dtype=np.int64)
    cnt = np.empty(D)
    for d in range(D):
        cnt[d] = start[d + 1] - start[d]
        for k in range(start[d], start[d + 1]):
            own[k] = d
    theta = theta0.copy()
    at = np.empty(K)
    _mv(A, theta, at)
    at += b
    e = np.empty(D)
    for d in range(D):
        m = -np.inf
        for k in range(start[d], start[d + 1]):
            m = max(m, at[k])
        e[d] = (max(m, 0.0) if quadratic else m) + 1.0
    s = np.empty(K)
    z = np.empty(K)
    for k in range(K):
        s[k] = max(e[own[k]] - at[k], 1e-2)
        z[k] = invD / cnt[own[k]]
    gth = np.empty(R)
    _mv(G, theta, gth)
    sG = np.maximum(gth - hG, 1e-2)
    zG = np.full(R, 1e-2 * invD)
    grad = np.empty(p)
    hess = np.empty((p, p))
    Bm = np.empty((K, p))
    Ubar = np.empty((D, p))
    m_d = np.empty(D)
    Wd = np.empty(D)
    wq = np.empty(D)
    tmp = np.empty(D)
    sigma = 0.0
    ds_aff = np.zeros(K)
    dz_aff = np.zeros(K)
    dsG_aff = np.zeros(R)
    dzG_aff = np.zeros(R)
    ds = np.zeros(K)
    dz = np.zeros(K)
    dsG = np.zeros(R)
    dzG = np.zeros(R)
    de = np.zeros(D)
    dtheta = np.zeros(p)
    hq = 2.0 * invD if quadratic else 0.0
    vt1 = np.empty(p)
    vt2 = np.empty(p)
    vd1 = np.empty(D)
    vk1 = np.empty(K)
    vr1 = np.empty(R)
    ones_k = np.ones(K)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        _reg_terms(theta, lam, c_free, H, q, off, EPS_REG, grad, hess)
        _mtv(A, z, vt1)
        _mtv(G, zG, vt2)
        rd_t = grad + vt1 - vt2
        _segsum(z, start, tmp)
        rd_e = (2.0 * e * invD if quadratic else np.full(D, invD)) - tmp
        _mv(A, theta, at)
        rp = e[own] - at - b - s
        _mv(G, theta, gth)
        rpG = gth - hG - sG
        mu = (np.dot(s, z) + np.dot(sG, zG)) / (K + R)
        res_p = max(np.max(np.abs(rp)), np.max(np.abs(rpG)) if R else 0.0)
        # The dual residual is not needed: the certified bound takes any multipliers.
        # Stopping at a small μ also keeps the iterates away from breakdown.
        if (mu * D < tol and res_p < 10.0 * tol) or mu * D < 1e-14:
            break
        w = z / s
        wG = zG / sG
        _segsum(w, start, Wd)
        # ā_d: w-weighted mean of point d's pieces (as rows of Ubar), u_d = W_d ā_d.
        Ubar[:, :] = 0.0
        for k in range(K):
            d = own[k]
            for i in range(p):
                Ubar[d, i] += w[k] * A[k, i]
        for d in range(D):
            inv = 1.0 / Wd[d] if Wd[d] > 0.0 else 0.0
            for i in range(p):
                Ubar[d, i] *= inv
            m_d[d] = hq + Wd[d]
            wq[d] = np.sqrt(Wd[d] * hq / m_d[d]) if quadratic else 0.0
        for k in range(K):
            sw = np.sqrt(w[k])
            d = own[k]
            for i in range(p):
                Bm[k, i] = sw * (A[k, i] - Ubar[d, i])
        M = hess.copy()
        _gram(Bm, ones_k, M)
        if quadratic:
            _gram(Ubar, wq * wq, M)
        if R:
            _gram(G, wG, M)
        reg = 1e-12 * (1.0 + np.max(np.abs(np.diag(M))))
        for i in range(p):
            M[i, i] += reg
        Lc, ok = _cholesky(M)
        if not ok:
            break
        alpha_p = 1.0
        alpha_d = 1.0
        for phase in range(2):
            rc = -s * z
            rcG = -sG * zG
            if phase == 1:
                rc += sigma * mu - ds_aff * dz_aff
                rcG += sigma * mu - dsG_aff * dzG_aff
            qk = (rc - z * rp) / s
            qG = (rcG - zG * rpG) / sG
            # row coefficients: θ: -A_k, e_d: +1 for pieces; G_r for rows
            _mtv(A, qk, vt1)
            _mtv(G, qG, vt2)
            rhs_t = -rd_t - vt1 + vt2
            _segsum(qk, start, tmp)
            rhs_e = -rd_e + tmp
            # u_d = W_d ā_d; reduced rhs: rhs_t + Σ_d u_d rhs_e[d] / m_d
            fac = rhs_e * Wd / m_d
            _mtv(Ubar, fac, vt1)
            rt = rhs_t + vt1
            dtheta = _chol_solve(Lc, rt)
            _mv(Ubar, dtheta, vd1)
            de = (rhs_e + Wd * vd1) / m_d
            _mv(A, dtheta, vk1)
            ds = de[own] - vk1 + rp
            dz = (rc - z * ds) / s
            _mv(G, dtheta, vr1)
            dsG = vr1 + rpG
            dzG = (rcG - zG * dsG) / sG
            alpha_p = min(_max_step(s, ds), _max_step(sG, dsG))
            alpha_d = min(_max_step(z, dz), _max_step(zG, dzG))
            if phase == 0:
                mu_aff = (np.dot(s + alpha_p * ds, z + alpha_d * dz)
                          + np.dot(sG + alpha_p * dsG, zG + alpha_d * dzG)) / (K + R)
                sigma = (mu_aff / mu) ** 3 if mu > 0.0 else 0.0
                ds_aff = ds.copy()
                dz_aff = dz.copy()
                dsG_aff = dsG.copy()
                dzG_aff = dzG.copy()
        alpha_p = min(1.0, 0.99 * alpha_p)
        alpha_d = min(1.0, 0.99 * alpha_d)
        theta += alpha_p * dtheta
        e += alpha_p * de
        s += alpha_p * ds
        sG += alpha_p * dsG
        z += alpha_d * dz
        zG += alpha_d * dzG
    return theta, e, z, zG, it
