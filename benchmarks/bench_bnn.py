"""Binarized networks (Appendix C): exact LP (Theorem C.1) vs HiGHS MIP vs exhaustive search.

For BiU networks of fixed shape and a growing number of samples D (0/1 data, labels from a
random teacher BiU network with 10% of the label bits flipped), the same training problem
(mean Hamming loss over φ ∈ {-1,1}^N) is solved three ways:

* "lp": the face of the data-independent polytope of Theorem C.1 (built once per D, time
  reported separately: it does not depend on the data) solved by HiGHS, certified and
  decoded;
* "mip": the big-M MIP of ``lptrain.bnn.mip`` solved by HiGHS's branch and bound;
* "exhaustive": all 2^N parameter vectors (the baseline; ratios are against it).

All three must reach the same optimum. Medians over ``--repeat`` runs. The built LP size is
printed next to Theorem C.1's stated ``O(2^p |V(G)| D)`` (SPEC §8 Caution: the valid path
decomposition has bags of N + n + m bits). Plot: ``benchmarks/out/bench_bnn.png``.

    python benchmarks/bench_bnn.py [--archs 2-2-1,3-2-1] [--samples 10,20,50,...,1000]
                                   [--repeat 3] [--mip-time-limit 120] [--max-memory 4GiB]
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import header, median_time, print_table, save_plot

from lptrain.bnn import BiUPolytope, biu_errors, biu_sizes, parse_biu_arch, train_bnn
from lptrain.cli._common import parse_memory
from lptrain.errors import TimeLimitError, TooLargeError


def _data(net, D: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, (D, net.n))
    teacher = rng.integers(0, 2, (1, net.N))
    _, out = biu_errors(net, X, np.zeros((D, net.m)), teacher)
    Y = out[0].astype(np.int64)
    Y[rng.random(Y.shape) < 0.1] ^= 1
    return X, Y


def measure(arch: str, D: int, repeat: int, mip_limit: float, max_memory: int
            ) -> dict[str, object]:
    net = parse_biu_arch(arch)
    X, Y = _data(net, D, seed=D)
    t_ex, ex = median_time(lambda: train_bnn(net, X, Y, "exhaustive"), repeat)
    s = biu_sizes(net, D)
    try:
        t_build, poly = median_time(lambda: BiUPolytope.build(net, D, max_memory=max_memory),
                                    repeat)
        t_lp, lp = median_time(lambda: train_bnn(net, X, Y, "lp", polytope=poly), repeat)
        lp_obj: object = lp.objective
        exact: object = lp.certificate["exact"]
    except TooLargeError:
        t_build = t_lp = float("nan")
        lp_obj = exact = "too large"
    try:
        t_mip, mip = median_time(lambda: train_bnn(net, X, Y, "mip", time_limit=mip_limit),
                                 repeat)
        mip_obj: object = mip.objective
    except TimeLimitError:
        t_mip, mip_obj = float("nan"), f">{mip_limit:g}s"
    return {
        "arch": arch, "N": net.N, "D": D, "optimum": ex.objective,
        "lp obj": lp_obj, "mip obj": mip_obj,
        "same": lp_obj in (ex.objective, "too large") and mip_obj == ex.objective,
        "build s": t_build, "lp s": t_lp, "mip s": t_mip, "exh s": t_ex,
        "lp/exh": t_lp / t_ex, "mip/exh": t_mip / t_ex,
        "LP vars": s.built.variables, "LP nnz": s.built.nonzeros,
        "C.1 stated": s.stated, "built/stated": s.built.variables / s.stated,
        "bag bits": s.bag_bits, "cert exact": exact,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="2-2-1,3-2-1", help="BiU architectures")
    parser.add_argument("--samples", default="10,20,50,100,200,500,1000", help="values of D")
    parser.add_argument("--max-memory", default="4GiB",
                        help="size guard of the LP build (larger builds print 'too large')")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--mip-time-limit", type=float, default=120.0)
    args = parser.parse_args()
    header(f"lptrain BiU training: LP (Theorem C.1) vs HiGHS MIP vs exhaustive; medians of "
           f"{args.repeat} runs; ratios against exhaustive search")
    limit = parse_memory(args.max_memory) or 0
    rows = [measure(a, int(D), args.repeat, args.mip_time_limit, limit)
            for a in args.archs.split(",") for D in args.samples.split(",")]
    print_table(rows, ["arch", "N", "D", "optimum", "lp obj", "mip obj", "same", "build s",
                       "lp s", "mip s", "exh s", "lp/exh", "mip/exh", "cert exact"])
    print()
    print_table(rows, ["arch", "D", "bag bits", "LP vars", "LP nnz", "C.1 stated",
                       "built/stated"])
    assert all(r["same"] for r in rows), "the three solvers disagree"

    def draw(fig: object) -> None:
        left, right = fig.subplots(1, 2)  # type: ignore[attr-defined]
        for arch in args.archs.split(","):
            rs = [r for r in rows if r["arch"] == arch]
            Ds = [r["D"] for r in rs]
            for key, style in (("lp s", "o-"), ("mip s", "s--"), ("exh s", "^:")):
                left.plot(Ds, [r[key] for r in rs], style, label=f"{arch} {key[:-2]}")
            right.plot(Ds, [r["LP vars"] for r in rs], "o-", label=f"{arch} LP size")
            right.plot(Ds, [r["C.1 stated"] for r in rs], "s--", label=f"{arch} C.1 stated")
        for ax, ylabel in ((left, "seconds to optimum (median)"), (right, "variables")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("samples D")
            ax.set_ylabel(ylabel)
            ax.legend(fontsize=6)

    save_plot(draw, "bench_bnn")


if __name__ == "__main__":
    main()
