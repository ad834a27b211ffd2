"""Commune contours in, shapely geometries and matplotlib paths out.

Contours can be given as

* a ``geopandas.GeoDataFrame`` or ``GeoSeries`` (codes as index, or in a ``code`` column);
* a pandas ``Series`` of shapely geometries, WKB ``bytes`` or WKB hex strings indexed by code;
* a pandas ``DataFrame`` with a ``geometry`` column (same element types), codes as index or in a
  ``code`` column.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..codes import normalise_codes
from ..errors import InputFormatError, describe_values, type_name

__all__ = ["as_geometries", "is_geographic", "only_polygons", "paths_of", "total_bounds"]


def _geometry_from_element(value: object) -> Any:
    import shapely

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, shapely.Geometry):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return shapely.from_wkb(bytes(value))
    if isinstance(value, str):
        text = value.strip()
        if text and all(c in "0123456789abcdefABCDEF" for c in text[:16]):
            return shapely.from_wkb(text)
        return shapely.from_wkt(text)
    msg = (
        "contours must be shapely geometries, WKB bytes, WKB hex or WKT strings; found a value "
        f"of type {type(value).__name__}."
    )
    raise InputFormatError(msg)


def as_geometries(contours: Any, *, code_column: str = "code") -> pd.Series:
    """Return contours as a Series of shapely geometries indexed by commune code.

    Parameters
    ----------
    contours
        A GeoDataFrame, GeoSeries, DataFrame with a ``geometry`` column, or a Series of
        geometries / WKB / WKT values (see the module documentation).
    code_column
        Column holding the codes when they are not the index.

    Returns
    -------
    pandas.Series
        Shapely geometries (``None`` where a contour is missing), indexed by 5-character codes.

    Raises
    ------
    InputFormatError
        No geometry column, or values that are not geometries.
    CommuneCodeError
        Codes that are not 5-character INSEE codes.

    Examples
    --------
    >>> import pandas as pd, shapely
    >>> as_geometries(pd.Series({"01001": "POINT (5 46)"}))["01001"].x
    5.0
    """
    if isinstance(contours, pd.DataFrame):
        frame = contours
        if code_column in frame.columns:
            frame = frame.set_index(code_column)
        geometry_column = getattr(frame, "_geometry_column_name", None) or "geometry"
        if geometry_column not in frame.columns:
            msg = (
                f"contours must have a '{geometry_column}' column of geometries; found columns "
                f"{describe_values(list(frame.columns))}."
            )
            raise InputFormatError(msg)
        series = frame[geometry_column]
    elif isinstance(contours, pd.Series):
        series = contours
    else:
        msg = (
            "contours must be a GeoDataFrame, a GeoSeries, a DataFrame with a 'geometry' column "
            f"or a Series of geometries indexed by commune code; found {type_name(contours)}."
        )
        raise InputFormatError(msg)
    codes = normalise_codes(series.index, what="contour codes")
    geometries = [_geometry_from_element(v) for v in series.to_numpy(dtype=object)]
    result = pd.Series(geometries, index=codes, dtype=object, name="geometry")
    if result.index.has_duplicates:
        # several rows per commune (e.g. exploded multipolygons): merge them
        import shapely

        result = result.groupby(level=0, sort=False).agg(
            lambda g: shapely.union_all([x for x in g if x is not None])
        )
    result.attrs = dict(getattr(contours, "attrs", {}))
    return result


def paths_of(geometries: np.ndarray) -> list[Any]:
    """One matplotlib Path per (multi)polygon, holes included (``None`` where nothing to draw).

    Vectorised with shapely: rings are oriented (exteriors counter-clockwise, holes clockwise,
    as matplotlib's non-zero fill rule needs), then cut into one compound path per geometry.
    """
    import shapely
    from matplotlib.path import Path as MplPath

    n = len(geometries)
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    polygons = shapely.get_type_id(parts) == 3
    parts, part_owner = parts[polygons], part_owner[polygons]
    if hasattr(shapely, "orient_polygons"):
        parts = shapely.orient_polygons(parts)
    else:  # shapely < 2.1
        from shapely.geometry.polygon import orient

        parts = np.array([orient(p, sign=1.0) for p in parts], dtype=object)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    sizes = shapely.get_num_coordinates(rings)
    keep = sizes >= 3
    rings, ring_part, sizes = rings[keep], ring_part[keep], sizes[keep]
    xy = shapely.get_coordinates(rings)
    codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
    ends = np.cumsum(sizes)
    codes[ends - sizes] = MplPath.MOVETO
    codes[ends - 1] = MplPath.CLOSEPOLY
    ring_owner = part_owner[ring_part]
    # rings are grouped by owner, in order: cut the coordinates at owner boundaries
    coord_owner = np.repeat(ring_owner, sizes)
    bounds = np.searchsorted(coord_owner, np.arange(n + 1), side="left")
    paths: list[Any] = []
    for k in range(n):
        lo, hi = bounds[k], bounds[k + 1]
        paths.append(MplPath(xy[lo:hi], codes[lo:hi]) if hi > lo else None)
    return paths


def only_polygons(geometries: pd.Series) -> bool:
    """Whether every contour is a (multi)polygon, empty or missing: what the plain path draws."""
    import shapely

    parts = shapely.get_parts(geometries.to_numpy())
    kinds = shapely.get_type_id(parts[~shapely.is_empty(parts)])
    return bool(np.isin(kinds, (3, 6)).all())  # Polygon, MultiPolygon


def total_bounds(geometries: pd.Series) -> tuple[float, float, float, float]:
    """``(xmin, ymin, xmax, ymax)`` of every contour."""
    import shapely

    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries.to_numpy())
    return float(xmin), float(ymin), float(xmax), float(ymax)


def is_geographic(bounds: tuple[float, float, float, float]) -> bool:
    """Whether bounds look like longitude/latitude degrees rather than projected metres."""
    xmin, ymin, xmax, ymax = bounds
    return xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
