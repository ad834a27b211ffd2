"""Checks shared by every layer: where a row is, finite and non-negative values, options.

Each check names what it found (rows, codes, values) and the likely cause, so that a wrong number
never leaves the library silently. The module is the lowest of aplcore: it imports only
:mod:`aplcore.errors`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputFormatError, InvalidValueError, ParameterError, describe_values

__all__ = [
    "MIN_POSITIVE_DEMAND",
    "Locator",
    "bad_non_negative",
    "check_demand_floor",
    "check_finite_result",
    "check_non_negative_option",
    "check_non_negative_values",
    "check_one_of",
    "check_positive_option",
    "non_negative_numbers",
    "require_columns",
]


# ------------------------------------------------------------------------------- locating rows
@dataclass(frozen=True)
class Locator:
    """Where rows of a table are, for messages: the one "row N of file X" of aplcore.

    ``base`` is the number of the first row in :meth:`show` (``note`` says it in messages);
    ``name`` names the source and ``first_line`` is the line of the first data row of a text
    file (``None`` for binary files and tables in memory), for :meth:`where`.
    """

    base: int = 1
    note: str = "row 1 = first data row"
    name: str | None = None
    first_line: int | None = None
    label: str = "row"

    def show(self, rows: np.ndarray, values: Sequence[Any], *, limit: int = 5) -> str:
        """``row 2: '1002', row 7: 'abc' and 3 more (5 in all)`` (``values[k]`` at ``rows[k]``)."""
        shown = ", ".join(
            f"row {int(r) + self.base}: {v!r}" for r, v in zip(rows[:limit], values, strict=False)
        )
        if rows.size > limit:
            return f"{shown} and {rows.size - limit} more ({rows.size} in all)"
        return shown

    def where(self, rows: Sequence[int] | np.ndarray) -> str:
        """``"lines 3, 7 of od.csv"`` for text files, ``"rows 0, 4 of od.parquet"`` otherwise."""
        rows = [int(r) for r in rows]
        if self.first_line is None:
            label = self.label if len(rows) == 1 else f"{self.label}s"
            place = f" of {self.name}" if self.name is not None else ""
            return f"{label} {describe_values(rows)}{place}"
        label = "line" if len(rows) == 1 else "lines"
        return f"{label} {describe_values([r + self.first_line for r in rows])} of {self.name}"


# ------------------------------------------------------------------------------- values
def bad_non_negative(values: np.ndarray) -> np.ndarray:
    """Mask of the values that are not finite and non-negative (NaN, infinite or below 0)."""
    values = np.asarray(values, dtype=np.float64)
    return ~((values >= 0) & (values < np.inf))


def check_non_negative_values(
    values: np.ndarray, *, what: str, labels: Sequence[Any] | None = None, fix: str = ""
) -> None:
    """Refuse values that are NaN, infinite or negative, naming them (by label when given).

    Raises
    ------
    InvalidValueError
        Some value is not finite and non-negative.
    """
    values = np.asarray(values, dtype=np.float64)
    bad = bad_non_negative(values)
    if not bad.any():
        return
    if labels is not None:
        found = [f"{c}: {v}" for c, v in zip(np.asarray(labels)[bad], values[bad], strict=True)]
    else:
        found = values[bad].tolist()
    msg = (
        f"{what} must be finite and non-negative; found {int(bad.sum())} bad values "
        f"({describe_values(found)}).{' ' + fix if fix else ''}"
    )
    raise InvalidValueError(msg)


# ------------------------------------------------------------------------------- columns
#: A byte-order mark before the first column name, as UTF-8 and as read in Latin-1/Windows-1252.
_BOMS = ("\ufeff", "\u00ef\u00bb\u00bf")


def clean_column_name(name: object) -> str:
    """A column name without what surrounds it by accident: spaces (also non-breaking), a
    byte-order mark, quotes. The one normalisation of column names of every reader."""
    text = str(name)
    for mark in _BOMS:
        text = text.removeprefix(mark)
    return text.strip().strip('"').strip()


def column_case_hint(missing: Sequence[str], available: Sequence[str]) -> str:
    """`` Column names are case-sensitive: found 'Code' for 'code'.`` when that is why."""
    folded = {clean_column_name(a).casefold(): a for a in available}
    near = [(folded[m.casefold()], m) for m in missing if m.casefold() in folded]
    if not near:
        return ""
    shown = ", ".join(f"{a!r} for {m!r}" for a, m in near)
    return f" Column names are case-sensitive: found {shown}; rename them."


# ------------------------------------------------------------------------------- options
def require_columns(
    available: Sequence[str], columns: Sequence[str], *, where: str, hint: str = ""
) -> None:
    """Raise :class:`InputFormatError` naming the ``columns`` absent from ``available``."""
    missing = [c for c in columns if c not in available]
    if missing:
        shown = list(available)[:12]
        more = " ..." if len(available) > 12 else ""
        near = column_case_hint(missing, available)
        msg = f"{where} lacks the columns {missing}; its columns are {shown}{more}.{near}"
        # a ``{param}`` hint names the arguments that choose the columns (origin=, ...)
        param = "origin" if "{param}" in hint else None
        raise InputFormatError(msg, fix=hint.strip() or None, param=param)


def check_non_negative_option(
    value: Any, *, name: str, unit: str = "", allow_none: bool = True
) -> float | None:
    """A number option (``max_minutes``, a cutoff...): finite and ``>= 0``, or ``None`` if allowed.

    Raises
    ------
    ParameterError
        Not a number, not finite, negative, or ``None`` where a number is needed.
    """
    if value is None and allow_none:
        return None
    if (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    ):
        return float(value)
    what = f"a non-negative number{f' of {unit}' if unit else ''}"
    msg = f"{name} must be {what}{' or None' if allow_none else ''}, found {value!r}."
    raise ParameterError(msg)


def check_positive_option(value: Any, *, name: str) -> float:
    """A number option that must be finite and ``> 0`` (a cutoff, a rate, a number of days...).

    Raises
    ------
    ParameterError
        Not a number, not finite, zero or negative.
    """
    if (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    ):
        return float(value)
    msg = f"{name} must be a positive number, found {value!r}."
    raise ParameterError(msg)


def check_one_of(value: Any, allowed: Sequence[Any], *, name: str) -> None:
    """Refuse an option that is not one of ``allowed``.

    Raises
    ------
    ParameterError
        ``value`` not in ``allowed``.
    """
    if value not in allowed:
        shown = [repr(a) for a in allowed]
        listed = f"{', '.join(shown[:-1])} or {shown[-1]}" if len(shown) > 1 else shown[0]
        msg = f"{name} must be {listed}, found {value!r}."
        raise ParameterError(msg)


#: Smallest positive demand accepted (inhabitants, standardised or not). A smaller positive value
#: is a unit or parsing accident, and dividing the supply by it overflows.
MIN_POSITIVE_DEMAND = 1e-9


# ------------------------------------------------------------------------------- results
def check_finite_result(
    codes: pd.Index,
    arrays: Mapping[str, np.ndarray],
    *,
    weighted_demand: np.ndarray | None = None,
    supply: np.ndarray | None = None,
) -> None:
    """Refuse a result holding NaN or infinite values, naming the communes and the cause.

    Parameters
    ----------
    codes
        Commune index the arrays are aligned on (rows of 2-D arrays).
    arrays
        Result arrays by name (``apl``, ``ratio``, ...).
    weighted_demand, supply
        Step-1 demand ``D_j`` and supply ``S_j``, to explain an overflowing ratio ``S_j / D_j``.

    Raises
    ------
    InvalidValueError
        Some value is not finite.
    """
    for name, values in arrays.items():
        finite = np.isfinite(values)
        if finite.all():
            continue
        rows = ~finite if finite.ndim == 1 else ~finite.all(axis=1)
        where = describe_values(codes[rows].tolist())
        cause = _non_finite_cause(codes, weighted_demand, supply)
        msg = (
            f"the {name} is not finite for {int(rows.sum())} communes ({where}): {cause} "
            "No result is returned."
        )
        raise InvalidValueError(msg)


def _non_finite_cause(
    codes: pd.Index, weighted_demand: np.ndarray | None, supply: np.ndarray | None
) -> str:
    if weighted_demand is None or supply is None:
        return "some input is too large or too small for float64 arithmetic."
    with np.errstate(all="ignore"):
        d = weighted_demand if weighted_demand.ndim == 1 else weighted_demand.min(axis=1)
        s = supply if supply.ndim == 1 else supply.max(axis=1)
        overflow = (d > 0) & ~np.isfinite(s / d)
    if overflow.any():
        shown = [f"{c}: D={v:.3g}" for c, v in zip(codes[overflow], d[overflow], strict=False)]
        return (
            f"the weighted demand D_j of {describe_values(shown)} is so small that S_j / D_j "
            f"overflows. Check the demand: values below {MIN_POSITIVE_DEMAND:g} (or decay "
            "weights close to 0) are not meaningful; give 0 where there is no demand."
        )
    return "the supply or the demand is too large for float64 arithmetic; check their units."


def check_demand_floor(values: np.ndarray, codes: pd.Index, *, what: str = "demand") -> None:
    """Refuse positive values below :data:`MIN_POSITIVE_DEMAND` (they make ``S / D`` overflow).

    Raises
    ------
    InvalidValueError
        Positive values smaller than the floor.
    """
    tiny = (values > 0) & (values < MIN_POSITIVE_DEMAND)
    if tiny.any():
        shown = [f"{c}: {v:.3g}" for c, v in zip(codes[tiny], values[tiny], strict=False)]
        msg = (
            f"the {what} of {int(tiny.sum())} communes is positive but below the floor "
            f"{MIN_POSITIVE_DEMAND:g} ({describe_values(shown)}): the supply divided by it "
            "would overflow. Give 0 where there is no demand, or check the units of the "
            f"{what}."
        )
        raise InvalidValueError(msg)


def non_negative_numbers(values: pd.Series, *, what: str) -> pd.Series:
    """``values`` as float64, refusing text, NaN, infinite or negative values (named)."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = bad_non_negative(numbers.to_numpy())
    if bad.any():
        msg = (
            f"{what} must be non-negative numbers; found {int(bad.sum())} bad values: "
            f"{describe_values(values[bad].items())}."
        )
        raise InvalidValueError(msg)
    return numbers
