"""The ``lptrain`` command line.

Each command lives in its own module ``lptrain.cli._<name>`` exposing
``register(subparsers)``, which adds its parser and sets ``func`` (a callable taking the
parsed namespace and returning an exit code). Add a command by adding its module name to
``_COMMANDS``.

Every command that supports ``--json`` prints exactly one JSON object on stdout; human
output, progress bars and warnings go to stderr or are suppressed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from lptrain import __version__
from lptrain.errors import LPTrainError

__all__ = ["main", "build_parser"]

# Module names under lptrain.cli, in the order they appear in --help.
_COMMANDS: tuple[str, ...] = (
    "demo", "train", "predict", "certify", "build", "bounds",
    "bnn", "achievable", "structure", "bo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lptrain",
        description="Train neural networks by linear programming, with certificates.",
    )
    parser.add_argument("--version", action="version", version=f"lptrain {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"lptrain.cli._{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except LPTrainError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
        print(f"lptrain {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
