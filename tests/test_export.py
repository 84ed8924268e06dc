"""PyTorch export: the same outputs as lptrain's forward for every architecture kind and
activation; weights back from torch; the SGD baseline; a clear error without torch."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from lptrain.nn import dense, forward, parse_arch

sys.path.insert(0, str(Path(__file__).parent / "nn"))
from nn_zoo import ARCH_KINDS, THEORY_ACTIVATIONS, build  # noqa: E402

torch = pytest.importorskip("torch")

from lptrain.export import from_torch, to_torch, train_sgd  # noqa: E402

EXPECTED_MODULE = {"dense": "Sequential", "deep": "Sequential", "conv1d": "Sequential",
                   "conv2d": "Sequential", "resnet": "ResidualNet", "dag": "DAGModule",
                   "fixed": "Sequential"}


@pytest.mark.parametrize("kind", ARCH_KINDS)
@pytest.mark.parametrize("activation", (*THEORY_ACTIVATIONS, "step"))
def test_same_outputs_as_forward(kind, activation):
    rng = np.random.default_rng(hash((kind, activation)) % 2**32)
    for m in (1, 2):
        net = build(kind, activation, m)
        phi = rng.uniform(-1, 1, net.N)
        X = rng.uniform(-1, 1, (9, net.n))
        ref = forward(net, X, phi[None], backend="numpy")[0]
        for generic in (False, True):
            model = to_torch(net, phi, generic=generic)
            name = "DAGModule" if generic else EXPECTED_MODULE[kind]
            assert type(model).__name__ == name
            out = model(torch.tensor(X)).detach().numpy()
            np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
            np.testing.assert_allclose(from_torch(model, net), phi, rtol=0, atol=0)


@pytest.mark.parametrize("spec, layers", [
    ("conv1d:2x9-c2k3s2-c1k2s2-2", ["Conv1d", "Conv1d", "Linear"]),
    ("conv2d:2x5x6-c2k2s2-c1k2-1", ["Conv2d", "Conv2d", "Linear"]),
    ("2-3-3-1", ["Linear", "Linear", "Linear"]),
])
def test_builder_layouts_use_torch_layers(spec, layers):
    net = parse_arch(spec, "tanh")
    phi = np.random.default_rng(0).uniform(-1, 1, net.N)
    model = to_torch(net, phi)
    found = [type(mod).__name__ for mod in model.modules()
             if type(mod).__name__ in ("Linear", "Conv1d", "Conv2d")]
    assert found == layers
    X = np.random.default_rng(1).uniform(-1, 1, (5, net.n))
    np.testing.assert_allclose(model(torch.tensor(X)).detach().numpy(),
                               forward(net, X, phi[None], backend="numpy")[0], atol=1e-12)
    # the canonical order is torch's: flattening the module's parameters gives φ
    flat = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()
    np.testing.assert_array_equal(flat, phi)


def test_float32_and_fixed_parameters():
    net = build("fixed", "relu", 1)
    phi = np.linspace(-1, 1, net.N)
    model = to_torch(net, phi, dtype=torch.float32)
    X = np.random.default_rng(2).uniform(-1, 1, (4, net.n))
    out = model(torch.tensor(X, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(out, forward(net, X, phi[None], backend="numpy")[0], atol=1e-6)


def test_from_torch_refuses_mismatched_shapes_and_reads_a_plain_sequential():
    net = dense([2, 3, 1])
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    phi = from_torch(model, net)
    X = np.random.default_rng(0).uniform(-1, 1, (4, 2))
    expect = model(torch.tensor(X, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(forward(net, X, phi[None], backend="numpy")[0], expect,
                               atol=1e-6)
    with pytest.raises(ValueError, match=r"parameter shapes \[\(3, 2\), \(3,\), \(1, 3\), "
                                         r"\(1,\)\] do not match"):
        from_torch(model, dense([2, 2, 1]))
    with pytest.raises(ValueError, match="params has 3 entries but the network has N=13"):
        to_torch(net, [0.0, 0.0, 0.0])


def test_sgd_baseline_stays_in_the_box_and_reports_lptrain_risk():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (20, 1))
    Y = np.clip(1.5 * X, -1, 1)  # the best slope (1.5) lies outside the box
    res = train_sgd(dense([1, 1]), "quadratic", X, Y, restarts=2, steps=150)
    assert np.all(np.abs(res.params) <= 1.0) and len(res.erms) == 2
    assert res.erm == pytest.approx(
        float(((X[:, 0] * res.params[0] + res.params[1] - Y[:, 0]) ** 2).mean()))
    assert res.to_dict()["restarts"] == 2


def test_missing_torch_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    from lptrain import export

    assert not export.torch_available()
    with pytest.raises(ImportError, match=r"needs PyTorch, which is not installed: pip install "
                                          r"torch"):
        export.to_torch(dense([1, 1]), [0.0, 0.0])
