"""The exact per-unit sweeps of the unit-hull bound (two inputs) with and without the data
set's loop table, on the units a pattern search certified.

A pattern search (``certify_erm(..., method="patterns")`` as the benchmark of hidden units
runs it) on the 2-D data of ``bench_hidden_units.py`` runs for ``--seconds``; every unit
whose minimum it certified is recorded (multipliers, ranges, cuts). Each recorded unit is
then bounded again, one after the other on one thread, by the uncached sweeps
(``hull.unit_min``; ``hull.unit_min_local`` with every loop, the exact pricing) and by the
table's (``loops.unit_min_loops``, what the search uses for ``D <= loops.CACHE_MAX``),
alternating. The table gives the median over ``--repeats`` of the total time, and the
largest difference of a value from the uncached one (the table's charges differ from the
uncached sweep's only by its loop-wide misplacement charge and its starting points).

Usage: python benchmarks/bench_unit_sweeps.py [--h 3] [--D 1000] [--seconds 30]
       [--units 60] [--repeats 3]
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
from lptrain.certify.patterns import hull, loops  # noqa: E402
from lptrain.nn.losses import get_loss  # noqa: E402


def record(h: int, D: int, seconds: float, units: int) -> list[tuple[Any, ...]]:
    """Up to ``units`` of the units a 2-h-1 pattern search on ``D`` points certified in
    ``seconds``, spread over the run (every certified unit kept, then thinned evenly)."""
    got: list[tuple[Any, ...]] = []
    base = hull._exact_min

    def spy(Xt: Any, coef: Any, alpha: float, Lj: Any, Uj: Any, cuts: Any, ncut: int,
            rigorous: float) -> Any:
        if rigorous > 0.0:
            got.append((Xt, coef.copy(), alpha, Lj.copy(), Uj.copy(), cuts.copy(), int(ncut)))
        return base(Xt, coef, alpha, Lj, Uj, cuts, ncut, rigorous)

    X, Y = make_data(2, D, 0)
    hull._exact_min = spy
    try:
        run = _PatternRun(network(2, (h,), 0.0), get_loss("abs"), X, Y, None, 0.01, None,
                          None, 10**6)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds and not run.engine.done:
            run.step()
    finally:
        hull._exact_min = base
    if len(got) > units:
        got = [got[i] for i in np.linspace(0, len(got) - 1, units).round().astype(int)]
    return got


def bound_all(units: list[tuple[Any, ...]], way: str) -> tuple[float, np.ndarray]:
    """Every unit bounded one way: total seconds and the values."""
    vals = np.empty(len(units))
    table = loops.loops_of(units[0][0]) if way.startswith("table") else None
    t = time.perf_counter()
    for i, (Xt, coef, alpha, Lj, Uj, cuts, ncut) in enumerate(units):
        if way == "uncached rigorous":
            vals[i] = hull.unit_min(Xt, coef, alpha, Lj, Uj, cuts, ncut)[0]
        elif way == "uncached exact pricing":
            vals[i] = hull.unit_min_local(Xt, coef, alpha, Lj, Uj, cuts, ncut, np.zeros(3),
                                          -1)[0]
        else:
            assert table is not None
            rig = 1.0 if way == "table rigorous" else 0.0
            vals[i] = loops.unit_min_loops(Xt, coef, alpha, Lj, Uj, cuts, ncut, rig, *table)[0]
    return time.perf_counter() - t, vals


WAYS = ("uncached rigorous", "table rigorous", "uncached exact pricing", "table exact pricing")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--h", type=int, default=3, help="hidden units (2-h-1 network)")
    ap.add_argument("--D", type=int, default=1000, help="data points (<= loops.CACHE_MAX)")
    ap.add_argument("--seconds", type=float, default=30.0, help="search time recorded")
    ap.add_argument("--units", type=int, default=60, help="recorded units kept")
    ap.add_argument("--repeats", type=int, default=3, help="timings of each way")
    args = ap.parse_args(argv)
    header("unit-hull exact sweeps (two inputs): uncached and from the loop table")
    if not 2 <= args.D <= loops.CACHE_MAX:
        print(f"bench_unit_sweeps: --D must lie in [2, {loops.CACHE_MAX}] (the loop table's "
              f"range), got {args.D}", file=sys.stderr)
        return 2
    units = record(args.h, args.D, args.seconds, args.units)
    if not units:
        print(f"bench_unit_sweeps: the search of 2-{args.h}-1 certified no unit-hull bound "
              "(2-2-1 and smaller use the relaxation); pass --h 3 or more", file=sys.stderr)
        return 2
    t = time.perf_counter()
    loops.build_loops(np.ascontiguousarray(units[0][0]))
    build = time.perf_counter() - t
    print(f"# recorded {len(units)} certified units of 2-{args.h}-1, D = {args.D}, "
          f"{args.seconds:g} s of search; the table builds in {build:.2f} s")
    for way in WAYS:  # compiled and warm before any timing
        bound_all(units[:1], way)
    times: dict[str, list[float]] = {w: [] for w in WAYS}
    vals: dict[str, np.ndarray] = {}
    for _ in range(max(1, args.repeats)):
        for way in WAYS:  # alternated: the machine's noise falls on all of them
            s, v = bound_all(units, way)
            times[way].append(s)
            vals[way] = v
    rows: list[dict[str, Any]] = []
    for way in WAYS:
        base = "uncached rigorous" if "rigorous" in way else "uncached exact pricing"
        med = statistics.median(times[way])
        rows.append({"sweeps": way, "units": len(units), "total s (median)": med,
                     "ms per unit": 1e3 * med / len(units),
                     "ratio to uncached": med / statistics.median(times[base]),
                     "max |diff| to uncached": float(np.max(np.abs(vals[way] - vals[base]))),
                     "table above uncached": int(np.sum(vals[way] > vals[base]))})
    print_table(rows)

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for k, way in enumerate(WAYS):
            ax.scatter([k] * len(times[way]), times[way], color="C0")
        ax.set_xticks(range(len(WAYS)), [w.replace(" ", "\n", 1) for w in WAYS])
        ax.set_ylabel(f"total time over {len(units)} units (s)")
        ax.set_title(f"unit-hull sweeps of 2-{args.h}-1 units, D = {args.D}")

    save_plot(draw, "unit_sweeps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
