"""The table F of §3.2: grid points ``v = (x, y, φ)`` and the one loss evaluation pass.

Rows of F are in mixed-radix order over (x coordinates, y coordinates, φ), φ fastest, so
the rows of one data point ``(x, y)`` form a contiguous block of ``|Φ_grid|`` rows. The
data points are either every grid point of ``[-1, 1]^{n+m}`` (``K^{n+m}`` of them, step 1
of the proof of Main Theorem 3.1) or, with data-informed point generation (Remark 3.2), a
given finite set P, discretized and deduplicated (in the same lexicographic order).
The loss pass evaluates ``ℓ(f(x, φ), y)`` once per row of F, independently of D.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._validation import check_unit_box
from lptrain.discretize import GridRange, grid_index, grid_points, levels, round_down
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import check_data, loss_matrix
from lptrain.nn.losses import Loss
from lptrain.nn.regularizers import Regularizer

__all__ = ["DataPoints", "data_points", "discretize_data", "point_positions",
           "phi_grid_indices", "regularizer_costs", "evaluate_loss_table", "SCALE_HINT"]

#: Appended to "outside [-1, 1]" errors.
SCALE_HINT = ("scale the data into [-1, 1] first (lptrain.data.UnitScaler, or scale=True "
              "in LPTrainer)")
_CHUNK_CELLS = 2**22  # loss-table cells evaluated per call (32 MiB of float64)


@dataclass(frozen=True)
class DataPoints:
    """The data points of the table: ``levels`` (P, n+m) grid level indices (x first), or
    ``None`` for the full grid of ``K^{n+m}`` points."""

    n: int
    m: int
    bits: int
    count: int
    levels: np.ndarray | None

    @property
    def data_informed(self) -> bool:
        return self.levels is not None

    def values(self, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Grid values ``(X, Y)`` of points ``start..stop-1``."""
        stop = self.count if stop is None else stop
        if self.levels is None:
            pts = grid_points(self.n + self.m, self.bits, start, stop)
        else:
            pts = -1.0 + self.levels[start:stop] * (2.0 / levels(self.bits))
        return np.ascontiguousarray(pts[:, :self.n]), np.ascontiguousarray(pts[:, self.n:])


def discretize_data(network: Network, X: Any, Y: Any, bits: int, what: str = "X"
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Check data and labels and round them down to the grid (§3.1) → level indices
    (D, n+m), x coordinates first, and the checked ``(X, Y)`` stacked as (D, n+m).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> lv, _ = discretize_data(dense([1, 1]), [[0.3]], [[-0.9]], 2)
    >>> lv.tolist()
    [[2, 0]]
    """
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    ylabel = "Y" if what == "X" else f"{what} labels"
    check_unit_box(what, Xa, SCALE_HINT)
    check_unit_box(ylabel, Ya, SCALE_HINT)
    both = np.concatenate([Xa, Ya], axis=1)
    return round_down(both, bits).reshape(both.shape), both


def data_points(network: Network, bits: int, points: Any = None) -> DataPoints:
    """The table's data points: the full grid, or ``points = (Xp, Yp)`` discretized and
    deduplicated (Remark 3.2).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> p = data_points(dense([1, 1]), 2, ([[0.3], [0.35], [-1.0]], [[0.0], [0.0], [0.5]]))
    >>> p.count, p.levels.tolist()
    (2, [[0, 3], [2, 2]])
    """
    n, m = network.n, network.m
    if points is None:
        return DataPoints(n, m, bits, levels(bits) ** (n + m), None)
    if not isinstance(points, (tuple, list)) or len(points) != 2:
        raise InvalidInputError("points must be a pair (Xp, Yp) of arrays of candidate data "
                                f"points and labels; got {type(points).__name__}")
    lv, _ = discretize_data(network, points[0], points[1], bits, what="points")
    unique = np.unique(lv, axis=0)
    return DataPoints(n, m, bits, int(unique.shape[0]), unique)


def point_positions(points: DataPoints, data_levels: np.ndarray, data: np.ndarray
                    ) -> np.ndarray:
    """Row of each discretized data point among the table's data points; a point that is
    not there (data-informed tables only) is an error naming its row.

    Examples
    --------
    >>> p = DataPoints(1, 1, 2, 16, None)
    >>> point_positions(p, np.array([[2, 0], [3, 3]]), np.zeros((2, 2))).tolist()
    [8, 15]
    """
    if points.levels is None:
        return np.asarray(grid_index(data_levels, points.bits), dtype=np.int64)
    P = points.count
    _, inv = np.unique(np.concatenate([points.levels, data_levels]), axis=0,
                       return_inverse=True)
    inv = inv.ravel()
    where = np.full(int(inv.max()) + 1, -1, dtype=np.int64)
    where[inv[:P]] = np.arange(P)
    pos = where[inv[P:]]
    missing = np.flatnonzero(pos < 0)
    if missing.size:
        d = int(missing[0])
        grid = -1.0 + data_levels[d] * (2.0 / levels(points.bits))
        raise InvalidInputError(
            f"data point in row {d} (x, y) = {data[d].tolist()} discretizes to "
            f"{grid.tolist()}, which is not one of the polytope's {P} data-informed points "
            f"(Remark 3.2; {missing.size} of {pos.size} rows are missing): build the "
            "polytope on points that include it, or on the full grid (points=None)")
    return pos


def phi_grid_indices(network: Network, bits: int) -> np.ndarray | None:
    """Full-grid indices of the points of ``Φ_grid`` satisfying the network's constraint
    (in increasing order), or ``None`` when Φ is the whole box (every ``K^N`` point).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> net = dense([1, 1]).with_constraint([[1.0, 1.0]], [-1.5])
    >>> phi_grid_indices(net, 1).tolist()
    [0]
    """
    if network.constraint is None:
        return None
    total, step, parts = levels(bits) ** network.N, 2**20, []
    for start in range(0, total, step):
        pts = grid_points(network.N, bits, start, min(start + step, total))
        parts.append(start + np.flatnonzero(network.feasible(pts)))
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def _phi_values(network: Network, bits: int, phi_index: np.ndarray | None, start: int,
                stop: int) -> np.ndarray:
    if phi_index is None:
        return grid_points(network.N, bits, start, stop)
    from lptrain.discretize import grid_levels
    return -1.0 + grid_levels(phi_index[start:stop], network.N, bits) * (2.0 / levels(bits))


def regularizer_costs(regularizer: Regularizer | None, network: Network, bits: int,
                      phi_index: np.ndarray | None, G: int) -> np.ndarray | None:
    """``λR(φ)`` for every point of ``Φ_grid`` (in table order), or None.

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> from lptrain.nn.regularizers import get_regularizer
    >>> regularizer_costs(get_regularizer("l1:0.5"), dense([1, 1]), 1, None, 4).tolist()
    [1.0, 0.5, 0.5, 0.0]
    """
    if regularizer is None:
        return None
    out, step = np.empty(G), 2**20
    for start in range(0, G, step):
        stop = min(start + step, G)
        out[start:stop] = regularizer(_phi_values(network, bits, phi_index, start, stop))
    return out


def evaluate_loss_table(network: Network, loss: Loss, points: DataPoints, bits: int,
                        phi_index: np.ndarray | None, *, backend: str = "auto",
                        tick: Callable[[int], None] | None = None) -> np.ndarray:
    """The one evaluation pass of step 1: ``ℓ(f(x, φ), y)`` for every data point and every
    point of ``Φ_grid`` → (P, G), rows of one data point contiguous.

    Works in chunks of about 4M cells; ``tick(cells)`` is called after each.

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> t = evaluate_loss_table(dense([1, 1]), Loss("abs"), DataPoints(1, 1, 1, 4, None), 1,
    ...                         None, backend="numpy")
    >>> t.shape, t[3].tolist()
    ((4, 4), [1.0, 0.0, 1.0, 0.0])
    """
    total = levels(bits) ** network.N
    G = total if phi_index is None else int(phi_index.size)
    table = np.empty((points.count, G))
    rows = max(1, min(points.count, _CHUNK_CELLS // max(total, 1)))
    cols = total if rows > 1 or total <= _CHUNK_CELLS else _CHUNK_CELLS
    for p0 in range(0, points.count, rows):
        p1 = min(p0 + rows, points.count)
        X, Y = points.values(p0, p1)
        for c0 in range(0, total, cols):
            c1 = min(c0 + cols, total)
            block = loss_matrix(network, loss, X, Y, GridRange(bits, c0, c1), backend=backend)
            if phi_index is None:
                table[p0:p1, c0:c1] = block
            else:
                lo, hi = np.searchsorted(phi_index, [c0, c1])
                table[p0:p1, lo:hi] = block[:, phi_index[lo:hi] - c0]
            if tick is not None:
                tick((p1 - p0) * (c1 - c0))
    return table
