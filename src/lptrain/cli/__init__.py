"""The ``lptrain`` command line.

Each command lives in its own module ``lptrain.cli._<name>`` exposing
``register(subparsers)``, which adds its parser (:func:`lptrain.cli._runtime.add_command`)
and sets ``func`` (the parsed namespace → the report, a flat dict) and ``human`` (prints
the report). Add a command by adding its module name to ``_COMMANDS`` and its JSON Schema
to ``lptrain/cli/schemas/``.

Every command runs in :func:`lptrain.cli._runtime.run_main`: with ``--json`` it prints
exactly one JSON object on stdout (the report or an error), human output goes to stdout,
progress bars, notes and error messages to stderr.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from lptrain import __version__
from lptrain.cli._runtime import CommandParser, run_main

__all__ = ["main", "build_parser"]

# Module names under lptrain.cli, in the order they appear in --help.
_COMMANDS: tuple[str, ...] = (
    "demo", "train", "predict", "certify", "build", "bounds",
    "bnn", "achievable", "structure", "bo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="lptrain",
        description="Train neural networks by linear programming, with certificates.",
        epilog="Every command takes --json (one JSON object on stdout, errors included); "
               "see docs/cli.md for the keys.",
    )
    parser.add_argument("--version", action="version", version=f"lptrain {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"lptrain.cli._{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lptrain ARGV``; → the exit code (0 success, 1 error, 2 usage error, 70 a bug,
    130/143 interrupted, 141 closed pipe)."""
    import sys

    return run_main(build_parser(), sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
