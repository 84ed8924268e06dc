"""Shared helpers of the component tests: every registered component (with a non-default
parameter where it takes one), sampling inside boxes, and the plain references of
``tests/nn/nn_zoo.py`` (written from the definitions, independently of lptrain)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "nn"))

from nn_zoo import _act, reference_loss  # noqa: E402 (plain-Python definitions)

from lptrain.components import (  # noqa: E402
    ACTIVATIONS,
    LOSSES,
    REGULARIZERS,
    get_activation,
    get_loss,
    get_regularizer,
)

__all__ = ["ACTIVATION_SPECS", "LOSS_SPECS", "REGULARIZER_SPECS", "reference_activation",
           "reference_losses", "ranges", "inside"]


def _with_parameter(names: tuple[str, ...], get) -> tuple[str, ...]:
    return tuple(f"{k}:0.5" if get(k).parameter is not None else k for k in names)


#: Every registered component (a parameter of 0.5 where one is taken: a default such as
#: leaky_relu's 0.01 would hide a bug).
ACTIVATION_SPECS = _with_parameter(ACTIVATIONS, get_activation)
LOSS_SPECS = _with_parameter(LOSSES, get_loss)
REGULARIZER_SPECS = tuple(f"{k}:0.3" for k in REGULARIZERS)
assert get_regularizer(REGULARIZER_SPECS[0]) is not None


def reference_activation(spec: str, t: np.ndarray) -> np.ndarray:
    """The activation by the scalar reference of nn_zoo (Python floats and math)."""
    a = get_activation(spec)
    return np.array([_act(a.name, a.alpha, float(x)) for x in np.ravel(t)]).reshape(
        np.shape(t))


def reference_losses(spec: str, Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per-row losses by the scalar reference."""
    return np.array([reference_loss(spec, list(z), y) for z, y in zip(Z, Y, strict=True)])


def ranges(rng: np.random.Generator, n: int, scale: float = 4.0
           ) -> tuple[np.ndarray, np.ndarray]:
    """Random ranges [lo, hi]: wide, narrow, tiny (1e-9) and degenerate, anywhere."""
    lo = rng.uniform(-scale, scale, n)
    width = rng.uniform(0, scale, n) * rng.choice([1.0, 1e-2, 1e-9, 0.0], n,
                                                  p=[0.55, 0.2, 0.15, 0.1])
    return lo, lo + width


def inside(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, k: int
           ) -> list[np.ndarray]:
    """The two ends and k - 2 uniform points of every range."""
    return [lo, hi] + [lo + rng.uniform(size=lo.shape) * (hi - lo) for _ in range(k - 2)]
