"""Plain JSON values from lptrain's results: numpy scalars and arrays, paths, tuples; NaN and
inf become ``null``; integers too large for a float become strings in scientific notation.

Strict JSON (``allow_nan=False``) is what every ``--json`` output and every file uses.
Counts such as ``K^N`` for a large network have hundreds of thousands of digits: Python
refuses to print integers beyond 4300 digits and JSON readers turn anything beyond
1.8e308 into infinity, so those are written as ``"1.2346e+180618"`` (:func:`format_count`).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

__all__ = ["to_jsonable", "format_count", "EXACT_INT_LIMIT"]

#: Integers at or above this magnitude become strings (floats top out near 1.8e308).
EXACT_INT_LIMIT = 10**300


def format_count(value: int) -> str:
    """An integer too large for a float, in scientific notation with 5 significant digits.

    Works without converting the integer to decimal (which Python limits to 4300 digits).

    Examples
    --------
    >>> format_count(4 ** 300001)
    '3.9761e+180618'
    >>> format_count(-(10 ** 400))
    '-1.0000e+400'
    """
    sign = "-" if value < 0 else ""
    lead = math.log10(abs(int(value)))  # exact enough: math.log10 takes big integers
    exponent = int(math.floor(lead))
    text = f"{10 ** (lead - exponent):.4f}"
    if text.startswith("10."):  # rounding carried into the next power of ten
        text, exponent = "1.0000", exponent + 1
    return f"{sign}{text}e+{exponent}"


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, paths and tuples (recursively) into plain JSON types;
    inf/NaN → None; integers ≥ :data:`EXACT_INT_LIMIT` in magnitude → strings.

    Examples
    --------
    >>> to_jsonable({"a": np.float64("nan"), "b": (np.int64(3), 2 ** 1000)})
    {'a': None, 'b': [3, '1.0715e+301']}
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) < EXACT_INT_LIMIT else format_count(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, complex):
        return None
    return value
