"""Binary classification, certified: breast cancer (scikit-learn's Wisconsin data, 569
tumours) from two measurements, mean radius and mean texture, with ``LPClassifier``.

Cross-entropy on a 2-2-2 ReLU network (two logits: ``softmax(z)`` are the class
probabilities, ``predict_proba``); a local search gives a start and the branch and bound on
the data certifies how far its cross-entropy can be from the best network with weights in
[-1, 1]^N. Values of a classification loss have no data units (the labels are encoded, not
scaled).

    python examples/classify_breast_cancer.py [--samples N] [--max-open B] [--plot bc.png]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sklearn.datasets import load_breast_cancer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, show, subsample  # noqa: E402

from lptrain import LPClassifier  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser(__doc__, max_open=200_000, time_limit=60.0)
    p.add_argument("--loss", default="cross_entropy", choices=("cross_entropy", "hinge"))
    args = p.parse_args(argv)
    data = load_breast_cancer()
    X, y = subsample(data.data[:, :2], data.target_names[data.target], args.samples,
                     args.seed)
    clf = LPClassifier(hidden_layer_sizes=(2,), loss=args.loss, target_gap=args.gap,
                       max_open=args.max_open, time_limit=args.time_limit, random_state=0)
    clf.fit(X, y)
    post = clf.a_posteriori_
    print(f"breast cancer: {len(X)} tumours, mean radius and mean texture; {args.loss}")
    show("classes", clf.classes_.tolist())
    show("training accuracy", f"{clf.score(X, y):.3f}")
    show(f"{args.loss} ERM / certified lower bound", f"{clf.erm_:.4f} / {clf.lower_bound_:.4f}")
    show("gap (how much better any network could do)", f"{clf.gap_:.4g}  [{post.status}, "
         f"{post.nodes:,} boxes, {post.seconds:.1f} s]")
    show("P(malignant) for radius 12, 20 (texture 20)",
         clf.predict_proba([[12.0, 20.0], [20.0, 20.0]])[:, 0].round(3).tolist()
         if args.loss == "cross_entropy" else "(hinge: no probabilities)")
    out: dict[str, Any] = {"model": clf, "X": X, "y": y}
    if args.plot:
        from lptrain.plotting import plot_training

        out["plot"] = plot_training(args.plot, clf, X, y,
                                    feature_names=["mean radius", "mean texture"])
        print(f"decision regions and bounds written to {out['plot']}")
    return out


if __name__ == "__main__":
    main()
