"""The grid of §3.1: levels, rounding down, the bit encoding, and bits ↔ γ ↔ ε.

Every coordinate r ∈ [-1, 1] (data, labels, parameters) is replaced by a grid value
``g_k = -1 + 2k/K``, ``k = 0..K-1``, with ``K = 2**bits`` levels: -1 lies on the grid,
+1 does not. Rounding *down* picks ``k = min(floor((r+1)K/2), K-1)``, so that
``g_k <= r <= g_k + 2γ`` with ``γ = 1/K = 2**-bits`` (eq. 7 of the paper writes
``g_k = -1 + 2 Σ_h 2^-h z_h`` with bits ``z_1`` (most significant) .. ``z_bits``).
The discretization error is ``ε = 2γL`` for the architecture Lipschitz constant L
(Definition 2.2), hence ``bits = ceil(log2(2L/ε))`` for a requested ε.

A point of a product grid (e.g. the N free parameters) is identified by a mixed-radix
integer index whose *first* coordinate is the most significant digit, so a kernel can
generate the point from its index without materializing the grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._validation import check_array, check_float, check_int, check_unit_box
from lptrain.errors import InvalidInputError, TooLargeError

__all__ = [
    "MAX_BITS",
    "GridRange",
    "levels",
    "gamma",
    "grid_values",
    "round_down",
    "to_grid",
    "encode_bits",
    "decode_bits",
    "bits_from_gamma",
    "bits_from_epsilon",
    "epsilon_from_bits",
    "resolve_bits",
    "grid_size",
    "grid_index",
    "grid_levels",
    "grid_points",
    "data_grid",
]

#: Largest number of bits per coordinate the library accepts.
MAX_BITS = 30
# Grid indices are int64 inside the kernels.
_MAX_INDEX_BITS = 62


def _bits(bits: Any) -> int:
    return check_int("bits", bits, 1, MAX_BITS)


def levels(bits: int) -> int:
    """Number of grid levels ``K = 2**bits`` per coordinate (§3.1).

    Examples
    --------
    >>> levels(3)
    8
    """
    return 1 << _bits(bits)


def gamma(bits: int) -> float:
    """Grid half-spacing ``γ = 2**-bits``: every r has a grid value in ``[r - 2γ, r]``.

    Examples
    --------
    >>> gamma(3)
    0.125
    """
    return math.ldexp(1.0, -_bits(bits))


def grid_values(bits: int) -> np.ndarray:
    """The K grid values ``-1 + 2k/K``, ``k = 0..K-1`` (exact dyadic numbers).

    Examples
    --------
    >>> grid_values(2)
    array([-1. , -0.5,  0. ,  0.5])
    """
    k = levels(bits)
    return -1.0 + np.arange(k, dtype=np.float64) * (2.0 / k)


def round_down(r: Any, bits: int) -> np.ndarray:
    """Index k of the grid value at or below r: ``min(floor((r+1)K/2), K-1)`` (§3.1).

    The result satisfies ``g_k <= r <= g_k + 2γ`` exactly (the floating-point floor is
    corrected so that the comparison holds for the computed grid values).

    Examples
    --------
    >>> round_down([-1.0, -0.76, 0.0, 0.99, 1.0], 2)
    array([0, 0, 2, 3, 3])
    """
    K = levels(bits)
    arr = check_array("r", r, ndim=None, allow_empty=True)
    check_unit_box("r", arr)
    k = np.minimum(np.floor((arr + 1.0) * (K / 2.0)), K - 1).astype(np.int64)
    step = 2.0 / K
    k = np.where(-1.0 + k * step > arr, k - 1, k)
    up = np.minimum(k + 1, K - 1)
    k = np.where((up > k) & (-1.0 + up * step <= arr), up, k)
    return np.asarray(k)


def to_grid(r: Any, bits: int) -> np.ndarray:
    """Round every entry of r down to the grid (the value, not the index).

    Examples
    --------
    >>> to_grid([[0.3, -0.9]], 2)
    array([[ 0., -1.]])
    """
    return -1.0 + round_down(r, bits) * (2.0 / levels(bits))


def encode_bits(k: Any, bits: int) -> np.ndarray:
    """Bits ``z_1 .. z_bits`` of eq. (7) for level indices k (``z_1`` most significant).

    Returns an array of shape ``k.shape + (bits,)`` and dtype uint8, such that
    ``g_k = -1 + 2 Σ_h 2^-h z_h``.

    Examples
    --------
    >>> encode_bits([5], 3)
    array([[1, 0, 1]], dtype=uint8)
    """
    b = _bits(bits)
    karr = np.asarray(k, dtype=np.int64)
    if karr.size and (karr.min() < 0 or karr.max() >= (1 << b)):
        raise InvalidInputError(f"k must be level indices in [0, {(1 << b) - 1}] for bits={b}")
    shifts = np.arange(b - 1, -1, -1, dtype=np.int64)
    return ((karr[..., None] >> shifts) & 1).astype(np.uint8)


def decode_bits(z: Any) -> np.ndarray:
    """Level indices from bits (last axis, most significant first); inverse of encode_bits.

    Examples
    --------
    >>> decode_bits([[1, 0, 1]])
    array([5])
    """
    zarr = np.asarray(z, dtype=np.int64)
    if zarr.ndim == 0 or not np.isin(zarr, (0, 1)).all():
        raise InvalidInputError("z must be an array of 0/1 bits with the bits on the last axis")
    b = zarr.shape[-1]
    weights = np.left_shift(1, np.arange(b - 1, -1, -1, dtype=np.int64))
    return np.asarray(zarr @ weights)


def bits_from_gamma(gamma_value: float) -> int:
    """``N_γ = ceil(log2(1/γ))``, the bits per coordinate for grid half-spacing γ.

    Examples
    --------
    >>> bits_from_gamma(0.125), bits_from_gamma(0.1)
    (3, 4)
    """
    g = check_float("gamma", gamma_value, 0.0, 1.0, lo_open=True)
    return _ceil_log2(1.0 / g)


def _ceil_log2(x: float) -> int:
    # Exact: frexp gives x = f * 2**e with f in [0.5, 1); x is a power of two iff f == 0.5.
    f, e = math.frexp(x)
    return e - 1 if f == 0.5 else e


def epsilon_from_bits(bits: int, lipschitz: float) -> float:
    """The discretization error ``ε = 2γL = 2L/2**bits`` (Lemma 3.1).

    Examples
    --------
    >>> epsilon_from_bits(3, 12.0)
    3.0
    """
    lip = check_float("lipschitz", lipschitz, 0.0, lo_open=True)
    return 2.0 * lip * gamma(bits)


def bits_from_epsilon(eps: float, lipschitz: float) -> int:
    """Bits needed for error at most ε: ``ceil(log2(2L/ε))`` (§3.1).

    Raises InvalidInputError when ε is not positive or the implied bits fall outside
    ``[1, 30]``.

    Examples
    --------
    >>> bits_from_epsilon(3.0, 12.0), bits_from_epsilon(2.9, 12.0)
    (3, 4)
    >>> bits_from_epsilon(1e-9, 12.0)
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: eps=1e-09 implies bits=35 (2L/eps = 2.4e+10 with \
L=12); bits must be in [1, 30]: choose a larger eps
    """
    e = check_float("eps", eps, 0.0, lo_open=True)
    lip = check_float("lipschitz", lipschitz, 0.0, lo_open=True)
    ratio = 2.0 * lip / e
    if not math.isfinite(ratio):
        raise InvalidInputError(f"eps={e:g} with L={lip:g} gives 2L/eps = inf; choose a larger eps")
    b = _ceil_log2(ratio)
    if b < 1 or b > MAX_BITS:
        hint = "choose a larger eps" if b > MAX_BITS else "choose a smaller eps"
        raise InvalidInputError(
            f"eps={e:g} implies bits={b} (2L/eps = {ratio:.2g} with L={lip:g}); bits must be "
            f"in [1, {MAX_BITS}]: {hint}"
        )
    return b


def resolve_bits(
    lipschitz: float, *, eps: float | None = None, bits: int | None = None
) -> tuple[int, float]:
    """Exactly one of eps or bits → ``(bits, ε achieved)``; the achieved ε is ≤ the request.

    Examples
    --------
    >>> resolve_bits(12.0, eps=2.9)
    (4, 1.5)
    >>> resolve_bits(12.0, bits=3)
    (3, 3.0)
    """
    if (eps is None) == (bits is None):
        raise InvalidInputError("give exactly one of eps and bits")
    b = bits_from_epsilon(eps, lipschitz) if eps is not None else _bits(bits)
    return b, epsilon_from_bits(b, lipschitz)


def grid_size(n_coords: int, bits: int) -> int:
    """Number of points ``K**n_coords`` of the product grid (a Python int, never overflows).

    Examples
    --------
    >>> grid_size(5, 30)
    1427247692705959881058285969449495136382746624
    """
    return levels(bits) ** check_int("n_coords", n_coords, 0)


@dataclass(frozen=True)
class GridRange:
    """The grid points with mixed-radix indices ``start <= i < stop`` of a ``bits`` grid.

    Passed in place of an explicit parameter array to the evaluation kernels, which then
    generate each point from its index. ``stop=None`` means the end of the grid.

    Examples
    --------
    >>> GridRange(2, 0, 4).count
    4
    """

    bits: int
    start: int = 0
    stop: int | None = None

    def __post_init__(self) -> None:
        _bits(self.bits)
        check_int("start", self.start, 0)
        if self.stop is not None:
            check_int("stop", self.stop, self.start)

    def resolved(self, n_coords: int) -> tuple[int, int]:
        """``(start, stop)`` with stop filled in; checks the range lies inside the grid."""
        total = grid_size(n_coords, self.bits)
        stop = total if self.stop is None else self.stop
        if stop > total:
            raise InvalidInputError(
                f"grid range stop={stop} exceeds the grid size {total} "
                f"(K**N with K=2**{self.bits}, N={n_coords})"
            )
        if self.bits * n_coords > _MAX_INDEX_BITS:
            raise TooLargeError(
                f"a grid of 2**{self.bits * n_coords} points cannot be indexed by int64 "
                f"(bits*N = {self.bits}*{n_coords} > {_MAX_INDEX_BITS}); use fewer bits"
            )
        return self.start, stop

    @property
    def count(self) -> int:
        """Number of points in the range (needs an explicit stop)."""
        if self.stop is None:
            raise InvalidInputError("GridRange.count needs an explicit stop")
        return self.stop - self.start


def grid_index(k: Any, bits: int) -> np.ndarray:
    """Mixed-radix index of per-coordinate level indices (rows of k; first most significant).

    Examples
    --------
    >>> grid_index([[1, 0, 3]], 2)
    array([19])
    """
    K = levels(bits)
    karr = np.atleast_2d(np.asarray(k, dtype=np.int64))
    if bits * karr.shape[1] > _MAX_INDEX_BITS:
        raise TooLargeError(f"bits*coordinates = {bits * karr.shape[1]} exceeds 62 (int64 index)")
    if karr.size and (karr.min() < 0 or karr.max() >= K):
        raise InvalidInputError(f"k must be level indices in [0, {K - 1}] for bits={bits}")
    shifts = bits * np.arange(karr.shape[1] - 1, -1, -1, dtype=np.int64)
    return np.asarray(np.bitwise_or.reduce(karr << shifts, axis=1))


def grid_levels(index: Any, n_coords: int, bits: int) -> np.ndarray:
    """Per-coordinate level indices (shape ``(len(index), n_coords)``) of mixed-radix indices.

    Examples
    --------
    >>> grid_levels([19], 3, 2)
    array([[1, 0, 3]])
    """
    b = _bits(bits)
    idx = np.asarray(index, dtype=np.int64).reshape(-1)
    shifts = b * np.arange(n_coords - 1, -1, -1, dtype=np.int64)
    return np.asarray((idx[:, None] >> shifts) & ((1 << b) - 1))


def grid_points(n_coords: int, bits: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """The grid points with indices in ``[start, stop)`` as a ``(stop-start, n_coords)`` array.

    Examples
    --------
    >>> grid_points(2, 1)
    array([[-1., -1.],
           [-1.,  0.],
           [ 0., -1.],
           [ 0.,  0.]])
    """
    lo, hi = GridRange(bits, start, stop).resolved(n_coords)
    lv = grid_levels(np.arange(lo, hi, dtype=np.int64), n_coords, bits)
    return -1.0 + lv * (2.0 / levels(bits))


def data_grid(n: int, m: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``K**(n+m)`` data grid points (x, y) in mixed-radix order, x coordinates first.

    This is the row order of the data part of the table F of §3.2.

    Examples
    --------
    >>> X, Y = data_grid(1, 1, 1)
    >>> X.ravel(), Y.ravel()
    (array([-1., -1.,  0.,  0.]), array([-1.,  0., -1.,  0.]))
    """
    pts = grid_points(n + m, bits)
    return np.ascontiguousarray(pts[:, :n]), np.ascontiguousarray(pts[:, n:])
