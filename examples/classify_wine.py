"""Three wine cultivars (scikit-learn's wine data, 178 wines) from alcohol and flavanoids,
with ``LPClassifier`` and both losses (cross-entropy and hinge), each certified.

    python examples/classify_wine.py [--samples N] [--max-open B] [--plot wine.png]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sklearn.datasets import load_wine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _three_classes import run  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, Any]:
    wine = load_wine()
    cols = [wine.feature_names.index("alcohol"), wine.feature_names.index("flavanoids")]
    return run(__doc__, "wine", wine.data[:, cols], wine.target_names[wine.target],
               ["alcohol (%)", "flavanoids"], argv)


if __name__ == "__main__":
    main()
