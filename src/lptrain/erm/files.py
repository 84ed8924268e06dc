"""Polytope files: ``.npz`` (no pickle) with kind ``"polytope"``, a format version and a
SHA-256 checksum, written atomically (:mod:`lptrain._io`).

What is stored is what the LP cannot be rebuilt without: the loss table (P, G) — the one
evaluation pass, independent of D — the data-informed points (level indices) if any, and
as metadata the network (``Network.to_dict``), loss, regularizer, samples, bits, the
Lipschitz method, ε and the build times. On load the LP is re-assembled deterministically
(assembly is cheap next to evaluation, and the CSC arrays would be about 3D times larger
than the table), the size guard applies, the exact sizes are compared with the stored
ones, and ε, L and the regularizer costs are recomputed from the stored network.

The checksum only detects accidents (anyone can recompute it), so the loss table is never
trusted: ``verify="full"`` (default) recomputes the whole table on load with the numpy
reference evaluator and refuses any disagreement — measured at 1–2 % of a load, which is
dominated by the LP assembly (``benchmarks/bench_polytope_verify.py``); ``verify="sample"``
re-evaluates only random entries. Either way every HiGHS face solve recomputes each cost
of its face before its answer may be called verified
(:func:`lptrain.erm.certificate.check_face_table`).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lptrain._io import load_npz, save_npz
from lptrain._validation import check_choice
from lptrain.discretize import GridRange
from lptrain.erm.guard import check_memory
from lptrain.erm.table import evaluate_loss_table, phi_grid_indices
from lptrain.errors import FileFormatError, LPTrainError
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import loss_matrix
from lptrain.nn.losses import get_loss

if TYPE_CHECKING:
    from lptrain.erm.polytope import ERMPolytope

__all__ = ["save_polytope", "load_polytope", "KIND", "VERSION"]

KIND = "polytope"
#: 2: the hinge loss of m > 1 outputs is the sum of per-output hinges (format 1 stored
#: max(1 - zᵀy, 0), refused on load: see lptrain.components.losses.hinge).
VERSION = 2
_SPOT_CHECKS = 64


def save_polytope(poly: ERMPolytope, path: str | Path) -> Path:
    """Save a built polytope (see the module docstring)."""
    table = poly.loss_table
    if table is None:
        poly._require_lifted("save")
    assert table is not None
    arrays: dict[str, np.ndarray] = {"loss_table": table}
    if poly.points.levels is not None:
        arrays["points"] = poly.points.levels
    meta = {"network": poly.network.to_dict(), "loss": poly.loss.name,
            "regularizer": None if poly.regularizer is None else poly.regularizer.spec,
            "samples": poly.samples, "bits": poly.bits, "epsilon": poly.epsilon,
            "lipschitz": poly.lipschitz.lipschitz, "lipschitz_method": poly.lipschitz_method,
            "sizes": poly.sizes.to_dict(), "build_seconds": poly.build_seconds}
    return save_npz(path, arrays, meta, kind=KIND, version=VERSION)


def _spot_check(poly: ERMPolytope, table: np.ndarray, path: Path) -> None:
    """Re-evaluate table entries at random positions (fresh entropy each load, so an edit
    cannot avoid them); a mismatch means the file does not belong to its network and loss."""
    rng = np.random.default_rng()
    P, G = table.shape
    rows = rng.integers(0, P, size=min(_SPOT_CHECKS, P * G))
    cols = rng.integers(0, G, size=rows.size)
    full = cols if poly.phi_index is None else poly.phi_index[cols]
    X, Y = poly.points.values()
    for r, c, f in zip(rows.tolist(), cols.tolist(), full.tolist(), strict=True):
        want = loss_matrix(poly.network, poly.loss, X[r:r + 1], Y[r:r + 1],
                           GridRange(poly.bits, f, f + 1), backend="numpy")[0, 0]
        _compare(table[r, c], want, (r, c), path)


def _compare(have: float, want: float, where: tuple[int, int], path: Path) -> None:
    if not math.isclose(want, have, rel_tol=1e-9, abs_tol=1e-12):
        raise FileFormatError(
            f"{path}: loss table entry {where} is {float(have)!r} but the stored network and "
            f"loss give {float(want)!r}: the table disagrees with its own network (the file "
            "was edited or damaged); rebuild it with lptrain build")


def _full_check(poly: ERMPolytope, table: np.ndarray, path: Path) -> None:
    """Recompute the whole table with the numpy reference evaluator; refuse any mismatch."""
    fresh = evaluate_loss_table(poly.network, poly.loss, poly.points, poly.bits,
                                poly.phi_index, backend="numpy")
    bad = np.argwhere(~np.isclose(table, fresh, rtol=1e-9, atol=1e-12))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        _compare(table[r, c], fresh[r, c], (r, c), path)


def load_polytope(cls: type[ERMPolytope], path: str | Path, *,
                  max_memory: int | float | str | None = None, verify: str = "full"
                  ) -> ERMPolytope:
    """Load a polytope saved by :func:`save_polytope` and re-assemble its LP; ``verify``
    is ``"full"`` or ``"sample"`` (see the module docstring)."""
    mode = check_choice("verify", verify, ("full", "sample"))
    p = Path(path)
    arrays, meta = load_npz(p, kind=KIND, versions=[1, VERSION])
    refuse_redefined(meta, p)
    table = arrays.get("loss_table")
    if table is None or table.dtype != np.float64:
        raise FileFormatError(f"{p}: the loss table must be an array of float64; it is "
                              f"{'missing' if table is None else table.dtype}")
    try:
        network = Network.from_dict(meta["network"])
        samples, bits = meta["samples"], meta["bits"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (samples, bits)):
            raise TypeError(f"samples and bits must be integers; got {samples!r}, {bits!r}")
        pts = arrays.get("points")
        points = None
        if pts is not None:
            if (pts.dtype.kind not in "iu" or pts.ndim != 2
                    or pts.shape[1] != network.n + network.m or not 1 <= bits <= 30
                    or pts.size == 0 or pts.min() < 0 or pts.max() >= (1 << bits)):
                raise ValueError("points must be integer grid levels in [0, 2**bits), one "
                                 "row of n + m per point")
            grid = -1.0 + pts * (2.0 / (1 << bits))
            points = (grid[:, :network.n], grid[:, network.n:])
        poly = cls.define(network, meta["loss"], samples=samples, bits=bits,
                          regularizer=meta["regularizer"], points=points,
                          lipschitz_method=meta["lipschitz_method"])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
            RecursionError) as exc:
        if isinstance(exc, LPTrainError):
            raise FileFormatError(f"{p}: cannot rebuild the polytope ({exc})") from None
        raise FileFormatError(f"{p}: malformed polytope metadata ({exc!r})") from None
    except LPTrainError as exc:
        raise FileFormatError(f"{p}: cannot rebuild the polytope ({exc})") from None
    if poly.sizes.to_dict() != meta.get("sizes"):
        raise FileFormatError(f"{p}: the stored sizes do not match the sizes of the stored "
                              "network, loss, samples and bits")
    if table.ndim != 2 or table.shape != (poly.points.count, poly.sizes.phi_grid):
        raise FileFormatError(f"{p}: loss table has shape {table.shape}; expected "
                              f"{(poly.points.count, poly.sizes.phi_grid)}")
    if not np.isfinite(table).all():
        raise FileFormatError(f"{p}: loss table contains NaN or inf")
    poly.memory = check_memory(poly.sizes, max_memory)
    poly.phi_index = phi_grid_indices(network, poly.bits)
    start = time.perf_counter()
    if mode == "full":
        _full_check(poly, table, p)
    else:
        _spot_check(poly, table, p)
    checked = time.perf_counter() - start
    start = time.perf_counter()
    stored = dict(meta.get("build_seconds") or {})
    poly._materialize(table, poly.phi_index, float(stored.get("evaluation", 0.0)))
    poly.build_seconds["loaded"] = time.perf_counter() - start
    poly.build_seconds["table_check"] = checked
    poly.table_source = "file"
    poly.source = str(p)
    return poly


def describe(path: str | Path) -> dict[str, Any]:
    """The metadata of a polytope file (checked), without re-assembling the LP."""
    _, meta = load_npz(Path(path), kind=KIND, versions=[1, VERSION])
    refuse_redefined(meta, Path(path))
    return meta


def refuse_redefined(meta: dict[str, Any], path: Path) -> None:
    """Refuse a format-1 file whose loss meant something else then (the component says
    why: :meth:`lptrain.components.Loss.legacy_reason`)."""
    if meta.get("format_version") != 1:
        return
    try:
        m = len(meta["network"]["outputs"])
        loss = get_loss(meta["loss"])
    except (KeyError, TypeError, LPTrainError):
        return  # malformed: the full checks report it
    loss.refuse_legacy(m, str(path))
