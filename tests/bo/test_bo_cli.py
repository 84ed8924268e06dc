"""The ``lptrain bo`` command."""

from __future__ import annotations

import json

from lptrain.cli import main


def test_bo_json_prints_one_object(capsys):
    assert main(["bo", "--instance", "maxcut-grid", "--size", "3x6", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["width"] == 3 and report["n_vars"] == 18
    assert report["certificate"]["exact"] is True and report["gap"] <= 1e-9
    size, bound = report["lp_size"], report["bound"]
    assert all(size[k] <= bound[k] for k in ("variables", "constraints", "nonzeros"))


def test_bo_dp_human_output(capsys):
    assert main(["bo", "--instance", "mwis-path", "--size", "30", "--method", "dp"]) == 0
    out = capsys.readouterr().out
    assert "width         1" in out and "bound (Th2.8)" in out


def test_bo_bad_size_exits_1(capsys):
    assert main(["bo", "--instance", "maxcut-grid", "--size", "3by5"]) == 1
    assert "size for a grid must look like RxC" in capsys.readouterr().err


def test_bo_bad_size_json_error(capsys):
    assert main(["bo", "--instance", "maxcut-path", "--size", "x", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "InvalidInputError"
