"""What "verified" costs for a polytope read from a file (issue 9 item 4).

A polytope file's loss table is never trusted: loading re-evaluates random entries
(``verify="sample"``, the default) and each HiGHS face solve recomputes every cost of the
face with the numpy reference evaluator before its answer may be called verified;
``verify="full"`` recomputes the whole table on load instead. For each problem this prints
the medians of: the build's evaluation pass (numpy backend), a load with random spot
checks only, a load with the full recomputation (the default) and the recomputation alone
with its share of that load, a HiGHS face solve on the loaded polytope (including its face
check) and the face check alone with its share of the solve.

    python benchmarks/bench_polytope_verify.py [--repeat 3] [--samples 10] [--small]

``--small`` measures the first three problems only (seconds; ``benchmarks/run_all.py``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import command_line, header, print_table

from lptrain.erm import ERMPolytope
from lptrain.erm.certificate import check_face_table
from lptrain.nn import parse_arch

PROBLEMS = (("1-1", 3), ("1-1", 4), ("2-1", 2), ("2-1", 3), ("1-1-1", 2), ("1-1-1", 3))


def _median(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def measure(arch: str, bits: int, samples: int, repeat: int, folder: Path) -> dict:
    net = parse_arch(arch)
    poly = ERMPolytope.build(net, "abs", samples=samples, bits=bits, backend="numpy")
    evaluation = statistics.median(
        ERMPolytope.build(net, "abs", samples=samples, bits=bits,
                          backend="numpy").build_seconds["evaluation"]
        for _ in range(repeat))
    path = poly.save(folder / f"{arch}-{bits}.npz")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (samples, net.n))
    Y = rng.uniform(-1, 1, (samples, net.m))
    t_sample, _ = _median(lambda: ERMPolytope.load(path, verify="sample"), repeat)
    t_full, loaded = _median(lambda: ERMPolytope.load(path), repeat)  # verify="full"
    checks = [ERMPolytope.load(path).build_seconds["table_check"] for _ in range(repeat)]
    face = loaded.face(X, Y)  # type: ignore[attr-defined]
    t_solve, sol = _median(lambda: face.solve("highs"), repeat)
    t_check, _ = _median(lambda: check_face_table(face), repeat)
    assert sol.certificate.verified  # type: ignore[attr-defined]
    full_check = statistics.median(checks)
    return {"arch": arch, "bits": bits, "D": samples, "table": poly.loss_table.size,
            "face costs": np.unique(face.point_rows).size * poly.sizes.phi_grid,
            "eval pass s": evaluation, "load sample s": t_sample, "load full s": t_full,
            "full check s": full_check, "check/load": full_check / t_full,
            "highs solve s": t_solve, "face check s": t_check, "face/solve": t_check / t_solve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--small", action="store_true", help="the first three problems only")
    args = parser.parse_args()
    header("polytope files: the cost of recomputing instead of trusting the table")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(a, b, args.samples, args.repeat, Path(tmp)) for a, b in
                (PROBLEMS[:3] if args.small else PROBLEMS)]
    print_table(rows)
    print(f"# {command_line()}")


if __name__ == "__main__":
    main()
