"""Sound interval bounds of node values, outputs, losses and the empirical risk over boxes
of parameters (and optionally of data and labels) — the bounding step of a-posteriori
certificates (SPEC §4, "an a-posteriori bound ... interval bounds of the loss over boxes").

Each node's affine computation is bounded with interval arithmetic (a product of
intervals takes the min/max of the four corner products) and each activation by its
component's enclosure (``a([l, u]) = [a(l), a(u)]`` for the monotone ones, all of them).
Rounding is accounted for: each node's bounds are widened by ``2.5 (k+3) u S_v``
(u = 2**-53, k terms, ``S_v`` a static bound of the sum of the term magnitudes over
``[-1, 1]`` data and parameters), which covers both the rounding of the bounds themselves
and that of any evaluation of the network in a different order (fused multiply-adds
included); inexact activation values (from libm, e.g. tanh) are widened by a few
ulps more (:mod:`lptrain.kernels.margins`). Hence every value computed by
:mod:`lptrain.nn.evaluate` for a
point of the box lies inside the bounds. Boxes must lie inside ``[-1, 1]`` (the paper's
domain), which the static bounds assume.

``backend="numba"`` runs a kernel generated with the same machinery as the point kernels
(boxes of φ, exact data); ``"numpy"`` also accepts boxes of data and labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain import kernels
from lptrain._validation import check_array, check_unit_box
from lptrain.components import Loss, Regularizer, get_loss, get_regularizer
from lptrain.errors import InvalidInputError
from lptrain.kernels.interval import interval_source
from lptrain.kernels.margins import loss_magnitude, loss_slack, node_slack
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import check_data, resolve_backend

__all__ = ["check_boxes", "node_intervals", "forward_interval", "loss_interval", "risk_interval"]

_U = 2.0**-53
# Boxes per numpy block: about 2**25 floats of node bounds alive at once.
_NUMPY_CELLS = 2**25


def check_boxes(net: Network, phi_lo: Any, phi_hi: Any, names: tuple[str, str] = (
        "phi_lo", "phi_hi")) -> tuple[np.ndarray, np.ndarray]:
    """Check a batch of parameter boxes: shapes (B, N) alike, lo <= hi, inside [-1, 1].

    Returns C-contiguous float arrays; ``names`` are the argument names for the messages.
    """
    a, b = names
    lo = np.atleast_2d(check_array(a, phi_lo, ndim=(1, 2), allow_empty=net.N == 0))
    hi = np.atleast_2d(check_array(b, phi_hi, ndim=(1, 2), allow_empty=net.N == 0))
    if lo.shape != hi.shape or lo.shape[1] != net.N:
        raise InvalidInputError(f"{a} and {b} must both have shape (B, N={net.N}); "
                                f"got {lo.shape} and {hi.shape}")
    if (lo > hi).any():
        row, col = np.argwhere(lo > hi)[0]
        raise InvalidInputError(f"{a} > {b} in box {row} (parameter {col})")
    check_unit_box(a, lo)
    check_unit_box(b, hi)
    return np.ascontiguousarray(lo), np.ascontiguousarray(hi)


def _data_box(name: str, lo: np.ndarray, hi: Any) -> np.ndarray:
    check_unit_box(name, lo)
    if hi is None:
        return lo
    h = check_array(f"{name}_hi", hi, ndim=2)
    if h.shape != lo.shape or (lo > h).any():
        raise InvalidInputError(f"{name}_hi must have the shape of {name} {lo.shape} and "
                                f"{name} <= {name}_hi")
    check_unit_box(f"{name}_hi", h)
    return h


def _weight(lo: np.ndarray, hi: np.ndarray, p: int, c: float
            ) -> tuple[np.ndarray | float, np.ndarray | float]:
    if p < 0:
        return c, c
    a, b = c * lo[:, p, None], c * hi[:, p, None]
    return (a, b) if c >= 0 else (b, a)


def _mul(al: Any, ah: Any, bl: Any, bh: Any) -> tuple[Any, Any]:
    p1, p2, p3, p4 = al * bl, al * bh, ah * bl, ah * bh
    return (np.minimum(np.minimum(p1, p2), np.minimum(p3, p4)),
            np.maximum(np.maximum(p1, p2), np.maximum(p3, p4)))


def node_intervals(network: Network, X: Any, phi_lo: Any, phi_hi: Any, *,
                   X_hi: Any = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bounds ``(lo, hi)`` of every node (each broadcastable to (B, D)) for the boxes
    ``[phi_lo, phi_hi]`` (B, N) and data X (D, n) (or data boxes ``[X, X_hi]``).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> lo, hi = node_intervals(dense([1, 1]), [[0.5]], [[0.0, 0.0]], [[1.0, 0.5]])[-1]
    >>> float(lo[0, 0]) <= 0.0 and float(hi[0, 0]) >= 1.0
    True
    """
    Xl, _ = check_data(network, X)
    Xh = _data_box("X", Xl, X_hi)
    plo, phi = check_boxes(network, phi_lo, phi_hi)
    slack, act_slack = node_slack(network)
    vals: list[tuple[Any, Any]] = [(Xl[:, i][None, :], Xh[:, i][None, :])
                                   for i in range(network.n)]
    for i, v in enumerate(network.nodes):
        lo_acc: Any = 0.0
        hi_acc: Any = 0.0
        for src, p, c in v.inputs:
            wl, wh = _weight(plo, phi, p, c)
            tl, th = _mul(wl, wh, *vals[src])
            lo_acc, hi_acc = lo_acc + tl, hi_acc + th
        bl, bh = _weight(plo, phi, *v.bias)
        s = slack[i]
        with np.errstate(all="ignore"):
            lo_v, hi_v = v.activation.interval(np.asarray(lo_acc + bl - s, dtype=np.float64),
                                               np.asarray(hi_acc + bh + s, dtype=np.float64))
        vals.append((np.asarray(lo_v) - act_slack[i], np.asarray(hi_v) + act_slack[i]))
    return vals


def forward_interval(network: Network, X: Any, phi_lo: Any, phi_hi: Any, *,
                     X_hi: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the outputs → two arrays (B, D, m).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> lo, hi = forward_interval(dense([1, 1]), [[1.0]], [[0.0, 0.0]], [[0.5, 0.5]])
    >>> round(float(lo[0, 0, 0]), 12), round(float(hi[0, 0, 0]), 12)
    (0.0, 1.0)
    """
    vals = node_intervals(network, X, phi_lo, phi_hi, X_hi=X_hi)
    shape = (np.atleast_2d(np.asarray(phi_lo)).shape[0], np.asarray(X).shape[0])
    lo = np.stack([np.broadcast_to(vals[o][0], shape) for o in network.outputs], axis=-1)
    hi = np.stack([np.broadcast_to(vals[o][1], shape) for o in network.outputs], axis=-1)
    return lo, hi


def loss_interval(network: Network, loss: str | Loss, X: Any, Y: Any, phi_lo: Any,
                  phi_hi: Any, *, X_hi: Any = None, Y_hi: Any = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``ℓ(f(x_d, φ), y_d)`` over every box → two arrays (B, D).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> lo, hi = loss_interval(dense([1, 1]), "abs", [[1.0]], [[0.0]], [[0.0, 0.0]],
    ...                        [[0.5, 0.5]])
    >>> round(float(lo[0, 0]), 12), round(float(hi[0, 0]), 12)
    (0.0, 1.0)
    """
    lo_ = get_loss(loss)
    Xl, Yl = check_data(network, X, Y)
    assert Yl is not None
    Yh = _data_box("Y", Yl, Y_hi)
    vals = node_intervals(network, Xl, phi_lo, phi_hi, X_hi=X_hi)
    zl = [vals[o][0] for o in network.outputs]
    zh = [vals[o][1] for o in network.outputs]
    yl = [Yl[:, j][None, :] for j in range(network.m)]
    yh = [Yh[:, j][None, :] for j in range(network.m)]
    with np.errstate(all="ignore"):
        low, high = lo_.interval(zl, zh, yl, yh)
    s = loss_slack(network, lo_)
    shape = (np.atleast_2d(np.asarray(phi_lo)).shape[0], Xl.shape[0])
    return (np.broadcast_to(low - s, shape).copy(), np.broadcast_to(high + s, shape).copy())


def risk_interval(network: Network, loss: str | Loss, X: Any, Y: Any, phi_lo: Any,
                  phi_hi: Any, regularizer: str | Regularizer | None = None, *,
                  backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the empirical risk ``(1/D) Σ_d ℓ(f(x_d, φ), y_d) + λR(φ)`` over each box
    ``[phi_lo_b, phi_hi_b]`` → two arrays (B,).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> lo, hi = risk_interval(dense([1, 1]), "abs", [[1.0], [0.0]], [0.0, 0.0],
    ...                        [[0.0, 0.0]], [[0.5, 0.5]], backend="numpy")
    >>> round(float(lo[0]), 12), round(float(hi[0]), 12)
    (0.0, 0.75)
    """
    lo_, reg = get_loss(loss), get_regularizer(regularizer)
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    check_unit_box("X", Xa)
    check_unit_box("Y", Ya)
    plo, phi = check_boxes(network, phi_lo, phi_hi)
    D = Xa.shape[0]
    mean_slack = 2.5 * (D + 2) * _U * loss_magnitude(network, lo_)
    if resolve_backend(backend) == "numba":
        out_lo, out_hi = np.empty(plo.shape[0]), np.empty(plo.shape[0])
        kernels.compile_source(interval_source(network, lo_)).risk_interval(
            np.ascontiguousarray(Xa.T), np.ascontiguousarray(Ya.T), plo, phi, out_lo, out_hi)
    else:
        out_lo, out_hi = np.empty(plo.shape[0]), np.empty(plo.shape[0])
        step = max(1, _NUMPY_CELLS // (D * (network.n_nodes + 4)))
        for b0 in range(0, plo.shape[0], step):
            low, high = loss_interval(network, lo_, Xa, Ya, plo[b0:b0 + step],
                                      phi[b0:b0 + step])
            out_lo[b0:b0 + step] = low.sum(axis=1) / D
            out_hi[b0:b0 + step] = high.sum(axis=1) / D
    out_lo, out_hi = out_lo - mean_slack, out_hi + mean_slack
    if reg is not None:
        r_lo, r_hi = reg.interval(plo, phi)
        r_s = reg.interval_slack(network.N)
        out_lo, out_hi = out_lo + r_lo - r_s, out_hi + r_hi + r_s
    return out_lo, out_hi
