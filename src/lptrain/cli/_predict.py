"""``lptrain predict``: apply a model file to the rows of a CSV file.

Works with every model file (``lptrain train``, ``lptrain bnn``, ``LPTrainer.save``): the
columns are chosen by the model's stored feature names when the CSV header has them
(extra columns, such as the target, are ignored), otherwise the CSV must have exactly n
columns. The model's scaling and label decoding are applied. Output: a CSV on stdout (or
``-o FILE``), or with ``--json`` one object ``{"predictions": [[...], ...]}``.

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
from lptrain.cli._common import print_json
from lptrain.data import parse_numeric_cells, read_csv_cells
from lptrain.errors import InvalidInputError
from lptrain.model_io import ModelFile, load_model

__all__ = ["register", "run", "read_features", "predict_rows"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``predict`` command."""
    p = subparsers.add_parser(
        "predict", help="apply a trained model file to the rows of a CSV file",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="model.json", help="a model file (lptrain train -o)")
    p.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="write the predictions as CSV to FILE instead of stdout")
    p.add_argument("--json", action="store_true", help='print {"predictions": [[...], ...]}')
    p.set_defaults(func=run)


def read_features(path: str | os.PathLike[str], model: ModelFile) -> np.ndarray:
    """The feature matrix (D, n) for ``model`` from a CSV file with a header row."""
    p = Path(path)
    header, cells = read_csv_cells(p)
    n = model.network.n
    names = list(model.feature_names or ())
    if names and all(name in header for name in names):
        cols = [header.index(name) for name in names]
    elif len(header) == n:
        cols = list(range(n))
    else:
        known = f"its feature columns {names} are not all in the header, and " if names else ""
        raise InvalidInputError(
            f"{p} has {len(header)} columns {header} but the model has {n} input"
            f"{'s' if n != 1 else ''} (n={n}); {known}the CSV must then have exactly {n} "
            "columns")
    X = parse_numeric_cells(p, cells[:, cols], [header[j] for j in cols])
    return check_array(f"X (from {p.name})", X, ndim=2)


def predict_rows(model: ModelFile, X: np.ndarray) -> list[list[Any]]:
    """Predictions as a list of rows (one list per data point)."""
    out = model.predict(X)
    arr = np.asarray(out)
    if arr.ndim == 1:
        arr = arr[:, None]
    return arr.tolist()  # numpy scalars become Python numbers / strings


def _header(model: ModelFile, width: int) -> list[str]:
    names = list(model.target_names or ())
    if len(names) == width:
        return names
    if model.labels is not None:
        return ["predicted_class"]
    return ["prediction"] if width == 1 else [f"prediction_{j}" for j in range(width)]


def run(args: argparse.Namespace) -> int:
    """Entry point of ``lptrain predict``."""
    model = load_model(args.model)
    X = read_features(args.data, model)
    rows = predict_rows(model, X)
    if args.json and not args.output:
        print_json({"predictions": rows, "model": str(args.model), "data": str(args.data),
                    "rows": len(rows)})
        return 0
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_header(model, len(rows[0]) if rows else 1))
    writer.writerows(rows)
    if args.output:
        path = atomic_write_bytes(args.output, buf.getvalue().encode())
        if args.json:
            print_json({"predictions": rows, "output": str(path), "rows": len(rows)})
        else:
            print(f"{len(rows)} predictions written to {path}", file=sys.stderr)
        return 0
    sys.stdout.write(buf.getvalue())
    return 0
