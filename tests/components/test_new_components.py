"""The components added through the registry alone — the shifted softplus and the Huber
loss — work everywhere: point, interval and affine kernels (sound box by box, both
backends), certificates; the multi-class hinge has a meaningful optimum; files that stored
the old hinge are refused with the reason."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from components_zoo import reference_losses

from lptrain._io import load_json, load_npz, save_json, save_npz
from lptrain.certify import BoxBounder, certify_erm
from lptrain.erm import ERMPolytope
from lptrain.errors import FileFormatError
from lptrain.model_io import ModelFile, load_model, save_model
from lptrain.nn import dense, empirical_risk, forward, grid_argmin, risk_interval

NEW = (dense([2, 2, 1], "softplus"), "huber:0.5", "l2:0.1")  # one kernel of each family


def _boxes(rng, N, B):
    c = rng.uniform(-1, 1, (B, N))
    w = rng.choice([0.0, 1e-6, 0.05, 0.4, 2.0], (B, 1)) * rng.uniform(0.5, 1, (B, N))
    return np.clip(c - w, -1, 1), np.clip(c + w, -1, 1)


def _reference_risk(net, loss, X, Y, phi, lam):
    out = forward(net, X, phi, backend="numpy")
    return np.array([reference_losses(loss, o, Y).mean() for o in out]) + lam * (
        phi * phi).sum(axis=1)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_softplus_and_huber_bounds_are_sound_box_by_box(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    net, loss, reg = NEW
    rng = np.random.default_rng(zlib.crc32(backend.encode()))
    X, Y = rng.uniform(-1, 1, (25, 2)), rng.uniform(-1, 1, (25, 1))
    lo, hi = _boxes(rng, net.N, 60)
    b = BoxBounder(net, loss, X, Y, reg, backend=backend)(lo, hi)
    ilo, ihi = risk_interval(net, loss, X, Y, lo, hi, reg, backend=backend)
    for s in range(25):
        pts = lo if s == 0 else hi if s == 1 else lo + rng.uniform(size=lo.shape) * (hi - lo)
        if s == 2:  # another corner
            pts = np.where(rng.uniform(size=lo.shape) < 0.5, lo, hi)
        risk = _reference_risk(net, loss, X, Y, pts, 0.1)
        assert np.allclose(empirical_risk(net, loss, X, Y, pts, reg, backend=backend), risk,
                           rtol=1e-12, atol=1e-12)
        assert np.all(b.lower <= risk) and np.all((ilo <= risk) & (risk <= ihi))
    assert np.allclose(b.value, _reference_risk(net, loss, X, Y, 0.5 * (lo + hi), 0.1),
                       rtol=1e-12, atol=1e-12)
    tight = hi - lo < 1e-5
    assert np.all(b.value[tight.all(axis=1)] - b.lower[tight.all(axis=1)] < 1e-4)
    if backend == "numba":
        a = BoxBounder(net, loss, X, Y, reg, backend="numpy")(lo, hi)
        assert np.allclose(a.lower, b.lower, rtol=1e-6, atol=1e-6)
        assert np.array_equal(a.split, b.split)


def test_parameters_are_part_of_the_kernel_identity():
    pytest.importorskip("numba")
    net = dense([1, 1], "identity")
    X, Y, phi = [[0.5], [-1.0]], [[0.0], [0.5]], [[1.0, 0.5]]
    got = {d: float(empirical_risk(net, f"huber:{d}", X, Y, phi, backend="numba")[0])
           for d in (0.25, 2.0)}
    want = {d: float(reference_losses(f"huber:{d}", np.array([[1.0], [-0.5]]),
                                      np.array(Y)).mean()) for d in (0.25, 2.0)}
    assert got == pytest.approx(want, rel=1e-14) and got[0.25] != got[2.0]


def test_softplus_and_huber_are_certifiable():
    net, loss, reg = dense([1, 2, 1], "softplus"), "huber:0.5", "l1:0.01"
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (40, 1))
    Y = np.clip(0.8 * np.sin(2 * X) + 0.05 * rng.normal(size=X.shape), -1, 1)
    cert = certify_erm(net, loss, X, Y, regularizer=reg, target_gap=0.01, time_limit=60,
                       progress=False)
    assert cert.status == "target reached" and cert.gap <= 0.01
    grid = grid_argmin(net, loss, X, Y, bits=3, regularizer=reg, backend="numba")
    # a sound lower bound: below the grid minimum (which is >= the true minimum)
    assert cert.lower_bound <= grid.value
    assert cert.upper_bound == pytest.approx(
        float(empirical_risk(net, loss, X, Y, cert.phi[None], reg, backend="numpy")[0]),
        rel=1e-12)


def test_multiclass_hinge_certified_optimum_classifies_separable_data():
    """Three classes at three corners of the square (a linear network, biases fixed at -1):
    the old max(1 - zᵀy, 0) is 0 at the constant network z = (-1, -1, -1); the per-output
    hinge costs 2 there, and every misclassified point costs >= 2, so a model certified
    within 2/D of the optimum classifies every point."""
    net = dense([2, 3], "identity").fix_parameters({6: -1.0, 7: -1.0, 8: -1.0})  # biases
    corners = np.array([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 3)
    X = np.clip(corners[labels] + rng.uniform(-0.05, 0.05, (9, 2)), -1, 1)
    Y = np.where(np.eye(3)[labels] > 0, 1.0, -1.0)
    constant = np.zeros(net.N)  # weights 0: z = (-1, -1, -1)
    assert float(np.maximum(1 - (-np.ones(3) * Y).sum(axis=1), 0).mean()) == 0.0  # old form
    assert float(empirical_risk(net, "hinge", X, Y, constant[None], backend="numpy")[0]) == 2.0
    cert = certify_erm(net, "hinge", X, Y, target_gap=0.05, time_limit=120, progress=False)
    assert cert.gap <= 0.05 and cert.upper_bound < 2.0 / len(X)
    pred = forward(net, X, cert.phi[None], backend="numpy")[0].argmax(axis=1)
    assert np.array_equal(pred, labels)


def test_format_1_files_with_the_old_multiclass_hinge_are_refused(tmp_path):
    old3 = ModelFile(dense([2, 3], "identity"), np.zeros(9), "hinge")
    path = save_model(tmp_path / "m.json", old3)
    assert load_model(path).loss == "hinge"  # format 2: today's hinge
    doc = load_json(path, kind="model", versions=[2])
    payload = {k: v for k, v in doc.items() if k not in ("kind", "format_version", "checksum")}
    v1 = save_json(tmp_path / "old.json", payload, kind="model", version=1)
    with pytest.raises(FileFormatError) as exc:
        load_model(v1)
    assert "max(1 - zᵀy, 0)" in str(exc.value) and "constant network" in str(exc.value)
    for net, loss in ((dense([2, 1]), "hinge"), (dense([2, 3]), "abs")):  # unchanged: loads
        payload["network"], payload["params"] = net.to_dict(), [0.0] * net.N
        payload["loss"] = loss
        assert load_model(save_json(tmp_path / f"{loss}.json", payload, kind="model",
                                    version=1)).loss == loss
    poly = ERMPolytope.build(dense([1, 2], "identity"), "hinge", samples=2, bits=1)
    saved = poly.save(tmp_path / "p.npz")
    arrays, meta = load_npz(saved, kind="polytope", versions=[2])
    meta = {k: v for k, v in meta.items() if k not in ("kind", "format_version", "checksum")}
    old = save_npz(tmp_path / "old.npz", arrays, meta, kind="polytope", version=1)
    with pytest.raises(FileFormatError, match="max\\(1 - zᵀy, 0\\)"):
        ERMPolytope.load(old)
    assert ERMPolytope.load(saved).sizes == poly.sizes
