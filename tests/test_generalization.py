"""§6 generalization: Theorem 6.2's sample size, σ² from the loss range (checked against
sampled losses), its inverse, Corollary 6.3's LP size, ``lptrain bounds --alpha`` and a
small sampled check of the guarantee itself."""

from __future__ import annotations

import json
import math
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "erm"))
from erm_zoo import Family, exact_to_grid, phi_grid, risks  # noqa: E402

from lptrain.cli import main  # noqa: E402
from lptrain.errors import InvalidInputError
from lptrain.generalization import (
    corollary_6_3_size,
    implied_epsilon,
    loss_range,
    theorem_6_2_samples,
)
from lptrain.nn import dense, forward, get_loss, grid_argmin, parse_arch
from lptrain.sizes import exact_sizes

NETS = ("1-1", "2-2-1", "2-3-2", "conv1d:4-c1k2-1", "resnet:1-2x1-1")


def test_formula_and_monotonicity():
    b = theorem_6_2_samples(100.0, 0.25, N=7, alpha=0.01, sigma2=2.0)
    expected = 4 * 2.0 / 0.25**2 * math.log((2 * 100.0 / 0.25) ** 7 / 0.01)
    assert b.samples == math.ceil(expected) and b.log_term == pytest.approx(
        math.log(800.0**7 / 0.01))
    assert b.excess_risk == 1.5 and b.sigma2_source == "given"
    smaller_eps = theorem_6_2_samples(100.0, 0.125, N=7, alpha=0.01, sigma2=2.0)
    smaller_alpha = theorem_6_2_samples(100.0, 0.25, N=7, alpha=0.001, sigma2=2.0)
    assert smaller_eps.samples > b.samples and smaller_alpha.samples > b.samples
    # the big N stays finite: log is evaluated as N log(2L/eps) - log(alpha)
    assert theorem_6_2_samples(1e6, 1e-6, N=10**6, alpha=1e-9, sigma2=1.0).samples > 10**17


@pytest.mark.parametrize("arch", NETS)
@pytest.mark.parametrize("loss", ["abs", "quadratic", "hinge", "cross_entropy"])
def test_loss_range_contains_sampled_losses(arch, loss):
    net = parse_arch(arch, "relu")
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0, 0.3], size=(400, net.n))
    Y = rng.uniform(-1, 1, (400, net.m))
    Y[:100] = np.sign(Y[:100])
    phi = rng.choice([-1.0, 1.0, -0.5], size=(300, net.N))
    values = get_loss(loss)(forward(net, X, phi, backend="numpy"), Y[None])
    for method in ("paper", "refined"):
        r = loss_range(net, loss, method=method)
        assert r.low - 1e-9 <= values.min() and values.max() <= r.high + 1e-9
        assert values.var(axis=1).max() <= r.sigma2


def test_sigma2_defaults_to_the_range_and_hamming():
    r = loss_range(dense([2, 3, 1]), "quadratic")
    b = theorem_6_2_samples(10.0, 1.0, 3, 0.1, loss_range=r)
    assert b.sigma2 == (r.high - r.low) ** 2 / 4 == 196.0**2 / 4
    assert b.sigma2_source.startswith("(range)^2/4, range [0, 196]")
    assert loss_range(dense([2, 2]), "hamming").high == 2.0


def test_implied_epsilon_inverts_the_bound():
    for D in (10, 1000, 10**6):
        eps = implied_epsilon(48.0, 4, 0.05, 4.0, D)
        assert theorem_6_2_samples(48.0, eps, 4, 0.05, 4.0).samples <= D
        assert theorem_6_2_samples(48.0, eps * 0.999, 4, 0.05, 4.0).samples > D


def test_corollary_6_3_is_the_section_3_polytope_with_that_D():
    net = dense([2, 1, 1])
    c = corollary_6_3_size(net, "abs", 0.05, bits=3)
    assert c.sizes == exact_sizes(2, 1, 5, c.bound.samples, 3)
    assert c.bound.eps == 2 * 168.0 / 8
    assert c.expression == pytest.approx(8**8 * 4 * c.bound.sigma2 / c.bound.eps**2
                                         * c.bound.log_term)
    assert corollary_6_3_size(net, "abs", 0.05, eps=30.0).bits == 4


def test_guarantee_holds_on_a_sampled_experiment():
    """Theorem 6.2 where it says something: 7 bits make 6ε = 0.75, a quarter of the loss
    range [0, 3] and below the excess risk of the worst grid point (~1.25; at 3 bits 6ε = 12
    is vacuous), and D is the theorem's sample size (its premise). The
    data are discretized by the test's own exact rounding, φ̃ is lptrain's grid optimum and
    the risks are computed by the closed-form oracle of the erm tests. Checked:
    GRM(φ̃) <= min GRM + 6ε (min GRM bounded below by the grid minimum of a held-out sample
    minus ε), and the event the proof rests on, |ERM_D(φ) - GRM(φ)| <= ε at every grid
    point."""
    net, bits, alpha = dense([1, 1], "identity"), 7, 0.05
    fam = Family("lin11", net, "abs")
    c = corollary_6_3_size(net, "abs", alpha, bits=bits)
    eps, D = c.bound.eps, c.bound.samples
    assert 6 * eps <= 0.25 * loss_range(net, "abs").high and D == c.sizes.D
    rng = np.random.default_rng(zlib.crc32(b"theorem-6.2"))
    truth = np.array([0.5, -0.25])

    def sample(k):
        X = rng.uniform(-1, 1, (k, 1))
        return X, np.clip(X * truth[0] + truth[1] + rng.uniform(-0.2, 0.2, (k, 1)), -1, 1)
    grid = phi_grid(2, bits)
    Xh, Yh = sample(6000)
    grm = np.concatenate([risks(fam, Xh, Yh, grid[i:i + 512]) for i in range(0, len(grid), 512)])
    for _ in range(2):
        X, Y = sample(D)
        phi = grid_argmin(net, "abs", exact_to_grid(X, bits), exact_to_grid(Y, bits), bits,
                          backend="numpy").phi  # the face-LP optimum (§3.4 enumeration)
        got = risks(fam, Xh, Yh, phi[None])[0]
        assert got <= grm.min() - eps + 6 * eps
        erm = np.concatenate([risks(fam, X, Y, grid[i:i + 512])
                              for i in range(0, len(grid), 512)])
        assert np.abs(erm - grm).max() <= eps


def _bounds(capsys, *extra):
    code = main(["bounds", "--arch", "1-1-1", "--loss", "abs", "--samples", "10", "--bits",
                 "4", *extra, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_bounds_cli_generalization_keys(capsys):
    code, d = _bounds(capsys, "--alpha", "0.05")
    assert code == 0
    assert d["sigma2"] == 4.0 and d["loss_range"] == [0.0, 4.0]
    assert d["sigma2_source"].startswith("(range)^2/4")
    b = theorem_6_2_samples(48.0, 6.0, 4, 0.05, 4.0)
    assert d["generalization_samples"] == b.samples
    s = exact_sizes(1, 1, 4, b.samples, 4)
    assert d["generalization_lp_variables"] == s.variables
    assert d["generalization_lp_constraints"] == s.constraints
    code, d = _bounds(capsys, "--alpha", "0.05", "--sigma2", "0.5")
    assert d["sigma2"] == 0.5 and d["sigma2_source"] == "given"
    code, d = _bounds(capsys)
    assert "generalization_samples" not in d


@pytest.mark.parametrize("extra, message", [
    (["--sigma2", "0.5"], "--sigma2 needs --alpha (the generalization bound of Theorem 6.2); "
                          "add e.g. --alpha 0.05"),
    (["--alpha", "1.5"], "alpha must be a finite number in (0, 1); got 1.5"),
    (["--alpha", "0.1", "--sigma2", "-1"], "sigma2 must be a finite number in [0, inf); "
                                           "got -1.0"),
])
def test_bounds_cli_errors(capsys, extra, message):
    code, d = _bounds(capsys, *extra)
    assert code == 1 and d["message"] == message


def test_missing_sigma2_and_range():
    with pytest.raises(InvalidInputError, match=r"^theorem_6_2_samples needs sigma2 or "
                                                 r"loss_range"):
        theorem_6_2_samples(1.0, 0.5, 1, 0.1)
