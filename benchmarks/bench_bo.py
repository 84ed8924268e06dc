"""Benchmark the exact BO engine (Theorem 2.8) on structured instances.

Max-cut and maximum-weight independent set on a path, a cycle, a 3 x k grid and a random
partial 3-tree at a few hundred variables: width, bags, LP size against the Theorem 2.8
bound, build times (tabulating the oracles into the LiftSpec; assembling the LP), solve
time by HiGHS ("lp", including the certificate and decoding) and by min-sum DP ("dp"),
the ratio (assembly + lp solve) / dp solve -- DP is the baseline -- and whether both
objectives agree. A second table
scales the 3 x k grid to show the LP growing linearly in the number of variables; it is
plotted to ``benchmarks/out/bench_bo.png``.

    python benchmarks/bench_bo.py [--n 300] [--repeat 3] [--scale 25,50,100,200,400]
"""

from __future__ import annotations

import argparse

from _common import header, median_time, print_table, save_plot

from lptrain.bo import lift_spec, solve_spec
from lptrain.bo.instances import INSTANCES, make_instance


def _size(kind: str, n: int) -> str:
    return {"grid": f"3x{n // 3}", "ktree": f"{n}k3"}.get(kind, str(n))


def measure(name: str, size: str, repeat: int) -> dict[str, object]:
    problem = make_instance(name, size, seed=1)
    build, (spec, td) = median_time(lambda: lift_spec(problem), repeat)
    t_lp, lp = median_time(lambda: solve_spec(spec, "lp"), repeat)
    t_dp, dp = median_time(lambda: solve_spec(spec, "dp"), repeat)
    return {
        "instance": name,
        "size": size,
        "|V|": problem.n_vars,
        "width": td.width,
        "bags": spec.n_bags,
        "LP vars": lp.lp_size.variables,
        "LP cons": lp.lp_size.constraints,
        "LP nnz": lp.lp_size.nonzeros,
        "bound vars": lp.bound.variables,
        "bound nnz": lp.bound.nonzeros,
        "spec s": build,
        "assemble s": lp.build_seconds,
        "solve s lp": t_lp - lp.build_seconds,
        "solve s dp": t_dp,
        "(asm+lp)/dp": t_lp / t_dp,
        "objective": lp.objective,
        "agree": abs(lp.objective - dp.objective) <= 1e-9,
        "gap": lp.gap,
        "exact cert": lp.certificate.exact if lp.certificate else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="variables per instance")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--scale", default="25,50,100,200,400", help="k values of 3 x k grids")
    args = parser.parse_args()
    header("lptrain BO engine: exact LP (Theorem 2.8) vs min-sum DP; medians of "
           f"{args.repeat} runs")
    rows = [measure(name, _size(name.split("-")[1], args.n), args.repeat) for name in INSTANCES]
    print_table(rows)
    print()
    ks = [int(k) for k in args.scale.split(",")]
    scale = [measure("maxcut-grid", f"3x{k}", args.repeat) for k in ks]
    print_table(scale, ["size", "|V|", "bags", "LP nnz", "bound nnz", "assemble s", "solve s lp",
                        "solve s dp", "(asm+lp)/dp", "agree"])

    def draw(fig: object) -> None:
        left, right = fig.subplots(1, 2)  # type: ignore[attr-defined]
        n = [r["|V|"] for r in scale]
        left.plot(n, [r["LP nnz"] for r in scale], "o-", label="built LP nnz")
        left.plot(n, [r["bound nnz"] for r in scale], "s--", label="Theorem 2.8 bound")
        left.set_xlabel("variables (3 x k grid max-cut)")
        left.set_ylabel("nonzeros")
        left.legend()
        for key, style in (("solve s lp", "o-"), ("solve s dp", "s-"), ("assemble s", "^--")):
            right.plot(n, [r[key] for r in scale], style, label=key)
        right.set_xlabel("variables")
        right.set_ylabel("seconds (median)")
        right.legend()

    save_plot(draw, "bench_bo")


if __name__ == "__main__":
    main()
