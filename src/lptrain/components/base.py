"""What every component is: a frozen value with an identity string, a registry, and the
checks that make an incomplete component fail at registration.

A component is a small class (one module per component, see ``docs/CONTRIBUTING.md``) of
one of three families — :class:`~lptrain.components.activation.Activation`,
:class:`~lptrain.components.loss.Loss`, :class:`~lptrain.components.regularizer.
Regularizer`. It holds at most one number, its parameter (the leaky ReLU slope, the ELU
scale, a loss parameter, the regularizer weight λ), and its **identity** is its ``spec``: the
registry name, with the parameter when it has one (``"leaky_relu:0.1"``, ``"elu:0.5"``,
``"l2:0.01"``). That string is what caches, files and JSON store, and what
:func:`lookup` parses back.

The family classes themselves construct by name: ``Activation("relu")``,
``Activation("leaky_relu", 0.1)``, ``Regularizer("l2:0.5")`` return the registered component.
"""

from __future__ import annotations

import math
from abc import ABCMeta
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from lptrain.errors import InvalidInputError, LPTrainError

__all__ = ["Component", "ComponentError", "Parameter", "register", "lookup", "registered",
           "require_torch"]


class ComponentError(LPTrainError, TypeError):
    """A component class that does not answer every question its family asks."""


@dataclass(frozen=True)
class Parameter:
    """The one number a component may take.

    ``message`` is formatted with ``got`` (the value received) when ``valid`` fails.
    """

    name: str
    default: float | None
    valid: Callable[[float], bool]
    message: str

    def check(self, value: float) -> None:
        if not (isinstance(value, (int, float)) and self.valid(float(value))):
            raise InvalidInputError(self.message.format(got=value))


def finite_positive(x: float) -> bool:
    """``x`` is a finite number > 0."""
    return math.isfinite(x) and x > 0


# family -> registry name -> class, in registration order; aliases separately
_REGISTRY: dict[str, dict[str, type[Component]]] = {}
_ALIASES: dict[str, dict[str, str]] = {}


class _Family(ABCMeta):
    """Calling a family class (not a concrete component) looks the name up."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if "family_root" in cls.__dict__:
            return cls._by_name(*args, **kwargs)  # type: ignore[attr-defined]
        return super().__call__(*args, **kwargs)


@dataclass(frozen=True, repr=False)
class Component(metaclass=_Family):
    """Base of every component: the parameter, the identity, equality and hashing.

    Concrete classes set ``key`` (the registry name), ``aliases``, ``parameter`` (or None),
    ``in_theory`` and ``theory`` (one sentence: where the paper's theory places it).
    """

    param: float = 0.0

    family: ClassVar[str] = ""
    key: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    parameter: ClassVar[Parameter | None] = None
    in_theory: ClassVar[bool]
    theory: ClassVar[str] = ""

    def __post_init__(self) -> None:
        p = self.parameter
        if p is None:
            if self.param != 0.0:
                raise InvalidInputError(f"{self.family} {self.key!r} takes no parameter; "
                                        f"got {self.param!r}")
            return
        p.check(self.param)
        object.__setattr__(self, "param", float(self.param))

    @property
    def spec(self) -> str:
        """The identity string: the name, with ``:parameter`` when the component has one."""
        return self.key if self.parameter is None else f"{self.key}:{self.param!r}"

    def __repr__(self) -> str:
        root = next(c for c in type(self).__mro__ if "family_root" in c.__dict__)
        return f"{root.__name__}({self.spec!r})"

    @classmethod
    def _by_name(cls, name: Any, value: float | None = None) -> Component:
        if isinstance(name, cls):
            return name
        if value is not None and isinstance(name, str):
            return lookup(cls.family, f"{name}:{value!r}")
        return lookup(cls.family, name)


def registered(family: str) -> tuple[type[Component], ...]:
    """The registered classes of a family, in registration order."""
    return tuple(_REGISTRY.get(family, {}).values())


def _normalize(text: str) -> str:
    return text.strip().lower().replace("-", "_")


def lookup(family: str, spec: Any) -> Component:
    """Parse ``"name"`` or ``"name:parameter"`` into the registered component.

    Examples
    --------
    >>> import lptrain.components
    >>> lookup("activation", "Leaky-ReLU:0.5").spec
    'leaky_relu:0.5'
    """
    if not isinstance(spec, str):
        raise InvalidInputError(f"{family} must be a name string; got {spec!r}")
    classes = _REGISTRY.get(family, {})
    name, _, value = spec.partition(":")
    key = _normalize(name)
    key = _ALIASES.get(family, {}).get(key, key)
    cls = classes.get(key)
    if cls is None:
        listed = ", ".join(classes)
        raise InvalidInputError(f"{family} must be one of {listed}; got {spec!r}")
    if not value.strip():
        p = cls.parameter
        if p is None:
            return cls()
        if p.default is None:
            raise InvalidInputError(f"{family} {key!r} needs a parameter, e.g. {key}:"
                                    f"{_example(cls)}")
        return cls(p.default)
    try:
        number = float(value)
    except ValueError:
        raise InvalidInputError(
            f"{family} {spec!r}: the parameter after ':' must be a number, e.g. "
            f"{_first_parameterised(classes)}") from None
    return cls(number)


def _example(cls: type[Component]) -> str:
    p = cls.parameter
    return "0.1" if p is None or p.default is None else repr(p.default)


def _first_parameterised(classes: dict[str, type[Component]]) -> str:
    for key, cls in classes.items():
        if cls.parameter is not None:
            return f"{key}:0.1"
    return "name:0.1"


def register(cls: type[Component], checks: Iterable[Callable[[Any], None]] = ()
             ) -> type[Component]:
    """Add a component class to its family's registry after checking that it is complete:
    every abstract method defined, ``key``/``theory``/``in_theory`` set, a docstring,
    and the family's own ``checks`` (e.g. that its definitions trace). Raises
    :class:`ComponentError` naming what is missing."""
    what = f"{cls.family} {cls.key or '?'} ({cls.__module__}.{cls.__qualname__})"
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    for attr in ("key", "theory"):
        if not getattr(cls, attr, ""):
            missing.append(attr)
    if not isinstance(getattr(cls, "in_theory", None), bool):
        missing.append("in_theory")
    if not (cls.__doc__ or "").strip():
        missing.append("a docstring")
    if missing:
        raise ComponentError(f"{what} is incomplete: it does not define "
                             f"{', '.join(missing)}")
    table = _REGISTRY.setdefault(cls.family, {})
    aliases = _ALIASES.setdefault(cls.family, {})
    if cls.key in table or cls.key in aliases:
        raise ComponentError(f"{what}: the name {cls.key!r} is already registered")
    for check in checks:
        check(cls)
    table[cls.key] = cls
    for alias in cls.aliases:
        aliases[_normalize(alias)] = cls.key
    return cls


def sample(cls: type[Component]) -> Component:
    """An instance for the registration checks (the default parameter, or 0.5)."""
    p = cls.parameter
    if p is None:
        return cls()
    return cls(0.5 if p.default is None else p.default)


def require_torch(what: str) -> Any:
    """Import and return ``torch``, or raise ImportError telling how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{what} needs PyTorch, which is not installed: pip install torch "
                          "(or pip install 'lptrain[torch]')") from None
    return torch
