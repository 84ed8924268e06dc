"""Data in: CSV files and arrays, checked; scaling into the paper's box [-1, 1]; class labels.

The paper assumes every data point lies in ``[-1, 1]^n × [-1, 1]^m`` (§3). Data outside
the box is refused unless scaling is asked for; :class:`UnitScaler` maps each column
affinely onto [-1, 1] and is stored with a trained model so that ``predict`` applies the
same map.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._validation import check_array
from lptrain.errors import FileFormatError, InvalidInputError

__all__ = [
    "Dataset", "load_csv", "read_csv_cells", "parse_numeric_cells", "UnitScaler",
    "LabelEncoder", "HEADER_MODES",
]


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (D, n) and targets ``y`` (D, m) read from a file, with column names.

    ``y`` is float when every target value parses as a number, otherwise an array of
    strings (class labels).
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]


#: Values of ``header=``: the first row is the header (refused when it is all numbers),
#: the first row is the header whatever it holds, or the file has no header.
HEADER_MODES = ("auto", "yes", "no")


def _header_mode(header: str | bool) -> str:
    if header is True:
        return "yes"
    if header is False:
        return "no"
    if header not in HEADER_MODES:
        raise InvalidInputError(f"header must be one of 'auto', 'yes', 'no' (or True/False); "
                                f"got {header!r}")
    return str(header)


def _check_header(path: Path, header: list[str], mode: str) -> None:
    empty = [j for j, name in enumerate(header) if not name]
    if empty:
        raise FileFormatError(
            f"{path}: column {empty[0]} of the header row has no name (a trailing comma?); "
            "every column needs a name, or pass --header no (header='no') for a file "
            "without a header row")
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in seen:
            raise FileFormatError(
                f"{path}: the header names column {name!r} twice (columns {seen[name]} and "
                f"{j}); column names must be unique so that each one picks one column")
        seen[name] = j
    if mode == "auto" and all(_parses(name) for name in header):
        shown = ",".join(header[:6]) + (",..." if len(header) > 6 else "")
        raise FileFormatError(
            f"{path}: the first row ({shown}) is all numbers: it looks like data, not a "
            "header row, and would be lost; add a header row with the column names, pass "
            "--header no (header='no') if the file has none, or --header yes (header='yes') "
            "if these numbers are the column names")


def read_csv_cells(path: Path, header: str | bool = "auto") -> tuple[list[str], np.ndarray]:
    """The header and the cells (as strings, shape (rows, columns)) of a CSV file.

    Refuses a missing or empty file, a file without data rows, ragged rows, empty or
    duplicate column names and (``header="auto"``) a first row of numbers, naming them.
    With ``header="no"`` every row is data and the columns are named ``col0, col1, ...``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = p.write_text("0.5,1\\n0.25,0\\n")
    >>> read_csv_cells(p, header="no")[0]
    ['col0', 'col1']
    >>> read_csv_cells(p)
    Traceback (most recent call last):
    ...
    lptrain.errors.FileFormatError: .../d.csv: the first row (0.5,1) is all numbers: it \
looks like data, not a header row, and would be lost; add a header row with the column \
names, pass --header no (header='no') if the file has none, or --header yes \
(header='yes') if these numbers are the column names
    """
    mode = _header_mode(header)
    if not path.exists():
        raise FileFormatError(f"data file {path} does not exist")
    if not path.is_file():
        raise FileFormatError(f"data file {path} is not a regular file (a folder?)")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh) if row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileFormatError(f"{path} is not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise FileFormatError(f"data file {path} cannot be read ({exc.strerror or exc})"
                              ) from None
    if not rows:
        raise FileFormatError(f"{path} is empty; expected a header row and at least one data row")
    if mode == "no":
        header_row = [f"col{j}" for j in range(len(rows[0]))]
        body = rows
    else:
        header_row = [h.strip() for h in rows[0]]
        _check_header(path, header_row, mode)
        if len(rows) == 1:
            raise FileFormatError(f"{path} has a header but no data rows")
        body = rows[1:]
    lengths = np.fromiter((len(r) for r in body), dtype=np.int64, count=len(body))
    bad = np.flatnonzero(lengths != len(header_row))
    if bad.size:
        i = int(bad[0])
        line = i + 1 if mode == "no" else i + 2
        raise FileFormatError(
            f"{path}: data row {i + 1} (line {line}) has {lengths[i]} columns but the "
            f"{'first row' if mode == 'no' else 'header'} has {len(header_row)}"
        )
    return header_row, np.array(body, dtype=str)


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_numeric_cells(path: Path, cells: np.ndarray, names: list[str]) -> np.ndarray:
    """Parse string cells as float64, naming the first cell that is not a number."""
    try:
        return np.char.strip(cells).astype(np.float64)
    except ValueError:
        pass
    # Error path only: find the first cell that does not parse, to name it.
    ok = np.frompyfunc(_parses, 1, 1)(cells).astype(bool)
    i, j = (int(v) for v in np.argwhere(~ok)[0])
    cell = str(cells[i, j]).strip()
    if not cell:
        raise FileFormatError(f"{path}: data row {i + 1}, column {names[j]!r} is empty; "
                              "missing values are not supported: fill or drop the row")
    raise FileFormatError(
        f"{path}: data row {i + 1}, column {names[j]!r}: cannot parse "
        f"{str(cells[i, j])!r} as a number{_cell_hint(cell)}"
    )


def _cell_hint(cell: str) -> str:
    try:
        complex(cell.replace(" ", ""))
        if cell:
            return " (complex numbers are not supported: lptrain works with real numbers)"
    except ValueError:
        pass
    if ";" in cell or "\t" in cell:
        return " (the file seems to use ';' or tabs between values; lptrain reads commas)"
    return ""


def load_csv(
    path: str | os.PathLike[str],
    *,
    target: str | int | list[str | int] | None = None,
    n_targets: int = 1,
    header: str | bool = "auto",
    features: list[str] | tuple[str, ...] | None = None,
) -> Dataset:
    """Read a CSV file with a header row; the target is the last ``n_targets`` columns
    unless ``target`` names the column(s) (by header name or 0-based index).

    Features must be numbers; targets may be numbers or class labels. NaN and inf are
    refused, naming the row and column; so are duplicate column names and, with
    ``header="auto"``, a first row of numbers (a file without header would silently lose
    its first data point): pass ``header="no"`` for such a file (columns ``col0, ...``).
    ``features`` names the feature columns (in that order; other columns are ignored), e.g.
    the feature names stored with a model; by default every non-target column is one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = p.write_text("a,b,t\\n0.5,-1,1\\n0,0.25,0\\n")
    >>> ds = load_csv(p)
    >>> ds.X.tolist(), ds.y.ravel().tolist(), ds.target_names
    ([[0.5, -1.0], [0.0, 0.25]], [1.0, 0.0], ('t',))
    """
    p = Path(path)
    columns, cells = read_csv_cells(p, header)
    ncol = len(columns)
    if ncol == 1:
        raise FileFormatError(
            f"{p} has a single column {columns}; lptrain needs feature columns and target "
            f"columns separated by commas{_cell_hint(columns[0]) if columns else ''}")
    if target is None:
        if not (isinstance(n_targets, int) and not isinstance(n_targets, bool)
                and 1 <= n_targets < ncol):
            raise InvalidInputError(
                f"n_targets (--targets) must be an integer in [1, {ncol - 1}]: {p} has "
                f"{ncol} columns {columns} and needs at least one feature column; got "
                f"{n_targets!r}")
        tcols = list(range(ncol - n_targets, ncol))
    else:
        wanted = target if isinstance(target, list) else [target]
        tcols = []
        for t in wanted:
            if isinstance(t, str) and t in columns:
                tcols.append(columns.index(t))
            elif isinstance(t, str) and t.lstrip("-").isdigit() and -ncol <= int(t) < ncol:
                tcols.append(int(t) % ncol)
            elif isinstance(t, int) and -ncol <= t < ncol:
                tcols.append(t % ncol)
            else:
                raise InvalidInputError(
                    f"target {t!r} is not a column of {p}; its columns are {columns}"
                )
            if tcols.count(tcols[-1]) > 1:
                raise InvalidInputError(
                    f"target {t!r} names column {columns[tcols[-1]]!r} of {p} a second time; "
                    "name each target column once")
    fcols = [j for j in range(ncol) if j not in tcols]
    if features is not None:
        missing = [name for name in features if name not in columns]
        if missing:
            raise InvalidInputError(
                f"{p} has no column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(m) for m in missing)} (its columns are {columns}); the feature "
                f"columns must be {list(features)}")
        fcols = [columns.index(name) for name in features]
        clash = [columns[j] for j in fcols if j in tcols]
        if clash:
            raise InvalidInputError(f"{p}: column {clash[0]!r} cannot be both a feature and a "
                                    "target")
    if not fcols:
        raise InvalidInputError(f"{p} has no feature columns left after taking the target(s)")
    fnames = [columns[j] for j in fcols]
    X = parse_numeric_cells(p, cells[:, fcols], fnames)
    y: np.ndarray = np.char.strip(cells[:, tcols])
    empty = np.argwhere(y == "")
    if empty.size:
        i, j = (int(v) for v in empty[0])
        raise FileFormatError(f"{p}: data row {i + 1}, column {columns[tcols[j]]!r} is empty; "
                              "missing values are not supported: fill or drop the row")
    try:
        y = y.astype(np.float64)
    except ValueError:
        pass
    X = check_array(f"X (from {p.name})", X, ndim=2)
    if y.dtype.kind == "f":
        y = check_array(f"y (from {p.name})", y, ndim=2)
    return Dataset(X, y, tuple(fnames), tuple(columns[j] for j in tcols))


@dataclass(frozen=True)
class UnitScaler:
    """Per-column affine map of the fitted range onto [-1, 1] (constant columns map to 0).

    Examples
    --------
    >>> s = UnitScaler.fit(np.array([[0.0, 5.0], [10.0, 5.0]]))
    >>> s.transform(np.array([[5.0, 5.0], [10.0, 5.0]])).tolist()
    [[0.0, 0.0], [1.0, 0.0]]
    >>> s.inverse_transform(np.array([[1.0, 0.0]])).tolist()
    [[10.0, 5.0]]
    """

    center: np.ndarray
    half_range: np.ndarray

    @classmethod
    def fit(cls, A: np.ndarray) -> UnitScaler:
        arr = check_array("data to scale", A, ndim=2)
        lo, hi = arr.min(axis=0), arr.max(axis=0)
        # Halve first: hi - lo overflows for data near ±1.8e308 (an infinite scale would
        # map every value to 0); halving by 2 is exact, so the result is otherwise equal.
        half = hi / 2.0 - lo / 2.0
        return cls(center=lo / 2.0 + hi / 2.0, half_range=np.where(half > 0, half, 1.0))

    def transform(self, A: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            out = (np.asarray(A, dtype=np.float64) - self.center) / self.half_range
        if not np.isfinite(out).all():
            bad = np.argwhere(~np.isfinite(out))[0]
            raise InvalidInputError(
                f"value {np.asarray(A)[tuple(bad)]!r} at {tuple(int(b) for b in bad)} is too "
                "far outside the range the scaler was fitted on to be scaled (the result "
                "overflows)")
        # Rounding may land the fitted extremes a hair outside the box: pull those back.
        # New data outside the fitted range stays outside (no silent clipping).
        near = (np.abs(out) > 1.0) & (np.abs(out) <= 1.0 + 1e-12)
        return np.where(near, np.sign(out), out)

    def inverse_transform(self, A: np.ndarray) -> np.ndarray:
        return np.asarray(A, dtype=np.float64) * self.half_range + self.center

    def to_dict(self) -> dict[str, Any]:
        return {"center": self.center.tolist(), "half_range": self.half_range.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UnitScaler:
        return cls(np.asarray(d["center"], dtype=np.float64),
                   np.asarray(d["half_range"], dtype=np.float64))


@dataclass(frozen=True)
class LabelEncoder:
    """Class labels ↔ network targets.

    ``"sign"``: two classes ↦ -1, +1 in one output (hinge loss); ``"onehot"``: k classes ↦
    one-hot rows in k outputs (cross-entropy); ``"pm_onehot"``: k classes ↦ rows of ±1 (hinge
    with k outputs). Decoding takes the sign or the arg-max.

    Examples
    --------
    >>> enc = LabelEncoder.fit(np.array(["b", "a", "b"]), "sign")
    >>> enc.encode(np.array(["a", "b"])).ravel().tolist()
    [-1.0, 1.0]
    >>> enc.decode(np.array([[0.3], [-2.0]])).tolist()
    ['b', 'a']
    """

    classes: tuple[Any, ...]
    scheme: str

    @classmethod
    def fit(cls, labels: np.ndarray, scheme: str) -> LabelEncoder:
        lab = np.asarray(labels).ravel()
        if lab.size == 0:
            raise InvalidInputError("y is empty; at least one label is needed")
        classes = tuple(np.unique(lab).tolist())
        if scheme == "sign" and len(classes) != 2:
            raise InvalidInputError(
                f"y has {len(classes)} classes {list(classes)[:5]}; the hinge loss with one "
                "output needs exactly 2 (use a network with one output per class)"
            )
        if len(classes) < 2:
            raise InvalidInputError(f"y has a single class {classes[0]!r}; need at least 2")
        return cls(classes, scheme)

    @property
    def n_outputs(self) -> int:
        return 1 if self.scheme == "sign" else len(self.classes)

    def encode(self, labels: np.ndarray) -> np.ndarray:
        lab = np.asarray(labels).ravel()
        cls_arr = np.asarray(self.classes)
        idx = np.searchsorted(cls_arr, lab)
        idx_c = np.clip(idx, 0, len(cls_arr) - 1)
        unknown = cls_arr[idx_c] != lab
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise InvalidInputError(
                f"y row {i} has label {lab[i].item()!r}, which is not one of the classes "
                f"{list(self.classes)}"
            )
        if self.scheme == "sign":
            return np.where(idx_c == 1, 1.0, -1.0)[:, None]
        onehot = np.eye(len(cls_arr))[idx_c]
        return onehot if self.scheme == "onehot" else 2.0 * onehot - 1.0

    def decode(self, outputs: np.ndarray) -> np.ndarray:
        out = np.asarray(outputs, dtype=np.float64)
        cls_arr = np.asarray(self.classes)
        if self.scheme == "sign":
            return cls_arr[(out[:, 0] >= 0).astype(np.int64)]
        return cls_arr[np.argmax(out, axis=1)]

    def to_dict(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "scheme": self.scheme}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabelEncoder:
        """Rebuild from :meth:`to_dict`; refuse anything :meth:`fit` cannot have written
        (an unknown scheme; classes not unique, sorted scalars of one type)."""
        classes, scheme = d["classes"], d["scheme"]
        if scheme not in ("sign", "onehot", "pm_onehot"):
            raise InvalidInputError(f"label scheme must be 'sign', 'onehot' or 'pm_onehot'; "
                                    f"got {scheme!r}")
        kinds = {str if isinstance(c, str) else float for c in classes
                 if isinstance(c, (str, int, float)) and not isinstance(c, bool)}
        ok = (isinstance(classes, list) and len(classes) >= 2 and len(kinds) == 1
              and all(isinstance(c, (str, int, float)) and not isinstance(c, bool)
                      for c in classes)
              and all(a < b for a, b in zip(classes, classes[1:], strict=False))
              and (scheme != "sign" or len(classes) == 2))
        if not ok:
            raise InvalidInputError("label classes must be a sorted list of at least 2 distinct "
                                    "names or numbers (exactly 2 for the sign scheme)")
        return cls(tuple(classes), str(scheme))
