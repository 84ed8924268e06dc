"""Regression on scikit-learn's diabetes data (body-mass index → disease progression after a
year, 442 patients): a 1-2-1 ReLU network trained two ways, each with its certificate.

1. On the grid of §3 (``LPTrainer(..., bits=3)``): the face LP, its dual certificate and the
   a-priori bound v̂ - ε of Lemma 3.4 (sound, loose).
2. Without a grid (``LPRegressor(target_gap=...)``): branch and bound on the data; the
   returned network is certified within the gap of the best network with weights in
   [-1, 1]^N — reported in the data's units too (the absolute loss scales by the targets'
   half range).

    python examples/train_diabetes.py [--bits 3] [--samples N] [--max-open B] [--plot fit.png]

Needs scikit-learn (the data); PyTorch is optional (the export step is skipped without it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_diabetes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, show, subsample  # noqa: E402

from lptrain import LPRegressor, LPTrainer  # noqa: E402
from lptrain.model_io import load_model  # noqa: E402
from lptrain.torch import to_torch, torch_available  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser(__doc__, max_open=1_000_000, time_limit=60.0)
    p.add_argument("--bits", type=int, default=3)
    p.add_argument("--out", default=None, help="write the grid model here (model.json)")
    args = p.parse_args(argv)

    data = load_diabetes(scaled=False)
    X, y = subsample(data.data[:, [2]], data.target, args.samples, args.seed)
    print(f"diabetes: {len(X)} patients, BMI (kg/m²) → progression after one year")

    grid = LPTrainer("1-2-1", "abs", bits=args.bits, scale=True)
    grid.fit(X, y, feature_names=["bmi"], target_names=["progression"])
    sol = grid.certificate_
    print(f"1. face LP on the {args.bits}-bit grid (scaled units)")
    show("face LP optimum v̂", f"{grid.lp_objective_:.6f}")
    show("ERM of the result", f"{grid.erm_:.6f}")
    show("epsilon (a priori)", f"{grid.epsilon_:g}")
    show("certificate", f"dual bound {sol.certificate.dual_bound:.6f}, "
         f"verified={sol.certificate.verified}")
    show("R² on the data", f"{grid.score(X, y):.4f}")

    free = LPRegressor(hidden_layer_sizes=(2,), loss="abs", target_gap=args.gap,
                       max_open=args.max_open, time_limit=args.time_limit, random_state=0)
    free.fit(X, y)
    du = free.data_units_
    print("2. certified training without a grid (branch and bound on the data)")
    show("ERM / lower bound / gap (scaled)",
         f"{free.erm_:.6f} / {free.lower_bound_:.6f} / {free.gap_:.4g}")
    show("same in the data's units (× half range)",
         f"{du['erm']:.3f} / {du['lower_bound']:.3f} / {du['gap']:.3g}")
    show("status", f"{free.a_posteriori_.status}, {free.a_posteriori_.nodes:,} boxes")
    show("R² on the data", f"{free.score(X, y):.4f}")
    show("prediction at BMI 20, 30, 40", np.round(free.predict([[20.0], [30.0], [40.0]]), 1))

    out: dict[str, Any] = {"grid": grid, "free": free, "X": X, "y": y}
    if args.out:
        path = grid.save(args.out)
        assert np.array_equal(load_model(path).predict(X)[:, 0], grid.predict(X))
        print(f"model written to {path} (lptrain predict {path} DATA.csv)")
        out["model"] = path
    if torch_available():
        import torch

        module = to_torch(free.network_, free.params_)
        raw = module(torch.tensor(free.scaler_x_.transform(X))).detach().numpy()
        out["torch_same"] = bool(np.allclose(free.scaler_y_.inverse_transform(raw)[:, 0],
                                             free.predict(X)))
        print(f"PyTorch module {module}: same predictions {out['torch_same']}")
    if args.plot:
        from lptrain.plotting import plot_training

        out["plot"] = plot_training(args.plot, free, X, y, feature_names=["bmi (kg/m²)"],
                                    target_names=["progression"])
        print(f"plot written to {out['plot']}")
    return out


if __name__ == "__main__":
    main()
