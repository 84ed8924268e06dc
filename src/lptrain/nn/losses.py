"""Loss functions ``ℓ(z, y)`` with their Lipschitz constants (§4.3).

For a network output ``z ∈ [-U, U]^m`` and a label ``y ∈ [-1, 1]^m`` the constant
``L∞(ℓ)`` bounds ``sup ‖∇ℓ(z, y)‖₁`` over that box, i.e. the ∞-norm Lipschitz constant
in (z, y) jointly (the data are variables too, Definition 2.2):

=================  ===============================  =====================
name               ℓ(z, y)                          L∞(ℓ) over the box
=================  ===============================  =====================
``abs``            ``Σ_j |z_j - y_j|``              ``2m``
``quadratic``      ``Σ_j (z_j - y_j)²``             ``4m(U + 1)``
``hinge``          ``max(1 - zᵀy, 0)``              ``m(U + 1)``
``cross_entropy``  ``-Σ_j y_j log softmax(z)_j``    ``2m(log m + 2U)``
``hamming``        ``Σ_j [z_j ≠ y_j]``              outside the theory
=================  ===============================  =====================

The hinge loss is ``max(1 - zᵀy, 0)``; the paper's text writes ``zᵀx`` (a typo, SPEC §5).
For cross-entropy ``|∂ℓ/∂z_i| <= |y_i| + softmax_i Σ_j |y_j|`` sums to at most ``2m`` and
``|∂ℓ/∂y_i| = -log softmax_i <= log m + 2U``, so ``m(2 + log m + 2U) <= 2m(log m + 2U)``
because ``U >= 1``: the paper's constant is sound. The 0-1/Hamming loss counts mismatched
outputs (binarized networks, Appendix C) and has no Lipschitz constant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lptrain.errors import InvalidInputError, OutsideTheoryError

__all__ = ["Loss", "get_loss", "LOSSES"]

#: Canonical loss names.
LOSSES: tuple[str, ...] = ("abs", "quadratic", "hinge", "cross_entropy", "hamming")
_ALIASES = {"absolute": "abs", "l1": "abs", "squared": "quadratic", "square": "quadratic",
            "ce": "cross_entropy", "crossentropy": "cross_entropy", "zero_one": "hamming",
            "0_1": "hamming", "01": "hamming"}

Arrays = Sequence[np.ndarray]


@dataclass(frozen=True)
class Loss:
    """A loss ``ℓ(z, y)`` on an output vector z and a label vector y of length m.

    Examples
    --------
    >>> loss = get_loss("quadratic")
    >>> loss(np.array([[1.0, 0.0]]), np.array([[0.5, -1.0]]))
    array([1.25])
    >>> loss.lipschitz(m=2, U=3.0)
    32.0
    """

    name: str

    def __post_init__(self) -> None:
        if self.name not in LOSSES:
            raise InvalidInputError(f"loss must be one of {', '.join(LOSSES)}; got {self.name!r}")

    @property
    def in_theory(self) -> bool:
        """False for the Hamming loss, which is not Lipschitz."""
        return self.name != "hamming"

    def lipschitz(self, m: int, U: float) -> float:
        """``L∞(ℓ)`` over ``[-U, U]^m × [-1, 1]^m`` (§4.3)."""
        if not self.in_theory:
            raise OutsideTheoryError(
                f"loss {self.name!r} is outside the Lipschitz theory of §4 (it is not "
                "continuous); use abs, quadratic, hinge or cross_entropy"
            )
        if self.name == "abs":
            return 2.0 * m
        if self.name == "quadratic":
            return 4.0 * m * (U + 1.0)
        if self.name == "hinge":
            return m * (U + 1.0)
        return 2.0 * m * (math.log(m) + 2.0 * U)

    def lipschitz_refined(self, m: int, U: float) -> float:
        """As :meth:`lipschitz`, but cross-entropy uses the derivation's
        ``m(2 + log m + 2U)``, valid for any ``U >= 0`` (the paper's bound needs U >= 1)."""
        if self.name == "cross_entropy":
            return m * (2.0 + math.log(m) + 2.0 * U)
        return self.lipschitz(m, U)

    def __call__(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Loss of outputs z against labels y, both with the outputs on the last axis."""
        zz, yy = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
        m = zz.shape[-1]
        return self.columns([zz[..., j] for j in range(m)], [yy[..., j] for j in range(m)])

    def columns(self, zs: Arrays, ys: Arrays) -> np.ndarray:
        """Loss from per-output arrays ``zs[j]`` and labels ``ys[j]`` (broadcastable).

        The order of operations is the one the generated kernels use.
        """
        name = self.name
        if name == "cross_entropy":
            top = zs[0]
            for z in zs[1:]:
                top = np.maximum(top, z)
            s = np.exp(zs[0] - top)
            for z in zs[1:]:
                s = s + np.exp(z - top)
            lse = top + np.log(s)
            acc = ys[0] * (lse - zs[0])
            for z, y in zip(zs[1:], ys[1:], strict=True):
                acc = acc + y * (lse - z)
            return np.asarray(acc)
        if name == "hinge":
            dot = zs[0] * ys[0]
            for z, y in zip(zs[1:], ys[1:], strict=True):
                dot = dot + z * y
            return np.maximum(1.0 - dot, 0.0)
        acc = None
        for z, y in zip(zs, ys, strict=True):
            if name == "abs":
                term = np.abs(z - y)
            elif name == "quadratic":
                term = (z - y) * (z - y)
            else:
                term = (z != y).astype(np.float64)
            acc = term if acc is None else acc + term
        return np.asarray(acc)

    def source(self, zs: Sequence[str], ys: Sequence[str], out: str) -> list[str]:
        """Statements computing the loss into variable ``out`` (for the kernels).

        Examples
        --------
        >>> get_loss("abs").source(["z3"], ["y0"], "ell")
        ['ell = abs(z3 - y0)']
        """
        pairs = list(zip(zs, ys, strict=True))
        if self.name == "abs":
            return [f"{out} = " + " + ".join(f"abs({z} - {y})" for z, y in pairs)]
        if self.name == "quadratic":
            lines = [f"e{k} = {z} - {y}" for k, (z, y) in enumerate(pairs)]
            return lines + [f"{out} = " + " + ".join(f"e{k} * e{k}" for k in range(len(pairs)))]
        if self.name == "hinge":
            dot = " + ".join(f"{z} * {y}" for z, y in pairs)
            return [f"t = 1.0 - ({dot})", f"{out} = t if t > 0.0 else 0.0"]
        if self.name == "hamming":
            return [f"{out} = " + " + ".join(f"(1.0 if {z} != {y} else 0.0)" for z, y in pairs)]
        lines = [f"top = {zs[0]}"] + [f"top = max(top, {z})" for z in zs[1:]]
        lines.append("s = " + " + ".join(f"math.exp({z} - top)" for z in zs))
        lines.append("lse = top + math.log(s)")
        lines.append(f"{out} = " + " + ".join(f"{y} * (lse - {z})" for z, y in pairs))
        return lines

    def interval(
        self, zlo: Arrays, zhi: Arrays, ylo: Arrays, yhi: Arrays
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sound bounds of the loss over boxes of outputs and labels (per-output arrays).

        Rounding is not accounted for here; the caller widens the result.
        """
        name = self.name
        if name in ("abs", "quadratic"):
            lo_t, hi_t = [], []
            for zl, zh, yl, yh in zip(zlo, zhi, ylo, yhi, strict=True):
                dl, dh = zl - yh, zh - yl
                mag_lo = np.where(dl > 0, dl, np.where(dh < 0, -dh, 0.0))
                mag_hi = np.maximum(np.abs(dl), np.abs(dh))
                if name == "quadratic":
                    mag_lo, mag_hi = mag_lo * mag_lo, mag_hi * mag_hi
                lo_t.append(mag_lo)
                hi_t.append(mag_hi)
            return _sum(lo_t), _sum(hi_t)
        if name == "hinge":
            prods = [_mul(zl, zh, yl, yh)
                     for zl, zh, yl, yh in zip(zlo, zhi, ylo, yhi, strict=True)]
            dot_lo, dot_hi = _sum([p[0] for p in prods]), _sum([p[1] for p in prods])
            return np.maximum(1.0 - dot_hi, 0.0), np.maximum(1.0 - dot_lo, 0.0)
        if name == "hamming":
            lo_t, hi_t = [], []
            for zl, zh, yl, yh in zip(zlo, zhi, ylo, yhi, strict=True):
                same = (zl == zh) & (yl == yh) & (zl == yl)
                disjoint = (zh < yl) | (yh < zl)
                lo_t.append(disjoint.astype(np.float64))
                hi_t.append(np.where(same, 0.0, 1.0))
            return _sum(lo_t), _sum(hi_t)
        return _cross_entropy_interval(zlo, zhi, ylo, yhi)


def _sum(terms: list[np.ndarray]) -> np.ndarray:
    acc = terms[0]
    for t in terms[1:]:
        acc = acc + t
    return np.asarray(acc)


def _mul(al: np.ndarray, ah: np.ndarray, bl: np.ndarray, bh: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    p1, p2, p3, p4 = al * bl, al * bh, ah * bl, ah * bh
    return (np.minimum(np.minimum(p1, p2), np.minimum(p3, p4)),
            np.maximum(np.maximum(p1, p2), np.maximum(p3, p4)))


def _log1p_sum_exp(args: list[np.ndarray]) -> np.ndarray:
    """``log(1 + Σ exp(a_i))`` without overflow (shift by ``M = max(0, max a_i)``)."""
    top = np.maximum(args[0], 0.0) if args else np.zeros(1)
    for a in args[1:]:
        top = np.maximum(top, a)
    s = np.exp(-top)
    for a in args:
        s = s + np.exp(a - top)
    return np.asarray(top + np.log(s))


def _cross_entropy_interval(zlo: Arrays, zhi: Arrays, ylo: Arrays, yhi: Arrays
                            ) -> tuple[np.ndarray, np.ndarray]:
    # ℓ = Σ_j y_j t_j with t_j = -log softmax_j(z) = log(1 + Σ_{i≠j} exp(z_i - z_j)) >= 0,
    # increasing in z_i (i ≠ j) and decreasing in z_j: bound each t_j, then each product.
    m = len(zlo)
    lo_t, hi_t = [], []
    for j in range(m):
        t_lo = _log1p_sum_exp([zlo[i] - zhi[j] for i in range(m) if i != j])
        t_hi = _log1p_sum_exp([zhi[i] - zlo[j] for i in range(m) if i != j])
        p_lo, p_hi = _mul(ylo[j], yhi[j], t_lo, t_hi)
        lo_t.append(p_lo)
        hi_t.append(p_hi)
    return _sum(lo_t), _sum(hi_t)


def get_loss(spec: str | Loss) -> Loss:
    """Parse a loss name (``abs``, ``quadratic``, ``hinge``, ``cross_entropy``, ``hamming``).

    Examples
    --------
    >>> get_loss("absolute")
    Loss(name='abs')
    >>> get_loss("huber")
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: loss must be one of abs, quadratic, hinge, \
cross_entropy, hamming; got 'huber'
    """
    if isinstance(spec, Loss):
        return spec
    if not isinstance(spec, str):
        raise InvalidInputError(f"loss must be a name string; got {spec!r}")
    key = spec.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in LOSSES:
        raise InvalidInputError(f"loss must be one of {', '.join(LOSSES)}; got {spec!r}")
    return Loss(key)
