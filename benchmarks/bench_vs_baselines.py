"""What users would pick instead, on the same ERM, in one table: lptrain's certified branch
and bound, the §3.4 enumeration over the φ-grid, the full face LP in HiGHS (small grids,
next to the lazy face LP on the same faces) and SGD / Adam in PyTorch (loss reached, no
certificate — then certified by ``certify_erm(params=...)``).

Network dense 2-1-1 ReLU (N = 5), absolute loss, y = 0.5 sin(pi x1 / 2) cos(x2), D = 1000
(the face-LP rows use D = 20 and tiny grids, the only sizes the full LP fits in).

"a-priori" bounds use the worst-case Lipschitz constant (Main Theorem 3.1: paper L, and
the refined L); "a-posteriori" bounds are computed by branch and bound on the data.

Usage: python benchmarks/bench_vs_baselines.py [--samples 1000] [--repeats 3] [--quick]
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
from bench_certify import NET, smooth_data  # noqa: E402

from lptrain.certify import certify_erm, solve_face_lazy  # noqa: E402
from lptrain.nn import architecture_lipschitz, grid_argmin  # noqa: E402


def _median(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def ours(X, Y, gap, repeats):
    certify_erm(NET, "abs", X, Y, target_gap=gap, progress=False)  # warm-up (kernel load)
    s, c = _median(lambda: certify_erm(NET, "abs", X, Y, target_gap=gap, progress=False),
                   repeats)
    return {"method": f"lptrain certify_erm (gap {gap})", "seconds": s, "ERM": c.best_value,
            "lower bound": c.lower_bound, "gap": c.gap, "kind": "a-posteriori (certified)"}


def enumeration(X, Y, bits):
    L_paper = architecture_lipschitz(NET, "abs").lipschitz
    L_ref = architecture_lipschitz(NET, "abs", method="refined").lipschitz
    t = time.perf_counter()
    g = grid_argmin(NET, "abs", X, Y, bits)
    s = time.perf_counter() - t
    # Every φ is within 2/K of a grid point (∞-norm) and the ERM is L-Lipschitz in φ.
    slack = 2.0 / 2**bits
    return {"method": f"§3.4 enumeration, bits {bits} ({2**(5 * bits):.2g} points)",
            "seconds": s, "ERM": g.value, "lower bound": g.value - L_ref * slack,
            "gap": L_ref * slack, "kind": f"a-priori (refined L={L_ref:g}; paper L={L_paper:g}"
                                          f" gives {L_paper * slack:.3g})"}


def torch_baseline(X, Y, optimizer, restarts, epochs):
    try:
        import torch
    except ImportError:
        return None
    from lptrain.export import from_torch

    torch.set_num_threads(2)
    Xt = torch.tensor(X, dtype=torch.float32)
    Yt = torch.tensor(Y, dtype=torch.float32)
    best, best_model = np.inf, None
    t = time.perf_counter()
    for seed in range(restarts):
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(),
                                    torch.nn.Linear(1, 1))
        opt = (torch.optim.Adam(model.parameters(), lr=0.01) if optimizer == "adam"
               else torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
        for _ in range(epochs):
            opt.zero_grad()
            loss = torch.nn.functional.l1_loss(model(Xt), Yt)
            loss.backward()
            opt.step()
        with torch.no_grad():
            final = float(torch.nn.functional.l1_loss(model(Xt), Yt))
        if final < best:
            best, best_model = final, model
    s = time.perf_counter() - t
    phi = from_torch(best_model, NET)
    cert = certify_erm(NET, "abs", X, Y, phi, target_gap=0.001, progress=False)
    return {"method": f"PyTorch {optimizer} ({restarts} restarts x {epochs} full-batch steps)",
            "seconds": s, "ERM": cert.upper_bound, "lower bound": None, "gap": None,
            "kind": f"none; certified afterwards: gap {cert.gap:.4f} in {cert.seconds:.2f} s"
                    f"{'' if cert.params_in_box else ' (weights outside [-1,1]^N)'}"}


def lazy_vs_full(quick: bool = False) -> tuple[float, int]:
    """Largest |lazy - HiGHS full face LP| over small instances, and how many."""
    rows = face_rows(quick)
    return max(r["|lazy - full|"] for r in rows), len(rows)


def face_rows(quick: bool = False) -> list[dict]:
    from lptrain.erm import ERMPolytope

    out = []
    cases = [(1, 10), (2, 10), (2, 20)] if quick else [(1, 10), (1, 40), (1, 200), (2, 5),
                                                       (2, 10), (2, 20), (2, 40)]
    for bits, D in cases:
        X, Y = smooth_data(D, seed=bits * 100 + D)
        t = time.perf_counter()
        poly = ERMPolytope.build(NET, "abs", samples=D, bits=bits)
        build = time.perf_counter() - t
        face = poly.face(X, Y)
        t = time.perf_counter()
        full = face.solve("highs")
        solve = time.perf_counter() - t
        t = time.perf_counter()
        lazy = solve_face_lazy(NET, "abs", face.X_tilde, face.Y_tilde, bits, progress=False)
        lz = time.perf_counter() - t
        out.append({"bits": bits, "D": D, "LP columns": poly.sizes.variables,
                    "HiGHS build s": build, "HiGHS solve s": solve, "lazy s": lz,
                    "full LP value": full.lp_value, "lazy value": lazy.lp_value,
                    "|lazy - full|": abs(full.lp_value - lazy.lp_value)})
        poly.close()
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    header("bench_vs_baselines: certified B&B vs enumeration, full face LP, SGD/Adam")
    X, Y = smooth_data(args.samples)
    rows = [ours(X, Y, 0.01, args.repeats), ours(X, Y, 0.001, args.repeats)]
    grid_argmin(NET, "abs", X, Y, 2)  # compile
    for bits in ((3, 4) if args.quick else (3, 4, 5)):
        rows.append(enumeration(X, Y, bits))
    for opt in ("adam", "sgd"):
        r = torch_baseline(X, Y, opt, 3 if args.quick else 10, 500 if args.quick else 2000)
        if r is not None:
            rows.append(r)
    print_table(rows, ["method", "seconds", "ERM", "lower bound", "gap", "kind"])
    faces = face_rows(args.quick)
    print("\n# face LP: full LP in HiGHS (ERMPolytope.build + Face.solve('highs')) vs lazy")
    print_table(faces)

    def draw(fig):
        ax = fig.add_subplot(111)
        for r in rows:
            ax.scatter(r["seconds"], r["ERM"], label=r["method"][:40])
            if r["gap"] is not None:
                ax.errorbar(r["seconds"], r["ERM"] - r["gap"] / 2, yerr=r["gap"] / 2,
                            fmt="none", capsize=3)
        ax.set_xscale("log")
        ax.set_xlabel("seconds")
        ax.set_ylabel("ERM reached (bars: certified interval of the optimum)")
        ax.legend(fontsize=6)
    save_plot(draw, "bench_vs_baselines")


if __name__ == "__main__":
    main()
