"""Inputs that look hostile but are fine: accepted, with a note where something was adjusted,
and nothing lost (every data row kept, outputs finite, counts exact or clearly marked)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from cli_zoo import make_files, run_cli

from lptrain.model_io import load_model


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("accepted")
    cwd = os.getcwd()
    make_files(folder)
    os.chdir(cwd)
    return folder


@pytest.fixture(autouse=True)
def _in_zoo(zoo, monkeypatch):
    monkeypatch.chdir(zoo)
    monkeypatch.setenv("LPTRAIN_BACKEND", "numpy")


TRAIN = ["--arch", "2-1", "--loss", "abs", "--bits", "2"]


def test_values_a_hair_outside_the_box_are_clipped_with_a_note():
    code, d, err = run_cli(["train", "nearbox.csv", *TRAIN])
    assert code == 0 and d["D"] == 3
    assert d["notes"] == [
        "X (from nearbox.csv): 1 entry within 1e-12 outside [-1, 1] (largest "
        "1.0000000000000004 at row 0, column 0) clipped onto the box",
        "y (from nearbox.csv): 1 entry within 1e-12 outside [-1, 1] (largest "
        "-1.0000000000000004 at row 2, column 0) clipped onto the box"]
    code, d, _ = run_cli(["certify", "w.npz", "nearbox.csv", "--arch", "2-1", "--loss", "abs",
                          "--gap", "0.5"])
    assert code == 0 and len(d["notes"]) == 2


def test_human_mode_prints_the_notes_on_stderr(capsys):
    from lptrain.cli import main

    assert main(["train", "nearbox.csv", *TRAIN]) == 0
    err = capsys.readouterr().err
    assert err.count("note: ") == 2 and "clipped onto the box" in err


@pytest.mark.parametrize(("header", "rows", "names"), [
    ("no", 3, ["col0", "col1"]),        # a file without header: no row lost
    ("yes", 2, ["0.1", "0.2"]),         # numbers as column names, on request
])
def test_a_first_row_of_numbers_with_an_explicit_header_mode(header, rows, names):
    code, d, _ = run_cli(["train", "numhdr.csv", *TRAIN, "--header", header])
    assert code == 0 and d["D"] == rows and d["feature_names"] == names


def test_a_byte_order_mark_is_not_part_of_the_first_name():
    code, d, _ = run_cli(["train", "bom.csv", *TRAIN])
    assert code == 0 and d["feature_names"] == ["a", "b"]


def test_values_near_the_float_limit_scale_to_a_finite_map():
    code, d, _ = run_cli(["train", "huge.csv", *TRAIN, "--scale", "-o", "huge.json"])
    assert code == 0
    model = load_model("huge.json")
    assert np.isfinite(model.scaler_x.half_range).all()
    assert model.scaler_x.half_range[0] == 1e308  # (1e308 - (-1e308)) / 2, no overflow
    X = np.array([[1e308, 0.2], [-1e308, 0.5], [0.0, -0.2]])
    np.testing.assert_array_equal(model.scaler_x.transform(X)[:, 0], [1.0, -1.0, 0.0])
    code, p, _ = run_cli(["predict", "huge.json", "huge.csv"])
    assert code == 0 and np.isfinite(np.asarray(p["predictions"], float)).all()
    os.remove("huge.json")


def test_columns_are_matched_by_name_or_by_explicit_position():
    _, by_name, _ = run_cli(["predict", "model.json", "ok.csv"])
    _, swapped, _ = run_cli(["predict", "model.json", "swapped.csv"])  # b,a order, no target
    assert swapped["predictions"] == by_name["predictions"][:2]
    _, renamed, _ = run_cli(["predict", "model.json", "renamed.csv", "--by-position"])
    assert renamed["predictions"] == by_name["predictions"][:2]
    _, cert, _ = run_cli(["certify", "model.json", "renamed.csv", "--by-position", "--gap",
                          "0.5"])
    assert cert["D"] == 2


def test_astronomical_sizes_are_reported_not_crashed_on():
    code, d, _ = run_cli(["bounds", "--arch", "1-100000-1", "--loss", "abs", "-D", "3",
                          "--bits", "2"])
    assert code == 0 and d["N"] == 300001
    assert d["phi_grid"] == "3.9761e+180618"  # 4**300001, beyond a float: a string
    assert d["data_points"] == 16             # small counts stay exact integers


def test_the_lazy_solver_gets_a_default_time_limit_with_a_note():
    code, d, _ = run_cli(["train", "ok.csv", *TRAIN, "--solver", "lazy"])
    assert code == 0
    assert d["notes"] == ["--solver lazy runs with a time limit of 300 s (the default; set "
                          "--time-limit to change it)"]


def test_the_written_model_file_is_strict_json():
    code, d, _ = run_cli(["train", "ok.csv", *TRAIN, "-o", "strict.json"])
    assert code == 0
    json.loads(open("strict.json").read(), parse_constant=lambda name: 1 / 0)
    os.remove("strict.json")
