"""Architectures: builders, properties, parameter layout, serialization, parsing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from nn_zoo import ARCH_KINDS, build, reference_outputs

from lptrain.errors import FileFormatError, InvalidInputError
from lptrain.nn import Network, Node, conv1d, conv2d, dag, dense, forward, parse_arch, resnet


def test_dense_properties_follow_section_4_1():
    net = dense([3, 4, 2, 1])
    assert (net.n, net.m, net.depth, net.widths) == (3, 1, 3, (3, 4, 2, 1))
    assert net.N == 3 * 4 + 4 + 4 * 2 + 2 + 2 + 1
    assert net.max_in_degree == 4 and net.n_edges == 12 + 8 + 2
    assert net.param_names[12:16] == ("layer1.bias[0]", "layer1.bias[1]", "layer1.bias[2]",
                                      "layer1.bias[3]")


@pytest.mark.parametrize("kind", ["conv1d", "conv2d"])
def test_cnn_counts_distinct_parameters(kind):
    net = conv1d((2, 7), [(3, 3, 2)], [2]) if kind == "conv1d" else conv2d(
        (2, 4, 5), [(2, (2, 3), (1, 2))], [1])
    used = {p for v in net.nodes for p in (*(e[1] for e in v.inputs), v.bias[0]) if p >= 0}
    assert net.N == len(used)
    conv_edges = sum(len(v.inputs) for v in net.nodes if net.layers[net.n + net.nodes.index(v)]
                     == 1)
    assert net.N < net.n_edges and conv_edges > net.groups[0][1][0] * np.prod(
        net.groups[0][1][1:])
    if kind == "conv1d":  # 3 out channels, (7-3)//2+1 = 3 positions, kernel 2*3
        assert net.widths == (14, 9, 2) and net.max_in_degree == 9
        assert net.N == 3 * 2 * 3 + 3 + 9 * 2 + 2


def test_resnet_skip_edges_are_constants():
    net = resnet(2, 3, 2, 1, block_depth=2)
    skips = [e for v in net.nodes for e in v.inputs if e[1] == -1]
    assert len(skips) == 2 * 3 and all(e[2] == 1.0 for e in skips)
    assert net.max_in_degree == 4 and net.depth == 6
    assert net.N == (2 * 3 + 3) + 4 * (9 + 3) + (3 + 1)


def test_layers_are_longest_paths():
    net = dag(1, [{"inputs": [(0, 0)]}, {"inputs": [(1, 1), (0, 2)]}], outputs=[2])
    assert net.layers == (0, 1, 2) and net.depth == 2 and net.widths == (1, 1, 1)


@pytest.mark.parametrize("kind", ARCH_KINDS)
def test_round_trip_through_json(kind):
    net = build(kind, "leaky_relu:0.1", m=2)
    if kind == "dag":
        net = net.with_constraint(np.eye(net.N)[:2], [0.5, 0.25])
    again = Network.from_dict(json.loads(json.dumps(net.to_dict())))
    assert again == net and again.fingerprint == net.fingerprint
    assert again.param_names == net.param_names


def test_from_dict_rejects_other_formats():
    with pytest.raises(FileFormatError, match="not an lptrain network"):
        Network.from_dict({"format": "x"})
    d = dense([1, 1]).to_dict()
    del d["nodes"]
    with pytest.raises(FileFormatError, match="malformed network dict"):
        Network.from_dict(d)


def test_fixed_parameters_become_constants():
    net = dense([2, 2, 1], "tanh")
    fixed = net.fix_parameters({1: 0.5, 8: -0.25})
    assert fixed.N == net.N - 2
    assert fixed.param_names[0] == "layer1.weight[0,0]" and "layer1.weight[0,1]" not in \
        fixed.param_names
    rng = np.random.default_rng(3)
    phi = rng.uniform(-1, 1, (4, fixed.N))
    full = fixed.full_parameters(phi)
    assert np.all(full[:, 1] == 0.5) and np.all(full[:, 8] == -0.25)
    X = rng.uniform(-1, 1, (5, 2))
    assert np.allclose(forward(fixed, X, phi, backend="numpy"),
                       forward(net, X, full, backend="numpy"), rtol=0, atol=1e-15)


def test_group_arrays_match_torch_linear_layout():
    torch = pytest.importorskip("torch")
    net = dense([3, 4, 2])
    rng = np.random.default_rng(0)
    phi = rng.uniform(-1, 1, net.N)
    groups = net.group_arrays(phi)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for (name, arr), param in zip(groups.items(), model.parameters(), strict=True):
            assert tuple(param.shape) == arr.shape, name
            param.copy_(torch.from_numpy(arr))
        # torch's parameters() order is exactly the canonical order of φ
        flat = torch.cat([p.reshape(-1) for p in model.parameters()]).numpy()
        X = rng.uniform(-1, 1, (6, 3))
        ours = forward(net, X, phi, backend="numpy")[0]
        assert np.allclose(flat, phi) and np.allclose(
            ours, model(torch.from_numpy(X)).numpy(), atol=1e-12)


def test_conv_layouts_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for net, conv, shape in (
        (conv1d((2, 6), [(3, 3, 2)], []), torch.nn.Conv1d(2, 3, 3, stride=2).double(),
         (2, 6)),
        (conv2d((2, 4, 5), [(2, (2, 3), (1, 2))], []),
         torch.nn.Conv2d(2, 2, (2, 3), stride=(1, 2)).double(), (2, 4, 5)),
    ):
        phi = rng.uniform(-1, 1, net.N)
        with torch.no_grad():
            for arr, param in zip(net.group_arrays(phi).values(), conv.parameters(),
                                  strict=True):
                param.copy_(torch.from_numpy(arr))
            X = rng.uniform(-1, 1, (3, net.n))
            want = conv(torch.from_numpy(X.reshape(3, *shape))).reshape(3, -1).numpy()
        assert np.allclose(forward(net, X, phi, backend="numpy")[0], want, atol=1e-12)


def test_biu_node_thresholds_at_its_bias_parameter():
    # z = 1 if a1 x1 + a2 x2 > b, with b a parameter entering with coefficient -1
    net = dag(2, [Node.make([(0, 0), (1, 1)], bias=(2, -1.0), activation="step")], [2])
    phi = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, -1.0]])
    X = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    out = forward(net, X, phi, backend="numpy")[:, :, 0]
    assert out.tolist() == [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    assert reference_outputs(net, X[0], phi[0]) == [1.0]


@pytest.mark.parametrize("spec, widths, N", [
    ("2-3-1", (2, 3, 1), 13),
    ("conv1d:8-c2k3s2-1", (8, 6, 1), 15),
    ("conv1d:2x6-c1k2-2", (12, 5, 2), 5 + 12),
    ("conv2d:4x4-c1k2s2-1", (16, 4, 1), 5 + 5),
    ("conv2d:2x3x3-c2k2-c1k2-1", (18, 8, 1, 1), 18 + 9 + 2),
    ("resnet:2-3x2-1", (2, 3, 3, 3, 1), 37),
])
def test_parse_arch(spec, widths, N):
    net = parse_arch(spec, "tanh")
    assert (net.widths, net.N) == (widths, N)
    assert net.nodes[0].activation.name == "tanh"


def test_parse_arch_from_file(tmp_path):
    path = tmp_path / "net.json"
    net = build("dag", "relu")
    path.write_text(json.dumps(net.to_dict()))
    assert parse_arch(f"@{path}") == net


@pytest.mark.parametrize("spec, message", [
    ("2-x-1", "--arch '2-x-1': expected layer widths separated by '-', e.g. 2-3-1"),
    ("2", "--arch '2': expected layer widths separated by '-', e.g. 2-3-1"),
    ("2-0-1", "--arch '2-0-1': widths[1] must be a positive integer; got 0"),
    ("conv1d:8-c2-1", "--arch 'conv1d:8-c2-1': expected conv1d:[Cx]L-c<out>k<kernel>"
                      "[s<stride>]-...-<widths>, e.g. conv1d:8-c2k3s2-1"),
    ("conv1d:2-c1k3-1", "--arch 'conv1d:2-c1k3-1': conv layer 1: kernel (3,) is larger "
                        "than the input (2,)"),
    ("resnet:2-3-1", "--arch 'resnet:2-3-1': expected resnet:n-wxB-m, e.g. resnet:2-3x2-1 "
                     "(B blocks of width w)"),
])
def test_parse_arch_errors(spec, message):
    with pytest.raises(InvalidInputError) as exc:
        parse_arch(spec)
    assert str(exc.value) == message


def test_parse_arch_unknown_kind_and_missing_file(tmp_path):
    with pytest.raises(InvalidInputError, match="unknown kind 'lstm'"):
        parse_arch("lstm:2-1")
    with pytest.raises(InvalidInputError, match="cannot read the file"):
        parse_arch(f"@{tmp_path / 'missing.json'}")


@pytest.mark.parametrize("make, message", [
    (lambda: dag(1, [{"inputs": [(1, 0)]}], [1]),
     "node 1 reads node 1: edges must come from an earlier node"),
    (lambda: dag(1, [{"inputs": [(0, 0)]}], [1], n_params=2),
     "parameter 1 is not used by any edge or bias"),
    (lambda: dag(1, [{"inputs": [(0, 0)]}], [5]), "outputs must be node ids in [0, 2)"),
    (lambda: dense([2, 1]).fix_parameters({0: 2.0}),
     "fixed parameter 0 = 2.0: need an index in [0, 3) and a value in [-1, 1]"),
    (lambda: dense([2, 1]).with_constraint([[1.0, 1.0]], [0.0]),
     "constraint A must have shape (rows, N=3)"),
])
def test_network_validation(make, message):
    with pytest.raises(InvalidInputError) as exc:
        make()
    assert str(exc.value).startswith(message)


def test_constraint_survives_fixing():
    net = dense([1, 1]).with_constraint([[1.0, 1.0]], [0.5])
    fixed = net.fix_parameters({0: 0.25})
    assert fixed.constraint is not None and fixed.constraint.A == ((1.0,),)
    assert fixed.constraint.b == (0.25,)
