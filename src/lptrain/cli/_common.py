"""Options and helpers shared by the CLI commands.

``add_model_arguments`` adds the options that describe a training problem (architecture,
activation, loss, grid, regularizer); ``network_from_args`` turns them into a
:class:`~lptrain.nn.Network`. ``add_output_arguments`` adds ``--json`` and ``--quiet``;
``add_header_argument`` adds ``--header`` for commands reading CSV files;
``progress_enabled`` says whether progress bars may be shown (never with ``--json`` or
``--quiet``). The argument types (``positive_float``, ...) refuse NaN, inf and wrong
signs with a message naming the option. ``flat_training`` maps the training summary of
:func:`lptrain.trainer.training_report` onto the shared JSON names (docs/cli.md).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from lptrain._io import to_jsonable
from lptrain._validation import clip_to_unit_box, parse_memory
from lptrain.cli._runtime import emit_json
from lptrain.data import HEADER_MODES
from lptrain.errors import InvalidInputError
from lptrain.nn import Network, parse_arch
from lptrain.nn.builders import ARCH_HELP
from lptrain.nn.losses import LOSSES

__all__ = [
    "ARCH_EPILOG",
    "add_model_arguments",
    "add_grid_arguments",
    "add_output_arguments",
    "add_header_argument",
    "network_from_args",
    "parse_memory",
    "print_json",
    "progress_enabled",
    "to_jsonable",
    "positive_float",
    "finite_float",
    "int_in",
    "BITS",
    "flat_training",
    "clip_data",
    "scheduler",
    "require_plotting",
]

ARCH_EPILOG = (
    f"architectures (--arch): {ARCH_HELP}.\n"
    "activations: relu, leaky_relu[:slope], tanh, hard_tanh, elu[:alpha<=1], identity "
    "(step is outside the Lipschitz theory)."
)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (``--gap``, ``--eps``, ``--time-limit``)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}")
    return value


def finite_float(text: str) -> float:
    """argparse type: any finite number."""
    return _number(text)


def int_in(lo: int, hi: int | None = None) -> Any:
    """argparse type: an integer in ``[lo, hi]`` (``hi=None``: no upper end)."""
    want = f"an integer in [{lo}, {hi}]" if hi is not None else f"an integer >= {lo}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {want}; got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected {want}; got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


#: ``--bits``: the grid of §3.1 has 2**bits levels per coordinate (Lemma 3.1).
BITS = int_in(1, 30)


def add_grid_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--bits B | --eps E`` (mutually exclusive): the grid of §3.1."""
    grid = parser.add_mutually_exclusive_group(required=required)
    grid.add_argument("--bits", type=BITS, help="bits per coordinate, 1..30 (grid of 2**bits)")
    grid.add_argument("--eps", type=positive_float,
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


def add_header_argument(parser: argparse.ArgumentParser) -> None:
    """``--header auto|yes|no``: how the first row of the CSV files is read."""
    parser.add_argument("--header", choices=HEADER_MODES, default="auto",
                        help="first row of the CSV: the column names (auto, the default, "
                             "refuses a first row of numbers, which would be lost), yes (names "
                             "even if numeric) or no (no header: columns col0, col1, ...)")


def network_from_args(args: argparse.Namespace) -> Network:
    """The network described by ``--arch`` and ``--activation``."""
    return parse_arch(args.arch, getattr(args, "activation", "relu"))


def progress_enabled(args: argparse.Namespace) -> bool | None:
    """``False`` with ``--json`` or ``--quiet``; otherwise ``None`` (show on a terminal)."""
    if getattr(args, "json", False) or getattr(args, "quiet", False):
        return False
    return None


def print_json(obj: Any) -> None:
    """Print exactly one JSON object (strict JSON: no NaN/inf) on stdout."""
    emit_json(obj)


def clip_data(name: str, arr: np.ndarray, notes: list[str], hint: str = "") -> np.ndarray:
    """``arr`` with entries within 1e-12 outside [-1, 1] clipped (a note added to
    ``notes``); larger excursions are refused naming ``name``."""
    if arr.dtype.kind != "f":
        return arr
    clipped, note = clip_to_unit_box(name, arr, hint)
    if note:
        notes.append(note)
    return clipped


#: Keys of the branch-and-bound certificate lifted to the top level of ``train``/``demo``.
_POSTERIOR_KEYS = ("status", "nodes", "rounds", "best_value", "symmetry_groups", "domain",
                  "method")


def flat_training(report: dict[str, Any]) -> dict[str, Any]:
    """The training summary on the shared JSON names: ``timings`` (stage seconds) instead
    of a ``seconds`` dict, ``upper_bound`` = ERM of ``params`` (v̂ + ε becomes
    ``a_priori_upper_bound``), ``phi_index`` null when the branch and bound replaced the
    grid point, the a-posteriori certificate's status and counts at the top level.

    Examples
    --------
    >>> flat_training({"erm": 0.5, "upper_bound": 4.2, "seconds": {"face": 1.0, "total": 2},
    ...                "phi_index": 3, "params_source": "branch and bound"})
    {'erm': 0.5, 'phi_index': None, 'params_source': 'branch and bound', \
'timings': {'face': 1.0}, 'a_priori_upper_bound': 4.2, 'upper_bound': 0.5}
    """
    out = dict(report)
    seconds = out.pop("seconds", None)
    out["timings"] = ({k: v for k, v in seconds.items() if k != "total"}
                      if isinstance(seconds, dict) else {})
    out["a_priori_upper_bound"] = out.pop("upper_bound", None)
    out["upper_bound"] = out.get("erm")
    if out.get("params_source") == "branch and bound":
        out["phi_index"] = None
    post = out.pop("a_posteriori", None)
    if isinstance(post, dict):
        for key in _POSTERIOR_KEYS:
            if key in post:
                out[key] = post[key]
        out["timings"].setdefault("certify", post.get("seconds"))
    return out


def require_plotting() -> None:
    """Refuse ``--plot`` before the work starts when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InvalidInputError("--plot needs matplotlib: pip install matplotlib (or "
                                "pip install 'lptrain[plot]')") from None


def warn(message: str) -> None:
    """A one-line note on stderr (human mode)."""
    print(f"note: {message}", file=sys.stderr)


#: Seconds to wait for ``--scheduler`` before refusing it.
SCHEDULER_TIMEOUT = 10


@contextlib.contextmanager
def scheduler(address: str | None, used: bool, why: str = "--gap or --solver lazy"
              ) -> Iterator[Any]:
    """A connected ``distributed.Client`` for ``--scheduler`` (None without one), opened
    before the work starts so that a bad or unreachable address fails at once."""
    if address is None:
        yield None
        return
    if not used:
        raise InvalidInputError(f"--scheduler is used only with {why}; drop it or add one")
    try:
        import distributed
        from distributed.comm import parse_address
    except ImportError:
        raise InvalidInputError("--scheduler needs dask: pip install 'lptrain[dask]'") from None
    try:
        _, location = parse_address(address)
        host, _, port = location.rpartition(":")
        if not host or not port.isdigit() or " " in location:
            raise ValueError("it has no host:port")
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"--scheduler {address!r} is not a Dask scheduler address "
                                f"({exc}); give one like tcp://10.0.0.5:8786") from None
    try:
        client = distributed.Client(address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidInputError(f"--scheduler {address}: cannot connect to a Dask scheduler "
                                f"there ({exc}); is it running?") from None
    try:
        yield client
    finally:
        client.close()
