"""§5 network structure: widths of the node formulation against the paper's claims.

For a few sparse networks (SPEC §6's counterexample, chains, a tree, a sparse conv1d) and a
dense 2-2-1 for contrast, and D = 1, 2, 4, ..., the node formulation's intersection graph
is decomposed by the engine's heuristics (validated) and its width, in bits, is set next to

* §3's width ``B(n+m+N) - 1`` (no node variables, φ in every bag);
* the width §5 claims for its "concatenate the copies" construction,
  ``B(tw(Γ_φ) + |V(G)| + n + m)``, and whether that construction passes the validator;
* Lemma 5.2's claimed exponent ``B(tw(G)Δ(G) + |V(G)| + n + m)`` (tw(G) a heuristic upper
  bound, so the claim is if anything overstated);
* the lower bound ``B(min(N, D) + 1) - 1`` from the K_{N,D} minor.

The claimed quantities do not depend on D; the true width grows with D until about N.
Where the lower bound exceeds a claim, no valid decomposition achieves it. The decomposition
time (median) is printed too. Plot: ``benchmarks/out/bench_structure.png``.

    python benchmarks/bench_structure.py [--samples 1,2,4,8,16,32] [--bits 2] [--repeat 3]
"""

from __future__ import annotations

import argparse

from _common import header, median_time, print_table, save_plot

from lptrain.nn import dense, parse_arch
from lptrain.structure import chain_network, counterexample_network, tree_network, width_report

NETWORKS = {
    "spec6": counterexample_network,
    "chain3": lambda: chain_network(3),
    "chain6": lambda: chain_network(6),
    "tree": tree_network,
    "conv1d:6-c1k2s2-1": lambda: parse_arch("conv1d:6-c1k2s2-1"),
    "dense 2-2-1": lambda: dense([2, 2, 1]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="1,2,4,8,16,32", help="values of D")
    parser.add_argument("--bits", type=int, default=2, help="bits per variable B")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    args = parser.parse_args()
    header(f"lptrain §5 node formulation: widths in bits (B={args.bits}) vs §3, §5 and "
           "Lemma 5.2; medians of decomposition time")
    rows = []
    for name, make in NETWORKS.items():
        net = make()
        for D in (int(t) for t in args.samples.split(",")):
            seconds, r = median_time(lambda net=net, D=D: width_report(net, D, args.bits),
                                     args.repeat)
            rows.append({"network": name, "N": r["N"], "|V|": r["V"], "tw(G)": r["tw_G"],
                         "Δ(G)": r["max_degree"], "D": D, "Γ vertices": r["graph_vertices"],
                         "width": r["width_bits"], "path": r["path_width_bits"],
                         "§3": r["section3_width_bits"], "§5 claim": r["paper_width_bits"],
                         "L5.2 exp": r["lemma52_exponent_bits"],
                         "lower": r["lower_bound_bits"],
                         "lower>§5": r["lower_exceeds_paper_width"],
                         "lower>L5.2": r["lower_exceeds_lemma52"],
                         "§5 valid": r["paper_valid"], "decomp s": seconds})
    print_table(rows)
    print("\n# width: heuristic decomposition of the node formulation (valid); path: φ in "
          "every bag plus the data point's variables; lower: K_{N,D} minor")

    def draw(fig: object) -> None:
        axes = fig.subplots(1, 3)  # type: ignore[attr-defined]
        for ax, name in zip(axes, ("chain6", "tree", "dense 2-2-1"), strict=True):
            rs = [r for r in rows if r["network"] == name]
            Ds = [r["D"] for r in rs]
            for key, style in (("width", "o-"), ("lower", "v:"), ("§3", "--"),
                               ("§5 claim", "-."), ("L5.2 exp", ":")):
                ax.plot(Ds, [r[key] for r in rs], style, label=key)
            ax.set_xscale("log", base=2)
            ax.set_title(name, fontsize=8)
            ax.set_xlabel("samples D")
        axes[0].set_ylabel("width (bits)")
        axes[0].legend(fontsize=6)

    save_plot(draw, "bench_structure")


if __name__ == "__main__":
    main()
