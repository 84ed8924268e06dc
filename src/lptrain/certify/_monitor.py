"""Clock, bound history, stop statuses and progress display shared by the certified
solvers."""

from __future__ import annotations

import contextlib
import enum
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from lptrain._progress import ProgressBar, progress

__all__ = ["BoundMonitor", "ProgressArg", "SearchStatus"]


class SearchStatus(str, enum.Enum):
    """Why a certified search stopped (``ERMCertificate.status``, ``LazyFaceResult.status``).

    A ``str`` subclass that compares, prints, formats, reprs and serializes (JSON) exactly as
    the string it stands for, so files and ``--json`` output keep the same strings.

    Examples
    --------
    >>> SearchStatus.TIME_LIMIT == "time limit", f"{SearchStatus.TIME_LIMIT}"
    (True, 'time limit')
    >>> import json; json.dumps({"status": SearchStatus.TARGET_REACHED})
    '{"status": "target reached"}'
    """

    #: certify_erm: the gap of the certified parameters is at most the target
    TARGET_REACHED = "target reached"
    #: certify_erm: the given parameters are proven more than the target above the optimum
    EXCEEDS_TARGET = "exceeds target"
    #: stopped at the time limit, with a sound bound
    TIME_LIMIT = "time limit"
    #: stopped at the open-box budget, with a sound bound
    NODE_LIMIT = "node limit"
    #: stopped by Ctrl-C, with the sound bound reached so far
    INTERRUPTED = "interrupted"
    #: certify_erm: the search space was covered without reaching the target
    EXHAUSTED = "exhausted"
    #: solve_face_lazy: the pricing proved that no column has a negative reduced cost
    OPTIMAL = "optimal"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    def __repr__(self) -> str:
        return repr(self.value)

#: ``None`` (a bar on a terminal), ``True``/``False`` (force on/off), or a callable that
#: receives ``{"seconds", "lower_bound", "upper_bound", "gap", "nodes", "open"}`` per round.
ProgressArg = bool | None | Callable[[dict[str, Any]], None]

_MAX_HISTORY = 4000


class BoundMonitor:
    """Records ``(seconds, lower bound, upper bound)`` when either moves, drives the
    progress bar (or callback) and answers whether the time limit is reached."""

    def __init__(self, time_limit: float | None, progress_arg: ProgressArg, desc: str) -> None:
        self.start = time.perf_counter()
        self.time_limit = time_limit
        self.history: list[tuple[float, float, float]] = []
        self._arg = progress_arg
        self._desc = desc
        self._bar: ProgressBar | None = None
        self._last = (math.nan, math.nan)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def stop_reason(self, engine: Any) -> SearchStatus | None:
        """``"time limit"`` or ``"node limit"`` when the search must stop, else None."""
        if self.out_of_time():
            return SearchStatus.TIME_LIMIT
        if engine.at_node_limit:
            return SearchStatus.NODE_LIMIT
        return None

    def out_of_time(self) -> bool:
        return self.time_limit is not None and self.seconds >= self.time_limit

    @contextlib.contextmanager
    def display(self) -> Iterator[BoundMonitor]:
        if callable(self._arg):
            yield self
            return
        enabled = None if self._arg is None else bool(self._arg)
        with progress(None, self._desc, enabled=enabled, unit="round") as bar:
            self._bar = bar
            try:
                yield self
            finally:
                self._bar = None

    def update(self, lower: float, upper: float, nodes: int, open_boxes: int,
               force: bool = False) -> None:
        t = self.seconds
        if force or (lower, upper) != self._last:
            self.history.append((t, lower, upper))
            self._last = (lower, upper)
            if len(self.history) > _MAX_HISTORY:  # keep the first, the last, every other
                self.history = self.history[:1] + self.history[1:-1:2] + self.history[-1:]
        info = {"seconds": t, "lower_bound": lower, "upper_bound": upper,
                "gap": upper - lower, "nodes": nodes, "open": open_boxes}
        if callable(self._arg):
            self._arg(info)
        elif self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(lb=f"{lower:.6g}", ub=f"{upper:.6g}",
                                  gap=f"{upper - lower:.3g}", open=open_boxes)
