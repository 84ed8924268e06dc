"""``lptrain bounds``: JSON and human output, errors and exit codes."""

from __future__ import annotations

import json

import pytest

from lptrain.cli import main
from lptrain.nn import parse_arch
from lptrain.sizes import polytope_sizes

REQUIRED = ("n", "m", "N", "depth", "max_in_degree", "lipschitz", "bits", "levels", "epsilon",
            "bound_variables", "bound_constraints", "face_variables",
            "enumeration_evaluations")


def _json(capsys, *argv):
    assert main(["bounds", *argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def test_json_has_the_required_keys_and_exact_counts(capsys):
    d = _json(capsys, "--arch", "2-3-1", "--loss", "abs", "--samples", "100", "--bits", "3")
    assert set(REQUIRED) <= set(d)
    assert (d["n"], d["m"], d["N"], d["depth"], d["max_in_degree"]) == (2, 1, 13, 2, 3)
    assert d["lipschitz"] == 416.0 and d["levels"] == 8 and d["epsilon"] == 104.0
    sizes, _, _ = polytope_sizes(parse_arch("2-3-1"), "abs", 100, bits=3)
    for key, value in sizes.to_dict().items():
        if key != "D":
            assert d[key] == value and type(d[key]) is type(value), key
    assert d["bound_variables"] == 4 * 100 * 8**16 and d["variables"] <= d["bound_variables"]
    assert d["table1"]["expression"].startswith("O(")


def test_eps_regularizer_and_points(capsys):
    d = _json(capsys, "--arch", "resnet:1-2x1-1", "--loss", "quadratic", "-D", "10",
              "--eps", "5000", "--activation", "elu:0.5", "--regularizer", "l1:0.01",
              "--points", "7", "--method", "refined")
    assert d["epsilon"] <= 5000 and d["epsilon_requested"] == 5000
    assert d["regularizer"] == "l1:0.01" and d["lipschitz_method"] == "refined"
    assert d["data_informed"] and d["data_points"] == 7
    assert d["table_rows"] == 7 * d["phi_grid"]


def test_human_table(capsys):
    assert main(["bounds", "--arch", "conv1d:6-c1k3-1", "--loss", "hinge", "--samples", "5",
                 "--bits", "2"]) == 0
    out = capsys.readouterr().out
    for label in ("Lipschitz (§4, Definition 2.2)", "Main Theorem 3.1 bounds",
                  "enumeration_evaluations", "Table 1 (CNN, O(.) expression, not a count)"):
        assert label in out


@pytest.mark.parametrize("argv, message", [
    (["--arch", "2-x-1", "--bits", "3"],
     "--arch '2-x-1': expected layer widths separated by '-', e.g. 2-3-1"),
    (["--arch", "2-3-1", "--bits", "3", "--activation", "step"],
     "activation 'step' (node 2) is outside the Lipschitz theory of §4"),
    (["--arch", "2-3-1", "--bits", "3", "--activation", "elu:2"],
     "elu alpha must lie in (0, 1]"),
])
def test_errors_exit_1_with_message(capsys, argv, message):
    assert main(["bounds", "--loss", "abs", "--samples", "10", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"lptrain bounds: error: {message}")


def test_error_as_json(capsys):
    assert main(["bounds", "--arch", "2-3-1", "--loss", "hamming", "-D", "3", "--bits", "2",
                 "--json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["error"] == "OutsideTheoryError" and "hamming" in d["message"]


def test_eps_and_bits_are_exclusive(capsys):
    assert main(["bounds", "--arch", "2-1", "--loss", "abs", "-D", "3", "--bits", "2",
                 "--eps", "1"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert main(["bounds", "--arch", "2-3-1", "--loss", "abs", "-D", "3", "--eps", "-1"]) == 2
    assert ("lptrain bounds: error: argument --eps: expected a number > 0; got '-1'"
            in capsys.readouterr().err)
    for bits in ("0", "31"):  # the grid of §3.1 has 2**bits levels, bits in [1, 30]
        assert main(["bounds", "--arch", "2-3-1", "--loss", "abs", "-D", "3", "--bits",
                     bits]) == 2
        assert (f"argument --bits: expected an integer in [1, 30]; got '{bits}'"
                in capsys.readouterr().err)
