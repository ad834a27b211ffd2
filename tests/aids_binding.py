"""Binding of every figure of an aids catalogue to the passage of the document it comes from.

Each entry of ``catalogue.toml`` lists ``quotes``: a passage of a reference document in which
``{...}`` placeholders mark the figures, and the fields they give. :func:`binding_failures`
finds each passage in the document text (whitespace collapsed, NFKC, straight apostrophes),
parses the figures at the placeholders and compares them with the fields; every figure, zone
and date of an entry must be given by a passage or follow the stated rule of one of its
``assumptions``. The parsing of a passage depends only on the document and the passage, so it
is cached: the mutation check (``test_aids_mutations.py``) re-runs the comparisons only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / ".." / "shared" / "docs"

_WORDS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
}
_MONTHS = {
    "janvier": 1,
    "février": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
}
#: Phrases of the documents naming zones, and the catalogue zones they mean.
ZONE_PHRASES = {
    "ZIP": {"ZIP"},
    "ZAC": {"ZAC"},
    "ZIP ou ZAC": {"ZIP", "ZAC"},
    "ZIP et ZAC": {"ZIP", "ZAC"},
    "ZIP/ZAC": {"ZIP", "ZAC"},
    "ZIP ou ZIP +": {"ZIP"},
    "ZIP ou ZIP+": {"ZIP"},
    "ZIP / ZIP+": {"ZIP"},
    "hors ZIP": {"ZAC", "HZ"},
    "X X": {"ZIP", "ZAC"},  # the two columns (ZIP, ZAC) of the FAQ's table of aids
    "X": {"ZIP"},  # the ZIP column only
    "zone fragile": {"ZIP", "ZAC"},  # elus2019: « zone fragile (ZIP ou ZAC) »
    "zone fragile (ZIP ou ZAC)": {"ZIP", "ZAC"},
    "territoire fragile": {"ZIP", "ZAC"},
    "zone sous-dotée": {"ZIP", "ZAC"},  # elus2019: « zone sous-dotée (ZIP ou ZAC) »
    "zone sous-dotée (ZIP ou ZAC)": {"ZIP", "ZAC"},
    "zone sous – dotée": {"*"},  # « que ce lieu soit situé ou non en zone sous – dotée »
    "zone déficitaire": {"deficitaire"},
    "« très sous dotées »": {"very_under_served"},
    "« très sous dotées » et « sous dotées »": {"very_under_served", "under_served"},
    "« très sous-dotées » et « sous-dotées »": {"very_under_served", "under_served"},
}

_NUMBER = r"(\d{1,3}(?: \d{3})+(?:,\d+)?|\d+(?:,\d+)?|" + "|".join(_WORDS) + ")"
_PATTERNS = {
    "n": _NUMBER,
    "pct": _NUMBER,
    "n*12": _NUMBER,
    "n_prorated": _NUMBER,
    "date": r"(\d{1,2}/\d{1,2}/\d{4}|\d{1,2}(?:er|<sup>er</sup>)? [A-Za-zéû]+ \d{4})",
    "month_start": r"([A-Za-zéû]+ \d{4})",
    "year_start": r"(\d{4})",
    "year_end": r"(\d{4})",
    "year_end_before": r"(\d{4})",
    "zones": "("
    + "|".join(re.escape(p) for p in sorted(ZONE_PHRASES, key=len, reverse=True))
    + ")",
}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(re.escape(k) for k in _PATTERNS) + r")\}")


def normalised(text: str) -> str:
    """NFKC, straight apostrophes, whitespace collapsed (as the tests quote the documents)."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    return " ".join(text.split())


@cache
def document(name: str) -> str | None:
    """The normalised text of a reference document, None when absent."""
    path = DOCS / name
    if not path.exists():
        return None
    return normalised(path.read_text(encoding="utf-8"))


def _number(text: str) -> float:
    if text in _WORDS:
        return float(_WORDS[text])
    return float(text.replace(" ", "").replace(",", "."))


def _date(text: str) -> dt.date:
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
        day, month, year = (int(x) for x in text.split("/"))
        return dt.date(year, month, day)
    day, month, year = re.sub(r"^(\d+)(?:er|<sup>er</sup>)", r"\1", text).split()
    return dt.date(int(year), _MONTHS[month.lower()], int(day))


def _parsed(kind: str, text: str) -> Any:
    if kind in ("n", "pct", "n*12", "n_prorated"):
        return _number(text)
    if kind == "date":
        return _date(text)
    if kind == "month_start":
        month, year = text.split()
        return dt.date(int(year), _MONTHS[month.lower()], 1)
    if kind == "year_start":
        return dt.date(int(text), 1, 1)
    if kind == "year_end":
        return dt.date(int(text), 12, 31)
    if kind == "year_end_before":
        return dt.date(int(text) - 1, 12, 31)
    return frozenset(ZONE_PHRASES[text])


@cache
def parse_passage(file: str, text: str) -> tuple[tuple[str, Any], ...] | str:
    """The (kind, figure) of each placeholder of a passage as the document gives them, or the
    reason the passage is not in the document."""
    doc = document(file)
    if doc is None:
        return f"document {file} absent"
    quote = normalised(text)
    kinds = _PLACEHOLDER.findall(quote)
    pieces = _PLACEHOLDER.split(quote)
    pattern = "".join(
        re.escape(piece) if i % 2 == 0 else _PATTERNS[piece] for i, piece in enumerate(pieces)
    )
    found = re.search(pattern, doc)
    if found is None:
        return f"passage {quote!r} not found in {file}"
    return tuple((k, _parsed(k, g)) for k, g in zip(kinds, found.groups(), strict=True))


def _get(entry: Any, path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        if isinstance(value, tuple | list):
            value = value[int(part)]
        elif dataclasses.is_dataclass(value):
            value = getattr(value, part)
        else:
            value = value[part]
    return value


def _leaves(value: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(value, tuple | list) and not (value and isinstance(value[0], str)):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}.{i}")]
    return [(path, value)]


def _same(kind: str, field_value: Any, parsed: Any, entry: Any) -> bool:
    if isinstance(field_value, bool) or field_value is None:
        return False
    if kind == "n":
        return math.isclose(float(field_value), parsed, rel_tol=0, abs_tol=1e-9)
    if kind == "pct":
        return math.isclose(float(field_value), parsed / 100, rel_tol=0, abs_tol=1e-12)
    if kind == "n*12":
        return math.isclose(float(field_value), parsed * 12, rel_tol=0, abs_tol=1e-9)
    if kind == "n_prorated":
        expected = parsed / entry.amount * entry.full_time_days_per_week
        return math.isclose(float(field_value), expected, rel_tol=0, abs_tol=1e-9)
    return field_value == parsed


#: Figure fields of an entry: every one must be bound by a passage or a stated assumption.
FIGURE_FIELDS = (
    "amount",
    "rate",
    "cap_per_year",
    "full_time_days_per_week",
    "min_days_per_week",
    "duration_years",
    "min_activity_share",
    "guarantee",
    "activity_rate",
    "activity_cap",
    "income_limit",
    "cap_half_days_per_month",
    "max_days_per_year",
    "valid_from",
    "valid_to",
)


def figures(entry: Any) -> list[tuple[str, Any]]:
    """(path, value) of every figure, zone list and date an entry sets."""
    defaults = {f.name: f.default for f in dataclasses.fields(entry)}
    out: list[tuple[str, Any]] = [("zones", entry.zones)]
    for name in FIGURE_FIELDS:
        value = getattr(entry, name, None)
        if value is not None and value != defaults.get(name):
            out.append((name, value))
    for name in ("schedule", "table", "rates"):
        value = getattr(entry, name, ())
        if value and value != defaults.get(name):
            out += _leaves(value, name)
    for i, sup in enumerate(getattr(entry, "supplements", ())):
        out.append((f"supplements.{i}.{'amount' if sup.amount is not None else 'rate'}", sup))
    for key in ("conditions", "or_if"):
        for i, cond in enumerate(getattr(entry, key, ())):
            if isinstance(cond.value, float):
                out.append((f"{key}.{i}.value", cond.value))
    return out


def _assumption_holds(entry: Any, basis: str, value: Any) -> bool:
    if basis == "zero":
        return value == 0
    if basis == "twelve":
        return value == 12
    if basis == "any_zone":
        return tuple(value) == ("*",)
    return False


def entry_failures(entry: Any, files: dict[str, str]) -> list[str]:
    """Why an entry's figures are not bound to its sources (empty when every one is)."""
    where = f"{type(entry).__name__} {entry.id!r}"
    failures: list[str] = []
    bound: set[str] = set()
    zones: set[str] = set()
    for quote in entry.quotes:
        parsed = parse_passage(files[quote.source], quote.text)
        if isinstance(parsed, str):
            failures.append(f"{where}: {parsed}")
            continue
        targets: list[str] = []
        for path in quote.fields:
            value = _get(entry, path)
            if path == "zones" or not isinstance(value, tuple | list):
                targets.append(path)
            else:
                targets += [p for p, _ in _leaves(value, path)]
        if len(targets) != len(parsed):
            failures.append(f"{where}: {len(parsed)} placeholders for fields {quote.fields}")
            continue
        for path, (kind, figure) in zip(targets, parsed, strict=True):
            if kind == "zones":
                zones |= figure
                bound.add("zones")
                continue
            value = _get(entry, path)
            if not _same(kind, value, figure, entry):
                failures.append(
                    f"{where}: {path} = {value!r}, the passage {quote.text!r} of "
                    f"{quote.source} gives {figure!r} ({kind})"
                )
            bound.add(path)
    if "zones" in bound and zones != set(entry.zones):
        failures.append(f"{where}: zones {entry.zones}, the passages give {sorted(zones)}")
    for assumption in entry.assumptions:
        value = _get(entry, assumption.field)
        if not _assumption_holds(entry, assumption.basis, value):
            failures.append(
                f"{where}: {assumption.field} = {value!r} does not follow its stated assumption "
                f"({assumption.basis}: {assumption.reason})"
            )
        bound.add(assumption.field)
    for path, _ in figures(entry):
        if path not in bound:
            failures.append(f"{where}: {path} is bound to no passage and no stated assumption")
    return failures


def binding_failures(catalogue: Any) -> list[str]:
    """Every figure, zone and date of the catalogue not bound to its source."""
    files = {key: source["file"] for key, source in catalogue.sources.items()}
    failures: list[str] = []
    for entry in (*catalogue.measures, *catalogue.eligibility):
        failures += entry_failures(entry, files)
    return failures
