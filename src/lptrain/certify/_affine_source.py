"""Source of the generated box-bounding kernel (first-order affine forms in φ).

For one (network, loss) this writes a numba module with ``bound_boxes`` (``prange`` over
boxes): for every box of parameters and every data point it
propagates an *affine form* of each node value in the normalized box coordinates
``ε ∈ [-1, 1]^N`` (``φ_j = c_j + r_j ε_j``),

    ``z_v(φ) ∈ c_v + Σ_j a_vj ε_j + [-e_v, e_v]``  for every φ in the box,

bounds the loss of each data point from below by an affine function of ε (a subgradient
minorant of the convex losses), sums these over the data *before* minimizing over the box
(so that first-order terms cancel across data points) and minimizes the sum exactly. The
same pass evaluates the empirical risk at a candidate point of every box (an upper-bound
candidate) with the statements of :mod:`lptrain.nn._codegen`, and accumulates a
per-parameter sensitivity used to choose the split direction. The mathematics and the
rounding argument are in :mod:`lptrain.certify.bounds` and ``docs/certify.md``.

Every statement is generated from the network: nodes unrolled, each form carrying only
the coefficients of the parameters upstream of its node (structural sparsity).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lptrain.certify._margins import StaticMargins
from lptrain.nn._codegen import FASTMATH, _Emitter
from lptrain.nn._interval_source import _IntervalEmitter
from lptrain.nn.architecture import Network
from lptrain.nn.losses import Loss

__all__ = ["affine_source", "AFFINE_VERSION", "ASPECT"]

AFFINE_VERSION = "1"
#: Largest ratio of a box's widest side to the side being split.
ASPECT = 4.0


@dataclass
class _Form:
    """Names of an affine form's centre, coefficients (by parameter) and error radius."""

    c: str
    coef: dict[int, str] = field(default_factory=dict)
    e: str | None = None


def _num(c: float) -> str:
    return f"({c!r})" if c < 0 else repr(c)


def _join(parts: list[str]) -> str:
    return " + ".join(parts) if parts else "0.0"


class _AffineEmitter:
    """Statements of the affine-form propagation for one data point."""

    def __init__(self, net: Network, margins: StaticMargins) -> None:
        self.net = net
        self.margins = margins
        self.lines: list[str] = []
        self.hoist: list[str] = []
        self.weights: dict[tuple[int, float], tuple[str, str, str, str]] = {}
        self.k = 0

    def new(self, expr: str) -> str:
        self.k += 1
        name = f"f{self.k}"
        self.lines.append(f"{name} = {expr}")
        return name

    def weight(self, p: int, c: float) -> tuple[str, str, str, str]:
        """Hoisted per box: ``W0 = c·c_p``, ``W1 = c·r_p``, ``|W0| + |W1|``, ``|W1|``."""
        key = (p, c)
        if key not in self.weights:
            k = len(self.weights)
            if c == 1.0:
                names = (f"bc{p}", f"br{p}", f"wc{k}", f"br{p}")
                self.hoist.append(f"wc{k} = abs(bc{p}) + br{p}")
            else:
                names = (f"wa{k}", f"wb{k}", f"wc{k}", f"wd{k}")
                self.hoist += [f"wa{k} = {_num(c)} * bc{p}", f"wb{k} = {_num(c)} * br{p}",
                               f"wc{k} = abs(wa{k}) + abs(wb{k})", f"wd{k} = abs(wb{k})"]
            self.weights[key] = names
        return self.weights[key]

    # ----- terms of a node's affine sum ------------------------------------------------
    def term(self, form: _Form, p: int, c: float) -> _Form:
        """The form of ``w(p, c) · z_u`` as expressions (not yet assigned)."""
        if p < 0:
            k = _num(c)
            e = f"{abs(c)!r} * {form.e}" if form.e else None
            return _Form(f"{k} * {form.c}", {j: f"{k} * {a}" for j, a in form.coef.items()}, e)
        w0, w1, wa, wb = self.weight(p, c)
        # (W0 + W1 ε_p)(u0 + Σ a_j ε_j ± e): the ε_p ε_j products are bounded by |W1 a_j|
        # (half of it, around a centre shift, when j = p since ε_p² ∈ [0, 1]).
        cen = [f"{w0} * {form.c}"]
        coef = {j: f"{w0} * {a}" for j, a in form.coef.items() if j != p}
        coef[p] = f"{w1} * {form.c}" + (f" + {w0} * {form.coef[p]}" if p in form.coef else "")
        err = []
        if p in form.coef:
            cen.append(f"0.5 * {w1} * {form.coef[p]}")
        if form.e:
            err.append(f"{wa} * {form.e}")
        quad = [f"abs({a})" for j, a in form.coef.items() if j != p]
        if p in form.coef:
            quad.append(f"0.5 * abs({form.coef[p]})")
        if quad:
            err.append(f"{wb} * ({' + '.join(quad)})")
        return _Form(" + ".join(cen), coef, " + ".join(err) if err else None)

    def node_sum(self, v: int) -> _Form:
        node = self.net.nodes[v - self.net.n_inputs]
        terms = [self.term(self.forms[u], p, c) for u, p, c in node.inputs
                 if not (p < 0 and c == 0.0)]
        bp, bc = node.bias
        if bp >= 0:
            w0, w1, _, _ = self.weight(bp, bc)
            terms.append(_Form(w0, {bp: w1}))
        elif bc != 0.0:
            terms.append(_Form(_num(bc)))
        params = sorted({j for t in terms for j in t.coef})
        cen = self.new(_join([t.c for t in terms]))
        coef = {j: self.new(_join([t.coef[j] for t in terms if j in t.coef])) for j in params}
        errs = [f"({t.e})" for t in terms if t.e] + [repr(self.margins.node_slack[v])]
        return _Form(cen, coef, self.new(" + ".join(errs)))

    def radius(self, form: _Form) -> str:
        parts = [f"abs({a})" for a in form.coef.values()] + ([form.e] if form.e else [])
        return self.new(_join(parts))

    def activation(self, v: int, s: _Form) -> _Form:
        act = self.net.nodes[v - self.net.n_inputs].activation
        if act.name == "identity":
            return s
        rad = self.radius(s)
        lo, hi = self.new(f"{s.c} - {rad}"), self.new(f"{s.c} + {rad}")
        args = {"relu": "", "leaky_relu": f", {act.alpha!r}", "elu": f", {act.alpha!r}"}
        lam, blo, bhi = f"g{v}", f"gl{v}", f"gh{v}"
        self.lines.append(f"{lam}, {blo}, {bhi} = relax_{act.name}({lo}, {hi}"
                          f"{args.get(act.name, '')})")
        cen = self.new(f"{lam} * {s.c} + 0.5 * ({blo} + {bhi})")
        coef = {j: self.new(f"{lam} * {a}") for j, a in s.coef.items()}
        slack = repr(self.margins.act_slack[v])
        err = self.new(f"abs({lam}) * {s.e} + 0.5 * ({bhi} - {blo}) + {slack}" if s.e
                       else f"0.5 * ({bhi} - {blo}) + {slack}")
        return _Form(cen, coef, err)

    def network(self) -> None:
        net = self.net
        self.forms: dict[int, _Form] = {i: _Form(f"z{i}") for i in range(net.n_inputs)}
        for i in range(len(net.nodes)):
            v = net.n_inputs + i
            self.forms[v] = self.activation(v, self.node_sum(v))

    # ----- loss minorants --------------------------------------------------------------
    def ranges(self) -> None:
        """Define ``l{o}``, ``u{o}``: the output ranges read by the interval loss bound."""
        for o in self.net.outputs:
            if o < self.net.n_inputs:
                continue
            f = self.forms[o]
            rad = self.radius(f)
            self.lines += [f"l{o} = {f.c} - {rad}", f"u{o} = {f.c} + {rad}"]

    def loss(self, loss: Loss) -> _Form:
        """The affine minorant ``K + Σ G_j ε_j - E`` of this data point's loss."""
        outs = [self.forms[o] for o in self.net.outputs]
        name = loss.name
        if name in ("abs", "quadratic"):
            parts = [self._abs_or_square(f, j, name == "quadratic") for j, f in enumerate(outs)]
            return self._sum(parts)
        if name == "hinge":
            t = self._sum([self._scaled(f, f"(-y{j})") for j, f in enumerate(outs)], "1.0")
            rad = self.radius(t)
            lam, blo, bhi = "sgh", "sgl", "sgu"
            self.lines.append(f"{lam}, {blo}, {bhi} = relax_relu({t.c} - {rad}, {t.c} + {rad})")
            return self._scaled(t, lam)
        if name == "cross_entropy":
            return self._cross_entropy(outs)
        return _Form("el")  # hamming: the interval bound only

    def _scaled(self, f: _Form, k: str) -> _Form:
        coef = {j: self.new(f"{k} * {a}") for j, a in f.coef.items()}
        return _Form(self.new(f"{k} * {f.c}"), coef,
                     self.new(f"abs({k}) * {f.e}") if f.e else None)

    def _sum(self, forms: list[_Form], const: str | None = None) -> _Form:
        params = sorted({j for f in forms for j in f.coef})
        cen = self.new(_join(([const] if const else []) + [f.c for f in forms]))
        coef = {j: self.new(_join([f.coef[j] for f in forms if j in f.coef])) for j in params}
        errs = [f.e for f in forms if f.e]
        return _Form(cen, coef, self.new(_join(errs)) if errs else None)

    def _abs_or_square(self, f: _Form, j: int, square: bool) -> _Form:
        t = self.new(f"{f.c} - y{j}")
        if square:  # (z - y)² >= 2 t0 (z - y) - t0²: the tangent at the form's centre
            k = self.new(f"2.0 * {t}")
            coef = {i: self.new(f"{k} * {a}") for i, a in f.coef.items()}
            return _Form(self.new(f"{t} * {t}"), coef,
                         self.new(f"abs({k}) * {f.e}") if f.e else None)
        rad = self.radius(_Form(t, f.coef, f.e))
        # |t| >= σ t for every σ in [-1, 1]; σ = the chord slope of |.| over the range.
        sg = self.new(f"min(max({t} / {rad}, -1.0), 1.0) if {rad} > 0.0 else "
                      f"(1.0 if {t} >= 0.0 else -1.0)")
        return self._scaled(_Form(t, f.coef, f.e), sg)

    def _cross_entropy(self, outs: list[_Form]) -> _Form:
        m = len(outs)
        ys = [f"y{j}" for j in range(m)]
        cs = [f.c for f in outs]
        self.lines.append("ysum = " + " + ".join(ys))
        top = self.new(f"max({', '.join(cs)})" if m > 1 else cs[0])
        self.lines.append(f"lse0 = {top} + math.log(" +
                          " + ".join(f"math.exp({c} - {top})" for c in cs) + ")")
        # Convex in z when Σ y >= 0: tangent at the centres, g_j = (Σy) softmax_j - y_j.
        grads = [self.new(f"ysum * math.exp({c} - lse0) - {y}") for c, y in zip(cs, ys,
                                                                               strict=True)]
        val = self.new(" + ".join(f"{y} * (lse0 - {c})" for c, y in zip(cs, ys, strict=True)))
        parts = [self._scaled(_Form("0.0", f.coef, f.e), g) for f, g in zip(outs, grads,
                                                                          strict=True)]
        s = self._sum(parts)
        cvx = "ysum >= 0.0"
        coef = {j: self.new(f"{a} if {cvx} else 0.0") for j, a in s.coef.items()}
        err = self.new(f"{s.e} if {cvx} else 0.0") if s.e else None
        return _Form(self.new(f"{val} if {cvx} else el"), coef, err)


_HELPERS = '''
@njit(inline="always")
def relax_relu(lo, hi):
    if lo >= 0.0:
        return 1.0, 0.0, 0.0
    if hi <= 0.0:
        return 0.0, 0.0, 0.0
    lam = hi / (hi - lo)
    return lam, 0.0, -lam * lo


@njit(inline="always")
def relax_leaky_relu(lo, hi, a):
    lam, bl, bh = relax_relu(lo, hi)
    return a + (1.0 - a) * lam, (1.0 - a) * bl, (1.0 - a) * bh


@njit(inline="always")
def relax_step(lo, hi):
    if lo > 0.0:
        return 0.0, 1.0, 1.0
    if hi <= 0.0:
        return 0.0, 0.0, 0.0
    return 0.0, 0.0, 1.0


@njit(inline="always")
def relax_hard_tanh(lo, hi):
    fl = min(max(lo, -1.0), 1.0)
    fh = min(max(hi, -1.0), 1.0)
    lam = (fh - fl) / (hi - lo) if hi > lo else 0.0
    bl = min(fl - lam * lo, fh - lam * hi)
    bh = max(fl - lam * lo, fh - lam * hi)
    for x in (-1.0, 1.0):
        if lo < x < hi:
            g = x - lam * x
            bl = min(bl, g)
            bh = max(bh, g)
    return lam, bl, bh


@njit(inline="always")
def relax_tanh(lo, hi):
    fl = math.tanh(lo)
    fh = math.tanh(hi)
    lam = (fh - fl) / (hi - lo) if hi > lo else 0.0
    bl = min(fl - lam * lo, fh - lam * hi)
    bh = max(fl - lam * lo, fh - lam * hi)
    if 0.0 < lam < 1.0:
        xc = math.atanh(math.sqrt(1.0 - lam))
        for x in (-xc, xc):
            if lo < x < hi:
                g = math.tanh(x) - lam * x
                bl = min(bl, g)
                bh = max(bh, g)
    return lam, bl, bh


@njit(inline="always")
def relax_elu(lo, hi, a):
    if lo >= 0.0:
        return 1.0, 0.0, 0.0
    fl = a * math.expm1(lo)
    fh = hi if hi > 0.0 else a * math.expm1(hi)
    lam = (fh - fl) / (hi - lo) if hi > lo else 0.0
    if lam <= 0.0:
        return 0.0, fl, fh
    lam = min(lam, 1.0)
    bh = max(fl - lam * lo, fh - lam * hi)
    # convex: the tangent at any x* (slope d in the subdifferential) lies below; x* is
    # where a' = lam, clamped into [lo, hi] (keeps the bound tight when lam is inexact).
    xs = 0.0 if lam >= a else math.log(lam / a)
    xs = min(max(xs, lo), hi)
    if xs < 0.0:
        d = a * math.exp(xs)
        gs = a * math.expm1(xs)
    else:
        xs, d, gs = 0.0, max(lam, a), 0.0
    bl = gs - d * xs + min((d - lam) * lo, (d - lam) * hi)
    return lam, bl, bh
'''

_TEMPLATE = '''# Generated by lptrain.certify._affine_source (version {version}); do not edit.
# network {fingerprint}, loss {loss}
import math
import numpy as np
from numba import njit, prange

FM = set({fastmath!r})
ASPECT = {aspect!r}
{helpers}
'''

_KERNEL = '''

@njit(parallel={parallel}, fastmath=FM, cache=True)
def {name}(Xt, Yt, Plo, Pup, Pc, lam1, lam2, margin, out_lb, out_ub, out_split):
    D = Xt.shape[1]
{prologue}
    for q in {loop}(Plo.shape[0]):
{box}
        acck = 0.0
        acce = 0.0
        acci = 0.0
        accp = 0.0
{acc_init}
        for d in range(D):
{body}
{finish}
'''


def _box_lines(net: Network, em: _AffineEmitter, point: _Emitter, radius_slack: float
               ) -> list[str]:
    lines = []
    for j in range(net.N):
        lines += [f"lo{j} = Plo[q, {j}]", f"hi{j} = Pup[q, {j}]",
                  f"bc{j} = 0.5 * (lo{j} + hi{j})",
                  f"br{j} = 0.5 * (hi{j} - lo{j}) + {radius_slack!r} * (abs(lo{j}) + abs(hi{j}))",
                  f"p{j} = Pc[q, {j}]"]
    return lines + em.hoist + point.hoist_lines() + [point.reg_line()]


def _finish_lines(net: Network) -> list[str]:
    N = net.N
    lines = ["regk = 0.0", "regi = 0.0"]
    for j in range(N):
        # λ1|φ| >= λ1 σ φ (σ the chord slope); λ2 φ² >= λ2 (2 c φ - c²) (the tangent at c).
        lines += [f"sg = min(max(bc{j} / br{j}, -1.0), 1.0) if br{j} > 0.0 else "
                  f"(1.0 if bc{j} >= 0.0 else -1.0)",
                  f"regk += lam1 * sg * bc{j} + lam2 * bc{j} * bc{j}",
                  f"accg{j} = accg{j} / D + lam1 * sg * br{j} + lam2 * 2.0 * bc{j} * br{j}",
                  f"mg = max(abs(bc{j}) - br{j}, 0.0)",
                  "regi += lam1 * mg + lam2 * mg * mg"]
    lin = " - ".join(["acck / D + regk"] + [f"abs(accg{j})" for j in range(N)] + ["acce / D"])
    lines += [f"lba = {lin}", "lbi = acci / D + regi",
              "out_lb[q] = max(lba, lbi) - margin", "out_ub[q] = accp / D + reg",
              "best = -1.0", "arg = -1"]
    for j in range(N):
        lines += [f"if br{j} > 0.0 and hi{j} > lo{j} and accs{j} > best:",
                  f"    best = accs{j}", f"    arg = {j}"]
    # Never let a box grow more than ASPECT times longer in one coordinate than in the one
    # being split: the coefficients miss the error terms, which shrink with every width.
    lines += ["wide = -1", "widest = 0.0"]
    for j in range(N):
        lines += [f"if hi{j} - lo{j} > widest:", f"    widest = hi{j} - lo{j}", f"    wide = {j}"]
    lines += ["if arg < 0 or widest > ASPECT * (Pup[q, arg] - Plo[q, arg]):", "    arg = wide"]
    return lines + ["out_split[q] = arg"]


def affine_source(net: Network, loss: Loss, margins: StaticMargins) -> str:
    """Source of ``bound_boxes`` (``prange`` over the boxes) for (network, loss).

    Kernel signature: ``(Xt, Yt, Plo, Pup, Pc, lam1, lam2, margin, out_lb, out_ub,
    out_split)``: data column-wise, boxes ``[Plo, Pup]`` (B, N), one candidate point per box
    ``Pc`` (B, N); writes the certified lower bound of the regularized risk over each box,
    the risk at the candidate and the suggested split coordinate (-1 when none).
    """
    point = _Emitter(net)
    point_lines = point.read_lines() + point.node_lines()
    point_lines += loss.source([f"z{o}" for o in net.outputs],
                               [f"y{j}" for j in range(net.m)], "ell")
    em = _AffineEmitter(net, margins)
    em.network()
    em.ranges()
    em.lines += _IntervalEmitter(net).loss_lines(loss)
    ell = em.loss(loss)
    body = point_lines + ["accp += ell"] + em.lines
    body += [f"acck += {ell.c}", "acci += el"]
    if ell.e:
        body.append(f"acce += {ell.e}")
    for j in range(net.N):
        a = ell.coef.get(j)
        if a is not None:
            body += [f"accg{j} += {a}", f"accs{j} += abs({a})"]
    acc_init = [line for j in range(net.N) for line in (f"accg{j} = 0.0", f"accs{j} = 0.0")]
    prologue = ([f"X{i} = Xt[{i}]" for i in range(net.n_inputs)]
                + [f"Y{j} = Yt[{j}]" for j in range(net.m)])
    box = _box_lines(net, em, point, margins.radius_slack)
    text = _TEMPLATE.format(version=AFFINE_VERSION, fingerprint=net.fingerprint,
                            loss=loss.name, fastmath=sorted(FASTMATH), helpers=_HELPERS,
                            aspect=ASPECT)
    pad = {k: (lambda lines, k=k: "\n".join(" " * k + s for s in (lines or ["pass"])))
           for k in (4, 8, 12)}
    for name, parallel, loop in (("bound_boxes", True, "prange"),):
        text += _KERNEL.format(name=name, parallel=parallel, loop=loop,
                               prologue=pad[4](prologue), box=pad[8](box),
                               acc_init=pad[8](acc_init), body=pad[12](body),
                               finish=pad[8](_finish_lines(net)))
    return text

