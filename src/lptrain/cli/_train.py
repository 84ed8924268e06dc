"""``lptrain train``: train a network on a CSV file by linear programming, with a certificate.

Reads DATA.csv (a header row; the target is the last column unless ``--target`` says
otherwise), checks it, scales it into [-1, 1] when ``--scale`` is given (otherwise data
outside the box is refused), defines or builds the §3 polytope for its D rows (or uses the
one ``--polytope`` names, written by ``lptrain build``), solves the face of the data and
prints the certificate: the face-LP value, the ERM of the returned parameters, ε and the
certified lower bound on the global ERM optimum. ``-o`` writes the model file that
``lptrain predict`` reads; ``--plot`` draws the fit.

Example::

    lptrain train data.csv --arch 1-2-1 --loss abs --bits 3 --scale -o model.json --plot fit.png
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from lptrain.cli._common import (
    ARCH_EPILOG,
    add_header_argument,
    add_model_arguments,
    add_output_arguments,
    clip_data,
    flat_training,
    int_in,
    network_from_args,
    parse_memory,
    positive_float,
    progress_enabled,
    require_plotting,
    scheduler,
)
from lptrain.cli._runtime import add_command, add_input, add_output, write_output
from lptrain.data import load_csv
from lptrain.errors import InvalidInputError
from lptrain.nn.losses import get_loss
from lptrain.trainer import LPTrainer, solver_names, training_report

__all__ = ["register", "run", "train_report", "format_certificate", "certificate_status",
           "LAZY_TIME_LIMIT"]

#: Time limit of ``--solver lazy`` when ``--time-limit`` is not given: the column
#: generation stops there with a sound, wider bound instead of running unbounded.
LAZY_TIME_LIMIT = 300.0

_EPILOG = ARCH_EPILOG + """
the risk, eps and the bounds are in the units of the data the LP sees: with --scale, the
scaled units (reported as "units": "scaled").
example: lptrain train data.csv --arch 1-2-1 --loss abs --bits 3 --scale -o model.json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    p = add_command(subparsers, "train", doc=__doc__, epilog=_EPILOG,
                    help="train a network on a CSV file by linear programming, with a "
                         "certificate")
    add_input(p, "data", label="data file", metavar="DATA.csv", help="CSV file with a header row")
    add_model_arguments(p, grid_required=False)
    p.add_argument("--target", action="append", default=None, metavar="COL",
                   help="target column name or 0-based index (repeat for several); "
                        "default: the last column")
    p.add_argument("--targets", type=int_in(1), default=1, metavar="m",
                   help="number of target columns at the end (default 1)")
    add_header_argument(p)
    p.add_argument("--scale", action="store_true",
                   help="map each column onto [-1, 1] (stored in the model file)")
    add_input(p, "--polytope", label="--polytope", metavar="FILE", default=None,
              help="a polytope written by lptrain build (its grid is used)")
    p.add_argument("--solver", default="structured", choices=solver_names(),
                   help="face solver: structured (default, enumerates the grid, no LP "
                        "materialized), highs (the materialized LP; small problems) or lazy "
                        "(column generation: grids far too large to enumerate)")
    p.add_argument("--gap", type=positive_float, default=None, metavar="G",
                   help="certify a posteriori: branch and bound over the continuous box on "
                        "the actual data until ERM(params) - lower bound <= G (or the time "
                        "limit); adds lower_bound_kind 'a-posteriori', gap and history")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="Dask scheduler address (tcp://host:port) for the branch and bound "
                        "and the lazy solver (default: this machine's cores)")
    p.add_argument("--max-memory", default=None, metavar="SIZE",
                   help="size guard for building the LP, e.g. 4GiB (solver highs)")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="S",
                   help="time limit in seconds for each stage (face solve; branch and "
                        f"bound: default 60 s; lazy: default {LAZY_TIME_LIMIT:g} s)")
    p.add_argument("--lipschitz", default="paper", choices=("paper", "refined"),
                   help="Lipschitz constant setting eps: the paper's §4 (default) or the "
                        "refined one (smaller, equally sound)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the independent check of the solver's certificate")
    add_output(p, "-o", "--output", label="model file", suffixes=(".json",),
               metavar="model.json", default=None,
               help="write the trained model (read by lptrain predict)")
    add_output(p, "--plot", label="plot", suffixes=(".png",), metavar="fit.png", default=None,
               help="write a plot of the fit (PNG); with --gap also the bounds closing over "
                    "time")
    add_output_arguments(p)
    p.set_defaults(func=run, human=print_human)


#: Losses that take class labels (text targets) as well as numbers.
_LABEL_LOSSES = ("hinge", "cross_entropy")


def _check_problem(args: argparse.Namespace, data: Any) -> None:
    """Refuse, naming the options, what the trainer would refuse in its own terms."""
    if args.bits is None and args.eps is None and args.polytope is None and args.gap is None:
        raise InvalidInputError("give the grid: --bits B or --eps E (§3.1), or --polytope FILE "
                                "written by lptrain build")
    loss = get_loss(args.loss).name
    if data.y.dtype.kind != "f" and loss not in _LABEL_LOSSES:
        first = str(data.y.ravel()[0])
        raise InvalidInputError(
            f"{args.data}: the target column {list(data.target_names)} holds class labels "
            f"({first!r}, ...) but the loss {loss} needs numbers; use --loss hinge or "
            "cross_entropy for classification, or pick the numeric target with --target")


def train_report(args: argparse.Namespace) -> tuple[LPTrainer, dict[str, Any], Any]:
    """Fit the model the arguments describe; → (trainer, JSON report, dataset)."""
    targets: Any = args.target
    if targets is not None and len(targets) == 1:
        targets = targets[0]
    data = load_csv(args.data, target=targets, n_targets=args.targets, header=args.header)
    _check_problem(args, data)
    notes: list[str] = []
    X, y = data.X, data.y
    if not args.scale:
        hint = ("pass --scale to map each column onto [-1, 1] (the scaling is stored in the "
                "model file and applied by predict)")
        X = clip_data(f"X (from {args.data})", X, notes, hint)
        y = clip_data(f"y (from {args.data})", y, notes, hint)
    time_limit = args.time_limit
    if args.solver == "lazy" and time_limit is None:
        time_limit = LAZY_TIME_LIMIT
        notes.append(f"--solver lazy runs with a time limit of {LAZY_TIME_LIMIT:g} s (the "
                     "default; set --time-limit to change it)")
    with scheduler(args.scheduler, args.gap is not None or args.solver == "lazy") as client:
        trainer = LPTrainer(
            network_from_args(args), args.loss, bits=args.bits, eps=args.eps,
            regularizer=args.regularizer, solver=args.solver, scale=args.scale,
            polytope=args.polytope, max_memory=parse_memory(args.max_memory),
            progress=progress_enabled(args), verify=not args.no_verify,
            time_limit=time_limit, lipschitz=args.lipschitz, target_gap=args.gap,
            cluster=client)
        y1 = y[:, 0] if y.shape[1] == 1 else y
        trainer.fit(X, y1, feature_names=data.feature_names, target_names=data.target_names)
    report: dict[str, Any] = {"data": str(args.data), "arch": args.arch,
                              "activation": args.activation,
                              **flat_training(training_report(trainer))}
    report["feature_names"] = list(data.feature_names)
    report["target_names"] = list(data.target_names)
    report["score"] = trainer.score(X, y1)
    report["score_kind"] = "accuracy" if trainer.labels_ is not None else "r2"
    report["notes"] = notes
    return trainer, report, data


def certificate_status(cert: dict[str, Any]) -> str:
    """A short phrase saying how the face certificate was checked."""
    details = cert.get("details") or {}
    if cert.get("verified"):
        checked = details.get("phi_checked")
        return (f"verified independently on all {checked:,} grid points" if checked
                else "verified independently")
    if details.get("mode") == "sample":
        return (f"checked independently on a random sample of {details.get('phi_checked')} "
                "grid points (not a full verification)")
    if details.get("mode") == "none" or cert.get("verified") is None:
        return "not checked"
    return "NOT verified"


def _row(label: str, value: str) -> str:
    return f"  {label:<39} {value}"


def format_certificate(report: dict[str, Any]) -> list[str]:
    """Human-readable lines for the certificate part of a training report."""
    cert = report.get("certificate") or {}
    units = "  (scaled units)" if report.get("units") == "scaled" else ""
    if report.get("lp_objective") is None:  # no grid: the continuous certificate alone
        return [_row("ERM of the returned parameters", f"{report['erm']:.6g}{units}"),
                *_bound_lines(report), *_data_unit_lines(report)]
    return [
        _row("face LP optimum v^ (discretized data)", f"{report['lp_objective']:.6g}{units}"),
        _row("LP dual bound (certificate)",
             f"{_num(cert.get('dual_bound'))}  [{certificate_status(cert)}]"),
        _row("ERM of the returned parameters", f"{report['erm']:.6g}"),
        _row("epsilon (grid error, Lemma 3.1)",
             f"{report['epsilon']:.6g}  (L = {report['lipschitz']:.6g}, {report['bits']} bits)"),
        _row("a-priori guarantee ERM - ERM(opt) <=", f"{report['guarantee']:.6g}  (2 eps)"),
    ] + _bound_lines(report) + _data_unit_lines(report)


def _data_unit_lines(report: dict[str, Any]) -> list[str]:
    du = report.get("data_units") or {}
    if report.get("units") != "scaled" or du.get("factor") in (None, 1.0):
        return []
    return [_row("in the data's units (x {:.6g})".format(du["factor"]),
                 f"ERM {du['erm']:.6g}, lower bound {du['lower_bound']:.6g}, gap "
                 f"{du['gap']:.3g}")]


def _bound_lines(report: dict[str, Any]) -> list[str]:
    if report.get("lower_bound_kind") != "a-posteriori" or report.get("lp_objective") is None:
        if report.get("lp_objective") is None:
            return [_row("a-posteriori lower bound (B&B)",
                         f"{report['lower_bound']:.6g}  [{report['status']}, "
                         f"{report['nodes']:,} boxes, {report.get('method')} search, "
                         f"{report['timings'].get('certify') or 0.0:.2f} s]"),
                    _row("certified gap ERM - ERM(opt) <=",
                         f"{report['gap']:.6g}  (target {report['target_gap']:g})")]
        return [_row("lower bound on the global ERM optimum",
                     f"{report['lower_bound']:.6g}  (a-priori: v^ - eps)")]
    source = (" (parameters found by the branch and bound)"
              if report.get("params_source") == "branch and bound" else "")
    return [
        _row("a-priori lower bound (v^ - eps)", f"{report['a_priori_lower_bound']:.6g}"),
        _row("a-posteriori lower bound (B&B)",
             f"{report['lower_bound']:.6g}  [{report['status']}, {report['nodes']:,} boxes, "
             f"{report['timings'].get('certify') or 0.0:.2f} s]"),
        _row("certified gap ERM - ERM(opt) <=",
             f"{report['gap']:.6g}  (target {report['target_gap']:g}){source}"),
    ]


def _num(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, (int, float)) else str(value)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain train``: train, write the outputs, return the report."""
    if args.plot:
        require_plotting()
    trainer, report, data = train_report(args)
    report["output"] = report["plot"] = None
    if args.output:
        report["output"] = write_output(args.output, trainer.save, report)
    if args.plot:
        from lptrain.plotting import plot_training

        y = data.y[:, 0] if data.y.shape[1] == 1 else data.y
        grid = f"{report['bits']} bits" if report.get("bits") is not None else "no grid"
        title = (f"lptrain train {args.arch} ({report['loss']}, {grid}): ERM "
                 f"{report['erm']:.4g}")
        if report.get("lower_bound_kind") == "a-posteriori":
            title += f", certified gap {report['gap']:.3g}"
        report["plot"] = write_output(args.plot, lambda path: plot_training(
            path, trainer, data.X, y, feature_names=data.feature_names,
            target_names=data.target_names, title=title, label="LP training"), report)
    return report


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain train``."""
    out = sys.stdout
    n = report["n"]
    print(f"lptrain train {report['data']}: {report['D']} rows, n={n} input"
          f"{'s' if n != 1 else ''} {report['feature_names']}, target "
          f"{report['target_names']}", file=out)
    grid = (f"grid {report['bits']} bits (L={report['lipschitz']:.6g}); solver "
            f"{report['solver']}" if report.get("bits") is not None
            else "no grid: local search, then the continuous certificate")
    print(f"network {report['arch']} ({report['network_kind']}, {report['activation']}), "
          f"N={report['N']} parameters; loss {report['loss']}; {grid}", file=out)
    print("certificate:", file=out)
    for line in format_certificate(report):
        print(line, file=out)
    kind = "accuracy" if report["score_kind"] == "accuracy" else "R^2"
    print(_row(f"{kind} on the training data", f"{report['score']:.4g}"), file=out)
    sec = report["timings"]
    certify = f", branch and bound {sec['certify']:.2f} s" if sec.get("certify") else ""
    if sec.get("face") is None:
        print(_row("time", f"{report['seconds']:.2f} s (local search "
                           f"{sec.get('local_search') or 0.0:.2f} s{certify})"), file=out)
    else:
        print(_row("time", f"{report['seconds']:.2f} s (polytope {sec['polytope']:.2f} s, "
                           f"face solve {sec['face']:.2f} s{certify})"), file=out)
    print(f"parameters: {np.array2string(np.asarray(report['params']), precision=4)}",
          file=out)
    if report.get("output"):
        print(f"model written to {report['output']}", file=out)
    if report.get("plot"):
        print(f"plot written to {report['plot']}", file=out)
