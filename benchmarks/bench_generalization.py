"""Generalization (§6): GRM of the face-LP solution on a known distribution vs Theorem 6.2.

Distribution: ``x ~ U[-1, 1]^n``, ``y = clip(f(x, φ_true) + u, -1, 1)`` with
``u ~ U[-noise, noise]`` and φ_true a grid point of a small ReLU network (default 1-1-1,
N = 4, 4 bits: 65,536 grid points). For each D, ``--seeds`` independent training sets are
drawn; each is discretized (§3.1) and the face LP of the §3 polytope is solved. Its optimum
is ``min_φ C(φ)`` over the φ-grid (SPEC §4, structure of a face), computed here by the
structure-aware solver (the exact grid enumeration ``lptrain.nn.grid_argmin``; a general LP
over D·65,536 λ's would not fit at large D). The GRM of the trained φ̃ is estimated on a
held-out sample of ``--holdout`` points (mean and 95% confidence half-width), the minimum
GRM over the grid on ``--reference`` points (every grid point evaluated; its argmin then
re-evaluated on the held-out sample). Printed against

* the guarantee ``min GRM + 6ε`` with ε = 2L/2^bits the grid's error (Theorem 6.2 with
  this ε needs only ``D_6.2`` samples -- the grid is coarse, so ε is large);
* the excess of the φ-grid ERM on the *undiscretized* data (data-informed points,
  Remark 3.2): the data-independent face sees data rounded down by up to 2γ, a bias that
  does not average out, so its excess plateaus while this one keeps falling;
* ``6 ε(D)``: the excess risk Theorem 6.2 guarantees with D samples (σ² from the loss
  range, α = ``--alpha``), i.e. the smallest ε whose required sample size is ≤ D.

Plot: ``benchmarks/out/bench_generalization.png``.

    python benchmarks/bench_generalization.py [--samples 4,16,64,256,1024,4096] [--seeds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _common import header, print_table, save_plot

from lptrain.discretize import to_grid
from lptrain.generalization import implied_epsilon, loss_range, theorem_6_2_samples
from lptrain.nn import architecture_lipschitz, grid_argmin, grid_risk, loss_matrix, parse_arch


def _sampler(net, phi_true: np.ndarray, noise: float, rng: np.random.Generator):
    from lptrain.nn import forward

    def draw(k: int) -> tuple[np.ndarray, np.ndarray]:
        X = rng.uniform(-1.0, 1.0, (k, net.n))
        f = forward(net, X, phi_true[None])[0]
        return X, np.clip(f + rng.uniform(-noise, noise, f.shape), -1.0, 1.0)

    return draw


def _grm(net, loss: str, X: np.ndarray, Y: np.ndarray, phi: np.ndarray) -> tuple[float, float]:
    vals = loss_matrix(net, loss, X, Y, phi[None])[:, 0]
    return float(vals.mean()), float(1.96 * vals.std(ddof=1) / np.sqrt(vals.size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="1-1-1")
    parser.add_argument("--loss", default="abs")
    parser.add_argument("--bits", type=int, default=4)
    parser.add_argument("--samples", default="4,16,64,256,1024,4096")
    parser.add_argument("--seeds", type=int, default=5, help="training sets per D")
    parser.add_argument("--holdout", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=20_000)
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    header(f"lptrain generalization (§6): GRM of the face-LP solution, {args.arch} relu, "
           f"{args.loss} loss, {args.bits} bits; means over {args.seeds} training sets")
    net = parse_arch(args.arch, "relu")
    rng = np.random.default_rng(0)
    K = 2**args.bits
    phi_true = -1.0 + 2.0 * rng.integers(K // 4, 3 * K // 4, net.N) / K
    draw = _sampler(net, phi_true, args.noise, rng)
    Xh, Yh = draw(args.holdout)
    Xr, Yr = draw(args.reference)
    best = grid_argmin(net, args.loss, Xr, Yr, args.bits)
    min_grm, min_ci = _grm(net, args.loss, Xh, Yh, best.phi)
    true_grm, _ = _grm(net, args.loss, Xh, Yh, phi_true)
    L = architecture_lipschitz(net, args.loss).lipschitz
    eps = 2.0 * L / K
    sigma2 = loss_range(net, args.loss).sigma2
    ref_risk = grid_risk(net, args.loss, Xr, Yr, args.bits)
    print(f"# phi_true = {phi_true.tolist()}  GRM(phi_true) = {true_grm:.4f}")
    print(f"# min GRM over the grid (argmin on {args.reference} points, re-evaluated on "
          f"{args.holdout}) = {min_grm:.4f} ± {min_ci:.4f}; grid GRM range "
          f"[{ref_risk.min():.3f}, {ref_risk.max():.3f}]")
    need = theorem_6_2_samples(L, eps, net.N, args.alpha, sigma2)
    print(f"# L = {L:g} (paper), eps = 2L/2^bits = {eps:g}, sigma2 <= {sigma2:g} (loss range);"
          f" Theorem 6.2 with this eps needs D >= {need.samples} (alpha = {args.alpha})")
    rows = []
    for D in (int(t) for t in args.samples.split(",")):
        grms, exact, secs = [], [], []
        for _ in range(args.seeds):
            X, Y = draw(D)
            start = time.perf_counter()
            phi = grid_argmin(net, args.loss, to_grid(X, args.bits), to_grid(Y, args.bits),
                              args.bits).phi
            secs.append(time.perf_counter() - start)
            grms.append(_grm(net, args.loss, Xh, Yh, phi)[0])
            phi_exact = grid_argmin(net, args.loss, X, Y, args.bits).phi  # Remark 3.2
            exact.append(_grm(net, args.loss, Xh, Yh, phi_exact)[0])
        eps_d = implied_epsilon(L, net.N, args.alpha, sigma2, D)
        rows.append({"D": D, "GRM mean": statistics.mean(grms), "GRM max": max(grms),
                     "excess mean": statistics.mean(grms) - min_grm,
                     "excess max": max(grms) - min_grm,
                     "excess exact data": statistics.mean(exact) - min_grm,
                     "6 eps (grid)": 6 * eps,
                     "6 eps(D) Thm 6.2": 6 * eps_d, "D_6.2(eps grid)": need.samples,
                     "solve s (median)": statistics.median(secs)})
    print_table(rows)
    for target in (0.1, 0.01):
        b = theorem_6_2_samples(L, target / 6, net.N, args.alpha, sigma2)
        bits = int(np.ceil(np.log2(2 * L / (target / 6))))
        print(f"# to guarantee excess risk {target} (6 eps): D >= {b.samples:.3g} samples and "
              f"{bits} bits per coordinate (a phi-grid of 2^{bits * net.N} points)")

    def draw_plot(fig: object) -> None:
        ax = fig.subplots(1, 1)  # type: ignore[attr-defined]
        Ds = [r["D"] for r in rows]
        ax.plot(Ds, [max(r["excess mean"], 1e-4) for r in rows], "o-", label="observed excess "
                "GRM (mean)")
        ax.plot(Ds, [max(r["excess max"], 1e-4) for r in rows], "v:", label="observed (max)")
        ax.plot(Ds, [r["6 eps(D) Thm 6.2"] for r in rows], "s--",
                label="Theorem 6.2 guarantee 6 eps(D)")
        ax.plot(Ds, [max(r["excess exact data"], 1e-4) for r in rows], "^-.",
                label="observed, undiscretized data (Remark 3.2)")
        ax.axhline(6 * eps, color="gray", lw=0.8, label="6 eps of the grid")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("samples D")
        ax.set_ylabel("GRM(phi) - min GRM")
        ax.legend(fontsize=7)

    save_plot(draw_plot, "bench_generalization")


if __name__ == "__main__":
    main()
