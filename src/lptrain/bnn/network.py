"""Networks of binarized activation units (BiUs, Appendix C) and their binary data.

A BiU with parameters ``a ∈ {-1, 1}^p`` and ``b ∈ {-1, 1}`` maps a binary input
``z ∈ {0, 1}^p`` to ``1`` if ``aᵀz > b`` and ``0`` otherwise. In an
:class:`~lptrain.nn.Network` it is a node with the ``step`` activation, edges
``(u, p_a, 1.0)`` and bias ``(p_b, -1.0)`` (the bias enters with sign -1, so parameter
``p_b`` is the threshold ``b`` itself). Every unit of a BiU network, outputs included, is a
BiU, so every node value is 0 or 1 and the data ``x`` and labels ``y`` are 0/1 vectors (the
paper's "binary vectors"; we read binary as {0, 1}, the values a BiU emits, so a hidden
layer sees the same kind of input as the first).

Parameters are 2-level variables of the exact BO: level 0 is ``-1`` and level 1 is ``+1``
(:func:`levels_to_params`). Parameter vectors are enumerated in mixed-radix order, the
first parameter most significant, as the §3 grid orders φ.

:func:`biu_errors` is an evaluation path independent of :mod:`lptrain.nn` (integer
arithmetic, one vectorized pass per node over all parameter vectors and data points); the
exhaustive solver and the tests use it to check the LP and the MIP.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from lptrain._validation import check_array
from lptrain.errors import InvalidInputError
from lptrain.nn.activations import get_activation
from lptrain.nn.architecture import Network, Node

__all__ = [
    "biu_network",
    "parse_biu_arch",
    "check_biu_network",
    "check_binary",
    "levels_to_params",
    "params_to_levels",
    "biu_errors",
]

_STEP = get_activation("step")


def biu_network(widths: Sequence[int]) -> Network:
    """A fully connected network of BiUs with layer widths ``[n, w_1, ..., m]``.

    Parameter order (PyTorch-like): for each layer l, ``layer{l}.weight`` (w_l, w_{l-1})
    row-major, then ``layer{l}.threshold`` (w_l,), so ``N = Σ_l w_l (w_{l-1} + 1)``.

    Examples
    --------
    >>> net = biu_network([2, 2, 1])
    >>> net.n, net.m, net.N, net.nodes[0].bias, net.nodes[0].activation.name
    (2, 1, 9, (4, -1.0), 'step')
    """
    ws = [int(w) for w in widths]
    if len(ws) < 2 or min(ws) < 1:
        raise InvalidInputError(
            f"widths must list at least n and m, all positive, e.g. [2, 2, 1]; got {list(widths)}"
        )
    nodes: list[Node] = []
    groups: list[tuple[str, tuple[int, ...]]] = []
    prev, n_raw = list(range(ws[0])), 0
    for layer, w in enumerate(ws[1:], start=1):
        W = n_raw + np.arange(w * len(prev)).reshape(w, len(prev))
        b = n_raw + W.size + np.arange(w)
        groups += [(f"layer{layer}.weight", (w, len(prev))), (f"layer{layer}.threshold", (w,))]
        n_raw += W.size + w
        first = ws[0] + len(nodes)
        nodes += [
            Node(tuple((int(u), int(W[i, j]), 1.0) for j, u in enumerate(prev)),
                 (int(b[i]), -1.0), _STEP)
            for i in range(w)
        ]
        prev = list(range(first, first + w))
    return Network(ws[0], tuple(nodes), tuple(prev), n_raw, tuple(groups), kind="biu")


def parse_biu_arch(spec: str) -> Network:
    """Parse ``n-w1-...-m`` (e.g. ``2-2-1``) into :func:`biu_network`.

    Examples
    --------
    >>> parse_biu_arch("3-1").N
    4
    >>> parse_biu_arch("2-a-1")
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: --arch '2-a-1': a BiU network is given by its layer \
widths n-w1-...-m, e.g. 2-2-1
    """
    text = str(spec).strip()
    if not re.fullmatch(r"\d+(-\d+)+", text) or "-0" in f"-{text}":
        raise InvalidInputError(
            f"--arch {spec!r}: a BiU network is given by its layer widths n-w1-...-m, e.g. 2-2-1"
        )
    return biu_network([int(w) for w in text.split("-")])


def check_biu_network(network: Network) -> Network:
    """Check that every node is a BiU (step; edges ``(u, p, 1.0)``; bias ``(p, -1.0)``).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> check_biu_network(dense([2, 1]))
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: node 2 is not a BiU: its activation is 'identity'; \
a BiU has activation 'step', edges (u, p, 1.0) and bias (p, -1.0) (see biu_network)
    """
    hint = "a BiU has activation 'step', edges (u, p, 1.0) and bias (p, -1.0) (see biu_network)"
    for i, v in enumerate(network.nodes):
        nid = network.n_inputs + i
        if v.activation.name != "step":
            raise InvalidInputError(
                f"node {nid} is not a BiU: its activation is {v.activation.name!r}; {hint}"
            )
        if any(p < 0 or c != 1.0 for _, p, c in v.inputs) or v.bias[0] < 0 or v.bias[1] != -1.0:
            raise InvalidInputError(f"node {nid} is not a BiU: a weight is not a free "
                                    f"parameter with coefficient 1, or the bias is not "
                                    f"(p, -1.0); {hint}")
    if network.constraint is not None:
        raise InvalidInputError("a BiU network takes no constraint on its parameters")
    return network


def check_binary(name: str, values: Any, columns: Sequence[str] | None = None, *,
                 first_row: int = 0, row_label: str = "row") -> np.ndarray:
    """A 2-D array of 0/1 entries as int8; the error names the first bad row and column.

    Rows are numbered from ``first_row`` (1 for "data row 1" of a CSV file); ``columns``
    names the columns (default: their 0-based index).

    Examples
    --------
    >>> check_binary("X", [[0, 1], [1, 1]]).tolist()
    [[0, 1], [1, 1]]
    >>> check_binary("X", [[0, 1], [1, 0.5]], ["a", "b"])
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: X must be binary (0 or 1): row 1, column 'b' is 0.5
    """
    raw = np.asarray(values)
    if raw.ndim == 2 and raw.dtype.kind in "UOS":
        ok = np.isin(np.char.strip(raw.astype(str)), ["0", "1", "0.0", "1.0"])
        if not ok.all():
            i, j = (int(t) for t in np.argwhere(~ok)[0])
            col = repr(columns[j]) if columns is not None else str(j)
            raise InvalidInputError(f"{name} must be binary (0 or 1): {row_label} "
                                    f"{i + first_row}, column {col} is "
                                    f"{str(raw[i, j]).strip()!r}")
        raw = np.char.strip(raw.astype(str)).astype(np.float64)
    arr = check_array(name, raw, ndim=2)
    bad = (arr != 0.0) & (arr != 1.0)
    if bad.any():
        i, j = (int(t) for t in np.argwhere(bad)[0])
        col = repr(columns[j]) if columns is not None else str(j)
        raise InvalidInputError(
            f"{name} must be binary (0 or 1): {row_label} {i + first_row}, column {col} is "
            f"{float(arr[i, j])!r}"
        )
    return arr.astype(np.int8)


def levels_to_params(levels: Any) -> np.ndarray:
    """Parameter levels {0, 1} to BiU parameters {-1, +1}.

    Examples
    --------
    >>> levels_to_params([0, 1, 1]).tolist()
    [-1.0, 1.0, 1.0]
    """
    return 2.0 * np.asarray(levels, dtype=np.float64) - 1.0


def params_to_levels(params: Any) -> np.ndarray:
    """BiU parameters {-1, +1} to levels {0, 1}; anything else is refused.

    Examples
    --------
    >>> params_to_levels([-1.0, 1.0]).tolist()
    [0, 1]
    """
    arr = np.asarray(params, dtype=np.float64)
    if not np.isin(arr, (-1.0, 1.0)).all():
        raise InvalidInputError("BiU parameters must be -1 or +1")
    return ((arr + 1.0) / 2.0).astype(np.int64)


def biu_errors(network: Network, X: np.ndarray, Y: np.ndarray, levels: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Total Hamming errors and outputs of parameter vectors given as levels (P, N).

    Integer arithmetic, independent of :mod:`lptrain.nn`: returns ``errors (P,)`` (int64,
    summed over data points and outputs) and ``outputs (P, D, m)`` (int8).

    Examples
    --------
    >>> net = biu_network([1, 1])           # y = 1 if a*x > b
    >>> errors, out = biu_errors(net, np.array([[0], [1]]), np.array([[0], [1]]),
    ...                          np.array([[1, 0], [1, 1]]))   # (a, b) = (1, -1), (1, 1)
    >>> errors.tolist(), out[:, :, 0].tolist()
    ([1, 1], [[1, 1], [0, 0]])
    """
    signs = (2 * np.asarray(levels, dtype=np.int16) - 1).T  # (N, P)
    Xi = np.asarray(X, dtype=np.int16)
    P, D = signs.shape[1], Xi.shape[0]
    z: list[np.ndarray] = [np.broadcast_to(Xi[:, j], (P, D)) for j in range(network.n)]
    for v in network.nodes:
        t = np.zeros((P, D), dtype=np.int16)
        for u, p, _ in v.inputs:
            t += signs[p][:, None] * z[u]
        z.append((t > signs[v.bias[0]][:, None]).astype(np.int16))
    out = np.stack([z[o] for o in network.outputs], axis=2).astype(np.int8)
    errors = (out != np.asarray(Y, dtype=np.int8)[None]).sum(axis=(1, 2), dtype=np.int64)
    return errors, out
