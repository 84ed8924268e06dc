"""Ctrl-C as a request to stop: the certified searches finish the step they are in and return
the bound reached (status ``"interrupted"``) instead of losing it to a traceback.

:func:`interrupt_requests` installs, for the duration of a ``with`` block in the main
thread, a SIGINT handler that only records the request; the search checks
``requested`` between steps, where its state is consistent (every box is either open or
accounted for). A second Ctrl-C restores Python's handler and interrupts at once (the
certificate of that run is then lost, as the user asked). Outside the main thread, or when
the program has its own SIGINT handler, nothing is installed and ``requested`` stays False.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["InterruptRequests", "interrupt_requests"]


class InterruptRequests:
    """Whether Ctrl-C was pressed inside :func:`interrupt_requests` (``requested``)."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested


@contextlib.contextmanager
def interrupt_requests() -> Iterator[InterruptRequests]:
    """Record Ctrl-C instead of raising it (module docstring).

    Examples
    --------
    >>> import os, signal
    >>> with interrupt_requests() as stop:
    ...     os.kill(os.getpid(), signal.SIGINT)
    ...     for _ in range(10 ** 5):            # Python runs the handler between bytecodes
    ...         if stop.requested:
    ...             break
    >>> stop.requested, signal.getsignal(signal.SIGINT) is signal.default_int_handler
    (True, True)
    """
    flag = InterruptRequests()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        flag.requested = True
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts at once

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
