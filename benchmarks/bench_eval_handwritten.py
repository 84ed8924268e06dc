"""Hand-written parallel numba loops: the baselines of ``bench_eval.py``.

Each one is the §3.4 enumeration (minimum empirical risk over a range of the φ-grid,
φ decoded from its mixed-radix index, first parameter most significant) for one fixed
network, written by hand the way an expert would for that network: scalar code, weights
in registers, data column-wise, ``prange`` over blocks of the grid.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # the flags the generated kernels use


@njit(inline="always")
def _level(idx, shift, bits, mask, step):
    """Grid value of the digit ``shift`` places from the least significant one."""
    return -1.0 + ((idx >> (bits * shift)) & mask) * step


def _relu211(fastmath):
    @njit(parallel=True, fastmath=fastmath)
    def kernel(X0, X1, Y0, bits, start, stop, nblocks):
        mask = (1 << bits) - 1
        step = 2.0 / (1 << bits)
        D = X0.shape[0]
        total = stop - start
        best_v = np.full(nblocks, np.inf)
        best_i = np.full(nblocks, -1)
        for b in prange(nblocks):
            lo = start + total * b // nblocks
            hi = start + total * (b + 1) // nblocks
            bv, bi = np.inf, -1
            for idx in range(lo, hi):
                p0 = -1.0 + ((idx >> (4 * bits)) & mask) * step
                p1 = -1.0 + ((idx >> (3 * bits)) & mask) * step
                p2 = -1.0 + ((idx >> (2 * bits)) & mask) * step
                p3 = -1.0 + ((idx >> bits) & mask) * step
                p4 = -1.0 + (idx & mask) * step
                acc = 0.0
                for d in range(D):
                    h = p0 * X0[d] + p1 * X1[d] + p2
                    h = h if h > 0.0 else 0.0
                    acc += abs(p3 * h + p4 - Y0[d])
                r = acc / D
                if r < bv:
                    bv, bi = r, idx
            best_v[b] = bv
            best_i[b] = bi
        return best_v, best_i

    return kernel


relu211_abs_strict = _relu211(False)
relu211_abs = _relu211(FASTMATH)


@njit(parallel=True, fastmath=FASTMATH)
def relu231_abs(X0, X1, Y0, bits, start, stop, nblocks):
    mask = (1 << bits) - 1
    step = 2.0 / (1 << bits)
    D = X0.shape[0]
    total = stop - start
    best_v = np.full(nblocks, np.inf)
    best_i = np.full(nblocks, -1)
    for b in prange(nblocks):
        lo = start + total * b // nblocks
        hi = start + total * (b + 1) // nblocks
        bv, bi = np.inf, -1
        for idx in range(lo, hi):
            w00 = _level(idx, 12, bits, mask, step)
            w01 = _level(idx, 11, bits, mask, step)
            w10 = _level(idx, 10, bits, mask, step)
            w11 = _level(idx, 9, bits, mask, step)
            w20 = _level(idx, 8, bits, mask, step)
            w21 = _level(idx, 7, bits, mask, step)
            b0 = _level(idx, 6, bits, mask, step)
            b1 = _level(idx, 5, bits, mask, step)
            b2 = _level(idx, 4, bits, mask, step)
            v0 = _level(idx, 3, bits, mask, step)
            v1 = _level(idx, 2, bits, mask, step)
            v2 = _level(idx, 1, bits, mask, step)
            c = _level(idx, 0, bits, mask, step)
            acc = 0.0
            for d in range(D):
                x0, x1 = X0[d], X1[d]
                h0 = max(w00 * x0 + w01 * x1 + b0, 0.0)
                h1 = max(w10 * x0 + w11 * x1 + b1, 0.0)
                h2 = max(w20 * x0 + w21 * x1 + b2, 0.0)
                acc += abs(v0 * h0 + v1 * h1 + v2 * h2 + c - Y0[d])
            r = acc / D
            if r < bv:
                bv, bi = r, idx
        best_v[b] = bv
        best_i[b] = bi
    return best_v, best_i


@njit(parallel=True, fastmath=FASTMATH)
def relu232_ce(X0, X1, Y0, Y1, bits, start, stop, nblocks):
    mask = (1 << bits) - 1
    step = 2.0 / (1 << bits)
    D = X0.shape[0]
    total = stop - start
    best_v = np.full(nblocks, np.inf)
    best_i = np.full(nblocks, -1)
    for b in prange(nblocks):
        lo = start + total * b // nblocks
        hi = start + total * (b + 1) // nblocks
        bv, bi = np.inf, -1
        for idx in range(lo, hi):
            a0 = _level(idx, 16, bits, mask, step)
            a1 = _level(idx, 15, bits, mask, step)
            a2 = _level(idx, 14, bits, mask, step)
            a3 = _level(idx, 13, bits, mask, step)
            a4 = _level(idx, 12, bits, mask, step)
            a5 = _level(idx, 11, bits, mask, step)
            c0 = _level(idx, 10, bits, mask, step)
            c1 = _level(idx, 9, bits, mask, step)
            c2 = _level(idx, 8, bits, mask, step)
            e0 = _level(idx, 7, bits, mask, step)
            e1 = _level(idx, 6, bits, mask, step)
            e2 = _level(idx, 5, bits, mask, step)
            e3 = _level(idx, 4, bits, mask, step)
            e4 = _level(idx, 3, bits, mask, step)
            e5 = _level(idx, 2, bits, mask, step)
            f0 = _level(idx, 1, bits, mask, step)
            f1 = _level(idx, 0, bits, mask, step)
            acc = 0.0
            for d in range(D):
                x0, x1 = X0[d], X1[d]
                h0 = max(a0 * x0 + a1 * x1 + c0, 0.0)
                h1 = max(a2 * x0 + a3 * x1 + c1, 0.0)
                h2 = max(a4 * x0 + a5 * x1 + c2, 0.0)
                o0 = e0 * h0 + e1 * h1 + e2 * h2 + f0
                o1 = e3 * h0 + e4 * h1 + e5 * h2 + f1
                top = max(o0, o1)
                lse = top + np.log(np.exp(o0 - top) + np.exp(o1 - top))
                acc += Y0[d] * (lse - o0) + Y1[d] * (lse - o1)
            r = acc / D
            if r < bv:
                bv, bi = r, idx
        best_v[b] = bv
        best_i[b] = bi
    return best_v, best_i


def run(name, X, Y, bits, start, stop, nblocks=256):
    """Call the hand-written kernel ``name`` → (best value, best index)."""
    cols = [np.ascontiguousarray(X[:, i]) for i in range(X.shape[1])]
    ycols = [np.ascontiguousarray(Y[:, j]) for j in range(Y.shape[1])]
    kernel = {"relu211_abs_strict": relu211_abs_strict, "relu211_abs": relu211_abs,
              "relu231_abs": relu231_abs, "relu232_ce": relu232_ce}[name]
    vals, idxs = kernel(*cols, *ycols, bits, start, stop, nblocks)
    k = int(np.argmin(vals))
    return float(vals[k]), int(idxs[k])
