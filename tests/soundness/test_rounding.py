"""Floating point, tested: the rounding margins are what keeps each bound below the exact
minimum. Every comparison here is with exact arithmetic (``fractions``; 60-digit ``decimal``
for exp, log and tanh), never with a float evaluation, and each constructed case fails when
the margin it exercises is removed (``python tests/mutation_check.py -k margin -k slack
-k dual``):

* a node sum ``x0 + x1 + x2`` of exact data whose float value rounds away from the exact
  one: a Hamming comparison flips unless the node's rounding slack widens its range
  (affine and interval bounds, both backends);
* a mean over 66 000 data points, every addition of which rounds up (lower bound) or down
  (upper bound of the interval), on the generated kernels whose data sums run as
  sequential vector lanes: the final margin / the interval slack of the mean cover it;
* every activation relaxation encloses the activation in exact arithmetic up to its
  activation slack (each activation's ``relax`` read as numpy and as kernel source);
* point boxes of the matrix's networks: the bound lies below the exact risk;
* the LP dual bound: the floating-point bound lies below the exact weak-duality bound
  (cancellation in the final sum, a reduced cost that rounds to zero), and the exact bound
  is rounded down.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from soundness_exact import F, exact_activation, exact_risk
from soundness_matrix import boxes, data, numba_cases, regularizer_specs, seed

from lptrain.certify import BoxBounder
from lptrain.nn import Node, dag, dense, loss_interval, node_intervals, risk_interval
from lptrain.solver import LinearProgram, dual_bound, solve_lp

BACKENDS = ("numpy", "numba")


def _backend(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    return backend


# ----- the node slack --------------------------------------------------------------------
def _sum_net():
    """``z = x0 + x1 + x2 + φ0`` with constant unit weights; φ0 = 0 adds nothing."""
    return dag(3, [Node.make([(0, None, 1.0), (1, None, 1.0), (2, None, 1.0)], bias=0)], [3])


def _sum_data():
    # 0.5 + 2^-54 + 2^-54 = 0.5 + 2^-53 exactly; a float sum that adds a 2^-54 to 0.5 first
    # loses it (a tie, rounded to even). Whatever the association order, two of the three
    # layouts lose: the computed output differs from the exact one, which equals the label.
    t = 2.0**-54
    X = np.array([[0.5, t, t], [t, 0.5, t], [t, t, 0.5]] * 3)
    return X, np.full((9, 1), 0.5 + 2.0**-53)


@pytest.mark.parametrize("backend", BACKENDS)
def test_node_slack_covers_the_rounding_of_a_node_sum(backend):
    net, (X, Y) = _sum_net(), _sum_data()
    point = np.zeros((1, 1))
    exact = exact_risk(net, "hamming", X, Y, point[0])
    assert exact == 0  # the exact outputs equal the labels
    b = BoxBounder(net, "hamming", X, Y, backend=_backend(backend))(point, point)
    assert b.lower[0] <= exact, f"affine bound {b.lower[0]!r} > exact risk 0"
    lo, _ = risk_interval(net, "hamming", X, Y, point, point, backend=backend)
    assert lo[0] <= exact, f"risk_interval {lo[0]!r} > exact risk 0"
    z_lo, z_hi = node_intervals(net, X, point, point)[-1]
    assert np.all((z_lo <= Y[:, 0]) & (Y[:, 0] <= z_hi)), "node interval misses the exact value"
    l_lo, _ = loss_interval(net, "hamming", X, Y, point, point)
    assert np.all(l_lo <= 0.0)


def test_interval_activation_slack_in_the_flat_parts():
    """tanh(30) and ELU(-40) round to ±1 and -α in floating point, while the exact values
    lie strictly inside: only the activation slack keeps the interval bounds of a node
    around the exact value there (its pre-activation slack is flattened away)."""
    net = dag(1, [Node.make([(0, None, 30.0)], bias=0, activation="tanh"),
                  Node.make([(0, None, -40.0)], bias=1, activation="elu:0.5"),
                  Node.make([(0, None, -30.0)], bias=0, activation="tanh"),
                  Node.make([(1, 2), (2, 2), (3, 2)])], [4])
    X = np.array([[1.0], [0.75]])
    point = np.zeros((1, net.N))
    vals = node_intervals(net, X, point, point)
    for v in (1, 2, 3):
        spec = net.nodes[v - 1].activation.spec
        lo, hi = (np.broadcast_to(a, (1, 2))[0] for a in vals[v])
        for d, x in enumerate(X[:, 0]):
            exact = exact_activation(spec, F(net.nodes[v - 1].inputs[0][2]) * F(x))
            assert lo[d] <= exact <= hi[d], (spec, float(x), lo[d], float(exact), hi[d])


# ----- the margins of the mean over the data -------------------------------------------
def _lane_data(up: bool):
    """``z = w x + b`` at ``w = 0, b = 1`` (exact), labels giving |z - y| = 2 for 16384
    points, then 50000 terms t that each round the running sum: with t = 2^-37 - 2^-43 +
    2^-53 every addition to a partial sum in [2^9, 2^16) rounds up by about 2^-43; with
    t = 2^-44 every one rounds down by 2^-44. A kernel whose sum over the data runs in up to
    32 sequential vector lanes has partial sums in that range in every lane."""
    big, small = 16384, 50000
    t = 2.0**-37 - 2.0**-43 + 2.0**-53 if up else 2.0**-44
    Y = np.concatenate([np.full(big, -1.0), np.full(small, 1.0 - t)])[:, None]
    exact = (Fraction(2) * big + small * (1 - F(1.0 - t))) / (big + small)
    return np.zeros_like(Y), Y, exact


@pytest.mark.parametrize("backend", BACKENDS)
def test_margins_cover_the_sum_over_the_data(backend):
    net = dense([1, 1], "identity")
    point = np.array([[0.0, 1.0]])
    X, Y, exact = _lane_data(up=True)
    b = BoxBounder(net, "abs", X, Y, backend=_backend(backend))(point, point)
    assert b.lower[0] <= exact, f"affine bound above the exact risk by {b.lower[0] - exact}"
    lo, _ = risk_interval(net, "abs", X, Y, point, point, backend=backend)
    assert lo[0] <= exact, f"risk_interval lower end above the exact risk by {lo[0] - exact}"
    X, Y, exact = _lane_data(up=False)
    _, hi = risk_interval(net, "abs", X, Y, point, point, backend=backend)
    assert hi[0] >= exact, f"risk_interval upper end below the exact risk by {exact - hi[0]}"


# ----- the activation slack --------------------------------------------------------------
def _ranges(rng, n=600):
    """Pre-activation ranges: wide, narrow (down to 1e-15), far in the flat parts of tanh
    and ELU, around the kinks."""
    c = np.concatenate([rng.uniform(-3, 3, n // 3), rng.choice([-1.0, 0.0, 1.0], n // 3)
                        + rng.normal(0, 1e-6, n // 3), rng.uniform(-3, 3, n - 2 * (n // 3))
                        * np.array([1.0, 6.0])[rng.integers(0, 2, n - 2 * (n // 3))]])
    w = 10.0 ** rng.uniform(-15, 0.5, n)
    lo, hi = c - w * rng.uniform(0, 1, n), c + w * rng.uniform(0, 1, n)
    return np.clip(lo, -7, 7), np.clip(hi, -7, 7)


def relax_module():
    """One compiled module with a numba function per activation of the matrix, each the
    kernel reading of the activation's ``relax`` (the fragment the affine kernel inlines)
    looped over arrays of ranges."""
    from soundness_matrix import activation_specs

    from lptrain import kernels
    from lptrain.components import _dsl
    from lptrain.nn import get_activation

    src = ["import math\nfrom numba import njit\n"]
    for k, spec in enumerate(activation_specs()):
        names = iter(f"t{i}" for i in range(10**6))
        lines, exprs = _dsl.fragment(get_activation(spec).relax, "lo", "hi",
                                     fresh=lambda names=names: next(names))
        body = ["lo = lo_[i]", "hi = hi_[i]", *lines]
        body += [f"out[{j}, i] = {e}" for j, e in enumerate(exprs)]
        src.append(f"\n\n@njit(cache=True, error_model='numpy')\ndef relax{k}(lo_, hi_, out):\n"
                   "    for i in range(lo_.shape[0]):\n"
                   + "\n".join("        " + b for b in body) + "\n")
    return kernels.compile_source("".join(src))


def _relaxers(backend):
    """``spec -> f(lo, hi) -> (λ, β_lo, β_hi)`` arrays: the activation's relaxation read as
    numpy (``relax``) or as the generated kernel source (:func:`relax_module`)."""
    from soundness_matrix import activation_specs

    from lptrain.certify._affine_numpy import relax
    from lptrain.nn import get_activation
    if backend == "numpy":
        return lambda spec: (lambda lo, hi: relax(get_activation(spec), lo, hi))
    mod = relax_module()
    index = {spec: k for k, spec in enumerate(activation_specs())}

    def make(spec):
        fn = getattr(mod, f"relax{index[spec]}")

        def f(lo, hi):
            out = np.empty((3, lo.size))
            fn(np.ascontiguousarray(lo, dtype=np.float64),
               np.ascontiguousarray(hi, dtype=np.float64), out)
            return out[0], out[1], out[2]
        return f
    return make


@pytest.mark.parametrize("backend", BACKENDS)
def test_relaxations_enclose_the_activation_up_to_the_activation_slack(backend):
    from soundness_matrix import activation_specs

    from lptrain.kernels import static_margins
    from lptrain.nn import get_loss
    make = _relaxers(_backend(backend))
    rng = np.random.default_rng(seed("relax-exact", backend))
    for spec in activation_specs():
        if spec == "identity":
            continue
        net = dense([1, 1], "identity", output_activation=spec)
        slack = Fraction(static_margins(net, get_loss("abs")).act_slack[net.outputs[0]])
        lo, hi = _ranges(rng)
        lam, bl, bh = make(spec)(lo, hi)
        worst = Fraction(0)
        inner = rng.uniform(0, 1, (lo.size, 8))  # where a(x) - λx has its extremes, unknown here
        for i in range(lo.size):
            L, H = F(lo[i]), F(hi[i])
            for x in (L, H, (L + H) / 2, L + (H - L) / 7,
                      *(L + (H - L) * F(t) for t in inner[i])):
                a = exact_activation(spec, x)
                below = F(lam[i]) * x + F(bl[i]) - a      # > 0: the lower line is above a
                above = a - F(lam[i]) * x - F(bh[i])      # > 0: the upper line is below a
                worst = max(worst, below, above)
        assert worst <= slack, (f"{spec} ({backend}): relaxation misses the activation by "
                                f"{float(worst):.3g} > activation slack {float(slack):.3g}")


# ----- point boxes against the exact risk ------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", numba_cases(), ids=lambda c: c.id)
def test_point_boxes_below_the_exact_risk(case, backend):
    """At a point box the bound is the risk minus the margins: compare it with the risk in
    exact arithmetic (points with exact 0, ±1 coordinates, faces, random)."""
    (_, net), = case.networks
    rng = np.random.default_rng(seed("point-exact", case.id))
    X, Y = data(net, case.loss, rng, D=5)
    lo, _, kinds = boxes(net.N, rng, per_kind=3)
    pts = lo[[k in ("point", "face", "edge") for k in kinds]]
    for reg in regularizer_specs():
        b = BoxBounder(net, case.loss, X, Y, reg, backend=_backend(backend))(pts, pts)
        for i, p in enumerate(pts):
            exact = exact_risk(net, case.loss, X, Y, p, reg)
            assert b.lower[i] <= exact, (case.id, backend, reg, p.tolist(), b.lower[i],
                                         float(exact))


# ----- the LP dual bound ------------------------------------------------------------------
def exact_weak_duality(lp: LinearProgram, y: np.ndarray) -> Fraction | None:
    """``o + Σ_i β_i(y_i) + Σ_j min_{x_j} r_j x_j`` with ``r = c - Aᵀy``, exactly (written
    here from the formula), for the min form ``min sign·(cᵀx + o)`` (a max problem is
    ``min -cᵀx - o`` with multipliers ``-y``); None when it needs an infinite bound."""
    sign = 1 if lp.sense == "min" else -1
    y = sign * np.asarray(y, dtype=np.float64)  # multipliers of the min form
    A = lp.A.tocsc()
    total = Fraction(sign * float(lp.offset))
    for i, yi in enumerate(y):
        if yi == 0:
            continue
        b = lp.row_lower[i] if yi > 0 else lp.row_upper[i]
        if not np.isfinite(b):
            return None
        total += F(yi) * F(b)
    for j in range(lp.n_cols):
        rows, vals = A.indices[A.indptr[j]:A.indptr[j + 1]], A.data[A.indptr[j]:A.indptr[j + 1]]
        r = sign * F(lp.c[j]) - sum((F(a) * F(y[i]) for i, a in zip(rows, vals, strict=True)),
                                    Fraction(0))
        if r == 0:
            continue
        b = lp.col_lower[j] if r > 0 else lp.col_upper[j]
        if not np.isfinite(b):
            return None
        total += r * F(b)
    return total


def _hard_lps():
    """(LP, y) pairs where only a margin keeps the float bound below the exact one."""
    inf = np.inf
    cancel = LinearProgram(c=[0.0], A=np.zeros((3, 1)), row_lower=[1e16, -1.0, -1e16],
                           row_upper=[inf, inf, inf], col_lower=[0.0], col_upper=[1.0])
    # 1e16 + (-1) rounds back to 1e16 (a tie, to even): the float sum is 0, the exact -1
    tiny_rc = LinearProgram(c=[1.0], A=[[1.0], [2.0**-60]], row_lower=[0.0, 0.0],
                            row_upper=[inf, inf], col_lower=[-1e20], col_upper=[1e20])
    # r = 1 - (1 + 2^-60) rounds to 0; times the bound 1e20 it is -86.7
    odd = LinearProgram(c=[0.0, -2.0**-60], A=[[1.0, 0.0]], row_lower=[1.0], row_upper=[inf],
                        col_lower=[0.0, 0.0], col_upper=[2.0, 1.0])
    # the exact bound -1 - 2^-60 is not a float: rounded to nearest it is -1
    return [(cancel, np.ones(3)), (tiny_rc, np.ones(2)), (odd, np.ones(1))]


def _random_lps(rng, count=40):
    out = []
    for k in range(count):
        m, n = int(rng.integers(1, 6)), int(rng.integers(1, 7))
        A = rng.normal(size=(m, n)) * (rng.uniform(size=(m, n)) < 0.7) * 10.0 ** rng.uniform(
            -8, 8, (m, n))
        lo = rng.uniform(-5, 0, n) * 10.0 ** rng.uniform(-3, 6, n)
        hi = lo + rng.uniform(0, 5, n) * 10.0 ** rng.uniform(-3, 6, n)
        act = A @ rng.uniform(lo, hi)
        lp = LinearProgram(c=rng.normal(size=n), A=A, row_lower=act - rng.uniform(0, 1, m),
                           row_upper=act + rng.uniform(0, 1, m), col_lower=lo, col_upper=hi,
                           offset=float(rng.normal()), sense=("min", "max")[k % 2])
        y = solve_lp(lp).row_duals if k % 3 else rng.normal(size=m)
        y = y * (1 + rng.normal(0, 1e-9, m))  # nearly optimal duals: nearly equal terms
        out.append((lp, np.asarray(y)))
    return out


def test_float_dual_bound_is_below_the_exact_bound():
    rng = np.random.default_rng(seed("dual-bound"))
    for lp, y in _hard_lps() + _random_lps(rng):
        exact = exact_weak_duality(lp, y)
        got = dual_bound(lp, y, exact=False)
        sign = 1 if lp.sense == "min" else -1
        if exact is None:
            assert got == -sign * np.inf
            continue
        assert sign * got <= exact, (f"float dual bound {got!r} beyond the exact bound "
                                     f"{float(sign * exact)!r}")


def test_exact_dual_bound_is_the_exact_bound_rounded_down():
    rng = np.random.default_rng(seed("dual-exact"))
    for lp, y in _hard_lps() + _random_lps(rng):
        exact = exact_weak_duality(lp, y)
        got = dual_bound(lp, y, exact=True)
        sign = 1 if lp.sense == "min" else -1
        if exact is None:
            assert got == -sign * np.inf
            continue
        low = sign * got
        assert low <= exact < float(np.nextafter(low, np.inf)) or low == exact, (
            f"exact dual bound {got!r} is not the exact {float(sign * exact)!r} rounded down")
