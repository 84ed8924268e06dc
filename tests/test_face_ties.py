"""Ties between optimal grid points: every face solver returns the same φ̃, the one of
least true ERM, then least grid index (brute force is the oracle)."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.discretize import grid_points
from lptrain.erm import ERMPolytope
from lptrain.erm import ties as tie_rule
from lptrain.nn import dense, empirical_risk


def _oracle(net, loss, face, bits, reg=None):
    P = grid_points(net.N, bits)
    C = empirical_risk(net, loss, face.X_tilde, face.Y_tilde, P, reg, backend="numpy")
    tied = np.flatnonzero(C <= C.min() + 1e-12 * (1 + abs(C.min())))
    true = empirical_risk(net, loss, face.X, face.Y, P[tied], reg, backend="numpy")
    best = tied[np.lexsort((tied, true))[0]]
    return int(best), tied.size


@pytest.mark.parametrize("seed", range(12))
def test_every_solver_breaks_ties_the_same_way(seed, monkeypatch):
    if seed % 2:  # small chunks: the structured pass meets ties across chunk boundaries
        monkeypatch.setattr(tie_rule, "_CHUNK", (8, 8))
    rng = np.random.default_rng(seed)
    widths, loss = [([1, 1], "abs"), ([2, 1], "hinge"), ([1, 1, 1], "quadratic")][seed % 3]
    net = dense(widths)
    D, bits = 3, (2 if net.N <= 3 else 1)
    reg = "l1:0.05" if seed % 4 == 3 else None
    X = rng.uniform(-1, 1, (D, net.n))
    Y = rng.uniform(-1, 1, (D, 1))
    if loss == "hinge":
        Y = np.where(Y >= 0, 1.0, -1.0)
    poly = ERMPolytope.build(net, loss, samples=D, bits=bits, regularizer=reg, backend="numpy")
    face = poly.face(X, Y)
    want, ties = _oracle(net, loss, face, bits, reg)
    got = {s: face.solve(s) for s in ("highs", "structured", "lazy")}
    assert {s: r.phi_index for s, r in got.items()} == dict.fromkeys(got, want)
    for r in got.values():
        assert r.info["ties"]["ties"] == ties and r.info["ties"]["resolved"]
        np.testing.assert_array_equal(r.phi, grid_points(net.N, bits, want, want + 1)[0])
    defined = ERMPolytope.define(net, loss, samples=D, bits=bits, regularizer=reg,
                                 backend="numpy")
    assert defined.face(X, Y).solve("structured").phi_index == want


def test_ties_are_frequent_enough_to_matter():
    """Guard that the test above sees ties with different true ERM (else it cannot fail)."""
    seen = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        net = dense([1, 1])
        X, Y = rng.uniform(-1, 1, (3, 1)), rng.uniform(-1, 1, (3, 1))
        face = ERMPolytope.define(net, "abs", samples=3, bits=2).face(X, Y)
        P = grid_points(net.N, 2)
        C = empirical_risk(net, "abs", face.X_tilde, face.Y_tilde, P, backend="numpy")
        tied = np.flatnonzero(C <= C.min() + 1e-12)
        true = empirical_risk(net, "abs", face.X, face.Y, P[tied], backend="numpy")
        seen += int(np.ptp(true) > 0)
    assert seen >= 3


def test_front_keeps_what_a_lower_threshold_may_still_need():
    """The structured pass's Pareto front: a point of smaller C and worse key must survive
    next to one of larger C and better key, since a later, lower threshold may drop the
    latter (C differences at the tolerance's scale)."""
    front = tie_rule._Front()
    c = 1.0 + 5e-13
    front.add(np.array([1.0, c, c]), np.array([0.9, 0.1, 0.5]), np.array([4, 7, 2]),
              thr=1.0 + 1e-11)
    assert sorted(front.idx.tolist()) == [4, 7]   # (c, 0.5) is dominated by (c, 0.1)
    assert front.choose(1.0 + 1e-11)[0] == 7      # both survive: the better key wins
    assert front.choose(1.0 + 1e-13)[0] == 4      # only C = 1 survives
