"""The frame every command runs in: one JSON object, clear errors, safe files, signals.

A command module registers its parser with :func:`add_command` and declares the files it
reads and writes with :func:`add_input` and :func:`add_output`; its ``func`` returns the
report (a flat dict, see ``docs/cli.md``) and its ``human`` prints it. :func:`run_main`
then guarantees, for every command alike:

* under ``--json`` exactly one JSON object on stdout, the report or an error
  ``{"command", "error", "message", "exit_code"}`` — argparse errors (exit 2), library
  errors (1), write failures (1, with the finished ``result``), interruptions (SIGINT 130,
  SIGTERM/SIGHUP 143, with ``signal``) and bugs (70, ``InternalError``) included; no
  traceback unless ``LPTRAIN_DEBUG=1``;
* every output path is checked writable, distinct and not an input *before* the work
  starts (:func:`check_paths`); files are written atomically with the umask
  (:func:`write_output`), and temporary files are removed on any exit;
* ``seconds`` (total wall time) and ``command`` are added to the report, and a closed pipe
  (``| head``) ends the command quietly (exit 141).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from lptrain._io import check_output_path, remove_temporaries, to_jsonable
from lptrain.errors import InvalidInputError, LPTrainError, OutputError

__all__ = [
    "UsageError", "Terminated", "CommandParser", "add_command", "add_input", "add_output",
    "check_paths", "write_output", "clean_rst", "emit_json", "run_main", "EXIT_CODES",
]

#: Exit codes: success, an error, a usage (argparse) error, a bug, a closed pipe, signals.
EXIT_CODES = {"ok": 0, "error": 1, "usage": 2, "internal": 70, "pipe": 141,
              "SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


class UsageError(InvalidInputError):
    """The command line does not parse (unknown option, missing or malformed value)."""

    parser: argparse.ArgumentParser | None = None


class Terminated(KeyboardInterrupt):
    """Raised by the SIGTERM/SIGHUP handler; a KeyboardInterrupt, so that code keeping a
    partial result on Ctrl-C keeps it on SIGTERM too."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def clean_rst(text: str | None) -> str | None:
    """Plain text from the reStructuredText of a docstring (for ``--help``).

    Examples
    --------
    >>> clean_rst("Runs :func:`~lptrain.certify.certify_erm` on ``X``.\\n\\nExample::")
    'Runs certify_erm on X.\\n\\nExample:'
    """
    if text is None:
        return None
    out = re.sub(r":[a-z]+:`([^`<]*?)\s*<[^`>]*>`", r"\1", text)
    out = re.sub(r":[a-z]+:`~[\w.]*?\.?(\w+)`", r"\1", out)
    out = re.sub(r":[a-z]+:`([^`]+)`", r"\1", out)
    out = re.sub(r"``([^`]+)``", r"\1", out)
    out = re.sub(r"(?<![\w`])`([^`]+)`(?![\w`])", r"\1", out)
    return re.sub(r"::(\s*)$", r":\1", out, flags=re.MULTILINE)


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise :class:`UsageError` instead of exiting, so
    that ``--json`` can report them as one JSON object."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        exc = UsageError(message)
        exc.parser = self
        raise exc


def add_command(subparsers: Any, name: str, *, doc: str | None, help: str,
                epilog: str | None = None) -> CommandParser:
    """Add the parser of command ``name`` with its module docstring as a clean
    description."""
    parser: CommandParser = subparsers.add_parser(
        name, help=help, description=clean_rst(doc), epilog=clean_rst(epilog),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(command=name, _inputs=[], _outputs=[])
    return parser


def _append(parser: Any, key: str, item: Any) -> None:
    # (an argument group shares its parser's defaults, so inputs in a group register too)
    parser.set_defaults(**{key: [*(parser.get_default(key) or []), item]})


def add_input(parser: Any, *flags: str, label: str, **kwargs: Any) -> argparse.Action:
    """An argument naming a file the command reads (an output may never be this file)."""
    action = parser.add_argument(*flags, **kwargs)
    _append(parser, "_inputs", (action.dest, label, flags[-1] if flags[0][0] == "-"
                                else str(action.metavar or action.dest)))
    return action


def add_output(parser: argparse.ArgumentParser, *flags: str, label: str,
               suffixes: Sequence[str] = (), derive: Callable[[Any], Any] | None = None,
               make_folder: bool = False, **kwargs: Any) -> argparse.Action | None:
    """An argument naming a file the command writes: checked before the work starts.

    ``suffixes``: accepted endings (e.g. ``(".json",)``); ``derive``: the path is computed
    from the arguments (e.g. a plot inside ``--out-dir``); ``make_folder``: the folder may
    be created when writing.
    """
    action = parser.add_argument(*flags, **kwargs) if derive is None else None
    dest = action.dest if action is not None else None
    _append(parser, "_outputs", (dest, label, flags[0], tuple(suffixes), derive, make_folder))
    return action


def _inputs(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(label, path, how the user wrote it) of every input file named on the command line."""
    found = []
    for dest, label, _ in getattr(args, "_inputs", []):
        value = getattr(args, dest, None)
        if value is not None:
            found.append((label, str(value), str(value)))
    arch = getattr(args, "arch", None)
    if isinstance(arch, str) and arch.startswith("@"):
        found.append(("--arch", arch[1:], arch))
    return found


def check_paths(args: argparse.Namespace) -> dict[str, Path]:
    """Check every declared input exists and every output can be written, names no input
    and no other output; → {flag: output path}. Runs before the work starts."""
    inputs = _inputs(args)
    for label, value, shown in inputs:
        path = Path(value)
        if not path.exists():
            raise InvalidInputError(f"{label} {shown}: no such file")
        if path.is_dir():
            raise InvalidInputError(f"{label} {shown} is a folder; expected a file")
        if not os.access(path, os.R_OK):
            raise InvalidInputError(f"{label} {shown} cannot be read (permission denied)")
    named = [(label, value) for label, value, _ in inputs]
    outputs: dict[str, Path] = {}
    for dest, label, flag, suffixes, derive, make_folder in getattr(args, "_outputs", []):
        wanted = derive(args) if derive is not None else getattr(args, dest, None)
        if wanted is None:
            continue
        path = Path(wanted)
        for other_flag, other in outputs.items():
            if str(wanted).strip() and _same_path(path, other):
                raise InvalidInputError(f"{flag} {wanted} and {other_flag} {other} name the same "
                                        "file; give each output its own name")
        if make_folder:
            _check_creatable(path, flag, named)
        else:
            check_output_path(wanted, flag, inputs=named)
        if suffixes and path.suffix.lower() not in suffixes:
            raise InvalidInputError(
                f"{flag} {wanted}: the {label} is written as {' or '.join(suffixes)}; give a "
                f"name ending in {suffixes[0]}")
        outputs[flag] = path
    return outputs


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return str(a) == str(b)


def _check_creatable(path: Path, flag: str, inputs: list[tuple[str, str]]) -> None:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InvalidInputError(f"{flag} {path.parent}: {folder} is a file, not a folder")
    probe = folder / f".{path.name}.probe"
    check_output_path(probe if folder != path.parent else path, flag, inputs=inputs)


_WRITTEN: list[str] = []


def write_output(path: str | os.PathLike[str], write: Callable[[Path], Any],
                 report: dict[str, Any] | None = None) -> str:
    """Run ``write(path)`` (an atomic writer: :func:`lptrain._io.atomic_write_bytes` or a
    function built on it) and record the path. A failure becomes OutputError carrying
    ``report`` as its ``result``, so that the finished work is still printed."""
    target = Path(path)
    try:
        result = write(target)
    except OSError as exc:
        error = exc if isinstance(exc, OutputError) else OutputError(
            f"cannot write {target}: {exc.strerror or exc}; nothing was written")
        error.result = None if report is None else dict(report)  # type: ignore[attr-defined]
        raise error from None
    written = str(result if isinstance(result, (str, os.PathLike)) else target)
    _WRITTEN.append(written)
    return written


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object (strict JSON: no NaN/inf) on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj), allow_nan=False) + "\n")
    sys.stdout.flush()


def _error(command: str | None, kind: str, message: str, code: int, **extra: Any
           ) -> dict[str, Any]:
    return {"command": command, "error": kind, "message": message, "exit_code": code, **extra}


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated in the main thread while a command runs."""
    def handler(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)  # the cleanup is not interrupted again
        raise Terminated(name)

    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


def _named_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """The command argv names, when argparse failed before it could say."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            first = next((a for a in argv if not a.startswith("-")), None)
            return first if first in action.choices else None
    return None


def _ignore_interrupts() -> None:
    """A second Ctrl-C while the error is reported would print a traceback."""
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _wants_json(argv: Sequence[str]) -> bool:
    args = list(argv)
    if "--" in args:
        args = args[:args.index("--")]
    return "--json" in args


def _quiet_pipe() -> int:
    """stdout's reader went away (``| head``): stop writing, exit like ``yes | head``."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
    return EXIT_CODES["pipe"]


def run_main(parser: argparse.ArgumentParser, argv: Sequence[str]) -> int:
    """Parse ``argv`` and run the command in the frame described in the module docstring."""
    json_mode = _wants_json(argv)
    start = time.perf_counter()
    _WRITTEN.clear()
    command: str | None = None
    with _signals():
        try:
            try:
                args = parser.parse_args(list(argv))
            except SystemExit as exc:  # --help, --version
                return int(exc.code or 0)
            command = getattr(args, "command", None)
            if not getattr(args, "func", None):
                parser.print_help(sys.stderr)
                raise UsageError("give a command, e.g. lptrain demo (see lptrain --help)")
            json_mode = bool(getattr(args, "json", False))
            args.output_paths = check_paths(args)
            report = args.func(args)
            out = {"command": command, **report}
            out["seconds"] = time.perf_counter() - start
            if json_mode:  # keys starting with "_" are for the human printer only
                emit_json({k: v for k, v in out.items() if not k.startswith("_")})
            else:
                args.human(out, args)
                _notes(out)
                sys.stdout.flush()
            return EXIT_CODES["ok"]
        except BrokenPipeError:
            return _quiet_pipe()
        except KeyboardInterrupt as exc:
            _ignore_interrupts()
            name = exc.signal_name if isinstance(exc, Terminated) else "SIGINT"
            kind = "Terminated" if isinstance(exc, Terminated) else "Interrupted"
            code = EXIT_CODES[name]
            elapsed = time.perf_counter() - start
            done = (f"; files written before: {', '.join(_WRITTEN)}" if _WRITTEN
                    else "; nothing was written")
            message = f"stopped by {name} after {elapsed:.1f} s{done}"
            return _report_error(command, kind, message, code, json_mode, signal=name)
        except UsageError as exc:
            command = command or _named_command(parser, argv)
            if not json_mode and exc.parser is not None:
                exc.parser.print_usage(sys.stderr)
            where = f"lptrain {command}" if command else "lptrain"
            return _report_error(command, "UsageError", f"{exc} (see {where} --help)",
                                 EXIT_CODES["usage"], json_mode)
        except LPTrainError as exc:
            result = getattr(exc, "result", None)
            extra = {"result": result} if result else {}
            return _report_error(command, type(exc).__name__, str(exc), EXIT_CODES["error"],
                                 json_mode, **extra)
        except MemoryError as exc:
            message = (f"ran out of memory ({str(exc) or 'no details'}): use a smaller problem "
                       "(fewer bits, samples or widths) or a lower --max-memory")
            return _report_error(command, "OutOfMemory", message, EXIT_CODES["error"],
                                 json_mode)
        except Exception as exc:
            if os.environ.get("LPTRAIN_DEBUG"):
                traceback.print_exc(file=sys.stderr)
            message = (f"{type(exc).__name__}: {exc} (a bug in lptrain, please report it; set "
                       "LPTRAIN_DEBUG=1 for the traceback)")
            return _report_error(command, "InternalError", message, EXIT_CODES["internal"],
                                 json_mode)
        finally:
            remove_temporaries()


def _notes(report: dict[str, Any]) -> None:
    for note in report.get("notes") or ():
        print(f"note: {note}", file=sys.stderr)


def _report_error(command: str | None, kind: str, message: str, code: int, json_mode: bool,
                  **extra: Any) -> int:
    try:
        if json_mode:
            emit_json(_error(command, kind, message, code, **extra))
        prefix = f"lptrain {command}" if command else "lptrain"
        label = "error" if kind not in ("Interrupted", "Terminated") else kind.lower()
        print(f"{prefix}: {label}: {message}", file=sys.stderr)
    except BrokenPipeError:
        _quiet_pipe()
    return code
