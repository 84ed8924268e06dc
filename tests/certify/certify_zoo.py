"""Shared helpers of the certify tests: the nn zoo, small data sets, fine-grid oracles."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "nn"))

from nn_zoo import (  # noqa: E402
    ARCH_KINDS,
    EXTRA_ACTIVATIONS,
    EXTRA_LOSSES,
    THEORY_ACTIVATIONS,
    THEORY_LOSSES,
    build,
)

from lptrain.nn import Network, architecture_lipschitz, grid_argmin  # noqa: E402

__all__ = ["ARCH_KINDS", "EXTRA_ACTIVATIONS", "EXTRA_LOSSES", "THEORY_ACTIVATIONS",
           "THEORY_LOSSES", "build", "smooth_data",
           "grid_oracle"]


def smooth_data(D: int, seed: int = 0, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark target ``y = 0.5 sin(πx1/2) cos(x2)`` on uniform x in [-1, 1]²."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (D, 2))
    Y = 0.5 * np.sin(np.pi * X[:, :1] / 2) * np.cos(X[:, 1:2])
    return X, np.clip(Y + noise * rng.normal(size=Y.shape), -1, 1)


def grid_oracle(net: Network, loss: str, X: np.ndarray, Y: np.ndarray, bits: int,
                regularizer: str | None = None) -> tuple[float, float]:
    """(min over the bits-grid, Lipschitz slack): the true minimum over [-1, 1]^N lies in
    ``[grid_min - slack, grid_min]`` because every φ is within ``2/K`` (∞-norm) of a grid
    point (+1 is not on the grid) and the ERM is L-Lipschitz in φ."""
    g = grid_argmin(net, loss, X, Y, bits, regularizer=regularizer, backend="numpy")
    L = architecture_lipschitz(net, loss, regularizer, method="refined").lipschitz
    return g.value, L * 2.0 / 2**bits
