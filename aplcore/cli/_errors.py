"""Every failure of a command as one line naming the file and what to do; clean interruptions.

Only the standard library is imported at module level (``aplcore --help`` stays instant).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from ..errors import AplcoreError, AplcoreWarning, source_of

__all__ = ["Terminated", "describe_failure", "interruptible", "start_worker_threads"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that temporaries are removed on the way out."""


#: The option of each Python argument that errors name as their fix (their ``param``), spelt
#: with the value the fix suggests.
FLAGS: dict[str, Any] = {
    "overwrite": lambda value: "--overwrite",
    "max_age": lambda value: "--max-age none" if value is None else "--max-age",
    "units": lambda value: f"--time-units {value}",
    "strict": lambda value: "--strict-codes",
    "repair_integers": lambda value: "--repair-codes",
    "sep": lambda value: "--sep",
    "intra_minutes": lambda value: "--intra-minutes",
    "territory_column": lambda value: "--territory-column",
    "population": lambda value: "--population",
    "caps_file": lambda value: "--caps-file",
    "out": lambda value: "--out",
    "map": lambda value: "--map",
    "caps": lambda value: "--cap",
    "communes": lambda value: "--communes",
}

#: Fixes of the Python interface that the command line words its own way ("" when it has none).
FIXES: dict[str, str] = {
    "origin": "Name the right ones with --od-columns ORIGIN DESTINATION MINUTES.",
    "columns": "Rename those columns in the file.",
    "missing_demand": "Add them to the population table, with 0 where nobody lives.",
    "encoding": "Save the file as UTF-8.",
    "repair_integers": (
        "Write the codes as text in the file (with their leading zeros), or pass --repair-codes "
        "to zero-pad whole numbers."
    ),
    "values": "Give one row per commune.",
    "layout": "",
    "strict": "({param} makes this an error.)",
    "ids": "",
}


def for_the_command_line(exc: BaseException, options: Collection[str] = ()) -> str:
    """An aplcore error or warning as a command-line user reads it.

    The fix names the command's option (``--overwrite``), never the Python argument; a fix
    through an argument that ``options`` (the command's flags) lacks is left out. The file is
    named when the message does not name it.
    """
    if not isinstance(exc, AplcoreError | AplcoreWarning):
        return " ".join(str(exc).split())

    def spell(param: str, value: object) -> str | None:
        flag = FLAGS.get(param)
        spelt = None if flag is None else str(flag(value))
        return spelt if spelt is not None and spelt.split()[0] in options else None

    fix = FIXES.get(exc.param) if exc.param is not None and exc.fix is not None else None
    text = " ".join(exc.render(spell, fix=fix).split())
    if exc.source is not None and Path(exc.source.file).name not in text:
        text = f"{exc.source}: {text}"
    return text


def _file_of(exc: BaseException, args: argparse.Namespace) -> str | None:
    """The file the failure is about: from the exception, or the only input of the command."""
    source = source_of(exc)
    if source is not None:
        return source.file
    filename = getattr(exc, "filename", None)
    if filename:
        return str(filename)
    inputs = [v for v in vars(args).values() if isinstance(v, Path) and v.is_file()]
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
        return for_the_command_line(exc, getattr(args, "flags", ()))
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
