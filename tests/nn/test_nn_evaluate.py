"""Batched evaluation: numba kernels, numpy fallback and the scalar reference agree."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from nn_zoo import build, random_data, reference_matrix, reference_outputs

from lptrain import kernels
from lptrain.discretize import GridRange, grid_points
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import (
    Node,
    dag,
    dense,
    empirical_risk,
    forward,
    get_regularizer,
    grid_argmin,
    grid_risk,
    loss_matrix,
    resolve_backend,
)

pytestmark = pytest.mark.skipif(not kernels.numba_available(), reason="numba missing")


def _biu():
    # two BiUs and a BiU on top, with thresholds as parameters (bias coefficient -1)
    return dag(2, [Node.make([(0, 0), (1, 1)], (2, -1.0), "step"),
                   Node.make([(0, 3), (1, 4)], (5, -1.0), "step"),
                   Node.make([(2, 6), (3, 7)], (8, -1.0), "step")], [4])


# (network, loss, regularizer): few enough kernels to keep compilation short, together
# covering every activation, loss and architecture feature.
CASES = {
    "dag-hardtanh-abs-constraint": (
        build("dag", "hard_tanh", m=2).with_constraint([[1.0, 1.0, 0, 0, 0, 0]], [0.5]),
        "abs", "l1:0.1"),
    "resnet-elu-ce": (build("resnet", "elu:0.5", m=2), "cross_entropy", None),
    "conv1d-leaky-hinge": (build("conv1d", "leaky_relu:0.2", m=1), "hinge", "l2:0.2"),
    "fixed-tanh-quadratic": (build("fixed", "tanh", m=1), "quadratic", None),
    "biu-step-hamming": (_biu(), "hamming", None),
    "dense-relu-abs": (dense([2, 1, 1]), "abs", None),
}


def _data(net, loss, seed=0):
    X, Y, phi = random_data(net, 7, 5, seed)
    if loss == "hamming":
        X, Y = np.sign(X) * (np.abs(X) > 0.3), (Y > 0).astype(float)
    return X, Y, phi


@pytest.mark.parametrize("case", CASES)
def test_backends_agree_with_reference(case):
    net, loss, reg = CASES[case]
    X, Y, phi = _data(net, loss)
    ref = reference_matrix(net, loss, X, Y, phi)
    risk_ref = ref.mean(axis=0) + (get_regularizer(reg)(phi) if reg else 0.0)
    risk_ref = np.where(net.feasible(phi), risk_ref, np.inf)
    for backend in ("numpy", "numba"):
        lm = loss_matrix(net, loss, X, Y, phi, backend=backend)
        assert lm.shape == (7, 5) and lm.flags.c_contiguous
        assert np.allclose(lm, ref, rtol=1e-12, atol=1e-12)
        risk = empirical_risk(net, loss, X, Y, phi, reg, backend=backend)
        assert np.array_equal(np.isinf(risk), np.isinf(risk_ref))
        assert np.allclose(risk, risk_ref, rtol=1e-12, atol=1e-12)
        out = forward(net, X, phi, backend=backend)
        want = [[reference_outputs(net, x, p) for x in X] for p in phi]
        assert np.allclose(out, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_grid_ranges_agree_with_explicit_points(case):
    net, loss, reg = CASES[case]
    X, Y, _ = _data(net, loss, seed=1)
    bits = 1 if net.N > 8 else 2
    total = 2 ** (bits * net.N)
    start, stop = total // 3, min(total // 3 + 40, total)
    pts = grid_points(net.N, bits, start, stop)
    rng = GridRange(bits, start, stop)
    explicit = loss_matrix(net, loss, X, Y, pts, backend="numpy")
    for backend in ("numpy", "numba"):
        assert np.allclose(loss_matrix(net, loss, X, Y, rng, backend=backend), explicit,
                           rtol=1e-12, atol=1e-12)
        assert np.allclose(forward(net, X, rng, backend=backend),
                           forward(net, X, pts, backend="numpy"), rtol=1e-12, atol=1e-12)
    a = grid_risk(net, loss, X, Y, bits, start, stop, reg, backend="numpy")
    b = grid_risk(net, loss, X, Y, bits, start, stop, reg, backend="numba")
    assert np.array_equal(np.isinf(a), np.isinf(b))
    assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
    ra = grid_argmin(net, loss, X, Y, bits, start=start, stop=stop, regularizer=reg,
                     backend="numpy")
    rb = grid_argmin(net, loss, X, Y, bits, start=start, stop=stop, regularizer=reg,
                     backend="numba", chunk=7)
    assert ra.value == pytest.approx(rb.value, rel=1e-12, abs=1e-12)
    assert a[rb.index - start] == pytest.approx(a.min(), rel=1e-12, abs=1e-12)


def test_grid_argmin_is_the_section_3_4_enumeration():
    net, loss, _ = CASES["dense-relu-abs"]
    X, Y, _ = _data(net, loss, seed=2)
    bits = 2
    pts = grid_points(net.N, bits)
    brute = reference_matrix(net, loss, X, Y, pts).mean(axis=0)
    seen = []
    r = grid_argmin(net, loss, X, Y, bits, chunk=100, progress=lambda d, t: seen.append((d, t)))
    assert r.index == int(np.argmin(brute)) or brute[r.index] == pytest.approx(brute.min())
    assert r.value == pytest.approx(brute.min(), rel=1e-12)
    assert np.array_equal(r.phi, pts[r.index]) and r.evaluated == len(pts) == 4**5
    assert seen[-1] == (1024, 1024) and len(seen) == 11


def test_infeasible_grid_points_are_skipped():
    net = dense([1, 1]).with_constraint([[1.0, 0.0]], [-0.75])  # only φ0 = -1 allowed
    X, Y = np.array([[0.5]]), np.array([[0.25]])
    risk = grid_risk(net, "abs", X, Y, bits=2, backend="numpy")
    assert np.isinf(risk[4:]).all() and np.isfinite(risk[:4]).all()
    r = grid_argmin(net, "abs", X, Y, bits=2, backend="numpy")
    assert r.phi[0] == -1.0


def test_numpy_backend_chunks_to_memory_budget():
    net = build("deep", "tanh", m=2)
    X, Y, phi = random_data(net, 300, 40, seed=4)
    full = loss_matrix(net, "quadratic", X, Y, phi, backend="numpy")
    small = loss_matrix(net, "quadratic", X, Y, phi, backend="numpy", max_memory=2**16)
    assert np.array_equal(full, small)
    assert np.allclose(empirical_risk(net, "quadratic", X, Y, phi, backend="numpy",
                                      max_memory=2**16), full.mean(axis=0), rtol=1e-13)


def test_auto_backend_falls_back_to_numpy(monkeypatch):
    monkeypatch.setattr(kernels, "numba_available", lambda: False)
    monkeypatch.delenv("LPTRAIN_BACKEND", raising=False)
    assert resolve_backend("auto") == "numpy"
    with pytest.raises(InvalidInputError, match="backend='numba' needs numba"):
        resolve_backend("numba")
    monkeypatch.setenv("LPTRAIN_BACKEND", "numpy")
    assert resolve_backend() == "numpy"


def test_numpy_path_runs_without_numba():
    code = ("import sys; sys.modules['numba'] = None\n"
            "from lptrain.nn import dense, empirical_risk, resolve_backend\n"
            "assert resolve_backend() == 'numpy'\n"
            "print(empirical_risk(dense([1, 1]), 'abs', [[0.5]], [[0.0]], [[1.0, 0.0]])[0])")
    env = {**os.environ, "LPTRAIN_BACKEND": "auto"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == "0.5"


def test_generated_kernels_are_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("LPTRAIN_CACHE_DIR", str(tmp_path))
    net = dense([1, 1], output_activation="hard_tanh")
    out = forward(net, [[0.5]], [[1.0, 0.75]], backend="numba")
    assert out[0, 0, 0] == 1.0
    files = list(tmp_path.glob("k_*.py"))
    assert len(files) == 1 and "def forward(" in files[0].read_text()
    assert list((tmp_path / "__pycache__").glob("*.nbi"))  # numba's on-disk cache


@pytest.mark.parametrize("call, message", [
    (lambda n: forward(n, np.zeros((4, 3)), np.zeros((1, 3))),
     "X has 3 columns but the network has 2 inputs (n=2)"),
    (lambda n: loss_matrix(n, "abs", np.zeros((4, 2)), np.zeros((4, 2)), np.zeros((1, 3))),
     "Y has 2 columns but the network has 1 output (m=1)"),
    (lambda n: loss_matrix(n, "abs", np.zeros((4, 2)), np.zeros((3, 1)), np.zeros((1, 3))),
     "Y has 3 rows but X has 4 (one label row per data point)"),
    (lambda n: forward(n, np.zeros((4, 2)), np.zeros((2, 4))),
     "phi has 4 columns but the network has 3 free parameters (N=3)"),
    (lambda n: forward(n, [[0.0, np.nan]], np.zeros((1, 3))), "X contains NaN in row 0 (column 1)"),
    (lambda n: forward(n, np.zeros((1, 2)), GridRange(2, 0, 100)),
     "grid range stop=100 exceeds the grid size 64 (K**N with K=2**2, N=3)"),
    (lambda n: forward(n, np.zeros((1, 2)), [[0.0, 0.0, 0.0]], backend="gpu"),
     "backend must be one of 'auto', 'numba', 'numpy'; got 'gpu'"),
])
def test_input_errors(call, message):
    with pytest.raises(InvalidInputError) as exc:
        call(dense([2, 1]))
    assert str(exc.value) == message


def test_grid_too_large_for_int64_index():
    with pytest.raises(TooLargeError, match="cannot be indexed by int64"):
        grid_risk(dense([2, 3, 1]), "abs", [[0.0, 0.0]], [[0.0]], bits=5)
