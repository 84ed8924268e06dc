"""``lptrain build``: build the data-independent ERM polytope (§3.2, Main Theorem 3.1).

One loss evaluation pass over the grid F of (x, y, φ) — independent of the number of
samples D — then D bags glued on φ. Prints the built counts next to the Main Theorem 3.1
bounds and the engine's Theorem 2.8 bound, the build time split into evaluation and
assembly, and optionally saves the polytope (``-o``, ``.npz``) and its LP (``--mps``).
The size guard refuses a build estimated above ``--max-memory`` before allocating.
"""

from __future__ import annotations

import argparse
from typing import Any

from lptrain.cli._common import (
    ARCH_EPILOG,
    add_header_argument,
    add_model_arguments,
    add_output_arguments,
    int_in,
    network_from_args,
    parse_memory,
    progress_enabled,
)
from lptrain.cli._runtime import add_command, add_input, add_output, write_output
from lptrain.data import load_csv
from lptrain.erm import ERMPolytope
from lptrain.erm.guard import format_bytes, memory_limit
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network

__all__ = ["register", "run", "build_report"]

_EPILOG = ARCH_EPILOG + """
--points FILE.csv: data-informed point generation (Remark 3.2): the table uses the
(discretized) rows of FILE (features, then the last m columns as labels, with a header)
instead of the full (x, y) grid; faces then accept only data from that set.
example: lptrain build --arch 1-1 --loss abs --samples 10 --bits 3 -o poly.npz --json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``build`` command."""
    p = add_command(subparsers, "build", doc=__doc__, epilog=_EPILOG,
                    help="build the data-independent ERM polytope (Main Theorem 3.1)")
    add_model_arguments(p)
    p.add_argument("--samples", "-D", required=True, type=int_in(1), help="number of samples D")
    add_input(p, "--points", label="--points", default=None, metavar="FILE.csv",
              help="data-informed points (Remark 3.2) instead of the full (x, y) grid")
    add_header_argument(p)
    add_output(p, "-o", "--output", label="polytope file", suffixes=(".npz",), default=None,
               metavar="poly.npz", help="save the polytope (.npz)")
    add_output(p, "--mps", label="MPS file", suffixes=(".mps",), default=None,
               metavar="poly.mps", help="write the LP in free MPS format")
    p.add_argument("--max-memory", default=None, metavar="SIZE",
                   help="refuse builds estimated above SIZE (e.g. 4GiB); "
                        "default: half of the available memory")
    p.add_argument("--lipschitz", default="paper", choices=("paper", "refined"),
                   help="Lipschitz constant setting eps: the paper's §4 (default) or refined")
    p.add_argument("--backend", default="auto", choices=("auto", "numba", "numpy"),
                   help="loss evaluation backend (default auto)")
    add_output_arguments(p)
    p.set_defaults(func=run, human=print_human)


def _points(args: argparse.Namespace, net: Network) -> Any:
    if args.points is None:
        return None
    ds = load_csv(args.points, n_targets=net.m, header=args.header)
    if ds.y.dtype.kind != "f":
        raise InvalidInputError(f"--points {args.points}: the last {net.m} column(s) must be "
                                "numeric labels in [-1, 1]")
    return ds.X, ds.y


def build_report(args: argparse.Namespace) -> tuple[ERMPolytope, dict[str, Any]]:
    """Build the polytope; → (polytope, the flat report of ``--json``)."""
    net = network_from_args(args)
    limit = memory_limit(parse_memory(args.max_memory))
    poly = ERMPolytope.build(net, args.loss, samples=args.samples, bits=args.bits,
                             eps=args.eps, regularizer=args.regularizer,
                             points=_points(args, net), max_memory=limit,
                             progress=progress_enabled(args), backend=args.backend,
                             lipschitz_method=args.lipschitz)
    summary = poly.to_dict()
    built = summary["built"]
    out: dict[str, Any] = {
        "arch": args.arch, "activation": args.activation, "loss": poly.loss.name,
        "regularizer": summary["regularizer"], "n": net.n, "m": net.m, "N": net.N,
        "D": poly.samples, "bits": poly.bits, "levels": poly.levels, "epsilon": poly.epsilon,
        "epsilon_requested": args.eps, "lipschitz": poly.lipschitz.lipschitz,
        "lipschitz_method": poly.lipschitz.method,
        "variables": built["variables"], "constraints": built["constraints"],
        "nonzeros": built["nonzeros"], "bound_variables": summary["bound_variables"],
        "bound_constraints": summary["bound_constraints"],
        "theorem_2_8": summary["theorem_2_8"],
        "within_bounds": (built["variables"] <= summary["bound_variables"]
                          and built["constraints"] <= summary["bound_constraints"]),
        "data_informed": poly.points.data_informed, "data_points": poly.points.count,
        "phi_grid": poly.sizes.phi_grid, "table_rows": poly.sizes.table_rows,
        "evaluations": poly.sizes.build_evaluations, "tree_width": poly.sizes.tree_width,
        "timings": {"evaluation": poly.build_seconds["evaluation"],
                    "assembly": poly.build_seconds["assembly"]},
        "memory_estimate": summary["memory_estimate"], "memory_limit": limit,
        "output": None, "mps": None, "notes": [],
    }
    return poly, out


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain build``: build, write the outputs, return the report."""
    poly, report = build_report(args)
    if args.output is not None:
        report["output"] = write_output(args.output, poly.save, report)
    if args.mps is not None:
        report["mps"] = write_output(args.mps, poly.write_mps, report)
    return report


def print_human(b: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain build``."""
    t28 = b["theorem_2_8"]
    print(f"lptrain build --arch {b['arch']} --loss {b['loss']} --samples {b['D']} "
          f"({b['activation']}; bits {b['bits']}, K = {b['levels']})")
    print(f"  L = {b['lipschitz']:g} ({b['lipschitz_method']}), eps = {b['epsilon']:g}"
          + (f", regularizer {b['regularizer']}" if b["regularizer"] else ""))
    kind = "data-informed (Remark 3.2)" if b["data_informed"] else "full grid"
    print(f"  table |F| = {b['data_points']} data points ({kind}) x {b['phi_grid']} phi "
          f"= {b['table_rows']} rows; {b['evaluations']} loss evaluations (independent of D)")
    print(f"\n  {'':<13}{'built':>16}{'Main Thm 3.1':>18}{'Thm 2.8 (engine)':>20}")
    for key, bound in (("variables", b["bound_variables"]),
                       ("constraints", b["bound_constraints"]), ("nonzeros", None)):
        shown = "-" if bound is None else f"{bound}"
        print(f"  {key:<13}{b[key]:>16}{shown:>18}{t28[key]:>20}")
    t = b["timings"]
    print(f"\n  time: evaluation {t['evaluation']:.3f} s, assembly {t['assembly']:.3f} s, "
          f"total {b['seconds']:.3f} s")
    print(f"  memory estimate {format_bytes(b['memory_estimate'])} "
          f"(limit {format_bytes(b['memory_limit'])})")
    for key, label in (("output", "saved"), ("mps", "MPS")):
        if b[key]:
            print(f"  {label}: {b[key]}")
