"""Structured instances at a few hundred variables, and small ones against brute force."""

from __future__ import annotations

import pytest

from lptrain.bo import brute_force, solve
from lptrain.bo.instances import INSTANCES, make_instance

_WIDTH = {"path": 1, "cycle": 2, "grid": 3, "ktree": 3}
_LARGE = {"path": "300", "cycle": "300", "grid": "3x100", "ktree": "300k3"}
_SMALL = {"path": "14", "cycle": "14", "grid": "3x5", "ktree": "14k3"}


@pytest.mark.parametrize("name", INSTANCES)
def test_structured_instance_at_a_few_hundred_variables(name):
    kind = name.split("-")[1]
    problem = make_instance(name, _LARGE[kind], seed=1)
    lp, dp = solve(problem, "lp"), solve(problem, "dp")
    assert problem.n_vars == 300
    assert abs(lp.objective - dp.objective) <= 1e-9
    assert lp.gap is not None and lp.gap <= 1e-9
    assert lp.width <= _WIDTH[kind] and lp.lp_size.within(lp.bound)
    assert lp.lp_size == dp.lp_size
    lp.check(problem)


@pytest.mark.parametrize("name", INSTANCES)
def test_small_structured_instance_against_brute_force(name):
    kind = name.split("-")[1]
    problem = make_instance(name, _SMALL[kind], seed=2)
    truth = brute_force(problem)[2]
    for method in ("lp", "dp"):
        for outputs in ("attach", "leaf"):
            assert abs(solve(problem, method, outputs=outputs).objective - truth) <= 1e-9
