"""Pure-numpy box bounds: the reference (and fallback) for the generated kernel.

The same mathematics as :mod:`lptrain.certify._affine_source`, vectorized over a block of
boxes × data points (arrays (B, D)); a loop runs over the nodes and the parameters only.
The two implementations are tested against each other and against sampled values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain.certify._affine_source import ASPECT
from lptrain.certify._margins import StaticMargins
from lptrain.nn._numpy_eval import loss_block
from lptrain.nn.activations import Activation
from lptrain.nn.architecture import Network
from lptrain.nn.losses import Loss

__all__ = ["numpy_bounds", "relax"]

Arr = Any


class _Form:
    """Affine form ``c + Σ_j a_j ε_j ± e`` with arrays broadcastable to (B, D)."""

    def __init__(self, c: Arr, coef: dict[int, Arr] | None = None, e: Arr = 0.0) -> None:
        self.c, self.coef, self.e = c, coef or {}, e

    def radius(self) -> Arr:
        r = self.e
        for a in self.coef.values():
            r = r + np.abs(a)
        return r

    def scaled(self, k: Arr) -> _Form:
        return _Form(k * self.c, {j: k * a for j, a in self.coef.items()}, np.abs(k) * self.e)


def _sum(forms: list[_Form], const: Arr = 0.0) -> _Form:
    out = _Form(const)
    for f in forms:
        out.c = out.c + f.c
        for j, a in f.coef.items():
            out.coef[j] = out.coef[j] + a if j in out.coef else a
        out.e = out.e + f.e
    return out


def _product(f: _Form, w0: Arr, w1: Arr, p: int) -> _Form:
    """``(W0 + W1 ε_p) · f``; products ``ε_p ε_j`` go to the centre and the error."""
    c = w0 * f.c
    coef = {j: w0 * a for j, a in f.coef.items() if j != p}
    coef[p] = w1 * f.c + (w0 * f.coef[p] if p in f.coef else 0.0)
    e = (np.abs(w0) + np.abs(w1)) * f.e
    for j, a in f.coef.items():
        e = e + (0.5 if j == p else 1.0) * np.abs(w1 * a)
    if p in f.coef:
        c = c + 0.5 * w1 * f.coef[p]
    return _Form(c, coef, e)


def relax(act: Activation, lo: np.ndarray, hi: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slope and offsets ``(λ, β_lo, β_hi)`` with ``λx + β_lo <= a(x) <= λx + β_hi`` on
    ``[lo, hi]`` (elementwise), as the generated kernel's ``relax_*`` helpers compute them.

    Examples
    --------
    >>> from lptrain.nn import get_activation
    >>> relax(get_activation("relu"), np.array([-1.0]), np.array([3.0]))
    (array([0.75]), array([0.]), array([0.75]))
    """
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    name, a = act.name, act.alpha
    width = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        if name in ("relu", "leaky_relu"):
            lam = np.where(lo >= 0, 1.0, np.where(hi <= 0, 0.0, hi / np.where(width > 0,
                                                                              width, 1.0)))
            bh = np.where((lo < 0) & (hi > 0), -lam * lo, 0.0)
            bl = np.zeros_like(lam)
            if name == "leaky_relu":
                lam, bl, bh = a + (1 - a) * lam, (1 - a) * bl, (1 - a) * bh
            return lam, bl, bh
        if name == "step":
            z = np.zeros_like(lo + hi)
            return z, np.where(lo > 0, 1.0, 0.0) + z, np.where(hi <= 0, 0.0, 1.0) + z
        fl, fh = act(lo), act(hi)
        lam = np.where(width > 0, (fh - fl) / np.where(width > 0, width, 1.0), 0.0)
        if name == "elu":
            return _relax_elu(lo, hi, fl, fh, lam, a)
        bl = np.minimum(fl - lam * lo, fh - lam * hi)
        bh = np.maximum(fl - lam * lo, fh - lam * hi)
        if name == "hard_tanh":
            crit = [np.full_like(lam, -1.0), np.full_like(lam, 1.0)]
        else:  # tanh: tanh'(x) = λ at x = ±atanh(sqrt(1 - λ))
            xc = np.arctanh(np.sqrt(np.clip(1.0 - lam, 0.0, 1.0)))
            inner = (lam > 0) & (lam < 1)
            crit = [np.where(inner, -xc, lo), np.where(inner, xc, lo)]
        for x in crit:
            g = act(x) - lam * x
            inside = (lo < x) & (x < hi)
            bl = np.where(inside, np.minimum(bl, g), bl)
            bh = np.where(inside, np.maximum(bh, g), bh)
        return lam, bl, bh


def _relax_elu(lo: Arr, hi: Arr, fl: Arr, fh: Arr, lam: Arr, a: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lam = np.minimum(lam, 1.0)
    bh = np.maximum(fl - lam * lo, fh - lam * hi)
    small = lam < a
    xs = np.where(small, np.log(np.where(small & (lam > 0), lam / a, 1.0)), 0.0)
    xs = np.minimum(np.maximum(xs, lo), hi)
    neg = xs < 0
    xs = np.where(neg, xs, 0.0)
    d = np.where(neg, a * np.exp(xs), np.maximum(lam, a))
    gs = np.where(neg, a * np.expm1(xs), 0.0)
    bl = gs - d * xs + np.minimum((d - lam) * lo, (d - lam) * hi)
    flat = lam <= 0
    ident = lo >= 0
    lam = np.where(ident, 1.0, np.where(flat, 0.0, lam))
    bl = np.where(ident, 0.0, np.where(flat, fl, bl))
    bh = np.where(ident, 0.0, np.where(flat, fh, bh))
    return lam, bl, bh


def _loss_form(loss: Loss, outs: list[_Form], Y: np.ndarray, el: Arr) -> _Form:
    ys = [Y[:, j][None, :] for j in range(Y.shape[1])]
    if loss.name in ("abs", "quadratic"):
        parts = []
        for f, y in zip(outs, ys, strict=True):
            t = _Form(f.c - y, f.coef, f.e)
            if loss.name == "quadratic":
                parts.append(_Form(t.c * t.c, {j: 2 * t.c * a for j, a in t.coef.items()},
                                   np.abs(2 * t.c) * t.e))
            else:
                rad = t.radius()
                with np.errstate(divide="ignore", invalid="ignore"):
                    sg = np.where(rad > 0, np.clip(t.c / np.where(rad > 0, rad, 1.0), -1, 1),
                                  np.where(t.c >= 0, 1.0, -1.0))
                parts.append(t.scaled(sg))
        return _sum(parts)
    if loss.name == "hinge":
        t = _sum([f.scaled(-y) for f, y in zip(outs, ys, strict=True)], 1.0)
        rad = t.radius()
        lam, _, _ = relax(Activation("relu"), t.c - rad, t.c + rad)
        return t.scaled(lam)
    if loss.name == "cross_entropy":
        cs = [f.c for f in outs]
        top = cs[0]
        for c in cs[1:]:
            top = np.maximum(top, c)
        lse = top + np.log(sum(np.exp(c - top) for c in cs))
        ysum = sum(ys)
        val = sum(y * (lse - c) for c, y in zip(cs, ys, strict=True))
        parts = [_Form(0.0, f.coef, f.e).scaled(ysum * np.exp(c - lse) - y)
                 for f, c, y in zip(outs, cs, ys, strict=True)]
        s = _sum(parts)
        cvx = ysum >= 0
        return _Form(np.where(cvx, val, el), {j: np.where(cvx, a, 0.0)
                                              for j, a in s.coef.items()},
                     np.where(cvx, s.e, 0.0))
    return _Form(el)


def _network_forms(net: Network, X: np.ndarray, bc: np.ndarray, br: np.ndarray,
                   margins: StaticMargins) -> dict[int, _Form]:
    forms = {i: _Form(X[:, i][None, :]) for i in range(net.n_inputs)}
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        terms = []
        for u, p, c in node.inputs:
            if p < 0:
                if c != 0.0:
                    terms.append(forms[u].scaled(c))
            else:
                terms.append(_product(forms[u], c * bc[:, p, None], c * br[:, p, None], p))
        bp, bcst = node.bias
        if bp >= 0:
            terms.append(_Form(bcst * bc[:, bp, None], {bp: bcst * br[:, bp, None]}))
        s = _sum(terms, 0.0 if bp >= 0 else bcst)
        s.e = s.e + margins.node_slack[v]
        if node.activation.name == "identity":
            forms[v] = s
            continue
        rad = s.radius()
        lam, bl, bh = relax(node.activation, s.c - rad, s.c + rad)
        out = s.scaled(lam)
        out.c = out.c + 0.5 * (bl + bh)
        out.e = out.e + 0.5 * (bh - bl) + margins.act_slack[v]
        forms[v] = out
    return forms


def numpy_bounds(net: Network, loss: Loss, X: np.ndarray, Y: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray, cand: np.ndarray, lam: tuple[float, float], margin: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower bound, risk at the candidate, split coordinate) for each box of one block."""
    D = X.shape[0]
    bc = 0.5 * (lo + hi)
    br = 0.5 * (hi - lo) + (4.0 * 2.0**-53) * (np.abs(lo) + np.abs(hi))
    margins = _margins_of(net, loss)
    forms = _network_forms(net, X, bc, br, margins)
    outs = [forms[o] for o in net.outputs]
    rads = [f.radius() for f in outs]
    el, _ = loss.interval([f.c - r for f, r in zip(outs, rads, strict=True)],
                          [f.c + r for f, r in zip(outs, rads, strict=True)],
                          [Y[:, j][None, :] for j in range(net.m)],
                          [Y[:, j][None, :] for j in range(net.m)])
    el = np.broadcast_to(el, (lo.shape[0], D))
    lf = _loss_form(loss, outs, Y, el)
    shape = (lo.shape[0], D)
    lam1, lam2 = lam
    with np.errstate(divide="ignore", invalid="ignore"):
        sg = np.where(br > 0, np.clip(bc / np.where(br > 0, br, 1.0), -1.0, 1.0),
                      np.where(bc >= 0, 1.0, -1.0))
    g = np.zeros((lo.shape[0], net.N))
    sens = np.zeros((lo.shape[0], net.N))
    for j, a in lf.coef.items():
        a = np.broadcast_to(a, shape)
        g[:, j] = a.sum(axis=1) / D
        sens[:, j] = np.abs(a).sum(axis=1)
    g += lam1 * sg * br + lam2 * 2.0 * bc * br
    regk = (lam1 * sg * bc + lam2 * bc * bc).sum(axis=1)
    mg = np.maximum(np.abs(bc) - br, 0.0)
    regi = (lam1 * mg + lam2 * mg * mg).sum(axis=1)
    lba = (np.broadcast_to(lf.c, shape).sum(axis=1) / D + regk - np.abs(g).sum(axis=1)
           - np.broadcast_to(lf.e, shape).sum(axis=1) / D)
    lbi = el.sum(axis=1) / D + regi
    lower = np.maximum(lba, lbi) - margin
    value = loss_block(net, loss, X, Y, cand).sum(axis=1) / D
    value = value + lam1 * np.abs(cand).sum(axis=1) + lam2 * (cand * cand).sum(axis=1)
    sens = np.where(hi > lo, sens, -1.0)
    split = np.where(sens.max(axis=1) >= 0, np.argmax(sens, axis=1), -1)
    width = hi - lo
    wide = np.argmax(width, axis=1)
    rows = np.arange(lo.shape[0])
    widest = width[rows, wide]
    too_thin = (split < 0) | (widest > ASPECT * width[rows, np.maximum(split, 0)])
    split = np.where(too_thin & (widest > 0), wide, split)
    return lower, value, split


_MARGINS: dict[tuple[str, str], StaticMargins] = {}


def _margins_of(net: Network, loss: Loss) -> StaticMargins:
    from lptrain.certify._margins import static_margins

    key = (net.fingerprint, loss.name)
    if key not in _MARGINS:
        _MARGINS[key] = static_margins(net, loss)
    return _MARGINS[key]
