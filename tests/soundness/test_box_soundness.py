"""Box-level soundness of the affine box bounds (:class:`lptrain.certify.BoxBounder`, the
bounding step of every certificate): on every box of the matrix the certified lower bound
lies at or below the regularized empirical risk at every sampled point of the box (corners
included), evaluated by the independent oracle; the risk reported at the box's candidate
is the oracle's; and the generated numba kernel agrees with the numpy path.

An end-to-end certificate cannot see a lower bound that is too high (it is capped by the
best value found), so soundness is tested here box by box. See ``soundness_matrix.py`` for
what the matrix covers on each backend.
"""

from __future__ import annotations

import numpy as np
import pytest
from soundness_matrix import (
    boxes,
    data,
    kink_boxes,
    kink_centre,
    kink_data,
    numba_cases,
    numpy_cases,
    regularizer_specs,
    samples,
    seed,
)
from soundness_oracle import risk

from lptrain.certify import BoxBounder
from lptrain.nn import Node, dag

#: numba and numpy bounds agree to ``ATOL + RTOL |lower|`` on the same boxes. They differ
#: by rounding only (the kernel reassociates and fuses multiply-adds): at most 8.9e-16 was
#: seen over the matrix's boxes (chord slopes of nearly flat boxes, computed by
#: cancellation, stay consistent with their offsets), so 1e-11 leaves four orders.
ATOL, RTOL = 1e-11, 1e-11


def _excess(net, loss, reg, X, Y, lo, hi, lower, rng):
    """Sampled risk minus the lower bound (negative = unsound) per box, and the argmin."""
    pts = samples(lo, hi, rng)
    B, S, N = pts.shape
    v = risk(net, loss, X, Y, pts.reshape(B * S, N), reg).reshape(B, S)
    k = np.argmin(v, axis=1)
    return v[np.arange(B), k] - lower, pts[np.arange(B), k]


def check_boxes(net, loss, reg, X, Y, lo, hi, kinds, backend, rng, where, values=True):
    """Bound the boxes and check them against the oracle; return the bounds. ``values``:
    also compare the risk at the candidates (not where the data sit on a step's jump)."""
    b = BoxBounder(net, loss, X, Y, reg, backend=backend)(lo, hi)
    excess, at = _excess(net, loss, reg, X, Y, lo, hi, b.lower, rng)
    bad = np.flatnonzero(excess < 0)
    assert bad.size == 0, (
        f"UNSOUND {where} reg={reg}: lower bound above the risk at a point of the box in "
        f"{bad.size} boxes; first: {kinds[bad[0]]} box lo={lo[bad[0]].tolist()} "
        f"hi={hi[bad[0]].tolist()}, bound {b.lower[bad[0]]!r} > risk "
        f"{float(b.lower[bad[0]] + excess[bad[0]])!r} at {at[bad[0]].tolist()}")
    if values:
        centre = risk(net, loss, X, Y, 0.5 * (lo + hi), reg).astype(np.float64)
        assert np.allclose(b.value, centre, rtol=1e-12, atol=1e-12), (where, reg)
    assert np.all(b.lower <= b.value), (where, reg)
    assert np.all((b.split >= -1) & (b.split < net.N)), (where, reg)
    return b


def check_affine(net, loss, reg, backend, rng, where, D=8, kink_rounds=2, per_kind=4):
    """Random boxes of every family on random data, then nested boxes around centres where
    the data put pre-activations on kinks. Yields (X, Y, lo, hi, bounds) of each batch."""
    X, Y = data(net, loss, rng, D)
    lo, hi, kinds = boxes(net.N, rng, per_kind)
    yield X, Y, lo, hi, check_boxes(net, loss, reg, X, Y, lo, hi, kinds, backend, rng, where)
    for _ in range(kink_rounds):
        c = kink_centre(net.N, rng)
        X, Y = kink_data(net, loss, c, rng, D)
        lo, hi, kinds = kink_boxes(c, rng)
        yield X, Y, lo, hi, check_boxes(net, loss, reg, X, Y, lo, hi, kinds, backend, rng,
                                        where, values=False)


@pytest.mark.parametrize("case", numpy_cases(), ids=lambda c: f"numpy-{c.id}")
def test_affine_bounds_sound_numpy(case):
    """Every kind × loss × regularizer × activation (the mixed network), and every
    activation alone (each with one regularizer, in turn)."""
    regs = regularizer_specs()
    for i, (label, net) in enumerate(case.networks):
        mixed = label == "mixed"
        for reg in regs if mixed else (regs[(i + len(case.id)) % len(regs)],):
            rng = np.random.default_rng(seed("affine", case.id, label, reg))
            for _ in check_affine(net, case.loss, reg, "numpy", rng, f"numpy {case.id} {label}",
                                  kink_rounds=2 if mixed else 1, per_kind=4 if mixed else 2):
                pass


@pytest.mark.parametrize("case", numba_cases(), ids=lambda c: f"numba-{c.id}")
def test_affine_bounds_sound_numba_and_agree(case):
    """The generated kernel (what ``backend="auto"`` runs): sound on every box, equal to
    the numpy path to ATOL + RTOL |bound|."""
    pytest.importorskip("numba")
    (label, net), = case.networks
    for reg in regularizer_specs():
        for rep in range(2):
            rng = np.random.default_rng(seed("affine-numba", case.id, reg, rep))
            for X, Y, lo, hi, b in check_affine(net, case.loss, reg, "numba", rng,
                                                f"numba {case.id}", D=8 + 5 * rep,
                                                kink_rounds=6):
                ref = BoxBounder(net, case.loss, X, Y, reg, backend="numpy")(lo, hi)
                diff = np.abs(b.lower - ref.lower)
                assert np.all(diff <= ATOL + RTOL * np.abs(ref.lower)), (
                    f"numba and numpy bounds differ by {diff.max():.3g} ({case.id}, "
                    f"reg={reg})")
                assert np.allclose(b.value, ref.value, rtol=1e-12, atol=1e-12)


def _square_net():
    """``z = φ0 (φ0 x0) + φ1 x1``: a parameter multiplying a form that already depends on
    it, so its product holds ``ε0²`` (in [0, 1], not [-1, 1]); nothing else is loose."""
    return dag(2, [Node.make([(0, 0)]), Node.make([(2, 0), (1, 1)])], [3])


@pytest.mark.parametrize("backend", ("numpy", "numba"))
def test_products_of_a_shared_parameter(backend):
    """Boxes symmetric in φ0 and labels at the top of the output's range, where the true
    minimum is 0 and an enclosure that treats ε0² like ε0 loses the top half."""
    if backend == "numba":
        pytest.importorskip("numba")
    net = _square_net()
    rng = np.random.default_rng(seed("square", backend))
    for loss in ("abs", "quadratic"):
        for r in (1e-3, 0.1, 0.5, 1.0):
            X = np.column_stack([rng.uniform(0.2, 1, 6), np.zeros(6)])
            Y = np.clip(r * r * X[:, :1], -1, 1)  # = max over the box of φ0² x0
            lo, hi = np.array([[-r, 0.0]]), np.array([[r, 0.0]])
            check_boxes(net, loss, None, X, Y, lo, hi, [f"φ0 in ±{r}"], backend, rng,
                        f"{backend} square {loss}")
