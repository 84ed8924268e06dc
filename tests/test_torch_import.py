"""Weights from PyTorch: architecture and activation checked, state_dicts in both namings,
``.pt`` files read with ``weights_only=True``, ``.npz`` without pickle."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.errors import FileFormatError, InvalidInputError
from lptrain.nn import dense, forward, parse_arch

torch = pytest.importorskip("torch")

from lptrain.torch import (  # noqa: E402
    from_torch,
    load_weights,
    module_network,
    params_from_file,
    params_from_state_dict,
    to_torch,
)


def _seq(*layers):
    torch.manual_seed(0)
    return torch.nn.Sequential(*layers)


def test_activation_mismatch_is_refused_naming_the_layer():
    model = _seq(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    with pytest.raises(InvalidInputError, match=r"module layer '0' is followed by tanh but "
                                                r"the network's hidden activation is relu"):
        from_torch(model, dense([2, 3, 1]))
    phi = from_torch(model, dense([2, 3, 1], "tanh"))  # the right one is accepted
    X = np.random.default_rng(0).uniform(-1, 1, (5, 2))
    np.testing.assert_allclose(forward(dense([2, 3, 1], "tanh"), X, phi[None])[0],
                               model(torch.tensor(X, dtype=torch.float32)).detach().numpy(),
                               atol=1e-6)
    out = _seq(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1), torch.nn.ReLU())
    with pytest.raises(InvalidInputError, match="network's output activation is identity"):
        from_torch(out, dense([2, 3, 1]))
    leaky = _seq(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2), torch.nn.Linear(3, 1))
    with pytest.raises(InvalidInputError, match="leaky_relu:0.2 but the network's hidden "
                                                "activation is leaky_relu:0.01"):
        from_torch(leaky, dense([2, 3, 1], "leaky_relu"))


@pytest.mark.parametrize("layer, message", [
    (torch.nn.Sigmoid(), "Sigmoid().*not an lptrain activation"),
    (torch.nn.BatchNorm1d(3), "BatchNorm1d.*not an lptrain activation"),
    (torch.nn.ELU(2.0), "ELU\\(alpha=2.0\\).*not an lptrain activation"),
])
def test_layers_lptrain_cannot_represent_are_refused(layer, message):
    model = _seq(torch.nn.Linear(2, 3), layer, torch.nn.Linear(3, 1))
    with pytest.raises(InvalidInputError, match=message):
        from_torch(model, dense([2, 3, 1]))


def test_a_custom_forward_is_caught_by_the_probe():
    class Sneaky(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)

        def forward(self, x):
            return self.b(torch.tanh(self.a(x)))  # tanh where the network says relu

    with pytest.raises(InvalidInputError, match="does not compute the network with these "
                                                "weights"):
        from_torch(Sneaky(), dense([2, 3, 1]))
    ok = from_torch(Sneaky(), dense([2, 3, 1], "tanh"))
    assert ok.shape == (13,)


def test_float32_modules_and_our_generic_module_are_read():
    net = parse_arch("2-3-1")
    phi = np.random.default_rng(5).uniform(-1, 1, net.N)
    np.testing.assert_array_equal(from_torch(to_torch(net, phi, generic=True), net), phi)
    single = from_torch(to_torch(net, phi, dtype=torch.float32), net)
    np.testing.assert_allclose(single, phi, atol=1e-7)  # float32 weights, float32 probe
    with pytest.raises(InvalidInputError, match="does not compute the network"):
        from_torch(to_torch(net, phi, generic=True), parse_arch("2-3-1", "tanh"))


def test_module_network_reads_a_sequential_and_refuses_what_it_cannot():
    model = _seq(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.ReLU(),
                 torch.nn.Linear(4, 2))
    assert module_network(model) == dense([3, 4, 4, 2])
    assert module_network(to_torch(parse_arch("resnet:2-3x1-1"), np.zeros(
        parse_arch("resnet:2-3x1-1").N))) == parse_arch("resnet:2-3x1-1")
    mixed = _seq(torch.nn.Linear(1, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2), torch.nn.Tanh(),
                 torch.nn.Linear(2, 1))
    with pytest.raises(InvalidInputError, match="hidden layers use different activations"):
        module_network(mixed)
    with pytest.raises(InvalidInputError, match="cannot read the architecture of a Linear"):
        module_network(torch.nn.Linear(2, 1))


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_state_dict_in_both_namings_gives_the_same_phi():
    model = _seq(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    net = dense([2, 3, 1])
    want = from_torch(model, net)
    seq = _state(model)
    assert sorted(seq) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    np.testing.assert_array_equal(params_from_state_dict(seq, net), want)
    ours = {"layer1.weight": seq["0.weight"], "layer1.bias": seq["0.bias"],
            "layer2.weight": seq["2.weight"], "layer2.bias": seq["2.bias"]}
    np.testing.assert_array_equal(params_from_state_dict(ours, net), want)
    nested = {f"model.{k}": v for k, v in seq.items()}  # nn.Module wrapping the Sequential
    np.testing.assert_array_equal(params_from_state_dict(nested, net), want)
    np.testing.assert_array_equal(
        params_from_state_dict({k: v.numpy() for k, v in seq.items()}, net), want)


@pytest.mark.parametrize("state, message", [
    ({"0.weight": np.zeros((3, 2)), "0.bias": np.zeros(3)}, "match neither the network's"),
    ({"0.weight": np.zeros((2, 3)), "0.bias": np.zeros(3), "2.weight": np.zeros((1, 3)),
      "2.bias": np.zeros(1)}, r"weight '0.weight' has shape \(2, 3\); the network's "
                              r"layer1.weight needs \(3, 2\)"),
    ({"0.weight": np.zeros((3, 2)), "0.bias": np.zeros(3), "1.running_mean": np.zeros(3),
      "2.weight": np.zeros((1, 3)), "2.bias": np.zeros(1)}, "match neither"),
    ([1, 2, 3], "a state_dict must be a mapping"),
])
def test_bad_state_dicts(state, message):
    with pytest.raises(InvalidInputError, match=message):
        params_from_state_dict(state, dense([2, 3, 1]))


class _Custom(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 1)


def test_pt_and_npz_files(tmp_path):
    model = _seq(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    net = dense([2, 3, 1])
    want = from_torch(model, net)
    torch.save(model.state_dict(), tmp_path / "w.pt")
    np.testing.assert_array_equal(params_from_file(tmp_path / "w.pt", net), want)
    np.savez(tmp_path / "w.npz", **{k: v.numpy() for k, v in model.state_dict().items()})
    np.testing.assert_array_equal(params_from_file(tmp_path / "w.npz", net), want)
    np.savez(tmp_path / "v.npz", params=want)
    np.testing.assert_array_equal(params_from_file(tmp_path / "v.npz", net), want)
    torch.save(model, tmp_path / "whole.pt")  # an nn.Sequential of torch.nn layers: read
    np.testing.assert_array_equal(params_from_file(tmp_path / "whole.pt", net), want)
    assert sorted(load_weights(tmp_path / "whole.pt")) == sorted(model.state_dict())
    tanh = _seq(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    torch.save(tanh, tmp_path / "tanh.pt")  # ... and its activations checked
    with pytest.raises(InvalidInputError, match="followed by tanh but the network's hidden"):
        params_from_file(tmp_path / "tanh.pt", net)
    torch.save(_Custom(), tmp_path / "custom.pt")  # a class of its own: weights_only refuses
    with pytest.raises(FileFormatError, match="holds a test_torch_import._Custom, which is"):
        load_weights(tmp_path / "custom.pt")
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(InvalidInputError, match="holds a Tensor, not a state_dict"):
        load_weights(tmp_path / "tensor.pt")
    np.savez(tmp_path / "nan.npz", params=np.array([0.5, np.nan]))
    with pytest.raises(InvalidInputError, match="contains NaN or inf"):
        load_weights(tmp_path / "nan.npz")
    torch.save({"model": model.state_dict(), "epoch": 3}, tmp_path / "ckpt.pt")
    with pytest.raises(InvalidInputError, match="are not tensors; save the model's state_dict"):
        load_weights(tmp_path / "ckpt.pt")
    np.savez(tmp_path / "obj.npz", params=np.array([object()], dtype=object))
    with pytest.raises(FileFormatError, match="obj.npz is not a readable .npz file"):
        load_weights(tmp_path / "obj.npz")
    with pytest.raises(InvalidInputError, match="holds 3 parameters but the network has N=13"):
        np.savez(tmp_path / "short.npz", params=np.zeros(3))
        params_from_file(tmp_path / "short.npz", net)
    with pytest.raises(InvalidInputError, match="must end in .pt, .pth, .npz or .json"):
        (tmp_path / "w.txt").write_text("1")
        load_weights(tmp_path / "w.txt")
