"""Malformed input: each has its own message."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.erm import ERMPolytope
from lptrain.errors import InvalidInputError, OutsideTheoryError
from lptrain.nn import dense


@pytest.fixture(scope="module")
def poly():
    return ERMPolytope.build(dense([2, 1]), "abs", samples=3, bits=1)


@pytest.mark.parametrize("X, Y, message", [
    (np.zeros((3, 3)), np.zeros((3, 1)), "X has 3 columns but the network has 2 inputs (n=2)"),
    (np.zeros((3, 2)), np.zeros((3, 2)), "Y has 2 columns but the network has 1 output (m=1)"),
    ([[0.0, np.nan]] * 3, np.zeros((3, 1)), "X contains NaN in row 0 (column 1)"),
    (np.zeros((3, 2)), [[0.0], [np.inf], [0.0]], "Y contains inf in row 1 (column 0)"),
    (np.full((3, 2), 1.5), np.zeros((3, 1)),
     "X must lie in [-1, 1] (the paper's normalization); entry at row 0 (column 0) is 1.5; "
     "scale the data into [-1, 1] first (lptrain.data.UnitScaler, or scale=True in "
     "LPTrainer)"),
    (np.zeros((4, 2)), np.zeros((4, 1)),
     "X has 4 rows but the polytope was built for samples=3 data points (D); faces need "
     "exactly D rows: build or define a polytope with samples=4"),
    (np.zeros((3, 2)), np.zeros((2, 1)),
     "Y has 2 rows but X has 3 (one label row per data point)"),
])
def test_face_input_errors(poly, X, Y, message):
    with pytest.raises(InvalidInputError) as info:
        poly.face(X, Y)
    assert str(info.value) == message


def test_highs_on_a_defined_polytope_says_to_build_it():
    poly = ERMPolytope.define(dense([2, 1]), "abs", samples=3, bits=1)
    face = poly.face(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(InvalidInputError) as info:
        face.solve("highs")
    assert str(info.value) == (
        "solver='highs' needs a materialized polytope, but this one was only defined "
        "(ERMPolytope.define): build it with ERMPolytope.build(...), or solve its faces with "
        "solver='structured'")
    with pytest.raises(InvalidInputError, match="needs a materialized polytope"):
        face.write_mps("x.mps")


def test_solver_and_verify_arguments(poly):
    face = poly.face(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(InvalidInputError, match="solver must be one of 'highs', 'structured'"):
        face.solve("cplex")
    with pytest.raises(InvalidInputError, match="verify must be True, False, 'full' or"):
        face.solve("structured", verify="maybe")


@pytest.mark.parametrize("kwargs, message", [
    (dict(samples=0, bits=2), "samples must be an integer in [1, inf]; got 0"),
    (dict(samples=2, bits=2, eps=1.0), "give exactly one of eps and bits"),
    (dict(samples=2), "give exactly one of eps and bits"),
    (dict(samples=2, bits=0), "bits must be an integer in [1, 30]; got 0"),
])
def test_polytope_arguments(kwargs, message):
    with pytest.raises(InvalidInputError) as info:
        ERMPolytope.define(dense([1, 1]), "abs", **kwargs)
    assert str(info.value) == message


def test_network_type_and_theory():
    with pytest.raises(InvalidInputError, match="network must be an lptrain Network"):
        ERMPolytope.define("1-1", "abs", samples=2, bits=2)    # type: ignore[arg-type]
    with pytest.raises(OutsideTheoryError):
        ERMPolytope.define(dense([1, 1]), "hamming", samples=2, bits=2)


def test_eps_sets_the_bits():
    poly = ERMPolytope.define(dense([1, 1]), "abs", samples=2, eps=1.0)   # L = 8
    assert poly.bits == 4 and poly.epsilon == 1.0
