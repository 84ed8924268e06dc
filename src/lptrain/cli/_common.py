"""Options and output helpers shared by the CLI commands.

``add_model_arguments`` adds the options that describe a training problem (architecture,
activation, loss, grid, regularizer); ``network_from_args`` turns them into a
:class:`~lptrain.nn.Network`. ``print_json`` prints the one JSON object of ``--json``;
``add_output_arguments`` adds ``--json`` and ``--quiet``; ``progress_enabled`` says whether
progress bars may be shown (never with ``--json`` or ``--quiet``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import numpy as np

from lptrain._validation import parse_memory
from lptrain.nn import Network, parse_arch
from lptrain.nn.builders import ARCH_HELP
from lptrain.nn.losses import LOSSES

__all__ = [
    "ARCH_EPILOG",
    "add_model_arguments",
    "add_grid_arguments",
    "add_output_arguments",
    "network_from_args",
    "parse_memory",
    "print_json",
    "progress_enabled",
    "to_jsonable",
]

ARCH_EPILOG = (
    f"architectures (--arch): {ARCH_HELP}.\n"
    "activations: relu, leaky_relu[:slope], tanh, hard_tanh, elu[:alpha<=1], identity "
    "(step is outside the Lipschitz theory)."
)


def add_grid_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--bits B | --eps E`` (mutually exclusive): the grid of §3.1."""
    grid = parser.add_mutually_exclusive_group(required=required)
    grid.add_argument("--bits", type=int, help="bits per coordinate, 1..30 (grid of 2**bits)")
    grid.add_argument("--eps", type=float,
                      help="target accuracy eps; bits = ceil(log2(2L/eps)) (Lemma 3.1)")


def add_model_arguments(parser: argparse.ArgumentParser, *, grid_required: bool = True) -> None:
    """``--arch``, ``--activation``, ``--loss``, ``--regularizer`` and the grid options."""
    parser.add_argument("--arch", required=True, help="architecture, e.g. 2-3-1 (see below)")
    parser.add_argument("--activation", default="relu",
                        help="hidden-layer activation (default relu)")
    parser.add_argument("--loss", required=True, help=f"one of {', '.join(LOSSES)}")
    parser.add_argument("--regularizer", default=None,
                        help="l1:LAMBDA or l2:LAMBDA (Appendix B), e.g. l1:0.01")
    add_grid_arguments(parser, required=grid_required)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--json`` (one JSON object on stdout) and ``--quiet`` (no progress bars)."""
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def network_from_args(args: argparse.Namespace) -> Network:
    """The network described by ``--arch`` and ``--activation``."""
    return parse_arch(args.arch, getattr(args, "activation", "relu"))


def progress_enabled(args: argparse.Namespace) -> bool | None:
    """``False`` with ``--json`` or ``--quiet``; otherwise ``None`` (show on a terminal)."""
    if getattr(args, "json", False) or getattr(args, "quiet", False):
        return False
    return None


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays (recursively) into plain JSON types; inf/NaN → None."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_json(obj: Any) -> None:
    """Print exactly one JSON object (strict JSON: no NaN/inf) on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj), allow_nan=False) + "\n")
    sys.stdout.flush()
