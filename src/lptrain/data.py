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

from lptrain._validation import check_array, check_int
from lptrain.errors import FileFormatError, InvalidInputError

__all__ = [
    "Dataset", "load_csv", "read_csv_cells", "parse_numeric_cells", "UnitScaler",
    "LabelEncoder",
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


def read_csv_cells(path: Path) -> tuple[list[str], np.ndarray]:
    """The header and the cells (as strings, shape (rows, columns)) of a CSV file.

    Refuses a missing or empty file, a file without data rows and ragged rows, naming them.
    """
    if not path.is_file():
        raise FileFormatError(f"data file {path} does not exist")
    try:
        with path.open(newline="") as fh:
            rows = [row for row in csv.reader(fh) if row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileFormatError(f"{path} is not a readable CSV file ({exc})") from None
    if not rows:
        raise FileFormatError(f"{path} is empty; expected a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if len(rows) == 1:
        raise FileFormatError(f"{path} has a header but no data rows")
    body = rows[1:]
    lengths = np.fromiter((len(r) for r in body), dtype=np.int64, count=len(body))
    bad = np.flatnonzero(lengths != len(header))
    if bad.size:
        i = int(bad[0])
        raise FileFormatError(
            f"{path}: data row {i + 1} (line {i + 2}) has {lengths[i]} columns but the header "
            f"has {len(header)}"
        )
    return header, np.array(body, dtype=str)


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
    raise FileFormatError(
        f"{path}: data row {i + 1}, column {names[j]!r}: cannot parse "
        f"{str(cells[i, j])!r} as a number"
    )


def load_csv(
    path: str | os.PathLike[str],
    *,
    target: str | int | list[str | int] | None = None,
    n_targets: int = 1,
) -> Dataset:
    """Read a CSV file with a header row; the target is the last ``n_targets`` columns
    unless ``target`` names the column(s) (by header name or 0-based index).

    Features must be numbers; targets may be numbers or class labels. NaN and inf are
    refused, naming the row and column.

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
    header, cells = read_csv_cells(p)
    ncol = len(header)
    if target is None:
        n_t = check_int("n_targets", n_targets, 1, max(ncol - 1, 1))
        tcols = list(range(ncol - n_t, ncol))
    else:
        wanted = target if isinstance(target, list) else [target]
        tcols = []
        for t in wanted:
            if isinstance(t, str) and t in header:
                tcols.append(header.index(t))
            elif isinstance(t, str) and t.lstrip("-").isdigit() and -ncol <= int(t) < ncol:
                tcols.append(int(t) % ncol)
            elif isinstance(t, int) and -ncol <= t < ncol:
                tcols.append(t % ncol)
            else:
                raise InvalidInputError(
                    f"target {t!r} is not a column of {p}; its columns are {header}"
                )
    fcols = [j for j in range(ncol) if j not in tcols]
    if not fcols:
        raise InvalidInputError(f"{p} has no feature columns left after taking the target(s)")
    fnames = [header[j] for j in fcols]
    X = parse_numeric_cells(p, cells[:, fcols], fnames)
    try:
        y: np.ndarray = np.char.strip(cells[:, tcols]).astype(np.float64)
    except ValueError:
        y = np.char.strip(cells[:, tcols])
    X = check_array(f"X (from {p.name})", X, ndim=2)
    if y.dtype.kind == "f":
        y = check_array(f"y (from {p.name})", y, ndim=2)
    return Dataset(X, y, tuple(fnames), tuple(header[j] for j in tcols))


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
        half = (hi - lo) / 2.0
        return cls(center=(hi + lo) / 2.0, half_range=np.where(half > 0, half, 1.0))

    def transform(self, A: np.ndarray) -> np.ndarray:
        out = (np.asarray(A, dtype=np.float64) - self.center) / self.half_range
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
        return cls(tuple(d["classes"]), str(d["scheme"]))
