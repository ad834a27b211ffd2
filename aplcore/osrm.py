"""A local OSRM server from an OpenStreetMap extract, in one call.

:func:`local_osrm` prepares a ``.osm.pbf`` extract for the multi-level Dijkstra algorithm
(``osrm-extract`` with the car profile, ``osrm-partition``, ``osrm-customize``), starts
``osrm-routed --algorithm mld`` on 127.0.0.1 on a free port, waits until it answers, and stops it
when the ``with`` block ends, whatever ends it (an exception, Ctrl-C)::

    with aplcore.osrm.local_osrm("pays-de-la-loire.osm.pbf") as server:
        tt = aplcore.travel_times_from_osrm(communes, server.url, max_minutes=30)

A prepared extract is kept in a cache folder keyed by the content of the PBF, the profile and the
OSRM version, and reused while the PBF does not change.

The OSRM programs are looked for, in order: in the folder named by ``APLCORE_OSRM_BIN``; on
``PATH``; in the ``osrm`` package of the running Python (the ``osrm-bindings`` wheel on PyPI
ships them, for Python 3.12 or later). On Python 3.11, install that package in a Python 3.12
environment and point ``APLCORE_OSRM_BIN`` at its ``site-packages/osrm/bin`` folder. For
France-size extracts, the ``osrm/osrm-backend`` container image is the usual way to run the
preparation and the server; give its address to :func:`aplcore.travel_times_from_osrm`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import OsrmError, ParameterError

__all__ = [
    "BIN_ENV",
    "LocalOsrm",
    "OsrmTools",
    "find_osrm",
    "local_osrm",
    "prepare_extract",
    "serve_extract",
]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder of the OSRM programs.
BIN_ENV = "APLCORE_OSRM_BIN"
_PROGRAMS = ("osrm-extract", "osrm-partition", "osrm-customize", "osrm-routed")
_HOW_TO_GET = (
    "Install the 'osrm-bindings' package (it ships the OSRM programs; Python 3.12 or later): "
    "in this environment if it runs Python >= 3.12 (pip install osrm-bindings), else in a "
    "Python 3.12 one (python3.12 -m venv ~/.cache/aplcore-osrm && "
    "~/.cache/aplcore-osrm/bin/pip install osrm-bindings) and set "
    f"{BIN_ENV}=~/.cache/aplcore-osrm/lib/python3.12/site-packages/osrm/bin. Or put "
    "osrm-extract, osrm-partition, osrm-customize and osrm-routed on PATH (an OSRM build), or "
    "run the osrm/osrm-backend container image and pass its address as url"
)


@dataclass(frozen=True)
class OsrmTools:
    """Where the OSRM programs and the car profile are.

    Attributes
    ----------
    folder
        The folder holding ``osrm-extract``, ``osrm-partition``, ``osrm-customize`` and
        ``osrm-routed``.
    profiles
        The folder of the Lua profiles (``car.lua``), or ``None`` when none was found.
    version
        What ``osrm-routed --version`` prints (e.g. ``v26.10.0``).
    """

    folder: Path
    profiles: Path | None
    version: str

    def program(self, name: str) -> str:
        """Full path of one OSRM program."""
        return str(self.folder / name)

    def profile(self, name: str = "car") -> Path:
        """The Lua profile ``name`` (a profile name such as ``car``, or a path to a ``.lua``)."""
        if name.endswith(".lua"):
            path = Path(name).expanduser()
            if not path.is_file():
                msg = f"the OSRM profile {name!r} does not exist."
                raise OsrmError(msg)
            return path
        if self.profiles is not None and (self.profiles / f"{name}.lua").is_file():
            return self.profiles / f"{name}.lua"
        msg = (
            f"no OSRM profile {name!r} next to the programs in {self.folder} (looked in "
            f"{self.profiles or 'share/profiles and share/osrm/profiles'}): pass the path of "
            f"the profile file, e.g. profile='/path/to/osrm-backend/profiles/{name}.lua'."
        )
        raise OsrmError(msg)


def find_osrm() -> OsrmTools:
    """The OSRM programs: ``APLCORE_OSRM_BIN``, then ``PATH``, then the ``osrm`` package.

    Raises
    ------
    OsrmError
        None found, with how to get them.
    """
    candidates: list[tuple[str, Path]] = []
    env = os.environ.get(BIN_ENV)
    if env:
        folder = Path(env).expanduser()
        if not all((folder / p).is_file() for p in _PROGRAMS):
            msg = (
                f"{BIN_ENV}={env} does not hold the OSRM programs ({', '.join(_PROGRAMS)}). "
                f"{_HOW_TO_GET}."
            )
            raise OsrmError(msg)
        candidates.append((BIN_ENV, folder))
    on_path = shutil.which("osrm-routed")
    if on_path:
        candidates.append(("PATH", Path(on_path).resolve().parent))
    spec = importlib.util.find_spec("osrm")
    if spec is not None and spec.origin:
        candidates.append(("the osrm package", Path(spec.origin).parent / "bin"))
    for where, folder in candidates:
        if all((folder / p).is_file() for p in _PROGRAMS):
            logger.debug("OSRM programs from %s: %s", where, folder)
            return OsrmTools(folder, _profiles_near(folder), _version(folder))
    msg = f"the OSRM programs ({', '.join(_PROGRAMS)}) were not found. {_HOW_TO_GET}."
    raise OsrmError(msg)


def _profiles_near(folder: Path) -> Path | None:
    """The profiles folder of a wheel (osrm/share/profiles) or an install (share/osrm/profiles)."""
    for candidate in (
        folder.parent / "share" / "profiles",
        folder.parent / "share" / "osrm" / "profiles",
        folder.parent / "profiles",
        folder / "profiles",
    ):
        if (candidate / "car.lua").is_file():
            return candidate
    return None


def _version(folder: Path) -> str:
    try:
        done = subprocess.run(
            [str(folder / "osrm-routed"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError as exc:
        msg = f"{folder / 'osrm-routed'} cannot run ({exc}). {_HOW_TO_GET}."
        raise OsrmError(msg) from exc
    return (done.stdout.strip() or done.stderr.strip() or "unknown").splitlines()[-1]


# ---------------------------------------------------------------------------------- prepare
def default_extract_dir() -> Path:
    """Where prepared extracts are kept (the per-user cache folder of the platform)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("aplcore", appauthor=False)) / "osrm-extracts"


def prepare_extract(
    pbf: str | os.PathLike[str],
    *,
    profile: str = "car",
    folder: str | os.PathLike[str] | None = None,
    threads: int = 2,
    tools: OsrmTools | None = None,
) -> Path:
    """Prepare an OpenStreetMap extract for ``osrm-routed --algorithm mld``, or reuse it.

    Parameters
    ----------
    pbf
        The ``.osm.pbf`` extract (read, never modified).
    profile
        The OSRM profile: a name next to the programs (``car``) or the path of a ``.lua`` file.
    folder
        Where prepared extracts are kept (default: the per-user cache folder,
        ``…/aplcore/osrm-extracts``); each gets a sub-folder named by the SHA-256 of the PBF,
        the profile and the OSRM version, reused while they do not change.
    threads
        Threads of the OSRM programs.
    tools
        The OSRM programs (default: :func:`find_osrm`).

    Returns
    -------
    pathlib.Path
        The base ``.osrm`` path to give ``osrm-routed``.

    Raises
    ------
    OsrmError
        The programs are missing or fail (with the end of their log).
    """
    tools = find_osrm() if tools is None else tools
    pbf = Path(pbf)
    if not pbf.is_file():
        msg = f"OpenStreetMap extract not found: {pbf}."
        raise OsrmError(msg)
    if not pbf.name.endswith(".osm.pbf"):
        msg = f"expected an OpenStreetMap extract ending in .osm.pbf, found {pbf.name!r}."
        raise OsrmError(msg)
    lua = tools.profile(profile)
    key = hashlib.sha256()
    key.update(_file_sha256(pbf).encode())
    key.update(_file_sha256(lua).encode())
    key.update(tools.version.encode())
    stem = pbf.name[: -len(".osm.pbf")]
    root = Path(folder) if folder is not None else default_extract_dir()
    target = root / f"{stem}-{key.hexdigest()[:16]}"
    base = target / f"{stem}.osrm"
    if (target / "prepared.json").is_file():
        logger.info("reusing the prepared extract %s", target)
        return base
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=root))
    try:
        (work / pbf.name).symlink_to(pbf.resolve())
        started = time.perf_counter()
        n = str(int(threads))
        # the PBF header's replication timestamp becomes the data_version the server reports
        osmosis = ("--data_version", "osmosis")
        _run(tools, work, "osrm-extract", "-p", str(lua), "-t", n, *osmosis, pbf.name)
        _run(tools, work, "osrm-partition", "-t", n, f"{stem}.osrm")
        _run(tools, work, "osrm-customize", "-t", n, f"{stem}.osrm")
        (work / pbf.name).unlink()
        record = {
            "pbf": str(pbf.resolve()),
            "profile": str(lua),
            "osrm": tools.version,
            "seconds": round(time.perf_counter() - started, 2),
        }
        (work / "prepared.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)  # an older, unfinished copy
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("prepared %s in %.1f s", base, record["seconds"])
    return base


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _run(tools: OsrmTools, cwd: Path, program: str, *args: str) -> None:
    log = cwd / f"{program}.log"
    with log.open("wb") as out:
        done = subprocess.run(
            [tools.program(program), *args],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
        msg = (
            f"{program} failed (exit code {done.returncode}) on {cwd}:\n"
            + "\n".join(tail)
            + "\nCheck that the file is a complete .osm.pbf extract and that the profile fits."
        )
        raise OsrmError(msg)


# ---------------------------------------------------------------------------------- serve
@dataclass(frozen=True)
class LocalOsrm:
    """A running ``osrm-routed`` started by :func:`serve_extract` or :func:`local_osrm`.

    Attributes
    ----------
    url
        Its base address, ``http://127.0.0.1:PORT``.
    port
        The port it listens on.
    base
        The prepared ``.osrm`` data it serves.
    max_table_size
        Its ``--max-table-size``.
    process
        The server process.
    log
        Its log file.
    """

    url: str
    port: int
    base: Path
    max_table_size: int
    process: subprocess.Popen
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the server gets SIGTERM if the Python process that started it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def serve_extract(
    base: str | os.PathLike[str],
    *,
    max_table_size: int = 1000,
    threads: int = 2,
    port: int | None = None,
    startup_timeout: float = 120.0,
    tools: OsrmTools | None = None,
) -> Iterator[LocalOsrm]:
    """Serve prepared data with ``osrm-routed --algorithm mld`` on 127.0.0.1 while in the block.

    Parameters
    ----------
    base
        The ``.osrm`` base path returned by :func:`prepare_extract`.
    max_table_size
        ``--max-table-size`` of the server (pass the same to
        :func:`aplcore.travel_times_from_osrm`).
    threads
        Server threads.
    port
        The port (default: a free one).
    startup_timeout
        Seconds to wait for the server to answer.
    tools
        The OSRM programs (default: :func:`find_osrm`).

    Yields
    ------
    LocalOsrm
        The running server; it is stopped when the block ends.
    """
    tools = find_osrm() if tools is None else tools
    if not (isinstance(max_table_size, int) and max_table_size >= 2):
        msg = f"max_table_size must be an integer >= 2, found {max_table_size!r}."
        raise ParameterError(msg)
    base = Path(base)
    if not base.with_name(base.name + ".partition").is_file():
        msg = f"{base} is not prepared OSRM data (run prepare_extract on the .osm.pbf first)."
        raise OsrmError(msg)
    port = _free_port() if port is None else int(port)
    log = base.with_name(f"osrm-routed-{port}.log")
    args = [
        tools.program("osrm-routed"),
        "--algorithm",
        "mld",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(int(threads)),
        "--max-table-size",
        str(max_table_size),
        str(base),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    server = LocalOsrm(f"http://127.0.0.1:{port}", port, base, max_table_size, process, log)
    try:
        _wait_until_ready(server, startup_timeout)
        logger.info("osrm-routed serving %s at %s", base.name, server.url)
        yield server
    finally:
        stop(server)


def stop(server: LocalOsrm) -> None:
    """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(server: LocalOsrm, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    probe = f"{server.url}/nearest/v1/car/0,0"
    while True:
        if server.process.poll() is not None:
            tail = server.log.read_text(encoding="utf-8", errors="replace").splitlines()[-8:]
            msg = (
                f"osrm-routed stopped at start (exit code {server.process.returncode}):\n"
                + "\n".join(tail)
            )
            raise OsrmError(msg)
        try:
            with urllib.request.urlopen(probe, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers (e.g. NoSegment for this probe point)
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            msg = (
                f"osrm-routed did not answer at {server.url} within {timeout:g} s "
                f"(log: {server.log})."
            )
            raise OsrmError(msg)
        time.sleep(0.1)


@contextlib.contextmanager
def local_osrm(
    pbf: str | os.PathLike[str],
    *,
    profile: str = "car",
    folder: str | os.PathLike[str] | None = None,
    max_table_size: int = 1000,
    threads: int = 2,
    startup_timeout: float = 120.0,
) -> Iterator[LocalOsrm]:
    """Prepare an extract (or reuse it) and serve it on 127.0.0.1 while in the ``with`` block.

    Parameters
    ----------
    pbf
        The ``.osm.pbf`` extract.
    profile, folder
        As in :func:`prepare_extract`.
    max_table_size, threads, startup_timeout
        As in :func:`serve_extract`.

    Yields
    ------
    LocalOsrm
        The running server (``server.url``); stopped when the block ends, also on an exception
        or Ctrl-C.

    Examples
    --------
    >>> with local_osrm("gibraltar.osm.pbf") as server:  # doctest: +SKIP
    ...     tt = aplcore.travel_times_from_osrm(points, server.url, ids="any")
    """
    tools = find_osrm()
    base = prepare_extract(pbf, profile=profile, folder=folder, threads=threads, tools=tools)
    with serve_extract(
        base,
        max_table_size=max_table_size,
        threads=threads,
        startup_timeout=startup_timeout,
        tools=tools,
    ) as server:
        yield server
