"""The single place where Numba compilation options are set.

Canonical dtypes at the kernel boundary, so that each kernel compiles once:

* row pointers (``indptr``): int64
* column indices and commune indices: int32; in prepared weight matrices, unsigned: uint16 up
  to 65 536 communes (every French case), uint32 beyond, so a product kernel compiles at most
  twice over all problem sizes
* times, weights, populations, supply, results: float64

``fastmath`` is limited to flags that keep inf and NaN meaningful: infinite times mark
unreachable pairs, so ``nnan``/``ninf`` are never enabled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba.core import event

from aplcore.settings import cache_enabled, numba_cache_dir, parallel_enabled

#: Compilation notices go to this logger (INFO): the command line shows them, a library user
#: sees them once logging is configured at INFO.
compile_logger = logging.getLogger("aplcore.kernels")

INDPTR = np.int64
INDEX = np.int32
FLOAT = np.float64

#: Safe fast-math flags: no ``nnan``/``ninf`` (inf marks unreachable pairs), no ``reassoc`` (sums
#: keep their order, so results do not depend on the number of threads), no ``arcp`` (``t / c``
#: must stay exact: ``1 - 30 / 30`` is 0, not 1e-17).
FASTMATH = frozenset({"nsz", "contract"})


def jit(*, parallel: bool = False, **overrides: Any) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a kernel with aplcore's Numba options.

    Parameters
    ----------
    parallel
        Compile with ``parallel=True`` (honoured only when ``APLCORE_PARALLEL`` is not ``0``).
    **overrides
        Any other :func:`numba.njit` option.
    """
    options: dict[str, Any] = {
        "cache": cache_enabled(),
        "nogil": True,
        "fastmath": set(FASTMATH),
        "error_model": "numpy",
        "boundscheck": False,
    }
    options["parallel"] = parallel and parallel_enabled()
    options.update(overrides)
    return numba.njit(**options)


def inline(func: Callable[..., Any]) -> Any:
    """A small device function inlined into its callers."""
    return numba.njit(inline="always", cache=cache_enabled(), fastmath=set(FASTMATH))(func)


def chunk_bounds(n_items: int, n_chunks: int) -> np.ndarray:
    """Boundaries of ``n_chunks`` near-equal chunks over ``n_items`` (int64, length n_chunks+1).

    Chunking depends on the data size only, never on the number of threads, so that results
    are identical whatever the thread count.
    """
    return np.linspace(0, n_items, n_chunks + 1).astype(np.int64)


#: Modules whose compilations are reported.
KERNEL_MODULES: tuple[str, ...] = ("aplcore.kernels",)


class _CompileNotice(event.Listener):
    """Log when Numba compiles one of aplcore's kernels (a cache miss), with a progress line.

    The first compilation of a process logs where the compiled kernels will be cached, so that a
    first run that takes seconds says why; each kernel compiled then logs its name and time.
    Kernels loaded from the cache are not compiled, so a warm run logs nothing.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self.compiled = 0

    def _stack(self) -> list[float | None]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    @staticmethod
    def _is_kernel(evt: event.Event) -> bool:
        dispatcher = (evt.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        return module.startswith(KERNEL_MODULES)

    def on_start(self, evt: event.Event) -> None:
        stack = self._stack()
        outermost = not stack and self._is_kernel(evt)
        stack.append(time.perf_counter() if outermost else None)
        if outermost and self.compiled == 0:
            where = (
                f"cached in {numba_cache_dir()} for the next runs"
                if cache_enabled()
                else "not cached: APLCORE_NUMBA_CACHE=0"
            )
            compile_logger.info(
                "compiling aplcore's Numba kernels for this machine (first run or new version, "
                "a few seconds per kernel; %s)",
                where,
            )

    def on_end(self, evt: event.Event) -> None:
        stack = self._stack()
        started = stack.pop() if stack else None
        if started is None:
            return
        self.compiled += 1
        name = evt.data["dispatcher"].py_func
        compile_logger.info(
            "compiled kernel %d: %s.%s (%.1f s)",
            self.compiled,
            name.__module__.rsplit(".", 1)[-1],
            name.__name__,
            time.perf_counter() - started,
        )


#: Registered once, when the kernels are first imported.
COMPILE_NOTICE = _CompileNotice()
event.register("numba:compile", COMPILE_NOTICE)
