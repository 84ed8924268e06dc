"""``lptrain bounds``: the architecture Lipschitz constant, the grid and the polytope sizes.

Prints, for an architecture, loss and number of samples D, the constants of §4 (L by
Definition 2.2), the grid of §3.1 (bits, levels, ε) and the exact sizes of the §3 polytope,
its face (Lemma 3.6) and the §3.4 enumeration next to the Main Theorem 3.1 bounds and the
Table 1 O(·) expression.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from lptrain._jsonable import EXACT_INT_LIMIT, format_count
from lptrain.cli._common import BITS, int_in, positive_float
from lptrain.cli._runtime import add_command
from lptrain.errors import InvalidInputError
from lptrain.generalization import loss_range, theorem_6_2_samples
from lptrain.nn.builders import ARCH_HELP, parse_arch
from lptrain.nn.losses import LOSSES
from lptrain.sizes import (
    data_informed_sizes,
    exact_sizes,
    phi_grid_size,
    polytope_sizes,
    table1_row,
)

__all__ = ["register", "bounds_report", "print_human"]

_EPILOG = f"""architectures (--arch): {ARCH_HELP}.
activations: relu, leaky_relu[:slope], tanh, hard_tanh, elu[:alpha<=1], identity
(step is outside the Lipschitz theory). Counts are exact integers; 'bound_*' are the
Main Theorem 3.1 bounds with 2L/eps = 2**bits; the Table 1 entry is an O(.) expression.
With --alpha A: Theorem 6.2's sample size D >= (4 sigma^2/eps^2) ln((2L/eps)^N / A)
(sigma^2 from --sigma2 or (loss range)^2/4) and the exact size of the §3 LP with that D
(Corollary 6.3).
example: lptrain bounds --arch 2-3-1 --loss abs --samples 100 --bits 3 --alpha 0.05 --json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bounds`` command."""
    p = add_command(subparsers, "bounds", doc=__doc__, epilog=_EPILOG,
                    help="Lipschitz constant, grid and polytope sizes for an architecture")
    p.add_argument("--arch", required=True, help="architecture, e.g. 2-3-1 (see below)")
    p.add_argument("--loss", required=True, help=f"one of {', '.join(LOSSES)}")
    p.add_argument("--samples", "-D", required=True, type=int_in(1), help="number of samples D")
    grid = p.add_mutually_exclusive_group(required=True)
    grid.add_argument("--eps", type=positive_float,
                      help="target error eps (bits = ceil(log2(2L/eps)))")
    grid.add_argument("--bits", type=BITS, help="bits per coordinate (1..30)")
    p.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    p.add_argument("--regularizer", default=None, help="e.g. l1:0.01 or l2:0.5")
    p.add_argument("--method", default="paper", choices=("paper", "refined"),
                   help="Lipschitz constant: the paper's §4 (default) or the refined one")
    p.add_argument("--points", type=int_in(1), default=None,
                   help="data-informed variant (Remark 3.2): |P| candidate (x, y) points")
    p.add_argument("--alpha", type=float, default=None,
                   help="confidence 1-alpha: add Theorem 6.2's sample size and the size of "
                        "Corollary 6.3's LP (generalization_* keys)")
    p.add_argument("--sigma2", type=float, default=None,
                   help="with --alpha: the loss variance bound sigma^2 (default: "
                        "(loss range)^2/4)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=bounds_report, human=print_human)


def bounds_report(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON object printed by ``lptrain bounds --json``."""
    net = parse_arch(args.arch, args.activation)
    sizes, lip, eps = polytope_sizes(net, args.loss, args.samples, eps=args.eps,
                                     bits=args.bits, regularizer=args.regularizer,
                                     method=args.method)
    if args.points is not None:
        sizes = data_informed_sizes(net, args.loss, args.samples, args.points,
                                    bits=sizes.bits, regularizer=args.regularizer)
    row = table1_row(net, args.loss)
    out: dict[str, Any] = {
        "arch": args.arch, "kind": net.kind, "activation": args.activation,
        "loss": lip.loss, "regularizer": lip.regularizer, "D": sizes.D,
        "n": net.n, "m": net.m, "N": net.N, "depth": net.depth, "widths": list(net.widths),
        "max_in_degree": net.max_in_degree, "edges": net.n_edges,
        "lipschitz": lip.lipschitz, "lipschitz_method": lip.method,
        "U": list(lip.U), "layer_factors": list(lip.layer_factors),
        "loss_constant": lip.loss_constant, "network_constant": lip.network_constant,
        "regularizer_constant": lip.regularizer_constant,
        "bits": sizes.bits, "levels": sizes.levels, "gamma": 2.0**-sizes.bits,
        "epsilon": eps, "epsilon_requested": args.eps,
    }
    out.update({k: v for k, v in sizes.to_dict().items() if k not in out and k != "D"})
    out["notes"] = []
    out["table1"] = {"architecture": row.architecture, "expression": row.expression,
                     "notes": row.notes, "instantiated": sizes.D * sizes.levels ** (
                         net.n + net.m + net.N),
                     "meaning": "O(.) expression with 2L/eps = 2**bits and constant 1, "
                                "i.e. D (2L/eps)^(n+m+N); not an exact count"}
    if args.alpha is not None:
        out.update(_generalization(args, net, lip.lipschitz, eps, sizes.bits))
    elif args.sigma2 is not None:
        raise InvalidInputError("--sigma2 needs --alpha (the generalization bound of "
                                "Theorem 6.2); add e.g. --alpha 0.05")
    return out


def _generalization(args: argparse.Namespace, net: Any, lipschitz: float, eps: float,
                    bits: int) -> dict[str, Any]:
    """Theorem 6.2's D and the exact size of Corollary 6.3's LP (§3 polytope with that D)."""
    rng = loss_range(net, args.loss, method=args.method)
    bound = theorem_6_2_samples(lipschitz, eps, net.N, args.alpha, args.sigma2, rng)
    sizes = exact_sizes(net.n, net.m, net.N, bound.samples, bits,
                        phi_grid=phi_grid_size(net, bits))
    return {
        "alpha": bound.alpha, "sigma2": bound.sigma2, "sigma2_source": bound.sigma2_source,
        "loss_range": [rng.low, rng.high],
        "generalization_samples": bound.samples, "generalization_log_term": bound.log_term,
        "generalization_excess_risk": bound.excess_risk,
        "generalization_lp_variables": sizes.variables,
        "generalization_lp_constraints": sizes.constraints,
        "generalization_lp_nonzeros": sizes.nonzeros,
        "generalization_expression": _power(2.0 * lipschitz / eps, net.n + net.m + net.N,
                                            bound.samples),
        "generalization_guarantee": f"with probability {1 - bound.alpha:g}, "
                                    f"GRM(phi) <= min GRM + 6 eps = min GRM + "
                                    f"{bound.excess_risk:g} (Theorem 6.2)",
    }


def _power(base: float, exponent: int, factor: int) -> float | str:
    """``factor · base^exponent`` as a float, or in scientific notation when it overflows."""
    try:
        return float(factor * base**exponent)
    except OverflowError:
        lead = math.log10(factor) + exponent * math.log10(base)
        whole = math.floor(lead)
        return f"{10 ** (lead - whole):.4f}e+{whole}"


_SECTIONS = (
    ("network", ("kind", "n", "m", "N", "depth", "widths", "max_in_degree", "edges")),
    ("Lipschitz (§4, Definition 2.2)", ("lipschitz_method", "U", "layer_factors",
                                        "loss_constant", "network_constant",
                                        "regularizer_constant", "lipschitz")),
    ("grid (§3.1)", ("bits", "levels", "gamma", "epsilon", "epsilon_requested")),
    ("polytope (§3.2), exact", ("D", "data_points", "phi_grid", "table_rows",
                                "lambda_variables", "x_variables", "variables",
                                "constraints", "nonzeros", "tree_width")),
    ("Main Theorem 3.1 bounds", ("bound_variables", "bound_constraints")),
    ("face (Lemma 3.6) and enumeration (§3.4)", (
        "face_free_lambda", "face_variables", "build_evaluations",
        "enumeration_configurations", "enumeration_evaluations")),
)


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        if abs(value) >= EXACT_INT_LIMIT:
            return f"~{format_count(value)}"
        return f"{value}" + (f"  (~{float(value):.3g})" if value >= 10**6 else "")
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain bounds``."""
    width = max(len(k) for _, keys in _SECTIONS for k in keys) + 2
    if "generalization_samples" in report:
        width = max(width, len("generalization_lp_constraints") + 2)
    print(f"lptrain bounds --arch {args.arch} --loss {report['loss']} "
          f"--samples {report['D']} ({report['activation']})")
    for title, keys in _SECTIONS:
        print(f"\n{title}")
        for key in keys:
            print(f"  {key:<{width}}{_fmt(report[key])}")
    if "generalization_samples" in report:
        print("\ngeneralization (Theorem 6.2, Corollary 6.3)")
        for key in ("alpha", "sigma2", "sigma2_source", "loss_range", "generalization_samples",
                    "generalization_excess_risk", "generalization_lp_variables",
                    "generalization_lp_constraints", "generalization_lp_nonzeros"):
            print(f"  {key:<{width}}{_fmt(report[key])}")
        print(f"  {report['generalization_guarantee']}")
    t1 = report["table1"]
    print(f"\nTable 1 ({t1['architecture']}, O(.) expression, not a count)")
    print(f"  {t1['expression']}  [{t1['notes']}]")
    print(f"  with 2L/eps = 2**bits and constant 1: {_fmt(t1['instantiated'])}")
