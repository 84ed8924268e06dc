"""The interval-risk kernel: for every box of parameters, the mean over the data of the
loss bounds (exact data; the slack of the mean and the regularizer are the caller's).

Node by node: the affine sum with interval products (a parameter weight's interval times
the source's), widened by the static slack of :func:`lptrain.kernels.margins.node_slack`,
then the activation's own interval enclosure (monotone: its values at the ends), then the
loss's interval bound, all from the components' definitions. See
:mod:`lptrain.nn.intervals` for the reasoning.
"""

from __future__ import annotations

from typing import Any

from lptrain.kernels._emit import Emitter, header, indent, num
from lptrain.kernels.margins import loss_slack, node_slack
from lptrain.kernels.point import JIT

__all__ = ["interval_source", "IntervalEmitter"]


class IntervalEmitter(Emitter):
    """Statements bounding every node value over a box of φ for one data point."""

    def __init__(self, net: Any) -> None:
        super().__init__(net, "_i")
        self.hoist: list[str] = []
        self.names: dict[tuple[int, float], tuple[str, str]] = {}

    def bounds(self, v: int) -> tuple[str, str]:
        return (f"z{v}", f"z{v}") if v < self.net.n_inputs else (f"l{v}", f"u{v}")

    def weight(self, p: int, c: float) -> tuple[str, str]:
        key = (p, c)
        if key not in self.names:
            if c == 1.0:
                self.names[key] = (f"pl{p}", f"pu{p}")
            else:
                k = len(self.names)
                lo, hi = (f"pl{p}", f"pu{p}") if c >= 0 else (f"pu{p}", f"pl{p}")
                self.hoist += [f"wl{k} = {num(c)} * {lo}", f"wh{k} = {num(c)} * {hi}"]
                self.names[key] = (f"wl{k}", f"wh{k}")
        return self.names[key]

    def term(self, src: int, p: int, c: float) -> list[str]:
        zl, zh = self.bounds(src)
        point = src < self.net.n_inputs
        if p < 0:
            if point:
                return [f"m1 = {num(c)} * {zl}", "sl += m1", "sh += m1"]
            lo, hi = (zl, zh) if c >= 0 else (zh, zl)
            return [f"sl += {num(c)} * {lo}", f"sh += {num(c)} * {hi}"]
        wl, wh = self.weight(p, c)
        if point:
            return [f"m1 = {wl} * {zl}", f"m2 = {wh} * {zl}", "sl += min(m1, m2)",
                    "sh += max(m1, m2)"]
        return [f"m1 = {wl} * {zl}", f"m2 = {wl} * {zh}", f"m3 = {wh} * {zl}",
                f"m4 = {wh} * {zh}", "sl += min(min(m1, m2), min(m3, m4))",
                "sh += max(max(m1, m2), max(m3, m4))"]

    def node_lines(self) -> list[str]:
        net = self.net
        slack, act_slack = node_slack(net)
        for i, v in enumerate(net.nodes):
            nid = net.n_inputs + i
            self.lines += ["sl = 0.0", "sh = 0.0"]
            for src, p, c in v.inputs:
                self.lines += self.term(src, p, c)
            bp, bc = v.bias
            if bp >= 0:
                bl, bh = self.weight(bp, bc)
                self.lines += [f"sl += {bl}", f"sh += {bh}"]
            elif bc != 0.0:
                self.lines += [f"sl += {num(bc)}", f"sh += {num(bc)}"]
            self.lines += [f"hl{nid} = sl - {slack[i]!r}", f"hh{nid} = sh + {slack[i]!r}"]
            lo, hi = self.fragment(v.activation.interval, f"hl{nid}", f"hh{nid}")
            a = act_slack[i]
            tail_l, tail_h = (f" - {a!r}", f" + {a!r}") if a else ("", "")
            self.lines += [f"l{nid} = {lo}{tail_l}", f"u{nid} = {hi}{tail_h}"]
        return self.lines

    def loss_lines(self, loss: Any) -> list[str]:
        """``el``, ``eh``: the loss bounds of this data point (exact labels ``y{j}``)."""
        outs = [self.bounds(o) for o in self.net.outputs]
        ys = [f"y{j}" for j in range(self.net.m)]
        lines: list[str] = []
        el, eh = self.fragment(loss.interval, [lo for lo, _ in outs], [hi for _, hi in outs],
                               ys, ys, into=lines)
        return lines + [f"el = {el}", f"eh = {eh}"]


_TEMPLATE = """
{jit}
def risk_interval(Xt, Yt, Plo, Pup, out_lo, out_hi):
    D = Xt.shape[1]
{prologue}
    for q in prange(Plo.shape[0]):
{params}
        accl = 0.0
        acch = 0.0
        for d in range(D):
{body}
            accl += el - {ls!r}
            acch += eh + {ls!r}
        out_lo[q] = accl / D
        out_hi[q] = acch / D
"""


def interval_source(net: Any, loss: Any) -> str:
    """Source of the kernel ``risk_interval(Xt, Yt, Plo, Pup, out_lo, out_hi)``: the mean
    over the data of the loss bounds of each box."""
    em = IntervalEmitter(net)
    nodes = em.node_lines()
    body = em.read_lines() + nodes + em.loss_lines(loss)
    params = [line for j in range(net.N)
              for line in (f"pl{j} = Plo[q, {j}]", f"pu{j} = Pup[q, {j}]")]
    return header("interval", net, loss) + _TEMPLATE.format(
        jit=JIT, prologue=indent(em.column_lines(), 1), params=indent(params + em.hoist, 2),
        body=indent(body, 3), ls=loss_slack(net, loss))
