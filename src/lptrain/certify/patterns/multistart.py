"""Incumbents for the pattern search: projected Adam from several random starts.

The search prunes a node once its bound reaches ``best - target gap``, so the value of the
best network known decides how much of the tree must be bounded: on two inputs the
networks met in the tree were measured far above what plain gradient descent finds
(2-3-1, D = 1000: 0.0336 after 300 s of search against 0.0242 by Adam's best of 10
restarts), and then the search cannot close. :func:`descent_seeds` runs full-batch Adam on
the network's own parameterization ``c + Σ_j a_j σ(x̃ · u_j)`` (the box ``[-1, 1]`` after
every step, as :func:`lptrain.torch.train_sgd` does; the step decays linearly to a tenth,
so that the subgradient steps of the absolute loss settle), all restarts at once in numpy, and
returns the sign-form points ``v_j = |a_j| u_j``, ``s_j = sign(a_j)`` with their true risks.

It is a heuristic: only the true (regularized, sign-form) risk of the points it returns is
used, as an upper bound; nothing it computes is claimed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain.certify.patterns.relaxation import true_risk

__all__ = ["descent_seeds"]

#: multiply-adds per seeding (restarts × steps × D × h × q), so that its cost stays a
#: fixed fraction of a search whatever the data size (about 1-2 s on one core)
_BUDGET = 2e8


def descent_seeds(pb: Any, *, restarts: int = 10, steps: int = 2000, lr: float = 0.02,
                  seed: int = 0) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """``(theta, value, signs)`` of each restart, best first (sign form, positive units
    first, as the search's roots list them). ``steps`` is capped by the work budget
    ``_BUDGET``; the run is deterministic for a given ``seed``."""
    Xt, y = pb.Xt, pb.y
    D, q = Xt.shape
    h, R = pb.h, int(restarts)
    steps = int(min(steps, max(50, _BUDGET // max(R * D * h * q, 1))))
    rng = np.random.default_rng(seed)
    scale_u = 1.0 / np.sqrt(max(q - 1, 1))
    scale_a = 1.0 / np.sqrt(max(h, 1))
    U = rng.uniform(-scale_u, scale_u, (R, h, q))
    a = rng.uniform(-scale_a, scale_a, (R, h))
    c = np.full(R, pb.c_fixed) if not pb.c_free else np.clip(
        np.full(R, float(np.median(y))), pb.c_lo, pb.c_hi)
    params = [U, a, c] if pb.c_free else [U, a]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    lo = [-1.0, -1.0, pb.c_lo]
    hi = [1.0, 1.0, pb.c_hi]
    XT = np.ascontiguousarray(Xt.T)
    for t in range(1, steps + 1):
        T = np.matmul(U, XT)  # (R, h, D)
        slope = np.where(T > 0.0, 1.0, pb.alpha)
        Z = T * slope
        f = np.matmul(a[:, None, :], Z)[:, 0, :] + c[:, None]  # (R, D)
        if pb.loss == 0:
            g = np.sign(f - y)
        elif pb.loss == 1:
            g = 2.0 * (f - y)
        else:
            g = np.where(1.0 - y * f > 0.0, -y, 0.0)
        g *= 1.0 / D
        slope *= g[:, None, :]
        slope *= a[:, :, None]
        grads = [np.matmul(slope, Xt), np.matmul(Z, g[:, :, None])[:, :, 0]]
        if pb.c_free:
            grads.append(g.sum(axis=1))
        if pb.lam > 0.0:
            for p, gr in zip(params, grads, strict=True):
                gr += 2.0 * pb.lam * p
        k1 = lr * (1.0 - 0.9 * (t - 1) / steps) / (1.0 - b1**t)  # decays to lr / 10
        k2 = 1.0 / (1.0 - b2**t)
        for i, (p, gr) in enumerate(zip(params, grads, strict=True)):
            m[i] *= b1
            m[i] += (1.0 - b1) * gr
            v[i] *= b2
            v[i] += (1.0 - b2) * gr * gr
            p -= k1 * m[i] / (np.sqrt(k2 * v[i]) + eps)
            np.clip(p, lo[i], hi[i], out=p)
    off = 1 if pb.c_free else 0
    out = []
    for r in range(R):
        signs = np.where(a[r] < 0.0, -1.0, 1.0)
        V = np.abs(a[r])[:, None] * U[r]
        order = np.argsort(-signs, kind="stable")
        signs, V = signs[order], V[order]
        theta = np.concatenate([[c[r]], V.ravel()]) if pb.c_free else V.ravel()
        theta = np.clip(theta, -1.0, 1.0)
        if pb.c_free:
            theta[0] = min(max(theta[0], pb.c_lo), pb.c_hi)
        value = float(true_risk(Xt, y, pb.loss, pb.alpha, signs, pb.c_free, pb.c_fixed,
                                pb.lam, theta, off, q))
        out.append((theta, value, signs))
    out.sort(key=lambda t: t[1])
    return out
