"""The drivable road network of an OpenStreetMap extract (``.osm.pbf``), read with pyosmium.

One pass over the file (:class:`osmium.FileProcessor` with a node-location index, in C++): nodes
are never handed to Python, only the ways tagged ``highway``. Each way kept gives one edge per
pair of consecutive nodes (no simplification: every node of a kept way is a graph node), with
its length on the sphere and a travel time from the way's speed.

**Drivable ways** follow osmnx's ``network_type="drive"`` filter, evaluated the way Overpass
evaluates it (unanchored regular expressions): a ``highway`` tag; not ``area=yes``; not
``access=private``; ``highway`` not matching ``abandoned|bridleway|bus_guideway|construction|
corridor|cycleway|elevator|escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|
razed|rest_area|service|services|steps|track``; not ``motor_vehicle=no`` nor ``motorcar=no``;
``service`` not matching ``alley|driveway|emergency_access|parking|parking_aisle|private``.

**Direction.** ``oneway=yes|true|1|F`` keeps the way's direction, ``oneway=-1|reverse|T`` the
opposite one (osmnx's values); without a ``oneway`` tag, ``junction=roundabout|circular`` and
``highway=motorway`` are one-way (implied, as OSRM's car profile and the OSM wiki have it);
``oneway=no`` (or any other value) is two-way.

**Speeds** (km/h), osmnx's imputation:

1. the way's ``maxspeed``: a number (``50``, ``50 km/h``, ``30 mph`` converted with 1.60934,
   ``70 knots`` with 1.852; ``60|40`` lanes give their mean) or an implicit zone of
   :data:`IMPLICIT_MAXSPEEDS` (``FR:urban`` 50, ``FR:rural`` 80...); ``none``, ``signals``,
   ``walk`` and unknown text count as untagged;
2. else ``hwy_speeds[highway]`` when given;
3. else the mean ``maxspeed`` of the ways of the same ``highway`` type in the extract;
4. else the fallback table :data:`FALLBACK_KMH` below (the default speeds of OSRM's car
   profile, ``car.lua``, so that the two engines start from the same assumptions); types absent
   from it get ``fallback_kmh`` (default 25 km/h).

===================== ======  ===================== ======
highway               km/h    highway               km/h
===================== ======  ===================== ======
motorway              90      secondary_link        25
motorway_link         45      tertiary              40
trunk                 85      tertiary_link         20
trunk_link            40      unclassified          25
primary               65      residential           25
primary_link          30      living_street         10
secondary             55      (any other type)      25
===================== ======  ===================== ======

Why these times differ from OSRM's on the same extract: see ``docs/road-times.md``.
"""

from __future__ import annotations

import logging
import math
import os
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputFormatError, ParameterError

__all__ = ["FALLBACK_KMH", "IMPLICIT_MAXSPEEDS", "PbfEdges", "parse_maxspeed", "read_pbf_edges"]

logger = logging.getLogger(__name__)

#: osmnx's ``drive`` filter, as (key, pattern that excludes the way) pairs.
EXCLUDED = (
    ("area", re.compile("yes")),
    ("access", re.compile("private")),
    (
        "highway",
        re.compile(
            "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|"
            "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|"
            "rest_area|service|services|steps|track"
        ),
    ),
    ("motor_vehicle", re.compile("no")),
    ("motorcar", re.compile("no")),
    ("service", re.compile("alley|driveway|emergency_access|parking|parking_aisle|private")),
)
FORWARD_ONEWAY = frozenset({"yes", "true", "1", "F"})
BACKWARD_ONEWAY = frozenset({"-1", "reverse", "T"})
IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway"})

#: Speeds (km/h) where neither ``maxspeed`` nor the mean of the type is known: the default
#: speeds of OSRM's car profile (``profiles/car.lua``, ``speeds.highway``).
FALLBACK_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 85.0,
    "trunk_link": 40.0,
    "primary": 65.0,
    "primary_link": 30.0,
    "secondary": 55.0,
    "secondary_link": 25.0,
    "tertiary": 40.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "residential": 25.0,
    "living_street": 10.0,
}
#: Speed (km/h) of highway types absent from :data:`FALLBACK_KMH`.
DEFAULT_FALLBACK_KMH = 25.0

#: Implicit ``maxspeed`` zones (km/h), from the OSM wiki (Key:maxspeed, Default speed limits).
IMPLICIT_MAXSPEEDS: dict[str, float] = {
    "FR:urban": 50.0,
    "FR:rural": 80.0,
    "FR:motorway": 130.0,
    "FR:zone30": 30.0,
    "FR:walk": 6.0,
    "BE:urban": 50.0,
    "BE-VLG:rural": 70.0,
    "BE-WAL:rural": 90.0,
    "BE:motorway": 120.0,
    "BE:zone30": 30.0,
    "CH:urban": 50.0,
    "CH:rural": 80.0,
    "CH:trunk": 100.0,
    "CH:motorway": 120.0,
    "DE:urban": 50.0,
    "DE:rural": 100.0,
    "DE:living_street": 7.0,
    "DE:zone30": 30.0,
    "ES:urban": 50.0,
    "ES:rural": 90.0,
    "ES:motorway": 120.0,
    "IT:urban": 50.0,
    "IT:rural": 90.0,
    "IT:trunk": 110.0,
    "IT:motorway": 130.0,
    "GB:nsl_restricted": 30 * 1.60934,
    "GB:nsl_single": 60 * 1.60934,
    "GB:nsl_dual": 70 * 1.60934,
    "GB:motorway": 70 * 1.60934,
    "UK:nsl_single": 60 * 1.60934,
    "UK:nsl_dual": 70 * 1.60934,
    "UK:motorway": 70 * 1.60934,
}
_NUMBER = re.compile(r"^\s*([0-9][.,0-9]*?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_UNIT = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.60934, "knots": 1.852}
EARTH_RADIUS_M = 6_371_009.0  # mean radius, as osmnx's great-circle lengths


def parse_maxspeed(value: str | None) -> float:
    """``maxspeed`` in km/h, NaN when absent or not a speed (see the module notes)."""
    if not value:
        return math.nan
    implicit = IMPLICIT_MAXSPEEDS.get(value.strip())
    if implicit is not None:
        return implicit
    speeds = []
    for part in value.split("|"):
        match = _NUMBER.match(part)
        if match is None:
            return math.nan
        speeds.append(float(match.group(1).replace(",", ".")) * _UNIT[match.group(2)])
    speed = float(np.mean(speeds))
    return speed if speed > 0 else math.nan


def is_drivable(tags: Any) -> bool:
    """osmnx's ``drive`` filter on a way's tags (a mapping or :class:`osmium.osm.TagList`)."""
    if tags.get("highway") is None:
        return False
    for key, pattern in EXCLUDED:
        value = tags.get(key)
        if value is not None and pattern.search(value):
            return False
    return True


def directions(tags: Any) -> tuple[bool, bool]:
    """(forward allowed, backward allowed) from ``oneway``, ``junction`` and ``highway``."""
    oneway = tags.get("oneway")
    if oneway in FORWARD_ONEWAY:
        return True, False
    if oneway in BACKWARD_ONEWAY:
        return False, True
    if oneway is None and (
        tags.get("junction") in IMPLIED_ONEWAY_JUNCTIONS
        or tags.get("highway") in IMPLIED_ONEWAY_HIGHWAYS
    ):
        return True, False
    return True, True


@dataclass
class PbfEdges:
    """Directed edges of the drivable network of an extract (node positions ``0..n-1``)."""

    tail: np.ndarray
    head: np.ndarray
    seconds: np.ndarray
    length_m: np.ndarray
    speed_kmh: np.ndarray
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)


def _checked_speeds(
    hwy_speeds: dict[str, float] | None, fallback_kmh: float | None
) -> tuple[float, dict[str, float]]:
    """The fallback speed and the speeds by highway type, each a positive number of km/h."""
    fallback = DEFAULT_FALLBACK_KMH if fallback_kmh is None else fallback_kmh
    speeds = dict(hwy_speeds or {})
    for name, value in [("fallback_kmh", fallback), *speeds.items()]:
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            msg = f"speeds must be positive numbers of km/h, found {name}={value!r}."
            raise ParameterError(msg)
    return float(fallback), {name: float(value) for name, value in speeds.items()}


def read_pbf_edges(
    path: str | os.PathLike[str],
    *,
    hwy_speeds: dict[str, float] | None = None,
    fallback_kmh: float | None = None,
) -> PbfEdges:
    """Read the drivable ways of an OSM extract into directed edges with travel times.

    Parameters
    ----------
    path
        An OpenStreetMap file that pyosmium reads (``.osm.pbf``, also ``.osm``, ``.osm.bz2``).
    hwy_speeds
        Speeds (km/h) by highway type for the ways without a usable ``maxspeed``, before the
        means of the extract (as osmnx's ``add_edge_speeds``).
    fallback_kmh
        Speed of highway types with no ``maxspeed`` in the extract, absent from
        ``hwy_speeds`` and from :data:`FALLBACK_KMH` (default 25 km/h).

    Raises
    ------
    InputFormatError
        Missing or unreadable file, or no drivable way in it.
    ImportError
        pyosmium is not installed.
    """
    try:
        import osmium  # optional dependency
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "reading OSM extracts needs pyosmium: pip install 'aplcore[osm]'."
        raise ImportError(msg) from exc
    fallback, speeds = _checked_speeds(hwy_speeds, fallback_kmh)
    path = Path(path)
    if not path.is_file():
        msg = f"OSM extract not found: {path}."
        raise InputFormatError(msg)
    refs = array("q")  # node ids of the kept ways, end to end
    lons = array("d")
    lats = array("d")
    sizes = array("q")  # nodes per kept way
    way_highway: list[str] = []
    way_maxspeed: list[float] = []
    way_forward: list[bool] = []
    way_backward: list[bool] = []
    n_highway_ways = 0
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in processor:
            n_highway_ways += 1
            tags = way.tags
            if not is_drivable(tags):
                continue
            count = 0
            for node in way.nodes:
                refs.append(node.ref)
                if node.location.valid():
                    lons.append(node.lon)
                    lats.append(node.lat)
                else:  # outside the extract: its segments are dropped
                    lons.append(math.nan)
                    lats.append(math.nan)
                count += 1
            sizes.append(count)
            forward, backward = directions(tags)
            way_forward.append(forward)
            way_backward.append(backward)
            way_highway.append(tags.get("highway"))
            way_maxspeed.append(parse_maxspeed(tags.get("maxspeed")))
    except RuntimeError as exc:
        msg = f"cannot read {path.name} as an OpenStreetMap file ({exc})."
        raise InputFormatError(msg) from exc
    if not sizes:
        msg = (
            f"{path.name} holds no drivable way ({n_highway_ways} ways tagged highway, none "
            "open to cars): is it an OpenStreetMap extract of the area?"
        )
        raise InputFormatError(msg)
    way_speed, sources = impute_speeds(
        np.array(way_highway, dtype=object),
        np.array(way_maxspeed),
        hwy_speeds=speeds,
        fallback_kmh=fallback,
    )
    return _edges(
        np.frombuffer(refs, dtype=np.int64),
        np.column_stack([np.frombuffer(lons), np.frombuffer(lats)]),
        np.frombuffer(sizes, dtype=np.int64),
        way_speed,
        np.array(way_forward),
        np.array(way_backward),
        metadata={
            "source_file": path.name,
            "n_highway_ways": n_highway_ways,
            "n_ways": len(sizes),
            "speed_sources": sources,
            "fallback_kmh": fallback,
        },
    )


def impute_speeds(
    highway: np.ndarray,
    maxspeed: np.ndarray,
    *,
    hwy_speeds: dict[str, float],
    fallback_kmh: float,
) -> tuple[np.ndarray, dict[str, int]]:
    """Each way's speed (km/h) by the rules of the module notes; counts of ways per rule."""
    speed = maxspeed.copy()
    tagged = np.isfinite(maxspeed)
    by_type: dict[str, float] = {}
    for kind in np.unique(highway):
        of_type = (highway == kind) & tagged
        if of_type.any():
            by_type[str(kind)] = float(maxspeed[of_type].mean())
    counts = {"maxspeed": int(tagged.sum()), "hwy_speeds": 0, "type_mean": 0, "fallback": 0}
    for k in np.flatnonzero(~tagged):
        kind = str(highway[k])
        if kind in hwy_speeds:
            speed[k], rule = hwy_speeds[kind], "hwy_speeds"
        elif kind in by_type:
            speed[k], rule = by_type[kind], "type_mean"
        else:
            speed[k], rule = FALLBACK_KMH.get(kind, fallback_kmh), "fallback"
        counts[rule] += 1
    return speed, counts


def _edges(
    all_refs: np.ndarray,
    xy: np.ndarray,
    sizes: np.ndarray,
    way_speed: np.ndarray,
    forward: np.ndarray,
    backward: np.ndarray,
    *,
    metadata: dict[str, Any],
) -> PbfEdges:
    """Consecutive nodes of each way as edges; segments touching a node missing from the
    extract (a way cut at its border) are dropped."""
    node_ids, inverse = np.unique(all_refs, return_inverse=True)
    lon = np.full(node_ids.size, np.nan)
    lat = np.full(node_ids.size, np.nan)
    lon[inverse] = xy[:, 0]
    lat[inverse] = xy[:, 1]
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    # segment k joins node k and k + 1 of the concatenation, except across two ways
    last = np.zeros(all_refs.size, dtype=bool)
    last[np.cumsum(sizes) - 1] = True
    seg = np.flatnonzero(~last)
    way_of_seg = np.searchsorted(starts, seg, side="right") - 1
    u, v = inverse[seg], inverse[seg + 1]
    length = haversine_m(lon[u], lat[u], lon[v], lat[v])
    located = np.isfinite(length)
    u, v, length, way_of_seg = u[located], v[located], length[located], way_of_seg[located]
    speed = way_speed[way_of_seg]
    seconds = length / (speed / 3.6)
    fwd = forward[way_of_seg]
    bwd = backward[way_of_seg]
    tail = np.concatenate([u[fwd], v[bwd]])
    head = np.concatenate([v[fwd], u[bwd]])
    metadata = {
        **metadata,
        "n_segments": int(seg.size),
        "n_segments_outside": int((~located).sum()),
        "n_oneway_ways": int((forward != backward).sum()),
    }
    used = np.zeros(node_ids.size, dtype=bool)
    used[tail] = used[head] = True
    keep = np.flatnonzero(used)  # nodes of located segments only
    renumber = np.full(node_ids.size, -1, dtype=np.int64)
    renumber[keep] = np.arange(keep.size)
    return PbfEdges(
        tail=renumber[tail],
        head=renumber[head],
        seconds=np.concatenate([seconds[fwd], seconds[bwd]]),
        length_m=np.concatenate([length[fwd], length[bwd]]),
        speed_kmh=np.concatenate([speed[fwd], speed[bwd]]),
        node_ids=node_ids[keep],
        lon=lon[keep],
        lat=lat[keep],
        metadata=metadata,
    )


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in metres on a sphere of :data:`EARTH_RADIUS_M`."""
    lam1, phi1, lam2, phi2 = (np.radians(np.asarray(a, float)) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((phi2 - phi1) / 2) ** 2
    h = h + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
