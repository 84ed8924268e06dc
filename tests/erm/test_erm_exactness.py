"""Main Theorem 3.1 on ≥ 100 seeded random instances: the face LP optimum equals the
exhaustive minimum over the φ grid on the discretized data, "highs" and "structured"
agree, both certificates verify, and ERM(φ̃) - ERM(φ*) ≤ 2ε with ERM(φ*) bounded from
below by a fine exhaustive grid and its Lipschitz slack."""

from __future__ import annotations

import numpy as np
import pytest
from erm_zoo import FAMILIES, exhaustive_min, family, random_data, risks

from lptrain.discretize import to_grid
from lptrain.erm import ERMPolytope, explicit_dual
from lptrain.solver import dual_bound

DATASETS_PER_POLYTOPE = 3
MAX_COLUMNS = 300_000


def _groups() -> list[tuple[str, str, int, int, int]]:
    """36 (family, loss, bits, D, seed) polytopes; each is solved on 3 data sets."""
    rng = np.random.default_rng(31)
    fixed = [("relu1", 2, 1), ("relu1", 2, 50), ("net21", 2, 50), ("hinge21", 2, 50),
             ("relu1", 4, 1), ("net21", 3, 1), ("hinge21", 3, 1), ("relu1", 3, 36)]
    out = []
    for g in range(36):
        if g < len(fixed):
            name, bits, D = fixed[g]
        else:
            name = FAMILIES[g % 3]
            bits = int(rng.choice([2, 3, 4] if name == "relu1" else [2, 2, 3]))
            rows = 2 ** (bits * (family(name).network.n + 1 + family(name).network.N))
            D = int(rng.integers(1, max(1, min(50, MAX_COLUMNS // rows)) + 1))
        loss = str(rng.choice(["abs", "quadratic"])) if name != "hinge21" else "hinge"
        out.append((name, loss, bits, D, 1000 + g))
    return out


GROUPS = _groups()


def test_at_least_100_instances_covering_the_ranges():
    assert len(GROUPS) * DATASETS_PER_POLYTOPE >= 100
    assert {g[0] for g in GROUPS} == set(FAMILIES)
    assert min(g[3] for g in GROUPS) == 1 and max(g[3] for g in GROUPS) == 50
    assert {g[2] for g in GROUPS} == {2, 3, 4}


@pytest.mark.parametrize("name, loss, bits, D, seed", GROUPS)
def test_face_lp_is_exact_and_within_2eps(name, loss, bits, D, seed):
    fam = family(name, loss)
    poly = ERMPolytope.build(fam.network, fam.loss, samples=D, bits=bits)
    eps, L = poly.epsilon, poly.lipschitz.lipschitz
    rng = np.random.default_rng(seed)
    fine = min(bits + 3, 7) if fam.network.N == 2 else min(bits + 2, 5)
    for _ in range(DATASETS_PER_POLYTOPE):
        X, Y = random_data(fam, D, rng)
        Xt, Yt = to_grid(X, bits), to_grid(Y, bits)
        best = exhaustive_min(fam, Xt, Yt, bits)
        face = poly.face(X, Y)
        a = face.solve("highs")
        b = face.solve("structured")
        for sol in (a, b):
            assert abs(sol.lp_value - best) <= 1e-9
            assert abs(risks(fam, Xt, Yt, sol.phi[None])[0] - best) <= 1e-9
            assert sol.certificate.verified, sol.certificate
            assert sol.erm <= sol.lp_value + eps + 1e-12
            assert abs(sol.erm - risks(fam, X, Y, sol.phi[None])[0]) <= 1e-9
        # ERM(φ*) >= min over a fine grid - its slack eps_f (Lemma 3.1 on the fine grid)
        true_min = exhaustive_min(fam, X, Y, fine)
        lower = true_min - 2.0 * L / 2**fine
        assert a.erm - lower <= 2.0 * eps
        assert a.lower_bound <= true_min + 1e-12      # v̂ - ε ≤ ERM(φ*) ≤ fine minimum
        # the structured solver's explicit dual, mapped onto the polytope's rows
        y = explicit_dual(face, b.lp_value)
        assert dual_bound(face.lp(), y, exact=False) >= b.lp_value - 1e-9
