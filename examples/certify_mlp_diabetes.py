"""Their models, certified: how far is a scikit-learn MLPRegressor from the best network of
its architecture? (diabetes: body-mass index → progression, 442 patients)

An ``MLPRegressor(hidden_layer_sizes=(2,))`` is trained as anyone would; ``from_sklearn``
reads its weights (transposed into PyTorch's layout) and folds the data's range scaling
into them (same predictions, data in [-1, 1]); its ReLU units are rescaled into the box
[-1, 1]^N with the function unchanged; ``certify_erm`` then proves a lower bound on the
squared-error ERM of every network in the box. The gap says how much better the MLP could
have been — in the data's units (× half range²).

    python examples/certify_mlp_diabetes.py [--samples N] [--max-open B] [--seeds 0 1 2]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, show, subsample  # noqa: E402

from lptrain.certify import certify_erm  # noqa: E402
from lptrain.convert import from_sklearn, rescale_into_box  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser(__doc__, max_open=1_000_000, time_limit=60.0)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args(argv)
    data = load_diabetes(scaled=False)
    X, y = subsample(data.data[:, [2]], data.target, args.samples, args.seed)
    print(f"diabetes: {len(X)} patients; MLPRegressor(hidden_layer_sizes=(2,)), relu")
    rows = []
    for seed in args.seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp = MLPRegressor(hidden_layer_sizes=(2,), max_iter=2000, random_state=seed)
            mlp.fit(X, y)
        model = from_sklearn(mlp, X, y)   # scaling folded in: same predictions
        Xs, Ys = model.scaler_x.transform(X), model.scaler_y.transform(y[:, None])
        moved = rescale_into_box(model.network, model.params)
        cert = certify_erm(model.network, "quadratic", Xs, Ys, model.params,
                           target_gap=args.gap, time_limit=args.time_limit,
                           max_open=args.max_open, progress=False)
        factor = float(model.scaler_y.half_range[0]) ** 2
        rows.append({"seed": seed, "r2": mlp.score(X, y), "cert": cert, "factor": factor,
                     "rescaled": moved.changed, "in_box": moved.in_box})
        print(f"seed {seed}: R² {mlp.score(X, y):.3f}")
        show("weights outside [-1, 1] rescaled (same function)",
             f"{moved.changed} → inside: {moved.in_box}")
        show("MLP's ERM / certified lower bound (scaled)",
             f"{cert.upper_bound:.5f} / {cert.lower_bound:.5f}")
        show("gap: scaled, data units (progression²)",
             f"{cert.gap:.4g}, {cert.gap * factor:.4g}  [{cert.status}]")
    return {"rows": rows, "X": X, "y": y}


if __name__ == "__main__":
    main()
