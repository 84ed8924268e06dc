"""Safe file formats: exact round trips; truncated, tampered, foreign and future files refused."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from lptrain._io import load_json, load_npz, save_json, save_npz
from lptrain.errors import FileFormatError


def _arrays(rng):
    return {
        "w": rng.standard_normal((7, 3)),
        "idx": rng.integers(0, 2**40, size=11, dtype=np.int64),
        "flags": rng.random(5) > 0.5,
    }


def test_npz_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    arrays = _arrays(rng)
    path = save_npz(tmp_path / "a.npz", arrays, {"note": "é", "n": 3}, kind="t", version=2)
    got, meta = load_npz(path, kind="t", versions=[1, 2])
    assert set(got) == set(arrays)
    for k, v in arrays.items():
        assert got[k].dtype == v.dtype and np.array_equal(got[k], v)
    assert meta["note"] == "é" and meta["format_version"] == 2


@pytest.mark.parametrize("compress", [False, True])
def test_npz_truncated_is_refused(tmp_path, compress):
    path = save_npz(tmp_path / "a.npz", _arrays(np.random.default_rng(1)), {}, kind="t",
                    version=1, compress=compress)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="truncated or corrupt"):
        load_npz(path, kind="t", versions=[1])


def test_npz_tampered_array_is_refused(tmp_path):
    path = save_npz(tmp_path / "a.npz", {"w": np.zeros(4)}, {}, kind="t", version=1)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    raw = bytearray(members["w.npy"])
    raw[-1] ^= 0x01  # flip one bit of the last float
    members["w.npy"] = bytes(raw)
    with zipfile.ZipFile(path, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    with pytest.raises(FileFormatError, match="fails its checksum"):
        load_npz(path, kind="t", versions=[1])


def test_npz_wrong_kind_and_version(tmp_path):
    path = save_npz(tmp_path / "a.npz", {"w": np.zeros(2)}, {}, kind="model", version=3)
    with pytest.raises(FileFormatError, match="not an lptrain polytope file"):
        load_npz(path, kind="polytope", versions=[3])
    with pytest.raises(FileFormatError,
                       match=r"format version 3; this lptrain reads versions \[1\]"):
        load_npz(path, kind="model", versions=[1])


def test_npz_foreign_file_and_object_arrays(tmp_path):
    foreign = tmp_path / "f.npz"
    np.savez(foreign, a=np.arange(3))
    with pytest.raises(FileFormatError, match="no lptrain metadata"):
        load_npz(foreign, kind="t", versions=[1])
    with pytest.raises(FileFormatError, match="cannot be stored safely"):
        save_npz(tmp_path / "o.npz", {"o": np.array([{}], dtype=object)}, {}, kind="t", version=1)
    assert not (tmp_path / "o.npz").exists()
    with pytest.raises(FileFormatError, match="no such file"):
        load_npz(tmp_path / "missing.npz", kind="t", versions=[1])


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "a.npz"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_npz(target, {"w": np.zeros(3)}, {}, kind="t", version=1)
    assert list(tmp_path.iterdir()) == []


def test_json_round_trip_exact_floats(tmp_path):
    rng = np.random.default_rng(2)
    values = rng.standard_normal(50).tolist()
    path = save_json(tmp_path / "m.json", {"w": values, "name": "x"}, kind="model", version=1)
    doc = load_json(path, kind="model", versions=[1])
    assert doc["w"] == values  # bit-exact
    text = json.loads(path.read_text())
    text["w"][0] += 1e-12
    path.write_text(json.dumps(text))
    with pytest.raises(FileFormatError, match="fails its checksum"):
        load_json(path, kind="model", versions=[1])
    path.write_text("{not json")
    with pytest.raises(FileFormatError, match="not valid JSON"):
        load_json(path, kind="model", versions=[1])


def test_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        save_json(tmp_path / "m.json", {"w": [float("nan")]}, kind="model", version=1)
    assert not (tmp_path / "m.json").exists()


def test_files_get_the_process_umask_and_interrupted_writes_leave_nothing(tmp_path,
                                                                         monkeypatch):
    import os

    from lptrain._io import atomic_write_bytes, remove_temporaries

    old = os.umask(0o027)
    try:
        assert (atomic_write_bytes(tmp_path / "a", b"x").stat().st_mode & 0o777) == 0o640
    finally:
        os.umask(old)

    def interrupted(fd):
        assert any(p.suffix == ".part" for p in tmp_path.iterdir())  # the write is open
        raise KeyboardInterrupt

    monkeypatch.setattr("lptrain._io.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "b", b"y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"] and remove_temporaries() == []


def test_write_errors_name_the_path(tmp_path):
    from lptrain._io import atomic_write_bytes
    from lptrain.errors import OutputError

    with pytest.raises(OutputError, match="cannot write .*/nowhere/a: folder .*/nowhere does "
                                          "not exist"):
        atomic_write_bytes(tmp_path / "nowhere" / "a", b"x")
    with pytest.raises(OutputError, match="it is a folder; give a file name"):
        atomic_write_bytes(tmp_path, b"x")


def test_output_paths_are_checked_before_the_work(tmp_path):
    from lptrain._io import check_output_path
    from lptrain.errors import InvalidInputError

    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    (tmp_path / "link.csv").symlink_to(data)
    for path, message in [
        (tmp_path / "link.csv", "is the input data file"),     # the same file, another name
        (data, "is the input data file"),
        (tmp_path, "is a folder; give a file name inside it"),
        (tmp_path / "no" / "m.json", "folder .* does not exist; create it first"),
        (data / "m.json", "is a file, not a folder"),
        ("/dev/null", "exists and is not a regular file"),
        ("", "is empty; give a file name"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            check_output_path(path, "-o", inputs=[("data file", data)])
    assert check_output_path(tmp_path / "m.json", "-o").name == "m.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "link.csv"]  # probe gone


def _member(tmp_path, name, shape, nbytes, descr="<f8"):
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
                   + b"\0" * nbytes)
    return path


def test_npz_headers_are_checked_before_allocating(tmp_path):
    from lptrain._io import read_npz_arrays

    with pytest.raises(FileFormatError, match=r"declares shape \(1000000000000,\) "
                                              r"\(8000000000000 bytes\) but holds 8 bytes"):
        read_npz_arrays(_member(tmp_path, "big.npz", (10**12,), 8))
    with pytest.raises(FileFormatError, match="holds Python objects"):
        read_npz_arrays(_member(tmp_path, "obj.npz", (1,), 8, descr="|O"))
    with zipfile.ZipFile(tmp_path / "other.npz", "w") as z:
        z.writestr("readme.txt", b"hello")
    with pytest.raises(FileFormatError, match="member 'readme.txt' is not a .npy array"):
        read_npz_arrays(tmp_path / "other.npz")
    assert read_npz_arrays(_member(tmp_path, "ok.npz", (2,), 16))["a"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("text", "message"), [
    ("[1, NaN]", r"NaN is not a JSON number \(JSON has no NaN or Infinity\)"),
    ('{"a": -Infinity}', "-Infinity is not a JSON number"),
    ("[1e999]", "the number 1e999 overflows a float"),
    ("[" * 50_000 + "]" * 50_000, "is nested too deeply to be a valid document"),
    ("[" + "9" * 5000 + "]", "Exceeds the limit"),
    ("{", "is not valid JSON"),
])
def test_json_is_read_strictly(tmp_path, text, message):
    from lptrain._io import read_json_file

    path = tmp_path / "d.json"
    path.write_text(text)
    with pytest.raises(FileFormatError, match=message):
        read_json_file(path, "params file")


def test_json_with_a_byte_order_mark_and_huge_counts(tmp_path):
    from lptrain._io import read_json_file, to_jsonable

    path = tmp_path / "d.json"
    path.write_bytes("\ufeff[1, 2]".encode())
    assert read_json_file(path) == [1, 2]
    # counts beyond a float: a string in scientific notation (Python cannot even print
    # integers of more than 4300 digits), small ones exact
    assert to_jsonable({"k": 4**300001, "n": 10**299, "x": np.float64("inf")}) == {
        "k": "3.9761e+180618", "n": 10**299, "x": None}
