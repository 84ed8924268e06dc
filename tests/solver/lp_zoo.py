"""A small LP shared by the solver tests: min x + 2y, x + y >= 1, x - y <= 0.5, 0 <= x, y <= 10
(optimum 1 at x = 1, y = 0)."""

from __future__ import annotations

import numpy as np

from lptrain.solver import LinearProgram


def small_lp(**kw):
    args = dict(
        c=[1.0, 2.0],
        A=[[1.0, 1.0], [1.0, -1.0]],
        row_lower=[1.0, -np.inf],
        row_upper=[np.inf, 0.5],
        col_lower=[0.0, 0.0],
        col_upper=[10.0, 10.0],
    )
    args.update(kw)
    return LinearProgram(**args)
