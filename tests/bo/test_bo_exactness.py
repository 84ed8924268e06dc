"""Exactness of the lift (Theorem 2.8): "lp", "dp" and brute force agree on random instances."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.bo import brute_force, lift, lp_size, solve
from lptrain.bo.instances import random_problem
from lptrain.errors import InfeasibleError

N_SEEDS = 200
CHUNK = 20


def _outcome(fn):
    try:
        return fn()
    except InfeasibleError:
        return None


def _random(seed: int, levels: int = 2):
    rng = np.random.default_rng(10_000 + seed)
    max_vars = 16 if levels == 2 else 8
    return random_problem(
        seed,
        n_vars=int(rng.integers(2, max_vars + 1)),
        n_constraints=int(rng.integers(0, 7)),
        n_outputs=int(rng.integers(0, 6)),
        feasible_fraction=float(rng.uniform(0.35, 0.9)),
        levels=levels,
    )


def _agree(problem, **kwargs) -> bool:
    """Solve by lp, dp and brute force; assert agreement; return feasibility."""
    truth = _outcome(lambda: brute_force(problem))
    results = {m: _outcome(lambda m=m: solve(problem, m, **kwargs)) for m in ("lp", "dp")}
    for method, res in results.items():
        if truth is None:
            assert res is None, f"{method} found a point of an infeasible problem"
            continue
        assert res is not None, f"{method} says infeasible, brute force found {truth[2]}"
        assert abs(res.objective - truth[2]) <= 1e-9, (method, res.objective, truth[2])
        res.check(problem)  # decoded x is feasible and its objective is recomputed
        assert res.lp_size.within(res.bound), (res.lp_size, res.bound)
    if truth is not None:
        cert = results["lp"].certificate
        assert cert is not None and cert.exact
        assert cert.dual_bound <= truth[2] + 1e-12
        assert abs(results["lp"].dual_bound - truth[2]) <= 1e-9
    return truth is not None


@pytest.mark.parametrize("start", range(0, N_SEEDS, CHUNK))
def test_lp_dp_bruteforce_agree_binary(start):
    feasible = [_agree(_random(seed)) for seed in range(start, start + CHUNK)]
    assert any(feasible)


def test_random_suite_contains_infeasible_instances():
    infeasible = sum(_outcome(lambda s=s: brute_force(_random(s))) is None for s in range(N_SEEDS))
    assert 10 <= infeasible <= N_SEEDS - 100


@pytest.mark.parametrize("seed", range(40))
def test_leaf_outputs_agree_with_bruteforce(seed):
    _agree(_random(seed), outputs="leaf")


@pytest.mark.parametrize("seed", range(40))
def test_three_level_variables_agree_with_bruteforce(seed):
    _agree(_random(seed, levels=3))


@pytest.mark.parametrize("seed", range(10))
def test_built_size_matches_formula_and_bound(seed):
    problem = _random(seed)
    for outputs in ("attach", "leaf"):
        lifted = lift(problem, outputs=outputs)
        assert lifted.size == lp_size(lifted.spec)
        assert lifted.size.within(lifted.bound)
        # the bound uses bits per bag = width + 1 for binary variables
        assert lifted.bound.bits == lifted.spec.width + 1


def test_leaf_mode_adds_one_bag_per_output():
    problem = random_problem(3, n_vars=8, n_constraints=2, n_outputs=5)
    attach, leaf = lift(problem), lift(problem, outputs="leaf")
    assert leaf.spec.n_bags == attach.spec.n_bags + 5
    assert attach.size.variables < leaf.size.variables
