"""Train a 1-2-1 ReLU network by linear programming on scikit-learn's diabetes data,
read its certificate, save it, and run it in PyTorch.

    python examples/train_diabetes.py [--bits 3] [--out diabetes-model.json]

Needs scikit-learn (the data); PyTorch is optional (the export step is skipped without it).
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_diabetes

from lptrain.export import to_torch, torch_available
from lptrain.model_io import load_model
from lptrain.trainer import LPTrainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bits", type=int, default=3)
    parser.add_argument("--out", default="diabetes-model.json")
    args = parser.parse_args()

    data = load_diabetes(scaled=False)
    X, y = data.data[:, [2]], data.target          # body-mass index -> progression
    model = LPTrainer("1-2-1", "abs", bits=args.bits, scale=True)
    model.fit(X, y, feature_names=["bmi"], target_names=["progression"])

    sol = model.certificate_
    print(f"face LP optimum      {model.lp_objective_:.6f}  (scaled units)")
    print(f"ERM of the result    {model.erm_:.6f}")
    lip = model.polytope_.lipschitz.lipschitz
    print(f"epsilon              {model.epsilon_:g}   (L = {lip:g})")
    print(f"lower bound          {model.lower_bound_:.6f}  ({model.lower_bound_kind_})")
    print(f"certificate          dual bound {sol.certificate.dual_bound:.6f}, "
          f"verified={sol.certificate.verified} ({sol.certificate.details.get('mode')})")
    print(f"parameters           {model.params_.tolist()}")
    print(f"R^2 on the data      {model.score(X, y):.4f}")
    print(f"prediction at BMI 20, 30, 40: {np.round(model.predict([[20.0], [30.0], [40.0]]), 1)}")

    path = model.save(args.out)
    again = load_model(path)
    assert np.array_equal(again.predict(X)[:, 0], model.predict(X))
    print(f"model written to {path} (lptrain predict {path} DATA.csv)")

    if torch_available():
        import torch

        net = to_torch(model.network_, model.params_)
        Xs = model.scaler_x_.transform(X)
        out = net(torch.tensor(Xs)).detach().numpy()
        same = np.allclose(model.scaler_y_.inverse_transform(out)[:, 0], model.predict(X))
        print(f"PyTorch module {net}\n  same predictions: {same}")


if __name__ == "__main__":
    main()
