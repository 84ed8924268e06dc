"""Activations, losses and regularizers: values, names, constants, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from nn_zoo import reference_loss

from lptrain.errors import InvalidInputError, OutsideTheoryError
from lptrain.nn import ACTIVATIONS, LOSSES, Activation, get_activation, get_loss, get_regularizer

T = np.linspace(-3, 3, 61)


@pytest.mark.parametrize("spec", ["relu", "leaky_relu:0.3", "tanh", "hard_tanh", "elu:0.7",
                                  "identity", "step", "softplus"])
def test_activation_properties(spec):
    a = get_activation(spec)
    vals = a(T)
    assert np.all(np.diff(vals) >= 0)  # monotone: the interval bounds rely on it
    assert a.in_theory == (a.name != "step")
    if a.in_theory:
        assert a(np.zeros(1))[0] == 0.0
        assert np.all(np.abs(np.diff(vals)) <= np.diff(T) + 1e-15)  # 1-Lipschitz
    assert get_activation(a.spec) == a and Activation.from_dict(a.to_dict()) == a


def test_activation_expr_matches_numpy():
    for name in ACTIVATIONS:
        a = get_activation(name)
        f = eval(f"lambda h: {a.expr('h')}", {"math": math})
        assert np.allclose([f(float(t)) for t in T], a(T), rtol=1e-15, atol=0)


@pytest.mark.parametrize("spec, message", [
    ("elu:1.5", "elu alpha must lie in (0, 1]: with alpha > 1 ELU is not 1-Lipschitz "
                "(Lemma 4.5); got 1.5"),
    ("leaky_relu:2", "leaky_relu slope must lie in [0, 1] (1-Lipschitz, monotone); got 2.0"),
    ("leaky_relu:-0.1", "leaky_relu slope must lie in [0, 1] (1-Lipschitz, monotone); "
                        "got -0.1"),
    ("swish", "activation must be one of relu, leaky_relu, tanh, hard_tanh, elu, identity, "
              "step, softplus; got 'swish'"),
    ("relu:0.5", "activation 'relu' takes no parameter; got 0.5"),
    ("elu:x", "activation 'elu:x': the parameter after ':' must be a number, e.g. "
              "leaky_relu:0.1"),
])
def test_activation_errors(spec, message):
    with pytest.raises(InvalidInputError) as exc:
        get_activation(spec)
    assert str(exc.value) == message


@pytest.mark.parametrize("name", LOSSES)
def test_loss_values_match_definitions(name):
    rng = np.random.default_rng(0)
    z = rng.uniform(-3, 3, (20, 3))
    y = rng.uniform(-1, 1, (20, 3))
    if name == "hamming":
        z, y = np.round(z) % 2, np.round(y) % 2
    got = get_loss(name)(z, y)
    want = [reference_loss(name, list(a), b) for a, b in zip(z, y, strict=True)]
    assert np.allclose(got, want, rtol=1e-13, atol=1e-13)


def test_loss_constants_of_section_4_3():
    U, m = 13.0, 3
    assert get_loss("abs").lipschitz(m, U) == 2 * m
    assert get_loss("quadratic").lipschitz(m, U) == 4 * m * (U + 1)
    assert get_loss("hinge").lipschitz(m, U) == m * (U + 1)
    assert get_loss("cross_entropy").lipschitz(m, U) == 2 * m * (math.log(m) + 2 * U)
    assert get_loss("cross_entropy").lipschitz_refined(m, U) == m * (2 + math.log(m) + 2 * U)
    with pytest.raises(OutsideTheoryError, match="loss 'hamming' is outside the Lipschitz"):
        get_loss("hamming").lipschitz(1, 1.0)


def test_loss_names():
    assert get_loss("absolute").name == "abs" and get_loss("CE").name == "cross_entropy"
    assert get_loss("0-1").name == "hamming"
    with pytest.raises(InvalidInputError) as exc:
        get_loss("logcosh")
    assert str(exc.value) == ("loss must be one of abs, quadratic, hinge, cross_entropy, "
                              "hamming, huber; got 'logcosh'")


def test_regularizers_of_appendix_b():
    phi = np.array([[0.5, -1.0, 0.25]])
    l1, l2 = get_regularizer("l1:0.1"), get_regularizer("l2:0.1")
    assert np.allclose(l1(phi), [0.175]) and np.allclose(l2(phi), [0.13125])
    assert l1.lipschitz(3) == pytest.approx(0.3) and l2.lipschitz(3) == pytest.approx(0.6)
    assert l1.weights == (0.1, 0.0) and l2.weights == (0.0, 0.1)
    lo, hi = l2.interval(np.array([[-0.5, 0.25]]), np.array([[0.5, 0.75]]))
    assert np.allclose(lo, [0.1 * 0.0625]) and np.allclose(hi, [0.1 * (0.25 + 0.5625)])
    assert get_regularizer("none") is None and get_regularizer(None) is None


@pytest.mark.parametrize("spec, message", [
    ("l3:1", "regularizer must look like 'l1:0.01' or 'l2:0.5' (kind:lambda); got 'l3:1'"),
    ("l1", "regularizer must look like 'l1:0.01' or 'l2:0.5' (kind:lambda); got 'l1'"),
    ("l1:-1", "regularizer weight lambda must be a finite number >= 0; got -1.0"),
    ("l2:nan", "regularizer weight lambda must be a finite number >= 0; got nan"),
])
def test_regularizer_errors(spec, message):
    with pytest.raises(InvalidInputError) as exc:
        get_regularizer(spec)
    assert str(exc.value) == message
