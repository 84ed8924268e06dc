"""Remark 3.3: achievable loss vectors on the face, mixtures vs single grid points, Farkas
certificates verified without the solver (exactly), against brute force; CLI and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parent / "erm"))
from erm_zoo import exact_to_grid  # noqa: E402  (the test's own rounding, not lptrain's)

from lptrain.achievable import _exact_losses, achievable, face_lp, verify_weights
from lptrain.cli import main
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import dense, get_loss, loss_matrix, parse_arch

CASES = [("1-1", "identity", "abs", 2), ("1-1-1", "relu", "quadratic", 1),
         ("2-1", "hard_tanh", "hinge", 1), ("1-1", "leaky_relu:0.5", "abs", 2)]


def _sample(seed, net, D):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, net.m))


def _hull_contains(C, t, mode):
    """Independent decision with scipy's linprog directly on μ (no path, no marginals)."""
    D, G = C.shape
    if mode == "average":
        A_ub, b_ub, A_eq, b_eq = C.mean(axis=0)[None], [t[0]], np.ones((1, G)), [1.0]
    elif mode == "eq":
        A_ub, b_ub, A_eq, b_eq = None, None, np.vstack([C, np.ones(G)]), [*t, 1.0]
    else:
        A_ub, b_ub, A_eq, b_eq = C, t, np.ones((1, G)), [1.0]
    res = linprog(np.zeros(G), A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None),
                  method="highs")
    return res.status == 0


@pytest.mark.parametrize("arch, act, loss, bits", CASES)
def test_decisions_and_certificates_on_random_targets(arch, act, loss, bits):
    net = parse_arch(arch, act)
    seen = {True: 0, False: 0}
    for seed in range(10):
        X, Y = _sample(seed, net, 2 + seed % 3)
        C = loss_matrix(net, loss, exact_to_grid(X, bits), exact_to_grid(Y, bits),
                        -1.0 + 2.0 * np.stack(np.meshgrid(*[np.arange(2**bits)] * net.N,
                                                          indexing="ij"), -1
                                              ).reshape(-1, net.N) / 2**bits)
        rng = np.random.default_rng(100 + seed)
        t = C[:, rng.integers(C.shape[1], size=3)].mean(axis=1) + rng.normal(0, 0.3, C.shape[0])
        for mode, target in (("le", t), ("average", float(t.mean())),
                             ("eq", C[:, :2].mean(axis=1) + (seed % 2) * 0.3)):
            r = achievable(net, loss, X, Y, bits, target, mode)
            tv = np.atleast_1d(target)
            assert r.achievable == _hull_contains(C, tv, mode), (seed, mode)
            seen[r.achievable] += 1
            if r.achievable:
                assert r.mixture_verified and r.mixture_weights.sum() == pytest.approx(1)
                assert r.single == (r.single_phi is not None)
            else:
                cert = r.certificate
                assert cert.verified and cert.farkas_exact and cert.exact and cert.margin > 0
            if mode == "average":  # brute force: a single φ suffices for an average
                assert r.achievable == (C.mean(axis=0).min() <= tv[0] + 1e-12)
    assert seen[True] and seen[False]


def test_mixture_achieves_what_no_single_grid_point_does():
    net, X, Y = dense([1, 1], "identity"), [[0.5], [-0.5]], [[0.5], [0.0]]
    r = achievable(net, "abs", X, Y, 2, [0.125, 0.375])
    assert r.achievable and not r.single and r.single_phi is None
    np.testing.assert_allclose(r.loss_vector, [0.125, 0.375])
    r = achievable(net, "abs", X, Y, 2, [0.25, 0.25], mode="eq")
    assert r.achievable and r.single and r.single_phi.tolist() == [0.5, 0.0]


def test_certificate_is_checked_independently_and_catches_bad_weights():
    net, X, Y = dense([1, 1], "identity"), [[0.5], [-0.5]], [[0.5], [0.0]]
    r = achievable(net, "abs", X, Y, 2, [0.2, 0.2])
    assert not r.achievable and r.certificate.verified
    assert verify_weights(net, "abs", X, Y, 2, np.array([0.2, 0.2]), np.array([0.5, 0.5]))[0]
    # weights that do not prove it: (1, 0) -- φ with loss 0 on the first point exists
    holds, margin, exact = verify_weights(net, "abs", X, Y, 2, np.array([0.2, 0.2]),
                                          np.array([1.0, 0.0]))
    assert not holds and exact and margin == -0.2
    # the float path agrees
    assert verify_weights(net, "abs", X, Y, 2, np.array([0.2, 0.2]), np.array([0.5, 0.5]),
                          exact=False)[:2] == (True, pytest.approx(0.05))


def test_exact_losses_match_the_kernels():
    rng = np.random.default_rng(0)
    for arch, act, loss, _ in CASES:
        net = parse_arch(arch, act)
        X = exact_to_grid(rng.uniform(-1, 1, (3, net.n)), 3)
        Y = exact_to_grid(rng.uniform(-1, 1, (3, net.m)), 3)
        phi = exact_to_grid(rng.uniform(-1, 1, (5, net.N)), 3)
        exact = _exact_losses(net, get_loss(loss), X, Y, phi).astype(float)
        np.testing.assert_allclose(exact, loss_matrix(net, loss, X, Y, phi), rtol=1e-14)


def test_face_lp_shape_and_objective():
    net = dense([1, 1], "identity")
    f = face_lp(net, "abs", [[0.5], [-0.5], [0.0]], [[0.5], [0.0], [0.0]], 1, [1.0, 1.0, 1.0])
    G, D = 4, 3
    assert f.lp.n_cols == D * G + (D - 1) * G
    assert f.lp.n_rows == D + 2 * (D - 1) * G + D


@pytest.mark.parametrize("call, error, message", [
    (lambda: achievable(dense([1, 1]), "abs", [[0.5]], [[0.0]], 2, [0.1, 0.2]),
     InvalidInputError, r"^the target vector has 2 entries but the sample has D=1 data "
                        r"points \(one target per data point\)$"),
    (lambda: achievable(dense([1, 1]), "abs", [[0.5]], [[0.0]], 2, 0.1, "ge"),
     InvalidInputError, r"^mode must be one of 'le', 'eq', 'average'; got 'ge'$"),
    (lambda: achievable(dense([2, 2, 1]), "abs", [[0.5, 0]], [[0.0]], 4, 0.1, "average"),
     TooLargeError, r"^the face has D\*\|grid\| = 1\*68719476736 = 68719476736 lambda "
                    r"variables; the limit is 8000000: use fewer bits or samples$"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _files(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n0.5,0.5\n-0.5,0\n")
    vec = tmp_path / "t.txt"
    vec.write_text("0.2, 0.2\n")
    return data, vec


def test_cli(tmp_path, capsys):
    data, vec = _files(tmp_path)
    base = ["achievable", str(data), "--arch", "1-1", "--activation", "identity", "--loss",
            "abs", "--bits", "2"]
    assert main([*base, "--target-vector", str(vec), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["achievable"] is False and d["certificate"]["verified"]
    assert d["certificate"]["exact"] and len(d["certificate"]["weights"]) == 2
    assert main([*base, "--target-loss", "0.25", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["achievable"] and d["params"] is not None and d["mixture"]
    assert main([*base, "--target-vector", str(vec), "--equal"]) == 0
    assert "certificate weights" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--target-loss", "0.1", "--equal"],
     "--equal needs --target-vector (exact membership of a loss vector)"),
    (["--target-vector", "nope.txt"], "--target-vector nope.txt: no such file"),
])
def test_cli_errors(tmp_path, capsys, monkeypatch, extra, message):
    data, _ = _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["achievable", str(data), "--arch", "1-1", "--loss", "abs", "--bits", "2",
                 *extra, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["message"] == message


def test_cli_rejects_data_outside_the_box(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n0.5,0.5\n-1.5,0\n")
    assert main(["achievable", str(data), "--arch", "1-1", "--loss", "abs", "--bits", "2",
                 "--target-loss", "0.1", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["message"].startswith(
        "X must lie in [-1, 1] (the paper's normalization); entry at row 1 (column 0) is -1.5")


def test_full_grid_polytope_gives_the_same_face():
    net, X, Y = dense([1, 1], "identity"), [[0.5], [-0.5]], [[0.5], [0.0]]
    for t in ([0.2, 0.2], [0.125, 0.375]):
        a = achievable(net, "abs", X, Y, 2, t, points="data")
        b = achievable(net, "abs", X, Y, 2, t, points="grid")
        assert a.achievable == b.achievable
    big = face_lp(net, "abs", X, Y, 2, [0.2, 0.2], points="grid")
    small = face_lp(net, "abs", X, Y, 2, [0.2, 0.2])
    assert big.polytope.sizes.variables > small.polytope.sizes.variables
    assert big.lp.n_cols == small.lp.n_cols  # the face's free columns are the same


def test_constrained_parameters_are_respected():
    net = dense([1, 1], "identity").with_constraint([[0.0, 1.0]], [-0.75])  # b <= -0.75
    X, Y = [[0.5], [-0.5]], [[0.5], [0.0]]
    r = achievable(net, "abs", X, Y, 2, [0.0, 0.5])  # needs b = 0.5 -> out
    assert not r.achievable and r.certificate.verified
    r = achievable(net, "abs", X, Y, 2, 1.25, mode="average")  # min over b = -1
    assert r.achievable and all(p[1] <= -0.75 for p in r.mixture_phi)
