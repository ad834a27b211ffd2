"""Runtime settings read from the environment (no side effects at import).

``APLCORE_NUMBA_CACHE``
    ``0`` disables Numba's on-disk cache of compiled kernels (default ``1``). For read-only
    installations, keep the cache on and point ``NUMBA_CACHE_DIR`` to a writable folder.
``APLCORE_PARALLEL``
    ``0`` compiles the kernels without ``parallel=True`` (default ``1``).
``APLCORE_PROGRESS``
    ``0`` hides progress bars, ``1`` forces them; by default they show on a terminal only.
"""

from __future__ import annotations

import os
import sys

__all__ = ["cache_enabled", "parallel_enabled", "progress_enabled"]


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def cache_enabled() -> bool:
    """Whether compiled kernels are cached on disk."""
    return _flag("APLCORE_NUMBA_CACHE", True)


def parallel_enabled() -> bool:
    """Whether kernels are compiled with ``parallel=True``."""
    return _flag("APLCORE_PARALLEL", True)


def progress_enabled() -> bool:
    """Whether long loops show a progress bar."""
    return _flag("APLCORE_PROGRESS", sys.stderr.isatty())
