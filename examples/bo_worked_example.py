"""The worked example of docs/engine.md: a 3-variable BO, its lift, solution and decoding.

    python examples/bo_worked_example.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from lptrain.bo import BinaryProblem, assemble, brute_force, lift_spec, solve
from lptrain.solver import solve_lp, write_mps


def build() -> BinaryProblem:
    """min -x0 - 1.5 x1 - 2 y0  s.t.  x0 + x1 <= 1,  y0 = x1 xor x2,  x binary."""
    problem = BinaryProblem(3)
    problem.add_constraint((0, 1), lambda z: z[:, 0] + z[:, 1] <= 1)
    problem.add_output((1, 2), lambda z: (z[:, 0] != z[:, 1]).astype(float), weight=-2.0)
    problem.set_linear_cost([-1.0, -1.5, 0.0])
    return problem


def main() -> None:
    problem = build()
    spec, td = lift_spec(problem)
    print("bags:", td.bags, "tree edges:", td.edges.tolist(), "width:", td.width)
    for t, block in enumerate(spec.blocks):
        print(f"F_{t} (variables {block.variables[0].tolist()}):", block.table.tolist())
    lifted = assemble(spec)
    lp = lifted.lp
    print("objective c:", lp.c.tolist())
    print("A =")
    print(lp.A.toarray().astype(int))
    print("rows:", lp.row_lower.tolist())
    print("size:", lifted.size, "bound:", lifted.bound)
    solution = solve_lp(lp)
    print("LP optimum:", solution.objective, "lambda, X:", (np.round(solution.x, 6) + 0.0).tolist())
    result = solve(problem)
    print("decoded x:", result.x.tolist(), "y:", result.y.tolist(), "objective:", result.objective)
    print("certificate:", result.certificate)
    print("dp:", solve(problem, "dp").objective, "brute force:", brute_force(problem)[2])
    with tempfile.TemporaryDirectory() as tmp:
        path = write_mps(lp, Path(tmp) / "worked_example.mps")
        lines = len(path.read_text().splitlines())
        print(f"MPS export: {path.stat().st_size} bytes, {lines} lines")


if __name__ == "__main__":
    main()
