"""Placeholder for the `lptrain achievable` command; replaced by its real implementation."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # pragma: no cover
    return None
