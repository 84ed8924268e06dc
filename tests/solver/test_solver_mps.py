"""MPS export: SCIP reads the file back and finds the same optimum as HiGHS."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.sparse as sp

from lptrain.bo import lift
from lptrain.bo.instances import make_instance, random_problem
from lptrain.solver import LinearProgram, solve_lp, write_mps

pyscipopt = pytest.importorskip("pyscipopt")


def _scip_optimum(path) -> float:
    model = pyscipopt.Model()
    model.hideOutput()
    model.readProblem(str(path))
    model.optimize()
    assert model.getStatus() == "optimal"
    return float(model.getObjVal())


def _every_kind_of_row_and_bound(seed: int, sense: str) -> LinearProgram:
    rng = np.random.default_rng(seed)
    n, m = 12, 9
    A = sp.random(m, n, density=0.5, random_state=seed, format="csc")
    A.data = np.round(rng.normal(size=A.nnz), 3)
    x0 = rng.uniform(-1, 1, size=n)
    act = A @ x0
    kinds = np.arange(m) % 5  # equality, >=, <=, ranged, free
    lo = np.select(
        [kinds == 0, kinds == 1, kinds == 2, kinds == 3], [act, act - 1, -np.inf, act - 1], -np.inf
    )
    up = np.select(
        [kinds == 0, kinds == 1, kinds == 2, kinds == 3], [act, np.inf, act + 1, act + 2], np.inf
    )
    ck = np.arange(n) % 6  # [0,inf), [l,u], free, (-inf,u], fixed, [l,inf) with l<0
    cl = np.select(
        [ck == 0, ck == 1, ck == 2, ck == 3, ck == 4, ck == 5],
        [0.0, -2.0, -np.inf, -np.inf, x0, -1.5],
    )
    cu = np.select(
        [ck == 0, ck == 1, ck == 2, ck == 3, ck == 4, ck == 5],
        [np.inf, 2.0, np.inf, 1.0, x0, np.inf],
    )
    # keep the LP bounded: objective pushes free directions against finite bounds via rows
    c = np.where((ck == 2) | (ck == 3) | (ck == 0) | (ck == 5), 0.0, rng.normal(size=n))
    return LinearProgram(
        c=c,
        A=A,
        row_lower=lo,
        row_upper=up,
        col_lower=np.minimum(cl, x0),
        col_upper=np.maximum(cu, x0),
        offset=1.25,
        sense=sense,
    )


@pytest.mark.parametrize("sense", ["min", "max"])
@pytest.mark.parametrize("seed", range(3))
def test_scip_reads_back_the_same_optimum(tmp_path, seed, sense):
    lp = _every_kind_of_row_and_bound(seed, sense)
    path = write_mps(lp, tmp_path / "lp.mps")
    assert _scip_optimum(path) == pytest.approx(solve_lp(lp).objective, abs=1e-6)


@pytest.mark.parametrize("outputs", ["attach", "leaf"])
def test_lifted_bo_lp_round_trips(tmp_path, outputs):
    lifted = lift(
        random_problem(4, n_vars=10, n_constraints=3, n_outputs=4, feasible_fraction=0.9),
        outputs=outputs,
    )
    path = write_mps(lifted.lp, tmp_path / "bo.mps")
    assert _scip_optimum(path) == pytest.approx(solve_lp(lifted.lp).objective, abs=1e-7)


def test_structured_lift_round_trips(tmp_path):
    lp = lift(make_instance("maxcut-grid", "3x10", seed=1)).lp
    path = write_mps(lp, tmp_path / "grid.mps")
    assert _scip_optimum(path) == pytest.approx(solve_lp(lp).objective, abs=1e-7)


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path):
    lp = _every_kind_of_row_and_bound(0, "min")
    write_mps(lp, tmp_path / "a.mps")
    write_mps(lp, tmp_path / "a.mps")  # overwrite in place
    assert sorted(os.listdir(tmp_path)) == ["a.mps"]
    with pytest.raises(FileNotFoundError):
        write_mps(lp, tmp_path / "missing" / "a.mps")
    assert sorted(os.listdir(tmp_path)) == ["a.mps"]
