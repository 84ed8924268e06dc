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


# ---------------------------------------------------------------- no cycles, no CLI

def _units() -> set[str]:
    """The top-level parts of lptrain: subpackages and root modules (``__init__`` is the
    package root itself)."""
    return ({p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
            | {p.stem for p in SRC.glob("*.py")})


def _unit_graph() -> dict[str, dict[str, list[str]]]:
    """unit -> {imported unit -> ["path:line", ...]} over every import statement of every
    module (module level, function level, ``TYPE_CHECKING`` blocks; relative imports
    resolved)."""
    units, graph = _units(), {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        unit = rel.parts[0].removesuffix(".py")
        package = ["lptrain", *rel.parts[:-1]]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package[: len(package) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                if base == "lptrain":  # ``from lptrain import kernels`` imports lptrain.kernels
                    modules = [f"lptrain.{a.name}" if a.name in units else "lptrain"
                               for a in node.names]
                else:
                    modules = [base]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] != "lptrain":
                    continue
                target = parts[1] if len(parts) > 1 else "__init__"
                if target != unit:
                    graph.setdefault(unit, {}).setdefault(target, []).append(
                        f"{rel}:{node.lineno}")
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(set(graph) | {w for e in graph.values() for w in e}):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    """The checker itself can fail: a toy package with a cycle hidden in a function."""
    pkg = tmp_path / "lptrain"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from lptrain.b import x\n")
    (pkg / "b" / "__init__.py").write_text("x = 1\n")
    (pkg / "b" / "late.py").write_text("def f():\n    from ..a import y\n")
    monkeypatch.setitem(globals(), "SRC", pkg)
    graph = _unit_graph()
    assert graph["b"]["a"] == ["b/late.py:2"]
    assert _cycles(graph) == [["a", "b"]]


def test_no_import_cycle_between_subpackages():
    graph = _unit_graph()
    report = [f"{a} -> {b}: {', '.join(graph[a][b][:3])}"
              for cycle in _cycles(graph) for a in cycle for b in cycle if b in graph.get(a, {})]
    assert not report, "import cycles between lptrain parts:\n" + "\n".join(report)


def test_no_library_module_imports_the_cli():
    graph = _unit_graph()
    offenders = {unit: edges["cli"] for unit, edges in graph.items()
                 if "cli" in edges and unit != "cli"}
    assert not offenders, f"library modules importing lptrain.cli: {offenders}"


def test_certify_never_imports_erm():
    """The lazy face adapter lives in erm (erm/lazy.py); certify sits below erm."""
    assert "erm" not in _imports("certify")


# ---------------------------------------------------------------- one place per component

def test_a_new_component_lives_in_its_module_and_the_registry_line():
    """Issue 10's criterion: softplus and huber appear in at most two library files."""
    for word, module in (("softplus", "components/activations/softplus.py"),
                         ("huber", "components/losses/huber.py")):
        files = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                       if word in p.read_text(encoding="utf-8").lower())
        assert files == sorted([module, "components/registry.py"]), (word, files)


def test_contributing_names_only_files_that_exist():
    """The worked example in docs/CONTRIBUTING.md names real files."""
    import re

    root = SRC.parents[1]
    text = (root / "docs" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:src|tests|benchmarks|docs)/[\w/.]+\.(?:py|md))`", text))
    assert "src/lptrain/components/registry.py" in paths and len(paths) >= 8
    missing = sorted(p for p in paths if not (root / p).is_file())
    assert not missing, missing
