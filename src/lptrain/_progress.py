"""Progress bars for long work.

A thin wrapper over tqdm that writes to stderr, appears only when the work takes longer
than ``delay`` seconds (so quick calls stay silent), and can be switched off globally
(``LPTRAIN_PROGRESS=0``) or per call (``enabled=False``, e.g. for ``--json`` output).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["progress", "ProgressBar"]


class ProgressBar:
    """What :func:`progress` yields: ``update``, ``set_postfix``; no-ops when switched off."""

    def __init__(self, bar: Any | None) -> None:
        self._bar = bar

    def update(self, n: int | float = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set_postfix(self, **values: Any) -> None:
        if self._bar is not None:
            self._bar.set_postfix(values, refresh=False)

    def set_description(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_description(text, refresh=False)


def _default_enabled() -> bool:
    flag = os.environ.get("LPTRAIN_PROGRESS")
    if flag is not None:
        return flag not in ("0", "false", "no", "")
    return sys.stderr.isatty()


@contextmanager
def progress(
    total: float | None,
    desc: str,
    *,
    enabled: bool | None = None,
    unit: str = "it",
    delay: float = 1.5,
) -> Iterator[ProgressBar]:
    """Context manager yielding a :class:`ProgressBar` (tqdm on stderr, or a silent stand-in).

    Examples
    --------
    >>> with progress(10, "work", enabled=False) as bar:
    ...     bar.update(10)
    """
    on = _default_enabled() if enabled is None else enabled
    if not on:
        yield ProgressBar(None)
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        yield ProgressBar(None)
        return
    bar = tqdm(total=total, desc=desc, unit=unit, delay=delay, file=sys.stderr, leave=False,
               dynamic_ncols=True, unit_scale=True)
    try:
        yield ProgressBar(bar)
    finally:
        bar.close()
