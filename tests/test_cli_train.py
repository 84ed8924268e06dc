"""``lptrain train``, ``predict`` and ``demo``: JSON, files, plots, malformed input, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lptrain.cli import main
from lptrain.cli._schemas import validate_output

TRAIN_KEYS = ("params", "lp_objective", "erm", "epsilon", "lower_bound", "lower_bound_kind",
              "upper_bound", "a_priori_upper_bound", "solver", "seconds", "timings",
              "certificate", "sizes", "bits", "lipschitz", "n", "m", "N", "D", "units")


@pytest.fixture(autouse=True)
def _numpy_backend(monkeypatch):
    # tiny problems: skip numba compilation in tests
    monkeypatch.setenv("LPTRAIN_BACKEND", "numpy")


def _json(capsys, argv, code=0):
    assert main(argv) == code
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return json.loads(out)


def _write(path, text):
    path.write_text(text)
    return str(path)


@pytest.fixture
def line_csv(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(10, 20, 8)
    rows = "\n".join(f"{a:.3f},{b:.3f},{2 * a + 1:.3f}" for a, b in
                     zip(x, rng.uniform(0, 1, 8), strict=True))
    return _write(tmp_path / "line.csv", "size,noise,price\n" + rows + "\n")


def test_train_json_model_and_predict_round_trip(tmp_path, capsys, line_csv):
    model = tmp_path / "model.json"
    d = _json(capsys, ["train", line_csv, "--arch", "2-1", "--loss", "abs", "--bits", "2",
                       "--scale", "-o", str(model), "--json"])
    assert set(TRAIN_KEYS) <= set(d)
    assert d["lower_bound_kind"] == "a-priori" and d["units"] == "scaled"
    assert d["lower_bound"] == pytest.approx(d["lp_objective"] - d["epsilon"])
    assert d["solver"] == "structured" and d["certificate"]["verified"] is True
    assert (d["n"], d["m"], d["N"], d["D"]) == (2, 1, 3, 8) and len(d["params"]) == 3
    assert d["output"] == str(model) and d["command"] == "train"
    assert d["upper_bound"] == d["erm"]  # the ERM of the returned parameters
    assert d["a_priori_upper_bound"] == pytest.approx(d["lp_objective"] + d["epsilon"])
    assert isinstance(d["seconds"], float) and d["seconds"] >= d["timings"]["face"]
    p = _json(capsys, ["predict", str(model), line_csv, "--json"])
    assert len(p["predictions"]) == 8 and all(len(r) == 1 for r in p["predictions"])
    # columns are chosen by name: a CSV with the features in another order and no target
    data = np.loadtxt(line_csv, delimiter=",", skiprows=1)
    swapped = _write(tmp_path / "swapped.csv", "noise,size\n" + "\n".join(
        f"{b},{a}" for a, b in data[:, :2].tolist()) + "\n")
    q = _json(capsys, ["predict", str(model), swapped, "--json"])
    np.testing.assert_allclose(q["predictions"], p["predictions"])
    # CSV output, to stdout and to a file
    assert main(["predict", str(model), line_csv]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "price" and len(lines) == 9
    assert float(lines[1]) == pytest.approx(p["predictions"][0][0])
    assert main(["predict", str(model), line_csv, "-o", str(tmp_path / "pred.csv")]) == 0
    assert (tmp_path / "pred.csv").read_text().splitlines() == lines
    # --eps picks the bits: L = 2·6 = 12 for 2-1 with the absolute loss (§4), so
    # bits = ceil(log2(2L/eps)) = 3 and the grid achieves eps = 2L/2**3 = 3
    e = _json(capsys, ["train", line_csv, "--arch", "2-1", "--loss", "abs", "--eps", "3",
                       "--scale", "--json"])
    assert (e["bits"], e["epsilon"], e["lipschitz"]) == (3, 3.0, 12.0)


def test_train_human_output_plot_and_highs(tmp_path, capsys, line_csv):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "fit.png"
    assert main(["train", line_csv, "--arch", "2-1", "--loss", "quadratic", "--bits", "1",
                 "--scale", "--solver", "highs", "--target", "price", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "certificate:" in out and "lower bound on the global ERM optimum" in out
    assert "a-priori" in out and "verified independently" in out
    assert f"plot written to {plot}" in out and plot.stat().st_size > 1000


def test_classification_with_labels(tmp_path, capsys):
    csv = _write(tmp_path / "cls.csv",
                 "a,label\n-0.9,no\n-0.6,no\n0.6,yes\n0.9,yes\n")
    model = tmp_path / "m.json"
    d = _json(capsys, ["train", csv, "--arch", "1-1", "--loss", "hinge", "--bits", "3",
                       "-o", str(model), "--json"])
    assert d["classes"] == ["no", "yes"] and d["score"] == 1.0 and d["units"] == "data"
    p = _json(capsys, ["predict", str(model), csv, "--json"])
    assert p["predictions"] == [["no"], ["no"], ["yes"], ["yes"]]


@pytest.mark.parametrize("text, message", [
    ("a,b,y\n0.1,0.2,0.3\n0.1,0.2\n", "data row 2 (line 3) has 2 columns but the header has 3"),
    ("a,b,y\n0.1,abc,0.3\n", "data row 1, column 'b': cannot parse 'abc' as a number"),
    ("a,b,y\n0.1,nan,0.3\n", "X (from bad.csv) contains NaN in row 0 (column 1)"),
    ("", "is empty; expected a header row and at least one data row"),
    ("a,b,y\n", "has a header but no data rows"),
    ("a,b,y\n0.1,0.2,0.3\n0.1,5,0.3\n", "must lie in [-1, 1] (the paper's normalization); "
                                         "entry at row 1 (column 1) is 5.0; pass --scale"),
])
def test_malformed_csv(tmp_path, capsys, text, message):
    csv = _write(tmp_path / "bad.csv", text)
    assert main(["train", csv, "--arch", "2-1", "--loss", "abs", "--bits", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lptrain train: error: ") and message in err


def test_errors_name_the_fix(tmp_path, capsys, line_csv):
    args = ["--arch", "2-1", "--loss", "abs", "--bits", "1"]
    assert main(["train", line_csv, *args]) == 1
    assert "--scale" in capsys.readouterr().err
    assert main(["train", line_csv, *args, "--target", "cost", "--scale"]) == 1
    assert "target 'cost' is not a column of" in capsys.readouterr().err
    assert main(["train", line_csv, "--arch", "3-1", "--loss", "abs", "--bits", "1",
                 "--scale"]) == 1
    assert "X has 2 columns but the network has 3 inputs (n=3)" in capsys.readouterr().err
    d = _json(capsys, ["train", line_csv, "--arch", "2-1", "--loss", "abs", "--scale",
                       "--json"], code=1)
    assert d["error"] == "InvalidInputError" and d["message"] == (
        "give the grid: --bits B or --eps E (§3.1), or --polytope FILE written by lptrain build")


def test_predict_refuses_tampered_model_and_wrong_columns(tmp_path, capsys, line_csv):
    model = tmp_path / "model.json"
    assert main(["train", line_csv, "--arch", "2-1", "--loss", "abs", "--bits", "1",
                 "--scale", "-o", str(model), "--quiet"]) == 0
    capsys.readouterr()
    doc = json.loads(model.read_text())
    doc["params"][0] = 0.123
    model.write_text(json.dumps(doc))
    assert main(["predict", str(model), line_csv]) == 1
    assert "fails its checksum: the file was modified or damaged" in capsys.readouterr().err
    assert main(["train", line_csv, "--arch", "2-1", "--loss", "abs", "--bits", "1",
                 "--scale", "-o", str(model), "--quiet"]) == 0
    capsys.readouterr()
    other = _write(tmp_path / "other.csv", "p,q,r\n0.1,0.2,0.3\n")
    assert main(["predict", str(model), other]) == 1
    err = capsys.readouterr().err
    assert ("has columns ['p', 'q', 'r'] but the model was trained on ['size', 'noise']; "
            "['size', 'noise'] are not in the header: rename the columns, or pass "
            "--by-position to use the first 2 columns in order") in err


def test_predict_a_hand_written_model_file(tmp_path, capsys):
    from lptrain.model_io import ModelFile, save_model
    from lptrain.nn import dense

    path = save_model(tmp_path / "step.json",
                      ModelFile(dense([2, 1], "step", "step"), np.array([1.0, 1.0, -1.0]),
                                "hamming"))
    csv = _write(tmp_path / "x.csv", "u,v\n1,1\n0,0\n")
    d = _json(capsys, ["predict", str(path), csv, "--json"], code=1)
    assert d["message"] == ("the model has no feature names, so the columns of " + csv
                            + " cannot be matched by name; pass --by-position to use its "
                            "first 2 columns (n=2) in order")
    p = _json(capsys, ["predict", str(path), csv, "--by-position", "--json"])
    assert p["predictions"] == [[1.0], [0.0]]


def test_demo_quick(tmp_path, capsys, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.delenv("LPTRAIN_BACKEND")  # the main job runs on the default (fast) kernels
    d = _json(capsys, ["demo", "--quick", "--json", "--out-dir", str(tmp_path)])
    validate_output("demo", d)
    tr, en = d, d["enumeration"]
    assert set(TRAIN_KEYS) <= set(tr) and tr["bits"] == 2 and tr["D"] == 442
    assert en["same_value"] and en["value"] == pytest.approx(tr["lp_objective"], abs=1e-9)
    assert en["configurations"] == 4**7
    if "skipped" not in d["sgd"]:
        assert d["sgd"]["erm"] > 0 and d["sgd"]["restarts"] == 2
    if d.get("plot"):
        assert (tmp_path / "lptrain-demo.png").stat().st_size > 1000
    assert main(["demo", "--quick", "--no-sgd", "--no-plot", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "the LP found the exact optimum over the grid" in out
    assert "a-posteriori lower bound (B&B)" in out and "certified gap" in out
    assert d["lower_bound_kind"] == "a-posteriori" and d["gap"] <= 0.05 + 1e-9
