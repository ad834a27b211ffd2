"""What a GP can claim in a commune on a date, and the public cost of a plan of installations.

The zone of the commune comes from a zoning (a :class:`~aplcore.Zoning`, a commune → zone Series,
or a table such as the demo's output or the national zoning file); the date decides which entries
of the catalogue are in force; a :class:`Profile` says who the doctor is (first installation,
replacement, training supervisor, ...) and gives the quantities the amount rules need (days worked
per week, yearly fees, half-days of advanced consultations, ...).

Amounts are computed only where the source gives an amount and the profile gives what the rule
needs; every other eligible measure is listed with its rule and the reason it has no amount.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from ..code_history import code_status
from ..codes import normalise_codes
from ..codes.history import check_codes_exist
from ..errors import (
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    describe_values,
    type_name,
)
from ..io.national import level_labels
from ..zoning.compare import commune_zones
from .catalogue import SITUATIONS, Catalogue, Measure, default_catalogue

__all__ = [
    "PROFILES",
    "AidsAtCommune",
    "AidsCost",
    "Profile",
    "assess",
    "cost",
    "for_commune",
    "resolve_profile",
    "zone_table",
]

#: Labels of zonings read as "outside ZIP and ZAC" (2025 ``HZ``, 2017 ``ZV`` and ``HV``, the
#: regional category ``ZAR`` of the national file, for which the documents list no aid).
OUTSIDE_LABELS = ("HZ", "ZV", "HV", "ZAR", "HORS ZONAGE", "HORS_ZONAGE")
#: Labels of communes without a zone (``NA`` in the national file).
NO_ZONE_LABELS = ("NA", "NAN", "NONE", "")
_NO_ZONE = "no zone"


@dataclass(frozen=True)
class Profile:
    """Who the doctor is and the quantities the amount rules need.

    Parameters
    ----------
    situations
        Situations that apply (see :data:`aplcore.aids.catalogue.SITUATIONS`); a measure is
        listed when it is for one of them.
    days_per_week
        Liberal activity in days per week (full time is 4 days for the CAIM, 2019 guide).
    yearly_fees
        Yearly fees (honoraires) in euros, for the measures paid as a share of fees.
    half_days_per_year
        Half-days of advanced consultations per year.
    days_per_quarter
        Days worked per quarter (contrat de début d'exercice table).
    months
        Months of a monthly allowance (CESP, internship allowances).
    activity_share_in_zones
        Share of the activity in ZIP or ZAC (contrat de début d'exercice: at least 80 %).
    """

    situations: tuple[str, ...] = ("installation", "first_installation")
    days_per_week: float = 4.0
    yearly_fees: float | None = None
    half_days_per_year: float | None = None
    days_per_quarter: int | None = None
    months: int | None = None
    activity_share_in_zones: float = 1.0

    def __post_init__(self) -> None:
        situations = (
            (self.situations,) if isinstance(self.situations, str) else tuple(self.situations)
        )
        object.__setattr__(self, "situations", situations)
        bad = [s for s in situations if s not in SITUATIONS]
        if bad or not situations:
            msg = (
                f"profile situations must be some of {', '.join(SITUATIONS)}; found "
                f"{describe_values(bad or situations)}."
            )
            raise InvalidValueError(msg)
        for name in ("days_per_week", "yearly_fees", "half_days_per_year", "days_per_quarter"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                msg = f"profile {name} must be a finite non-negative number, found {value!r}."
                raise InvalidValueError(msg)
        if self.months is not None and self.months < 0:
            msg = f"profile months must be non-negative, found {self.months!r}."
            raise InvalidValueError(msg)
        if not 0 <= self.activity_share_in_zones <= 1:
            msg = (
                "profile activity_share_in_zones must lie in [0, 1], found "
                f"{self.activity_share_in_zones!r}."
            )
            raise InvalidValueError(msg)


#: Named profiles for ``profile="..."`` and ``aplcore aids --profile``.
PROFILES: dict[str, Profile] = {
    "first_installation": Profile(),
    "installation": Profile(situations=("installation",)),
    "coordinated_installation": Profile(
        situations=("installation", "first_installation", "coordinated_practice")
    ),
    # 53 days a quarter: "temps plein" of the contrat de début d'exercice table (cvl2025)
    "replacement": Profile(situations=("replacement",), days_per_quarter=53),
    "recent_graduate": Profile(situations=("recent_graduate",), days_per_quarter=53),
    "secondary_practice": Profile(situations=("secondary_practice",)),
    "training_supervisor": Profile(situations=("training_supervisor",)),
    "student": Profile(situations=("student",)),
    "intern": Profile(situations=("intern",)),
}


def resolve_profile(profile: Profile | str | Mapping[str, Any] | None) -> Profile | None:
    """A :class:`Profile` from a profile, a name of :data:`PROFILES`, a situation or a dict."""
    if profile is None or isinstance(profile, Profile):
        return profile
    if isinstance(profile, str):
        if profile in PROFILES:
            return PROFILES[profile]
        if profile in SITUATIONS:
            return Profile(situations=(profile,))
        msg = (
            f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}, a situation "
            f"({', '.join(SITUATIONS)}) or an aplcore.aids.Profile."
        )
        raise InvalidValueError(msg)
    if isinstance(profile, Mapping):
        known = {f.name for f in fields(Profile)}
        unknown = [k for k in profile if k not in known]
        if unknown:
            msg = f"unknown profile fields {unknown}; the fields are {sorted(known)}."
            raise InvalidValueError(msg)
        return Profile(**profile)
    msg = f"profile must be a Profile, a name, a dict or None, found {type(profile).__name__}."
    raise InvalidValueError(msg)


def as_date(value: object, *, what: str = "date") -> dt.date:
    """A ``datetime.date`` from a date, a datetime, a Timestamp or an ISO ``YYYY-MM-DD`` text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    msg = f"{what} must be a date such as 2026-03-01 (YYYY-MM-DD), found {value!r}."
    raise InvalidValueError(msg)


# ---------------------------------------------------------------- zoning as a commune → zone table


def _zone_label(label: object) -> str | None:
    text = str(label).strip().upper()
    if text in ("ZIP+", "ZIP_RENFORCEE", "ZIP RENFORCEE", "ZIP_RENFORCÉE"):
        return "ZIP"  # a reinforced ZIP (Île-de-France) is a ZIP for the aids
    if text in ("ZIP", "ZAC"):
        return text
    if text in OUTSIDE_LABELS:
        return "HZ"
    if text in NO_ZONE_LABELS:
        return _NO_ZONE
    return None


def zone_table(zoning: Any) -> pd.Series:
    """Commune code → ``ZIP``, ``ZAC`` or ``HZ`` (outside), from any usual form of a zoning.

    Parameters
    ----------
    zoning
        A :class:`~aplcore.Zoning`, a Series indexed by commune code, or a DataFrame with a code
        column (``code``, ``commune``, ``com_code``, ``codgeo``) or index and a ``zone`` column or
        a national-file level column (``zmed_niveau``: ``1_ZIP``, ``2_ZAC``, ...), read by
        :func:`aplcore.zoning.compare.commune_zones`. Labels ``HZ``, ``ZV``, ``HV`` and ``ZAR``
        read as outside ZIP and ZAC; ``NA`` (or a missing label) as no zone, an error only when
        such a commune is asked about.
    """
    labels = commune_zones(zoning, what="the zoning")  # refuses 5_HZ, 3_ZV as the reader does
    labels = level_labels(labels)
    zones = [_NO_ZONE if pd.isna(v) else _zone_label(v) for v in labels.to_numpy()]
    bad = sorted({str(v) for v, z in zip(labels.to_numpy(), zones, strict=True) if z is None})
    if bad:
        msg = (
            f"zoning labels must be GP zones (ZIP, ZAC, HZ; 1_ZIP, 2_ZAC, 3_HZ, 4_ZAR, NA in the "
            f"national file; ZV, HV of 2017), found {describe_values(bad)}."
        )
        raise InvalidValueError(msg)
    return pd.Series(zones, index=labels.index, name="zone", dtype=object)


def _successor(code: str) -> str | None:
    """The current commune a former code is now part of (``None`` for a current code)."""
    status = code_status([code])
    unit = status["unit"].iloc[0]
    if bool(status["exists"].iloc[0]) or pd.isna(unit) or str(unit) == code:
        return None
    return str(unit)


def _zone_of(zones: pd.Series, code: str) -> str:
    if code not in zones.index:
        successor = _successor(code)
        same_dep = [c for c in zones.index if c[:2] == code[:2]][:5]
        hint = f" Codes of the same département in it: {', '.join(same_dep)}." if same_dep else ""
        if successor is not None and successor in zones.index:
            hint = f" {code} is a former code, now part of {successor}: ask for {successor}."
        msg = f"commune {code} is not in the zoning ({len(zones)} communes).{hint}"
        raise MissingCommuneError(msg)
    zone = str(zones.loc[code])
    if zone == _NO_ZONE:
        msg = f"commune {code} has no zone in the zoning (NA): no aid can be looked up."
        raise InvalidValueError(msg)
    return zone


# ---------------------------------------------------------------- amounts of one measure


def _eur(value: float) -> str:
    """Euros with a space between thousands: ``50 000 €``."""
    return f"{value:,.0f} €".replace(",", " ")


@dataclass(frozen=True)
class Assessment:
    """A measure applied to a profile: eligible or not, its amounts and its payments.

    ``payments`` lists (months after the start, euros); empty when there is no amount.
    """

    eligible: bool
    basis: str
    per_year: float = math.nan
    years: int | None = None
    total: float = math.nan
    payments: tuple[tuple[int, float], ...] = ()


def _yearly(per_year: float, years: int | None, basis: str) -> Assessment:
    if years is None:
        return Assessment(True, basis + "; no duration in the source", per_year=per_year)
    payments = tuple((12 * k, per_year) for k in range(years))
    return Assessment(True, basis, per_year, years, per_year * years, payments)


def assess(measure: Measure, profile: Profile | None) -> Assessment:
    """Apply one measure's amount rule to a profile (``None``: full time, no other figure)."""
    p = profile or Profile(situations=measure.situations)
    rule = measure.rule
    if rule == "lump_sum":
        return _lump_sum(measure, p)
    if rule == "per_year":
        if measure.is_cap:
            return Assessment(True, f"ceiling of {_eur(measure.amount)} a year, amount set locally")
        per_year = measure.amount + sum(
            amount * (12 if period == "month" else 1)
            for situation, amount, period in measure.supplements
            if situation in p.situations
        )
        return _yearly(per_year, measure.duration_years, f"{_eur(per_year)} a year")
    if rule == "per_month":
        basis = f"{_eur(measure.amount)} a month"
        if p.months is None:
            per_year = measure.amount * 12
            return Assessment(True, basis + "; give months for a total", per_year=per_year)
        payments = tuple((k, measure.amount) for k in range(p.months))
        total = measure.amount * p.months
        return Assessment(True, basis, measure.amount * 12, None, total, payments)
    if rule == "share_of_fees":
        basis = f"{measure.rate:.0%} of fees within {_eur(measure.cap_per_year)} a year"
        if p.yearly_fees is None:
            return Assessment(True, basis + "; give yearly_fees for an amount")
        per_year = min(measure.rate * p.yearly_fees, measure.cap_per_year)
        return _yearly(per_year, measure.duration_years, basis)
    if rule == "per_half_day":
        basis = f"{_eur(measure.amount)} per half-day"
        if p.half_days_per_year is None:
            return Assessment(True, basis + "; give half_days_per_year for an amount")
        return _yearly(measure.amount * p.half_days_per_year, measure.duration_years, basis)
    if rule == "quarterly_table":
        return _quarterly(measure, p)
    if rule == "period_not_stated":
        return Assessment(True, f"{_eur(measure.amount)}, period not stated in the source")
    return Assessment(True, "rule without an amount in the source")


def _lump_sum(measure: Measure, p: Profile) -> Assessment:
    factor = 1.0
    basis = f"{_eur(measure.amount)} once"
    if measure.prorated:
        if measure.min_days_per_week is not None and p.days_per_week < measure.min_days_per_week:
            return Assessment(
                False,
                f"needs at least {measure.min_days_per_week:g} days a week, "
                f"profile has {p.days_per_week:g}",
            )
        factor = min(p.days_per_week / measure.full_time_days_per_week, 1.0)
        basis += (
            f" for full time ({measure.full_time_days_per_week:g} days a week), prorated: "
            f"{factor:.0%}"
        )
    total = measure.amount * factor
    payments = tuple((month, total * share) for month, share in measure.schedule)
    return Assessment(True, basis, math.nan, measure.duration_years, total, payments)


def _quarterly(measure: Measure, p: Profile) -> Assessment:
    share = measure.min_activity_share
    if share is not None and p.activity_share_in_zones < share:
        return Assessment(
            False,
            f"needs {share:.0%} of the activity in ZIP or ZAC, profile has "
            f"{p.activity_share_in_zones:.0%}",
        )
    rows = ", ".join(
        f"{low}-{high or ''} days: {_eur(minimum)} / {_eur(ceiling)}"
        for low, high, minimum, ceiling in measure.table
    )
    if p.days_per_quarter is None:
        return Assessment(True, f"quarterly minimum fees / ceiling by days: {rows}")
    for low, high, minimum, ceiling in measure.table:
        if p.days_per_quarter >= low and (high == 0 or p.days_per_quarter <= high):
            return Assessment(
                True,
                f"{p.days_per_quarter} days a quarter: minimum fees {_eur(minimum)}, ceiling "
                f"{_eur(ceiling)} a quarter (amount paid depends on the fees earned)",
            )
    lowest = measure.table[0][0]
    return Assessment(False, f"{p.days_per_quarter} days a quarter is below the table ({lowest})")


# ---------------------------------------------------------------- for_commune


@dataclass(frozen=True)
class AidsAtCommune:
    """The aids a GP could claim in one commune on one date.

    Attributes
    ----------
    commune, zone, date, profile
        The question asked (``zone`` is ``ZIP``, ``ZAC`` or ``HZ``).
    measures
        One row per measure in force for this zone and profile: ``name``, ``funder``, ``kind``,
        ``eligible`` (false when the profile misses a condition), ``basis`` (the rule applied),
        ``per_year``, ``years``, ``total`` (euros; NaN where the source or the profile gives no
        amount), ``payment`` (schedule), ``valid`` (period) and ``source`` (document, section,
        pages).
    eligibility
        The funders' zone rules in force (e.g. conventional aids in ZIP).
    """

    commune: str
    zone: str
    date: dt.date
    profile: Profile | None
    measures: pd.DataFrame
    eligibility: pd.DataFrame

    @property
    def total(self) -> float:
        """Sum of the computed totals of the eligible measures (NaN ones left out)."""
        rows = self.measures[self.measures["eligible"]]
        return float(rows["total"].sum(min_count=0))

    def format(self) -> str:
        """Plain-text summary (what ``aplcore aids`` prints)."""
        lines = [
            f"commune {self.commune}: zone {self.zone} on {self.date.isoformat()}"
            + (f", profile {', '.join(self.profile.situations)}" if self.profile else ""),
        ]
        for rule in self.eligibility.itertuples():
            lines.append(f"  rule: {rule.rule} [{rule.source}]")
        if self.measures.empty:
            lines.append("  no measure of the catalogue applies")
        for mid, row in self.measures.iterrows():
            amount = "" if math.isnan(row["total"]) else f" = {_eur(row['total'])}"
            flag = "" if row["eligible"] else "  (not eligible: " + row["basis"] + ")"
            lines.append(f"  {mid}: {row['name']}{amount}{flag}")
            if row["eligible"]:
                lines.append(f"      {row['basis']}; valid {row['valid']}")
            lines.append(f"      source: {row['source']}")
        lines.append(f"  total of the computed amounts: {_eur(self.total)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _check_code(code: object) -> str:
    """The code of the INSEE form; a former code warns naming the commune it is now part of."""
    commune = str(normalise_codes(pd.Series([code]), what="commune code")[0])
    check_codes_exist(pd.Index([commune]), what="commune codes", stacklevel=4)
    return commune


def _applies(measure: Measure, zone: str, profile: Profile | None) -> bool:
    if not measure.applies_to_zone(zone):
        return False
    return profile is None or bool(set(measure.situations) & set(profile.situations))


def for_commune(
    code: str,
    zoning: Any,
    *,
    on: dt.date | str,
    profile: Profile | str | Mapping[str, Any] | None = None,
    catalogue: Catalogue | None = None,
) -> AidsAtCommune:
    """The measures and amounts a GP could claim in a commune on a date.

    Parameters
    ----------
    code
        Commune code (5 characters, e.g. ``"36044"``).
    zoning
        The zoning (see :func:`zone_table`).
    on
        The date (a date or ``"YYYY-MM-DD"``); it decides which catalogue entries apply.
    profile
        Who the doctor is: a :class:`Profile`, the name of one of :data:`PROFILES`, a situation,
        a dict of Profile fields, or ``None`` for every measure of the zone at full time.
    catalogue
        Another catalogue (default: the shipped one).

    Raises
    ------
    CatalogueError
        No catalogue entry is in force on ``on`` (the message gives the periods covered).
    MissingCommuneError
        The commune is not in the zoning.
    Examples
    --------
    >>> import pandas as pd
    >>> zoning = pd.Series({"36044": "ZIP", "36001": "ZAC"})
    >>> claim = for_commune("36044", zoning, on="2025-06-01", profile="installation")
    >>> print(claim.measures.loc["caim", "basis"])
    50 000 € once for full time (4 days a week), prorated: 100%
    >>> float(claim.measures.loc["caim", "total"])
    50000.0
    >>> for_commune("36001", zoning, on="2026-03-01", profile="first_installation").total
    5000.0
    """
    cat = catalogue or default_catalogue()
    day = as_date(on)
    prof = resolve_profile(profile)
    in_force = cat.valid_on(day)
    commune = _check_code(code)
    zone = _zone_of(zone_table(zoning), commune)
    rows = []
    for measure in in_force:
        if not _applies(measure, zone, prof):
            continue
        a = assess(measure, prof)
        rows.append(
            {
                "id": measure.id,
                "name": measure.name,
                "funder": measure.funder,
                "kind": measure.kind,
                "eligible": a.eligible,
                "basis": a.basis,
                "per_year": a.per_year,
                "years": a.years,
                "total": a.total if a.eligible else math.nan,
                "payment": measure.payment_schedule,
                "valid": measure.period,
                "source": measure.citation,
            }
        )
    columns = [
        "name",
        "funder",
        "kind",
        "eligible",
        "basis",
        "per_year",
        "years",
        "total",
        "payment",
    ]
    measures = pd.DataFrame(rows, columns=["id", *columns, "valid", "source"]).set_index("id")
    measures["eligible"] = measures["eligible"].astype(bool)
    for column in ("per_year", "total"):
        measures[column] = measures[column].astype(np.float64)
    rules = [
        {"id": r.id, "funder": r.funder, "rule": r.rule, "source": f"{r.source}: {r.section}"}
        for r in cat.eligibility
        if r.valid_on(day) and zone in r.zones
    ]
    eligibility = pd.DataFrame(rules, columns=["id", "funder", "rule", "source"]).set_index("id")
    return AidsAtCommune(commune, zone, day, prof, measures, eligibility)


# ---------------------------------------------------------------- cost of a plan


@dataclass(frozen=True)
class AidsCost:
    """Public cost of a plan of installations.

    Attributes
    ----------
    payments
        One row per installation, measure and payment: ``installation`` (row of the plan),
        ``commune``, ``zone``, ``start`` (installation date), ``measure``, ``funder``, ``year``
        (calendar year of the payment) and ``amount`` (euros, multiplied by the plan's
        ``count``).
    by_measure_year
        Euros by measure (rows) and calendar year (columns), with a ``total`` column.
    not_costed
        Measures the installations are eligible for but that have no computable amount, with the
        number of installations and the reason (rule without amount, missing profile figure).
    horizon_years
        Years counted for yearly measures whose source gives no duration.
    """

    payments: pd.DataFrame
    by_measure_year: pd.DataFrame
    not_costed: pd.DataFrame
    horizon_years: int

    @property
    def total(self) -> float:
        """Total public cost in euros."""
        return float(self.payments["amount"].sum())

    @property
    def by_year(self) -> pd.Series:
        """Euros per calendar year."""
        return self.payments.groupby("year")["amount"].sum()

    def format(self) -> str:
        """Plain-text table of the cost by measure and year."""
        table = self.by_measure_year.round(0).astype("int64").to_string()
        text = [table, f"total: {_eur(self.total)}"]
        if len(self.not_costed):
            text.append("not costed (no amount in the source, or a profile figure missing):")
            text.extend(
                f"  {mid}: {row.installations} installations; {row.reason}"
                for mid, row in self.not_costed.iterrows()
            )
        return "\n".join(text)

    def __str__(self) -> str:
        return self.format()


_PLAN_PROFILE_COLUMNS = (
    "situations",
    "days_per_week",
    "yearly_fees",
    "half_days_per_year",
    "days_per_quarter",
    "months",
    "activity_share_in_zones",
)


def _plan_frame(plan: Any) -> pd.DataFrame:
    if isinstance(getattr(plan, "sites", None), pd.DataFrame):  # a siting result
        plan = plan.sites
    if isinstance(plan, pd.Series | pd.Index | list | tuple | np.ndarray):
        frame = pd.DataFrame({"commune": list(plan)})
    elif isinstance(plan, pd.DataFrame):
        frame = plan.copy()
        if not ({"commune", "code"} & set(frame.columns)) and frame.index.name in (
            "commune",
            "code",
        ):
            frame = frame.reset_index()
        if "commune" not in frame.columns and "code" in frame.columns:
            frame = frame.rename(columns={"code": "commune"})
    else:
        msg = (
            "plan must be a table with a 'commune' (or 'code') column, one row per installation, "
            f"or a list of commune codes; found {type_name(plan)}."
        )
        raise InputFormatError(msg)
    if "commune" not in frame.columns:
        msg = (
            "plan needs a 'commune' (or 'code') column of commune codes; its columns are "
            f"{', '.join(map(str, frame.columns))}."
        )
        raise InputFormatError(msg)
    if len(frame) == 0:
        msg = "plan has no installations (no rows)."
        raise InputFormatError(msg)
    frame = frame.reset_index(drop=True)
    frame["commune"] = normalise_codes(frame["commune"], what="plan commune codes").to_numpy()
    if "count" not in frame.columns:
        frame["count"] = 1.0
    counts = pd.to_numeric(frame["count"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(counts) & (counts >= 0)):
        bad = frame.loc[~(np.isfinite(counts) & (counts >= 0)), "count"]
        msg = f"plan count must be non-negative numbers, found {describe_values(bad.items())}."
        raise InvalidValueError(msg)
    frame["count"] = counts
    return frame


def _row_profile(row: pd.Series, base: Profile) -> Profile:
    changes: dict[str, Any] = {}
    for column in _PLAN_PROFILE_COLUMNS:
        if column not in row.index or pd.isna(row[column]):
            continue
        value = row[column]
        if column == "situations":
            value = tuple(s for s in str(value).replace(";", " ").replace(",", " ").split() if s)
        elif column in ("days_per_quarter", "months"):
            value = int(value)
        else:
            value = float(value)
        changes[column] = value
    return replace(base, **changes) if changes else base


def _payment_year(start: dt.date, months: int) -> int:
    return start.year + (start.month - 1 + months) // 12


def cost(
    plan: Any,
    zoning: Any,
    *,
    on: dt.date | str,
    profile: Profile | str | Mapping[str, Any] | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int = 1,
) -> AidsCost:
    """Public cost of a set of installations, by measure and calendar year.

    Parameters
    ----------
    plan
        One row per installation: a DataFrame with a ``commune`` (or ``code``) column, or a
        siting result of :mod:`aplcore.scenarios` (its ``sites``), optionally ``date``
        (installation date, default ``on``), ``count`` (doctors installing there, default 1)
        and profile columns (``situations`` as text
        separated by spaces, ``days_per_week``, ``yearly_fees``, ``half_days_per_year``,
        ``days_per_quarter``, ``months``) overriding ``profile`` row by row; or a list of codes.
    zoning
        The zoning (see :func:`zone_table`).
    on
        Date of the installations without their own ``date``.
    profile
        The doctors' profile (default: a full-time first installation, :data:`PROFILES`
        ``"first_installation"``).
    catalogue
        Another catalogue (default: the shipped one).
    horizon_years
        Years counted for yearly measures whose source gives no duration (e.g. advanced
        consultations paid per half-day).

    Returns
    -------
    AidsCost
        Payments, the breakdown by measure and year, and the measures not costed with why.

    Raises
    ------
    CatalogueError
        An installation date that no catalogue entry covers.
    MissingCommuneError
        Plan communes absent from the zoning.
    Examples
    --------
    >>> import pandas as pd
    >>> zoning = pd.Series({"36044": "ZIP", "36001": "ZAC"})
    >>> plan = pd.DataFrame({"commune": ["36044", "36001"], "count": [2, 1]})
    >>> cost(plan, zoning, on="2025-09-01").by_measure_year
             2025     2026     total
    measure
    caim  50000.0  50000.0  100000.0
    """
    if not isinstance(horizon_years, int) or horizon_years < 1:
        msg = f"horizon_years must be a positive integer, found {horizon_years!r}."
        raise InvalidValueError(msg)
    cat = catalogue or default_catalogue()
    base = resolve_profile(profile) or PROFILES["first_installation"]
    default_day = as_date(on)
    frame = _plan_frame(plan)
    zones = zone_table(zoning)
    unzoned = sorted(set(frame["commune"]) & set(zones.index[zones == _NO_ZONE]))
    if unzoned:
        msg = f"plan communes without a zone in the zoning (NA): {describe_values(unzoned)}."
        raise InvalidValueError(msg)
    missing = sorted(set(frame["commune"]) - set(zones.index))
    if missing:
        msg = (
            f"{len(missing)} plan communes are not in the zoning ({len(zones)} communes): "
            f"{describe_values(missing)}."
        )
        raise MissingCommuneError(msg)
    payments: list[dict[str, Any]] = []
    not_costed: dict[str, list[Any]] = {}
    for i, row in frame.iterrows():
        has_date = "date" in row.index and not pd.isna(row["date"])
        start = as_date(row["date"], what=f"plan row {i} date") if has_date else default_day
        prof = _row_profile(row, base)
        zone = str(zones.loc[row["commune"]])
        for measure in cat.valid_on(start):
            if not _applies(measure, zone, prof):
                continue
            a = assess(measure, prof)
            if not a.eligible:
                continue
            flows = a.payments
            if not flows and not math.isnan(a.per_year) and a.years is None:
                flows = tuple((12 * k, a.per_year) for k in range(horizon_years))
            if not flows:
                entry = not_costed.setdefault(measure.id, [0, a.basis])
                entry[0] += 1
                continue
            payments.extend(
                {
                    "installation": i,
                    "commune": row["commune"],
                    "zone": zone,
                    "start": start,
                    "measure": measure.id,
                    "funder": measure.funder,
                    "year": _payment_year(start, months),
                    "amount": amount * row["count"],
                }
                for months, amount in flows
            )
    columns = ["installation", "commune", "zone", "start", "measure", "funder", "year", "amount"]
    table = pd.DataFrame(payments, columns=columns)
    table["amount"] = table["amount"].astype(np.float64)
    by = table.pivot_table(
        index="measure", columns="year", values="amount", aggfunc="sum", fill_value=0.0
    )
    by.columns = [int(c) for c in by.columns]
    by["total"] = by.sum(axis=1)
    skipped = pd.DataFrame(
        [(k, n, reason) for k, (n, reason) in not_costed.items()],
        columns=["measure", "installations", "reason"],
    ).set_index("measure")
    return AidsCost(table, by, skipped, horizon_years)
