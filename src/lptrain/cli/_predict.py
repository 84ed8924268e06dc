"""``lptrain predict``: apply a model file to the rows of a CSV file.

Works with every model file (``lptrain train``, ``lptrain bnn``, ``LPTrainer.save``): the
columns are chosen by the model's stored feature names, which must all be in the CSV
header (extra columns, such as the target, are ignored; the order does not matter). A
CSV without those names is refused unless ``--by-position`` says to take its first n
columns in order (also the only way for a model without feature names, or with
``--header no``). The model's scaling and label decoding are applied. Output: a CSV on
stdout (or ``-o FILE``), or with ``--json`` one object ``{"predictions": [[...], ...]}``.

Example::

    lptrain predict model.json data.csv --json
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._io import atomic_write_bytes
from lptrain._validation import check_array
from lptrain.cli._common import add_header_argument
from lptrain.cli._runtime import add_command, add_input, add_output, write_output
from lptrain.data import parse_numeric_cells, read_csv_cells
from lptrain.errors import InvalidInputError
from lptrain.model_io import ModelFile, load_model

__all__ = ["register", "run", "read_features", "predict_rows"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``predict`` command."""
    p = add_command(subparsers, "predict", doc=__doc__,
                    help="apply a trained model file to the rows of a CSV file")
    add_input(p, "model", label="model file", metavar="model.json",
              help="a model file (lptrain train -o)")
    add_input(p, "data", label="data file", metavar="DATA.csv", help="CSV file with a header row")
    add_header_argument(p)
    p.add_argument("--by-position", action="store_true",
                   help="use the first n columns in order, whatever their names (the CSV "
                        "must then have n columns, or n plus the model's targets)")
    add_output(p, "-o", "--output", label="predictions", metavar="FILE", default=None,
               help="write the predictions as CSV to FILE instead of stdout")
    p.add_argument("--json", action="store_true", help='print {"predictions": [[...], ...]}')
    p.set_defaults(func=run, human=print_human)


def _columns(p: Path, header: list[str], model: ModelFile, by_position: bool) -> list[int]:
    n = model.network.n
    names = list(model.feature_names or ())
    s = "s" if n != 1 else ""
    if by_position:
        targets = len(model.target_names or ()) or (1 if model.labels is not None
                                                   else model.network.m)
        if len(header) not in (n, n + targets):
            raise InvalidInputError(
                f"{p} has {len(header)} column{'s' if len(header) != 1 else ''} but "
                f"--by-position needs exactly the model's {n} input{s} (n={n}), or those "
                f"followed by its {targets} target column(s)")
        return list(range(n))
    if names:
        missing = [name for name in names if name not in header]
        if not missing:
            return [header.index(name) for name in names]
        raise InvalidInputError(
            f"{p} has columns {header} but the model was trained on {names}; {missing} "
            f"{'is' if len(missing) == 1 else 'are'} not in the header: rename the columns, or "
            f"pass --by-position to use the first {n} column{s} in order")
    raise InvalidInputError(
        f"the model has no feature names, so the columns of {p} cannot be matched by name; "
        f"pass --by-position to use its first {n} column{s} (n={n}) in order")


def read_features(path: str | os.PathLike[str], model: ModelFile, *, header: str = "auto",
                  by_position: bool = False) -> np.ndarray:
    """The feature matrix (D, n) for ``model`` from a CSV file (see the module docstring)."""
    p = Path(path)
    names, cells = read_csv_cells(p, header)
    cols = _columns(p, names, model, by_position or header == "no")
    X = parse_numeric_cells(p, cells[:, cols], [names[j] for j in cols])
    return check_array(f"X (from {p.name})", X, ndim=2)


def predict_rows(model: ModelFile, X: np.ndarray) -> list[list[Any]]:
    """Predictions as a list of rows (one list per data point)."""
    out = model.predict(X)
    arr = np.asarray(out)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        i = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise InvalidInputError(f"the prediction for data row {i + 1} is not finite (the "
                                "input is too far outside the range the model was trained on)")
    return arr.tolist()  # numpy scalars become Python numbers / strings


def _header(model: ModelFile, width: int) -> list[str]:
    names = list(model.target_names or ())
    if len(names) == width:
        return names
    if model.labels is not None:
        return ["predicted_class"]
    return ["prediction"] if width == 1 else [f"prediction_{j}" for j in range(width)]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain predict``: the predictions (and the CSV file of ``-o``)."""
    model = load_model(args.model)
    X = read_features(args.data, model, header=args.header, by_position=args.by_position)
    rows = predict_rows(model, X)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_header(model, len(rows[0]) if rows else 1))
    writer.writerows(rows)
    report: dict[str, Any] = {"model": str(args.model), "data": str(args.data),
                              "D": len(rows), "predictions": rows, "output": None,
                              "notes": [], "_csv": buf.getvalue()}
    if args.output:
        report["output"] = write_output(
            args.output, lambda path: atomic_write_bytes(path, buf.getvalue().encode()),
            {k: v for k, v in report.items() if k != "_csv"})
    return report


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The CSV on stdout, or a line saying where it was written."""
    if report["output"]:
        print(f"{report['D']} predictions written to {report['output']}", file=sys.stderr)
    else:
        sys.stdout.write(report["_csv"])
