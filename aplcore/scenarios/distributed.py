"""Travel times beyond one machine: bounded road Dijkstra over chunks of sources on Dask.

The road graph (CSR) and the targets are scattered to every worker once; each task searches one
chunk of sources with :func:`aplcore.traveltimes.roads.multi_source_dijkstra`. Sources are taken
in the node order the local function uses and chunked in that order, so the long table gathered
back is the local one, row for row and bit for bit.

:func:`road_times_on_dask` builds a whole :class:`aplcore.TravelTimes` this way from points with
any identifiers (``ids="any"``: grid cells, IRIS, H3 cells...) or commune codes, snapping each
point to its nearest node like :func:`aplcore.traveltimes.roads.travel_times_from_road_graph`.

On a real cluster::

    dask scheduler                                  # on one machine: prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nthreads 1        # on each worker machine (aplcore installed)

then ``Client("tcp://HOST:8786")`` in Python, or ``--scheduler tcp://HOST:8786`` on the command
line. One Dask thread per worker process: each task already uses all the cores of its machine
through Numba's threads (``NUMBA_NUM_THREADS``), and Numba's fallback threading layer
(``workqueue``, where neither OpenMP nor TBB is available) refuses parallel kernels entered by two
threads at once.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_non_negative_option, check_positive_option
from ..errors import InputFormatError, ParameterError
from ..traveltimes import TravelTimes
from ..traveltimes.geometry import to_geocentric
from ..traveltimes.roads import multi_source_dijkstra

__all__ = ["dijkstra_on_dask", "road_times_on_dask"]

logger = logging.getLogger(__name__)

#: Sources per task: enough work per task to hide the scheduling cost (a few ms per task).
DEFAULT_CHUNK = 2048


def _chunk_search(graph, targets, sources, offsets, cutoff):
    indptr, indices, weights = graph
    target_nodes, target_extra = targets
    return multi_source_dijkstra(
        indptr,
        indices,
        weights,
        sources,
        cutoff,
        source_offsets=offsets,
        target_nodes=target_nodes,
        target_extra=target_extra,
        progress=False,
    )


def dijkstra_on_dask(  # noqa: PLR0913 - public entry point, keyword options
    client: Any,
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    sources: np.ndarray,
    cutoff: float,
    *,
    source_offsets: np.ndarray | None = None,
    target_nodes: np.ndarray | None = None,
    target_extra: np.ndarray | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~aplcore.traveltimes.roads.multi_source_dijkstra` with chunks of sources as tasks.

    Parameters and returns are those of the local function (same rows in the same order), plus
    ``client`` (a ``dask.distributed.Client``) and ``chunk`` (sources per task). Inputs are
    checked by the local function in each task; the graph is checked here once for its shape.
    """
    from tqdm.auto import tqdm

    if int(chunk) != chunk or chunk < 1:
        msg = f"chunk must be a positive whole number of sources, found {chunk!r}."
        raise ParameterError(msg)
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=np.int32)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if indptr[-1] != indices.size or indices.size != weights.size:
        msg = (
            f"CSR arrays disagree: indptr[-1] = {indptr[-1]}, {indices.size} indices, "
            f"{weights.size} weights."
        )
        raise InputFormatError(msg)
    check_non_negative_option(cutoff, name="cutoff", allow_none=False)
    src = np.ascontiguousarray(sources, dtype=np.int32)
    offsets = (
        np.zeros(src.size)
        if source_offsets is None
        else np.ascontiguousarray(source_offsets, dtype=np.float64)
    )
    if offsets.shape != src.shape:
        msg = "source_offsets must match sources."
        raise InputFormatError(msg)
    order = np.argsort(src, kind="stable")  # the local search order
    graph = client.scatter((indptr, indices, weights), broadcast=True, hash=False)
    targets = client.scatter((target_nodes, target_extra), broadcast=True, hash=False)
    starts = list(range(0, src.size, int(chunk)))
    futures = [
        client.submit(
            _chunk_search,
            graph,
            targets,
            src[order[s : s + chunk]],
            offsets[order[s : s + chunk]],
            float(cutoff),
            pure=False,
        )
        for s in starts
    ]
    parts = []
    show = None if progress is None else not progress
    with tqdm(total=int(src.size), unit="source", desc="dijkstra", disable=show) as bar:
        for start, future in zip(starts, futures, strict=True):
            s, t, time = future.result()
            future.release()
            parts.append((order[start + s.astype(np.int64)].astype(np.int32), t, time))
            bar.update(min(chunk, src.size - start))
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float64)
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]


def road_times_on_dask(  # noqa: PLR0913 - public entry point, keyword options
    client: Any,
    road: Any,
    points: pd.DataFrame,
    max_minutes: float = 30.0,
    *,
    ids: str = "any",
    id_column: str = "id",
    access_speed_kmh: float = 20.0,
    intra_minutes: float = 0.0,
    chunk: int = DEFAULT_CHUNK,
    progress: bool | None = None,
) -> Any:
    """Travel times between points (grid cells, communes...) over a road graph, on Dask.

    Parameters
    ----------
    client
        A ``dask.distributed.Client``.
    road
        A :class:`aplcore.traveltimes.roads.RoadGraph` with node coordinates.
    points
        One row per point: identifiers in ``id_column`` (or the index), and ``lon``/``lat``
        (WGS84) or ``x``/``y`` in the road graph's CRS.
    max_minutes
        Keep pairs with total time (access + road + egress) ``<= max_minutes``.
    ids
        ``"any"`` (any identifiers) or ``"commune"`` (INSEE codes, checked).
    id_column
        Column of the identifiers (default ``"id"``; the index when absent).
    access_speed_kmh
        Straight-line speed between a point and its nearest node, at both ends.
    intra_minutes
        Time of the ``i → i`` pair.
    chunk, progress
        As in :func:`dijkstra_on_dask`.

    Returns
    -------
    aplcore.TravelTimes
    """
    from scipy.spatial import cKDTree

    if not isinstance(points, pd.DataFrame) or len(points) == 0:
        msg = "points must be a non-empty DataFrame with an id column and lon/lat or x/y."
        raise InputFormatError(msg)
    if not (isinstance(max_minutes, int | float) and math.isfinite(max_minutes)):
        msg = f"max_minutes must be a number of minutes, found {max_minutes!r}."
        raise ParameterError(msg)
    check_positive_option(access_speed_kmh, name="access_speed_kmh")
    labels = points[id_column] if id_column in points.columns else points.index.to_series()
    codes = np.asarray(labels.astype(str), dtype=object)
    if "lon" in points.columns and "lat" in points.columns:
        xyz = to_geocentric(points["lon"].to_numpy(), points["lat"].to_numpy(), "EPSG:4326")
    elif "x" in points.columns and "y" in points.columns:
        xyz = to_geocentric(points["x"].to_numpy(), points["y"].to_numpy(), road.crs)
    else:
        msg = f"points need lon/lat or x/y columns; found {list(points.columns)}."
        raise InputFormatError(msg)
    located = np.flatnonzero(np.isfinite(road.x) & np.isfinite(road.y))
    if located.size == 0:
        msg = "the road graph's nodes have no coordinates: snapping points needs them."
        raise InputFormatError(msg)
    node_xyz = to_geocentric(road.x[located], road.y[located], road.crs)
    snap_m, nearest = cKDTree(node_xyz).query(xyz)
    snap_node = located[nearest].astype(np.int32)
    access_s = snap_m / 1000.0 / access_speed_kmh * 3600.0
    src, tgt, seconds = dijkstra_on_dask(
        client,
        road.indptr,
        road.indices,
        road.seconds,
        snap_node,
        float(max_minutes) * 60.0,
        source_offsets=access_s,
        target_nodes=snap_node,
        target_extra=access_s,
        chunk=chunk,
        progress=progress,
    )
    keep = src != tgt
    logger.info("road graph on Dask: %d points, %d pairs", len(codes), int(keep.sum()))
    return TravelTimes.from_arrays(
        codes,
        src[keep],
        tgt[keep],
        seconds[keep] / 60.0,
        intra_minutes=intra_minutes,
        ids=ids,
        metadata={
            "source": "road_graph",
            "method": "road_graph (dask)",
            "params": {"max_minutes": float(max_minutes), "access_speed_kmh": access_speed_kmh},
        },
    )
