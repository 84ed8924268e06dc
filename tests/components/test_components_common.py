"""One battery over every registered component: values against the plain references,
enclosures and relaxations against sampled values, Lipschitz constants against finite
differences (and their tightness), magnitudes, ranges, identities, exact rationals, SCIP
and PyTorch — so a component added to the registry is checked without editing this file."""

from __future__ import annotations

import math
import zlib
from fractions import Fraction

import numpy as np
import pytest
from components_zoo import (
    ACTIVATION_SPECS,
    LOSS_SPECS,
    REGULARIZER_SPECS,
    inside,
    ranges,
    reference_activation,
    reference_losses,
)

from lptrain.components import (
    Activation,
    Loss,
    Regularizer,
    get_activation,
    get_loss,
    get_regularizer,
)
from lptrain.components._dsl import NotRationalError


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


# ----- activations ------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ACTIVATION_SPECS)
def test_activation_value_identity_and_constants(spec):
    a = get_activation(spec)
    t = np.concatenate([np.linspace(-40, 40, 801), _rng(spec).uniform(-3, 3, 400), [0.0]])
    v = a(t)
    assert np.allclose(v, reference_activation(spec, t), rtol=1e-13, atol=1e-15)
    order = np.argsort(t)
    assert np.all(np.diff(v[order]) >= 0)  # monotone (the default interval relies on it)
    if a.in_theory:  # Lemma 4.5: 1-Lipschitz with a(0) = 0
        assert a.lipschitz == 1.0 and a(np.zeros(1))[0] == 0.0
        assert np.all(np.abs(np.diff(v[order])) <= np.diff(t[order]) * (1 + 1e-12) + 1e-15)
    for b in (0.5, 3.0, 40.0):
        assert np.all(np.abs(a(t[np.abs(t) <= b])) <= a.value_bound(b) + 1e-15)
    assert get_activation(a.spec) == a and Activation.from_dict(a.to_dict()) == a
    assert eval(repr(a), {"Activation": Activation}) == a and a.name == spec.partition(":")[0]
    f = eval(f"lambda h: {a.expr('h')}", {"math": math})
    # the same formula through libm instead of numpy's SIMD loops: a few ulps of the terms'
    # scale (|t| + 1; softplus cancels log 2 near 0, so not of the result's scale)
    w = np.array([f(float(x)) for x in t])
    assert np.all(np.abs(w - v) <= 1e-15 * np.abs(v) + 4 * np.finfo(float).eps * (1 + np.abs(t)))


@pytest.mark.parametrize("spec", ACTIVATION_SPECS)
def test_activation_exact_rationals(spec):
    a = get_activation(spec)
    t = np.array([-2.5, -0.75, -1 / 1024, 0.0, 0.375, 1.0, 3.0])
    obj = np.array([Fraction(x) for x in t], dtype=object)
    if not a.exact:
        with pytest.raises(NotRationalError):
            a.rational(obj)
        return
    exact = np.broadcast_to(a.rational(obj), t.shape)
    assert all(isinstance(x, Fraction) for x in exact)
    assert [float(x) for x in exact] == a(t).tolist()  # exactly representable here


@pytest.mark.parametrize("spec", ACTIVATION_SPECS)
def test_activation_relaxation_encloses_and_is_bounded(spec):
    a = get_activation(spec)
    rng = _rng(spec, "relax")
    lo, hi = ranges(rng, 5000)
    lam, bl, bh = a.relaxation(lo, hi)
    for x in inside(rng, lo, hi, 24):
        v = a(x)
        tol = 1e-12 * (1 + np.abs(x))
        assert np.all(lam * x + bl <= v + tol) and np.all(v <= lam * x + bh + tol), spec
    if a.passthrough:
        assert np.all(lam == 1) and np.all(bl == 0) and np.all(bh == 0)
        return
    # the magnitude the affine margins assume: T_v <= T_s + max|β| <= relax_magnitude(T_s)
    T = np.maximum(np.abs(lo), np.abs(hi))
    assert np.all(np.maximum(np.abs(bl), np.abs(bh)) + np.abs(lam) * T
                  <= np.vectorize(a.relax_magnitude)(T) + 1e-12)
    if a.in_theory:
        assert np.all((0 <= lam) & (lam <= 1 + 1e-12))


@pytest.mark.parametrize("spec", ACTIVATION_SPECS)
def test_activation_interval_and_envelope_enclose(spec):
    a = get_activation(spec)
    rng = _rng(spec, "hull")
    lo, hi = ranges(rng, 3000)
    il, ih = (np.asarray(v) for v in a.interval(lo, hi))
    env = a.envelope(lo, hi)
    for x in inside(rng, lo, hi, 24):
        v = a(x)
        assert np.all((il <= v) & (v <= ih))
        assert np.all(env.lower(x) <= v) and np.all(v <= env.upper(x)), spec
    mid = 0.5 * (lo + hi)
    assert np.all(env.upper(mid) - env.lower(mid) <= (ih - il) + 1e-9)  # not vacuous


def test_relu_envelope_is_the_convex_hull():
    a = get_activation("relu")
    env = a.envelope(np.array([-1.0]), np.array([3.0]))
    for x, low, up in ((-1.0, 0.0, 0.0), (0.0, 0.0, 0.75), (3.0, 3.0, 3.0), (1.0, 1.0, 1.5)):
        assert env.lower(np.array([x]))[0] == pytest.approx(low, abs=1e-10)
        assert env.upper(np.array([x]))[0] == pytest.approx(up, abs=1e-10)


# ----- losses -----------------------------------------------------------------------------

def _labels(spec: str, rng: np.random.Generator, D: int, m: int) -> np.ndarray:
    if spec == "hamming":
        return rng.integers(0, 2, (D, m)).astype(float)
    if get_loss(spec).class_labels == "pm_onehot" and m > 1:
        return np.where(np.eye(m)[rng.integers(0, m, D)] > 0, 1.0, -1.0)
    return rng.uniform(-1, 1, (D, m))


def _outputs(spec: str, rng: np.random.Generator, D: int, m: int, U: float) -> np.ndarray:
    if spec == "hamming":
        return rng.integers(0, 2, (D, m)).astype(float)
    return rng.uniform(-U, U, (D, m))


@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("spec", LOSS_SPECS)
def test_loss_value_identity_and_rationals(spec, m):
    loss = get_loss(spec)
    rng = _rng(spec, m)
    Z, Y = _outputs(spec, rng, 200, m, 3.0), _labels(spec, rng, 200, m)
    assert np.allclose(loss(Z, Y), reference_losses(spec, Z, Y), rtol=1e-13, atol=1e-13)
    assert get_loss(loss.spec) == loss and loss.name == loss.spec
    assert eval(repr(loss), {"Loss": Loss}) == loss
    lines = loss.source([f"z{j}" for j in range(m)], [f"y{j}" for j in range(m)], "ell")
    for z, y in zip(Z[:20], Y[:20], strict=True):
        env = {"math": math, **{f"z{j}": z[j] for j in range(m)},
               **{f"y{j}": y[j] for j in range(m)}}
        exec("\n".join(lines), env)
        assert env["ell"] == pytest.approx(float(loss(z[None], y[None])[0]), rel=1e-13,
                                           abs=1e-13)
    zq = np.round(Z[:5] * 8) / 8
    cols = ([np.array([Fraction(v) for v in zq[:, j]], dtype=object) for j in range(m)],
            [np.array([Fraction(v) for v in Y[:5, j]], dtype=object) for j in range(m)])
    if loss.rational:
        exact = loss.exact_value(*cols)
        assert np.allclose([float(v) for v in exact], loss(zq, Y[:5]), rtol=1e-15, atol=0)
    else:
        with pytest.raises(NotRationalError):
            loss.exact_value(*cols)


@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("spec", LOSS_SPECS)
def test_loss_interval_minorant_and_pieces_are_sound(spec, m):
    loss = get_loss(spec)
    rng = _rng(spec, m, "bounds")
    B = 2000
    lo = np.stack([ranges(rng, B, 3.0)[0] for _ in range(m)], axis=-1)
    hi = lo + rng.uniform(0, 2, (B, m)) * rng.choice([1.0, 1e-6, 0.0], (B, m))
    if spec == "hamming":
        lo, hi = np.round(lo), np.round(lo) + rng.integers(0, 2, (B, m))
    Y = _labels(spec, rng, B, m)
    yl = yh = [Y[:, j] for j in range(m)]
    cols = [[a[:, j] for j in range(m)] for a in (lo, hi)]
    with np.errstate(all="ignore"):
        il, ih = (np.asarray(v) for v in loss.interval(cols[0], cols[1], yl, yh))
        c, r = 0.5 * (lo + hi), 0.5 * (hi - lo)
        s, k = loss.minorant([c[:, j] for j in range(m)], [r[:, j] for j in range(m)], yl, il)
    pieces = loss.pieces(lo, hi, Y)
    mag = 1e-12 * (1 + loss.magnitude([3.0] * m) + np.abs(il))
    for t in range(30):
        Z = lo if t == 0 else hi if t == 1 else lo + rng.uniform(size=lo.shape) * (hi - lo)
        if spec == "hamming":
            Z = np.where(rng.uniform(size=lo.shape) < 0.5, lo, hi)
        v = loss(Z, Y)
        assert np.all((il - mag <= v) & (v <= ih + mag)), spec
        aff = k + sum(np.asarray(s[j]) * (Z[:, j] - c[:, j]) for j in range(m))
        assert np.all(aff <= v + mag), spec
        assert np.all(pieces.lower(Z) <= v + mag), spec


@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("spec", [s for s in LOSS_SPECS if get_loss(s).in_theory])
def test_loss_lipschitz_constant_holds_and_binds(spec, m):
    """``L∞ = sup ‖∇ℓ‖₁`` over ``[-U, U]^m × [-1, 1]^m``: central differences in the sign
    direction of the gradient never exceed it and, at the box's extreme points, come close
    to it (a halved constant fails), except for cross-entropy whose §4.3 constant is loose."""
    loss = get_loss(spec)
    rng = _rng(spec, m, "lip")
    U, h = 3.0, 1e-6
    L = loss.lipschitz_refined(m, U)
    assert L <= loss.lipschitz(m, U) * (1 + 1e-12)
    pts = np.concatenate([rng.uniform(-1, 1, (400, 2 * m)),
                          rng.choice([-1.0, -0.9, 0.9, 1.0], (400, 2 * m))])
    Z, Y = pts[:, :m] * (U - 2 * h), pts[:, m:] * (1 - 2 * h)
    X = np.concatenate([Z, Y], axis=1)
    grad = np.zeros_like(X)
    for i in range(2 * m):
        e = np.zeros(2 * m)
        e[i] = h
        up, dn = X + e, X - e
        grad[:, i] = (loss(up[:, :m], up[:, m:]) - loss(dn[:, :m], dn[:, m:])) / (2 * h)
    norm1 = np.abs(grad).sum(axis=1)
    assert norm1.max() <= L * (1 + 1e-5) + 1e-6, spec
    if spec.partition(":")[0] != "cross_entropy":
        assert norm1.max() >= 0.9 * L, (spec, norm1.max(), L)
    lo_v, hi_v = loss.value_range(m, U)
    v = loss(Z, Y)
    assert lo_v - 1e-12 <= v.min() and v.max() <= hi_v + 1e-12
    assert np.abs(v).max() <= loss.magnitude([U] * m)


@pytest.mark.parametrize("spec", LOSS_SPECS)
def test_loss_minorant_magnitude_bounds_its_terms(spec):
    """What the affine margins assume: for output forms with ``|c| + r <= T`` every
    quantity of the minorant stays within :meth:`minorant_magnitude`."""
    loss = get_loss(spec)
    m, T = 3, np.array([0.5, 2.0, 7.0])
    rng = _rng(spec, "mag")
    c = rng.uniform(-1, 1, (3000, m)) * T
    r = rng.uniform(0, 1, (3000, m)) * (T - np.abs(c))
    Y = _labels(spec, rng, 3000, m)
    ys = [Y[:, j] for j in range(m)]
    with np.errstate(all="ignore"):
        floor = np.asarray(loss.interval([c[:, j] - r[:, j] for j in range(m)],
                                         [c[:, j] + r[:, j] for j in range(m)], ys, ys)[0])
        s, k = loss.minorant([c[:, j] for j in range(m)], [r[:, j] for j in range(m)], ys,
                             floor)
    bound = loss.minorant_magnitude(list(T))
    assert np.all(np.abs(k) <= bound) and np.all(np.abs(floor) <= bound)
    assert np.all(sum(np.abs(np.asarray(s[j])) * T[j] for j in range(m)) <= bound)
    assert loss.interval_slack([1.0] * m) > 0 or not loss.in_theory


# ----- regularizers -----------------------------------------------------------------------

@pytest.mark.parametrize("spec", REGULARIZER_SPECS)
def test_regularizer_contract(spec):
    reg = get_regularizer(spec)
    assert isinstance(reg, Regularizer) and get_regularizer(reg.spec) == reg
    assert Regularizer(reg.kind, reg.lam) == reg and sum(reg.weights) == reg.lam
    rng = _rng(spec)
    N = 4
    lo = rng.uniform(-1, 1, (3000, N))
    hi = np.minimum(lo + rng.uniform(0, 1, (3000, N)) * rng.choice([1, 0], (3000, N)), 1.0)
    il, ih = reg.interval(lo, hi)
    c, r = 0.5 * (lo + hi), 0.5 * (hi - lo)
    s, k = (np.broadcast_to(np.asarray(v), c.shape) for v in reg.term_minorant(c, r))
    phi = rng.uniform(-1, 1, (2000, N))
    for t in range(20):
        x = lo if t == 0 else hi if t == 1 else lo + rng.uniform(size=lo.shape) * (hi - lo)
        v = reg(x)
        assert np.all((il - 1e-15 <= v) & (v <= ih + 1e-15))
        assert np.all(reg.lam * (k + s * (x - c)).sum(axis=1) <= v + 1e-14)
    # Lipschitz (Definition B.1) by central differences along the gradient's sign, at the
    # box's corners where it binds
    corner = rng.choice([-1.0, 1.0], (200, N)) * (1 - 1e-6)
    grad = np.stack([(reg(corner + 1e-7 * np.eye(N)[i]) - reg(corner - 1e-7 * np.eye(N)[i]))
                     / 2e-7 for i in range(N)], axis=1)
    assert np.abs(grad).sum(axis=1).max() <= reg.lipschitz(N) * (1 + 1e-6)
    assert np.abs(grad).sum(axis=1).max() >= 0.99 * reg.lipschitz(N)
    assert reg(phi).max() <= reg.minorant_magnitude(N) / 3


# ----- PyTorch and SCIP -------------------------------------------------------------------

@pytest.mark.parametrize("spec", ACTIVATION_SPECS)
def test_torch_module_matches_numpy(spec):
    torch = pytest.importorskip("torch")
    a = get_activation(spec)
    t = np.linspace(-30, 30, 1201)
    got = a.torch_module()(torch.tensor(t)).numpy()
    assert np.allclose(got, a(t), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("spec", LOSS_SPECS)
def test_torch_loss_matches_numpy(spec):
    torch = pytest.importorskip("torch")
    loss = get_loss(spec)
    rng = _rng(spec, "torch")
    Z, Y = _outputs(spec, rng, 50, 3, 3.0), _labels(spec, rng, 50, 3)
    got = loss.torch_loss(torch.tensor(Z), torch.tensor(Y)).numpy()
    assert got.shape == (50,) and np.allclose(got, loss(Z, Y), rtol=1e-12, atol=1e-12)
    if loss.differentiable:
        zt = torch.tensor(Z, requires_grad=True)
        loss.torch_loss(zt, torch.tensor(Y)).sum().backward()
        assert zt.grad is not None and torch.isfinite(zt.grad).all()


@pytest.mark.parametrize("spec", REGULARIZER_SPECS)
def test_torch_penalty_matches_numpy(spec):
    torch = pytest.importorskip("torch")
    reg = get_regularizer(spec)
    phi = _rng(spec, "torch").uniform(-1, 1, 7)
    assert float(reg.torch_penalty(torch.tensor(phi))) == pytest.approx(float(reg(phi[None])[0]),
                                                                       rel=1e-13)


def _scip_value(build, sense: str) -> float:
    scip = pytest.importorskip("pyscipopt")
    model = scip.Model()
    model.hideOutput()
    out = build(model)
    obj = model.addVar("obj", lb=-model.infinity())
    model.addCons(obj == out) if sense == "max" else model.addCons(obj >= out)
    model.setObjective(obj, "maximize" if sense == "max" else "minimize")
    model.optimize()
    return float(model.getObjVal())


@pytest.mark.parametrize("spec", [s for s in ACTIVATION_SPECS if get_activation(s).supports_scip])
def test_scip_activation_models_are_exact(spec):
    a = get_activation(spec)
    for v in (-1.5, -0.25, 0.0, 0.6, 2.0):
        def build(model, v=v):
            s = model.addVar("s", lb=v, ub=v)
            return a.scip(model, 1.0 * s, -3.0, 3.0, "x")
        want = float(a(np.array([v]))[0])
        for sense in ("min", "max"):
            assert _scip_value(build, sense) == pytest.approx(want, abs=1e-6), (spec, v)


@pytest.mark.parametrize("spec", [s for s in LOSS_SPECS if get_loss(s).supports_scip])
def test_scip_loss_epigraphs_are_exact(spec):
    loss = get_loss(spec)
    rng = _rng(spec, "scip")
    for _ in range(4):
        z, y = rng.uniform(-2, 2, 3), _labels(spec, rng, 1, 3)[0]

        def build(model, z=z, y=y):
            outs = [1.0 * model.addVar(f"o{j}", lb=z[j], ub=z[j]) for j in range(3)]
            return loss.scip(model, outs, y, "t")
        assert _scip_value(build, "min") == pytest.approx(float(loss(z[None], y[None])[0]),
                                                          abs=1e-6)


@pytest.mark.parametrize("spec", REGULARIZER_SPECS)
def test_scip_regularizer_epigraphs_are_exact(spec):
    reg = get_regularizer(spec)
    for v in (-0.7, 0.0, 0.4):
        def build(model, v=v):
            return reg.scip(model, model.addVar("p", lb=v, ub=v), "0")
        assert reg.lam * _scip_value(build, "min") == pytest.approx(
            float(reg(np.array([[v]]))[0]), abs=1e-7)
