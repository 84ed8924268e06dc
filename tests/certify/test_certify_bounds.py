"""The box bounds are sound (below every sampled value, every architecture × activation ×
loss × regularizer), the generated kernel agrees with the numpy reference, and the bound
tightens quadratically where interval arithmetic tightens linearly."""

from __future__ import annotations

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
from lptrain.nn import dense, empirical_risk, get_activation, risk_interval


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
