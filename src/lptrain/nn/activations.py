"""Activation functions (§4.2, Lemma 4.5; Appendix C).

The Lipschitz theory of §4 covers activations that are 1-Lipschitz with ``a(0) = 0``
(hence ``|a(t)| <= |t|``): ReLU, leaky ReLU with slope in [0, 1], tanh, hard tanh,
ELU with ``alpha <= 1`` and the identity. The binary step used by BiU networks
(Appendix C, ``1 if t > 0 else 0``) is available but flagged as outside that theory.

Every activation here is monotone non-decreasing, which the interval bounds use.
An activation is named by a string such as ``"relu"``, ``"leaky_relu:0.1"`` or
``"elu:0.5"`` (CLI and files); :func:`get_activation` parses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain.errors import InvalidInputError

__all__ = ["Activation", "get_activation", "ACTIVATIONS", "THEORY_ACTIVATIONS"]

#: Canonical activation names.
ACTIVATIONS: tuple[str, ...] = (
    "relu", "leaky_relu", "tanh", "hard_tanh", "elu", "identity", "step",
)
#: Those covered by Lemma 4.5 (1-Lipschitz, a(0) = 0).
THEORY_ACTIVATIONS: tuple[str, ...] = ACTIVATIONS[:-1]

_ALIASES = {"linear": "identity", "none": "identity", "hardtanh": "hard_tanh",
            "leaky": "leaky_relu", "leakyrelu": "leaky_relu", "heaviside": "step"}
_DEFAULT_ALPHA = {"leaky_relu": 0.01, "elu": 1.0}
# Activations whose floating-point value may differ by an ulp between libm versions;
# interval bounds widen them outward.
_INEXACT = ("tanh", "elu")


@dataclass(frozen=True)
class Activation:
    """A scalar activation ``a: R -> R`` applied after a node's affine computation.

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATIONS`.
    alpha : float
        Slope for ``leaky_relu`` (in [0, 1]) or scale for ``elu`` (in (0, 1] for the
        theory); 0 for the others.

    Examples
    --------
    >>> a = get_activation("leaky_relu:0.5")
    >>> a(np.array([-2.0, 3.0]))
    array([-1.,  3.])
    >>> a.spec, a.in_theory
    ('leaky_relu:0.5', True)
    """

    name: str
    alpha: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in ACTIVATIONS:
            listed = ", ".join(ACTIVATIONS)
            raise InvalidInputError(f"activation must be one of {listed}; got {self.name!r}")
        a = self.alpha
        if self.name == "leaky_relu" and not (0.0 <= a <= 1.0):
            raise InvalidInputError(
                f"leaky_relu slope must lie in [0, 1] (1-Lipschitz, monotone); got {a!r}"
            )
        if self.name == "elu" and not (0.0 < a <= 1.0):
            raise InvalidInputError(
                f"elu alpha must lie in (0, 1]: with alpha > 1 ELU is not 1-Lipschitz "
                f"(Lemma 4.5); got {a!r}"
            )
        if self.name not in _DEFAULT_ALPHA and a != 0.0:
            raise InvalidInputError(f"activation {self.name!r} takes no parameter; got {a!r}")

    @property
    def in_theory(self) -> bool:
        """True when Lemma 4.5 covers it (1-Lipschitz, ``a(0) = 0``)."""
        return self.name in THEORY_ACTIVATIONS

    @property
    def spec(self) -> str:
        """The string form accepted by :func:`get_activation`."""
        return f"{self.name}:{self.alpha!r}" if self.name in _DEFAULT_ALPHA else self.name

    @property
    def exact(self) -> bool:
        """True when the computed value is correctly rounded (no libm call)."""
        return self.name not in _INEXACT

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """Apply elementwise (numpy reference; the kernels use :meth:`expr`)."""
        name = self.name
        if name == "relu":
            return np.maximum(t, 0.0)
        if name == "leaky_relu":
            return np.where(t > 0.0, t, self.alpha * t)
        if name == "tanh":
            return np.tanh(t)
        if name == "hard_tanh":
            return np.clip(t, -1.0, 1.0)
        if name == "elu":
            return np.where(t > 0.0, t, self.alpha * np.expm1(np.minimum(t, 0.0)))
        if name == "step":
            return (t > 0.0).astype(np.float64)
        return np.asarray(t)

    def expr(self, v: str) -> str:
        """Source of a scalar expression applying the activation to variable ``v``
        (for the generated kernels; ``math`` must be imported there).

        Examples
        --------
        >>> get_activation("relu").expr("h")
        '(h if h > 0.0 else 0.0)'
        """
        name, a = self.name, repr(self.alpha)
        return {
            "relu": f"({v} if {v} > 0.0 else 0.0)",
            "leaky_relu": f"({v} if {v} > 0.0 else {a} * {v})",
            "tanh": f"math.tanh({v})",
            "hard_tanh": f"min(max({v}, -1.0), 1.0)",
            "elu": f"({v} if {v} > 0.0 else {a} * math.expm1({v}))",
            "step": f"(1.0 if {v} > 0.0 else 0.0)",
            "identity": v,
        }[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"name": self.name, "alpha": self.alpha}

    @classmethod
    def from_dict(cls, d: Any) -> Activation:
        """Inverse of :meth:`to_dict` (also accepts a spec string)."""
        if isinstance(d, str):
            return get_activation(d)
        return cls(str(d["name"]), float(d.get("alpha", 0.0)))


def get_activation(spec: str | Activation) -> Activation:
    """Parse ``"name"`` or ``"name:alpha"`` (e.g. ``"elu:0.5"``) into an Activation.

    Examples
    --------
    >>> get_activation("elu")
    Activation(name='elu', alpha=1.0)
    >>> get_activation("elu:2")
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: elu alpha must lie in (0, 1]: with alpha > 1 ELU is \
not 1-Lipschitz (Lemma 4.5); got 2.0
    """
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise InvalidInputError(f"activation must be a name string; got {spec!r}")
    name, _, param = spec.strip().lower().partition(":")
    name = _ALIASES.get(name.replace("-", "_"), name.replace("-", "_"))
    if name not in ACTIVATIONS:
        listed = ", ".join(ACTIVATIONS)
        raise InvalidInputError(f"activation must be one of {listed}; got {spec!r}")
    if not param:
        return Activation(name, _DEFAULT_ALPHA.get(name, 0.0))
    try:
        alpha = float(param)
    except ValueError:
        raise InvalidInputError(
            f"activation {spec!r}: the parameter after ':' must be a number, e.g. leaky_relu:0.1"
        ) from None
    return Activation(name, alpha)
