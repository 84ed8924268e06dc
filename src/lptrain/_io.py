"""Safe files: ``.npz`` without pickle and JSON, each with a kind, a format version and a
SHA-256 checksum, written atomically.

Every file lptrain writes goes through :func:`save_npz` or :func:`save_json`, every file it
reads through :func:`load_npz` or :func:`load_json`. A file is written to a temporary name in
the target folder and renamed into place only when complete, so a failure never leaves a
half-written file behind. Loading checks the kind, the version and the checksum, and turns
every malformed, truncated or tampered file into a :class:`~lptrain.errors.FileFormatError`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lptrain.errors import FileFormatError

__all__ = ["save_npz", "load_npz", "save_json", "load_json", "atomic_write_bytes", "checksum"]

_META_KEY = "__lptrain_meta__"


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> atomic_write_bytes(p, b"abc").read_bytes()
    b'abc'
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileFormatError(f"cannot write {target}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def checksum(arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of ``meta`` and every array's name, dtype, shape and bytes.

    Examples
    --------
    >>> a = checksum({"x": np.arange(3)}, {"k": 1})
    >>> a == checksum({"x": np.arange(3)}, {"k": 1}), a == checksum({"x": np.arange(4)}, {"k": 1})
    (True, False)
    """
    h = hashlib.sha256()
    h.update(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(f"|{name}|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _check_version(path: Path, kind: str, meta: Mapping[str, Any], versions: Iterable[int]) -> None:
    allowed = sorted(set(versions))
    if meta.get("kind") != kind:
        raise FileFormatError(
            f"{path} is not an lptrain {kind} file (its kind is {meta.get('kind')!r})"
        )
    if meta.get("format_version") not in allowed:
        raise FileFormatError(
            f"{path} has format version {meta.get('format_version')!r}; this lptrain reads "
            f"versions {allowed} of {kind} files"
        )


def save_npz(
    path: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
    *,
    kind: str,
    version: int,
    compress: bool = False,
) -> Path:
    """Save numeric arrays and JSON metadata to an ``.npz`` file, atomically and checksummed.

    Object arrays are refused (they would need pickle). ``compress`` trades speed for size.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.npz"
    >>> _ = save_npz(p, {"w": np.array([0.5, -1.0])}, {"note": "x"}, kind="demo", version=1)
    >>> arrays, meta = load_npz(p, kind="demo", versions=[1])
    >>> arrays["w"].tolist(), meta["note"]
    ([0.5, -1.0], 'x')
    """
    clean: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype.kind == "O" or name == _META_KEY:
            raise FileFormatError(f"array {name!r} cannot be stored safely (dtype {arr.dtype})")
        clean[name] = arr
    full_meta = {**dict(meta), "kind": kind, "format_version": version}
    full_meta["checksum"] = checksum(clean, full_meta)
    buf = io.BytesIO()
    writer = np.savez_compressed if compress else np.savez
    members: dict[str, Any] = {**clean, _META_KEY: np.array(json.dumps(full_meta))}
    writer(buf, **members)
    return atomic_write_bytes(path, buf.getvalue())


def load_npz(
    path: str | os.PathLike[str], *, kind: str, versions: Iterable[int]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load a file written by :func:`save_npz`; refuse a wrong kind, version or checksum."""
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such file")
    try:
        with np.load(p, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise FileFormatError(
            f"{p} is not a readable lptrain file (truncated or corrupt: {exc})"
        ) from None
    raw = arrays.pop(_META_KEY, None)
    if raw is None:
        raise FileFormatError(f"{p} has no lptrain metadata; it was not written by lptrain")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{p}: its metadata is not valid JSON ({exc})") from None
    _check_version(p, kind, meta, versions)
    stored = meta.pop("checksum", None)
    if stored != checksum(arrays, meta):
        raise FileFormatError(f"{p} fails its checksum: the file was modified or damaged")
    return arrays, meta


def save_json(
    path: str | os.PathLike[str], payload: Mapping[str, Any], *, kind: str, version: int
) -> Path:
    """Save a JSON document with kind, format version and checksum, atomically.

    Floats round-trip exactly (Python's ``repr`` is shortest-exact).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> _ = save_json(p, {"w": [0.1, 0.2]}, kind="model", version=1)
    >>> load_json(p, kind="model", versions=[1])["w"]
    [0.1, 0.2]
    """
    doc = {**dict(payload), "kind": kind, "format_version": version}
    doc["checksum"] = _json_checksum(doc)
    text = json.dumps(doc, indent=2, sort_keys=True, allow_nan=False)
    return atomic_write_bytes(path, (text + "\n").encode())


def _json_checksum(doc: Mapping[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "checksum"}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canon.encode()).hexdigest()


def load_json(
    path: str | os.PathLike[str], *, kind: str, versions: Iterable[int]
) -> dict[str, Any]:
    """Load a file written by :func:`save_json`; refuse a wrong kind, version or checksum."""
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such file")
    try:
        doc = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{p} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise FileFormatError(f"{p} must hold a JSON object; it holds {type(doc).__name__}")
    _check_version(p, kind, doc, versions)
    if doc.get("checksum") != _json_checksum(doc):
        raise FileFormatError(f"{p} fails its checksum: the file was modified or damaged")
    return {k: v for k, v in doc.items() if k != "checksum"}
