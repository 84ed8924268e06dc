"""LinearProgram: validation messages, residuals, objective."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from lp_zoo import small_lp

from lptrain.errors import InvalidInputError

_lp = small_lp


def test_sizes_and_csc_storage():
    lp = _lp(A=sp.coo_matrix(([1.0, 1.0, 1.0, -1.0], ([0, 0, 1, 1], [0, 1, 0, 1]))))
    assert (lp.n_cols, lp.n_rows, lp.nnz) == (2, 2, 4)
    assert sp.isspmatrix_csc(lp.A)


def test_residuals_and_objective():
    lp = _lp(offset=0.5)
    assert lp.objective([0.75, 0.25]) == 1.75
    assert lp.primal_residuals([0.75, 0.25]) == (0.0, 0.0)
    assert lp.primal_residuals([0.0, -1.0]) == (2.0, 1.0)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"c": [1.0]}, r"^c must have length 2; got shape \(1,\)$"),
        ({"c": [1.0, np.nan]}, r"^c contains NaN in entry 1$"),
        ({"c": [1.0, np.inf]}, r"^c contains inf in entry 1$"),
        ({"A": [[1.0, np.nan], [0.0, 1.0]]}, r"^A contains NaN in row 0 \(column 1\)$"),
        (
            {"A": sp.csc_matrix(np.array([[1.0, np.inf], [0.0, 1.0]]))},
            r"^A contains a non-finite entry at row 0 \(column 1\)$",
        ),
        ({"row_lower": [2.0, 1.0]}, r"^row_lower\[1\] = 1\.0 exceeds row_upper\[1\] = 0\.5$"),
        ({"col_upper": [10.0, -np.inf]}, r"^col_lower\[1\] = 0\.0 exceeds col_upper\[1\] = -inf$"),
        (
            {"col_lower": [np.inf, 0.0], "col_upper": [np.inf, 1.0]},
            r"^col_lower\[0\] is inf; no point satisfies it$",
        ),
        ({"row_lower": [np.nan, 0.0]}, r"^row_lower contains NaN in entry 0$"),
        ({"sense": "maximize"}, r"^sense must be one of 'min', 'max'; got 'maximize'$"),
        ({"offset": float("nan")}, r"^offset must be finite"),
    ],
)
def test_validation_messages(kw, message):
    with pytest.raises(InvalidInputError, match=message):
        _lp(**kw)


def test_frozen_arrays_are_read_only():
    lp = _lp()
    with pytest.raises(ValueError):
        lp.c[0] = 5.0
