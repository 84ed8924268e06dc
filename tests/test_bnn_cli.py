"""``lptrain bnn``: JSON keys, the three solvers, the model file contract with predict,
human output and error messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lptrain.bnn import biu_errors, biu_network, exhaustive_search
from lptrain.cli import main
from lptrain.model_io import load_model


def _csv(tmp_path, X, Y, names=None):
    X, Y = np.asarray(X), np.asarray(Y)
    names = names or [f"x{j}" for j in range(X.shape[1])] + [f"y{j}" for j in range(Y.shape[1])]
    rows = [",".join(names)] + [",".join(str(int(v)) for v in r) for r in np.hstack([X, Y])]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _run_json(capsys, *argv):
    assert main(["bnn", *argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def _random(seed, widths, D):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, (D, widths[0])), rng.integers(0, 2, (D, widths[-1]))


@pytest.mark.parametrize("solver", ["lp", "mip", "exhaustive"])
def test_json_keys_and_optimum(tmp_path, capsys, solver):
    X, Y = _random(1, [3, 1, 2], 7)
    path = _csv(tmp_path, X, Y)
    d = _run_json(capsys, str(path), "--arch", "3-1-2", "--solver", solver)
    truth = exhaustive_search(biu_network([3, 1, 2]), X, Y)
    assert {"objective", "params", "seconds", "timings", "solver", "sizes", "certificate",
            "errors", "lower_bound", "lower_bound_kind", "upper_bound", "erm", "D"} <= set(d)
    assert d["upper_bound"] == d["erm"] == d["objective"] and d["D"] == 7
    assert d["solver"] == solver and d["objective"] == truth.objective
    assert len(d["params"]) == 8 and set(d["params"]) <= {-1, 1}
    assert d["seconds"] >= 0
    if solver == "lp":
        assert d["sizes"]["bag_bits"] == 3 + 2 + 8
        assert d["sizes"]["theorem_c1_stated"] == 2**3 * 6 * 7
        assert d["certificate"]["exact"] is True


def test_model_file_predicts_the_training_predictions(tmp_path, capsys):
    X, Y = _random(4, [2, 2, 1], 9)
    path = _csv(tmp_path, X, Y)
    model_path = tmp_path / "model.json"
    d = _run_json(capsys, str(path), "--arch", "2-2-1", "-o", str(model_path))
    model = load_model(model_path)
    assert model.loss == "hamming" and model.feature_names == ("x0", "x1")
    net = biu_network([2, 2, 1])
    levels = ((np.asarray(d["params"]) + 1) // 2)[None]
    errors, out = biu_errors(net, X, Y, levels)
    pred = model.predict(X.astype(float))
    np.testing.assert_array_equal(pred, out[0])
    assert int(errors[0]) == d["errors"] and model.training["objective"] == d["objective"]


def test_targets_option_and_human_output(tmp_path, capsys):
    X, Y = _random(2, [2, 1, 2], 5)
    path = _csv(tmp_path, X, Y)
    assert main(["bnn", str(path), "--arch", "2-1-2", "--targets", "2"]) == 0
    out = capsys.readouterr().out
    assert "objective (mean Hamming loss)" in out and "Theorem C.1 states" in out


@pytest.mark.parametrize("content, argv, message", [
    ("a,b,y\n0,1,1\n1,0.5,0\n", ["--arch", "2-1"],
     "data.csv must be binary (0 or 1): data row 2, column 'b' is 0.5"),
    ("a,b,y\n0,1,1\n1,0,maybe\n", ["--arch", "2-1"],
     "data.csv must be binary (0 or 1): data row 2, column 'y' is 'maybe'"),
    ("a,b,y\n0,1,1\n", ["--arch", "3-1"],
     "has 2 feature columns but --arch '3-1' has n=3 inputs"),
    ("a,b,y\n0,1,1\n", ["--arch", "2-1", "--targets", "2"],
     "--targets 2 but the architecture '2-1' has m=1 outputs; they must agree"),
    ("a,b,y\n0,1,1\n", ["--arch", "2-x"],
     "--arch '2-x': a BiU network is given by its layer widths n-w1-...-m, e.g. 2-2-1"),
    ("a,b,c,d,y\n0,1,1,1,1\n", ["--arch", "4-4-1", "--max-memory", "1MB"],
     "the limit is 0.000931 GiB: use a smaller network or fewer samples, or raise "
     "--max-memory"),
])
def test_errors(tmp_path, capsys, content, argv, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert main(["bnn", str(path), *argv, "--json"]) == 1
    captured = capsys.readouterr()
    assert message in json.loads(captured.out)["message"]
    assert message in captured.err


def test_lptrain_predict_applies_the_bnn_model(tmp_path, capsys):
    X, Y = _random(6, [2, 2, 1], 8)
    path = _csv(tmp_path, X, Y)
    model_path = tmp_path / "model.json"
    d = _run_json(capsys, str(path), "--arch", "2-2-1", "-o", str(model_path))
    if main(["predict", str(model_path), str(path), "--json"]) != 0:  # pragma: no cover
        pytest.skip("lptrain predict is not available in this checkout")
    pred = json.loads(capsys.readouterr().out)["predictions"]
    levels = ((np.asarray(d["params"]) + 1) // 2)[None]
    _, out = biu_errors(biu_network([2, 2, 1]), X, Y, levels)
    np.testing.assert_array_equal(np.asarray(pred), out[0])
