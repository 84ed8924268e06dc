"""``lptrain demo``: train a small network on a real data set by linear programming.

The data: scikit-learn's diabetes data set (442 patients), body-mass index → disease
progression one year later, both scaled onto [-1, 1]. The network: 1-2-1 with ReLU
(N = 7 weights and biases in [-1, 1]), absolute loss. The demo

1. trains it with LPTrainer (the face of the §3 polytope, structured solver), then
   certifies a posteriori, by branch and bound over the continuous box on the actual data,
   how far the result is from the global optimum, and prints both certificates;
2. runs the §3.4 enumeration of every grid point on the same discretized data and checks
   that it finds the same value;
3. trains the same network with plain gradient descent in PyTorch (Adam, weights clamped
   to [-1, 1], a few random restarts), when PyTorch is installed, and bounds its distance
   to the global optimum with the certified lower bound of step 1;
4. writes a plot of the fit and of the certificate's bounds closing (lptrain-demo.png).

Example::

    lptrain demo                 # ~15 s; --gap 0.001 for a tighter certificate (~30 s)
    lptrain demo --quick --json  # a coarser grid, seconds
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from lptrain.cli._common import (
    BITS,
    add_output_arguments,
    flat_training,
    positive_float,
    progress_enabled,
)
from lptrain.cli._runtime import add_command, add_output, write_output
from lptrain.cli._train import format_certificate
from lptrain.discretize import grid_size, to_grid
from lptrain.errors import InvalidInputError
from lptrain.nn import grid_argmin
from lptrain.trainer import LPTrainer, training_report

__all__ = ["register", "run", "demo_data", "demo_report"]

ARCH, LOSS = "1-2-1", "abs"
DEFAULT_BITS, QUICK_BITS = 3, 2
DEFAULT_GAP, QUICK_GAP = 0.01, 0.05
PLOT_NAME = "lptrain-demo.png"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    p = add_command(subparsers, "demo", doc=__doc__,
                    help="train a small network on a real data set, with a certificate")
    p.add_argument("--out-dir", default=".", metavar="DIR",
                   help=f"folder for the plot {PLOT_NAME} (default: the current folder; "
                        "created if missing)")
    add_output(p, "--out-dir", label="plot", make_folder=True,
               derive=lambda a: None if a.no_plot else Path(a.out_dir) / PLOT_NAME)
    p.add_argument("--bits", type=BITS, default=None,
                   help=f"grid bits per coordinate (default {DEFAULT_BITS}; --quick: "
                        f"{QUICK_BITS}); each extra bit multiplies the work by 2**7")
    p.add_argument("--gap", type=positive_float, default=None,
                   help=f"target certified gap of the a-posteriori certificate (default "
                        f"{DEFAULT_GAP}; --quick: {QUICK_GAP}; scaled units)")
    p.add_argument("--quick", action="store_true",
                   help="a coarse grid and a short SGD run (seconds)")
    p.add_argument("--lipschitz", default="paper", choices=("paper", "refined"),
                   help="Lipschitz constant setting eps (default: the paper's §4)")
    p.add_argument("--no-sgd", action="store_true", help="skip the PyTorch comparison")
    p.add_argument("--no-plot", action="store_true", help="write no plot")
    add_output_arguments(p)
    p.set_defaults(func=run, human=print_human)


def demo_data() -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Body-mass index (442, 1) and disease progression (442,) of scikit-learn's diabetes
    data set, in their original units, and a description."""
    try:
        from sklearn.datasets import load_diabetes
    except ImportError:
        raise InvalidInputError(
            "the demo uses a data set that ships with scikit-learn, which is not installed: "
            "pip install scikit-learn (or pip install 'lptrain[demo]')") from None
    raw = load_diabetes(scaled=False)
    X = np.asarray(raw.data[:, [2]], dtype=np.float64)
    y = np.asarray(raw.target, dtype=np.float64)
    info = {"name": "diabetes (scikit-learn)", "rows": int(X.shape[0]),
            "feature": "bmi", "feature_label": "body-mass index (kg/m^2)",
            "target": "progression", "target_label": "disease progression after one year"}
    return X, y, info


def _enumerate(model: LPTrainer, Xs: np.ndarray, Ys: np.ndarray, bits: int,
               show: bool | None) -> dict[str, Any]:
    """The §3.4 baseline on the same discretized data: every grid point of Φ."""
    from lptrain._progress import progress

    net = model.network_
    total = grid_size(net.N, bits)
    t0 = time.perf_counter()
    with progress(total, "§3.4 enumeration", enabled=show, unit="pt") as bar:
        done = [0]

        def tick(k: int, _total: int) -> None:
            bar.update(k - done[0])
            done[0] = k

        best = grid_argmin(net, LOSS, to_grid(Xs, bits), to_grid(Ys, bits), bits,
                           progress=tick)
    seconds = time.perf_counter() - t0
    return {"configurations": total, "evaluations": total * Xs.shape[0],
            "value": best.value, "phi": best.phi.tolist(), "seconds": seconds,
            "difference": abs(best.value - model.lp_objective_),
            "same_value": bool(abs(best.value - model.lp_objective_)
                               <= 1e-9 * max(1.0, abs(best.value)))}


def _refined(model: LPTrainer, bits: int) -> dict[str, float]:
    """ε with the refined Lipschitz constant (``--lipschitz refined``), for comparison."""
    from lptrain.discretize import epsilon_from_bits
    from lptrain.nn import architecture_lipschitz

    lip = architecture_lipschitz(model.network_, LOSS, method="refined").lipschitz
    eps = epsilon_from_bits(bits, lip)
    return {"lipschitz": lip, "epsilon": eps, "lower_bound": model.lp_objective_ - eps}


def _sgd(model: LPTrainer, Xs: np.ndarray, Ys: np.ndarray, quick: bool,
         show: bool | None) -> dict[str, Any]:
    from lptrain.export import torch_available, train_sgd

    if not torch_available():
        return {"skipped": "PyTorch is not installed (pip install torch to compare)"}
    res = train_sgd(model.network_, LOSS, Xs, Ys, restarts=2 if quick else 5,
                    steps=60 if quick else 400, lr=0.05, progress=show)
    out = res.to_dict()
    out["median_erm"] = float(np.median(res.erms))
    out["worst_erm"] = float(max(res.erms))
    # The a-posteriori lower bound is global (it does not depend on the parameters), so it
    # certifies Adam's result too: ERM(adam) - ERM(opt) <= ERM(adam) - lower bound.
    out["certified_gap"] = out["erm"] - model.lower_bound_
    return out


def demo_report(bits: int, quick: bool, sgd: bool, show: bool | None,
                lipschitz: str = "paper", gap: float | None = None,
                ) -> tuple[dict[str, Any], LPTrainer, Any]:
    """Run the demo; → (JSON report, trained model, SGD predictor or None)."""
    X, y, info = demo_data()
    gap = (QUICK_GAP if quick else DEFAULT_GAP) if gap is None else gap
    model = LPTrainer(ARCH, LOSS, bits=bits, scale=True, progress=show, lipschitz=lipschitz,
                      target_gap=gap, time_limit=120.0)
    model.fit(X, y, feature_names=[info["feature"]], target_names=[info["target"]])
    assert model.scaler_x_ is not None and model.scaler_y_ is not None
    Xs, Ys = model.scaler_x_.transform(X), model.scaler_y_.transform(y[:, None])
    report: dict[str, Any] = {
        "data": info["name"], "data_set": info, "arch": ARCH, "activation": "relu",
        **flat_training(training_report(model)),
        "enumeration": _enumerate(model, Xs, Ys, bits, show),
        "refined": _refined(model, bits),
    }
    sgd_predict = None
    if sgd:
        report["sgd"] = _sgd(model, Xs, Ys, quick, show)
        if "params" in report["sgd"]:
            from lptrain.nn import forward

            phi = np.asarray(report["sgd"]["params"])
            sx, sy = model.scaler_x_, model.scaler_y_

            def sgd_predict(A: np.ndarray) -> np.ndarray:
                out = forward(model.network_, sx.transform(A), phi[None])[0]
                return sy.inverse_transform(out)[:, 0]
    else:
        report["sgd"] = {"skipped": "--no-sgd"}
    return report, model, sgd_predict


def print_human(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain demo``."""
    tr, en, sg, info = report, report["enumeration"], report["sgd"], report["data_set"]
    rf = report["refined"]
    print("lptrain demo: training a neural network by linear programming, with a certificate")
    print(f"data     {info['name']}: {info['rows']} patients, {info['feature_label']} -> "
          f"{info['target_label']}")
    print("         both scaled onto [-1, 1] (the paper's box); risks below are in these units")
    print(f"network  {ARCH} ReLU, N={tr['N']} weights and biases in [-1, 1]; loss "
          f"{LOSS} (mean |prediction - target|)")
    print(f"grid     {tr['bits']} bits: {2 ** tr['bits']} values per coordinate, "
          f"{en['configurations']:,} parameter vectors")
    total = tr["timings"]["face"] + tr["timings"]["polytope"] + (tr["timings"].get("certify")
                                                                 or 0.0)
    print(f"\n1. LP training (face of the §3 polytope, {tr['solver']} solver) and a-posteriori "
          f"certificate: {total:.1f} s")
    for line in format_certificate(tr):
        print(line)
    print(f"\n2. §3.4 enumeration of all {en['configurations']:,} grid points "
          f"({en['evaluations']:,} loss evaluations): {en['seconds']:.1f} s")
    verdict = ("the same value: the LP found the exact optimum over the grid"
               if en["same_value"] else "A DIFFERENT VALUE (please report this)")
    print(f"  best grid risk {en['value']:.6g} vs LP optimum {tr['lp_objective']:.6g}: "
          f"{verdict}")
    print("\n3. plain gradient descent (PyTorch Adam, weights clamped to [-1, 1])")
    if "skipped" in sg:
        print(f"  skipped: {sg['skipped']}")
    else:
        print(f"  {sg['restarts']} random restarts x {sg['steps']} steps: {sg['seconds']:.1f} s")
        print(f"  ERM best {sg['erm']:.6g}, median {sg['median_erm']:.6g}, worst "
              f"{sg['worst_erm']:.6g}  (LP: {tr['erm']:.6g})")
        print(f"  Adam gives no certificate of its own; with the lower bound of step 1 its best "
              f"run is within {sg['certified_gap']:.4g} of the global optimum")
    print("\nwhat this shows:")
    print(f"  - the LP returned the best of all {en['configurations']:,} grid networks on the "
          "discretized data,")
    print(f"    with a dual certificate (bound {tr['lp_objective']:.4g}); the enumeration "
          "agrees.")
    if tr.get("lower_bound_kind") == "a-posteriori":
        print(f"  - certified a posteriori (branch and bound on the actual data): the returned "
              f"network is within {tr['gap']:.3g} of the best")
        print(f"    network with weights in [-1, 1] (global lower bound {tr['lower_bound']:.4g}, "
              f"ERM {tr['erm']:.4g}).")
    print(f"  - Main Theorem 3.1 alone: its ERM is within 2 eps = {tr['guarantee']:.3g} of the "
          "best network with weights in [-1, 1].")
    whose = "the paper's" if tr["lipschitz_method"] == "paper" else "the refined"
    print(f"    This a-priori eps uses {whose} worst-case Lipschitz constant "
          f"L = {tr['lipschitz']:.4g} and is very loose;")
    if tr["lipschitz_method"] == "paper":
        print(f"    the refined constant L = {rf['lipschitz']:.4g} (--lipschitz refined) gives "
              f"eps = {rf['epsilon']:.3g}, and each extra bit halves eps")
        print("    at 2**7 times the work (--bits 4).")
    else:
        print("    each extra bit halves eps, at 2**7 times the work (--bits 4).")
    if "skipped" not in sg:
        print(f"  - gradient descent reached ERM {sg['erm']:.4g} (best of {sg['restarts']} "
              f"restarts, worst {sg['worst_erm']:.4g}) and proves nothing by itself;")
        print("    `lptrain certify` bounds any such model against the global optimum.")
    if report.get("plot"):
        print(f"\nplot written to {report['plot']}")
    elif report.get("plot_skipped"):
        print(f"\nno plot: {report['plot_skipped']}")
    print(f"total {report['seconds']:.1f} s")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain demo``: train, certify, compare, plot; the report."""
    bits = args.bits if args.bits is not None else (QUICK_BITS if args.quick else DEFAULT_BITS)
    report, model, sgd_predict = demo_report(bits, args.quick, not args.no_sgd,
                                             progress_enabled(args), args.lipschitz, args.gap)
    report["plot"], report["plot_skipped"], report["notes"] = None, None, []
    if not args.no_plot:
        X, y, info = demo_data()
        try:
            from lptrain.plotting import plot_training
        except ImportError as exc:
            report["plot_skipped"] = str(exc)
            return report
        out_dir = Path(args.out_dir)
        sgd = report["sgd"]

        def write(path: Path) -> Path:
            out_dir.mkdir(parents=True, exist_ok=True)
            return plot_training(  # the fit, and the bounds of the certificate closing
                path, model, X, y, baseline=sgd_predict,
                label=f"LP training (ERM {report['erm']:.4f})",
                baseline_label=f"Adam, best of {sgd.get('restarts', 0)} "
                               f"(ERM {sgd.get('erm', float('nan')):.4f})",
                feature_names=[info["feature_label"]], target_names=[info["target_label"]],
                title=f"diabetes: {ARCH} ReLU network, {LOSS} loss, {bits}-bit grid")

        try:
            report["plot"] = write_output(out_dir / PLOT_NAME, write, report)
        except ImportError as exc:
            report["plot_skipped"] = str(exc)
    return report
