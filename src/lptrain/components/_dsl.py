"""The elementwise vocabulary components are written in, and its three readings.

A component's mathematics (a value, an interval enclosure, a relaxation, a minorant) is
written **once**, as a Python function of elementwise operations — arithmetic, comparisons,
``&``/``|``/``~`` on conditions and the functions of this module (:func:`where`,
:func:`minimum`, :func:`maximum`, :func:`clip`, :func:`exp`, ...). No ``if`` on a value,
no numpy call other than these. The same function is then read three ways:

* **numpy**: called with arrays, every operation is the numpy ufunc (both branches of a
  :func:`where` are evaluated, as numpy does);
* **kernel source**: called with :class:`Sym` leaves, it records an expression graph
  (identical subexpressions shared, constants folded by Python) that :func:`render` writes
  as scalar statements for the generated numba kernels (``where`` becomes ``a if c else b``,
  ``minimum`` ``min``, ``exp`` ``math.exp``, ...);
* **exact rationals**: the recorded graph evaluated on object arrays of
  :class:`fractions.Fraction` (:func:`rational_eval`); a graph with a transcendental
  operation is not rational (:func:`is_rational`), which is also what makes a component
  "inexact" in floating point (its values come from libm, accurate to a few ulps).

Examples
--------
>>> def relu(t):
...     return where(t > 0.0, t, 0.0)
>>> relu(np.array([-1.0, 2.0]))
array([0., 2.])
>>> tr = Trace()
>>> render([relu(tr.var("h"))], tr.fresh)
([], ['(h if h > 0.0 else 0.0)'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Sym", "Trace", "where", "minimum", "maximum", "clip", "absolute", "exp", "expm1",
           "log", "log1p", "tanh", "arctanh", "sqrt", "equal", "not_equal", "render", "num",
           "rational_eval", "is_rational", "NotRationalError", "VOCABULARY", "flatten",
           "trace_call", "fragment"]

Value = Any  # ndarray, float or Sym


class NotRationalError(ValueError):
    """Raised when an exact rational evaluation meets a transcendental operation."""


# ----- the expression graph ----------------------------------------------------------------

class Trace:
    """One recording session: leaves by name and the table of shared nodes."""

    def __init__(self, prefix: str = "_k") -> None:
        self.table: dict[tuple[Any, ...], Sym] = {}
        self.prefix = prefix
        self.count = 0

    def var(self, name: str) -> Sym:
        """The leaf standing for the kernel variable (or expression atom) ``name``."""
        return self.node("var", (name,))

    def fresh(self) -> str:
        """A new temporary name (for :func:`render`)."""
        self.count += 1
        return f"{self.prefix}{self.count}"

    def node(self, op: str, args: tuple[Any, ...]) -> Sym:
        key = (op, *(("s", id(a)) if isinstance(a, Sym) else ("c", type(a), a) for a in args))
        found = self.table.get(key)
        if found is None:
            found = self.table[key] = Sym(self, op, args)
        return found


class Sym:
    """A node of a recorded expression: an operation and its arguments (nodes or floats).

    Python operators build new nodes; a node has no truth value (write :func:`where`) and
    no ``==`` (write :func:`equal`).
    """

    __slots__ = ("trace", "op", "args")
    __array_ufunc__ = None  # numpy defers to our reflected operators

    def __init__(self, trace: Trace, op: str, args: tuple[Any, ...]) -> None:
        self.trace, self.op, self.args = trace, op, args

    def __repr__(self) -> str:
        return f"Sym({self.op}, {len(self.args)} args)"

    def __bool__(self) -> bool:
        raise TypeError("a traced component value has no truth value: write "
                        "where(c, a, b) instead of if/and/or in a component definition")

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        raise TypeError("write equal(a, b) / not_equal(a, b) in a component definition")

    __ne__ = __eq__  # type: ignore[assignment]
    __hash__ = object.__hash__

    def __float__(self) -> float:
        raise TypeError("a traced component value is not a number")

    def __add__(self, o: Value) -> Value:
        return _op("+", self, o)

    def __radd__(self, o: Value) -> Value:
        return _op("+", o, self)

    def __sub__(self, o: Value) -> Value:
        return _op("-", self, o)

    def __rsub__(self, o: Value) -> Value:
        return _op("-", o, self)

    def __mul__(self, o: Value) -> Value:
        return _op("*", self, o)

    def __rmul__(self, o: Value) -> Value:
        return _op("*", o, self)

    def __truediv__(self, o: Value) -> Value:
        return _op("/", self, o)

    def __rtruediv__(self, o: Value) -> Value:
        return _op("/", o, self)

    def __neg__(self) -> Value:
        return _op("neg", self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _op("abs", self)

    def __lt__(self, o: Value) -> Value:
        return _op("<", self, o)

    def __le__(self, o: Value) -> Value:
        return _op("<=", self, o)

    def __gt__(self, o: Value) -> Value:
        return _op(">", self, o)

    def __ge__(self, o: Value) -> Value:
        return _op(">=", self, o)

    def __and__(self, o: Value) -> Value:
        return _op("and", self, o)

    def __rand__(self, o: Value) -> Value:
        return _op("and", o, self)

    def __or__(self, o: Value) -> Value:
        return _op("or", self, o)

    def __ror__(self, o: Value) -> Value:
        return _op("or", o, self)

    def __invert__(self) -> Value:
        return _op("not", self)


def _const(a: Any) -> Any:
    if isinstance(a, Sym):
        return a
    if isinstance(a, (bool, np.bool_)):
        return bool(a)
    return float(a)


def _op(op: str, *args: Value) -> Sym:
    trace = next(a.trace for a in args if isinstance(a, Sym))
    return trace.node(op, tuple(_const(a) for a in args))


def _traced(*args: Value) -> bool:
    return any(isinstance(a, Sym) for a in args)


# ----- the vocabulary ----------------------------------------------------------------------

def where(c: Value, a: Value, b: Value) -> Value:
    """``a`` where ``c`` holds, else ``b`` (numpy: :func:`numpy.where`)."""
    if isinstance(c, Sym):
        return _op("where", c, a, b)
    if _traced(a, b):
        if isinstance(c, (bool, np.bool_)):
            return a if c else b
        raise TypeError("where() with a traced branch needs a traced or scalar condition")
    return np.where(c, a, b)


def minimum(a: Value, b: Value) -> Value:
    """Elementwise minimum (kernel: ``min``)."""
    if _traced(a, b):
        return a if a is b else _op("min", a, b)
    return np.minimum(a, b)


def maximum(a: Value, b: Value) -> Value:
    """Elementwise maximum (kernel: ``max``)."""
    if _traced(a, b):
        return a if a is b else _op("max", a, b)
    return np.maximum(a, b)


def clip(a: Value, lo: float, hi: float) -> Value:
    """``minimum(maximum(a, lo), hi)``."""
    return minimum(maximum(a, lo), hi)


def absolute(a: Value) -> Value:
    """Elementwise ``|a|``."""
    return _op("abs", a) if _traced(a) else np.abs(a)


def equal(a: Value, b: Value) -> Value:
    """Elementwise ``a == b``."""
    return _op("==", a, b) if _traced(a, b) else np.equal(a, b)


def not_equal(a: Value, b: Value) -> Value:
    """Elementwise ``a != b``."""
    return _op("!=", a, b) if _traced(a, b) else np.not_equal(a, b)


def _unary(name: str, fn: Callable[[Any], Any]) -> Callable[[Value], Value]:
    def f(a: Value) -> Value:
        return _op(name, a) if _traced(a) else fn(a)

    f.__name__ = name
    f.__doc__ = f"Elementwise {name} (kernel: ``math.{_MATH[name]}``; not rational)."
    return f


_MATH = {"exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p", "tanh": "tanh",
         "arctanh": "atanh", "sqrt": "sqrt"}
exp = _unary("exp", np.exp)
expm1 = _unary("expm1", np.expm1)
log = _unary("log", np.log)
log1p = _unary("log1p", np.log1p)
tanh = _unary("tanh", np.tanh)
arctanh = _unary("arctanh", np.arctanh)
sqrt = _unary("sqrt", np.sqrt)

#: The names a component definition may use besides arithmetic and comparisons.
VOCABULARY = ("where", "minimum", "maximum", "clip", "absolute", "equal", "not_equal",
              *_MATH)


# ----- rendering ---------------------------------------------------------------------------

def num(c: float) -> str:
    """Source literal of a float constant (negative ones parenthesized; inf and nan by name).

    Examples
    --------
    >>> num(-0.5), num(2.0), num(float("inf"))
    ('(-0.5)', '2.0', 'math.inf')
    """
    c = float(c)
    if math.isnan(c):
        return "math.nan"
    if math.isinf(c):
        return "math.inf" if c > 0 else "(-math.inf)"
    return f"({c!r})" if c < 0 or (c == 0 and math.copysign(1.0, c) < 0) else repr(c)


_BINARY = {"+": 6, "-": 6, "*": 7, "/": 7, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4,
           "!=": 4, "and": 2, "or": 1}
_CALL = {"min": "min", "max": "max", "abs": "abs",
         **{k: f"math.{v}" for k, v in _MATH.items()}}
_ATOM = 10


def _text(node: Any, names: dict[int, str]) -> tuple[str, int]:
    """(source, precedence) of a node whose shared children already have names."""
    if not isinstance(node, Sym):
        if isinstance(node, bool):
            return repr(node), _ATOM
        return num(node), _ATOM
    if id(node) in names:
        return names[id(node)], _ATOM
    op, args = node.op, node.args
    if op == "var":
        return str(args[0]), _ATOM
    if op in _CALL:
        inner = ", ".join(_text(a, names)[0] for a in args)
        return f"{_CALL[op]}({inner})", _ATOM
    if op == "where":
        c, a, b = (_text(x, names)[0] for x in args)
        return f"({a} if {c} else {b})", _ATOM
    if op == "neg":
        s, p = _text(args[0], names)
        return f"-{s if p > 7 else f'({s})'}", 8
    if op == "not":
        s, p = _text(args[0], names)
        return f"not {s if p > 3 else f'({s})'}", 3
    prec = _BINARY[op]
    (ls, lp), (rs, rp) = (_text(a, names) for a in args)
    if lp < prec or (prec == 4 and lp == 4):
        ls = f"({ls})"
    if rp <= prec:
        rs = f"({rs})"
    return f"{ls} {op} {rs}", prec


def render(outputs: Sequence[Any], fresh: Callable[[], str], *, inline: bool = False
           ) -> tuple[list[str], list[str]]:
    """Statements and output expressions computing ``outputs`` (nodes or constants).

    A node used more than once is computed once into a temporary (named by ``fresh``);
    the others are written inline, so a :func:`where` evaluates only the branch it takes
    unless a shared node of that branch was hoisted before it. ``inline=True`` writes
    everything inline (one expression per output, no statements).
    """
    order: list[Sym] = []
    uses: dict[int, int] = {}

    def visit(x: Any) -> None:
        if not isinstance(x, Sym):
            return
        uses[id(x)] = uses.get(id(x), 0) + 1
        if uses[id(x)] > 1:
            return
        for a in x.args:
            visit(a)
        order.append(x)

    for out in outputs:
        visit(out)
    names: dict[int, str] = {}
    lines: list[str] = []
    for x in order:
        if (not inline and uses[id(x)] > 1 and x.op != "var"
                and not (x.op == "neg" and _is_leaf(x.args[0]))):
            name = fresh()
            lines.append(f"{name} = {_text(x, names)[0]}")
            names[id(x)] = name
    return lines, [_text(out, names)[0] for out in outputs]


def _is_leaf(x: Any) -> bool:
    return not isinstance(x, Sym) or x.op == "var"


def _leaves(trace: Trace, spec: Any) -> Any:
    if isinstance(spec, str):
        return trace.var(spec)
    if isinstance(spec, (list, tuple)):
        return [_leaves(trace, s) for s in spec]
    return spec


def flatten(value: Any) -> list[Any]:
    """The outputs of a traced call as a flat list (tuples and lists unpacked in order)."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flatten(v)]
    return [value]


def trace_call(fn: Callable[..., Any], *args: Any, prefix: str = "_k") -> tuple[Trace, list[Any]]:
    """Call ``fn`` on leaves named like ``args`` (a name, a float, or nested lists of
    them) and return the trace and its flattened outputs."""
    tr = Trace(prefix)
    return tr, flatten(fn(*(_leaves(tr, a) for a in args)))


def fragment(fn: Callable[..., Any], *args: Any, fresh: Callable[[], str]
             ) -> tuple[list[str], list[str]]:
    """Kernel statements and output expressions of ``fn`` applied to the kernel variables
    named in ``args`` (see :func:`trace_call`); temporaries are named by ``fresh``.

    Examples
    --------
    >>> names = iter(["t1", "t2"])
    >>> fragment(lambda z, y: (z - y) * (z - y), "z3", "y0", fresh=lambda: next(names))
    (['t1 = z3 - y0'], ['t1 * t1'])
    """
    _, outs = trace_call(fn, *args)
    return render(outs, fresh)


# ----- exact rationals ---------------------------------------------------------------------

def _obj(value: Any) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _bools(a: Any) -> np.ndarray:
    return np.asarray(a).astype(bool)


_RATIONAL: dict[str, Callable[..., Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "neg": lambda a: -a,
    "<": lambda a, b: _bools(a < b), "<=": lambda a, b: _bools(a <= b),
    ">": lambda a, b: _bools(a > b), ">=": lambda a, b: _bools(a >= b),
    "==": lambda a, b: _bools(a == b), "!=": lambda a, b: _bools(a != b),
    "and": lambda a, b: _bools(a) & _bools(b), "or": lambda a, b: _bools(a) | _bools(b),
    "not": lambda a: ~_bools(a),
    "where": lambda c, a, b: np.where(_bools(c), a, b),
    "min": lambda a, b: np.where(_bools(a <= b), a, b),
    "max": lambda a, b: np.where(_bools(a >= b), a, b),
    "abs": lambda a: np.where(_bools(a < 0), -a, a),
}


def is_rational(outputs: Sequence[Any]) -> bool:
    """True when every operation recorded for ``outputs`` is rational (exact on
    :class:`~fractions.Fraction`, correctly rounded in floating point)."""
    seen: set[int] = set()
    stack = [o for o in outputs if isinstance(o, Sym)]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if x.op != "var" and x.op not in _RATIONAL:
            return False
        stack += [a for a in x.args if isinstance(a, Sym)]
    return True


def rational_eval(outputs: Sequence[Any], leaves: dict[str, Any]) -> list[Any]:
    """Evaluate recorded ``outputs`` exactly, leaves given as object arrays of Fractions.

    Raises :class:`NotRationalError` at a transcendental operation.

    Examples
    --------
    >>> tr = Trace()
    >>> t = tr.var("t")
    >>> out = rational_eval([where(t > 0.0, t, 0.5 * t)],
    ...                     {"t": np.array([Fraction(-1, 3), Fraction(2)], dtype=object)})
    >>> out[0].tolist()
    [Fraction(-1, 6), Fraction(2, 1)]
    """
    memo: dict[int, Any] = {}

    def ev(x: Any) -> Any:
        if not isinstance(x, Sym):
            if isinstance(x, bool):
                return x
            if not math.isfinite(x):
                raise NotRationalError(f"the constant {x!r} is not a rational number")
            return _obj(Fraction(x))
        if id(x) not in memo:
            if x.op == "var":
                memo[id(x)] = leaves[x.args[0]]
            elif x.op in _RATIONAL:
                memo[id(x)] = _RATIONAL[x.op](*(ev(a) for a in x.args))
            else:
                raise NotRationalError(f"{_CALL.get(x.op, x.op)} is not a rational operation")
        return memo[id(x)]

    return [ev(o) for o in outputs]
