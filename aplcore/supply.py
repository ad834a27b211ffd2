"""Supply: counted activity of practitioners per practice commune (spec §2).

Rules are objects, so that each profession gets its own: :class:`GPActivityRules` implements the
DREES rules for general practitioners; :class:`FTERules` counts full-time equivalents for the
professions whose APL is in FTE per 100 000 inhabitants.

**GP rules** (official, 2022–2023 workbooks), applied to each GP's yearly liberal activity ``a``
(consultations + visits + teleconsultations, summed over the GP's practice sites):

==============================  ==========
recorded activity ``a``          counted
==============================  ==========
``a < 250``                      0
``250 <= a <= 3 600``            3 600
``3 600 < a <= 6 000``           ``a``
``a > 6 000``                    6 000
new installation                 5 400
==============================  ==========

*Convention for 250 exactly*: the official sheet says "moins de 250" and "entre 251 et 3 600",
leaving 250 itself out; here ``"moins de 250"`` is read strictly, so 250 counts as 3 600.
Activity in centres de santé counts as recorded, without bounds. A GP working at several sites
has the bounds applied to the GP's total, and the counted activity split across sites in
proportion to the activity recorded at each site (equal shares when a new installation recorded
none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codes import normalise_codes
from .errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    ParameterError,
    describe_values,
)

__all__ = [
    "KINDS",
    "FTERules",
    "GPActivityRules",
    "SupplyRules",
    "count_gp_activity",
    "count_supply",
]

#: Allowed values of the ``kind`` column.
KINDS = ("liberal", "centre_sante")
#: Plausible ages of a practising doctor.
AGE_RANGE = (20, 100)


@dataclass(frozen=True)
class SupplyRules:
    """Base class of supply rules: turn practitioner rows into supply per commune.

    Subclasses implement :meth:`counted`, returning the counted supply of each row.
    """

    #: Columns a practitioner table must have for these rules.
    value_column = "activity"
    #: Unit of the APL computed with this supply.
    unit = "supply per standardised inhabitant"

    def counted(self, rows: pd.DataFrame) -> np.ndarray:
        """Counted supply of each row of a validated practitioner table."""
        raise NotImplementedError


@dataclass(frozen=True)
class GPActivityRules(SupplyRules):
    """DREES rules for general practitioners' activity (see the module docstring).

    Parameters
    ----------
    zero_below
        Activity strictly below this counts 0 (official: 250).
    floor
        Activity from ``zero_below`` up to ``floor`` counts ``floor`` (official: 3 600).
    cap
        Activity above this counts ``cap`` (official: 6 000).
    new_install_activity
        Activity imputed to a new installation (official: 5 400).
    bound_centres_sante
        Apply the bounds to centres de santé too (official: no).
    """

    zero_below: float = 250.0
    floor: float = 3600.0
    cap: float = 6000.0
    new_install_activity: float = 5400.0
    bound_centres_sante: bool = False

    unit = "consultations per year per standardised inhabitant"

    def __post_init__(self) -> None:
        values = (self.zero_below, self.floor, self.cap, self.new_install_activity)
        if not all(np.isfinite(v) and v >= 0 for v in values):
            msg = f"GP activity bounds must be finite and non-negative, found {values}."
            raise ParameterError(msg)
        if not self.zero_below <= self.floor <= self.cap:
            msg = (
                "GP activity bounds must satisfy zero_below <= floor <= cap, found "
                f"{self.zero_below}, {self.floor}, {self.cap}."
            )
            raise ParameterError(msg)

    def bound(self, activity: np.ndarray) -> np.ndarray:
        """Counted activity of GPs whose yearly activity is ``activity`` (the table above)."""
        a = np.asarray(activity, dtype=np.float64)
        counted = np.clip(a, self.floor, self.cap)
        return np.where(a < self.zero_below, 0.0, counted)

    def counted(self, rows: pd.DataFrame) -> np.ndarray:
        """Counted activity of each row (practitioner × site)."""
        activity = rows["activity"].to_numpy(dtype=np.float64)
        liberal = (rows["kind"] == "liberal").to_numpy()
        if self.bound_centres_sante:
            liberal = np.ones_like(liberal)
        out = activity.copy()
        if not liberal.any():
            return out
        lib = rows.loc[liberal, ["practitioner_id", "new_install"]].copy()
        lib["activity"] = activity[liberal]
        per_gp = lib.groupby("practitioner_id", sort=False).agg(
            total=("activity", "sum"), new=("new_install", "any"), sites=("activity", "size")
        )
        gp_counted = np.where(
            per_gp["new"].to_numpy(),
            self.new_install_activity,
            self.bound(per_gp["total"].to_numpy()),
        )
        per_gp["counted"] = gp_counted
        joined = per_gp.reindex(lib["practitioner_id"].to_numpy())
        total = joined["total"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, lib["activity"].to_numpy() / total, 1.0 / joined["sites"])
        out[liberal] = joined["counted"].to_numpy() * share
        return out


@dataclass(frozen=True)
class FTERules(SupplyRules):
    """Full-time equivalents (nurses, physiotherapists, midwives, dentists).

    Each row's ``fte`` column counts as is, optionally capped per practitioner (the cap applies
    to the practitioner's total and is split across sites in proportion). With this supply, pass
    ``scale=100_000`` to :func:`aplcore.compute_apl` for an APL in FTE per 100 000 inhabitants.

    Parameters
    ----------
    max_fte
        Cap on a practitioner's total FTE (``None``: no cap).
    """

    max_fte: float | None = None

    value_column = "fte"
    unit = "FTE per 100 000 standardised inhabitants (with scale=100_000)"

    def __post_init__(self) -> None:
        if self.max_fte is not None and not (np.isfinite(self.max_fte) and self.max_fte > 0):
            msg = f"max_fte must be a positive number or None, found {self.max_fte!r}."
            raise ParameterError(msg)

    def counted(self, rows: pd.DataFrame) -> np.ndarray:
        """FTE of each row, capped per practitioner when ``max_fte`` is set."""
        fte = rows["fte"].to_numpy(dtype=np.float64)
        if self.max_fte is None:
            return fte
        total = rows.groupby("practitioner_id", sort=False)["fte"].transform("sum").to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(total > self.max_fte, self.max_fte / total, 1.0)
        return fte * factor


def count_gp_activity(
    practitioners: pd.DataFrame,
    *,
    max_age: int | None = 65,
    rules: GPActivityRules | None = None,
    detail: bool = False,
) -> pd.Series | pd.DataFrame:
    """Counted GP activity per practice commune, by the DREES rules.

    Parameters
    ----------
    practitioners
        One row per practitioner and practice site, with columns ``practitioner_id``,
        ``commune`` (code), ``activity`` (consultations + visits + teleconsultations of the
        year), and optionally ``age`` (required when ``max_age`` is set), ``kind``
        (``"liberal"``, the default, or ``"centre_sante"``) and ``new_install`` (bool, default
        False).
    max_age
        Keep GPs aged ``max_age`` or less (DREES variants: 65, the zoning one; 62; 60; ``None``
        for all GPs).
    rules
        The activity rules (default: the official ones).
    detail
        Return the validated rows with a ``counted`` column instead of the sum per commune.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``supply`` indexed by commune code (sorted), or the detailed rows.
    """
    return count_supply(
        practitioners, rules=rules or GPActivityRules(), max_age=max_age, detail=detail
    )


def count_supply(
    practitioners: pd.DataFrame,
    *,
    rules: SupplyRules,
    max_age: int | None = None,
    detail: bool = False,
) -> pd.Series | pd.DataFrame:
    """Supply per practice commune under any :class:`SupplyRules`.

    Parameters
    ----------
    practitioners
        One row per practitioner and practice site (see :func:`count_gp_activity`; FTE rules
        read an ``fte`` column instead of ``activity``).
    rules
        The counting rules.
    max_age
        Keep practitioners aged ``max_age`` or less (``None``: all).
    detail
        Return the validated rows with a ``counted`` column.
    """
    rows = _validate_practitioners(practitioners, value_column=rules.value_column, max_age=max_age)
    if max_age is not None:
        _check_someone_young_enough(rows, max_age)
        rows = rows[rows["age"] <= max_age]
    # sums in one canonical order, so that any permutation of the rows gives the same bits
    order = _canonical_order(rows)
    counted = np.zeros(len(rows))
    if len(rows):
        counted[order] = rules.counted(rows.iloc[order])
    if detail:
        return rows.assign(counted=counted)
    supply = pd.Series(counted[order], index=rows["commune"].to_numpy()[order], dtype=np.float64)
    supply = supply.groupby(level=0, sort=True).sum()
    supply.index = pd.Index(supply.index.astype(object), name="code", dtype=object)
    supply.name = "supply"
    return supply


def _canonical_order(rows: pd.DataFrame) -> np.ndarray:
    """Positions of ``rows`` sorted by commune, practitioner and kind (unique after validation)."""
    keys = pd.DataFrame(
        {
            "commune": rows["commune"].to_numpy(dtype=object),
            "id": rows["practitioner_id"].astype(str).to_numpy(dtype=object),
            "kind": rows["kind"].astype(str).to_numpy(dtype=object),
        }
    )
    return keys.sort_values(["commune", "id", "kind"], kind="stable").index.to_numpy()


def _check_someone_young_enough(rows: pd.DataFrame, max_age: int) -> None:
    if len(rows) and not (rows["age"] <= max_age).any():
        ages = rows["age"].to_numpy(dtype=np.float64)
        msg = (
            f"every practitioner is older than max_age={max_age} (ages {ages.min():g} to "
            f"{ages.max():g}, {rows['practitioner_id'].nunique()} practitioners): no supply is "
            "left. Raise max_age, or pass max_age=None to keep all (CLI: --max-age 0)."
        )
        raise InvalidValueError(msg)


def _check_ids(rows: pd.DataFrame) -> None:
    ids = rows["practitioner_id"]
    missing = ids.isna().to_numpy().copy()
    if ids.dtype == object or pd.api.types.is_string_dtype(ids):
        blank = ids.astype(str).str.strip().isin(["", "nan", "None", "<NA>", "NaN"]).to_numpy()
        missing |= blank
    if missing.any():
        rows_shown = describe_values(np.flatnonzero(missing).tolist())
        msg = (
            f"practitioner_id is missing on {int(missing.sum())} of {len(rows)} rows (rows "
            f"{rows_shown}, counted from 0): their activity cannot be attributed to a "
            "practitioner, and the bounds apply per practitioner. Give every row an id."
        )
        raise InvalidValueError(msg)


def _validate_practitioners(
    practitioners: pd.DataFrame, *, value_column: str, max_age: int | None
) -> pd.DataFrame:
    if not isinstance(practitioners, pd.DataFrame):
        msg = f"expected a DataFrame of practitioners, found {type(practitioners).__name__}."
        raise InputFormatError(msg)
    required = ["practitioner_id", "commune", value_column]
    if max_age is not None:
        required.append("age")
    missing = [c for c in required if c not in practitioners.columns]
    if missing:
        msg = (
            f"the practitioner table lacks the columns {missing}; its columns are "
            f"{list(practitioners.columns)}. Expected one row per practitioner and site with "
            f"practitioner_id, commune, {value_column}, age, kind, new_install."
        )
        raise InputFormatError(msg)
    if len(practitioners) == 0:
        msg = "the practitioner table is empty: expected one row per practitioner and site."
        raise InputFormatError(msg)
    if max_age is not None and not (AGE_RANGE[0] <= max_age <= AGE_RANGE[1]):
        msg = f"max_age must lie in {list(AGE_RANGE)} (DREES uses 65, 62 or 60), found {max_age}."
        raise ParameterError(msg)
    rows = practitioners.reset_index(drop=True).copy()
    _check_ids(rows)
    rows["commune"] = normalise_codes(rows["commune"], what="practice commune codes").to_numpy()
    rows[value_column] = _non_negative(rows, value_column)
    if "kind" not in rows.columns:
        rows["kind"] = "liberal"
    bad_kind = ~rows["kind"].isin(KINDS)
    if bad_kind.any():
        shown = describe_values(_row_values(rows, "kind", bad_kind))
        msg = f"kind must be one of {list(KINDS)}; found {shown}."
        raise InvalidValueError(msg)
    if "new_install" not in rows.columns:
        rows["new_install"] = False
    if rows["new_install"].isna().any() or not pd.api.types.is_bool_dtype(rows["new_install"]):
        msg = (
            "new_install must be a boolean column (True for a GP with no liberal activity the "
            f"previous year), found dtype {rows['new_install'].dtype}."
        )
        raise InvalidValueError(msg)
    if "age" in rows.columns:
        _check_ages(rows)
    duplicated = rows.duplicated(["practitioner_id", "commune", "kind"], keep=False)
    if duplicated.any():
        pairs = rows.loc[duplicated, ["practitioner_id", "commune", "kind"]].drop_duplicates()
        shown = [tuple(p) for p in pairs.head(5).itertuples(index=False)]
        msg = (
            f"{len(pairs)} (practitioner_id, commune, kind) combinations appear on several rows, "
            f"e.g. {describe_values(shown)}. Sum the activity of each practitioner per site first."
        )
        raise DuplicateError(msg)
    return rows


def _row_values(rows: pd.DataFrame, column: str, mask: pd.Series) -> list[str]:
    return [f"row {i}: {v!r}" for i, v in rows.loc[mask, column].head(5).items()]


def _non_negative(rows: pd.DataFrame, column: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(rows[column]):
        msg = f"{column} must be numbers, found dtype {rows[column].dtype}."
        raise InvalidValueError(msg)
    values = rows[column].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        shown = describe_values(_row_values(rows, column, pd.Series(bad, index=rows.index)))
        msg = f"{column} must be finite and non-negative; {int(bad.sum())} rows are not ({shown})."
        raise InvalidValueError(msg)
    return values


def _check_ages(rows: pd.DataFrame) -> None:
    if not pd.api.types.is_numeric_dtype(rows["age"]):
        msg = f"age must be numbers, found dtype {rows['age'].dtype}."
        raise InvalidValueError(msg)
    ages = rows["age"].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~((ages >= AGE_RANGE[0]) & (ages <= AGE_RANGE[1]))
    if bad.any():
        shown = describe_values(_row_values(rows, "age", pd.Series(bad, index=rows.index)))
        msg = (
            f"ages must lie between {AGE_RANGE[0]} and {AGE_RANGE[1]} (a practitioner's age in the "
            f"year of the data); {int(bad.sum())} rows are not ({shown})."
        )
        raise InvalidValueError(msg)
    per_gp = rows.groupby("practitioner_id", sort=False)["age"].nunique()
    inconsistent = per_gp[per_gp > 1]
    if len(inconsistent):
        msg = (
            f"a practitioner has one age, but {len(inconsistent)} practitioners have different "
            f"ages on different rows: {describe_values(inconsistent.index.tolist())}."
        )
        raise InvalidValueError(msg)
