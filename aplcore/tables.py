"""The one table reader: every tabular input of aplcore becomes an Arrow table here.

Sources: CSV and TSV files (separator sniffed from the header or given, UTF-8 with or without BOM
or Latin-1, plain or gzip/bz2-compressed, or a single CSV inside a ``.zip``), Parquet, Feather /
Arrow IPC, Excel (sheet chosen by name), and in-memory objects: pandas DataFrames (any string
dtype), pyarrow Tables and RecordBatches, Polars DataFrames (through the Arrow PyCapsule
interface, no Polars import needed), NumPy structured arrays and mappings of column → array.

Only the needed columns are read; code columns are read as strings (Parquet: as dictionaries),
never as numbers, so that leading zeros survive. CSV files are parsed by :mod:`pyarrow.csv`
(multi-threaded). Every parse failure is an :class:`aplcore.errors.InputFormatError` naming the
file, the line and, where known, the column; rows with the wrong number of fields (a last line cut
short among them) are errors, never skipped.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ._checks import Locator, clean_column_name, require_columns
from ._csv import SEPARATORS as SEPARATORS  # kept importable from here
from ._csv import (
    CsvRequest,
    excel_separator,
    first_bytes,
    header_names,
    iter_csv,
    read_csv,
    refuse_unreadable,
)
from ._csv import sniff_separator as sniff_separator  # kept importable from here
from ._paths import refuse_special_file
from .errors import InputFormatError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CODE_COLUMNS",
    "TableData",
    "column_names",
    "iter_batches",
    "read_frame",
    "read_table",
    "to_arrow",
]

#: Columns read as text by :func:`read_frame` (commune codes and other identifiers).
CODE_COLUMNS = (
    "code",
    "commune",
    "origin",
    "destination",
    "territory",
    "departement",
    "region",
    "practitioner_id",
    "epci",
)


logger = logging.getLogger(__name__)

_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")


@dataclass(frozen=True)
class TableData:
    """A table read by :func:`read_table`, with what is needed to point at its rows.

    Attributes
    ----------
    data
        The columns, as a :class:`pyarrow.Table` (code columns as strings or dictionaries of
        strings).
    name
        The file name, or what the object is (``"the DataFrame"``) for in-memory sources.
    first_line
        File line of the first data row for text files (CSV: 2, below the header; Excel: 2);
        ``None`` for Parquet, Feather and in-memory tables, whose rows are counted from 0.
    path
        The file read, or ``None``.
    """

    data: pa.Table
    name: str
    first_line: int | None = None
    path: Path | None = None

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return self.data.num_rows

    @property
    def _locator(self) -> Locator:
        """Where the rows of this table are, for messages."""
        name = self.name if self.path is not None or self.first_line is not None else None
        return Locator(name=name, first_line=self.first_line)

    def where(self, rows: Sequence[int] | np.ndarray) -> str:
        """``"lines 3, 7 of od.csv"`` for text files, ``"rows 0, 4 of od.parquet"`` otherwise."""
        return self._locator.where(rows)


def read_table(  # noqa: PLR0913 - public entry point, keyword options
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    text_columns: Sequence[str] | Callable[[str], bool] = (),
    all_text: bool = False,
    what: str = "the table",
    hint: str = "",
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    dictionary: bool = True,
    csv_dictionary: bool = False,
) -> TableData:
    """Read a table file or take a table object, as Arrow.

    Parameters
    ----------
    source
        A path (``.csv``, ``.tsv``, ``.txt``, optionally ``.gz``/``.bz2``/``.zip``; ``.parquet``,
        ``.pq``; ``.feather``, ``.arrow``, ``.ipc``; ``.xlsx``, ``.xls``) or an object: pandas
        DataFrame, pyarrow Table or RecordBatch, anything with ``__arrow_c_stream__`` (Polars),
        a NumPy structured array or a mapping of column name → array.
    columns
        The columns needed (others are not read); an error names the missing ones. ``None``
        reads every column.
    text_columns
        Columns read as text whatever they look like (codes), or a test on a column name. In
        Parquet files, string columns among them are read as dictionaries (one string per
        distinct value).
    all_text
        Read every column of a CSV or Excel file as text (numbers are converted later, with row
        numbers in the messages).
    what
        How to name the table in messages (``"the travel-time table"``).
    hint
        Appended to the missing-column message (how to name other columns).
    sep
        CSV separator; sniffed from the header line when ``None`` (``;``, ``,``, tab or ``|``).
    encoding
        CSV encoding; ``None`` tries UTF-8 (with or without BOM), then Latin-1 (logged).
    sheet
        Excel sheet name (or position); the first sheet when ``None``.
    dictionary
        Read Parquet text columns as dictionaries.
    csv_dictionary
        Read CSV text columns as dictionaries too, built while parsing (blocks of 16 MiB, so
        that each block's dictionary stays small beside its rows).

    Returns
    -------
    TableData

    Raises
    ------
    InputFormatError
        Unknown format, unreadable file, parse errors (with file, line and column), missing
        columns.
    FileNotFoundError
        No such file.
    """
    if callable(text_columns):
        is_text = text_columns
        text_columns = [
            name for name in column_names(source, sep=sep, sheet=sheet) if is_text(name)
        ]
    text_columns = list(text_columns)
    if isinstance(source, str | os.PathLike):
        request = CsvRequest(
            columns, text_columns, all_text, hint, sep=sep, encoding=encoding,
            dictionary=csv_dictionary,
        )  # fmt: skip
        return _read_file(Path(source), request, what=what, sheet=sheet, dictionary=dictionary)
    source = _needed_pandas_columns(source, columns, where=what, hint=hint)
    data = to_arrow(source, what=what)
    name = f"the {type(source).__name__}"
    data = _select(data, columns, where=what, hint=hint)
    if all_text:
        text_columns = list(data.column_names)
    data = _strings(data, text_columns)
    return TableData(data, name)


def to_arrow(source: Any, *, what: str = "the table") -> pa.Table:
    """An in-memory table as a :class:`pyarrow.Table` (no copy where Arrow allows it).

    pandas string columns of any dtype (``object``, ``"string[python]"``,
    ``"string[pyarrow]"``) become Arrow strings; the index is dropped unless it is named.
    """
    import pandas as pd

    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source])
    if isinstance(source, pd.DataFrame):
        return _from_pandas(source, what=what)
    if hasattr(source, "__arrow_c_stream__"):
        return _without_views(pa.table(source))
    if isinstance(source, np.ndarray) and source.dtype.names:
        return pa.table({name: source[name] for name in source.dtype.names})
    if isinstance(source, Mapping):
        return pa.table({str(k): np.asarray(v) for k, v in source.items()})
    msg = (
        f"{what}: expected a file path, a pandas DataFrame, a pyarrow Table, a Polars DataFrame "
        f"or a NumPy structured array, found {type(source).__name__}."
    )
    raise InputFormatError(msg)


def _without_views(data: pa.Table) -> pa.Table:
    """String views (Polars exports them) as plain large strings, which every kernel reads."""
    for position, kind in enumerate(data.schema.types):
        if pa.types.is_string_view(kind):
            name = data.column_names[position]
            data = data.set_column(position, name, data[name].cast(pa.large_string()))
    return data


def _needed_pandas_columns(
    source: Any, columns: Sequence[str] | None, *, where: str, hint: str
) -> Any:
    """Only the needed columns of a DataFrame go to Arrow (a wide export is not converted)."""
    import pandas as pd

    if columns is None or not isinstance(source, pd.DataFrame):
        return source
    if any(name is not None for name in source.index.names):
        source = source.reset_index()
    require_columns([str(c).strip() for c in source.columns], columns, where=where, hint=hint)
    wanted = set(columns)
    keep = [c for c in source.columns if str(c).strip() in wanted]
    return source[keep] if len(keep) < source.shape[1] else source


def _from_pandas(frame: Any, *, what: str) -> pa.Table:
    import pandas as pd

    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    arrays = {}
    for name, column in frame.items():
        numbers = _plain_numbers(column)
        if numbers is not None:
            arrays[str(name)] = numbers
            continue
        try:
            arrays[str(name)] = pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # mixed objects (numbers and strings): keep their text, missing values stay missing
            text = [None if pd.isna(v) else str(v) for v in column.tolist()]
            arrays[str(name)] = pa.array(text, type=pa.string())
    return pa.table(arrays)


def _plain_numbers(column: Any) -> pa.Array | None:
    """A NumPy float or integer column without missing values, as Arrow without a copy (the
    ``from_pandas`` conversion copies it to mark NaN as missing); ``None`` otherwise."""
    import pandas as pd

    values = column.array
    if not isinstance(values, pd.arrays.NumpyExtensionArray):
        return None
    values = values.to_numpy()
    if values.dtype.kind == "f":
        if values.size and np.isnan(values.min()):  # the minimum is NaN when any value is
            return None
    elif values.dtype.kind not in "iu":
        return None
    return pa.array(values)


def _select(data: pa.Table, columns: Sequence[str] | None, *, where: str, hint: str) -> pa.Table:
    data = data.rename_columns([clean_column_name(c) for c in data.column_names])
    if columns is None:
        return data
    require_columns(data.column_names, columns, where=where, hint=hint)
    return data.select(list(columns))


def _strings(data: pa.Table, text_columns: Sequence[str]) -> pa.Table:
    """Cast the text columns to strings (numbers to their decimal text; views to plain strings)."""
    for name in text_columns:
        if name not in data.column_names:
            continue
        column = data[name]
        kind = column.type
        if pa.types.is_dictionary(kind):
            if pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type):
                continue
            column = column.cast(kind.value_type)
            kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            continue
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            # numbers stay numbers: the code rules decide whether they may be repaired
            continue
        data = data.set_column(data.column_names.index(name), name, column.cast(pa.string()))
    return data


def column_names(
    source: Any, *, sep: str | None = None, sheet: str | int | None = None
) -> list[str]:
    """The column names of a file (its header, or its schema) or of a table object, read
    cheaply: to choose how to read a table before reading it. An unreadable file gives ``[]``
    (the reader reports it)."""
    if not isinstance(source, str | os.PathLike):
        return [str(c).strip() for c in to_arrow(source).column_names]
    path = Path(source)
    kind, compression = _kind(path)
    if not path.is_file():
        return []
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except (pa.ArrowException, OSError):
            return []  # the reader reports it
    if kind == "feather":
        import pyarrow.feather as feather

        try:
            return list(feather.read_table(path, memory_map=True).column_names)
        except (pa.ArrowException, OSError):
            return []
    if kind == "excel":
        import pandas as pd

        try:
            frame = pd.read_excel(path, nrows=0, sheet_name=0 if sheet is None else sheet)
            return [str(c).strip() for c in frame.columns]
        except (ValueError, OSError, ImportError, zipfile.BadZipFile):
            return []
    return header_names(path, compression, sep)


def iter_batches(
    source: str | os.PathLike[str],
    *,
    columns: Sequence[str],
    text_columns: Sequence[str] = (),
    what: str = "the table",
    hint: str = "",
    sep: str | None = None,
    encoding: str | None = None,
    batch_rows: int = 1 << 20,
) -> Iterator[pa.RecordBatch]:
    """Read the ``columns`` of a CSV, Parquet or Feather file in batches (bounded memory).

    Parquet files are read row group by row group (text columns as dictionaries), CSV files
    block by block (:func:`pyarrow.csv.open_csv`), Feather files through a memory map. Other
    formats are read whole (:func:`read_table`) and cut into batches. The same errors as
    :func:`read_table`; a CSV whose later blocks hold a value of another type is reported with
    its column.
    """
    path = Path(source)
    kind, compression = _kind(path)
    if not path.is_file():
        refuse_special_file(path, what=what)
        msg = f"{what}: no such file {str(path)!r}; give the path of an existing file."
        raise FileNotFoundError(msg)
    text_columns = list(text_columns)
    if kind == "parquet":
        yield from _parquet_batches(path, columns, text_columns, hint=hint, batch_rows=batch_rows)
    elif kind == "csv":
        request = CsvRequest(columns, text_columns, hint=hint, sep=sep, encoding=encoding)
        yield from iter_csv(path, compression, request, batch_rows=batch_rows)
    else:
        table = read_table(path, columns=columns, text_columns=text_columns, what=what, hint=hint)
        yield from table.data.to_batches(max_chunksize=batch_rows)


def _parquet_batches(
    path: Path, columns: Sequence[str], text_columns: list[str], *, hint: str, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        require_columns(schema.names, columns, where=path.name, hint=hint)
        strings = [
            c
            for c in text_columns
            if c in schema.names
            and (
                pa.types.is_string(schema.field(c).type)
                or pa.types.is_large_string(schema.field(c).type)
            )
        ]
        handle = pq.ParquetFile(path, read_dictionary=strings or None)
        for batch in handle.iter_batches(batch_size=batch_rows, columns=list(columns)):
            yield _strings(pa.Table.from_batches([batch]), text_columns).to_batches()[0]
    except (pa.ArrowException, OSError) as exc:
        refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} as Parquet ({exc}). The file may be truncated."
        raise InputFormatError(msg) from exc


# ---------------------------------------------------------------------------------------- files
def _kind(path: Path) -> tuple[str, str | None]:
    """(format, compression) from the file name."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip"):
        compression = suffixes.pop()
    last = suffixes[-1] if suffixes else ""
    if last in (".parquet", ".pq") and compression is None:
        return "parquet", None
    if last in (".feather", ".arrow", ".ipc") and compression is None:
        return "feather", None
    if last in (".xlsx", ".xls", ".xlsm") and compression is None:
        return "excel", None
    if last in _CSV_SUFFIXES or (compression and last in ("", *_CSV_SUFFIXES)):
        return "csv", compression
    msg = (
        f"cannot tell the format of {path.name}: expected a .csv (.tsv, .txt, optionally .gz, .bz2 "
        "or .zip), .parquet, .feather (.arrow) or .xlsx file. Read it with pandas and pass the "
        "DataFrame."
    )
    raise InputFormatError(msg)


def _read_file(
    path: Path, request: CsvRequest, *, what: str, sheet: str | int | None, dictionary: bool
) -> TableData:
    """A table file by its format (``dictionary``: Parquet text columns as dictionaries)."""
    kind, compression = _kind(path)
    if not path.is_file():
        refuse_special_file(path, what=what)
        msg = f"{what}: no such file {str(path)!r}; give the path of an existing file."
        raise FileNotFoundError(msg)
    columns, text_columns, hint = request.columns, list(request.text_columns), request.hint
    where = path.name
    first_line = None if kind in ("parquet", "feather") else 2
    if kind == "csv" and excel_separator(first_bytes(path, compression, 16)) is not None:
        first_line = 3  # below Excel's sep= line and the header
    if kind == "parquet":
        data = _read_parquet(
            path, columns, text_columns, where=where, hint=hint, dictionary=dictionary
        )
    elif kind == "feather":
        data = _read_feather(path, columns, where=where, hint=hint)
    elif kind == "excel":
        data = _read_excel(
            path, columns, text_columns, all_text=request.all_text, sheet=sheet, where=where,
            hint=hint,
        )  # fmt: skip
    else:
        data = read_csv(path, compression, request)
    if request.all_text:
        text_columns = list(data.column_names)
    data = _strings(data, text_columns)
    return TableData(data, path.name, first_line, path)


def _read_parquet(
    path: Path,
    columns: Sequence[str] | None,
    text_columns: list[str],
    *,
    where: str,
    hint: str,
    dictionary: bool,
) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        refuse_unreadable(path, exc)
        msg = (
            f"cannot read {path.name} as Parquet ({exc}). The file may be truncated or not Parquet."
        )
        raise InputFormatError(msg) from exc
    names = [n for n in schema.names if not n.startswith("__index_level_")]
    if columns is not None:
        require_columns(names, columns, where=where, hint=hint)
    as_dictionary = [
        c
        for c in text_columns
        if dictionary
        and c in schema.names
        and (
            pa.types.is_string(schema.field(c).type)
            or pa.types.is_large_string(schema.field(c).type)
        )
    ]
    try:
        return pq.read_table(
            path,
            columns=list(columns) if columns is not None else names,
            read_dictionary=as_dictionary or None,
        )
    except (pa.ArrowException, OSError) as exc:
        refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} as Parquet ({exc}). The file may be truncated."
        raise InputFormatError(msg) from exc


def _read_feather(path: Path, columns: Sequence[str] | None, *, where: str, hint: str) -> pa.Table:
    import pyarrow.feather as feather

    try:
        data = feather.read_table(path, memory_map=True)
    except (pa.ArrowException, OSError) as exc:
        refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} as Feather/Arrow IPC ({exc}). The file may be truncated."
        raise InputFormatError(msg) from exc
    return _select(data, columns, where=where, hint=hint)


def _read_excel(
    path: Path,
    columns: Sequence[str] | None,
    text_columns: list[str],
    *,
    all_text: bool,
    sheet: str | int | None,
    where: str,
    hint: str,
) -> pa.Table:
    import pandas as pd

    try:
        book = pd.ExcelFile(path)
    except ImportError as exc:
        msg = "reading Excel files needs openpyxl: pip install 'aplcore[xlsx]'."
        raise ImportError(msg) from exc
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        msg = f"cannot read {path.name} as an Excel workbook ({exc})."
        raise InputFormatError(msg) from exc
    with book:
        if sheet is None:
            sheet = 0
        elif isinstance(sheet, str) and sheet not in book.sheet_names:
            msg = f"{path.name} has no sheet {sheet!r}; its sheets are {book.sheet_names}."
            raise InputFormatError(msg)
        dtype: Any = str if all_text else dict.fromkeys(text_columns, str)
        frame = pd.read_excel(
            book, sheet_name=sheet, dtype=dtype, keep_default_na=False, na_values=[""]
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    data = _from_pandas(frame, what=where)
    return _select(
        data,
        columns,
        where=where + (f" (sheet {sheet!r})" if isinstance(sheet, str) else ""),
        hint=hint,
    )


def read_frame(
    path: Path, *, what: str, sep: str | None = None, sheet: str | int | None = None
) -> pd.DataFrame:
    """Read a CSV/TSV (separator ``sep``, sniffed by default), Parquet, Feather or Excel table
    (``sheet``, the first by default), code columns as text.

    Files go through :func:`read_table` (UTF-8 or Latin-1, gzip; a row with
    missing or extra fields is an error naming the file and the line).
    """
    table = read_table(
        path,
        text_columns=lambda name: name.strip().lower() in CODE_COLUMNS,
        what=what,
        dictionary=False,
        sep=sep,
        sheet=sheet,
    )
    frame = table.data.to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        msg = f"{what} {path} has no rows."
        raise InputFormatError(msg)
    return frame
