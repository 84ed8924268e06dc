"""Best-first branch and bound over boxes of parameters, in batches.

One :class:`BranchAndBound` minimizes the regularized empirical risk over a union of root
boxes, either continuous (the box Φ) or integer (index boxes of the φ-grid). Each
:meth:`~BranchAndBound.step` pops a batch of open boxes (least lower bound first), splits
each in two along its suggested coordinate, bounds all children in one call of the bounder
(a generated kernel over boxes × data, on every core, or a Dask cluster), records the risk
at every child's candidate point, and keeps the children whose lower bound is below the
current threshold. Grid boxes with few points are enumerated exactly instead.

Invariant (what makes the result a proof): every point of the roots lies in an open box,
in a box whose lower bound was ``>= threshold`` when it was dropped (``pruned_floor`` keeps
the least such bound) or in an enumerated grid box (whose exact minimum is ``>= best``).
Hence ``min(best, pruned_floor, min open lower bound)`` is a lower bound of the minimum, at
any moment: after a time limit, a node limit or the queue running empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lptrain.certify.bounds import BoxBounds
from lptrain.certify.boxes import BoxQueue, ContinuousSpace, GridSpace

__all__ = ["BranchAndBound", "Candidates"]

Bounder = Callable[[np.ndarray, np.ndarray, np.ndarray], BoxBounds]


@dataclass(frozen=True)
class Candidates:
    """Points evaluated in one step: float parameters, grid levels (or None), risks."""

    points: np.ndarray
    levels: np.ndarray | None
    values: np.ndarray


class BranchAndBound:
    """Batched best-first branch and bound (see the module docstring).

    Parameters
    ----------
    bounder : callable ``(lo, hi, cand) -> BoxBounds``
    space : ContinuousSpace or GridSpace
    roots_lo, roots_hi : arrays (R, N)
        Root boxes (floats, or level indices for a grid).
    threshold : callable ``() -> float``
        Boxes whose lower bound is at least this are dropped (called after each batch's
        candidates are recorded, so it may depend on :attr:`best`).
    batch : int
        Boxes popped per step (each gives two children).
    soft_open, max_open : int
        Past ``soft_open`` open boxes the largest lower bounds are processed first; at
        ``max_open`` :attr:`at_node_limit` turns true and the caller stops.
    leaf_points : int
        Grid boxes with at most this many points are enumerated exactly.
    """

    def __init__(self, bounder: Bounder, space: ContinuousSpace | GridSpace,
                 roots_lo: np.ndarray, roots_hi: np.ndarray,
                 threshold: Callable[[], float], *, batch: int = 2048,
                 soft_open: int = 1_000_000, max_open: int = 4_000_000,
                 leaf_points: int = 64) -> None:
        self.bounder = bounder
        self.space = space
        self.threshold = threshold
        self.batch = int(batch)
        self.soft_open = int(soft_open)
        self.max_open = int(max_open)
        self.leaf_points = int(leaf_points)
        self.queue = BoxQueue(space.n_dims, space.dtype)
        self.best = np.inf
        self.best_point = np.full(space.n_dims, np.nan)
        self.best_levels: np.ndarray | None = None
        self.pruned_floor = np.inf
        self.nodes = 0
        self.enumerated = 0
        self.rounds = 0
        self._roots: tuple[np.ndarray, np.ndarray] = (
            np.asarray(roots_lo, dtype=space.dtype),
                       np.asarray(roots_hi, dtype=space.dtype))
        self._started = False

    # ----- state -----------------------------------------------------------------------
    def lower_bound(self) -> float:
        """A lower bound of the minimum over the roots (valid at any moment)."""
        return float(min(self.best, self.pruned_floor, self.queue.min_lower()))

    @property
    def done(self) -> bool:
        """True when no open box is left (the bound is then final)."""
        return self._started and len(self.queue) == 0

    @property
    def at_node_limit(self) -> bool:
        """True when the open-box store reached ``max_open``."""
        return len(self.queue) >= self.max_open

    def _record(self, pts: np.ndarray, lv: np.ndarray | None, values: np.ndarray) -> None:
        if values.size:
            i = int(np.argmin(values))
            if values[i] < self.best:
                self.best = float(values[i])
                self.best_point = pts[i].copy()
                self.best_levels = None if lv is None else lv[i].copy()

    def offer(self, point: np.ndarray, value: float, level: np.ndarray | None = None) -> None:
        """Record an outside upper-bound candidate (e.g. a polished point)."""
        self._record(point[None, :], None if level is None else level[None, :],
                     np.asarray([value]))

    # ----- one batch -------------------------------------------------------------------
    def step(self) -> Candidates:
        """Process one batch; return the points evaluated in it."""
        if not self._started:
            self._started = True
            return self._bound_and_push(*self._roots)
        thr = self.threshold()
        floor = self.queue.prune(thr) if len(self.queue) > self.batch else np.inf
        self.pruned_floor = min(self.pruned_floor, floor)
        largest = len(self.queue) > self.soft_open
        lo, hi, lb, split = self.queue.pop(self.batch, largest=largest)
        drop = (lb >= thr) | (split < 0)
        if drop.any():
            self.pruned_floor = min(self.pruned_floor, float(lb[drop].min()))
        keep = ~drop
        self.rounds += 1
        if not keep.any():
            return self._empty()
        lo, hi = self.space.split(lo[keep], hi[keep], split[keep])
        # A child inherits its parent's bound (the parent box contains it): bounds never
        # loosen down the tree, and the global lower bound never decreases.
        return self._bound_and_push(lo, hi, np.concatenate([lb[keep], lb[keep]]))

    def _empty(self) -> Candidates:
        n = self.space.n_dims
        return Candidates(np.empty((0, n)), None, np.empty(0))

    def _bound_and_push(self, lo: np.ndarray, hi: np.ndarray,
                        inherited: np.ndarray | None = None) -> Candidates:
        parts = []
        grid = isinstance(self.space, GridSpace)
        small = (self.space.points(lo, hi) <= self.leaf_points) if grid else \
            np.zeros(lo.shape[0], dtype=bool)
        if small.any():
            parts.append(self._enumerate(lo[small], hi[small]))
            lo, hi = lo[~small], hi[~small]
            inherited = None if inherited is None else inherited[~small]
        if lo.shape[0]:
            flo, fhi, cand = self.space.floats(lo, hi)
            bb = self.bounder(flo, fhi, cand)
            self.nodes += lo.shape[0]
            lv = (lo + hi) // 2 if grid else None
            self._record(cand, lv, bb.value)
            parts.append(Candidates(cand, lv, bb.value))
            lower = bb.lower if inherited is None else np.maximum(bb.lower, inherited)
            thr = self.threshold()
            keep = (lower < thr) & (bb.split >= 0)
            if (~keep).any():
                self.pruned_floor = min(self.pruned_floor, float(lower[~keep].min()))
            self.queue.push(lo[keep], hi[keep], lower[keep], bb.split[keep])
        if not parts:
            return self._empty()
        lvs = [p.levels for p in parts if p.levels is not None]
        return Candidates(np.concatenate([p.points for p in parts]),
                          np.concatenate(lvs) if len(lvs) == len(parts) else None,
                          np.concatenate([p.values for p in parts]))

    def _enumerate(self, lo: np.ndarray, hi: np.ndarray) -> Candidates:
        assert isinstance(self.space, GridSpace)
        lv, _ = self.space.enumerate(lo, hi)
        pts = self.space.value(lv)
        values = self.bounder(pts, pts, pts).value
        self.enumerated += lv.shape[0]
        self._record(pts, lv, values)
        return Candidates(pts, lv, values)
