"""Save → load → solve; truncated, tampered and foreign files are refused; MPS export."""

from __future__ import annotations

import numpy as np
import pytest
from erm_zoo import family, random_data

from lptrain._io import save_npz
from lptrain.erm import ERMPolytope
from lptrain.erm.files import VERSION
from lptrain.errors import FileFormatError, InvalidInputError, TooLargeError


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    fam = family("relu1", "abs")
    poly = ERMPolytope.build(fam.network, fam.loss, samples=6, bits=2, regularizer="l2:0.05")
    path = poly.save(tmp_path_factory.mktemp("poly") / "p.npz")
    return fam, poly, path


def test_save_load_solve_gives_identical_results(saved):
    fam, poly, path = saved
    loaded = ERMPolytope.load(path)
    assert loaded.sizes == poly.sizes and loaded.epsilon == poly.epsilon
    assert loaded.regularizer == poly.regularizer and loaded.materialized
    for a in ("c", "col_lower", "col_upper", "row_lower", "row_upper"):
        assert np.array_equal(getattr(loaded.lp, a), getattr(poly.lp, a))
    assert (loaded.lp.A != poly.lp.A).nnz == 0
    rng = np.random.default_rng(4)
    for _ in range(2):
        X, Y = random_data(fam, 6, rng)
        for solver in ("highs", "structured"):
            s1, s2 = poly.face(X, Y).solve(solver), loaded.face(X, Y).solve(solver)
            assert s1.phi_index == s2.phi_index and s1.lp_value == s2.lp_value
            assert s1.erm == s2.erm


def test_truncated_and_bit_flipped_files_are_refused(saved, tmp_path):
    _, _, path = saved
    data = path.read_bytes()
    short = tmp_path / "short.npz"
    short.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="truncated or corrupt"):
        ERMPolytope.load(short)
    flipped = bytearray(data)
    at = data.index(b"loss_table") + 300          # inside the stored table
    flipped[at] ^= 0x01
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(FileFormatError):
        ERMPolytope.load(bad)


def test_wrong_kind_and_mismatched_table_are_refused(saved, tmp_path):
    fam, poly, _ = saved
    other = save_npz(tmp_path / "m.npz", {"w": np.zeros(2)}, {}, kind="model", version=1)
    with pytest.raises(FileFormatError, match="is not an lptrain polytope file"):
        ERMPolytope.load(other)
    forged = poly.save(tmp_path / "forged.npz")
    from lptrain._io import load_npz
    arrays, meta = load_npz(forged, kind="polytope", versions=[VERSION])
    arrays["loss_table"] = arrays["loss_table"] + 0.5     # valid checksum, wrong numbers
    save_npz(forged, arrays, meta, kind="polytope", version=VERSION)
    with pytest.raises(FileFormatError, match="the table disagrees with its own network"):
        ERMPolytope.load(forged)
    meta["samples"] = 7
    save_npz(forged, {"loss_table": arrays["loss_table"]}, meta, kind="polytope",
             version=VERSION)
    with pytest.raises(FileFormatError, match="stored sizes do not match"):
        ERMPolytope.load(forged)


def test_load_applies_the_size_guard_and_define_cannot_be_saved(saved, tmp_path):
    fam, _, path = saved
    with pytest.raises(TooLargeError, match="the limit is 1.0 KiB"):
        ERMPolytope.load(path, max_memory=1024)
    defined = ERMPolytope.define(fam.network, fam.loss, samples=3, bits=2)
    with pytest.raises(InvalidInputError, match="needs a materialized polytope"):
        defined.save(tmp_path / "d.npz")


def test_data_informed_polytope_round_trips(tmp_path):
    fam = family("net21", "abs")
    rng = np.random.default_rng(1)
    Xp, Yp = random_data(fam, 12, rng)
    poly = ERMPolytope.build(fam.network, fam.loss, samples=4, bits=2, points=(Xp, Yp))
    loaded = ERMPolytope.load(poly.save(tmp_path / "di.npz"))
    assert loaded.points.data_informed and np.array_equal(loaded.points.levels,
                                                          poly.points.levels)
    X, Y = Xp[[0, 3, 5, 7]], Yp[[0, 3, 5, 7]]
    assert loaded.face(X, Y).solve().lp_value == poly.face(X, Y).solve().lp_value


def test_mps_export_is_read_back_by_scip_to_the_same_optimum(tmp_path):
    pyscipopt = pytest.importorskip("pyscipopt")
    fam = family("relu1", "abs")
    poly = ERMPolytope.build(fam.network, fam.loss, samples=3, bits=2)
    X, Y = random_data(fam, 3, np.random.default_rng(3))
    face = poly.face(X, Y)
    value = face.solve().lp_value
    for path in (face.write_mps(tmp_path / "face.mps"), poly.write_mps(tmp_path / "p.mps")):
        model = pyscipopt.Model()
        model.hideOutput()
        model.readProblem(str(path))
        model.optimize()
        assert model.getStatus() == "optimal"
        if path.name == "face.mps":
            assert abs(model.getObjVal() - value) < 1e-7
        else:   # the whole polytope: the best data set of all (a loss of 0 is reachable)
            assert model.getObjVal() <= value + 1e-9


def _forged(tmp_path, fam, poly, X, Y, value=0.0):
    """A copy of ``poly``'s file whose loss table is made cheaper at one φ column for the
    face of (X, Y), with the checksum recomputed (what an editor of the file can do)."""
    from lptrain._io import load_npz

    arrays, meta = load_npz(poly.save(tmp_path / "honest.npz"), kind="polytope",
                            versions=[VERSION])
    table = arrays["loss_table"].copy()
    rows = np.unique(poly.face(X, Y).point_rows)
    target = int(np.argmax(table[rows].sum(axis=0)))  # the worst φ becomes the cheapest
    table[rows, target] = value
    path = tmp_path / "forged.npz"
    save_npz(path, {"loss_table": table}, meta, kind="polytope", version=VERSION)
    return path, target


def test_verified_means_recomputed_a_forged_table_is_refused(saved, tmp_path, monkeypatch):
    import lptrain.erm.files as files_module
    import lptrain.erm.solvers as face_module  # the face solvers

    monkeypatch.setattr(files_module, "_SPOT_CHECKS", 0)  # an edit the random checks missed
    fam, poly, _ = saved
    X, Y = random_data(fam, 6, np.random.default_rng(7))
    truth = poly.face(X, Y).solve("structured")
    path, target = _forged(tmp_path, fam, poly, X, Y)
    loaded = ERMPolytope.load(path, verify="sample")
    assert loaded.table_source == "file" and loaded.source == str(path)
    with pytest.raises(FileFormatError, match=r"forged.npz: the loss table disagrees with "
                                              r"its own network: entry \(data point \d+, φ "
                                              rf"column {target}\) is 0.0 but the network"):
        loaded.face(X, Y).solve("highs")
    # the structured check never reads the file's table: the true optimum, verified
    s = loaded.face(X, Y).solve("structured")
    assert (s.phi_index, s.lp_value) == (truth.phi_index, truth.lp_value)
    assert s.certificate.verified and "numpy reference evaluator" in s.certificate.method
    # what the check stands between: without it HiGHS returns the forged optimum, "verified"
    monkeypatch.setattr(face_module, "check_face_table",
                        lambda face: {"entries": 0, "max_difference": 0.0, "agree": True})
    wrong = ERMPolytope.load(path, verify="sample").face(X, Y).solve("highs")
    assert wrong.lp_value < truth.lp_value - 1e-6 and wrong.certificate.verified


def test_full_verification_on_load_refuses_any_edit(saved, tmp_path, monkeypatch):
    import lptrain.erm.files as files_module

    monkeypatch.setattr(files_module, "_SPOT_CHECKS", 0)  # only the full recomputation left
    fam, poly, path = saved
    X, Y = random_data(fam, 6, np.random.default_rng(8))
    forged, target = _forged(tmp_path, fam, poly, X, Y, value=0.125)
    with pytest.raises(FileFormatError, match=rf"loss table entry \(\d+, {target}\) is 0.125 "
                                              "but the stored network and loss give"):
        ERMPolytope.load(forged)  # verify="full", the default
    loaded = ERMPolytope.load(path, verify="full")
    assert loaded.build_seconds["table_check"] >= 0
    with pytest.raises(InvalidInputError, match="verify must be one of 'full', 'sample'"):
        ERMPolytope.load(path, verify="none")


def test_an_honest_file_is_verified_against_recomputed_costs(saved):
    fam, poly, path = saved
    X, Y = random_data(fam, 6, np.random.default_rng(9))
    for source in (poly, ERMPolytope.load(path)):
        s = source.face(X, Y).solve("highs")
        cert = s.certificate
        assert cert.verified and "recomputed from the network and the data" in cert.method
        distinct = np.unique(source.face(X, Y).point_rows).size
        assert cert.details["costs_recomputed"] == distinct * source.sizes.phi_grid
        assert cert.details["costs_max_difference"] <= 1e-12
    s = ERMPolytope.load(path).face(X, Y).solve("highs", verify=False)
    assert not s.certificate.verified  # not checked, never called verified
