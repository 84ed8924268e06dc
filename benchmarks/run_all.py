"""Run every benchmark at a small size; print where each one wrote its tables and plots.

``make bench`` calls this. Each script in ``benchmarks/`` runs once (``bench_certify.py``
once per subcommand) with the small arguments of ``RUNS`` below, in its own process,
one after the other, with its output under ``--out`` (default ``benchmarks/out/small/``,
through ``$LPTRAIN_BENCH_OUT``, so that the full-size results in ``benchmarks/out/`` are
never overwritten). The figures of a small run are for checking that every benchmark
still runs and for a first look, not for quoting: quote full-size runs, made on a quiet
machine, from each script's own command line (in its docstring).

Each run's output (its tables) is shown and also kept as ``<script>[.<subcommand>].txt`` in
the output folder. At the end: a table of every run (command, seconds, exit status, the
files it wrote) and ``run_all.json`` beside them with the exact command line of every run
and of this one.
The exit status is 1 when a run failed or passed its time limit.

    python benchmarks/run_all.py [--out DIR] [--only bench_eval bench_bo ...] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import command_line, header, print_table  # noqa: E402

#: The small run(s) of every benchmark script: script name -> list of argument lists.
#: tests/test_benchmarks.py checks that every ``bench_*.py`` is here or in ``HELPERS``.
RUNS: dict[str, list[list[str]]] = {
    "bench_bnn.py": [["--archs", "2-2-1", "--samples", "10,20", "--repeat", "1",
                      "--mip-time-limit", "10"]],
    "bench_bo.py": [["--n", "60", "--repeat", "1", "--scale", "25,50"]],
    "bench_certify.py": [["target", "--repeats", "1"],
                         ["sweep", "--quick", "--repeats", "1"],
                         ["hotloop", "--repeats", "1"],
                         ["lazy", "--quick", "--repeats", "1"]],
    "bench_estimators.py": [["fits", "ties", "--repeat", "1"]],
    "bench_eval.py": [["--quick", "--samples", "200"]],
    "bench_generalization.py": [["--samples", "4,16,64", "--seeds", "2", "--holdout", "20000",
                                 "--reference", "2000"]],
    "bench_hidden_units.py": [["--preset", "small", "--methods", "patterns"]],
    "bench_master_lp.py": [["--h", "3", "--D", "200", "--seconds", "5", "--repeats", "1",
                           "--options"]],
    "bench_polytope.py": [["--samples", "1,2,5", "--repeat", "1", "--solve-samples", "5",
                           "--faces", "2"]],
    "bench_polytope_verify.py": [["--repeat", "1", "--samples", "5", "--small"]],
    "bench_structure.py": [["--samples", "1,2,4", "--repeat", "1"]],
    "bench_unit_sweeps.py": [["--h", "3", "--D", "200", "--seconds", "5", "--units", "10",
                              "--repeats", "1"]],
    "bench_vs_baselines.py": [["--quick", "--samples", "200", "--repeats", "1"]],
    "bench_vs_scip.py": [["--D", "10", "20", "--time-limit", "20", "--repeats", "1"]],
}

#: Modules in benchmarks/ that are imported by the scripts, not run on their own.
HELPERS = {"_common.py": "tables, plots, provenance",
           "bench_eval_handwritten.py": "the hand-written loops bench_eval.py compares with",
           "run_all.py": "this runner"}


def _snapshot(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def _log_name(script: str, args: list[str]) -> str:
    """``bench_certify.target.txt``: the script's stem, its subcommand if any."""
    stem = script.removesuffix(".py")
    sub = args[0] if args and not args[0].startswith("-") else None
    return f"{stem}.{sub}.txt" if sub else f"{stem}.txt"


def run_one(script: str, args: list[str], out: Path, timeout: float) -> dict:
    """Run one benchmark in its own process, its output shown and kept in ``out`` (the
    tables); return its record (command, seconds, status, the files under ``out`` it
    created or changed)."""
    argv = [sys.executable, "-u", str(HERE / script), *args]
    env = {**os.environ, "LPTRAIN_BENCH_OUT": str(out)}
    log = out / _log_name(script, args)
    before = _snapshot(out)
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(argv, env=env, cwd=HERE.parent, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            for line in proc.stdout:
                sys.stdout.write(line)
                sink.write(line)
            code = proc.wait()
        finally:
            timer.cancel()
    seconds = time.perf_counter() - start
    if seconds >= timeout and code != 0:
        status = f"time limit ({timeout:g} s)"
    else:
        status = "ok" if code == 0 else f"exit {code}"
    after = _snapshot(out)
    wrote = sorted(k for k, v in after.items() if before.get(k) != v)
    return {"script": script, "command": " ".join(shlex.quote(a) for a in
                                                  ["python", f"benchmarks/{script}", *args]),
            "seconds": round(seconds, 1), "status": status, "wrote": wrote}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=HERE / "out" / "small",
                   help="folder for the tables and plots (default benchmarks/out/small)")
    p.add_argument("--only", nargs="+", default=None, metavar="SCRIPT",
                   help="run only these scripts (names with or without .py)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    args = p.parse_args(argv)
    selected = list(RUNS)
    if args.only is not None:
        wanted = {s if s.endswith(".py") else s + ".py" for s in args.only}
        unknown = sorted(wanted - set(RUNS))
        if unknown:
            p.error(f"--only: unknown benchmark(s) {', '.join(unknown)}; "
                    f"expected some of {', '.join(RUNS)}")
        selected = [s for s in RUNS if s in wanted]
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    header("every benchmark at a small size")
    records = []
    for script in selected:
        for run_args in RUNS[script]:
            print(f"\n## {script} {' '.join(run_args)}", flush=True)
            records.append(run_one(script, run_args, out, args.timeout))
    print(f"\n# outputs under {out}")
    print_table([{**r, "wrote": ", ".join(r["wrote"]) or "-"} for r in records],
                ["command", "seconds", "status", "wrote"])
    summary = out / "run_all.json"
    tmp = summary.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"command": command_line(), "out": str(out), "runs": records},
                              indent=1))
    tmp.replace(summary)
    print(f"# summary: {summary}")
    return 0 if all(r["status"] == "ok" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
