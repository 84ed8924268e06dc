"""Soundness of the search around the bounds: the branch-and-bound invariant (its lower
bound is below the minimum at every moment, whatever was pruned, dropped, inherited or
enumerated), the symmetry reduction (every point of the box has an equivalent point on a
root face; every scaling group preserves the objective) and rounding down to the grid —
each checked against an exhaustive enumeration or the oracle written in these tests."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from soundness_matrix import ARCH_KINDS, activation_specs, data, network, seed
from soundness_oracle import risk

from lptrain.certify import (
    BoxBounder,
    BoxBounds,
    BranchAndBound,
    scaling_groups,
    symmetry_roots,
)
from lptrain.certify.boxes import ContinuousSpace, GridSpace
from lptrain.discretize import round_down, to_grid
from lptrain.nn import Node, dag, dense


# ----- branch and bound ------------------------------------------------------------------
def _problem(kind_seed: int):
    """A small ERM (N = 4) on data, and its exact minimum over the 3-bit grid."""
    rng = np.random.default_rng(seed("bnb", kind_seed))
    act = ("relu", "tanh", "leaky_relu:0.3", "hard_tanh")[kind_seed % 4]
    loss = ("abs", "quadratic", "hinge")[kind_seed % 3]
    net = dense([1, 1, 1], act)
    X = rng.uniform(-1, 1, (12, 1))
    Y = np.clip(np.sin(3 * X) * rng.uniform(0.3, 1) + rng.normal(0, 0.1, X.shape), -1, 1)
    if loss == "hinge":
        Y = np.where(Y >= 0, 1.0, -1.0)
    reg = (None, "l1:0.05", "l2:0.1")[kind_seed % 3]
    return net, loss, X, Y, reg


def _grid_min(net, loss, X, Y, reg, bits):
    K = 2**bits
    pts = -1.0 + np.array(list(itertools.product(range(K), repeat=net.N))) * (2.0 / K)
    return risk(net, loss, X, Y, pts, reg).min()


@pytest.mark.parametrize("problem", range(6))
@pytest.mark.parametrize("gap, batch, leaf, soft", [(0.0, 4, 8, 6), (0.05, 2, 1, 6),
                                                    (0.5, 8, 32, 6), (0.2, 1, 64, 6),
                                                    (0.3, 1, 1, 10**6), (0.5, 2, 1, 10**6)])
def test_grid_branch_and_bound_lower_bound_holds_at_every_step(problem, gap, batch, leaf,
                                                                 soft):
    """Big gaps prune boxes that hold the minimum (the pruned floor must cover them: boxes
    dropped at birth, when popped, or from the queue once the incumbent improves), small
    batches leave many open boxes to prune from the queue, best-first popping (a large
    ``soft``) keeps them there, leaves are enumerated (their minimum is in ``best``),
    children inherit their parent's bound."""
    net, loss, X, Y, reg = _problem(problem)
    bits = 3
    true_min = _grid_min(net, loss, X, Y, reg, bits)
    bounder = BoxBounder(net, loss, X, Y, reg, backend="numpy")
    K = 2**bits
    engine = BranchAndBound(bounder, GridSpace(net.N, bits),
                            np.zeros((1, net.N), dtype=np.int64),
                            np.full((1, net.N), K - 1, dtype=np.int64),
                            lambda: engine.best - gap, batch=batch, leaf_points=leaf,
                            soft_open=soft, max_open=10**7)
    # `best` (a float evaluation of the risk) enters the lower bound without a margin: it
    # may exceed the exact value by an ulp (test_float_best_in_the_lower_bound below).
    tol = 1e-12 * (1 + abs(float(true_min)))
    steps = 0
    while not engine.done and steps < 3000:
        engine.step()
        steps += 1
        assert engine.lower_bound() <= true_min + tol, (
            f"UNSOUND after {steps} steps: lower bound {engine.lower_bound()!r} > grid "
            f"minimum {float(true_min)!r}")
    assert engine.done
    assert engine.best >= true_min - tol
    assert engine.best - engine.lower_bound() <= gap + 1e-12
    if gap == 0.0:
        assert engine.best == pytest.approx(float(true_min), abs=1e-12)


def _continuous(bounder, N, gap):
    engine = BranchAndBound(bounder, ContinuousSpace(N), -np.ones((1, N)), np.ones((1, N)),
                            lambda: engine.best - gap, batch=16, soft_open=64)
    return engine


class ExactBounder:
    """Bounds of a function tabulated on the grid: the exact minimum over each box as its
    lower bound (a perfect bounder: any region the search loses shows), the value at the
    candidate, the widest coordinate to split."""

    def __init__(self, table: np.ndarray, bits: int) -> None:
        self.table, self.K = table, 2**bits

    def _index(self, f: np.ndarray) -> np.ndarray:
        return np.rint((f + 1.0) * self.K / 2).astype(np.int64)

    def __call__(self, lo, hi, cand):
        klo, khi, kc = self._index(lo), self._index(hi), self._index(cand)
        lower = np.array([self.table[tuple(slice(a, b + 1) for a, b in zip(lo_, h, strict=True))]
                          .min() for lo_, h in zip(klo, khi, strict=True)])
        value = self.table[tuple(kc.T)]
        split = np.where((khi > klo).any(axis=1), np.argmax(khi - klo, axis=1), -1)
        return BoxBounds(lower, value, split)


@pytest.mark.parametrize("dims, bits", [(1, 7), (2, 4), (3, 3)])
@pytest.mark.parametrize("gap, batch, leaf, soft", [(0.0, 1, 1, 4), (0.3, 1, 1, 4),
                                                    (0.3, 2, 4, 10**6), (1.0, 3, 1, 2),
                                                    (0.1, 8, 8, 16), (0.05, 1, 1, 2),
                                                    (0.02, 2, 1, 3)])
def test_branch_and_bound_invariant_with_exact_bounds(dims, bits, gap, batch, leaf, soft):
    """With exact box minima as bounds, a box dropped without lowering the floor, a child
    given another box's bound, or an enumerated minimum left out of the bound makes the
    lower bound exceed the minimum; "pruning dives" (small ``soft``) prune from the queue."""
    rng = np.random.default_rng(seed("bnb-exact", dims, bits, gap, batch, leaf, soft))
    K = 2**bits
    for _ in range(8):
        table = rng.uniform(0, 1, (K,) * dims) + np.linspace(0, 0.5, K).reshape(
            (K,) + (1,) * (dims - 1))
        m = float(table.min())
        engine = _grid_engine(ExactBounder(table, bits), dims, bits, gap, batch, leaf, soft)
        while not engine.done:
            engine.step()
            assert engine.lower_bound() <= m, f"lower bound {engine.lower_bound()} > min {m}"
        assert engine.best - engine.lower_bound() <= gap + 1e-12
        if gap == 0.0:
            assert engine.best == m


def _grid_engine(bounder, dims, bits, gap, batch, leaf, soft):
    K = 2**bits
    engine = BranchAndBound(bounder, GridSpace(dims, bits), np.zeros((1, dims), dtype=np.int64),
                            np.full((1, dims), K - 1, dtype=np.int64),
                            lambda: engine.best - gap, batch=batch, leaf_points=leaf,
                            soft_open=soft, max_open=10**7)
    return engine


@pytest.mark.parametrize("problem", range(4))
def test_continuous_branch_and_bound_lower_bound_below_sampled_values(problem):
    net, loss, X, Y, reg = _problem(problem)
    rng = np.random.default_rng(seed("bnb-continuous", problem))
    pts = np.concatenate([rng.uniform(-1, 1, (20000, net.N)),
                          rng.choice([-1.0, 1.0], (500, net.N))])
    sampled = risk(net, loss, X, Y, pts, reg).min()
    bounder = BoxBounder(net, loss, X, Y, reg, backend="numpy")
    for gap in (0.3, 0.02):
        engine = _continuous(bounder, net.N, gap)
        for _ in range(150):
            engine.step()
            assert engine.lower_bound() <= sampled + 1e-12
            if engine.done:
                break


_BEST_BUG = ("lptrain.certify.bnb.BranchAndBound.lower_bound() is min(best, pruned floor, "
             "open bounds) with `best` a float evaluation of the risk and no rounding margin, "
             "so the certified bound can exceed the exact minimum by the rounding error of one "
             "risk evaluation (~1e-17 here); solve_face_lazy's min(t, ...) likewise (t is a "
             "float column cost)")


@pytest.mark.xfail(strict=True, reason=_BEST_BUG)
def test_float_best_in_the_lower_bound():
    """The certified lower bound must lie below the exact risk of the point it was found
    at (exact rational arithmetic). Known bug: it does not, by ~1e-17 (see reason)."""
    from soundness_exact import exact_risk

    from lptrain.certify import solve_face_lazy
    net, loss, X, Y, reg = _problem(0)
    bounder = BoxBounder(net, loss, X, Y, reg, backend="numpy")
    engine = BranchAndBound(bounder, GridSpace(net.N, 3), np.zeros((1, 4), dtype=np.int64),
                            np.full((1, 4), 7, dtype=np.int64), lambda: engine.best, batch=4,
                            leaf_points=8, soft_open=6)
    while not engine.done:
        engine.step()
    bnb_ok = engine.lower_bound() <= exact_risk(net, loss, X, Y, engine.best_point, reg)
    r = solve_face_lazy(net, loss, X, Y, 3, regularizer=reg, backend="numpy", progress=False)
    lazy_ok = r.lower_bound <= exact_risk(net, loss, X, Y, r.phi, reg)
    assert bnb_ok and lazy_ok


# ----- symmetry ----------------------------------------------------------------------------
def _shared_out_net():
    """Two ReLU units with their own incoming parameters and one shared outgoing weight:
    ``φ4 relu(φ0 x + φ1) + φ4 relu(φ2 x + φ3) + φ5`` (neither unit can be rescaled alone)."""
    return dag(1, [Node.make([(0, 0)], bias=1, activation="relu"),
                   Node.make([(0, 2)], bias=3, activation="relu"),
                   Node.make([(1, 4), (2, 4)], bias=5)], [3])


def _symmetry_nets():
    nets = [("shared-out", _shared_out_net()), ("dense", dense([2, 2, 1])),
            ("deep", dense([1, 2, 2, 1], "leaky_relu:0.3"))]
    for kind in ARCH_KINDS:
        for act in activation_specs():
            nets.append((f"{kind}-{act}", network(kind, (act,) * 7)))
        nets.append((f"{kind}-mixed", network(kind, activation_specs())))
    return nets


def _normalize(groups, phi):
    """The construction of the proof in :mod:`lptrain.certify.symmetry`, on rows of φ."""
    phi = phi.copy()
    for g in groups:
        inc, out = list(g.incoming), list(g.outgoing)
        M = np.abs(phi[:, inc]).max(axis=1)
        pos = M > 0
        phi[np.ix_(pos, inc)] /= M[pos, None]
        phi[np.ix_(pos, out)] *= M[pos, None]
        phi[~pos, inc[0]] = 1.0
        phi[np.ix_(~pos, out)] = 0.0
    return phi


@pytest.mark.parametrize("reg", [None, "l2:0.3", "l1:0.3"])
def test_scaling_groups_preserve_the_objective(reg):
    """``(θ_in, θ_out) -> (s θ_in, θ_out / s)`` leaves the regularized ERM unchanged for every
    group the library reports (a group that is not one changes it)."""
    rng = np.random.default_rng(seed("scaling", reg))
    for name, net in _symmetry_nets():
        X, Y = data(net, "quadratic", rng, D=6)
        phi = rng.uniform(-1, 1, (40, net.N))
        base = risk(net, "quadratic", X, Y, phi, reg)
        for g in scaling_groups(net, reg):
            s = rng.uniform(0.3, 3.0, (40, 1))
            moved = phi.copy()
            moved[:, list(g.incoming)] *= s
            moved[:, list(g.outgoing)] /= s
            after = risk(net, "quadratic", X, Y, moved, reg)
            assert np.allclose(after, base, rtol=1e-12, atol=1e-12), (
                f"{name}: group {g} is not a symmetry of the objective (reg={reg})")


def test_every_point_has_an_equivalent_point_on_a_root_face():
    rng = np.random.default_rng(seed("roots"))
    for name, net in _symmetry_nets():
        lo, hi, used = symmetry_roots(net)
        groups = scaling_groups(net)[:used]
        X, Y = data(net, "abs", rng, D=6)
        phi = rng.uniform(-1, 1, (150, net.N))
        for g in groups[:2]:
            phi[:6, list(g.incoming)] = 0.0  # the M = 0 case
            phi[6:12, list(g.incoming)] *= 1e-3
        norm = _normalize(groups, phi)
        inside = ((norm[:, None, :] >= lo[None]) & (norm[:, None, :] <= hi[None])).all(axis=2)
        assert inside.any(axis=1).all(), f"{name}: a normalized point lies on no root face"
        a, b = risk(net, "abs", X, Y, phi), risk(net, "abs", X, Y, norm)
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12), name


# ----- rounding down to the grid ---------------------------------------------------------
def grid_index_exact(r: float, bits: int) -> int:
    """The largest k in [0, K-1] with -1 + 2k/K <= r, in exact arithmetic (§3.1)."""
    K = 2**bits
    k = int((Fraction(r) + 1) * K // 2)
    return min(k, K - 1)


@pytest.mark.parametrize("bits", [1, 2, 3, 5, 8, 16, 30])
def test_round_down_is_the_exact_floor(bits):
    rng = np.random.default_rng(seed("round-down", bits))
    K = 2**bits
    g = -1.0 + np.arange(min(K, 4096)) * (2.0 / K)
    r = np.concatenate([rng.uniform(-1, 1, 3000), g, np.nextafter(g, -2.0)[1:],
                        np.nextafter(g, 2.0), [-1.0, 1.0, 0.0, np.nextafter(1.0, 0.0)]])
    k = round_down(r, bits)
    want = np.array([grid_index_exact(float(x), bits) for x in r])
    bad = np.flatnonzero(k != want)
    assert bad.size == 0, (f"round_down({r[bad[0]]!r}, {bits}) = {k[bad[0]]}, the exact "
                           f"floor is {want[bad[0]]}")
    assert np.array_equal(to_grid(r, bits), -1.0 + want * (2.0 / K))
