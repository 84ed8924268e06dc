"""Every script in examples/ runs, on a reduced size, and says what it should."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SMALL = ["--samples", "40", "--max-open", "300", "--time-limit", "10"]


def _load(name):
    sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _numpy_kernels(monkeypatch):
    # each example builds its own networks; numba would compile kernels for each of them
    monkeypatch.setenv("LPTRAIN_BACKEND", "numpy")


def _sound(model):
    assert model.lower_bound_ <= model.erm_ + 1e-12 and model.gap_ >= -1e-12
    post = model.a_posteriori_
    assert post.status in ("target reached", "time limit", "node limit", "exhausted")
    assert np.all(np.diff(np.asarray(post.history)[:, 1]) >= -1e-15)  # bounds only close


def test_every_example_has_a_test():
    scripts = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    tested = {"train_diabetes", "certify_mlp_diabetes", "classify_breast_cancer",
              "classify_iris", "classify_wine", "bo_maxcut_grid", "bo_worked_example"}
    assert scripts == tested


def test_train_diabetes(tmp_path, capsys):
    out = _load("train_diabetes").main(
        [*SMALL, "--bits", "2", "--out", str(tmp_path / "m.json"),
         "--plot", str(tmp_path / "fit.png")])
    grid, free = out["grid"], out["free"]
    assert grid.certificate_.certificate.verified and grid.lower_bound_kind_ == "a-priori"
    _sound(free)
    du = free.data_units_
    err = np.mean(np.abs(free.predict(out["X"]) - out["y"]))
    assert du["erm"] == pytest.approx(err, rel=1e-9)  # the data-unit ERM is the real one
    assert out["model"].exists() and out["plot"].exists()
    assert out.get("torch_same", True)
    assert "in the data's units" in capsys.readouterr().out


def test_certify_mlp_diabetes(capsys):
    out = _load("certify_mlp_diabetes").main([*SMALL, "--seeds", "0"])
    row = out["rows"][0]
    cert = row["cert"]
    assert cert.lower_bound <= cert.best_value <= cert.upper_bound + 1e-12
    assert row["rescaled"] is False or row["in_box"]
    assert "gap: scaled, data units" in capsys.readouterr().out


def test_classify_breast_cancer(tmp_path):
    out = _load("classify_breast_cancer").main([*SMALL, "--plot", str(tmp_path / "b.png")])
    clf = out["model"]
    _sound(clf)
    assert clf.score(out["X"], out["y"]) > 0.6 and out["plot"].exists()
    assert set(clf.classes_) == {"benign", "malignant"}


@pytest.mark.parametrize("name", ["classify_iris", "classify_wine"])
def test_three_classes(name, tmp_path):
    out = _load(name).main([*SMALL, "--plot", str(tmp_path / "p.png")])
    for loss in ("cross_entropy", "hinge"):
        clf = out[loss]
        _sound(clf)
        assert len(clf.classes_) == 3 and clf.network_.m == 3
        assert out[f"plot_{loss}"].exists()
    # cross-entropy learns something on these easy features (hinge: see docs/usage.md)
    assert out["cross_entropy"].score(out["X"], out["y"]) > 0.5


def test_bo_examples(capsys):
    _load("bo_maxcut_grid").main(4)
    _load("bo_worked_example").main()
    text = capsys.readouterr().out
    assert "max cut weight" in text and "certified gap" in text
