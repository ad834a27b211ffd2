"""Map layers for the browser: the bundled commune contours simplified and serialised once.

The bundled contours (about 50 m) are simplified again for the screen: 100 m for a région, 500 m
for France, coordinates rounded to 10 m and 100 m. Territory outlines and département borders
are the union of their communes on a coarse grid (which closes the thin gaps between contours
simplified independently). Each layer is built once per process and kept.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..datasets import load_contours

__all__ = ["Layers", "commune_layer", "inside_points", "outline_layer"]

#: Simplification tolerance and rounding (degrees) of the région and France views.
SCALES = {"region": (0.001, 4), "france": (0.005, 3)}

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


def outline_layer(groups: pd.Series, scale: str) -> bytes:
    """Boundaries of the groups of communes (``groups``: commune code → group) as GeoJSON
    lines (property ``g``: the group)."""
    tolerance, digits = SCALES[scale]
    geoms = _simplified(pd.Index(groups.index), scale)
    keys = groups.reindex(geoms.index).astype(str).to_numpy()
    values = geoms.to_numpy()
    names, lines = [], []
    for key in pd.unique(keys):
        union = shapely.union_all(values[keys == key], grid_size=tolerance)
        parts = shapely.get_parts(union)
        # holes and crumbs are gaps between contours simplified one by one, not borders
        parts = parts[shapely.area(parts) > 20 * tolerance**2]
        lines.append(shapely.multilinestrings(shapely.get_exterior_ring(parts)))
        names.append(key)
    out = shapely.transform(np.asarray(lines, dtype=object), lambda xy: np.round(xy, digits))
    return _collection(pd.Series(out, index=names), "g")


class Layers:
    """The layers of one session's map, built on first use and kept (thread-safe)."""

    def __init__(self) -> None:
        self._cache: dict[tuple, Any] = {}

    def get(self, key: tuple, build: functools.partial) -> Any:
        """The layer ``key``, built by ``build()`` the first time."""
        with _lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]
