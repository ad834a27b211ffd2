"""The DREES APL workbook for GPs: the ``APL YYYY`` sheets and the ``Paramètres`` sheet.

Layout of an ``APL YYYY`` sheet (national file and regional extracts alike): title and notes
lines, a header line starting with ``Code commune INSEE``, a units line, then one row per commune
(Paris, Lyon and Marseille by arrondissement municipal). The header is located by its first cell,
not by a fixed line number. Reading ``.xlsx`` needs openpyxl (the ``xlsx`` extra).
"""

from __future__ import annotations

import csv
import logging
import math
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..codes import CODE_PATTERN
from ..errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    describe_values,
)
from .population import AGE_BANDS

__all__ = ["APL_COLUMNS", "read_drees_apl", "read_drees_parameters"]

logger = logging.getLogger(__name__)

#: Output columns of :func:`read_drees_apl` (index: ``code``).
APL_COLUMNS = ("name", "apl", "apl_65", "pop_std", "pop_total")

# header cell prefixes, in order, and the column each becomes
_HEADER = (
    ("Code commune INSEE", "code"),
    ("Commune", "name"),
    ("APL aux médecins généralistes", "apl"),
    ("APL aux médecins généralistes de moins de 65 ans", "apl_65"),
    ("Population standardisée", "pop_std"),
    ("Population totale", "pop_total"),
)
_HEADER_SEARCH_ROWS = 40


def _load_workbook(path: Path) -> Any:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - depends on the installation
        msg = (
            "reading the DREES .xlsx workbook needs openpyxl: pip install 'aplcore[xlsx]' "
            "(or pip install openpyxl)."
        )
        raise ImportError(msg) from exc
    if not path.is_file():
        msg = f"DREES APL workbook: no such file {str(path)!r}."
        raise FileNotFoundError(msg)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        msg = (
            f"cannot open {path.name} as an .xlsx workbook ({exc}). Expected the DREES APL "
            "workbook (sheets 'Paramètres', 'APL 2022', 'APL 2023', ...)."
        )
        raise InputFormatError(msg) from exc


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def read_drees_apl(path: str | PathLike[str], year: int = 2023) -> pd.DataFrame:
    """Read the ``APL <year>`` sheet of the DREES GP APL workbook.

    Parameters
    ----------
    path
        The ``.xlsx`` workbook (national file or a regional extract).
    year
        The APL year (sheet ``APL <year>``; populations are those of ``year - 2``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (5-character commune codes, in sheet order), columns ``name``,
        ``apl`` (all GPs), ``apl_65`` (GPs aged 65 or less, the zoning variant), ``pop_std``
        (standardised population) and ``pop_total`` (total population), floats. ``attrs`` holds
        the file, sheet, year and population year.

    Raises
    ------
    InputFormatError
        Missing sheet, header not found or with unexpected columns, no data rows.
    CommuneCodeError
        Codes that are numbers or not INSEE codes (with their sheet row numbers).
    InvalidValueError
        Missing, non-numeric or negative values (with their sheet row numbers).
    DuplicateError
        A commune listed twice.
    """
    path = Path(path)
    workbook = _load_workbook(path)
    sheet_name = f"APL {year}"
    try:
        if sheet_name not in workbook.sheetnames:
            msg = (
                f"{path.name} has no sheet {sheet_name!r}; its sheets are "
                f"{describe_values(workbook.sheetnames, limit=10)}. Pick year= among the "
                "'APL YYYY' sheets."
            )
            raise InputFormatError(msg)
        rows = list(workbook[sheet_name].iter_rows(values_only=True))
    finally:
        workbook.close()
    where = f"sheet {sheet_name!r} of {path.name}"
    header_at, pop_year = _header(rows, where=where, year=year)
    start = header_at + 1
    if start < len(rows) and not _text(rows[start][0]) and _text(rows[start][2]).startswith("En"):
        start += 1  # units line
    data = [
        (i + 1, row)
        for i, row in enumerate(rows[start:], start=start)
        if row and any(c is not None and _text(c) != "" for c in row[: len(_HEADER)])
    ]
    if not data:
        msg = f"{where}: no commune rows after the header (line {header_at + 1})."
        raise InputFormatError(msg)
    lines = np.array([line for line, _ in data])
    cells = [list(row[: len(_HEADER)]) + [None] * (len(_HEADER) - len(row)) for _, row in data]
    text_codes = _codes([c[0] for c in cells], lines, where=where)
    out = pd.DataFrame(index=pd.Index(text_codes, dtype=object, name="code"))
    out["name"] = [_text(c[1]) for c in cells]
    for j, (label, column) in enumerate(_HEADER[2:], start=2):
        out[column] = _numbers([c[j] for c in cells], lines, where=where, what=label)
    dup = out.index.duplicated(keep=False)
    if dup.any():
        msg = (
            f"{where}: communes listed more than once: "
            f"{describe_values(sorted(set(out.index[dup])))} on lines "
            f"{describe_values(lines[dup].tolist())}. Keep one row per commune."
        )
        raise DuplicateError(msg)
    out.attrs.update(
        {
            "source": str(path),
            "sheet": sheet_name,
            "year": year,
            "population_year": int(pop_year.group(1)) if pop_year else None,
        }
    )
    logger.info("%s: %d communes", where, len(out))
    return out


def _header(rows: list[Any], *, where: str, year: int) -> tuple[int, re.Match[str] | None]:
    """Row of the DREES header (checked column by column) and the year of its populations."""
    header_at = next(
        (
            i
            for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS])
            if row and _text(row[0]) == _HEADER[0][0]
        ),
        None,
    )
    if header_at is None:
        msg = (
            f"{where}: no header line starting with {_HEADER[0][0]!r} in the first "
            f"{_HEADER_SEARCH_ROWS} rows. Expected the DREES layout: title lines, the header, a "
            "units line, then one row per commune."
        )
        raise InputFormatError(msg)
    header = [_text(c) for c in rows[header_at][: len(_HEADER)]]
    header += [""] * (len(_HEADER) - len(header))
    bad = [
        (j + 1, expected, found)
        for j, ((expected, _), found) in enumerate(zip(_HEADER, header, strict=True))
        if not found.startswith(expected)
    ]
    if bad:
        msg = (
            f"{where}, line {header_at + 1}: unexpected header (column, expected start, found): "
            f"{describe_values(bad)}. Expected columns {describe_values([h for h, _ in _HEADER])}."
        )
        raise InputFormatError(msg)
    pop_year = re.search(r"(\d{4})", header[5])
    if pop_year and int(pop_year.group(1)) != year - 2:
        logger.warning(
            "%s: populations of %s for APL %d (DREES uses year - 2 = %d)",
            where,
            pop_year.group(1),
            year,
            year - 2,
        )
    return header_at, pop_year


def _codes(codes: list[object], lines: np.ndarray, *, where: str) -> list[str]:
    """The commune codes of the data rows, as text; numbers and other forms refused."""
    numeric_codes = [i for i, c in enumerate(codes) if isinstance(c, int | float)]
    if numeric_codes:
        msg = (
            f"{where}: commune codes stored as numbers on lines "
            f"{describe_values(lines[numeric_codes].tolist())} (values "
            f"{describe_values([codes[i] for i in numeric_codes])}): leading zeros may be lost. "
            "Store the code column as text in the workbook."
        )
        raise CommuneCodeError(msg)
    text_codes = [_text(c) for c in codes]
    invalid = [i for i, c in enumerate(text_codes) if not CODE_PATTERN.match(c)]
    if invalid:
        msg = (
            f"{where}: invalid commune codes on lines {describe_values(lines[invalid].tolist())}: "
            f"{describe_values([text_codes[i] for i in invalid])}. Expected 5-character INSEE "
            "codes such as '18001' or '2A004'."
        )
        raise CommuneCodeError(msg)
    return text_codes


def _numbers(values: list[object], lines: np.ndarray, *, where: str, what: str) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    bad: list[int] = []
    for i, v in enumerate(values):
        try:
            number = float(str(v).replace(",", ".").replace("\u202f", "").replace(" ", ""))
        except (TypeError, ValueError):
            number = math.nan
        if v is None or isinstance(v, bool) or not math.isfinite(number) or number < 0:
            bad.append(i)
        out[i] = number
    if bad:
        msg = (
            f"{where}: column {what!r} must hold non-negative numbers; found "
            f"{describe_values([values[i] for i in bad])} on lines "
            f"{describe_values(lines[bad].tolist())}."
        )
        raise InvalidValueError(msg)
    return out


def _parameter_rows(source: str | PathLike[str]) -> tuple[list[list[str]], str]:
    path = Path(source)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        workbook = _load_workbook(path)
        try:
            name = next((s for s in workbook.sheetnames if s.startswith("Param")), None)
            if name is None:
                msg = (
                    f"{path.name} has no 'Paramètres' sheet; its sheets are "
                    f"{describe_values(workbook.sheetnames, limit=10)}."
                )
                raise InputFormatError(msg)
            rows = [[_text(c) for c in row] for row in workbook[name].iter_rows(values_only=True)]
        finally:
            workbook.close()
        return rows, f"sheet {name!r} of {path.name}"
    if not path.is_file():
        msg = f"DREES parameters: no such file {str(path)!r}."
        raise FileNotFoundError(msg)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = [[c.strip() for c in row] for row in csv.reader(handle)]
    return rows, path.name


def _number(text: str) -> float:
    return float(re.sub(r"[\s\u202f\u00a0]", "", text).replace(",", "."))


@dataclass(frozen=True)
class _ParameterSheet:
    """The rows of the DREES 'Paramètres' sheet, with the lookups its sections need."""

    rows: list[list[str]]
    where: str

    @property
    def first(self) -> list[str]:
        return [r[0] if r else "" for r in self.rows]

    def find(self, prefix: str, *, start: int = 0) -> int:
        first = self.first
        for i in range(start, len(self.rows)):
            if first[i].lower().startswith(prefix.lower()):
                return i
        msg = (
            f"{self.where}: no row starting with {prefix!r}; is this the DREES 'Paramètres' sheet?"
        )
        raise InputFormatError(msg)

    def cell(self, i: int, j: int) -> str:
        return self.rows[i][j] if j < len(self.rows[i]) else ""

    def number(self, i: int, j: int, what: str) -> float:
        try:
            return _number(self.cell(i, j))
        except ValueError as exc:
            msg = f"{self.where}, row {i + 1}: {what} must be a number, found {self.cell(i, j)!r}."
            raise InputFormatError(msg) from exc

    def numbers_in(self, i: int) -> list[float]:
        return [_number(m) for m in re.findall(r"\d[\d\s\u202f\u00a0]*\d|\d", self.first[i])]


def _activity(sheet: _ParameterSheet) -> dict[str, Any]:
    """The counting rule of a GP's activity: zero below, floor, cap, new installations."""
    zero_row = sheet.find("Moins de")
    floor_row = sheet.find("Entre", start=zero_row)
    cap_row = sheet.find("Plus de", start=zero_row)
    exceptions = sheet.first[sheet.find("Exceptions")]
    new_install = re.search(r"offre de ([\d\s\u202f\u00a0]+) consultations", exceptions)
    if new_install is None:
        msg = f"{sheet.where}: cannot read the activity imputed to new GPs in {exceptions[:80]!r}."
        raise InputFormatError(msg)
    return {
        "zero_below": sheet.numbers_in(zero_row)[0],
        "floor_from": sheet.numbers_in(floor_row)[0],
        "floor": sheet.number(floor_row, 1, "the activity floor"),
        "cap": sheet.number(cap_row, 1, "the activity cap"),
        "new_install": _number(new_install.group(1)),
        "centres_de_sante_bounds": "ne sont pas appliquées" not in exceptions,
    }


def _decay(sheet: _ParameterSheet) -> tuple[list[float], list[float]]:
    """The distance decay table: band upper bounds (minutes) and weights."""
    first = sheet.first
    decay_row = sheet.find("Décroissance")
    breaks: list[float] = []
    weights: list[float] = []
    i = sheet.find("Temps de trajet", start=decay_row) + 1
    while i < len(sheet.rows) and first[i]:
        values = sheet.numbers_in(i)
        weights.append(sheet.number(i, 1, "a distance weight"))
        if first[i].lower().startswith(("moins", "entre")):
            breaks.append(values[-1])
        i += 1
    if len(weights) != len(breaks) + 1 or not breaks:
        msg = f"{sheet.where}, rows {decay_row + 1}-{i}: cannot read the distance decay table."
        raise InputFormatError(msg)
    return breaks, weights


def _age_weights(sheet: _ParameterSheet) -> dict[int, pd.Series]:
    """The consumption weight of each age band, by year."""
    rows, where = sheet.rows, sheet.where
    header = sheet.find("Tranche d'âge")
    years = [int(m.group(1)) for c in rows[header][1:] if (m := re.search(r"(\d{4})", c))]
    if not years:
        msg = f"{where}, row {header + 1}: no year in the age-weight header {rows[header]!r}."
        raise InputFormatError(msg)
    band_rows = rows[header + 1 : header + 1 + len(AGE_BANDS)]
    if len(band_rows) != len(AGE_BANDS) or not band_rows[-1][0].lower().startswith("plus de 90"):
        msg = (
            f"{where}, row {header + 2}: expected {len(AGE_BANDS)} age bands from 'Moins de 5 "
            "ans' to 'Plus de 90 ans'."
        )
        raise InputFormatError(msg)
    return {
        y: pd.Series(
            [sheet.number(header + 1 + k, j + 1, f"the {y} weight") for k in range(len(AGE_BANDS))],
            index=pd.Index(AGE_BANDS, name="band"),
            name=f"weight_{y}",
        )
        for j, y in enumerate(years)
    }


def read_drees_parameters(path_or_csv: str | PathLike[str]) -> dict[str, Any]:
    """Read the ``Paramètres`` sheet of the DREES workbook (``.xlsx``, or a CSV dump of it).

    Returns
    -------
    dict
        ``field`` (text of the field of GPs counted);
        ``activity``: ``zero_below`` (fewer than this many acts count 0), ``floor_from`` and
        ``floor`` (from ``floor_from`` to ``floor`` acts count ``floor``), ``cap`` (more count
        ``cap``), ``new_install`` (acts imputed to a new liberal GP), ``centres_de_sante_bounds``
        (whether the bounds apply to centres de santé);
        ``decay``: ``breaks`` (minutes) and ``weights`` (one more than breaks: the last is the
        weight beyond the last break);
        ``age_weights``: year → Series indexed by :data:`aplcore.io.AGE_BANDS`;
        ``gp_activity_rules``: the activity bounds under the field names of
        :class:`aplcore.GPActivityRules`.

    Examples
    --------
    >>> p = read_drees_parameters("apl_mg_parametres_sheet.csv")  # doctest: +SKIP
    >>> rules = aplcore.GPActivityRules(**p["gp_activity_rules"])  # doctest: +SKIP
    >>> d = p["decay"]  # doctest: +SKIP
    >>> decay = aplcore.step_decay(d["breaks"], d["weights"][:-1])  # doctest: +SKIP
    >>> w = p["age_weights"][2023]  # doctest: +SKIP
    >>> pstar = aplcore.standardise_population(ages, weights=w)  # doctest: +SKIP

    Raises
    ------
    InputFormatError
        A section that cannot be found or read (the message names it and the row).
    """
    sheet = _ParameterSheet(*_parameter_rows(path_or_csv))
    field = sheet.first[sheet.find("Champ de l'indicateur") + 1]
    activity = _activity(sheet)
    breaks, weights = _decay(sheet)
    age_weights = _age_weights(sheet)
    return {
        "field": field,
        "activity": activity,
        "gp_activity_rules": {
            "zero_below": activity["zero_below"],
            "floor": activity["floor"],
            "cap": activity["cap"],
            "new_install_activity": activity["new_install"],
            "bound_centres_sante": activity["centres_de_sante_bounds"],
        },
        "decay": {"breaks": tuple(breaks), "weights": tuple(weights)},
        "age_weights": age_weights,
    }
