"""The ``aplcore`` command line: each command parses its options, calls one library function,
writes the result and prints its summary (``aplcore --help`` lists the commands).

Only the standard library is imported at module level, so that ``aplcore --help`` answers
instantly; NumPy, pandas, Numba and the heavy aplcore modules are imported inside the commands.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import traceback
import warnings
from collections.abc import Sequence

from .._interrupts import (
    Terminated,
    exit_code_of_interrupt,
    ignore_further_interrupts,
    interruptible,
    start_worker_threads,
)
from .._version import __version__
from . import aids, app, classify, compute, demo, info, matrix, scenarios, workbook
from ._common import (
    OUTPUTS,
    PROG,
    CommandError,
    logging_to_stderr,
    print_error,
    read_table,
    show_warning,
    write_table,
)
from ._errors import describe_failure, log_unraisable
from .info import numba_cache_location, warmup_cases

__all__ = [
    "CommandError",
    "build_parser",
    "main",
    "numba_cache_location",
    "read_table",
    "run_demo",
    "summarise",
    "warmup_cases",
    "write_table",
]


# run_demo and summarise (aplcore.workflows) are imported on first use, as from cli.demo
from .demo import __getattr__ as __getattr__

#: Commands that run parallel kernels (their worker threads are started with signals blocked).
#: ``zone``, ``classify`` and ``aids`` run none: they read APL values and classify them.
PARALLEL_COMMANDS = frozenset({"compute", "demo", "matrix", "scenarios", "warmup"})


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``aplcore`` command."""
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="log progress (-v) or details (-vv) on stderr",
    )
    writer = argparse.ArgumentParser(add_help=False)
    writer.add_argument("--overwrite", action="store_true", help="replace existing output files")

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Compute the French APL indicator (accessibilité potentielle localisée) of GP "
            "consultations and the zonings built on it."
        ),
        epilog="Start with 'aplcore demo'. 'aplcore COMMAND --help' describes each command.",
    )
    parser.add_argument("--version", action="version", version=f"aplcore {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log progress (-v) or details (-vv)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for module in (demo, compute, classify, workbook, matrix, aids, scenarios, app, info):
        module.add_parsers(sub, verbose=verbose, writer=writer)
    _record_flags(parser)
    return parser


def _record_flags(parser: argparse.ArgumentParser) -> None:
    """Give each command its own flags (``args.flags``): an error's fix names only those."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                flags = frozenset(o for a in command._actions for o in a.option_strings)
                command.set_defaults(flags=flags)
                _record_flags(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aplcore`` command.

    Parameters
    ----------
    argv
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        0 on success, 1 on any failure (one line on stderr naming the file and what to do; the
        traceback with ``-vv``), 2 on a usage error, 130 when interrupted by Ctrl-C (143 by
        SIGTERM) before the outputs were in place.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in run.json
    OUTPUTS.committed = False
    previous_hook = sys.unraisablehook
    try:
        return _run(args, argv)
    finally:
        sys.unraisablehook = previous_hook


def _run(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """The command, every failure turned into one line and an exit code."""
    try:
        with (
            interruptible(OUTPUTS, keep_ignoring=argv is None),
            logging_to_stderr(args.verbose),
            warnings.catch_warnings(),
        ):
            # library warnings (lost supply, broken caps) as one readable line each
            warnings.showwarning = functools.partial(show_warning, args.command, args.flags)
            sys.unraisablehook = log_unraisable  # tracebacks only with -vv
            if args.command in PARALLEL_COMMANDS:
                start_worker_threads()  # Ctrl-C reaches the main thread only
            return int(args.func(args) or 0)
    except BrokenPipeError:
        # output piped into a command that stopped reading (e.g. ``| head``): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        if OUTPUTS.committed:  # every output is in place: the command did its work
            return 0
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print_error(args.command, f"{what}; no output was written")
        if argv is None:  # the program itself: exit with 130, not by the signal
            ignore_further_interrupts()
        return exit_code_of_interrupt(exc)
    except ImportError as exc:
        print_error(args.command, f"{exc}")
        return 1
    except Exception as exc:  # bad input, missing or unreadable file, unwritable output, bug
        if args.verbose >= 2:  # -vv: the traceback, for bug reports
            traceback.print_exc(file=sys.stderr)
        print_error(args.command, describe_failure(exc, args))
        return 1
