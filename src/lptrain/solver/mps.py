"""Writing a :class:`~lptrain.solver.lp.LinearProgram` as a free-format MPS file.

Free MPS (whitespace-separated fields), read by HiGHS, SCIP, Gurobi, CPLEX and most
others. Names are generated: columns ``C0, C1, ...``, rows ``R0, R1, ...``, the objective
row ``OBJ``. Conventions used:

* a row ``L <= a^T x <= U`` is written as ``E`` (``L == U``), ``G`` with right-hand side
  ``L`` (``U = inf``), ``L`` with right-hand side ``U`` (``L = -inf``), or ``G`` with
  right-hand side ``L`` and a ``RANGES`` entry ``U - L`` (both finite); a row with no
  finite bound is written as an extra ``N`` row (free, ignored by readers);
* the objective constant ``offset`` is written as the right-hand side ``-offset`` of the
  objective row (the convention of HiGHS and SCIP);
* ``OBJSENSE MAX`` is written for a maximization problem;
* bounds other than the default ``[0, inf)`` are written explicitly (``FR``, ``MI``,
  ``FX``, ``LO``, ``UP``), lower before upper; a zero lower bound is written too when the
  upper bound is negative (old readers reset it to ``-inf`` on a negative ``UP``);
* numbers use ``repr`` (17 significant digits), so the file round-trips exactly.

The file is written atomically: to a temporary file in the same directory, then renamed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from lptrain.solver.lp import LinearProgram

__all__ = ["write_mps"]


def _rows_section(lp: LinearProgram) -> tuple[list[str], np.ndarray, np.ndarray]:
    lo, up = lp.row_lower, lp.row_upper
    kind = np.full(lp.n_rows, "G", dtype="<U1")
    rhs = lo.copy()
    kind[lo == up] = "E"
    only_up = np.isneginf(lo) & np.isfinite(up)
    kind[only_up] = "L"
    rhs[only_up] = up[only_up]
    free = np.isneginf(lo) & np.isposinf(up)
    kind[free] = "N"
    rhs[free] = 0.0
    ranged = np.isfinite(lo) & np.isfinite(up) & (lo != up)
    lines = [" N OBJ"] + [f" {k} R{i}" for i, k in enumerate(kind.tolist())]
    return lines, rhs, ranged


def _columns_section(lp: LinearProgram) -> list[str]:
    A = lp.A
    counts = np.diff(A.indptr)
    cols = np.repeat(np.arange(lp.n_cols), counts)
    entries = [
        f" C{j} R{i} {v!r}"
        for j, i, v in zip(cols.tolist(), A.indices.tolist(), A.data.tolist(), strict=True)
    ]
    # Objective entries go first within their column; empty columns need one line to exist.
    obj_cols = np.flatnonzero((lp.c != 0.0) | (counts == 0))
    if not obj_cols.size:
        return entries
    obj_lines = [
        f" C{j} OBJ {v!r}" for j, v in zip(obj_cols.tolist(), lp.c[obj_cols].tolist(), strict=True)
    ]
    keys = np.concatenate([obj_cols, cols])
    first = np.concatenate([np.zeros(obj_cols.size, np.int8), np.ones(cols.size, np.int8)])
    merged = obj_lines + entries
    return [merged[k] for k in np.lexsort((first, keys)).tolist()]


def _bounds_section(lp: LinearProgram) -> list[str]:
    lines: list[str] = []
    lo, up = lp.col_lower, lp.col_upper
    special = np.flatnonzero((lo != 0.0) | np.isfinite(up))
    for j, a, b in zip(special.tolist(), lo[special].tolist(), up[special].tolist(), strict=True):
        if a == -np.inf and b == np.inf:
            lines.append(f" FR BND C{j}")
        elif a == b:
            lines.append(f" FX BND C{j} {a!r}")
        else:
            if a == -np.inf:
                lines.append(f" MI BND C{j}")
            elif a != 0.0 or b < 0.0:
                lines.append(f" LO BND C{j} {a!r}")
            if b != np.inf:
                lines.append(f" UP BND C{j} {b!r}")
    return lines


def write_mps(lp: LinearProgram, path: str | os.PathLike[str], *, name: str = "LPTRAIN") -> Path:
    """Write ``lp`` to ``path`` in free MPS format, atomically; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> lp = LinearProgram(c=[1.0, 2.0], A=[[1.0, 1.0]], row_lower=[1.0], row_upper=[3.0],
    ...                    col_lower=[0.0, -1.0], col_upper=[1.0, np.inf], offset=0.5)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     text = write_mps(lp, pathlib.Path(d) / "small.mps").read_text()
    >>> print(text, end="")
    NAME LPTRAIN
    ROWS
     N OBJ
     G R0
    COLUMNS
     C0 OBJ 1.0
     C0 R0 1.0
     C1 OBJ 2.0
     C1 R0 1.0
    RHS
     RHS OBJ -0.5
     RHS R0 1.0
    RANGES
     RNG R0 2.0
    BOUNDS
     UP BND C0 1.0
     LO BND C1 -1.0
    ENDATA
    """
    path = Path(path)
    rows, rhs, ranged = _rows_section(lp)
    parts = [f"NAME {name}"]
    if lp.sense == "max":
        parts += ["OBJSENSE", " MAX"]
    parts += ["ROWS", *rows, "COLUMNS", *_columns_section(lp), "RHS"]
    if lp.offset != 0.0:
        parts.append(f" RHS OBJ {-lp.offset!r}")
    nz = np.flatnonzero(rhs != 0.0)
    parts += [f" RHS R{i} {v!r}" for i, v in zip(nz.tolist(), rhs[nz].tolist(), strict=True)]
    if ranged.any():
        idx = np.flatnonzero(ranged)
        width = (lp.row_upper - lp.row_lower)[idx]
        parts += ["RANGES"]
        parts += [f" RNG R{i} {v!r}" for i, v in zip(idx.tolist(), width.tolist(), strict=True)]
    bounds = _bounds_section(lp)
    if bounds:
        parts += ["BOUNDS", *bounds]
    parts.append("ENDATA")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write("\n".join(parts))
            fh.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
