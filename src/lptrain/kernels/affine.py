"""The box-bounding kernel (first-order affine forms in φ).

For one (network, loss) this writes a numba module with ``bound_boxes`` (``prange`` over
boxes): for every box of parameters and every data point it propagates an *affine form*
of each node value in the normalized box coordinates ``ε ∈ [-1, 1]^N``
(``φ_j = c_j + r_j ε_j``),

    ``z_v(φ) ∈ c_v + Σ_j a_vj ε_j + [-e_v, e_v]``  for every φ in the box,

relaxes each activation with its component's :meth:`~lptrain.components.Activation.relax`,
bounds the loss of each data point from below with the loss's
:meth:`~lptrain.components.Loss.minorant`, sums these over the data *before* minimizing
over the box (so that first-order terms cancel across data points) and minimizes the sum
exactly; the regularizer adds its own minorant. The same pass evaluates the empirical risk
at a candidate point of every box (the point statements of :mod:`lptrain.kernels.point`)
and accumulates a per-parameter sensitivity used to choose the split direction. The
mathematics and the rounding argument are in :mod:`lptrain.certify.bounds`,
:mod:`lptrain.kernels.margins` and ``docs/certify.md``.

Every form carries only the coefficients of the parameters upstream of its node
(structural sparsity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lptrain.components.regularizer import classes as regularizer_classes
from lptrain.kernels._emit import Emitter, PointEmitter, header, indent, num, regularizer_args
from lptrain.kernels.margins import StaticMargins
from lptrain.kernels.point import JIT

__all__ = ["affine_source", "ASPECT", "AffineEmitter"]

#: Largest ratio of a box's widest side to the side being split.
ASPECT = 4.0


@dataclass
class Form:
    """Names of an affine form's centre, coefficients (by parameter) and error radius."""

    c: str
    coef: dict[int, str] = field(default_factory=dict)
    e: str | None = None


def _join(parts: list[str]) -> str:
    return " + ".join(parts) if parts else "0.0"


class AffineEmitter(Emitter):
    """Statements of the affine-form propagation for one data point."""

    def __init__(self, net: Any, margins: StaticMargins) -> None:
        super().__init__(net, "_a")
        self.margins = margins
        self.hoist: list[str] = []
        self.weights: dict[tuple[int, float], tuple[str, str, str, str]] = {}
        self.forms: dict[int, Form] = {}
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
                self.hoist += [f"wa{k} = {num(c)} * bc{p}", f"wb{k} = {num(c)} * br{p}",
                               f"wc{k} = abs(wa{k}) + abs(wb{k})", f"wd{k} = abs(wb{k})"]
            self.weights[key] = names
        return self.weights[key]

    # ----- the network -----------------------------------------------------------------
    def term(self, form: Form, p: int, c: float) -> Form:
        """The form of ``w(p, c) · z_u`` as expressions (not yet assigned)."""
        if p < 0:
            k = num(c)
            e = f"{abs(c)!r} * {form.e}" if form.e else None
            return Form(f"{k} * {form.c}", {j: f"{k} * {a}" for j, a in form.coef.items()}, e)
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
        return Form(" + ".join(cen), coef, " + ".join(err) if err else None)

    def node_sum(self, v: int) -> Form:
        node = self.net.nodes[v - self.net.n_inputs]
        terms = [self.term(self.forms[u], p, c) for u, p, c in node.inputs
                 if not (p < 0 and c == 0.0)]
        bp, bc = node.bias
        if bp >= 0:
            w0, w1, _, _ = self.weight(bp, bc)
            terms.append(Form(w0, {bp: w1}))
        elif bc != 0.0:
            terms.append(Form(num(bc)))
        params = sorted({j for t in terms for j in t.coef})
        cen = self.new(_join([t.c for t in terms]))
        coef = {j: self.new(_join([t.coef[j] for t in terms if j in t.coef])) for j in params}
        errs = [f"({t.e})" for t in terms if t.e] + [repr(self.margins.node_slack[v])]
        return Form(cen, coef, self.new(" + ".join(errs)))

    def radius(self, form: Form) -> str:
        parts = [f"abs({a})" for a in form.coef.values()] + ([form.e] if form.e else [])
        return self.new(_join(parts))

    def activation(self, v: int, s: Form) -> Form:
        """``λ s + (β_lo + β_hi)/2 ± (β_hi - β_lo)/2`` from the activation's relaxation on
        the range of s."""
        act = self.net.nodes[v - self.net.n_inputs].activation
        if act.passthrough:
            return s
        rad = self.radius(s)
        lo, hi = self.new(f"{s.c} - {rad}"), self.new(f"{s.c} + {rad}")
        lam, blo, bhi = (self.new(x) for x in self.fragment(act.relax, lo, hi))
        cen = self.new(f"{lam} * {s.c} + 0.5 * ({blo} + {bhi})")
        coef = {j: self.new(f"{lam} * {a}") for j, a in s.coef.items()}
        slack = repr(self.margins.act_slack[v])
        err = self.new(f"abs({lam}) * {s.e} + 0.5 * ({bhi} - {blo}) + {slack}" if s.e
                       else f"0.5 * ({bhi} - {blo}) + {slack}")
        return Form(cen, coef, err)

    def network(self) -> None:
        net = self.net
        self.forms = {i: Form(f"z{i}") for i in range(net.n_inputs)}
        for i in range(len(net.nodes)):
            v = net.n_inputs + i
            self.forms[v] = self.activation(v, self.node_sum(v))

    # ----- the loss --------------------------------------------------------------------
    def loss(self, loss: Any) -> Form:
        """Defines ``el`` (the interval loss bound from the outputs' ranges) and returns the
        affine minorant ``K + Σ G_j ε_j - E`` of this data point's loss."""
        outs = [self.forms[o] for o in self.net.outputs]
        cs = [f.c for f in outs]
        rs = [self.radius(f) for f in outs]
        ys = [f"y{j}" for j in range(self.net.m)]

        def both(cs: list[Any], rs: list[Any], ys: list[Any]) -> tuple[Any, ...]:
            lo = [c - r for c, r in zip(cs, rs, strict=True)]
            hi = [c + r for c, r in zip(cs, rs, strict=True)]
            floor = loss.interval(lo, hi, ys, ys)[0]
            slopes, k = loss.minorant(cs, rs, ys, floor)
            return floor, k, *slopes

        el, k, *slopes = self.fragment(both, cs, rs, ys)
        self.lines.append(f"el = {el}")
        parts = []
        for f, s in zip(outs, slopes, strict=True):
            if s == "0.0":
                continue
            g = self.new(s)
            coef = {j: self.new(f"{g} * {a}") for j, a in f.coef.items()}
            parts.append(Form("0.0", coef, self.new(f"abs({g}) * {f.e}") if f.e else None))
        params = sorted({j for f in parts for j in f.coef})
        coef = {j: self.new(_join([f.coef[j] for f in parts if j in f.coef])) for j in params}
        errs = [f.e for f in parts if f.e]
        return Form(self.new(k), coef, self.new(_join(errs)) if errs else None)

    # ----- the regularizer -------------------------------------------------------------
    def regularizer_lines(self) -> list[str]:
        """``regk``/``accg{j}``/``regi``: each registered regularizer's minorant
        (``ρ(φ) >= K + s (φ - c)``) and interval floor, weighted at run time."""
        lines = ["regk = 0.0", "regi = 0.0"]
        regs = [cls(1.0) for cls in regularizer_classes()]
        for j in range(self.net.N):
            grad = []
            for k, reg in enumerate(regs):
                s, kk = self.fragment(reg.term_minorant, f"bc{j}", f"br{j}", into=lines)
                (fl,) = self.fragment(lambda lo, hi, reg=reg: reg.term_interval(lo, hi)[0],
                                      f"blo{j}", f"bhi{j}", into=lines)
                lines += [f"regk += rw{k} * ({kk})", f"regi += rw{k} * ({fl})"]
                grad.append(f"rw{k} * ({s}) * br{j}")
            lines.append(f"accg{j} = accg{j} / D + {' + '.join(grad) or '0.0'}")
        return lines


def _box_lines(net: Any, em: AffineEmitter, point: PointEmitter, radius_slack: float
               ) -> list[str]:
    lines = []
    for j in range(net.N):
        lines += [f"lo{j} = Plo[q, {j}]", f"hi{j} = Pup[q, {j}]",
                  f"bc{j} = 0.5 * (lo{j} + hi{j})",
                  f"br{j} = 0.5 * (hi{j} - lo{j}) + {radius_slack!r} * (abs(lo{j}) + abs(hi{j}))",
                  f"blo{j} = bc{j} - br{j}", f"bhi{j} = bc{j} + br{j}",
                  f"p{j} = Pc[q, {j}]"]
    return lines + em.hoist + point.hoist_lines() + point.reg_line()


def _finish_lines(net: Any, em: AffineEmitter) -> list[str]:
    N = net.N
    lines = em.regularizer_lines()
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


_KERNEL = '''
ASPECT = {aspect!r}


{jit}
def bound_boxes(Xt, Yt, Plo, Pup, Pc, {rw}, margin, out_lb, out_ub, out_split):
    D = Xt.shape[1]
{prologue}
    for q in prange(Plo.shape[0]):
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


def affine_source(net: Any, loss: Any, margins: StaticMargins) -> str:
    """Source of ``bound_boxes`` (``prange`` over the boxes) for (network, loss).

    Kernel signature: ``(Xt, Yt, Plo, Pup, Pc, rw0, rw1, ..., margin, out_lb, out_ub,
    out_split)``: data column-wise, boxes ``[Plo, Pup]`` (B, N), one candidate point per
    box ``Pc`` (B, N), the regularizer weights; writes the certified lower bound of the
    regularized risk over each box, the risk at the candidate and the suggested split
    coordinate (-1 when none).
    """
    point = PointEmitter(net)
    point_lines = point.read_lines() + point.node_lines() + point.loss_lines(loss)
    em = AffineEmitter(net, margins)
    em.network()
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
    box = _box_lines(net, em, point, margins.radius_slack)
    return header("affine", net, loss) + _KERNEL.format(
        aspect=ASPECT, jit=JIT, rw=regularizer_args(), prologue=indent(em.column_lines(), 1),
        box=indent(box, 2), acc_init=indent(acc_init, 2), body=indent(body, 3),
        finish=indent(_finish_lines(net, em), 2))
