"""Box-level soundness of the interval bounds (:func:`lptrain.nn.risk_interval`,
:func:`~lptrain.nn.node_intervals`, :func:`~lptrain.nn.loss_interval`): on every box of the
matrix each interval holds every sampled value of the independent oracle — both ends, node
by node, data point by data point, and over boxes of data and labels too — and the
generated interval kernel agrees with the numpy path."""

from __future__ import annotations

import numpy as np
import pytest
from soundness_matrix import (
    boxes,
    data,
    numba_cases,
    numpy_cases,
    regularizer_specs,
    samples,
    seed,
)
from soundness_oracle import LD, loss_oracle, node_values, risk

from lptrain.nn import loss_interval, node_intervals, risk_interval

#: numba and numpy interval bounds agree to ATOL + RTOL |bound| (rounding only).
ATOL, RTOL = 1e-12, 1e-12


def _first_bad(mask, kinds, lo, hi):
    b = int(np.argwhere(mask)[0][0])
    return f"{kinds[b]} box lo={lo[b].tolist()} hi={hi[b].tolist()}"


def check_risk_interval(net, loss, reg, X, Y, backend, rng, where, per_kind=4):
    lo, hi, kinds = boxes(net.N, rng, per_kind)
    r_lo, r_hi = risk_interval(net, loss, X, Y, lo, hi, reg, backend=backend)
    pts = samples(lo, hi, rng)
    B, S, N = pts.shape
    v = risk(net, loss, X, Y, pts.reshape(B * S, N), reg).reshape(B, S)
    low, high = r_lo > v.min(axis=1), r_hi < v.max(axis=1)
    assert not low.any(), f"UNSOUND {where} reg={reg}: risk_interval lower end above a " \
                          f"sampled risk on {_first_bad(low, kinds, lo, hi)}"
    assert not high.any(), f"UNSOUND {where} reg={reg}: risk_interval upper end below a " \
                           f"sampled risk on {_first_bad(high, kinds, lo, hi)}"
    return lo, hi, r_lo, r_hi


@pytest.mark.parametrize("case", numpy_cases(), ids=lambda c: f"numpy-{c.id}")
def test_risk_interval_sound_numpy(case):
    """Every regularizer with the mixed network, one each (in turn) with the others."""
    regs = regularizer_specs()
    for i, (label, net) in enumerate(case.networks):
        for reg in regs if label == "mixed" else (regs[(i + len(case.id)) % len(regs)],):
            rng = np.random.default_rng(seed("risk-interval", case.id, label, reg))
            X, Y = data(net, case.loss, rng)
            check_risk_interval(net, case.loss, reg, X, Y, "numpy", rng,
                                f"numpy {case.id} {label}", 4 if label == "mixed" else 2)


@pytest.mark.parametrize("case", numba_cases(), ids=lambda c: f"numba-{c.id}")
def test_risk_interval_sound_numba_and_agree(case):
    pytest.importorskip("numba")
    (_, net), = case.networks
    for reg in regularizer_specs():
        rng = np.random.default_rng(seed("risk-interval-numba", case.id, reg))
        X, Y = data(net, case.loss, rng, D=11)
        lo, hi, a_lo, a_hi = check_risk_interval(net, case.loss, reg, X, Y, "numba", rng,
                                                 f"numba {case.id}")
        b_lo, b_hi = risk_interval(net, case.loss, X, Y, lo, hi, reg, backend="numpy")
        for a, b in ((a_lo, b_lo), (a_hi, b_hi)):
            assert np.all(np.abs(a - b) <= ATOL + RTOL * np.abs(b)), (case.id, reg)


def _data_box(arr, rng):
    """An upper corner ``arr_hi >= arr`` inside [-1, 1] (some entries exact points)."""
    w = rng.uniform(0, 0.3, arr.shape) * (rng.uniform(size=arr.shape) < 0.7)
    return np.minimum(arr + w, 1.0)


def _data_samples(lo, hi, rng, k=3):
    """k data sets inside the data box: both corners and random points."""
    out = [lo, hi]
    out += [lo + rng.uniform(size=lo.shape) * (hi - lo) for _ in range(k - 2)]
    return [np.clip(a, lo, hi) for a in out]


@pytest.mark.parametrize("case", numpy_cases(), ids=lambda c: f"numpy-{c.id}")
def test_node_and_loss_intervals_sound(case):
    """Every node's interval holds its sampled values, every data point's loss interval
    its sampled losses; with exact data and with boxes of data and labels."""
    for i, (label, net) in enumerate(case.networks):
        rng = np.random.default_rng(seed("node-interval", case.id, label))
        X, Y = data(net, case.loss, rng, D=6)
        lo, hi, kinds = boxes(net.N, rng, per_kind=2)
        pts = samples(lo, hi, rng, interior=8)
        B, S, N = pts.shape
        flat = pts.reshape(B * S, N)
        hamming = case.loss.split(":")[0] == "hamming"
        for boxed in (False, True) if label == "mixed" else (bool(i % 2),):
            X_hi = _data_box(X, rng) if boxed else None
            Y_hi = None if (not boxed or hamming) else _data_box(Y, rng)
            nodes = node_intervals(net, X, lo, hi, X_hi=X_hi)
            l_lo, l_hi = loss_interval(net, case.loss, X, Y, lo, hi, X_hi=X_hi, Y_hi=Y_hi)
            xs = _data_samples(X, X_hi, rng) if boxed else [X]
            ys = _data_samples(Y, Y_hi, rng) if Y_hi is not None else [Y] * len(xs)
            for Xs, Ys in zip(xs, ys, strict=True):
                vals = node_values(net, Xs, flat)
                for v, (n_lo, n_hi) in enumerate(nodes):
                    z = vals[v].reshape(B, S, -1)
                    n_lo = np.broadcast_to(n_lo, (B, Xs.shape[0]))[:, None, :]
                    n_hi = np.broadcast_to(n_hi, (B, Xs.shape[0]))[:, None, :]
                    bad = ((z < n_lo) | (z > n_hi)).any(axis=(1, 2))
                    assert not bad.any(), (
                        f"UNSOUND node_intervals {case.id} {label} node {v} (data box "
                        f"{boxed}) on {_first_bad(bad, kinds, lo, hi)}")
                zs = [vals[o] for o in net.outputs]
                yy = [Ys[:, j].astype(LD)[None, :] for j in range(net.m)]
                ell = loss_oracle(case.loss)(zs, yy).reshape(B, S, -1)
                bad = ((ell < l_lo[:, None, :]) | (ell > l_hi[:, None, :])).any(axis=(1, 2))
                assert not bad.any(), (
                    f"UNSOUND loss_interval {case.id} {label} (data box {boxed}) on "
                    f"{_first_bad(bad, kinds, lo, hi)}")
