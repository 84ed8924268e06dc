"""Certified gap vs time: lptrain's branch and bound against SCIP (PySCIPOpt, a global
MINLP solver) on the same ERM, with the same time limit, as D grows.

Network dense 2-1-1 ReLU (N = 5), absolute loss, y = 0.5 sin(pi x1 / 2) cos(x2). SCIP gets
the MINLP of lptrain.certify.minlp (big-M ReLUs with interval M's, bilinear output layer,
epigraph of |.|) and stops at the absolute gap (limits/absgap) or the time limit; we stop
at the same certified gap. Our time is a median over --repeats runs (after a warm-up that
loads the kernels); SCIP runs once per D (it is the slow side). SCIP is single-threaded;
ours uses both cores: the ratio is per machine, not per core.

Usage: python benchmarks/bench_vs_scip.py [--D 10 20 50 100 200] [--gap 0.01]
       [--time-limit 300] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT_DIR, command_line, header, print_table, save_plot  # noqa: E402
from bench_certify import NET, smooth_data, time_certify  # noqa: E402

from lptrain.certify import solve_erm_scip  # noqa: E402

_CURVES: dict[int, dict] = {}


def compare(D: int, gap: float, limit: float, repeats: int = 5) -> dict:
    """Time for both to reach the certified gap (SCIP: its time limit when not reached)."""
    med, first, cert = time_certify(D, gap, repeats, time_limit=limit)
    X, Y = smooth_data(D)
    t = time.perf_counter()
    scip = solve_erm_scip(NET, "abs", X, Y, time_limit=limit, target_gap=gap)
    wall = time.perf_counter() - t
    reached = scip.gap <= gap + 1e-12
    _CURVES[D] = {"ours": cert.history, "scip": scip.history}
    return {"D": D, "gap": gap, "ours s": med, "ours first call s": first,
            "ours gap": cert.gap, "ours LB": cert.lower_bound, "ours ERM": cert.best_value,
            "SCIP s": scip.seconds if reached else limit, "SCIP wall s": wall,
            "SCIP reached": reached, "SCIP status": scip.status, "SCIP gap": scip.gap,
            "SCIP dual": scip.dual, "SCIP primal": scip.primal,
            "speed-up": (scip.seconds if reached else limit) / med}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--D", type=int, nargs="+", default=[10, 20, 50, 100, 200])
    p.add_argument("--gap", type=float, default=0.01)
    p.add_argument("--time-limit", type=float, default=300.0)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    header("bench_vs_scip: time to a certified gap, lptrain vs SCIP")
    rows = [compare(D, args.gap, args.time_limit, args.repeats) for D in args.D]
    print_table(rows, ["D", "gap", "ours s", "ours first call s", "ours gap", "ours ERM",
                       "SCIP s", "SCIP status", "SCIP gap", "SCIP primal", "speed-up"])
    print("# 'SCIP s' is its time to the gap, or the time limit when not reached "
          "(then the speed-up is a lower bound)")
    for r in rows:
        assert r["ours LB"] <= r["SCIP primal"] + 1e-6, "our lower bound exceeds SCIP's value"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "bench_vs_scip.json").write_text(json.dumps(
        {"command": command_line(), "rows": rows,
         "curves": {str(D): {k: [list(p) for p in v] for k, v in c.items()}
                    for D, c in _CURVES.items()}}, default=float))

    def draw(fig):
        ax = fig.add_subplot(111)
        for i, (D, c) in enumerate(sorted(_CURVES.items())):
            color = f"C{i}"
            h = np.asarray(c["ours"])
            ax.loglog(np.maximum(h[:, 0], 1e-4), np.clip(h[:, 2] - h[:, 1], 1e-4, 10), "-",
                      color=color, label=f"lptrain D={D}")
            s = np.asarray(c["scip"])
            s = s[np.isfinite(s[:, 2]) & np.isfinite(s[:, 1])]
            if s.size:
                ax.loglog(np.maximum(s[:, 0], 1e-4), np.clip(s[:, 2] - s[:, 1], 1e-4, 10),
                          "--", color=color, label=f"SCIP D={D}")
        ax.axhline(args.gap, color="k", lw=0.5)
        ax.set_ylim(1e-3, 10)
        ax.set_xlabel("seconds")
        ax.set_ylabel("certified gap (upper - lower bound)")
        ax.legend(fontsize=7, ncol=2)
    save_plot(draw, "bench_vs_scip")


if __name__ == "__main__":
    main()
