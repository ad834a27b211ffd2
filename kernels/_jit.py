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

from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from aplcore.settings import cache_enabled, parallel_enabled

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
