"""Convex-hull data for linear-programming relaxations: the format components answer in.

**Activation** on ``x ∈ [lo, hi]`` (:class:`Envelope`, arrays broadcast over the leading
dimensions of ``lo``/``hi``, the last axis indexing K pieces)::

    max_k (lower_slope[..., k] x + lower_offset[..., k])  <=  a(x)
    a(x)  <=  min_k (upper_slope[..., k] x + upper_offset[..., k])

so an LP models ``y = a(x)`` by ``y >= s x + b`` for every lower piece, ``y <= s x + b`` for
every upper piece and ``lo <= x <= hi``. Pieces are valid in exact arithmetic and already
widened by :data:`WIDEN` (relative to ``1 + |lo| + |hi|``) for the rounding of their own
computation. For ReLU, leaky ReLU and the identity they describe the exact convex hull of
the graph; for convex activations (e.g. ELU) the upper piece is the chord (exact) and
the lower pieces are tangents (an outer approximation that tightens with K); the others
(tanh, hard tanh, step) get the affine relaxation's two lines and the monotone bounds
``a(lo) <= a(x) <= a(hi)``.

**Loss** of outputs ``z ∈ Π_j [lo_j, hi_j]`` with labels y (:class:`LossPieces`)::

    ℓ(z, y)  >=  Σ_t max_k (offset[..., t, k] + Σ_j slope[..., t, k, j] z_j)

T terms (one per output for a separable loss, one for cross-entropy), K pieces each: an LP
bounds the loss with one epigraph variable per term, ``e_t >= offset + slope · z`` for
every piece, and the objective ``Σ_t e_t``. For abs and hinge the pieces are the exact
epigraph; the other convex losses (quadratic, cross-entropy where convex) get tangents;
Hamming the
constant interval bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Envelope", "LossPieces", "WIDEN", "envelope", "convex_envelope", "tangent_pieces"]

#: Relative widening of every piece's offset (covers the rounding of slopes and offsets).
WIDEN = 2.0**-40


@dataclass(frozen=True)
class Envelope:
    """Lower and upper affine pieces of an activation on ``[lo, hi]`` (module docstring)."""

    lower_slope: np.ndarray
    lower_offset: np.ndarray
    upper_slope: np.ndarray
    upper_offset: np.ndarray

    def lower(self, x: np.ndarray) -> np.ndarray:
        """``max_k`` of the lower pieces at x (broadcast like ``lo``)."""
        return np.asarray((self.lower_slope * np.asarray(x)[..., None]
                           + self.lower_offset).max(axis=-1))

    def upper(self, x: np.ndarray) -> np.ndarray:
        """``min_k`` of the upper pieces at x."""
        return np.asarray((self.upper_slope * np.asarray(x)[..., None]
                           + self.upper_offset).min(axis=-1))


@dataclass(frozen=True)
class LossPieces:
    """Epigraph pieces of a loss over a box of outputs (module docstring): ``slope`` has
    shape (..., T, K, m), ``offset`` (..., T, K)."""

    slope: np.ndarray
    offset: np.ndarray

    def lower(self, z: np.ndarray) -> np.ndarray:
        """``Σ_t max_k (offset + slope · z)`` for outputs z (..., m)."""
        z = np.asarray(z)
        vals = (self.slope * z[..., None, None, :]).sum(axis=-1) + self.offset
        return np.asarray(vals.max(axis=-1).sum(axis=-1))


def _widen(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.asarray(WIDEN * (1.0 + np.abs(lo) + np.abs(hi)))[..., None]


def envelope(lower: list[tuple[np.ndarray, np.ndarray]],
             upper: list[tuple[np.ndarray, np.ndarray]], lo: np.ndarray, hi: np.ndarray
             ) -> Envelope:
    """Stack (slope, offset) pairs into an :class:`Envelope`, widened by :data:`WIDEN`."""
    shape = np.broadcast(lo, hi).shape
    w = _widen(lo, hi)

    def stack(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        s = np.stack([np.broadcast_to(np.asarray(a, dtype=np.float64), shape) for a, _ in
                      pieces], axis=-1)
        b = np.stack([np.broadcast_to(np.asarray(c, dtype=np.float64), shape) for _, c in
                      pieces], axis=-1)
        return s, b

    ls, lb = stack(lower)
    us, ub = stack(upper)
    return Envelope(ls, lb - w, us, ub + w)


def convex_envelope(value: Callable[[np.ndarray], np.ndarray],
                    derivative: Callable[[np.ndarray], np.ndarray], lo: np.ndarray,
                    hi: np.ndarray, k: int = 3) -> Envelope:
    """Envelope of a convex non-decreasing function: the chord above, k tangents below
    (at evenly spaced points of ``[lo, hi]``), and the constant ``a(lo)`` below."""
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    fl, fh = value(lo), value(hi)
    width = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        chord = np.where(width > 0, (fh - fl) / np.where(width > 0, width, 1.0), 0.0)
    top = np.maximum(fl - chord * lo, fh - chord * hi)
    lower = [(np.zeros_like(fl), fl)]
    lower += tangent_pieces(value, derivative, lo, hi, k)
    return envelope(lower, [(chord, top)], lo, hi)


def tangent_pieces(value: Callable[[np.ndarray], np.ndarray],
                   derivative: Callable[[np.ndarray], np.ndarray], lo: np.ndarray,
                   hi: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Tangents ``(a'(x_i), a(x_i) - a'(x_i) x_i)`` at k evenly spaced points of [lo, hi]
    (valid lower pieces of a convex function on the whole line)."""
    out = []
    for i in range(k):
        x = lo + (hi - lo) * (i / max(k - 1, 1))
        d = derivative(x)
        out.append((d, value(x) - d * x))
    return out
