"""``python -m aplcore`` and the ``aplcore`` program: the command line, interruptible from the
first instant.

A Ctrl-C while the command line itself is being imported (before :func:`aplcore.cli.main`
handles interruptions) ends the program like any other interruption: one line, exit code 130,
no traceback and no death by signal.
"""

from __future__ import annotations

import sys


def run() -> int:
    """Run the ``aplcore`` command (the program's entry point)."""
    try:
        from .cli import main  # cli startup: the first instant is already interruptible

        return main()
    except KeyboardInterrupt:
        return _interrupted_at_startup()


def _interrupted_at_startup() -> int:
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    try:
        sys.stderr.write("aplcore: error: interrupted; no output was written\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - nothing left to report to
        pass
    try:  # the interruption is handled: CPython must not end the process by SIGINT at exit
        import ctypes

        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ImportError, ValueError, AttributeError):  # not CPython, or not exported
        pass
    return 130


if __name__ == "__main__":
    sys.exit(run())
