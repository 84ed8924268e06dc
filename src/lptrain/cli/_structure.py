"""``lptrain structure``: the §5 node formulation -- widths and the paper's decomposition.

For an architecture, a number of samples D (or several) and a grid of B bits, prints the
width of a valid tree decomposition of the node formulation's intersection graph next to
§3's width, the width §5 claims for its "concatenate the copies" construction, Lemma 5.2's
claimed exponent and the lower bound min(N, D) from the K_{N,D} minor (all in bits), and
whether the paper's construction passes the validator (with the violated property). With
``--data FILE`` it also trains the node formulation on that data through the exact engine
(Theorem 2.8) and checks the optimum against brute force over the φ-grid.
"""

from __future__ import annotations

import argparse
from typing import Any

from lptrain.cli._common import add_header_argument, int_in
from lptrain.cli._runtime import add_command, add_input
from lptrain.data import load_csv
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.structure import (
    NAMED_NETWORKS,
    node_brute_force,
    structure_network,
    train_node_formulation,
    width_report,
)

__all__ = ["register", "run"]

_EPILOG = f"""--arch: any lptrain architecture (e.g. 2-2-1, conv1d:6-c1k2s2-1) or one of
{', '.join(NAMED_NETWORKS)} (spec6 = SPEC §6's counterexample). Widths are in bits
(a bag of q variables of B bits holds q*B bits). Keep B and the network small: the
node formulation tabulates every node constraint on all K^(support) assignments.
example: lptrain structure --arch spec6 --samples 1,2,4,8 --bits 2 --json"""

_COLUMNS = ("D", "width_bits", "section3_width_bits", "paper_width_bits",
            "lemma52_exponent_bits", "lower_bound_bits", "paper_valid")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``structure`` command."""
    p = add_command(subparsers, "structure", doc=__doc__, epilog=_EPILOG,
                    help="§5 node formulation: decomposition widths vs the paper's claims")
    p.add_argument("--arch", required=True, help="architecture or a named network (below)")
    p.add_argument("--samples", "-D", required=True,
                   help="number of samples D, or a comma-separated list (e.g. 1,2,4,8)")
    p.add_argument("--bits", type=int_in(1, 8), required=True, help="bits per variable (1..8)")
    p.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    p.add_argument("--loss", default="abs", help="loss of the outputs L_d (default abs)")
    add_input(p, "--data", label="--data", default=None,
              help="CSV (features then m label columns, in [-1,1]): solve the node "
                   "formulation by LP and check it against brute force")
    add_header_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run, human=print_human)


#: Widths are computed on graphs growing with D (D = 500 takes seconds, the growth is
#: superlinear): larger D are refused rather than left running for hours.
MAX_SAMPLES = 2000


def _samples(text: str) -> list[int]:
    try:
        values = [int(t) for t in str(text).split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise InvalidInputError(f"--samples must be a positive integer or a comma-separated "
                                f"list of them, e.g. 1,2,4; got {text!r}")
    if max(values) > MAX_SAMPLES:
        raise TooLargeError(f"--samples {max(values)}: the node formulation's graph grows with "
                            f"D and its decomposition would take hours; use D <= {MAX_SAMPLES}")
    return values


def _train(args: argparse.Namespace, net: Any) -> dict[str, Any]:
    ds = load_csv(args.data, n_targets=net.m, header=args.header)
    if ds.y.dtype.kind != "f":
        raise InvalidInputError(f"--data {args.data}: the label columns must be numbers in "
                                "[-1, 1]")
    res = train_node_formulation(net, args.loss, ds.X, ds.y, args.bits)
    phi, brute = node_brute_force(net, args.loss, ds.X, ds.y, args.bits)
    return {"samples": int(ds.X.shape[0]), "objective": res.objective, "phi": res.phi.tolist(),
            "width_vars": res.width, "width_bits": res.width_bits, "bags": res.n_bags,
            "lp_variables": res.lp_variables, "brute_force_objective": brute,
            "brute_force_phi": phi.tolist(), "agree": abs(res.objective - brute) <= 1e-9}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain structure``: the width table (and the training check)."""
    net = structure_network(args.arch, args.activation)
    rows = [width_report(net, D, args.bits, args.loss) for D in _samples(args.samples)]
    report: dict[str, Any] = {"arch": args.arch, "bits": args.bits, "n": net.n, "m": net.m,
                              "N": net.N, "V": net.n_nodes, "tw_G": rows[0]["tw_G"],
                              "max_degree": rows[0]["max_degree"], "rows": rows}
    report["training"] = _train(args, net) if args.data else None
    report["notes"] = []
    return report


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain structure``."""
    rows = report["rows"]
    net = argparse.Namespace(n=report["n"], m=report["m"], N=report["N"],
                             n_nodes=report["V"])
    print(f"lptrain structure --arch {args.arch} --bits {args.bits}: n={net.n}, m={net.m}, "
          f"N={net.N}, |V(G)|={net.n_nodes}, tw(G)<={rows[0]['tw_G']}, "
          f"Δ(G)={rows[0]['max_degree']}")
    widths = [max(len(c), 6) for c in _COLUMNS]
    print("  ".join(c.rjust(w) for c, w in zip(_COLUMNS, widths, strict=True)))
    for r in rows:
        print("  ".join(str(r[c]).rjust(w) for c, w in zip(_COLUMNS, widths, strict=True)))
    bad = next((r["paper_violation"] for r in rows if not r["paper_valid"]), None)
    if bad:
        print(f"paper's construction: {bad}")
    if args.data:
        t = report["training"]
        print(f"node formulation on {args.data}: LP objective {t['objective']:.6g}, brute "
              f"force {t['brute_force_objective']:.6g}, agree={t['agree']}")
