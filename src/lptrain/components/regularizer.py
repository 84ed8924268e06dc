"""The regularizer protocol (Appendix B, eq. 14, Definition B.1): ``λR(φ) = λ Σ_j ρ(φ_j)``
on the N free parameters, answered by one class per regularizer.

A regularizer writes its per-coordinate term ρ in the component vocabulary
(:mod:`lptrain.components._dsl`): :meth:`~Regularizer.term`, its interval
:meth:`~Regularizer.term_interval` and its minorant :meth:`~Regularizer.term_minorant`
(``ρ(φ) >= K + s (φ - c)`` for ``|φ - c| <= r``), plus the Lipschitz factor (with the
derivation), SCIP's epigraph and the PyTorch penalty. The generated kernels take the weight
of every registered regularizer at run time (:attr:`Regularizer.weights`), so one kernel
serves them all.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from lptrain.components import _dsl
from lptrain.components.base import (
    Component,
    ComponentError,
    Parameter,
    lookup,
    registered,
    sample,
)
from lptrain.errors import InvalidInputError

__all__ = ["Regularizer", "get", "check_regularizer", "weight_parameter", "classes"]

_U = 2.0**-53


def weight_parameter() -> Parameter:
    """The weight λ >= 0 every regularizer takes (no default)."""
    return Parameter("lambda", None, lambda v: bool(np.isfinite(v)) and v >= 0,
                     "regularizer weight lambda must be a finite number >= 0; got {got!r}")


class Regularizer(Component):
    """Base of every regularizer; ``Regularizer("l2", 0.5)`` or ``Regularizer("l2:0.5")``.

    Examples
    --------
    >>> reg = Regularizer("l2:0.5")
    >>> reg(np.array([[1.0, -0.5]])), reg.kind, reg.lam, reg.spec
    (array([0.625]), 'l2', 0.5, 'l2:0.5')
    """

    family_root = True
    family: ClassVar[str] = "regularizer"
    #: ``L(ρ)``: ``|ρ'| <= factor`` on [-1, 1], so λR is ``λ N factor``-Lipschitz.
    lipschitz_factor: ClassVar[float]

    @classmethod
    def _by_name(cls, kind: Any, lam: float | None = None) -> Component:
        if isinstance(kind, Regularizer):
            return kind
        if lam is None:
            return get(kind)  # type: ignore[return-value]
        if not isinstance(kind, str) or kind not in {c.key for c in registered(cls.family)}:
            raise InvalidInputError(f"regularizer must be {_kinds(' or ')}; got {kind!r}")
        return lookup(cls.family, f"{kind}:{lam!r}")

    @property
    def kind(self) -> str:
        """The registry name (``"l1"``, ``"l2"``)."""
        return self.key

    @property
    def lam(self) -> float:
        """The weight λ."""
        return self.param

    @property
    def weights(self) -> tuple[float, ...]:
        """λ in this regularizer's slot, 0 in the others (registry order): the run-time
        arguments of the generated kernels."""
        return tuple(self.param if c is type(self) else 0.0 for c in registered(self.family))

    # ----- definitions -----------------------------------------------------------------
    @abstractmethod
    def term(self, p: Any) -> Any:
        """ρ(p), elementwise."""

    @abstractmethod
    def term_interval(self, lo: Any, hi: Any) -> tuple[Any, Any]:
        """Bounds of ρ over ``[lo, hi]``."""

    @abstractmethod
    def term_minorant(self, c: Any, r: Any) -> tuple[Any, Any]:
        """``(s, K)``: ``ρ(φ) >= K + s (φ - c)`` for ``|φ - c| <= r``."""

    @abstractmethod
    def scip(self, model: Any, var: Any, tag: str) -> Any:
        """A SCIP variable ``t >= ρ(var)`` (an exact epigraph, minimized)."""

    @abstractmethod
    def torch_penalty(self, flat: Any) -> Any:
        """``λ Σ ρ`` of a flat torch tensor of parameters."""

    # ----- constants -------------------------------------------------------------------
    def lipschitz(self, N: int) -> float:
        """∞-norm Lipschitz constant of λR over ``[-1, 1]^N`` (Definition B.1)."""
        return self.lam * N * self.lipschitz_factor

    def minorant_magnitude(self, N: int) -> float:
        """Static bound of the regularizer's share of the affine bound: per coordinate
        ``|K| + |s r| <= 3`` and the interval floor ``<= 1`` for ``|c| + r <= 1``."""
        return self.lam * N * 3.0

    def interval_slack(self, N: int) -> float:
        """Rounding slack of the interval bound of λR (a sum of N terms <= 2 each)."""
        return 2.5 * (N + 2) * _U * self.lam * max(N, 1) * 2

    # ----- readings --------------------------------------------------------------------
    def __call__(self, phi: np.ndarray) -> np.ndarray:
        """λR of each row of phi (shape (P, N)) → (P,)."""
        phi = np.asarray(phi, dtype=np.float64)
        return np.asarray(self.lam * np.asarray(self.term(phi)).sum(axis=-1))

    def interval(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of λR over boxes ``[lo, hi]`` (rows) → two (B,) arrays."""
        tl, th = self.term_interval(np.asarray(lo, float), np.asarray(hi, float))
        return self.lam * np.asarray(tl).sum(axis=-1), self.lam * np.asarray(th).sum(axis=-1)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"kind": self.kind, "lambda": self.lam}


def classes() -> tuple[type[Regularizer], ...]:
    """The registered regularizer classes, in registry order (that of the kernels'
    run-time weights)."""
    return tuple(c for c in registered("regularizer") if issubclass(c, Regularizer))


def _kinds(sep: str) -> str:
    return sep.join(f"'{c.key}'" for c in registered("regularizer"))


def get(spec: str | Regularizer | None) -> Regularizer | None:
    """Parse ``"l1:0.01"`` or ``"l2:0.5"`` (``None``/``"none"`` → no regularizer)."""
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if not isinstance(spec, str):
        raise InvalidInputError(f"regularizer must be a string like 'l1:0.01'; got {spec!r}")
    text = spec.strip().lower()
    if text in ("", "none"):
        return None
    kind, _, lam = text.partition(":")
    table = {c.key: c for c in classes()}
    try:
        value = float(lam)
    except ValueError:
        value = float("nan")
    if kind not in table or not lam:
        examples = " or ".join(f"'{k}:{ex}'" for k, ex in zip(table, ("0.01", "0.5", "0.1"),
                                                              strict=False))
        raise InvalidInputError(f"regularizer must look like {examples} (kind:lambda); "
                                f"got {spec!r}")
    return table[kind](value)


def check_regularizer(cls: type[Regularizer]) -> None:
    """Registration check: the definitions trace and the Lipschitz factor is set."""
    if not isinstance(getattr(cls, "lipschitz_factor", None), float):
        raise ComponentError(f"regularizer {cls.key!r} is incomplete: it does not define "
                             "lipschitz_factor")
    reg = sample(cls)
    for method, args in (("term", ("p",)), ("term_interval", ("lo", "hi")),
                         ("term_minorant", ("c", "r"))):
        try:
            _dsl.trace_call(getattr(reg, method), *args)
        except (TypeError, AttributeError) as exc:
            raise ComponentError(f"regularizer {cls.key!r}: {method} is not written in the "
                                 f"component vocabulary ({exc})") from None
