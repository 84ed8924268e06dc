"""The ReLU scaling reduction: which units qualify, the root faces, and the proof's
normalization (same ERM, lands on a face) checked on random parameters."""

from __future__ import annotations

import numpy as np
from certify_zoo import build

from lptrain.certify import scaling_groups, symmetry_roots
from lptrain.certify.symmetry import ScalingGroup
from lptrain.nn import dense, empirical_risk, resnet


def _normalize(net, groups, phi):
    """The construction of the proof in lptrain.certify.symmetry."""
    phi = phi.copy()
    for g in groups:
        inc, out = list(g.incoming), list(g.outgoing)
        M = np.abs(phi[inc]).max()
        if M > 0:
            phi[inc] /= M
            phi[out] *= M
        else:
            phi[inc[0]] = 1.0
            phi[out] = 0.0
    return phi


def test_groups_of_common_networks():
    assert scaling_groups(dense([2, 1, 1])) == (ScalingGroup(2, (0, 1, 2), (3,)),)
    assert len(scaling_groups(dense([2, 3, 2, 1]))) == 5
    assert scaling_groups(dense([2, 3, 1], "tanh")) == ()          # not homogeneous
    assert scaling_groups(dense([2, 1, 1]), regularizer=object()) == ()  # type: ignore
    assert scaling_groups(resnet(2, 2, 1, 1)) != scaling_groups(dense([2, 2, 2, 2, 1]))
    fixed = build("fixed", "relu")  # a fixed (constant) incoming weight breaks the group
    assert all(0 not in g.incoming for g in scaling_groups(fixed))
    shared = build("dag", "relu")   # parameter 0 is shared between units: no group uses it
    assert all(0 not in g.incoming + g.outgoing for g in scaling_groups(shared))


def test_roots_are_faces_and_cover_the_normalized_points():
    net = dense([2, 2, 1])
    groups = scaling_groups(net)
    lo, hi, used = symmetry_roots(net)
    assert used == 2 and lo.shape == (36, net.N)
    assert np.all((hi - lo == 0).sum(axis=1) == 2)
    rng = np.random.default_rng(0)
    X, Y = rng.uniform(-1, 1, (20, 2)), rng.uniform(-1, 1, (20, 1))
    phi = rng.uniform(-1, 1, (200, net.N))
    phi[:5, list(groups[0].incoming)] = 0.0  # the M = 0 case
    norm = np.array([_normalize(net, groups, p) for p in phi])
    assert np.all(np.abs(norm) <= 1.0)
    inside = ((norm[:, None, :] >= lo[None] - 1e-15) & (norm[:, None, :] <= hi[None] + 1e-15))
    assert inside.all(axis=2).any(axis=1).all()  # each lies on some root face
    a = empirical_risk(net, "abs", X, Y, phi, backend="numpy")
    b = empirical_risk(net, "abs", X, Y, norm, backend="numpy")
    assert np.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_max_roots_limits_the_groups():
    lo, hi, used = symmetry_roots(dense([2, 3, 1]), max_roots=30)
    assert used == 1 and lo.shape[0] == 6
    lo, hi, used = symmetry_roots(dense([2, 3, 1], "tanh"))
    assert used == 0 and lo.shape == (1, 13) and np.all(lo == -1) and np.all(hi == 1)
