"""Interval bounds enclose every sampled value (boxes of φ, of data and of labels)."""

from __future__ import annotations

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

from lptrain import kernels
from lptrain.errors import InvalidInputError
from lptrain.nn import (
    Node,
    dag,
    empirical_risk,
    forward,
    forward_interval,
    loss_interval,
    loss_matrix,
    risk_interval,
)


def _boxes(net, rng, B, width):
    c = rng.uniform(-1, 1, (B, net.N))
    r = rng.uniform(0, width, (B, net.N))
    return np.clip(c - r, -1, 1), np.clip(c + r, -1, 1)


def _inside(lo, hi, rng):
    return lo + rng.uniform(0, 1, lo.shape) * (hi - lo)


@pytest.mark.parametrize("kind", ARCH_KINDS)
@pytest.mark.parametrize("activation", (*THEORY_ACTIVATIONS, *EXTRA_ACTIVATIONS))
def test_intervals_enclose_sampled_values(kind, activation):
    rng = np.random.default_rng(zlib.crc32(f"{kind}|{activation}|iv".encode()))
    net = build(kind, activation, m=2)
    D, B = 6, 8
    X, Y = rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, net.m))
    plo, phi = _boxes(net, rng, B, 0.4)
    plo[0] = phi[0] = rng.uniform(-1, 1, net.N)  # a degenerate box
    flo, fhi = forward_interval(net, X, plo, phi)
    for loss in (*THEORY_LOSSES, *EXTRA_LOSSES):
        llo, lhi = loss_interval(net, loss, X, Y, plo, phi)
        rlo, rhi = risk_interval(net, loss, X, Y, plo, phi, "l1:0.1", backend="numpy")
        for s in range(12):
            pts = plo if s == 0 else phi if s == 1 else _inside(plo, phi, rng)
            vals = loss_matrix(net, loss, X, Y, pts, backend="numpy").T
            assert np.all((llo <= vals) & (vals <= lhi)), loss
            risk = empirical_risk(net, loss, X, Y, pts, "l1:0.1", backend="numpy")
            assert np.all((rlo <= risk) & (risk <= rhi)), loss
            if loss == "abs":
                out = forward(net, X, pts, backend="numpy")
                assert np.all((flo <= out) & (out <= fhi))


@pytest.mark.parametrize("loss", THEORY_LOSSES)
def test_data_and_label_boxes(loss):
    rng = np.random.default_rng(7)
    net = build("dag", "elu:0.5", m=2)
    X = rng.uniform(-1, 0.8, (5, net.n))
    Y = rng.uniform(-1, 0.8, (5, net.m))
    Xh, Yh = X + 0.2, Y + 0.2
    plo, phi = _boxes(net, rng, 4, 0.2)
    lo, hi = loss_interval(net, loss, X, Y, plo, phi, X_hi=Xh, Y_hi=Yh)
    for _ in range(20):
        vals = loss_matrix(net, loss, _inside(X, Xh, rng), _inside(Y, Yh, rng),
                           _inside(plo, phi, rng), backend="numpy").T
        assert np.all((lo <= vals) & (vals <= hi))


def test_hamming_bounds_on_binarized_units():
    net = dag(2, [Node.make([(0, 0), (1, 1)], (2, -1.0), "step")], [2])
    X = np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 0.0]])
    Y = np.array([[1.0], [0.0], [1.0]])
    lo, hi = loss_interval(net, "hamming", X, Y, [[1, 1, 1]], [[1, 1, 1]])
    exact = loss_matrix(net, "hamming", X, Y, [[1.0, 1.0, 1.0]], backend="numpy").T
    assert np.array_equal(lo, exact) and np.array_equal(hi, exact)
    lo, hi = loss_interval(net, "hamming", X, Y, [[-1, -1, -1]], [[1, 1, 1]])
    assert lo.tolist() == [[0, 0, 0]] and hi.tolist() == [[1, 1, 1]]


@pytest.mark.skipif(not kernels.numba_available(), reason="numba missing")
@pytest.mark.parametrize("kind, activation, loss", [
    ("resnet", "tanh", "cross_entropy"),
    ("dag", "leaky_relu:0.2", "quadratic"),
])
def test_generated_interval_kernel_matches_numpy(kind, activation, loss):
    rng = np.random.default_rng(11)
    net = build(kind, activation, m=2)
    X, Y = rng.uniform(-1, 1, (9, net.n)), rng.uniform(-1, 1, (9, net.m))
    plo, phi = _boxes(net, rng, 16, 0.3)
    a = risk_interval(net, loss, X, Y, plo, phi, "l2:0.1", backend="numpy")
    b = risk_interval(net, loss, X, Y, plo, phi, "l2:0.1", backend="numba")
    assert np.allclose(a[0], b[0], rtol=1e-12, atol=1e-12)
    assert np.allclose(a[1], b[1], rtol=1e-12, atol=1e-12)
    for _ in range(10):
        risk = empirical_risk(net, loss, X, Y, _inside(plo, phi, rng), "l2:0.1",
                              backend="numba")
        assert np.all((b[0] <= risk) & (risk <= b[1]))


@pytest.mark.parametrize("call, message", [
    (lambda n: loss_interval(n, "abs", [[0.0]], [[0.0]], [[0.5, 0.0]], [[0.0, 0.0]]),
     "phi_lo > phi_hi in box 0 (parameter 0)"),
    (lambda n: loss_interval(n, "abs", [[0.0]], [[0.0]], [[0.0, 0.0]], [[2.0, 0.0]]),
     "phi_hi must lie in [-1, 1] (the paper's normalization); entry at row 0 (column 0) is "
     "2.0"),
    (lambda n: loss_interval(n, "abs", [[0.0]], [[0.0]], [[0.0]], [[0.0]]),
     "phi_lo and phi_hi must both have shape (B, N=2); got (1, 1) and (1, 1)"),
    (lambda n: forward_interval(n, [[0.5]], [[0.0, 0.0]], [[0.0, 0.0]], X_hi=[[0.0]]),
     "X_hi must have the shape of X (1, 1) and X <= X_hi"),
])
def test_interval_errors(call, message):
    from lptrain.nn import dense

    with pytest.raises(InvalidInputError) as exc:
        call(dense([1, 1]))
    assert str(exc.value) == message
