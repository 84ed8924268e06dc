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
from lptrain.cli._common import parse_memory, print_json
from lptrain.data import load_csv
from lptrain.errors import InvalidInputError
from lptrain.model_io import ModelFile, save_model

__all__ = ["register", "run"]

_EPILOG = """The network is fully connected, every unit a BiU: output 1 if a^T z > b else 0,
a in {-1,1}^p, b in {-1,1}; inputs and labels are 0/1. N = sum_l w_l (w_{l-1} + 1).
The LP has D * 2^(n+m+N) lambda variables (SPEC §8 Caution): keep N small (2-2-1: N=9).
example: lptrain bnn data.csv --arch 2-2-1 --json -o model.json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bnn`` command."""
    p = subparsers.add_parser(
        "bnn", help="train a binarized (BiU) network exactly on 0/1 data (Appendix C)",
        description=__doc__, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="CSV file with a header row; 0/1 features then 0/1 labels")
    p.add_argument("--arch", required=True, help="layer widths n-w1-...-m, e.g. 2-2-1")
    p.add_argument("--targets", type=int, default=None,
                   help="number of label columns m at the end (default: m of --arch)")
    p.add_argument("--solver", choices=SOLVERS, default="lp",
                   help="lp (Theorem C.1, default), mip (HiGHS branch and bound) or "
                        "exhaustive (all 2^N parameter vectors)")
    p.add_argument("--time-limit", type=float, default=None, help="HiGHS time limit (s)")
    p.add_argument("--max-memory", default="2GiB",
                   help="refuse LP builds estimated above this size (default 2GiB)")
    p.add_argument("-o", "--output", default=None, help="write the model file (JSON)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _load(args: argparse.Namespace, m: int) -> tuple[Any, np.ndarray, np.ndarray]:
    targets = m if args.targets is None else args.targets
    if targets != m:
        raise InvalidInputError(f"--targets {targets} but the architecture {args.arch!r} has "
                                f"m={m} outputs; they must agree")
    ds = load_csv(args.data, n_targets=targets)
    name = Path(args.data).name
    X = check_binary(name, ds.X, ds.feature_names, first_row=1, row_label="data row")
    Y = check_binary(name, ds.y, ds.target_names, first_row=1, row_label="data row")
    return ds, X, Y


def run(args: argparse.Namespace) -> int:
    """Entry point of ``lptrain bnn``."""
    net = parse_biu_arch(args.arch)
    ds, X, Y = _load(args, net.m)
    if X.shape[1] != net.n:
        raise InvalidInputError(
            f"{args.data} has {X.shape[1]} feature columns but --arch {args.arch!r} has n="
            f"{net.n} inputs")
    result = train_bnn(net, X, Y, args.solver, time_limit=args.time_limit,
                       max_memory=parse_memory(args.max_memory))
    report: dict[str, Any] = {"arch": args.arch, "data": str(args.data), "n": net.n,
                              "m": net.m, "N": net.N, **result.to_dict(),
                              "param_names": list(net.param_names),
                              "accuracy": 1.0 - result.errors / (result.D * net.m)}
    if args.output:
        model = ModelFile(network=net, params=result.params.astype(np.float64), loss="hamming",
                          feature_names=ds.feature_names, target_names=ds.target_names,
                          training={k: v for k, v in report.items() if k != "params"})
        report["model"] = str(save_model(args.output, model))
    if args.json:
        print_json(report)
        return 0
    print(f"lptrain bnn {args.data} --arch {args.arch} --solver {result.solver}")
    print(f"  samples D = {result.D}, parameters N = {net.N}")
    print(f"  objective (mean Hamming loss) = {result.objective:.6g} "
          f"({result.errors} errors), proven lower bound {result.dual_bound:.6g}")
    print(f"  params = {result.params.tolist()}")
    print(f"  seconds = {result.seconds:.3g} (build {result.build_seconds:.3g}, "
          f"solve {result.solve_seconds:.3g})")
    sizes = result.sizes
    if "theorem_c1_stated" in sizes:
        print(f"  LP built: {sizes['variables']} variables, {sizes['constraints']} constraints "
              f"(bags of {sizes['bag_bits']} bits); Theorem C.1 states O(2^p |V(G)| D) = "
              f"{sizes['theorem_c1_stated']}")
    if args.output:
        print(f"  model written to {report['model']}")
    return 0
