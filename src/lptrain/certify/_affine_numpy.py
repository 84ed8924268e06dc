"""Pure-numpy box bounds: the reference (and fallback) for the generated kernel.

The same mathematics as :mod:`lptrain.kernels.affine`, vectorized over a block of boxes ×
data points (arrays (B, D)); a loop runs over the nodes and the parameters only. What the
components contribute — relaxations, loss minorants and interval bounds, regularizer
minorants — is their own definition, called on arrays (the kernel renders the same
definitions); the propagation of the affine forms through the network is written here
independently of the kernel's emitter, and the two are tested against each other and
against sampled values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain.components import Activation, Loss
from lptrain.components.regularizer import classes as regularizer_classes
from lptrain.kernels.affine import ASPECT
from lptrain.kernels.margins import StaticMargins, static_margins
from lptrain.nn._numpy_eval import loss_block
from lptrain.nn.architecture import Network

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
    ``[lo, hi]`` (elementwise): the activation's own :meth:`~lptrain.components.Activation.
    relax`, the definition the generated kernel renders.

    Examples
    --------
    >>> from lptrain.nn import get_activation
    >>> relax(get_activation("relu"), np.array([-1.0]), np.array([3.0]))
    (array([0.75]), array([0.]), array([0.75]))
    """
    return act.relaxation(lo, hi)


def _loss_form(loss: Loss, outs: list[_Form], Y: np.ndarray, el: Arr) -> _Form:
    """The loss's minorant ``K + Σ_j s_j (z_j - c_j)`` applied to the output forms."""
    ys = [Y[:, j][None, :] for j in range(Y.shape[1])]
    with np.errstate(all="ignore"):
        slopes, k = loss.minorant([f.c for f in outs], [f.radius() for f in outs], ys, el)
    return _sum([_Form(0.0, f.coef, f.e).scaled(s) for f, s in zip(outs, slopes,
                                                                   strict=True)], k)


def _regularizer_terms(bc: np.ndarray, br: np.ndarray, lam: tuple[float, ...]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Σ_k λ_k K, per-coordinate slope in ε, Σ_k λ_k floor) of the registered regularizers'
    minorants and interval floors over the box sides."""
    regk = np.zeros(bc.shape[0])
    regi = np.zeros(bc.shape[0])
    g = np.zeros_like(bc)
    for w, cls in zip(lam, regularizer_classes(), strict=True):
        reg = cls(1.0)
        with np.errstate(all="ignore"):
            s, k = reg.term_minorant(bc, br)
            floor = reg.term_interval(bc - br, bc + br)[0]
        regk = regk + w * np.broadcast_to(k, bc.shape).sum(axis=1)
        regi = regi + w * np.broadcast_to(floor, bc.shape).sum(axis=1)
        g = g + w * s * br
    return regk, g, regi


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
        if node.activation.passthrough:
            forms[v] = s
            continue
        rad = s.radius()
        lam, bl, bh = node.activation.relaxation(s.c - rad, s.c + rad)
        out = s.scaled(lam)
        out.c = out.c + 0.5 * (bl + bh)
        out.e = out.e + 0.5 * (bh - bl) + margins.act_slack[v]
        forms[v] = out
    return forms


def numpy_bounds(net: Network, loss: Loss, X: np.ndarray, Y: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray, cand: np.ndarray, lam: tuple[float, ...], margin: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower bound, risk at the candidate, split coordinate) for each box of one block."""
    D = X.shape[0]
    bc = 0.5 * (lo + hi)
    br = 0.5 * (hi - lo) + (4.0 * 2.0**-53) * (np.abs(lo) + np.abs(hi))
    margins = _margins_of(net, loss)
    forms = _network_forms(net, X, bc, br, margins)
    outs = [forms[o] for o in net.outputs]
    rads = [f.radius() for f in outs]
    with np.errstate(all="ignore"):
        el, _ = loss.interval([f.c - r for f, r in zip(outs, rads, strict=True)],
                              [f.c + r for f, r in zip(outs, rads, strict=True)],
                              [Y[:, j][None, :] for j in range(net.m)],
                              [Y[:, j][None, :] for j in range(net.m)])
    el = np.broadcast_to(el, (lo.shape[0], D))
    lf = _loss_form(loss, outs, Y, el)
    shape = (lo.shape[0], D)
    regk, g_reg, regi = _regularizer_terms(bc, br, lam)
    g = np.zeros((lo.shape[0], net.N))
    sens = np.zeros((lo.shape[0], net.N))
    for j, a in lf.coef.items():
        a = np.broadcast_to(a, shape)
        g[:, j] = a.sum(axis=1) / D
        sens[:, j] = np.abs(a).sum(axis=1)
    g += g_reg
    lba = (np.broadcast_to(lf.c, shape).sum(axis=1) / D + regk - np.abs(g).sum(axis=1)
           - np.broadcast_to(lf.e, shape).sum(axis=1) / D)
    lbi = el.sum(axis=1) / D + regi
    lower = np.maximum(lba, lbi) - margin
    value = loss_block(net, loss, X, Y, cand).sum(axis=1) / D
    for w, cls in zip(lam, regularizer_classes(), strict=True):
        value = value + cls(w)(cand)
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
    key = (net.fingerprint, loss.spec)
    if key not in _MARGINS:
        _MARGINS[key] = static_margins(net, loss)
    return _MARGINS[key]
