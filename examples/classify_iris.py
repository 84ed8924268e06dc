"""Classify two iris species from two petal measurements with a hinge-loss network
trained by linear programming; draw the decision regions.

    python examples/classify_iris.py [--bits 2] [--plot iris.png]

Needs scikit-learn (the data) and matplotlib (the plot).
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_iris

from lptrain.plotting import plot_fit
from lptrain.trainer import LPTrainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bits", type=int, default=2)
    parser.add_argument("--plot", default="iris.png")
    args = parser.parse_args()

    iris = load_iris()
    keep = iris.target > 0                     # versicolor vs virginica: not separable
    X = iris.data[keep][:, 2:4]                # petal length, petal width (cm)
    y = iris.target_names[iris.target[keep]]
    model = LPTrainer("2-2-1", "hinge", bits=args.bits, scale=True).fit(X, y)
    print(f"classes {model.classes_.tolist()}, accuracy {model.score(X, y):.3f}")
    print(f"face LP optimum {model.lp_objective_:.4f}, hinge ERM {model.erm_:.4f}, "
          f"epsilon {model.epsilon_:g}, lower bound {model.lower_bound_:.4f}")
    path = plot_fit(args.plot, X, y, model.predict, classes=list(model.classes_),
                    feature_names=["petal length (cm)", "petal width (cm)"],
                    title=f"iris: 2-2-1 ReLU, hinge loss, {args.bits}-bit grid")
    print(f"decision regions written to {path}")
    print(f"predictions for petals (4.5, 1.4) and (6.0, 2.2): "
          f"{model.predict(np.array([[4.5, 1.4], [6.0, 2.2]])).tolist()}")


if __name__ == "__main__":
    main()
