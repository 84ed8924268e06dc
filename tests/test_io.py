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
