"""Point kernels: ``risk``, ``argmin`` and ``loss_matrix`` for (network, loss), or
``forward`` alone (the hot loop of §3.2 and §3.4).

Every node computation is unrolled with its constants inlined, the activation and the
loss inlined from their components' definitions, compiled with
``@njit(parallel=True, fastmath=FASTMATH, cache=True, error_model="numpy")``: ``prange``
runs over parameter vectors φ (explicit rows, or decoded from grid indices) and a tight
inner loop over the data, stored column-wise (one contiguous array per input), which
LLVM vectorizes. ``reassoc`` lets LLVM vectorize the sum over the data and ``contract``
fuses multiply-adds (one rounding instead of two): results agree with the numpy
reference to ~1e-13 relative. ``error_model="numpy"``: a division by zero gives inf/nan
as in numpy instead of raising (the component definitions evaluate both branches of a
``where`` when numpy does).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from lptrain.kernels._compile import compile_source
from lptrain.kernels._emit import PointEmitter, header, indent, regularizer_args

__all__ = ["point_source", "point_module", "TILE", "JIT"]

#: Loss-matrix kernels compute tiles of this many φ before writing them row-wise.
TILE = 16
#: The decorator of every parallel kernel.
JIT = '@njit(parallel=True, fastmath=FM, cache=True, error_model="numpy")'

_POINT: dict[tuple[str, str], ModuleType] = {}

_KERNELS = """
{jit}
def risk(Xt, Yt, Phi, use_grid, bits, start, count, {rw}, out):
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


{jit}
def argmin(Xt, Yt, bits, start, stop, {rw}, nblocks, best_val, best_idx):
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


{jit}
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
{jit}
def forward(Xt, Phi, use_grid, bits, start, count, out):
{prologue_x}
    for q in prange(count):
{decode}
{hoist}
        for d in range(D):
{body_x}
{store}
"""


def point_source(net: Any, loss: Any) -> str:
    """Source of the kernels ``risk``, ``argmin`` and ``loss_matrix`` for (network, loss),
    or of ``forward`` alone when loss is None. The regularizer weights are run-time
    arguments ``rw0, rw1, ...`` (one per registered regularizer, see
    :attr:`~lptrain.components.Regularizer.weights`).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> src = point_source(dense([1, 1]), None)
    >>> print(src[src.index("for d in range(D):"):].strip())
    for d in range(D):
                z0 = X0[d]
                z1 = p0 * z0 + p1
                out[q, d, 0] = z1
    """
    em = PointEmitter(net)
    nodes = em.node_lines()
    zs = [f"z{o}" for o in net.outputs]
    decode = em.decode_lines()
    text = header("point", net, loss)
    if loss is None:
        store = [f"out[q, d, {j}] = {z}" for j, z in enumerate(zs)]
        return text + _FORWARD.format(
            jit=JIT, prologue_x=indent(em.prologue(False), 1), decode=indent(decode, 2),
            hoist=indent(em.hoist_lines(), 2),
            body_x=indent(em.read_lines(with_y=False) + nodes, 3), store=indent(store, 3))
    body = em.read_lines() + nodes + em.loss_lines(loss)
    hoist = em.hoist_lines()
    reg = em.reg_line()
    return text + _KERNELS.format(
        jit=JIT, rw=regularizer_args(), prologue=indent(em.prologue(), 1),
        decode=indent(decode, 2), decode2=indent(decode, 3),
        hoist=indent(hoist, 2), hoist2=indent(hoist, 3),
        reg=indent(reg, 2), reg2=indent(reg, 3),
        body=indent(body, 3), body2=indent(body, 4), tile=TILE)


def point_module(net: Any, loss: Any) -> ModuleType:
    """The compiled kernel module for (network, loss) (forward only when loss is None),
    from the caches when possible (keyed by the network's fingerprint and the loss's
    spec, parameter included)."""
    key = (net.fingerprint, loss.spec if loss is not None else "")
    mod = _POINT.get(key)
    if mod is None:
        mod = _POINT[key] = compile_source(point_source(net, loss))
    return mod
