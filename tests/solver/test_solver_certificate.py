"""Certificates: exact and rigorous-float dual bounds, bogus solutions, Farkas rays."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from lptrain.bo import lift
from lptrain.bo.instances import make_instance
from lptrain.errors import CertificateError
from lptrain.solver import (
    InfeasibleLPError,
    LinearProgram,
    certify,
    dual_bound,
    solve_lp,
    verify_farkas,
)
from lptrain.solver.certificate import _exact_lower


def _random_lp(seed: int, n: int = 30, m: int = 20, free: bool = False) -> LinearProgram:
    rng = np.random.default_rng(seed)
    A = sp.random(m, n, density=0.3, random_state=seed, format="csc")
    A.data = rng.normal(size=A.nnz)
    x0 = rng.random(n)
    act = A @ x0
    lower = np.where(rng.random(m) < 0.3, act, act - rng.random(m))
    upper = np.where(rng.random(m) < 0.3, np.inf, act + rng.random(m))
    col_lower = np.where(free & (rng.random(n) < 0.3), -np.inf, -1.0) if free else np.zeros(n)
    return LinearProgram(
        c=rng.normal(size=n),
        A=A,
        row_lower=np.minimum(lower, act),
        row_upper=upper,
        col_lower=col_lower,
        col_upper=np.full(n, 3.0),
        offset=float(rng.normal()),
    )


@pytest.mark.parametrize("seed", range(8))
def test_exact_and_float_bounds_are_valid_and_tight(seed):
    lp = _random_lp(seed)
    sol = solve_lp(lp)
    exact, rigorous = certify(lp, sol, exact=True), certify(lp, sol, exact=False)
    assert exact.exact and not rigorous.exact
    assert rigorous.dual_bound <= exact.dual_bound
    assert exact.dual_bound <= sol.objective + 1e-9
    assert exact.gap <= 1e-7 and rigorous.gap <= 1e-7
    assert exact.row_residual <= 1e-9 and exact.bound_residual <= 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_free_columns_give_a_valid_possibly_infinite_bound(seed):
    # A basic free column has r = 0 only up to rounding; its sign is unknown, so the bound
    # may be -inf (sound); it is never above the optimum.
    lp = _random_lp(seed, free=True)
    sol = solve_lp(lp)
    for exact in (True, False):
        cert = certify(lp, sol, exact=exact)
        assert cert.dual_bound <= sol.objective + 1e-9
        assert cert.dual_bound == -math.inf or cert.gap <= 1e-7


def test_exact_bound_is_the_exact_rational_value():
    # min x0 + x1 s.t. 3 x0 + x1 >= 1, x in [0, 1]: with y = 1/3, LB = 1/3 exactly in
    # rationals; the float 1/3 is a dyadic rational just below or above it.
    lp = LinearProgram(
        c=[1.0, 1.0],
        A=[[3.0, 1.0]],
        row_lower=[1.0],
        row_upper=[np.inf],
        col_lower=[0.0, 0.0],
        col_upper=[1.0, 1.0],
    )
    y = np.array([1.0 / 3.0])
    value = _exact_lower(lp, lp.c, 0.0, y)
    r0, r1 = Fraction(1) - 3 * Fraction(y[0]), Fraction(1) - Fraction(y[0])
    expected = Fraction(y[0]) + min(r0 * 0, r0 * 1) + min(r1 * 0, r1 * 1)
    assert value == expected
    assert dual_bound(lp, y, exact=True) <= float(expected)


def test_perturbed_duals_give_a_lower_still_valid_bound():
    lp = lift(make_instance("maxcut-grid", "3x8", seed=3)).lp
    sol = solve_lp(lp)
    rng = np.random.default_rng(0)
    best = certify(lp, sol).dual_bound
    for scale in (1e-6, 1e-3, 1e-1):
        y = sol.row_duals + scale * rng.normal(size=lp.n_rows)
        for exact in (True, False):
            bound = dual_bound(lp, y, exact=exact)
            assert math.isfinite(bound)  # lambda and X lie in [0, 1], so it stays finite
            assert bound <= sol.objective + 1e-9
            assert bound < best


def test_bogus_solution_is_reported_and_rejected():
    lp = _random_lp(1)
    sol = solve_lp(lp)
    bogus = replace(sol, x=sol.x + 0.5)
    cert = certify(lp, bogus)
    assert cert.row_residual > 0.1 or cert.bound_residual > 0.1
    assert not cert.holds()
    with pytest.raises(CertificateError, match=r"^LP solution not certified at tol=1e-06"):
        cert.check()
    zero_duals = replace(sol, row_duals=np.zeros(lp.n_rows))
    weak = certify(lp, zero_duals)
    assert weak.dual_bound < sol.objective - 1e-3 and weak.gap > 1e-3
    with pytest.raises(CertificateError, match=r"gap"):
        weak.check()


def test_infinite_bound_in_the_wrong_direction_gives_minus_infinity():
    lp = LinearProgram(
        c=[1.0, 1.0],
        A=[[1.0, 1.0]],
        row_lower=[1.0],
        row_upper=[1.0],
        col_lower=[0.0, 0.0],
        col_upper=[np.inf, np.inf],
    )
    assert dual_bound(lp, [1.0], exact=True) == 1.0
    for exact in (True, False):
        assert dual_bound(lp, [2.0], exact=exact) == -math.inf  # r = -1 against x <= inf
        assert dual_bound(lp, [-1.0], exact=exact) == -1.0 or not exact  # r = 2 >= 0
    free_row = LinearProgram(
        c=[1.0],
        A=[[1.0]],
        row_lower=[-np.inf],
        row_upper=[np.inf],
        col_lower=[0.0],
        col_upper=[1.0],
    )
    assert dual_bound(free_row, [1.0], exact=True) == -math.inf
    assert dual_bound(free_row, [0.0], exact=True) == 0.0


def test_float_bound_accounts_for_rounding():
    lp = LinearProgram(
        c=[1.0, 1.0],
        A=[[1.0, 1.0]],
        row_lower=[1.0],
        row_upper=[1.0],
        col_lower=[0.0, 0.0],
        col_upper=[5.0, 5.0],
    )
    bound = dual_bound(lp, [1.0], exact=False)
    assert bound < 1.0 and bound > 1.0 - 1e-12  # the optimum 1 is never overstated
    assert dual_bound(lp, [1.0], exact=True) == 1.0
    # r = 0 up to rounding, and the interval around it meets an infinite bound: -inf
    unbounded = replace(lp, col_upper=np.array([np.inf, np.inf]))
    assert dual_bound(unbounded, [1.0], exact=False) == -math.inf
    assert dual_bound(unbounded, [1.0], exact=True) == 1.0  # exactly r = 0


def test_maximization_bound_is_an_upper_bound():
    lp = LinearProgram(
        c=[1.0, 2.0],
        A=[[1.0, 1.0]],
        row_lower=[-np.inf],
        row_upper=[1.5],
        col_lower=[0.0, 0.0],
        col_upper=[1.0, 1.0],
        sense="max",
    )
    sol = solve_lp(lp)
    cert = certify(lp, sol)
    assert sol.objective == 2.5 and cert.dual_bound >= 2.5 and cert.gap <= 1e-12
    assert certify(lp, sol, exact=False).dual_bound >= 2.5


def test_farkas_ray_checked_without_the_solver():
    lp = LinearProgram(
        c=[1.0, 1.0, 0.0],
        A=[[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]],
        row_lower=[3.0, -np.inf],
        row_upper=[np.inf, 0.5],
        col_lower=[0.0, 0.0, 0.0],
        col_upper=[1.0, 5.0, 1.0],
    )
    with pytest.raises(InfeasibleLPError) as info:
        solve_lp(lp)
    ray = info.value.farkas_ray
    assert ray is not None and info.value.farkas_verified
    for exact in (True, False):
        assert verify_farkas(lp, ray, exact=exact)
        assert verify_farkas(lp, -ray, exact=exact)  # either sign is accepted
        assert not verify_farkas(lp, np.zeros(2), exact=exact)
    feasible = replace(lp, row_lower=np.array([1.0, -np.inf]))
    assert not verify_farkas(feasible, ray)
