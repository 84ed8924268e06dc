"""Argument checks shared by every module.

Each check raises :class:`~lptrain.errors.InvalidInputError` with a message that names the
argument, says what was expected and what was received, e.g.
``"X contains NaN in row 17 (column 0)"`` or
``"bits must be an integer in [1, 30]; got 0"``.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from lptrain.errors import InvalidInputError

__all__ = [
    "check_array",
    "check_int",
    "check_float",
    "check_choice",
    "check_unit_box",
    "clip_to_unit_box",
    "parse_memory",
    "available_memory",
    "BOX_TOLERANCE",
]

#: Values at most this far outside [-1, 1] are clipped onto the box (with a note) by
#: :func:`clip_to_unit_box`; e.g. scikit-learn's MinMaxScaler gives 1.0000000000000004.
BOX_TOLERANCE = 1e-12


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: Any = np.float64,
    finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Convert ``value`` to an array and check dimension, shape, emptiness and finiteness.

    ``shape`` may contain ``None`` for a free axis. Raises InvalidInputError naming
    ``name`` and the first offending entry.

    Examples
    --------
    >>> check_array("X", [[0.0, 1.0]], ndim=2).shape
    (1, 2)
    >>> check_array("X", [[0.0, float("nan")]], ndim=2)
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: X contains NaN in row 0 (column 1)
    """
    try:
        raw = value if isinstance(value, np.ndarray) else np.asarray(value)
        if raw.dtype.kind == "c" and np.dtype(dtype).kind != "c":
            raise InvalidInputError(
                f"{name} holds complex numbers ({_describe(raw)}); lptrain works with real "
                "numbers: pass the real part explicitly (np.real) if that is what you mean")
        arr = np.asarray(raw, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise InvalidInputError(
            f"{name} must be convertible to a numeric array; got {_describe(value)} ({exc})"
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise InvalidInputError(
                f"{name} must be a {want}-dimensional array; got shape {arr.shape}"
            )
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise InvalidInputError(f"{name} must have shape {want}; got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise InvalidInputError(
            f"{name} is empty (shape {arr.shape}); at least one entry is needed"
        )
    if finite and arr.dtype.kind == "f" and arr.size and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        what = "NaN" if np.isnan(arr[tuple(bad)]) else "inf"
        if arr.ndim == 1:
            where = f"entry {bad[0]}"
        elif arr.ndim == 2:
            where = f"row {bad[0]} (column {bad[1]})"
        else:
            where = f"index {tuple(int(b) for b in bad)}"
        raise InvalidInputError(f"{name} contains {what} in {where}")
    return arr


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[lo, hi]`` (either end may be open).

    Examples
    --------
    >>> check_int("bits", 3, 1, 30)
    3
    >>> check_int("bits", 0, 1, 30)
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: bits must be an integer in [1, 30]; got 0
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and (lo is None or value >= lo) and (hi is None or value <= hi):
        return int(value)
    lo_s = "-inf" if lo is None else str(lo)
    hi_s = "inf" if hi is None else str(hi)
    raise InvalidInputError(
        f"{name} must be an integer in [{lo_s}, {hi_s}]; got {_describe(value)}"
    )


def check_float(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Check that ``value`` is a finite real number in the given (half-)open interval.

    Examples
    --------
    >>> check_float("eps", 0.1, 0.0, lo_open=True)
    0.1
    >>> check_float("eps", -1.0, 0.0, lo_open=True)
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: eps must be a finite number in (0, inf); got -1.0
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = bool(np.isfinite(v))
        if ok and lo is not None:
            ok = v > lo if lo_open else v >= lo
        if ok and hi is not None:
            ok = v < hi if hi_open else v <= hi
        if ok:
            return v
    left = "(" if (lo_open or lo is None) else "["
    right = ")" if (hi_open or hi is None) else "]"
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    raise InvalidInputError(
        f"{name} must be a finite number in {left}{lo_s}, {hi_s}{right}; got {_describe(value)}"
    )


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices``.

    Examples
    --------
    >>> check_choice("solver", "dp", ["lp", "dp"])
    'dp'
    >>> check_choice("solver", "mip", ["lp", "dp"])
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: solver must be one of 'lp', 'dp'; got 'mip'
    """
    options = list(choices)
    if value in options:
        return str(value)
    listed = ", ".join(repr(c) for c in options)
    raise InvalidInputError(f"{name} must be one of {listed}; got {_describe(value)}")


def check_unit_box(name: str, arr: np.ndarray, hint: str = "") -> np.ndarray:
    """Check that every entry of ``arr`` lies in [-1, 1] (the paper's normalization).

    ``hint`` is appended to the message, e.g. how to ask for scaling.

    Examples
    --------
    >>> check_unit_box("X", np.array([[0.5, 2.0]]), "pass scale=True")
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: X must lie in [-1, 1] (the paper's normalization); \
entry at row 0 (column 1) is 2.0; pass scale=True
    """
    outside = np.abs(arr) > 1.0
    if outside.any():
        bad = np.argwhere(outside)[0]
        value = float(arr[tuple(bad)])
        if arr.ndim == 2:
            where = f"row {bad[0]} (column {bad[1]})"
        else:
            where = f"index {tuple(int(b) for b in bad)}"
        msg = (
            f"{name} must lie in [-1, 1] (the paper's normalization); "
            f"entry at {where} is {value!r}"
        )
        raise InvalidInputError(msg + (f"; {hint}" if hint else ""))
    return arr


def clip_to_unit_box(name: str, arr: np.ndarray, hint: str = "",
                     tol: float = BOX_TOLERANCE) -> tuple[np.ndarray, str | None]:
    """Clip entries at most ``tol`` outside [-1, 1] onto the box; refuse larger ones.

    Returns the (copied, when clipped) array and a note saying what was clipped, or None.
    Rounding in an external scaler (1.0000000000000004) is clipped; 1.1 is refused with
    the message of :func:`check_unit_box`.

    Examples
    --------
    >>> a, note = clip_to_unit_box("X", np.array([[0.5, 1.0000000000000004]]))
    >>> a.tolist(), note
    ([[0.5, 1.0]], 'X: 1 entry within 1e-12 outside [-1, 1] (largest 1.0000000000000004 at \
row 0, column 1) clipped onto the box')
    """
    arr = np.asarray(arr)
    over = np.abs(arr) > 1.0
    if not over.any():
        return arr, None
    check_unit_box(name, np.where(np.abs(arr) <= 1.0 + tol, 0.0, arr), hint)
    worst = np.unravel_index(int(np.argmax(np.where(over, np.abs(arr), 0.0))), arr.shape)
    where = (f"row {worst[0]}, column {worst[1]}" if arr.ndim == 2
             else f"index {tuple(int(w) for w in worst)}")
    count = int(over.sum())
    note = (f"{name}: {count} entr{'y' if count == 1 else 'ies'} within {tol:g} outside "
            f"[-1, 1] (largest {float(arr[worst])!r} at {where}) clipped onto the box")
    return np.clip(arr, -1.0, 1.0), note


def available_memory() -> int:
    """Bytes of memory available now: ``MemAvailable`` of ``/proc/meminfo``, else
    ``os.sysconf`` (available pages times page size), else 4 GiB.

    Examples
    --------
    >>> available_memory() > 0
    True
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 4 * 2**30


_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "kib": 2**10, "m": 1e6, "mb": 1e6,
          "mib": 2**20, "g": 1e9, "gb": 1e9, "gib": 2**30, "t": 1e12, "tb": 1e12, "tib": 2**40}


def parse_memory(text: str | int | float | None) -> int | None:
    """Parse a memory size such as ``"2GiB"``, ``"512MB"`` or ``1e9`` into bytes.

    Examples
    --------
    >>> parse_memory("2GiB"), parse_memory("1.5 GB"), parse_memory(1024)
    (2147483648, 1500000000, 1024)
    >>> parse_memory("lots")
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: max memory must look like 4GiB, 512MB or 1e9 (bytes); \
got 'lots'
    """
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([A-Za-z]*)\s*", str(text))
        unit = match.group(2).lower() if match else ""
        try:
            if not match or unit not in _UNITS:
                raise ValueError
            value = float(match.group(1)) * _UNITS[unit]
        except ValueError:
            raise InvalidInputError(
                f"max memory must look like 4GiB, 512MB or 1e9 (bytes); got {text!r}"
            ) from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidInputError(f"max memory must be a positive size; got {text!r}")
    return int(value)
