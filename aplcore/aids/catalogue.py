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
    "RULES",
    "SITUATIONS",
    "ZONES",
    "Catalogue",
    "CatalogueError",
    "EligibilityRule",
    "Measure",
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
    "period_not_stated",
    "quarterly_table",
    "none",
)
#: Zone labels of the catalogue: ``HZ`` is anything outside ZIP and ZAC, ``*`` any zone.
ZONES = ("ZIP", "ZAC", "HZ", "*")
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
    "valid_to": dt.date,
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
_ELIGIBILITY_OPTIONAL = {"valid_to": dt.date, "pages": str, "validity_note": str}


@dataclass(frozen=True)
class Measure:
    """One aid: who can claim it, where, when, how much, and where the figures come from.

    Attributes mirror the keys of ``catalogue.toml``; ``valid_to`` is ``None`` when the sources
    give no end date. Amounts are in euros; ``schedule`` lists (months after the start of the
    contract, share paid); ``supplements`` lists (situation, amount, ``"year"`` or ``"month"``);
    ``table`` rows are (min days, max days or 0, minimum fees, ceiling) per quarter.
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
    supplements: tuple[tuple[str, float, str], ...] = ()
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

    def valid_on(self, day: dt.date) -> bool:
        """Whether the measure is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def applies_to_zone(self, zone: str) -> bool:
        """Whether a commune of zone ``zone`` (``ZIP``, ``ZAC`` or ``HZ``) is eligible."""
        return "*" in self.zones or zone in self.zones

    @property
    def period(self) -> str:
        """Validity as text, e.g. ``2016-10-20 to 2025-12-31``."""
        if self.valid_to is None:
            return f"from {self.valid_from.isoformat()} (no end date in the sources)"
        return f"{self.valid_from.isoformat()} to {self.valid_to.isoformat()}"

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

    def valid_on(self, day: dt.date) -> bool:
        """Whether the rule is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


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
        if expected is dt.date:  # TOML date-times are datetimes, a subclass of date
            ok = ok and not isinstance(value, dt.datetime)
        if expected is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            msg = (
                f"{where}: {key} must be {_type_name(expected)}, found {value!r} "
                f"({type(value).__name__})."
            )
            raise CatalogueError(msg)


def _type_name(expected: type) -> str:
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
    if end is not None and end < raw["valid_from"]:
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
    if "schedule" in raw:
        values["schedule"] = _schedule(raw["schedule"], where)
    if "supplements" in raw:
        values["supplements"] = _supplements(raw["supplements"], where)
    if "table" in raw:
        values["table"] = _table(raw["table"], where)
    if values.get("prorated") and "full_time_days_per_week" not in raw:
        msg = f"{where}: a prorated amount needs full_time_days_per_week."
        raise CatalogueError(msg)
    return Measure(**values)


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


def _supplements(rows: list, where: str) -> tuple[tuple[str, float, str], ...]:
    out = []
    for row in rows:
        ok = (
            isinstance(row, list)
            and len(row) == 3
            and row[0] in SITUATIONS
            and isinstance(row[1], int | float)
            and row[2] in ("year", "month")
        )
        if not ok:
            msg = (
                f"{where}: supplements must be [[situation, amount, 'year' or 'month'], ...], "
                f"found {row!r}."
            )
            raise CatalogueError(msg)
        out.append((row[0], float(row[1]), row[2]))
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
    return EligibilityRule(**values)


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
    eligibility = tuple(
        _eligibility(raw, sources=sources, path=path) for raw in data.get("eligibility", [])
    )
    return Catalogue(measures=measures, eligibility=eligibility, sources=sources, path=path)
