"""Architecture Lipschitz constants (§4): exact values and finite-difference soundness."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from nn_zoo import (
    ARCH_KINDS,
    EXTRA_ACTIVATIONS,
    EXTRA_LOSSES,
    THEORY_ACTIVATIONS,
    THEORY_LOSSES,
    build,
)

from lptrain.errors import OutsideTheoryError
from lptrain.nn import Node, architecture_lipschitz, dag, dense, loss_matrix, node_bounds, resnet
from lptrain.nn.regularizers import get_regularizer


def test_dense_constants_follow_lemma_4_1_and_corollary_4_2():
    r = architecture_lipschitz(dense([2, 3, 4, 2]), "quadratic")
    w = 4  # max width over the layers feeding a node = max in-degree
    assert r.max_in_degree == w and r.depth == 3
    assert r.U == tuple(sum(w**j for j in range(i + 1)) for i in range(4)) == (1, 5, 21, 85)
    assert r.layer_factors == (10, 42, 170)
    assert r.loss_constant == 4 * 2 * (85 + 1)
    assert r.lipschitz == r.loss_constant * 10 * 42 * 170


def test_resnet_uses_max_in_degree_lemma_4_5():
    r = architecture_lipschitz(resnet(2, 3, 1, 2), "cross_entropy")
    assert r.max_in_degree == 4  # width + identity skip
    assert r.U == (1, 5, 21, 85)
    assert r.loss_constant == pytest.approx(2 * 2 * (math.log(2) + 2 * 85))


def test_regularizer_constant_is_added_definition_b_1():
    net = dense([2, 2, 1])
    base = architecture_lipschitz(net, "abs").lipschitz
    for spec, const in (("l1:0.5", 0.5 * net.N), ("l2:0.5", 2 * 0.5 * net.N)):
        r = architecture_lipschitz(net, "abs", spec)
        assert r.regularizer_constant == const and r.lipschitz == base + const


def test_outside_theory_components_raise():
    step_net = dense([2, 1, 1], activation="step")
    with pytest.raises(OutsideTheoryError) as exc:
        architecture_lipschitz(step_net, "abs")
    assert str(exc.value).startswith("activation 'step' (node 2) is outside the Lipschitz "
                                     "theory of §4")
    with pytest.raises(OutsideTheoryError, match="activation 'step'"):
        architecture_lipschitz(step_net, "abs", method="refined")
    with pytest.raises(OutsideTheoryError, match="loss 'hamming' is outside"):
        architecture_lipschitz(dense([2, 1]), "hamming")
    big = dag(1, [Node.make([(0, 0, 2.0)])], [1])
    with pytest.raises(OutsideTheoryError, match="coefficient 2.0 outside"):
        architecture_lipschitz(big, "abs")
    # f = 2 φ x: |∂f/∂x| + |∂f/∂φ| <= 4, and abs adds 2m = 2
    assert architecture_lipschitz(big, "abs", method="refined").lipschitz == 8.0


def test_node_bounds_cover_step_and_tanh():
    net = dense([2, 3, 1], activation="step")
    assert node_bounds(net).tolist() == [1, 1, 1, 1, 1, 4]


def _pairs(net, rng, count):
    """Random pairs over the whole domain: far pairs, near pairs, one-coordinate moves."""
    dim = net.n + net.N + net.m
    a = rng.uniform(-1, 1, (count, dim))
    b = rng.uniform(-1, 1, (count, dim))
    q = count // 3
    b[q:2 * q] = np.clip(a[q:2 * q] + rng.uniform(-1e-3, 1e-3, (q, dim)), -1, 1)
    cols = rng.integers(0, dim, count - 2 * q)
    b[2 * q:] = a[2 * q:]
    b[2 * q:][np.arange(count - 2 * q), cols] = rng.uniform(-1, 1, count - 2 * q)
    corners = rng.choice([-1.0, 1.0], (q // 4, dim))  # vertices of the box
    a[:q // 4] = corners
    return a, b


def _objective(net, loss, reg, v):
    X, phi, Y = v[:, :net.n], v[:, net.n:net.n + net.N], v[:, net.n + net.N:]
    out = np.diagonal(loss_matrix(net, loss, X, Y, phi, backend="numpy")).copy()
    if reg is not None:
        out += get_regularizer(reg)(phi)
    return out


def _steepest_pairs(net, loss, reg, rng, count, h=1e-4):
    """Pairs ``(a, a + h s)`` with s the sign of the gradient at a (a numerical estimate):
    the ∞-norm step along which the objective grows fastest, at ``|∇|₁`` — so the finite
    difference approaches the true Lipschitz constant instead of a random fraction of it.
    Base points near the vertices of the domain (where the gradients are largest) and
    uniform ones; both ends stay inside the domain."""
    dim = net.n + net.N + net.m
    a = rng.choice([-1.0, 1.0], (count, dim)) * (1 - 2 * h)
    a[count // 2:] = rng.uniform(-1 + 2 * h, 1 - 2 * h, (count - count // 2, dim))
    grad = np.empty_like(a)
    for j in range(dim):
        e = np.zeros(dim)
        e[j] = h / 8
        grad[:, j] = _objective(net, loss, reg, a + e) - _objective(net, loss, reg, a - e)
    return a, a + h * np.where(grad >= 0, 1.0, -1.0)


@pytest.mark.parametrize("kind", ARCH_KINDS)
@pytest.mark.parametrize("activation", (*THEORY_ACTIVATIONS, *EXTRA_ACTIVATIONS))
def test_lipschitz_bound_holds_for_finite_differences(kind, activation):
    rng = np.random.default_rng(zlib.crc32(f"{kind}|{activation}".encode()))
    net = build(kind, activation, m=2)
    for loss in (*THEORY_LOSSES, *EXTRA_LOSSES):
        for reg in (None, "l2:0.1"):
            paper = architecture_lipschitz(net, loss, reg).lipschitz
            refined = architecture_lipschitz(net, loss, reg, method="refined").lipschitz
            assert refined <= paper
            for a, b in (_pairs(net, rng, 240), _steepest_pairs(net, loss, reg, rng, 120)):
                la, lb = _objective(net, loss, reg, a), _objective(net, loss, reg, b)
                dist = np.abs(a - b).max(axis=1)
                slack = 1e-12 * (1 + np.abs(la))
                assert np.all(np.abs(la - lb) <= refined * dist + slack), (loss, reg)


#: Fraction of the refined constant the steepest finite differences reach (at least), on
#: one layer and on a chain of three.
ATTAINED = {"abs": (0.6, 0.5), "quadratic": (0.6, 0.5), "hinge": (0.5, 0.25),
            "cross_entropy": (0.2, 0.1)}


@pytest.mark.parametrize("widths", [[1, 2], [1, 1, 1, 2]], ids=["1-2", "1-1-1-2"])
@pytest.mark.parametrize("loss", THEORY_LOSSES)
def test_lipschitz_constants_are_nearly_attained(loss, widths):
    """The steepest finite differences stay below the refined constant and come within a
    stated factor of it on networks where the chain-rule bound is nearly tight (identity
    layers, weights and data at the vertices), so a constant too small by 2 fails and the
    soundness test above is not vacuous. (The refined constant multiplies L∞(ℓ), which
    counts the z- and the y-derivative, by the network's sensitivity S, which counts the x-
    and φ-derivatives: at best (S + 1) / (2S) of it is attained.)"""
    rng = np.random.default_rng(zlib.crc32(f"attained|{loss}|{widths}".encode()))
    net = dense(widths, "identity")  # two outputs: cross-entropy is constant with one
    refined = architecture_lipschitz(net, loss, method="refined").lipschitz
    a, b = _steepest_pairs(net, loss, None, rng, 400)
    ratio = np.abs(_objective(net, loss, None, a) - _objective(net, loss, None, b)) / np.abs(
        a - b).max(axis=1)
    assert ratio.max() <= refined * (1 + 1e-9), (loss, ratio.max(), refined)
    assert ratio.max() >= ATTAINED[loss][len(widths) > 2] * refined, (loss, ratio.max())
