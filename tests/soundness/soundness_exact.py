"""Exact arithmetic for the floating-point tests: every float is a dyadic rational, so the
risk of a network built from rational operations (ReLU, leaky ReLU, hard tanh, step,
identity; abs, quadratic, hinge, Huber and Hamming losses; ℓ1 and ℓ2 regularizers) is computed
exactly with :class:`fractions.Fraction`. exp, log and tanh (ELU, softplus, tanh,
cross-entropy) are evaluated with 60 significant digits (``decimal``), exact for the purpose
of comparing with float64 results (whose rounding is ~1e-16).
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
from soundness_oracle import spec_of

__all__ = ["F", "exact_activation", "exact_exp", "exact_log", "exact_loss", "exact_outputs",
           "exact_risk", "exact_tanh"]


def F(x: float) -> Fraction:  # noqa: N802 - the usual name for an exact value
    """The exact value of a float."""
    return Fraction(float(x))


def _dec(x: Fraction) -> Decimal:
    return Decimal(x.numerator) / Decimal(x.denominator)


def exact_exp(x: Fraction) -> Fraction:
    """e^x to 60 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        return Fraction(_dec(x).exp())


def exact_log(x: Fraction) -> Fraction:
    """log(x), x > 0, to 60 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        return Fraction(_dec(x).ln())


def exact_tanh(x: Fraction) -> Fraction:
    """tanh(x) to 60 significant digits (as a Fraction)."""
    with localcontext() as ctx:
        ctx.prec = 60
        e = (2 * _dec(x)).exp()
        return Fraction((e - 1) / (e + 1))


def exact_activation(spec: str, t: Fraction) -> Fraction:
    name, _, param = spec.partition(":")
    if name == "relu":
        return max(t, Fraction(0))
    if name == "leaky_relu":
        return t if t > 0 else F(float(param)) * t
    if name == "hard_tanh":
        return min(max(t, Fraction(-1)), Fraction(1))
    if name == "step":
        return Fraction(1) if t > 0 else Fraction(0)
    if name == "identity":
        return t
    if name == "tanh":
        return exact_tanh(t)
    if name == "elu":
        return t if t > 0 else F(float(param or 1.0)) * (exact_exp(t) - 1)
    if name == "softplus":
        return exact_log(1 + exact_exp(t)) - exact_log(Fraction(2))
    raise KeyError(f"no exact evaluation of activation {spec!r}")


def exact_outputs(net, x: np.ndarray, phi: np.ndarray) -> list[Fraction]:
    """f(x, φ) in exact arithmetic (one data point, one parameter vector)."""
    z = [F(v) for v in x]
    ph = [F(v) for v in phi]
    for node in net.nodes:
        h = Fraction(0)
        for src, p, c in node.inputs:
            h += (F(c) * ph[p] if p >= 0 else F(c)) * z[src]
        bp, bc = node.bias
        h += F(bc) * ph[bp] if bp >= 0 else F(bc)
        z.append(exact_activation(spec_of(node.activation), h))
    return [z[o] for o in net.outputs]


def _huber(t: Fraction, delta: Fraction) -> Fraction:
    return t * t / 2 if abs(t) <= delta else delta * (abs(t) - delta / 2)


def exact_loss(spec: str, z: list[Fraction], y: list[Fraction]) -> Fraction:
    """ℓ(z, y) exactly for one data point (loss spec, parameter included)."""
    name, _, param = spec.partition(":")
    if name == "abs":
        return sum((abs(a - b) for a, b in zip(z, y, strict=True)), Fraction(0))
    if name == "quadratic":
        return sum(((a - b) ** 2 for a, b in zip(z, y, strict=True)), Fraction(0))
    if name == "hinge":  # the sum of per-output hinges (SPEC §5; one output: the binary hinge)
        return sum((max(Fraction(1) - a * b, Fraction(0)) for a, b in zip(z, y, strict=True)),
                   Fraction(0))
    if name == "huber":
        delta = F(float(param or 1.0))
        return sum((_huber(a - b, delta) for a, b in zip(z, y, strict=True)), Fraction(0))
    if name == "hamming":
        return Fraction(sum(a != b for a, b in zip(z, y, strict=True)))
    if name == "cross_entropy":
        top = max(z)
        lse = top + exact_log(sum((exact_exp(a - top) for a in z), Fraction(0)))
        return sum((b * (lse - a) for a, b in zip(z, y, strict=True)), Fraction(0))
    raise KeyError(f"no exact evaluation of loss {name!r}")


def exact_risk(net, loss: str, X: np.ndarray, Y: np.ndarray, phi: np.ndarray,
               regularizer: str | None = None) -> Fraction:
    """``(1/D) Σ_d ℓ(f(x_d, φ), y_d) + λR(φ)`` exactly."""
    total = sum((exact_loss(loss, exact_outputs(net, x, phi), [F(v) for v in y])
                 for x, y in zip(X, Y, strict=True)), Fraction(0))
    value = total / len(X)
    if regularizer is not None:
        kind, _, lam = regularizer.partition(":")
        ph = [F(v) for v in phi]
        r = sum((abs(v) for v in ph), Fraction(0)) if kind == "l1" else sum(
            (v * v for v in ph), Fraction(0))
        value += F(float(lam)) * r
    return value
