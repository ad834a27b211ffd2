"""Shared helpers of the readers: loading a table as text, locating rows, checking columns."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import Locator, clean_column_name, column_case_hint
from .._locale import parse_numbers
from ..codes import CODE_PATTERN, as_code_index
from ..errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    describe_values,
)
from ..tables import read_frame, read_table, to_arrow

logger = logging.getLogger("aplcore.io")

Source = str | PathLike[str] | pd.DataFrame

_INTEGER_TEXT = re.compile(r"^\d{1,5}(?:\.0+)?$")


@dataclass
class Table:
    """A table read as text, with what is needed to point at its rows in messages."""

    frame: pd.DataFrame
    name: str
    #: number of the file line holding the first data row (None for Parquet files and frames)
    first_line: int | None
    #: whether the table was read from a file (named ``name``)
    from_file: bool = True

    @property
    def locator(self) -> Locator:
        """Where the rows of this table are, for messages (0-based positions in frames)."""
        name = self.name if self.from_file else None
        return Locator(name=name, first_line=self.first_line, label="position")

    def where(self, positions: Sequence[int] | np.ndarray) -> str:
        """``"lines 3, 7 of pop.csv"`` (text files) or ``"positions 0, 4"`` (0-based rows)."""
        return self.locator.where(positions)

    def truncation_hint(self, positions: Sequence[int] | np.ndarray) -> str:
        """A hint when the offending rows include the last one of a file."""
        if self.first_line is not None and len(self.frame) and len(self.frame) - 1 in positions:
            return " The last line is incomplete: the file looks truncated."
        return ""


def load_text_table(source: Source, *, what: str, sheet: str | int | None = None) -> Table:
    """Read a CSV/TSV, Parquet, Feather, Excel or JSON file (or take a table object) as text.

    Files are read by :func:`aplcore.tables.read_table`: CSV with the separator sniffed from the
    header (``;``, ``,``, tab or ``|``), UTF-8 (with or without BOM) or Latin-1, possibly
    compressed; parse errors name the file and the line. Cells of text files stay strings so
    that codes keep their leading zeros; numbers are converted later by :func:`to_numbers`.
    """
    if not isinstance(source, str | PathLike):
        if isinstance(source, pd.DataFrame):
            frame = source.reset_index() if _has_named_index(source) else source.copy()
        else:
            frame = to_arrow(source, what=what).to_pandas()
        frame.columns = [clean_column_name(c) for c in frame.columns]
        return Table(frame, what, None, from_file=False)
    path = Path(source)
    if not path.is_file():
        msg = (
            f"{what}: no such file {str(path)!r}; give the path of an existing CSV or Parquet file."
        )
        raise FileNotFoundError(msg)
    if path.suffix.lower() == ".json":
        try:
            frame = pd.read_json(path, dtype=False, orient="records")
        except ValueError as exc:
            msg = f"{what}: cannot read {path.name} as a JSON table ({exc})."
            raise InputFormatError(msg) from exc
        first_line = None
    else:
        try:
            table = read_table(path, all_text=True, what=f"{what}: {path.name}", sheet=sheet)
        except InputFormatError as exc:
            msg = f"{what}: {exc}"
            raise InputFormatError(msg) from exc
        frame = table.data.to_pandas()
        first_line = table.first_line
    frame.columns = [clean_column_name(c) for c in frame.columns]
    if frame.empty:
        msg = f"{what}: {path.name} has no data rows (columns {list(frame.columns)})."
        raise InputFormatError(msg)
    return Table(frame, path.name, first_line)


def _has_named_index(frame: pd.DataFrame) -> bool:
    return any(name is not None for name in frame.index.names)


def rename_columns(
    table: Table, columns: Mapping[str, str] | None, *, required: Sequence[str], what: str
) -> None:
    """Apply a ``{file column: canonical column}`` mapping and check required columns."""
    frame = table.frame
    if columns:
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            msg = (
                f"{what}: the columns {absent} named in columns= are not in {table.name}; "
                f"its columns are {list(frame.columns)}."
            )
            raise InputFormatError(msg)
        frame = table.frame = frame.rename(columns=dict(columns))
    missing = [c for c in required if c not in frame.columns]
    if missing:
        mapping = {"<your column>" if len(missing) == 1 else f"<your column {k}>": c
                   for k, c in enumerate(missing, 1)}  # fmt: skip
        msg = (
            f"{what}: {table.name} lacks the columns {missing}; its columns are "
            f"{list(frame.columns)[:12]}{' ...' if frame.shape[1] > 12 else ''}."
            f"{column_case_hint(missing, frame.columns)}"
        )
        fix = "Rename them or pass {param}."
        raise InputFormatError(msg, fix=fix, param="columns", value=mapping)


def read_codes(
    table: Table,
    column: str,
    *,
    what: str,
    repair: bool = True,
    unique: bool = False,
) -> pd.Index:
    """Read a column of commune codes as 5-character strings, reporting bad rows.

    Codes that lost their leading zero (``1001``, ``1001.0``) are zero-padded when ``repair`` is
    true and the repair is unambiguous: every value is a whole number of 4 or 5 digits and the
    padded codes do not collide with codes already present. The repair is logged as a warning and
    noted in ``table.frame.attrs["notes"]``.
    """
    raw = table.frame[column]
    missing = raw.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        msg = (
            f"{what}: the column {column!r} has missing commune codes at {table.where(rows)}."
            f"{table.truncation_hint(rows)} Every row needs a 5-character code such as '01001'."
        )
        raise CommuneCodeError(msg)
    if pd.api.types.is_numeric_dtype(raw):
        numbers = raw.to_numpy(dtype=float)
        text = pd.Series(
            [str(int(v)) if np.isfinite(v) and v == int(v) else str(v) for v in numbers],
            dtype=object,
        )
    else:
        text = raw.astype(str).str.strip()
    bad = ~text.str.fullmatch(CODE_PATTERN.pattern).to_numpy()
    if bad.any() and repair:
        looks_integer = text.str.fullmatch(_INTEGER_TEXT.pattern).to_numpy()
        digits = text.str.replace(r"\.0+$", "", regex=True)
        n_digits = digits.str.len().to_numpy()
        if looks_integer.all() and (n_digits >= 4).all():
            padded = digits.str.zfill(5)
            collide = padded.duplicated(keep=False).to_numpy() & ~text.duplicated(keep=False)
            if not collide.any():
                note = (
                    f"{column}: {int(bad.sum())} commune codes given as integers were zero-padded "
                    "to 5 characters (e.g. 1001 -> '01001')"
                )
                logger.warning("%s: %s", table.name, note)
                table.frame.attrs.setdefault("notes", []).append(note)
                text = padded
                bad = ~text.str.fullmatch(CODE_PATTERN.pattern).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)
        values = describe_values(text.iloc[rows].tolist())
        hint = ""
        if all(v.isdigit() and len(v) < 5 for v in text.iloc[rows[:20]]):
            hint = (
                " They look like codes that lost their leading zeros and cannot be repaired "
                "unambiguously (fewer than 4 digits, or padding would create duplicates):"
                " fix the file so that codes are text."
            )
        msg = (
            f"{what}: the column {column!r} must hold INSEE commune codes of 5 characters "
            f"(e.g. '01001', '2A004', '75101'); found {values} at {table.where(rows)}.{hint}"
        )
        raise CommuneCodeError(msg)
    index = pd.Index(text.to_numpy(dtype=object), dtype=object, name="code")
    if unique and index.has_duplicates:
        dup = index.duplicated(keep=False)
        rows = np.flatnonzero(dup)
        codes = index[dup].unique().tolist()
        msg = (
            f"{what}: each commune must appear once, found {len(codes)} duplicated codes "
            f"({describe_values(codes)}) at {table.where(rows)}. Aggregate or remove the "
            "repeated rows."
        )
        raise DuplicateError(msg)
    return index


def to_numbers(
    table: Table,
    column: str,
    *,
    what: str,
    minimum: float | None = 0.0,
    maximum: float | None = None,
    allow_missing: bool = False,
) -> np.ndarray:
    """Convert a text column to float64, reporting non-numbers and out-of-range values by row.

    Numbers in any usual locale are read (decimal commas, thousands separators; see
    :mod:`aplcore._locale`), and how is logged; values that could be read two ways are refused.
    """
    raw = table.frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        bad_text = np.zeros(len(values), dtype=bool)
    else:
        parsed = parse_numbers(raw.astype(object).where(raw.notna(), None))
        if parsed.problem:
            rows = parsed.problem_rows
            msg = f"{what}: the column {column!r}: {parsed.problem} ({table.where(rows)})."
            raise InvalidValueError(msg)
        values, bad_text = parsed.values, parsed.unreadable
        if parsed.notes:
            note = f"{column}: read with {' and '.join(parsed.notes)}"
            logger.warning("%s: %s", table.name, note)
            table.frame.attrs.setdefault("notes", []).append(note)
    missing = np.isnan(values) & ~bad_text
    if bad_text.any():
        rows = np.flatnonzero(bad_text)
        msg = (
            f"{what}: the column {column!r} must hold numbers; found "
            f"{describe_values(raw.iloc[rows].tolist())} at {table.where(rows)}: unreadable "
            "(a value that is not a number is not taken as missing: fix it, or leave the cell "
            "empty)."
        )
        raise InvalidValueError(msg)
    if missing.any() and not allow_missing:
        rows = np.flatnonzero(missing)
        msg = (
            f"{what}: the column {column!r} has missing values at {table.where(rows)}."
            f"{table.truncation_hint(rows)} Fill them (0 where there is nothing) or drop the rows."
        )
        raise InvalidValueError(msg)
    checks = []
    if minimum is not None:
        checks.append((values < minimum, f"at least {minimum:g}"))
    if maximum is not None:
        checks.append((values > maximum, f"at most {maximum:g}"))
    checks.append((np.isinf(values), "finite"))
    for bad, expected in checks:
        if bad.any():
            rows = np.flatnonzero(bad)
            msg = (
                f"{what}: the column {column!r} must be {expected}; found "
                f"{describe_values(values[rows].tolist())} at {table.where(rows)}."
            )
            raise InvalidValueError(msg)
    return values


def read_code_frame(path: Path, *, what: str) -> pd.DataFrame:
    """Read a table (see :func:`read_frame`) indexed by its ``code`` (or ``commune``) column."""
    return code_indexed(read_frame(path, what=what), what=what, path=path)


def code_indexed(frame: pd.DataFrame, *, what: str, path: Path) -> pd.DataFrame:
    """``frame`` indexed by its ``code`` (or ``commune``) column of commune codes, checked."""
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
