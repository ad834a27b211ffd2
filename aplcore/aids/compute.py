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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
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
from .catalogue import (
    CONDITION_FIELDS,
    SITUATIONS,
    ZONES,
    Catalogue,
    Condition,
    Measure,
    Supplement,
    default_catalogue,
)

__all__ = [
    "PROFILES",
    "SECTORS",
    "AidsAtCommune",
    "AidsCost",
    "Evaluation",
    "Profile",
    "assess",
    "cost",
    "evaluate",
    "for_commune",
    "holds",
    "resolve_profile",
    "zone_table",
]

#: Labels of zonings read as "outside ZIP and ZAC" (2025 ``HZ``, 2017 ``ZV`` and ``HV``, the
#: regional category ``ZAR`` of the national file, for which the documents list no aid).
OUTSIDE_LABELS = ("HZ", "ZV", "HV", "ZAR", "HORS ZONAGE", "HORS_ZONAGE")
#: Labels of communes without a zone (``NA`` in the national file).
NO_ZONE_LABELS = ("NA", "NAN", "NONE", "")
_NO_ZONE = "no zone"
#: Zones of the 2011-2012 zonings the catalogue knows (2012 Île-de-France GP zones, five levels).
_OTHER_ZONES = tuple(z for z in ZONES if z not in ("ZIP", "ZAC", "HZ", "*"))
#: Convention sectors of :attr:`Profile.sector`.
SECTORS = ("1", "2", "2_optam")


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
    age
        The doctor's age (COTRAM 2022: 60 or more; FMT majoration: over 67).
    successor_age
        Age of the doctor taken in (COTRAM 2022: under 50).
    sector
        Convention sector: ``"1"``, ``"2"`` or ``"2_optam"`` (secteur 2 with OPTAM / OPTAM-ACO,
        or the 2011 option de coordination).
    days_per_year
        Days a year worked in the zone of a measure for occasional practice (CSTM: 10 or more;
        option santé solidarité territoriale 2011: 28 or more).
    half_days_per_month
        Half-days of advanced consultations per month (2026: paid within 6 a month).
    commune_population
        Inhabitants of the commune (CFE exemption: under 2 000).
    zrr, zfu
        Whether the commune is in a zone de revitalisation rurale / zone franche urbaine.
    qpv
        Whether the practice is in a quartier prioritaire (2026 FMT majorations).
    majorated_zone
        Whether the commune is in one of the « certaines zones » of the 2022-2025 +20 % and
        +1 000 € majorations (the documents do not list them).
    hopital_de_proximite
        Whether part of the activity is in a hôpital de proximité (also the situation of that
        name).
    yearly_income
        Yearly income from activity in euros (retired doctors' exemption: under 80 000 €).
    fmt_per_year
        The doctor's yearly forfait médecin traitant in euros (2026 FMT majorations).

    Every condition of a measure that a field left at ``None`` cannot decide is reported as
    "depends on ...", never assumed to hold or to fail.
    """

    situations: tuple[str, ...] = ("installation", "first_installation")
    days_per_week: float = 4.0
    yearly_fees: float | None = None
    half_days_per_year: float | None = None
    days_per_quarter: int | None = None
    months: int | None = None
    activity_share_in_zones: float = 1.0
    age: float | None = None
    successor_age: float | None = None
    sector: str | None = None
    days_per_year: float | None = None
    half_days_per_month: float | None = None
    commune_population: float | None = None
    zrr: bool | None = None
    zfu: bool | None = None
    qpv: bool | None = None
    majorated_zone: bool | None = None
    hopital_de_proximite: bool | None = None
    yearly_income: float | None = None
    fmt_per_year: float | None = None

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
        numbers = (
            "days_per_week",
            "yearly_fees",
            "half_days_per_year",
            "days_per_quarter",
            "age",
            "successor_age",
            "days_per_year",
            "half_days_per_month",
            "commune_population",
            "yearly_income",
            "fmt_per_year",
        )
        for name in numbers:
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                msg = f"profile {name} must be a finite non-negative number, found {value!r}."
                raise InvalidValueError(msg)
        if self.sector is not None and self.sector not in SECTORS:
            msg = f"profile sector must be one of {', '.join(SECTORS)}, found {self.sector!r}."
            raise InvalidValueError(msg)
        for name in ("zrr", "zfu", "qpv", "majorated_zone", "hopital_de_proximite"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool | np.bool_):
                msg = f"profile {name} must be true, false or None (unknown), found {value!r}."
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


def resolve_profile(
    profile: Profile | str | Mapping[str, Any] | None, **changes: Any
) -> Profile | None:
    """A :class:`Profile` from a profile, a name of :data:`PROFILES`, a situation or a dict.

    ``changes`` (Profile fields; ``None`` values ignored) replace the profile's fields; without
    a profile they apply to one with every situation (every measure of the zone is listed).
    """
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes:
        known = {f.name for f in fields(Profile)}
        unknown = sorted(set(changes) - known)
        if unknown:
            msg = f"unknown profile fields {unknown}; the fields are {sorted(known)}."
            raise InvalidValueError(msg)
        base = resolve_profile(profile) or Profile(situations=SITUATIONS)
        return replace(base, **changes)
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
    if text.lower() in _OTHER_ZONES:
        return text.lower()
    if text == "HORS_ZONE":  # the residual zone of the 2012 Île-de-France zoning
        return "HZ"
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
        :func:`aplcore.zoning.compare.commune_zones` (which refuses the level codes the
        national-file reader refuses). Labels ``HZ``,
        ``ZV``, ``HV`` and ``ZAR`` read as outside ZIP and ZAC; ``NA`` (or a missing label) as no
        zone, an error only when such a commune is asked about.
    """
    labels = commune_zones(zoning, what="the zoning")  # refuses 5_HZ, 3_ZV as the reader does
    labels = level_labels(labels)
    zones = [_NO_ZONE if pd.isna(v) else _zone_label(v) for v in labels.to_numpy()]
    bad = sorted({str(v) for v, z in zip(labels.to_numpy(), zones, strict=True) if z is None})
    if bad:
        msg = (
            f"zoning labels must be GP zones (ZIP, ZAC, HZ; 1_ZIP, 2_ZAC, 3_HZ, 4_ZAR, NA in the "
            f"national file; ZV, HV of 2017) or zones of the 2011-2012 zonings "
            f"({', '.join(_OTHER_ZONES)}), found {describe_values(bad)}."
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


def _yearly(per_year: float, years: int | None, basis: str, first: float = 0.0) -> Assessment:
    """Yearly payments (``first`` added to the first one)."""
    if years is None:
        return Assessment(True, basis + "; no duration in the source", per_year=per_year)
    payments = tuple((12 * k, per_year + (first if k == 0 else 0.0)) for k in range(years))
    return Assessment(True, basis, per_year, years, per_year * years + first, payments)


# ---------------------------------------------------------------- conditions of the profile


def _profile_value(p: Profile, field: str) -> Any:
    value = getattr(p, field)
    if field == "hopital_de_proximite" and "hopital_de_proximite" in p.situations:
        return True
    return value


def holds(condition: Condition, profile: Profile) -> bool | None:
    """Whether the profile meets a condition; ``None`` when the profile does not say."""
    value = _profile_value(profile, condition.field)
    if value is None:
        return None
    op, target = condition.op, condition.value
    if op == "in":
        return str(value) in target
    if op == "==":
        return value == target
    if op == ">=":
        return value >= target
    if op == ">":
        return value > target
    if op == "<":
        return value < target
    return value <= target


def _supplement_holds(sup: Supplement, p: Profile) -> bool | None:
    if sup.when in CONDITION_FIELDS:
        value = _profile_value(p, sup.when)
        return None if value is None else bool(value)
    return sup.when in p.situations


def _supplement_text(sup: Supplement) -> str:
    if sup.rate is not None:
        return f"+{sup.rate:.0%} if {sup.when}"
    per = {"year": " a year", "month": " a month", "once": " once"}[sup.per]
    return f"+{_eur(sup.amount)}{per} if {sup.when}"  # type: ignore[arg-type]


def _supplements(measure: Measure, p: Profile) -> tuple[float, float, float, list[str]]:
    """Euros a year, euros once and the rate factor the profile's supplements add, and the
    supplements the profile leaves open ("depends on")."""
    per_year, once, factor, open_ = 0.0, 0.0, 1.0, []
    for sup in measure.supplements:
        state = _supplement_holds(sup, p)
        if state is None:
            open_.append(_supplement_text(sup))
        elif state and sup.rate is not None:
            factor *= 1.0 + sup.rate
        elif state:
            amount = float(sup.amount)  # type: ignore[arg-type]
            if sup.per == "once":
                once += amount
            else:
                per_year += amount * (12 if sup.per == "month" else 1)
    return per_year, once, factor, open_


def _with_open(basis: str, open_: list[str]) -> str:
    if not open_:
        return basis
    return basis + "; depends on the profile for " + ", ".join(open_)


def assess(measure: Measure, profile: Profile | None) -> Assessment:
    """Apply one measure's amount rule to a profile (``None``: full time, no other figure).

    Supplements apply when their situation or profile field holds; those the profile leaves
    unknown are named in ``basis`` ("depends on the profile for +20 % if majorated_zone") and
    not added. Eligibility conditions are judged by :func:`evaluate`, not here.
    """
    p = profile or Profile(situations=measure.situations)
    rule = measure.rule
    if rule == "lump_sum":
        return _lump_sum(measure, p)
    if rule == "per_year":
        if measure.is_cap:
            return Assessment(True, f"ceiling of {_eur(measure.amount)} a year, amount set locally")
        extra, once, factor, open_ = _supplements(measure, p)
        per_year = (measure.amount + extra) * factor
        basis = _with_open(f"{_eur(per_year)} a year", open_)
        return _yearly(per_year, measure.duration_years, basis, first=once)
    if rule == "per_month":
        basis = f"{_eur(measure.amount)} a month"
        if p.months is None:
            per_year = measure.amount * 12
            return Assessment(True, basis + "; give months for a total", per_year=per_year)
        payments = tuple((k, measure.amount) for k in range(p.months))
        total = measure.amount * p.months
        return Assessment(True, basis, measure.amount * 12, None, total, payments)
    if rule == "share_of_fees":
        extra, once, factor, open_ = _supplements(measure, p)
        basis = f"{measure.rate:.0%} of fees within {_eur(measure.cap_per_year)} a year"
        if factor != 1.0:
            basis += f", majorated by {factor - 1:.0%}"
        if extra:
            basis += f", +{_eur(extra)} a year"
        basis = _with_open(basis, open_)
        if p.yearly_fees is None:
            return Assessment(True, basis + "; give yearly_fees for an amount")
        per_year = min(measure.rate * p.yearly_fees, measure.cap_per_year) * factor + extra
        return _yearly(per_year, measure.duration_years, basis, first=once)
    if rule == "per_half_day":
        return _per_half_day(measure, p)
    if rule == "share_of_base":
        return _share_of_base(measure, p)
    if rule == "quarterly_table":
        return _quarterly(measure, p)
    if rule == "period_not_stated":
        return Assessment(True, f"{_eur(measure.amount)}, period not stated in the source")
    return Assessment(True, "rule without an amount in the source")


def _per_half_day(measure: Measure, p: Profile) -> Assessment:
    basis = f"{_eur(measure.amount)} per half-day"
    cap = measure.cap_half_days_per_month
    if cap is not None:
        basis += f", within {cap} half-days a month"
    if p.half_days_per_month is not None:
        per_year = min(p.half_days_per_month, cap if cap is not None else math.inf) * 12
    elif p.half_days_per_year is not None:
        per_year = min(p.half_days_per_year, 12 * cap if cap is not None else math.inf)
    else:
        return Assessment(True, basis + "; give half_days_per_month for an amount")
    return _yearly(measure.amount * per_year, measure.duration_years, basis)


def _share_of_base(measure: Measure, p: Profile) -> Assessment:
    steps = ", ".join(f"{r:.0%}" for r in measure.rates)
    basis = f"{steps} of the {measure.base}"
    if len(measure.rates) > 1:
        basis += " in successive years (the last rate goes on)"
    if p.fmt_per_year is None:
        return Assessment(True, basis + "; give fmt_per_year for an amount")
    amounts = [rate * p.fmt_per_year for rate in measure.rates]
    if len(amounts) == 1:
        return Assessment(True, basis + "; no duration in the source", per_year=amounts[0])
    payments = tuple((12 * k, a) for k, a in enumerate(amounts))
    return Assessment(True, basis, amounts[-1], len(amounts), sum(amounts), payments)


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
    _, once, rate_factor, open_ = _supplements(measure, p)
    if rate_factor != 1.0:
        basis += f", majorated by {rate_factor - 1:.0%}"
    if once:
        basis += f", +{_eur(once)}"
    basis = _with_open(basis, open_)
    total = measure.amount * factor * rate_factor
    payments = tuple((month, total * share) for month, share in measure.schedule)
    if once:
        payments = ((payments[0][0], payments[0][1] + once), *payments[1:])
    return Assessment(True, basis, math.nan, measure.duration_years, total + once, payments)


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
class Evaluation:
    """Whether a measure in force applies to a zone and a profile.

    ``status`` is ``"eligible"``, ``"depends"`` (conditions the profile leaves unknown, named
    in ``depends_on``) or ``"excluded"`` (``reason`` says why).
    """

    status: str
    reason: str = ""
    depends_on: tuple[str, ...] = ()


def _conditions_text(measure: Measure) -> str:
    parts = [str(c) for c in measure.conditions]
    if measure.or_if:
        zones = " or ".join(measure.zones)
        parts.append(f"zone {zones} or " + " or ".join(str(c) for c in measure.or_if))
    return "; ".join(parts)


def evaluate(
    measure: Measure,
    zone: str,
    profile: Profile | None,
    in_force: Sequence[Measure] = (),
) -> Evaluation:
    """Judge one measure in force for a commune's zone and a profile.

    In order: another entry of the same ``group`` marked ``preferred`` and in force replaces
    it; the zone must be one of the measure's, or one of its ``or_if`` must hold; the profile
    must be in one of its situations; every condition must hold. A condition the profile does
    not decide (a field left at ``None``) makes the measure "depends on ...".
    """
    if measure.group and not measure.preferred:
        better = [
            m for m in in_force if m.group == measure.group and m.preferred and m is not measure
        ]
        if better:
            note = better[0].preference_note or measure.preference_note
            return Evaluation(
                "excluded",
                f"the same scheme as {better[0].id} ({better[0].source}), applied "
                f"by default: {note}",
            )
    p = profile or Profile(situations=measure.situations)
    depends: list[str] = []
    if not measure.applies_to_zone(zone):
        if not measure.or_if:
            return Evaluation(
                "excluded", f"for zones {', '.join(measure.zones)}; the commune is {zone}"
            )
        states = [holds(c, p) for c in measure.or_if]
        if not any(states):
            unknown = [str(c) for c, st in zip(measure.or_if, states, strict=True) if st is None]
            if not unknown:
                return Evaluation(
                    "excluded",
                    f"for zones {', '.join(measure.zones)} or "
                    f"{' or '.join(map(str, measure.or_if))}; the commune is {zone} and the "
                    "profile meets none",
                )
            depends.append(" or ".join(unknown))
    if profile is not None and not set(measure.situations) & set(profile.situations):
        return Evaluation(
            "excluded",
            f"for situations {', '.join(measure.situations)}; the profile has "
            f"{', '.join(profile.situations)}",
        )
    for condition in measure.conditions:
        state = holds(condition, p)
        if state is False:
            found = _profile_value(p, condition.field)
            return Evaluation("excluded", f"needs {condition}; the profile has {found}")
        if state is None:
            depends.append(str(condition))
    if depends:
        return Evaluation("depends", "depends on " + ", ".join(depends), tuple(depends))
    return Evaluation("eligible")


@dataclass(frozen=True)
class AidsAtCommune:
    """The aids a GP could claim in one commune on one date.

    Attributes
    ----------
    commune, zone, date, profile
        The question asked (``zone`` is ``ZIP``, ``ZAC`` or ``HZ``, or a label of the
        2011-2012 zonings).
    measures
        One row per measure in force that applies to this zone and profile: ``name``,
        ``funder``, ``kind``, ``status`` (``eligible``, or ``depends`` when the profile leaves a
        condition unknown), ``eligible`` (status is ``eligible``), ``conditions`` (as the
        catalogue states them), ``depends_on``, ``basis`` (the rule applied), ``per_year``,
        ``years``, ``total`` (euros; NaN where the source or the profile gives no amount, and
        for measures that depend on the profile), ``payment`` (schedule), ``valid`` (period),
        ``source`` (document, section, pages) and ``sources`` (every document its figures
        come from).
    excluded
        The other measures in force on the date, with the ``reason`` each is excluded (zone,
        situation, a condition the profile fails, or another statement of the same scheme
        applied by default).
    eligibility
        The funders' zone rules in force (e.g. conventional aids in ZIP).
    """

    commune: str
    zone: str
    date: dt.date
    profile: Profile | None
    measures: pd.DataFrame
    eligibility: pd.DataFrame
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def total(self) -> float:
        """Sum of the computed totals of the eligible measures (NaN ones left out)."""
        rows = self.measures[self.measures["eligible"]]
        return float(rows["total"].sum(min_count=0))

    def format(self) -> str:
        """The table ``aplcore aids`` prints: each measure with amount, conditions, source and
        validity, the measures that depend on the profile, and the excluded ones with why."""
        who = f", profile {', '.join(self.profile.situations)}" if self.profile else ""
        lines = [f"commune {self.commune}: zone {self.zone} on {self.date.isoformat()}{who}"]
        for rule in self.eligibility.itertuples():
            lines.append(f"  rule: {rule.rule} [{rule.source}; {rule.valid}]")
        for status, title in (
            ("eligible", "measures"),
            ("depends", "measures that depend on the profile"),
        ):
            rows = self.measures[self.measures["status"] == status]
            lines.append(f"{title} ({len(rows)}):")
            for mid, row in rows.iterrows():
                amount = "" if math.isnan(row["total"]) else f" = {_eur(row['total'])}"
                lines.append(f"  {mid}: {row['name']}{amount}")
                lines.append(f"      amount: {row['basis']}")
                if row["conditions"]:
                    lines.append(f"      conditions: {row['conditions']}")
                if row["depends_on"]:
                    lines.append(f"      depends on: {row['depends_on']}")
                lines.append(f"      source: {row['source']}")
                lines.append(f"      valid: {row['valid']}")
        lines.append(f"excluded ({len(self.excluded)}):")
        for mid, row in self.excluded.iterrows():
            lines.append(f"  {mid}: {row['reason']} [{row['source']}]")
        lines.append(f"total of the computed amounts: {_eur(self.total)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _check_code(code: object) -> str:
    """The code of the INSEE form; a former code warns naming the commune it is now part of."""
    commune = str(normalise_codes(pd.Series([code]), what="commune code")[0])
    check_codes_exist(pd.Index([commune]), what="commune codes", stacklevel=4)
    return commune


_MEASURE_COLUMNS = [
    "name",
    "funder",
    "kind",
    "status",
    "eligible",
    "conditions",
    "depends_on",
    "basis",
    "per_year",
    "years",
    "total",
    "payment",
    "valid",
    "source",
    "sources",
]


def for_commune(
    code: str,
    zoning: Any,
    *,
    on: dt.date | str,
    profile: Profile | str | Mapping[str, Any] | None = None,
    catalogue: Catalogue | None = None,
) -> AidsAtCommune:
    """The measures and amounts a GP could claim in a commune on a date.

    Where two documents state the same scheme differently (the catalogue's ``group``: the
    2016 convention's contracts in the 2025 Centre-Val de Loire guide and, with the 2022
    figures and conditions, in the Hauts-de-Seine 2025 document), the entry marked
    ``preferred`` is applied on the dates it is in force, because it is the later statement
    that dates its figures (2022-2025); the other is listed in ``excluded`` with its source, so
    both stay visible. On the zones of local-authority aids (L. 1511-8 CGCT), the 2018 FAQ's
    table and the 2019 guide (ZIP and ZAC) are applied; the 2025 guide's « en ZAC » is shown as
    a rule in ``eligibility``. See ``docs/aids.md``.

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
        a dict of Profile fields, or ``None`` for every measure of the zone at full time (the
        conditions then all "depend on" the profile).
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
    >>> doctor = {"situations": ["installation"], "sector": "1"}
    >>> claim = for_commune("36044", zoning, on="2021-06-01", profile=doctor)
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
    rows, excluded = [], []
    for measure in in_force:
        ev = evaluate(measure, zone, prof, in_force)
        a = assess(measure, prof) if ev.status != "excluded" else None
        if a is not None and not a.eligible:
            ev = Evaluation("excluded", a.basis)
        if ev.status == "excluded":
            excluded.append(
                {
                    "id": measure.id,
                    "name": measure.name,
                    "reason": ev.reason,
                    "valid": measure.period,
                    "source": measure.citation,
                }
            )
            continue
        eligible = ev.status == "eligible"
        rows.append(
            {
                "id": measure.id,
                "name": measure.name,
                "funder": measure.funder,
                "kind": measure.kind,
                "status": ev.status,
                "eligible": eligible,
                "conditions": _conditions_text(measure),
                "depends_on": ", ".join(ev.depends_on),
                "basis": a.basis,
                "per_year": a.per_year,
                "years": a.years,
                "total": a.total if eligible else math.nan,
                "payment": measure.payment_schedule,
                "valid": measure.period,
                "source": measure.citation,
                "sources": ", ".join(measure.sources),
            }
        )
    measures = pd.DataFrame(rows, columns=["id", *_MEASURE_COLUMNS]).set_index("id")
    measures["eligible"] = measures["eligible"].astype(bool)
    for column in ("per_year", "total"):
        measures[column] = measures[column].astype(np.float64)
    dropped = pd.DataFrame(excluded, columns=["id", "name", "reason", "valid", "source"])
    rules = [
        {
            "id": r.id,
            "funder": r.funder,
            "rule": r.rule,
            "valid": r.period,
            "source": f"{r.source}: {r.section}",
        }
        for r in cat.eligibility
        if r.valid_on(day) and zone in r.zones
    ]
    eligibility = pd.DataFrame(
        rules, columns=["id", "funder", "rule", "valid", "source"]
    ).set_index("id")
    return AidsAtCommune(commune, zone, day, prof, measures, eligibility, dropped.set_index("id"))


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
        Measures the installations are eligible for but that have no computable amount, and the
        measures that depend on a condition the profile leaves unknown, with the number of
        installations and the reason (rule without amount, missing profile figure, "depends on
        ...").
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
    "age",
    "successor_age",
    "sector",
    "days_per_year",
    "half_days_per_month",
    "commune_population",
    "zrr",
    "zfu",
    "qpv",
    "majorated_zone",
    "hopital_de_proximite",
    "yearly_income",
    "fmt_per_year",
)
_BOOL_COLUMNS = ("zrr", "zfu", "qpv", "majorated_zone", "hopital_de_proximite")


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
        elif column == "sector":
            value = str(value)
        elif column in _BOOL_COLUMNS:
            value = _as_bool(value, column)
        elif column in ("days_per_quarter", "months"):
            value = int(value)
        else:
            value = float(value)
        changes[column] = value
    return replace(base, **changes) if changes else base


def _as_bool(value: object, column: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "oui", "1.0"):
        return True
    if text in ("false", "0", "no", "non", "0.0"):
        return False
    msg = f"plan column {column} must be true or false (or empty: unknown), found {value!r}."
    raise InvalidValueError(msg)


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
    >>> doctors = {"situations": ["installation"], "sector": "1"}
    >>> result = cost(plan, zoning, on="2025-09-01", profile=doctors)
    >>> result.by_measure_year.loc["caim_2022"].to_dict()
    {2025: 50000.0, 2026: 50000.0, 'total': 100000.0}
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
        in_force = cat.valid_on(start)
        for measure in in_force:
            ev = evaluate(measure, zone, prof, in_force)
            if ev.status == "excluded":
                continue
            a = assess(measure, prof)
            if not a.eligible:
                continue
            if ev.status == "depends":
                entry = not_costed.setdefault(measure.id, [0, ev.reason])
                entry[0] += 1
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
