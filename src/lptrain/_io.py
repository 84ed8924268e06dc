"""Safe files: ``.npz`` without pickle and JSON, each with a kind, a format version and a
SHA-256 checksum, written atomically with the process umask.

Every file lptrain writes goes through :func:`atomic_write_bytes` (directly or through
:func:`save_npz` / :func:`save_json`), every file it reads through :func:`load_npz`,
:func:`load_json`, :func:`read_npz_arrays` or :func:`read_json_file`.

* Writing: a temporary file in the target folder, renamed into place only when complete,
  so a failure never leaves a half-written file; its mode is ``0o666 & ~umask`` (like
  ``open``), and every temporary file still open is listed so that a signal handler can
  remove it (:func:`remove_temporaries`). :func:`check_output_path` checks, before any
  work, that a path can be written and does not name an input.
* Reading: the arrays of an ``.npz`` are read member by member after checking each
  header against the bytes the member holds (a bit-flipped shape cannot ask for
  terabytes); JSON refuses ``NaN``/``Infinity`` literals, overflowing numbers and nesting
  too deep to parse. Every malformed, truncated or tampered file becomes a
  :class:`~lptrain.errors.FileFormatError`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._jsonable import to_jsonable
from lptrain._validation import available_memory
from lptrain.errors import FileFormatError, InvalidInputError, OutputError

__all__ = ["save_npz", "load_npz", "save_json", "load_json", "atomic_write_bytes", "checksum",
           "read_npz_arrays", "read_json_file", "check_output_path", "remove_temporaries",
           "file_mode", "to_jsonable"]

_META_KEY = "__lptrain_meta__"
_PENDING: set[str] = set()  # temporary files not yet renamed into place


def file_mode() -> int:
    """The mode of a new file under the current umask (``0o666 & ~umask``).

    Examples
    --------
    >>> old = os.umask(0o027); m = file_mode(); _ = os.umask(old)
    >>> oct(m)
    '0o640'
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def remove_temporaries() -> list[str]:
    """Remove every temporary file an interrupted write left; return their names.

    Examples
    --------
    >>> remove_temporaries()
    []
    """
    removed = sorted(_PENDING)
    for name in removed:
        Path(name).unlink(missing_ok=True)
    _PENDING.difference_update(removed)
    return removed


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename),
    with the permissions of a new file under the process umask.

    Raises :class:`~lptrain.errors.OutputError` (an ``OSError``) naming the path when the
    folder is missing or the write fails; nothing is left behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> atomic_write_bytes(p, b"abc").read_bytes()
    b'abc'
    """
    target = Path(path)
    folder = _folder(target)
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: folder {folder} does not exist")
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    _PENDING.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), file_mode())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}; nothing was "
                              "written") from None
        raise
    finally:
        _PENDING.discard(tmp)
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def check_output_path(path: str | os.PathLike[str], option: str = "output", *,
                      inputs: Iterable[tuple[str, str | os.PathLike[str] | None]] = ()
                      ) -> Path:
    """Check, before any work, that ``path`` can be written and names no input file.

    ``option`` names the argument in messages (e.g. ``"-o"``); ``inputs`` are pairs
    (label, path) of the files the command reads. The folder is probed by creating and
    removing a temporary file, so permissions are tested as the write will meet them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "data.csv").write_text("a\\n1\\n")
    4
    >>> check_output_path(d / "m.json", "-o", inputs=[("data", d / "data.csv")]).name
    'm.json'
    >>> check_output_path(d / "data.csv", "-o", inputs=[("data file", d / "data.csv")])
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: -o .../data.csv is the input data file .../data.csv: \
lptrain never overwrites an input; choose another output name
    """
    if not str(path).strip():
        raise InvalidInputError(f"{option} is empty; give a file name")
    target = Path(path)
    for label, source in inputs:
        if source is not None and str(source) and _same_file(target, Path(source)):
            raise InvalidInputError(
                f"{option} {target} is the input {label} {source}: lptrain never overwrites an "
                "input; choose another output name")
    if target.is_dir():
        raise InvalidInputError(f"{option} {target} is a folder; give a file name inside it, "
                                f"e.g. {target / 'out'}")
    if target.exists() and not target.is_file():
        raise InvalidInputError(f"{option} {target} exists and is not a regular file (a "
                                "device, pipe or socket); lptrain replaces outputs by rename "
                                "and will not replace it")
    folder = _folder(target)
    if not folder.is_dir():
        what = (f"folder {folder} does not exist; create it first, or choose another path"
                if not folder.exists() else f"{folder} is a file, not a folder; choose another "
                "path")
        raise InvalidInputError(f"{option} {target}: {what}")
    if target.exists() and not os.access(target, os.W_OK):
        raise InvalidInputError(f"{option} {target} exists and is read-only; remove it or "
                                "choose another path")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise InvalidInputError(f"{option} {target}: cannot write in folder {folder} "
                                f"({exc.strerror or exc}); choose another path") from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
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
        if arr.dtype.hasobject or name == _META_KEY:
            raise FileFormatError(f"array {name!r} cannot be stored safely (dtype {arr.dtype})")
        clean[name] = arr
    full_meta = {**dict(meta), "kind": kind, "format_version": version}
    full_meta["checksum"] = checksum(clean, full_meta)
    buf = io.BytesIO()
    writer = np.savez_compressed if compress else np.savez
    members: dict[str, Any] = {**clean, _META_KEY: np.array(json.dumps(full_meta))}
    writer(buf, **members)
    return atomic_write_bytes(path, buf.getvalue())


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, p: Path) -> np.ndarray:
    """One ``.npy`` member, its header checked against the bytes it holds before reading."""
    name = info.filename
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        reader = _HEADER_READERS.get(version)
        if reader is None:
            raise ValueError(f"member {name!r} has .npy version {version}")
        shape, fortran, dtype = reader(fh)
        if dtype.hasobject:
            raise ValueError(f"member {name!r} holds Python objects (dtype {dtype}), which "
                             "would need pickle")
        count = int(np.prod(shape, dtype=object))
        nbytes = count * dtype.itemsize
        held = info.file_size - fh.tell()
        if nbytes != held:
            raise ValueError(f"member {name!r} declares shape {shape} ({nbytes} bytes) but "
                             f"holds {held} bytes")
        data = fh.read(nbytes)
        if len(data) != nbytes or fh.read(1):
            raise ValueError(f"member {name!r} is shorter or longer than its header says")
    arr = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return arr.copy()


def read_npz_arrays(path: str | os.PathLike[str], what: str = "") -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file (no pickle), each header checked first; malformed,
    truncated or bit-flipped files become FileFormatError, arrays larger than the memory
    available are refused before allocating.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.npz"
    >>> np.savez(p, params=np.arange(3.0))
    >>> read_npz_arrays(p)["params"].tolist()
    [0.0, 1.0, 2.0]
    """
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{what + ' ' if what else ''}{p}: no such file")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            declared = sum(i.file_size for i in infos)
            if declared > available_memory():
                raise FileFormatError(
                    f"{p} declares {declared / 2**30:.1f} GiB of arrays, more than the "
                    "memory available; it is corrupt or not meant for this machine")
            arrays: dict[str, np.ndarray] = {}
            for info in infos:
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"member {info.filename!r} is not a .npy array")
                arrays[info.filename[:-4]] = _read_member(zf, info, p)
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError,
            NotImplementedError, OverflowError, TypeError, SyntaxError, MemoryError) as exc:
        raise FileFormatError(
            f"{p} is not a readable .npz file (truncated or corrupt: {exc})") from None
    return arrays


def load_npz(
    path: str | os.PathLike[str], *, kind: str, versions: Iterable[int]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load a file written by :func:`save_npz`; refuse a wrong kind, version or checksum."""
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such file")
    try:
        arrays = read_npz_arrays(p)
    except FileFormatError as exc:
        raise FileFormatError(str(exc).replace("a readable .npz file",
                                               "a readable lptrain file")) from None
    raw = arrays.pop(_META_KEY, None)
    if raw is None or raw.dtype.kind != "U" or raw.ndim != 0:
        raise FileFormatError(f"{p} has no lptrain metadata; it was not written by lptrain")
    meta = _parse_json(str(raw), f"{p}: its metadata")
    if not isinstance(meta, dict):
        raise FileFormatError(f"{p}: its metadata is not a JSON object")
    _check_version(p, kind, meta, versions)
    stored = meta.pop("checksum", None)
    if stored != checksum(arrays, meta):
        raise FileFormatError(f"{p} fails its checksum: the file was modified or damaged")
    return arrays, meta


def save_json(
    path: str | os.PathLike[str], payload: Mapping[str, Any], *, kind: str, version: int
) -> Path:
    """Save a JSON document with kind, format version and checksum, atomically.

    Floats round-trip exactly (Python's ``repr`` is shortest-exact); NaN and inf are
    refused (ValueError), since JSON has no such numbers.

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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise ValueError(f"the number {text[:40]} overflows a float")
    return value


def _parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise FileFormatError(f"{what} is nested too deeply to be a valid document") from None
    except ValueError as exc:  # JSONDecodeError, NaN literals, overflow, huge integers
        raise FileFormatError(f"{what} is not valid JSON ({exc})") from None


def read_json_file(path: str | os.PathLike[str], what: str = "") -> Any:
    """The JSON document in ``path``, strictly parsed (no NaN/Infinity, finite numbers,
    bounded nesting), with a UTF-8 byte-order mark allowed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.json"
    >>> _ = p.write_text('[1, NaN]')
    >>> read_json_file(p, "params file")
    Traceback (most recent call last):
    ...
    lptrain.errors.FileFormatError: params file .../w.json is not valid JSON (NaN is not a \
JSON number (JSON has no NaN or Infinity))
    """
    p = Path(path)
    label = f"{what} {p}" if what else str(p)
    if not p.is_file():
        raise FileFormatError(f"{label}: no such file")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{label} is not valid JSON (not UTF-8 text: {exc})") from None
    except OSError as exc:
        raise FileFormatError(f"{label} cannot be read ({exc.strerror or exc})") from None
    return _parse_json(text, label)


def load_json(
    path: str | os.PathLike[str], *, kind: str, versions: Iterable[int]
) -> dict[str, Any]:
    """Load a file written by :func:`save_json`; refuse a wrong kind, version or checksum."""
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such file")
    doc = read_json_file(p)
    if not isinstance(doc, dict):
        raise FileFormatError(f"{p} must hold a JSON object; it holds {type(doc).__name__}")
    _check_version(p, kind, doc, versions)
    try:
        ok = doc.get("checksum") == _json_checksum(doc)
    except (TypeError, ValueError, RecursionError):
        ok = False
    if not ok:
        raise FileFormatError(f"{p} fails its checksum: the file was modified or damaged")
    return {k: v for k, v in doc.items() if k != "checksum"}
