"""Incumbents of the pattern search from projected Adam (multistart.py): the values it
returns are the true risks of its points (numpy oracle), the points lie in the box, the run
repeats, a planted network is found, and certify_erm's best point is at least as good as
the seeds on two inputs (where they are taken before the first batch)."""

from __future__ import annotations

import numpy as np
import pytest
from pattern_oracles import sign_risk

from lptrain.certify.patterns import patterns_available

pytestmark = pytest.mark.skipif(not patterns_available(), reason="needs numba")

if patterns_available():
    from lptrain.certify.patterns import descent_seeds
    from lptrain.certify.patterns.search import PatternProblem
    from lptrain.certify.patterns.signform import LOSS_CODES


def _problem(X, y, h, loss="abs", alpha=0.0, c_free=True, lam=0.0):
    Xt = np.ascontiguousarray(np.column_stack([X, np.ones(len(X))]))
    return PatternProblem(Xt, np.ascontiguousarray(y, dtype=float), LOSS_CODES[loss],
                          alpha, h, c_free, -1.0, 1.0, 0.2, lam)


@pytest.mark.parametrize("loss,alpha,c_free,lam", [("abs", 0.0, True, 0.0),
                                                   ("quadratic", 0.1, True, 0.01),
                                                   ("hinge", 0.0, False, 0.0)])
def test_seed_values_are_the_true_risks_of_box_points(loss, alpha, c_free, lam):
    rng = np.random.default_rng(7)
    X = rng.uniform(-1, 1, (40, 2))
    y = np.sign(X[:, 0] * X[:, 1]) if loss == "hinge" else np.sin(2 * X[:, 0]) * 0.5
    pb = _problem(X, y, 3, loss, alpha, c_free, lam)
    out = descent_seeds(pb, restarts=4, steps=150)
    assert len(out) == 4
    assert [v for _, v, _ in out] == sorted(v for _, v, _ in out)
    for theta, value, signs in out:
        assert np.all(np.abs(theta) <= 1.0)
        assert set(np.unique(signs)) <= {-1.0, 1.0}
        assert np.all(np.diff(-signs) >= 0)  # positive units first, as the roots list them
        c = theta[:1] if c_free else np.array([0.2])
        V = theta[1 if c_free else 0:].reshape(1, 3, 3)
        ref = sign_risk(pb.Xt, pb.y, loss, signs, c, V, alpha, lam, c_free)[0]
        assert abs(ref - value) <= 1e-12 * max(1.0, ref)
    again = descent_seeds(pb, restarts=4, steps=150)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(out, again, strict=True))


def test_seeds_find_a_planted_network():
    """Labels made by a 1-2-1 network inside the box: the best restart fits them."""
    X = np.linspace(-1, 1, 200)[:, None]
    y = np.maximum(0.6 * X[:, 0] + 0.3, 0) - np.maximum(-0.5 * X[:, 0] + 0.1, 0) + 0.1
    out = descent_seeds(_problem(X, y, 2), restarts=6, steps=2000)
    assert out[0][1] < 2e-3
    # a random network of the class is far worse (the test could fail)
    assert out[-1][1] > out[0][1]


def test_certify_uses_the_seeds_on_two_inputs():
    from lptrain.certify import certify_erm
    from lptrain.nn import dense

    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (60, 2))
    y = 0.5 * np.sin(np.pi * X[:, 0] / 2) * np.cos(X[:, 1])
    cert = certify_erm(dense([2, 3, 1]), "abs", X, y[:, None], target_gap=0.0,
                       time_limit=3.0, progress=False, method="patterns")
    best_seed = descent_seeds(_problem(X, y, 3))[0][1]
    assert cert.best_value <= best_seed + 1e-12
    assert cert.lower_bound <= cert.best_value


def test_planted_network_is_certified_near_zero():
    """Labels of a 1-2-1 network in the box: the certificate's interval holds 0-ish risk,
    its lower bound is in [0, best] (the clamp at 0 is the only use of the loss's sign)."""
    from lptrain.certify import certify_erm
    from lptrain.nn import dense

    X = np.linspace(-1, 1, 120)[:, None]
    y = np.maximum(0.6 * X[:, 0] + 0.3, 0) - np.maximum(-0.5 * X[:, 0] + 0.1, 0) + 0.1
    cert = certify_erm(dense([1, 2, 1]), "abs", X, y[:, None], target_gap=1e-3,
                       time_limit=60.0, progress=False, method="patterns")
    assert cert.best_value < 1e-3
    assert 0.0 <= cert.lower_bound <= cert.best_value
