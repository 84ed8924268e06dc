"""Small ERM instances and an independent brute-force oracle for the erm tests.

Three families (the issue's "Done when"): a 1-neuron ReLU regression ``relu(w x + b)``,
a 2-1 network ``w1 x1 + w2 x2 + b`` (``--arch 2-1``) with abs/quadratic loss, and hinge
classification with the same 2-1 network and labels ±1. The oracle evaluates the three
formulas directly with numpy broadcasting over the whole φ grid — no lptrain kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from lptrain.nn import Network, dense

FAMILIES = ("relu1", "net21", "hinge21")


@dataclass(frozen=True)
class Family:
    name: str
    network: Network
    loss: str


def family(name: str, loss: str | None = None) -> Family:
    if name == "relu1":
        return Family(name, dense([1, 1], output_activation="relu"), loss or "abs")
    if name == "net21":
        return Family(name, dense([2, 1]), loss or "quadratic")
    if name == "hinge21":
        return Family(name, dense([2, 1]), "hinge")
    raise ValueError(name)


def random_data(fam: Family, D: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = fam.network.n
    X = rng.uniform(-1.0, 1.0, size=(D, n))
    if fam.name == "hinge21":
        w = rng.uniform(-1.0, 1.0, size=n)
        Y = np.where(X @ w + rng.normal(0.0, 0.3, size=D) >= 0.0, 1.0, -1.0)[:, None]
    elif fam.name == "relu1":
        Y = np.clip(np.maximum(0.7 * X[:, :1] - 0.2, 0.0) + rng.normal(0, 0.2, (D, 1)), -1, 1)
    else:
        Y = np.clip(X @ rng.uniform(-0.5, 0.5, n)[:, None] + rng.normal(0, 0.2, (D, 1)), -1, 1)
    return X, Y


def exact_to_grid(r: np.ndarray, bits: int) -> np.ndarray:
    """Round every entry down to the grid of §3.1 in exact arithmetic, independently of
    lptrain: the largest ``g_k = -1 + 2k/K <= r`` with k in [0, K-1] (K = 2**bits), i.e.
    ``k = min(floor((r + 1) K / 2), K - 1)`` computed with Fractions."""
    K = 2**bits
    arr = np.asarray(r, dtype=np.float64)
    k = [min(int((Fraction(float(x)) + 1) * K // 2), K - 1) for x in arr.ravel()]
    return (-1.0 + np.array(k, dtype=np.float64) * (2.0 / K)).reshape(arr.shape)


def phi_grid(N: int, bits: int) -> np.ndarray:
    """All K^N grid points, mixed radix with the first coordinate most significant."""
    K = 2**bits
    vals = -1.0 + np.arange(K) * (2.0 / K)
    mesh = np.meshgrid(*([vals] * N), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def risks(fam: Family, X: np.ndarray, Y: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Empirical risk of every row of phi, by the closed-form formulas (the oracle)."""
    w, b = phi[:, :-1], phi[:, -1:]
    z = w @ X.T + b                                   # (P, D)
    y = Y[:, 0][None, :]
    if fam.name == "relu1":
        z = np.maximum(z, 0.0)
    if fam.loss == "abs":
        loss = np.abs(z - y)
    elif fam.loss == "quadratic":
        loss = (z - y) ** 2
    else:
        loss = np.maximum(1.0 - z * y, 0.0)
    return loss.mean(axis=1)


def exhaustive_min(fam: Family, X: np.ndarray, Y: np.ndarray, bits: int) -> float:
    """Minimum empirical risk over the φ grid of ``bits`` (chunked)."""
    grid = phi_grid(fam.network.N, bits)
    step = max(1, 2**22 // max(X.shape[0], 1))
    return min(float(risks(fam, X, Y, grid[i:i + step]).min())
               for i in range(0, grid.shape[0], step))
