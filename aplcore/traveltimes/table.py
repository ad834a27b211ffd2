"""Travel times from origin-destination tables (Metric or OSRM exports, CSV or Parquet).

The table has one row per pair: origin code, destination code, minutes (column names are
options). Rows are validated with their row numbers (row 1 is the first data row, below the
header), then handed to :meth:`aplcore.TravelTimes.from_frame`.

Order of operations: read → validate → drop "not computed" sentinels (Metric writes 9999) →
resolve duplicated pairs → symmetrise (if asked) → keep ``t <= max_minutes`` → add missing
``i → i`` pairs.

Symmetrisation rule (``symmetrise=``): for every pair of distinct communes ``{i, j}``, take the
directions the table gives (one or both) and set ``t(i → j) = t(j → i) =`` their minimum
(``"min"``), maximum (``"max"``) or mean (``"mean"``). A direction absent from the table is
treated as unknown, not as unreachable: a pair given one way only is copied the other way.
It is applied before the ``max_minutes`` cut, so a pair at 29 minutes one way and 31 the other
becomes 29 both ways with ``"min"``, 30 with ``"mean"`` and is dropped with ``"max"`` at 30.
Without ``symmetrise`` (default), asymmetric times are kept as they are: APL uses residence →
practice times.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..codes import normalise_codes
from ..errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    ParameterError,
    describe_values,
)

if TYPE_CHECKING:
    from .model import TravelTimes

__all__ = ["read_od_table", "symmetrise_pairs", "travel_times_from_table"]

logger = logging.getLogger(__name__)

_CODE_REGEX = r"^(?:\d{2}|2[AB])\d{3}$"


def travel_times_from_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    origin: str = "origin",
    destination: str = "destination",
    minutes: str = "minutes",
    max_minutes: float | None = 30,
    intra_minutes: float | pd.Series | None = 0.0,
    symmetrise: Literal["min", "max", "mean"] | None = None,
    duplicates: Literal["error", "min", "first"] = "error",
    not_computed: float | None = 9999.0,
    communes: pd.Index | list[str] | None = None,
    repair_integers: bool = False,
    read_options: Mapping[str, Any] | None = None,
) -> TravelTimes:
    """Build :class:`aplcore.TravelTimes` from an O-D table.

    Parameters
    ----------
    source
        A CSV (``.csv``, ``.csv.gz``, ``.txt``) or Parquet (``.parquet``, ``.pq``) file, or a
        DataFrame. Codes are read as text.
    origin, destination, minutes
        Column names of the residence commune, the practice commune and the car time.
    max_minutes
        Keep pairs with ``t <= max_minutes`` (``None`` keeps all).
    intra_minutes
        Time of the ``i → i`` pair where the table lacks it: a number, a Series by code
        (see :func:`aplcore.intra_commune_minutes`), or ``None`` to require it in the table.
    symmetrise
        ``None`` keeps asymmetric times; ``"min"``, ``"max"`` or ``"mean"`` applies the rule in
        the module notes.
    duplicates
        A pair given twice: ``"error"``, ``"min"`` (shortest) or ``"first"`` (first row).
    not_computed
        Sentinel time meaning "not computed" (Metric: 9999); those rows are dropped, and
        logged. ``None`` keeps every value.
    communes
        Communes to include even if they appear in no pair (they get their ``i → i`` pair).
    repair_integers
        Zero-pad codes stored as integers instead of raising.
    read_options
        Extra keyword arguments for :func:`pandas.read_csv` (e.g. ``sep=";"``) or
        :func:`pandas.read_parquet`.

    Returns
    -------
    TravelTimes
        With metadata ``source="od_table"``, the file name and the options.

    Raises
    ------
    InputFormatError
        Unreadable file type, missing columns, empty table.
    CommuneCodeError
        Codes that are not INSEE codes (with row numbers).
    InvalidValueError
        Missing, non-numeric, negative or infinite times (with row numbers).
    DuplicateError
        Pairs given twice with ``duplicates="error"`` (with row numbers).
    """
    from .model import TravelTimes

    if symmetrise not in (None, "min", "max", "mean"):
        msg = f"symmetrise must be None, 'min', 'max' or 'mean', found {symmetrise!r}."
        raise ParameterError(msg)
    if duplicates not in ("error", "min", "first"):
        msg = f"duplicates must be 'error', 'min' or 'first', found {duplicates!r}."
        raise ParameterError(msg)
    if max_minutes is not None and not (
        isinstance(max_minutes, int | float) and math.isfinite(max_minutes) and max_minutes >= 0
    ):
        msg = f"max_minutes must be a non-negative number or None, found {max_minutes!r}."
        raise ParameterError(msg)
    table, name = read_od_table(
        source,
        columns=[origin, destination, minutes],
        read_options=read_options,
    )
    frame = _validate(table, origin, destination, minutes, repair_integers=repair_integers)
    n_read = len(frame)
    if not_computed is not None:
        sentinel = frame["minutes"] == float(not_computed)
        if sentinel.any():
            logger.info(
                "dropped %d pairs marked not computed (%s)", int(sentinel.sum()), not_computed
            )
            frame = frame[~sentinel]
    frame = _resolve_duplicates(frame, duplicates)
    if symmetrise is not None:
        frame = symmetrise_pairs(frame, rule=symmetrise)
    if len(frame) == 0:
        msg = (
            f"no usable pair in the travel-time table ({n_read} rows read, all marked not "
            f"computed = {not_computed})."
        )
        raise InputFormatError(msg)
    metadata = {
        "source": "od_table",
        "method": "od_table",
        "params": {
            "file": name,
            "columns": [origin, destination, minutes],
            "max_minutes": None if max_minutes is None else float(max_minutes),
            "symmetrise": symmetrise,
            "duplicates": duplicates,
            "not_computed": not_computed,
        },
    }
    return TravelTimes.from_frame(
        frame,
        origin="origin",
        destination="destination",
        minutes="minutes",
        communes=communes,
        intra_minutes=intra_minutes,
        duplicates="error",
        max_minutes=max_minutes,
        metadata=metadata,
    )


def read_od_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: list[str],
    read_options: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """Read the needed columns of an O-D table, codes as text; returns (table, file name)."""
    options = dict(read_options or {})
    if isinstance(source, pd.DataFrame):
        _require(list(source.columns), columns, where="the table")
        return source[columns].reset_index(drop=True), None
    if not isinstance(source, str | os.PathLike):
        msg = f"source must be a file path or a pandas DataFrame, found {type(source).__name__}."
        raise InputFormatError(msg)
    path = Path(source)
    if not path.is_file():
        msg = f"travel-time table not found: {path}."
        raise InputFormatError(msg)
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        available = pq.read_schema(path).names
        _require(available, columns, where=str(path))
        table = pd.read_parquet(path, columns=columns, **options)
    elif suffixes.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".csv.zip", ".csv.bz2")):
        read_kwargs = {k: v for k, v in options.items() if k in ("sep", "delimiter", "encoding")}
        header = pd.read_csv(path, nrows=0, **read_kwargs)
        _require(list(header.columns), columns, where=str(path))
        dtype = {columns[0]: str, columns[1]: str}
        table = pd.read_csv(path, usecols=columns, dtype=dtype, **options)
        table = table[columns]
    else:
        msg = (
            f"cannot tell the format of {path.name}: expected a .csv (.csv.gz, .txt, .tsv) or "
            ".parquet file. Read it with pandas and pass the DataFrame."
        )
        raise InputFormatError(msg)
    return table, path.name


def _require(available: list[str], columns: list[str], *, where: str) -> None:
    missing = [c for c in columns if c not in available]
    if missing:
        msg = (
            f"{where} lacks the columns {missing}; its columns are {list(available)}. Name the "
            "right ones with origin=, destination= and minutes=."
        )
        raise InputFormatError(msg)


def _rows(mask: np.ndarray) -> list[int]:
    """1-based data row numbers of the True entries."""
    return (np.flatnonzero(mask) + 1).tolist()


def _show_rows(rows: list[int], values: pd.Series, *, limit: int = 5) -> str:
    """``row 2: '1002', row 7: 'abc' and 3 more (5 in all)`` (rows are 1-based)."""
    shown = ", ".join(f"row {r}: {values.iloc[r - 1]!r}" for r in rows[:limit])
    if len(rows) > limit:
        return f"{shown} and {len(rows) - limit} more ({len(rows)} in all)"
    return shown


def _codes(values: pd.Series, *, column: str, what: str, repair_integers: bool) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values):
        return normalise_codes(
            values, what=f"{what} codes (column {column!r})", repair_integers=repair_integers
        ).to_numpy()
    text = values.astype("string")
    bad = (text.isna() | ~text.str.fullmatch(_CODE_REGEX).fillna(False)).to_numpy(dtype=bool)
    if bad.any():
        rows = _rows(bad)
        shown = _show_rows(rows, values)
        hint = ""
        sample = [str(values.iloc[r - 1]) for r in rows[:20]]
        if all(s.isdigit() and len(s) < 5 for s in sample):
            hint = " They look like codes that lost their leading zero: pass repair_integers=True."
        msg = (
            f"{what} codes (column {column!r}) must be 5-character INSEE codes such as '01001' "
            f"or '2A004'; found {int(bad.sum())} bad rows (row 1 = first data row): {shown}.{hint}"
        )
        if hint and repair_integers:
            repaired = text.where(~pd.Series(bad), text.str.zfill(5))
            return _codes(repaired, column=column, what=what, repair_integers=False)
        raise CommuneCodeError(msg)
    return text.to_numpy(dtype=object)


def _validate(
    table: pd.DataFrame, origin: str, destination: str, minutes: str, *, repair_integers: bool
) -> pd.DataFrame:
    if len(table) == 0:
        msg = "the travel-time table is empty: expected one row per origin → destination pair."
        raise InputFormatError(msg)
    o = _codes(table[origin], column=origin, what="origin", repair_integers=repair_integers)
    d = _codes(
        table[destination], column=destination, what="destination", repair_integers=repair_integers
    )
    raw = table[minutes]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        rows = _rows(bad)
        shown = _show_rows(rows, raw)
        msg = (
            f"travel times (column {minutes!r}) must be finite numbers >= 0; found "
            f"{int(bad.sum())} bad rows (row 1 = first data row): {shown}. Drop unreachable "
            "pairs instead of giving them a missing or infinite time."
        )
        raise InvalidValueError(msg)
    return pd.DataFrame({"origin": o, "destination": d, "minutes": values})


def _resolve_duplicates(frame: pd.DataFrame, duplicates: str) -> pd.DataFrame:
    dup = frame.duplicated(["origin", "destination"], keep=False).to_numpy()
    if not dup.any():
        return frame
    if duplicates == "error":
        rows = np.flatnonzero(dup)
        sub = frame.iloc[rows]
        groups = sub.groupby(["origin", "destination"], sort=False).indices
        shown = describe_values(
            [
                f"{o} → {d} at rows {', '.join(str(rows[k] + 1) for k in idx)}"
                for (o, d), idx in groups.items()
            ]
        )
        msg = (
            f"{len(groups)} origin → destination pairs are given more than once: {shown}. Remove "
            "them, or pass duplicates='min' (shortest time) or duplicates='first'."
        )
        raise DuplicateError(msg)
    grouped = frame.groupby(["origin", "destination"], sort=False)["minutes"]
    reduced = grouped.min() if duplicates == "min" else grouped.first()
    logger.info("resolved %d duplicated rows with duplicates=%r", int(dup.sum()), duplicates)
    return reduced.reset_index()


def symmetrise_pairs(
    frame: pd.DataFrame, *, rule: Literal["min", "max", "mean"] = "min"
) -> pd.DataFrame:
    """Give both directions of each pair of communes the same time (see the module notes).

    Parameters
    ----------
    frame
        Columns ``origin``, ``destination``, ``minutes``; no duplicated pair.
    rule
        ``"min"``, ``"max"`` or ``"mean"`` of the directions present.

    Returns
    -------
    pandas.DataFrame
        Same columns; both directions of every pair of distinct communes, self-pairs unchanged.
    """
    codes, uniques = pd.factorize(
        pd.concat([frame["origin"], frame["destination"]], ignore_index=True)
    )
    n = len(frame)
    o, d = codes[:n], codes[n:]
    lo, hi = np.minimum(o, d), np.maximum(o, d)
    grouped = pd.DataFrame({"lo": lo, "hi": hi, "t": frame["minutes"].to_numpy()}).groupby(
        ["lo", "hi"], sort=True
    )["t"]
    agg = getattr(grouped, rule)()
    lo_u = agg.index.get_level_values("lo").to_numpy()
    hi_u = agg.index.get_level_values("hi").to_numpy()
    t_u = agg.to_numpy(dtype=np.float64)
    other = lo_u != hi_u
    origin = np.concatenate([lo_u, hi_u[other]])
    destination = np.concatenate([hi_u, lo_u[other]])
    minutes = np.concatenate([t_u, t_u[other]])
    names = np.asarray(uniques, dtype=object)
    return pd.DataFrame(
        {"origin": names[origin], "destination": names[destination], "minutes": minutes}
    )
