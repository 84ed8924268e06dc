"""Every face solver is a FaceSolver and returns a frozen FaceOutcome; the HiGHS session
belongs to the polytope's HiGHS solver (made once per polytope, released by close)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lptrain.erm import SOLVERS, ERMPolytope, FaceOutcome, FaceSolver, HighsFaceSolver
from lptrain.nn import dense


@pytest.fixture(scope="module")
def face():
    rng = np.random.default_rng(31)
    poly = ERMPolytope.build(dense([1, 1]), "abs", samples=4, bits=2, backend="numpy")
    return poly.face(rng.uniform(-1, 1, (4, 1)), rng.uniform(-1, 1, (4, 1)))


def test_every_solver_returns_a_frozen_outcome_with_the_same_optimum(face):
    values = {}
    for name in SOLVERS:
        solver = face.polytope.face_solver(name)
        assert isinstance(solver, FaceSolver)
        out = solver.solve(face, time_limit=None, progress=False, verify=True)
        assert isinstance(out, FaceOutcome) and set(out.seconds) == {"solve", "verify"}
        assert out.certificate.verified and out.certificate.dual_bound <= out.value + 1e-9
        with pytest.raises(dataclasses.FrozenInstanceError):
            out.value = 0.0  # type: ignore[misc]
        values[name] = out.value
        sol = face.solve(name)
        assert sol.lp_value == out.value and sol.solver == name
    assert max(values.values()) - min(values.values()) <= 1e-9, values


def test_one_highs_solver_per_polytope_owns_the_session(face):
    poly = face.polytope
    solver = poly.face_solver("highs")
    assert isinstance(solver, HighsFaceSolver) and poly.face_solver("highs") is solver
    face.solve("highs")
    assert solver.session is not None and solver.solves >= 1
    other = ERMPolytope.build(poly.network, "abs", samples=4, bits=2, backend="numpy")
    assert other.face_solver("highs") is not solver  # no state shared between polytopes
    poly.close()
    assert solver.session is None and solver.solves == 0
    assert face.solve("highs").info["session_solves"] == 0


def test_a_replaced_factory_gets_a_new_solver(face, monkeypatch):
    poly = face.polytope
    before = poly.face_solver("structured")

    class Wrapped(type(before)):
        pass

    monkeypatch.setitem(SOLVERS, "structured", Wrapped)
    assert isinstance(poly.face_solver("structured"), Wrapped)


def test_unknown_solver_is_a_clear_error(face):
    message = "solver must be one of 'highs', 'structured', 'lazy'; got 'simplex'"
    with pytest.raises(ValueError, match=message):
        face.polytope.face_solver("simplex")
