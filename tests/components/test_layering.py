"""Dependencies point one way: ``components`` imports nothing of lptrain but ``errors``,
``kernels`` nothing but ``components`` (and ``errors``) — counting every import statement,
function-level and ``TYPE_CHECKING`` ones included."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "lptrain"


def _imports(package: str) -> set[str]:
    """The top-level lptrain subpackages/modules imported anywhere in ``package``."""
    found = set()
    for path in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            found |= {n.split(".")[1] for n in names if n.startswith("lptrain.")}
    return found - {package}


def test_components_and_kernels_sit_below_everything_else():
    assert _imports("components") <= {"errors"}
    assert _imports("kernels") <= {"components", "errors"}
    for path in (SRC / "components").rglob("*.py"):
        assert "from ." not in path.read_text(encoding="utf-8"), path  # absolute imports only
