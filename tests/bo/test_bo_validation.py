"""Malformed problems: every error names the constraint/output and what was wrong."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.bo import BinaryProblem, lift, solve
from lptrain.errors import InvalidInputError, TooLargeError


def _ok(z):
    return np.ones(z.shape[0], dtype=bool)


def _val(z):
    return z[:, 0].astype(float)


@pytest.mark.parametrize(
    ("support", "message"),
    [
        (
            (0, 5),
            r"^constraint 0: support index 5 is out of range; variables are 0\.\.3 \(n_vars=4\)$",
        ),
        ((-1, 2), r"^constraint 0: support index -1 is out of range"),
        ((1, 2, 1), r"^constraint 0: support lists variable 1 more than once$"),
        ((), r"^constraint 0: support must be a non-empty sequence of variable indices; got \(\)$"),
        ((0.5, 1), r"^constraint 0: support must be a non-empty sequence of variable indices"),
        ([[0, 1]], r"^constraint 0: support must be a non-empty sequence"),
    ],
)
def test_bad_constraint_support(support, message):
    with pytest.raises(InvalidInputError, match=message):
        BinaryProblem(4).add_constraint(support, _ok)


def test_bad_output_support_names_the_output():
    bp = BinaryProblem(3)
    bp.add_output((0,), _val)
    with pytest.raises(InvalidInputError, match=r"^output 1: support index 3 is out of range"):
        bp.add_output((0, 3), _val)


def test_nan_weight():
    with pytest.raises(InvalidInputError, match=r"^output 0: weight must be a finite number"):
        BinaryProblem(2).add_output((0,), _val, weight=float("nan"))


def test_non_callable_oracle():
    with pytest.raises(InvalidInputError, match=r"^constraint 0: fn must be callable; got 3$"):
        BinaryProblem(2).add_constraint((0,), 3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ([1.0, 2.0], r"^c must have shape \(3\); got \(2,\)$"),
        ([1.0, np.nan, 0.0], r"^c contains NaN in entry 1$"),
        ([1.0, np.inf, 0.0], r"^c contains inf in entry 1$"),
    ],
)
def test_bad_linear_cost(cost, message):
    with pytest.raises(InvalidInputError, match=message):
        BinaryProblem(3).set_linear_cost(cost)


@pytest.mark.parametrize(
    ("n_vars", "levels", "message"),
    [
        (0, 2, r"^n_vars must be an integer in \[1, inf\]; got 0$"),
        (3, 0, r"^levels must be positive integers"),
        (3, [2, 2], r"^levels must be positive integers \(one or 3\); got \[2, 2\]$"),
    ],
)
def test_bad_problem_size(n_vars, levels, message):
    with pytest.raises(InvalidInputError, match=message):
        BinaryProblem(n_vars, levels)


@pytest.mark.parametrize(
    ("kind", "fn", "message"),
    [
        (
            "constraint",
            lambda z: np.ones((z.shape[0], 1), dtype=bool),
            r"^constraint 0 \(support \(0, 1\)\): oracle returned shape \(4, 1\) for a batch of 4 "
            r"assignments; expected \(4,\), one value per row$",
        ),
        (
            "constraint",
            lambda z: np.ones(z.shape[0] - 1, dtype=bool),
            r"oracle returned shape \(3,\) for a batch of 4",
        ),
        (
            "constraint",
            lambda z: z.sum(axis=1),
            r"^constraint 0 \(support \(0, 1\)\): oracle returned dtype int64; expected bool",
        ),
        (
            "output",
            lambda z: np.where(z[:, 0] == 1, np.nan, 0.0),
            r"^output 0 \(support \(0, 1\)\): oracle returned NaN for assignment \[1, 0\]$",
        ),
        (
            "output",
            lambda z: np.where(z[:, 1] == 1, np.inf, 0.0),
            r"^output 0 \(support \(0, 1\)\): oracle returned inf for assignment \[0, 1\]$",
        ),
        (
            "output",
            lambda z: np.array(["a"] * z.shape[0]),
            r"^output 0 \(support \(0, 1\)\): oracle returned dtype <U1; expected a real number",
        ),
        (
            "output",
            lambda z: 1.0 / 0.0,
            r"^output 0 \(support \(0, 1\)\): oracle raised ZeroDivisionError",
        ),
    ],
)
def test_bad_oracle_answers_are_caught_when_tabulated(kind, fn, message):
    bp = BinaryProblem(3)
    (bp.add_constraint if kind == "constraint" else bp.add_output)((0, 1), fn)
    with pytest.raises(InvalidInputError, match=message):
        lift(bp)


def test_oracles_are_called_on_batches_only():
    calls = []

    def oracle(z):
        calls.append(z.shape)
        return z[:, 0] <= z[:, 1]

    bp = BinaryProblem(3)
    bp.add_constraint((0, 1), oracle)
    bp.add_constraint((1, 2), oracle)
    solve(bp)
    assert calls == [(4, 2), (4, 2)]


def test_bad_method_and_outputs_mode():
    bp = BinaryProblem(2)
    with pytest.raises(InvalidInputError, match=r"^method must be one of 'lp', 'dp'; got 'mip'$"):
        solve(bp, "mip")
    with pytest.raises(InvalidInputError, match=r"^outputs must be one of 'attach', 'leaf'"):
        solve(bp, outputs="node")


def test_support_too_large_to_tabulate_is_refused_before_allocating():
    bp = BinaryProblem(30)
    bp.add_constraint(tuple(range(23)), _ok)
    with pytest.raises(TooLargeError, match=r"^8388608 assignments of 23 variables exceed"):
        bp.tabulate()
