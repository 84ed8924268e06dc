"""``lptrain certify`` on models trained elsewhere (issue 12): a ``torch.save``d
``nn.Sequential`` state_dict, a fitted ``MLPRegressor`` saved as the docs say, ReLU weights
outside the box against their rescaled twin, ``--box R``, ``-o`` (the better model) and
``--plot``; and ``lptrain train --gap`` without a grid.

Oracles are computed here by hand (numpy forward passes, scikit-learn's own predictions),
never by the code under test. The box search (``--method boxes``) keeps the kernels few and
the runs short.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from cli_zoo import run_cli

from lptrain.model_io import load_model

RELU = np.array([3.0, -1.0, 0.5, 0.25, -0.1])  # 2-1-1: in (3, -1), bias 0.5; out 0.25, -0.1
#: Its twin inside the box, by hand: the hidden unit divided by s = 4 (the least power of two
#: >= max|θ_in| = 3), its outgoing weight multiplied by 4.
TWIN = np.array([0.75, -0.25, 0.125, 1.0, -0.1])


def _data(folder, name="data.csv", D=12):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    X = rng.uniform(-1, 1, (D, 2))
    y = 0.5 * np.abs(X[:, 0]) - 0.2 * X[:, 1]
    np.savetxt(folder / name, np.c_[X, y], delimiter=",", header="a,b,y", comments="")
    return X, y


def _relu_211(X, phi):
    """The 2-1-1 ReLU network by hand: phi = (w1, w2, b1, v, c)."""
    h = np.maximum(X @ phi[:2] + phi[2], 0.0)
    return phi[3] * h + phi[4]


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_torch_state_dict_outside_the_box_gets_its_rescaled_twins_certificate(here):
    torch = pytest.importorskip("torch")
    X, y = _data(here)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    with torch.no_grad():
        seq[0].weight[:] = torch.tensor(RELU[None, :2], dtype=torch.float32)
        seq[0].bias[:] = float(RELU[2])
        seq[2].weight[:] = float(RELU[3])
        seq[2].bias[:] = float(RELU[4])
    torch.save(seq.state_dict(), here / "sgd.pt")
    phi = np.array([*seq[0].weight.detach().double().numpy().ravel(),
                    *seq[0].bias.detach().double().numpy(),
                    *seq[2].weight.detach().double().numpy().ravel(),
                    *seq[2].bias.detach().double().numpy()])
    twin = phi.copy()
    twin[:3] /= 4.0
    twin[3] *= 4.0
    np.testing.assert_array_equal(twin[:4], TWIN[:4])
    np.savez(here / "twin.npz", params=twin)
    args = ["--arch", "2-1-1", "--loss", "abs", "--method", "boxes", "--gap", "0.05",
            "--time-limit", "60"]
    code, big, _ = run_cli(["certify", "sgd.pt", "data.csv", *args, "-o", "better.json"])
    assert code == 0, big
    code, small, _ = run_cli(["certify", "twin.npz", "data.csv", *args])
    assert code == 0, small
    # the state_dict was read as nn.Sequential names it, in PyTorch's (out, in) layout
    assert big["params"] == phi.tolist()
    want = np.mean(np.abs(_relu_211(X, phi) - y))
    assert big["erm"] == pytest.approx(want, rel=1e-12)
    assert big["rescaled"] is True and small["rescaled"] is None
    assert big["params_in_box"] is True and big["method"] == "boxes"
    for key in ("lower_bound", "best_value", "erm", "nodes", "status", "best_params"):
        assert big[key] == small[key], key
    assert big["lower_bound"] <= big["best_value"] <= big["erm"]
    # -o: the best model found, as a model file whose ERM is the reported best value
    better = load_model(here / "better.json")
    best = np.asarray(big["best_params"])
    np.testing.assert_array_equal(better.params, best)
    assert np.mean(np.abs(_relu_211(X, best) - y)) == pytest.approx(big["best_value"],
                                                                    rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(better.predict(X)[:, 0], _relu_211(X, best), rtol=1e-12)
    assert big["output"] == "better.json" and better.training["lower_bound"] == big[
        "lower_bound"]
    assert oct((here / "better.json").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask():
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_fitted_mlp_regressor_saved_as_the_docs_say_is_certified(here):
    pytest.importorskip("sklearn")
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    from lptrain.convert import from_sklearn

    rng = np.random.default_rng(zlib.crc32(b"mlp-cli"))
    X = rng.uniform(20, 80, (16, 1))                       # raw units, outside [-1, 1]
    y = 100 + 3 * np.maximum(X[:, 0] - 45, 0) + rng.normal(0, 5, 16)
    np.savetxt(here / "raw.csv", np.c_[X, y], delimiter=",", header="age,cost", comments="")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPRegressor(hidden_layer_sizes=(1,), max_iter=500, random_state=0).fit(X, y)
    from_sklearn(mlp, X, y).save(here / "mlp.json")        # docs/usage.md
    code, r, _ = run_cli(["certify", "mlp.json", "raw.csv", "--method", "boxes", "--gap",
                          "0.05", "--time-limit", "60", "--plot", "cert.png", "-o", "b.json"])
    assert code == 0, r
    assert r["units"] == "scaled" and r["loss"] == "quadratic"
    # the model's ERM in the data's units is scikit-learn's own mean squared error
    mse = float(np.mean((mlp.predict(X) - y) ** 2))
    du = r["data_units"]
    h = (y.max() - y.min()) / 2
    assert du["factor"] == pytest.approx(h ** 2, rel=1e-12)
    assert du["erm"] == pytest.approx(mse, rel=1e-9)
    assert du["lower_bound"] == pytest.approx(r["lower_bound"] * h ** 2, rel=1e-12)
    assert du["best_value"] == pytest.approx(r["best_value"] * h ** 2, rel=1e-12)
    assert r["lower_bound"] <= r["best_value"] <= r["erm"] + 1e-12
    assert (here / "cert.png").read_bytes()[:4] == b"\x89PNG" and r["plot"] == "cert.png"
    # the better model predicts raw costs; its squared error is the certified best value
    better = load_model(here / "b.json")
    pred = better.predict(X)[:, 0]
    assert np.mean((pred - y) ** 2) == pytest.approx(du["best_value"], rel=1e-9)


def test_box_R_certifies_weights_no_rescaling_can_move(here):
    rng = np.random.default_rng(zlib.crc32(b"box-R"))
    x = rng.uniform(-0.3, 0.3, 10)
    y = 3.0 * x + 0.05 * rng.standard_normal(10)           # slope 3: outside [-1, 1]
    np.savetxt(here / "line.csv", np.c_[x, y], delimiter=",", header="x,y", comments="")
    (here / "w.json").write_text("[3.0, 0.0]")
    base = ["certify", "w.json", "line.csv", "--arch", "1-1", "--loss", "abs", "--gap",
            "0.002", "--method", "boxes", "--time-limit", "60"]
    code, unit, _ = run_cli(base)
    assert code == 0, unit
    code, wide, _ = run_cli([*base, "--box", "4", "-o", "b.json"])
    assert code == 0, wide
    assert unit["params_in_box"] is False and unit["rescaled"] is False
    assert wide["params_in_box"] is True and wide["box"] == 4.0
    assert wide["domain"] == "[-4, 4]^N" and unit["domain"] == "[-1, 1]^N"
    # the lower bound over [-4, 4]^2 is below the ERM of every sampled point of that box
    A = rng.uniform(-4, 4, (4000, 2))
    sampled = np.mean(np.abs(A[:, :1] * x[None, :] + A[:, 1:] - y[None, :]), axis=1)
    assert wide["lower_bound"] <= sampled.min()
    assert wide["lower_bound"] <= wide["best_value"] <= wide["erm"] + 1e-15
    assert wide["best_gap"] <= 0.002 + 1e-12 and wide["status"] in ("target reached",
                                                                 "exceeds target")
    # the unit box cannot fit slope 3: its best value stays far above the wide box's
    assert unit["best_value"] > wide["best_value"] + 0.1
    best = np.asarray(wide["best_params"])
    assert np.max(np.abs(best)) <= 4.0
    phi = load_model(here / "b.json").params
    np.testing.assert_array_equal(phi, best)
    assert np.mean(np.abs(phi[0] * x + phi[1] - y)) == pytest.approx(wide["best_value"],
                                                                    rel=1e-9)


def test_train_gap_without_a_grid(here):
    X, y = _data(here, "small.csv", D=10)
    code, r, _ = run_cli(["train", "small.csv", "--arch", "2-1", "--loss", "abs", "--gap",
                          "0.05", "--time-limit", "30", "--plot", "t.png", "-o", "m.json"])
    assert code == 0, r
    assert r["bits"] is None and r["epsilon"] is None and r["lp_objective"] is None
    assert r["lower_bound_kind"] == "a-posteriori" and r["gap"] <= 0.05 + 1e-12
    phi = np.asarray(r["params"])
    assert r["erm"] == pytest.approx(np.mean(np.abs(X @ phi[:2] + phi[2] - y)), rel=1e-12)
    assert r["history"] and (here / "t.png").read_bytes()[:4] == b"\x89PNG"
    assert r["data_units"]["factor"] == 1.0
