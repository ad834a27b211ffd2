"""Reader of practitioner tables (one row per practitioner and practice site)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DuplicateError, InvalidValueError, describe_values
from ._common import Source, load_text_table, read_codes, rename_columns, to_numbers

__all__ = ["PRACTITIONER_COLUMNS", "read_practitioners"]

#: Columns of the practitioner table, in order.
PRACTITIONER_COLUMNS = ("practitioner_id", "commune", "activity", "age", "kind", "new_install")
#: Allowed values of the ``kind`` column (practice types).
KINDS = ("liberal", "centre_sante")
_TRUE = {"true", "1", "yes", "oui", "vrai", "y", "o", "t"}
_FALSE = {"false", "0", "no", "non", "faux", "n", "f", ""}


def read_practitioners(
    source: Source,
    *,
    columns: Mapping[str, str] | None = None,
    repair_codes: bool = True,
    min_age: float = 20.0,
    max_age: float = 100.0,
) -> pd.DataFrame:
    """Read a practitioner table: one row per practitioner and practice site.

    Parameters
    ----------
    source
        Path of a CSV (separator sniffed), Parquet or Excel file, or a DataFrame.
    columns
        Renaming ``{file column: canonical column}``, e.g.
        ``{"id_rpps": "practitioner_id", "depcom": "commune", "nb_actes": "activity"}``.
        Canonical columns: ``practitioner_id``, ``commune``, ``activity`` (consultations and
        visits in the year at that site) and ``age`` (required); ``kind`` (``"liberal"`` or
        ``"centre_sante"``, default ``"liberal"``) and ``new_install`` (true for a GP installed
        during the year; ``true/false``, ``1/0``, ``oui/non``; default false).
    repair_codes
        Allow the unambiguous zero-padding of integer commune codes (logged, noted in
        ``attrs["notes"]``).
    min_age, max_age
        Plausible range of ages; values outside are reported.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PRACTITIONER_COLUMNS` with dtypes object (str), object (str), float64,
        float64, object (str), bool; a default RangeIndex (a practitioner may have several rows).

    Raises
    ------
    InputFormatError
        Unreadable or truncated file, missing columns.
    CommuneCodeError
        Commune codes that are not 5-character INSEE codes.
    InvalidValueError
        Missing identifiers, negative or non-numeric activity, implausible ages, unknown kinds,
        unreadable booleans, or a practitioner given different ages on different rows.
    DuplicateError
        The same practitioner, commune and kind on several rows.
    """
    what = "practitioners"
    table = load_text_table(source, what=what)
    rename_columns(table, columns, required=PRACTITIONER_COLUMNS[:4], what=what)
    frame = table.frame
    ids = frame["practitioner_id"]
    if ids.isna().any():
        rows = np.flatnonzero(ids.isna().to_numpy())
        msg = (
            f"{what}: practitioner_id is missing at {table.where(rows)}."
            f"{table.truncation_hint(rows)} Every row needs an identifier (e.g. an RPPS number)."
        )
        raise InvalidValueError(msg)
    ids = ids.astype(str).str.strip()
    if pd.api.types.is_numeric_dtype(frame["practitioner_id"]):
        ids = ids.str.replace(r"\.0+$", "", regex=True)
    commune = read_codes(table, "commune", what=what, repair=repair_codes)
    activity = to_numbers(table, "activity", what=what, minimum=0.0)
    age = to_numbers(table, "age", what=what, minimum=min_age, maximum=max_age)
    if "kind" in frame.columns:
        kind = frame["kind"].fillna("").astype(str).str.strip().str.lower()
        kind = kind.replace(
            {"": "liberal", "centre de santé": "centre_sante", "cds": "centre_sante"}
        )
        bad = ~kind.isin(KINDS).to_numpy()
        if bad.any():
            rows = np.flatnonzero(bad)
            msg = (
                f"{what}: kind must be one of {list(KINDS)}; found "
                f"{describe_values(frame['kind'].iloc[rows].tolist())} at {table.where(rows)}."
            )
            raise InvalidValueError(msg)
    else:
        kind = pd.Series("liberal", index=frame.index, dtype=object)
    if "new_install" in frame.columns:
        new_install = _booleans(frame["new_install"], table, what)
    else:
        new_install = np.zeros(len(frame), dtype=bool)
    out = pd.DataFrame(
        {
            "practitioner_id": ids.to_numpy(dtype=object),
            "commune": commune.to_numpy(dtype=object),
            "activity": activity,
            "age": age,
            "kind": kind.to_numpy(dtype=object),
            "new_install": new_install,
        }
    )
    dup = out.duplicated(["practitioner_id", "commune", "kind"], keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        pairs = out.loc[dup, ["practitioner_id", "commune"]].drop_duplicates()
        shown = describe_values([tuple(p) for p in pairs.itertuples(index=False)])
        msg = (
            f"{what}: a practitioner must appear once per commune and kind; {len(pairs)} "
            f"(practitioner_id, commune) pairs repeat ({shown}) at {table.where(rows)}. Sum "
            "their activity into one row."
        )
        raise DuplicateError(msg)
    ages = out.groupby("practitioner_id", sort=False)["age"].nunique()
    if (ages > 1).any():
        bad_ids = ages.index[(ages > 1).to_numpy()].tolist()
        rows = np.flatnonzero(out["practitioner_id"].isin(bad_ids).to_numpy())
        msg = (
            f"{what}: a practitioner has one age, found different ages for "
            f"{describe_values(bad_ids)} at {table.where(rows)}."
        )
        raise InvalidValueError(msg)
    out.attrs["notes"] = list(frame.attrs.get("notes", []))
    out.attrs["source"] = table.name
    return out


def _booleans(raw: pd.Series, table, what: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=bool)
    text = raw.fillna("").astype(str).str.strip().str.lower()
    text = text.str.replace(r"\.0+$", "", regex=True)
    truth = text.isin(_TRUE).to_numpy()
    bad = ~truth & ~text.isin(_FALSE).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)
        msg = (
            f"{what}: new_install must be true/false (or 1/0, oui/non); found "
            f"{describe_values(raw.iloc[rows].tolist())} at {table.where(rows)}."
        )
        raise InvalidValueError(msg)
    return truth
