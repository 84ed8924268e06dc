"""Compiling generated kernel source: the in-process and on-disk caches.

The source is written atomically to ``$LPTRAIN_CACHE_DIR`` (default
``~/.cache/lptrain/kernels``) under a hash of its text, then imported from there, so
numba's ``cache=True`` reuses the machine code across processes. The text names every
component by its spec and inlines its parameters, so two components (or two parameters)
never share a kernel.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

__all__ = ["FASTMATH", "KERNELS_VERSION", "cache_dir", "compile_source", "numba_available"]

#: Fast-math flags of every generated kernel: only ``reassoc``, ``contract``, ``nsz`` and
#: ``arcp`` (vectorized sums, fused multiply-adds); never ``nnan``/``ninf``/``afn``.
FASTMATH = ("reassoc", "contract", "nsz", "arcp")
KERNELS_VERSION = "2"

_LOCK = threading.Lock()
_MODULES: dict[str, ModuleType] = {}


@functools.lru_cache(maxsize=1)
def numba_available() -> bool:
    """True when numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def cache_dir() -> Path:
    """Directory of generated kernel sources (``$LPTRAIN_CACHE_DIR`` or ~/.cache)."""
    env = os.environ.get("LPTRAIN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "lptrain" / "kernels"


def compile_source(source: str) -> ModuleType:
    """Import generated source through the on-disk cache (memoized in-process)."""
    import numba

    key = hashlib.sha256(
        f"{KERNELS_VERSION}|{numba.__version__}|{source}".encode()).hexdigest()[:24]
    with _LOCK:
        mod = _MODULES.get(key)
        if mod is None:
            path = _write(key, source)
            name = f"lptrain_kernels_{key}"
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
            _MODULES[key] = mod
        return mod


def _write(key: str, source: str) -> Path:
    for base in (cache_dir(), Path(tempfile.gettempdir()) / "lptrain-kernels"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            path = base / f"k_{key}.py"
            if not path.exists() or path.read_text() != source:
                fd, tmp = tempfile.mkstemp(dir=base, suffix=".tmp")
                with os.fdopen(fd, "w") as fh:
                    fh.write(source)
                os.replace(tmp, path)
            return path
        except OSError:
            continue
    raise OSError("no writable directory for generated kernels; set LPTRAIN_CACHE_DIR")
