"""CSV files read by :mod:`pyarrow.csv`, whole or in batches, with one plan for both.

The plan (:class:`CsvPlan`) fixes the encoding, the separator, the columns read and their types;
:func:`read_csv` parses the whole file with it, :func:`iter_csv` block by block. Every failure
names the file and the line: rows with a wrong number of fields, text that is not in the
encoding, two encodings mixed, and a file cut short while written (inside a character or inside
its last value).
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from ._checks import clean_column_name, require_columns
from .errors import IncompleteFileWarning, InputFormatError

__all__ = ["SEPARATORS", "CsvRequest", "header_names", "iter_csv", "read_csv", "sniff_separator"]

logger = logging.getLogger("aplcore.tables")

#: Separators tried when sniffing a CSV header, in order of preference on ties.
SEPARATORS = (";", ",", "\t", "|")
_COMPRESSION = {".gz": gzip.open, ".bz2": bz2.open}


@dataclass(frozen=True)
class CsvRequest:
    """What to read from a CSV file: the columns, which of them as text, the format if known."""

    columns: Sequence[str] | None = None
    text_columns: Sequence[str] = ()
    all_text: bool = False
    hint: str = ""
    sep: str | None = None
    encoding: str | None = None
    #: text columns as dictionaries (whole reads of code columns)
    dictionary: bool = False


@dataclass(frozen=True)
class CsvPlan:
    """How pyarrow reads one CSV file: the same for a whole read and a batched one."""

    path: Path
    compression: str | None
    encoding: str
    delimiter: str
    read: Any
    parse: Any
    convert: Any
    #: rows with a wrong number of fields, collected while parsing (reported after)
    invalid: list[Any] = field(default_factory=list)

    @property
    def utf8(self) -> bool:
        return _is_utf8(self.encoding)

    def refuse_invalid_rows(self) -> None:
        """Raise the field-count error of the first invalid row, if any."""
        if self.invalid:
            lines = all_lines(self.path, self.compression, self.encoding)
            raise InputFormatError(
                _field_count_message(self.path, lines, self.delimiter, self.invalid),
                fix="or give the separator with {param} if it was not guessed right.",
                param="sep",
            )


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("-", "").lower() == "utf8"


def plan_csv(
    path: Path,
    compression: str | None,
    request: CsvRequest,
    *,
    encoding: str,
    head: bytes,
    block_size: int | None = None,
) -> CsvPlan:
    """The plan of a CSV file: its header read in ``encoding``, the columns checked."""
    header = header_line(head, encoding)
    excel = excel_separator(head)
    delimiter = request.sep or excel or sniff_separator(header)
    names = [clean_column_name(n) for n in header.split(delimiter)]
    if request.columns is not None:
        require_columns(names, request.columns, where=path.name, hint=request.hint)
    as_text = names if request.all_text else [c for c in request.text_columns if c in names]
    invalid: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        invalid.append(row)
        return "skip"

    # large strings: 64-bit offsets, as the code kernels read them (no conversion)
    text_type = pa.dictionary(pa.int32(), pa.string()) if request.dictionary else pa.large_string()
    block_size = block_size or _block_size(path, request.dictionary)
    read = pacsv.ReadOptions(
        encoding="utf8" if _is_utf8(encoding) else encoding,
        block_size=block_size,
        skip_rows=0 if excel is None else 1,
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid_row)
    convert = pacsv.ConvertOptions(
        include_columns=list(request.columns) if request.columns is not None else None,
        column_types=dict.fromkeys(as_text, text_type),
        null_values=[""],
        strings_can_be_null=True,
    )
    return CsvPlan(path, compression, encoding, delimiter, read, parse, convert, invalid)


def header_names(path: Path, compression: str | None, sep: str | None) -> list[str]:
    """The column names of a CSV file's header, read cheaply."""
    head = first_bytes(path, compression)
    header = header_line(head, "latin-1")
    delimiter = sep or excel_separator(head) or sniff_separator(header)
    return [clean_column_name(n) for n in header.split(delimiter)]


def read_csv(path: Path, compression: str | None, request: CsvRequest) -> pa.Table:
    """The whole file, in its encoding (UTF-8, else Latin-1 when not given), checked whole."""
    head = first_bytes(path, compression)
    _refuse_not_text(path, head, request.encoding)
    if compression is None and _is_utf8(request.encoding or "utf-8"):
        _refuse_cut_character(path, head)
    excel = excel_separator(head)
    if excel is not None:
        logger.info("%s: Excel's first line 'sep=%s' names the separator", path.name, excel)
    encodings = [request.encoding] if request.encoding else ["utf-8", "cp1252", "latin-1"]
    for position, encoding in enumerate(encodings):
        plan = plan_csv(path, compression, request, encoding=encoding, head=head)
        try:
            data = _parse_whole(plan)
        except _NotUtf8Error:
            if position + 1 < len(encodings):
                continue
            msg = f"{path.name} is not valid {encoding} text;"
            fix = "pass {param} (e.g. 'latin-1')."
            raise InputFormatError(msg, fix=fix, param="encoding") from None
        if position > 0:
            _refuse_mixed_encodings(path, compression)
            logger.warning("%s is not UTF-8: read as %s", path.name, encoding)
        return data
    raise AssertionError  # pragma: no cover - the loop returns or raises


def _refuse_not_text(path: Path, head: bytes, encoding: str | None) -> None:
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


def _parse_whole(plan: CsvPlan) -> pa.Table:
    path = plan.path
    try:
        data = pacsv.read_csv(
            csv_source(path, plan.compression),
            read_options=plan.read,
            parse_options=plan.parse,
            convert_options=plan.convert,
        )
    except UnicodeDecodeError as exc:  # bytes that this (non-UTF-8) encoding does not define
        raise _NotUtf8Error from exc
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "invalid UTF8" in text and plan.utf8:
            raise _NotUtf8Error from exc
        raise InputFormatError(_parse_error_message(path, text)) from exc
    except (OSError, EOFError) as exc:
        _refuse_unreadable_or_cut(path, plan.compression, exc)
    try:
        names = data.column_names
    except UnicodeDecodeError as exc:  # a header that is not UTF-8
        raise _NotUtf8Error from exc
    data = data.rename_columns([clean_column_name(c) for c in names])
    if plan.utf8 and any(pa.types.is_binary(t) for t in data.schema.types):
        raise _NotUtf8Error  # pyarrow keeps undecodable columns as bytes
    plan.refuse_invalid_rows()
    if plan.compression is None:
        _check_last_value_whole(path, plan.delimiter, plan.encoding, n_rows=data.num_rows)
    return data


def iter_csv(
    path: Path, compression: str | None, request: CsvRequest, *, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """The file block by block (bounded memory), with the plan of a whole read."""
    head = first_bytes(path, compression)
    encoding = request.encoding
    if encoding is None:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            # a cut inside a multi-byte character at the end of the sample is still UTF-8
            encoding = "utf-8" if exc.start > len(head) - 4 else "latin-1"
    # about 40 bytes per O-D row: blocks of ``batch_rows`` rows
    block_size = max(1 << 20, batch_rows * 40)
    plan = plan_csv(path, compression, request, encoding=encoding, head=head, block_size=block_size)
    try:
        reader = pacsv.open_csv(
            csv_source(path, compression),
            read_options=plan.read,
            parse_options=plan.parse,
            convert_options=plan.convert,
        )
        for batch in reader:
            if plan.invalid:
                break
            yield batch
    except pa.ArrowInvalid as exc:
        raise InputFormatError(_parse_error_message(path, str(exc))) from exc
    except (OSError, EOFError) as exc:
        _refuse_unreadable_or_cut(path, compression, exc)
    plan.refuse_invalid_rows()


def _refuse_unreadable_or_cut(path: Path, compression: str | None, exc: BaseException) -> None:
    refuse_unreadable(path, exc)
    msg = f"cannot read {path.name} ({exc}): the file is truncated or not {compression}."
    raise InputFormatError(msg) from exc


def refuse_unreadable(path: Path, exc: BaseException) -> None:
    """A file that cannot be opened is not "truncated": say what stops the reading."""
    text = str(exc)
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        msg = f"cannot read {path.name}: permission denied. Check the file's permissions."
        raise InputFormatError(msg) from exc
    if isinstance(exc, IsADirectoryError) or "Is a directory" in text:
        msg = f"{path} is a folder, not a table file."
        raise InputFormatError(msg) from exc


def csv_source(path: Path, compression: str | None) -> Any:
    """What pyarrow reads: the path (it decompresses .gz and .bz2 itself) or the zip member."""
    if compression == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                msg = f"{path.name} must hold exactly one CSV file, found {len(members)} files."
                raise InputFormatError(msg)
            return io.BytesIO(archive.read(members[0]))
    return str(path)


def first_bytes(path: Path, compression: str | None, size: int = 1 << 16) -> bytes:
    """The first bytes of a (possibly compressed) text file."""
    try:
        if compression == ".zip":
            return csv_source(path, compression).read(size)
        opener = _COMPRESSION.get(compression or "", open)
        with opener(path, "rb") as stream:
            return stream.read(size)
    except (OSError, EOFError) as exc:
        refuse_unreadable(path, exc)
        msg = f"cannot read {path.name} ({exc}): the file is truncated or not {compression}."
        raise InputFormatError(msg) from exc


def all_lines(path: Path, compression: str | None, encoding: str) -> list[str]:
    """Every line of the file, decoded (error messages only)."""
    if compression == ".zip":
        raw = csv_source(path, compression).read()
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


#: Excel's first line naming the separator (``sep=;``), before the header.
_EXCEL_SEP = re.compile(rb"^(?:\xef\xbb\xbf)?sep=(.)\r?$")


def excel_separator(raw: bytes) -> str | None:
    """The separator an Excel ``sep=;`` first line names, or None when there is no such line."""
    end = raw.find(b"\n")
    found = _EXCEL_SEP.match(raw[: end if end >= 0 else len(raw)])
    return found.group(1).decode("latin-1") if found else None


def header_line(raw: bytes, encoding: str) -> str:
    """The header line (below Excel's ``sep=`` line when there is one), without a BOM."""
    if excel_separator(raw) is not None:
        raw = raw[raw.find(b"\n") + 1 :]
    end = raw.find(b"\n")
    line = raw[: end if end >= 0 else len(raw)]
    text = line.decode(encoding, errors="replace")
    return text.lstrip("\ufeff").rstrip("\r")


class _NotUtf8Error(Exception):
    pass


#: A UTF-8 encoded accented letter (two bytes), which Latin-1 would read as two letters ('Ã©').
_UTF8_PAIR = re.compile(rb"[\xc2-\xdf][\x80-\xbf]")


def _refuse_mixed_encodings(path: Path, compression: str | None) -> None:
    """A file that is not UTF-8 but holds UTF-8 letters mixes two encodings: reading it as
    Latin-1 would silently turn the UTF-8 letters into two characters each ('Ã©' for 'é')."""
    lines = all_lines(path, compression, "latin-1")
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
