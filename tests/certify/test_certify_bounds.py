"""The box bounds are sound (below every sampled value, every architecture × activation ×
loss × regularizer), the generated kernel agrees with the numpy reference, and the bound
tightens quadratically where interval arithmetic tightens linearly."""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
from certify_zoo import (
    ARCH_KINDS,
    EXTRA_ACTIVATIONS,
    EXTRA_LOSSES,
    THEORY_ACTIVATIONS,
    THEORY_LOSSES,
    build,
    smooth_data,
)

from lptrain.certify import BoxBounder, box_bounds
from lptrain.certify._affine_numpy import relax
from lptrain.errors import InvalidInputError
from lptrain.nn import dense, empirical_risk, get_activation, get_loss, risk_interval


def _boxes(net, rng, B, width):
    c = rng.uniform(-1, 1, (B, net.N))
    r = rng.uniform(0, width, (B, net.N)) * (rng.uniform(size=(B, net.N)) < 0.8)
    return np.clip(c - r, -1, 1), np.clip(c + r, -1, 1)


@pytest.mark.parametrize("kind", ARCH_KINDS)
@pytest.mark.parametrize("activation", (*THEORY_ACTIVATIONS, *EXTRA_ACTIVATIONS, "step"))
def test_bounds_are_below_sampled_values(kind, activation):
    rng = np.random.default_rng(zlib.crc32(f"{kind}-{activation}".encode()))
    net = build(kind, activation, m=2)
    for loss in (*THEORY_LOSSES, *EXTRA_LOSSES, "hamming"):
        for reg in (None, "l1:0.1", "l2:0.2"):
            X, Y = rng.uniform(-1, 1, (6, net.n)), rng.uniform(-1, 1, (6, net.m))
            if loss == "hamming":
                Y = np.round(Y)
            lo, hi = _boxes(net, rng, 5, 0.3)
            b = BoxBounder(net, loss, X, Y, reg, backend="numpy")(lo, hi)
            for s in range(20):
                pts = lo if s == 0 else hi if s == 1 else lo + rng.uniform(size=lo.shape) * (
                    hi - lo)
                risk = empirical_risk(net, loss, X, Y, pts, reg, backend="numpy")
                assert np.all(b.lower <= risk), (loss, reg)
            centre = empirical_risk(net, loss, X, Y, 0.5 * (lo + hi), reg, backend="numpy")
            assert np.allclose(b.value, centre, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["relu", "leaky_relu:0.2", "tanh", "hard_tanh", "elu:0.5",
                                  "step", "identity", *EXTRA_ACTIVATIONS])
def test_relaxations_enclose_the_activation(name):
    act = get_activation(name)
    rng = np.random.default_rng(1)
    lo = rng.uniform(-4, 3, 4000)
    hi = lo + rng.uniform(0, 3, 4000) * rng.choice([1.0, 1e-3, 1e-9], 4000)
    lam, bl, bh = relax(act, lo, hi)
    for t in (0.0, 1.0, *rng.uniform(size=20)):
        x = lo + t * (hi - lo)
        a = act(x)
        tol = 1e-12 * (1 + np.abs(x))
        assert np.all(lam * x + bl <= a + tol) and np.all(a <= lam * x + bh + tol), name


@pytest.mark.parametrize("net_loss", [(dense([2, 1, 1]), "abs"),
                                      (dense([1, 2, 1], "tanh"), "quadratic")])
def test_kernel_matches_numpy_reference(net_loss):
    net, loss = net_loss
    rng = np.random.default_rng(2)
    X, Y = rng.uniform(-1, 1, (40, net.n)), rng.uniform(-1, 1, (40, 1))
    lo, hi = _boxes(net, rng, 300, 0.2)
    a = BoxBounder(net, loss, X, Y, "l1:0.01", backend="numpy")(lo, hi)
    b = BoxBounder(net, loss, X, Y, "l1:0.01", backend="numba")(lo, hi)
    tol = 1e-9 if loss == "abs" else 1e-6  # tanh: chord slopes of nearly flat boxes
    assert np.allclose(a.lower, b.lower, rtol=tol, atol=tol)
    assert np.allclose(a.value, b.value, rtol=1e-12, atol=1e-12)
    pts = lo + rng.uniform(size=lo.shape) * (hi - lo)
    assert np.all(b.lower <= empirical_risk(net, loss, X, Y, pts, "l1:0.01", backend="numpy"))


def test_bound_tightens_quadratically():
    X, Y = smooth_data(400)
    net = dense([2, 1, 1])
    bounder = BoxBounder(net, "abs", X, Y, backend="numpy")
    c = np.array([[0.7, 0.2, 0.1, 0.6, 0.0]])
    rng = np.random.default_rng(0)
    slack = {}
    for h in (0.02, 0.002):
        b = bounder(c - h, c + h)
        ilo, _ = risk_interval(net, "abs", X, Y, c - h, c + h, backend="numpy")
        pts = c - h + 2 * h * rng.uniform(size=(3000, 5))
        v = float(empirical_risk(net, "abs", X, Y, pts, backend="numpy").min())
        slack[h] = (v - b.lower[0], v - ilo[0])
    # the affine slack shrinks faster than linearly (O(h²) plus the few data points whose
    # sign changes in the box); interval arithmetic's shrinks linearly
    assert slack[0.02][0] / slack[0.002][0] > 15
    assert slack[0.02][1] / slack[0.002][1] < 12
    assert slack[0.002][0] < 0.2 * slack[0.002][1]


def test_box_bounds_messages():
    net = dense([1, 1])
    with pytest.raises(InvalidInputError, match=r"lo and hi must both have shape \(B, N=2\)"):
        box_bounds(net, "abs", [[0.5]], [[0.0]], [[0.0]], [[1.0]], backend="numpy")
    with pytest.raises(InvalidInputError, match="lo > hi in box 0 \\(parameter 1\\)"):
        box_bounds(net, "abs", [[0.5]], [[0.0]], [[0.0, 0.5]], [[0.0, 0.0]], backend="numpy")
    with pytest.raises(InvalidInputError, match="hi must lie in \\[-1, 1\\]"):
        box_bounds(net, "abs", [[0.5]], [[0.0]], [[0.0, 0.0]], [[0.0, 2.0]], backend="numpy")
    with pytest.raises(InvalidInputError, match="X must lie in \\[-1, 1\\].*scale the data"):
        box_bounds(net, "abs", [[1.5]], [[0.0]], [[0.0, 0.0]], [[0.0, 0.0]], backend="numpy")
    with pytest.raises(InvalidInputError, match="candidates must have shape \\(1, 2\\)"):
        box_bounds(net, "abs", [[0.5]], [[0.0]], [[0.0, 0.0]], [[0.0, 0.0]],
                   candidates=[[0.0, 0.0, 0.0]], backend="numpy")


@pytest.mark.parametrize("kind", ARCH_KINDS)
def test_affine_forms_enclose_every_node_value(kind):
    """Box by box, node by node: the value of every node at a sampled point of the box lies
    in its affine form ``c + Σ a_j ε_j ± e`` (ε the point's box coordinates) — for every
    registered activation, each relaxation in place in the propagation."""
    from lptrain.certify._affine_numpy import _margins_of, _network_forms

    for activation in (*THEORY_ACTIVATIONS, *EXTRA_ACTIVATIONS, "step"):
        rng = np.random.default_rng(zlib.crc32(f"forms-{kind}-{activation}".encode()))
        net = build(kind, activation, m=2)
        X = rng.uniform(-1, 1, (5, net.n))
        lo, hi = _boxes(net, rng, 6, 0.5)
        bc = 0.5 * (lo + hi)
        br = 0.5 * (hi - lo) + 4 * 2.0**-53 * (np.abs(lo) + np.abs(hi))
        forms = _network_forms(net, X, bc, br, _margins_of(net, get_loss("abs")))
        for s in range(12):
            u = rng.uniform(size=lo.shape) if s > 1 else np.full(lo.shape, float(s))
            phi = lo + u * (hi - lo)
            eps = np.where(br > 0, (phi - bc) / np.where(br > 0, br, 1.0), 0.0)
            vals = _all_node_values(net, X, phi)
            for v in range(net.n_inputs, net.n_nodes):
                f = forms[v]
                mid = f.c + sum(a * eps[:, j, None] for j, a in f.coef.items())
                gap = np.abs(np.broadcast_to(vals[v], mid.shape) - mid)
                assert np.all(gap <= f.e + 1e-12), (activation, v)


def _all_node_values(net, X, phi):
    """Every node's value (B, D), node by node with plain numpy (nothing released)."""
    vals = [np.broadcast_to(X[:, i][None, :], (phi.shape[0], X.shape[0])) for i in range(net.n)]
    for node in net.nodes:
        h = np.zeros((phi.shape[0], X.shape[0]))
        for u, p, c in node.inputs:
            h = h + (c * phi[:, p, None] if p >= 0 else c) * vals[u]
        bp, bc = node.bias
        h = h + (bc * phi[:, bp, None] if bp >= 0 else bc)
        vals.append(node.activation(h))
    return vals


@pytest.mark.parametrize("loss", (*THEORY_LOSSES, *EXTRA_LOSSES, "hamming"))
def test_tight_boxes_are_sound_for_every_loss(loss):
    """Small boxes, where the affine bound is tight (its slack is second order), so that a
    minorant wrong to first order shows: the bound stays below the risk at sampled corners
    and interior points of every box."""
    rng = np.random.default_rng(zlib.crc32(f"tight-{loss}".encode()))
    for m, act in ((1, "relu"), (2, "tanh")):
        net = dense([2, 2, m], act)
        X = rng.uniform(-1, 1, (40, 2))
        Y = rng.uniform(-1, 1, (40, m))
        if loss == "hinge":
            Y = np.sign(Y)
        if loss == "hamming":
            Y = np.round(Y)
        c = rng.uniform(-0.9, 0.9, (30, net.N))
        c = np.where(rng.uniform(size=c.shape) < 0.2, 0.0, c)  # sides straddling 0
        h = rng.choice([1e-3, 1e-2, 5e-2], (30, 1))
        lo, hi = c - h, c + h
        for reg in (None, "l1:0.3", "l2:0.5"):
            b = BoxBounder(net, loss, X, Y, reg, backend="numpy")(lo, hi)
            for s in range(40):
                u = rng.integers(0, 2, lo.shape) if s < 20 else rng.uniform(size=lo.shape)
                risk = empirical_risk(net, loss, X, Y, lo + u * (hi - lo), reg,
                                      backend="numpy")
                assert np.all(b.lower <= risk), (loss, m, reg)


@pytest.mark.parametrize("loss", (*THEORY_LOSSES, *EXTRA_LOSSES, "hamming"))
def test_bounds_are_sound_where_the_forms_are_exact(loss):
    """With data x = 0 the outputs of ``dense([1, m])`` are their biases: the affine forms
    are exact, so the bound is the loss's minorant and the regularizer's, minimized over
    the box, with nothing to hide an error in (labels of both signs: cross-entropy's
    ``Σy < 0`` cases included; boxes around 0, where ``|φ|`` and ``φ²`` bend)."""
    rng = np.random.default_rng(zlib.crc32(f"exact-{loss}".encode()))
    net = dense([1, 2], "identity")
    X = np.zeros((8, 1))
    Y = rng.uniform(-1, 1, (8, 2))
    if loss == "hinge":
        Y = np.sign(Y)
    if loss == "hamming":
        Y = np.round(Y)
    labels = [Y]
    if loss == "cross_entropy":  # concave in z where Σy < 0: no tangent may be used there
        labels += [np.tile([0.2, -0.5], (8, 1)), np.tile([-0.6, 0.1], (8, 1))]
    c = np.where(rng.uniform(size=(40, net.N)) < 0.3, 0.0, rng.uniform(-0.6, 0.6, (40, net.N)))
    h = rng.choice([1e-3, 0.05, 0.3], (40, 1))
    lo, hi = np.clip(c - h, -1, 1), np.clip(c + h, -1, 1)
    for Y, reg in itertools.product(labels, (None, "l1:0.5", "l2:2.0")):
        b = BoxBounder(net, loss, X, Y, reg, backend="numpy")(lo, hi)
        for s in range(40):
            u = rng.integers(0, 2, lo.shape) if s < 24 else rng.uniform(size=lo.shape)
            risk = empirical_risk(net, loss, X, Y, lo + u * (hi - lo), reg, backend="numpy")
            assert np.all(b.lower <= risk), (loss, reg)
