"""Loss evaluations per second of the §3.4 enumeration: hand-written numba loops vs the
generated kernels (lptrain.nn.grid_argmin) vs the numpy fallback.

Each task minimizes the empirical risk over a range of the φ-grid for D data points.
Every repetition runs all variants of a task back to back (side by side), so the ratios
are taken within one repetition and their median is reported; evaluations/s are medians
over the repetitions. The machine is shared: read ratios, not absolute figures.

Usage: python benchmarks/bench_eval.py [--repeats 5] [--samples 1000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_eval_handwritten as hand  # noqa: E402
from _common import OUT_DIR  # noqa: E402

from lptrain.discretize import GridRange  # noqa: E402
from lptrain.nn import grid_argmin, loss_matrix, parse_arch  # noqa: E402

OUT = OUT_DIR

# (label, arch, activation, loss, bits, φ count for numba, φ count for numpy, hand-written)
TASKS = [
    ("2-1-1 relu abs", "2-1-1", "relu", "abs", 5, 2**22, 2**12, "relu211_abs"),
    ("2-3-1 relu abs", "2-3-1", "relu", "abs", 2, 2**20, 2**11, "relu231_abs"),
    ("2-3-2 relu cross-entropy", "2-3-2", "relu", "cross_entropy", 2, 2**17, 2**10,
     "relu232_ce"),
    ("3-4-4-1 relu quadratic", "3-4-4-1", "relu", "quadratic", 1, 2**18, 2**10, None),
    ("conv1d:8-c2k3s2-1 tanh abs", "conv1d:8-c2k3s2-1", "tanh", "abs", 2, 2**18, 2**10, None),
    ("resnet:2-3x2-1 relu hinge", "resnet:2-3x2-1", "relu", "hinge", 1, 2**19, 2**10, None),
]


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_task(task, D, repeats, rng):
    label, arch, act, loss, bits, count, count_np, handname = task
    net = parse_arch(arch, act)
    X = rng.uniform(-1, 1, (D, net.n))
    Y = rng.uniform(-1, 1, (D, net.m))
    if loss == "cross_entropy":
        Y = np.eye(net.m)[rng.integers(0, net.m, D)]
    start = 0
    variants = {
        "generated": (count, lambda: grid_argmin(net, loss, X, Y, bits, start=start,
                                                 stop=start + count, backend="numba")),
        "numpy": (count_np, lambda: grid_argmin(net, loss, X, Y, bits, start=start,
                                                stop=start + count_np, backend="numpy")),
    }
    if handname:
        variants["hand-written"] = (count, lambda: hand.run(handname, X, Y, bits, start,
                                                              start + count))
        if handname == "relu211_abs":
            variants["hand-written strict"] = (count, lambda: hand.run(
                "relu211_abs_strict", X, Y, bits, start, start + count))
    # warm up (compiles) and check that the variants agree on the minimum
    values = {k: fn() for k, (_, fn) in variants.items()}
    gen = values["generated"].value
    for k in ("hand-written", "hand-written strict"):
        if k in values:
            assert abs(values[k][0] - gen) <= 1e-9 * (1 + abs(gen)), (label, k)
    rates = {k: [] for k in variants}
    for _ in range(repeats):
        for k, (n_phi, fn) in variants.items():
            dt, _ = _timed(fn)
            rates[k].append(n_phi * D / dt)
    return {k: v for k, v in rates.items()}, net


def bench_table_build(bits, repeats, rng):
    """The polytope build's loss table: all K^(n+m) data grid points × a φ range."""
    from lptrain.discretize import data_grid

    net = parse_arch("2-1-1")
    X, Y = data_grid(2, 1, bits)
    count = 2**15
    rates = {"generated": [], "numpy": []}
    loss_matrix(net, "abs", X, Y, GridRange(bits, 0, 64), backend="numba")
    for _ in range(repeats):
        for k, n_phi in (("generated", count), ("numpy", count // 8)):
            dt, _ = _timed(lambda k=k, n_phi=n_phi: loss_matrix(
                net, "abs", X, Y, GridRange(bits, 0, n_phi), backend=k.replace(
                    "generated", "numba")))
            rates[k].append(n_phi * len(X) / dt)
    return rates


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--samples", type=int, default=1000, help="D data points")
    p.add_argument("--quick", action="store_true", help="first two tasks, 3 repeats")
    args = p.parse_args(argv)
    command = "python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])])
    repeats = 3 if args.quick else args.repeats
    rng = np.random.default_rng(0)
    tasks = TASKS[:2] if args.quick else TASKS
    rows, baseline = [], None
    for task in tasks:
        rates, net = bench_task(task, args.samples, repeats, rng)
        med = {k: statistics.median(v) for k, v in rates.items()}
        if baseline is None:
            baseline = rates["hand-written"]
        ratio_hand = (statistics.median(g / h for g, h in zip(rates["generated"],
                                                             rates["hand-written"],
                                                             strict=True))
                      if "hand-written" in rates else None)
        rows.append({"task": task[0], "N": net.N, "bits": task[4], "rates": med,
                     "generated/hand-written (same net)": ratio_hand,
                     "generated/2-1-1 hand-written": med["generated"] / statistics.median(
                         baseline),
                     "generated/numpy": statistics.median(
                         g / n for g, n in zip(rates["generated"], rates["numpy"], strict=True))})
    table = bench_table_build(3, repeats, rng)
    _print(rows, table, args, command, repeats)
    _save(rows, table, command, repeats, args)


def _print(rows, table, args, command, repeats):
    print(f"# {command}")
    print(f"# D = {args.samples}, medians over {repeats} repetitions, "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    head = (f"{'task (§3.4 enumeration)':<30}{'N':>4}{'bits':>5}{'hand strict':>13}"
            f"{'hand-written':>14}{'generated':>12}{'numpy':>11}{'gen/hand':>10}"
            f"{'gen/base':>10}{'gen/numpy':>11}")
    print(head)
    print("-" * len(head))
    for r in rows:
        rt = r["rates"]

        def f(k, rt=rt):
            return f"{rt[k]:.3g}" if k in rt else "-"

        ratio = r["generated/hand-written (same net)"]
        print(f"{r['task']:<30}{r['N']:>4}{r['bits']:>5}{f('hand-written strict'):>13}"
              f"{f('hand-written'):>14}{f('generated'):>12}{f('numpy'):>11}"
              f"{(f'{ratio:.2f}' if ratio else '-'):>10}"
              f"{r['generated/2-1-1 hand-written']:>10.2f}{r['generated/numpy']:>11.0f}")
    g, n = (statistics.median(table[k]) for k in ("generated", "numpy"))
    print(f"\npolytope table, 2-1-1 abs, bits 3 (512 data grid points x 2^15 phi, loss_matrix):"
          f" generated {g:.3g}/s, numpy {n:.3g}/s, ratio {g / n:.0f}")
    print("units: loss evaluations per second; gen/base = generated / hand-written 2-1-1")


def _save(rows, table, command, repeats, args):
    OUT.mkdir(parents=True, exist_ok=True)
    record = {"command": command, "repeats": repeats, "samples": args.samples,
              "cores": os.cpu_count(), "rows": rows, "table_build": table}
    (OUT / "bench_eval.json").write_text(json.dumps(record, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    kinds = ["hand-written strict", "hand-written", "generated", "numpy"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.2
    for i, k in enumerate(kinds):
        xs = [j + (i - 1.5) * width for j, r in enumerate(rows) if k in r["rates"]]
        ys = [r["rates"][k] for r in rows if k in r["rates"]]
        ax.bar(xs, ys, width, label=k)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), [r["task"] for r in rows], rotation=15, fontsize=8)
    ax.set_ylabel("loss evaluations / s")
    ax.set_title(f"§3.4 enumeration, D={args.samples}: {command}", fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "bench_eval.png", dpi=120)


if __name__ == "__main__":
    main()
