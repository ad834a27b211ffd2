"""Commune points and distances: geocentric coordinates shared by the crow-fly and road sources."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..codes import CodeColumn, Ids, as_code_index, encode_codes
from ..errors import DuplicateError, InputFormatError, InvalidValueError, describe_values

__all__ = ["GEOCENTRIC_CRS", "LAMBERT93", "commune_points", "pair_distance_km", "to_geocentric"]

#: Geocentric (earth-centred, earth-fixed) coordinates in metres.
GEOCENTRIC_CRS = "EPSG:4978"
#: CRS assumed for x/y commune coordinates when none is given (Lambert-93).
LAMBERT93 = "EPSG:2154"


def to_geocentric(x: np.ndarray, y: np.ndarray, crs: Any) -> np.ndarray:
    """Geocentric coordinates (n, 3) in metres of points given in ``crs`` (height 0)."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, GEOCENTRIC_CRS, always_xy=True)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    gx, gy, gz = transformer.transform(x, y, np.zeros_like(x))
    xyz = np.column_stack([gx, gy, gz])
    if not np.isfinite(xyz).all():
        bad = np.flatnonzero(~np.isfinite(xyz).all(axis=1))
        msg = (
            f"{bad.size} points could not be converted from {crs} (rows "
            f"{describe_values(bad.tolist())}): check the coordinates are in that CRS "
            "(lon/lat in degrees, Lambert-93 in metres)."
        )
        raise InvalidValueError(msg)
    return xyz


def pair_distance_km(
    x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray, *, crs: Any = LAMBERT93
) -> np.ndarray:
    """Straight-line distance in km between point pairs, measured as the crow-fly model does."""
    a = to_geocentric(x1, y1, crs)
    b = to_geocentric(x2, y2, crs)
    return np.sqrt(((a - b) ** 2).sum(axis=1)) / 1000.0


def commune_points(
    communes: pd.DataFrame,
    *,
    code: str = "code",
    crs: Any = None,
    repair_integers: bool = False,
    ids: Ids = "commune",
) -> tuple[pd.Index, np.ndarray]:
    """Commune codes and geocentric coordinates from a table of points.

    Parameters
    ----------
    communes
        One row per commune with either ``lon``/``lat`` (WGS84 degrees; ``longitude``/``latitude``
        also accepted) or ``x``/``y`` (projected metres). Codes in column ``code`` or, if there is
        no such column, in the index. Use town-hall (chef-lieu) points where you have them, as
        Metric does, else centroids.
    code
        Name of the code column.
    crs
        CRS of ``x``/``y`` (default Lambert-93, EPSG:2154); ignored for lon/lat.
    repair_integers
        Zero-pad codes given as integers.
    ids
        ``"commune"`` (INSEE codes, validated) or ``"any"`` (any non-empty identifiers, for
        points that are not communes: IRIS, grid cells, addresses...).

    Returns
    -------
    codes : pandas.Index
        Unique commune codes in input order.
    xyz : numpy.ndarray
        Geocentric coordinates, shape ``(n, 3)``, metres.

    Raises
    ------
    InputFormatError
        Not a DataFrame, empty, or no coordinate columns.
    InvalidValueError
        Missing or out-of-range coordinates (with row numbers).
    """
    if not isinstance(communes, pd.DataFrame):
        msg = (
            f"communes must be a pandas DataFrame with columns code, lon, lat (or x, y), found "
            f"{type(communes).__name__}."
        )
        raise InputFormatError(msg)
    if len(communes) == 0:
        msg = "communes is empty: expected one row per commune with its coordinates."
        raise InputFormatError(msg)
    raw_codes = communes[code] if code in communes.columns else communes.index
    if ids == "any":
        column = CodeColumn(np.asarray(raw_codes), code, "ids")
        names, (positions,) = encode_codes([column], ids=ids)
        codes = pd.Index(names[positions], dtype=object)
        if codes.has_duplicates:
            dup = codes[codes.duplicated()].unique().tolist()
            msg = f"point ids must be unique, found duplicated ids {describe_values(dup)}."
            raise DuplicateError(msg)
    else:
        codes = as_code_index(raw_codes, what="commune codes", repair_integers=repair_integers)
    cols = set(communes.columns)
    if {"lon", "lat"} <= cols or {"longitude", "latitude"} <= cols:
        xcol, ycol = ("lon", "lat") if {"lon", "lat"} <= cols else ("longitude", "latitude")
        point_crs: Any = "EPSG:4326"
    elif {"x", "y"} <= cols:
        xcol, ycol = "x", "y"
        point_crs = LAMBERT93 if crs is None else crs
    else:
        msg = (
            "communes needs coordinate columns lon and lat (WGS84 degrees) or x and y (projected "
            "metres, Lambert-93 unless crs= says otherwise); found columns "
            f"{list(communes.columns)}."
        )
        raise InputFormatError(msg)
    x = pd.to_numeric(communes[xcol], errors="coerce").to_numpy(dtype=np.float64)
    y = pd.to_numeric(communes[ycol], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if point_crs == "EPSG:4326":
        bad |= (np.abs(y) > 90) | (np.abs(x) > 180)
    if bad.any():
        rows = np.flatnonzero(bad)
        xs = communes[xcol].to_numpy()
        ys = communes[ycol].to_numpy()
        shown = describe_values([f"position {r} ({codes[r]}): {xs[r]}, {ys[r]}" for r in rows])
        msg = (
            f"commune coordinates ({xcol}, {ycol}) must be finite numbers"
            f"{' within lon ±180 and lat ±90' if point_crs == 'EPSG:4326' else ''}; found "
            f"{rows.size} bad rows (0-based positions): {shown}. Fix or drop those communes."
        )
        raise InvalidValueError(msg)
    return codes, to_geocentric(x, y, point_crs)
