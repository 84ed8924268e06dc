"""Background compilation of the matrix's numba kernels.

On a cold cache (CI) each generated kernel of the matrix costs ~15 s of compilation on one
core. When the session selects numba tests of the matrix, the kernels they need are
compiled by one background process (``soundness_precompile.py``) from the end of collection
on, on the otherwise idle second core, while the tests before them run; a numba test waits
for its kernel's marker file and then loads the kernel from the cache. If the background
process fails, the test compiles the kernel itself (slower, same result). Set
``LPTRAIN_SOUNDNESS_PRECOMPILE=0`` to switch this off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_STATE: dict[str, object] = {}


def _wanted(items) -> list[str]:
    from soundness_matrix import numba_cases
    from soundness_precompile import ROUNDING

    mine = [it.nodeid for it in items if Path(str(it.fspath)).resolve().parent == HERE
            and "numba" in it.nodeid]
    ids = [c.id for c in numba_cases() if any(c.id in n for n in mine)]
    if any("test_rounding.py" in n and ("numba" in n) for n in mine):
        ids.append(ROUNDING)
    return ids


def pytest_collection_finish(session: pytest.Session) -> None:
    if os.environ.get("LPTRAIN_SOUNDNESS_PRECOMPILE", "1") == "0":
        return
    try:
        import numba  # noqa: F401
    except ImportError:
        return
    ids = _wanted(session.items)
    if not ids:
        return
    done = Path(tempfile.mkdtemp(prefix="lptrain-precompile-"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    log = open(done / "log.txt", "w")  # noqa: SIM115 - closed at session end
    proc = subprocess.Popen([sys.executable, str(HERE / "soundness_precompile.py"), str(done),
                             *ids], env=env, cwd=HERE, stdout=log, stderr=subprocess.STDOUT)
    _STATE.update(proc=proc, done=done, log=log, ids=set(ids))


def pytest_sessionfinish(session: pytest.Session) -> None:
    proc = _STATE.get("proc")
    if isinstance(proc, subprocess.Popen):
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        _STATE["log"].close()  # type: ignore[attr-defined]
        import shutil
        shutil.rmtree(_STATE["done"], ignore_errors=True)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _kernel_ready(request: pytest.FixtureRequest) -> None:
    """Wait until the background process has compiled the kernel this test needs."""
    proc, done = _STATE.get("proc"), _STATE.get("done")
    if not isinstance(proc, subprocess.Popen) or "numba" not in request.node.nodeid:
        return
    assert isinstance(done, Path)
    ids = _STATE["ids"]
    need = [i for i in ids if i in request.node.nodeid]  # type: ignore[attr-defined]
    if "test_rounding.py" in request.node.nodeid and "rounding-kernels" in ids:  # type: ignore[operator]
        need.append("rounding-kernels")
    for i in need:
        while not (done / f"{i}.done").exists() and proc.poll() is None:
            time.sleep(0.05)
