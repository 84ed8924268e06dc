"""The lazy face LP (column generation + branch-and-bound pricing) returns the face LP
optimum: against the §3.4 enumeration on seeded instances, against Face.solve with HiGHS
and the structured solver, and with a sound bound when stopped early."""

from __future__ import annotations

import numpy as np
import pytest
from certify_zoo import smooth_data

from lptrain.certify import solve_face_lazy
from lptrain.certify.boxes import BoxQueue, GridSpace
from lptrain.discretize import grid_index, to_grid
from lptrain.erm import SOLVERS, ERMPolytope, LazyFaceSolver
from lptrain.errors import InvalidInputError
from lptrain.nn import dense, grid_argmin, parse_arch

CASES = [("1-1", "relu", "abs"), ("2-1-1", "relu", "quadratic"), ("1-2-1", "identity", "hinge"),
         ("2-1-1", "tanh", "quadratic"), ("1-2-1", "relu", "abs"), ("1-1-1", "elu:0.5", "abs")]


@pytest.mark.parametrize("seed", range(24))
def test_lazy_equals_enumeration(seed):
    rng = np.random.default_rng(seed)
    arch, act, loss = CASES[seed % len(CASES)]
    net = parse_arch(arch, act)
    D = int(rng.integers(2, 12))
    bits = int(rng.integers(1, 4)) if net.N > 3 else int(rng.integers(1, 6))
    X, Y = to_grid(rng.uniform(-1, 1, (D, net.n)), 3), to_grid(rng.uniform(-1, 1, (D, 1)), 3)
    if loss == "hinge":
        Y = np.where(Y >= 0, 1.0, -1.0)
    reg = None if seed % 4 else "l2:0.05"
    r = solve_face_lazy(net, loss, X, Y, bits, regularizer=reg, progress=False,
                        backend="numpy")
    ref = grid_argmin(net, loss, X, Y, bits, regularizer=reg, backend="numpy")
    assert r.status == "optimal"
    assert abs(r.lp_value - ref.value) <= 1e-9 * (1 + abs(ref.value))
    assert r.lower_bound <= ref.value + 1e-12 and r.gap <= 1e-9
    assert r.phi_index == int(grid_index(r.phi_levels[None], bits)[0])
    assert np.allclose(r.phi, -1 + 2 * r.phi_levels / 2**bits)
    assert abs(r.mu.sum() - 1) < 1e-12 and r.master_solves == r.pricing_rounds + 1


@pytest.mark.parametrize("seed", range(4))
def test_lazy_matches_face_solvers(seed, monkeypatch):
    monkeypatch.setitem(SOLVERS, "lazy", LazyFaceSolver)
    rng = np.random.default_rng(100 + seed)
    net = parse_arch(["1-1", "2-1-1"][seed % 2])
    D, bits = 5, 2 if net.N > 3 else 3
    X, Y = rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, 1))
    poly = ERMPolytope.build(net, ["abs", "quadratic"][seed % 2], samples=D, bits=bits,
                             backend="numpy")
    face = poly.face(X, Y)
    a, b, c = face.solve("highs"), face.solve("structured"), face.solve("lazy")
    assert abs(a.lp_value - c.lp_value) <= 1e-9 and abs(b.lp_value - c.lp_value) <= 1e-9
    assert c.certificate.verified and c.certificate.dual_bound <= c.lp_value
    assert c.lower_bound_kind == "a-priori"  # Face.solve's own bound; ours is in the cert


def test_fine_grid_beyond_enumeration():
    """bits = 10 for N = 5: 2**50 grid points, solved to a certified 1e-6 within seconds."""
    X, Y = smooth_data(40, seed=3)
    Xt, Yt = to_grid(X, 10), to_grid(Y, 10)
    r = solve_face_lazy(dense([2, 1, 1]), "abs", Xt, Yt, 10, tol=1e-6, time_limit=60,
                        progress=False)
    assert r.grid_points == 2**50
    assert r.status == "optimal" and r.gap <= 1e-6 and r.nodes < 2**30
    assert r.history[-1][1] == r.lower_bound


def test_time_limit_keeps_a_sound_bound():
    X, Y = smooth_data(30, seed=4)
    Xt, Yt = to_grid(X, 8), to_grid(Y, 8)
    r = solve_face_lazy(dense([2, 1, 1]), "abs", Xt, Yt, 8, time_limit=0.0, progress=False,
                        backend="numpy")
    assert r.status == "time limit" and r.lower_bound <= r.lp_value


def test_grid_space_and_queue():
    space = GridSpace(2, 3)
    pts, owner = space.enumerate(np.array([[0, 2], [5, 7]]), np.array([[1, 3], [5, 7]]))
    assert pts.tolist() == [[0, 2], [0, 3], [1, 2], [1, 3], [5, 7]]
    assert owner.tolist() == [0, 0, 0, 0, 1]
    lo, hi = space.split(np.array([[0, 0]]), np.array([[7, 4]]), np.array([1]))
    assert lo.tolist() == [[0, 0], [0, 3]] and hi.tolist() == [[7, 2], [7, 4]]
    q = BoxQueue(1, np.float64, capacity=2)
    q.push(np.zeros((5, 1)), np.ones((5, 1)), np.arange(5.0), np.zeros(5, dtype=np.int64))
    assert q.pop(2, largest=True)[2].tolist() in ([4.0, 3.0], [3.0, 4.0])
    assert q.prune(1.5) == 2.0 and len(q) == 2 and q.min_lower() == 0.0


def test_lazy_messages():
    net = dense([1, 1])
    with pytest.raises(InvalidInputError, match="bits must be"):
        solve_face_lazy(net, "abs", [[0.5]], [[0.0]], 0, backend="numpy")
    con = net.with_constraint([[1.0, 1.0]], [0.5])
    with pytest.raises(InvalidInputError, match="does not support a constraint"):
        solve_face_lazy(con, "abs", [[0.5]], [[0.0]], 2, backend="numpy")
