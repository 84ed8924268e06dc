"""Generalization (§6): the sample size of Theorem 6.2 and the LP size of Corollary 6.3.

Theorem 6.2: if φ̄ is ε-optimal for the ERM on D i.i.d. samples and

    ``D >= (4σ²/ε²) · log((2L/ε)^N / α)``,   ``σ² = max_φ Var_{(x,y)}[ℓ(f(x, φ), y)]``,

then with probability ``1 - α``, ``GRM(φ̄) <= min_φ GRM(φ) + 6ε``. ``log`` is the natural
logarithm (Proposition 6.1 is a Hoeffding/union-bound argument over a finite ν-net of
``(2L/ε)^N`` points); it is evaluated as ``N log(2L/ε) - log α`` so that nothing
overflows. Corollary 6.3: the §3 polytope with that D -- exactly
:func:`lptrain.sizes.exact_sizes` with ``D`` samples, ``O((2L/ε)^{n+m+N} · D)`` -- solves
the GRM to 6ε.

**σ² from the loss range.** When σ² is not given, Popoviciu's inequality
``Var ≤ (b - a)²/4`` for a variable in ``[a, b]`` bounds it by the range of the loss over
the domain: outputs ``z ∈ [-U, U]^m`` (U the output bound of Lemma 4.1, ``U_k``, or the
refined node bound) and labels ``y ∈ [-1, 1]^m`` (:func:`loss_range`):

==================  ===========================================
``abs``             ``[0, m(U + 1)]``
``quadratic``       ``[0, m(U + 1)²]``
``hinge``           ``[0, 1 + mU]``
``cross_entropy``   ``[-m(log m + 2U), m(log m + 2U)]`` (each ``lse(z) - z_j ∈ [0, log m + 2U]``)
``hamming``         ``[0, m]``
==================  ===========================================

A regularizer ``λR(φ)`` does not depend on (x, y), so it does not change σ².
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from lptrain._validation import check_float, check_int
from lptrain.components import Loss, Regularizer
from lptrain.discretize import resolve_bits
from lptrain.errors import InvalidInputError
from lptrain.nn import Network, architecture_lipschitz, get_loss
from lptrain.sizes import PolytopeSizes, exact_sizes, phi_grid_size

__all__ = [
    "LossRange",
    "GeneralizationBound",
    "Corollary63",
    "loss_range",
    "theorem_6_2_samples",
    "implied_epsilon",
    "corollary_6_3_size",
]


@dataclass(frozen=True)
class LossRange:
    """An interval ``[low, high]`` holding every loss value over the domain."""

    low: float
    high: float
    output_bound: float
    source: str

    @property
    def sigma2(self) -> float:
        """Popoviciu's bound ``(high - low)² / 4`` on any variance of the loss."""
        return (self.high - self.low) ** 2 / 4.0


def loss_range(network: Network, loss: str | Loss, *, method: str = "paper") -> LossRange:
    """Range of ``ℓ(f(x, φ), y)`` over ``[-1,1]^n × Φ × [-1,1]^m`` (table in the module).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> r = loss_range(dense([2, 3, 1]), "abs")     # U_k = 13 (Lemma 4.1)
    >>> r.low, r.high, r.sigma2
    (0.0, 14.0, 49.0)
    """
    lo = get_loss(loss)
    m = network.m
    if not lo.in_theory:  # no Lipschitz constant, hence no U: a range of its own
        low, high = lo.value_range(m, 1.0)
        return LossRange(low, high, 1.0, f"{lo.spec}: values in [{low:g}, {high:g}] for any "
                                         "network")
    U = float(architecture_lipschitz(network, lo, method=method).output_bound)
    low, high = lo.value_range(m, U)
    return LossRange(low, high, U, f"{lo.name} over z in [-U, U]^m, y in [-1, 1]^m, "
                                   f"U = {U:g} ({method})")


@dataclass(frozen=True)
class GeneralizationBound:
    """Theorem 6.2's sample size with everything it was computed from."""

    samples: int
    eps: float
    lipschitz: float
    N: int
    alpha: float
    sigma2: float
    sigma2_source: str
    log_term: float
    excess_risk: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _required(lipschitz: float, eps: float, N: int, alpha: float, sigma2: float) -> float:
    log_term = N * math.log(2.0 * lipschitz / eps) - math.log(alpha)
    return 4.0 * sigma2 / eps**2 * log_term


def theorem_6_2_samples(lipschitz: float, eps: float, N: int, alpha: float,
                        sigma2: float | None = None, loss_range: LossRange | None = None
                        ) -> GeneralizationBound:
    """Theorem 6.2: ``D = ceil((4σ²/ε²) (N log(2L/ε) - log α))`` (at least 1).

    σ² is ``sigma2`` when given, else ``loss_range.sigma2`` (Popoviciu); one is needed.

    Examples
    --------
    >>> b = theorem_6_2_samples(48.0, 0.5, N=4, alpha=0.05, sigma2=1.0)
    >>> b.samples, round(b.log_term, 4), b.excess_risk
    (385, 24.0257, 3.0)
    """
    L = check_float("lipschitz", lipschitz, 0.0, lo_open=True)
    e = check_float("eps", eps, 0.0, lo_open=True)
    n_params = check_int("N", N, 0)
    a = check_float("alpha", alpha, 0.0, 1.0, lo_open=True, hi_open=True)
    if sigma2 is not None:
        s2, source = check_float("sigma2", sigma2, 0.0), "given"
    elif loss_range is not None:
        s2, source = loss_range.sigma2, f"(range)^2/4, range [{loss_range.low:g}, " \
                                        f"{loss_range.high:g}]: {loss_range.source}"
    else:
        raise InvalidInputError("theorem_6_2_samples needs sigma2 or loss_range (σ² is then "
                                "bounded by (range)²/4)")
    log_term = n_params * math.log(2.0 * L / e) - math.log(a)
    D = max(1, math.ceil(4.0 * s2 / e**2 * log_term))
    return GeneralizationBound(samples=D, eps=e, lipschitz=L, N=n_params, alpha=a, sigma2=s2,
                               sigma2_source=source, log_term=log_term, excess_risk=6.0 * e)


def implied_epsilon(lipschitz: float, N: int, alpha: float, sigma2: float, D: int) -> float:
    """The smallest ε (to 1e-9 relative) for which Theorem 6.2 holds with D samples:
    ``GRM(φ̄) <= min GRM + 6ε`` is then what the theorem guarantees at this D.

    Examples
    --------
    >>> eps = implied_epsilon(48.0, 4, 0.05, 1.0, 385)
    >>> 0.499 < eps <= 0.5
    True
    """
    check_int("D", D, 1)
    lo, hi = 1e-12, 2.0 * lipschitz * (1.0 - 1e-12)
    if _required(lipschitz, hi, N, alpha, sigma2) > D:
        return hi
    for _ in range(200):  # bisection on a log scale; required(ε) decreases in ε
        mid = math.sqrt(lo * hi)
        if _required(lipschitz, mid, N, alpha, sigma2) <= D:
            hi = mid
        else:
            lo = mid
        if hi / lo < 1.0 + 1e-9:
            break
    return hi


@dataclass(frozen=True)
class Corollary63:
    """Corollary 6.3: the §3 polytope for Theorem 6.2's D -- exact counts and the O(·)."""

    bound: GeneralizationBound
    sizes: PolytopeSizes
    bits: int
    expression: float

    def to_dict(self) -> dict[str, Any]:
        return {"bound": self.bound.to_dict(), "sizes": self.sizes.to_dict(),
                "bits": self.bits, "expression": self.expression}


def corollary_6_3_size(network: Network, loss: str | Loss, alpha: float, *,
                       eps: float | None = None, bits: int | None = None,
                       sigma2: float | None = None,
                       regularizer: str | Regularizer | None = None,
                       method: str = "paper") -> Corollary63:
    """Exact size of the LP of Corollary 6.3 (the §3 polytope with Theorem 6.2's D).

    ε is the error the grid achieves (``2L/2^bits``, at most a requested ε); ``expression``
    is ``(2L/ε)^{n+m+N} (4σ²/ε²) log((2L/ε)^N/α)`` with constant 1 (a float).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> c = corollary_6_3_size(dense([1, 1]), "abs", 0.05, bits=4)
    >>> c.bound.eps, c.bound.sigma2, c.bound.samples, c.sizes.D, c.sizes.variables
    (1.0, 2.25, 77, 77, 5065728)
    """
    lo = get_loss(loss)
    report = architecture_lipschitz(network, lo, regularizer, method=method)
    b, achieved = resolve_bits(report.lipschitz, eps=eps, bits=bits)
    rng = loss_range(network, lo, method=method)
    bound = theorem_6_2_samples(report.lipschitz, achieved, network.N, alpha, sigma2, rng)
    sizes = exact_sizes(network.n, network.m, network.N, bound.samples, b,
                        phi_grid=phi_grid_size(network, b))
    ratio = 2.0 * report.lipschitz / achieved
    expression = ratio ** (network.n + network.m + network.N) * (
        4.0 * bound.sigma2 / achieved**2 * bound.log_term)
    return Corollary63(bound=bound, sizes=sizes, bits=b, expression=expression)
