"""Travel times from origin-destination tables (Metric or OSRM exports, CSV, Parquet, frames).

The table has one row per pair: origin code, destination code, minutes (column names are
options). It is read by :func:`aplcore.tables.read_table` (codes as text, Parquet codes as
dictionaries, only the three columns). The codes are validated and encoded once, on their
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
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._checks import TimeUnit
from .._paths import refuse_special_file
from ..codes import CodeColumn, Ids, RowNumbers, encode_codes, normalise_codes
from ..errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
    describe_values,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from .model import TravelTimes

__all__ = ["read_od_table", "symmetrise_pairs", "travel_times_from_table"]

logger = logging.getLogger(__name__)

#: How the O-D table is named in messages.
WHAT = "the travel-time table"
_HINT = "Name the right ones with {param}."
_READ_OPTIONS = {"sep": "sep", "delimiter": "sep", "encoding": "encoding", "sheet_name": "sheet"}


def travel_times_from_table(
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
        ``2**22`` rows and others whole; the result is the same.

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
    from ..tables import read_table

    _check_options(symmetrise, duplicates, max_minutes)
    options = _read_options(read_options, sep=sep, encoding=encoding, sheet=sheet)
    if isinstance(source, str | os.PathLike) and not Path(source).is_file():
        refuse_special_file(source, what=WHAT)
        msg = f"travel-time table not found: {Path(source)}."
        raise InputFormatError(msg)
    batch_rows = _batch_rows(source, chunk_rows)
    if batch_rows is None:
        table = read_table(
            source,
            columns=[origin, destination, minutes],
            text_columns=[origin, destination],
            what=WHAT,
            hint=_HINT,
            **options,
        )
        name = table.path.name if table.path is not None else None
    else:
        options.pop("sheet", None)
        name = Path(source).name
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
            "ids": ids,
        },
    }
    common: dict[str, Any] = {
        "origin": origin,
        "destination": destination,
        "minutes": minutes,
    }
    if batch_rows is not None:
        from ..tables import iter_batches

        batches = iter_batches(
            source,
            columns=[origin, destination, minutes],
            text_columns=[origin, destination],
            what=WHAT,
            hint=_HINT,
            batch_rows=batch_rows,
            **options,
        )
        return from_batches(
            batches,
            **common,
            communes=communes,
            intra_minutes=intra_minutes,
            duplicates=duplicates,
            max_minutes=max_minutes,
            not_computed=not_computed,
            symmetrise=symmetrise,
            ids=ids,
            repair_integers=repair_integers,
            rows=RowNumbers(1, "row 1 = first data row"),
            metadata=metadata,
            units=units,
            strict=strict,
        )
    return from_columns(
        table.data,
        **common,
        communes=communes,
        intra_minutes=intra_minutes,
        duplicates=duplicates,
        max_minutes=max_minutes,
        not_computed=not_computed,
        symmetrise=symmetrise,
        ids=ids,
        repair_integers=repair_integers,
        rows=RowNumbers(1, "row 1 = first data row"),
        metadata=metadata,
        units=units,
        strict=strict,
    )


#: Files larger than this are read in batches by default.
CHUNKED_BYTES = 1 << 30
#: Rows of a batch when a large file is read in batches by default.
DEFAULT_BATCH_ROWS = 1 << 22


def _batch_rows(source: Any, chunk_rows: int | None) -> int | None:
    """Rows per batch for a file read in batches, ``None`` to read it whole."""
    if chunk_rows is not None and (
        isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1
    ):
        msg = f"chunk_rows must be a positive whole number or None, found {chunk_rows!r}."
        raise ParameterError(msg)
    if not isinstance(source, str | os.PathLike):
        return None
    suffixes = "".join(Path(source).suffixes).lower()
    if not suffixes.endswith((".parquet", ".pq", ".csv", ".tsv", ".txt", ".csv.gz", ".csv.bz2")):
        return None
    if chunk_rows is not None:
        return chunk_rows
    return DEFAULT_BATCH_ROWS if Path(source).stat().st_size > CHUNKED_BYTES else None


def _check_options(symmetrise: Any, duplicates: Any, max_minutes: Any) -> None:
    if symmetrise not in (None, "min", "max", "mean"):
        msg = f"symmetrise must be None, 'min', 'max' or 'mean', found {symmetrise!r}."
        raise ParameterError(msg)
    if duplicates not in ("error", "min", "first"):
        msg = f"duplicates must be 'error', 'min' or 'first', found {duplicates!r}."
        raise ParameterError(msg)
    if max_minutes is not None and not (
        isinstance(max_minutes, int | float)
        and not isinstance(max_minutes, bool)
        and math.isfinite(max_minutes)
        and max_minutes >= 0
    ):
        msg = f"max_minutes must be a non-negative number or None, found {max_minutes!r}."
        raise ParameterError(msg)


def _read_options(read_options: Mapping[str, Any] | None, **given: Any) -> dict[str, Any]:
    options = {k: v for k, v in given.items() if v is not None}
    for key, value in (read_options or {}).items():
        if key not in _READ_OPTIONS:
            msg = (
                f"read_options supports {sorted(_READ_OPTIONS)}, found {key!r}. Read the table "
                "yourself and pass the DataFrame for other options."
            )
            raise ParameterError(msg)
        options[_READ_OPTIONS[key]] = value
    return options


def read_od_table(
    source: Any,
    *,
    columns: list[str],
    read_options: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """Read the needed columns of an O-D table, codes as text; returns (table, file name)."""
    from ..tables import read_table

    table = read_table(
        source,
        columns=columns,
        text_columns=columns[:2],
        what=WHAT,
        hint=_HINT,
        dictionary=False,
        **_read_options(read_options),
    )
    name = table.path.name if table.path is not None else None
    return table.data.to_pandas(), name


# ------------------------------------------------------------------------------- building
def from_columns(
    data: pa.Table,
    *,
    origin: str,
    destination: str,
    minutes: str,
    communes: pd.Index | list[str] | None,
    intra_minutes: float | pd.Series | None,
    duplicates: str,
    max_minutes: float | None,
    not_computed: float | None,
    symmetrise: str | None,
    ids: Ids,
    repair_integers: bool,
    rows: RowNumbers,
    metadata: Mapping[str, Any] | None,
    units: TimeUnit | None = None,
    strict: bool = False,
) -> TravelTimes:
    """TravelTimes from the three Arrow columns of an O-D table (codes encoded once).

    Then the plausibility checks of user tables: commune codes that do not exist (or no longer
    do), and times that look like seconds or hours (unless ``units`` declares them).
    """
    _check_options(symmetrise, duplicates, max_minutes)
    if data.num_rows == 0:
        msg = f"{WHAT} is empty: expected one row per origin → destination pair."
        raise InputFormatError(msg)
    columns = [
        CodeColumn(data[origin], origin, "origin codes"),
        CodeColumn(data[destination], destination, "destination codes"),
    ]
    if communes is not None:
        columns.append(CodeColumn(_as_text_list(communes), "communes", "communes"))
    codes, positions = encode_codes(columns, ids=ids, repair_integers=repair_integers, rows=rows)
    values, raw = _minutes(data[minutes], column=minutes)
    return _finish(
        codes,
        positions[0],
        positions[1],
        values,
        raw,
        minutes=minutes,
        intra_minutes=intra_minutes,
        duplicates=duplicates,
        max_minutes=max_minutes,
        not_computed=not_computed,
        symmetrise=symmetrise,
        ids=ids,
        rows=rows,
        metadata=metadata,
        units=units,
        strict=strict,
    )


def from_batches(
    batches: Iterable[pa.RecordBatch],
    *,
    origin: str,
    destination: str,
    minutes: str,
    communes: pd.Index | list[str] | None,
    intra_minutes: float | pd.Series | None,
    duplicates: str,
    max_minutes: float | None,
    not_computed: float | None,
    symmetrise: str | None,
    ids: Ids,
    repair_integers: bool,
    rows: RowNumbers,
    metadata: Mapping[str, Any] | None,
    units: TimeUnit | None = None,
    strict: bool = False,
) -> TravelTimes:
    """TravelTimes from an O-D table read in batches, in bounded memory.

    Each batch is reduced at once to int32 positions and float64 times (its codes validated on
    the batch's distinct values, with row numbers counted over the whole table); the strings are
    dropped with the batch. Only the positions and times of every row (16 bytes a row) and the
    resulting CSR are held, never the long table of strings.
    """
    import pyarrow as pa

    _check_options(symmetrise, duplicates, max_minutes)
    vocabulary: dict[str, int] = {}
    o_parts: list[np.ndarray] = []
    d_parts: list[np.ndarray] = []
    t_parts: list[np.ndarray] = []
    raw_parts: list[Any] = []
    any_text = False
    offset = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        here = RowNumbers(rows.base + offset, rows.note)
        columns = [
            CodeColumn(batch.column(origin), origin, "origin codes"),
            CodeColumn(batch.column(destination), destination, "destination codes"),
        ]
        codes, positions = encode_codes(
            columns, ids=ids, repair_integers=repair_integers, rows=here
        )
        lookup = np.array(
            [vocabulary.setdefault(c, len(vocabulary)) for c in codes], dtype=np.int32
        )
        values, raw = _minutes(batch.column(minutes), column=minutes)
        o_parts.append(lookup[positions[0]])
        d_parts.append(lookup[positions[1]])
        t_parts.append(values)
        raw_parts.append(raw if raw is not None else batch.column(minutes))
        any_text = any_text or raw is not None
        offset += batch.num_rows
    if offset == 0:
        msg = f"{WHAT} is empty: expected one row per origin → destination pair."
        raise InputFormatError(msg)
    if communes is not None:
        extra, _ = encode_codes(
            [CodeColumn(_as_text_list(communes), "communes", "communes")],
            ids=ids,
            repair_integers=repair_integers,
            rows=rows,
        )
        for code in extra:
            vocabulary.setdefault(code, len(vocabulary))
    names = np.array(list(vocabulary), dtype=object)
    order = np.argsort(names.astype(str), kind="stable")
    remap = np.empty(names.size, dtype=np.int32)
    remap[order] = np.arange(names.size, dtype=np.int32)
    o, d, t = _joined(o_parts), _joined(d_parts), _joined(t_parts)  # parts freed one by one
    np.take(remap, o, out=o, mode="clip")  # in place (positions are valid)
    np.take(remap, d, out=d, mode="clip")
    raw_all = None
    if any_text:
        raw_all = pa.chunked_array([r.cast(pa.large_string()) for r in raw_parts])
    raw_parts.clear()
    return _finish(
        pd.Index(names[order], dtype=object),
        o,
        d,
        t,
        raw_all,
        minutes=minutes,
        intra_minutes=intra_minutes,
        duplicates=duplicates,
        max_minutes=max_minutes,
        not_computed=not_computed,
        symmetrise=symmetrise,
        ids=ids,
        rows=rows,
        metadata=metadata,
        units=units,
        strict=strict,
    )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts end to end; the list is emptied, so that each part is freed once copied."""
    out = np.concatenate(parts) if len(parts) != 1 else parts[0]
    parts.clear()
    return out


def _finish(
    codes: pd.Index,
    origin: np.ndarray,
    destination: np.ndarray,
    values: np.ndarray,
    raw: Any,
    *,
    minutes: str,
    intra_minutes: float | pd.Series | None,
    duplicates: str,
    max_minutes: float | None,
    not_computed: float | None,
    symmetrise: str | None,
    ids: Ids,
    rows: RowNumbers,
    metadata: Mapping[str, Any] | None,
    units: TimeUnit | None,
    strict: bool,
) -> TravelTimes:
    """Plausibility checks of the codes and units around :func:`build`."""
    from .._checks import check_codes_exist, check_time_units, minutes_from

    positions = (origin, destination)
    if ids == "commune":
        check_codes_exist(codes, strict=strict, stacklevel=5)
    if units is not None:
        values = minutes_from(values, units)
        if not_computed is not None:
            not_computed = float(minutes_from(np.float64(not_computed), units))
    tt = build(
        codes,
        positions[0],
        positions[1],
        values,
        rows=rows,
        column=minutes,
        raw=raw,
        intra_minutes=intra_minutes,
        duplicates=duplicates,
        max_minutes=max_minutes,
        not_computed=not_computed,
        symmetrise=symmetrise,
        metadata=metadata,
    )
    if units is None:
        catchment = 30.0 if max_minutes is None else float(max_minutes)
        distinct = None
        if tt.n_pairs - tt.n_communes < max(1, tt.n_communes // 10):  # (almost) all cut
            given = values[positions[0] != positions[1]]
            distinct = given[np.isfinite(given)]
        check_time_units(
            tt.indptr,
            tt.indices,
            tt.minutes,
            catchment=catchment,
            distinct_given=distinct,
            stacklevel=5,
        )
    return tt


def _as_text_list(values: Any) -> Any:
    import pyarrow as pa

    values = list(values)
    if values and all(isinstance(v, str) for v in values):
        return pa.array(values, type=pa.large_string())
    return pa.array(pd.Series(values).to_numpy(), from_pandas=True)


def _minutes(values: Any, *, column: str) -> tuple[np.ndarray, Any]:
    """Times as float64 (missing values as NaN) and, for text columns, the text for messages."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.cast(kind.value_type)
        kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        numbers = values.cast(pa.float64())
        if numbers.null_count:
            numbers = pc.fill_null(numbers, np.nan)
        return np.asarray(numbers.to_numpy(), dtype=np.float64), None
    if pa.types.is_null(kind):
        return np.full(len(values), np.nan), None
    text = values.cast(pa.large_string()) if not pa.types.is_large_string(kind) else values
    try:
        numbers = pc.fill_null(pc.cast(text, pa.float64()), np.nan)
        return np.asarray(numbers.to_numpy(), dtype=np.float64), text
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    series = text.to_pandas()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan), text


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _bad_minutes_message(t: np.ndarray, raw: Any, *, column: str, rows: RowNumbers) -> str:
    bad = np.flatnonzero(~((t >= 0) & (t < np.inf)))
    shown = raw.take(bad[:5]).to_pylist() if raw is not None else [float(v) for v in t[bad[:5]]]
    return (
        f"travel times (column {column!r}) must be finite numbers >= 0; found {bad.size} bad "
        f"rows ({rows.note}): {rows.show(bad, shown)}. Drop unreachable pairs instead of giving "
        "them a missing or infinite time."
    )


def _check_repeated(
    repeated: np.ndarray,
    mode: int,
    codes: pd.Index,
    indptr: np.ndarray,
    indices: np.ndarray,
    origin: np.ndarray,
    destination: np.ndarray,
    minutes: np.ndarray,
    sentinel: float,
    rows: RowNumbers,
) -> None:
    """Raise the duplicate error (rows of the first repeated pairs) or log the resolution."""
    from ..kernels import csr

    total = int(repeated.sum())
    if total == 0:
        return
    if mode != csr.DUPLICATES_ERROR:
        logger.info("resolved %d repeated pairs with duplicates=%s", total, mode)
        return
    described = []
    for i in np.flatnonzero(repeated)[:5]:
        row = indices[indptr[i] : indptr[i + 1]]
        first = int(np.flatnonzero(row[1:] == row[:-1])[0])
        j = int(row[first])
        at = np.flatnonzero((origin == i) & (destination == j) & (minutes != sentinel))
        numbers = ", ".join(str(int(r) + rows.base) for r in at)
        described.append(f"{codes[i]} → {codes[j]} at rows {numbers}")
    shown = ", ".join(repr(s) for s in described)
    if total > len(described):
        shown += f" and {total - len(described)} more ({total} in all)"
    msg = (
        f"{total} origin → destination pairs are given more than once ({rows.note}): {shown}. "
        "Remove them, or pass duplicates='min' (shortest time) or duplicates='first'."
    )
    raise DuplicateError(msg)


def _self_minutes(codes: pd.Index, intra_minutes: float | pd.Series | None) -> np.ndarray:
    """Time of the ``i → i`` pair to add where a row lacks it (NaN: none to add)."""
    n = len(codes)
    if intra_minutes is None:
        return np.full(n, np.nan)
    if isinstance(intra_minutes, pd.Series):
        intra = intra_minutes
        index = normalise_codes(intra.index, what="intra_minutes codes")
        values = pd.to_numeric(intra, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~((values >= 0) & (values < np.inf))
        if bad.any():
            shown = describe_values(
                [f"{c}: {v}" for c, v in zip(index[bad], values[bad], strict=True)]
            )
            msg = (
                f"intra_minutes must be finite and non-negative; found {int(bad.sum())} bad "
                f"values ({shown})."
            )
            raise InvalidValueError(msg)
        positions = index.get_indexer(codes)
        out = np.full(n, np.nan)
        found = positions >= 0
        out[found] = values[positions[found]]
        return out
    value = float(intra_minutes)
    if not (np.isfinite(value) and value >= 0):
        msg = f"intra_minutes must be a non-negative number, found {intra_minutes!r}."
        raise InvalidValueError(msg)
    return np.full(n, value)


def _check_self_pairs(
    codes: pd.Index,
    has_self: np.ndarray,
    self_minutes: np.ndarray,
    intra_minutes: float | pd.Series | None,
) -> None:
    missing = ~has_self & np.isnan(self_minutes)
    if not missing.any():
        return
    absent = codes[missing].tolist()
    if isinstance(intra_minutes, pd.Series):
        msg = (
            f"intra_minutes has no time for {len(absent)} communes that lack a self-pair: "
            f"{describe_values(absent)}."
        )
    else:
        msg = (
            f"{len(absent)} communes have no intra-commune pair (i → i): "
            f"{describe_values(absent)}. APL counts the doctors of one's own commune."
        )
    fix = "Add the pairs to the table, or pass {param} to add the missing ones."
    raise MissingCommuneError(msg, fix=fix, param="intra_minutes", value=0.0)


def build(
    codes: pd.Index,
    origin: np.ndarray,
    destination: np.ndarray,
    minutes: np.ndarray,
    *,
    rows: RowNumbers,
    column: str = "minutes",
    raw: Any = None,
    intra_minutes: float | pd.Series | None,
    duplicates: str,
    max_minutes: float | None,
    not_computed: float | None = None,
    symmetrise: str | None = None,
    metadata: Mapping[str, Any] | None,
) -> TravelTimes:
    """The canonical matrix from positions and times: every check in the CSR-building kernels.

    ``raw`` holds the times as given (for messages: text that is not a number); ``None`` shows
    the float values.
    """
    from ..kernels import csr
    from .model import TravelTimes

    _check_options(symmetrise, duplicates, max_minutes)
    n = len(codes)
    # read-only views on every path (Arrow hands out read-only arrays, and Numba compiles
    # read-only and writable arrays apart): one specialisation, no copy
    o = _read_only(np.ascontiguousarray(origin, dtype=np.int32))
    d = _read_only(np.ascontiguousarray(destination, dtype=np.int32))
    t = _read_only(np.ascontiguousarray(minutes, dtype=np.float64))
    sentinel = np.nan if not_computed is None else float(not_computed)
    # rows by origin in input order (one stable counting sort), then each row sorted by column
    # in cache: the order of a stable sort by (origin, destination)
    n_chunks = csr.n_chunks_for(o.size)
    indptr, indices, data, n_bad, n_dropped = csr.bucket_checked(o, d, t, n, sentinel, n_chunks)
    if n_bad:
        raise InvalidValueError(_bad_minutes_message(t, raw, column=column, rows=rows))
    if n_dropped:
        logger.info("dropped %d pairs marked not computed (%s)", n_dropped, not_computed)
        if indices.size == 0:
            msg = (
                f"no usable pair in {WHAT} ({o.size} rows read, all marked not computed = "
                f"{not_computed})."
            )
            raise InputFormatError(msg)
    cut = np.inf if max_minutes is None else float(max_minutes)
    canonical = csr.sort_rows_checked(indptr, indices, data, cut)
    mode = {
        "error": csr.DUPLICATES_ERROR,
        "min": csr.DUPLICATES_MIN,
        "first": csr.DUPLICATES_FIRST,
    }[duplicates]
    if symmetrise is not None:
        no_self = np.full(n, np.nan)
        resolved = csr.canonical_rows(indptr, indices, data, mode, np.inf, no_self)
        _check_repeated(resolved[3], mode, codes, indptr, indices, o, d, t, sentinel, rows)
        indptr, indices, data = resolved[:3]
        mode = csr.DUPLICATES_FIRST
        t_indptr, t_indices, t_data = csr.transpose(indptr, indices, data, n, csr.n_chunks_for(n))
        rule = {
            "min": csr.SYMMETRISE_MIN,
            "max": csr.SYMMETRISE_MAX,
            "mean": csr.SYMMETRISE_MEAN,
        }[symmetrise]
        indptr, indices, data = csr.symmetric_rows(
            indptr, indices, data, t_indptr, t_indices, t_data, rule
        )
        canonical = False
    if canonical:  # nothing to resolve, cut or add
        return TravelTimes.from_csr(codes, indptr, indices, data, metadata)
    self_minutes = _self_minutes(codes, intra_minutes)
    before = data.size
    out_indptr, out_indices, out_data, repeated, has_self = csr.canonical_rows(
        indptr, indices, data, mode, cut, self_minutes
    )
    _check_repeated(repeated, mode, codes, indptr, indices, o, d, t, sentinel, rows)
    _check_self_pairs(codes, has_self, self_minutes, intra_minutes)
    added = int((~has_self & ~np.isnan(self_minutes)).sum())
    if added:
        logger.info("added %d intra-commune pairs", added)
    logger.debug("%d pairs read, %d kept", before, out_indices.size)
    return TravelTimes.from_csr(codes, out_indptr, out_indices, out_data, metadata)


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
