"""The unit-hull master LP (Kelley's cutting planes in HiGHS) with and without simplex
scaling, and with other HiGHS simplex options, on the exact sequences of rows a pattern
search produced.

A pattern search (hull-only, ``certify_erm(..., method="patterns")`` as the benchmark of
hidden units runs it) on the 2-D data of ``bench_hidden_units.py`` runs for ``--seconds``;
every master LP it builds is recorded (its columns, each batch of rows, each solve). Each
recorded LP is then replayed, one after the other on one thread, once with HiGHS's
default scaling and once with ``simplex_scale_strategy = 0``
(``CuttingPlaneLP(scale=False)``, what the search uses), and (``--options``) with the
search's settings plus one more HiGHS option per variant (``OPTIONS``). The table gives
the median over ``--repeats`` replays of the total solve time, the simplex iterations and
the largest relative difference of an objective value from the recorded one (the search
never claims the master's value: it only steers Kelley's method; the certificates are
computed apart).

Usage: python benchmarks/bench_master_lp.py [--h 3] [--D 1000] [--seconds 60]
       [--repeats 3] [--options]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header, print_table, save_plot  # noqa: E402
from bench_hidden_units import make_data, network  # noqa: E402

from lptrain.certify.continuous import _PatternRun  # noqa: E402
from lptrain.nn.losses import get_loss  # noqa: E402
from lptrain.solver import highs  # noqa: E402

#: HiGHS options tried on top of the search's settings (``--options``)
OPTIONS: dict[str, dict[str, Any]] = {
    "dual edge weights: Dantzig": {"simplex_dual_edge_weight_strategy": 0},
    "dual edge weights: devex": {"simplex_dual_edge_weight_strategy": 1},
    "dual edge weights: steepest edge": {"simplex_dual_edge_weight_strategy": 2},
    "primal simplex": {"simplex_strategy": 4},
    "price strategy 0": {"simplex_price_strategy": 0},
    "price strategy 3": {"simplex_price_strategy": 3},
    "update limit 5000": {"simplex_update_limit": 5000},
}


def record(h: int, D: int, seconds: float) -> list[dict[str, Any]]:
    """The master LPs of a 2-h-1 pattern search on ``D`` points run for ``seconds``."""
    logs: list[dict[str, Any]] = []
    base = highs.CuttingPlaneLP

    class Recorder(base):  # type: ignore[misc, valid-type]
        def __init__(self, cost: Any, lower: Any, upper: Any, **kw: Any) -> None:
            super().__init__(cost, lower, upper, **kw)
            self.log: dict[str, Any] = {"args": (np.array(cost, float), np.array(lower, float),
                                                 np.array(upper, float)),
                                        "kw": kw, "ops": []}
            logs.append(self.log)

        def add_rows(self, A: Any, lower: Any, upper: Any) -> None:
            M = np.atleast_2d(np.array(A, float))
            k = M.shape[0]
            self.log["ops"].append(("add", M, np.broadcast_to(lower, (k,)).copy(),
                                    np.broadcast_to(upper, (k,)).copy()))
            super().add_rows(A, lower, upper)

        def solve(self) -> tuple[np.ndarray, float]:
            x, value = super().solve()
            self.log["ops"].append(("solve", value))
            return x, value

    X, Y = make_data(2, D, 0)
    highs.CuttingPlaneLP = Recorder  # type: ignore[misc]  # hull_node imports it per call
    try:
        run = _PatternRun(network(2, (h,), 0.0), get_loss("abs"), X, Y, None, 0.01, None,
                          None, 10**6)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds and not run.engine.done:
            run.step()
    finally:
        highs.CuttingPlaneLP = base  # type: ignore[misc]
    return logs


def replay(logs: list[dict[str, Any]], scale: bool,
           options: dict[str, Any] | None = None) -> dict[str, float]:
    """Every recorded LP solved again (with the extra HiGHS ``options``): total solve
    seconds, iterations, largest relative difference of an objective from the recorded
    one."""
    seconds, iters, dev, solves = 0.0, 0, 0.0, 0
    for log in logs:
        kw = {k: v for k, v in log["kw"].items() if k != "scale"}
        lp = highs.CuttingPlaneLP(*log["args"], **kw, scale=scale)
        for name, value in (options or {}).items():
            highs._set_option(lp._h, name, value)
        for op in log["ops"]:
            if op[0] == "add":
                lp.add_rows(op[1], op[2], op[3])
                continue
            t = time.perf_counter()
            _, value = lp.solve()
            seconds += time.perf_counter() - t
            iters += int(lp._h.getInfo().simplex_iteration_count)
            dev = max(dev, abs(value - op[1]) / max(1.0, abs(op[1])))
            solves += 1
        lp.close()
    return {"seconds": seconds, "iterations": iters, "max rel diff": dev, "solves": solves}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--h", type=int, default=3, help="hidden units (2-h-1 network)")
    ap.add_argument("--D", type=int, default=1000, help="data points")
    ap.add_argument("--seconds", type=float, default=60.0, help="search time recorded")
    ap.add_argument("--repeats", type=int, default=3, help="replays of each variant")
    ap.add_argument("--options", action="store_true",
                    help="also the search's settings plus each HiGHS option of OPTIONS")
    args = ap.parse_args(argv)
    header("unit-hull master LP: HiGHS scaling on and off on recorded row sequences")
    logs = record(args.h, args.D, args.seconds)
    if not logs:
        print(f"bench_master_lp: the search of 2-{args.h}-1 built no unit-hull master LP "
              "(2-2-1 and smaller use the relaxation); pass --h 3 or more", file=sys.stderr)
        return 2
    print(f"# recorded {len(logs)} master LPs of 2-{args.h}-1, D = {args.D}, "
          f"{args.seconds:g} s of search")
    variants: dict[str, tuple[bool, dict[str, Any]]] = {
        "scaling on (HiGHS default)": (True, {}), "scaling off (the search's)": (False, {})}
    if args.options:
        variants.update({f"off + {k}": (False, v) for k, v in OPTIONS.items()})
    rows: list[dict[str, Any]] = []
    times: dict[str, list[float]] = {k: [] for k in variants}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in variants}
    for _ in range(max(1, args.repeats)):
        for name, (scale, opts) in variants.items():  # alternated: noise falls on all
            r = replay(logs, scale, opts)
            runs[name].append(r)
            times[name].append(r["seconds"])
    on = statistics.median(times["scaling on (HiGHS default)"])
    off = statistics.median(times["scaling off (the search's)"])
    for name in variants:
        med = statistics.median(times[name])
        last = runs[name][-1]
        rows.append({"variant": name, "solves": last["solves"], "solve s (median)": med,
                     "ms per solve": 1e3 * med / max(1, last["solves"]),
                     "iterations": last["iterations"], "max rel diff": last["max rel diff"],
                     "ratio to on": med / on, "ratio to off": med / off})
    print_table(rows)

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for k, name in enumerate(variants):
            ax.scatter([k] * len(times[name]), times[name], color="C0")
        ax.set_xticks(range(len(variants)), list(variants), rotation=60, ha="right")
        ax.set_ylabel("total solve time of the replay (s)")
        ax.set_title(f"unit-hull master LPs of 2-{args.h}-1, D = {args.D}")

    save_plot(draw, "master_lp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
