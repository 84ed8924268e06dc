"""LiftSpec: validation, the column/row layout contract, blocks of many bags (ERM-like)."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.bo import (
    BagBlock,
    EdgeBlock,
    LiftSpec,
    OutputBlock,
    assemble,
    assignments,
    lp_size,
    min_sum,
    mixed_radix_codes,
    solve_spec,
)
from lptrain.bo._tree import rooted_forest
from lptrain.errors import InfeasibleError, InvalidInputError
from lptrain.solver import InfeasibleLPError


def _erm_like(D: int, K: int = 4, Kd: int = 3, seed: int = 0, data=None):
    """A path of D bags (data_d, phi0, phi1), one shared table with phi fastest, glued on
    phi, one output per bag (a loss per row) with weight 1/D -- the §4 polytope's shape."""
    levels = np.array([K, K] + [Kd] * D)
    table = assignments([Kd, K, K])
    variables = np.column_stack([2 + np.arange(D), np.zeros(D, int), np.ones(D, int)])
    loss = np.random.default_rng(seed).random(table.shape[0])
    pairs = np.column_stack([np.arange(D - 1), np.arange(1, D)])
    block = BagBlock(table, variables)
    spec = LiftSpec(
        levels=levels,
        blocks=(block,),
        edges=(EdgeBlock((0, 0), pairs, [[1, 2], [1, 2]]),),
        outputs=(OutputBlock(0, np.arange(D), np.arange(D), loss, np.full(D, 1 / D)),),
        n_outputs=D,
    )
    return spec, loss.reshape(Kd, K * K)


def test_erm_like_path_lp_dp_and_closed_form_agree():
    spec, loss = _erm_like(50)
    expected = loss.min(axis=0).min()  # every bag picks its best data value; phi shared
    lp, dp = solve_spec(spec, "lp"), min_sum(spec)
    assert abs(lp.objective - expected) < 1e-12 and abs(dp.objective - expected) < 1e-12
    assert np.all(lp.x[:2] == dp.x[:2])
    assert lp.lp_size.within(lp.bound)


def test_equal_separator_chain_is_collapsed_to_one_group():
    spec, _ = _erm_like(300)
    forest = rooted_forest(spec)
    assert [g.depth for g in forest.groups] == [1]
    assert forest.groups[0].child_bags.size == 299


def test_layout_contract_lambda_and_x_columns():
    D, K, Kd = 7, 4, 3
    spec, loss = _erm_like(D, K, Kd)
    lifted = assemble(spec)
    R, M = Kd * K * K, K * K
    assert lifted.lambda_offsets.tolist() == [0, D * R]
    assert lifted.x_offsets.tolist() == [D * R, D * R + (D - 1) * M]
    c = lifted.lp.c
    for g, r in [(0, 0), (3, 17), (D - 1, R - 1)]:
        assert c[lifted.lambda_offsets[0] + g * R + r] == pytest.approx(loss.ravel()[r] / D)
    A = lifted.lp.A.tocsr()
    # X of edge e, code a sits in the marginal rows (2e + s) * M + a of both sides
    e, a = 2, 5
    col = lifted.x_offsets[0] + e * M + a
    rows = sorted(A[:, col].nonzero()[0].tolist())
    base = lifted.marginal_offsets[0]
    assert rows == [base + 2 * e * M + a, base + (2 * e + 1) * M + a]
    # the lambda of bag e+1 with phi code a in row (2e+1)*M + a, with coefficient -1
    lam_rows = A[base + (2 * e + 1) * M + a].nonzero()[1]
    lam = lam_rows[lam_rows < lifted.x_offsets[0]]
    assert set(((lam - (e + 1) * R) % M).tolist()) == {a}  # phi is fastest: row % M = code
    assert lifted.size == lp_size(spec)


def test_empty_table_is_infeasible_for_both_methods():
    block = BagBlock(np.zeros((0, 2), dtype=int), [[0, 1]])
    spec = LiftSpec(levels=[2, 2], blocks=(block,))
    for method in ("lp", "dp"):
        with pytest.raises(
            InfeasibleError, match=r"bag 0 \(variables \[0, 1\]\) has no assignment"
        ):
            solve_spec(spec, method)
    with pytest.raises(InfeasibleError):
        min_sum(spec)


def test_inconsistent_marginals_are_infeasible_for_both_methods():
    left = BagBlock([[0, 0]], [[0, 1]])
    right = BagBlock([[1, 1]], [[1, 2]])
    spec = LiftSpec(
        levels=[2, 2, 2], blocks=(left, right), edges=(EdgeBlock((0, 1), [[0, 0]], [[1], [0]]),)
    )
    with pytest.raises(InfeasibleLPError, match=r"Farkas ray verified independently") as info:
        solve_spec(spec, "lp")
    assert info.value.farkas_verified and info.value.farkas_ray is not None
    with pytest.raises(InfeasibleError, match=r"min-sum message passing finds no assignment"):
        solve_spec(spec, "dp")


def test_forest_of_two_components():
    a = BagBlock(assignments([2, 2]), [[0, 1]], cost=[0.0, -1.0, 2.0, 0.5])
    b = BagBlock(assignments([2]), [[2]], cost=[0.0, -2.0])
    spec = LiftSpec(levels=[2, 2, 2], blocks=(a, b))
    for method in ("lp", "dp"):
        res = solve_spec(spec, method)
        assert res.objective == -3.0 and res.x.tolist() == [0, 1, 1]


def test_mixed_radix_codes_match_assignment_order():
    rad = np.array([3, 2, 4])
    rows = assignments(rad)
    assert mixed_radix_codes(rows, rad).tolist() == list(range(24))


_T = assignments([2, 2])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: LiftSpec(levels=[2, 2], blocks=(BagBlock(_T, [[0, 2]]),)),
            r"^BagBlock 0: variable ids must lie in \[0, 2\)",
        ),
        (
            lambda: LiftSpec(levels=[2, 2], blocks=(BagBlock(_T, [[1, 1]]),)),
            r"^BagBlock 0: bag 0 lists a variable twice$",
        ),
        (
            lambda: LiftSpec(levels=[2, 2], blocks=(BagBlock(_T + 1, [[0, 1]]),)),
            r"^BagBlock 0: table column 0 has a value outside 0\.\.K-1",
        ),
        (
            lambda: LiftSpec(levels=[2, 2], blocks=(BagBlock(np.vstack([_T, _T[:1]]), [[0, 1]]),)),
            r"^BagBlock 0: table has repeated rows$",
        ),
        (lambda: BagBlock(_T, [[0, 1, 2]]), r"^BagBlock.table has 2 columns but variables has 3"),
        (
            lambda: BagBlock(_T, [[0, 1]], cost=[1.0, np.nan, 0.0, 0.0]),
            r"^BagBlock.cost contains NaN or inf$",
        ),
        (
            lambda: LiftSpec(
                levels=[2, 2, 2],
                blocks=(BagBlock(_T, [[0, 1], [1, 2]]),),
                edges=(EdgeBlock((0, 0), [[0, 1]], [[0], [0]]),),
            ),
            r"^EdgeBlock 0: positions\[0\] and positions\[1\] do not name the same global",
        ),
        (
            lambda: LiftSpec(
                levels=[2, 2, 2],
                blocks=(BagBlock(_T, [[0, 1], [0, 1]]),),
                edges=(EdgeBlock((0, 0), [[0, 1]], [[0], [0]]),),
            ),
            r"^EdgeBlock 0: edge 0 joins bags sharing 2 variables but positions name 1",
        ),
        (
            lambda: LiftSpec(
                levels=[2, 2, 2],
                blocks=(BagBlock(_T, [[0, 1], [1, 2], [2, 0]]),),
                edges=(EdgeBlock((0, 0), [[0, 1], [1, 2], [2, 0]], [[1], [0]]),),
            ),
            r"(do not name the same|has a cycle)",
        ),
        (
            lambda: LiftSpec(levels=[2, 2, 2], blocks=(BagBlock(_T, [[0, 1], [1, 2]]),)),
            r"^LiftSpec: variable 1 lies in 2 bags joined by only 0 tree edges through it",
        ),
        (
            lambda: LiftSpec(levels=[2, 2, 2], blocks=(BagBlock(_T, [[0, 1]]),)),
            r"^LiftSpec: variable 2 lies in no bag$",
        ),
        (
            lambda: LiftSpec(
                levels=[2, 2],
                blocks=(BagBlock(_T, [[0, 1]]),),
                n_outputs=1,
                outputs=(OutputBlock(0, [0, 0], [0, 0], np.zeros(4), [1.0, 1.0]),),
            ),
            r"^LiftSpec: output 0 lives in 2 bags; each output must live in exactly one$",
        ),
        (
            lambda: LiftSpec(
                levels=[2, 2],
                blocks=(BagBlock(_T, [[0, 1]]),),
                n_outputs=1,
                outputs=(OutputBlock(0, [0], [0], np.zeros(3), [1.0]),),
            ),
            r"^OutputBlock 0: values has 3 entries per bag but the block's table has 4 rows$",
        ),
        (lambda: LiftSpec(levels=[2, 2], blocks=()), r"^a LiftSpec needs at least one BagBlock$"),
    ],
)
def test_spec_validation_messages(build, message):
    with pytest.raises(InvalidInputError, match=message):
        build()


def test_cycle_of_bags_is_rejected():
    t3 = assignments([2, 2, 2])
    block = BagBlock(t3, [[0, 1, 2], [0, 1, 2], [0, 1, 2]])
    pairs = [[0, 1], [1, 2], [2, 0]]
    with pytest.raises(
        InvalidInputError, match=r"has a cycle or a repeated edge; it must be a forest"
    ):
        LiftSpec(
            levels=[2, 2, 2],
            blocks=(block,),
            edges=(EdgeBlock((0, 0), pairs, [[0, 1, 2], [0, 1, 2]]),),
        )
