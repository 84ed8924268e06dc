"""Certified global optimality past two hidden units (issue 11): the pattern search against
the box search, SCIP, and the certified gap of Adam's best of 10 restarts.

For each instance (input dimension n, hidden widths, D, loss, weight decay) it records,
per method, the time to a certified gap of 0.01 (``--target``; the first moment
``upper - lower <= target`` in the bound history), the gap at 60 s and at the time limit,
and the nodes:

* ``patterns`` — ``certify_erm(method="patterns")`` (one hidden layer only), with its
  defaults (the unit-hull bound on for one input);
* ``patterns-nohull`` / ``patterns-hull3d`` — the same with the unit-hull bound off
  (``hull_rounds=0``: the baseline, side by side) or, for two inputs, bounding and
  splitting by the unit-hull bound alone (``hull_3d``, with in-out rounds ``hull_stab=0.5``);
* ``patterns-noorbit`` — the defaults without orbital branching (``orbits=False``);
* ``boxes``    — ``certify_erm(method="boxes")``, today's box search;
* ``scip``     — SCIP's spatial branch and bound on the same MINLP (``solve_erm_scip``);
* ``adam``     — full-batch Adam, 10 restarts, weights clamped to the box; its best model is
  then certified by the pattern search (or the box search) within the same time limit:
  the column is that model's certified gap.

Data (seeded; 'held-out' = generated independently of the ones used while developing):
n = 1: ``y = 0.5 sin(πx) + 0.05 N(0,1)``; n = 2: ``y = 0.5 sin(πx1/2) cos(x2)``, both on
uniform x in [-1, 1]^n, labels clipped to [-1, 1]. Weight-decay instances use the quadratic
loss, ``l2:λ`` and no output bias (the setting of the exact convex reformulation).

Presets (``--preset``): ``small`` (seconds: run by ``benchmarks/run_all.py``), ``targets``
(the issue's targets, about an hour), ``full`` (the whole matrix of the issue: h = 1..8,
n = 1, 2, one and two hidden layers, D = 250..4000, abs and quadratic, with and without
weight decay, 600 s per run — days; pick a slice with the filters).

Usage:
  python benchmarks/bench_hidden_units.py --preset targets
  python benchmarks/bench_hidden_units.py --n 1 --hidden 3 --hidden 4 --D 80 \
      --loss quadratic --wd 0.005 --target 1e-3 --methods patterns --oracle
  python benchmarks/bench_hidden_units.py --n 1 --hidden 3 4 --D 1000 --time 60 \
      --methods patterns boxes
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT_DIR, command_line, header, print_table, save_plot  # noqa: E402

from lptrain.certify import certify_erm, choose_method, solve_erm_scip  # noqa: E402
from lptrain.errors import InvalidInputError  # noqa: E402
from lptrain.nn import dense  # noqa: E402

TARGET = 0.01


def make_data(n: int, D: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1000 + seed)
    X = rng.uniform(-1, 1, (D, n))
    if n == 1:
        y = 0.5 * np.sin(np.pi * X[:, 0]) + 0.05 * rng.normal(size=D)
    else:
        y = 0.5 * np.sin(np.pi * X[:, 0] / 2) * np.cos(X[:, 1])
    return X, np.clip(y, -1, 1)[:, None]


def network(n: int, hidden: tuple[int, ...], wd: float):
    net = dense([n, *hidden, 1])
    if wd:
        net = net.fix_parameters({net.N - 1: 0.0})  # no output bias
    return net


def _from_history(history, t_limit: float) -> tuple[float | None, float, float]:
    """(time to gap <= TARGET or None, gap at 60 s, gap at the end)."""
    h = np.asarray(history, dtype=float).reshape(-1, 3)
    gaps = h[:, 2] - h[:, 1]
    hit = np.flatnonzero(gaps <= TARGET + 1e-15)
    t_hit = float(h[hit[0], 0]) if hit.size else None
    at60 = h[h[:, 0] <= 60.0]
    g60 = float(at60[-1, 2] - at60[-1, 1]) if len(at60) else float("inf")
    return t_hit, g60, float(gaps[-1])


@contextlib.contextmanager
def pattern_variant(**fields):
    """Run the pattern search with other ``PatternProblem`` fields (a benchmark-only patch
    of ``PatternProblem.from_signform``; nothing else changes)."""
    from lptrain.certify.patterns import search
    orig = search.PatternProblem.__dict__["from_signform"]

    def patched(cls, *a, **k):
        return dataclasses.replace(orig.__func__(cls, *a, **k), **fields)

    search.PatternProblem.from_signform = classmethod(patched)
    try:
        yield
    finally:
        search.PatternProblem.from_signform = orig


VARIANTS = {"patterns-nohull": {"hull_rounds": 0},
            "patterns-hull3d": {"hull_3d": True, "hull_stab": 0.5},
            "patterns-noorbit": {"orbits": False}}


def run_certify(net, loss, X, Y, reg, method, t_limit, params=None):
    if method in VARIANTS:
        with pattern_variant(**VARIANTS[method]):
            return run_certify(net, loss, X, Y, reg, "patterns", t_limit, params)
    t = time.perf_counter()
    cert = certify_erm(net, loss, X, Y, params=params, regularizer=reg, target_gap=TARGET,
                       time_limit=t_limit, progress=False, method=method)
    wall = time.perf_counter() - t
    t_hit, g60, g_end = _from_history(cert.history, t_limit)
    return {"time to target s": t_hit if t_hit is not None else "—", "gap 60 s": g60,
            "gap end": cert.gap, "nodes": cert.nodes, "status": cert.status,
            "lower": cert.lower_bound, "best": cert.best_value, "wall s": wall}


def run_scip(net, loss, X, Y, reg, t_limit):
    res = solve_erm_scip(net, loss, X, Y, regularizer=reg, time_limit=t_limit,
                         target_gap=TARGET)
    hist = [(t, lo, up) for t, lo, up in res.history] if res.history else [(res.seconds,
                                                                              res.dual,
                                                                              res.primal)]
    t_hit, g60, _ = _from_history(hist, t_limit)
    return {"time to target s": t_hit if t_hit is not None else "—", "gap 60 s": g60,
            "gap end": res.gap, "nodes": "—", "status": res.status, "lower": res.dual,
            "best": res.primal, "wall s": res.seconds}


def run_adam(net, loss, X, Y, reg, t_limit, method):
    try:
        from lptrain.export import train_sgd
        sgd = train_sgd(net, loss, X, Y, restarts=10, steps=2000, lr=0.02,
                        regularizer=reg)
    except Exception as exc:  # noqa: BLE001 - torch missing: report, do not fail
        return {"status": f"no adam ({type(exc).__name__})"}
    row = run_certify(net, loss, X, Y, reg, method, t_limit, params=sgd.params)
    row["adam ERM"] = sgd.erm
    row["adam s"] = sgd.seconds
    return row


def convex_oracle(X, Y, wd, hidden, row):
    """p* of the exact convex reformulation (every pattern enumerated) and whether the
    certified interval [lower, best] contains it; p* is the box optimum only when at most
    h groups are active and every group norm is at most 1 (then ``exact`` is true)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "certify"))
    from pattern_oracles import convex_reformulation, patterns_1d, patterns_2d
    Xt = np.column_stack([X, np.ones(len(X))])
    pats = patterns_1d(X[:, 0]) if X.shape[1] == 1 else patterns_2d(Xt)
    pstar, norms = convex_reformulation(Xt, Y[:, 0], wd, pats)
    exact = len(hidden) == 1 and int((norms > 1e-5).sum()) <= hidden[0] and norms.max() <= 1
    inside = row["lower"] <= pstar + 1e-9 and pstar <= row["best"] + 1e-9
    return {"p*": pstar, "p* exact": bool(exact), "contains p*": bool(inside),
            "width": row["best"] - row["lower"]}


def instances(args):
    if args.preset == "small":
        return [(1, (2,), 250, "abs", 0.0, 20.0), (1, (3,), 250, "abs", 0.0, 20.0),
                (2, (2,), 250, "abs", 0.0, 20.0), (1, (3,), 80, "quadratic", 0.01, 20.0)]
    if args.preset == "targets":
        return [(2, (1,), 1000, "abs", 0.0, 60.0), (1, (2,), 1000, "abs", 0.0, 60.0),
                (1, (3,), 1000, "abs", 0.0, 60.0), (2, (3,), 1000, "abs", 0.0, 60.0),
                (1, (4,), 1000, "abs", 0.0, 300.0), (2, (4,), 1000, "abs", 0.0, 300.0),
                (1, (3,), 80, "quadratic", 0.01, 60.0), (1, (4,), 80, "quadratic", 0.005, 60.0),
                (1, (8,), 1000, "abs", 0.0, 600.0), (2, (8,), 1000, "abs", 0.0, 600.0),
                (1, (3, 3), 1000, "abs", 0.0, 600.0), (1, (3,), 16000, "abs", 0.0, 600.0)]
    if args.preset == "full":
        out = []
        for n in (1, 2):
            for hidden in [(h,) for h in range(1, 9)] + [(h, h) for h in (2, 3)]:
                for D in (250, 1000, 4000):
                    for loss, wd in (("abs", 0.0), ("quadratic", 0.0), ("quadratic", 0.01)):
                        out.append((n, hidden, D, loss, wd, 600.0))
        return out
    return [(n, tuple(h), D, args.loss, args.wd, args.time)
            for n in args.n for h in args.hidden for D in args.D]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", choices=("small", "targets", "full"), default=None)
    p.add_argument("--n", type=int, nargs="+", default=[1])
    p.add_argument("--hidden", type=int, nargs="+", action="append", default=None,
                   help="hidden widths of one network, e.g. --hidden 3 --hidden 3 3")
    p.add_argument("--D", type=int, nargs="+", default=[1000])
    p.add_argument("--loss", default="abs")
    p.add_argument("--wd", type=float, default=0.0, help="weight decay λ (l2:λ)")
    p.add_argument("--time", type=float, default=60.0)
    p.add_argument("--methods", nargs="+", default=["patterns", "boxes"],
                   choices=("patterns", "patterns-nohull", "patterns-hull3d",
                            "patterns-noorbit", "boxes",
                            "scip", "adam"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", type=float, default=None,
                   help="gap target (default 0.01; e.g. 1e-3 for the weight-decay rows)")
    p.add_argument("--oracle", action="store_true",
                   help="weight-decay rows: also solve the exact convex reformulation with "
                        "every activation pattern (tests/certify/pattern_oracles.py, cvxpy) "
                        "and say whether the certified interval contains p*")
    args = p.parse_args()
    if args.target is not None:
        global TARGET
        TARGET = float(args.target)
    if args.hidden is None:
        args.hidden = [[3]]
    header("certified optimality past two hidden units")
    # compile (or load) every kernel before the clocks start: a tiny run per input size
    for n in sorted({inst[0] for inst in instances(args)}):
        if any(m.startswith("patterns") for m in args.methods):
            Xw, Yw = make_data(n, 40, 99)
            with pattern_variant(hull_3d=True):
                run_certify(network(n, (2,), 0.0), "abs", Xw, Yw, None, "patterns", 5.0)
    rows = []
    for n, hidden, D, loss, wd, t_limit in instances(args):
        X, Y = make_data(n, D, args.seed)
        net = network(n, hidden, wd)
        reg = f"l2:{wd}" if wd else None
        name = "-".join(map(str, (n, *hidden, 1)))
        for method in args.methods:
            if method.startswith("patterns"):
                try:
                    choose_method(net, loss, reg, method="patterns")
                except InvalidInputError as exc:
                    rows.append({"net": name, "D": D, "loss": loss, "wd": wd, "method": method,
                                 "status": f"not applicable: {exc}"})
                    continue
            if method == "scip":
                row = run_scip(net, loss, X, Y, reg, t_limit)
            elif method == "adam":
                row = run_adam(net, loss, X, Y, reg, t_limit, "auto")
            else:
                row = run_certify(net, loss, X, Y, reg, method, t_limit)
            if args.oracle and wd and method != "scip":
                row.update(convex_oracle(X, Y, wd, hidden, row))
            row = {"net": name, "N": net.N, "D": D, "loss": loss, "wd": wd,
                   "limit s": t_limit, "method": method, **row}
            rows.append(row)
            print_table([row])
            sys.stdout.flush()
    cols = ["net", "N", "D", "loss", "wd", "limit s", "method", "time to target s", "gap 60 s",
            "gap end", "nodes", "status", "lower", "best", "adam ERM", "p*", "p* exact",
            "contains p*"]
    print()
    print_table(rows, [c for c in cols if any(c in r for r in rows)])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "bench_hidden_units.json"
    out.write_text(json.dumps({"command": command_line(), "rows": rows}, indent=1,
                              default=str))
    print(f"# table: {out}")

    def draw(fig):
        ax = fig.add_subplot(111)
        methods = sorted({str(r.get("method")) for r in rows})
        for method, marker in zip(methods, "os^vD<>p*", strict=False):
            pts = [(r["N"], r["gap end"]) for r in rows
                   if r.get("method") == method and isinstance(r.get("gap end"), float)]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.scatter(xs, np.maximum(ys, 1e-6), marker=marker, label=method)
        ax.axhline(TARGET, color="gray", lw=0.5)
        ax.set_yscale("log")
        ax.set_xlabel("parameters N")
        ax.set_ylabel("certified gap at the time limit")
        ax.legend()

    save_plot(draw, "bench_hidden_units")


if __name__ == "__main__":
    main()
