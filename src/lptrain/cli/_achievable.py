"""``lptrain achievable``: is a target loss vector (or average loss) achievable? (Remark 3.3)

On the face of the §3 polytope (lptrain.erm) for the sample in DATA.csv (rounded down to
the grid), decide
whether some distribution over the φ-grid achieves the target: every data point's loss at
most (or, with --equal, exactly) its target, or the average loss at most --target-loss.
Achievable: the mixture and, when one exists, a single grid φ achieving it. Not achievable:
weights w over the samples with sum_d w_d loss_d(phi) > sum_d w_d t_d for every grid phi,
from the LP's Farkas ray (checked in exact arithmetic) and re-checked over the whole grid by
an independent evaluation of the losses.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._validation import check_array
from lptrain.achievable import achievable
from lptrain.cli._common import (
    ARCH_EPILOG,
    BITS,
    add_header_argument,
    finite_float,
    network_from_args,
)
from lptrain.cli._runtime import add_command, add_input
from lptrain.data import load_csv
from lptrain.errors import FileFormatError, InvalidInputError
from lptrain.nn.losses import LOSSES

__all__ = ["register", "run"]

_EPILOG = ARCH_EPILOG + """
The target vector file holds one number per data point (separated by commas, spaces or
newlines), in the order of the rows of DATA.csv.
example: lptrain achievable data.csv --arch 1-1 --activation identity --loss abs --bits 2
         --target-loss 0.1 --json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``achievable`` command."""
    p = add_command(subparsers, "achievable", doc=__doc__, epilog=_EPILOG,
                    help="decide whether a loss vector is achievable; certificate if not "
                         "(Remark 3.3)")
    add_input(p, "data", label="data file", metavar="DATA.csv",
              help="CSV with a header row: features then m label columns, all in [-1, 1]")
    add_header_argument(p)
    p.add_argument("--arch", required=True, help="architecture, e.g. 1-1 or 2-1-1")
    p.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    p.add_argument("--loss", required=True, help=f"one of {', '.join(LOSSES)}")
    p.add_argument("--bits", type=BITS, required=True, help="bits per coordinate of the grid")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--target-loss", type=finite_float, help="target average loss A")
    add_input(target, "--target-vector", label="--target-vector",
              help="file with one target loss per data point")
    p.add_argument("--equal", action="store_true",
                   help="with --target-vector: ask for exactly these losses (membership in "
                        "the projection) instead of at most")
    p.add_argument("--points", choices=("data", "grid"), default="data",
                   help="build the polytope on the sample's own data points (Remark 3.2, "
                        "default; the same face, smaller) or on the full data grid")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run, human=print_human)


def _read_vector(path: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"target vector file {p} does not exist")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"target vector file {p} is not text ({exc})") from None
    tokens = [t for t in re.split(r"[\s,;]+", text) if t]
    bad = [t for t in tokens if _not_float(t)]
    if bad:
        raise FileFormatError(f"{p}: cannot parse {bad[0]!r} as a number")
    if not tokens:
        raise FileFormatError(f"target vector file {p} holds no numbers")
    return check_array(f"the target vector (from {p.name})", [float(t) for t in tokens],
                       ndim=1)


def _not_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain achievable``: the decision and its certificate."""
    net = network_from_args(args)
    ds = load_csv(args.data, n_targets=net.m, header=args.header)
    if ds.y.dtype.kind != "f":
        raise InvalidInputError(f"{args.data}: the label columns must be numbers in [-1, 1]")
    if args.equal and args.target_vector is None:
        raise InvalidInputError("--equal needs --target-vector (exact membership of a loss "
                                "vector)")
    if args.target_vector is not None:
        target: Any = _read_vector(args.target_vector)
        mode = "eq" if args.equal else "le"
    else:
        target, mode = args.target_loss, "average"
    result = achievable(net, args.loss, ds.X, ds.y, args.bits, target, mode,
                        points=args.points)
    res = result.to_dict()
    res["timings"] = {"solve": res.pop("seconds")}
    return {"arch": args.arch, "loss": args.loss, "bits": args.bits, "n": net.n, "m": net.m,
            "N": net.N, "D": int(ds.X.shape[0]), **res, "notes": []}


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain achievable``."""
    mode, cert = report["mode"], report["certificate"]
    what = {"le": "loss vector (<=)", "eq": "loss vector (=)", "average": "average loss"}
    print(f"lptrain achievable {args.data}: target {what[mode]} "
          f"{np.round(report['target'], 6).tolist()}")
    print(f"  achievable: {report['achievable']}")
    if report["achievable"]:
        k = len(report["mixture"] or ())
        print(f"  by a mixture of {k} grid point(s) (verified by "
              f"evaluation: {report['mixture_verified']}); by a single grid point: "
              f"{report['single_achievable']}")
        if report["single_achievable"]:
            print(f"  params (a single grid point achieving it): {report['params']}")
        else:
            print("  no single grid point achieves it; mixture (phi: weight): "
                  + ", ".join(f"{m['phi']}: {m['weight']:.6g}" for m in report["mixture"]))
    else:
        print(f"  certificate weights: {np.round(cert['weights'], 6).tolist()}")
        print(f"  Farkas ray verified: {cert['farkas_verified']} (exact: "
              f"{cert['farkas_exact']}); weights re-checked over the grid: "
              f"{cert['weights_verified']} (exact: {cert['exact']}, margin "
              f"{cert['margin']:.6g})")
