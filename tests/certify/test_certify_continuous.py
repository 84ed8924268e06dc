"""The a-posteriori certificate is sound: never above the true optimum (fine grids with
Lipschitz slack, SCIP's global optimum) for every activation × loss, with given
parameters, constraints, limits, and with the symmetry reduction on or off."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from certify_zoo import ARCH_KINDS, build, grid_oracle, smooth_data

from lptrain.certify import certify_erm, solve_erm_scip
from lptrain.errors import InvalidInputError
from lptrain.nn import dense, empirical_risk

ACTS = ("relu", "leaky_relu:0.2", "tanh", "hard_tanh", "elu:0.5", "identity")


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("loss", ("abs", "quadratic", "hinge", "cross_entropy"))
def test_certificate_brackets_the_fine_grid(activation, loss):
    rng = np.random.default_rng(zlib.crc32(f"{activation}-{loss}".encode()))
    m = 2 if loss == "cross_entropy" else 1
    net = dense([1, 1, m], activation)
    X = rng.uniform(-1, 1, (8, 1))
    Y = rng.uniform(-1, 1, (8, m))
    if loss == "hinge":
        Y = np.where(Y >= 0, 1.0, -1.0)
    if loss == "cross_entropy":
        Y = np.eye(2)[rng.integers(0, 2, 8)]
    reg = "l1:0.02" if activation == "tanh" else None
    cert = certify_erm(net, loss, X, Y, regularizer=reg, target_gap=0.02, time_limit=30,
                       progress=False, backend="numpy")
    grid_min, slack = grid_oracle(net, loss, X, Y, 4 if net.N <= 5 else 3, reg)
    assert cert.lower_bound <= grid_min + 1e-12          # sound: min over Φ <= grid min
    assert cert.status == "target reached" and cert.gap <= 0.02
    assert cert.best_value <= grid_min + 0.02 + 1e-12
    assert cert.lower_bound >= grid_min - slack - 0.02   # and not vacuous
    phi_risk = empirical_risk(net, loss, X, Y, cert.phi[None], reg, backend="numpy")[0]
    assert abs(phi_risk - cert.best_value) <= 1e-12
    lbs = [h[1] for h in cert.history]
    assert lbs == sorted(lbs)                             # the bound only rises


@pytest.mark.parametrize(("seed", "D"), [(0, 4), (1, 4), (3, 3), (4, 4), (5, 4)])
def test_against_scip_global_optimum(seed, D):
    """SCIP (spatial branch and bound, tiny D): its dual bound <= our best value and our
    lower bound <= its primal value; both bracket the same optimum."""
    rng = np.random.default_rng(seed)
    net = dense([1, 1, 1]) if seed % 2 else dense([2, 1, 1])
    loss = ("abs", "quadratic")[(seed // 2) % 2]
    X, Y = rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, 1))
    scip = solve_erm_scip(net, loss, X, Y, time_limit=20, target_gap=1e-4)
    assert scip.gap <= 1e-3
    cert = certify_erm(net, loss, X, Y, target_gap=1e-3, progress=False, backend="numpy")
    assert cert.lower_bound <= scip.primal + 1e-6       # never above the true optimum
    assert cert.best_value >= scip.dual - 1e-6
    assert abs(cert.best_value - scip.primal) <= 2e-3


@pytest.mark.parametrize("kind", ARCH_KINDS)
def test_every_architecture_kind(kind):
    """Convolutions, ResNets, DAGs with shared and fixed weights: slow perhaps, sound."""
    rng = np.random.default_rng(zlib.crc32(kind.encode()))
    net = build(kind, "relu", m=1)
    X, Y = rng.uniform(-1, 1, (6, net.n)), rng.uniform(-1, 1, (6, 1))
    cert = certify_erm(net, "abs", X, Y, target_gap=0.01, time_limit=0.5, progress=False,
                       backend="numpy")
    pts = rng.uniform(-1, 1, (4000, net.N))
    risk = empirical_risk(net, "abs", X, Y, pts, backend="numpy")
    assert cert.lower_bound <= min(risk.min(), cert.best_value)
    assert cert.status in ("target reached", "time limit")


def test_given_parameters_inside_and_outside_the_box():
    X, Y = smooth_data(60, seed=1)
    net = dense([2, 1, 1])
    inside = np.array([0.5, 0.0, 0.2, 0.5, -0.1])
    cert = certify_erm(net, "abs", X, Y, inside, target_gap=0.01, progress=False,
                       backend="numpy")
    erm = float(empirical_risk(net, "abs", X, Y, inside[None], backend="numpy")[0])
    assert cert.params_in_box and cert.upper_bound == erm == cert.params_value
    assert cert.gap == erm - cert.lower_bound and cert.best_value <= erm
    lo, hi = cert.optimality_excess
    assert 0 <= lo <= hi
    outside = np.array([3.0, 0.0, 2.0, 0.6, -0.4])  # a model trained without the box
    cert2 = certify_erm(net, "abs", X, Y, outside, target_gap=0.01, progress=False,
                        backend="numpy")
    assert cert2.params_in_box is False
    assert abs(cert2.lower_bound - cert.lower_bound) < 0.011  # the bound is over Φ anyway
    d = cert2.to_dict()
    assert d["lower_bound_kind"] == "a-posteriori" and d["params_in_box"] is False


def test_symmetry_and_plain_search_agree():
    X, Y = smooth_data(50, seed=2)
    net = dense([2, 1, 1])
    a = certify_erm(net, "abs", X, Y, target_gap=0.005, progress=False, backend="numpy")
    b = certify_erm(net, "abs", X, Y, target_gap=0.005, symmetry=False, progress=False,
                    backend="numpy")
    assert a.symmetry_groups == 1 and b.symmetry_groups == 0
    assert a.lower_bound <= b.best_value + 1e-12 and b.lower_bound <= a.best_value + 1e-12


def test_limits_return_sound_bounds():
    X, Y = smooth_data(40, seed=5)
    net = dense([2, 1, 1])
    ref = certify_erm(net, "abs", X, Y, target_gap=1e-3, progress=False, backend="numpy")
    t = certify_erm(net, "abs", X, Y, target_gap=1e-9, time_limit=0.0, progress=False,
                    backend="numpy")
    n = certify_erm(net, "abs", X, Y, target_gap=1e-9, max_open=50, batch=16,
                    progress=False, backend="numpy")
    assert t.status == "time limit" and n.status == "node limit"
    for c in (t, n):
        assert c.lower_bound <= ref.best_value + 1e-12 and c.gap > 1e-9


def test_constraint_and_progress_callback():
    X, Y = smooth_data(30, seed=6)
    net = dense([2, 1, 1]).with_constraint([[0.0, 0.0, 0.0, 1.0, 1.0]], [0.0])  # a + c <= 0
    seen = []
    cert = certify_erm(net, "abs", X, Y, target_gap=0.01, progress=seen.append,
                       backend="numpy")
    assert cert.symmetry_groups == 0 and seen and {"lower_bound", "gap"} <= set(seen[-1])
    assert net.feasible(cert.phi[None])[0]
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, (20000, 5))
    pts = pts[net.feasible(pts)]
    assert cert.lower_bound <= empirical_risk(net, "abs", X, Y, pts, backend="numpy").min()


def test_target_network_with_the_kernel():
    X, Y = smooth_data(300, seed=0)
    cert = certify_erm(dense([2, 1, 1]), "abs", X, Y, target_gap=0.01, time_limit=60,
                       progress=False)
    assert cert.status == "target reached" and cert.gap <= 0.01
    assert cert.history[0][1] <= cert.history[-1][1] == cert.lower_bound


def test_certify_messages():
    net = dense([1, 1])
    with pytest.raises(InvalidInputError, match="target_gap must be"):
        certify_erm(net, "abs", [[0.5]], [[0.0]], target_gap=-1, backend="numpy")
    with pytest.raises(InvalidInputError, match="phi has 3 columns"):
        certify_erm(net, "abs", [[0.5]], [[0.0]], [0.0, 0.0, 0.0], backend="numpy")
    with pytest.raises(InvalidInputError, match="Y must lie in \\[-1, 1\\]"):
        certify_erm(net, "abs", [[0.5]], [[3.0]], backend="numpy")
