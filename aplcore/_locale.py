"""Numbers written as text in any usual locale: decimal commas, thousands separators, times.

A column is read as a whole: one decimal separator for all its values. It is read right when
its values say which one it is (``'4000,5'`` has a decimal comma, ``'1,234.5'`` a thousands
comma, ``'4 000'`` a thousands space, ``'00:12:30'`` is a time); a value that could be read two
ways and that no other value of the column settles (``'5,000'`` alone: 5 or 5 000?) is a problem
the caller refuses, naming the column and the values. A text that is no number in any of these
forms is *unreadable*, never missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["ParsedNumbers", "parse_numbers"]

_SPACES = " \u00a0\u202f\u2009'"
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DOT3 = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}")
_COMMA = re.compile(r"[+-]?\d+,\d+")
_COMMA3 = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")
_GROUPED = re.compile(
    r"(?P<sign>[+-]?)(?P<head>\d{1,3})(?P<groups>(?:(?P<g>[,. \u00a0\u202f\u2009'])\d{3})"
    r"(?:(?P=g)\d{3})*)(?:(?P<d>[.,])(?P<frac>\d+))?"
)
_TIME = re.compile(r"(\d{1,3}):([0-5]\d):([0-5]\d(?:\.\d+)?)")
_SHORT_TIME = re.compile(r"\d{1,3}:[0-5]\d")


@dataclass
class ParsedNumbers:
    """Numbers read from text.

    Attributes
    ----------
    values
        float64, NaN where the text is missing, unreadable or a problem.
    unreadable
        Where a text is present but is no number.
    problem
        Why some values cannot be read safely (ambiguous separators), or None.
    problem_rows
        The rows the problem is about.
    notes
        How the column was read when not as plain numbers (for the log).
    """

    values: np.ndarray
    unreadable: np.ndarray
    problem: str | None = None
    problem_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    notes: list[str] = field(default_factory=list)


def _kind(token: str, times: bool) -> tuple[str, float | None, str | None]:
    """(form, value when settled, decimal separator the form proves or None)."""
    if _PLAIN.fullmatch(token):
        if _DOT3.fullmatch(token):
            return "dot3", None, None
        return "plain", float(token), "." if "." in token else None
    if _COMMA.fullmatch(token):
        if _COMMA3.fullmatch(token):
            return "comma3", None, None
        return "decimal-comma", float(token.replace(",", ".")), ","
    grouped = _GROUPED.fullmatch(token)
    if grouped:
        g, d = grouped["g"], grouped["d"]
        if d == g:
            return "unreadable", None, None
        digits = grouped["sign"] + grouped["head"] + grouped["groups"].replace(g, "")
        value = float(digits + ("." + grouped["frac"] if d else ""))
        if g in ",.":  # several groups, or a decimal separator: the grouping is certain
            return f"thousands '{g}'", value, "," if g == "." else "."
        return "thousands space", value, d
    if times:
        hms = _TIME.fullmatch(token)
        if hms:
            h, m, s = hms.groups()
            return "time", int(h) * 60 + int(m) + float(s) / 60, None
        if _SHORT_TIME.fullmatch(token):
            return "short-time", None, None
    return "unreadable", None, None


def parse_numbers(texts: pd.Series | list[str | None], *, times: bool = False) -> ParsedNumbers:
    """Read a column of number texts, deciding its decimal separator from all its values.

    Parameters
    ----------
    texts
        The column (strings, missing values as None or NaN).
    times
        Also read ``H:MM:SS`` times, as minutes (travel-time columns).

    Returns
    -------
    ParsedNumbers
    """
    series = pd.Series(texts, dtype=object)
    stripped = series.where(series.notna(), "").astype(str).str.strip(_SPACES.replace("'", ""))
    present = (stripped != "").to_numpy()
    stripped = stripped[present]
    codes, uniques = pd.factorize(stripped, sort=False)
    kinds = [_kind(str(u), times) for u in uniques]
    separators = {sep for _, _, sep in kinds if sep}
    values_u = np.full(len(uniques), np.nan)
    unreadable_u = np.zeros(len(uniques), dtype=bool)
    problem_u = np.zeros(len(uniques), dtype=bool)
    problem = None
    forms = {form for form, _, _ in kinds}
    if separators == {",", "."}:
        dots = [u for u, (_, _, s) in zip(uniques, kinds, strict=True) if s == "."][:3]
        commas = [u for u, (_, _, s) in zip(uniques, kinds, strict=True) if s == ","][:3]
        problem = (
            f"mixes decimal commas ({', '.join(map(repr, commas))}) and decimal points "
            f"({', '.join(map(repr, dots))}); write every value with one decimal separator"
        )
        problem_u[:] = [s is not None for _, _, s in kinds]
    decimal = separators.pop() if len(separators) == 1 else None
    for k, (form, value, _) in enumerate(kinds):
        token = str(uniques[k])
        if form == "unreadable":
            unreadable_u[k] = True
        elif form == "comma3":
            if decimal == ",":
                values_u[k] = float(token.replace(",", "."))
            elif decimal == ".":
                values_u[k] = float(token.replace(",", ""))
            else:
                problem_u[k] = True
        elif form == "dot3":
            values_u[k] = float(token.replace(".", "")) if decimal == "," else float(token)
        elif form == "short-time":
            problem_u[k] = True
        else:
            values_u[k] = value  # type: ignore[assignment]
    if problem is None and problem_u.any():
        shown = ", ".join(repr(str(u)) for u in uniques[problem_u][:3])
        if "short-time" in {kinds[k][0] for k in np.flatnonzero(problem_u)}:
            problem = (
                f"{shown} could be hours:minutes or minutes:seconds; write minutes as numbers, "
                "or times as H:MM:SS"
            )
        else:
            first = str(uniques[problem_u][0])
            problem = (
                f"{shown} could have a decimal comma ({first} = "
                f"{float(first.replace(',', '.')):g}) or a thousands comma ({first} = "
                f"{float(first.replace(',', '')):g}), and no other value of the column says "
                "which; write the numbers without thousands separators (and with a decimal point)"
            )
    notes = []
    if decimal == "," and not problem:
        notes.append("decimal commas")
    grouped = {",": "dot3", ".": "comma3"}.get(decimal or "")
    if any(f.startswith("thousands") for f in forms) or grouped in forms:
        notes.append("thousands separators")
    if "time" in forms:
        notes.append("H:MM:SS times converted to minutes")
    values = np.full(len(series), np.nan)
    unreadable = np.zeros(len(series), dtype=bool)
    problem_mask = np.zeros(len(series), dtype=bool)
    rows = np.flatnonzero(present)
    values[rows] = values_u[codes]
    unreadable[rows] = unreadable_u[codes]
    problem_mask[rows] = problem_u[codes]
    return ParsedNumbers(
        values,
        unreadable,
        problem,
        np.flatnonzero(problem_mask) if problem else np.zeros(0, dtype=np.int64),
        notes,
    )
