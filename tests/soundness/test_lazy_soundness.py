"""Soundness of the lazy face LP (:mod:`lptrain.certify.lazy`): its pricing bounds integer
boxes of the φ-grid of §3.1 through their continuous hull, enumerates small boxes and
splits between levels. Checked here against an enumeration written in the test:

* the float hull of an index box is exactly ``[g(klo), g(khi)]`` with ``g(k) = -1 + 2k/K``,
  so it holds every grid point of the box;
* the lower bound of every grid box lies at or below the oracle's risk at every grid point
  of the box, and the value is the oracle's risk at the box's middle level;
* splitting partitions a box's points and enumeration lists exactly them;
* the lazy face LP's optimum equals the exhaustive minimum over the grid, and its certified
  lower bound lies below it, on both backends.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from soundness_matrix import data, numba_cases, regularizer_specs, seed
from soundness_oracle import risk

from lptrain.certify import BoxBounder, solve_face_lazy
from lptrain.certify.boxes import GridSpace

BACKENDS = ("numpy", "numba")


def grid_value(k: np.ndarray, bits: int) -> np.ndarray:
    """g(k) = -1 + 2k/K, exact (K is a power of two)."""
    return -1.0 + np.asarray(k, dtype=np.float64) * (2.0 / 2**bits)


def points_of(klo: np.ndarray, khi: np.ndarray) -> np.ndarray:
    """Every level vector of the inclusive index box [klo, khi]."""
    return np.array(list(itertools.product(*[range(a, b + 1) for a, b in zip(klo, khi,
                                                                             strict=True)])))


def index_boxes(N: int, bits: int, rng: np.random.Generator, B: int = 24
                ) -> tuple[np.ndarray, np.ndarray]:
    """Single points, thin and wide boxes, the whole grid when it has at most 4096 points
    (the others at most 1024)."""
    K = 2**bits
    los, his = [np.zeros(N, dtype=np.int64)], [np.full(N, K - 1, dtype=np.int64)]
    if K**N > 4096:  # the whole grid only where enumerating it is cheap
        los, his = [], []
    while len(los) < B:
        a = rng.integers(0, K, N)
        span = rng.integers(0, K, N) * (rng.uniform(size=N) < rng.uniform(0.2, 0.9))
        b = np.minimum(a + span, K - 1)
        if np.prod(b - a + 1) <= 1024:
            los.append(a)
            his.append(b)
    return np.array(los), np.array(his)


def _setup(case, bits):
    (_, net), = case.networks
    rng = np.random.default_rng(seed("lazy", case.id, bits))
    X, Y = data(net, case.loss, rng, D=7)
    return net, rng, X, Y


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", numba_cases(), ids=lambda c: c.id)
def test_grid_box_bounds_sound(case, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    bits = 3
    net, rng, X, Y = _setup(case, bits)
    space = GridSpace(net.N, bits)
    klo, khi = index_boxes(net.N, bits, rng)
    flo, fhi, cand = space.floats(klo, khi)
    assert np.array_equal(flo, grid_value(klo, bits))
    assert np.array_equal(fhi, grid_value(khi, bits))
    assert np.array_equal(cand, grid_value((klo + khi) // 2, bits))
    for reg in regularizer_specs():
        b = BoxBounder(net, case.loss, X, Y, reg, backend=backend)(flo, fhi, cand)
        pts = [grid_value(points_of(klo[i], khi[i]), bits) for i in range(klo.shape[0])]
        v_all = risk(net, case.loss, X, Y, np.concatenate(pts), reg)
        ends = np.cumsum([len(p) for p in pts])
        for i, v in enumerate(np.split(v_all, ends[:-1])):
            assert b.lower[i] <= v.min(), (
                f"UNSOUND grid box {klo[i].tolist()}..{khi[i].tolist()} ({case.id}, "
                f"{backend}, reg={reg}): bound {b.lower[i]!r} > grid minimum {float(v.min())!r}")
        mid = risk(net, case.loss, X, Y, cand, reg).astype(np.float64)
        assert np.allclose(b.value, mid, rtol=1e-12, atol=1e-12)


def test_grid_split_and_enumeration_partition_the_points():
    rng = np.random.default_rng(seed("grid-split"))
    for N, bits in ((1, 4), (3, 2), (4, 3)):
        space = GridSpace(N, bits)
        klo, khi = index_boxes(N, bits, rng, B=40)
        wide = np.flatnonzero((khi > klo).any(axis=1))
        dims = np.array([rng.choice(np.flatnonzero(khi[i] > klo[i])) for i in wide])
        c_lo, c_hi = space.split(klo[wide], khi[wide], dims)
        n = wide.size
        for r, i in enumerate(wide):
            parent = {tuple(p) for p in points_of(klo[i], khi[i])}
            kids = [{tuple(p) for p in points_of(c_lo[r + s * n], c_hi[r + s * n])}
                    for s in (0, 1)]
            assert kids[0] and kids[1] and not kids[0] & kids[1]
            assert kids[0] | kids[1] == parent
        assert np.array_equal(space.points(klo, khi), np.prod(khi - klo + 1, axis=1))
        lv, owner = space.enumerate(klo, khi)
        for i in range(klo.shape[0]):
            got = sorted(map(tuple, lv[owner == i]))
            assert got == sorted(map(tuple, points_of(klo[i], khi[i])))


def exhaustive(net, loss, X, Y, bits, reg):
    K = 2**bits
    pts = grid_value(np.array(list(itertools.product(range(K), repeat=net.N))), bits)
    return float(risk(net, loss, X, Y, pts, reg).min())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", numba_cases()[:4], ids=lambda c: c.id)
def test_lazy_face_lp_matches_enumeration(case, backend):
    """Optimum = exhaustive grid minimum; certified lower bound below it (both backends)."""
    if backend == "numba":
        pytest.importorskip("numba")
    for bits, reg in ((2, None), (3, "l2:0.3")):
        net, rng, X, Y = _setup(case, bits)
        best = exhaustive(net, case.loss, X, Y, bits, reg)
        r = solve_face_lazy(net, case.loss, X, Y, bits, regularizer=reg, backend=backend,
                            progress=False, leaf_points=8, columns_per_round=4)
        assert r.status == "optimal"
        assert r.lower_bound <= best + 1e-12, (case.id, bits, r.lower_bound, best)
        assert abs(r.lp_value - best) <= 1e-9, (case.id, bits, r.lp_value, best)
        got = float(risk(net, case.loss, X, Y, r.phi[None, :], reg)[0])
        assert abs(got - r.lp_value) <= 1e-12
        assert np.array_equal(r.phi, grid_value(r.phi_levels, bits))
