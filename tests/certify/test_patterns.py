"""The activation-pattern search (issue 11): sound node by node on the compiled kernel,
tight against an independent LP, and exact end to end against brute force over every
pattern, SCIP's global optimum and the convex reformulation with weight decay."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from pattern_oracles import (
    brute_force_1d,
    convex_reformulation,
    envelope_lp,
    envelope_value,
    lp_range,
    pack_cuts,
    patterns_1d,
    patterns_2d,
    region_vertices,
    relaxation_lp,
    sample_node,
    sign_risk,
)

from lptrain.certify import certify_erm, choose_method, solve_erm_scip
from lptrain.certify.patterns import from_params, patterns_available, sign_form, to_params
from lptrain.certify.patterns.cones import RMAX, certified_ranges, unit_vertices
from lptrain.certify.patterns.envelope import envelope_facet
from lptrain.certify.patterns.relaxation import (
    EXACT,
    INFEASIBLE,
    PRUNED,
    _regions,
    certify_upper,
    node_bound,
)
from lptrain.errors import InvalidInputError
from lptrain.nn import dense, empirical_risk, forward, get_loss, get_regularizer

pytestmark = pytest.mark.skipif(not patterns_available(), reason="needs numba")
LOSS_CODE = {"abs": 0, "quadratic": 1, "hinge": 2}


def _seed(*parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("-".join(map(str, parts)).encode()))


def _random_cuts(rng, Xt, h, depth, v0):
    """Cuts ±x̃_d · v_j >= 0 that keep the point v0 (so the node is not empty)."""
    cuts = []
    for j in range(h):
        ds = rng.choice(Xt.shape[0], depth, replace=False)
        cuts.append(np.array([np.sign(Xt[d] @ v0[j] + 1e-300) * Xt[d] for d in ds])
                    .reshape(-1, Xt.shape[1]))
    return cuts



# ----- the unit regions ------------------------------------------------------------------

@pytest.mark.parametrize("q", [2, 3, 4])
def test_certified_ranges_contain_the_exact_ranges(q):
    rng = _seed("ranges", q)
    X = np.column_stack([rng.uniform(-1, 1, (25, q - 1)), np.ones(25)])
    for _ in range(12):
        v0 = rng.uniform(-1, 1, (1, q))
        cuts = _random_cuts(rng, X, 1, int(rng.integers(0, 7)), v0)[0]
        normals = np.zeros((RMAX, q))
        normals[: len(cuts)] = cuts
        L, U, _ = certified_ranges(X, normals, len(cuts), -np.ones(q), np.ones(q))
        for d in range(X.shape[0]):
            lo, hi = lp_range(X[d], cuts)
            assert L[d] <= lo + 1e-12 and U[d] >= hi - 1e-12      # sound
            assert L[d] >= lo - 1e-9 and U[d] <= hi + 1e-9        # and tight


# ----- one node: sound box by box, and as tight as the LP --------------------------------

CASES = [  # n, h, loss, alpha, lam, c_free, bias
    (1, 2, "abs", 0.0, 0.0, True, True),
    (1, 3, "quadratic", 0.0, 0.0, True, True),
    (1, 3, "hinge", 0.0, 0.0, True, True),
    (2, 2, "abs", 0.2, 0.0, True, True),
    (2, 3, "quadratic", 0.0, 0.05, False, True),
    (1, 4, "abs", 0.0, 0.0, True, True),
    (3, 2, "abs", 0.0, 0.0, True, True),
    (2, 2, "hinge", 0.1, 0.02, True, False),
    (1, 2, "quadratic", 0.0, 0.1, True, True),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_node_bound_below_every_sampled_point(case):
    n, h, loss, alpha, lam, c_free, bias = case
    rng = _seed("node", *case)
    D = 30
    X = rng.uniform(-1, 1, (D, n))
    Xt = np.column_stack([X, np.ones(D)]) if bias else X
    q = Xt.shape[1]
    y = rng.uniform(-1, 1, D) if loss != "hinge" else np.where(rng.random(D) < 0.5, -1.0, 1.0)
    for trial in range(6):
        k = int(rng.integers(0, h + 1))
        signs = np.array([1.0] * k + [-1.0] * (h - k))
        pairs = np.array([(j, j + 1) for j in range(h - 1) if signs[j] == signs[j + 1]],
                         dtype=np.int64).reshape(-1, 2)
        v0 = rng.uniform(-1, 1, (h, q)) * rng.choice([1.0, 0.2])
        v0 = v0[np.argsort(v0[:, -1])] if len(pairs) else v0
        # order same-sign units by the ordering coordinate, as the search does
        for j1, j2 in pairs:
            if v0[j2, -1] < v0[j1, -1]:
                v0[[j1, j2]] = v0[[j2, j1]]
        depth = [0, 1, 3, 6, 12, 20][trial]
        cuts = _random_cuts(rng, Xt, h, min(depth, D), v0)
        normals, nr = pack_cuts(cuts, q, RMAX)
        p = (1 if c_free else 0) + h * q
        out = node_bound(Xt, y, LOSS_CODE[loss], alpha, signs, c_free, -1.0, 1.0, 0.3, lam,
                         normals, nr, pairs, q - 1, 60, np.zeros(p), -np.inf, np.inf)
        lb, theta, value, status = out[0], out[1], out[2], out[5]
        assert status != INFEASIBLE  # v0 is in the node
        c, V = sample_node(rng, cuts, h, q, 3000, pairs, q - 1, seeds=v0[None])
        if not c_free:
            c = np.full_like(c, 0.3)
        risk = sign_risk(Xt, y, loss, signs, c, V, alpha, lam, c_free)
        assert lb <= risk.min() + 1e-13, (trial, lb, risk.min())
        # the candidate's value is its true risk
        off = 1 if c_free else 0
        cc = np.array([theta[0] if c_free else 0.3])
        direct = sign_risk(Xt, y, loss, signs, cc, theta[off:].reshape(1, h, q), alpha, lam,
                           c_free)
        assert abs(direct[0] - value) <= 1e-12
        if status == EXACT:
            assert value - lb <= 1e-6
        # The parent's affine minorant is a bound on a child (the pruning shortcut).
        d = int(rng.integers(D))
        j = int(rng.integers(h))
        child = [c.copy() for c in cuts]
        child[j] = np.vstack([child[j], np.sign(Xt[d] @ v0[j] + 1e-300) * Xt[d]])
        cn, cnr = pack_cuts(child, q, RMAX)
        inh = node_bound(Xt, y, LOSS_CODE[loss], alpha, signs, c_free, -1.0, 1.0, 0.3, lam,
                         cn, cnr, pairs, q - 1, 60, out[8], out[9], -np.inf)
        assert inh[5] == PRUNED and inh[0] >= lb - 1e-12
        c2, V2 = sample_node(rng, child, h, q, 1500, pairs, q - 1, seeds=v0[None])
        if not c_free:
            c2 = np.full_like(c2, 0.3)
        assert inh[0] <= sign_risk(Xt, y, loss, signs, c2, V2, alpha, lam, c_free).min() + 1e-13


@pytest.mark.parametrize("n,h,alpha", [(1, 2, 0.0), (1, 3, 0.0), (2, 2, 0.0), (1, 2, 0.3),
                                       (2, 3, 0.0), (2, 2, 0.2)])
def test_node_bound_between_the_triangle_and_the_envelope_lp(n, h, alpha):
    """With the chords alone (``refine=0``) the certified bound is the optimum of the
    node's triangle LP (written here with explicit variables and exact LP ranges); with
    the envelope-facet pass it lies between that and the LP with the whole concave
    envelope of every ReLU over its unit's region (vertices by brute force), and in two
    input dimensions it is strictly above the triangle LP on some node."""
    rng = _seed("tight", n, h, alpha)
    D = 12
    X = rng.uniform(-1, 1, (D, n))
    Xt = np.column_stack([X, np.ones(D)])
    q = n + 1
    y = rng.uniform(-1, 1, D)
    gains = []
    for depth in (0, 2, 4, 7):
        signs = np.array([1.0] * (h - 1) + [-1.0])
        v0 = rng.uniform(-1, 1, (h, q))
        cuts = _random_cuts(rng, Xt, h, depth, v0)
        normals, nr = pack_cuts(cuts, q, RMAX)
        args = (Xt, y, 0, alpha, signs, True, -1.0, 1.0, 0.0, 0.0, normals, nr,
                np.zeros((0, 2), dtype=np.int64), q - 1, 80, np.zeros(1 + h * q), -np.inf,
                np.inf)
        chord = node_bound(*args, 0)[0]
        refined = node_bound(*args, 1)[0]
        ref = relaxation_lp(Xt, y, signs, cuts, alpha)
        assert chord <= ref + 1e-9 and chord >= ref - 1e-6, (depth, chord, ref)
        if alpha == 0.0:
            env = envelope_lp(Xt, y, signs, cuts, alpha)
            assert refined <= env + 1e-9, (depth, refined, env)
        assert refined >= chord - 1e-12
        gains.append(refined - ref)
    if n == 2 and alpha == 0.0:
        assert max(gains) > 1e-4, gains


# ----- the envelope facets ---------------------------------------------------------------

@pytest.mark.parametrize("q", [2, 3, 4])
def test_envelope_facet_is_the_hull_lp_and_valid(q):
    """The facet returned at v* has the value of the envelope LP at v* (scipy's HiGHS on
    the primal, vertices by brute force) and lies above max(0, x·v) at every vertex — at
    interior points, at vertices, on faces and at the origin (degenerate bases)."""
    rng = _seed("facet", q)
    X = np.column_stack([rng.uniform(-1, 1, (20, q - 1)), np.ones(20)])
    checked = 0
    for trial in range(40):
        v0 = rng.uniform(-1, 1, (1, q))
        cuts = _random_cuts(rng, X, 1, int(rng.integers(0, 5)), v0)[0]
        Vb = region_vertices(cuts, q)
        normals = np.zeros((RMAX, q))
        normals[: len(cuts)] = cuts
        V, _, nv, _ = unit_vertices(normals, len(cuts), -np.ones(q), np.ones(q))
        x = X[int(rng.integers(20))] * rng.choice([-1.0, 1.0])
        kind = trial % 4
        if kind == 0:
            vstar = rng.dirichlet(np.ones(len(Vb))) @ Vb
        elif kind == 1:
            vstar = Vb[int(rng.integers(len(Vb)))]
        elif kind == 2:
            i, k = rng.choice(len(Vb), 2, replace=False)
            vstar = 0.5 * (Vb[i] + Vb[k])
        else:
            vstar = np.zeros(q)
        w = np.zeros(q)
        beta, good = envelope_facet(V, nv, x, vstar, w)
        assert good, trial
        g = np.maximum(Vb @ x, 0.0)
        assert np.all(Vb @ w + beta >= g - 1e-9), trial
        assert abs(w @ vstar + beta - envelope_value(Vb, x, vstar)) <= 1e-8, trial
        checked += 1
    assert checked == 40


@pytest.mark.parametrize("q", [2, 3])
def test_certify_upper_makes_any_affine_function_valid(q):
    """Whatever ``(w, β)`` comes in — a facet, a chord, a random plane far too low — the
    β' returned makes ``w·v + β' >= max(0, x·v)`` on the region (checked at the vertices
    and at sampled points), and is not larger than needed (by more than 1e-9)."""
    rng = _seed("certify-upper", q)
    X = np.column_stack([rng.uniform(-1, 1, (15, q - 1)), np.ones(15)])
    for trial in range(30):
        v0 = rng.uniform(-1, 1, (1, q))
        cuts = _random_cuts(rng, X, 1, int(rng.integers(0, 5)), v0)[0]
        normals, nr = pack_cuts([cuts], q, RMAX)
        reg = _regions(normals, nr, q)
        regt = reg[:8] + (normals, nr) + reg[9:]
        x = X[int(rng.integers(15))]
        w = rng.normal(size=q)
        beta = float(rng.normal()) - 2.0
        b2 = certify_upper(w, beta, x, 0, *regt)
        Vb = region_vertices(cuts, q)
        need = float(np.max(np.maximum(Vb @ x, 0.0) - Vb @ w))
        assert b2 >= need and b2 >= beta, (trial, b2, need)
        assert b2 <= max(beta, need) + 1e-9, (trial, b2, need)
        _, V = sample_node(rng, [cuts], 1, q, 400, seeds=v0[None])
        pts = V[:, 0, :]
        assert np.all(pts @ w + b2 >= np.maximum(pts @ x, 0.0))


# ----- the sign form ---------------------------------------------------------------------

@pytest.mark.parametrize("reg", [None, "l2:0.1"])
def test_sign_form_round_trip_keeps_the_function(reg):
    rng = _seed("sf", reg)
    net = dense([2, 3, 1], "leaky_relu:0.1")
    sf = sign_form(net, get_loss("abs"), get_regularizer(reg))
    assert sf.ok
    phi = rng.uniform(-1, 1, net.N)
    c, V, signs = from_params(sf, phi)
    phi2 = to_params(sf, c, V, signs)
    X = rng.uniform(-1, 1, (40, 2))
    assert np.allclose(forward(net, X, phi[None], backend="numpy"),
                       forward(net, X, phi2[None], backend="numpy"), atol=1e-14)
    assert np.all(np.abs(phi2) <= 1.0)
    if reg:  # the balanced representation attains R(v) <= the original's penalty
        lam = 0.1
        pen = lam * (phi2 ** 2).sum()
        nrm = np.linalg.norm(V, axis=1)
        R = lam * (np.where(nrm <= 1, 2 * nrm, 1 + nrm**2).sum() + c**2)
        assert abs(pen - R) <= 1e-12 and pen <= lam * (phi ** 2).sum() + 1e-12


def test_method_choice_says_why():
    assert choose_method(dense([1, 3, 1]), "abs")[0] == "patterns"
    assert choose_method(dense([1, 3, 1]), "abs", backend="numpy")[0] == "boxes"
    assert "cross_entropy" in choose_method(dense([1, 3, 2]), "cross_entropy")[1]
    assert "l1" in choose_method(dense([1, 3, 1]), "abs", "l1:0.1")[1]
    assert choose_method(dense([1, 2, 2, 1]), "abs")[0] == "boxes"
    assert choose_method(dense([3, 2, 1]), "abs")[0] == "patterns"
    assert choose_method(dense([2, 1, 1]), "abs")[0] == "boxes"
    assert choose_method(dense([2, 1, 1]), "abs", method="patterns")[0] == "patterns"
    method, why = choose_method(dense([4, 2, 1]), "abs")
    assert method == "boxes" and "4 inputs plus a bias" in why
    with pytest.raises(InvalidInputError, match="method='patterns' does not apply"):
        certify_erm(dense([1, 2, 1], "tanh"), "abs", [[0.0]], [[0.0]], method="patterns")


# ----- end to end: exact oracles -----------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_brute_force_over_every_pattern_1d(seed):
    rng = _seed("brute", seed)
    D, h = 5, 2
    X = rng.uniform(-1, 1, (D, 1))
    y = rng.uniform(-0.8, 0.8, D)
    alpha = 0.25 if seed == 3 else 0.0
    ref = brute_force_1d(X, y, h, alpha)
    act = "leaky_relu:0.25" if alpha else "relu"
    cert = certify_erm(dense([1, h, 1], act), "abs", X, y[:, None], target_gap=1e-6,
                       progress=False, time_limit=60)
    assert cert.method == "patterns" and cert.status == "target reached"
    assert cert.lower_bound <= ref + 1e-9 <= cert.upper_bound + 2e-9
    assert cert.upper_bound - ref <= 1e-6


@pytest.mark.parametrize(("seed", "widths", "loss", "D"),
                         [(0, [1, 2, 1], "abs", 3), (1, [1, 1, 1], "abs", 4),
                          (2, [2, 1, 1], "abs", 4), (3, [1, 1, 1], "quadratic", 3)])
def test_against_scip_global_optimum(seed, widths, loss, D):
    """Instances small enough for SCIP's spatial branch and bound to close."""
    rng = _seed("scip", seed)
    net = dense(widths)
    X, Y = rng.uniform(-1, 1, (D, net.n)), rng.uniform(-1, 1, (D, 1))
    scip = solve_erm_scip(net, loss, X, Y, time_limit=30, target_gap=1e-4)
    assert scip.gap <= 1e-3
    cert = certify_erm(net, loss, X, Y, target_gap=1e-5, progress=False, method="patterns")
    assert cert.lower_bound <= scip.primal + 1e-6       # never above the true optimum
    assert cert.best_value >= scip.dual - 1e-6
    assert cert.best_value <= scip.primal + 1e-5        # and as good as SCIP's point


def _weight_decay_instance(seed, n, D, h, lam):
    rng = _seed("wd", seed, n)
    X = rng.uniform(-1, 1, (D, n))
    if n == 1:
        y = 0.6 * np.sin(2.5 * X[:, 0]) + 0.1 * rng.normal(size=D)
    else:
        y = 0.5 * np.sin(np.pi * X[:, 0] / 2) * np.cos(2 * X[:, 1])
    Xt = np.column_stack([X, np.ones(D)])
    pats = patterns_1d(X[:, 0]) if n == 1 else patterns_2d(Xt)
    pstar, norms = convex_reformulation(Xt, y, lam, pats)
    net = dense([n, h, 1])
    net = net.fix_parameters({net.N - 1: 0.0})  # no output bias, as in the convex program
    return net, X, y, pstar, norms


@pytest.mark.parametrize(("seed", "n", "D", "h", "lam"),
                         [(0, 1, 16, 3, 0.01), (1, 1, 20, 4, 0.01), (2, 2, 12, 3, 0.01),
                          (5, 1, 30, 3, 0.01)])
def test_weight_decay_matches_the_convex_reformulation(seed, n, D, h, lam):
    net, X, y, pstar, norms = _weight_decay_instance(seed, n, D, h, lam)
    active = norms > 1e-5
    assert active.sum() <= h and norms.max() <= 1.0  # so the box optimum equals p*
    cert = certify_erm(net, "quadratic", X, y[:, None], regularizer=f"l2:{lam}",
                       target_gap=1e-5, time_limit=120, progress=False)
    assert cert.method == "patterns"
    assert cert.lower_bound <= pstar + 1e-7 and pstar <= cert.upper_bound + 1e-7
    assert cert.gap <= 1e-3


def test_given_parameters_status_is_about_them():
    """With params, "target reached" means ERM(params) - lower bound <= target; a worse
    model is reported as exceeding the target, with the bound closed around the best."""
    rng = _seed("params")
    X = rng.uniform(-1, 1, (60, 1))
    y = np.abs(X[:, 0]) - 0.5
    net = dense([1, 2, 1])
    bad = np.zeros(net.N)
    cert = certify_erm(net, "abs", X, y[:, None], params=bad, target_gap=0.01,
                       progress=False)
    assert cert.status == "exceeds target"
    assert cert.params_value - cert.lower_bound > 0.01
    assert cert.best_value - cert.lower_bound <= 0.01
    good = cert.phi
    again = certify_erm(net, "abs", X, y[:, None], params=good, target_gap=0.01,
                        progress=False)
    assert again.status == "target reached" and again.gap <= 0.01
    assert abs(empirical_risk(net, "abs", X, y[:, None], good[None])[0]
               - again.params_value) <= 1e-15


def test_patterns_and_boxes_bracket_the_same_optimum():
    rng = _seed("both")
    X = rng.uniform(-1, 1, (40, 2))
    y = np.maximum(0.0, X[:, 0] - 0.3 * X[:, 1]) - 0.2
    net = dense([2, 1, 1])
    a = certify_erm(net, "quadratic", X, y[:, None], target_gap=1e-3, progress=False,
                    method="patterns")
    b = certify_erm(net, "quadratic", X, y[:, None], target_gap=1e-3, progress=False,
                    method="boxes")
    assert a.lower_bound <= b.best_value + 1e-12 and b.lower_bound <= a.best_value + 1e-12
    assert a.gap <= 1e-3 and b.gap <= 1e-3


def test_nodes_dropped_at_the_threshold_keep_their_bound_in_the_floor():
    """A node popped with a bound at or above the threshold is dropped, and its bound still
    counts: the search's lower bound stays the least bound of what was dropped."""
    from lptrain.certify.patterns.search import PatternProblem, PatternSearch

    rng = _seed("floor")
    X = rng.uniform(-1, 1, (30, 1))
    Y = 0.5 * np.sin(3.0 * X)
    sf = sign_form(dense([1, 3, 1]), get_loss("abs"), None)
    pb = PatternProblem.from_signform(sf, "abs", X, Y)
    thr = [np.inf]
    search = PatternSearch(pb, lambda: thr[0])
    search.step()  # the roots, none dropped at birth
    roots = search.lower_bound()
    assert search.heap and roots < search.best - 1e-6
    thr[0] = -np.inf  # every open node is now at or above the threshold
    search.step()
    assert search.done and search.lower_bound() == roots
