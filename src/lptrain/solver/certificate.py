"""Checking an LP solution without trusting the solver.

For ``min c^T x + o`` s.t. ``L <= A x <= U``, ``l <= x <= u`` and *any* row multipliers
``y``, weak duality gives the lower bound

.. math::

    LB(y) = o + \\sum_i \\beta_i(y_i) + \\sum_j \\min_{x_j \\in [l_j, u_j]} r_j x_j,
    \\qquad r = c - A^\\top y,

with ``beta_i(y_i) = y_i L_i`` if ``y_i > 0``, ``y_i U_i`` if ``y_i < 0`` and ``0`` if
``y_i = 0``; a term that needs an infinite bound makes the bound ``-inf`` (sound, never
wrong). :func:`dual_bound` evaluates it

* **exactly** (``exact=True``): every float is a dyadic rational, so the sums are done in
  Python integers scaled by a common power of two and the result is a
  :class:`fractions.Fraction`, rounded toward ``-inf`` to a float; or
* **rigorously in floating point** (``exact=False``): ``r`` is enclosed in
  ``[r_hat - e, r_hat + e]`` with ``e = gamma_{k+2} (|c| + |A|^T |y|) + tiny``
  (``gamma_k = k u / (1 - k u)``, ``u = 2^-53``, ``k`` the largest column count), each
  column term is minimized over that interval, and the final sum is lowered by
  ``2 gamma_{N+2} sum |terms|`` plus an underflow allowance, then rounded down one ulp
  (Neumaier--Shcherbina style).

``exact="auto"`` uses exact arithmetic up to :data:`EXACT_NNZ_LIMIT` nonzeros.
A maximization problem is handled as ``min -c^T x - o``; its bound is an upper bound.
:func:`verify_farkas` checks an infeasibility ray the same way, with ``c = 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from lptrain._validation import check_array
from lptrain.errors import CertificateError, InvalidInputError
from lptrain.solver.lp import LinearProgram, LPSolution

__all__ = ["EXACT_NNZ_LIMIT", "LPCertificate", "certify", "dual_bound", "verify_farkas"]

#: Largest ``nnz`` for which ``exact="auto"`` uses exact rational arithmetic.
EXACT_NNZ_LIMIT = 1_000_000
_U = 2.0**-53
_TINY = 2.0**-1000  # generous allowance per term for underflow in products


def _gamma(k: int) -> float:
    return k * _U / (1.0 - k * _U)


# ---------------------------------------------------------------- exact (dyadic) arithmetic
def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite floats as integer mantissas and exponents: ``a = m * 2**e`` exactly."""
    f, e = np.frexp(a)
    return (f * 2.0**53).astype(np.int64), e.astype(np.int64) - 53


def _scaled(m: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, int]:
    """Integers ``m << (e - E)`` (object dtype) and the common exponent ``E``."""
    live = np.asarray([x != 0 for x in m], dtype=bool) if m.dtype == object else m != 0
    base = int(e[live].min()) if live.any() else 0
    shift = np.where(live, e - base, 0).astype(object)
    return m.astype(object) << shift, base


def _fraction(total: int, base: int) -> Fraction:
    return Fraction(total) * (Fraction(2) ** base)


def _exact_lower(lp: LinearProgram, c: np.ndarray, offset: float, y: np.ndarray) -> Fraction | None:
    """The exact dual bound, or None when it is -inf (a needed bound is infinite)."""
    A = lp.A
    ma, ea = _split(A.data)
    my, ey = _split(y[A.indices])
    mc, ec = _split(c)
    prod_m = -(ma.astype(object) * my.astype(object))
    m_all = np.concatenate([mc.astype(object), prod_m])
    e_all = np.concatenate([ec, ea + ey])
    ints, base = _scaled(m_all, e_all)
    r = ints[: lp.n_cols].copy()
    if A.nnz:
        prefix = np.concatenate([[0], np.cumsum(ints[lp.n_cols :])]).astype(object)
        r = r + (prefix[A.indptr[1:]] - prefix[A.indptr[:-1]])
    sign = np.asarray([(v > 0) - (v < 0) for v in r], dtype=np.int64)
    col_bound = np.where(sign > 0, lp.col_lower, np.where(sign < 0, lp.col_upper, 0.0))
    row_bound = np.where(y > 0, lp.row_lower, np.where(y < 0, lp.row_upper, 0.0))
    if not (np.isfinite(col_bound).all() and np.isfinite(row_bound).all()):
        return None
    mb, eb = _split(col_bound)
    my2, ey2 = _split(y)
    mrb, erb = _split(row_bound)
    terms_m = np.concatenate([r * mb.astype(object), my2.astype(object) * mrb.astype(object)])
    terms_e = np.concatenate([eb + base, ey2 + erb])
    ints2, base2 = _scaled(terms_m, terms_e)
    return _fraction(int(sum(ints2.tolist())), base2) + Fraction(offset)


def _round_down(value: Fraction) -> float:
    f = float(value)
    return float(np.nextafter(f, -np.inf)) if Fraction(f) > value else f


def _round_up(value: Fraction) -> float:
    f = float(value)
    return float(np.nextafter(f, np.inf)) if Fraction(f) < value else f


# ---------------------------------------------------------------- rigorous floating point
def _safe_mul(r: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        out = r * b
    return np.where(r == 0.0, 0.0, out)


def _float_lower(lp: LinearProgram, c: np.ndarray, offset: float, y: np.ndarray) -> float:
    A = lp.A
    r_hat = c - np.asarray(A.T @ y)
    k = int(np.diff(A.indptr).max(initial=0)) + 2
    scale = np.abs(c) + np.asarray(abs(A).T @ np.abs(y))
    err = _gamma(k) * scale * (1.0 + _gamma(k)) + k * _TINY
    # one ulp outward: the enclosure holds even where r_hat -/+ err rounds or underflows
    r_lo = np.nextafter(r_hat - err, -np.inf)
    r_hi = np.nextafter(r_hat + err, np.inf)
    corners = [
        _safe_mul(r_lo, lp.col_lower),
        _safe_mul(r_lo, lp.col_upper),
        _safe_mul(r_hi, lp.col_lower),
        _safe_mul(r_hi, lp.col_upper),
    ]
    col_terms = np.minimum.reduce(corners)
    row_terms = np.where(
        y > 0, _safe_mul(y, lp.row_lower), np.where(y < 0, _safe_mul(y, lp.row_upper), 0.0)
    )
    terms = np.concatenate([col_terms, row_terms, [offset]])
    if not np.isfinite(terms).all():
        return -math.inf
    n = terms.size + 2
    total = float(np.sum(terms))
    slack = 2.0 * _gamma(n) * float(np.sum(np.abs(terms))) * (1.0 + _gamma(n)) + n * _TINY
    return float(np.nextafter(total - slack, -np.inf))


def _min_form(lp: LinearProgram) -> tuple[np.ndarray, float, float]:
    sign = 1.0 if lp.sense == "min" else -1.0
    return sign * lp.c, sign * lp.offset, sign


def _use_exact(lp: LinearProgram, exact: bool | str) -> bool:
    if exact == "auto":
        return lp.nnz <= EXACT_NNZ_LIMIT
    if isinstance(exact, bool):
        return exact
    raise InvalidInputError(f"exact must be True, False or 'auto'; got {exact!r}")


def _lower_bound_min_form(
    lp: LinearProgram, c: np.ndarray, offset: float, y: np.ndarray, exact: bool
) -> tuple[float, Fraction | None]:
    if exact:
        value = _exact_lower(lp, c, offset, y)
        if value is None:
            return -math.inf, None
        return _round_down(value), value
    return _float_lower(lp, c, offset, y), None


def dual_bound(lp: LinearProgram, row_duals: Any, *, exact: bool | str = "auto") -> float:
    """A proven bound on the optimum of ``lp`` from any row multipliers (weak duality).

    A lower bound for ``sense="min"``, an upper bound for ``"max"`` (``row_duals`` in the
    convention of :class:`~lptrain.solver.lp.LPSolution`). Never wrong, possibly ``-inf``.

    Examples
    --------
    >>> lp = LinearProgram(c=[1.0, 1.0], A=[[1.0, 1.0]], row_lower=[1.0], row_upper=[1.0],
    ...                    col_lower=[0.0, 0.0], col_upper=[np.inf, np.inf])
    >>> dual_bound(lp, [1.0]), dual_bound(lp, [0.5]), dual_bound(lp, [2.0])
    (1.0, 0.5, -inf)
    """
    y = check_array("row_duals", row_duals, shape=(lp.n_rows,), allow_empty=True)
    c, offset, sign = _min_form(lp)
    low, _ = _lower_bound_min_form(lp, c, offset, sign * y, _use_exact(lp, exact))
    return sign * low


@dataclass(frozen=True)
class LPCertificate:
    """Independent check of an LP solution (no solver involved).

    Attributes
    ----------
    primal_objective : float
        ``c^T x + offset`` of the claimed solution.
    dual_bound : float
        Proven bound on the optimum from the claimed duals (lower for min, upper for max),
        rounded outward.
    gap : float
        ``|primal_objective - dual_bound|`` rounded up; with zero residuals the optimum lies
        within ``gap`` of ``primal_objective``.
    row_residual, bound_residual : float
        Largest violation of the row bounds and of the column bounds by ``x``.
    exact : bool
        Whether the bound was computed in exact rational arithmetic.
    """

    primal_objective: float
    dual_bound: float
    gap: float
    row_residual: float
    bound_residual: float
    exact: bool

    def holds(self, tol: float = 1e-6) -> bool:
        """Residuals and relative gap all within ``tol``."""
        scale = 1.0 + abs(self.primal_objective)
        return bool(
            self.row_residual <= tol and self.bound_residual <= tol and self.gap <= tol * scale
        )

    def check(self, tol: float = 1e-6) -> LPCertificate:
        """Return self if :meth:`holds`, else raise CertificateError naming what failed."""
        if not self.holds(tol):
            raise CertificateError(
                f"LP solution not certified at tol={tol:g}: row residual {self.row_residual:.3g},"
                f" bound residual {self.bound_residual:.3g}, gap {self.gap:.3g} "
                f"(primal {self.primal_objective!r}, dual bound {self.dual_bound!r})"
            )
        return self


def certify(
    lp: LinearProgram, solution: LPSolution, *, exact: bool | str = "auto"
) -> LPCertificate:
    """Recompute residuals, objective and a safe dual bound for ``solution``.

    Examples
    --------
    >>> from lptrain.solver.highs import solve_lp
    >>> lp = LinearProgram(c=[1.0, 2.0], A=[[1.0, 1.0]], row_lower=[1.0], row_upper=[np.inf],
    ...                    col_lower=[0.0, 0.0], col_upper=[1.0, 1.0])
    >>> cert = certify(lp, solve_lp(lp))
    >>> (cert.primal_objective, cert.dual_bound, cert.gap, cert.exact)
    (1.0, 1.0, 0.0, True)
    """
    x = check_array("solution.x", solution.x, shape=(lp.n_cols,), allow_empty=True)
    y = check_array("solution.row_duals", solution.row_duals, shape=(lp.n_rows,), allow_empty=True)
    use_exact = _use_exact(lp, exact)
    c, offset, sign = _min_form(lp)
    row_res, col_res = lp.primal_residuals(x)
    low, low_exact = _lower_bound_min_form(lp, c, offset, sign * y, use_exact)
    if use_exact:
        xm, xe = _split(x)
        cm, ce = _split(c)
        ints, base = _scaled(xm.astype(object) * cm.astype(object), xe + ce)
        primal_exact = _fraction(int(sum(ints.tolist())), base) + Fraction(offset)
        primal = float(primal_exact)
        gap = math.inf if low_exact is None else _round_up(primal_exact - low_exact)
    else:
        primal = float(math.fsum((c * x).tolist()) + offset)
        gap = float(np.nextafter(primal - low, np.inf)) if np.isfinite(low) else math.inf
    return LPCertificate(
        primal_objective=sign * primal,
        dual_bound=sign * low,
        gap=max(gap, 0.0),
        row_residual=row_res,
        bound_residual=col_res,
        exact=use_exact,
    )


def verify_farkas(lp: LinearProgram, ray: Any, *, exact: bool | str = "auto") -> bool:
    """Whether ``ray`` (row multipliers, either sign) proves that ``lp`` is infeasible.

    It does when ``sum_i beta_i(y_i) - sum_j max_{x_j in [l_j,u_j]} (A^T y)_j x_j > 0``:
    the dual bound of the LP with a zero objective is positive.

    Examples
    --------
    >>> lp = LinearProgram(c=[1.0, 1.0], A=[[1.0, 1.0]], row_lower=[3.0], row_upper=[np.inf],
    ...                    col_lower=[0.0, 0.0], col_upper=[1.0, 1.0])
    >>> verify_farkas(lp, [1.0]), verify_farkas(lp, [0.0])
    (True, False)
    """
    y = check_array("ray", ray, shape=(lp.n_rows,), allow_empty=True)
    use_exact = _use_exact(lp, exact)
    zero = np.zeros(lp.n_cols)
    for direction in (y, -y):
        low, _ = _lower_bound_min_form(lp, zero, 0.0, direction, use_exact)
        if low > 0.0:
            return True
    return False
