"""Data-informed point generation (Remark 3.2): smaller tables, exact faces for data from
the set, a clear error for data outside it."""

from __future__ import annotations

import numpy as np
import pytest
from erm_zoo import exhaustive_min, family, random_data

from lptrain.discretize import to_grid
from lptrain.erm import ERMPolytope
from lptrain.errors import InvalidInputError
from lptrain.sizes import data_informed_sizes, exact_sizes


def test_faces_on_points_from_the_set_are_exact_and_smaller():
    fam = family("hinge21")
    rng = np.random.default_rng(11)
    Xp, Yp = random_data(fam, 30, rng)
    poly = ERMPolytope.build(fam.network, fam.loss, samples=8, bits=3, points=(Xp, Yp))
    P = poly.points.count
    assert P <= 30 and poly.sizes == data_informed_sizes(fam.network, "hinge", 8, P, bits=3)
    full = exact_sizes(2, 1, 3, 8, 3)
    assert poly.sizes.table_rows == P * 512 and full.table_rows == 512 * 512
    assert poly.lp.n_cols == poly.sizes.variables < full.variables / 10
    for _ in range(3):
        rows = rng.choice(30, size=8, replace=True)
        X, Y = Xp[rows], Yp[rows]
        face = poly.face(X, Y)
        a, b = face.solve("highs"), face.solve("structured")
        best = exhaustive_min(fam, to_grid(X, 3), to_grid(Y, 3), 3)
        assert abs(a.lp_value - best) < 1e-9 and abs(b.lp_value - best) < 1e-9


def test_a_point_outside_the_set_is_an_error_naming_the_row():
    fam = family("relu1")
    Xp, Yp = np.array([[0.1], [0.6]]), np.array([[0.0], [0.5]])
    for make in (ERMPolytope.build, ERMPolytope.define):
        poly = make(fam.network, fam.loss, samples=3, bits=2, points=(Xp, Yp))
        X = np.array([[0.1], [0.65], [-0.9]])           # row 2 discretizes to (-1, -1)
        Y = np.array([[0.0], [0.55], [-0.9]])
        with pytest.raises(InvalidInputError) as info:
            poly.face(X, Y)
        assert str(info.value).startswith(
            "data point in row 2 (x, y) = [-0.9, -0.9] discretizes to [-1.0, -1.0], which is "
            "not one of the polytope's 2 data-informed points (Remark 3.2; 1 of 3 rows are "
            "missing)")


def test_points_must_be_a_pair_of_arrays():
    fam = family("relu1")
    with pytest.raises(InvalidInputError, match="points must be a pair"):
        ERMPolytope.define(fam.network, fam.loss, samples=2, bits=2, points=np.zeros((3, 2)))
    with pytest.raises(InvalidInputError, match="points must lie in"):
        ERMPolytope.define(fam.network, fam.loss, samples=2, bits=2,
                           points=(np.array([[2.0]]), np.array([[0.0]])))
