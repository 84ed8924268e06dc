"""One answer per face: ties between optimal grid points are broken the same way by every
face solver.

The face LP value v̂ = min C(φ) is unique, but several grid points may attain it (dead ReLU
units, symmetric weights, hinge margins): solvers then returned different φ̃ with different
true ERM. The rule: among the grid points with ``C(φ) <= v̂ + τ`` (``τ = 1e-12 (1 + |v̂|)``,
the rounding of C's sum), take the one of **least true ERM** (on the data as given, not
rounded to the grid, regularizer included), then the **least grid index**.

* ``"structured"`` applies it in its own pass over the grid (:func:`grid_minimum`: the
  risks of each chunk, the tied points' true ERM, a running Pareto front of
  ``(C, (ERM, index))`` — no list of ties is kept);
* ``"highs"`` on the stored loss table (:func:`break_ties`: C of every column);
* ``"lazy"`` and any other solver: by enumeration when the grid is small enough
  (``K^N · D <= 10^7`` evaluations); on larger grids the solver's φ̃ is kept and the
  face's ``info["ties"]`` says that ties were not resolved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lptrain.discretize import grid_levels
from lptrain.nn.evaluate import empirical_risk, grid_risk

if TYPE_CHECKING:
    from lptrain.erm.face import Face

__all__ = ["TIE_TOLERANCE", "TieBreak", "grid_minimum", "break_ties"]

#: Relative tolerance ``τ / (1 + |v̂|)`` under which two values of C are a tie.
TIE_TOLERANCE = 1e-12
#: Largest ``K^N · D`` enumerated to break the ties of a solver that does not see them all.
ENUMERATE_EVALUATIONS = 10**7
_COUNT_CAP = 2**22  # ties are counted up to this many
_CHUNK = (2**12, 2**21)  # grid points per pass of the kernel (least, most), as grid_argmin


@dataclass(frozen=True)
class TieBreak:
    """The grid point chosen: full-grid ``index``, ``value`` = min C, the number of ``ties``
    (grid points within τ of it), its true ``erm``, and ``resolved`` (False when the grid
    was too large to enumerate)."""

    index: int
    value: float
    ties: int
    erm: float
    resolved: bool = True
    evaluated: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (a face's ``info["ties"]``)."""
        return {"ties": self.ties, "resolved": self.resolved, "erm": self.erm,
                "rule": "least true ERM, then least grid index"}


def _threshold(value: float) -> float:
    return value + TIE_TOLERANCE * (1.0 + abs(value))


class _Front:
    """Pareto front of candidates ``(C, erm, index)``: a candidate is dropped when another
    has C no larger and a better key ``(erm, index)`` — whenever it would survive the final
    threshold, that one would too."""

    def __init__(self) -> None:
        self.C = np.empty(0)
        self.erm = np.empty(0)
        self.idx = np.empty(0, dtype=np.int64)

    def add(self, C: np.ndarray, erm: np.ndarray, idx: np.ndarray, thr: float) -> None:
        C, erm, idx = (np.concatenate([self.C, C]), np.concatenate([self.erm, erm]),
                       np.concatenate([self.idx, idx]))
        keep = C <= thr
        C, erm, idx = C[keep], erm[keep], idx[keep]
        order = np.lexsort((idx, erm, C))  # by C, then by key
        C, erm, idx = C[order], erm[order], idx[order]
        # keep a candidate only if its key beats every key of smaller-or-equal C before it
        rank = np.lexsort((idx, erm))
        key_rank = np.empty_like(rank)
        key_rank[rank] = np.arange(rank.size)
        best_before = np.minimum.accumulate(np.concatenate([[np.iinfo(np.int64).max],
                                                            key_rank[:-1]]))
        front = key_rank < best_before
        self.C, self.erm, self.idx = C[front], erm[front], idx[front]

    def choose(self, thr: float) -> tuple[int, float, int]:
        ok = self.C <= thr
        if not ok.any():
            return -1, math.inf, 0
        k = int(np.lexsort((self.idx[ok], self.erm[ok]))[0])
        return int(self.idx[ok][k]), float(self.erm[ok][k]), int(ok.sum())


def _true_erm(face: Face, idx: np.ndarray) -> np.ndarray:
    poly = face.polytope
    phi = -1.0 + grid_levels(idx, poly.network.N, poly.bits) * (2.0 / poly.levels)
    return empirical_risk(poly.network, poly.loss, face.X, face.Y, phi, poly.regularizer,
                          backend=poly.backend)


def grid_minimum(face: Face, progress: Callable[[int, int], None] | None = None
                 ) -> TieBreak:
    """min C(φ) over the whole φ-grid on the face's discretized data, and the grid point the
    tie rule picks, in one pass of chunks (the §3.4 enumeration; ``progress(done, total)``
    after each chunk, which may raise to stop).

    Examples
    --------
    >>> from lptrain.erm import ERMPolytope
    >>> from lptrain.nn import dense
    >>> poly = ERMPolytope.define(dense([1, 1]), "abs", samples=1, bits=1)
    >>> face = poly.face([[0.5]], [[0.0]])    # on the grid {-1, 0}: x̃ = 0, C(w, b) = |b|
    >>> t = grid_minimum(face)                # ties (w, b) = (-1, 0), (0, 0): true ERM 0.5, 0
    >>> t.index, t.value, t.ties
    (3, 0.0, 2)
    """
    poly = face.polytope
    N, bits, D = poly.network.N, poly.bits, poly.samples
    total = poly.levels ** N
    chunk = int(np.clip(2**28 // max(D, 1), *_CHUNK))
    running = math.inf
    front = _Front()
    near_C = np.empty(0)  # C of the points within τ so far, to count the ties (capped)
    for c0 in range(0, total, chunk):
        c1 = min(c0 + chunk, total)
        vals = grid_risk(poly.network, poly.loss, face.X_tilde, face.Y_tilde, bits, c0, c1,
                         poly.regularizer, backend=poly.backend)
        running = min(running, float(np.min(vals)))
        thr = _threshold(running)
        near = np.flatnonzero(vals <= thr)
        if near.size:
            idx = near.astype(np.int64) + c0
            front.add(vals[near], _true_erm(face, idx), idx, thr)
            near_C = np.concatenate([near_C[near_C <= thr], vals[near]])[:_COUNT_CAP]
        if progress is not None:
            progress(c1, total)
    index, erm, _ = front.choose(_threshold(running))
    ties = int((near_C <= _threshold(running)).sum())
    return TieBreak(index, running, ties, erm, True, total)


def _table_minimum(face: Face) -> TieBreak:
    from lptrain.erm.certificate import face_costs

    poly = face.polytope
    G = poly.sizes.phi_grid
    C = np.concatenate([face_costs(face, j0, min(j0 + 2**16, G)).sum(axis=0)
                        for j0 in range(0, G, 2**16)])
    value = float(C.min())
    codes = np.flatnonzero(C <= _threshold(value))
    idx = codes if poly.phi_index is None else np.asarray(poly.phi_index)[codes]
    idx = idx.astype(np.int64)
    erm = _true_erm(face, idx)
    k = int(np.lexsort((idx, erm))[0])
    return TieBreak(int(idx[k]), value, int(idx.size), float(erm[k]))


def break_ties(face: Face, phi_index: int, value: float) -> TieBreak:
    """The tie rule applied after a solver that returned ``phi_index`` with LP value
    ``value``: on the stored loss table, else by enumeration when ``K^N · D`` is at most
    :data:`ENUMERATE_EVALUATIONS`, else the solver's point (``resolved=False``).

    Examples
    --------
    >>> from lptrain.erm import ERMPolytope
    >>> from lptrain.nn import dense
    >>> poly = ERMPolytope.build(dense([1, 1]), "abs", samples=1, bits=1, backend="numpy")
    >>> face = poly.face([[0.5]], [[0.0]])
    >>> break_ties(face, 1, 0.0).index      # (w, b) = (-1, 0) and (0, 0) tie; 0 has ERM 0
    3
    """
    poly = face.polytope
    if poly.loss_table is not None:
        return _table_minimum(face)
    if poly.levels ** poly.network.N * poly.samples <= ENUMERATE_EVALUATIONS:
        return grid_minimum(face)
    erm = float(_true_erm(face, np.array([phi_index], dtype=np.int64))[0])
    return TieBreak(int(phi_index), float(value), 1, erm, resolved=False)
