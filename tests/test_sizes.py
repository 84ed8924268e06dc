"""Sizes of the §3 polytope against a brute-force count and the Main Theorem 3.1 bounds."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lptrain.discretize import grid_points
from lptrain.errors import TooLargeError
from lptrain.nn import architecture_lipschitz, conv1d, dense, resnet
from lptrain.sizes import (
    TABLE1,
    data_informed_sizes,
    exact_sizes,
    main_theorem_bounds,
    phi_grid_size,
    polytope_sizes,
    table1_row,
)


def _brute_force(n, m, N, D, bits, phi_ok=None):
    """Enumerate the polytope of §3.2 (λ, X, rows, nonzeros) with plain loops."""
    K = 2**bits
    phis = [p for p in itertools.product(range(K), repeat=N) if phi_ok is None or phi_ok(p)]
    table = [(xy, p) for xy in itertools.product(range(K), repeat=n + m) for p in phis]
    lam = [(d, v) for d in range(D) for v in table]
    xs = [(e, p) for e in range(D - 1) for p in phis]
    rows = [("convex", d) for d in range(D)]
    nnz = len(lam)
    for e in range(D - 1):
        for side in (e, e + 1):
            for p in phis:
                rows.append(("marginal", e, side, p))
                nnz += 1 + sum(1 for (_, q) in table if q == p)
    return len(lam), len(xs), len(rows), nnz, len(phis)


@pytest.mark.parametrize("n, m, N, D, bits", [(1, 1, 1, 1, 1), (1, 1, 2, 3, 1),
                                              (2, 1, 1, 4, 2), (1, 2, 2, 2, 1)])
def test_exact_sizes_match_enumeration(n, m, N, D, bits):
    s = exact_sizes(n, m, N, D, bits)
    lam, xs, rows, nnz, phis = _brute_force(n, m, N, D, bits)
    assert (s.lambda_variables, s.x_variables, s.constraints, s.nonzeros, s.phi_grid) == (
        lam, xs, rows, nnz, phis)
    assert s.variables == lam + xs and s.table_rows == 2 ** (bits * (n + m + N))
    assert s.face_free_lambda == D * phis and s.face_variables == D * phis + xs
    assert s.enumeration_evaluations == D * phis and s.build_evaluations == s.table_rows
    assert s.tree_width == bits * (n + m + N) - 1


def test_constrained_phi_grid_is_counted():
    net = dense([1, 1]).with_constraint([[1.0, -1.0]], [0.0])  # φ0 <= φ1
    for bits in (1, 2, 3):
        pts = grid_points(2, bits)
        assert phi_grid_size(net, bits) == int((pts[:, 0] <= pts[:, 1]).sum())
    s, _, _ = polytope_sizes(net, "abs", 3, bits=2)
    lam, xs, rows, nnz, phis = _brute_force(1, 1, 2, 3, 2, lambda p: p[0] <= p[1])
    assert (s.lambda_variables, s.x_variables, s.constraints, s.nonzeros) == (lam, xs, rows,
                                                                             nnz)
    with pytest.raises(TooLargeError, match="counting the constrained parameter grid"):
        phi_grid_size(dense([3, 3, 1]).with_constraint(np.zeros((1, 16)), [1.0]), 3)


@pytest.mark.parametrize("bits", range(1, 8))
@pytest.mark.parametrize("D", [1, 2, 10, 1000])
def test_exact_counts_within_main_theorem_bounds(bits, D):
    """Main Theorem 3.1(a) as the paper states it, ``4D r^{n+m+N}`` variables and
    ``2D(2 r^{n+m+N} + 1)`` constraints with ``r = 2L/ε = K`` (written here, not taken
    from lptrain), against the counts of the §3.2 construction: D λ's per table row and
    (D - 1) K^N X's. The variable bound binds up to its factor 4; the constraint bound
    is loose by a factor of about K^{n+m} (the construction has D + 2(D-1)K^N rows),
    which is checked as the exact count."""
    K = 2**bits
    for n, m, N in ((1, 1, 1), (2, 1, 5), (3, 2, 7)):
        s = exact_sizes(n, m, N, D, bits)
        r = K ** (n + m + N)
        bound_v, bound_c = 4 * D * r, 2 * D * (2 * r + 1)
        assert (s.bound_variables, s.bound_constraints) == (bound_v, bound_c)
        assert main_theorem_bounds(n, m, N, D, K) == (bound_v, bound_c)
        assert s.variables == D * r + (D - 1) * K**N <= bound_v
        assert s.constraints == D + 2 * (D - 1) * K**N <= bound_c
        assert bound_v / 4 <= s.variables <= bound_v / 2  # binds up to a factor 2 to 4


def test_sizes_are_linear_in_D():
    a, b, c = (exact_sizes(2, 1, 3, D, 2) for D in (5, 6, 7))
    for key in ("variables", "constraints", "nonzeros", "face_variables"):
        assert getattr(b, key) - getattr(a, key) == getattr(c, key) - getattr(b, key)
    assert a.build_evaluations == c.build_evaluations  # independent of D


def test_counts_beyond_int64_stay_exact():
    s = exact_sizes(4, 2, 20, 10**6, 30)
    assert s.variables > 2**63 and s.variables == 10**6 * 2**(30 * 26) + (10**6 - 1) * 2**600


def test_polytope_sizes_from_eps():
    net = dense([2, 1, 1])
    L = architecture_lipschitz(net, "abs").lipschitz
    s, report, eps = polytope_sizes(net, "abs", 50, eps=30.0)
    assert report.lipschitz == L == 168.0
    assert s.bits == 4 and eps == 2 * L / 16 <= 30.0  # 2L/eps = 11.2 -> 4 bits
    assert s.bound_variables == 4 * 50 * (2 * L / eps) ** 8


def test_data_informed_variant_remark_3_2():
    net = dense([2, 1, 1])
    s = data_informed_sizes(net, "abs", 100, 100, bits=3)
    full, _, _ = polytope_sizes(net, "abs", 100, bits=3)
    assert s.data_informed and s.table_rows == 100 * 8**5
    assert s.lambda_variables == 100 * s.table_rows < full.lambda_variables


def test_table1_rows():
    assert len(TABLE1) == 5
    assert table1_row(dense([2, 3, 1]), "quadratic").architecture == "DNN"
    assert "log(m)" in table1_row(dense([2, 3, 2]), "cross_entropy").expression
    assert table1_row(conv1d(6, [(1, 3)], [1]), "abs").notes == "N << |E(G)|"
    assert "Delta" in table1_row(resnet(2, 2, 1, 1), "hinge").expression
    cnn_ce = table1_row(conv1d(6, [(1, 3)], [2]), "cross_entropy")
    assert cnn_ce.architecture == "CNN" and "log(m)" in cnn_ce.expression


def _table1_log_value(row, *, m, width, k, eps, n, N, D, C=24.0, c=4.0):
    """The log of a Table 1 expression evaluated with its O(·) constants made explicit:
    ``C D (C m [log m] width^{c k²} / ε)^{n+m+N}`` (width = w for a DNN/CNN, Δ for a
    ResNet; the log m factor in the cross-entropy rows)."""
    known = {"O((m w^O(k^2) / eps)^(n+m+N) D)": False,
             "O((m log(m) w^O(k^2) / eps)^(n+m+N) D)": True,
             "O((m Delta^O(k^2) / eps)^(n+m+N) D)": False,
             "O((m log(m) Delta^O(k^2) / eps)^(n+m+N) D)": True}
    assert row.expression in known, f"evaluate the new Table 1 expression {row.expression!r}"
    logm = (1.0 + math.log(m)) if known[row.expression] else 1.0
    base = math.log(C * m * logm / eps) + c * k * k * math.log(width)
    return math.log(C * D) + (n + m + N) * base


@pytest.mark.parametrize("loss", ["abs", "quadratic", "hinge", "cross_entropy"])
def test_table1_expressions_bound_the_exact_sizes(loss):
    """Table 1 evaluated, not compared as text: the exact polytope size (variables, at an
    ε giving three bits) lies below the row's expression with explicit constants
    (C = 24, exponent 4k²) for DNNs, CNNs and ResNets of several widths, depths and output
    dimensions; the exponent counts the distinct parameters N (CNN: N ≪ |E|); and the
    Lipschitz constant grows as width^{O(k²)}: its exponent lies between k(k+1)/2 and
    k(k+1)/2 + k (Lemma 4.1 / Corollary 4.2)."""
    D = 7
    nets = [dense([2] + [w] * (k - 1) + [m]) for w in (2, 3, 5) for k in (1, 2, 3)
            for m in (1, 3)]
    nets += [conv1d(6, [(1, 3)], [m]) for m in (1, 2)]
    nets += [resnet(2, w, b, m) for w in (2, 3) for b in (1, 2) for m in (1, 2)]
    for net in nets:
        row = table1_row(net, loss)
        eps = architecture_lipschitz(net, loss).lipschitz / 4  # 2L/ε = 8: three bits
        s, report, _ = polytope_sizes(net, loss, D, eps=eps)
        width, k = net.max_in_degree, net.depth
        assert math.log(s.variables) <= _table1_log_value(
            row, m=net.m, width=max(width, 2), k=k, eps=eps, n=net.n, N=net.N, D=D), (net, loss)
        assert s.table_rows == s.levels ** (net.n + net.m + net.N)  # N distinct parameters
        if net.kind == "dense" and width >= 2:
            # Π 2U_i with U_i = Σ_{j<=i} w^j in [w^i, 2w^i]: exponent in [k(k+1)/2, .. + k]
            growth = math.log(report.network_constant / 2**k) / math.log(width)
            assert k * (k + 1) / 2 - 1e-9 <= growth <= k * (k + 1) / 2 + k, (net, growth)
