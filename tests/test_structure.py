"""§5 network structure: the node formulation through the engine against brute force, the
paper's "concatenate the copies" decomposition failing the validator on SPEC §6's
counterexample, the K_{N,D} minor, the width table, the CLI and the error messages."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest

from lptrain.bo import TreeDecomposition, intersection_graph, validate_tree_decomposition
from lptrain.cli import main
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import dense
from lptrain.structure import (
    chain_network,
    counterexample_network,
    node_brute_force,
    node_formulation,
    paper_decomposition,
    paper_decomposition_violation,
    train_node_formulation,
    tree_network,
    width_report,
)

PHI_TD = TreeDecomposition(((0,), (1,), (2, 3)), [[0, 1], [1, 2]])  # {e1}, {e2}, {e3, e4}


def test_paper_construction_fails_property_i_on_the_minimal_counterexample():
    form = node_formulation(counterexample_network(), "abs", D=2, bits=2)
    graph = intersection_graph(form.problem)
    # Γ_φ's decomposition is valid for Γ_φ (an edge e3-e4, isolated e1, e2) ...
    validate_tree_decomposition(nx.Graph(graph.subgraph([0, 1, 2, 3])), PHI_TD)
    td = paper_decomposition(form, PHI_TD)
    assert td.n_bags == 6 and td.edges.tolist() == [[0, 1], [1, 2], [3, 4], [4, 5], [2, 3]]
    # ... but the concatenated copies are not one for Γ: e1 (vertex 0) sits in bag 0 of
    # copy 1 and bag 3 of copy 2, and bag 1 on the path between them lacks it.
    with pytest.raises(InvalidInputError) as info:
        validate_tree_decomposition(graph, td)
    assert str(info.value) == ("not a tree decomposition: vertex 0 lies in bags 0 and 3 but "
                               "not in bag 1 on the path between them (property (i) of "
                               "Definition 2.3)")
    # property (ii) holds: every edge of Γ lies in some bag
    assert all(any({u, v} <= set(b) for b in td.bags) for u, v in graph.edges())
    # with one data point (no copies to concatenate) the construction is valid
    assert paper_decomposition_violation(node_formulation(counterexample_network(), "abs",
                                                          1, 2), PHI_TD) is None


def test_every_parameter_in_every_bag_repairs_it():
    form = node_formulation(counterexample_network(), "abs", D=3, bits=1)
    repaired = TreeDecomposition(((0, 1, 2, 3),), np.zeros((0, 2)))
    assert paper_decomposition_violation(form, repaired) is None


@pytest.mark.parametrize("N, D", [(4, 2), (4, 6), (8, 3), (8, 9)])
def test_contracting_each_data_point_gives_a_K_N_D_minor(N, D):
    net = counterexample_network() if N == 4 else chain_network(3)
    form = node_formulation(net, "abs", D, 1)
    graph = intersection_graph(form.problem)
    for d in range(D):  # each data point's variables are connected: contract them
        group = form.data[d].tolist()
        assert nx.is_connected(graph.subgraph(group))
        for v in group[1:]:
            graph = nx.contracted_nodes(graph, group[0], v, self_loops=False)
    reps = [int(form.data[d, 0]) for d in range(D)]
    assert all(graph.has_edge(p, r) for p in form.phi.tolist() for r in reps)
    assert width_report(net, D, 1)["width_vars"] >= min(N, D)


def _data(rng, net, D):
    return rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, net.m))


@pytest.mark.parametrize("name, bits, seeds", [("spec6", 2, 8), ("chain2", 2, 6),
                                               ("tree", 1, 4)])
def test_engine_equals_brute_force(name, bits, seeds):
    net = {"spec6": counterexample_network(), "chain2": chain_network(2, "relu"),
           "tree": tree_network("relu")}[name]
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        X, Y = _data(rng, net, 2 + seed % 2)
        phi, best = node_brute_force(net, "abs", X, Y, bits)
        method = "lp" if seed % 2 == 0 else "dp"
        res = train_node_formulation(net, "abs", X, Y, bits, method)
        assert res.objective == pytest.approx(best, abs=1e-12), (name, seed)
        # the LP's φ achieves its objective under the node-rounded semantics
        _, at = node_brute_force(net.fix_parameters(dict(enumerate(res.phi))), "abs", X, Y,
                                 bits) if net.N else (None, None)
        assert at == pytest.approx(res.objective, abs=1e-12)


def test_width_table_rows_are_consistent():
    for net in (counterexample_network(), chain_network(3), tree_network(), dense([2, 2, 1])):
        previous = -1
        for D in (1, 2, 4, 8):
            r = width_report(net, D, 2)
            assert r["lower_bound_vars"] == min(net.N, D)
            assert r["lower_bound_bits"] <= r["width_bits"] <= r["path_width_bits"]
            assert r["section3_width_bits"] == 2 * (net.n + net.m + net.N) - 1
            assert r["paper_valid"] == (D == 1 or r["tw_phi_graph"] + 1 == net.N)
            assert r["width_vars"] >= previous
            previous = r["width_vars"]


def test_lemma_5_2_breaks_on_a_long_chain():
    r = width_report(chain_network(6), 16, 1)
    assert (r["N"], r["lemma52_exponent_vars"]) == (14, 1 * 2 + 8 + 1 + 1)
    assert r["lower_exceeds_lemma52"] and r["width_vars"] >= 14 > r["lemma52_exponent_vars"]
    assert r["lower_exceeds_paper_width"]


@pytest.mark.parametrize("call, error, message", [
    (lambda: node_formulation(chain_network(1), "abs", 2, 9), InvalidInputError,
     r"^bits must be an integer in \[1, 8\]; got 9$"),
    (lambda: node_formulation(chain_network(1), "abs", 2, 2, [[0.5]], [[0.5]]),
     InvalidInputError, r"^X has 1 rows but the formulation has D=2$"),
    (lambda: node_brute_force(dense([3, 3, 1]), "abs", [[0, 0, 0]], [[0]], 2), TooLargeError,
     r"^brute force over 4\^16 grid points exceeds 4194304$"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_cli_json_and_training(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n0.5,-0.25,0.3\n-0.5,0.75,-0.1\n")
    assert main(["structure", "--arch", "spec6", "--samples", "1,2", "--bits", "2",
                 "--activation", "identity", "--data", str(data), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["D"] for r in d["rows"]] == [1, 2] and d["N"] == 4
    assert d["rows"][1]["paper_violation"].endswith("(property (i) of Definition 2.3)")
    assert d["training"]["agree"] and d["training"]["samples"] == 2
    assert main(["structure", "--arch", "2-1-1", "-D", "3", "--bits", "1"]) == 0
    assert "paper's construction: not a tree decomposition" in capsys.readouterr().out


def test_cli_bad_samples(capsys):
    assert main(["structure", "--arch", "spec6", "--samples", "0,x", "--bits", "2",
                 "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["message"] == (
        "--samples must be a positive integer or a comma-separated list of them, e.g. 1,2,4; "
        "got '0,x'")
