"""Every failure of a command as one line naming the file and what to do; clean interruptions.

Only the standard library is imported at module level (``aplcore --help`` stays instant).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from ..errors import AplcoreError

__all__ = ["Terminated", "describe_failure", "interruptible", "start_worker_threads"]

#: Names of local variables that hold the file being read, innermost frame first.
_FILE_VARIABLES = ("path", "source", "filename", "file", "fname", "filepath_or_buffer", "dest")


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that temporaries are removed on the way out."""


#: Fixes that library messages give as Python arguments, and their command-line form.
CLI_FORMS: tuple[tuple[str, str], ...] = (
    ("origin=, destination= and minutes=", "--od-columns ORIGIN DESTINATION MINUTES"),
    ("pass overwrite=True (CLI: --overwrite)", "pass --overwrite"),
    ("overwrite=True (CLI: --overwrite)", "--overwrite"),
    ("pass overwrite=True", "pass --overwrite"),
    ("max_age=None to keep all (CLI: --max-age none)", "--max-age none to keep all"),
    ("pass max_age=None", "pass --max-age none"),
    ("Raise max_age,", "Raise --max-age,"),
    ("intra_minutes=", "--intra-minutes"),
    ("units='seconds' (CLI: --time-units)", "--time-units seconds"),
    ("units='hours' (CLI: --time-units)", "--time-units hours"),
    ("(strict=True makes this an error.)", "(--strict-codes makes this an error.)"),
    (
        "pass repair_integers=True (or read the column as text)",
        "pass --repair-codes (or write the codes as text in the file)",
    ),
    ("pass repair_integers=True to zero-pad", "pass --repair-codes to zero-pad"),
    (
        "Read the column as text (e.g. pandas.read_csv(..., dtype={'code': str})) or",
        "Write the codes as text in the file (with their leading zeros), or",
    ),
    ("read them as text", "write them as text in the file, with their leading zeros"),
    ("give the separator with sep= if", "give the separator with --sep if"),
    (
        "or pass missing_demand='zero'",
        "(add them to the population table with 0 where nobody lives)",
    ),
    ("pass encoding= (e.g. 'latin-1')", "save it as UTF-8"),
)

#: ``columns={...}`` mappings of the readers: on the command line, the file's columns are renamed.
_COLUMNS_MAPPING = re.compile(r"Rename them or pass columns=\{.*?\}\.")


def for_the_command_line(message: str) -> str:
    """A library message with its Python-argument fixes given as command-line options."""
    for api, cli in CLI_FORMS:
        message = message.replace(api, cli)
    message = _COLUMNS_MAPPING.sub("Rename those columns in the file.", message)
    return message.strip()


_FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".npz", ".xlsx", ".xls", ".graphml", ".json", ".gz")


def _names_a_file(message: str) -> bool:
    return "/" in message or any(suffix in message.lower() for suffix in _FILE_SUFFIXES)


_COMMAND_CODE = os.sep + os.path.join("aplcore", "cli") + os.sep


def _input_files(args: argparse.Namespace) -> list[Path]:
    return [v for v in vars(args).values() if isinstance(v, Path) and v.is_file()]


def _file_of(exc: BaseException, args: argparse.Namespace) -> str | None:
    """The file the failure is about: from the exception, the traceback, or the only input."""
    filename = getattr(exc, "filename", None)
    if filename:
        return str(filename)
    found = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:  # innermost frame last: keep the last file seen
        if _COMMAND_CODE in tb.tb_frame.f_code.co_filename:  # the command's own variables
            tb = tb.tb_next
            continue
        local = tb.tb_frame.f_locals
        for name in _FILE_VARIABLES:
            value = local.get(name)
            if isinstance(value, str | Path) and str(value) and Path(value).is_file():
                found = str(value)
                break
        tb = tb.tb_next
    if found is not None:
        return found
    inputs = _input_files(args)
    return str(inputs[0]) if len(inputs) == 1 else None


def _first_line(text: object) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def _about(file: str | None) -> str:
    return f"{file}: " if file else ""


def describe_failure(exc: BaseException, args: argparse.Namespace) -> str:
    """One line saying what failed, in which file, and what to do.

    Parameters
    ----------
    exc
        The exception that ended the command.
    args
        The parsed arguments (their input files name the file when the exception does not).
    """
    import zipfile
    from xml.etree.ElementTree import ParseError

    if isinstance(exc, AplcoreError):
        message = for_the_command_line(" ".join(str(exc).split()))
        if type(exc).__name__ == "CommandError" or _names_a_file(message):
            return message
        file = _file_of(exc, args)
        return f"{file}: {message}" if file is not None else message
    if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
        if exc.filename:
            return f"{exc.strerror or exc}: {exc.filename}"
        return _first_line(exc) or type(exc).__name__
    file = _file_of(exc, args)
    about = _about(file)
    name = type(exc).__name__
    module = type(exc).__module__
    if isinstance(exc, UnicodeError):
        return (
            f"{about}cannot decode the text ({_first_line(exc)}). Save the file as UTF-8 (or "
            "Latin-1) text, or check that it is the file you meant."
        )
    if name == "EmptyDataError":
        return f"{about}the file is empty: expected a header line and rows."
    if name == "ParserError" or (name == "Error" and module == "_csv"):
        return (
            f"{about}cannot be parsed as a table ({_first_line(exc)}). Check the separator "
            "and that every line has the same number of fields."
        )
    if module.startswith("pyarrow") or name in ("ArrowInvalid", "ArrowTypeError"):
        return (
            f"{about}cannot be read ({_first_line(exc)}). Check that it is a valid, complete "
            "Parquet or CSV file; write it again if it was cut short."
        )
    if isinstance(exc, zipfile.BadZipFile):
        return (
            f"{about}is not a valid archive ({_first_line(exc)}): a .npz or .xlsx file that is "
            "corrupt, cut short or misnamed. Write it again (for a matrix: 'aplcore matrix')."
        )
    if isinstance(exc, ParseError) or name in ("XMLSyntaxError", "ExpatError"):
        return (
            f"{about}is not valid XML ({_first_line(exc)}). Give a GraphML road graph, such as "
            "one saved by osmnx.save_graphml."
        )
    if isinstance(exc, KeyError):
        return (
            f"{about}missing column or key {_first_line(exc)}. Check the column names against "
            f"'{' '.join(['aplcore', str(args.command), '--help'])}'."
        )
    if isinstance(exc, MemoryError):
        return (
            f"{about}not enough memory. Use a smaller area or a shorter --max-minutes, or a "
            "machine with more memory."
        )
    if isinstance(exc, ValueError | TypeError):
        return (
            f"{about}{_first_line(exc) or name}. Check the input against "
            f"'aplcore {args.command} --help'; run with -vv for details."
        )
    return (
        f"{about}unexpected {name}: {_first_line(exc)}. Run again with -vv for the traceback "
        "and report it with the command line."
    )


def log_unraisable(unraisable: Any) -> None:
    """An exception Python could not raise (in a callback, a finaliser): a debug record (-vv),
    not a traceback on the terminal."""
    import logging

    logging.getLogger("aplcore.cli").debug(
        "ignored %s in %r: %s",
        getattr(unraisable.exc_type, "__name__", "exception"),
        unraisable.object,
        unraisable.exc_value,
    )


# ---------------------------------------------------------------------------------- signals
def start_worker_threads() -> None:
    """Start Numba's worker threads with SIGINT and SIGTERM blocked in them.

    Threads inherit the signal mask of the thread that creates them: started this way, the
    workers never take a Ctrl-C, which always reaches the main thread and its Python handler. A
    parallel kernel in flight finishes its (short) chunk of work before the interruption is
    raised, instead of tearing down threads in the middle of a parallel region.
    """
    if not hasattr(signal, "pthread_sigmask"):
        return
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        from numba.np.ufunc import parallel
    except ImportError:  # pragma: no cover - numba is a dependency
        return
    if getattr(parallel, "_is_initialized", False):
        return
    signals = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        parallel._launch_threads()
    except Exception:  # no threading layer: the kernels run serially, nothing to do
        pass
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


#: Code that must not be interrupted by an exception: Numba compiling or loading a kernel, and
#: LLVM under it (an exception raised in the middle leaves them in a state that crashes).
_UNINTERRUPTIBLE = tuple(os.sep + name + os.sep for name in ("numba", "llvmlite"))
#: Seconds between two looks at whether the compiler is done, when an interruption waits for it.
RETRY_SECONDS = 0.05


def _inside_compiler(frame: FrameType | None) -> bool:
    while frame is not None:
        if any(part in frame.f_code.co_filename for part in _UNINTERRUPTIBLE):
            return True
        frame = frame.f_back
    return False


def _send_again_later(signum: int) -> None:
    """Deliver ``signum`` to the main thread again shortly (its handler decides once more)."""
    target = threading.main_thread().ident

    def send() -> None:
        if hasattr(signal, "pthread_kill") and target is not None:
            signal.pthread_kill(target, signum)
        else:  # pragma: no cover - not POSIX
            os.kill(os.getpid(), signum)

    timer = threading.Timer(RETRY_SECONDS, send)
    timer.daemon = True
    timer.start()


@contextmanager
def interruptible(committed: Any, *, keep_ignoring: bool = False) -> Iterator[None]:
    """Ctrl-C and SIGTERM raise (:class:`KeyboardInterrupt`, :class:`Terminated`) until
    ``committed.committed`` is true; after that, the outputs are in place and they are ignored
    so that the command finishes printing and succeeds.

    An interruption that arrives while Numba compiles or loads a kernel waits until it is done:
    raised inside the compiler, it would leave LLVM in a state that crashes the process.
    ``keep_ignoring`` (the program itself, not a caller of :func:`aplcore.cli.main`): once the
    outputs are committed, the signals stay ignored until the process exits.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if committed.committed:
            return
        if _inside_compiler(frame):
            _send_again_later(signum)
            return
        if signum == signal.SIGTERM:
            raise Terminated
        raise KeyboardInterrupt

    handled = [signal.SIGINT] + ([signal.SIGTERM] if os.name == "posix" else [])
    previous = {s: signal.getsignal(s) for s in handled}
    for s in handled:
        signal.signal(s, on_interrupt)
    try:
        yield
    finally:
        for s, handler in previous.items():
            if keep_ignoring and committed.committed:
                handler = signal.SIG_IGN
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def ignore_further_interrupts() -> None:
    """The program has reported an interruption and will exit with 130: keep it that way.

    SIGINT and SIGTERM are ignored until the process exits. And CPython remembers a
    KeyboardInterrupt that went through code an extension module runs while it is imported
    (``_Py_UnhandledKeyboardInterrupt``), then ends the process by SIGINT at exit whatever the
    exit code: that flag is cleared, since the interruption was handled here.
    """
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)
    try:
        import ctypes

        flag = ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt")
        flag.value = 0
    except (ImportError, ValueError, AttributeError):  # not CPython, or not exported
        pass


def exit_code_of_interrupt(exc: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (the shell conventions)."""
    return 143 if isinstance(exc, Terminated) else 130


def stderr_line(text: str) -> None:
    """Write one line on stderr, even if stderr is closed."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - nothing left to report to
        pass
