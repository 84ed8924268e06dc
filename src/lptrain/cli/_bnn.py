"""``lptrain bnn``: train a network of binarized units (BiUs, Appendix C) exactly.

Reads a CSV of 0/1 values (header row; the labels are the last m columns), minimizes the
mean Hamming loss over all parameters in {-1, 1} with the exact LP of Theorem C.1 (or by
exhaustive search, or a big-M MIP solved by HiGHS) and prints the objective, the
parameters, the time, the built LP size next to Theorem C.1's stated size and the
certificate. ``-o model.json`` writes a model file that ``lptrain predict`` applies.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from lptrain.bnn import SOLVERS, check_binary, parse_biu_arch, train_bnn
from lptrain.cli._common import add_header_argument, int_in, parse_memory, positive_float
from lptrain.cli._runtime import add_command, add_input, add_output, write_output
from lptrain.data import load_csv
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.model_io import ModelFile, save_model

__all__ = ["register", "run"]

_EPILOG = """The network is fully connected, every unit a BiU: output 1 if a^T z > b else 0,
a in {-1,1}^p, b in {-1,1}; inputs and labels are 0/1. N = sum_l w_l (w_{l-1} + 1).
The LP has D * 2^(n+m+N) lambda variables (SPEC §8 Caution): keep N small (2-2-1: N=9).
example: lptrain bnn data.csv --arch 2-2-1 --json -o model.json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bnn`` command."""
    p = add_command(subparsers, "bnn", doc=__doc__, epilog=_EPILOG,
                    help="train a binarized (BiU) network exactly on 0/1 data (Appendix C)")
    add_input(p, "data", label="data file", metavar="DATA.csv",
              help="CSV file with a header row; 0/1 features then 0/1 labels")
    p.add_argument("--arch", required=True, help="layer widths n-w1-...-m, e.g. 2-2-1")
    p.add_argument("--targets", type=int_in(1), default=None,
                   help="number of label columns m at the end (default: m of --arch)")
    add_header_argument(p)
    p.add_argument("--solver", choices=SOLVERS, default="lp",
                   help="lp (Theorem C.1, default), mip (HiGHS branch and bound) or "
                        "exhaustive (all 2^N parameter vectors)")
    p.add_argument("--time-limit", type=positive_float, default=None,
                   help="HiGHS time limit (s)")
    p.add_argument("--max-memory", default="2GiB",
                   help="refuse LP builds estimated above this size (default 2GiB)")
    add_output(p, "-o", "--output", label="model file", suffixes=(".json",), default=None,
               metavar="model.json", help="write the model file (JSON)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run, human=print_human)


def _load(args: argparse.Namespace, m: int) -> tuple[Any, np.ndarray, np.ndarray]:
    targets = m if args.targets is None else args.targets
    if targets != m:
        raise InvalidInputError(f"--targets {targets} but the architecture {args.arch!r} has "
                                f"m={m} outputs; they must agree")
    ds = load_csv(args.data, n_targets=targets, header=args.header)
    name = Path(args.data).name
    X = check_binary(name, ds.X, ds.feature_names, first_row=1, row_label="data row")
    Y = check_binary(name, ds.y, ds.target_names, first_row=1, row_label="data row")
    return ds, X, Y


#: Exhaustive search is refused above this many parameter vectors (2^N) without a time
#: limit: it would not finish (2^25 vectors take about 20 s on 2 cores).
EXHAUSTIVE_MAX = 2**28


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain bnn``: train exactly, write the model file, the report."""
    net = parse_biu_arch(args.arch)
    if args.solver == "exhaustive" and 2**net.N > EXHAUSTIVE_MAX:
        raise TooLargeError(
            f"--solver exhaustive would try 2^{net.N} = {float(2**net.N):.3g} parameter "
            f"vectors, more than 2^28 (hours): use --solver lp or mip, or a smaller network")
    ds, X, Y = _load(args, net.m)
    if X.shape[1] != net.n:
        raise InvalidInputError(
            f"{args.data} has {X.shape[1]} feature columns but --arch {args.arch!r} has n="
            f"{net.n} inputs")
    result = train_bnn(net, X, Y, args.solver, time_limit=args.time_limit,
                       max_memory=parse_memory(args.max_memory))
    res = result.to_dict()
    res["D"] = res.pop("samples")
    res["lower_bound"] = res.pop("dual_bound")
    res["timings"] = {"build": res.pop("build_seconds"), "solve": res.pop("solve_seconds")}
    res.pop("seconds", None)
    report: dict[str, Any] = {"arch": args.arch, "data": str(args.data), "n": net.n,
                              "m": net.m, "N": net.N, **res,
                              "lower_bound_kind": "lp-dual" if args.solver != "exhaustive"
                              else "exhaustive",
                              "erm": result.objective, "upper_bound": result.objective,
                              "param_names": list(net.param_names),
                              "accuracy": 1.0 - result.errors / (result.D * net.m),
                              "output": None, "notes": []}
    if args.output:
        model = ModelFile(network=net, params=result.params.astype(np.float64), loss="hamming",
                          feature_names=ds.feature_names, target_names=ds.target_names,
                          training={k: v for k, v in report.items() if k != "params"})
        report["output"] = write_output(args.output, lambda path: save_model(path, model),
                                        report)
    return report


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain bnn``."""
    print(f"lptrain bnn {report['data']} --arch {report['arch']} --solver {report['solver']}")
    print(f"  samples D = {report['D']}, parameters N = {report['N']}")
    print(f"  objective (mean Hamming loss) = {report['objective']:.6g} "
          f"({report['errors']} errors), proven lower bound {report['lower_bound']:.6g}")
    print(f"  params = {report['params']}")
    t = report["timings"]
    print(f"  seconds = {report['seconds']:.3g} (build {t['build']:.3g}, "
          f"solve {t['solve']:.3g})")
    sizes = report["sizes"]
    if "theorem_c1_stated" in sizes:
        print(f"  LP built: {sizes['variables']} variables, {sizes['constraints']} constraints "
              f"(bags of {sizes['bag_bits']} bits); Theorem C.1 states O(2^p |V(G)| D) = "
              f"{sizes['theorem_c1_stated']}")
    if report["output"]:
        print(f"  model written to {report['output']}")
