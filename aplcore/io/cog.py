"""Readers of the COG commune list and of commune → territory tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputFormatError, InvalidValueError, describe_values
from ._common import Source, load_text_table, read_codes, rename_columns, to_numbers

__all__ = ["COG_TYPES", "read_cog_communes", "read_territories"]

#: Entity types of the COG list (``type`` column of ``@etalab/decoupage-administratif``).
COG_TYPES = (
    "commune-actuelle",
    "arrondissement-municipal",
    "commune-deleguee",
    "commune-associee",
)
_PLM_PARENTS = ("13055", "69123", "75056")
_COG_COLUMNS = {
    "nom": "name",
    "departement": "departement",
    "region": "region",
    "commune": "parent",
    "zone": "zone",
}


def read_cog_communes(
    source: Source,
    *,
    arrondissements: bool = True,
    types: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read the official commune list (COG), as published by ``@etalab/decoupage-administratif``.

    Reads ``communes.json`` of that package or its CSV flattening (columns ``code, nom, type,
    departement, region, commune, population, zone``, ...).

    Parameters
    ----------
    source
        Path of the JSON or CSV file, or a DataFrame with the same columns.
    arrondissements
        With the default ``types``: keep the 45 arrondissements municipaux of Paris, Lyon and
        Marseille and drop their 3 parent communes (the units of APL), or the reverse.
    types
        Entity types to keep, among :data:`COG_TYPES`; default: communes actuelles and
        arrondissements municipaux as set by ``arrondissements``. Communes déléguées share
        their code with a commune actuelle, so mixing them raises a duplicate error.
    columns
        Renaming ``{file column: canonical column}`` applied first.

    Returns
    -------
    pandas.DataFrame
        Indexed by code (strings, file order); columns ``name``, ``type``, ``departement``,
        ``region``, ``parent`` (for arrondissements and communes déléguées), ``zone``
        (``metro``, ``drom``, ``com``) where present, and ``population`` (float64, missing where
        the list has none).

    Raises
    ------
    InputFormatError
        Unreadable file, missing ``code``/``type`` columns, unknown types requested.
    CommuneCodeError
        Malformed codes. Codes are never repaired here: the COG gives them as text.
    DuplicateError
        A code appearing twice among the kept types.
    """
    what = "COG commune list"
    table = load_text_table(source, what=what)
    rename_columns(table, columns, required=["code", "type"], what=what)
    frame = table.frame
    if types is None:
        kept = ["commune-actuelle", "arrondissement-municipal"]
    else:
        kept = list(types)
        unknown = [t for t in kept if t not in COG_TYPES]
        if unknown:
            msg = f"{what}: unknown types {unknown}; expected some of {list(COG_TYPES)}."
            raise InputFormatError(msg)
    mask = frame["type"].isin(kept).to_numpy().copy()
    if types is None:
        code_text = frame["code"].astype(str)
        drop_parent = code_text.isin(_PLM_PARENTS).to_numpy() & arrondissements
        drop_arm = (frame["type"] == "arrondissement-municipal").to_numpy() & (not arrondissements)
        mask &= ~drop_parent & ~drop_arm
    if not mask.any():
        found = describe_values(frame["type"].dropna().unique().tolist())
        msg = f"{what}: no row of {table.name} has a type among {kept}; types found: {found}."
        raise InputFormatError(msg)
    positions = np.flatnonzero(mask)
    table.frame = frame.iloc[positions].reset_index(drop=True)
    sub = table.frame
    # keep row numbers pointing at the original file
    table_where = table.where
    table.where = lambda rows: table_where(positions[np.asarray(rows, dtype=int)])  # type: ignore[method-assign]
    codes = read_codes(table, "code", what=what, repair=False, unique=True)
    out = pd.DataFrame(index=codes)
    for src, dst in _COG_COLUMNS.items():
        if src in sub.columns:
            values = sub[src].astype(object).where(sub[src].notna(), None).to_numpy()
            out[dst] = values
    out.insert(1 if "name" in out.columns else 0, "type", sub["type"].to_numpy(dtype=object))
    if "population" in sub.columns:
        out["population"] = to_numbers(table, "population", what=what, allow_missing=True)
    out.attrs["source"] = table.name
    return out


def read_territories(
    source: Source,
    *,
    code: str = "code",
    territories: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    repair_codes: bool = True,
) -> pd.DataFrame:
    """Read a commune → territory table (TVS, bassin de vie, EPCI, zonage, ...).

    Parameters
    ----------
    source
        Path of a CSV (separator sniffed), Parquet or Excel file, or a DataFrame.
    code
        Column of commune codes (e.g. ``"com_code"`` in the DataSanté zonage file).
    territories
        Columns to keep (e.g. ``["tvs_code", "bvcv_code"]``); default all other columns.
        Values are kept as text, so territory codes keep their leading zeros.
    columns
        Renaming ``{file column: canonical column}`` applied first.
    repair_codes
        Allow the unambiguous zero-padding of integer commune codes.

    Returns
    -------
    pandas.DataFrame
        Indexed by commune code (strings, file order), one text column per territory.

    Raises
    ------
    InputFormatError
        Unreadable file, missing columns.
    CommuneCodeError
        Malformed commune codes, with their lines.
    DuplicateError
        A commune listed twice.
    InvalidValueError
        A commune without a territory.
    """
    what = "territory table"
    table = load_text_table(source, what=what)
    wanted = list(territories) if territories is not None else []
    rename_columns(table, columns, required=[code, *wanted], what=what)
    frame = table.frame
    if territories is None:
        wanted = [c for c in frame.columns if c != code]
    if not wanted:
        msg = f"{what}: {table.name} has no column besides the commune code {code!r}."
        raise InputFormatError(msg)
    codes = read_codes(table, code, what=what, repair=repair_codes, unique=True)
    out = pd.DataFrame(index=codes)
    for col in wanted:
        values = frame[col]
        if values.isna().any():
            rows = np.flatnonzero(values.isna().to_numpy())
            msg = (
                f"{what}: the column {col!r} is empty at {table.where(rows)}."
                f"{table.truncation_hint(rows)} Every commune needs a territory; drop the rows "
                "or fill them."
            )
            raise InvalidValueError(msg)
        if pd.api.types.is_float_dtype(values):
            values = values.map(lambda v: str(int(v)) if float(v).is_integer() else str(v))
        out[col] = values.astype(str).str.strip().to_numpy(dtype=object)
    out.attrs["notes"] = list(frame.attrs.get("notes", []))
    out.attrs["source"] = table.name
    return out
