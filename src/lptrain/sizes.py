"""Sizes of the §3 polytope, its faces and the §3.4 enumeration; Table 1 (§1.2.2, §4).

The data-independent polytope of §3.2 (the layout the ERM builder follows): D bags on a
path, each holding the same table F of grid points ``v = (x, y, φ)`` with
``|F| = K^{n+m} · |Φ_grid|`` (``K = 2**bits``; ``|Φ_grid| = K^N`` or the number of grid
points satisfying the network's constraint on Φ). Variables: ``λ_{d,v}`` (``D|F|``) and
``X_{e,φ}`` on each of the D-1 path edges (``|Φ_grid|`` each). Constraints: D convexity rows
and ``2(D-1)|Φ_grid|`` marginal rows. Nonzeros: ``D|F|`` (convexity) ``+ 2(D-1)|F|`` (each λ
in the marginal rows of its incident edges) ``+ 2(D-1)|Φ_grid|`` (the X entries).

Main Theorem 3.1 bounds these by ``4D(2L/ε)^{n+m+N}`` variables and
``2D(2(2L/ε)^{n+m+N} + 1)`` constraints; with ``bits`` the grid has exactly
``2L/ε = 2**bits`` (ε is the error achieved by the grid, ≤ any requested ε), so every
count here is an exact Python int. The face of Lemma 3.6 keeps ``D|Φ_grid|`` free λ and the
``(D-1)|Φ_grid|`` X; the §3.4 enumeration evaluates ``D|Φ_grid|`` losses, the polytope build
``|F|`` (independent of D). Remark 3.2 (data-informed points): ``|F| = |P| · |Φ_grid|``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lptrain._validation import check_int
from lptrain.components import Loss, get_loss
from lptrain.discretize import grid_points, grid_size, levels, resolve_bits
from lptrain.errors import TooLargeError
from lptrain.nn.architecture import Network
from lptrain.nn.lipschitz import LipschitzReport, architecture_lipschitz
from lptrain.nn.regularizers import Regularizer

__all__ = ["PolytopeSizes", "Table1Row", "TABLE1", "exact_sizes", "polytope_sizes",
           "data_informed_sizes", "phi_grid_size", "main_theorem_bounds", "table1_row"]

#: Largest Φ-grid enumerated to count the points satisfying a constraint.
MAX_COUNTED_GRID = 2**32


@dataclass(frozen=True)
class PolytopeSizes:
    """Exact sizes of the §3 polytope, its face and the §3.4 enumeration, with the
    Main Theorem 3.1 bounds (all ints)."""

    n: int
    m: int
    N: int
    D: int
    bits: int
    levels: int
    data_points: int
    phi_grid: int
    table_rows: int
    lambda_variables: int
    x_variables: int
    variables: int
    constraints: int
    nonzeros: int
    face_free_lambda: int
    face_variables: int
    build_evaluations: int
    enumeration_configurations: int
    enumeration_evaluations: int
    bound_variables: int
    bound_constraints: int
    tree_width: int
    data_informed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (ints stay exact)."""
        return asdict(self)


def main_theorem_bounds(n: int, m: int, N: int, D: int, ratio: int | float
                        ) -> tuple[int | float, int | float]:
    """Main Theorem 3.1: ``(4D r^{n+m+N}, 2D(2 r^{n+m+N} + 1))`` with ``r = 2L/ε``.

    Examples
    --------
    >>> main_theorem_bounds(2, 1, 5, 10, 8)
    (671088640, 671088660)
    """
    power = ratio ** (n + m + N)
    return 4 * D * power, 2 * D * (2 * power + 1)


def exact_sizes(n: int, m: int, N: int, D: int, bits: int, *, phi_grid: int | None = None,
                n_points: int | None = None) -> PolytopeSizes:
    """Exact counts for dimensions (n, m, N), D samples and ``bits`` per coordinate.

    ``phi_grid`` overrides ``K**N`` (a constrained Φ); ``n_points`` gives the data-informed
    variant of Remark 3.2 (``|P|`` data points instead of ``K^{n+m}``).

    Examples
    --------
    >>> s = exact_sizes(2, 1, 5, D=10, bits=3)
    >>> s.table_rows, s.variables, s.constraints, s.nonzeros
    (16777216, 168067072, 589834, 470351872)
    >>> s.variables <= s.bound_variables and s.constraints <= s.bound_constraints
    True
    """
    D = check_int("D (samples)", D, 1)
    K = levels(bits)
    grid = grid_size(N, bits) if phi_grid is None else check_int("phi_grid", phi_grid, 0)
    pts = K ** (n + m) if n_points is None else check_int("n_points", n_points, 1)
    rows = pts * grid
    lam, xv = D * rows, (D - 1) * grid
    bv, bc = main_theorem_bounds(n, m, N, D, K)
    return PolytopeSizes(
        n=n, m=m, N=N, D=D, bits=bits, levels=K, data_points=pts, phi_grid=grid,
        table_rows=rows, lambda_variables=lam, x_variables=xv, variables=lam + xv,
        constraints=D + 2 * (D - 1) * grid,
        nonzeros=D * rows + 2 * (D - 1) * rows + 2 * (D - 1) * grid,
        face_free_lambda=D * grid, face_variables=D * grid + xv, build_evaluations=rows,
        enumeration_configurations=grid, enumeration_evaluations=D * grid,
        bound_variables=int(bv), bound_constraints=int(bc),
        tree_width=bits * (n + m + N) - 1, data_informed=n_points is not None)


def phi_grid_size(network: Network, bits: int) -> int:
    """``|Φ_grid|``: ``K**N``, or the grid points satisfying the network's constraint
    (counted in chunks; refused above 2**32 points).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> net = dense([1, 1])
    >>> phi_grid_size(net, 2), phi_grid_size(net.with_constraint([[1.0, 1.0]], [0.0]), 2)
    (16, 13)
    """
    total = grid_size(network.N, bits)
    if network.constraint is None:
        return total
    if total > MAX_COUNTED_GRID:
        raise TooLargeError(
            f"counting the constrained parameter grid needs {total} evaluations of the "
            f"constraint (K**N with bits={bits}, N={network.N}); the limit is "
            f"{MAX_COUNTED_GRID}: use fewer bits")
    count, step = 0, 2**20
    for start in range(0, total, step):
        pts = grid_points(network.N, bits, start, min(start + step, total))
        count += int(np.count_nonzero(network.feasible(pts)))
    return count


def polytope_sizes(network: Network, loss: str | Loss, D: int, *, eps: float | None = None,
                   bits: int | None = None, regularizer: str | Regularizer | None = None,
                   method: str = "paper") -> tuple[PolytopeSizes, LipschitzReport, float]:
    """Sizes for a network and loss: computes L (§4), the bits from ε (or ε from the
    bits, §3.1) and the exact counts. Returns ``(sizes, lipschitz report, ε achieved)``.

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> s, lip, eps = polytope_sizes(dense([2, 1, 1]), "abs", D=100, bits=3)
    >>> lip.lipschitz, eps, s.phi_grid, s.enumeration_evaluations
    (168.0, 42.0, 32768, 3276800)
    """
    report = architecture_lipschitz(network, get_loss(loss), regularizer, method=method)
    b, achieved = resolve_bits(report.lipschitz, eps=eps, bits=bits)
    sizes = exact_sizes(network.n, network.m, network.N, D, b,
                        phi_grid=phi_grid_size(network, b))
    return sizes, report, achieved


def data_informed_sizes(network: Network, loss: str | Loss, D: int, n_points: int, *,
                        eps: float | None = None, bits: int | None = None,
                        regularizer: str | Regularizer | None = None) -> PolytopeSizes:
    """Remark 3.2: sizes when F = P × Φ_grid for a finite set P of ``n_points`` (x, y).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> data_informed_sizes(dense([2, 1, 1]), "abs", 100, 100, bits=3).table_rows
    3276800
    """
    report = architecture_lipschitz(network, get_loss(loss), regularizer)
    b, _ = resolve_bits(report.lipschitz, eps=eps, bits=bits)
    return exact_sizes(network.n, network.m, network.N, D, b,
                       phi_grid=phi_grid_size(network, b), n_points=n_points)


@dataclass(frozen=True)
class Table1Row:
    """One row of the paper's Table 1: an O(·) size expression, not an exact count."""

    architecture: str
    losses: tuple[str, ...]
    expression: str
    notes: str


_AQH = ("abs", "quadratic", "hinge")
#: Table 1 of the paper (polytope sizes as O(·) expressions).
TABLE1: tuple[Table1Row, ...] = (
    Table1Row("DNN", _AQH, "O((m w^O(k^2) / eps)^(n+m+N) D)", "N = |E(G)|"),
    Table1Row("DNN", ("cross_entropy",), "O((m log(m) w^O(k^2) / eps)^(n+m+N) D)",
              "N = |E(G)|"),
    Table1Row("CNN", _AQH, "O((m w^O(k^2) / eps)^(n+m+N) D)", "N << |E(G)|"),
    Table1Row("ResNet", _AQH, "O((m Delta^O(k^2) / eps)^(n+m+N) D)", "Delta = max in-degree"),
    Table1Row("ResNet", ("cross_entropy",), "O((m log(m) Delta^O(k^2) / eps)^(n+m+N) D)",
              "Delta = max in-degree"),
)
_KIND = {"dense": "DNN", "conv1d": "CNN", "conv2d": "CNN", "resnet": "ResNet", "dag": "ResNet"}


def table1_row(network: Network, loss: str | Loss) -> Table1Row:
    """The Table 1 row for a network kind and loss (a general DAG uses the Δ rows of
    Lemma 4.5; a CNN with cross-entropy, absent from the table, the DNN one with N ≪ |E|).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> table1_row(dense([2, 3, 1]), "hinge").expression
    'O((m w^O(k^2) / eps)^(n+m+N) D)'
    """
    lo, arch = get_loss(loss), _KIND.get(network.kind, "ResNet")
    name = lo.table1_like or lo.spec
    row = _table1_lookup(arch, name)
    if row is None:
        return Table1Row(arch, (lo.spec,), "not covered (outside the Lipschitz theory)", "")
    if name != lo.spec:  # a loss the paper does not list, with a constant of that order
        note = f"{lo.spec}: L(loss) of the order of {name}'s"
        return Table1Row(row.architecture, row.losses, row.expression,
                         f"{row.notes}; {note}" if row.notes else note)
    return row


def _table1_lookup(arch: str, name: str) -> Table1Row | None:
    for row in TABLE1:
        if row.architecture == arch and name in row.losses:
            return row
    for row in TABLE1:
        if row.architecture == ("DNN" if arch == "CNN" else arch) and name in row.losses:
            return Table1Row(arch, row.losses, row.expression, "N << |E(G)| (by Lemma 4.5)")
    return None
