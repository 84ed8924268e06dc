"""Every code block of README.md and docs/*.md runs, so no number in the docs goes stale.

Rules (also in the module of each marker):

* a ```python block runs, in order, in one namespace per file (a notebook), in a fresh
  temporary folder. A block with ``>>>`` prompts is a doctest (its outputs are compared,
  with pytest's NUMBER / ELLIPSIS / NORMALIZE_WHITESPACE); any other block is executed and
  must not raise;
* ``<!-- docs-test: setup ... -->`` (an HTML comment, invisible in the rendered page) holds
  Python run before the next block — the data an API sketch leaves implicit;
* ``<!-- docs-test: skip: REASON -->`` before a ```python block, or
  ``<!-- docs-test: shell: REASON -->`` before a ```sh / ```bash / ```console block, says
  why it is not run; the reason is required (at least 15 characters) and every shell block
  needs one;
* fences without a language, or ```text, are text (diagrams, tables, program output).
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```([\w-]*)\s*$")
_MARK = re.compile(r"<!--\s*docs-test:\s*(skip|shell)\s*:\s*(.*?)\s*-->\s*$")
_SETUP = re.compile(r"<!--\s*docs-test:\s*setup\s*\n(.*?)-->", re.S)
_SHELL = ("sh", "bash", "console", "shell")
_PYTHON = ("python", "py", "pycon")


def blocks(path: Path) -> list[dict]:
    """The fenced blocks of a Markdown file: language, first line, code, marker, and the
    setup code to run before it."""
    lines = path.read_text().splitlines()
    out, i, pending_setup = [], 0, []
    text = path.read_text()
    setups = {text[:m.start()].count("\n"): m.group(1) for m in _SETUP.finditer(text)}
    while i < len(lines):
        if i in setups:
            pending_setup.append(setups[i])
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        prev = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        mark = _MARK.search(prev)
        out.append({"lang": fence.group(1).lower(), "line": i + 1,
                    "code": "\n".join(lines[i + 1:j]) + "\n",
                    "mark": (mark.group(1), mark.group(2)) if mark else None,
                    "setup": pending_setup})
        pending_setup = []
        i = j + 1
    return out


def _checker() -> doctest.OutputChecker:
    from _pytest.doctest import _get_checker

    return _get_checker()


def _run(path: Path, block: dict, ns: dict) -> None:
    where = f"{path.name}:{block['line']}"
    for code in block["setup"]:
        exec(compile(code, f"{where} (setup)", "exec"), ns)
    if ">>>" not in block["code"]:
        exec(compile(block["code"], where, "exec"), ns)
        return
    flags = (doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
             | doctest.register_optionflag("NUMBER"))
    test = doctest.DocTestParser().get_doctest(block["code"], ns, where, str(path),
                                               block["line"])
    runner = doctest.DocTestRunner(checker=_checker(), optionflags=flags)
    failures = []
    runner.run(test, out=failures.append, clear_globs=False)
    ns.update(test.globs)  # DocTest works on a copy of the namespace
    if runner.failures:
        raise _BlockFailed(f"{where}: {runner.failures} example(s) failed\n"
                           + "".join(failures))


class _BlockFailed(AssertionError):
    """A doctest block with failing examples (the test reports every such block)."""


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_block_runs_or_says_why_not(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": f"docs_{path.stem}"}
    failed = []
    for block in blocks(path):
        lang, mark = block["lang"], block["mark"]
        if mark is not None:
            assert len(mark[1]) >= 15, f"{path.name}:{block['line']}: give a reason"
            assert (mark[0] == "shell") == (lang in _SHELL), (
                f"{path.name}:{block['line']}: '{mark[0]}' marks a ```{lang} block")
            continue
        assert lang not in _SHELL, (f"{path.name}:{block['line']}: a shell block needs "
                                    "<!-- docs-test: shell: REASON --> before it")
        if lang in _PYTHON:
            try:
                _run(path, block, ns)
            except _BlockFailed as exc:  # later blocks may still run: report them all
                failed.append(str(exc))
    if failed:
        pytest.fail("\n".join(failed), pytrace=False)


def test_the_parser_sees_markers_and_setups(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("<!-- docs-test: setup\nA = 2\n-->\n\n```python\n>>> A + 1\n3\n```\n\n"
                  "<!-- docs-test: shell: installs packages with pip -->\n```sh\npip x\n```\n"
                  "```\ntext\n```\n")
    got = blocks(md)
    assert [b["lang"] for b in got] == ["python", "sh", ""]
    assert got[0]["setup"] == ["A = 2\n"] and got[1]["mark"] == ("shell",
                                                                "installs packages with pip")
    ns: dict = {}
    _run(md, got[0], ns)
    md.write_text("```python\n>>> 1 + 1\n3\n```\n")
    with pytest.raises(_BlockFailed, match="1 example"):
        _run(md, blocks(md)[0], {})
