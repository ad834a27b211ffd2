"""The national commune-level zoning file (DataSanté schema) in and out.

The file has one row per commune: ``com_code``, ``tvs_code`` (territoire de vie-santé, the GP
zoning unit), ``bvcv_code`` (bassin de vie / canton-ville, the other professions' unit), and per
profession ``z<prof>_niveau`` and ``z<prof>_date_arrete`` (``prof`` in ``med``, ``ide``, ``mk``,
``sf``, ``dent``, ``ortho``). Level codes are those real files carry
(:data:`KNOWN_LEVEL_CODES`): médecins ``1_ZIP``, ``2_ZAC``, ``3_HZ``, ``4_ZAR``, ``NA``
(result not available); other professions ``1_Tres_sous_dotee``, ``3_intermediaire``,
``4_Tres_dotee``, ``5_Sur_dotee``, ``5b_Non_prioritaire``, and the ``2_Sous_dotee`` aplcore
writes (an assumption, :data:`ASSUMED_LEVEL_CODES`). Other columns are kept as read.

* :func:`read_national_file` reads it (all columns as text; ``NA`` stays the code ``"NA"``);
* :func:`zoning_in_force` gives the zone of each commune for one profession;
* :func:`read_commune_tvs` gives the commune → territory table;
* :func:`write_national_table` writes such a table (:func:`aplcore.zoning.write_national_file`
  writes a :class:`~aplcore.zoning.Zoning` through it).

This module works on plain tables and knows nothing of zoning objects: comparing zonings is
:mod:`aplcore.zoning.compare`.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd

from ..codes import normalise_codes
from ..errors import InputFormatError, InvalidValueError, ParameterError, describe_values
from .atomic import atomic_write

__all__ = [
    "ASSUMED_LEVEL_CODES",
    "KNOWN_LEVEL_CODES",
    "LEVEL_ORDER",
    "PROFESSIONS",
    "accepted_level_codes",
    "check_level_codes",
    "level_labels",
    "read_commune_tvs",
    "read_national_file",
    "write_national_table",
    "zoning_in_force",
]

#: Profession suffixes of the national file.
PROFESSIONS = ("med", "ide", "mk", "sf", "dent", "ortho")

#: Every level code seen in a real national file, per kind of profession, and only those:
#: ``zonage_medecins_national_2025_05`` (``zmed_niveau``: ``1_ZIP``, ``2_ZAC``, ``3_HZ``,
#: ``4_ZAR``, ``NA``) and ``datasante_zonages_format_sample`` (``1_Tres_sous_dotee``,
#: ``3_intermediaire``, ``4_Tres_dotee``, ``5_Sur_dotee``, ``5b_Non_prioritaire``).
KNOWN_LEVEL_CODES = {
    "med": ("1_ZIP", "2_ZAC", "3_HZ", "4_ZAR", "NA"),
    "other": (
        "1_Tres_sous_dotee",
        "3_intermediaire",
        "4_Tres_dotee",
        "5_Sur_dotee",
        "5b_Non_prioritaire",
    ),
}

#: Level codes aplcore writes although no real file at hand carries them, with the reason.
ASSUMED_LEVEL_CODES: dict[str, str] = {
    "2_Sous_dotee": (
        "the under-served level of the five-level zonings: the files at hand show levels 1, 3, "
        "4, 5 and 5b only; the code follows their spelling (1_Tres_sous_dotee, 4_Tres_dotee)"
    ),
}


def accepted_level_codes(profession: str = "med") -> tuple[str, ...]:
    """Level codes a national file may carry for ``profession``: those seen in real files,
    then (other professions) the assumed ones aplcore writes."""
    if profession == "med":
        return KNOWN_LEVEL_CODES["med"]
    return (*KNOWN_LEVEL_CODES["other"], *ASSUMED_LEVEL_CODES)


#: Level code → zone label, for reading (médecins labels ZIP / ZAC / HZ / ZAR; ``NA`` stays as
#: it is: no result).
_LABELS = {
    "1_ZIP": "ZIP",
    "2_ZAC": "ZAC",
    "3_HZ": "HZ",
    "4_ZAR": "ZAR",
    "NA": "NA",
    "1_Tres_sous_dotee": "very_under_served",
    "2_Sous_dotee": "under_served",
    "3_intermediaire": "intermediate",
    "4_Tres_dotee": "well_served",
    "5_Sur_dotee": "over_served",
    "5b_Non_prioritaire": "not_priority",
}

#: Zone labels of the national file, most priority first, for ordering tables and maps.
LEVEL_ORDER = tuple(_LABELS.values())


def level_labels(codes: pd.Series) -> pd.Series:
    """Zone labels of level codes (``"1_ZIP"`` → ``"ZIP"``); labels pass through unchanged."""
    return codes.map(lambda c: _LABELS.get(c, c))


def _separator(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        head = stream.readline()
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_national_file(
    path: str | os.PathLike[str], *, professions: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Read a national commune-level zoning file.

    Parameters
    ----------
    path
        CSV (``,``, ``;`` or tab separated, UTF-8) with ``com_code`` and at least one
        ``z<prof>_niveau`` column.
    professions
        Professions whose level codes must be known codes (default: every ``z<prof>_niveau``
        column present).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``com_code`` (5-character strings), every column as text.

    Raises
    ------
    InputFormatError
        No ``com_code`` or no level column, or a commune listed twice.
    InvalidValueError
        Level codes no real file carries (``5_HZ``, ``3_ZV``, ...), listed with their rows.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(
            path, sep=_separator(path), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a readable CSV zoning file ({exc}). Expected UTF-8 text."
        raise InputFormatError(msg) from exc
    if "com_code" not in frame.columns:
        msg = (
            f"{path}: a national zoning file needs a 'com_code' column; found "
            f"{describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    present = [p for p in PROFESSIONS if f"z{p}_niveau" in frame.columns]
    if not present:
        msg = (
            f"{path}: no level column (zmed_niveau, zide_niveau, ...); found "
            f"{describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    frame.index = normalise_codes(frame.pop("com_code"), what=f"com_code of {path.name}")
    frame.index.name = "com_code"
    if frame.index.has_duplicates:
        dup = sorted(set(frame.index[frame.index.duplicated()]))
        msg = f"{path}: communes listed more than once: {describe_values(dup)}. Keep one row each."
        raise InputFormatError(msg)
    for prof in professions or tuple(present):
        _check_levels(frame, prof, path)
    return frame


def _check_levels(frame: pd.DataFrame, prof: str, path: Path) -> None:
    column = f"z{prof}_niveau"
    if column not in frame.columns:
        msg = f"{path}: no column {column!r} for profession {prof!r}."
        raise InputFormatError(msg)
    check_level_codes(frame[column], profession=prof, where=f"{path}: {column}")


def check_level_codes(values: pd.Series, *, profession: str = "med", where: str) -> None:
    """Refuse level codes no national file carries (``5_HZ``, ``3_ZV``, ...).

    Parameters
    ----------
    values
        Level codes indexed by commune code (empty cells are allowed).
    profession
        ``med`` for GPs, another suffix for the five-level professions, ``"any"`` for the codes
        of every profession.
    where
        What the values are, for the message (file and column).

    Raises
    ------
    InvalidValueError
        Unknown codes, with the communes holding them and the accepted codes.
    """
    if profession == "any":
        known = (*accepted_level_codes("med"), *accepted_level_codes("other"))
    else:
        known = accepted_level_codes(profession)
    text = values.astype(str).str.strip()
    bad = ~text.isin(known) & (text != "")
    if bad.any():
        found = sorted(set(text[bad]))
        rows = values.index[bad.to_numpy()][:5].tolist()
        msg = (
            f"{where} holds level codes no national file carries: {describe_values(found)} "
            f"(communes {describe_values(rows)}). Expected {describe_values(known)}."
        )
        raise InvalidValueError(msg)


def zoning_in_force(
    path: str | os.PathLike[str] | pd.DataFrame, *, profession: str = "med"
) -> pd.Series:
    """Zone label of each commune for one profession (``ZIP``, ``ZAC``, ``HZ``, ``ZAR``, ``NA``).

    Parameters
    ----------
    path
        A national file, or a table from :func:`read_national_file`.
    profession
        Profession suffix (``med`` for GPs).
    """
    frame = path if isinstance(path, pd.DataFrame) else read_national_file(path)
    column = f"z{profession}_niveau"
    if column not in frame.columns:
        msg = f"the zoning file has no {column!r} column (profession {profession!r})."
        raise InputFormatError(msg)
    return level_labels(frame[column].str.strip()).rename("zone")


def read_commune_tvs(
    path: str | os.PathLike[str] | pd.DataFrame, *, column: str = "tvs_code"
) -> pd.Series:
    """Commune → territory code (``tvs_code``, or ``bvcv_code``) from a national file or a table.

    Accepts the national file or any CSV with ``com_code`` (or ``commune``) and the territory
    column (or ``territory``).
    """
    if isinstance(path, pd.DataFrame):
        frame = path
    else:
        path = Path(path)
        frame = pd.read_csv(
            path, sep=_separator(path), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    frame = frame.rename(columns={"commune": "com_code", "territory": column})
    if "com_code" in frame.columns:
        frame = frame.set_index("com_code")
    if column not in frame.columns:
        msg = (
            f"the commune → territory table needs a {column!r} (or 'territory') column; found "
            f"{describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    values = frame[column].astype(str).str.strip()
    empty = values.isin(["", "NC"])
    index = normalise_codes(frame.index, what="commune codes of the territory table")
    out = pd.Series(values.to_numpy(), index=index, name="territory")[~empty.to_numpy()]
    out.index.name = "code"
    return out[~out.index.duplicated()]


def write_national_table(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    profession: str = "med",
    base: pd.DataFrame | None = None,
) -> Path:
    """Write a table in the national schema as a commune-level file (atomically).

    Parameters
    ----------
    table
        One row per commune with a ``com_code`` column (as
        :meth:`aplcore.zoning.Zoning.to_national_schema` gives).
    path
        CSV to write.
    profession
        Profession suffix of the level column (checked against :data:`PROFESSIONS`).
    base
        A national file read with :func:`read_national_file`: its rows and other columns are
        kept and the table's columns replaced for the table's communes.
    """
    check_profession(profession)
    table = table.set_index("com_code")
    if base is not None:
        merged = base.copy()
        for col in table.columns:
            if col not in merged.columns:
                merged[col] = ""
            merged.loc[table.index.intersection(merged.index), col] = table[col]
        extra = table.index.difference(merged.index)
        table = pd.concat([merged, table.loc[extra]]).fillna("")
    out = table.sort_index().reset_index().rename(columns={"index": "com_code"})
    return atomic_write(
        path,
        lambda stream: stream.write(out.to_csv(index=False).encode("utf-8")),
        overwrite=True,
    )


def check_profession(profession: str) -> None:
    """Refuse a profession suffix the national file does not have."""
    if profession not in PROFESSIONS:
        msg = f"profession must be one of {describe_values(PROFESSIONS)}, found {profession!r}."
        raise ParameterError(msg)
