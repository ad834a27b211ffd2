"""The aids catalogue: dated, sourced measures read from a TOML file and checked once.

The catalogue shipped with aplcore (``catalogue.toml`` beside this module) lists the installation
and retention aids a general practitioner can claim by zone (ZIP, ZAC, outside) and date, each with
its source document and section. :func:`load_catalogue` reads it (or a user's file with the same
schema) into a :class:`Catalogue` of frozen :class:`Measure` objects; every schema error names the
entry, the key, what was expected and what was found.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CatalogueError

__all__ = [
    "CONDITION_FIELDS",
    "NOT_STATED",
    "RULES",
    "SITUATIONS",
    "ZONES",
    "Assumption",
    "Catalogue",
    "CatalogueError",
    "Condition",
    "EligibilityRule",
    "Measure",
    "Quote",
    "Supplement",
    "default_catalogue",
    "load_catalogue",
]

#: Amount rules a measure can have (see the header of ``catalogue.toml``).
RULES = (
    "lump_sum",
    "per_year",
    "per_month",
    "share_of_fees",
    "per_half_day",
    "share_of_base",
    "period_not_stated",
    "quarterly_table",
    "none",
)
#: Zone labels of the catalogue: ``HZ`` is anything outside ZIP and ZAC, ``*`` any zone; the
#: 2012 Île-de-France GP zones (``deficitaire``, ``fragile``) and the five levels of the other
#: professions, for the measures of the 2011-2012 conventions.
ZONES = (
    "ZIP",
    "ZAC",
    "HZ",
    "deficitaire",
    "fragile",
    "very_under_served",
    "under_served",
    "intermediate",
    "well_served",
    "over_served",
    "*",
)
#: What ``valid_to`` says when no document gives an end date.
NOT_STATED = "not stated"
#: Profile fields a condition (``conditions``, ``or_if``) or a supplement (``when``) may name.
CONDITION_FIELDS = (
    "age",
    "successor_age",
    "sector",
    "days_per_year",
    "days_per_week",
    "half_days_per_month",
    "commune_population",
    "zrr",
    "zfu",
    "qpv",
    "majorated_zone",
    "hopital_de_proximite",
    "yearly_income",
)
#: Operators of a condition.
OPERATORS = (">=", ">", "<", "<=", "==", "in")
#: Situations a measure is for; a :class:`~aplcore.aids.Profile` lists the ones that apply.
SITUATIONS = (
    "installation",
    "first_installation",
    "coordinated_practice",
    "hopital_de_proximite",
    "transition",
    "occasional_practice",
    "replacement",
    "recent_graduate",
    "secondary_practice",
    "advanced_consultations",
    "training_supervisor",
    "student",
    "intern",
    "isolated_seasonal",
    "retired",
    "practice",
    "health_centre",
    "medical_assistant",
)

_REQUIRED = {
    "id": str,
    "name": str,
    "funder": str,
    "kind": str,
    "profession": str,
    "situations": list,
    "zones": list,
    "eligibility": str,
    "rule": str,
    "valid_from": dt.date,
    "source": str,
    "section": str,
}
_OPTIONAL = {
    "valid_to": (dt.date, str),
    "quotes": list,
    "assumptions": list,
    "conditions": list,
    "or_if": list,
    "group": str,
    "preferred": bool,
    "preference_note": str,
    "cap_half_days_per_month": int,
    "rates": list,
    "base": str,
    "max_days_per_year": int,
    "pages": str,
    "validity_note": str,
    "amount_note": str,
    "amount": float,
    "prorated": bool,
    "full_time_days_per_week": float,
    "min_days_per_week": float,
    "schedule": list,
    "duration_years": int,
    "supplements": list,
    "rate": float,
    "cap_per_year": float,
    "table": list,
    "min_activity_share": float,
    "duration_note": str,
    "is_cap": bool,
    "guarantee": float,
    "activity_rate": float,
    "activity_cap": float,
    "income_limit": float,
}
#: Keys each rule needs besides the common ones.
_RULE_KEYS = {
    "lump_sum": ("amount",),
    "per_year": ("amount",),
    "per_month": ("amount",),
    "share_of_fees": ("rate", "cap_per_year"),
    "per_half_day": ("amount",),
    "share_of_base": ("rates", "base"),
    "period_not_stated": ("amount",),
    "quarterly_table": ("table",),
    "none": ("amount_note",),
}
_ELIGIBILITY_REQUIRED = {
    "id": str,
    "funder": str,
    "zones": list,
    "rule": str,
    "valid_from": dt.date,
    "source": str,
    "section": str,
}
_ELIGIBILITY_OPTIONAL = {
    "valid_to": (dt.date, str),
    "pages": str,
    "validity_note": str,
    "quotes": list,
    "assumptions": list,
}


@dataclass(frozen=True)
class Condition:
    """A condition on the profile: ``field op value`` (``age >= 60``)."""

    field: str
    op: str
    value: Any

    def __str__(self) -> str:
        value = self.value
        if isinstance(value, tuple):
            value = " or ".join(map(str, value))
        elif isinstance(value, bool):
            return self.field if value else f"not {self.field}"
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{self.field} {self.op} {value}"


@dataclass(frozen=True)
class Supplement:
    """An addition to a measure's amount when ``when`` holds (a situation or a profile field):
    ``amount`` euros ``per`` year, month or once, or ``rate`` times the amount."""

    when: str
    amount: float | None = None
    per: str = "year"
    rate: float | None = None


@dataclass(frozen=True)
class Quote:
    """A passage of a source document giving some fields of an entry (``{...}`` marks them)."""

    fields: tuple[str, ...]
    source: str
    text: str


@dataclass(frozen=True)
class Assumption:
    """A figure no passage gives, with the rule (``basis``) it follows and the reason."""

    field: str
    basis: str
    reason: str


def _period_text(start: dt.date, end: dt.date | None) -> str:
    if end is None:
        return f"from {start.isoformat()} (no end date stated in the sources)"
    return f"{start.isoformat()} to {end.isoformat()}"


@dataclass(frozen=True)
class Measure:
    """One aid: who can claim it, where, when, how much, and where the figures come from.

    Attributes mirror the keys of ``catalogue.toml``; ``valid_to`` is ``None`` when no source
    gives an end date (``valid_to = "not stated"`` in the file). Amounts are in euros;
    ``schedule`` lists (months after the start of the contract, share paid); ``supplements``
    are :class:`Supplement`; ``table`` rows are (min days, max days or 0, minimum fees,
    ceiling) per quarter; ``conditions`` must all hold, and outside ``zones`` the measure still
    applies when one of ``or_if`` holds; ``quotes`` bind figures to their passages and
    ``assumptions`` state the figures no passage gives. Entries of one ``group`` state the same
    scheme from different sources; the ``preferred`` one applies where several are in force.
    """

    id: str
    name: str
    funder: str
    kind: str
    profession: str
    situations: tuple[str, ...]
    zones: tuple[str, ...]
    eligibility: str
    rule: str
    valid_from: dt.date
    source: str
    section: str
    valid_to: dt.date | None = None
    pages: str = ""
    validity_note: str = ""
    amount_note: str = ""
    amount: float | None = None
    prorated: bool = False
    full_time_days_per_week: float | None = None
    min_days_per_week: float | None = None
    schedule: tuple[tuple[int, float], ...] = ((0, 1.0),)
    duration_years: int | None = None
    supplements: tuple[Supplement, ...] = ()
    rate: float | None = None
    cap_per_year: float | None = None
    table: tuple[tuple[int, int, float, float], ...] = ()
    min_activity_share: float | None = None
    duration_note: str = ""
    is_cap: bool = False
    guarantee: float | None = None
    activity_rate: float | None = None
    activity_cap: float | None = None
    income_limit: float | None = None
    cap_half_days_per_month: int | None = None
    rates: tuple[float, ...] = ()
    base: str = ""
    max_days_per_year: int | None = None
    conditions: tuple[Condition, ...] = ()
    or_if: tuple[Condition, ...] = ()
    group: str = ""
    preferred: bool = False
    preference_note: str = ""
    quotes: tuple[Quote, ...] = ()
    assumptions: tuple[Assumption, ...] = ()

    def valid_on(self, day: dt.date) -> bool:
        """Whether the measure is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def applies_to_zone(self, zone: str) -> bool:
        """Whether a commune of zone ``zone`` is in the measure's zones (``or_if`` aside)."""
        return "*" in self.zones or zone in self.zones

    @property
    def period(self) -> str:
        """Validity as text, e.g. ``2016-10-20 to 2025-12-31``."""
        return _period_text(self.valid_from, self.valid_to)

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source the entry's figures come from, its own first."""
        others = sorted({q.source for q in self.quotes} - {self.source})
        return (self.source, *others)

    @property
    def payment_schedule(self) -> str:
        """When the amounts are paid, as the source states it (or that it does not)."""
        if self.rule == "lump_sum":
            parts = [
                f"{share:.0%} " + ("at the start" if months == 0 else f"after {months} months")
                for months, share in self.schedule
            ]
            return ", ".join(parts)
        years = f" for {self.duration_years} years" if self.duration_years else ""
        return {
            "per_year": f"yearly{years}",
            "share_of_fees": f"yearly{years}",
            "share_of_base": "yearly",
            "per_month": "monthly",
            "quarterly_table": "quarterly",
            "per_half_day": "per half-day worked",
        }.get(self.rule, "not stated in the source")

    @property
    def citation(self) -> str:
        """Source document, section and pages."""
        pages = f", p. {self.pages}" if self.pages else ""
        return f"{self.source}: {self.section}{pages}"


@dataclass(frozen=True)
class EligibilityRule:
    """Which zones a funder's aids are for (e.g. conventional aids in ZIP)."""

    id: str
    funder: str
    zones: tuple[str, ...]
    rule: str
    valid_from: dt.date
    source: str
    section: str
    valid_to: dt.date | None = None
    pages: str = ""
    validity_note: str = ""
    quotes: tuple[Quote, ...] = ()
    assumptions: tuple[Assumption, ...] = ()

    def valid_on(self, day: dt.date) -> bool:
        """Whether the rule is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def period(self) -> str:
        """Validity as text."""
        return _period_text(self.valid_from, self.valid_to)


@dataclass(frozen=True)
class Catalogue:
    """The measures, the funders' eligibility rules and the source documents."""

    measures: tuple[Measure, ...]
    eligibility: tuple[EligibilityRule, ...]
    sources: Mapping[str, Mapping[str, str]]
    path: str = ""

    def __len__(self) -> int:
        return len(self.measures)

    def __getitem__(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        msg = (
            f"no measure {measure_id!r} in the aids catalogue; its measures are "
            f"{', '.join(m.id for m in self.measures)}."
        )
        raise KeyError(msg)

    def periods(self) -> list[tuple[dt.date, dt.date | None]]:
        """Union of the validity periods of the measures, as disjoint (start, end) intervals."""
        spans = sorted(
            ((m.valid_from, m.valid_to) for m in self.measures),
            key=lambda span: (span[0], span[1] or dt.date.max),
        )
        merged: list[tuple[dt.date, dt.date | None]] = []
        for start, end in spans:
            if merged:
                last_start, last_end = merged[-1]
                if last_end is None or start <= last_end + dt.timedelta(days=1):
                    new_end = None if last_end is None or end is None else max(last_end, end)
                    merged[-1] = (last_start, new_end)
                    continue
            merged.append((start, end))
        return merged

    def describe_periods(self) -> str:
        """The covered periods as text, for error messages."""
        parts = [
            f"{start.isoformat()} to {end.isoformat()}" if end else f"from {start.isoformat()} on"
            for start, end in self.periods()
        ]
        return "; ".join(parts)

    def valid_on(self, day: dt.date) -> tuple[Measure, ...]:
        """Measures in force on ``day``; a :class:`CatalogueError` if no measure is."""
        found = tuple(m for m in self.measures if m.valid_on(day))
        if not found:
            msg = (
                f"no aid of the catalogue is in force on {day.isoformat()}: the catalogue covers "
                f"{self.describe_periods()}. Choose a date in these periods."
            )
            raise CatalogueError(msg)
        return found

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: id, name, funder, zones, rule, amount, validity and source."""
        rows = [
            {
                "id": m.id,
                "name": m.name,
                "funder": m.funder,
                "kind": m.kind,
                "zones": " ".join(m.zones),
                "situations": " ".join(m.situations),
                "rule": m.rule,
                "amount": m.amount,
                "rate": m.rate,
                "cap_per_year": m.cap_per_year,
                "duration_years": m.duration_years,
                "payment_schedule": m.payment_schedule,
                "valid_from": m.valid_from,
                "valid_to": m.valid_to,
                "source": m.citation,
                "amount_note": m.amount_note,
            }
            for m in self.measures
        ]
        return pd.DataFrame(rows).set_index("id")


def _where(path: str, entry: str) -> str:
    return f"aids catalogue {path}, {entry}"


def _check_keys(
    raw: Mapping[str, Any],
    *,
    required: Mapping[str, type],
    optional: Mapping[str, type],
    where: str,
) -> None:
    missing = [k for k in required if k not in raw]
    if missing:
        msg = (
            f"{where}: missing key(s) {', '.join(missing)}; every entry needs "
            f"{', '.join(required)}."
        )
        raise CatalogueError(msg)
    unknown = [k for k in raw if k not in required and k not in optional]
    if unknown:
        msg = (
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed keys are "
            f"{', '.join([*required, *optional])}."
        )
        raise CatalogueError(msg)
    for key, value in raw.items():
        expected = required.get(key) or optional[key]
        ok = isinstance(value, expected)
        if expected is dt.date or isinstance(expected, tuple):
            ok = ok and not isinstance(value, dt.datetime)  # TOML date-times: not dates
        if expected == (dt.date, str) and isinstance(value, str):
            ok = value == NOT_STATED
        if expected is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            msg = (
                f"{where}: {key} must be {_type_name(expected)}, found {value!r} "
                f"({type(value).__name__})."
            )
            raise CatalogueError(msg)


def _type_name(expected: type | tuple) -> str:
    if expected == (dt.date, str):
        return f"a date (YYYY-MM-DD, unquoted) or {NOT_STATED!r}"
    names = {
        str: "text",
        list: "a list",
        float: "a number",
        int: "an integer",
        bool: "true or false",
        dt.date: "a date (YYYY-MM-DD, unquoted)",
    }
    return names.get(expected, expected.__name__)


def _check_zones(zones: Sequence[object], where: str) -> tuple[str, ...]:
    bad = [z for z in zones if z not in ZONES]
    if bad or not zones:
        msg = f"{where}: zones must be a non-empty list of {', '.join(ZONES)}, found {list(zones)}."
        raise CatalogueError(msg)
    return tuple(str(z) for z in zones)


def _check_dates(raw: Mapping[str, Any], where: str) -> None:
    end = raw.get("valid_to")
    if isinstance(end, dt.date) and end < raw["valid_from"]:
        msg = f"{where}: valid_to {end} is before valid_from {raw['valid_from']}."
        raise CatalogueError(msg)


def _measure(raw: Mapping[str, Any], *, sources: Mapping[str, Any], path: str, n: int) -> Measure:
    where = _where(path, f"measure {raw.get('id', f'number {n + 1}')!r}")
    _check_keys(raw, required=_REQUIRED, optional=_OPTIONAL, where=where)
    rule = raw["rule"]
    if rule not in RULES:
        msg = f"{where}: rule must be one of {', '.join(RULES)}, found {rule!r}."
        raise CatalogueError(msg)
    missing = [k for k in _RULE_KEYS[rule] if k not in raw]
    if missing:
        msg = f"{where}: rule {rule!r} needs {', '.join(missing)}."
        raise CatalogueError(msg)
    if rule == "none" and "amount" in raw:
        msg = f"{where}: rule 'none' (the source gives no amount) cannot have an amount."
        raise CatalogueError(msg)
    if raw["source"] not in sources:
        msg = (
            f"{where}: source {raw['source']!r} is not one of the catalogue's [sources] "
            f"({', '.join(sources)})."
        )
        raise CatalogueError(msg)
    bad = [s for s in raw["situations"] if s not in SITUATIONS]
    if bad or not raw["situations"]:
        msg = (
            f"{where}: situations must be a non-empty list of {', '.join(SITUATIONS)}, found "
            f"{raw['situations']}."
        )
        raise CatalogueError(msg)
    _check_dates(raw, where)
    values = dict(raw)
    values["zones"] = _check_zones(raw["zones"], where)
    values["situations"] = tuple(raw["situations"])
    for key in ("amount", "rate", "cap_per_year", "full_time_days_per_week", "min_days_per_week"):
        if key in values:
            values[key] = float(values[key])
            if values[key] < 0:
                msg = f"{where}: {key} must be non-negative, found {values[key]}."
                raise CatalogueError(msg)
    values.update(_structured(raw, where))
    _common(values, raw, sources, where)
    if values.get("prorated") and "full_time_days_per_week" not in raw:
        msg = f"{where}: a prorated amount needs full_time_days_per_week."
        raise CatalogueError(msg)
    return Measure(**values)


def _structured(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The list-valued keys of a measure, checked: schedule, supplements, table, rates,
    conditions, or_if."""
    readers = {
        "schedule": _schedule,
        "supplements": _supplements,
        "table": _table,
        "rates": _rates,
    }
    values = {key: read(raw[key], where) for key, read in readers.items() if key in raw}
    for key in ("conditions", "or_if"):
        if key in raw:
            values[key] = _conditions(raw[key], where, key)
    return values


def _common(
    values: dict[str, Any], raw: Mapping[str, Any], sources: Mapping[str, Any], where: str
) -> None:
    """Keys of measures and eligibility rules alike: end date, quotes, assumptions."""
    if raw.get("valid_to") == NOT_STATED:
        values["valid_to"] = None
    values["quotes"] = _quotes(raw.get("quotes", []), sources, where)
    values["assumptions"] = _assumptions(raw.get("assumptions", []), where)


def _quotes(rows: list, sources: Mapping[str, Any], where: str) -> tuple[Quote, ...]:
    out = []
    for row in rows:
        ok = (
            isinstance(row, dict)
            and set(row) == {"fields", "source", "text"}
            and isinstance(row["fields"], list)
            and all(isinstance(f, str) for f in row["fields"])
            and isinstance(row["text"], str)
            and row["source"] in sources
        )
        if not ok:
            msg = (
                f"{where}: quotes must be [{{fields = [...], source = <one of "
                f'{", ".join(sources)}>, text = "... {{n}} ..."}}, ...], found {row!r}.'
            )
            raise CatalogueError(msg)
        out.append(Quote(tuple(row["fields"]), row["source"], row["text"]))
    return tuple(out)


def _assumptions(rows: list, where: str) -> tuple[Assumption, ...]:
    out = []
    for row in rows:
        ok = isinstance(row, dict) and set(row) == {"field", "basis", "reason"}
        ok = ok and all(isinstance(v, str) and v for v in row.values())
        if not ok:
            msg = (
                f"{where}: assumptions must be [{{field = ..., basis = ..., reason = ...}}, "
                f"...], found {row!r}."
            )
            raise CatalogueError(msg)
        out.append(Assumption(row["field"], row["basis"], row["reason"]))
    return tuple(out)


def _conditions(rows: list, where: str, key: str) -> tuple[Condition, ...]:
    out = []
    for row in rows:
        ok = (
            isinstance(row, dict)
            and set(row) == {"field", "op", "value"}
            and row["field"] in CONDITION_FIELDS
            and row["op"] in OPERATORS
            and (row["op"] != "in" or isinstance(row["value"], list))
        )
        if not ok:
            msg = (
                f"{where}: {key} must be [{{field = <one of {', '.join(CONDITION_FIELDS)}>, op = "
                f"<one of {', '.join(OPERATORS)}>, value = ...}}, ...], found {row!r}."
            )
            raise CatalogueError(msg)
        value = row["value"]
        if isinstance(value, list):
            value = tuple(str(v) for v in value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        out.append(Condition(row["field"], row["op"], value))
    return tuple(out)


def _rates(rows: list, where: str) -> tuple[float, ...]:
    ok = bool(rows) and all(
        isinstance(r, int | float) and not isinstance(r, bool) and 0 <= r <= 10 for r in rows
    )
    if not ok:
        msg = f"{where}: rates must be a non-empty list of shares (0.5 for 50 %), found {rows!r}."
        raise CatalogueError(msg)
    return tuple(float(r) for r in rows)


def _schedule(rows: list, where: str) -> tuple[tuple[int, float], ...]:
    try:
        schedule = tuple((int(m), float(s)) for m, s in rows)
    except (TypeError, ValueError):
        msg = f"{where}: schedule must be [[months, share], ...], found {rows!r}."
        raise CatalogueError(msg) from None
    total = sum(s for _, s in schedule)
    if abs(total - 1.0) > 1e-9 or any(m < 0 or s <= 0 for m, s in schedule):
        msg = (
            f"{where}: schedule shares must be positive and sum to 1, at months >= 0; found "
            f"{rows!r} (sum {total})."
        )
        raise CatalogueError(msg)
    return schedule


def _supplements(rows: list, where: str) -> tuple[Supplement, ...]:
    out = []
    for row in rows:
        if isinstance(row, list) and len(row) == 3:  # the older [situation, amount, per] form
            row = {"when": row[0], "amount": row[1], "per": row[2]}
        ok = isinstance(row, dict) and row.get("when") in (*SITUATIONS, *CONDITION_FIELDS)
        number = row.get("amount", row.get("rate")) if isinstance(row, dict) else None
        ok = ok and isinstance(number, int | float) and not isinstance(number, bool)
        if ok and "amount" in row:
            ok = set(row) <= {"when", "amount", "per"} and row.get("per", "year") in (
                "year",
                "month",
                "once",
            )
        elif ok:
            ok = set(row) == {"when", "rate"}
        if not ok:
            msg = (
                f"{where}: supplements must be [{{when = <situation or profile field>, amount = "
                f"euros, per = 'year', 'month' or 'once'}} or {{when = ..., rate = share}}, ...], "
                f"found {row!r}."
            )
            raise CatalogueError(msg)
        if "amount" in row:
            out.append(Supplement(row["when"], float(row["amount"]), row.get("per", "year")))
        else:
            out.append(Supplement(row["when"], rate=float(row["rate"])))
    return tuple(out)


def _table(rows: list, where: str) -> tuple[tuple[int, int, float, float], ...]:
    try:
        table = tuple((int(a), int(b), float(c), float(d)) for a, b, c, d in rows)
    except (TypeError, ValueError):
        msg = (
            f"{where}: table must be [[min days, max days, minimum, ceiling], ...], found {rows!r}."
        )
        raise CatalogueError(msg) from None
    for i, (low, high, minimum, ceiling) in enumerate(table):
        if (high and high < low) or ceiling < minimum:
            msg = f"{where}: table row {i + 1} {list(table[i])} has max < min or ceiling < minimum."
            raise CatalogueError(msg)
        if i and low != table[i - 1][1] + 1:
            msg = (
                f"{where}: table rows must follow each other without gaps; row {i + 1} starts at "
                f"{low} after a row ending at {table[i - 1][1]}."
            )
            raise CatalogueError(msg)
    return table


def _eligibility(
    raw: Mapping[str, Any], *, sources: Mapping[str, Any], path: str
) -> EligibilityRule:
    where = _where(path, f"eligibility {raw.get('id', '?')!r}")
    _check_keys(raw, required=_ELIGIBILITY_REQUIRED, optional=_ELIGIBILITY_OPTIONAL, where=where)
    if raw["source"] not in sources:
        msg = f"{where}: source {raw['source']!r} is not one of {', '.join(sources)}."
        raise CatalogueError(msg)
    _check_dates(raw, where)
    values = dict(raw)
    values["zones"] = _check_zones(raw["zones"], where)
    _common(values, raw, sources, where)
    return EligibilityRule(**values)


def _check_groups(measures: Sequence[Measure], path: str) -> None:
    """At most one preferred entry per group."""
    groups: dict[str, list[str]] = {}
    for m in measures:
        if m.group and m.preferred:
            groups.setdefault(m.group, []).append(m.id)
    two = {g: ids for g, ids in groups.items() if len(ids) > 1}
    if two:
        msg = (
            f"aids catalogue {path}: at most one preferred entry per group, found {two}. Keep "
            "preferred = true on the entry applied by default."
        )
        raise CatalogueError(msg)


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """Read and check an aids catalogue.

    Parameters
    ----------
    path
        A TOML file with the schema of the shipped catalogue (see the header of
        ``aplcore/aids/catalogue.toml``); ``None`` reads the shipped one.

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        The file does not follow the schema: the message names the entry and the key.
    """
    if path is None:
        return default_catalogue()
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        msg = f"aids catalogue {path} is not valid TOML: {exc}."
        raise CatalogueError(msg) from None
    return _build(data, str(path))


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped with aplcore (read once)."""
    text = resources.files("aplcore.aids").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return _build(tomllib.loads(text), "aplcore/aids/catalogue.toml")


def _build(data: Mapping[str, Any], path: str) -> Catalogue:
    unknown = [k for k in data if k not in ("sources", "measure", "eligibility")]
    if unknown:
        msg = (
            f"aids catalogue {path}: unknown top-level table(s) {', '.join(unknown)}; expected "
            "[sources.<id>], [[measure]] and [[eligibility]]."
        )
        raise CatalogueError(msg)
    sources = data.get("sources", {})
    for key, source in sources.items():
        if not isinstance(source, dict) or "title" not in source:
            msg = f"aids catalogue {path}: [sources.{key}] needs a title."
            raise CatalogueError(msg)
    raw_measures = data.get("measure", [])
    if not raw_measures:
        msg = f"aids catalogue {path} has no [[measure]] entries."
        raise CatalogueError(msg)
    measures = tuple(
        _measure(raw, sources=sources, path=path, n=n) for n, raw in enumerate(raw_measures)
    )
    ids = [m.id for m in measures]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        msg = (
            f"aids catalogue {path}: measure ids must be unique, found "
            f"{', '.join(duplicated)} twice."
        )
        raise CatalogueError(msg)
    _check_groups(measures, path)
    eligibility = tuple(
        _eligibility(raw, sources=sources, path=path) for raw in data.get("eligibility", [])
    )
    return Catalogue(measures=measures, eligibility=eligibility, sources=sources, path=path)
