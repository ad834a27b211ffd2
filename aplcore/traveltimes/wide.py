"""Wide (square or rectangular) O-D matrices, read block by block.

The wide layout is what ``osrm::osrmTable``, r5r and GIS tools export: the first column holds the
origin ids, every other column is one destination (its header is the destination id), each cell
the travel time; a blank or NA cell is an unreachable pair. A matrix of 5 000 × 5 000 is 25
million cells: it is read in blocks of rows (CSV blocks of :func:`pyarrow.csv.open_csv`, Parquet
batches, slices of a frame), each block reduced at once to the (row, column, time) of the cells
that can be kept (``<= max_minutes``), so that only the kept pairs are ever held, never the
25 million values or Python objects.

This module only reads and checks the cells; ``travel_times_from_table(..., layout="wide")``
(:mod:`aplcore.traveltimes.table`) builds the matrix from them with the checks of the long form.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._checks import Locator
from ..codes import CodeColumn, Ids, encode_codes
from ..errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    Source,
    describe_values,
)
from ..tables import column_names, iter_batches, to_arrow

__all__ = ["WideCells", "read_wide"]

logger = logging.getLogger(__name__)

#: Cells per block (about 32 MiB of float64): the memory bound of one block.
BLOCK_CELLS = 1 << 22
#: Bytes of CSV text per cell, to size CSV blocks (``iter_batches`` counts 40 bytes a row).
_CSV_BYTES_PER_CELL = 8
#: Off-diagonal values kept as given (before the cut) for the units plausibility check.
_SAMPLE = 1 << 16

_WHAT = "the wide travel-time matrix"


@dataclass(frozen=True)
class WideCells:
    """The cells of a wide matrix that can be kept, with the ids they join.

    Attributes
    ----------
    codes
        The distinct ids (origins and destinations), sorted.
    origin, destination
        int32 positions into ``codes`` of each kept cell.
    values
        Each kept cell's time, in the unit of the file (float64).
    given
        A sample of the off-diagonal times as given before the cut (for the units check).
    n_rows, n_columns
        Origins (data rows) and destinations (columns after the first) of the matrix.
    """

    codes: pd.Index
    origin: np.ndarray
    destination: np.ndarray
    values: np.ndarray
    given: np.ndarray
    n_rows: int
    n_columns: int


def read_wide(
    source: Any,
    *,
    cut: float,
    ids: Ids,
    repair_integers: bool,
    duplicates: str,
    sep: str | None = None,
    encoding: str | None = None,
    block_rows: int | None = None,
) -> WideCells:
    """Read a wide matrix and keep the cells ``<= cut`` (in the unit of the file).

    Parameters
    ----------
    source
        CSV/TSV (any separator, possibly compressed), Parquet, Feather or Excel file, or a
        pandas DataFrame (ids in its first column, or in its index when the index is not a
        plain range), pyarrow Table or Polars DataFrame.
    cut
        Largest value kept, in the unit of the file (``inf`` keeps every reachable cell).
    ids, repair_integers
        As in :func:`aplcore.codes.encode_codes`.
    duplicates
        ``"error"``: an id given twice as a row or as a column is an error naming them;
        ``"min"`` or ``"first"``: the cells are kept and resolved when the matrix is built.
    sep, encoding
        CSV separator (sniffed when ``None``) and encoding.
    block_rows
        Rows per block (default: about :data:`BLOCK_CELLS` cells a block).

    Raises
    ------
    InputFormatError
        Fewer than two columns, or no data row.
    InvalidValueError
        Cells that are not numbers, negative or infinite (with their row, column and value).
    DuplicateError
        Ids given twice with ``duplicates="error"``.
    """
    names, blocks = _blocks(source, sep=sep, encoding=encoding, block_rows=block_rows)
    if len(names) < 2:
        msg = (
            f"{_WHAT} needs the origin ids in its first column and one column per destination; "
            f"found {len(names)} column(s): {describe_values(names)}. Pass layout='long' for a "
            "table of origin, destination, minutes rows."
        )
        raise InputFormatError(msg)
    destinations = names[1:]
    file = Path(source).name if isinstance(source, str | os.PathLike) else None
    row_ids: list[Any] = []
    rows: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    values: list[np.ndarray] = []
    sample: list[np.ndarray] = []
    n_sampled = 0
    offset = 0
    for batch in blocks:
        row_ids.append(batch.column(0))
        block = _numbers(batch, destinations, offset, file)
        r, c, v = _kept(block, cut)
        rows.append(r + offset)
        columns.append(c)
        values.append(v)
        if n_sampled < _SAMPLE:
            finite = block[np.isfinite(block)]
            sample.append(finite[: _SAMPLE - n_sampled])
            n_sampled += sample[-1].size
        offset += batch.num_rows
    if offset == 0:
        msg = f"{_WHAT} has no data row: expected one row per origin below the header."
        raise InputFormatError(msg)
    codes, (row_pos, column_pos) = encode_codes(
        [
            CodeColumn(pa.chunked_array(row_ids), names[0], "origin codes (first column)"),
            CodeColumn(
                np.array(destinations, dtype=object),
                "header",
                "destination codes (header; row k = column k + 1 of the file)",
            ),
        ],
        ids=ids,
        repair_integers=repair_integers,
        rows=Locator(1, "row 1 = first data row"),
    )
    if duplicates == "error":
        _refuse_repeated(row_pos, codes, what="rows", first=1, label=names[0])
        _refuse_repeated(column_pos, codes, what="columns", first=2, label="the header")
    origin = _joined(rows)
    destination = _joined(columns)
    np.take(row_pos, origin, out=origin)
    np.take(column_pos, destination, out=destination)
    given = np.concatenate(sample) if sample else np.zeros(0)
    logger.info(
        "wide matrix: %d rows × %d columns, %d cells kept", offset, len(destinations), origin.size
    )
    return WideCells(
        codes=codes,
        origin=origin,
        destination=destination,
        values=np.concatenate(values) if values else np.zeros(0),
        given=given[given > 0],
        n_rows=offset,
        n_columns=len(destinations),
    )


def _blocks(
    source: Any, *, sep: str | None, encoding: str | None, block_rows: int | None
) -> tuple[list[str], Iterator[Any]]:
    """Column names and an iterator of record batches (first column as text)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        names = column_names(path, sep=sep)
        if len(names) < 2:
            return names, iter(())
        _refuse_repeated_names(names, path)
        rows = block_rows or max(1, BLOCK_CELLS // len(names))
        # iter_batches sizes CSV blocks at 40 bytes a row: ask for as many "rows" as the bytes
        # of ``rows`` wide rows take
        batch_rows = rows * len(names) * _CSV_BYTES_PER_CELL // 40 + 1
        is_csv = not path.name.lower().endswith((".parquet", ".pq"))
        return names, iter_batches(
            path,
            columns=names,
            text_columns=names,  # parsed here, so that a bad cell is named with its row
            what=_WHAT,
            sep=sep,
            encoding=encoding,
            batch_rows=batch_rows if is_csv else rows,
        )
    if isinstance(source, pd.DataFrame):
        table = _frame_to_arrow(source)
    else:
        table = to_arrow(source, what=_WHAT)
    names = [str(c) for c in table.column_names]
    rows = block_rows or max(1, BLOCK_CELLS // max(1, len(names)))
    return names, iter(table.to_batches(max_chunksize=rows))


def _refuse_repeated_names(names: list[str], path: Path) -> None:
    """A file's reader selects columns by name: repeated header names cannot be told apart."""
    seen: dict[str, list[int]] = {}
    for k, name in enumerate(names[1:]):
        seen.setdefault(name, []).append(k + 2)
    repeated = {name: at for name, at in seen.items() if len(at) > 1}
    if repeated:
        shown = describe_values(
            [f"{name} at columns {', '.join(map(str, at))}" for name, at in repeated.items()]
        )
        msg = (
            f"{_WHAT} ({path.name}): {len(repeated)} ids are given more than once in the header "
            f"(column 1 = the origin ids): {shown}."
        )
        fix = (
            "Remove the repeated columns, or read the file with pandas.read_csv and pass the "
            "DataFrame (duplicates='min' or 'first' then resolve them)."
        )
        first = next(iter(repeated))
        raise DuplicateError(msg, fix=fix, source=Source.of(path.name, line=1, column=first))


def _frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A pandas wide matrix as Arrow, column by column (repeated column names kept, so that
    they are reported; ids from the index when it is not a plain range)."""
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    arrays = []
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        try:
            arrays.append(pa.array(column, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: read as text, then parsed
            arrays.append(pa.array(column.map(lambda v: None if pd.isna(v) else str(v))))
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def _cell(file: str | None, row: int, column: str) -> Source | None:
    """Where a cell is in its file (line 1 is the header), for the error's ``source``."""
    return None if file is None else Source.of(file, line=row + 1, column=column)


def _numbers(batch: Any, destinations: list[str], offset: int, file: str | None) -> np.ndarray:
    """The block's cells as float64 (rows × destinations, NaN where blank or NA)."""
    out = np.empty((batch.num_rows, len(destinations)), dtype=np.float64, order="F")
    for k in range(len(destinations)):
        column = batch.column(k + 1)
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            column = _text_numbers(column, destinations[k], k, offset, file)
        elif pa.types.is_null(kind):
            column = pa.nulls(len(column), pa.float64())
        elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            try:
                column = pc.cast(column, pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                msg = (
                    f"{_WHAT}: column {k + 2} ({destinations[k]!r}) holds {kind} values, "
                    "expected travel times (numbers; blank or NA where unreachable)."
                )
                raise InvalidValueError(msg) from None
        if column.null_count:
            column = pc.fill_null(column.cast(pa.float64()), np.nan)
        out[:, k] = column.to_numpy(zero_copy_only=False)
    bad = ~np.isnan(out) & ~((out >= 0) & (out < np.inf))
    if bad.any():
        r, c = np.nonzero(bad)
        _refuse_cells(r, c, out[r, c].tolist(), destinations, offset, file)
    return out


def _kept(block: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of the cells ``<= cut``, column by column (NaN never kept)."""
    keep = block <= cut
    c, r = np.nonzero(keep.T)  # reading order: row by row within the block
    return r.astype(np.int32), c.astype(np.int32), block[r, c]


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    out = np.concatenate(parts).astype(np.int32, copy=False) if parts else np.zeros(0, np.int32)
    parts.clear()
    return out


_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")

#: Text read as a blank cell (unreachable), besides the empty cell.
NA_TEXT = ("NA", "N/A", "NaN", "nan", "NULL", "null", "None", "-")


def _text_numbers(column: Any, name: str, k: int, offset: int, file: str | None) -> Any:
    """A text column as float64: numbers, blank or NA (null); anything else is refused."""
    try:
        return pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # spaces or NA spellings: clean them, then refuse what remains
    column = pc.utf8_trim_whitespace(column)
    na = pc.or_(pc.is_in(column, value_set=pa.array(NA_TEXT)), pc.equal(column, ""))
    column = pc.if_else(na, pa.scalar(None, pa.string()), column.cast(pa.string()))
    try:
        return pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        _refuse_text(column, name, k, offset, file)
        raise


def _refuse_text(column: Any, name: str, k: int, offset: int, file: str | None) -> None:
    numbers = pd.to_numeric(pd.Series(column.to_pylist(), dtype=object), errors="coerce")
    text = column.to_pylist()
    bad = [i for i, (t, n) in enumerate(zip(text, numbers, strict=True)) if t and pd.isna(n)]
    shown = ", ".join(f"row {offset + i + 1}: {text[i]!r}" for i in bad[:5])
    if len(bad) > 5:
        shown += f" and {len(bad) - 5} more"
    comma = any(_DECIMAL_COMMA.match(text[i]) for i in bad[:5])
    hint = (
        " They look like decimal commas: convert the file to decimal points (or read it with "
        "pandas.read_csv(..., decimal=',') and pass the DataFrame)."
        if comma
        else ""
    )
    msg = (
        f"{_WHAT}: column {k + 2} ({name!r}) holds values that are not numbers (row 1 = first "
        f"data row): {shown}."
    )
    fix = f"Give travel times as numbers, blank or NA where unreachable.{hint}"
    raise InvalidValueError(msg, fix=fix, source=_cell(file, offset + bad[0] + 1, name))


def _refuse_cells(
    r: np.ndarray,
    c: np.ndarray,
    found: list[float],
    destinations: list[str],
    offset: int,
    file: str | None,
) -> None:
    shown = ", ".join(
        f"row {offset + int(i) + 1}, column {int(j) + 2} ({destinations[int(j)]!r}): {v!r}"
        for i, j, v in zip(r[:5], c[:5], found[:5], strict=True)
    )
    if r.size > 5:
        shown += f" and {r.size - 5} more in this block"
    msg = (
        f"{_WHAT}: travel times must be finite numbers >= 0; found {r.size} bad cells (row 1 = "
        f"first data row, column 1 = the origin ids): {shown}."
    )
    fix = "Leave unreachable cells blank (or NA) instead of a negative or infinite time."
    where = _cell(file, offset + int(r[0]) + 1, destinations[int(c[0])])
    raise InvalidValueError(msg, fix=fix, source=where)


def _refuse_repeated(
    positions: np.ndarray, codes: pd.Index, *, what: str, first: int, label: str
) -> None:
    counts = np.bincount(positions, minlength=len(codes))
    repeated = np.flatnonzero(counts[positions] > 1)
    if repeated.size == 0:
        return
    by_code: dict[str, list[int]] = {}
    for k in repeated.tolist():
        by_code.setdefault(codes[positions[k]], []).append(k + first)
    shown = describe_values(
        [f"{code} at {what} {', '.join(map(str, at))}" for code, at in by_code.items()]
    )
    msg = (
        f"{_WHAT}: {len(by_code)} ids are given more than once in {label} ({what}; "
        f"{'row 1 = first data row' if what == 'rows' else 'column 1 = the origin ids'}): "
        f"{shown}."
    )
    fix = "Remove them, or pass {param} (shortest time) or duplicates='first'."
    raise DuplicateError(msg, fix=fix, param="duplicates", value="min")


def finite_cut(max_minutes: float | None, minutes_per_unit: float) -> float:
    """The cut in the unit of the file, a little loose: the exact cut is applied in minutes."""
    if max_minutes is None:
        return math.inf
    return float(max_minutes) / minutes_per_unit * (1 + 1e-9)
