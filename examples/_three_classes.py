"""Three classes from two features with both losses: what classify_iris.py and
classify_wine.py share."""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parser, show, subsample

from lptrain import LPClassifier

__all__ = ["run"]


def run(doc: str | None, name: str, X: np.ndarray, y: np.ndarray, features: list[str],
        argv: list[str] | None) -> dict[str, Any]:
    """Fit ``LPClassifier`` with cross-entropy and with the hinge loss, print both
    certificates, optionally plot their decision regions."""
    p = parser(doc, max_open=200_000, time_limit=60.0)
    args = p.parse_args(argv)
    X, y = subsample(X, y, args.samples, args.seed)
    print(f"{name}: {len(X)} samples, {features[0]} and {features[1]}, "
          f"classes {sorted(set(y.tolist()))}")
    out: dict[str, Any] = {"X": X, "y": y}
    for loss in ("cross_entropy", "hinge"):
        clf = LPClassifier(hidden_layer_sizes=(2,), loss=loss, target_gap=args.gap,
                           max_open=args.max_open, time_limit=args.time_limit,
                           random_state=0).fit(X, y)
        post = clf.a_posteriori_
        print(f"{loss}: network {'-'.join(map(str, clf.network_.widths))}")
        show("training accuracy", f"{clf.score(X, y):.3f}")
        show("ERM / certified lower bound / gap",
             f"{clf.erm_:.4f} / {clf.lower_bound_:.4f} / {clf.gap_:.4g}")
        show("search", f"{post.status}, {post.nodes:,} boxes, {post.seconds:.1f} s")
        out[loss] = clf
        if args.plot:
            from lptrain.plotting import plot_training

            path = args.plot.replace(".png", f"-{loss}.png")
            out[f"plot_{loss}"] = plot_training(path, clf, X, y, feature_names=features,
                                                title=f"{name}, {loss}")
            print(f"  decision regions and bounds written to {path}")
    return out
