"""Models trained elsewhere, certified: ReLU rescaling (exact, optimal), box=R (the scaled
twin, bounds sampled inside the big box), scikit-learn and PyTorch models, Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from lptrain.certify import certify_erm
from lptrain.convert import (
    fold_scalers,
    from_sklearn,
    prepare_certify,
    rescale_into_box,
    scale_box,
    scale_regularizer,
)
from lptrain.data import UnitScaler
from lptrain.errors import InvalidInputError
from lptrain.nn import dense, empirical_risk, forward

sys.path.insert(0, str(Path(__file__).parent / "nn"))
from nn_zoo import ARCH_KINDS, build  # noqa: E402

NP = {"backend": "numpy", "progress": False}


def _units_inside(net, rng):
    """φ in the box whose hidden units each have max |incoming| in (1/2, 1]."""
    phi = rng.uniform(-1, 1, net.N)
    for i, node in enumerate(net.nodes):
        if net.n_inputs + i in net.outputs:
            continue
        inc = [p for _, p, _ in node.inputs] + [node.bias[0]]
        phi[inc[int(rng.integers(len(inc)))]] = rng.choice([-1.0, 1.0]) * rng.uniform(0.51, 1)
    return phi


def _blow_up(net, phi, rng):
    """The same function with every hidden unit scaled by a power of two (incoming × 2^k,
    outgoing × 2^-k): weights outside the box."""
    out = phi.copy()
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        if v in net.outputs:
            continue
        s = 2.0 ** int(rng.integers(1, 4))
        out[[p for _, p, _ in node.inputs] + [node.bias[0]]] *= s
        for w in net.nodes:
            for u, p, _ in w.inputs:
                if u == v:
                    out[p] /= s
    return out


@pytest.mark.parametrize("widths, act", [([2, 3, 1], "relu"), ([1, 2, 2, 1], "relu"),
                                         ([3, 2, 2], "leaky_relu:0.1"), ([2, 2, 1], "identity")])
def test_rescaling_restores_the_twin_bit_for_bit(widths, act):
    rng = np.random.default_rng(len(widths) * 7 + len(act))
    net = dense(widths, act)
    for _ in range(5):
        inside = _units_inside(net, rng)
        outside = _blow_up(net, inside, rng)
        assert np.abs(outside).max() > 1
        r = rescale_into_box(net, outside)
        assert r.in_box and r.exact and r.changed
        np.testing.assert_array_equal(r.params, inside)
        X = rng.uniform(-1, 1, (20, net.n))
        np.testing.assert_array_equal(forward(net, X, outside[None]),
                                      forward(net, X, r.params[None]))


@pytest.mark.parametrize("kind", ARCH_KINDS)
def test_rescaling_never_changes_the_function(kind):
    """Shared weights (convolutions, the DAG), constant edges (residual skips, the DAG) and
    fixed parameters must not be rescaled unit by unit: whatever moves, the outputs stay."""
    rng = np.random.default_rng(len(kind))
    net = build(kind, "relu", 2)
    X = rng.uniform(-1, 1, (15, net.n))
    moved = 0
    for _ in range(20):
        phi = rng.uniform(-1, 1, net.N) * rng.choice([0.4, 3.0], net.N, p=[0.85, 0.15])
        r = rescale_into_box(net, phi)
        if r.changed:
            moved += 1
            np.testing.assert_allclose(forward(net, X, r.params[None]),
                                       forward(net, X, phi[None]), rtol=1e-12, atol=1e-12)
    if kind in ("dense", "deep"):  # ("fixed": both hidden units have a constant weight)
        assert moved > 0  # something was rescaled, so the check above saw it


def test_rescaling_feasible_exactly_when_every_unit_fits():
    """One hidden layer: a unit can be moved inside iff max|in| · max|out| <= 1 (the
    product is invariant), and the output biases must already be inside."""
    rng = np.random.default_rng(3)
    net = dense([2, 3, 1])
    seen = set()
    for _ in range(300):
        phi = rng.uniform(-1, 1, net.N) * rng.choice([0.5, 1.5, 3.0], net.N)
        W1, b1 = phi[:6].reshape(3, 2), phi[6:9]
        W2, b2 = phi[9:12], phi[12]
        ok = bool(np.all(np.maximum(np.abs(W1).max(axis=1), np.abs(b1)) * np.abs(W2) <= 1.0)
                  and abs(b2) <= 1.0)
        r = rescale_into_box(net, phi)
        assert r.in_box == ok or np.abs(phi).max() <= 1.0
        seen.add(ok)
        if r.in_box:
            X = rng.uniform(-1, 1, (10, 2))
            np.testing.assert_allclose(forward(net, X, r.params[None]),
                                       forward(net, X, phi[None]), rtol=1e-13, atol=1e-13)
        else:
            assert r.stuck and r.needed_radius > 1.0
    assert seen == {True, False}


def test_rescaling_falls_back_to_exact_quotients_and_names_what_is_stuck():
    net = dense([1, 1, 1])
    r = rescale_into_box(net, np.array([3.0, 0.0, 0.3, 0.0]))  # 2^2 would push 0.3 to 1.2
    assert r.in_box and not r.exact
    np.testing.assert_allclose(r.params, [1.0, 0.0, 0.9, 0.0])
    stuck = rescale_into_box(net, np.array([0.5, 0.0, 0.5, 2.5])).stuck
    assert stuck == ("layer2.bias[0] = 2.5 (an output unit: its weights cannot be rescaled)",)
    tanh = rescale_into_box(dense([1, 1, 1], "tanh"), np.array([3.0, 0.0, 0.3, 0.0]))
    assert not tanh.in_box and "its unit cannot be rescaled" in tanh.stuck[0]


def _data(D, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (D, n))
    return X, np.clip(0.6 * np.maximum(X[:, :1], 0) - 0.2 + 0.05 * rng.normal(size=(D, 1)),
                      -1, 1)


def test_model_outside_the_box_gets_the_certificate_of_its_twin():
    rng = np.random.default_rng(11)
    net = dense([1, 2, 1])
    X, Y = _data(20, 1, 0)
    inside = _units_inside(net, rng)
    outside = _blow_up(net, inside, rng)
    a = certify_erm(net, "abs", X, Y, inside, target_gap=0.05, time_limit=None, **NP)
    b = certify_erm(net, "abs", X, Y, outside, target_gap=0.05, time_limit=None, **NP)
    assert b.params_in_box and a.params_in_box
    for key in ("lower_bound", "upper_bound", "gap", "best_value", "nodes", "status"):
        assert getattr(a, key) == getattr(b, key), key
    np.testing.assert_array_equal(a.phi, b.phi)


def test_box_R_finds_an_optimum_outside_the_unit_box():
    X = np.linspace(-0.25, 0.25, 21)[:, None]
    Y = 3.0 * X + 0.1  # the best line has slope 3
    net = dense([1, 1], "identity")
    unit = certify_erm(net, "abs", X, Y, target_gap=1e-3, **NP)
    big = certify_erm(net, "abs", X, Y, target_gap=1e-3, box=4.0, **NP)
    assert unit.lower_bound > 0.05  # slope 3 is outside [-1, 1]: the unit box cannot fit it
    assert big.lower_bound <= 1e-12 and big.best_value <= 1e-3 and big.domain == "[-4, 4]^N"
    np.testing.assert_allclose(big.phi, [3.0, 0.1], atol=2e-3)
    erm = empirical_risk(net, "abs", X, Y, big.phi[None], backend="numpy")[0]
    assert big.best_value == pytest.approx(erm, abs=1e-12)


@pytest.mark.parametrize("loss, reg", [("abs", None), ("quadratic", "l2:0.01"),
                                       ("abs", "l1:0.02")])
def test_box_R_bounds_below_sampled_values_inside_the_big_box(loss, reg):
    R = 2.0
    net = dense([1, 1, 1])
    X, Y = _data(20, 1, 5)
    Y = 1.6 * Y  # a slope the unit box cannot reach with one unit
    cert = certify_erm(net, loss, X, Y, target_gap=0.02, time_limit=None, box=R,
                       regularizer=reg, **NP)
    assert cert.status == "target reached"
    pts = np.random.default_rng(1).uniform(-R, R, (20000, net.N))
    sampled = empirical_risk(net, loss, X, Y, pts, reg, backend="numpy")
    assert cert.lower_bound <= sampled.min()
    # phi is in the original units and its objective (original λ) is the best value
    assert np.abs(cert.phi).max() <= R
    best = empirical_risk(net, loss, X, Y, cert.phi[None], reg, backend="numpy")[0]
    assert cert.best_value == pytest.approx(best, rel=1e-12, abs=1e-12)
    # the twin: coefficients × R over [-1, 1]^N, λ scaled — the same certificate
    twin = certify_erm(scale_box(net, R), loss, X, Y, target_gap=0.02, time_limit=None,
                       regularizer=scale_regularizer(reg, R), **NP)
    assert (twin.lower_bound, twin.best_value, twin.nodes) == (
        cert.lower_bound, cert.best_value, cert.nodes)
    np.testing.assert_array_equal(twin.phi * R, cert.phi)


def test_prepare_leaves_regularized_models_alone():
    p = prepare_certify(dense([1, 1, 1]), [4.0, -2.0, 0.125, 0.5], regularizer="l2:0.1")
    assert p.rescaled is None and p.params.tolist() == [4.0, -2.0, 0.125, 0.5]


sklearn = pytest.importorskip("sklearn")


def _mlp(kind, **kw):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    cls = MLPRegressor if kind == "reg" else MLPClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(random_state=0, max_iter=200, **kw)


def test_from_sklearn_regressor_same_predictions_and_folded_scaling():
    rng = np.random.default_rng(0)
    X = rng.uniform(20, 40, (50, 2))
    y = 3 * X[:, 0] - X[:, 1] + rng.normal(size=50)
    mlp = _mlp("reg", hidden_layer_sizes=(3, 2), activation="tanh").fit(X, y)
    plain = from_sklearn(mlp)
    assert plain.network == dense([2, 3, 2, 1], "tanh") and plain.loss == "quadratic"
    np.testing.assert_allclose(forward(plain.network, X, plain.params[None])[0][:, 0],
                               mlp.predict(X), rtol=1e-12, atol=1e-9)
    folded = from_sklearn(mlp, X, y)
    np.testing.assert_allclose(folded.predict(X)[:, 0], mlp.predict(X), rtol=1e-10, atol=1e-8)
    Xs, ys = folded.scaler_x.transform(X), folded.scaler_y.transform(y[:, None])
    assert np.abs(Xs).max() <= 1 and np.abs(ys).max() <= 1
    h = folded.scaler_y.half_range[0]
    erm_scaled = empirical_risk(folded.network, "quadratic", Xs, ys, folded.params[None],
                                backend="numpy")[0]
    assert erm_scaled * h**2 == pytest.approx(np.mean((mlp.predict(X) - y) ** 2), rel=1e-9)


@pytest.mark.parametrize("classes", [2, 3])
def test_from_sklearn_classifier_log_loss_is_lptrains_cross_entropy(classes):
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(classes)
    X = rng.uniform(-1, 1, (60, 2))
    y = np.digitize(X[:, 0] + 0.3 * X[:, 1], np.linspace(-0.6, 0.6, classes - 1))
    mlp = _mlp("clf", hidden_layer_sizes=(4,)).fit(X, y)
    m = from_sklearn(mlp)
    assert m.network.m == classes and m.loss == "cross_entropy"
    Y = m.labels.encode(y)
    ce = empirical_risk(m.network, "cross_entropy", X, Y, m.params[None], backend="numpy")[0]
    assert ce == pytest.approx(log_loss(y, mlp.predict_proba(X)), rel=1e-9)
    assert m.predict(X).tolist() == mlp.predict(X).tolist()


def test_from_sklearn_refusals():
    X, y = np.random.default_rng(0).uniform(-1, 1, (20, 2)), np.arange(20) % 2
    with pytest.raises(InvalidInputError, match="logistic sigmoid has σ\\(0\\) = 1/2"):
        from_sklearn(_mlp("clf", activation="logistic", hidden_layer_sizes=(2,)).fit(X, y))
    with pytest.raises(InvalidInputError, match="is not fitted yet"):
        from_sklearn(_mlp("reg"))
    with pytest.raises(InvalidInputError, match="takes a fitted MLPRegressor or MLPClassifier"):
        from_sklearn(object())
    Y2 = np.column_stack([y, 1 - y])
    with pytest.raises(InvalidInputError, match="multilabel"):
        from_sklearn(_mlp("clf", hidden_layer_sizes=(2,)).fit(X, Y2))


def test_certify_takes_mlp_module_state_dict_and_files(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from lptrain.certify import continuous

    # the inputs are under test, not the compass search: skip it (8 runs stay fast)
    monkeypatch.setattr(continuous, "polish", lambda bounder, phi, value, **kw: (phi, value))
    X, Y = _data(30, 1, 2)
    mlp = _mlp("reg", hidden_layer_sizes=(2,)).fit(X, Y[:, 0])
    m = from_sklearn(mlp)
    kw = dict(target_gap=1e-9, time_limit=None, max_open=100, **NP)  # a small fixed budget
    ref = certify_erm(m.network, "abs", X, Y, m.params, **kw)
    f64 = torch.float64
    module = torch.nn.Sequential(torch.nn.Linear(1, 2, dtype=f64), torch.nn.ReLU(),
                                 torch.nn.Linear(2, 1, dtype=f64))
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor(mlp.coefs_[0].T))
        module[0].bias.copy_(torch.tensor(mlp.intercepts_[0]))
        module[2].weight.copy_(torch.tensor(mlp.coefs_[1].T))
        module[2].bias.copy_(torch.tensor(mlp.intercepts_[1]))
    torch.save(module.state_dict(), tmp_path / "w.pt")
    for net, params in [(mlp, None), (m.network, mlp), (module, None),
                        (m.network, module), (m.network, module.state_dict()),
                        (m.network, tmp_path / "w.pt"), (m, None)]:
        cert = certify_erm(net, "abs", X, Y, params, **kw)
        assert (cert.lower_bound, cert.upper_bound, cert.nodes) == (
            ref.lower_bound, ref.upper_bound, ref.nodes), (type(net), type(params))
    with pytest.raises(InvalidInputError, match="not both"):
        certify_erm(mlp, "abs", X, Y, m.params, **kw)


def test_fold_scalers_refuses_shared_parameters():
    from lptrain.nn import parse_arch

    net = parse_arch("conv1d:4-c1k2-1")
    with pytest.raises(InvalidInputError, match="parameter 0 is shared"):
        fold_scalers(net, np.zeros(net.N), UnitScaler(np.zeros(4), np.ones(4)))


def test_ctrl_c_returns_the_bound_reached():
    X, Y = _data(60, 2, 9)
    net = dense([2, 3, 1])
    rounds = []

    def press_ctrl_c(info):
        rounds.append(info)
        if len(rounds) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    cert = certify_erm(net, "abs", X, Y, target_gap=1e-6, time_limit=20,
                       progress=press_ctrl_c, backend="numpy")
    assert cert.status == "interrupted" and len(rounds) <= 5
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    pts = np.random.default_rng(0).uniform(-1, 1, (5000, net.N))
    assert cert.lower_bound <= empirical_risk(net, "abs", X, Y, pts, backend="numpy").min()
    assert cert.lower_bound <= cert.best_value
