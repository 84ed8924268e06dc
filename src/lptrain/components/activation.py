"""The activation protocol (§4.2, Lemma 4.5; Appendix C): what every stage asks of a
scalar activation ``a: R -> R``, answered by one class per activation.

A concrete activation writes, in the vocabulary of :mod:`lptrain.components._dsl`:

* :meth:`Activation.value` — ``a(t)``; read as numpy (``__call__``), as the kernel
  expression (:meth:`~Activation.expr`) and as exact rationals (:meth:`~Activation.
  rational`); whether it is correctly rounded (:attr:`~Activation.exact`) follows from it;
* :meth:`Activation.relax` — slope and offsets ``(λ, β_lo, β_hi)`` with
  ``λx + β_lo <= a(x) <= λx + β_hi`` on ``[lo, hi]``, used by the affine box bounds (numpy
  reference and generated kernel alike); it must hold for *whatever* λ floating point
  produces, only the offsets being extremes of ``a(x) - λx``;
* :meth:`Activation.interval` when the activation is not monotone (the default is
  ``[a(lo), a(hi)]``);

and in plain Python the constants: ``lipschitz`` (with its derivation in the class
docstring), :meth:`~Activation.value_bound` and :meth:`~Activation.relax_magnitude` (the
static magnitudes of the rounding margins), the PyTorch module, optionally the SCIP model
and the LP envelope. ``in_theory`` says whether Lemma 4.5 covers it (1-Lipschitz,
``a(0) = 0``; hence ``|a(t)| <= |t|``).
"""

from __future__ import annotations

from abc import abstractmethod
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from lptrain.components import _dsl
from lptrain.components.base import Component, ComponentError, lookup, registered, sample
from lptrain.components.hull import Envelope, envelope
from lptrain.errors import InvalidInputError

__all__ = ["Activation", "check_activation", "theory_labels"]


class Activation(Component):
    """Base of every activation; ``Activation("elu:0.5")`` looks one up by name.

    Examples
    --------
    >>> a = Activation("leaky_relu", 0.5)
    >>> a(np.array([-2.0, 3.0]))
    array([-1.,  3.])
    >>> a.spec, a.name, a.alpha, a.in_theory
    ('leaky_relu:0.5', 'leaky_relu', 0.5, True)
    """

    family_root = True
    family: ClassVar[str] = "activation"
    #: Lipschitz constant (None: not Lipschitz, e.g. the step).
    lipschitz: ClassVar[float | None] = None
    #: ``a(st) = s a(t)`` for ``s > 0`` (the symmetry reduction of the branch and bound).
    positively_homogeneous: ClassVar[bool] = False
    #: ``a(t) = t``: the emitters pass the node value through untouched.
    passthrough: ClassVar[bool] = False
    #: Non-decreasing; the default :meth:`interval` relies on it.
    monotone: ClassVar[bool] = True
    #: How messages name it when listing the activations Lemma 4.5 covers (default: key).
    theory_label: ClassVar[str] = ""

    @property
    def name(self) -> str:
        """The registry name (without the parameter; see :attr:`spec`)."""
        return self.key

    @property
    def alpha(self) -> float:
        """The parameter (slope of leaky ReLU, scale of ELU), 0 for the others."""
        return self.param

    # ----- the definitions (component vocabulary) ------------------------------------------
    @abstractmethod
    def value(self, t: Any) -> Any:
        """``a(t)``, elementwise."""

    @abstractmethod
    def relax(self, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        """``(λ, β_lo, β_hi)`` with ``λx + β_lo <= a(x) <= λx + β_hi`` on ``[lo, hi]``."""

    def interval(self, lo: Any, hi: Any) -> tuple[Any, Any]:
        """Bounds of ``a`` over ``[lo, hi]`` (monotone: the values at the ends)."""
        return self.value(lo), self.value(hi)

    # ----- constants -------------------------------------------------------------------
    def value_bound(self, b: float) -> float:
        """A bound of ``|a(t)|`` over ``|t| <= b`` (Lemma 4.5: ``|a(t)| <= |t|``)."""
        if not self.in_theory:
            raise NotImplementedError(f"{self.spec} must define value_bound")
        return b

    def relax_magnitude(self, ts: float) -> float:
        """Static bound ``T_v`` of ``|c| + Σ|a| + e`` of the relaxed form when the
        pre-activation's is ``T_s``: slope in [0, 1] and offsets bounded by ``2 T_s + 1``
        for a 1-Lipschitz activation with ``a(0) = 0``, hence ``3 T_s + 1``."""
        return ts if self.passthrough else 3.0 * ts + 1.0

    @abstractmethod
    def torch_module(self) -> Any:
        """A ``torch.nn.Module`` computing the activation (PyTorch imported lazily)."""

    def scip(self, model: Any, s: Any, lo: float, hi: float, tag: str) -> Any:
        """SCIP expression or variable equal to ``a(s)`` for ``s ∈ [lo, hi]`` (big-M with
        these bounds where needed); not every activation has one."""
        raise InvalidInputError(f"the SCIP baseline has no model of activation {self.spec!r}")

    @property
    def supports_scip(self) -> bool:
        """True when :meth:`scip` is defined."""
        return type(self).scip is not Activation.scip

    def derivative(self, t: Any) -> Any:
        """``a'(t)`` (defined by the smooth convex activations, for their envelopes)."""
        raise NotImplementedError(f"{self.spec} has no derivative")

    def envelope(self, lo: Any, hi: Any) -> Envelope:
        """Affine pieces bounding ``a`` on ``[lo, hi]`` (format: :mod:`lptrain.components.
        hull`): the relaxation's two lines and, monotone, ``a(lo) <= a(x) <= a(hi)``."""
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        lam, bl, bh = self.relaxation(lo, hi)
        fl, fh = self(lo), self(hi)
        zero = np.zeros_like(lam)
        return envelope([(lam, bl), (zero, fl)], [(lam, bh), (zero, fh)], lo, hi)

    # ----- the derived readings --------------------------------------------------------
    def __call__(self, t: Any) -> np.ndarray:
        """Apply elementwise (numpy)."""
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = np.asarray(self.value(t), dtype=np.float64)
        return out if out.shape == t.shape else np.broadcast_to(out, t.shape).copy()

    def relaxation(self, lo: Any, hi: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`relax` on numpy arrays, broadcast to a common shape (read-only views where
        a part is a constant)."""
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = self.relax(lo, hi)
        shape = np.broadcast(lo, hi).shape
        return tuple(np.broadcast_to(np.asarray(x, dtype=np.float64), shape)
                     for x in out)  # type: ignore[return-value]

    def expr(self, v: str) -> str:
        """Source of a scalar expression applying the activation to variable ``v`` (the
        generated kernels import ``math``).

        Examples
        --------
        >>> Activation("relu").expr("h"), Activation("step").expr("h")
        ('max(h, 0.0)', '(1.0 if h > 0.0 else 0.0)')
        """
        _, outs = _dsl.trace_call(self.value, v)
        return _dsl.render(outs, lambda: "", inline=True)[1][0]

    @cached_property
    def exact(self) -> bool:
        """True when the computed value is correctly rounded (only rational operations,
        no libm call); the interval bounds widen inexact values by a few ulps."""
        _, outs = _dsl.trace_call(self.value, "t")
        return _dsl.is_rational(outs)

    def rational(self, t: np.ndarray) -> np.ndarray:
        """``a(t)`` exactly on an object array of Fractions (NotRationalError if ``a`` is
        not piecewise rational)."""
        _, outs = _dsl.trace_call(self.value, "t")
        return np.asarray(_dsl.rational_eval(outs, {"t": t})[0])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (the format of network files)."""
        return {"name": self.key, "alpha": self.param}

    @classmethod
    def from_dict(cls, d: Any) -> Activation:
        """Inverse of :meth:`to_dict` (also accepts a spec string)."""
        if isinstance(d, str):
            return get(d)
        return get(f"{d['name']}:{float(d.get('alpha', 0.0))!r}")


def theory_labels() -> str:
    """The activations Lemma 4.5 covers, as messages list them."""
    return ", ".join(c.theory_label or c.key for c in registered("activation")
                     if c.in_theory)


def get(spec: str | Activation) -> Activation:
    """The activation named by ``spec`` (or ``spec`` itself)."""
    if isinstance(spec, Activation):
        return spec
    return lookup("activation", spec)  # type: ignore[return-value]


def check_activation(cls: type[Activation]) -> None:
    """Registration check: the definitions trace in the component vocabulary and a
    non-monotone activation defines its own interval."""
    a = sample(cls)
    if not cls.monotone and cls.interval is Activation.interval:
        raise ComponentError(f"activation {cls.key!r} is not monotone and does not define "
                             "interval")
    if cls.in_theory and cls.lipschitz != 1.0:
        raise ComponentError(f"activation {cls.key!r} is in the theory (Lemma 4.5) but its "
                             f"lipschitz constant is {cls.lipschitz!r}, not 1")
    for method, args in (("value", ("t",)), ("relax", ("lo", "hi")),
                         ("interval", ("lo", "hi"))):
        try:
            _dsl.trace_call(getattr(a, method), *args)
        except (TypeError, AttributeError) as exc:
            raise ComponentError(f"activation {cls.key!r}: {method} is not written in the "
                                 f"component vocabulary ({exc})") from None
