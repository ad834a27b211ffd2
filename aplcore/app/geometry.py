"""Map layers for the browser: the bundled commune contours simplified and serialised once.

The bundled contours (about 50 m) are simplified again for the screen: 100 m for a région, 800 m
for France, coordinates rounded to 10 m and 100 m. Territory outlines and département borders
are the union of their communes on a coarse grid (which closes the thin gaps between contours
simplified independently). Each layer is built once per process and kept; the France layers,
the same for every session and slow to build (about half a minute), are also kept on disk in the
per-user cache folder (:func:`map_cache_dir`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import platformdirs
import shapely

from .._version import __version__
from ..datasets import load_contours
from ..io.writers import atomic_write

__all__ = ["Layers", "commune_layer", "inside_points", "map_cache_dir", "outline_layer"]

#: Simplification tolerance and rounding (degrees) of the région and France views.
SCALES = {"region": (0.001, 4), "france": (0.008, 3)}

_lock = threading.Lock()


@functools.lru_cache(maxsize=2)
def _contours() -> pd.Series:
    france = load_contours(france=True)
    parents = load_contours(france=True, arrondissements=False)
    return pd.concat([france, parents[~parents.index.isin(france.index)]])


def _simplified(codes: pd.Index, scale: str) -> pd.Series:
    tolerance, digits = SCALES[scale]
    contours = _contours()
    geoms = contours.reindex(codes.intersection(contours.index, sort=False))
    raw = geoms.to_numpy()
    out = shapely.simplify(raw, tolerance, preserve_topology=False)
    lost = shapely.is_empty(out) | ~shapely.is_valid(out)
    out[lost] = shapely.simplify(raw[lost], tolerance, preserve_topology=True)
    out = shapely.transform(out, lambda xy: np.round(xy, digits))
    return pd.Series(out, index=geoms.index)


def inside_points(codes: pd.Index) -> list[list[float] | None]:
    """A point inside each commune (``[lat, lon]``, rounded to 10 m; None without a contour)."""
    geoms = _simplified(pd.Index(codes), "region").reindex(codes)
    known = geoms.notna().to_numpy()
    out: list[list[float] | None] = [None] * len(codes)
    points = shapely.point_on_surface(geoms.to_numpy()[known])
    xy = np.round(shapely.get_coordinates(points), 4)
    for k, (x, y) in zip(np.flatnonzero(known), xy, strict=True):
        out[k] = [float(y), float(x)]
    return out


def _collection(geometries: pd.Series, key: str) -> bytes:
    """A GeoJSON FeatureCollection (bytes) with ``{key: index}`` as properties."""
    texts = shapely.to_geojson(geometries.to_numpy())
    features = [
        f'{{"type":"Feature","properties":{{"{key}":{json.dumps(str(code))}}},"geometry":{g}}}'
        for code, g in zip(geometries.index, texts, strict=True)
    ]
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode()


def commune_layer(codes: pd.Index, scale: str) -> bytes:
    """Communes ``codes`` as GeoJSON (property ``c``: the code)."""
    return _collection(_simplified(pd.Index(codes), scale), "c")


def _union(geometries: np.ndarray, grid: float) -> Any:
    """Union on a grid of ``grid`` degrees (snapping first where GEOS cannot node them)."""
    try:
        return shapely.union_all(geometries, grid_size=grid)
    except shapely.errors.GEOSException:
        return shapely.union_all(shapely.make_valid(geometries), grid_size=grid)


def outline_layer(groups: pd.Series, scale: str) -> bytes:
    """Boundaries of the groups of communes (``groups``: commune code → group) as GeoJSON
    lines (property ``g``: the group)."""
    tolerance, digits = SCALES[scale]
    geoms = _simplified(pd.Index(groups.index), scale)
    keys = groups.reindex(geoms.index).astype(str).to_numpy()
    values = geoms.to_numpy()
    names, lines = [], []
    for key in pd.unique(keys):
        union = _union(values[keys == key], tolerance)
        parts = shapely.get_parts(union)
        # holes and crumbs are gaps between contours simplified one by one, not borders
        parts = parts[shapely.area(parts) > 20 * tolerance**2]
        lines.append(shapely.multilinestrings(shapely.get_exterior_ring(parts)))
        names.append(key)
    out = shapely.transform(np.asarray(lines, dtype=object), lambda xy: np.round(xy, digits))
    return _collection(pd.Series(out, index=names), "g")


def map_cache_dir() -> Path:
    """Where layers shared by every session are kept: ``APLCORE_MAP_CACHE`` when set, else the
    per-user cache folder, keyed by the versions of aplcore and shapely."""
    user = os.environ.get("APLCORE_MAP_CACHE")
    if user:
        return Path(user)
    base = Path(platformdirs.user_cache_dir("aplcore", appauthor=False))
    return base / "maps" / f"aplcore-{__version__}-shapely-{shapely.__version__}"


class Layers:
    """The layers of one session's map, built on first use and kept (thread-safe)."""

    def __init__(self) -> None:
        self._cache: dict[tuple, Any] = {}
        self._locks: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, build: Callable[[], Any], *, on_disk: bool = False) -> Any:
        """The layer ``key``, built by ``build()`` the first time (bytes kept in
        :func:`map_cache_dir` too when ``on_disk``)."""
        with _lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one build per layer; other layers are served meanwhile
            if key not in self._cache:
                self._cache[key] = _from_disk(key, build) if on_disk else build()
            return self._cache[key]


def _from_disk(key: tuple, build: Callable[[], bytes]) -> bytes:
    name = hashlib.sha256(repr(key).encode()).hexdigest()[:20] + ".geojson"
    path = map_cache_dir() / name
    if path.is_file():
        return path.read_bytes()
    body = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda stream: stream.write(body), overwrite=True)
    except OSError:  # a read-only cache only costs time
        pass
    return body
