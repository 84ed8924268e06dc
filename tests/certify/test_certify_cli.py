"""``lptrain certify``: model files (stored scaling applied), foreign weights (.npz, .json,
PyTorch group names), JSON keys, human output and error messages."""

from __future__ import annotations

import json

import numpy as np
import pytest
from certify_zoo import smooth_data

from lptrain.cli import main
from lptrain.data import UnitScaler
from lptrain.model_io import ModelFile, save_model
from lptrain.nn import dense, empirical_risk

KEYS = ("lower_bound", "lower_bound_kind", "upper_bound", "gap", "erm", "status", "seconds",
        "history", "nodes")
PHI = np.array([-0.9, 0.0, 0.7, -0.6, 0.4])


@pytest.fixture()
def data(tmp_path):
    X, Y = smooth_data(80, seed=11)
    raw_x, raw_y = 3.0 * X + 1.0, 10.0 * Y - 2.0  # the user's units
    path = tmp_path / "data.csv"
    np.savetxt(path, np.c_[raw_x, raw_y], delimiter=",", header="a,b,t", comments="")
    return path, raw_x, raw_y


def _json(capsys, *argv):
    assert main(["certify", *argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def test_model_file_applies_the_stored_scaling(tmp_path, data, capsys):
    path, raw_x, raw_y = data
    sx, sy = UnitScaler.fit(raw_x), UnitScaler.fit(raw_y)
    model = tmp_path / "model.json"
    save_model(model, ModelFile(dense([2, 1, 1]), PHI, "abs", scaler_x=sx, scaler_y=sy))
    d = _json(capsys, str(model), str(path), "--gap", "0.01")
    assert set(KEYS) <= set(d) and d["lower_bound_kind"] == "a-posteriori"
    erm = empirical_risk(dense([2, 1, 1]), "abs", sx.transform(raw_x), sy.transform(raw_y),
                         PHI[None], backend="numpy")[0]
    assert d["upper_bound"] == d["erm"] == pytest.approx(erm, abs=1e-12)
    assert d["status"] == "target reached" and d["lower_bound"] <= d["best_value"]
    assert d["gap"] == pytest.approx(d["upper_bound"] - d["lower_bound"])
    assert "scaled" in d["units"] and d["params_in_box"] is True


@pytest.mark.parametrize("fmt", ["npz", "json", "groups"])
def test_foreign_weights(tmp_path, data, capsys, fmt):
    path = data[0]
    w = tmp_path / ("w.json" if fmt != "npz" else "w.npz")
    if fmt == "npz":
        np.savez(w, params=PHI)
    elif fmt == "json":
        w.write_text(json.dumps(PHI.tolist()))
    else:
        groups = {"layer1.weight": [[-0.9, 0.0]], "layer1.bias": [0.7],
                  "layer2.weight": [[-0.6]], "layer2.bias": [0.4]}
        w.write_text(json.dumps(groups))
    d = _json(capsys, str(w), str(path), "--arch", "2-1-1", "--loss", "abs", "--scale",
              "--gap", "0.02")
    assert d["params_value"] == d["upper_bound"] and d["gap"] <= d["upper_bound"]
    assert d["units"] == "scaled" and "--scale" in d["units_detail"]


def test_human_output(tmp_path, data, capsys):
    path = data[0]
    w = tmp_path / "w.npz"
    np.savez(w, PHI * 3)  # outside the box: said so
    assert main(["certify", str(w), str(path), "--arch", "2-1-1", "--loss", "abs", "--scale",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "certified lower bound" in out and "outside [-1, 1]^N" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--arch", "2-1-1"], "--loss is required with --arch"),
    (["--arch", "2-1-1", "--loss", "abs"], "X \\(from data.csv\\) must lie in \\[-1, 1\\].*"
                                          "pass --scale"),
    (["--arch", "2-3-1", "--loss", "abs", "--scale"], "holds 5 parameters but the network "
                                                      "has N=13"),
])
def test_messages(tmp_path, data, capsys, argv, message):
    w = tmp_path / "w.npz"
    np.savez(w, params=PHI)
    assert main(["certify", str(w), str(data[0]), *argv]) == 1
    err = capsys.readouterr().err
    assert __import__("re").search(message, err), err


def test_pickled_npz_is_refused(tmp_path, data, capsys):
    w = tmp_path / "w.npz"
    np.savez(w, params=np.array([object()], dtype=object))
    assert main(["certify", str(w), str(data[0]), "--arch", "2-1-1", "--loss", "abs"]) == 1
    assert ("is not a readable .npz file (truncated or corrupt: member 'params.npy' holds "
            "Python objects (dtype object), which would need pickle)") in capsys.readouterr().err


def test_lp_trained_model_reports_both_bounds(tmp_path, data, capsys):
    from lptrain.trainer import LPTrainer

    path, raw_x, raw_y = data
    model = tmp_path / "lp.json"
    LPTrainer(dense([2, 1, 1]), "abs", bits=2, scale=True, backend="numpy").fit(
        raw_x, raw_y.ravel()).save(model)
    d = _json(capsys, str(model), str(path), "--gap", "0.01")
    assert d["guarantee"] == 2 * d["epsilon"] and d["guarantee"] > 1.0 and d["bits"] == 2
    assert d["a_priori_lower_bound"] < d["lower_bound"]
    assert d["lower_bound_kind"] == "a-posteriori" and d["gap"] < d["guarantee"]
