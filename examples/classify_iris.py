"""Three iris species from two petal measurements, with ``LPClassifier`` and both losses:
cross-entropy (three logits, ``predict_proba``) and the hinge loss (one output per class);
each with the certified gap of its training loss.

    python examples/classify_iris.py [--samples N] [--max-open B] [--plot iris.png]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sklearn.datasets import load_iris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _three_classes import run  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, Any]:
    iris = load_iris()
    return run(__doc__, "iris", iris.data[:, 2:4], iris.target_names[iris.target],
               ["petal length (cm)", "petal width (cm)"], argv)


if __name__ == "__main__":
    main()
