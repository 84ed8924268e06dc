"""Batched evaluation: ``f(x, φ)``, ``ℓ(f(x, φ), y)`` and the empirical risk for many
parameter vectors at once (the hot loop of §3.2 and §3.4).

φ is given either as an explicit array (P, N) of free parameters or as a
:class:`~lptrain.discretize.GridRange` of mixed-radix grid indices, which the kernels
decode themselves (nothing of the grid's size is materialized). Data X (D, n) and labels
Y (D, m) are explicit.

Two backends compute the same numbers: ``"numba"`` runs kernels generated for the network
(:mod:`lptrain.kernels.point`) on every core; ``"numpy"`` is a pure-numpy fallback chunked
to ``max_memory`` bytes. ``"auto"`` (the default, or ``$LPTRAIN_BACKEND``) picks numba when
it is installed. The two agree to ~1e-13 relative (fused multiply-adds, summation order).
Infeasible φ (outside a network's ``Aφ <= b`` constraint) have risk +inf; loss matrices
ignore the constraint.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain import kernels
from lptrain._validation import check_array, check_choice, check_int
from lptrain.components import REGULARIZERS, Loss, Regularizer, get_loss, get_regularizer
from lptrain.discretize import GridRange, grid_points
from lptrain.errors import InvalidInputError
from lptrain.nn._numpy_eval import forward_block, live_nodes, loss_block
from lptrain.nn.architecture import Network

__all__ = ["forward", "loss_matrix", "empirical_risk", "grid_risk", "grid_argmin",
           "GridArgmin", "resolve_backend", "check_data", "check_phi", "DEFAULT_MAX_MEMORY",
           "regularizer_weights"]

#: Default working-memory budget of the numpy backend (bytes).
DEFAULT_MAX_MEMORY = 256 * 2**20
PhiArg = Any  # array-like (P, N) or GridRange


def resolve_backend(backend: str = "auto") -> str:
    """``"numba"`` or ``"numpy"`` for a requested backend (``"auto"`` honours
    ``$LPTRAIN_BACKEND`` and falls back to numpy when numba is missing).

    Examples
    --------
    >>> resolve_backend("numpy")
    'numpy'
    """
    choice = check_choice("backend", backend, ("auto", "numba", "numpy"))
    if choice == "auto":
        choice = os.environ.get("LPTRAIN_BACKEND", "auto")
        if choice not in ("numba", "numpy"):
            choice = "numba" if kernels.numba_available() else "numpy"
    if choice == "numba" and not kernels.numba_available():
        raise InvalidInputError("backend='numba' needs numba: pip install 'lptrain[fast]'")
    return choice


def regularizer_weights(reg: Regularizer | None) -> tuple[float, ...]:
    """The kernels' run-time regularizer arguments (all 0 without a regularizer)."""
    return reg.weights if reg is not None else (0.0,) * len(REGULARIZERS)


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


def check_data(net: Network, X: Any, Y: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate data X (D, n) and labels Y (D, m) (1-D Y allowed when m = 1).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> check_data(dense([2, 1]), np.zeros((4, 3)))
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: X has 3 columns but the network has 2 inputs (n=2)
    """
    Xa = check_array("X", X, ndim=2)
    if Xa.shape[1] != net.n:
        raise InvalidInputError(f"X has {_plural(Xa.shape[1], 'column')} but the network has "
                                f"{_plural(net.n, 'input')} (n={net.n})")
    if Y is None:
        return np.ascontiguousarray(Xa), None
    Ya = check_array("Y", Y, ndim=(1, 2))
    if Ya.ndim == 1 and net.m == 1:
        Ya = Ya[:, None]
    if Ya.ndim == 1 or Ya.shape[1] != net.m:
        cols = 1 if Ya.ndim == 1 else Ya.shape[1]
        raise InvalidInputError(f"Y has {_plural(cols, 'column')} but the network has "
                                f"{_plural(net.m, 'output')} (m={net.m})")
    if Ya.shape[0] != Xa.shape[0]:
        raise InvalidInputError(f"Y has {_plural(Ya.shape[0], 'row')} but X has "
                                f"{Xa.shape[0]} (one label row per data point)")
    return np.ascontiguousarray(Xa), np.ascontiguousarray(Ya)


def check_phi(net: Network, phi: Any) -> np.ndarray:
    """Validate parameter vectors (P, N) (a 1-D φ is one vector).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> check_phi(dense([2, 1]), [0.5, 0.5])
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: phi has 2 columns but the network has 3 free \
parameters (N=3)
    """
    arr = check_array("phi", phi, ndim=(1, 2), allow_empty=net.N == 0)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1) if net.N else arr.reshape(-1, 0)
    if arr.shape[1] != net.N:
        raise InvalidInputError(f"phi has {_plural(arr.shape[1], 'column')} but the network "
                                f"has {_plural(net.N, 'free parameter')} (N={net.N})")
    return np.ascontiguousarray(arr)


def _phi_args(net: Network, phi: PhiArg) -> tuple[np.ndarray, bool, int, int, int]:
    """→ (Phi array, use_grid, bits, start, count) in the kernels' calling convention."""
    if isinstance(phi, GridRange):
        start, stop = phi.resolved(net.N)
        return np.empty((0, net.N)), True, phi.bits, start, stop - start
    arr = check_phi(net, phi)
    return arr, False, 1, 0, arr.shape[0]


def _materialize(net: Network, Phi: np.ndarray, use_grid: bool, bits: int, start: int,
                 count: int) -> np.ndarray:
    return grid_points(net.N, bits, start, start + count) if use_grid else Phi


def _chunks(net: Network, D: int, P: int, max_memory: int | None) -> tuple[int, int]:
    """(data rows, φ rows) per numpy block so that live node arrays fit the budget."""
    budget = max(DEFAULT_MAX_MEMORY if max_memory is None else int(max_memory), 2**16)
    cells = max(budget // (8 * (live_nodes(net) + 4)), 1)
    dc = min(D, cells)
    return max(dc, 1), max(min(P, cells // max(dc, 1)), 1)


def forward(network: Network, X: Any, phi: PhiArg, *, backend: str = "auto",
            max_memory: int | None = None) -> np.ndarray:
    """Network outputs ``f(x_d, φ_p)`` → array (P, D, m).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> net = dense([1, 1], activation="relu")
    >>> forward(net, [[0.5], [-1.0]], [[1.0, 0.25]], backend="numpy")[:, :, 0]
    array([[ 0.75, -0.75]])
    """
    Xa, _ = check_data(network, X)
    Phi, grid, bits, start, count = _phi_args(network, phi)
    D = Xa.shape[0]
    if resolve_backend(backend) == "numba":
        out = np.empty((count, D, network.m))
        kernels.point_module(network, None).forward(
            np.ascontiguousarray(Xa.T), Phi, grid, bits, start, count, out)
        return out
    out = np.empty((count, D, network.m))
    dc, pc = _chunks(network, D, count, max_memory)
    for p0 in range(0, count, pc):
        ph = _materialize(network, Phi[p0:p0 + pc], grid, bits, start + p0,
                          min(pc, count - p0))
        for d0 in range(0, D, dc):
            out[p0:p0 + pc, d0:d0 + dc] = forward_block(network, Xa[d0:d0 + dc], ph)
    return out


def loss_matrix(network: Network, loss: str | Loss, X: Any, Y: Any, phi: PhiArg, *,
                backend: str = "auto", max_memory: int | None = None) -> np.ndarray:
    """``ℓ(f(x_d, φ_p), y_d)`` → C-contiguous array (D, P): row d holds data point d
    against every φ, so the rows of one data point are contiguous (the §3.2 table order).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> from lptrain.discretize import GridRange
    >>> net = dense([1, 1])
    >>> loss_matrix(net, "abs", [[0.5]], [[0.0]], GridRange(1, 0, 4), backend="numpy")
    array([[1.5, 0.5, 1. , 0. ]])
    """
    lo = get_loss(loss)
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    Phi, grid, bits, start, count = _phi_args(network, phi)
    D = Xa.shape[0]
    out = np.empty((D, count))
    if resolve_backend(backend) == "numba":
        kernels.point_module(network, lo).loss_matrix(
            np.ascontiguousarray(Xa.T), np.ascontiguousarray(Ya.T), Phi, grid, bits, start,
            count, out)
        return out
    dc, pc = _chunks(network, D, count, max_memory)
    for p0 in range(0, count, pc):
        ph = _materialize(network, Phi[p0:p0 + pc], grid, bits, start + p0,
                          min(pc, count - p0))
        for d0 in range(0, D, dc):
            out[d0:d0 + dc, p0:p0 + pc] = loss_block(
                network, lo, Xa[d0:d0 + dc], Ya[d0:d0 + dc], ph).T
    return out


def _numpy_risk(net: Network, loss: Loss, X: np.ndarray, Y: np.ndarray, phi: np.ndarray,
                reg: Regularizer | None, max_memory: int | None) -> np.ndarray:
    D, P = X.shape[0], phi.shape[0]
    dc, pc = _chunks(net, D, P, max_memory)
    total = np.zeros(P)
    for p0 in range(0, P, pc):
        for d0 in range(0, D, dc):
            block = loss_block(net, loss, X[d0:d0 + dc], Y[d0:d0 + dc], phi[p0:p0 + pc])
            total[p0:p0 + pc] += block.sum(axis=1)
    risk = total / D
    if reg is not None:
        risk = risk + reg(phi)
    return np.where(net.feasible(phi), risk, np.inf) if net.constraint else risk


def empirical_risk(network: Network, loss: str | Loss, X: Any, Y: Any, phi: PhiArg,
                   regularizer: str | Regularizer | None = None, *, backend: str = "auto",
                   max_memory: int | None = None) -> np.ndarray:
    """Empirical risk ``(1/D) Σ_d ℓ(f(x_d, φ), y_d) + λR(φ)`` for every φ → (P,).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> net = dense([1, 1])
    >>> empirical_risk(net, "quadratic", [[0.5], [1.0]], [0.0, 0.0], [[1.0, 0.0]],
    ...                backend="numpy")
    array([0.625])
    """
    lo, reg = get_loss(loss), get_regularizer(regularizer)
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    Phi, grid, bits, start, count = _phi_args(network, phi)
    if resolve_backend(backend) == "numba":
        out = np.empty(count)
        kernels.point_module(network, lo).risk(
            np.ascontiguousarray(Xa.T), np.ascontiguousarray(Ya.T), Phi, grid, bits, start,
            count, *regularizer_weights(reg), out)
        return out
    ph = _materialize(network, Phi, grid, bits, start, count)
    return _numpy_risk(network, lo, Xa, Ya, ph, reg, max_memory)


def grid_risk(network: Network, loss: str | Loss, X: Any, Y: Any, bits: int, start: int = 0,
              stop: int | None = None, regularizer: str | Regularizer | None = None, *,
              backend: str = "auto", max_memory: int | None = None) -> np.ndarray:
    """Empirical risk of the grid points with indices ``start..stop-1`` (§3.4).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> grid_risk(dense([1, 1]), "abs", [[0.5]], [[0.0]], bits=1, backend="numpy")
    array([1.5, 0.5, 1. , 0. ])
    """
    return empirical_risk(network, loss, X, Y, GridRange(bits, start, stop), regularizer,
                          backend=backend, max_memory=max_memory)


@dataclass(frozen=True)
class GridArgmin:
    """Result of :func:`grid_argmin`: the first grid point of least empirical risk."""

    index: int
    value: float
    phi: np.ndarray
    bits: int
    evaluated: int


def grid_argmin(network: Network, loss: str | Loss, X: Any, Y: Any, bits: int, *,
                start: int = 0, stop: int | None = None,
                regularizer: str | Regularizer | None = None, chunk: int | None = None,
                progress: Callable[[int, int], None] | None = None, backend: str = "auto",
                max_memory: int | None = None) -> GridArgmin:
    """Minimize the empirical risk over the grid points ``start..stop-1`` — the §3.4
    enumeration (``K**N`` configurations, ``K**N · D`` loss evaluations).

    Works chunk by chunk in bounded memory; ``progress(done, total)`` is called after
    each chunk. Ties go to the smallest index; infeasible points are skipped.

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> r = grid_argmin(dense([1, 1]), "abs", [[0.5]], [[0.0]], bits=2, backend="numpy")
    >>> r.index, r.value, r.phi
    (3, 0.0, array([-1. ,  0.5]))
    """
    lo_, reg = get_loss(loss), get_regularizer(regularizer)
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    first, last = GridRange(bits, start, stop).resolved(network.N)
    D, total = Xa.shape[0], last - first
    numba = resolve_backend(backend) == "numba"
    if chunk is None:
        chunk = (int(np.clip(2**28 // D, 2**12, 2**24)) if numba
                 else max(_chunks(network, D, total, max_memory)[1], 2**12))
    chunk = min(check_int("chunk", chunk, 1), 2**40)  # keeps the kernels' int64 math exact
    best_val, best_idx = np.inf, -1
    if numba:
        kernel = kernels.point_module(network, lo_).argmin
        Xt, Yt = np.ascontiguousarray(Xa.T), np.ascontiguousarray(Ya.T)
        weights = regularizer_weights(reg)
    for c0 in range(first, last, chunk):
        c1 = min(c0 + chunk, last)
        if numba:
            nb = int(min(c1 - c0, 256))
            vals, idxs = np.full(nb, np.inf), np.full(nb, -1, dtype=np.int64)
            kernel(Xt, Yt, bits, c0, c1, *weights, nb, vals, idxs)
        else:
            vals = _numpy_risk(network, lo_, Xa, Ya, grid_points(network.N, bits, c0, c1),
                               reg, max_memory)
            idxs = np.arange(c0, c1)
        k = int(np.argmin(vals))
        if vals[k] < best_val:
            best_val, best_idx = float(vals[k]), int(idxs[k])
        if progress is not None:
            progress(c1 - first, total)
    phi = (grid_points(network.N, bits, best_idx, best_idx + 1)[0] if best_idx >= 0
           else np.full(network.N, np.nan))
    return GridArgmin(best_idx, best_val, phi, bits, total)
