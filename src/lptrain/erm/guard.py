"""The size guard: estimate the memory of a polytope build before allocating anything big.

The §3 polytope has ``D·|F|`` columns and about ``3D·|F|`` nonzeros (Main Theorem 3.1),
so a careless ``bits`` or ``samples`` asks for terabytes. :func:`estimate_build_memory`
adds up, from the exact counts of :mod:`lptrain.sizes` alone, what a build and its first
HiGHS solve hold at their peak:

* the loss table ``|F|`` floats (and the regularizer's per-row cost) and the engine's
  local assignment table (two int64 per row) with its validation temporaries;
* lptrain's CSC matrix (int32 row indices and float64 values per nonzero, int64 column
  pointers) and the assembly temporaries (column ranks, costs) per column;
* the LP vectors (cost, bounds) and HiGHS's copies: the ``HighsLp`` handed over, the model
  inside ``Highs``, a row-wise copy for the simplex and its work vectors; measured peaks
  of builds plus a solve stay below the estimate (``benchmarks/bench_polytope.py``).

:func:`check_memory` compares the estimate with the limit (by default half of the
available memory, ``MemAvailable`` of ``/proc/meminfo``) and raises
:class:`~lptrain.errors.TooLargeError` with the numbers before any allocation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lptrain._jsonable import EXACT_INT_LIMIT, format_count
from lptrain._validation import available_memory as _available_memory
from lptrain._validation import parse_memory
from lptrain.errors import TooLargeError
from lptrain.sizes import PolytopeSizes

__all__ = ["MemoryEstimate", "memory_estimate", "available_memory", "memory_limit",
           "check_memory", "format_bytes", "parse_memory"]

# Bytes per unit, by component (see the module docstring); calibrated against measured
# peak resident memory of builds followed by a HiGHS face solve.
_PER_TABLE_ROW = 8 + 8 + 16 + 24       # loss table, regularizer cost, engine table, checks
_PER_NONZERO_OURS = 4 + 8              # CSC row index (int32) and value
_PER_NONZERO_HIGHS = 160                # HighsLp, Highs model, row-wise copy, presolve
_PER_COLUMN = 300                       # pointers, costs, LP vectors, HiGHS and presolve
_PER_ROW = 2 * 8 + 16 * 8              # row bounds, HiGHS row vectors
_BASE = 64 * 2**20                     # evaluation chunks, interpreter slack


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak bytes of a build (and its first HiGHS solve), by component."""

    tables: int
    matrix: int
    highs: int
    vectors: int
    base: int
    nonzeros: int

    @property
    def total(self) -> int:
        """All components, in bytes."""
        return self.tables + self.matrix + self.highs + self.vectors + self.base

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form with the total."""
        return {**asdict(self), "total": self.total}


def memory_estimate(sizes: PolytopeSizes) -> MemoryEstimate:
    """Peak memory of building the polytope with these exact sizes and solving a face.

    Examples
    --------
    >>> from lptrain.sizes import exact_sizes
    >>> est = memory_estimate(exact_sizes(1, 1, 2, D=10, bits=2))
    >>> est.nonzeros, est.total > est.base
    (7456, True)
    """
    table = _PER_TABLE_ROW * sizes.table_rows
    return MemoryEstimate(
        tables=table,
        matrix=_PER_NONZERO_OURS * sizes.nonzeros,
        highs=_PER_NONZERO_HIGHS * sizes.nonzeros,
        vectors=_PER_COLUMN * sizes.variables + _PER_ROW * sizes.constraints,
        base=_BASE,
        nonzeros=sizes.nonzeros,
    )


def available_memory() -> int:
    """Bytes of memory available now (:func:`lptrain._validation.available_memory`).

    Examples
    --------
    >>> available_memory() > 0
    True
    """
    return _available_memory()


def memory_limit(max_memory: int | float | str | None = None) -> int:
    """The limit in bytes: ``max_memory`` (bytes or a string such as ``"2GiB"``), or by
    default half of :func:`available_memory`.

    Examples
    --------
    >>> memory_limit("2GiB"), memory_limit(1000)
    (2147483648, 1000)
    """
    parsed = parse_memory(max_memory)
    return available_memory() // 2 if parsed is None else parsed


def format_bytes(n: int | float) -> str:
    """Human-readable size with binary units.

    Examples
    --------
    >>> format_bytes(44_240_000_000), format_bytes(512)
    ('41.2 GiB', '512 B')
    """
    if isinstance(n, int) and abs(n) >= 2**1000:  # beyond a float: counts of huge grids
        return f"{format_count(n // 2**50)} PiB"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            if unit == "PiB" and abs(value) >= 1e5:
                return f"{value:.3g} PiB"
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _count(n: int) -> str:
    return format_count(n) if abs(n) >= EXACT_INT_LIMIT else f"{float(n):.1e}"


def check_memory(sizes: PolytopeSizes, max_memory: int | float | str | None = None
                 ) -> MemoryEstimate:
    """Refuse (TooLargeError) a build whose estimate exceeds the limit; else return it.

    Examples
    --------
    >>> from lptrain.sizes import exact_sizes
    >>> check_memory(exact_sizes(2, 1, 5, D=100, bits=3), "1GiB")
    Traceback (most recent call last):
    ...
    lptrain.errors.TooLargeError: this build needs 1.2 TiB (5.0e+09 nonzeros); the limit \
is 1.0 GiB: use fewer bits or samples, or raise max_memory (--max-memory)
    """
    estimate = memory_estimate(sizes)
    limit = memory_limit(max_memory)
    if estimate.total > limit:
        raise TooLargeError(
            f"this build needs {format_bytes(estimate.total)} ({_count(sizes.nonzeros)} "
            f"nonzeros); the limit is {format_bytes(limit)}: use fewer bits or samples, or "
            "raise max_memory (--max-memory)")
    return estimate
