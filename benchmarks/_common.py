"""Small helpers shared by the benchmarks: timing medians, text tables, plots, provenance.

Every benchmark prints the command line that produced it, quotes medians over several
runs (machines are shared and noisy) and writes its plot under ``benchmarks/out/`` when
matplotlib is installed (under ``$LPTRAIN_BENCH_OUT`` when that is set:
``benchmarks/run_all.py`` sets it so that its small runs never overwrite full-size results).
"""

from __future__ import annotations

import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["OUT_DIR", "command_line", "median_time", "print_table", "save_plot", "header"]

OUT_DIR = Path(os.environ.get("LPTRAIN_BENCH_OUT") or Path(__file__).resolve().parent / "out")
T = TypeVar("T")


def command_line() -> str:
    """The command that is running, as one could type it again."""
    return " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])


def header(title: str) -> None:
    """Print a title, the command line and the machine."""
    print(f"# {title}")
    print(f"# command: {command_line()}")
    print(f"# python {platform.python_version()} on {platform.machine()} ({platform.system()})")


def median_time(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Run ``fn`` ``repeat`` times; return the median wall time and the last result."""
    times, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result  # type: ignore[return-value]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e12:
            return str(int(value))
        return f"{value:.3g}"
    return str(value)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """Print dictionaries as an aligned plain-text table (columns in the given order)."""
    if not rows:
        return
    cols = list(columns or rows[0].keys())
    cells = [[_fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))


def save_plot(draw: Callable[[Any], None], name: str) -> Path | None:
    """Call ``draw(figure)`` and save it as ``benchmarks/out/<name>.png``; None without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("# matplotlib not installed: no plot written")
        return None
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=(9, 4))
    draw(fig)
    fig.text(0.01, -0.04, command_line(), fontsize=6, color="gray")
    path = OUT_DIR / f"{name}.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"# plot: {path}")
    return path
