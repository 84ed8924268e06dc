"""Issue 6 wired into the estimator, the face and the CLI: ``solver="lazy"``,
``target_gap`` / ``--gap`` (a-posteriori certificates) and their JSON keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "erm"))
from erm_zoo import exact_to_grid  # noqa: E402  (the test's own rounding, not lptrain's)

from lptrain.cli import main
from lptrain.erm import ERMPolytope
from lptrain.errors import InvalidInputError
from lptrain.nn import dense, empirical_risk, grid_argmin
from lptrain.trainer import LPTrainer


def _data(seed, D=40, n=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(D, n))
    y = np.tanh(2 * X[:, 0]) * 0.6 - 0.1 + 0.05 * rng.standard_normal(D)
    return X, np.clip(y, -1, 1)


@pytest.mark.parametrize("seed", range(4))
def test_lazy_face_solve_equals_structured_and_enumeration(seed):
    X, y = _data(seed, D=25)
    net = dense([1, 1, 1])
    poly = ERMPolytope.define(net, "abs", samples=len(X), bits=4)
    face = poly.face(X, y[:, None])
    lazy = face.solve("lazy")
    structured = face.solve("structured")
    brute = grid_argmin(net, "abs", exact_to_grid(X, 4), exact_to_grid(y[:, None], 4), 4,
                        backend="numpy")
    assert lazy.lp_value == pytest.approx(structured.lp_value, abs=1e-9)
    assert lazy.lp_value == pytest.approx(brute.value, abs=1e-9)
    assert lazy.solver == "lazy" and lazy.certificate.verified
    assert lazy.lower_bound <= lazy.lp_value - poly.epsilon + 1e-12


def test_face_cluster_only_for_lazy():
    X, y = _data(0, D=5)
    face = ERMPolytope.define(dense([1, 1]), "abs", samples=5, bits=2).face(X, y[:, None])
    with pytest.raises(InvalidInputError, match="cluster is used by solver='lazy' only"):
        face.solve("structured", cluster="tcp://127.0.0.1:1")


@pytest.mark.parametrize("seed", range(3))
def test_target_gap_gives_a_sound_a_posteriori_bound(seed):
    X, y = _data(seed, D=30)
    net = dense([1, 1, 1])
    model = LPTrainer(net, "abs", bits=3, target_gap=2e-3, time_limit=60,
                      progress=False).fit(X, y)
    cert = model.a_posteriori_
    assert cert is not None and cert.status == "target reached"
    assert model.lower_bound_kind_ == "a-posteriori"
    assert model.gap_ <= 2e-3 + 1e-12
    # the bound is below the ERM of every parameter vector we can find (a fine grid here)
    fine = grid_argmin(net, "abs", X, y[:, None], 6, backend="auto")
    assert model.lower_bound_ <= fine.value + 1e-12
    # the reported ERM is the true ERM of params_
    erm = empirical_risk(net, "abs", X, y[:, None], model.params_[None, :], backend="numpy")[0]
    assert model.erm_ == pytest.approx(erm, abs=1e-12)
    assert model.lower_bound_ >= model.certificate_.lower_bound  # never worse than a-priori
    assert model.erm_ <= model.certificate_.erm + 1e-15


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"target_gap": 0.0}, r"target_gap must be a finite number in \(0, inf\); got 0.0"),
    ({"target_gap": -1.0}, r"target_gap must be a finite number in \(0, inf\); got -1.0"),
    ({"target_gap": 0.1, "time_limit": 0}, r"time_limit must be a finite number in \(0, inf\)"),
])
def test_target_gap_errors(kwargs, match):
    X, y = _data(0, D=5)
    with pytest.raises(InvalidInputError, match=match):
        LPTrainer("1-1", "abs", bits=2, **kwargs).fit(X, y)


def test_cli_train_gap_json_keys(tmp_path, capsys):
    X, y = _data(5, D=40)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="x,y", comments="")
    assert main(["train", str(path), "--arch", "1-1-1", "--loss", "abs", "--bits", "8",
                 "--solver", "lazy", "--gap", "0.005", "--time-limit", "60", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["solver"] == "lazy" and out["lower_bound_kind"] == "a-posteriori"
    assert out["gap"] <= 0.005 + 1e-12
    assert out["gap"] == pytest.approx(out["erm"] - out["lower_bound"], abs=1e-12)
    hist = np.asarray(out["history"])
    assert hist.shape[1] == 3 and np.all(np.diff(hist[:, 1]) >= -1e-15)  # bounds only close
    assert out["status"] == "target reached"  # the CLI lifts the B&B status to the top
    assert out["a_priori_lower_bound"] < out["lower_bound"]
    assert main(["train", str(path), "--arch", "1-1-1", "--loss", "abs", "--bits", "3",
                 "--gap", "0.01"]) == 0
    human = capsys.readouterr().out
    assert "a-posteriori lower bound (B&B)" in human and "certified gap" in human
