"""Plain JSON values from numpy results (shared by reports, model records and the CLI).

Examples
--------
>>> to_jsonable({"a": np.float64(1.5), "b": np.arange(2), "c": float("inf")})
{'a': 1.5, 'b': [0, 1], 'c': None}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays (recursively) into plain JSON types; inf/NaN → None.

    Examples
    --------
    >>> to_jsonable((np.int64(3), [np.nan]))
    [3, [None]]
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
