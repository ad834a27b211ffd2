"""Car travel times from an OSRM server's table service, asking only for pairs that can be close.

Steps of :func:`travel_times_from_osrm`:

1. Snapping: the points are sent to ``/table/v1/{profile}`` in groups (one source, the group as
   destinations); the answer gives the road location each point snaps to. Points more than
   ``snap_warning_m`` from their road location are named in a :class:`FarFromRoadWarning`.
2. The bound: OSRM's duration between two points is the time along a road path between their
   snapped locations, at most ``top_speed_kmh`` on every segment, so it is at least the
   straight-line distance between the snapped locations divided by the top speed. A pair whose
   snapped locations are farther apart than ``top_speed_kmh × max_minutes`` (plus a 1 % margin
   for the engine's distance approximations) cannot be under ``max_minutes`` and is never asked.
   Every duration received is checked against the bound: a pair driven faster than the stated
   top speed stops the run with an error (the profile allows higher speeds: raise
   ``top_speed_kmh``).
3. Blocks: sources are split into compact groups (recursive median cuts) until each group's
   candidate destinations (the union of the points within the bound of its sources) fit the
   server's table size (``sources × destinations <= max_table_size²``, OSRM's rule) and the
   group is small beside the bound radius, so that few pairs beyond the bound are asked.
4. Requests: ``/table/v1/{profile}/{coordinates}?sources=…&destinations=…&annotations=duration``,
   a few in flight, each with a timeout, retried with exponential backoff on connection errors,
   HTTP 429 and 5xx. An OSRM error code (``TooBig``, ``InvalidQuery``, ``NoSegment``…) stops the
   run with an :class:`~aplcore.errors.OsrmError` naming the block and what to change.
5. Cache: each finished block is written (Parquet, atomically) to a folder keyed by the server's
   data (its ``data_version`` when it reports one, else its address, and the snapped locations),
   the points and the parameters; a run stopped half-way resumes from the blocks already there.
   The folder is removed once the matrix is complete.

Pairs with a duration ``<= max_minutes`` are kept; unreachable pairs (``null`` durations) are
absent. Only the standard library talks HTTP (``urllib``), so any OSRM 5 or later server works.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import json
import logging
import math
import os
import random
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..codes import Ids
from ..errors import FarFromRoadWarning, OsrmError, ParameterError, describe_values
from ..io.writers import atomic_write
from ..settings import progress_enabled
from .geometry import point_lonlat, to_geocentric
from .model import TravelTimes

__all__ = ["DEFAULT_TOP_SPEED_KMH", "travel_times_from_osrm"]

logger = logging.getLogger(__name__)

#: Default top speed (km/h) of the bound: the French motorway limit. OSRM's car profile drives a
#: ``maxspeed=130`` motorway at 104 km/h (80 % of the tag), so the default leaves a margin.
DEFAULT_TOP_SPEED_KMH = 130.0
#: Relative margin on the bound radius for the engine's distance approximations.
DISTANCE_MARGIN = 0.01
#: Largest extent of a group of sources, as a share of the bound radius. Unbounded: OSRM's MLD
#: table costs about one graph search per coordinate sent, whatever the pairs, so the fewest
#: coordinates (the largest groups the table size allows) beat the fewest pairs.
GROUP_EXTENT = float("inf")
#: Cache format; part of the key.
CACHE_VERSION = 1
#: Pairs whose snapped locations are closer than this are not used to check the top speed
#: (durations are rounded to 0.1 s).
SPEED_CHECK_MIN_M = 1000.0

_ADVICE = {
    "TooBig": "the block is larger than the server's --max-table-size: pass a smaller "
    "max_table_size (the server's --max-table-size, 100 unless it was started with another)",
    "InvalidQuery": "the server could not parse the request: check the profile name and the "
    "coordinates (lon, lat in degrees)",
    "InvalidUrl": "the server did not understand the address: check the URL and the profile",
    "InvalidService": "the server has no table service at this address: check the URL",
    "InvalidVersion": "the server does not speak the v1 API: use OSRM 5 or later",
    "InvalidOptions": "the server refused the options: check the profile name",
    "InvalidValue": "the server refused a value: check the coordinates (lon, lat in degrees)",
    "NoSegment": "some points are too far from any road of the server's data (--default-radius "
    "or an extract that does not cover them): drop them or use an extract that covers them",
    "NoTable": "the server found no route table: check that its extract covers the points",
    "NotImplemented": "the server does not implement this request",
}


# ---------------------------------------------------------------------------------- http
@dataclass(frozen=True)
class _Client:
    """Requests to one OSRM server, with timeouts and retries."""

    url: str
    profile: str
    timeout: float
    retries: int
    backoff: float

    def table(
        self,
        lonlat: np.ndarray,
        *,
        sources: np.ndarray | None,
        destinations: np.ndarray | None,
        what: str,
    ) -> dict[str, Any]:
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in lonlat)
        query = {"annotations": "duration"}
        if sources is not None:
            query["sources"] = ";".join(map(str, sources.tolist()))
        if destinations is not None:
            query["destinations"] = ";".join(map(str, destinations.tolist()))
        address = (
            f"{self.url}/table/v1/{urllib.parse.quote(self.profile)}/{coords}?"
            + urllib.parse.urlencode(query, safe=";,")
        )
        return self._get(address, what=what)

    def _get(self, address: str, *, what: str) -> dict[str, Any]:
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff * 2 ** (attempt - 1) * (1 + 0.25 * random.random())
                logger.info("%s: %s; retrying in %.1f s", what, last, delay)
                time.sleep(delay)
            try:
                with urllib.request.urlopen(address, timeout=self.timeout) as response:
                    body = response.read()
            except urllib.error.HTTPError as exc:
                body = exc.read()
                if exc.code == 429 or exc.code >= 500:
                    last = f"HTTP {exc.code}"
                    continue
                return self._answer(body, what=what, status=exc.code)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
                continue
            return self._answer(body, what=what, status=200)
        msg = (
            f"{what}: the OSRM server at {self.url} could not be reached after "
            f"{self.retries + 1} tries ({last}). Check that it runs and answers at this address "
            f"(e.g. {self.url}/nearest/v1/{self.profile}/2.35,48.85); finished blocks are kept in "
            "the cache folder, so running again resumes where this run stopped."
        )
        raise OsrmError(msg)

    def _answer(self, body: bytes, *, what: str, status: int) -> dict[str, Any]:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            msg = (
                f"{what}: {self.url} answered HTTP {status} with something that is not OSRM's "
                f"JSON ({body[:80]!r}). Check that the URL is an OSRM server's base address "
                "(http://host:port, without /table)."
            )
            raise OsrmError(msg)
        code = answer.get("code")
        if code != "Ok":
            advice = _ADVICE.get(str(code), "see the server's message")
            msg = (
                f"{what}: the OSRM server at {self.url} answered {code!r} "
                f"({answer.get('message', 'no message')}): {advice}."
            )
            raise OsrmError(msg)
        return answer


# ---------------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class _Block:
    """One table request: source positions and destination positions (into the points)."""

    number: int
    sources: np.ndarray
    destinations: np.ndarray


def _plan_blocks(
    xyz: np.ndarray, radius_m: float, max_table_size: int, plane: np.ndarray
) -> list[_Block]:
    """Source groups and their candidate destinations, within ``max_table_size²`` pairs.

    A group is cut in two (at the median of its longer side) until it is small beside the bound
    radius and its sources times its candidates fit the table size; a single source with too
    many candidates gets several blocks. The candidates of a group are the points within the
    bound of at least one of its sources.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(xyz)
    limit = max_table_size * max_table_size
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    stack = [np.arange(len(xyz))]
    while stack:
        group = stack.pop()
        span = plane[group].max(axis=0) - plane[group].min(axis=0)
        if len(group) == 1 or float(np.hypot(*span)) <= GROUP_EXTENT * radius_m:
            candidates = _candidates(tree, xyz, group, radius_m)
            if len(group) == 1 or len(group) * len(candidates) <= limit:
                groups.append((np.sort(group), candidates))
                continue
        axis = int(np.argmax(span))
        order = group[np.argsort(plane[group, axis], kind="stable")]
        half = len(order) // 2
        stack.extend([order[:half], order[half:]])
    blocks: list[_Block] = []
    for sources, candidates in sorted(groups, key=lambda g: int(g[0][0])):
        width = max(1, limit // len(sources))
        for start in range(0, len(candidates), width):
            blocks.append(_Block(len(blocks), sources, candidates[start : start + width]))
    return blocks


def _candidates(tree: Any, xyz: np.ndarray, group: np.ndarray, radius_m: float) -> np.ndarray:
    """Sorted positions of the points within ``radius_m`` of at least one point of ``group``."""
    from scipy.spatial import cKDTree

    centre = xyz[group].mean(axis=0)
    reach = float(np.sqrt(((xyz[group] - centre) ** 2).sum(axis=1)).max())
    near = np.asarray(tree.query_ball_point(centre, radius_m + reach), dtype=np.int64)
    if len(group) > 1 and near.size:
        # the radius is strict here; the bound's margin covers the boundary
        distance, _ = cKDTree(xyz[group]).query(xyz[near], distance_upper_bound=radius_m)
        near = near[np.isfinite(distance)]
    return np.sort(near)


# ---------------------------------------------------------------------------------- cache
class _Cache:
    """Finished blocks of one run, as Parquet files in a folder named by the run's key."""

    def __init__(self, root: Path | None, key: str) -> None:
        self.folder = None if root is None else root / key

    def path(self, block: _Block) -> Path | None:
        return None if self.folder is None else self.folder / f"block-{block.number:06d}.parquet"

    def read(self, block: _Block) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        path = self.path(block)
        if path is None or not path.is_file():
            return None
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception:  # a file cut short is asked again
            logger.warning("cache file %s is unreadable: asking the block again", path)
            return None
        return (
            table["source"].to_numpy().astype(np.int64),
            table["destination"].to_numpy().astype(np.int64),
            table["seconds"].to_numpy().astype(np.float64),
        )

    def write(self, block: _Block, pairs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        path = self.path(block)
        if path is None:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({"source": pairs[0], "destination": pairs[1], "seconds": pairs[2]})

        def write(fh: IO[bytes]) -> None:
            pq.write_table(table, fh)

        atomic_write(path, write, overwrite=True)

    def clear(self) -> None:
        if self.folder is not None and self.folder.is_dir():
            shutil.rmtree(self.folder, ignore_errors=True)


def default_cache_dir() -> Path:
    """Where unfinished runs keep their blocks (the per-user cache folder of the platform)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("aplcore", appauthor=False)) / "osrm-tables"


# ---------------------------------------------------------------------------------- public
def travel_times_from_osrm(  # noqa: PLR0913 - public entry point, keyword options
    points: pd.DataFrame,
    url: str,
    *,
    max_minutes: float = 30,
    profile: str = "car",
    ids: Ids = "commune",
    code: str = "code",
    crs: Any = None,
    top_speed_kmh: float = DEFAULT_TOP_SPEED_KMH,
    max_table_size: int = 100,
    workers: int = 2,
    timeout: float = 300.0,
    retries: int = 4,
    backoff: float = 1.0,
    snap_warning_m: float = 500.0,
    cache_dir: str | os.PathLike[str] | None = None,
    cache: bool = True,
    intra_minutes: float | pd.Series = 0.0,
    progress: bool | None = None,
    repair_integers: bool = False,
) -> TravelTimes:
    """Car travel times between points from an OSRM server, every pair within ``max_minutes``.

    Parameters
    ----------
    points
        One row per unit: the bundled communes (:func:`aplcore.load_communes`, town-hall
        points) or any DataFrame indexed by id (or with a ``code`` column) with ``lon``/``lat``
        in degrees (or ``x``/``y`` in ``crs``).
    url
        The server's base address, e.g. ``http://127.0.0.1:5000`` (see :mod:`aplcore.osrm` to
        start one from an OpenStreetMap extract).
    max_minutes
        Keep pairs whose OSRM duration is ``<= max_minutes``.
    profile
        The profile name in the request path (``car`` for the usual servers).
    ids
        ``"commune"`` (5-character INSEE codes, checked) or ``"any"`` (any unique text).
    code, crs, repair_integers
        As in :func:`aplcore.traveltimes.geometry.commune_points`.
    top_speed_kmh
        The highest speed the server's profile drives on any road: the straight-line bound that
        decides which pairs are asked. Too low a value is detected (a pair driven faster stops
        the run); a higher one asks more pairs, never fewer.
    max_table_size
        The server's ``--max-table-size`` (100 unless started with another): each request has
        at most ``max_table_size²`` source-destination pairs.
    workers
        Requests in flight at once.
    timeout
        Seconds to wait for one answer.
    retries, backoff
        Tries after a connection error, HTTP 429 or 5xx, waiting ``backoff × 2^k`` seconds.
    snap_warning_m
        Points snapped farther than this (metres) from their road location are named in a
        :class:`~aplcore.errors.FarFromRoadWarning`.
    cache_dir, cache
        Folder of the finished blocks of unfinished runs (default: the per-user cache folder,
        ``…/aplcore/osrm-tables``); ``cache=False`` keeps nothing on disk.
    intra_minutes
        Time of the ``i → i`` pair (a number or a Series by id); the server is not asked.
    progress
        Progress bar over blocks (default: on a terminal, see ``APLCORE_PROGRESS``).

    Returns
    -------
    TravelTimes
        ``metadata["source"] == "osrm"``; ``metadata["osrm"]`` holds the server, profile, data
        version (when the server reports one), date, max_minutes, top speed, the snapping
        distances, the points far from roads and the request counts.

    Raises
    ------
    OsrmError
        The server refused a block (its code, the block and what to change), cannot be
        reached after the retries, or drives a pair faster than ``top_speed_kmh``.
    ParameterError
        Out-of-range parameters.
    """
    _check_parameters(max_minutes, top_speed_kmh, max_table_size, workers, timeout, retries)
    codes, lon, lat = point_lonlat(
        points, code=code, crs=crs, repair_integers=repair_integers, ids=ids
    )
    server = _public_address(url)
    client = _Client(url.rstrip("/"), profile, float(timeout), int(retries), float(backoff))
    started = time.perf_counter()
    snapped, snap_m, data_version = _snap(client, lon, lat, max_table_size)
    far = codes[snap_m > snap_warning_m].tolist()
    if far:
        warnings.warn(
            f"{len(far)} points are more than {snap_warning_m:g} m from the road OSRM snaps them "
            f"to (their times start and end there): {describe_values(far)}. Check their "
            "coordinates, or that the server's extract covers them.",
            FarFromRoadWarning,
            stacklevel=2,
        )
    cutoff_s = float(max_minutes) * 60.0
    top_mps = float(top_speed_kmh) / 3.6
    radius_m = top_mps * cutoff_s * (1 + DISTANCE_MARGIN)
    xyz = to_geocentric(snapped[:, 0], snapped[:, 1], "EPSG:4326")
    plane = _plane_km(snapped) * 1000.0
    blocks = _plan_blocks(xyz, radius_m, int(max_table_size), plane)
    key = _cache_key(
        data_version or server, profile, codes, snapped, max_minutes, top_speed_kmh, max_table_size
    )
    store = _Cache(
        (Path(cache_dir) if cache_dir is not None else default_cache_dir()) if cache else None,
        key,
    )
    # requests send the points as given: a snapped location snaps again a little elsewhere
    lonlat = np.column_stack([lon, lat])
    run = _Run(client, store, lonlat, xyz, cutoff_s, top_mps, data_version)
    parts, from_cache = run.all(blocks, workers=int(workers), progress=progress)
    src = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    dst = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    seconds = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
    requested = int(sum(len(b.sources) * len(b.destinations) for b in blocks))
    metadata = {
        "source": "osrm",
        "method": "osrm",
        "params": {
            "max_minutes": float(max_minutes),
            "profile": profile,
            "top_speed_kmh": float(top_speed_kmh),
            "max_table_size": int(max_table_size),
        },
        "osrm": {
            "server": server,
            "profile": profile,
            "data_version": data_version,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "max_minutes": float(max_minutes),
            "top_speed_kmh": float(top_speed_kmh),
            "blocks": len(blocks),
            "blocks_from_cache": from_cache,
            "pairs_requested": requested,
            "seconds": round(time.perf_counter() - started, 3),
            "snap_distance_m": {
                "max": float(snap_m.max()),
                "median": float(np.median(snap_m)),
            },
            "far_from_road": far,
        },
    }
    tt = TravelTimes.from_arrays(
        codes, src, dst, seconds / 60.0, intra_minutes=intra_minutes, ids=ids, metadata=metadata
    )
    store.clear()
    logger.info(
        "OSRM %s: %d points, %d pairs within %g min (%d asked in %d blocks, %d from the cache)",
        server,
        len(codes),
        seconds.size,
        max_minutes,
        requested,
        len(blocks),
        from_cache,
    )
    return tt


def _check_parameters(
    max_minutes: float,
    top_speed_kmh: float,
    max_table_size: int,
    workers: int,
    timeout: float,
    retries: int,
) -> None:
    checks = [
        ("max_minutes", max_minutes, "a non-negative number of minutes", lambda v: v >= 0),
        ("top_speed_kmh", top_speed_kmh, "a positive speed in km/h", lambda v: v > 0),
        ("max_table_size", max_table_size, "an integer >= 2", lambda v: v >= 2 and v == int(v)),
        ("workers", workers, "an integer >= 1", lambda v: v >= 1 and v == int(v)),
        ("timeout", timeout, "a positive number of seconds", lambda v: v > 0),
        ("retries", retries, "an integer >= 0", lambda v: v >= 0 and v == int(v)),
    ]
    for name, value, expected, ok in checks:
        if not (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and ok(value)
        ):
            msg = f"{name} must be {expected}, found {value!r}."
            raise ParameterError(msg)


def _public_address(url: str) -> str:
    """The server address without credentials (it is recorded in the metadata)."""
    parts = urllib.parse.urlsplit(url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = (
            f"url must be an OSRM server's base address such as http://127.0.0.1:5000, found "
            f"{url!r}."
        )
        raise ParameterError(msg)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _snap(
    client: _Client, lon: np.ndarray, lat: np.ndarray, max_table_size: int
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Snapped locations (n, 2), snapping distances (metres) and the server's data version."""
    n = lon.size
    snapped = np.empty((n, 2))
    lonlat = np.column_stack([lon, lat])
    data_version = None
    for start in range(0, n, max_table_size):
        stop = min(n, start + max_table_size)
        group = lonlat[start:stop]
        if len(group) == 1:  # OSRM wants two coordinates at least
            group = np.repeat(group, 2, axis=0)
        answer = client.table(
            group,
            sources=np.zeros(1, dtype=np.int64),
            destinations=None,
            what=f"snapping points {start}-{stop - 1}",
        )
        snapped[start:stop] = [w["location"] for w in answer["destinations"]][: stop - start]
        data_version = _data_version(answer) or data_version
    return snapped, _haversine_m(lonlat, snapped), data_version


def _data_version(answer: dict[str, Any]) -> str | None:
    """The server's ``data_version`` (the extract's timestamp), ``None`` when it has none."""
    version = answer.get("data_version")
    return None if version in (None, "", "n/a") else str(version)


def _haversine_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2
    h += np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def _plane_km(lonlat: np.ndarray) -> np.ndarray:
    """An equirectangular plane (km) to cut the points into compact groups (not for bounds)."""
    lat0 = math.radians(float(np.median(lonlat[:, 1])))
    return np.column_stack([lonlat[:, 0] * 111.32 * math.cos(lat0), lonlat[:, 1] * 111.32])


def _cache_key(
    data: str,
    profile: str,
    codes: pd.Index,
    snapped: np.ndarray,
    max_minutes: float,
    top_speed_kmh: float,
    max_table_size: int,
) -> str:
    digest = hashlib.sha256()
    for part in (CACHE_VERSION, data, profile, max_minutes, top_speed_kmh, max_table_size):
        digest.update(f"{part}\n".encode())
    digest.update("\n".join(map(str, codes)).encode("utf-8"))
    digest.update(np.ascontiguousarray(np.round(snapped, 6)).tobytes())
    return digest.hexdigest()[:32]


class _Run:
    """Asks the blocks, a few in flight, keeping each finished one in the cache."""

    def __init__(
        self,
        client: _Client,
        store: _Cache,
        lonlat: np.ndarray,
        xyz: np.ndarray,
        cutoff_s: float,
        top_mps: float,
        data_version: str | None,
    ) -> None:
        self.client = client
        self.store = store
        self.lonlat = lonlat
        self.xyz = xyz
        self.cutoff_s = cutoff_s
        self.top_mps = top_mps
        self.data_version = data_version

    def all(
        self, blocks: list[_Block], *, workers: int, progress: bool | None
    ) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], int]:
        from tqdm.auto import tqdm

        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        todo = []
        for block in blocks:
            cached = self.store.read(block)
            if cached is None:
                todo.append(block)
            else:
                parts.append(cached)
        from_cache = len(blocks) - len(todo)
        show = progress_enabled() if progress is None else progress
        bar = tqdm(
            total=len(blocks),
            initial=from_cache,
            desc="OSRM table",
            unit="block",
            disable=not show,
        )
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
        try:
            for pairs in self._results(pool, todo, workers):
                parts.append(pairs)
                bar.update(1)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
        return parts, from_cache

    def _results(
        self, pool: concurrent.futures.ThreadPoolExecutor, todo: list[_Block], workers: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Finished blocks; at most ``2 × workers`` submitted ahead, so a stop loses little."""
        queue = iter(todo)
        running: set[concurrent.futures.Future] = set()
        for block in queue:
            running.add(pool.submit(self.block, block))
            if len(running) >= 2 * workers:
                break
        while running:
            done, running = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                yield future.result()
                following = next(queue, None)
                if following is not None:
                    running.add(pool.submit(self.block, following))

    def block(self, block: _Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ask one block, keep its pairs within the cut-off, cache them."""
        coords = np.unique(np.concatenate([block.sources, block.destinations]))
        if coords.size == 1:  # only the self pair, which is not asked
            empty = np.zeros(0, dtype=np.int64)
            pairs = (empty, empty, np.zeros(0))
            self.store.write(block, pairs)
            return pairs
        src_at = np.searchsorted(coords, block.sources)
        dst_at = np.searchsorted(coords, block.destinations)
        what = (
            f"block {block.number} ({len(block.sources)} sources from point "
            f"{int(block.sources[0])}, {len(block.destinations)} destinations)"
        )
        answer = self.client.table(
            self.lonlat[coords], sources=src_at, destinations=dst_at, what=what
        )
        version = _data_version(answer)
        if version != self.data_version:
            msg = (
                f"{what}: the server's data changed during the run (data version "
                f"{self.data_version!r}, now {version!r}). Run again."
            )
            raise OsrmError(msg)
        durations = np.array(answer["durations"], dtype=np.float64)  # null -> nan
        expected = (len(block.sources), len(block.destinations))
        if durations.shape != expected:
            msg = f"{what}: the server answered a {durations.shape} table, expected {expected}."
            raise OsrmError(msg)
        self._check_speed(block, durations, what)
        row, col = np.nonzero(durations <= self.cutoff_s)
        src = block.sources[row].astype(np.int64)
        dst = block.destinations[col].astype(np.int64)
        keep = src != dst
        pairs = (src[keep], dst[keep], durations[row[keep], col[keep]])
        self.store.write(block, pairs)
        return pairs

    def _check_speed(self, block: _Block, durations: np.ndarray, what: str) -> None:
        """A pair driven faster than the top speed means the bound may have skipped pairs."""
        a = self.xyz[block.sources][:, None, :]
        b = self.xyz[block.destinations][None, :, :]
        metres = np.sqrt(((a - b) ** 2).sum(axis=2))
        far = (metres >= SPEED_CHECK_MIN_M) & np.isfinite(durations)
        if not far.any():
            return
        kmh = np.where(far, metres / np.where(far, durations, 1.0) * 3.6, 0.0)
        fastest = float(kmh.max())
        if fastest > self.top_mps * 3.6 * (1 + DISTANCE_MARGIN):
            i, j = np.unravel_index(int(np.argmax(kmh)), kmh.shape)
            msg = (
                f"{what}: the server drives from point {int(block.sources[i])} to point "
                f"{int(block.destinations[j])} at {fastest:.0f} km/h in a straight line, faster "
                f"than top_speed_kmh={self.top_mps * 3.6:g}: pairs beyond the bound could be "
                f"under max_minutes. Pass top_speed_kmh={math.ceil(fastest / 10) * 10} or more "
                "(the highest speed of the server's profile)."
            )
            raise OsrmError(msg)
