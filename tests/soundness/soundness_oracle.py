"""The independent oracle of the soundness tests: a plain-numpy forward pass, losses and
regularizers written here from their definitions (§2.1, §4.3, Appendix B), not taken from
lptrain's evaluator.

Values are computed in ``np.longdouble`` (80-bit on x86-64: 11 more bits than the float64 the
library computes in), so an oracle value is within ~1e-19 relative of the exact real value at
the sampled point. A certified lower bound must lie at or below the exact value; comparing
it with the float64 evaluation instead would hide bounds that are too high by an ulp.

The oracle reads only the public data model of a network (``Network.nodes`` with
``inputs``/``bias`` as ``(param or -1, coef)`` and the node's activation ``spec``) and names
components by their spec strings (``"leaky_relu:0.3"``, ``"l2:0.3"``), so it survives a
refactoring of how components are implemented. A component the oracle does not know makes
:func:`activation_oracle` / :func:`loss_oracle` raise a KeyError that says what to add here;
``test_oracles.py`` checks every registered component against these definitions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LD = np.longdouble

__all__ = ["LD", "activation_oracle", "loss_oracle", "regularizer_oracle", "node_values",
           "outputs", "losses", "pre_activations", "risk", "spec_of"]

ActFn = Callable[[np.ndarray], np.ndarray]
LossFn = Callable[[list[np.ndarray], list[np.ndarray]], np.ndarray]


def spec_of(component: object) -> str:
    """The spec string of an activation, loss or regularizer object (or the string itself)."""
    if isinstance(component, str):
        return component
    for attr in ("spec", "name", "kind"):
        value = getattr(component, attr, None)
        if isinstance(value, str):
            return value
    raise TypeError(f"cannot name component {component!r}")


def _split(spec: str) -> tuple[str, float | None]:
    name, _, param = spec.partition(":")
    return name, (float(param) if param else None)


# ----- activations -----------------------------------------------------------------------
def _softplus(t: np.ndarray) -> np.ndarray:
    # log(1 + e^t) - log 2, written overflow-free: max(t, 0) + log1p(e^-|t|) - log 2.
    return np.maximum(t, LD(0)) + np.log1p(np.exp(-np.abs(t))) - np.log(LD(2))


def activation_oracle(spec: str) -> ActFn:
    """``a(t)`` elementwise in longdouble, from the definition of the activation ``spec``."""
    name, a = _split(spec)
    table: dict[str, ActFn] = {
        "relu": lambda t: np.maximum(t, LD(0)),
        "leaky_relu": lambda t: np.where(t > 0, t, LD(a if a is not None else 0.01) * t),
        "tanh": np.tanh,
        "hard_tanh": lambda t: np.minimum(np.maximum(t, LD(-1)), LD(1)),
        "elu": lambda t: np.where(t > 0, t, LD(a if a is not None else 1.0)
                                  * np.expm1(np.minimum(t, LD(0)))),
        "identity": lambda t: t,
        "step": lambda t: (t > 0).astype(LD),
        "softplus": _softplus,
    }
    if name not in table:
        raise KeyError(f"no independent oracle for activation {spec!r}: add its definition "
                       "to activation_oracle in tests/soundness/soundness_oracle.py")
    return table[name]


# ----- losses ------------------------------------------------------------------------------
def _sum(terms: list[np.ndarray]) -> np.ndarray:
    acc = terms[0]
    for t in terms[1:]:
        acc = acc + t
    return acc


def _cross_entropy(zs: list[np.ndarray], ys: list[np.ndarray]) -> np.ndarray:
    # -Σ_j y_j log softmax_j(z) = Σ_j y_j (logsumexp(z) - z_j)
    top = zs[0]
    for z in zs[1:]:
        top = np.maximum(top, z)
    lse = top + np.log(_sum([np.exp(z - top) for z in zs]))
    return _sum([y * (lse - z) for z, y in zip(zs, ys, strict=True)])


def _huber(delta: float) -> LossFn:
    d = LD(delta)

    def f(zs: list[np.ndarray], ys: list[np.ndarray]) -> np.ndarray:
        terms = []
        for z, y in zip(zs, ys, strict=True):
            r = np.abs(z - y)
            terms.append(np.where(r <= d, LD(0.5) * r * r, d * (r - LD(0.5) * d)))
        return _sum(terms)

    return f


def loss_oracle(spec: str) -> LossFn:
    """``ℓ(z, y)`` from per-output arrays (longdouble), from the definition of ``spec``."""
    name, param = _split(spec)
    if name == "huber":
        return _huber(param if param is not None else 1.0)
    table: dict[str, LossFn] = {
        "abs": lambda zs, ys: _sum([np.abs(z - y) for z, y in zip(zs, ys, strict=True)]),
        "quadratic": lambda zs, ys: _sum([(z - y) * (z - y)
                                          for z, y in zip(zs, ys, strict=True)]),
        # the sum of per-output hinges (SPEC §5; one output: the binary hinge)
        "hinge": lambda zs, ys: _sum([np.maximum(LD(1) - z * y, LD(0))
                                      for z, y in zip(zs, ys, strict=True)]),
        "cross_entropy": _cross_entropy,
        "hamming": lambda zs, ys: _sum([(z != y).astype(LD)
                                        for z, y in zip(zs, ys, strict=True)]),
    }
    if name not in table:
        raise KeyError(f"no independent oracle for loss {spec!r}: add its definition to "
                       "loss_oracle in tests/soundness/soundness_oracle.py")
    return table[name]


def regularizer_oracle(spec: str | None) -> Callable[[np.ndarray], np.ndarray]:
    """``λR(φ)`` of each row of φ (P, N) → (P,), for ``"l1:λ"`` / ``"l2:λ"`` / None."""
    if spec is None:
        return lambda phi: np.zeros(phi.shape[0], dtype=LD)
    kind, lam = _split(spec)
    assert lam is not None, spec
    if kind == "l1":
        return lambda phi: LD(lam) * np.abs(phi.astype(LD)).sum(axis=1)
    if kind == "l2":
        return lambda phi: LD(lam) * (phi.astype(LD) ** 2).sum(axis=1)
    raise KeyError(f"no independent oracle for regularizer {spec!r}: add it to "
                   "regularizer_oracle in tests/soundness/soundness_oracle.py")


# ----- the network -------------------------------------------------------------------------
def _forward(net, X: np.ndarray, phi: np.ndarray) -> tuple[list[np.ndarray],
                                                            list[np.ndarray | None]]:
    P, D = phi.shape[0], X.shape[0]
    ph = phi.astype(LD)
    vals = [np.broadcast_to(X[:, i].astype(LD)[None, :], (P, D)) for i in range(net.n_inputs)]
    pre: list[np.ndarray | None] = [None] * net.n_inputs
    for node in net.nodes:
        acc = np.zeros((P, D), dtype=LD)
        for src, p, c in node.inputs:
            w = LD(c) * ph[:, p, None] if p >= 0 else LD(c)
            acc = acc + w * vals[src]
        bp, bc = node.bias
        acc = acc + (LD(bc) * ph[:, bp, None] if bp >= 0 else LD(bc))
        pre.append(acc)
        vals.append(activation_oracle(spec_of(node.activation))(acc))
    return vals, pre


def node_values(net, X: np.ndarray, phi: np.ndarray) -> list[np.ndarray]:
    """Every node's value (inputs first), each an array (P, D) in longdouble, for data
    X (D, n) and parameters φ (P, N): ``z_v = a_v(Σ w(p, c) z_u + w(bias))`` with
    ``w(p, c) = c φ_p`` (``p >= 0``) or the constant c (``p = -1``)."""
    return _forward(net, X, phi)[0]


def pre_activations(net, X: np.ndarray, phi: np.ndarray) -> list[np.ndarray | None]:
    """The affine sums ``Σ w z_u + w(bias)`` before each node's activation (None for the
    inputs), arrays (P, D)."""
    return _forward(net, X, phi)[1]


def outputs(net, X: np.ndarray, phi: np.ndarray) -> list[np.ndarray]:
    """The m output arrays (P, D)."""
    vals = node_values(net, X, phi)
    return [vals[o] for o in net.outputs]


def losses(net, loss: str, X: np.ndarray, Y: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """``ℓ(f(x_d, φ_p), y_d)`` → (P, D) longdouble."""
    zs = outputs(net, X, phi)
    ys = [Y[:, j].astype(LD)[None, :] for j in range(Y.shape[1])]
    return loss_oracle(loss)(zs, ys)


def risk(net, loss: str, X: np.ndarray, Y: np.ndarray, phi: np.ndarray,
         regularizer: str | None = None) -> np.ndarray:
    """The regularized empirical risk ``(1/D) Σ_d ℓ + λR(φ)`` of every row of φ → (P,)."""
    return (losses(net, loss, X, Y, phi).sum(axis=1) / LD(X.shape[0])
            + regularizer_oracle(regularizer)(phi))
