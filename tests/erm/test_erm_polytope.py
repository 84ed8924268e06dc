"""The built polytope: exact sizes, bounds, linear growth in D, data independence, decode,
regularizers, constrained Φ and unmaterialized (defined) polytopes."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from erm_zoo import exact_to_grid, exhaustive_min, family, phi_grid, random_data, risks

from lptrain.bo import decode
from lptrain.erm import ERMPolytope
from lptrain.errors import InvalidInputError
from lptrain.nn import dense
from lptrain.sizes import data_informed_sizes, exact_sizes, polytope_sizes


@pytest.mark.parametrize("arch, loss, bits, D", [
    ([1, 1], "abs", 2, 1), ([1, 1], "quadratic", 3, 7), ([2, 1], "hinge", 2, 12),
    ([1, 1, 1], "abs", 1, 5), ([1, 2], "cross_entropy", 1, 3),
])
def test_built_counts_equal_the_exact_sizes_and_respect_both_bounds(arch, loss, bits, D):
    net = dense(arch)
    poly = ERMPolytope.build(net, loss, samples=D, bits=bits)
    s = exact_sizes(net.n, net.m, net.N, D, bits)
    assert poly.sizes == s
    assert (poly.lp.n_cols, poly.lp.n_rows, poly.lp.nnz) == (s.variables, s.constraints,
                                                              s.nonzeros)
    assert s.variables <= s.bound_variables and s.constraints <= s.bound_constraints
    assert poly.lifted is not None and poly.lifted.size.within(poly.lifted.bound)
    assert poly.theorem_2_8_bound == poly.lifted.bound
    assert poly.lifted.spec.width_bits == s.tree_width
    assert poly.sizes == polytope_sizes(net, loss, D, bits=bits)[0]


def test_size_grows_linearly_in_D_and_evaluations_do_not():
    net = dense([1, 1])
    counts = []
    for D in (1, 2, 3, 5, 8):
        poly = ERMPolytope.build(net, "abs", samples=D, bits=2)
        counts.append((D, poly.lp.n_cols, poly.lp.n_rows, poly.lp.nnz,
                       poly.sizes.build_evaluations, poly.loss_table.size))
    arr = np.array(counts, dtype=np.int64)
    for col in (1, 2, 3):   # exact affine function of D
        slope = np.diff(arr[:, col]) / np.diff(arr[:, 0])
        assert np.all(slope == slope[0])
    assert len(set(arr[:, 4])) == 1 and len(set(arr[:, 5])) == 1


def _digest(poly: ERMPolytope) -> str:
    lp = poly.lp
    h = hashlib.sha256()
    for a in (lp.c, lp.A.data, lp.A.indices, lp.A.indptr, lp.col_lower, lp.col_upper,
              lp.row_lower, lp.row_upper):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def test_one_polytope_two_data_sets_two_correct_answers():
    fam = family("net21", "abs")
    poly = ERMPolytope.build(fam.network, fam.loss, samples=6, bits=2)
    before = _digest(poly)
    rng = np.random.default_rng(5)
    values = []
    for _ in range(2):
        X, Y = random_data(fam, 6, rng)
        sol = poly.face(X, Y).solve("highs")
        best = exhaustive_min(fam, exact_to_grid(X, 2), exact_to_grid(Y, 2), 2)
        assert abs(sol.lp_value - best) < 1e-9
        values.append(sol.lp_value)
    assert values[0] != values[1]
    assert _digest(poly) == before            # the polytope did not change
    assert poly.build_seconds["evaluation"] > 0 and poly.build_seconds["assembly"] > 0


def test_decoder_agrees_with_the_lambda_of_bag_one():
    fam = family("relu1", "abs")
    poly = ERMPolytope.build(fam.network, fam.loss, samples=4, bits=2)
    X, Y = random_data(fam, 4, np.random.default_rng(0))
    face = poly.face(X, Y)
    sol = face.solve("highs")
    session = poly.face_solver("highs").session
    assert session is not None
    lam = poly.lifted.lambdas(session.solve().x, 0)
    G = poly.sizes.phi_grid
    bag1 = lam[0, face.point_rows[0] * G:(face.point_rows[0] + 1) * G]
    direct = int(np.argmax(bag1))
    # the solver's decoded φ (sol.phi_index is then the tie rule's choice, erm/ties.py)
    assert decode(poly.lifted.spec, [lam]).x[0] == direct == sol.info["solver_phi_index"]


def test_regularized_faces_minimize_risk_plus_penalty():
    fam = family("relu1", "quadratic")
    poly = ERMPolytope.build(fam.network, fam.loss, samples=5, bits=3, regularizer="l1:0.1")
    assert poly.epsilon == 2 * poly.lipschitz.lipschitz / 8
    assert poly.lipschitz.regularizer_constant == pytest.approx(0.2)
    X, Y = random_data(fam, 5, np.random.default_rng(2))
    grid = phi_grid(2, 3)
    best = float((risks(fam, exact_to_grid(X, 3), exact_to_grid(Y, 3), grid)
                  + 0.1 * np.abs(grid).sum(axis=1)).min())
    face = poly.face(X, Y)
    a, b = face.solve("highs"), face.solve("structured")
    assert abs(a.lp_value - best) < 1e-9 and abs(b.lp_value - best) < 1e-9
    assert a.erm == pytest.approx(risks(fam, X, Y, a.phi[None])[0] + 0.1 * np.abs(a.phi).sum())


def test_constrained_parameter_set():
    net = dense([1, 1]).with_constraint([[1.0, 1.0]], [0.0])      # w + b <= 0
    poly = ERMPolytope.build(net, "abs", samples=3, bits=2)
    assert poly.sizes.phi_grid < 16 and poly.phi_index is not None
    assert poly.lp.n_cols == poly.sizes.variables
    X, Y = np.array([[0.5], [0.9], [-0.3]]), np.array([[0.9], [0.8], [0.7]])
    face = poly.face(X, Y)
    a, b = face.solve("highs"), face.solve("structured")
    assert a.lp_value == pytest.approx(b.lp_value, abs=1e-12)
    assert a.phi.sum() <= 0 and b.phi.sum() <= 0


def test_defined_polytope_solves_structured_and_verifies_with_numpy():
    fam = family("net21", "quadratic")
    poly = ERMPolytope.define(fam.network, fam.loss, samples=20, bits=3)
    assert not poly.materialized and poly.lifted is None and poly.loss_table is None
    X, Y = random_data(fam, 20, np.random.default_rng(9))
    sol = poly.face(X, Y).solve("structured")
    best = exhaustive_min(fam, exact_to_grid(X, 3), exact_to_grid(Y, 3), 3)
    assert abs(sol.lp_value - best) < 1e-9
    assert sol.certificate.verified and "numpy" in sol.certificate.method
    assert sol.seconds["build"] == 0.0 and set(sol.seconds) == {"build", "solve", "verify",
                                                                 "total"}
    with pytest.raises(InvalidInputError, match="build it with ERMPolytope.build"):
        poly.face(X, Y).solve("highs")


def test_to_dict_is_json_and_reports_counts_bounds_and_times():
    poly = ERMPolytope.build(dense([1, 1]), "abs", samples=4, bits=2)
    d = json.loads(json.dumps(poly.to_dict()))
    assert d["built"] == {"variables": poly.lp.n_cols, "constraints": poly.lp.n_rows,
                          "nonzeros": poly.lp.nnz}
    assert d["bound_variables"] == 4 * 4 * 4**4 and d["materialized"] is True
    assert set(d["build_seconds"]) == {"evaluation", "assembly", "total"}
    assert d["theorem_2_8"]["variables"] >= d["variables"]
    sol = poly.face(np.zeros((4, 1)), np.zeros((4, 1))).solve()
    json.dumps(sol.to_dict())
    assert sol.lower_bound_kind == "a-priori" and sol.guarantee == 2 * poly.epsilon
    assert sol.lower_bound == sol.lp_value - poly.epsilon


def test_data_informed_sizes_match():
    net = dense([1, 1])
    Xp = np.array([[0.1], [0.6], [-0.9], [0.15]])
    Yp = np.array([[0.0], [0.5], [-1.0], [0.0]])           # rows 0 and 3 coincide on the grid
    poly = ERMPolytope.build(net, "abs", samples=5, bits=2, points=(Xp, Yp))
    assert poly.points.count == 3
    assert poly.sizes == data_informed_sizes(net, "abs", 5, 3, bits=2)
    assert poly.lp.n_cols == poly.sizes.variables < exact_sizes(1, 1, 2, 5, 2).variables


def test_time_limit_and_session_reuse():
    fam = family("relu1", "abs")
    poly = ERMPolytope.build(fam.network, fam.loss, samples=4, bits=2)
    rng = np.random.default_rng(12)
    sols = [poly.face(*random_data(fam, 4, rng)).solve("highs", time_limit=60.0)
            for _ in range(3)]
    assert [s.info["session_solves"] for s in sols] == [0, 1, 2]
    assert all(not s.info["warm_start"] for s in sols)
    poly.close()
    assert poly.face_solver("highs").session is None
    again = poly.face(*random_data(fam, 4, np.random.default_rng(12))).solve("highs")
    assert again.lp_value == sols[0].lp_value and again.info["session_solves"] == 0
