"""numba access for the activation-pattern certifier (which needs numba: without it
:func:`lptrain.certify.certify_erm` keeps the box search)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lptrain.kernels._compile import numba_available

__all__ = ["njit", "prange", "available"]


def available() -> bool:
    """True when numba can be imported (the pattern certifier runs only then)."""
    return numba_available()


def _drop_stale_cache() -> None:
    """numba's on-disk cache keys a function on its own file only, not on the kernels it
    calls in other files: when any module of this package changes, drop the package's
    cached machine code so that no function keeps an old copy of a callee."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    stamp = digest.hexdigest()[:16]
    cache = here / "__pycache__"
    marker = cache / f"patterns-{stamp}.stamp"
    try:
        if marker.exists():
            return
        cache.mkdir(exist_ok=True)
        for old in cache.iterdir():
            if old.suffix in (".nbi", ".nbc") or old.name.endswith(".stamp"):
                old.unlink(missing_ok=True)
        marker.touch()
    except OSError:  # a read-only install: numba falls back to its own checks
        pass


if numba_available():
    if not os.environ.get("NUMBA_CACHE_DIR"):
        _drop_stale_cache()
    from numba import njit as _njit
    from numba import prange

    def njit(*args: Any, **kw: Any) -> Callable[..., Any]:
        """``numba.njit`` with the on-disk cache on and fast-math off (the bounds are
        proven for IEEE arithmetic: no reassociation, no contraction)."""
        kw.setdefault("cache", True)
        return _njit(*args, **kw)  # type: ignore[no-any-return]
else:  # pragma: no cover - exercised only without numba
    prange = range

    def njit(*args: Any, **kw: Any) -> Callable[..., Any]:
        if args and callable(args[0]):
            return args[0]  # type: ignore[no-any-return]
        return lambda f: f
