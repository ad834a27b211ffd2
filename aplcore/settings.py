"""Runtime settings read from the environment (no side effects at import).

``APLCORE_NUMBA_CACHE``
    ``0`` disables Numba's on-disk cache of compiled kernels (default ``1``). The cache lives in
    the per-user cache folder of the platform (:func:`default_numba_cache_dir`), never inside the
    installed package; ``NUMBA_CACHE_DIR``, when set, wins.
``APLCORE_PARALLEL``
    ``0`` compiles the kernels without ``parallel=True`` (default ``1``).
``APLCORE_PROGRESS``
    ``0`` hides progress bars, ``1`` forces them; by default they show on a terminal only.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

from ._version import __version__

__all__ = [
    "cache_enabled",
    "configure_numba_cache",
    "default_numba_cache_dir",
    "numba_cache_dir",
    "numba_cache_source",
    "parallel_enabled",
    "progress_enabled",
]

#: Environment variable Numba reads for its cache folder.
NUMBA_CACHE_ENV = "NUMBA_CACHE_DIR"


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


def default_numba_cache_dir() -> Path:
    """aplcore's own folder for compiled kernels, in the platform's per-user cache directory.

    Keyed by the versions of aplcore and Numba, so that an upgrade of either starts from an empty
    folder instead of loading kernels compiled by another version (e.g.
    ``~/.cache/aplcore/numba/aplcore-0.2.0-numba-0.60.0`` on Linux).

    Examples
    --------
    >>> from aplcore.settings import default_numba_cache_dir
    >>> default_numba_cache_dir().parent.name
    'numba'
    """
    import platformdirs

    try:
        numba_version = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - numba is a dependency
        numba_version = "unknown"
    base = Path(platformdirs.user_cache_dir("aplcore", appauthor=False))
    return base / "numba" / f"aplcore-{__version__}-numba-{numba_version}"


def numba_cache_dir() -> Path:
    """Where compiled kernels are cached: ``NUMBA_CACHE_DIR`` if set, else aplcore's folder.

    Caching itself can be off (:func:`cache_enabled`); this is the folder it uses when on.
    """
    user = os.environ.get(NUMBA_CACHE_ENV, "").strip()
    return Path(user) if user else default_numba_cache_dir()


def numba_cache_source() -> str:
    """Who chose the cache folder: ``"NUMBA_CACHE_DIR"`` (the user) or ``"aplcore"``."""
    user = os.environ.get(NUMBA_CACHE_ENV, "").strip()
    if user and Path(user) != default_numba_cache_dir():
        return NUMBA_CACHE_ENV
    return "aplcore"


def configure_numba_cache() -> Path | None:
    """Point Numba's cache at :func:`numba_cache_dir` (called before the kernels are compiled).

    Sets ``NUMBA_CACHE_DIR`` unless the user set it (the user's folder wins) or caching is off.
    Called before Numba is imported, this is all Numba needs; if Numba was imported first, its
    configuration is reloaded from the environment so that the kernels decorated afterwards
    use the folder. Returns the folder, or ``None`` when caching is off.

    Numba has one cache folder per process: other cached Numba functions of the process (and
    its subprocesses, which inherit the environment) use it too, each in a sub-folder named
    after its source file. Set ``NUMBA_CACHE_DIR`` yourself to choose another folder.
    """
    if not cache_enabled():
        return None
    folder = numba_cache_dir()
    if os.environ.get(NUMBA_CACHE_ENV, "").strip():
        return folder
    os.environ[NUMBA_CACHE_ENV] = str(folder)
    if "numba" in sys.modules:
        from numba.core import config

        config.reload_config()
    return folder
