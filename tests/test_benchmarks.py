"""``benchmarks/run_all.py`` (``make bench``) knows every benchmark script and passes each
only options it has — checked without running any benchmark."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH))
    saved = dict(sys.modules)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
        for name in set(sys.modules) - set(saved):  # benchmarks/_common is not examples/_common
            del sys.modules[name]
    return module


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def test_run_all_knows_every_benchmark_script():
    run_all = _run_all()
    scripts = {p.name for p in BENCH.glob("*.py")}
    assert set(run_all.RUNS) | set(run_all.HELPERS) == scripts
    assert not set(run_all.RUNS) & set(run_all.HELPERS)
    assert all(run_all.RUNS[s] for s in run_all.RUNS)  # at least one run each


def test_run_all_passes_only_options_each_script_defines():
    run_all = _run_all()
    for script, runs in run_all.RUNS.items():
        known = _string_constants(BENCH / script)
        for args in runs:
            flags = [a for a in args if a.startswith("--")]
            missing = [f for f in flags if f not in known]
            assert not missing, f"{script} defines no option {missing}"


def test_bench_certify_subcommands_exist():
    run_all = _run_all()
    known = _string_constants(BENCH / "bench_certify.py")
    assert {args[0] for args in run_all.RUNS["bench_certify.py"]} <= known


def test_unknown_only_is_a_clear_error(capsys):
    run_all = _run_all()
    with pytest.raises(SystemExit) as exc:
        run_all.main(["--only", "bench_nope", "--out", "/nonexistent-never-created"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--only: unknown benchmark(s) bench_nope.py; expected some of bench_bnn.py" in err
    assert not Path("/nonexistent-never-created").exists()
