"""Benchmark the estimators' defaults and the tie rule of the structured face solver.

Part 1 (``fits``): the time of one default fit of ``LPRegressor()`` / ``LPClassifier()``
on the datasets scikit-learn's ``check_estimator`` uses (make_regression 200×10; make_blobs
300×2, two and three classes; a 10×3 toy), split into local search and branch and bound,
with the score and the certified gap (median over ``--repeat`` fits; ``--backend``).

Part 2 (``check``): the wall time of ``check_estimator`` on both estimators with default
arguments (numpy kernels, as tests/test_estimators.py runs it) and its passed/skipped/failed
counts.

Part 3 (``ties``): the structured face solver's pass over the grid, before (``grid_argmin``:
the least C, first index) and after (``lptrain.erm.ties.grid_minimum``: the least C, the
tied points' true ERM, the tie rule), side by side on the same face, medians over
``--repeat``; the ratio is the cost of breaking ties the same way as every solver.

    python benchmarks/bench_estimators.py [fits] [check] [ties] [--repeat 3] [--backend numpy]

Results: ``benchmarks/out/bench_estimators.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np
from _common import OUT_DIR, command_line, header, median_time, print_table


def _datasets() -> list[tuple[str, object, np.ndarray, np.ndarray]]:
    from sklearn.datasets import make_blobs, make_regression
    from sklearn.preprocessing import StandardScaler, scale

    from lptrain import LPClassifier, LPRegressor

    X, y = make_regression(n_samples=200, n_features=10, n_informative=1, bias=5.0, noise=20,
                           random_state=42)
    Xb, yb = make_blobs(n_samples=300, random_state=0)
    Xb = StandardScaler().fit_transform(Xb)
    Xt = np.random.RandomState(0).uniform(size=(10, 3))
    return [("LPRegressor, regression 200x10", LPRegressor(random_state=0),
             StandardScaler().fit_transform(X), scale(y)),
            ("LPRegressor, toy 10x3", LPRegressor(random_state=0), Xt, np.arange(10) % 3),
            ("LPClassifier, blobs 200x2, 2 classes", LPClassifier(random_state=0),
             Xb[yb != 2], yb[yb != 2]),
            ("LPClassifier, blobs 300x2, 3 classes", LPClassifier(random_state=0), Xb, yb)]


def fits(repeat: int) -> list[dict]:
    rows = []
    for name, est, X, y in _datasets():
        sec, fitted = median_time(lambda est=est, X=X, y=y: est.fit(X, y), repeat)
        s = fitted.seconds_
        rows.append({"fit": name, "seconds": sec, "local search": s["local_search"],
                     "branch and bound": s["certify"], "score": fitted.score(X, y),
                     "gap": fitted.gap_, "status": fitted.a_posteriori_.status,
                     "boxes": fitted.a_posteriori_.nodes})
    return rows


def check() -> list[dict]:
    from sklearn.utils.estimator_checks import check_estimator

    from lptrain import LPClassifier, LPRegressor

    rows = []
    for est in (LPRegressor(), LPClassifier()):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = check_estimator(est, on_fail=None)
        status = [r["status"] for r in res]
        rows.append({"estimator": type(est).__name__, "seconds": time.perf_counter() - t0,
                     "checks": len(status), "passed": status.count("passed"),
                     "skipped": status.count("skipped"), "failed": status.count("failed")})
    return rows


def ties(repeat: int) -> list[dict]:
    from sklearn.datasets import load_diabetes

    from lptrain.data import UnitScaler
    from lptrain.erm import ERMPolytope
    from lptrain.erm.ties import grid_minimum
    from lptrain.nn import grid_argmin, parse_arch

    data = load_diabetes(scaled=False)
    X = UnitScaler.fit(data.data[:, [2]]).transform(data.data[:, [2]])
    Y = UnitScaler.fit(data.target[:, None]).transform(data.target[:, None])
    rows = []
    for arch, bits in (("1-2-1", 3), ("1-1-1", 4)):
        net = parse_arch(arch)
        face = ERMPolytope.define(net, "abs", samples=len(X), bits=bits).face(X, Y)
        grid_argmin(net, "abs", face.X_tilde, face.Y_tilde, bits, stop=100)  # load kernels
        grid_minimum(face)
        t_old, old = median_time(lambda net=net, face=face, bits=bits: grid_argmin(
            net, "abs", face.X_tilde, face.Y_tilde, bits), repeat)
        t_new, new = median_time(lambda face=face: grid_minimum(face), repeat)
        rows.append({"network": arch, "bits": bits, "grid points": new.evaluated,
                     "grid_argmin s": t_old, "grid_minimum s": t_new,
                     "ratio": t_new / t_old, "ties": new.ties,
                     "same value": bool(abs(old.value - new.value) <= 1e-12)})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("parts", nargs="*", default=["fits", "check", "ties"])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--backend", default="numpy", help="LPTRAIN_BACKEND for parts 1 and 2")
    args = p.parse_args()
    header("estimators: default fits, check_estimator, the tie rule's cost")
    out: dict = {"command": command_line()}
    if "fits" in args.parts or "check" in args.parts:
        os.environ["LPTRAIN_BACKEND"] = args.backend
    if "fits" in args.parts:
        out["fits"] = fits(args.repeat)
        print_table(out["fits"])
    if "check" in args.parts:
        out["check"] = check()
        print_table(out["check"])
    if "ties" in args.parts:
        os.environ.pop("LPTRAIN_BACKEND", None)
        out["ties"] = ties(args.repeat)
        print_table(out["ties"])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / "bench_estimators.json"
    path.write_text(json.dumps(out, indent=1, default=str))
    print(f"# results written to {path}")


if __name__ == "__main__":
    main()
