"""Travel times from origin-destination tables (Metric or OSRM exports, CSV, Parquet, frames).

The table has one row per pair: origin code, destination code, minutes (column names are
options). It is read by :func:`aplcore.tables.read_table` (codes as text, Parquet codes as
dictionaries, only the three columns). The options are checked once (:class:`BuildOptions`). The
codes are validated and encoded once, on their
distinct values (:func:`aplcore.codes.encode_codes`); the times are checked by the kernel that
builds the CSR (:func:`aplcore.kernels.csr.bucket_checked`, rows by origin, then
:func:`aplcore.kernels.csr.sort_rows_checked`, each row sorted by column), and repeated pairs, the
``max_minutes`` cut and the missing ``i → i`` pairs are handled by one more pass over the rows
(:func:`aplcore.kernels.csr.canonical_rows`). Error messages give row numbers (row 1 is the
first data row, below the header).

Order of operations: read → validate codes → check times → drop "not computed" sentinels
(Metric writes 9999) → resolve duplicated pairs → symmetrise (if asked) → keep
``t <= max_minutes`` → add missing ``i → i`` pairs.

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
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import Locator
from .._paths import refuse_special_file
from ..codes import Ids
from ..errors import InputFormatError, ParameterError
from ..io.od import HINT, WHAT, read_od_table, reading_options
from ..tables import iter_batches, read_table
from .build import (
    BuildOptions,
    Columns,
    checked_build,
    from_batches,
    from_columns,
    with_communes,
)
from .model import TravelTimes
from .units import TimeUnit, minutes_from
from .wide import finite_cut, read_wide

__all__ = ["read_od_table", "symmetrise_pairs", "travel_times_from_table"]

logger = logging.getLogger(__name__)


def travel_times_from_table(  # noqa: PLR0913 - public entry point, keyword options
    source: Any,
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
    ids: Ids = "commune",
    units: TimeUnit | None = None,
    strict: bool = False,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    read_options: Mapping[str, Any] | None = None,
    chunk_rows: int | None = None,
    layout: Literal["long", "wide"] = "long",
) -> TravelTimes:
    """Build :class:`aplcore.TravelTimes` from an O-D table.

    Parameters
    ----------
    source
        A file (CSV or TSV, possibly compressed; Parquet; Feather; Excel: see
        :func:`aplcore.tables.read_table`) or a table object (pandas DataFrame with codes of any
        string dtype, pyarrow Table, Polars DataFrame). Codes are read as text.
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
        Zero-pad codes that lost their leading zeros instead of raising.
    ids
        ``"commune"`` (INSEE codes, validated) or ``"any"`` (any non-empty identifiers: IRIS
        codes, grid cells, H3 cells...). Commune codes absent from the current Code officiel
        géographique give an :class:`aplcore.errors.UnknownCodeWarning` naming them (and, for
        former communes, the commune holding them now).
    units
        Unit of the time column: ``"minutes"``, ``"seconds"`` or ``"hours"`` (converted to
        minutes before ``max_minutes`` applies; ``not_computed`` is in the column's unit).
        ``None``: minutes, with a :class:`aplcore.errors.TimeUnitsWarning` when the times look
        like seconds or hours.
    strict
        Commune codes absent from the current Code officiel géographique are an error.
    sep, encoding, sheet
        CSV separator (sniffed when ``None``), CSV encoding (UTF-8 then Latin-1 when ``None``),
        Excel sheet.
    read_options
        The same as a mapping (``{"sep": ";"}``; ``delimiter`` and ``sheet_name`` are accepted).
    chunk_rows
        Read a CSV or Parquet file in batches of about this many rows, each reduced at once to
        positions and times, so that files larger than memory can be read (see
        :func:`from_batches`). By default, files larger than 1 GiB are read in batches of
        ``2**22`` rows and others whole; the result is the same. With ``layout="wide"``: rows
        of the matrix per block (default: about 4 million cells a block).
    layout
        ``"long"``: one row per pair (columns ``origin``, ``destination``, ``minutes``).
        ``"wide"``: a square or rectangular matrix as ``osrm::osrmTable``, r5r and GIS tools
        export it: the first column holds the origin ids (whatever its name; for a DataFrame,
        its index when that is not a plain range), each other column is one destination
        named by its id, each cell a time in ``units``; a blank or NA cell is an unreachable
        pair. ``origin``, ``destination`` and ``minutes`` are not used. The matrix is read in
        blocks of rows and only the cells within ``max_minutes`` are kept, so a 5 000 × 5 000
        matrix never sits whole in memory. Bad cells are named by row, column and value; an id
        given twice as a row or a column is refused unless ``duplicates`` resolves it (a
        file's repeated header names are always refused: read it with pandas to resolve them).

    Returns
    -------
    TravelTimes
        With metadata ``source="od_table"``, the file name and the options.

    Raises
    ------
    InputFormatError
        Unreadable file, missing columns, empty table, parse errors (with the line).
    CommuneCodeError
        Codes that are not INSEE codes (with row numbers).
    InvalidValueError
        Missing, non-numeric, negative or infinite times (with row numbers).
    DuplicateError
        Pairs given twice with ``duplicates="error"`` (with row numbers).

    Examples
    --------
    A Metric export with its own column names (self pairs added at 0 minutes by default):

    >>> import pandas as pd
    >>> import aplcore
    >>> od = pd.DataFrame(
    ...     {"from": ["36044", "36088"], "to": ["36088", "36044"], "time": [12.0, 13.5]}
    ... )
    >>> tt = aplcore.travel_times_from_table(od, origin="from", destination="to", minutes="time")
    >>> tt
    TravelTimes(2 communes, 4 pairs)
    """
    # positional, in the order of the fields of BuildOptions
    options = BuildOptions(
        max_minutes, intra_minutes, duplicates, not_computed, symmetrise, ids, repair_integers,
        units, strict,
    )  # fmt: skip
    reading = reading_options(read_options, sep=sep, encoding=encoding, sheet=sheet)
    if isinstance(source, str | os.PathLike) and not Path(source).is_file():
        refuse_special_file(source, what=WHAT)
        msg = f"travel-time table not found: {Path(source)}."
        raise InputFormatError(msg)
    if layout == "wide":
        return _from_wide(source, reading, options, communes=communes, chunk_rows=chunk_rows)
    if layout != "long":
        msg = f"layout must be 'long' or 'wide', found {layout!r}."
        raise ParameterError(msg)
    names = Columns(origin, destination, minutes)
    rows = Locator(1, "row 1 = first data row")
    reading.update(columns=list(names), text_columns=list(names[:2]), what=WHAT, hint=HINT)
    batch_rows = _batch_rows(source, chunk_rows)
    if batch_rows is None:
        table = read_table(source, **reading)
        name = table.path.name if table.path is not None else None
        csr = from_columns(table.data, names, options, communes=communes, rows=rows)
    else:
        reading.pop("sheet", None)
        name = Path(source).name
        batches = iter_batches(source, batch_rows=batch_rows, **reading)
        csr = from_batches(batches, names, options, communes=communes, rows=rows)
    params = {"file": name, "columns": list(names), **options.params()}
    metadata = {"source": "od_table", "method": "od_table", "params": params}
    return TravelTimes.from_csr(*csr, metadata=metadata)


#: Files larger than this are read in batches by default.
CHUNKED_BYTES = 1 << 30
#: Rows of a batch when a large file is read in batches by default.
DEFAULT_BATCH_ROWS = 1 << 22


def _check_chunk_rows(chunk_rows: Any) -> None:
    if chunk_rows is not None and (
        isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1
    ):
        msg = f"chunk_rows must be a positive whole number or None, found {chunk_rows!r}."
        raise ParameterError(msg)


def _batch_rows(source: Any, chunk_rows: int | None) -> int | None:
    """Rows per batch for a file read in batches, ``None`` to read it whole."""
    _check_chunk_rows(chunk_rows)
    if not isinstance(source, str | os.PathLike):
        return None
    suffixes = "".join(Path(source).suffixes).lower()
    if not suffixes.endswith((".parquet", ".pq", ".csv", ".tsv", ".txt", ".csv.gz", ".csv.bz2")):
        return None
    if chunk_rows is not None:
        return chunk_rows
    return DEFAULT_BATCH_ROWS if Path(source).stat().st_size > CHUNKED_BYTES else None


def _from_wide(
    source: Any,
    reading: dict[str, Any],
    options: BuildOptions,
    *,
    communes: pd.Index | list[str] | None,
    chunk_rows: int | None,
) -> TravelTimes:
    """``layout="wide"``: the kept cells of the matrix, then the checks of the long form."""
    _check_chunk_rows(chunk_rows)
    if set(reading) - {"sep", "encoding"}:
        msg = f"layout='wide' reads CSV, Parquet and frames; found options {sorted(reading)}."
        raise ParameterError(msg)
    per_unit = float(minutes_from(np.float64(1.0), options.units))
    cells = read_wide(
        source,
        cut=finite_cut(options.max_minutes, per_unit),
        ids=options.ids,
        repair_integers=options.repair_integers,
        duplicates=options.duplicates,
        block_rows=chunk_rows,
        **reading,
    )
    codes, origin, destination = cells.codes, cells.origin, cells.destination
    if communes is not None:
        codes, origin, destination = with_communes(codes, origin, destination, communes, options)
    csr = checked_build(
        codes,
        (origin, destination, cells.values, None),
        options,
        column="cell",
        rows=Locator(1, "positions of kept cells"),
        distinct_given=cells.given,
    )
    name = Path(source).name if isinstance(source, str | os.PathLike) else None
    params = {
        "file": name,
        "layout": "wide",
        "shape": [cells.n_rows, cells.n_columns],
        "units": options.units or "minutes",
        **options.params(),
    }
    metadata = {"source": "od_table", "method": "od_table", "params": params}
    return TravelTimes.from_csr(*csr, metadata=metadata)


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
