"""``aplcore info`` (versions, threads, Numba cache) and ``aplcore warmup`` (compile kernels)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from ._common import echo
from ._options import add_command


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore info`` and ``aplcore warmup``."""
    add_command(
        sub, "info", func=cmd_info, parents=[verbose], help="versions, threads, Numba cache",
        description="Versions of aplcore and its dependencies, threads and the Numba cache.",
    )  # fmt: skip
    add_command(
        sub, "warmup", func=cmd_warmup, parents=[verbose], help="compile and cache the kernels",
        description="Run tiny cases through the public functions so that Numba compiles the "
        "kernels and caches them on disk; prints the time each took.",
    )  # fmt: skip


def numba_cache_location() -> str:
    """Where Numba writes the compiled kernels of aplcore (when caching is on)."""
    from ..settings import numba_cache_dir  # cli startup

    return str(numba_cache_dir())


def cmd_info(args: argparse.Namespace) -> int:
    """``aplcore info``."""
    from ..settings import cache_enabled  # cli startup
    from ..workflows.environment import cache_writable, environment  # cli startup

    rows = environment()
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        echo(f"{name:<{width}}  {value}")
    if cache_enabled() and not cache_writable():
        echo("note: set NUMBA_CACHE_DIR to a writable folder to cache the compiled kernels.")
    return 0


def warmup_cases() -> list[tuple[str, Callable[[], object]]]:
    """:func:`aplcore.workflows.warmup.warmup_cases`, imported when the command runs."""
    from ..workflows.warmup import warmup_cases as cases  # cli startup

    return cases()


def cmd_warmup(args: argparse.Namespace) -> int:
    """``aplcore warmup``."""
    from ..settings import cache_enabled  # cli startup

    total = time.perf_counter()
    for name, case in warmup_cases():
        start = time.perf_counter()
        try:
            case()
        except ImportError as exc:
            echo(f"{name:<24} skipped ({exc})")
            continue
        echo(f"{name:<24} {time.perf_counter() - start:6.2f} s")
    echo(f"{'total':<24} {time.perf_counter() - total:6.2f} s")
    if cache_enabled():
        echo(f"compiled kernels cached in {numba_cache_location()}")
    else:
        echo("numba cache is off (APLCORE_NUMBA_CACHE=0): kernels will compile again next run")
    return 0
