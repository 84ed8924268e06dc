"""The loss protocol (§4.3): what every stage asks of a loss ``ℓ(z, y)`` on an output
vector z and a label vector y of length m, answered by one class per loss.

Written once in the component vocabulary (:mod:`lptrain.components._dsl`), on lists of
per-output values ``zs[j]``, ``ys[j]`` (arrays for numpy, traced scalars for the kernels):

* :meth:`Loss.value` — the per-sample loss (numpy reference, point kernels, exact rationals);
* :meth:`Loss.interval` — bounds over boxes of outputs and labels (interval kernels);
* :meth:`Loss.minorant` — for outputs ``z_j ∈ [c_j - r_j, c_j + r_j]``, slopes ``s_j`` and an
  offset K with ``ℓ(z, y) >= K + Σ_j s_j (z_j - c_j)`` (the affine box bounds; ``floor`` is
  the interval lower bound over the same box, a valid K with zero slopes).

A *separable* loss ``Σ_j g(z_j, y_j)`` writes only the term ``g``
(:class:`SeparableLoss`). The constants are plain Python: the Lipschitz constant over
``[-U, U]^m × [-1, 1]^m`` with its derivation, the magnitudes of the rounding margins, the
range of values (§6), the PyTorch loss, optionally the SCIP epigraph and the LP pieces.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from lptrain.components import _dsl
from lptrain.components.base import Component, ComponentError, lookup, registered, sample
from lptrain.components.hull import WIDEN, LossPieces
from lptrain.errors import FileFormatError, InvalidInputError, OutsideTheoryError

__all__ = ["Loss", "SeparableLoss", "check_loss", "fold_sum"]

_U = 2.0**-53


def fold_sum(terms: Sequence[Any]) -> Any:
    """``((t0 + t1) + t2) + ...`` (the order the kernels use)."""
    acc = terms[0]
    for t in terms[1:]:
        acc = acc + t
    return acc


class Loss(Component):
    """Base of every loss; ``Loss("abs")`` looks one up by name (``Loss("name:δ")`` for a
    loss with a parameter).

    :attr:`name` is the loss's identity — the spec, parameter included — so a parameterised
    loss keeps its parameter wherever its name is passed on.

    Examples
    --------
    >>> loss = Loss("quadratic")
    >>> loss(np.array([[1.0, 0.0]]), np.array([[0.5, -1.0]]))
    array([1.25])
    >>> loss.lipschitz(m=2, U=3.0)
    32.0
    """

    family_root = True
    family: ClassVar[str] = "loss"
    separable: ClassVar[bool] = False
    #: The paper's loss whose Table 1 row applies (same order of L∞(ℓ)); None: none.
    table1_like: ClassVar[str | None] = None
    #: False when no gradient method can train it (the SGD baseline refuses it).
    differentiable: ClassVar[bool] = True
    #: How 1-D class labels are encoded for it: ``"pm_onehot"`` (±1 one-vs-rest; the sign
    #: when m = 1), ``"onehot"``; None for a regression loss.
    class_labels: ClassVar[str | None] = None

    @property
    def name(self) -> str:
        """The identity string (= :attr:`spec`): e.g. ``"abs"``, or ``"name:0.5"`` for
        a loss with a parameter."""
        return self.spec

    # ----- the definitions (component vocabulary) ------------------------------------------
    @abstractmethod
    def value(self, zs: Sequence[Any], ys: Sequence[Any]) -> Any:
        """``ℓ(z, y)`` from per-output values."""

    @abstractmethod
    def interval(self, zlo: Sequence[Any], zhi: Sequence[Any], ylo: Sequence[Any],
                 yhi: Sequence[Any]) -> tuple[Any, Any]:
        """Bounds of ℓ over boxes of outputs and labels (rounding is the caller's)."""

    @abstractmethod
    def minorant(self, cs: Sequence[Any], rs: Sequence[Any], ys: Sequence[Any], floor: Any
                 ) -> tuple[list[Any], Any]:
        """``(slopes, K)``: ``ℓ(z, y) >= K + Σ_j s_j (z_j - c_j)`` for ``|z_j - c_j| <= r_j``."""

    # ----- constants -------------------------------------------------------------------
    @abstractmethod
    def lipschitz(self, m: int, U: float) -> float:
        """``L∞(ℓ) = sup ‖∇ℓ(z, y)‖₁`` over ``[-U, U]^m × [-1, 1]^m`` (§4.3)."""

    def lipschitz_refined(self, m: int, U: float) -> float:
        """As :meth:`lipschitz`, from the derivation rather than the paper's closed form."""
        return self.lipschitz(m, U)

    @abstractmethod
    def magnitude(self, B: Sequence[float]) -> float:
        """Static bound of ``|ℓ(z, y)|`` for ``|z_j| <= B_j``, ``|y_j| <= 1``."""

    @abstractmethod
    def rounding_ops(self, m: int) -> int:
        """Length k of the longest chain of rounded operations in the interval bound: it is
        widened by ``2.5 k u`` times :meth:`magnitude`."""

    def interval_slack(self, B: Sequence[float]) -> float:
        """Rounding slack added to the interval bounds of the loss."""
        return 2.5 * self.rounding_ops(len(B)) * _U * self.magnitude(B)

    @abstractmethod
    def minorant_magnitude(self, T: Sequence[float]) -> float:
        """Static bound ``T_loss`` of every quantity of the per-point minorant (and interval
        bound) when the output forms have ``|c| + Σ|a| + e <= T_j`` (the affine margins)."""

    @abstractmethod
    def value_range(self, m: int, U: float) -> tuple[float, float]:
        """``(low, high)`` of ℓ over ``[-U, U]^m × [-1, 1]^m`` (the variance bound of §6)."""

    @abstractmethod
    def torch_loss(self, z: Any, y: Any) -> Any:
        """Per-sample loss of torch tensors ``z``, ``y`` (D, m) → (D,)."""

    def scip(self, model: Any, outs: Sequence[Any], y: np.ndarray, tag: str) -> Any:
        """A SCIP variable ``e`` with ``e >= ℓ(outs, y)`` (an exact epigraph, minimized)."""
        raise InvalidInputError(f"the SCIP baseline has no model of loss {self.spec!r}")

    @property
    def supports_scip(self) -> bool:
        """True when :meth:`scip` is defined."""
        return type(self).scip is not Loss.scip

    def legacy_reason(self, m: int) -> str | None:
        """Why a file written before this loss's current definition, for m outputs, cannot
        be read (None: nothing changed)."""
        return None

    def refuse_legacy(self, m: int, where: str) -> None:
        """Raise FileFormatError when :meth:`legacy_reason` says the stored meaning differs."""
        reason = self.legacy_reason(m)
        if reason is not None:
            raise FileFormatError(f"{where}: {reason}")

    def pieces(self, lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> LossPieces:
        """LP pieces over outputs in ``[lo, hi]`` (..., m) (format: :mod:`lptrain.
        components.hull`); default: the minorant at the centre and the interval floor."""
        lo, hi, y = (np.asarray(a, dtype=np.float64) for a in (lo, hi, y))
        m = lo.shape[-1]
        c, r = 0.5 * (lo + hi), 0.5 * (hi - lo)
        cols = [_cols(a, m) for a in (lo, hi, c, r, y)]
        with np.errstate(all="ignore"):
            floor = np.asarray(self.interval(cols[0], cols[1], cols[4], cols[4])[0])
            s, k = self.minorant(cols[2], cols[3], cols[4], floor)
        shape = np.broadcast(lo, hi, y).shape[:-1]
        slopes = np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), shape)
                           for v in s], axis=-1)
        offset = np.broadcast_to(np.asarray(k, dtype=np.float64), shape) - (slopes * c).sum(-1)
        slope = np.stack([slopes, np.zeros_like(slopes)], axis=-2)[..., None, :, :]
        off = np.stack([offset, np.broadcast_to(floor, shape)], axis=-1)[..., None, :]
        zmax = np.maximum(np.abs(lo), np.abs(hi)).sum(-1)[..., None, None]
        return LossPieces(slope, off - WIDEN * (1.0 + np.abs(off) + np.abs(slope).max(-1)
                                                * zmax))

    # ----- the derived readings --------------------------------------------------------
    def __call__(self, z: Any, y: Any) -> np.ndarray:
        """Loss of outputs z against labels y, both with the outputs on the last axis."""
        zz, yy = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
        m = zz.shape[-1]
        return self.columns([zz[..., j] for j in range(m)], [yy[..., j] for j in range(m)])

    def columns(self, zs: Sequence[np.ndarray], ys: Sequence[np.ndarray]) -> np.ndarray:
        """Loss from per-output arrays ``zs[j]`` and labels ``ys[j]`` (broadcastable), in the
        order of operations of the generated kernels."""
        with np.errstate(all="ignore"):
            return np.asarray(self.value(list(zs), list(ys)), dtype=np.float64)

    def source(self, zs: Sequence[str], ys: Sequence[str], out: str) -> list[str]:
        """Kernel statements computing the loss into variable ``out``.

        Examples
        --------
        >>> Loss("abs").source(["z3"], ["y0"], "ell")
        ['ell = abs(z3 - y0)']
        """
        names = iter(f"{out}_{k}" for k in range(1, 10**6))
        lines, exprs = _dsl.fragment(self.value, list(zs), list(ys), fresh=lambda: next(names))
        return lines + [f"{out} = {exprs[0]}"]

    @cached_property
    def rational(self) -> bool:
        """True when ℓ is piecewise rational (exact on Fractions, see :meth:`exact_value`)."""
        _, outs = _dsl.trace_call(self.value, ["z0", "z1"], ["y0", "y1"])
        return _dsl.is_rational(outs)

    def exact_value(self, zs: Sequence[np.ndarray], ys: Sequence[np.ndarray]) -> np.ndarray:
        """``ℓ`` exactly on object arrays of Fractions (NotRationalError otherwise)."""
        m = len(zs)
        _, outs = _dsl.trace_call(self.value, [f"z{j}" for j in range(m)],
                                  [f"y{j}" for j in range(m)])
        leaves = {f"z{j}": zs[j] for j in range(m)} | {f"y{j}": ys[j] for j in range(m)}
        return np.asarray(_dsl.rational_eval(outs, leaves)[0])

    def outside_theory(self) -> OutsideTheoryError:
        """The error telling that this loss has no Lipschitz constant."""
        usable = [c.key for c in registered("loss") if c.in_theory]
        return OutsideTheoryError(
            f"loss {self.spec!r} is outside the Lipschitz theory of §4 (it is not "
            f"continuous); use {', '.join(usable[:-1])} or {usable[-1]}")


def _cols(a: np.ndarray, m: int) -> list[np.ndarray]:
    return [a[..., j] for j in range(m)]


class SeparableLoss(Loss):
    """A loss ``Σ_j g(z_j, y_j)``: write the term ``g``, its interval and its minorant."""

    separable = True

    @abstractmethod
    def term(self, z: Any, y: Any) -> Any:
        """``g(z, y)``."""

    @abstractmethod
    def term_interval(self, zl: Any, zh: Any, yl: Any, yh: Any) -> tuple[Any, Any]:
        """Bounds of g over ``[zl, zh] × [yl, yh]``."""

    @abstractmethod
    def term_minorant(self, c: Any, r: Any, y: Any) -> tuple[Any, Any]:
        """``(s, K)``: ``g(z, y) >= K + s (z - c)`` for ``|z - c| <= r``."""

    def value(self, zs: Sequence[Any], ys: Sequence[Any]) -> Any:
        return fold_sum([self.term(z, y) for z, y in zip(zs, ys, strict=True)])

    def interval(self, zlo: Sequence[Any], zhi: Sequence[Any], ylo: Sequence[Any],
                 yhi: Sequence[Any]) -> tuple[Any, Any]:
        parts = [self.term_interval(*a) for a in zip(zlo, zhi, ylo, yhi, strict=True)]
        return fold_sum([p[0] for p in parts]), fold_sum([p[1] for p in parts])

    def minorant(self, cs: Sequence[Any], rs: Sequence[Any], ys: Sequence[Any], floor: Any
                 ) -> tuple[list[Any], Any]:
        parts = [self.term_minorant(*a) for a in zip(cs, rs, ys, strict=True)]
        return [p[0] for p in parts], fold_sum([p[1] for p in parts])

    def term_pieces(self, lo: np.ndarray, hi: np.ndarray, y: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(slope, offset) pairs with ``g(z, y) >= s z + b`` on ``[lo, hi]``; default: the
        minorant at the centre and at both ends, and the interval floor."""
        out = []
        for c in (0.5 * (lo + hi), lo, hi):
            s, k = self.term_minorant(c, 0.5 * (hi - lo), y)
            out.append((np.asarray(s), np.asarray(k - s * c)))
        floor = np.asarray(self.term_interval(lo, hi, y, y)[0])
        return out + [(np.zeros_like(floor), floor)]

    def pieces(self, lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> LossPieces:
        lo, hi, y = (np.asarray(a, dtype=np.float64) for a in (lo, hi, y))
        m = lo.shape[-1]
        shape = np.broadcast(lo, hi, y).shape
        slope_t, off_t = [], []
        for j in range(m):
            with np.errstate(all="ignore"):
                pcs = self.term_pieces(lo[..., j], hi[..., j], y[..., j])
            s = np.stack([np.broadcast_to(a, shape[:-1]) for a, _ in pcs], axis=-1)
            b = np.stack([np.broadcast_to(v, shape[:-1]) for _, v in pcs], axis=-1)
            full = np.zeros((*s.shape, m))
            full[..., j] = s
            slope_t.append(full)
            off_t.append(b - WIDEN * (1.0 + np.abs(b) + np.abs(s) * np.maximum(
                np.abs(lo[..., j]), np.abs(hi[..., j]))[..., None]))
        return LossPieces(np.stack(slope_t, axis=-3), np.stack(off_t, axis=-2))


def get(spec: str | Loss) -> Loss:
    """The loss named by ``spec`` (or ``spec`` itself)."""
    if isinstance(spec, Loss):
        return spec
    return lookup("loss", spec)  # type: ignore[return-value]


def check_loss(cls: type[Loss]) -> None:
    """Registration check: the definitions trace in the component vocabulary for one and
    for three outputs."""
    loss = sample(cls)
    assert isinstance(loss, Loss)
    for m in (1, 3):
        z = [f"z{j}" for j in range(m)]
        y = [f"y{j}" for j in range(m)]
        u = [f"u{j}" for j in range(m)]
        for method, args in (("value", (z, y)), ("interval", (z, u, y, y)),
                             ("minorant", (z, u, y, "floor"))):
            try:
                _dsl.trace_call(getattr(loss, method), *args)
            except (TypeError, AttributeError, IndexError) as exc:
                raise ComponentError(f"loss {cls.key!r}: {method} is not written in the "
                                     f"component vocabulary ({exc})") from None
