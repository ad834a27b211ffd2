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

import bz2
import gzip
import io
import logging
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ._paths import refuse_special_file
from .errors import IncompleteFileWarning, InputFormatError, describe_values

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CODE_COLUMNS",
    "TableData",
    "code_indexed",
    "column_names",
    "iter_batches",
    "read_code_frame",
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

#: Separators tried when sniffing a CSV header, in order of preference on ties.
SEPARATORS = (";", ",", "\t", "|")
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
_COMPRESSION = {".gz": gzip.open, ".bz2": bz2.open}


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

    def where(self, rows: Sequence[int] | np.ndarray) -> str:
        """``"lines 3, 7 of od.csv"`` for text files, ``"rows 0, 4 of od.parquet"`` otherwise."""
        rows = [int(r) for r in rows]
        if self.first_line is None:
            label = "row" if len(rows) == 1 else "rows"
            place = f" of {self.name}" if self.path is not None else ""
            return f"{label} {describe_values(rows)}{place}"
        label = "line" if len(rows) == 1 else "lines"
        return f"{label} {describe_values([r + self.first_line for r in rows])} of {self.name}"


def read_table(
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
        return _read_file(
            Path(source),
            columns=columns,
            text_columns=text_columns,
            all_text=all_text,
            what=what,
            hint=hint,
            sep=sep,
            encoding=encoding,
            sheet=sheet,
            dictionary=dictionary,
            csv_dictionary=csv_dictionary,
        )
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
    data = data.rename_columns([str(c).strip() for c in data.column_names])
    if columns is None:
        return data
    require_columns(data.column_names, columns, where=where, hint=hint)
    return data.select(list(columns))


def require_columns(
    available: Sequence[str], columns: Sequence[str], *, where: str, hint: str = ""
) -> None:
    """Raise :class:`InputFormatError` naming the ``columns`` absent from ``available``."""
    missing = [c for c in columns if c not in available]
    if missing:
        shown = list(available)[:12]
        more = " ..." if len(available) > 12 else ""
        msg = f"{where} lacks the columns {missing}; its columns are {shown}{more}."
        # a ``{param}`` hint names the arguments that choose the columns (origin=, ...)
        param = "origin" if "{param}" in hint else None
        raise InputFormatError(msg, fix=hint.strip() or None, param=param)


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
    header = _header_line(_first_bytes(path, compression), "latin-1")
    delimiter = sep if sep is not None else sniff_separator(header)
    return [n.strip().strip('"') for n in header.split(delimiter)]


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
        yield from _csv_batches(
            path, compression, columns, text_columns, sep=sep, encoding=encoding, hint=hint,
            batch_rows=batch_rows,
        )  # fmt: skip
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
        _refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} as Parquet ({exc}). The file may be truncated."
        raise InputFormatError(msg) from exc


def _refuse_unreadable(path: Path, exc: BaseException) -> None:
    """A file that cannot be opened is not "truncated": say what stops the reading."""
    text = str(exc)
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        msg = f"cannot read {path.name}: permission denied. Check the file's permissions."
        raise InputFormatError(msg) from exc
    if isinstance(exc, IsADirectoryError) or "Is a directory" in text:
        msg = f"{path} is a folder, not a table file."
        raise InputFormatError(msg) from exc


def _csv_batches(
    path: Path,
    compression: str | None,
    columns: Sequence[str],
    text_columns: list[str],
    *,
    sep: str | None,
    encoding: str | None,
    hint: str,
    batch_rows: int,
) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pacsv

    head = _first_bytes(path, compression)
    if encoding is None:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            # a cut inside a multi-byte character at the end of the sample is still UTF-8
            encoding = "utf-8" if exc.start > len(head) - 4 else "latin-1"
    header = _header_line(head, encoding)
    delimiter = sep if sep is not None else sniff_separator(header)
    names = [n.strip().strip('"') for n in header.split(delimiter)]
    require_columns(names, columns, where=path.name, hint=hint)
    invalid: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        invalid.append(row)
        return "skip"

    utf8 = encoding.replace("-", "").lower() == "utf8"
    # about 40 bytes per O-D row: blocks of ``batch_rows`` rows
    read = pacsv.ReadOptions(
        encoding="utf8" if utf8 else encoding, block_size=max(1 << 20, batch_rows * 40)
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid_row)
    convert = pacsv.ConvertOptions(
        include_columns=list(columns),
        column_types=dict.fromkeys([c for c in text_columns if c in names], pa.string()),
        null_values=[""],
        strings_can_be_null=True,
    )
    try:
        reader = pacsv.open_csv(
            _csv_source(path, compression),
            read_options=read,
            parse_options=parse,
            convert_options=convert,
        )
        for batch in reader:
            if invalid:
                break
            yield batch
    except pa.ArrowInvalid as exc:
        raise InputFormatError(_parse_error_message(path, str(exc))) from exc
    except (OSError, EOFError) as exc:
        _refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} ({exc}): the file is truncated or not {compression}."
        raise InputFormatError(msg) from exc
    if invalid:
        lines = _all_lines(path, compression, encoding)
        raise InputFormatError(
            _field_count_message(path, lines, delimiter, invalid),
            fix="or give the separator with {param} if it was not guessed right.",
            param="sep",
        )


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
    path: Path,
    *,
    columns: Sequence[str] | None,
    text_columns: list[str],
    all_text: bool,
    what: str,
    hint: str,
    sep: str | None,
    encoding: str | None,
    sheet: str | int | None,
    dictionary: bool,
    csv_dictionary: bool = False,
) -> TableData:
    kind, compression = _kind(path)
    if not path.is_file():
        refuse_special_file(path, what=what)
        msg = f"{what}: no such file {str(path)!r}; give the path of an existing file."
        raise FileNotFoundError(msg)
    where = f"{path.name}"
    if kind == "parquet":
        data = _read_parquet(
            path, columns, text_columns, where=where, hint=hint, dictionary=dictionary
        )
        first_line = None
    elif kind == "feather":
        data = _read_feather(path, columns, where=where, hint=hint)
        first_line = None
    elif kind == "excel":
        data = _read_excel(
            path, columns, text_columns, all_text=all_text, sheet=sheet, where=where, hint=hint
        )
        first_line = 2
    else:
        data = _read_csv(
            path,
            compression,
            columns=columns,
            text_columns=text_columns,
            all_text=all_text,
            sep=sep,
            encoding=encoding,
            where=where,
            hint=hint,
            dictionary=csv_dictionary,
        )
        first_line = 2
    if all_text:
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
        _refuse_unreadable(path, exc)
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
        _refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} as Parquet ({exc}). The file may be truncated."
        raise InputFormatError(msg) from exc


def _read_feather(path: Path, columns: Sequence[str] | None, *, where: str, hint: str) -> pa.Table:
    import pyarrow.feather as feather

    try:
        data = feather.read_table(path, memory_map=True)
    except (pa.ArrowException, OSError) as exc:
        _refuse_unreadable(path, exc)
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


def _csv_source(path: Path, compression: str | None) -> Any:
    """What pyarrow reads: the path (it decompresses .gz and .bz2 itself) or the zip member."""
    if compression == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                msg = f"{path.name} must hold exactly one CSV file, found {len(members)} files."
                raise InputFormatError(msg)
            return io.BytesIO(archive.read(members[0]))
    return str(path)


def _first_bytes(path: Path, compression: str | None, size: int = 1 << 16) -> bytes:
    """The first bytes of a (possibly compressed) text file."""
    try:
        if compression == ".zip":
            return _csv_source(path, compression).read(size)
        opener = _COMPRESSION.get(compression or "", open)
        with opener(path, "rb") as stream:
            return stream.read(size)
    except (OSError, EOFError) as exc:
        _refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} ({exc}): the file is truncated or not {compression}."
        raise InputFormatError(msg) from exc


def _all_lines(path: Path, compression: str | None, encoding: str) -> list[str]:
    """Every line of the file, decoded (error messages only)."""
    if compression == ".zip":
        raw = _csv_source(path, compression).read()
    else:
        opener = _COMPRESSION.get(compression or "", open)
        with opener(path, "rb") as stream:
            raw = stream.read()
    return raw.decode(encoding, errors="replace").splitlines()


def sniff_separator(header: str) -> str:
    """The most frequent of ``;``, ``,``, tab and ``|`` in a header line (``,`` if none)."""
    counts = {s: header.count(s) for s in SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _header_line(raw: bytes, encoding: str) -> str:
    end = raw.find(b"\n")
    line = raw[: end if end >= 0 else len(raw)]
    text = line.decode(encoding, errors="replace")
    return text.lstrip("\ufeff").rstrip("\r")


def _read_csv(
    path: Path,
    compression: str | None,
    *,
    columns: Sequence[str] | None,
    text_columns: list[str],
    all_text: bool,
    sep: str | None,
    encoding: str | None,
    where: str,
    hint: str,
    dictionary: bool = False,
) -> pa.Table:
    head = _first_bytes(path, compression)
    if not head.strip():
        msg = f"{path.name} is empty: expected a header line, then one row per line."
        raise InputFormatError(msg)
    if not encoding and b"\x00" in head:
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        found = "UTF-16 text" if utf16 else "NUL bytes: a binary file or UTF-16 text"
        msg = (
            f"{path.name} is not a UTF-8 or Latin-1 text table (found {found}). Save it as "
            "CSV UTF-8, or give the table as Parquet or Excel."
        )
        raise InputFormatError(msg)
    if compression is None and (encoding or "utf-8").replace("-", "").lower() == "utf8":
        _refuse_cut_character(path, head)
    encodings = [encoding] if encoding else ["utf-8", "latin-1"]
    for position, enc in enumerate(encodings):
        try:
            data = _parse_csv(
                path,
                compression,
                _header_line(head, enc),
                columns=columns,
                text_columns=text_columns,
                all_text=all_text,
                sep=sep,
                encoding=enc,
                where=where,
                hint=hint,
                dictionary=dictionary,
            )
        except _NotUtf8Error:
            if position + 1 < len(encodings):
                continue
            msg = f"{path.name} is not valid {enc} text;"
            fix = "pass {param} (e.g. 'latin-1')."
            raise InputFormatError(msg, fix=fix, param="encoding") from None
        if position > 0:
            _refuse_mixed_encodings(path, compression)
            logger.warning("%s is not UTF-8: read as %s", path.name, enc)
        return data
    raise AssertionError  # pragma: no cover - the loop returns or raises


class _NotUtf8Error(Exception):
    pass


#: A UTF-8 encoded accented letter (two bytes), which Latin-1 would read as two letters ('Ã©').
_UTF8_PAIR = re.compile(rb"[\xc2-\xdf][\x80-\xbf]")


def _refuse_mixed_encodings(path: Path, compression: str | None) -> None:
    """A file that is not UTF-8 but holds UTF-8 letters mixes two encodings: reading it as
    Latin-1 would silently turn the UTF-8 letters into two characters each ('Ã©' for 'é')."""
    lines = _all_lines(path, compression, "latin-1")
    raw_lines = [line.encode("latin-1") for line in lines]
    utf8 = [k for k, raw in enumerate(raw_lines, 1) if _UTF8_PAIR.search(raw)]
    if not utf8:
        return
    other = [k for k, raw in enumerate(raw_lines, 1) if _not_utf8(raw)]
    msg = (
        f"{path.name} mixes encodings: line {utf8[0]} is UTF-8 text and line "
        f"{other[0] if other else '?'} is not (Latin-1 or Windows-1252). Save the whole file in "
        "one encoding (UTF-8)."
    )
    raise InputFormatError(msg)


def _refuse_cut_character(path: Path, head: bytes) -> None:
    """A UTF-8 file that ends in the middle of a character was cut short while written."""
    size = path.stat().st_size
    with open(path, "rb") as stream:
        stream.seek(max(0, size - 4))
        tail = stream.read()
    while tail and 0x80 <= tail[0] <= 0xBF:  # the window may start inside a character
        tail = tail[1:]
    try:
        tail.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut = exc.reason == "unexpected end of data" and exc.end == len(tail)
        cut_at = size - len(tail) + exc.start  # position of the incomplete character
        before = head[:cut_at] if cut_at <= len(head) else head + tail[: exc.start]
        # UTF-8 elsewhere in the file, or no other non-ASCII byte: not a Latin-1 text
        if cut and (_UTF8_PAIR.search(before) or max(before, default=0) < 0x80):
            msg = (
                f"{path.name} ends in the middle of a character: it was cut short while "
                "written. Write or download the file again."
            )
            raise InputFormatError(msg) from None


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _parse_csv(
    path: Path,
    compression: str | None,
    header: str,
    *,
    columns: Sequence[str] | None,
    text_columns: list[str],
    all_text: bool,
    sep: str | None,
    encoding: str,
    where: str,
    hint: str,
    dictionary: bool = False,
) -> pa.Table:
    import pyarrow.csv as pacsv

    delimiter = sep if sep is not None else sniff_separator(header)
    names = [n.strip().strip('"') for n in header.split(delimiter)]
    if columns is not None:
        require_columns(names, columns, where=where, hint=hint)
    as_text = names if all_text else [c for c in text_columns if c in names]
    invalid: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        invalid.append(row)
        return "skip"

    utf8 = encoding.replace("-", "").lower() == "utf8"
    read = pacsv.ReadOptions(
        encoding="utf8" if utf8 else encoding, block_size=_block_size(path, dictionary)
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid_row)
    # large strings: 64-bit offsets, as the code kernels read them (no conversion)
    text_type = pa.dictionary(pa.int32(), pa.string()) if dictionary else pa.large_string()
    convert = pacsv.ConvertOptions(
        include_columns=list(columns) if columns is not None else None,
        column_types=dict.fromkeys(as_text, text_type),
        null_values=[""],
        strings_can_be_null=True,
    )
    try:
        data = pacsv.read_csv(
            _csv_source(path, compression),
            read_options=read,
            parse_options=parse,
            convert_options=convert,
        )
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "invalid UTF8" in text and utf8:
            raise _NotUtf8Error from exc
        raise InputFormatError(_parse_error_message(path, text)) from exc
    except (OSError, EOFError) as exc:
        _refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} ({exc}): the file is truncated or not {compression}."
        raise InputFormatError(msg) from exc
    try:
        names = data.column_names
    except UnicodeDecodeError as exc:  # a header that is not UTF-8
        raise _NotUtf8Error from exc
    data = data.rename_columns([c.strip() for c in names])
    if utf8 and any(pa.types.is_binary(t) for t in data.schema.types):
        raise _NotUtf8Error  # pyarrow keeps undecodable columns as bytes
    if invalid:
        lines = _all_lines(path, compression, encoding)
        raise InputFormatError(
            _field_count_message(path, lines, delimiter, invalid),
            fix="or give the separator with {param} if it was not guessed right.",
            param="sep",
        )
    if compression is None:
        _check_last_value_whole(path, delimiter, encoding, n_rows=data.num_rows)
    return data


#: CSV blocks: at most this large (few chunks for the code kernels), at least this small.
LARGEST_BLOCK = 1 << 24
SMALLEST_BLOCK = 1 << 20


def _block_size(path: Path, dictionary: bool) -> int:
    """Bytes per CSV block: about eight blocks per core (pyarrow parses blocks in parallel),
    within [1 MiB, 16 MiB]; 16 MiB with dictionaries, which are built once per block."""
    if dictionary:
        return LARGEST_BLOCK
    per_block = path.stat().st_size // (8 * (os.cpu_count() or 1))
    return int(min(LARGEST_BLOCK, max(SMALLEST_BLOCK, per_block)))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _why_cut(last: str, others: list[str]) -> str | None:
    """Why the last value of a file without a final line break looks cut short (or None)."""
    if not last:
        return "the last value is empty"
    if others and len(last) < min(len(v) for v in others):
        return (
            f"the last value {last!r} is shorter than that column on the lines before (at "
            f"least {min(len(v) for v in others)} characters, e.g. {others[-1]!r})"
        )
    if last[-1] in ".eE+-" and others and all(_is_number(v) for v in others):
        return f"the last value {last!r} is a number cut short"
    return None


def _check_last_value_whole(path: Path, delimiter: str, encoding: str, *, n_rows: int) -> None:
    """Refuse a file cut inside its last value (``...,2`` for ``...,25.0``), flag a doubtful one.

    A file written whole ends with a line break. Without one, the last line is refused when its
    last value is empty, shorter than that column on every line before, or a number cut after
    its point (the other fields are whole: a missing one is a field-count error); otherwise a
    warning says the last line may be incomplete (no reader can tell '11.7' from '11.75' cut).
    """
    size = path.stat().st_size
    with open(path, "rb") as stream:
        stream.seek(max(0, size - (1 << 14)))
        tail = stream.read()
    if not tail or tail.endswith((b"\n", b"\r")) or n_rows == 0:
        return
    whole = size <= (1 << 14)
    # drop the header (whole file) or the first line read, which may be partial
    lines = tail.decode(encoding, errors="replace").splitlines()[1:]
    if not lines:
        return
    last = lines[-1].split(delimiter)[-1].strip().strip('"')
    others = [line.split(delimiter)[-1].strip().strip('"') for line in lines[-51:-1]]
    others = [v for v in others if v]
    where = f"line {len(lines) + 1}" if whole else "the last line"
    reason = _why_cut(last, others)
    if reason is None:
        msg = (
            f"{path.name} does not end with a line break: if it was cut short while written, "
            f"its last line ({where}: {lines[-1][-60:]!r}) may be incomplete."
        )
        warnings.warn(msg, IncompleteFileWarning, stacklevel=6)
        return
    msg = (
        f"{path.name}, {where}: {reason}, and the file does not end with a line break: it looks "
        "cut short while written. Write or download the file again."
    )
    raise InputFormatError(msg)


def _field_count_message(path: Path, lines: list[str], delimiter: str, invalid: list[Any]) -> str:
    first = invalid[0]
    line = first.number
    if line is None:
        target = first.text.rstrip("\r")
        line = next((k for k, t in enumerate(lines, 1) if t.rstrip("\r") == target), None)
    n_lines = len(lines)
    while n_lines and not lines[n_lines - 1].strip():
        n_lines -= 1
    where = f"line {line}" if line is not None else "a line"
    truncated = ""
    if line is not None and line == n_lines and first.actual_columns < first.expected_columns:
        truncated = " This is the last line: the file looks truncated (cut short while written)."
    more = f" ({len(invalid)} such lines in all)" if len(invalid) > 1 else ""
    shown = first.text if len(first.text) <= 80 else first.text[:77] + "..."
    sep_name = {"\t": "tab", ";": "';'", ",": "','", "|": "'|'"}.get(delimiter, repr(delimiter))
    return (
        f"{path.name}, {where}: expected {first.expected_columns} fields separated by {sep_name}, "
        f"found {first.actual_columns}: {shown!r}{more}.{truncated} Fix the line"
    )


def _parse_error_message(path: Path, text: str) -> str:
    column = ""
    if "In CSV column #" in text:
        number = text.split("In CSV column #", 1)[1].split(":", 1)[0]
        if number.strip().isdigit():
            column = f", column {int(number) + 1}"
    return (
        f"cannot read {path.name}{column} as CSV ({text}). Expected a header line, then one row "
        "per line with the same number of fields: the file may be truncated (an unclosed quote) "
        "or in another format."
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


def read_code_frame(path: Path, *, what: str) -> pd.DataFrame:
    """Read a table (see :func:`read_frame`) indexed by its ``code`` (or ``commune``) column."""
    return code_indexed(read_frame(path, what=what), what=what, path=path)


def code_indexed(frame: pd.DataFrame, *, what: str, path: Path) -> pd.DataFrame:
    from .codes import as_code_index

    if frame.index.name in ("code", "commune"):
        frame = frame.reset_index()
    for column in ("code", "commune"):
        if column in frame.columns:
            frame = frame.set_index(column)
            break
    else:
        msg = (
            f"{what} {path} needs a 'code' (or 'commune') column of commune codes; found "
            f"columns {', '.join(map(str, frame.columns))}."
        )
        raise InputFormatError(msg)
    frame.index = as_code_index(frame.index, what=f"commune codes of {path.name}")
    frame.index.name = "code"
    return frame
