"""Certified training at scale (issue 6): the targets, the D sweep, the hot loop, the lazy
face LP at fine grids.

Subcommands (each one run, a table on stdout, a plot in benchmarks/out/):

  target   N = 5 (dense 2-1-1 ReLU), absolute loss, D = 1000 samples of
           y = 0.5 sin(pi x1 / 2) cos(x2): time to a certified gap <= 0.01 (target: 60 s)
  sweep    the same at D = 250 .. 16000 and gaps 0.01 / 0.001: time vs D (target: linear)
  hotloop  the bounding pass (boxes x data): numpy vs numba (1 thread, all threads) vs a
           Dask LocalCluster, boxes*data per second, and interval arithmetic for reference
  lazy     the face LP at bits = 4 .. 10 (up to 2^50 grid points) by column generation
  targets  all four issue targets in one go, PASS/FAIL (re-run this on a quiet machine)

Times are medians over --repeats runs in one process after one warm-up call (which loads
the generated kernels from the disk cache); the warm-up time is printed too. The machine
is shared: read ratios and orders of magnitude.

Usage: python benchmarks/bench_certify.py {target,sweep,hotloop,lazy,targets} [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header, print_table, save_plot  # noqa: E402

from lptrain.certify import BoxBounder, certify_erm, solve_face_lazy  # noqa: E402
from lptrain.discretize import to_grid  # noqa: E402
from lptrain.nn import dense, risk_interval  # noqa: E402

NET = dense([2, 1, 1])


def smooth_data(D: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark data: x uniform in [-1, 1]^2, y = 0.5 sin(pi x1 / 2) cos(x2)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (D, 2))
    return X, 0.5 * np.sin(np.pi * X[:, :1] / 2) * np.cos(X[:, 1:2])


def time_certify(D: int, gap: float, repeats: int, seed: int = 0, time_limit: float = 600.0,
                 **kw):
    """(median seconds, first-call seconds, last certificate)."""
    X, Y = smooth_data(D, seed)
    t = time.perf_counter()
    cert = certify_erm(NET, "abs", X, Y, target_gap=gap, time_limit=time_limit,
                       progress=False, **kw)
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        cert = certify_erm(NET, "abs", X, Y, target_gap=gap, time_limit=time_limit,
                           progress=False, **kw)
        times.append(time.perf_counter() - t)
    return statistics.median(times), first, cert


def cmd_target(args) -> list[dict]:
    med, first, cert = time_certify(1000, 0.01, args.repeats)
    row = {"D": 1000, "gap target": 0.01, "median s": med, "first call s": first,
           "gap": cert.gap, "lower bound": cert.lower_bound, "ERM": cert.best_value,
           "boxes": cert.nodes, "status": cert.status, "target 60 s": "PASS" if
           cert.gap <= 0.01 and med <= 60 else "FAIL"}
    print_table([row])

    def draw(fig):
        ax = fig.add_subplot(111)
        h = np.asarray(cert.history)
        ax.plot(h[:, 0], h[:, 2], label="upper bound (best ERM found)")
        ax.plot(h[:, 0], h[:, 1], label="certified lower bound")
        ax.set_xlabel("seconds")
        ax.set_ylabel("ERM")
        ax.set_ylim(max(0.0, h[-1, 1] - 0.05), h[-1, 2] + 0.05)
        ax.set_title("2-1-1 ReLU, abs loss, D = 1000: bounds closing")
        ax.legend()
    save_plot(draw, "bench_certify_target")
    return [row]


def cmd_sweep(args) -> list[dict]:
    Ds = [250, 500, 1000, 2000, 4000, 8000, 16000]
    if args.quick:
        Ds = Ds[:4]
    rows = []
    for gap in (0.01, 0.001):
        for D in Ds:
            med, first, cert = time_certify(D, gap, args.repeats)
            rows.append({"gap": gap, "D": D, "median s": med, "boxes": cert.nodes,
                         "us per box": 1e6 * med / max(cert.nodes, 1),
                         "ns per box*point": 1e9 * med / max(cert.nodes * D, 1),
                         "status": cert.status})
    print_table(rows)
    for gap in (0.01, 0.001):
        sel = [r for r in rows if r["gap"] == gap and r["D"] >= 1000]
        if len(sel) >= 2:
            slope = np.polyfit(np.log([r["D"] for r in sel]),
                               np.log([r["median s"] for r in sel]), 1)[0]
            print(f"# gap {gap}: time ~ D^{slope:.2f} for D >= 1000 (1 = linear)")

    def draw(fig):
        ax = fig.add_subplot(111)
        for gap in (0.01, 0.001):
            sel = [r for r in rows if r["gap"] == gap]
            ax.loglog([r["D"] for r in sel], [r["median s"] for r in sel], "o-",
                      label=f"gap {gap}")
        d = np.asarray(Ds, dtype=float)
        ax.loglog(d, rows[2]["median s"] * d / 1000, "k:", label="linear in D")
        ax.set_xlabel("D (samples)")
        ax.set_ylabel("seconds to the certified gap")
        ax.legend()
    save_plot(draw, "bench_certify_sweep")
    return rows


def cmd_hotloop(args) -> list[dict]:
    D, B = 1000, 8192
    X, Y = smooth_data(D)
    rng = np.random.default_rng(1)
    lo = np.clip(rng.uniform(-1, 1, (B, 5)) - 0.02, -1, 1)
    hi = np.clip(lo + 0.04, -1, 1)
    variants = {
        "numpy (vectorized reference)": (BoxBounder(NET, "abs", X, Y, backend="numpy"),
                                         B // 16),
        "numba, 1 thread": (BoxBounder(NET, "abs", X, Y, parallel=False), B),
        "numba prange, all threads": (BoxBounder(NET, "abs", X, Y), B),
    }
    client = None
    try:
        import distributed

        from lptrain.certify.distributed import DaskBounder
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=False, dashboard_address=None)
        client = distributed.Client(cluster)
        variants["Dask LocalCluster (2 workers)"] = (DaskBounder(client, NET, "abs", X, Y), B)
    except ImportError:
        pass
    rates: dict[str, list[float]] = {k: [] for k in variants}
    iv: list[float] = []
    for b, n in variants.values():
        b(lo[:n], hi[:n])  # warm up
    risk_interval(NET, "abs", X, Y, lo[:64], hi[:64], backend="numba")
    for _ in range(args.repeats):
        for k, (b, n) in variants.items():
            t = time.perf_counter()
            b(lo[:n], hi[:n])
            rates[k].append(n * D / (time.perf_counter() - t))
        t = time.perf_counter()
        risk_interval(NET, "abs", X, Y, lo, hi, backend="numba")
        iv.append(B * D / (time.perf_counter() - t))
    base = statistics.median(rates["numba, 1 thread"])
    rows = [{"bounding pass (affine bounds + centre value)": k,
             "box*points/s": statistics.median(v), "vs numba 1 thread":
             statistics.median(v) / base} for k, v in rates.items()]
    rows.append({"bounding pass (affine bounds + centre value)":
                 "interval arithmetic only (nn.risk_interval, numba)",
                 "box*points/s": statistics.median(iv),
                 "vs numba 1 thread": statistics.median(iv) / base})
    print_table(rows)
    if client is not None:
        client.close()

    def draw(fig):
        ax = fig.add_subplot(111)
        ax.barh([r["bounding pass (affine bounds + centre value)"] for r in rows],
                [r["box*points/s"] for r in rows])
        ax.set_xscale("log")
        ax.set_xlabel("box x data-point bounds per second (D = 1000)")
    save_plot(draw, "bench_certify_hotloop")
    return rows


def cmd_lazy(args) -> list[dict]:
    D = 100
    X, Y = smooth_data(D)
    rows = []
    for bits in ([4, 6, 8] if args.quick else [4, 5, 6, 7, 8, 9, 10]):
        Xt, Yt = to_grid(X, bits), to_grid(Y, bits)
        solve_face_lazy(NET, "abs", Xt, Yt, bits, progress=False, time_limit=600)
        times = []
        for _ in range(max(1, args.repeats // 2)):
            t = time.perf_counter()
            r = solve_face_lazy(NET, "abs", Xt, Yt, bits, progress=False, time_limit=600)
            times.append(time.perf_counter() - t)
        rows.append({"bits": bits, "grid points": float(r.grid_points),
                     "median s": statistics.median(times), "LP value": r.lp_value,
                     "gap": r.gap, "columns": r.column_values.size,
                     "master solves": r.master_solves, "boxes": r.nodes,
                     "enumerated": r.enumerated, "status": r.status})
    print_table(rows)
    print("# enumeration would need grid points x D loss evaluations "
          "(2^50 x 100 = 1.1e17 at bits 10)")

    def draw(fig):
        ax = fig.add_subplot(111)
        ax.semilogy([r["bits"] for r in rows], [r["grid points"] * D for r in rows], "o-",
                    label="enumeration: loss evaluations")
        ax.semilogy([r["bits"] for r in rows],
                    [(r["boxes"] + r["enumerated"]) * D for r in rows], "s-",
                    label="lazy: box/point evaluations x D")
        ax.set_xlabel("bits per parameter")
        ax.legend()
    save_plot(draw, "bench_certify_lazy")
    return rows


def cmd_targets(args) -> list[dict]:
    """The four targets of issue 6 in one run."""
    import bench_vs_scip

    rows = []
    med, _, cert = time_certify(1000, 0.01, args.repeats)
    rows.append({"target": "N=5, D=1000, gap <= 0.01 within 60 s",
                 "measured": f"{med:.3g} s (gap {cert.gap:.4f})",
                 "result": "PASS" if med <= 60 and cert.gap <= 0.01 else "FAIL"})
    scip_row = bench_vs_scip.compare(50, 0.01, args.scip_limit, repeats=args.repeats)
    ratio = scip_row["SCIP s"] / scip_row["ours s"]
    reached = scip_row["SCIP reached"]
    rows.append({"target": "D=50: >= 10x less time than SCIP to the same gap (0.01)",
                 "measured": f"ours {scip_row['ours s']:.3g} s, SCIP "
                             f"{scip_row['SCIP s']:.3g} s{'' if reached else ' (limit)'}, "
                             f"ratio {'' if reached else '>= '}{ratio:.0f}",
                 "result": "PASS" if ratio >= 10 else "FAIL"})
    ts = [(D, time_certify(D, 0.01, args.repeats)[0]) for D in (1000, 4000, 16000)]
    slope = float(np.polyfit(np.log([d for d, _ in ts]), np.log([t for _, t in ts]), 1)[0])
    rows.append({"target": "time grows about linearly with D (gap 0.01)",
                 "measured": f"D=1000/4000/16000: {', '.join(f'{t:.3g}' for _, t in ts)} s; "
                             f"slope {slope:.2f}",
                 "result": "PASS" if slope <= 1.3 else "FAIL"})
    import bench_vs_baselines

    worst, n = bench_vs_baselines.lazy_vs_full(quick=True)
    rows.append({"target": "lazy face LP = full face LP (HiGHS) on every small instance",
                 "measured": f"{n} instances, largest difference {worst:.1e}",
                 "result": "PASS" if worst <= 1e-9 else "FAIL"})
    print_table(rows)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("target", "sweep", "hotloop", "lazy", "targets"))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="fewer sizes")
    p.add_argument("--scip-limit", type=float, default=300.0,
                   help="SCIP time limit for 'targets' (seconds)")
    args = p.parse_args(argv)
    header(f"bench_certify {args.command}")
    {"target": cmd_target, "sweep": cmd_sweep, "hotloop": cmd_hotloop, "lazy": cmd_lazy,
     "targets": cmd_targets}[args.command](args)


if __name__ == "__main__":
    main()
