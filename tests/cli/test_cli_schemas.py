"""One JSON schema: every command's ``--json`` output (reports and errors) validates against
its schema file, the schemas are strict (an unknown key or a wrong type is refused), and
the shared names mean the same thing in every command."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import jsonschema
import pytest
from cli_zoo import make_files, run_cli

from lptrain.cli import _COMMANDS
from lptrain.cli._schemas import load_schema, schema_names, validate_output

RUNS = {
    "train": "train ok.csv --arch 2-1 --loss abs --bits 2 --gap 0.5 -o m.json --plot fit.png",
    "predict": "predict model.json ok.csv -o pred.csv",
    "certify": "certify model.json ok.csv --gap 0.5",
    "build": "build --arch 2-1 --loss abs -D 3 --bits 1 -o p.npz --mps p.mps",
    "bounds": "bounds --arch 2-3-1 --loss abs -D 10 --bits 2 --alpha 0.1",
    "bnn": "bnn bin01.csv --arch 2-1 -o b.json",
    "achievable": "achievable one.csv --arch 1-1 --loss abs --bits 2 --target-loss 0.1",
    "structure": "structure --arch 1-1 -D 1,2 --bits 1 --data one.csv",
    "bo": "bo --instance maxcut-grid --size 3x4",
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The --json report of every command on small inputs (demo: see test_cli_train)."""
    folder = tmp_path_factory.mktemp("schemas")
    cwd = os.getcwd()
    make_files(folder)
    os.chdir(folder)
    os.environ["LPTRAIN_BACKEND"] = "numpy"
    out = {}
    try:
        for command, argv in RUNS.items():
            code, obj, _ = run_cli(argv.split())
            assert code == 0, obj
            out[command] = obj
    finally:
        os.environ.pop("LPTRAIN_BACKEND", None)
        os.chdir(cwd)
    return out


def test_every_command_has_a_schema_that_is_valid_json_schema():
    assert sorted(schema_names()) == sorted(_COMMANDS)
    for name in [*schema_names(), "common"]:
        jsonschema.Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize("command", sorted(RUNS))
def test_each_report_validates_and_the_schema_is_strict(reports, command):
    obj = reports[command]
    validate_output(command, obj)
    assert obj["command"] == command and isinstance(obj["seconds"], float)
    assert isinstance(obj["notes"], list)
    extra = {**obj, "an_unknown_key": 1}
    with pytest.raises(jsonschema.ValidationError):
        validate_output(command, extra)
    wrong = copy.deepcopy(obj)
    wrong["seconds"] = {"total": 1.0}  # the old shape: a dict
    with pytest.raises(jsonschema.ValidationError):
        validate_output(command, wrong)
    missing = {k: v for k, v in obj.items() if k != "notes"}
    with pytest.raises(jsonschema.ValidationError):
        validate_output(command, missing)


def test_errors_validate_and_are_strict():
    error = {"command": "train", "error": "InvalidInputError", "message": "x", "exit_code": 1}
    for command in schema_names():
        validate_output(command, error)
        with pytest.raises(jsonschema.ValidationError):
            validate_output(command, {**error, "exit_code": 0})
        with pytest.raises(jsonschema.ValidationError):
            validate_output(command, {**error, "traceback": "..."})


def test_shared_names_mean_one_thing(reports):
    train, certify, bnn = reports["train"], reports["certify"], reports["bnn"]
    # upper_bound is the ERM of the parameters the report is about, everywhere
    assert train["upper_bound"] == train["erm"]
    assert certify["upper_bound"] == certify["erm"] and bnn["upper_bound"] == bnn["erm"]
    assert train["a_priori_upper_bound"] >= train["lp_objective"]  # v̂ + ε, renamed
    # params are the parameters; D the number of samples; units a word
    for r in (train, certify, bnn, reports["build"], reports["bounds"], reports["predict"]):
        assert isinstance(r["D"], int) and r["D"] >= 1
    assert len(train["params"]) == train["N"] and len(certify["params"]) == certify["N"]
    assert train["units"] in ("data", "scaled") and certify["units"] in ("data", "scaled")
    # seconds: total wall time; timings: the stages, each shorter than the total
    for r in reports.values():
        assert all(v is None or 0 <= v <= r["seconds"] for v in r.get("timings", {}).values())
    # the a-posteriori run replaced the grid point: no stale grid index
    if train["params_source"] == "branch and bound":
        assert train["phi_index"] is None
    assert train["lower_bound_kind"] == "a-posteriori" and train["status"]
    assert train["output"] == "m.json" and train["plot"] == "fit.png"


def test_docs_table_lists_the_shared_names():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    for name in ("command", "seconds", "timings", "notes", "D", "n", "m", "N", "params",
                 "lower_bound", "lower_bound_kind", "upper_bound", "units", "output",
                 "error", "message", "exit_code", "signal", "result"):
        assert f"| `{name}` |" in doc, name
