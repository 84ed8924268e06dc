"""``lptrain build``: JSON keys, human table, saving, --points, the size guard."""

from __future__ import annotations

import json

import pytest

from lptrain.cli import main
from lptrain.erm import ERMPolytope

KEYS = ("variables", "constraints", "nonzeros", "bound_variables", "bound_constraints",
        "seconds", "timings", "epsilon", "lipschitz", "bits", "D", "output", "mps")


def _json(capsys, *argv):
    code = main(["build", *argv, "--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return code, json.loads(out)


def test_json_keys_counts_and_saved_file(capsys, tmp_path):
    code, d = _json(capsys, "--arch", "1-1", "--loss", "abs", "--samples", "10", "--bits",
                    "2", "-o", str(tmp_path / "p.npz"), "--mps", str(tmp_path / "p.mps"),
                    "--regularizer", "l1:0.01")
    assert code == 0 and set(KEYS) <= set(d) and d["command"] == "build"
    b = d
    assert set(b["timings"]) == {"evaluation", "assembly"} and b["D"] == 10
    poly = ERMPolytope.load(b["output"])
    assert (b["variables"], b["constraints"], b["nonzeros"]) == (
        poly.lp.n_cols, poly.lp.n_rows, poly.lp.nnz)
    assert b["variables"] <= b["bound_variables"] and b["within_bounds"]
    assert b["regularizer"] == "l1:0.01" and poly.regularizer is not None
    assert (tmp_path / "p.mps").read_text().startswith("NAME ERMPOLYTOPE")


def test_human_table_shows_counts_next_to_bounds(capsys):
    assert main(["build", "--arch", "2-1", "--loss", "hinge", "-D", "3", "--eps", "20"]) == 0
    out = capsys.readouterr().out
    for label in ("built", "Main Thm 3.1", "Thm 2.8 (engine)", "evaluation", "assembly"):
        assert label in out


def test_points_file(capsys, tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text("x,y\n0.1,0.0\n0.6,0.5\n-0.9,-1\n")
    code, d = _json(capsys, "--arch", "1-1", "--loss", "abs", "-D", "4", "--bits", "2",
                    "--points", str(csv))
    assert code == 0 and d["data_informed"] and d["data_points"] == 3
    assert d["table_rows"] == 3 * 16


def test_guard_refusal_is_a_json_error(capsys):
    code, d = _json(capsys, "--arch", "1-1", "--loss", "abs", "-D", "10", "--bits", "3",
                    "--max-memory", "1MiB")
    assert code == 1 and d["error"] == "TooLargeError"
    assert "the limit is 1.0 MiB" in d["message"] and "nonzeros" in d["message"]


@pytest.mark.parametrize("argv, message", [
    (["--arch", "1-1", "--loss", "abs", "-D", "2", "--bits", "2", "--max-memory", "lots"],
     "max memory must look like 4GiB"),
    (["--arch", "1-1", "--loss", "abs", "-D", "2", "--bits", "2", "--points", "/nonexistent"],
     "--points /nonexistent: no such file"),
])
def test_errors(capsys, argv, message):
    code, d = _json(capsys, *argv)
    assert code == 1 and message in d["message"]
