"""Shared helpers of the example scripts (argument parsing, subsampling, printing)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

__all__ = ["parser", "subsample", "show"]


def parser(doc: str | None, *, max_open: int, time_limit: float) -> argparse.ArgumentParser:
    """The options every example takes: size, budget, plot and a seed."""
    p = argparse.ArgumentParser(description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=None,
                   help="use a random subset of this many rows (default: all)")
    p.add_argument("--max-open", type=int, default=max_open,
                   help=f"branch-and-bound budget in open boxes (default {max_open})")
    p.add_argument("--time-limit", type=float, default=time_limit,
                   help=f"seconds for the branch and bound (default {time_limit:g})")
    p.add_argument("--gap", type=float, default=0.01, help="target gap (default 0.01)")
    p.add_argument("--plot", default=None, help="write a PNG here")
    p.add_argument("--seed", type=int, default=0)
    return p


def subsample(X: np.ndarray, y: np.ndarray, samples: int | None, seed: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random subset of the rows (all of them when ``samples`` is None)."""
    if samples is None or samples >= len(X):
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(X), samples, replace=False))
    return X[keep], y[keep]


def show(label: str, value: Any) -> None:
    """Print one line of a report."""
    print(f"  {label:<44} {value}")
