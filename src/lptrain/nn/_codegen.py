"""Generated numba kernels specialized to one network and loss.

For a network and a loss this module writes Python source in which every node
computation is unrolled with its constants inlined, the activation and the loss inlined,
and compiles it with ``@njit(parallel=True, fastmath=FASTMATH, cache=True)``:
``prange`` runs over parameter vectors φ (explicit rows, or generated from grid indices)
and a tight inner loop runs over the data, stored column-wise (one contiguous array per
input), which LLVM vectorizes.

Fast-math flags: only ``reassoc``, ``contract``, ``nsz`` and ``arcp``. Reassociation lets
LLVM vectorize the sum over the data, ``contract`` fuses multiply-adds (one rounding
instead of two); both change results by a few ulps, so the kernels agree with the numpy
reference to ~1e-13 relative. ``nnan``/``ninf`` (infeasible φ are +inf) and ``afn``
(approximate exp/log/tanh) are not used.

Generated modules are cached in-process and on disk: the source is written atomically to
``$LPTRAIN_CACHE_DIR`` (default ``~/.cache/lptrain/kernels``) under a hash of its text, then
imported from there, so numba's ``cache=True`` reuses the machine code across processes.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

from lptrain.nn.architecture import Network
from lptrain.nn.losses import Loss

__all__ = ["FASTMATH", "CODEGEN_VERSION", "cache_dir", "compile_source", "point_module",
           "point_source", "numba_available"]

FASTMATH = ("reassoc", "contract", "nsz", "arcp")
CODEGEN_VERSION = "1"
#: Loss-matrix kernels compute tiles of this many φ before writing them row-wise.
TILE = 16

_LOCK = threading.Lock()
_MODULES: dict[str, ModuleType] = {}
_POINT: dict[tuple[str, str], ModuleType] = {}


@functools.lru_cache(maxsize=1)
def numba_available() -> bool:
    """True when numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def cache_dir() -> Path:
    """Directory of generated kernel sources (``$LPTRAIN_CACHE_DIR`` or ~/.cache)."""
    env = os.environ.get("LPTRAIN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "lptrain" / "kernels"


def compile_source(source: str) -> ModuleType:
    """Import generated source through the on-disk cache (memoized in-process)."""
    import numba

    key = hashlib.sha256(
        f"{CODEGEN_VERSION}|{numba.__version__}|{source}".encode()).hexdigest()[:24]
    with _LOCK:
        mod = _MODULES.get(key)
        if mod is None:
            path = _write(key, source)
            name = f"lptrain_kernels_{key}"
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
            _MODULES[key] = mod
        return mod


def _write(key: str, source: str) -> Path:
    for base in (cache_dir(), Path(tempfile.gettempdir()) / "lptrain-kernels"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            path = base / f"k_{key}.py"
            if not path.exists() or path.read_text() != source:
                fd, tmp = tempfile.mkstemp(dir=base, suffix=".tmp")
                with os.fdopen(fd, "w") as fh:
                    fh.write(source)
                os.replace(tmp, path)
            return path
        except OSError:
            continue
    raise OSError("no writable directory for generated kernels; set LPTRAIN_CACHE_DIR")


# ----- source generation -------------------------------------------------------------------

def _num(c: float) -> str:
    return f"({c!r})" if c < 0 else repr(c)


class _Emitter:
    """Names and statements of the unrolled point evaluation of one network."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.hoist: dict[tuple[int, float], str] = {}

    def weight(self, p: int, c: float) -> str:
        if p < 0:
            return _num(c)
        if c == 1.0:
            return f"p{p}"
        key = (p, c)
        if key not in self.hoist:
            self.hoist[key] = f"w{len(self.hoist)}"
        return self.hoist[key]

    def hoist_lines(self) -> list[str]:
        return [f"{name} = {_num(c)} * p{p}" for (p, c), name in self.hoist.items()]

    def node_lines(self) -> list[str]:
        net, lines = self.net, []
        for i, v in enumerate(net.nodes):
            nid = net.n_inputs + i
            terms = []
            for src, p, c in v.inputs:
                if p < 0 and c == 0.0:
                    continue
                terms.append(f"z{src}" if p < 0 and c == 1.0 else f"{self.weight(p, c)} * z{src}")
            bp, bc = v.bias
            if bp >= 0 or bc != 0.0:
                terms.append(self.weight(bp, bc))
            expr = " + ".join(terms) if terms else "0.0"
            if v.activation.name == "identity":
                lines.append(f"z{nid} = {expr}")
            else:
                lines.append(f"h{nid} = {expr}")
                lines.append(f"z{nid} = {v.activation.expr(f'h{nid}')}")
        return lines

    def decode_lines(self) -> list[str]:
        N = self.net.n_params
        lines = ["if use_grid:", "    idx = start + q"]
        lines += [f"    p{j} = -1.0 + ((idx >> sh{j}) & mask) * step" for j in range(N)]
        lines += ["else:"] + [f"    p{j} = Phi[q, {j}]" for j in range(N)]
        if N == 0:
            lines = []
        con = self.net.constraint
        if con is None:
            lines.append("feas = True")
        else:
            rows = []
            for a, b in zip(con.A, con.b, strict=True):
                lhs = " + ".join(f"{_num(x)} * p{j}" for j, x in enumerate(a) if x != 0.0)
                rows.append(f"({lhs or '0.0'} <= {b + con.tol!r})")
            lines.append("feas = " + " and ".join(rows))
        return lines

    def reg_line(self) -> str:
        N = self.net.n_params
        if N == 0:
            return "reg = 0.0"
        l1 = " + ".join(f"abs(p{j})" for j in range(N))
        l2 = " + ".join(f"p{j} * p{j}" for j in range(N))
        return f"reg = lam1 * ({l1}) + lam2 * ({l2})"

    def prologue(self, with_y: bool = True) -> list[str]:
        net = self.net
        lines = ["D = Xt.shape[1]", "mask = (1 << bits) - 1", "step = 2.0 / (1 << bits)"]
        lines += [f"sh{j} = bits * {net.n_params - 1 - j}" for j in range(net.n_params)]
        lines += [f"X{i} = Xt[{i}]" for i in range(net.n_inputs)]
        if with_y:
            lines += [f"Y{j} = Yt[{j}]" for j in range(net.m)]
        return lines

    def read_lines(self, with_y: bool = True) -> list[str]:
        lines = [f"z{i} = X{i}[d]" for i in range(self.net.n_inputs)]
        if with_y:
            lines += [f"y{j} = Y{j}[d]" for j in range(self.net.m)]
        return lines


def _indent(lines: list[str], level: int) -> str:
    pad = "    " * level
    return "\n".join(pad + line for line in lines)


_HEADER = """# Generated by lptrain.nn._codegen (version {version}); do not edit.
# network {fingerprint}, loss {loss}
import math
import numpy as np
from numba import njit, prange

FM = set({fastmath!r})
INF = np.inf
"""

_KERNELS = """
@njit(parallel=True, fastmath=FM, cache=True)
def risk(Xt, Yt, Phi, use_grid, bits, start, count, lam1, lam2, out):
{prologue}
    for q in prange(count):
{decode}
        if not feas:
            out[q] = INF
            continue
{hoist}
{reg}
        acc = 0.0
        for d in range(D):
{body}
            acc += ell
        out[q] = acc / D + reg


@njit(parallel=True, fastmath=FM, cache=True)
def argmin(Xt, Yt, bits, start, stop, lam1, lam2, nblocks, best_val, best_idx):
    use_grid = True
    Phi = np.empty((0, 0))
{prologue}
    total = stop - start
    for blk in prange(nblocks):
        lo = total * blk // nblocks
        hi = total * (blk + 1) // nblocks
        best = INF
        besti = -1
        for q in range(lo, hi):
{decode2}
            if not feas:
                continue
{hoist2}
{reg2}
            acc = 0.0
            for d in range(D):
{body2}
                acc += ell
            r = acc / D + reg
            if r < best:
                best = r
                besti = start + q
        best_val[blk] = best
        best_idx[blk] = besti


@njit(parallel=True, fastmath=FM, cache=True)
def loss_matrix(Xt, Yt, Phi, use_grid, bits, start, count, out):
{prologue}
    ntile = (count + {tile} - 1) // {tile}
    for t in prange(ntile):
        q0 = t * {tile}
        q1 = min(q0 + {tile}, count)
        buf = np.empty(({tile}, D))
        for q in range(q0, q1):
{decode2}
{hoist2}
            row = buf[q - q0]
            for d in range(D):
{body2}
                row[d] = ell
        for d in range(D):
            for q in range(q0, q1):
                out[d, q] = buf[q - q0, d]
"""

_FORWARD = """
@njit(parallel=True, fastmath=FM, cache=True)
def forward(Xt, Phi, use_grid, bits, start, count, out):
{prologue_x}
    for q in prange(count):
{decode}
{hoist}
        for d in range(D):
{body_x}
{store}
"""


def point_source(net: Network, loss: Loss | None) -> str:
    """Source of the kernels ``risk``, ``argmin`` and ``loss_matrix`` for (network, loss),
    or of ``forward`` alone when loss is None."""
    em = _Emitter(net)
    nodes = em.node_lines()
    zs = [f"z{o}" for o in net.outputs]
    ys = [f"y{j}" for j in range(net.m)]
    decode = em.decode_lines()
    text = _HEADER.format(version=CODEGEN_VERSION, fingerprint=net.fingerprint,
                          loss=loss.name if loss else "none", fastmath=sorted(FASTMATH))
    if loss is None:
        store = [f"out[q, d, {j}] = {z}" for j, z in enumerate(zs)]
        return text + _FORWARD.format(
            prologue_x=_indent(em.prologue(False), 1), decode=_indent(decode, 2),
            hoist=_indent(em.hoist_lines() or ["pass"], 2),
            body_x=_indent(em.read_lines(with_y=False) + nodes, 3), store=_indent(store, 3))
    body = em.read_lines() + nodes + loss.source(zs, ys, "ell")
    hoist = em.hoist_lines() or ["pass"]
    return text + _KERNELS.format(
        prologue=_indent(em.prologue(), 1),
        decode=_indent(decode, 2), decode2=_indent(decode, 3),
        hoist=_indent(hoist, 2), hoist2=_indent(hoist, 3),
        reg=_indent([em.reg_line()], 2), reg2=_indent([em.reg_line()], 3),
        body=_indent(body, 3), body2=_indent(body, 4), tile=TILE)


def point_module(net: Network, loss: Loss | None) -> ModuleType:
    """The compiled kernel module for (network, loss) (forward only when loss is None),
    from the caches when possible."""
    key = (net.fingerprint, loss.name if loss is not None else "")
    mod = _POINT.get(key)
    if mod is None:
        mod = _POINT[key] = compile_source(point_source(net, loss))
    return mod
