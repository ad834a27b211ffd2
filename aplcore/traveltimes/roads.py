"""Travel times between communes over a road graph (osmnx or any networkx graph).

Steps:

1. Edge times: the ``travel_time`` attribute (seconds, as osmnx writes it) is used as is where
   present; edges without it get osmnx's speed and travel-time imputation
   (``osmnx.routing.add_edge_speeds`` / ``add_edge_travel_times``: ``maxspeed`` where tagged, else
   the mean speed of the edge's highway type, from its ``length`` in metres).
2. The graph is converted once to CSR (parallel edges keep their minimum time; undirected graphs
   get both directions; nodes renumbered along a Z-order curve of their coordinates so that a
   bounded search reads compact parts of memory). Keep the :class:`RoadGraph` to reuse it.
3. Each commune point is snapped to its nearest node; the access time from the point to the node
   (straight-line distance at ``access_speed_kmh``) is added at departure and on arrival.
4. A parallel bounded multi-source Dijkstra (:mod:`aplcore.kernels.dijkstra`) returns the long
   O-D table directly, in chunks of sources with a progress bar.

Unreachable pairs are absent. Communes whose node lies outside the largest strongly connected
component of the graph are reported (log warning and ``metadata["disconnected_communes"]``).

Times reported are access + road + egress, kept when ``<= max_minutes``; the ``i → i`` pair comes
from ``intra_minutes``, not from the graph. networkx and osmnx are optional
(``pip install aplcore[roads]``) and imported only here, lazily.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import bad_non_negative, check_non_negative_option
from .._paths import refuse_special_file
from ..codes import Ids
from ..datasets import area_of_table
from ..errors import (
    InputFormatError,
    InvalidValueError,
    MismatchError,
    ParameterError,
    describe_values,
)
from ..settings import progress_enabled
from .geometry import commune_points, to_geocentric
from .model import TravelTimes
from .pbf import read_pbf_edges

__all__ = [
    "RoadGraph",
    "graph_to_csr",
    "load_road_graph",
    "multi_source_dijkstra",
    "road_graph_from_pbf",
    "travel_times_from_graph",
    "travel_times_from_road_graph",
]

logger = logging.getLogger(__name__)

#: Output slots (pairs) buffered per kernel call; bounds the memory of one chunk (12 bytes each).
CHUNK_SLOTS = 1 << 22


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed road graph in CSR form with node coordinates.

    Attributes
    ----------
    indptr
        Row pointers, int64, length ``n_nodes + 1``.
    indices
        Head node of each edge, int32.
    seconds
        Edge travel time in seconds, float64, finite and ``>= 0``.
    node_ids
        The original node identifiers, position ``k`` is node ``k``.
    x, y
        Node coordinates in ``crs`` (osmnx: lon/lat in EPSG:4326).
    crs
        CRS of the node coordinates.
    metadata
        Provenance (weight attribute, imputed edges).
    """

    indptr: np.ndarray
    indices: np.ndarray
    seconds: np.ndarray
    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: Any = "EPSG:4326"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.indptr.size - 1)

    @property
    def n_edges(self) -> int:
        """Number of directed edges kept (after merging parallel edges)."""
        return int(self.indices.size)

    @classmethod
    def from_edges(  # noqa: PLR0913 - public entry point, keyword options
        cls,
        n_nodes: int,
        tail: np.ndarray,
        head: np.ndarray,
        seconds: np.ndarray,
        *,
        x: np.ndarray | None = None,
        y: np.ndarray | None = None,
        node_ids: np.ndarray | None = None,
        crs: Any = "EPSG:4326",
        directed: bool = True,
        renumber: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> RoadGraph:
        """Build from edge arrays (node positions ``0..n_nodes-1``).

        Keeps the minimum of parallel edges and drops self-loops (they never shorten a path).
        With ``renumber`` and node coordinates, nodes are renumbered along a Z-order
        (Morton) curve of their coordinates, so that nearby nodes sit nearby in memory: a
        bounded search then reads compact parts of the arrays (``node_ids`` keeps the
        original identifiers, in the new order).
        """
        tail = np.asarray(tail, dtype=np.int64)
        head = np.asarray(head, dtype=np.int64)
        w = np.asarray(seconds, dtype=np.float64)
        if not (tail.shape == head.shape == w.shape):
            msg = (
                f"edge arrays must have the same length, found {tail.size}, {head.size}, {w.size}."
            )
            raise InputFormatError(msg)
        bad = bad_non_negative(w)
        if bad.any():
            rows = np.flatnonzero(bad)
            msg = (
                f"edge travel times must be finite and >= 0 seconds; found {rows.size} bad edges "
                f"(positions {describe_values(rows.tolist())}, values "
                f"{describe_values(w[rows].tolist())}). Fix or drop those edges."
            )
            raise InvalidValueError(msg)
        if tail.size and (
            min(tail.min(), head.min()) < 0 or max(tail.max(), head.max()) >= n_nodes
        ):
            msg = f"edge end points must be node positions in [0, {n_nodes}), found others."
            raise InputFormatError(msg)
        if not directed:
            tail, head = np.concatenate([tail, head]), np.concatenate([head, tail])
            w = np.concatenate([w, w])
        ids = np.arange(n_nodes) if node_ids is None else np.asarray(node_ids)
        xs = np.full(n_nodes, np.nan) if x is None else np.asarray(x, dtype=np.float64)
        ys = np.full(n_nodes, np.nan) if y is None else np.asarray(y, dtype=np.float64)
        if renumber and np.isfinite(xs).any() and np.isfinite(ys).any():
            perm = np.argsort(_morton(xs, ys), kind="stable")
            new = np.empty(n_nodes, dtype=np.int64)
            new[perm] = np.arange(n_nodes)
            tail, head = new[tail], new[head]
            ids, xs, ys = ids[perm], xs[perm], ys[perm]
        keep = tail != head
        tail, head, w = tail[keep], head[keep], w[keep]
        order = np.lexsort((w, head, tail))
        tail, head, w = tail[order], head[order], w[order]
        first = np.ones(tail.size, dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        tail, head, w = tail[first], head[first], w[first]
        indptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
        return cls(
            indptr=indptr,
            indices=head.astype(np.int32),
            seconds=np.ascontiguousarray(w),
            node_ids=ids,
            x=xs,
            y=ys,
            crs=crs,
            metadata=dict(metadata or {}),
        )


def _morton(x: np.ndarray, y: np.ndarray, bits: int = 16) -> np.ndarray:
    """Z-order (Morton) code of points; points without coordinates come last."""
    finite = np.isfinite(x) & np.isfinite(y)
    codes = np.full(x.size, np.iinfo(np.uint64).max, dtype=np.uint64)
    if not finite.any():
        return codes
    scale = float(2**bits - 1)
    cells = []
    for v in (x[finite], y[finite]):
        span = float(v.max() - v.min()) or 1.0
        cells.append(np.round((v - v.min()) / span * scale).astype(np.uint64))
    code = np.zeros(int(finite.sum()), dtype=np.uint64)
    for b in range(bits):
        bit = np.uint64(b)
        code |= ((cells[0] >> bit) & np.uint64(1)) << np.uint64(2 * b)
        code |= ((cells[1] >> bit) & np.uint64(1)) << np.uint64(2 * b + 1)
    codes[finite] = code
    return codes


# ---------------------------------------------------------------------------------- graph → CSR
def graph_to_csr(
    G: Any,
    *,
    weight: str = "travel_time",
    impute: bool = True,
    hwy_speeds: dict[str, float] | None = None,
    fallback_kmh: float | None = None,
) -> RoadGraph:
    """Convert a networkx / osmnx graph to a :class:`RoadGraph` (once per graph).

    Parameters
    ----------
    G
        A networkx ``Graph``, ``DiGraph``, ``MultiGraph`` or ``MultiDiGraph``; nodes carry ``x``
        and ``y`` (osmnx convention), ``G.graph["crs"]`` gives their CRS (default EPSG:4326).
        Or a file path: an OpenStreetMap extract (``.osm.pbf``, read with pyosmium by
        :func:`road_graph_from_pbf`, no osmnx needed), GraphML (``.graphml``, ``.gml``, read
        with ``osmnx.load_graphml``) or OpenStreetMap XML (``.osm``, ``.xml``, read with
        ``osmnx.graph_from_xml``).
    weight
        Edge attribute holding the travel time in seconds.
    impute
        Where edges lack ``weight``, impute it with osmnx from ``maxspeed``/``highway`` and
        ``length`` (needs osmnx and a multigraph). With ``False``, missing times are an error.
    hwy_speeds, fallback_kmh
        Passed to ``osmnx.routing.add_edge_speeds`` (``hwy_speeds``, ``fallback``).

    Returns
    -------
    RoadGraph
        ``metadata["imputed_edges"]`` counts the edges whose time was imputed.

    Raises
    ------
    InputFormatError
        Not a networkx graph, no nodes, or times missing and not imputable.
    InvalidValueError
        Negative or non-finite edge times.
    """
    if isinstance(G, str | os.PathLike) and str(G).lower().endswith(".pbf"):
        return road_graph_from_pbf(G, hwy_speeds=hwy_speeds, fallback_kmh=fallback_kmh)
    try:
        import networkx as nx
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "road graphs need networkx: pip install 'aplcore[roads]'."
        raise ImportError(msg) from exc
    if isinstance(G, str | os.PathLike):
        G = load_road_graph(G)
    if not isinstance(G, nx.Graph):
        msg = (
            f"G must be a networkx graph (e.g. from osmnx.load_graphml), found {type(G).__name__}."
        )
        raise InputFormatError(msg)
    if G.number_of_nodes() == 0:
        msg = "the road graph has no nodes."
        raise InputFormatError(msg)
    nodes = list(G.nodes)
    position = {node: k for k, node in enumerate(nodes)}
    edges = list(G.edges(data=weight, default=None))
    values = [value for _, _, value in edges]
    missing = [k for k, value in enumerate(values) if value is None]
    n_imputed = 0
    if missing:
        if not impute:
            first = [f"{edges[k][0]}→{edges[k][1]}" for k in missing[:5]]
            msg = (
                f"{len(missing)} of {len(edges)} edges have no {weight!r} attribute (e.g. "
                f"{', '.join(first)}). Add travel times in seconds, or pass impute=True to impute "
                "them with osmnx from maxspeed/highway and length."
            )
            raise InputFormatError(msg)
        values = _impute_travel_times(G, weight, values, hwy_speeds, fallback_kmh)
        n_imputed = len(missing)
        logger.info("imputed travel times of %d edges with osmnx", n_imputed)
    try:
        seconds = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"edge attribute {weight!r} must be numbers of seconds; some values are not: {exc}."
        raise InvalidValueError(msg) from exc
    tail = np.fromiter((position[u] for u, _, _ in edges), dtype=np.int64, count=len(edges))
    head = np.fromiter((position[v] for _, v, _ in edges), dtype=np.int64, count=len(edges))
    x = np.array([G.nodes[n].get("x", np.nan) for n in nodes], dtype=np.float64)
    y = np.array([G.nodes[n].get("y", np.nan) for n in nodes], dtype=np.float64)
    node_ids = np.empty(len(nodes), dtype=object)
    node_ids[:] = nodes
    return RoadGraph.from_edges(
        len(nodes),
        tail,
        head,
        seconds,
        x=x,
        y=y,
        node_ids=node_ids,
        crs=G.graph.get("crs", "EPSG:4326"),
        directed=G.is_directed(),
        metadata={"weight": weight, "imputed_edges": n_imputed, "n_graph_edges": len(edges)},
    )


def road_graph_from_pbf(
    path: str | os.PathLike[str],
    *,
    hwy_speeds: dict[str, float] | None = None,
    fallback_kmh: float | None = None,
) -> RoadGraph:
    """The drivable road network of an OpenStreetMap extract, ready for
    :func:`travel_times_from_graph` (no internet, no osmnx: pyosmium reads the file).

    Ways are kept by osmnx's ``drive`` filter; ``oneway`` (``yes``/``-1``), roundabouts and
    motorways give one-way edges; speeds come from ``maxspeed`` (numbers, mph, ``FR:urban``-style
    zones), else ``hwy_speeds``, else the mean ``maxspeed`` of the highway type in the extract,
    else a fallback table by highway type (OSRM's car-profile speeds). The rules and the table
    are in :mod:`aplcore.traveltimes.pbf`. Every node of a kept way is a graph node (no
    simplification), so the Dijkstra times are exact on the network as read.

    Parameters
    ----------
    path
        ``.osm.pbf`` extract (Geofabrik-style regional extracts; also ``.osm`` XML).
    hwy_speeds
        Speeds (km/h) by highway type for ways without a usable ``maxspeed``.
    fallback_kmh
        Speed of highway types unknown to the fallback table (default 25 km/h).

    Returns
    -------
    RoadGraph
        Edge times in seconds; ``node_ids`` are OSM node ids, ``x``/``y`` lon/lat (EPSG:4326);
        ``metadata`` counts the ways read and kept, the one-way ways, and the ways whose speed
        came from each rule (``speed_sources``).

    Examples
    --------
    >>> import aplcore
    >>> road = aplcore.road_graph_from_pbf("saint_barthelemy.osm.pbf")  # doctest: +SKIP
    >>> tt = aplcore.travel_times_from_graph(road, points, max_minutes=30)  # doctest: +SKIP
    """
    edges = read_pbf_edges(path, hwy_speeds=hwy_speeds, fallback_kmh=fallback_kmh)
    return RoadGraph.from_edges(
        edges.node_ids.size,
        edges.tail,
        edges.head,
        edges.seconds,
        x=edges.lon,
        y=edges.lat,
        node_ids=edges.node_ids,
        crs="EPSG:4326",
        metadata={"weight": "travel_time", "imputed_edges": 0, **edges.metadata},
    )


def load_road_graph(path: str | os.PathLike[str]) -> Any:
    """Read a road graph file with osmnx: GraphML (``.graphml``, ``.gml``) or OSM XML
    (``.osm``, ``.xml``, optionally compressed with bz2)."""
    try:
        import osmnx as ox
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "reading road graph files needs osmnx: pip install 'aplcore[roads]'."
        raise ImportError(msg) from exc
    path = Path(path)
    if not path.is_file():
        refuse_special_file(path, what="the road graph")
        msg = f"road graph file not found: {path}."
        raise InputFormatError(msg)
    name = path.name.lower()
    if name.endswith((".graphml", ".gml")):
        return ox.load_graphml(path)
    if name.endswith((".osm", ".xml", ".osm.bz2", ".xml.bz2")):
        return ox.graph_from_xml(path, simplify=True, retain_all=True)
    msg = (
        f"cannot tell the road graph format of {path.name}: expected .graphml/.gml (GraphML) "
        "or .osm/.xml (OpenStreetMap XML). Load it with osmnx and pass the graph."
    )
    raise InputFormatError(msg)


def _impute_travel_times(
    G: Any,
    weight: str,
    values: list[Any],
    hwy_speeds: dict[str, float] | None,
    fallback_kmh: float | None,
) -> list[Any]:
    if not G.is_multigraph():
        msg = (
            f"edges lack {weight!r} and osmnx imputation needs an osmnx MultiDiGraph; add travel "
            "times in seconds to the edges or convert the graph with networkx.MultiDiGraph(G)."
        )
        raise InputFormatError(msg)
    try:
        import osmnx as ox
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = (
            f"edges lack {weight!r}: imputing travel times needs osmnx "
            "(pip install 'aplcore[roads]'), or add travel times in seconds to the edges."
        )
        raise ImportError(msg) from exc
    H = G.copy()
    if not H.is_directed():
        H = H.to_directed()
    needs = [(u, v, k) for u, v, k, d in H.edges(keys=True, data=True) if "length" not in d]
    if needs:
        shown = describe_values([f"{u}→{v}" for u, v, _ in needs])
        msg = (
            f"imputing travel times needs each edge's length in metres; {len(needs)} edges "
            f"lack 'length' ({shown})."
        )
        raise InputFormatError(msg)
    ox.routing.add_edge_speeds(H, hwy_speeds=hwy_speeds, fallback=fallback_kmh)
    ox.routing.add_edge_travel_times(H)
    imputed = iter(d["travel_time"] for *_, d in H.edges(keys=True, data=True))
    # H has the same edge order as G for directed graphs; for undirected G, H lists each edge
    # in both directions: map by (u, v, key) instead.
    if G.is_directed():
        out = []
        for value, new in zip(values, imputed, strict=True):
            out.append(new if value is None else value)
        return out
    lookup = {(u, v, k): d["travel_time"] for u, v, k, d in H.edges(keys=True, data=True)}
    out = []
    for (u, v, k), value in zip(G.edges(keys=True), values, strict=True):
        out.append(lookup[(u, v, k)] if value is None else value)
    return out


# ---------------------------------------------------------------------------------- kernel driver
def _canonical(values: Any, dtype: Any) -> np.ndarray:
    """Contiguous, writable array of ``dtype`` (read-only inputs would compile a new signature)."""
    array = np.ascontiguousarray(values, dtype=dtype)
    return array if array.flags.writeable else array.copy()


def _checked_graph(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR arrays of a graph in the kernels' dtypes, checked to agree, weights ``>= 0``."""
    indptr = _canonical(indptr, np.int64)
    indices = _canonical(indices, np.int32)
    weights = _canonical(weights, np.float64)
    if indices.size != weights.size or indptr[-1] != indices.size:
        msg = (
            f"CSR arrays disagree: indptr[-1] = {indptr[-1]}, {indices.size} indices, "
            f"{weights.size} weights."
        )
        raise InputFormatError(msg)
    if bad_non_negative(weights).any():
        msg = "edge weights must be finite and >= 0 (Dijkstra needs non-negative weights)."
        raise InvalidValueError(msg)
    return indptr, indices, weights


def multi_source_dijkstra(  # noqa: PLR0913 - public entry point, keyword options
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    sources: np.ndarray | Sequence[int],
    cutoff: float,
    *,
    source_offsets: np.ndarray | None = None,
    target_nodes: np.ndarray | None = None,
    target_extra: np.ndarray | None = None,
    progress: bool | None = None,
    n_workers: int | None = None,
    chunk_slots: int = CHUNK_SLOTS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounded shortest-path times from many sources over a CSR graph, as a long table.

    Parameters
    ----------
    indptr, indices, weights
        Directed graph in CSR form; weights finite and ``>= 0``.
    sources
        Start node of each search.
    cutoff
        Largest time kept, inclusive (``<= cutoff``), like networkx.
    source_offsets
        Time already spent at departure, per source (default 0).
    target_nodes
        Node of each target (default: every node is a target, target ``k`` is node ``k``).
    target_extra
        Time added on arrival at each target (default 0).
    progress
        Show a tqdm bar over sources (default: ``APLCORE_PROGRESS`` / on a terminal).
    n_workers
        Independent workspaces; default twice the Numba thread count.
    chunk_slots
        Output slots buffered per kernel call (memory bound of one chunk).

    Returns
    -------
    source, target, time
        int32 source positions (into ``sources``), int32 target ids, float64 times. Sources are
        searched in increasing node order (nearby nodes are nearby in memory, see
        :meth:`RoadGraph.from_edges`), so pairs come grouped by source in that order, each
        source's targets by increasing time. Unreached targets are absent.
    """
    import numba
    from tqdm.auto import tqdm

    from ..kernels import dijkstra  # lazy: numba

    indptr, indices, weights = _checked_graph(indptr, indices, weights)
    n_nodes = indptr.size - 1
    check_non_negative_option(cutoff, name="cutoff", allow_none=False)
    src = _canonical(sources, np.int32)
    if src.size and (src.min() < 0 or src.max() >= n_nodes):
        msg = f"sources must be node positions in [0, {n_nodes}), found others."
        raise InputFormatError(msg)
    offsets = (
        np.zeros(src.size) if source_offsets is None else _canonical(source_offsets, np.float64)
    )
    if target_nodes is None:
        t_nodes = np.arange(n_nodes, dtype=np.int64)
    else:
        t_nodes = np.asarray(target_nodes, dtype=np.int64)
    extra = (
        np.zeros(t_nodes.size)
        if target_extra is None
        else np.asarray(target_extra, dtype=np.float64)
    )
    if offsets.shape != src.shape or extra.shape != t_nodes.shape:
        msg = "source_offsets must match sources and target_extra must match target_nodes."
        raise InputFormatError(msg)
    if t_nodes.size and (t_nodes.min() < 0 or t_nodes.max() >= n_nodes):
        msg = f"target_nodes must be node positions in [0, {n_nodes}), found others."
        raise InputFormatError(msg)
    order = np.argsort(t_nodes, kind="stable")
    target_indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(t_nodes, minlength=n_nodes), out=target_indptr[1:])
    target_ids = order.astype(np.int32)
    target_extra_sorted = np.ascontiguousarray(extra[order])
    cap = max(int(t_nodes.size), 1)
    if n_workers is None:
        n_workers = 2 * numba.get_num_threads()
    chunk = max(1, min(src.size, chunk_slots // cap))
    chunk = max(chunk, min(src.size, n_workers))
    work = dijkstra.workspaces(n_workers, n_nodes)
    show = progress_enabled() if progress is None else progress
    # search in node order: consecutive searches then read overlapping parts of the arrays
    search_order = np.argsort(src, kind="stable").astype(np.int32)
    src = np.ascontiguousarray(src[search_order])
    offsets = np.ascontiguousarray(offsets[search_order])
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    with tqdm(total=int(src.size), disable=not show, unit="source", desc="dijkstra") as bar:
        for start in range(0, src.size, chunk):
            stop = min(start + chunk, src.size)
            counts, out_t, out_time = dijkstra.bounded_dijkstra(
                indptr,
                indices,
                weights,
                src[start:stop],
                offsets[start:stop],
                float(cutoff),
                target_indptr,
                target_ids,
                target_extra_sorted,
                cap,
                *work,
            )
            parts.append(dijkstra.compact(counts, out_t, out_time, cap, start))
            bar.update(stop - start)
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float64)
    return (
        search_order[np.concatenate([p[0] for p in parts])],
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


# ---------------------------------------------------------------------------------- communes
def travel_times_from_graph(  # noqa: PLR0913 - public entry point, keyword options
    G: Any,
    communes: pd.DataFrame,
    max_minutes: float = 30,
    *,
    weight: str = "travel_time",
    impute: bool = True,
    hwy_speeds: dict[str, float] | None = None,
    fallback_kmh: float | None = None,
    access_speed_kmh: float = 20.0,
    intra_minutes: float | pd.Series = 0.0,
    code: str = "code",
    crs: Any = None,
    on_disconnected: Literal["warn", "error", "ignore"] = "warn",
    progress: bool | None = None,
    repair_integers: bool = False,
    ids: Ids = "commune",
) -> TravelTimes:
    """Car travel times between communes over a road graph.

    Parameters
    ----------
    G
        networkx / osmnx graph, graph file or OpenStreetMap extract (``.osm.pbf``, see
        :func:`graph_to_csr`), or an already converted :class:`RoadGraph` (e.g. from
        :func:`road_graph_from_pbf`, to reuse it).
    communes
        One point per commune (town hall where known, else centroid): the bundled communes
        (:func:`aplcore.load_communes`), or any DataFrame with ``lon``/``lat`` (or ``x``/``y``)
        and the ids in column ``code`` or in the index (see
        :func:`aplcore.traveltimes.geometry.commune_points`).
    max_minutes
        Keep pairs with total time ``<= max_minutes`` (access + road + egress).
    weight, impute, hwy_speeds, fallback_kmh
        Edge times, see :func:`graph_to_csr`.
    access_speed_kmh
        Speed (km/h, straight line) between a commune point and its nearest node, added at
        departure and on arrival.
    intra_minutes
        Time of the ``i → i`` pair (a number or a Series by code); the graph is not used for it.
    code, crs, repair_integers, ids
        As in :func:`aplcore.traveltimes.geometry.commune_points` (``ids="any"`` for points
        that are not communes).
    on_disconnected
        Communes whose node is outside the largest strongly connected component: ``"warn"``
        (log and record them in ``metadata["disconnected_communes"]``), ``"error"`` or
        ``"ignore"`` (record only).
    progress
        Progress bar over sources (default: on a terminal, see ``APLCORE_PROGRESS``).

    Returns
    -------
    TravelTimes
        ``metadata`` holds ``source="road_graph"``, the parameters, the snapping distances and
        the disconnected communes.
    """
    road = (
        G
        if isinstance(G, RoadGraph)
        else graph_to_csr(
            G, weight=weight, impute=impute, hwy_speeds=hwy_speeds, fallback_kmh=fallback_kmh
        )
    )
    return travel_times_from_road_graph(
        road,
        communes,
        max_minutes,
        access_speed_kmh=access_speed_kmh,
        intra_minutes=intra_minutes,
        code=code,
        crs=crs,
        on_disconnected=on_disconnected,
        progress=progress,
        repair_integers=repair_integers,
        ids=ids,
    )


def travel_times_from_road_graph(  # noqa: PLR0913 - public entry point, keyword options
    road: RoadGraph,
    communes: pd.DataFrame,
    max_minutes: float = 30,
    *,
    access_speed_kmh: float = 20.0,
    intra_minutes: float | pd.Series = 0.0,
    code: str = "code",
    crs: Any = None,
    on_disconnected: Literal["warn", "error", "ignore"] = "warn",
    progress: bool | None = None,
    repair_integers: bool = False,
    ids: Ids = "commune",
) -> TravelTimes:
    """:func:`travel_times_from_graph` on a graph already converted with :func:`graph_to_csr`."""
    from scipy.spatial import cKDTree

    check_non_negative_option(max_minutes, name="max_minutes", unit="minutes", allow_none=False)
    if not (math.isfinite(access_speed_kmh) and access_speed_kmh > 0):
        msg = f"access_speed_kmh must be a positive speed in km/h, found {access_speed_kmh!r}."
        raise ParameterError(msg)
    if on_disconnected not in ("warn", "error", "ignore"):
        msg = f"on_disconnected must be 'warn', 'error' or 'ignore', found {on_disconnected!r}."
        raise ParameterError(msg)
    codes, points = commune_points(
        communes, code=code, crs=crs, repair_integers=repair_integers, ids=ids
    )
    located = np.isfinite(road.x) & np.isfinite(road.y)
    if not located.any():
        msg = "the road graph's nodes have no x/y coordinates: snapping communes needs them."
        raise InputFormatError(msg)
    node_pos = np.flatnonzero(located)
    node_xyz = to_geocentric(road.x[node_pos], road.y[node_pos], road.crs)
    snap_m, nearest = cKDTree(node_xyz).query(points)
    snap_node = node_pos[nearest].astype(np.int32)
    access_s = snap_m / 1000.0 / access_speed_kmh * 3600.0

    disconnected = _disconnected(road, codes, snap_node, on_disconnected)

    cutoff_s = float(max_minutes) * 60.0
    src, tgt, seconds = multi_source_dijkstra(
        road.indptr,
        road.indices,
        road.seconds,
        snap_node,
        cutoff_s,
        source_offsets=access_s,
        target_nodes=snap_node,
        target_extra=access_s,
        progress=progress,
    )
    keep = src != tgt
    minutes = seconds[keep] / 60.0
    metadata = {
        "source": "road_graph",
        "method": "road_graph",
        "params": {
            "max_minutes": float(max_minutes),
            "access_speed_kmh": float(access_speed_kmh),
            "weight": road.metadata.get("weight"),
            "imputed_edges": road.metadata.get("imputed_edges", 0),
            "n_nodes": road.n_nodes,
            "n_edges": road.n_edges,
            **{  # an OSM extract says which file and how its speeds were found
                key: road.metadata[key]
                for key in ("source_file", "n_ways", "speed_sources")
                if key in road.metadata
            },
        },
        "snap_distance_m": {
            "max": float(snap_m.max()),
            "median": float(np.median(snap_m)),
        },
        "disconnected_communes": disconnected,
        **area_of_table(communes),  # the study area the commune table covers, if it says
    }
    logger.info(
        "road graph: %d communes, %d pairs within %s min", len(codes), minutes.size, max_minutes
    )
    return TravelTimes.from_arrays(
        codes,
        src[keep],
        tgt[keep],
        minutes,
        intra_minutes=intra_minutes,
        metadata=metadata,
        ids=ids,
    )


def _disconnected(
    road: RoadGraph, codes: pd.Index, snap_node: np.ndarray, on_disconnected: str
) -> list[str]:
    """Communes snapped outside the largest strongly connected part of the graph (warned of,
    or refused with ``on_disconnected="error"``)."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    n_comp, labels = connected_components(
        csr_array((road.seconds, road.indices, road.indptr), shape=(road.n_nodes, road.n_nodes)),
        directed=True,
        connection="strong",
    )
    largest = np.argmax(np.bincount(labels, minlength=n_comp))
    outside = labels[snap_node] != largest
    disconnected = codes[outside].tolist()
    if disconnected:
        text = (
            f"{len(disconnected)} communes snap to nodes outside the largest strongly connected "
            f"part of the road graph and may reach or be reached by few others: "
            f"{describe_values(disconnected)}"
        )
        if on_disconnected == "error":
            msg = text + ". Use a graph covering them (or on_disconnected='warn')."
            raise MismatchError(msg)
        if on_disconnected == "warn":
            logger.warning(text)
    return disconnected
