"""The HiGHS door: statuses, errors, sessions with warm re-solves, silence."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from lp_zoo import small_lp

from lptrain.errors import InfeasibleError, InvalidInputError, TimeLimitError, UnboundedError
from lptrain.solver import HighsSession, InfeasibleLPError, LinearProgram, LPStatus, solve_lp

_small = small_lp


def _random_lp(seed: int, n: int = 40, m: int = 25) -> LinearProgram:
    rng = np.random.default_rng(seed)
    A = sp.random(m, n, density=0.2, random_state=seed, format="csc")
    x0 = rng.random(n)
    act = A @ x0
    return LinearProgram(
        c=rng.normal(size=n),
        A=A,
        row_lower=act - rng.random(m),
        row_upper=act + rng.random(m),
        col_lower=np.zeros(n),
        col_upper=np.ones(n) * 2,
    )


def test_optimal_solution_and_duals():
    sol = solve_lp(_small(offset=1.5))
    assert sol.status is LPStatus.OPTIMAL
    assert sol.x.tolist() == [0.75, 0.25] and sol.objective == 1.25 + 1.5
    A = _small().A.toarray()
    np.testing.assert_allclose(np.array([1.0, 2.0]) - A.T @ sol.row_duals, sol.reduced_costs)


def test_maximization_sense():
    lp = _small(sense="max", c=[-1.0, -2.0])
    sol = solve_lp(lp)
    assert sol.objective == -1.25
    np.testing.assert_allclose(lp.c - lp.A.T @ sol.row_duals, sol.reduced_costs, atol=1e-12)


def test_infeasible_raises_with_verified_farkas_ray():
    lp = _small(row_lower=[25.0, -np.inf])
    with pytest.raises(
        InfeasibleLPError, match=r"^the LP is infeasible \(HiGHS; Farkas ray verified"
    ) as info:
        solve_lp(lp)
    assert isinstance(info.value, InfeasibleError) and info.value.farkas_verified


def test_unbounded_raises():
    lp = _small(c=[-1.0, 0.0], col_upper=[np.inf, np.inf])
    with pytest.raises(UnboundedError, match=r"^the LP is unbounded"):
        solve_lp(lp)


def test_unbounded_without_presolve():
    lp = _small(c=[-1.0, 0.0], col_upper=[np.inf, np.inf])
    with pytest.raises(UnboundedError):
        solve_lp(lp, presolve=False)


def test_time_limit_raises():
    lp = _random_lp(0, n=400, m=300)
    with pytest.raises(TimeLimitError, match=r"time limit"):
        solve_lp(lp, time_limit=0.0, presolve=False)


def test_rejected_option_and_bad_time_limit():
    with pytest.raises(InvalidInputError, match=r"^HiGHS rejected option no_such_option=1"):
        solve_lp(_small(), options={"no_such_option": 1})
    with pytest.raises(InvalidInputError, match=r"^time_limit must be a finite number"):
        solve_lp(_small(), time_limit=-1.0)


@pytest.mark.parametrize("seed", range(5))
def test_session_warm_resolve_matches_fresh_solve(seed):
    lp = _random_lp(seed)
    rng = np.random.default_rng(seed)
    with HighsSession(lp) as session:
        session.solve()
        for _ in range(3):
            idx = rng.choice(lp.n_cols, size=8, replace=False)
            session.set_col_bounds(idx, 0.0, rng.random(8))
            current = session.lp
            try:
                warm = session.solve().objective
            except InfeasibleError:
                with pytest.raises(InfeasibleError):
                    solve_lp(current)
                continue
            assert warm == pytest.approx(solve_lp(current).objective, abs=1e-7)


def test_session_rejects_bad_bounds():
    with HighsSession(_small()) as session:
        with pytest.raises(InvalidInputError, match=r"^indices must lie in \[0, 2\)"):
            session.set_col_bounds([2], 0.0, 1.0)
        with pytest.raises(InvalidInputError, match=r"lower bound above its upper bound"):
            session.set_col_bounds([0], 1.0, 0.0)


def test_highs_prints_nothing(capfd):
    solve_lp(_small())
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_empty_lp():
    lp = LinearProgram(
        c=np.zeros(0),
        A=sp.csc_matrix((0, 0)),
        row_lower=[],
        row_upper=[],
        col_lower=[],
        col_upper=[],
        offset=3.0,
    )
    assert solve_lp(lp).objective == 3.0
