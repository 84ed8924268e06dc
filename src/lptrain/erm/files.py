"""Polytope files: ``.npz`` (no pickle) with kind ``"polytope"``, a format version and a
SHA-256 checksum, written atomically (:mod:`lptrain._io`).

What is stored is what the LP cannot be rebuilt without: the loss table (P, G) — the one
evaluation pass, independent of D — the data-informed points (level indices) if any, and
as metadata the network (``Network.to_dict``), loss, regularizer, samples, bits, the
Lipschitz method, ε and the build times. On load the LP is re-assembled deterministically
(assembly is cheap next to evaluation, and the CSC arrays would be about 3D times larger
than the table), the size guard applies, the exact sizes are compared with the stored
ones, and a few table entries are re-evaluated to check that the table belongs to the
network and loss.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lptrain._io import load_npz, save_npz
from lptrain.discretize import GridRange
from lptrain.erm.guard import check_memory
from lptrain.erm.table import phi_grid_indices
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
_SPOT_CHECKS = 16


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
    """Re-evaluate a few table entries; a mismatch means the file does not belong to its
    network and loss."""
    rng = np.random.default_rng(0)
    P, G = table.shape
    rows = rng.integers(0, P, size=min(_SPOT_CHECKS, P))
    cols = rng.integers(0, G, size=rows.size)
    full = cols if poly.phi_index is None else poly.phi_index[cols]
    X, Y = poly.points.values()
    for r, c, f in zip(rows.tolist(), cols.tolist(), full.tolist(), strict=True):
        want = loss_matrix(poly.network, poly.loss, X[r:r + 1], Y[r:r + 1],
                           GridRange(poly.bits, f, f + 1), backend="numpy")[0, 0]
        if not math.isclose(want, table[r, c], rel_tol=1e-9, abs_tol=1e-12):
            raise FileFormatError(
                f"{path}: loss table entry ({r}, {c}) is {table[r, c]!r} but the network "
                f"and loss give {want!r}; the file does not match its metadata")


def load_polytope(cls: type[ERMPolytope], path: str | Path, *,
                  max_memory: int | float | str | None = None) -> ERMPolytope:
    """Load a polytope saved by :func:`save_polytope` and re-assemble its LP."""
    p = Path(path)
    arrays, meta = load_npz(p, kind=KIND, versions=[1, VERSION])
    refuse_redefined(meta, p)
    try:
        network = Network.from_dict(meta["network"])
        table = np.asarray(arrays["loss_table"], dtype=np.float64)
        pts = arrays.get("points")
        points = None
        if pts is not None:
            grid = -1.0 + pts * (2.0 / (1 << int(meta["bits"])))
            points = (grid[:, :network.n], grid[:, network.n:])
        poly = cls.define(network, meta["loss"], samples=int(meta["samples"]),
                          bits=int(meta["bits"]), regularizer=meta["regularizer"],
                          points=points, lipschitz_method=meta["lipschitz_method"])
    except (KeyError, TypeError, ValueError) as exc:
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
    _spot_check(poly, table, p)
    start = time.perf_counter()
    stored = dict(meta.get("build_seconds") or {})
    poly._materialize(table, poly.phi_index, float(stored.get("evaluation", 0.0)))
    poly.build_seconds["loaded"] = time.perf_counter() - start
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
