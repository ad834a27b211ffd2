"""Interruptions of a long computation: Ctrl-C (SIGINT) and SIGTERM raise until the outputs are
in place, never inside the Numba compiler, and Numba's worker threads never take them.

Used by the command line; any program that runs aplcore's parallel kernels in its main thread
can use them the same way.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = [
    "Terminated",
    "exit_code_of_interrupt",
    "ignore_further_interrupts",
    "interruptible",
    "start_worker_threads",
]


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that temporaries are removed on the way out."""


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
        from numba.np.ufunc import parallel  # lazy: numba
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
