"""The oracles of the soundness tests agree with lptrain's definitions: every registered
activation, loss and regularizer has an independent definition in ``soundness_oracle.py``
(a new component fails here, by name, until one is written), and the oracle's forward pass
reads networks the way lptrain evaluates them. When a definition changes on purpose,
change the oracle with it; nothing else in the soundness tests should need editing."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from soundness_exact import exact_activation, exact_loss
from soundness_matrix import (
    ARCH_KINDS,
    activation_specs,
    loss_specs,
    network,
    regularizer_specs,
    seed,
)
from soundness_oracle import LD, activation_oracle, loss_oracle, outputs, regularizer_oracle

from lptrain.nn import forward, get_activation, get_loss, get_regularizer

T = np.concatenate([np.linspace(-5, 5, 201), [-1.0, 0.0, 1.0, 1e-300, -1e-300]])


@pytest.mark.parametrize("spec", activation_specs())
def test_activation_oracle_matches_lptrain(spec):
    act = get_activation(spec)
    want = act(T)
    got = activation_oracle(spec)(T.astype(LD)).astype(np.float64)
    # an inexact activation (libm) may also lose a few ulps of its terms by cancellation
    # (softplus near 0: log1p(e^-|t|) - log 2)
    atol = 1e-300 if act.exact else 4 * 2.0**-53
    assert np.allclose(got, want, rtol=4e-16, atol=atol), (
        f"the oracle of {spec!r} disagrees with lptrain: update soundness_oracle.py if the "
        "definition changed")


@pytest.mark.parametrize("spec", activation_specs())
def test_exact_activation_matches_the_oracle(spec):
    try:
        exact_activation(spec, Fraction(0))
    except KeyError:
        pytest.skip(f"no exact evaluation of {spec!r} (point boxes of it use the oracle)")
    for t in T[::7]:
        e = float(exact_activation(spec, Fraction(float(t))))
        assert e == pytest.approx(float(activation_oracle(spec)(np.array([t], dtype=LD))[0]),
                                  rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("spec", loss_specs())
def test_loss_oracle_matches_lptrain(spec):
    rng = np.random.default_rng(seed("loss-oracle", spec))
    for m in (1, 2, 3):
        z, y = rng.uniform(-3, 3, (50, m)), rng.uniform(-1, 1, (50, m))
        if spec.startswith("hamming"):
            z, y = rng.integers(0, 2, (50, m)).astype(float), rng.integers(0, 2, (50, m))
        want = get_loss(spec)(z, y)
        got = loss_oracle(spec)([z[:, j].astype(LD) for j in range(m)],
                                [y[:, j].astype(LD) for j in range(m)]).astype(np.float64)
        assert np.allclose(got, want, rtol=1e-13, atol=1e-13), (
            f"the oracle of loss {spec!r} (m={m}) disagrees with lptrain: update "
            "soundness_oracle.py if the definition changed")


@pytest.mark.parametrize("spec", loss_specs())
def test_exact_loss_matches_the_oracle(spec):
    """The exact losses of the rounding tests (one and several outputs) are the oracle's."""
    rng = np.random.default_rng(seed("exact-loss", spec))
    for m in (1, 2, 3):
        z, y = rng.uniform(-3, 3, (12, m)), rng.choice([-1.0, 0.5, 1.0], (12, m))
        if spec.startswith("hamming"):
            z, y = rng.integers(0, 2, (12, m)).astype(float), rng.integers(0, 2, (12, m))
        want = loss_oracle(spec)([z[:, j].astype(LD) for j in range(m)],
                                 [y[:, j].astype(LD) for j in range(m)]).astype(np.float64)
        got = [float(exact_loss(spec, [Fraction(v) for v in zr], [Fraction(float(v))
                                                                   for v in yr]))
               for zr, yr in zip(z, y, strict=True)]
        assert np.allclose(got, want, rtol=1e-13, atol=1e-13), (spec, m)


@pytest.mark.parametrize("spec", [r for r in regularizer_specs() if r is not None])
def test_regularizer_oracle_matches_lptrain(spec):
    phi = np.random.default_rng(seed("reg-oracle", spec)).uniform(-1, 1, (30, 7))
    assert np.allclose(regularizer_oracle(spec)(phi).astype(np.float64),
                       get_regularizer(spec)(phi), rtol=1e-14, atol=0)


@pytest.mark.parametrize("kind", ARCH_KINDS)
def test_forward_oracle_matches_lptrain(kind):
    net = network(kind, activation_specs(), ("tanh", "identity"))
    rng = np.random.default_rng(seed("forward-oracle", kind))
    X, phi = rng.uniform(-1, 1, (9, net.n)), rng.uniform(-1, 1, (11, net.N))
    want = forward(net, X, phi, backend="numpy")
    got = np.stack([z.astype(np.float64) for z in outputs(net, X, phi)], axis=-1)
    assert np.allclose(got, want, rtol=1e-13, atol=1e-13)
