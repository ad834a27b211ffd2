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

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import bad_non_negative, check_positive_option, clean_column_name, column_case_hint
from .codes import normalise_codes
from .errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    ParameterError,
    describe_values,
    type_name,
)
from .io.practitioners import KINDS
from .plausibility import check_plausible

logger = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "DentistFTERules",
    "FTERules",
    "GPActivityRules",
    "PhysiotherapistFTERules",
    "SupplyRules",
    "count_gp_activity",
    "count_supply",
]

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

    Examples
    --------
    >>> import pandas as pd
    >>> import aplcore
    >>> gps = pd.DataFrame(
    ...     {
    ...         "practitioner_id": ["a", "b", "c"],
    ...         "commune": ["36044", "36044", "36088"],
    ...         "activity": [200.0, 4500.0, 7000.0],
    ...         "age": [50, 61, 67],
    ...     }
    ... )
    >>> aplcore.count_gp_activity(gps, max_age=None).to_dict()  # < 250 -> 0, > 6 000 -> 6 000
    {'36044': 4500.0, '36088': 6000.0}
    >>> aplcore.count_gp_activity(gps).to_dict()  # GPs aged 65 or less (the zoning variant)
    {'36044': 4500.0}
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
    if isinstance(rules, GPActivityRules):
        _check_gp_activity(rows)
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


def _check_gp_activity(rows: pd.DataFrame) -> None:
    """Warn when the yearly activity per GP is implausible (thousands, several years)."""
    recorded = rows.loc[~rows["new_install"].to_numpy(dtype=bool)]
    totals = recorded.groupby("practitioner_id", sort=False)["activity"].sum().to_numpy()
    check_plausible("gp_activity", totals, what="practitioners: activity", stacklevel=4)


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
            "left."
        )
        fix = "Give a higher age limit, or pass {param} to keep all."
        raise InvalidValueError(msg, fix=fix, param="max_age", value=None)


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


def _id_text(value: object) -> str:
    """An identifier as text: whole numbers without '.0', surrounding spaces removed."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _normalise_ids(ids: pd.Series) -> pd.Series:
    """Practitioner ids as text without surrounding spaces (1, 1.0, '1' and ' 1' are one id);
    ids that differ only by case are refused: one practitioner or two cannot be told."""
    if pd.api.types.is_numeric_dtype(ids):
        return ids  # numbers only: nothing written two ways
    text = ids.map(_id_text).astype(object)
    raw = ids.astype(str)
    merged = text[raw != text].unique().tolist()
    if merged:
        logger.info(
            "practitioner ids written in several ways read as one (spaces, numbers as text): %s",
            describe_values(merged),
        )
    folded = text.str.casefold()
    per_fold = text.groupby(folded.to_numpy(), sort=False).unique()
    clash = [tuple(v) for v in per_fold if len(v) > 1]
    if clash:
        msg = (
            f"practitioner ids that differ only by case: {describe_values(clash)}; one "
            "practitioner or two cannot be told (the activity bounds apply per practitioner). "
            "Write each practitioner's id the same way on every row, or make the ids distinct."
        )
        raise DuplicateError(msg)
    return text


def _validate_practitioners(
    practitioners: pd.DataFrame, *, value_column: str, max_age: int | None
) -> pd.DataFrame:
    if not isinstance(practitioners, pd.DataFrame):
        msg = f"expected a DataFrame of practitioners, found {type_name(practitioners)}."
        raise InputFormatError(msg)
    required = ["practitioner_id", "commune", value_column]
    if max_age is not None:
        required.append("age")
    names = [clean_column_name(c) for c in practitioners.columns]
    missing = [c for c in required if c not in names]
    if missing:
        msg = (
            f"the practitioner table lacks the columns {missing}; its columns are "
            f"{list(practitioners.columns)}. Expected one row per practitioner and site with "
            f"practitioner_id, commune, {value_column}, age, kind, new_install."
            f"{column_case_hint(missing, names)}"
        )
        raise InputFormatError(msg)
    if len(practitioners) == 0:
        msg = "the practitioner table is empty: expected one row per practitioner and site."
        raise InputFormatError(msg)
    if max_age is not None and not (AGE_RANGE[0] <= max_age <= AGE_RANGE[1]):
        msg = f"max_age must lie in {list(AGE_RANGE)} (DREES uses 65, 62 or 60), found {max_age}."
        raise ParameterError(msg)
    rows = practitioners.reset_index(drop=True).copy()
    rows.columns = names
    _check_ids(rows)
    rows["practitioner_id"] = _normalise_ids(rows["practitioner_id"])
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
    bad = bad_non_negative(values)
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


# ---------------------------------------------------------------------------------------------
# Other professions: full-time equivalents of the five-level zonings (2011-2012).
#
# The ambulatory part of the Île-de-France regional plan (ARS Île-de-France, SROS 2012, section
# "Déterminer et réguler les zones d'offre de soins en masseurs kinésithérapeutes libéraux")
# describes the physiotherapists' FTE:
#   « Le Nombre de MK exprimé en Equivalent temps plein (ETP) est calculé selon le nombre d'actes
#     réalisés par jour par le professionnel dans l'année (FNPS 2010)
#   - Le temps passé en déplacement est converti en ETP »
# and refers, for the method, to « l'Annexe III de Arrêté du 12 Juin 2012 portant modification de
# l'arrêté du 21 décembre 2011 ». The annexes of these arrêtés, which set the number of days of a
# full-time year, the dentists' age and activity weights and the speech therapists' part-time
# rules, are NOT among the reference documents: the classes below implement the rules' mechanics
# and take every number as a parameter without a default, to be set from the annex. The speech
# therapists' half-time rules are not described in any reference document at all, so no class
# implements them.


def _practitioner_totals(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per practitioner: total of ``column`` and each row's share of it (equal when all zero)."""
    values = rows[column].to_numpy(dtype=np.float64)
    ids = rows["practitioner_id"].to_numpy()
    total = rows.groupby("practitioner_id", sort=False)[column].transform("sum").to_numpy()
    sites = rows.groupby("practitioner_id", sort=False)[column].transform("size").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, values / total, 1.0 / sites)
    return pd.DataFrame({"practitioner_id": ids, "total": total, "share": share})


@dataclass(frozen=True)
class PhysiotherapistFTERules(SupplyRules):
    """Physiotherapists' FTE: days worked in the year over the days of a full-time year.

    SROS Île-de-France 2012 (masseurs-kinésithérapeutes): the FTE is computed from the acts
    performed per day in the year, and the time spent travelling is converted into FTE. The
    number of days of a full-time year and the way travel time enters are set by annex III of
    the arrêté of 12 June 2012, which is not among the reference documents: both are required
    parameters.

    Each row needs ``days_worked`` (days of activity derived from the acts per day) and, unless
    ``travel == "ignore"``, ``travel_days`` (time spent travelling, in days). A practitioner's
    FTE is ``(days_worked ∓ travel_days) / full_time_days`` summed over the practitioner's sites,
    floored at 0 and capped at ``max_fte`` when set, and split back across sites in proportion to
    the days worked there.

    Parameters
    ----------
    full_time_days
        Days of activity that make one FTE (from the annex).
    travel
        ``"deduct"``: travel days are taken off the days worked; ``"add"``: counted as work;
        ``"ignore"``.
    max_fte
        Cap on a practitioner's FTE (``None``: no cap).
    """

    full_time_days: float
    travel: str
    max_fte: float | None = None

    value_column = "days_worked"
    unit = "FTE per 100 000 standardised inhabitants (with scale=100_000)"

    @classmethod
    def reported_2011(cls, *, max_fte: float | None = None) -> PhysiotherapistFTERules:
        """The figures reported for the 2011 annexes: days worked / 240, travel time deducted.

        These are figures reported by secondary sources on the annexes of the arrêtés of 21
        December 2011 and 12 June 2012 (a full-time year of 240 days of activity; the time
        spent travelling taken off the days worked). They are **not confirmed by the reference
        documents**, which refer to the annex without reproducing it: check them against the
        annex before using the result in a zoning.

        Examples
        --------
        >>> PhysiotherapistFTERules.reported_2011()
        PhysiotherapistFTERules(full_time_days=240.0, travel='deduct', max_fte=None)
        """
        return cls(full_time_days=240.0, travel="deduct", max_fte=max_fte)

    def __post_init__(self) -> None:
        check_positive_option(self.full_time_days, name="full_time_days")
        if self.travel not in ("deduct", "add", "ignore"):
            msg = f"travel must be 'deduct', 'add' or 'ignore', found {self.travel!r}."
            raise ParameterError(msg)
        if self.max_fte is not None:
            check_positive_option(self.max_fte, name="max_fte")

    def counted(self, rows: pd.DataFrame) -> np.ndarray:
        """FTE of each row (practitioner × site)."""
        days = rows["days_worked"].to_numpy(dtype=np.float64)
        if self.travel != "ignore":
            if "travel_days" not in rows.columns:
                msg = (
                    f"travel={self.travel!r} needs a travel_days column (time spent travelling, "
                    "in days); pass travel='ignore' to leave travel time out."
                )
                raise InputFormatError(msg)
            travel = rows["travel_days"].to_numpy(dtype=np.float64, na_value=np.nan)
            if bad_non_negative(travel).any():
                msg = "travel_days must be finite and non-negative numbers of days."
                raise InvalidValueError(msg)
            days = days - travel if self.travel == "deduct" else days + travel
        per_row = rows[["practitioner_id"]].assign(days=days)
        totals = _practitioner_totals(rows, "days_worked")
        fte = per_row.groupby("practitioner_id", sort=False)["days"].transform("sum").to_numpy()
        fte = np.maximum(fte, 0.0) / self.full_time_days
        if self.max_fte is not None:
            fte = np.minimum(fte, self.max_fte)
        return fte * totals["share"].to_numpy()


@dataclass(frozen=True)
class DentistFTERules(SupplyRules):
    """Dentists: one per practitioner, weighted down from an age and up for the most active.

    The weights (a dentist aged ``older_from`` or more counts ``older_weight``; the
    ``top_share`` most active dentists of the table count ``top_weight``) come from the
    annexes of the arrêté of 21 December 2011, which are not among the reference documents:
    every number is a required parameter. The annex text available does not say how the two
    weights combine for an older dentist who is also among the most active: give
    ``both_weight``, or such a dentist is an error.

    The most active are ranked on each dentist's total ``activity`` over the sites of the table;
    with ``n`` dentists the ``floor(top_share * n)`` highest totals are "most active", and
    dentists tied with the last of them too. A dentist's weight is split across sites in
    proportion to the activity there.

    Parameters
    ----------
    older_from
        Age from which a dentist counts ``older_weight``.
    older_weight
        Weight of the older dentists.
    top_share
        Share of the dentists counted as the most active (0 to 1).
    top_weight
        Weight of the most active dentists.
    both_weight
        Weight of a dentist in both groups (``None``: refuse such a dentist).
    """

    older_from: float
    older_weight: float
    top_share: float
    top_weight: float
    both_weight: float | None = None

    value_column = "activity"
    unit = "FTE per 100 000 standardised inhabitants (with scale=100_000)"

    @classmethod
    def reported_2011(cls, *, both_weight: float | None = None) -> DentistFTERules:
        """The figures reported for the 2011 annexes: aged 60 or more count half, the 20 % most
        active count 1.5.

        These are figures reported by secondary sources on the annexes of the arrêté of 21
        December 2011 ("dentists over 60 counted half; the most active 20 % counted 1.5"). They
        are **not confirmed by the reference documents**, which do not reproduce the annexes:
        check them against the annex before using the result in a zoning. "Over 60" is read as
        aged 60 or more. The reports do not say how the weights combine for an older dentist
        among the most active: give ``both_weight``, or such a dentist is an error.

        Examples
        --------
        >>> rules = DentistFTERules.reported_2011()
        >>> rules.older_from, rules.older_weight, rules.top_share, rules.top_weight
        (60.0, 0.5, 0.2, 1.5)
        """
        return cls(
            older_from=60.0,
            older_weight=0.5,
            top_share=0.2,
            top_weight=1.5,
            both_weight=both_weight,
        )

    def __post_init__(self) -> None:
        check_positive_option(self.older_from, name="older_from")
        check_positive_option(self.older_weight, name="older_weight")
        check_positive_option(self.top_weight, name="top_weight")
        if self.both_weight is not None:
            check_positive_option(self.both_weight, name="both_weight")
        if not (isinstance(self.top_share, int | float) and 0 <= self.top_share <= 1):
            msg = f"top_share must be a share between 0 and 1, found {self.top_share!r}."
            raise ParameterError(msg)

    def weights(self, activity: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Weight of each dentist from its total activity and its age."""
        activity = np.asarray(activity, dtype=np.float64)
        age = np.asarray(age, dtype=np.float64)
        k = int(np.floor(self.top_share * len(activity)))
        top = np.zeros(len(activity), dtype=bool)
        if k > 0:
            threshold = np.sort(activity)[::-1][k - 1]
            top = activity >= threshold
        older = age >= self.older_from
        both = top & older
        if both.any() and self.both_weight is None:
            msg = (
                f"{int(both.sum())} dentists are both aged {self.older_from:g} or more and among "
                f"the {self.top_share:.0%} most active; the annex text available does not say "
                "how the weights combine: give both_weight."
            )
            raise ParameterError(msg)
        weight = np.ones(len(activity))
        weight[older] = self.older_weight
        weight[top] = self.top_weight
        if both.any():
            weight[both] = self.both_weight
        return weight

    def counted(self, rows: pd.DataFrame) -> np.ndarray:
        """Weight of each row (practitioner × site)."""
        if "age" not in rows.columns:
            msg = "dentist rules need an age column (the age weight applies from older_from)."
            raise InputFormatError(msg)
        totals = _practitioner_totals(rows, "activity")
        per_dentist = (
            rows.assign(total=totals["total"].to_numpy())
            .groupby("practitioner_id", sort=False)
            .agg(total=("total", "first"), age=("age", "first"))
        )
        weight = pd.Series(
            self.weights(per_dentist["total"].to_numpy(), per_dentist["age"].to_numpy()),
            index=per_dentist.index,
        )
        return weight.reindex(rows["practitioner_id"]).to_numpy() * totals["share"].to_numpy()
