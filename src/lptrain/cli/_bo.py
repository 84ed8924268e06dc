"""``lptrain bo``: solve a built-in structured BO instance exactly (Theorem 2.8).

Example::

    lptrain bo --instance maxcut-grid --size 3x20 --method lp
    lptrain bo --instance mwis-ktree --size 300k3 --method dp --json
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from lptrain.bo.instances import INSTANCES, make_instance
from lptrain.bo.solve import solve
from lptrain.cli._common import positive_float
from lptrain.cli._runtime import add_command
from lptrain.errors import InvalidInputError, TooLargeError

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bo`` command."""
    parser = add_command(
        subparsers, "bo", doc=__doc__,
        help="solve a structured binary optimization instance exactly (Theorem 2.8)",
    )
    parser.add_argument("--instance", choices=INSTANCES, default="maxcut-grid")
    parser.add_argument(
        "--size",
        default="3x20",
        help="grid: RxC (e.g. 3x20); path/cycle: N; ktree: N or NkK (e.g. 300k3)",
    )
    parser.add_argument("--method", choices=["lp", "dp"], default="lp")
    parser.add_argument(
        "--outputs",
        choices=["attach", "leaf"],
        default="attach",
        help="where outputs live: in a bag holding their support, or in "
        "the proof's separate leaf bags",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and k-trees")
    parser.add_argument("--unweighted", action="store_true", help="all weights 1")
    parser.add_argument("--time-limit", type=positive_float, default=None,
                        help="HiGHS seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run, human=print_human)


#: Instances larger than this (vertices, or the width of the decomposition) are refused
#: before they are built: the exact LP of Theorem 2.8 has 2^(width+1) rows per bag.
MAX_VERTICES, MAX_WIDTH = 100_000, 16


def _check_size(instance: str, size: str) -> None:
    """Refuse an instance too large to build, from its size string alone."""
    numbers = [int(v) for v in re.findall(r"\d+", size)]
    kind = instance.split("-", 1)[1]
    if not numbers or (kind == "grid" and len(numbers) != 2):
        return  # the library names the expected form
    if kind == "grid":
        vertices, width = numbers[0] * numbers[1], min(numbers)
    else:
        vertices = numbers[0]
        width = (numbers[1] if len(numbers) > 1 else 3) if kind == "ktree" else 2
    if vertices < 1:
        raise InvalidInputError(f"--size {size}: the {kind} has no vertices; give at least one")
    if vertices > MAX_VERTICES:
        raise TooLargeError(f"--size {size}: the {kind} has {vertices:,} vertices; lptrain bo "
                            f"builds instances of up to {MAX_VERTICES:,}")
    if width > MAX_WIDTH:
        raise TooLargeError(
            f"--size {size}: the {kind} has treewidth about {width}, so the exact LP of "
            f"Theorem 2.8 has about 2^{width + 1} rows per bag; keep the width at most "
            f"{MAX_WIDTH} (e.g. {'3x' + str(max(numbers)) if kind == 'grid' else '300k3'})")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Solve the instance the arguments name; the report."""
    _check_size(args.instance, args.size)
    problem = make_instance(args.instance, args.size, seed=args.seed, weighted=not args.unweighted)
    result = solve(problem, args.method, outputs=args.outputs, time_limit=args.time_limit)
    result.check(problem)
    res = {k: v for k, v in result.to_dict().items() if k not in ("x", "y")}
    res["timings"] = {"build": res.pop("build_seconds"), "solve": res.pop("solve_seconds")}
    dual = res.pop("dual_bound")
    return {"instance": args.instance, "size": args.size, "n_vars": problem.n_vars, **res,
            "lower_bound": dual, "lower_bound_kind": "lp-dual" if dual is not None else None,
            "upper_bound": res["objective"], "notes": [], "_result": result}


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain bo``."""
    result = report["_result"]
    problem = argparse.Namespace(n_vars=report["n_vars"])
    size, bound = result.lp_size, result.bound
    lines = [
        f"instance      {args.instance} {args.size} ({problem.n_vars} variables)",
        f"method        {args.method}",
        f"width         {result.width} (bags {result.n_bags}, {bound.bits} bits per bag max)",
        f"LP size       {size.variables} vars, {size.constraints} cons, {size.nonzeros} nnz",
        f"bound (Th2.8) {bound.variables} vars, {bound.constraints} cons, {bound.nonzeros} nnz",
        f"objective     {result.objective:.12g}",
    ]
    if result.certificate is not None:
        cert = result.certificate
        kind = "exact rational" if cert.exact else "rigorous float"
        lines.append(
            f"dual bound    {result.dual_bound:.12g} ({kind}); certified gap {result.gap:.3g}"
        )
        lines.append(
            f"residuals     rows {cert.row_residual:.3g}, bounds {cert.bound_residual:.3g}"
        )
    lines.append(
        f"times         build {result.build_seconds:.3f} s, solve {result.solve_seconds:.3f} s"
    )
    print("\n".join(lines))
