"""Benchmark the data-independent ERM polytope (Main Theorem 3.1): a D sweep and faces.

Part 1 builds the polytope for a sweep of sample counts D and prints its exact counts next
to the Main Theorem 3.1 bounds and the engine's Theorem 2.8 bound, the build time split
into the loss evaluation pass (independent of D) and the assembly (linear in D), medians
over ``--repeat`` builds, the memory estimate of the size guard, and least-squares fits
``count = a·D + b`` (exact: zero residual) and ``assembly seconds = a·D + b``.

Part 2 is "build once, solve many": one polytope at ``--solve-samples``, ``--faces``
random data sets, and per face the median solve time of the structured solver (the §3.4
enumeration on the discretized data, the baseline of the ratios), HiGHS on the polytope's
one session (bounds changed, presolve again: the default), HiGHS warm from the previous
face's basis, and HiGHS cold (a new model passed for every face). All optima agree.

    python benchmarks/bench_polytope.py [--arch 1-1] [--loss abs] [--bits 3]
        [--samples 1,2,5,10,20,50,100,200] [--repeat 3] [--solve-samples 50] [--faces 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

import numpy as np
from _common import OUT_DIR, command_line, header, print_table, save_plot

from lptrain.erm import ERMPolytope
from lptrain.erm.guard import format_bytes
from lptrain.nn import parse_arch


def sweep(net, loss: str, bits: int, samples: list[int], repeat: int) -> list[dict]:
    rows = []
    ERMPolytope.build(net, loss, samples=1, bits=1)            # load the kernels once
    for D in samples:
        polys = [ERMPolytope.build(net, loss, samples=D, bits=bits) for _ in range(repeat)]
        p = polys[-1]
        s, t28 = p.sizes, p.theorem_2_8_bound
        assert (p.lp.n_cols, p.lp.n_rows, p.lp.nnz) == (s.variables, s.constraints,
                                                        s.nonzeros)
        med = {k: statistics.median(q.build_seconds[k] for q in polys)
               for k in ("evaluation", "assembly", "total")}
        rows.append({
            "D": D, "variables": s.variables, "constraints": s.constraints,
            "nonzeros": s.nonzeros, "bound vars": s.bound_variables,
            "bound cons": s.bound_constraints, "T2.8 vars": t28.variables,
            "evaluations": s.build_evaluations, "eval s": med["evaluation"],
            "assembly s": med["assembly"], "total s": med["total"],
            "memory est": format_bytes(p.memory.total if p.memory else 0),
        })
        del polys
    return rows


def fits(rows: list[dict]) -> list[dict]:
    D = np.array([r["D"] for r in rows], dtype=float)
    out = []
    for key in ("variables", "constraints", "nonzeros", "assembly s", "eval s"):
        y = np.array([r[key] for r in rows], dtype=float)
        a, b = np.polyfit(D, y, 1)
        resid = y - (a * D + b)
        r2 = 1.0 - float(resid @ resid) / max(float(((y - y.mean()) ** 2).sum()), 1e-300)
        out.append({"quantity": key, "slope per D": a, "intercept": b,
                    "max |residual|": float(np.abs(resid).max()), "R^2": r2})
    return out


def faces(net, loss: str, bits: int, D: int, n_faces: int, repeat: int) -> list[dict]:
    poly = ERMPolytope.build(net, loss, samples=D, bits=bits)
    rng = np.random.default_rng(0)
    data = [(rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, net.m)))
            for _ in range(n_faces)]
    modes = {
        "structured": lambda f: f.solve("structured"),
        "highs session": lambda f: f.solve("highs"),
        "highs warm basis": lambda f: f.solve("highs", warm_start=True),
        "highs cold": lambda f: (poly.close(), f.solve("highs"))[1],
    }
    face_list = [poly.face(X, Y) for X, Y in data]
    times = {name: [[] for _ in face_list] for name in modes}
    values = {name: [0.0] * len(face_list) for name in modes}
    for name, run in modes.items():
        poly.close()                 # each mode starts from a fresh session
        for _ in range(repeat):      # warm: every face starts from the previous face's basis
            for k, face in enumerate(face_list):
                sol = run(face)
                times[name][k].append(sol.seconds["solve"])
                values[name][k] = sol.lp_value
    rows = []
    for k in range(len(face_list)):
        row: dict = {"face": k}
        for name in modes:
            row[name + " s"] = statistics.median(times[name][k])
        vals = [values[name][k] for name in modes]
        row["agree"] = max(vals) - min(vals) <= 1e-9
        rows.append(row)
    base = statistics.median(r["structured s"] for r in rows)
    summary = {"face": "median"}
    for name in modes:
        summary[name + " s"] = statistics.median(r[name + " s"] for r in rows)
    summary["agree"] = all(r["agree"] for r in rows)
    rows.append(summary)
    rows.append({"face": "ratio to structured",
                 **{name + " s": summary[name + " s"] / base for name in modes}})
    return rows


def plot(rows: list[dict], face_rows: list[dict], title: str) -> None:
    D = [r["D"] for r in rows]

    def draw(fig):
        ax1, ax2, ax3 = fig.subplots(1, 3)
        for key, style in (("variables", "o-"), ("nonzeros", "s-"), ("bound vars", "k--"),
                           ("T2.8 vars", "k:")):
            ax1.loglog(D, [r[key] for r in rows], style, label=key)
        ax1.set_xlabel("samples D")
        ax1.set_title("size (linear in D)", fontsize=9)
        ax1.legend(fontsize=7)
        ax2.plot(D, [r["eval s"] for r in rows], "o-", label="evaluation (one pass)")
        ax2.plot(D, [r["assembly s"] for r in rows], "s-", label="assembly")
        ax2.set_xlabel("samples D")
        ax2.set_ylabel("seconds (median)")
        ax2.set_title("build time", fontsize=9)
        ax2.legend(fontsize=7)
        med = face_rows[-2]
        names = [k for k in med if k.endswith(" s")]
        ax3.bar(range(len(names)), [med[k] for k in names])
        ax3.set_xticks(range(len(names)), [k[:-2] for k in names], rotation=20, fontsize=7)
        ax3.set_yscale("log")
        ax3.set_title("face solve (median)", fontsize=9)
        fig.suptitle(title, fontsize=10)
    save_plot(draw, "bench_polytope")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="1-1")
    parser.add_argument("--loss", default="abs")
    parser.add_argument("--bits", type=int, default=3)
    parser.add_argument("--samples", default="1,2,5,10,20,50,100,200")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--solve-samples", type=int, default=50)
    parser.add_argument("--faces", type=int, default=5)
    args = parser.parse_args()
    header("ERM polytope (Main Theorem 3.1): D sweep and build once, solve many")
    net = parse_arch(args.arch)
    title = f"--arch {args.arch} --loss {args.loss} --bits {args.bits}"
    print(f"# {title}: n={net.n}, m={net.m}, N={net.N}")
    samples = [int(s) for s in args.samples.split(",")]
    start = time.perf_counter()
    rows = sweep(net, args.loss, args.bits, samples, args.repeat)
    print_table(rows)
    print("\n# least-squares fits against D")
    fit_rows = fits(rows)
    print_table(fit_rows)
    print(f"\n# build once (D = {args.solve_samples}), solve {args.faces} faces; seconds per "
          f"face, median of {args.repeat}")
    face_rows = faces(net, args.loss, args.bits, args.solve_samples, args.faces, args.repeat)
    print_table(face_rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    wall = time.perf_counter() - start
    print(f"\n# peak resident memory {format_bytes(peak)}; wall {wall:.1f} s")
    plot(rows, face_rows, title)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "bench_polytope.json").write_text(json.dumps(
        {"command": command_line(), "sweep": rows, "fits": fit_rows, "faces": face_rows},
        indent=1, default=str))


if __name__ == "__main__":
    main()
