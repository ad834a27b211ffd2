"""Positions and times to the canonical CSR arrays of a travel-time matrix, options checked once.

:class:`BuildOptions` holds the options of every travel-time source (O-D tables, frames, arrays,
stores), validated once when built. :func:`build` turns positions and times into the canonical
arrays (:class:`Csr`) with every check in the CSR-building kernels
(:func:`aplcore.kernels.csr.bucket_checked`, :func:`aplcore.kernels.csr.sort_rows_checked`,
:func:`aplcore.kernels.csr.canonical_rows`); :func:`from_columns` and :func:`from_batches` encode
the codes of Arrow columns first (:func:`aplcore.codes.encode_codes`). This module never builds
the :class:`aplcore.TravelTimes` model: its callers wrap the arrays.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._checks import (
    Locator,
    bad_non_negative,
    check_non_negative_option,
    check_non_negative_values,
    check_one_of,
)
from .._locale import parse_numbers
from ..codes import CodeColumn, Ids, encode_codes, normalise_codes
from ..codes.history import check_codes_exist
from ..errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    describe_values,
)
from ..io.od import WHAT
from .units import TimeUnit, check_time_units, minutes_from

__all__ = ["BuildOptions", "Csr", "build", "from_batches", "from_columns"]

logger = logging.getLogger(__name__)

Duplicates = Literal["error", "min", "first"]
Symmetrise = Literal["min", "max", "mean"]
IntraMinutes = float | pd.Series | None


@dataclass(frozen=True, eq=False)
class BuildOptions:
    """How a travel-time matrix is built from its pairs: one set of options, checked once.

    Every entry point (:func:`aplcore.travel_times_from_table`,
    :meth:`aplcore.TravelTimes.from_frame`, :meth:`~aplcore.TravelTimes.from_arrays`,
    :func:`aplcore.traveltimes.store.read_travel_times`) builds one and passes it down; the
    defaults here are those of :meth:`~aplcore.TravelTimes.from_frame` (nothing added, nothing
    cut). The table of each entry point's defaults is on the travel-times page of the API
    reference (``docs/api/traveltimes.md``).

    Attributes
    ----------
    max_minutes
        Keep pairs with ``t <= max_minutes`` (``None`` keeps all).
    intra_minutes
        Time of the missing ``i → i`` pairs: a number, a Series by code, or ``None`` to require
        them.
    duplicates
        A pair given twice: ``"error"``, ``"min"`` (shortest) or ``"first"`` (first row).
    not_computed
        Sentinel time meaning "not computed" (Metric: 9999), in the column's unit; ``None``
        keeps every value.
    symmetrise
        ``None`` keeps asymmetric times; ``"min"``, ``"max"`` or ``"mean"`` of both directions.
    ids
        ``"commune"`` (INSEE codes, validated) or ``"any"`` (any non-empty identifiers).
    repair_integers
        Zero-pad codes that lost their leading zeros instead of raising.
    units
        Unit of the times (``"minutes"``, ``"seconds"``, ``"hours"``); ``None``: minutes, with a
        warning when they look like another unit.
    strict
        Commune codes absent from the current Code officiel géographique are an error.

    Raises
    ------
    ParameterError
        An option out of its set or range.
    InvalidValueError
        A negative, NaN or infinite ``intra_minutes``.
    """

    max_minutes: float | None = None
    intra_minutes: IntraMinutes = None
    duplicates: Duplicates = "error"
    not_computed: float | None = None
    symmetrise: Symmetrise | None = None
    ids: Ids = "commune"
    repair_integers: bool = False
    units: TimeUnit | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        check_one_of(self.symmetrise, (None, "min", "max", "mean"), name="symmetrise")
        check_one_of(self.duplicates, ("error", "min", "first"), name="duplicates")
        check_one_of(self.ids, ("commune", "any"), name="ids")
        if self.units is not None:
            minutes_from(np.zeros(0), self.units)  # refuses an unknown unit
        cut = check_non_negative_option(self.max_minutes, name="max_minutes")
        object.__setattr__(self, "max_minutes", cut)
        intra = self.intra_minutes
        if intra is not None and not isinstance(intra, pd.Series):
            if isinstance(intra, bool) or bad_non_negative(np.float64(_number(intra))):
                msg = f"intra_minutes must be a non-negative number, found {intra!r}."
                raise InvalidValueError(msg)
            object.__setattr__(self, "intra_minutes", float(intra))
        if self.not_computed is not None:
            object.__setattr__(self, "not_computed", float(self.not_computed))

    @property
    def catchment(self) -> float:
        """Longest time kept, for the check of units (30 minutes when nothing is cut)."""
        return 30.0 if self.max_minutes is None else self.max_minutes

    def params(self) -> dict[str, Any]:
        """The options as plain values, for the metadata of a matrix."""
        return {
            "max_minutes": self.max_minutes,
            "symmetrise": self.symmetrise,
            "duplicates": self.duplicates,
            "not_computed": self.not_computed,
            "ids": self.ids,
        }


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


class Csr(NamedTuple):
    """The canonical arrays of a travel-time matrix (see :class:`aplcore.TravelTimes`)."""

    codes: pd.Index
    indptr: np.ndarray
    indices: np.ndarray
    minutes: np.ndarray


class _Given(NamedTuple):
    """The pairs as given (read-only positions and times), to point at rows in messages."""

    origin: np.ndarray
    destination: np.ndarray
    minutes: np.ndarray
    sentinel: float
    rows: Locator


class Columns(NamedTuple):
    """Names of the origin, destination and minutes columns of an O-D table."""

    origin: str = "origin"
    destination: str = "destination"
    minutes: str = "minutes"


def from_columns(
    data: pa.Table,
    names: Columns,
    options: BuildOptions,
    *,
    communes: Sequence[str] | pd.Index | None = None,
    rows: Locator,
) -> Csr:
    """The canonical arrays from the three Arrow columns of an O-D table (codes encoded once).

    Then the plausibility checks of user tables: commune codes that do not exist (or no longer
    do), and times that look like seconds or hours (unless ``options.units`` declares them).
    """
    if data.num_rows == 0:
        msg = f"{WHAT} is empty: expected one row per origin → destination pair."
        raise InputFormatError(msg)
    columns = [
        CodeColumn(data[names.origin], names.origin, "origin codes"),
        CodeColumn(data[names.destination], names.destination, "destination codes"),
    ]
    if communes is not None:
        columns.append(CodeColumn(_as_text_list(communes), "communes", "communes"))
    codes, positions = encode_codes(
        columns, ids=options.ids, repair_integers=options.repair_integers, rows=rows
    )
    values, raw = _minutes(data[names.minutes], column=names.minutes, rows=rows)
    given = (positions[0], positions[1], values, raw)
    return checked_build(codes, given, options, column=names.minutes, rows=rows)


def from_batches(
    batches: Iterable[pa.RecordBatch],
    names: Columns,
    options: BuildOptions,
    *,
    communes: Sequence[str] | pd.Index | None = None,
    rows: Locator,
) -> Csr:
    """The canonical arrays from an O-D table read in batches, in bounded memory.

    Each batch is reduced at once to int32 positions and float64 times (its codes validated on
    the batch's distinct values, with row numbers counted over the whole table); the strings are
    dropped with the batch. Only the positions and times of every row (16 bytes a row) and the
    resulting CSR are held, never the long table of strings.
    """
    vocabulary: dict[str, int] = {}
    parts: tuple[list[np.ndarray], ...] = ([], [], [])
    raw_parts: list[Any] = []
    any_text = False
    offset = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        here = Locator(rows.base + offset, rows.note)
        columns = [
            CodeColumn(batch.column(names.origin), names.origin, "origin codes"),
            CodeColumn(batch.column(names.destination), names.destination, "destination codes"),
        ]
        codes, positions = encode_codes(
            columns, ids=options.ids, repair_integers=options.repair_integers, rows=here
        )
        lookup = np.array(
            [vocabulary.setdefault(c, len(vocabulary)) for c in codes], dtype=np.int32
        )
        values, raw = _minutes(batch.column(names.minutes), column=names.minutes, rows=here)
        parts[0].append(lookup[positions[0]])
        parts[1].append(lookup[positions[1]])
        parts[2].append(values)
        raw_parts.append(raw if raw is not None else batch.column(names.minutes))
        any_text = any_text or raw is not None
        offset += batch.num_rows
    if offset == 0:
        msg = f"{WHAT} is empty: expected one row per origin → destination pair."
        raise InputFormatError(msg)
    if communes is not None:
        extra, _ = encode_codes(
            [CodeColumn(_as_text_list(communes), "communes", "communes")],
            ids=options.ids,
            repair_integers=options.repair_integers,
            rows=rows,
        )
        for code in extra:
            vocabulary.setdefault(code, len(vocabulary))
    names_array = np.array(list(vocabulary), dtype=object)
    order = np.argsort(names_array.astype(str), kind="stable")
    remap = np.empty(names_array.size, dtype=np.int32)
    remap[order] = np.arange(names_array.size, dtype=np.int32)
    o, d, t = (_joined(part) for part in parts)  # parts freed one by one
    np.take(remap, o, out=o, mode="clip")  # in place (positions are valid)
    np.take(remap, d, out=d, mode="clip")
    raw_all = None
    if any_text:
        raw_all = pa.chunked_array([r.cast(pa.large_string()) for r in raw_parts])
    raw_parts.clear()
    codes = pd.Index(names_array[order], dtype=object)
    return checked_build(codes, (o, d, t, raw_all), options, column=names.minutes, rows=rows)


def with_communes(
    codes: pd.Index,
    origin: np.ndarray,
    destination: np.ndarray,
    communes: pd.Index | list[str],
    options: BuildOptions,
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Add ``communes`` absent from the matrix to the codes (positions re-mapped)."""
    extra, _ = encode_codes(
        [CodeColumn(_as_text_list(communes), "communes", "communes")],
        ids=options.ids,
        repair_integers=options.repair_integers,
    )
    merged = codes.union(extra, sort=True) if len(extra) else codes
    if len(merged) == len(codes):
        return codes, origin, destination
    remap = merged.get_indexer(codes).astype(np.int32)
    return pd.Index(merged, dtype=object), remap[origin], remap[destination]


#: Fewer pairs than this between distinct communes, none with its reverse, may be chance.
ONE_WAY_PAIRS = 30


def _check_both_directions(csr: Csr) -> None:
    """Refuse a table that gives each pair of communes in one direction only.

    Exports of unique pairs (``origin < destination``) would otherwise read as access in one
    direction only: half the pairs weigh 0. A table of residences to practice communes only is
    not affected: two communes that are both origins and destinations of pairs have their pair
    in both directions.
    """
    n = len(csr.codes)
    origins = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr))
    other = origins != csr.indices
    if other.sum() < ONE_WAY_PAIRS:
        return
    o, d = origins[other], csr.indices[other].astype(np.int64)
    if np.intersect1d(o, d).size < 3:
        return
    if np.isin(d * n + o, o * n + d).any():
        return
    shown = [(csr.codes[a], csr.codes[b]) for a, b in zip(o[:3], d[:3], strict=True)]
    msg = (
        f"{WHAT} gives each pair of communes in one direction only ({o.size} pairs, none with "
        f"its reverse, e.g. {describe_values(shown, limit=3)}): an export of unique pairs. Read "
        "as it is, the reverse pairs would be unreachable."
    )
    fix = "Add the reverse rows to the table, or pass {param} to give both directions one time."
    raise InputFormatError(msg, fix=fix, param="symmetrise", value="min")


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts end to end; the list is emptied, so that each part is freed once copied."""
    out = np.concatenate(parts) if len(parts) != 1 else parts[0]
    parts.clear()
    return out


def checked_build(
    codes: pd.Index,
    given: tuple[np.ndarray, np.ndarray, np.ndarray, Any],
    options: BuildOptions,
    *,
    column: str,
    rows: Locator,
    distinct_given: np.ndarray | None = None,
) -> Csr:
    """Plausibility checks of the codes and units of a user table around :func:`build`.

    ``distinct_given``: times between distinct units as given, for the units check when the cut
    kept (almost) none, when ``given`` holds only the kept pairs (a wide matrix read in blocks);
    by default the off-diagonal times of ``given``.
    """
    origin, destination, values, raw = given
    if options.ids == "commune":
        check_codes_exist(codes, strict=options.strict, stacklevel=5)
    if options.units is not None:
        values = minutes_from(values, options.units)
    csr = build(codes, origin, destination, values, options, rows=rows, column=column, raw=raw)
    if options.symmetrise is None:
        _check_both_directions(csr)
    if options.units is None:
        n = len(codes)
        distinct = None
        if csr.indices.size - n < max(1, n // 10):  # (almost) all cut
            found = values[origin != destination] if distinct_given is None else distinct_given
            distinct = found[np.isfinite(found)]
        check_time_units(
            csr.indptr,
            csr.indices,
            csr.minutes,
            catchment=options.catchment,
            distinct_given=distinct,
            stacklevel=5,
        )
    return csr


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts end to end; the list is emptied, so that each part is freed once copied."""
    out = np.concatenate(parts) if len(parts) != 1 else parts[0]
    parts.clear()
    return out


def _as_text_list(values: Any) -> Any:
    values = list(values)
    if values and all(isinstance(v, str) for v in values):
        return pa.array(values, type=pa.large_string())
    return pa.array(pd.Series(values).to_numpy(), from_pandas=True)


def _minutes(values: Any, *, column: str, rows: Locator) -> tuple[np.ndarray, Any]:
    """Times as float64 (missing values as NaN) and, for text columns, the text for messages."""
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
    if pa.types.is_time(kind):  # H:MM:SS read as times of day
        seconds = values.cast(pa.time32("s")).cast(pa.int32())
        logger.warning("column %r: H:MM:SS times converted to minutes", column)
        return pc.fill_null(seconds.cast(pa.float64()), np.nan).to_numpy() / 60.0, None
    text = values.cast(pa.large_string()) if not pa.types.is_large_string(kind) else values
    try:
        numbers = pc.fill_null(pc.cast(text, pa.float64()), np.nan)
        return np.asarray(numbers.to_numpy(), dtype=np.float64), text
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    parsed = parse_numbers(text.to_pandas(), times=True)
    if parsed.problem:
        bad = parsed.problem_rows
        shown = rows.show(bad, text.take(bad[:5]).to_pylist())
        msg = f"travel times (column {column!r}): {parsed.problem} ({rows.note}: {shown})."
        raise InvalidValueError(msg)
    if parsed.notes:
        logger.warning("column %r: read with %s", column, " and ".join(parsed.notes))
    return parsed.values, text


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _bad_minutes_message(t: np.ndarray, raw: Any, *, column: str, rows: Locator) -> str:
    bad = np.flatnonzero(~((t >= 0) & (t < np.inf)))
    shown = raw.take(bad[:5]).to_pylist() if raw is not None else [float(v) for v in t[bad[:5]]]
    unreadable = ""
    if raw is not None and any(v is not None and str(v).strip() for v in shown):
        unreadable = " (text that is no number is unreadable, never taken as missing)"
    return (
        f"travel times (column {column!r}) must be finite numbers >= 0; found {bad.size} bad "
        f"rows ({rows.note}): {rows.show(bad, shown)}{unreadable}. Drop unreachable pairs "
        "instead of giving them a missing or infinite time."
    )


def _check_repeated(
    repeated: np.ndarray,
    mode: int,
    codes: pd.Index,
    indptr: np.ndarray,
    indices: np.ndarray,
    given: _Given,
) -> None:
    """Raise the duplicate error (rows of the first repeated pairs) or log the resolution."""
    from ..kernels import csr  # lazy: numba

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
        at = np.flatnonzero(
            (given.origin == i) & (given.destination == j) & (given.minutes != given.sentinel)
        )
        numbers = ", ".join(str(int(r) + given.rows.base) for r in at)
        described.append(f"{codes[i]} → {codes[j]} at rows {numbers}")
    shown = ", ".join(repr(s) for s in described)
    if total > len(described):
        shown += f" and {total - len(described)} more ({total} in all)"
    msg = (
        f"{total} origin → destination pairs are given more than once ({given.rows.note}): "
        f"{shown}. "
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
        check_non_negative_values(values, what="intra_minutes", labels=index)
        positions = index.get_indexer(codes)
        out = np.full(n, np.nan)
        found = positions >= 0
        out[found] = values[positions[found]]
        return out
    return np.full(n, float(intra_minutes))  # checked by BuildOptions


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
    options: BuildOptions,
    *,
    rows: Locator,
    column: str = "minutes",
    raw: Any = None,
) -> Csr:
    """The canonical arrays from positions and times: every check in the CSR-building kernels.

    ``minutes`` are in minutes (``options.units`` is applied by the callers that read a unit);
    ``raw`` holds the times as given (for messages: text that is not a number); ``None`` shows
    the float values.
    """
    from ..kernels import csr  # lazy: numba

    n = len(codes)
    # read-only views on every path (Arrow hands out read-only arrays, and Numba compiles
    # read-only and writable arrays apart): one specialisation, no copy
    sentinel = np.nan if options.not_computed is None else options.not_computed
    if options.units is not None and options.not_computed is not None:
        sentinel = float(minutes_from(np.float64(options.not_computed), options.units))
    given = _Given(
        _read_only(np.ascontiguousarray(origin, dtype=np.int32)),
        _read_only(np.ascontiguousarray(destination, dtype=np.int32)),
        _read_only(np.ascontiguousarray(minutes, dtype=np.float64)),
        sentinel,
        rows,
    )
    o, d, t = given.origin, given.destination, given.minutes
    # rows by origin in input order (one stable counting sort), then each row sorted by column
    # in cache: the order of a stable sort by (origin, destination)
    n_chunks = csr.n_chunks_for(o.size)
    indptr, indices, data, n_bad, n_dropped = csr.bucket_checked(o, d, t, n, sentinel, n_chunks)
    if n_bad:
        raise InvalidValueError(_bad_minutes_message(t, raw, column=column, rows=rows))
    if n_dropped:
        logger.info("dropped %d pairs marked not computed (%s)", n_dropped, sentinel)
        if indices.size == 0:
            msg = (
                f"no usable pair in {WHAT} ({o.size} rows read, all marked not computed = "
                f"{sentinel})."
            )
            raise InputFormatError(msg)
    cut = np.inf if options.max_minutes is None else options.max_minutes
    canonical = csr.sort_rows_checked(indptr, indices, data, cut)
    mode = {
        "error": csr.DUPLICATES_ERROR,
        "min": csr.DUPLICATES_MIN,
        "first": csr.DUPLICATES_FIRST,
    }[options.duplicates]
    if options.symmetrise is not None:
        indptr, indices, data = _symmetrised(codes, (indptr, indices, data), mode, given, options)
        mode, canonical = csr.DUPLICATES_FIRST, False
    if canonical:  # nothing to resolve, cut or add
        return Csr(codes, indptr, indices, data)
    self_minutes = _self_minutes(codes, options.intra_minutes)
    before = data.size
    out_indptr, out_indices, out_data, repeated, has_self = csr.canonical_rows(
        indptr, indices, data, mode, cut, self_minutes
    )
    _check_repeated(repeated, mode, codes, indptr, indices, given)
    _check_self_pairs(codes, has_self, self_minutes, options.intra_minutes)
    added = int((~has_self & ~np.isnan(self_minutes)).sum())
    if added:
        logger.info("added %d intra-commune pairs", added)
    logger.debug("%d pairs read, %d kept", before, out_indices.size)
    return Csr(codes, out_indptr, out_indices, out_data)


def _symmetrised(
    codes: pd.Index,
    matrix: tuple[np.ndarray, np.ndarray, np.ndarray],
    mode: int,
    given: _Given,
    options: BuildOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeated pairs resolved, then both directions of each pair given the rule's time."""
    from ..kernels import csr  # lazy: numba

    n = len(codes)
    indptr, indices, data = matrix
    no_self = np.full(n, np.nan)
    resolved = csr.canonical_rows(indptr, indices, data, mode, np.inf, no_self)
    _check_repeated(resolved[3], mode, codes, indptr, indices, given)
    indptr, indices, data = resolved[:3]
    t_indptr, t_indices, t_data = csr.transpose(indptr, indices, data, n, csr.n_chunks_for(n))
    rule = {
        "min": csr.SYMMETRISE_MIN,
        "max": csr.SYMMETRISE_MAX,
        "mean": csr.SYMMETRISE_MEAN,
    }[options.symmetrise]
    return csr.symmetric_rows(indptr, indices, data, t_indptr, t_indices, t_data, rule)
