"""Architecture Lipschitz constants (§4): exact values and finite-difference soundness."""

from __future__ import annotations

import math

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


def _losses(net, loss, v):
    X, phi, Y = v[:, :net.n], v[:, net.n:net.n + net.N], v[:, net.n + net.N:]
    return np.diagonal(loss_matrix(net, loss, X, Y, phi, backend="numpy"))


@pytest.mark.parametrize("kind", ARCH_KINDS)
@pytest.mark.parametrize("activation", (*THEORY_ACTIVATIONS, *EXTRA_ACTIVATIONS))
def test_lipschitz_bound_holds_for_finite_differences(kind, activation):
    rng = np.random.default_rng(abs(hash((kind, activation))) % 2**32)
    net = build(kind, activation, m=2)
    for loss in (*THEORY_LOSSES, *EXTRA_LOSSES):
        for reg in (None, "l2:0.1"):
            paper = architecture_lipschitz(net, loss, reg).lipschitz
            refined = architecture_lipschitz(net, loss, reg, method="refined").lipschitz
            assert refined <= paper
            a, b = _pairs(net, rng, 240)
            la, lb = _losses(net, loss, a), _losses(net, loss, b)
            if reg is not None:
                r = get_regularizer(reg)
                la = la + r(a[:, net.n:net.n + net.N])
                lb = lb + r(b[:, net.n:net.n + net.N])
            dist = np.abs(a - b).max(axis=1)
            slack = 1e-12 * (1 + np.abs(la))
            assert np.all(np.abs(la - lb) <= refined * dist + slack), (loss, reg)
