"""The mutation list of ``tests/mutation_check.py`` is well-formed: every entry's old text
occurs exactly once in its file (so the list cannot rot silently while the code moves),
names are unique, every change changes something, and the selections name test files that
exist."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from mutation_check import MUTATIONS, ROOT, Mutation, check_entries


def test_every_old_text_is_found_exactly_once():
    problems = check_entries()
    assert not problems, "\n".join(problems)


def test_the_check_reports_stale_entries(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\nx = 1\n")
    bad = (Mutation("gone", "a.py", "y = 2", "y = 3", "t", "w"),
           Mutation("twice", "a.py", "x = 1", "x = 2", "t", "w"),
           Mutation("twice", "b.py", "x", "y", "t", "w"))
    problems = check_entries(tmp_path, bad)
    assert problems[0] == ("gone: the old text 'y = 2' is not found in a.py; retarget the "
                           "entry in tests/mutation_check.py")
    assert problems[1].startswith("twice: the old text 'x = 1' occurs 2 times in a.py")
    assert "twice: duplicate name" in problems and "twice: file b.py does not exist" in problems


def test_the_list_covers_every_soundness_critical_area():
    assert len(MUTATIONS) >= 25
    files = {m.file for m in MUTATIONS}
    for path in ("kernels/affine.py", "kernels/margins.py", "kernels/interval.py",
                 "certify/_affine_numpy.py", "nn/intervals.py", "solver/certificate.py",
                 "certify/bnb.py", "certify/symmetry.py", "discretize.py", "certify/lazy.py",
                 "certify/boxes.py", "nn/lipschitz.py", "components/loss.py",
                 "certify/patterns/cones.py", "certify/patterns/relaxation.py",
                 "certify/patterns/search.py"):
        assert f"src/lptrain/{path}" in files, path
    # every component whose relaxation, minorant or interval bound a kernel uses (the
    # identity is passed through untouched)
    for name in ("relu", "leaky_relu", "step", "hard_tanh", "tanh", "elu", "softplus"):
        assert f"src/lptrain/components/activations/{name}.py" in files, name
    for name in ("abs", "quadratic", "hinge", "huber", "cross_entropy", "hamming"):
        assert f"src/lptrain/components/losses/{name}.py" in files, name
    for name in ("l1", "l2"):
        assert f"src/lptrain/components/regularizers/{name}.py" in files, name


def test_both_readings_of_the_shared_definitions_are_checked():
    """A component definition is read as numpy and as kernel source: for the relaxations
    and minorants the list mutates, both the numpy and the numba cells must catch it."""
    by_change: dict[tuple[str, str], set[str]] = {}
    for m in MUTATIONS:
        if "/components/" in m.file and m.name.startswith(("kernel-", "numpy-")):
            by_change.setdefault((m.file, m.old), set()).add(m.name.split("-")[0])
    both = [k for k, v in by_change.items() if v == {"kernel", "numpy"}]
    assert len(both) >= 10, sorted(by_change)


@pytest.mark.parametrize("m", MUTATIONS, ids=lambda m: m.name)
def test_selections_name_existing_tests(m):
    args = shlex.split(m.tests)
    paths = [a.split("::")[0] for a in args if a.startswith("tests/")]
    assert paths and all((ROOT / p).is_file() for p in paths), m.tests
    assert Path(m.file).suffix == ".py" and m.old != m.new
