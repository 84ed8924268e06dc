"""Max-cut on a 3 x k grid, solved exactly by the LP of Theorem 2.8 and by min-sum DP.

    python examples/bo_maxcut_grid.py [k]
"""

from __future__ import annotations

import sys

from lptrain.bo import solve
from lptrain.bo.instances import make_instance


def main(k: int = 50) -> None:
    problem = make_instance("maxcut-grid", f"3x{k}", seed=0)
    lp = solve(problem, "lp").check(problem)
    dp = solve(problem, "dp").check(problem)
    print(f"3 x {k} grid: {problem.n_vars} variables, width {lp.width}, {lp.n_bags} bags")
    print(f"LP: {lp.lp_size}  <=  bound {lp.bound}")
    print(f"max cut weight {-lp.objective:g} (dp: {-dp.objective:g}); certified gap {lp.gap:.2g}, "
          f"exact arithmetic: {lp.certificate.exact if lp.certificate else None}")
    print(f"times: lp build {lp.build_seconds:.3f} s + solve {lp.solve_seconds:.3f} s; "
          f"dp build {dp.build_seconds:.3f} s + solve {dp.solve_seconds:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
