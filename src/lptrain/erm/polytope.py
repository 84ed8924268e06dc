"""The data-independent ERM polytope of §3.2 (Main Theorem 3.1), built on the BO engine.

Construction (proof of Main Theorem 3.1, SPEC §4), as a :class:`~lptrain.bo.LiftSpec`:

* one finite-domain variable ``φ`` with ``G = |Φ_grid|`` levels (the index of a grid point
  of Φ) and, per sample ``d``, one variable ``p_d`` with ``P`` levels (the index of a data
  grid point (x, y): ``P = K^{n+m}``, or ``|P|`` with data-informed points, Remark 3.2).
  As the engine notes, a K-level variable gives the same polytope as its bits, so the
  counts are the paper's; in bits a bag holds ``bits·(n+m+N)`` of them;
* one :class:`~lptrain.bo.BagBlock` of D bags ``B_d = {p_d, φ}`` sharing the table
  ``F = [P] × [G]`` (stored once; row ``p·G + j``: φ fastest);
* one :class:`~lptrain.bo.EdgeBlock`: the path ``(d, d+1)`` glued on φ;
* one :class:`~lptrain.bo.OutputBlock`: output ``L_d`` lives in bag d with value
  ``ℓ(f(x_p, φ_j), y_p)`` at row ``(p, j)`` and weight ``1/D``; a regularizer ``λR(φ)``
  is the block cost ``λR(φ_j)/D`` of every row (so each bag carries ``1/D`` of it and
  the objective is ``(1/D) Σ_d L_d + λR(φ)``).

:func:`~lptrain.bo.assemble` turns this into the LP (layout in :mod:`lptrain.bo.assemble`):
λ of bag d, row r at column ``d·|F| + r``; X of edge d, φ-index j at
``D·|F| + d·G + j``; convexity rows ``0..D-1``; marginal rows after them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lptrain._progress import progress as progress_bar
from lptrain._validation import check_choice, check_int
from lptrain.bo import (
    BagBlock,
    EdgeBlock,
    LiftedLP,
    LiftSpec,
    OutputBlock,
    SizeBound,
    assemble,
    theorem_2_8_bound,
)
from lptrain.discretize import levels, resolve_bits
from lptrain.erm.guard import MemoryEstimate, check_memory, memory_estimate
from lptrain.erm.table import (
    DataPoints,
    data_points,
    evaluate_loss_table,
    phi_grid_indices,
    regularizer_costs,
)
from lptrain.errors import CertificateError, InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import resolve_backend
from lptrain.nn.lipschitz import LipschitzReport, architecture_lipschitz
from lptrain.nn.losses import Loss, get_loss
from lptrain.nn.regularizers import Regularizer, get_regularizer
from lptrain.sizes import PolytopeSizes, exact_sizes, phi_grid_size
from lptrain.solver import LinearProgram, write_mps

if TYPE_CHECKING:
    from lptrain.erm.face import Face
    from lptrain.erm.solvers import FaceSolver

__all__ = ["ERMPolytope", "polytope_spec", "estimate_build_memory"]


def polytope_spec(D: int, n_points: int, G: int, losses: np.ndarray,
                  row_cost: np.ndarray | None = None) -> LiftSpec:
    """The LiftSpec of the §3.2 polytope: D bags ``{p_d, φ}`` on a path glued on φ.

    ``losses`` (P·G,) is the loss table in row order, ``row_cost`` (G,) the regularizer
    ``λR`` per φ (or None).

    Examples
    --------
    >>> spec = polytope_spec(3, 2, 4, np.arange(8.0))
    >>> spec.n_bags, spec.n_edges, spec.blocks[0].table[:5].tolist()
    (3, 2, [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0]])
    """
    R = n_points * G
    table = np.empty((R, 2), dtype=np.int64)
    table[:, 0] = np.repeat(np.arange(n_points, dtype=np.int64), G)
    table[:, 1] = np.tile(np.arange(G, dtype=np.int64), n_points)
    variables = np.column_stack([1 + np.arange(D, dtype=np.int64), np.zeros(D, np.int64)])
    cost = None if row_cost is None else np.tile(np.asarray(row_cost) / D, n_points)
    bags = np.arange(D, dtype=np.int64)
    edges = () if D == 1 else (EdgeBlock((0, 0), np.column_stack([bags[:-1], bags[1:]]),
                                         np.array([[1], [1]])),)
    out = OutputBlock(0, bags, bags, np.asarray(losses, dtype=np.float64).reshape(-1),
                      np.full(D, 1.0 / D))
    return LiftSpec(levels=np.concatenate([[G], np.full(D, n_points)]).astype(np.int64),
                    blocks=(BagBlock(table, variables, cost),), edges=edges, outputs=(out,),
                    n_outputs=D)


def _prepare(network: Network, loss: str | Loss, samples: int, bits: int | None,
             eps: float | None, regularizer: str | Regularizer | None, points: Any,
             lipschitz_method: str) -> dict[str, Any]:
    if not isinstance(network, Network):
        raise InvalidInputError(f"network must be an lptrain Network (e.g. lptrain.nn.dense"
                                f"([1, 1])); got {type(network).__name__}")
    lo, reg = get_loss(loss), get_regularizer(regularizer)
    D = check_int("samples", samples, 1)
    report = architecture_lipschitz(network, lo, reg, method=lipschitz_method)
    b, achieved = resolve_bits(report.lipschitz, eps=eps, bits=bits)
    pts = data_points(network, b, points)
    sizes = exact_sizes(network.n, network.m, network.N, D, b,
                        phi_grid=phi_grid_size(network, b),
                        n_points=pts.count if pts.data_informed else None)
    return dict(network=network, loss=lo, regularizer=reg, samples=D, bits=b,
                epsilon=achieved, lipschitz=report, sizes=sizes, points=pts)


def estimate_build_memory(network: Network, loss: str | Loss, samples: int, bits: int,
                          points: Any = None, *, regularizer: str | Regularizer | None = None
                          ) -> int:
    """Estimated peak bytes of ``ERMPolytope.build`` plus a first HiGHS face solve
    (see :mod:`lptrain.erm.guard`); ``points`` is ``(Xp, Yp)`` or a number of points.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> estimate_build_memory(dense([1, 1]), "abs", 10, 2) < 2**30
    True
    """
    if isinstance(points, (int, np.integer)) and not isinstance(points, bool):
        sizes = exact_sizes(network.n, network.m, network.N, check_int("samples", samples, 1),
                            bits, phi_grid=phi_grid_size(network, bits), n_points=int(points))
    else:
        sizes = _prepare(network, loss, samples, bits, None, regularizer, points,
                         "paper")["sizes"]
    return memory_estimate(sizes).total


class ERMPolytope:
    """The data-independent polytope of Main Theorem 3.1 for (network, loss, D, ε).

    Use :meth:`build` (materialized LP, for ``solver="highs"``), :meth:`define` (sizes, ε
    and L only, for ``solver="structured"``) or :meth:`load`; then :meth:`face`.

    Attributes
    ----------
    network, loss, regularizer, samples (D), bits, levels (K), epsilon (achieved ε),
    lipschitz (LipschitzReport), sizes (exact PolytopeSizes), materialized,
    build_seconds ({"evaluation", "assembly", "total"}), points (the table's data points),
    loss_table ((P, G) or None), lifted (the assembled LiftedLP or None), memory.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> poly = ERMPolytope.build(dense([1, 1]), "abs", samples=3, bits=1, backend="numpy")
    >>> poly.sizes.variables, poly.lp.n_cols, poly.lp.n_rows, poly.lp.nnz
    (56, 56, 19, 128)
    >>> sol = poly.face([[0.5], [-0.5], [0.0]], [[0.2], [-0.4], [0.1]]).solve()
    >>> sol.phi.tolist(), sol.lp_value, sol.certificate.verified
    ([0.0, 0.0], 0.3333333333333333, True)
    """

    def __init__(self, *, network: Network, loss: Loss, regularizer: Regularizer | None,
                 samples: int, bits: int, epsilon: float, lipschitz: LipschitzReport,
                 sizes: PolytopeSizes, points: DataPoints, backend: str = "auto",
                 lipschitz_method: str = "paper") -> None:
        self.network, self.loss, self.regularizer = network, loss, regularizer
        self.samples, self.bits, self.levels = samples, bits, levels(bits)
        self.epsilon, self.lipschitz, self.sizes, self.points = epsilon, lipschitz, sizes, points
        self.backend = backend
        self.lipschitz_method = lipschitz_method
        self.materialized = False
        self.build_seconds = {"evaluation": 0.0, "assembly": 0.0, "total": 0.0}
        self.loss_table: np.ndarray | None = None
        #: where the loss table came from: "computed" (build) or "file" (load); a table
        #: from a file is never used in place of a recomputation (erm.certificate)
        self.table_source: str | None = None
        self.source: str | None = None  # the file it was loaded from
        self.phi_index: np.ndarray | None = None
        self.reg_costs: np.ndarray | None = None
        self.lifted: LiftedLP | None = None
        self.memory: MemoryEstimate | None = None
        #: this polytope's face solvers, made on first use: name -> (factory, solver)
        self._face_solvers: dict[str, tuple[Any, FaceSolver]] = {}

    # ------------------------------------------------------------------ constructors
    @classmethod
    def define(cls, network: Network, loss: str | Loss, *, samples: int,
               bits: int | None = None, eps: float | None = None,
               regularizer: str | Regularizer | None = None, points: Any = None,
               backend: str = "auto", lipschitz_method: str = "paper") -> ERMPolytope:
        """The polytope's sizes, ε and L without materializing it; its faces can be
        solved with ``solver="structured"``.

        Examples
        --------
        >>> from lptrain.nn import dense
        >>> poly = ERMPolytope.define(dense([2, 1, 1]), "abs", samples=100, bits=3)
        >>> poly.materialized, poly.sizes.variables, poly.epsilon
        (False, 1680965632, 42.0)
        """
        method = check_choice("lipschitz_method", lipschitz_method, ("paper", "refined"))
        resolve_backend(backend)
        fields = _prepare(network, loss, samples, bits, eps, regularizer, points, method)
        return cls(**fields, backend=backend, lipschitz_method=method)

    @classmethod
    def build(cls, network: Network, loss: str | Loss, *, samples: int,
              bits: int | None = None, eps: float | None = None,
              regularizer: str | Regularizer | None = None, points: Any = None,
              max_memory: int | float | str | None = None, progress: bool | None = None,
              backend: str = "auto", lipschitz_method: str = "paper") -> ERMPolytope:
        """Build the polytope: the size guard, one loss evaluation pass over F (independent
        of D), then the sparse LP (D bags glued on φ).

        Raises TooLargeError, before allocating, when the memory estimate exceeds
        ``max_memory`` (bytes or ``"4GiB"``; default half of the available memory).
        """
        poly = cls.define(network, loss, samples=samples, bits=bits, eps=eps,
                          regularizer=regularizer, points=points, backend=backend,
                          lipschitz_method=lipschitz_method)
        poly.memory = check_memory(poly.sizes, max_memory)
        start = time.perf_counter()
        phi_index = phi_grid_indices(network, poly.bits)
        total = poly.points.count * poly.levels ** network.N
        with progress_bar(total, "evaluating losses", enabled=progress, unit="eval") as bar:
            table = evaluate_loss_table(network, poly.loss, poly.points, poly.bits, phi_index,
                                        backend=backend, tick=bar.update)
        poly._materialize(table, phi_index, time.perf_counter() - start)
        poly.table_source = "computed"
        return poly

    def _materialize(self, table: np.ndarray, phi_index: np.ndarray | None,
                     evaluation_seconds: float) -> None:
        start = time.perf_counter()
        G = self.sizes.phi_grid
        if table.shape != (self.points.count, G):
            raise CertificateError(f"loss table has shape {table.shape}; the sizes need "
                                   f"{(self.points.count, G)} (data points × Φ_grid)")
        self.reg_costs = regularizer_costs(self.regularizer, self.network, self.bits,
                                           phi_index, G)
        spec = polytope_spec(self.samples, self.points.count, G, table, self.reg_costs)
        self.lifted = assemble(spec)
        self.loss_table, self.phi_index, self.materialized = table, phi_index, True
        assembly = time.perf_counter() - start
        self.build_seconds = {"evaluation": evaluation_seconds, "assembly": assembly,
                              "total": evaluation_seconds + assembly}
        built = (self.lifted.size.variables, self.lifted.size.constraints,
                 self.lifted.size.nonzeros)
        expected = (self.sizes.variables, self.sizes.constraints, self.sizes.nonzeros)
        if built != expected:  # pragma: no cover - a bug, never a user error
            raise CertificateError(f"built LP has (variables, constraints, nonzeros) = "
                                   f"{built}; lptrain.sizes says {expected}")

    # ------------------------------------------------------------------ views
    @property
    def lp(self) -> LinearProgram:
        """The polytope's LP (materialized polytopes only)."""
        return self._require_lifted("the LP").lp

    @property
    def theorem_2_8_bound(self) -> SizeBound:
        """The engine's Theorem 2.8 bound for D bags of ``⌈log2 P⌉ + ⌈log2 G⌉`` bits
        (``bits·(n+m+N)`` for the full grid)."""
        bag_bits = (self.points.count - 1).bit_length() + (self.sizes.phi_grid - 1).bit_length()
        return theorem_2_8_bound(bag_bits, self.samples)

    def _require_lifted(self, what: str) -> LiftedLP:
        if self.lifted is None:
            raise InvalidInputError(
                f"{what} needs a materialized polytope, but this one was only defined "
                "(ERMPolytope.define): build it with ERMPolytope.build(...), or solve its "
                "faces with solver='structured'")
        return self.lifted

    def face(self, X: Any, Y: Any) -> Face:
        """The face of Lemma 3.6 for data X (D, n) and labels Y (D, m) in [-1, 1]."""
        from lptrain.erm.face import Face
        return Face(self, X, Y)

    # ------------------------------------------------------------------ face solvers
    def face_solver(self, name: str) -> FaceSolver:
        """This polytope's face solver ``name`` (a key of ``lptrain.erm.SOLVERS``), made on
        first use and kept: per-polytope state, such as the one HiGHS session of
        :class:`~lptrain.erm.solvers.HighsFaceSolver`, lives in the solver."""
        from lptrain.erm.face import SOLVERS

        key = check_choice("solver", name, tuple(SOLVERS))
        factory = SOLVERS[key]
        held = self._face_solvers.get(key)
        if held is None or held[0] is not factory:
            if held is not None:
                held[1].close()
            held = (factory, factory())
            self._face_solvers[key] = held
        return held[1]

    def close(self) -> None:
        """Release what the face solvers hold (the HiGHS session: a later
        ``solver="highs"`` starts a new one)."""
        for _, solver in self._face_solvers.values():
            solver.close()

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: problem, ε and L, exact sizes, bounds, times, memory."""
        s = self.sizes
        t28 = self.theorem_2_8_bound
        out: dict[str, Any] = {
            "network": {"kind": self.network.kind, "n": self.network.n, "m": self.network.m,
                        "N": self.network.N, "widths": list(self.network.widths)},
            "loss": self.loss.name,
            "regularizer": None if self.regularizer is None else self.regularizer.spec,
            "samples": self.samples, "bits": self.bits, "levels": self.levels,
            "epsilon": self.epsilon, "lipschitz": self.lipschitz.lipschitz,
            "lipschitz_method": self.lipschitz.method, "materialized": self.materialized,
            "data_informed": self.points.data_informed, "data_points": self.points.count,
            "phi_grid": s.phi_grid, "table_rows": s.table_rows,
            "variables": s.variables, "constraints": s.constraints, "nonzeros": s.nonzeros,
            "bound_variables": s.bound_variables, "bound_constraints": s.bound_constraints,
            "theorem_2_8": {"variables": t28.variables, "constraints": t28.constraints,
                            "nonzeros": t28.nonzeros},
            "tree_width": s.tree_width, "evaluations": s.build_evaluations,
            "sizes": s.to_dict(), "build_seconds": dict(self.build_seconds),
            "memory_estimate": None if self.memory is None else self.memory.total,
        }
        if self.lifted is not None:
            size = self.lifted.size
            out["built"] = {"variables": size.variables, "constraints": size.constraints,
                            "nonzeros": size.nonzeros}
        return out

    def save(self, path: str | Path) -> Path:
        """Save the loss table and everything needed to rebuild the LP (see
        :mod:`lptrain.erm.files`)."""
        from lptrain.erm.files import save_polytope
        return save_polytope(self, path)

    @classmethod
    def load(cls, path: str | Path, *, max_memory: int | float | str | None = None,
             verify: str = "full") -> ERMPolytope:
        """Load a saved polytope and re-assemble its LP (size guard applies).

        ``verify``: ``"full"`` (default) recomputes the whole loss table from the stored
        network and refuses any disagreement; ``"sample"`` re-evaluates random entries
        only. Either way a HiGHS face solve recomputes every cost of its face.
        """
        from lptrain.erm.files import load_polytope
        return load_polytope(cls, path, max_memory=max_memory, verify=verify)

    def write_mps(self, path: str | Path) -> Path:
        """Write the polytope's LP in free MPS (materialized polytopes only)."""
        return write_mps(self.lp, path, name="ERMPOLYTOPE")

    def __repr__(self) -> str:
        state = "built" if self.materialized else "defined"
        return (f"ERMPolytope({state}, {self.network!r}, loss={self.loss.name!r}, "
                f"samples={self.samples}, bits={self.bits}, epsilon={self.epsilon:g}, "
                f"variables={self.sizes.variables})")
