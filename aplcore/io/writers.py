"""Writers of result tables: CSV, Parquet and GeoJSON, all atomic and refusing to overwrite.

Each writer goes through :func:`aplcore.io.atomic.atomic_write` (a temporary file moved into
place); several files written together go through an :class:`OutputSet`
(:mod:`aplcore.io.atomic`, whose names this module also exports).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..errors import (
    MissingCommuneError,
    OutputExistsError,
    OutputSetError,
    describe_values,
)
from .atomic import BUSY_MARKER as BUSY_MARKER
from .atomic import RUN_FILE as RUN_FILE
from .atomic import STAGING_PREFIX as STAGING_PREFIX
from .atomic import OutputSet, atomic_write, output_set
from .atomic import check_target as check_target
from .atomic import clean_stale_temporaries as clean_stale_temporaries
from .atomic import staged_folder as staged_folder

__all__ = [
    "OutputExistsError",
    "OutputSet",
    "OutputSetError",
    "atomic_write",
    "output_set",
    "write_csv",
    "write_geojson",
    "write_parquet",
]


def _frame_for_output(frame: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    return frame


def write_csv(
    frame: pd.DataFrame | pd.Series,
    path: str | PathLike[str],
    *,
    overwrite: bool = False,
    index: bool = True,
    sep: str = ",",
) -> Path:
    """Write a table as UTF-8 CSV, codes as text, floats at full precision.

    Parameters
    ----------
    frame
        Table (usually indexed by commune code).
    path
        Destination file.
    overwrite
        Replace an existing file.
    index
        Write the index as the first column (named after it, ``code`` by default).
    sep
        Field separator (``";"`` for spreadsheets in French locales).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    frame = _frame_for_output(frame)
    label = (frame.index.name or "code") if index else None

    def write(f: IO[bytes]) -> None:
        text = frame.to_csv(index=index, index_label=label, sep=sep, lineterminator="\n")
        f.write(text.encode("utf-8"))

    return atomic_write(path, write, overwrite=overwrite)


def write_parquet(
    frame: pd.DataFrame | pd.Series,
    path: str | PathLike[str],
    *,
    overwrite: bool = False,
    index: bool = True,
) -> Path:
    """Write a table as Parquet (pyarrow, zstd), keeping the index and column dtypes.

    Parameters
    ----------
    frame
        Table (usually indexed by commune code).
    path
        Destination file.
    overwrite
        Replace an existing file.
    index
        Keep the index (read back with :func:`pandas.read_parquet`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    frame = _frame_for_output(frame)
    if index and frame.index.name is None:
        frame = frame.rename_axis("code")

    def write(f: IO[bytes]) -> None:
        frame.to_parquet(f, engine="pyarrow", compression="zstd", index=index)

    return atomic_write(path, write, overwrite=overwrite)


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _geometry_mapping(geom: Any) -> dict[str, Any] | None:
    if geom is None:
        return None
    if isinstance(geom, Mapping):
        return dict(geom)
    import shapely

    if isinstance(geom, bytes | bytearray):
        geom = shapely.from_wkb(bytes(geom))
    elif isinstance(geom, str):
        geom = shapely.from_wkt(geom)
    return json.loads(shapely.to_geojson(geom))


def write_geojson(
    frame: pd.DataFrame | pd.Series,
    path: str | PathLike[str],
    *,
    contours: pd.Series | None = None,
    lon: str = "lon",
    lat: str = "lat",
    overwrite: bool = False,
) -> Path:
    """Write a table as a GeoJSON FeatureCollection, one feature per row.

    Geometries come from ``contours`` when given (for instance
    :func:`aplcore.datasets.load_contours`), else from the ``lon``/``lat`` columns when present
    (points), else they are ``null``. Properties are the index (as ``code``) and the columns;
    NaN and missing values become ``null``. Coordinates are WGS84 (RFC 7946).

    Parameters
    ----------
    frame
        Table indexed by commune code.
    path
        Destination file.
    contours
        Geometries indexed by commune code: shapely geometries (or a GeoSeries), WKB bytes, WKT
        strings or GeoJSON-like mappings. Every row of ``frame`` must have one.
    lon, lat
        Point columns used when no contours are given.
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    MissingCommuneError
        Rows of ``frame`` without a contour.
    """
    frame = _frame_for_output(frame)
    label = frame.index.name or "code"
    if contours is not None:
        missing = frame.index.difference(contours.index)
        if len(missing):
            msg = (
                f"write_geojson: no contour for {describe_values(missing.tolist())}; every row "
                "needs one. Drop those rows or pass contours covering them."
            )
            raise MissingCommuneError(msg)
        geometries = [_geometry_mapping(g) for g in contours.loc[frame.index]]
    elif lon in frame.columns and lat in frame.columns:
        geometries = [
            None
            if pd.isna(x) or pd.isna(y)
            else {"type": "Point", "coordinates": [float(x), float(y)]}
            for x, y in zip(frame[lon], frame[lat], strict=True)
        ]
    else:
        geometries = [None] * len(frame)
    names = [str(c) for c in frame.columns]
    features = []
    for key, row, geom in zip(frame.index, frame.itertuples(index=False), geometries, strict=True):
        props = {label: _json_value(key)}
        props.update({n: _json_value(v) for n, v in zip(names, row, strict=True)})
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    document = {"type": "FeatureCollection", "features": features}

    def write(f: IO[bytes]) -> None:
        f.write(json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8"))

    return atomic_write(path, write, overwrite=overwrite)
