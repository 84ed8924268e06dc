"""Pure-numpy evaluation of a network on a block of parameter vectors × data points.

The reference (and fallback) implementation behind :mod:`lptrain.nn.evaluate`: a loop over
the nodes (small), each vectorized over the (P, D) block. The order of floating-point
operations per node matches the generated kernels (edges in order, then the bias), so
both agree to rounding (the kernels may fuse multiply-adds and reassociate sums).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from lptrain.components import Loss
from lptrain.nn.architecture import Network

__all__ = ["node_values", "forward_block", "loss_block", "live_nodes"]


@lru_cache(maxsize=256)
def _last_use(net: Network) -> tuple[int, ...]:
    last = list(range(net.n_nodes))
    for i, v in enumerate(net.nodes):
        for u, _, _ in v.inputs:
            last[u] = net.n_inputs + i
    for o in net.outputs:
        last[o] = net.n_nodes
    return tuple(last)


def live_nodes(net: Network) -> int:
    """Largest number of node arrays alive at once (sizes the memory chunks)."""
    last = _last_use(net)
    alive = peak = 0
    ends = np.bincount(np.minimum(last, net.n_nodes), minlength=net.n_nodes + 1)
    for v in range(net.n_nodes):
        alive += 1
        peak = max(peak, alive)
        alive -= int(ends[v])
    return peak + 2


def _weight(phi: np.ndarray, p: int, c: float) -> np.ndarray | float:
    if p < 0:
        return c
    col = phi[:, p, None]
    return col if c == 1.0 else c * col


def node_values(net: Network, X: np.ndarray, phi: np.ndarray) -> list[np.ndarray | None]:
    """Values of every node for data X (D, n) and parameters phi (P, N).

    Entry v is broadcastable to (P, D) (inputs are (1, D)); nodes no longer needed by a
    later node or an output are released (None).
    """
    n = net.n_inputs
    last = _last_use(net)
    vals: list[np.ndarray | None] = [X[:, i][None, :] for i in range(n)]
    for i, node in enumerate(net.nodes):
        acc: np.ndarray | None = None
        for src, p, c in node.inputs:
            z = vals[src]
            assert z is not None
            if p < 0 and c == 0.0:
                continue
            term = z * _weight(phi, p, c) if (p >= 0 or c != 1.0) else z
            acc = term if acc is None else acc + term
        bp, bc = node.bias
        if bp >= 0 or bc != 0.0:
            b = _weight(phi, bp, bc)
            acc = acc + b if acc is not None else np.broadcast_to(np.asarray(b), (1, 1)) + 0.0
        if acc is None:
            acc = np.zeros((1, 1))
        vals.append(node.activation(acc))
        for u, _, _ in node.inputs:
            if last[u] == n + i:
                vals[u] = None
    return vals


def forward_block(net: Network, X: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Outputs f(x, φ) for every φ row and data row → (P, D, m)."""
    vals = node_values(net, X, phi)
    shape = (phi.shape[0], X.shape[0])
    return np.stack([np.broadcast_to(np.asarray(vals[o]), shape) for o in net.outputs],
                    axis=-1)


def loss_block(net: Network, loss: Loss, X: np.ndarray, Y: np.ndarray,
               phi: np.ndarray) -> np.ndarray:
    """``ℓ(f(x_d, φ_p), y_d)`` → (P, D)."""
    vals = node_values(net, X, phi)
    zs = [vals[o] for o in net.outputs]
    ys = [Y[:, j][None, :] for j in range(Y.shape[1])]
    out = loss.columns([z for z in zs if z is not None], ys)
    return np.broadcast_to(out, (phi.shape[0], X.shape[0]))
