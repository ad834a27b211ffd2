"""What aplcore runs with: versions, threads, the Numba cache and the bundled data, as
``aplcore info`` prints them."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path

from .._version import __version__
from ..code_history import COG_YEARS, HISTORY_SOURCE
from ..datasets import COMMUNES_COG_YEAR, COMMUNES_SOURCE
from ..settings import (
    cache_enabled,
    configure_numba_cache,
    numba_cache_dir,
    numba_cache_source,
    parallel_enabled,
    progress_enabled,
)

__all__ = ["cache_writable", "environment"]

REQUIRED = ("numpy", "numba", "pandas", "scipy", "pyarrow", "matplotlib")
OPTIONAL = ("geopandas", "shapely", "networkx", "osmnx")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cache_writable(folder: Path | None = None) -> bool:
    """Whether the Numba cache folder, or its nearest existing parent, is writable."""
    folder = Path(numba_cache_dir()) if folder is None else folder
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK)
    return False  # pragma: no cover - the root exists


def environment() -> list[tuple[str, str]]:
    """Versions of aplcore and its dependencies, threads, the Numba cache and the vintages of the
    bundled data, as ``(name, value)`` rows."""
    configure_numba_cache()
    import numba  # lazy: numba

    cache_dir = str(numba_cache_dir())
    writable = "writable" if cache_writable(Path(cache_dir)) else "NOT writable"
    chosen_by = (
        "set by NUMBA_CACHE_DIR"
        if numba_cache_source() == "NUMBA_CACHE_DIR"
        else "aplcore's per-user cache folder"
    )
    threads = f"{numba.get_num_threads()} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS})"
    return [
        ("aplcore", __version__),
        ("python", platform.python_version()),
        *[(name, _version(name)) for name in REQUIRED],
        *[(f"{name} (optional)", _version(name)) for name in OPTIONAL],
        ("threads", threads),
        ("threading layer", str(numba.config.THREADING_LAYER)),
        ("parallel kernels", "on" if parallel_enabled() else "off (APLCORE_PARALLEL=0)"),
        ("numba cache", "on" if cache_enabled() else "off (APLCORE_NUMBA_CACHE=0)"),
        ("numba cache dir", f"{cache_dir} ({writable})"),
        ("numba cache dir is", chosen_by),
        ("progress bars", "on" if progress_enabled() else "off"),
        ("bundled communes", f"COG {COMMUNES_COG_YEAR}, from {COMMUNES_SOURCE}"),
        ("code history", f"COG {COG_YEARS[0]}-{COG_YEARS[-1]}, from npm {HISTORY_SOURCE}"),
    ]
