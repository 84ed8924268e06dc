"""Rounding slack of the interval bounds and the generated interval-risk kernel.

The slack constants are static (they depend on the network and loss only, through the
value bounds ``B_v`` of :func:`lptrain.nn.lipschitz.node_bounds` over the unit box), so the
kernel adds them at no cost. See :mod:`lptrain.nn.intervals` for the reasoning.
"""

from __future__ import annotations

import math

import numpy as np

from lptrain.nn._codegen import CODEGEN_VERSION, FASTMATH
from lptrain.nn.architecture import Network
from lptrain.nn.lipschitz import node_bounds
from lptrain.nn.losses import Loss

__all__ = ["node_slack", "loss_slack", "loss_magnitude", "interval_source"]

_U = 2.0**-53


def node_slack(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Per computed node: slack of the affine sum and of the activation value."""
    B = node_bounds(net)
    slack = np.zeros(len(net.nodes))
    act = np.zeros(len(net.nodes))
    for i, v in enumerate(net.nodes):
        s = sum(abs(c) * B[u] for u, _, c in v.inputs) + abs(v.bias[1])
        slack[i] = 2.5 * (len(v.inputs) + 3) * _U * s
        if not v.activation.exact:
            act[i] = 16.0 * _U * max(1.0, s)
    return slack, act


def _out_bounds(net: Network) -> np.ndarray:
    B = node_bounds(net)
    return np.asarray([B[o] * (1.0 + 1e-12) for o in net.outputs])


def loss_magnitude(net: Network, loss: Loss) -> float:
    """Static bound of ``|ℓ(f(x, φ), y)|`` over the unit box."""
    Bo, m = _out_bounds(net), net.m
    return float({
        "abs": (Bo + 1.0).sum(),
        "quadratic": ((Bo + 1.0) ** 2).sum(),
        "hinge": 1.0 + Bo.sum(),
        "cross_entropy": m * (2.0 * Bo.max() + math.log(m) + 1.0),
        "hamming": float(m),
    }[loss.name])


def loss_slack(net: Network, loss: Loss) -> float:
    """Rounding slack added to the loss bounds."""
    m = net.m
    if loss.name == "hamming":
        return 0.0
    k = {"abs": 2 * m + 2, "quadratic": 3 * m + 2, "hinge": 2 * m + 2}.get(loss.name)
    if k is None:  # cross-entropy: exp/log are accurate to a few ulps
        return 16.0 * (m + 4) * _U * loss_magnitude(net, loss) + 64.0 * _U
    return 2.5 * k * _U * loss_magnitude(net, loss)


def _num(c: float) -> str:
    return f"({c!r})" if c < 0 else repr(c)


class _IntervalEmitter:
    def __init__(self, net: Network) -> None:
        self.net = net
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
                self.hoist += [f"wl{k} = {_num(c)} * {lo}", f"wh{k} = {_num(c)} * {hi}"]
                self.names[key] = (f"wl{k}", f"wh{k}")
        return self.names[key]

    def term(self, src: int, p: int, c: float) -> list[str]:
        zl, zh = self.bounds(src)
        point = src < self.net.n_inputs
        if p < 0:
            if point:
                return [f"m1 = {_num(c)} * {zl}", "sl += m1", "sh += m1"]
            lo, hi = (zl, zh) if c >= 0 else (zh, zl)
            return [f"sl += {_num(c)} * {lo}", f"sh += {_num(c)} * {hi}"]
        wl, wh = self.weight(p, c)
        if point:
            return [f"m1 = {wl} * {zl}", f"m2 = {wh} * {zl}", "sl += min(m1, m2)",
                    "sh += max(m1, m2)"]
        return [f"m1 = {wl} * {zl}", f"m2 = {wl} * {zh}", f"m3 = {wh} * {zl}",
                f"m4 = {wh} * {zh}", "sl += min(min(m1, m2), min(m3, m4))",
                "sh += max(max(m1, m2), max(m3, m4))"]

    def node_lines(self) -> list[str]:
        net, lines = self.net, []
        slack, act_slack = node_slack(net)
        for i, v in enumerate(net.nodes):
            nid = net.n_inputs + i
            lines += ["sl = 0.0", "sh = 0.0"]
            for src, p, c in v.inputs:
                lines += self.term(src, p, c)
            bp, bc = v.bias
            if bp >= 0:
                bl, bh = self.weight(bp, bc)
                lines += [f"sl += {bl}", f"sh += {bh}"]
            elif bc != 0.0:
                lines += [f"sl += {_num(bc)}", f"sh += {_num(bc)}"]
            lines += [f"hl{nid} = sl - {slack[i]!r}", f"hh{nid} = sh + {slack[i]!r}"]
            a = act_slack[i]
            tail_l, tail_h = (f" - {a!r}", f" + {a!r}") if a else ("", "")
            lines += [f"l{nid} = {v.activation.expr(f'hl{nid}')}{tail_l}",
                      f"u{nid} = {v.activation.expr(f'hh{nid}')}{tail_h}"]
        return lines

    def loss_lines(self, loss: Loss) -> list[str]:
        outs = [self.bounds(o) for o in self.net.outputs]
        lines = ["el = 0.0", "eh = 0.0"]
        if loss.name in ("abs", "quadratic"):
            sq = loss.name == "quadratic"
            for j, (L, U) in enumerate(outs):
                lines += [f"dl = {L} - y{j}", f"dh = {U} - y{j}",
                          "ml = dl if dl > 0.0 else (-dh if dh < 0.0 else 0.0)",
                          "mh = max(-dl, dh)"]
                lines += ["el += ml * ml", "eh += mh * mh"] if sq else ["el += ml", "eh += mh"]
        elif loss.name == "hinge":
            lines += ["dl = 0.0", "dh = 0.0"]
            for j, (L, U) in enumerate(outs):
                lines += [f"m1 = {L} * y{j}", f"m2 = {U} * y{j}", "dl += min(m1, m2)",
                          "dh += max(m1, m2)"]
            lines += ["el = max(1.0 - dh, 0.0)", "eh = max(1.0 - dl, 0.0)"]
        elif loss.name == "hamming":
            for j, (L, U) in enumerate(outs):
                lines += [f"el += 1.0 if ({U} < y{j} or y{j} < {L}) else 0.0",
                          f"eh += 0.0 if ({L} == {U} and {L} == y{j}) else 1.0"]
        else:
            for j in range(len(outs)):
                lines += self._softmax_term(outs, j)
        return lines

    def _softmax_term(self, outs: list[tuple[str, str]], j: int) -> list[str]:
        lines = []
        for tag, (a, b) in (("tl", (0, 1)), ("th", (1, 0))):
            args = [f"({outs[i][a]} - {outs[j][b]})" for i in range(len(outs)) if i != j]
            lines.append(f"mx = max(0.0, {', '.join(args)})" if len(args) > 1 else
                         f"mx = max(0.0, {args[0]})" if args else "mx = 0.0")
            terms = " + ".join(f"math.exp({x} - mx)" for x in args)
            lines.append(f"{tag} = mx + math.log(math.exp(-mx){' + ' + terms if terms else ''})")
        lines += [f"el += y{j} * tl if y{j} >= 0.0 else y{j} * th",
                  f"eh += y{j} * th if y{j} >= 0.0 else y{j} * tl"]
        return lines


_TEMPLATE = """# Generated by lptrain.nn._interval_source (version {version}); do not edit.
# network {fingerprint}, loss {loss}
import math
import numpy as np
from numba import njit, prange

FM = set({fastmath!r})


@njit(parallel=True, fastmath=FM, cache=True)
def risk_interval(Xt, Yt, Plo, Pup, out_lo, out_hi):
    D = Xt.shape[1]
{prologue}
    for q in prange(Plo.shape[0]):
{params}
{hoist}
        accl = 0.0
        acch = 0.0
        for d in range(D):
{body}
            accl += el - {ls!r}
            acch += eh + {ls!r}
        out_lo[q] = accl / D
        out_hi[q] = acch / D
"""


def interval_source(net: Network, loss: Loss) -> str:
    """Source of the kernel ``risk_interval(Xt, Yt, Plo, Pup, out_lo, out_hi)``: the mean
    over the data of the loss bounds of each box (exact data; slack of the mean and the
    regularizer are added by the caller)."""
    em = _IntervalEmitter(net)
    nodes = em.node_lines()
    body = ([f"z{i} = X{i}[d]" for i in range(net.n_inputs)]
            + [f"y{j} = Y{j}[d]" for j in range(net.m)] + nodes + em.loss_lines(loss))
    prologue = ([f"X{i} = Xt[{i}]" for i in range(net.n_inputs)]
                + [f"Y{j} = Yt[{j}]" for j in range(net.m)])
    params = [line for j in range(net.N)
              for line in (f"pl{j} = Plo[q, {j}]", f"pu{j} = Pup[q, {j}]")] or ["pass"]
    pad = {k: "\n".join(" " * k + s for s in lines) for k, lines in
           ((4, prologue), (8, params + (em.hoist or ["pass"])), (12, body))}
    return _TEMPLATE.format(version=CODEGEN_VERSION, fingerprint=net.fingerprint,
                            loss=loss.name, fastmath=sorted(FASTMATH), prologue=pad[4],
                            params=pad[8], hoist="", body=pad[12], ls=loss_slack(net, loss))
