"""Certificates: what they verify, and that they fail when the answer is wrong."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from erm_zoo import family, random_data

import lptrain.erm.certificate as certificate
import lptrain.erm.solvers as face_module  # the face solvers
from lptrain.erm import ERMPolytope, explicit_dual, verify_structured
from lptrain.erm.ties import TieBreak
from lptrain.errors import CertificateError
from lptrain.solver import HighsSession, dual_bound


@pytest.fixture(scope="module")
def instance():
    fam = family("net21", "abs")
    poly = ERMPolytope.build(fam.network, fam.loss, samples=5, bits=2)
    defined = ERMPolytope.define(fam.network, fam.loss, samples=5, bits=2)
    X, Y = random_data(fam, 5, np.random.default_rng(8))
    return poly, defined, X, Y


def test_explicit_dual_proves_the_optimum_exactly_on_the_polytope(instance):
    poly, _, X, Y = instance
    face = poly.face(X, Y)
    sol = face.solve("structured")
    y = explicit_dual(face, sol.lp_value)
    assert dual_bound(face.lp(), y, exact=True) == pytest.approx(sol.lp_value, abs=1e-15)
    wrong = explicit_dual(face, sol.lp_value + 0.1)     # infeasible dual: weaker bound
    assert dual_bound(face.lp(), wrong, exact=True) < sol.lp_value + 0.1 - 1e-3


@pytest.mark.parametrize("which", ["built", "defined"])
def test_structured_check_detects_a_wrong_optimum(instance, which):
    poly, defined, X, Y = instance
    face = (poly if which == "built" else defined).face(X, Y)
    good = face.solve("structured")
    assert good.certificate.verified
    high = verify_structured(face, good.phi_index, good.lp_value + 0.05, "full")
    assert not high.verified and high.details["max_violation"] == pytest.approx(0.05)
    other = (good.phi_index + 1) % 64
    low = verify_structured(face, other, good.lp_value, "full")
    assert not low.details["attained"] or not low.verified


def test_structured_solve_raises_when_the_kernel_lies(instance, monkeypatch):
    poly, defined, X, Y = instance
    truth = poly.face(X, Y).solve("structured")
    worse = (truth.phi_index + 7) % 64

    def lying_minimum(*args, **kwargs):  # the structured pass: erm.ties.grid_minimum
        return TieBreak(worse, truth.lp_value, 1, 0.0, True, 64)
    monkeypatch.setattr(face_module, "grid_minimum", lying_minimum)
    for p in (poly, defined):
        with pytest.raises(CertificateError, match="failed its independent check"):
            p.face(X, Y).solve("structured")


def test_highs_check_detects_corrupted_duals(instance, monkeypatch):
    poly, _, X, Y = instance
    original = HighsSession.solve

    def corrupted(self):
        sol = original(self)
        return dataclasses.replace(sol, row_duals=np.zeros_like(sol.row_duals))
    monkeypatch.setattr(HighsSession, "solve", corrupted)
    poly.close()
    with pytest.raises(CertificateError, match="failed its independent check"):
        poly.face(X, Y).solve("highs")
    poly.close()


def test_highs_certificate_reports_what_was_checked(instance):
    poly, _, X, Y = instance
    sol = poly.face(X, Y).solve("highs")
    c = sol.certificate
    assert c.verified and "exact rational" in c.method and c.details["exact"]
    assert c.details["row_residual"] <= 1e-12 and c.details["fixed_columns_max"] == 0.0
    assert c.dual_bound <= sol.lp_value + 1e-12 and c.gap <= 1e-9
    assert c.details["face_lp"]["variables"] == poly.sizes.face_variables
    warm = poly.face(X[::-1], Y[::-1]).solve("highs", warm_start=True)
    assert warm.info["warm_start"] and warm.lp_value == pytest.approx(sol.lp_value)


def test_verify_modes(instance, monkeypatch):
    _, defined, X, Y = instance
    face = defined.face(X, Y)
    off = face.solve("structured", verify=False)
    assert not off.certificate.verified and "not checked" in off.certificate.method
    sample = face.solve("structured", verify="sample")
    assert not sample.certificate.verified and "random sample" in sample.certificate.method
    assert "not a full verification" in sample.certificate.method
    monkeypatch.setattr(certificate, "FULL_VERIFY_EVALUATIONS", 10)
    auto = face.solve("structured")              # 5 * 64 evaluations > 10: sampled
    assert auto.certificate.details["mode"] == "sample" and not auto.certificate.verified
    full = face.solve("structured", verify="full")
    assert full.certificate.verified and full.certificate.details["phi_checked"] == 64
    assert full.certificate.details["evaluations"] == 64 * 5
    highs_off = ERMPolytope.build(defined.network, "abs", samples=5, bits=2).face(
        X, Y).solve("highs", verify=False)
    assert not highs_off.certificate.verified and highs_off.certificate.method.startswith(
        "not verified")
