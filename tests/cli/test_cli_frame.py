"""The frame every command runs in: signals, closed pipes, the umask, write failures after
the work, unwritable places, bugs, --help text, and the memory of a refused build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from cli_zoo import run_cli, snapshot

from lptrain.cli import _COMMANDS, main
from lptrain.data import UnitScaler
from lptrain.model_io import ModelFile, save_model
from lptrain.nn import dense

SRC = str(Path(__file__).resolve().parents[2] / "src")
DATA = "a,b,y\n0.1,0.2,0.3\n-0.5,0.5,0.1\n0.9,-0.2,-0.4\n"


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LPTRAIN_BACKEND", "numpy")
    (tmp_path / "ok.csv").write_text(DATA)
    return tmp_path


def _spawn(code: str, cwd: Path) -> subprocess.Popen:
    """A python child running ``code`` (lptrain importable), stdout/stderr piped."""
    env = {**os.environ, "PYTHONPATH": SRC, "LPTRAIN_BACKEND": "numpy", "LPTRAIN_PROGRESS": "0"}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, marker: str, timeout: float = 60.0) -> None:
    start = time.time()
    while time.time() - start < timeout:
        line = proc.stderr.readline()
        if marker in line:
            return
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"the child never printed {marker!r}")


# A child that stops (and says so) in the middle of the work or of writing an output, so
# that the signal arrives there and nowhere else.
_STALL = """
    import os, sys, time
    import lptrain.trainer, lptrain._io
    from lptrain.cli import main
    where = sys.argv[1] if len(sys.argv) > 1 else {where!r}
    def stall(*args, **kwargs):
        print("STALLED", file=sys.stderr, flush=True)
        time.sleep(60)
    if where == "fit":
        lptrain.trainer.LPTrainer.fit = stall
    else:
        lptrain._io.os.fsync = stall      # inside the atomic write: the .part file exists
    raise SystemExit(main({argv!r}))
"""


@pytest.mark.parametrize(("sig", "name", "code", "kind"), [
    (signal.SIGTERM, "SIGTERM", 143, "Terminated"),
    (signal.SIGINT, "SIGINT", 130, "Interrupted"),
    (signal.SIGHUP, "SIGHUP", 129, "Terminated"),
])
@pytest.mark.parametrize("where", ["fit", "write"])
def test_signals_give_one_json_object_and_leave_no_temporary_file(folder, sig, name, code,
                                                                  kind, where):
    before = snapshot(folder)
    argv = ["train", "ok.csv", "--arch", "2-1", "--loss", "abs", "--bits", "2", "-o",
            "model.json", "--json"]
    proc = _spawn(_STALL.format(where=where, argv=argv), folder)
    _wait_for(proc, "STALLED")
    if where == "write":
        assert any(p.name.endswith(".part") for p in folder.iterdir())  # the write is open
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    obj = json.loads(out)
    assert out.count("\n") == 1 and "Traceback" not in err
    assert (obj["error"], obj["signal"], obj["exit_code"]) == (kind, name, code)
    assert obj["message"].startswith(f"stopped by {name} after ")
    assert obj["message"].endswith("; nothing was written")
    assert snapshot(folder) == before  # no model.json, no .part, no .tmp


def test_sigterm_in_human_mode_prints_one_line_and_no_traceback(folder):
    argv = ["train", "ok.csv", "--arch", "2-1", "--loss", "abs", "--bits", "2"]
    proc = _spawn(_STALL.format(where="fit", argv=argv), folder)
    _wait_for(proc, "STALLED")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and out == "" and "Traceback" not in err
    assert err.strip().startswith("lptrain train: terminated: stopped by SIGTERM after ")


def _big_model(folder: Path, rows: int) -> None:
    X = np.linspace(-1, 1, 2 * rows).reshape(rows, 2)
    np.savetxt(folder / "big.csv", np.c_[X, X[:, :1]], delimiter=",", header="a,b,y",
               comments="", fmt="%.6f")
    save_model(folder / "model.json", ModelFile(
        dense([2, 1]), np.array([0.5, -0.25, 0.1]), "abs", feature_names=("a", "b"),
        target_names=("y",), scaler_x=UnitScaler.fit(X)))


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_closed_pipe_ends_quietly(folder, json_flag):
    _big_model(folder, 2_000)
    env = {**os.environ, "PYTHONPATH": SRC}
    read, write = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "lptrain.cli", "predict", "model.json",
                             "big.csv", *json_flag], cwd=folder, env=env, stdout=write,
                            stderr=subprocess.PIPE)
    os.close(write)
    os.close(read)  # the reader is gone before the first line, like `| head -0`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_outputs_get_the_umask(folder, capsys, umask):
    old = os.umask(umask)
    try:
        code, _, _ = run_cli(["train", "ok.csv", "--arch", "2-1", "--loss", "abs",
                                      "--bits", "2", "-o", "m.json", "--plot", "fit.png"])
        assert code == 0
        assert main(["build", "--arch", "2-1", "--loss", "abs", "-D", "3", "--bits", "1",
                     "-o", "p.npz", "--mps", "p.mps", "--quiet"]) == 0
        assert main(["predict", "m.json", "ok.csv", "-o", "pred.csv"]) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    for name in ("m.json", "fit.png", "p.npz", "p.mps", "pred.csv"):
        assert (folder / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_a_write_that_fails_after_the_work_reports_the_result(folder, capsys, monkeypatch):
    before = snapshot(folder)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lptrain._io.os.replace", disk_full)
    code, obj, _ = run_cli(["train", "ok.csv", "--arch", "2-1", "--loss", "abs",
                                    "--bits", "2", "-o", "m.json"])
    assert (code, obj["error"]) == (1, "OutputError")
    assert obj["message"] == "cannot write m.json: No space left on device; nothing was written"
    assert len(obj["result"]["params"]) == 3 and obj["result"]["erm"] >= 0  # the work is kept
    assert snapshot(folder) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_folder_and_read_only_output_are_refused_before_the_work(folder, capsys):
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    (folder / "ro.json").write_text("{}")
    (folder / "ro.json").chmod(0o444)
    try:
        base = ["train", "ok.csv", "--arch", "2-1", "--loss", "abs", "--bits", "2"]
        _, obj, _ = run_cli([*base, "-o", "locked/m.json"])
        assert obj["message"] == ("-o locked/m.json: cannot write in folder locked (Permission "
                                  "denied); choose another path")
        _, obj, _ = run_cli([*base, "-o", "ro.json"])
        assert obj["message"] == ("-o ro.json exists and is read-only; remove it or choose "
                                  "another path")
    finally:
        locked.chmod(0o755)


def test_bugs_and_memory_errors_are_one_json_object(folder, capsys, monkeypatch):
    import lptrain.cli._bounds as bounds

    argv = ["bounds", "--arch", "2-1", "--loss", "abs", "-D", "3", "--bits", "2"]
    for exc, kind, code in ((ZeroDivisionError("division by zero"), "InternalError", 70),
                            (MemoryError(), "OutOfMemory", 1)):
        def boom(args, exc=exc):
            raise exc

        monkeypatch.setattr(bounds, "bounds_report", boom)
        got, obj, err = run_cli(argv)  # (func was bound at registration: rebuilt)
        assert (got, obj["error"]) == (code, kind), obj
    assert obj["message"] == ("ran out of memory (no details): use a smaller problem (fewer "
                              "bits, samples or widths) or a lower --max-memory")
    monkeypatch.setattr(bounds, "bounds_report", lambda args: 1 / 0)
    monkeypatch.setenv("LPTRAIN_DEBUG", "1")
    assert main(argv) == 70
    assert "Traceback" in capsys.readouterr().err  # only when asked for


@pytest.mark.parametrize("command", _COMMANDS)
def test_help_is_plain_text(capsys, command):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert f"usage: lptrain {command}" in text
    for rst in ("``", ":func:", ":class:", ":mod:", ":meth:", ":data:", "::\n"):
        assert rst not in text, (command, rst)


def test_no_command_and_version(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "usage: lptrain" in err and "give a command" in err
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("lptrain ")


_PEAK = """
    import resource, subprocess, sys
    proc = subprocess.run([sys.executable, "-m", "lptrain.cli", *sys.argv[1:]],
                          capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(proc.returncode, peak, proc.stdout.strip(), sep="\\t")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
@pytest.mark.parametrize("argv", [
    "build --arch 1-100000000-1 --loss abs -D 3 --bits 2 --json",
    "train ok.csv --arch 1-100000000-1 --loss abs --bits 2 --json",
    "bounds --arch conv2d:100000x100000-c1k2-1 --loss abs -D 3 --bits 2 --json",
])
def test_a_refused_build_stays_small(folder, argv):
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(_PEAK), *argv.split()],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    code, peak_kib, text = out.stdout.strip().split("\t")
    assert code == "1" and json.loads(text)["error"] == "TooLargeError"
    assert int(peak_kib) < 500 * 1024, f"peak {int(peak_kib) / 1024:.0f} MiB"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_a_folder_nobody_can_write_is_refused_before_the_work(folder):
    # /proc takes no new files, not even from root (the chmod test above skips for root)
    before = snapshot(folder)
    code, obj, _ = run_cli(["train", "ok.csv", "--arch", "2-1", "--loss", "abs", "--bits",
                            "2", "-o", "/proc/model.json"])
    assert (code, obj["error"]) == (1, "InvalidInputError")
    assert obj["message"].startswith("-o /proc/model.json: cannot write in folder /proc (")
    assert obj["message"].endswith("); choose another path")
    assert snapshot(folder) == before
