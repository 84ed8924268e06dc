"""Boxes of parameters: the open-node store of the branch and bound, and the two spaces it
searches (the continuous box Φ and the integer index boxes of the φ-grid of §3.1).

:class:`BoxQueue` keeps open boxes in flat numpy arrays (bounds, lower bound, split
coordinate): memory is ``(2N + 2) · 8`` bytes per open box. Popping takes the ``k`` boxes of
least lower bound (best first) or, once the queue passes its soft cap, the ``k`` of largest
lower bound (those closest to being pruned: "pruning dives" that shrink the queue); at the
hard cap the search stops with a sound bound (status "node limit").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lptrain.discretize import levels

__all__ = ["BoxQueue", "ContinuousSpace", "GridSpace"]


class BoxQueue:
    """Open boxes ``[lo, hi]`` with their lower bounds and split coordinates.

    Examples
    --------
    >>> q = BoxQueue(2, np.float64)
    >>> q.push(np.zeros((3, 2)), np.ones((3, 2)), np.array([3.0, 1.0, 2.0]),
    ...        np.zeros(3, dtype=np.int64))
    >>> lo, hi, lb, split = q.pop(2)
    >>> sorted(lb.tolist()), len(q), q.min_lower()
    ([1.0, 2.0], 1, 3.0)
    """

    def __init__(self, n_dims: int, dtype: type, capacity: int = 1024) -> None:
        self.n_dims = n_dims
        self.dtype = dtype
        self._lo: np.ndarray = np.empty((capacity, n_dims), dtype=dtype)
        self._hi: np.ndarray = np.empty((capacity, n_dims), dtype=dtype)
        self._lb = np.empty(capacity)
        self._split = np.empty(capacity, dtype=np.int64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held by the store (its capacity, not only the open boxes)."""
        return int(self._lo.nbytes + self._hi.nbytes + self._lb.nbytes + self._split.nbytes)

    def _grow(self, need: int) -> None:
        cap = self._lb.size
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in ("_lo", "_hi"):
            arr = getattr(self, name)
            grown: np.ndarray = np.empty((new, self.n_dims), dtype=self.dtype)
            grown[:self._n] = arr[:self._n]
            setattr(self, name, grown)
        for name in ("_lb", "_split"):
            arr = getattr(self, name)
            grown = np.empty(new, dtype=arr.dtype)
            grown[:self._n] = arr[:self._n]
            setattr(self, name, grown)

    def push(self, lo: np.ndarray, hi: np.ndarray, lb: np.ndarray, split: np.ndarray) -> None:
        """Add boxes (rows)."""
        k = lb.size
        self._grow(self._n + k)
        s = slice(self._n, self._n + k)
        self._lo[s], self._hi[s], self._lb[s], self._split[s] = lo, hi, lb, split
        self._n += k

    def min_lower(self) -> float:
        """Least lower bound of the open boxes (+inf when empty)."""
        return float(self._lb[:self._n].min()) if self._n else np.inf

    def pop(self, k: int, largest: bool = False
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return the k boxes of least (or, with ``largest``, greatest) lower bound."""
        n = self._n
        k = min(k, n)
        if k == n:
            idx = np.arange(n)
        else:
            key = -self._lb[:n] if largest else self._lb[:n]
            idx = np.argpartition(key, k - 1)[:k]
        out = (self._lo[idx].copy(), self._hi[idx].copy(), self._lb[idx].copy(),
               self._split[idx].copy())
        self._remove(idx)
        return out

    def prune(self, threshold: float) -> float:
        """Drop every box with lower bound >= threshold; return the least dropped bound."""
        n = self._n
        drop = self._lb[:n] >= threshold
        if not drop.any():
            return np.inf
        floor = float(self._lb[:n][drop].min())
        self._remove(np.flatnonzero(drop))
        return floor

    def _remove(self, idx: np.ndarray) -> None:
        n = self._n
        keep = np.ones(n, dtype=bool)
        keep[idx] = False
        m = int(keep.sum())
        # Move the surviving tail entries into the holes (keeps the arrays compact).
        holes = np.flatnonzero(~keep[:m])
        movers = m + np.flatnonzero(keep[m:])
        for arr in (self._lo, self._hi, self._lb, self._split):
            arr[holes] = arr[movers]
        self._n = m


@dataclass(frozen=True)
class ContinuousSpace:
    """Boxes of real parameters; split at the midpoint; candidates are the centres."""

    n_dims: int
    dtype: type = np.float64

    def floats(self, lo: np.ndarray, hi: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lower corner, upper corner, candidate point) of each box as floats."""
        return lo, hi, 0.5 * (lo + hi)

    def split(self, lo: np.ndarray, hi: np.ndarray, dims: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """Two children per box, halving coordinate ``dims[i]`` of box i."""
        rows = np.arange(lo.shape[0])
        mid = 0.5 * (lo[rows, dims] + hi[rows, dims])
        hi1, lo2 = hi.copy(), lo.copy()
        hi1[rows, dims] = mid
        lo2[rows, dims] = mid
        return np.concatenate([lo, lo2]), np.concatenate([hi1, hi])

    def points(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Number of grid points of each box (a continuous box never is a leaf)."""
        return np.full(lo.shape[0], np.inf)


@dataclass(frozen=True)
class GridSpace:
    """Integer boxes ``[klo, khi]`` (inclusive) of level indices of the ``bits`` grid
    (values ``-1 + 2k/K``); split between two levels; candidates are the middle levels."""

    n_dims: int
    bits: int
    dtype: type = np.int64

    @property
    def K(self) -> int:  # noqa: N802 - the paper's name
        """Levels per coordinate."""
        return levels(self.bits)

    def value(self, k: np.ndarray) -> np.ndarray:
        """Grid values of level indices (exact dyadic numbers)."""
        return -1.0 + k * (2.0 / self.K)

    def floats(self, lo: np.ndarray, hi: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.value(lo), self.value(hi), self.value((lo + hi) // 2)

    def split(self, lo: np.ndarray, hi: np.ndarray, dims: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        rows = np.arange(lo.shape[0])
        mid = (lo[rows, dims] + hi[rows, dims]) // 2
        hi1, lo2 = hi.copy(), lo.copy()
        hi1[rows, dims] = mid
        lo2[rows, dims] = mid + 1
        return np.concatenate([lo, lo2]), np.concatenate([hi1, hi])

    def points(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Number of grid points in each box (as float: it may pass 2**63)."""
        return np.prod((hi - lo + 1).astype(np.float64), axis=1)

    def enumerate(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every grid point of small boxes → (level indices (P, N), owning box (P,))."""
        counts = (hi - lo + 1)
        total = np.prod(counts, axis=1)
        owner = np.repeat(np.arange(lo.shape[0]), total)
        # Mixed-radix offset of each point inside its box, last coordinate fastest.
        start = np.concatenate([[0], np.cumsum(total)[:-1]])
        rank = np.arange(int(total.sum())) - np.repeat(start, total)
        pts = np.empty((rank.size, self.n_dims), dtype=np.int64)
        c = counts[owner]
        for j in range(self.n_dims - 1, -1, -1):
            pts[:, j] = lo[owner, j] + rank % c[:, j]
            rank = rank // c[:, j]
        return pts, owner
