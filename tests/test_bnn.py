"""Binarized networks (Appendix C): the exact LP of Theorem C.1 against exhaustive search
and the MIP on random instances; sizes; faces; the independent evaluation path; errors."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.bnn import (
    BiUPolytope,
    biu_errors,
    biu_network,
    biu_sizes,
    bnn_mip,
    check_binary,
    exhaustive_search,
    params_to_levels,
    parse_biu_arch,
    train_bnn,
)
from lptrain.bo import theorem_2_8_bound
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import dense, empirical_risk
from lptrain.solver import LinearProgram, solve_mip

ARCHS = ([1, 1], [2, 1], [3, 1], [2, 2], [2, 1, 1], [2, 2, 1], [3, 1, 1], [1, 2, 1], [4, 1],
         [1, 1, 2])


def _instance(seed: int):
    rng = np.random.default_rng(seed)
    widths = ARCHS[seed % len(ARCHS)]
    D = int(rng.integers(1, 9))
    X = rng.integers(0, 2, (D, widths[0]))
    # labels from a random BiU net (realizable) half of the time, else random
    net = biu_network(widths)
    if seed % 2:
        levels = rng.integers(0, 2, (1, net.N))
        _, out = biu_errors(net, X, np.zeros((D, widths[-1])), levels)
        Y = out[0].astype(np.int64)
        Y[rng.random(Y.shape) < 0.2] ^= 1
    else:
        Y = rng.integers(0, 2, (D, widths[-1]))
    return net, X, Y


@pytest.mark.parametrize("chunk", range(4))
def test_lp_equals_exhaustive_on_120_random_instances(chunk):
    for seed in range(30 * chunk, 30 * chunk + 30):
        net, X, Y = _instance(seed)
        lp = train_bnn(net, X, Y, "lp").check(net, X, Y)
        ex = exhaustive_search(net, X, Y).check(net, X, Y)
        assert lp.errors == ex.errors, seed
        assert lp.objective == ex.objective == ex.dual_bound
        assert lp.dual_bound == pytest.approx(lp.objective, abs=1e-9)
        assert lp.certificate["exact"] and lp.certificate["gap"] <= 1e-9
        # both agree with lptrain.nn's evaluation (a third path)
        risk = empirical_risk(net, "hamming", X, Y, lp.params[None].astype(float),
                              backend="numpy")
        assert risk[0] == pytest.approx(lp.errors / X.shape[0])


def test_mip_equals_exhaustive_on_a_subset():
    for seed in range(0, 120, 4):
        net, X, Y = _instance(seed)
        mip = train_bnn(net, X, Y, "mip").check(net, X, Y)
        assert mip.errors == exhaustive_search(net, X, Y).errors, seed
        assert mip.dual_bound <= mip.objective + 1e-9


def test_sizes_built_versus_theorem_c1():
    net = biu_network([2, 2, 1])
    poly = BiUPolytope.build(net, 5)
    s = poly.sizes
    assert s.bag_bits == net.N + net.n + net.m == 12
    assert poly.lifted.size == s.built
    assert s.built.variables == 5 * 2**12 + 4 * 2**9
    assert s.built.constraints == 5 + 2 * 4 * 2**9
    assert s.built.within(theorem_2_8_bound(12, 5))
    assert s.stated == 2**2 * 5 * 5 and s.built.variables > 200 * s.stated
    report = poly.size_report()
    assert report["theorem_c1_expression"] == "O(2^p |V(G)| D)"
    assert report["ratio_built_to_stated"] == s.built.variables / s.stated


def test_polytope_is_data_independent_build_once_solve_many():
    net = biu_network([2, 1, 1])
    poly = BiUPolytope.build(net, 4)
    rng = np.random.default_rng(3)
    for _ in range(5):
        X, Y = rng.integers(0, 2, (4, 2)), rng.integers(0, 2, (4, 1))
        res = train_bnn(net, X, Y, polytope=poly)
        assert res.errors == exhaustive_search(net, X, Y).errors
        assert res.build_seconds == 0.0
    lo, up = poly.face_bounds(X, Y)
    lam = poly.lifted.lambda_slice(0)
    assert int(up[lam].sum()) == 4 * 2**net.N  # the face keeps D * 2^N lambdas


def test_exhaustive_order_and_ties_go_to_the_smallest_index():
    net = biu_network([1, 1])
    X, Y = np.array([[0], [1]]), np.array([[0], [0]])
    res = exhaustive_search(net, X, Y)
    # code 0 = (a, b) = (-1, -1) outputs 1 at x=0; code 1 = (-1, 1) is the first optimum
    assert res.errors == 0 and res.params.tolist() == [-1, 1]


def test_biu_semantics_threshold_is_strict():
    net = biu_network([2, 1])
    X = np.array([[0, 0], [1, 0], [1, 1]])
    lv = params_to_levels([[1, 1, 1], [1, 1, -1], [-1, -1, -1]])
    _, out = biu_errors(net, X, np.zeros((3, 1)), lv)
    # x1 + x2 > 1 (AND); x1 + x2 > -1 (always 1); -x1 - x2 > -1 (NOR)
    assert out[:, :, 0].tolist() == [[0, 0, 1], [1, 1, 1], [1, 0, 0]]


def test_mip_model_counts():
    net = biu_network([2, 2, 1])
    X, Y = np.array([[0, 1], [1, 1], [0, 0]]), np.array([[1], [0], [0]])
    mip = bnn_mip(net, X, Y)
    D, nodes, hidden_edges = 3, 3, 2
    assert mip.variables == net.N + nodes * D + hidden_edges * D
    assert mip.constraints == 2 * nodes * D + 3 * hidden_edges * D
    assert mip.integers == net.N + nodes * D


def test_solve_mip_against_enumeration():
    rng = np.random.default_rng(0)
    for _ in range(10):
        A = rng.integers(-3, 4, (3, 5)).astype(float)
        c = rng.normal(size=5)
        lp = LinearProgram(c=c, A=A, row_lower=np.full(3, -np.inf), row_upper=np.full(3, 2.0),
                           col_lower=np.zeros(5), col_upper=np.ones(5))
        pts = (np.arange(32)[:, None] >> np.arange(4, -1, -1)) & 1
        feas = (pts @ A.T <= 2.0).all(axis=1)
        best = (pts[feas] @ c).min()
        sol = solve_mip(lp, np.ones(5, dtype=bool))
        assert sol.objective == pytest.approx(best, abs=1e-9)


def test_solve_mip_rejects_bad_integrality():
    lp = LinearProgram(c=[1.0], A=[[1.0]], row_lower=[0.0], row_upper=[1.0],
                       col_lower=[0.0], col_upper=[1.0])
    with pytest.raises(InvalidInputError, match=r"^integrality must be a bool array of "
                       r"length 1 \(one flag per column\); got shape \(2,\) and dtype bool$"):
        solve_mip(lp, np.ones(2, dtype=bool))


def test_size_guard_refuses_with_an_estimate():
    net = biu_network([3, 3, 1])  # N = 16: 2^20 rows per bag
    with pytest.raises(TooLargeError, match=r"^this build needs .* GiB .*2\^20 table rows per "
                       r"bag, D=500\); the limit is 2 GiB: use a smaller network or fewer "
                       r"samples, or raise --max-memory$"):
        BiUPolytope.build(net, 500)
    assert biu_sizes(net, 500).built.variables == 500 * 2**20 + 499 * 2**16


@pytest.mark.parametrize("call, message", [
    (lambda: check_binary("X", [[0, 2]]), r"^X must be binary \(0 or 1\): row 0, column 1 "
                                          r"is 2.0$"),
    (lambda: check_binary("d.csv", np.array([["0", "yes"]]), ["a", "y"], first_row=1,
                          row_label="data row"),
     r"^d.csv must be binary \(0 or 1\): data row 1, column 'y' is 'yes'$"),
    (lambda: parse_biu_arch("2-0-1"), r"^--arch '2-0-1': a BiU network is given by its "
                                      r"layer widths n-w1-...-m, e.g. 2-2-1$"),
    (lambda: train_bnn(dense([2, 1]), [[0, 1]], [[1]]),
     r"^node 2 is not a BiU: its activation is 'identity'"),
    (lambda: train_bnn(biu_network([2, 1]), [[0, 1, 1]], [[1]]),
     r"^X has 3 columns but the network has 2 inputs \(n=2\)$"),
    (lambda: train_bnn(biu_network([2, 1]), [[0, 1]], [[1, 0]]),
     r"^Y has shape \(1, 2\) but the network has m=1 outputs and X has 1 rows; expected "
     r"\(1, 1\)$"),
    (lambda: train_bnn(biu_network([2, 1]), [[0, 1]], [[1]], "dp"),
     r"^solver must be one of 'lp', 'mip', 'exhaustive'; got 'dp'$"),
    (lambda: train_bnn(biu_network([2, 1]), [[0, 1]], [[1]],
                       polytope=BiUPolytope.build(biu_network([2, 1]), 2)),
     r"^the polytope was built for another network or D=2; the data has D=1$"),
    (lambda: params_to_levels([0.5]), r"^BiU parameters must be -1 or \+1$"),
])
def test_error_messages(call, message):
    with pytest.raises(InvalidInputError, match=message):
        call()
