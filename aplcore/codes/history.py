"""Commune code history: mergers and splits of the Code officiel géographique (COG).

Data published for one year use that year's commune codes. Communes merge into communes nouvelles
every year (28025 Barmainville and 28276 Neuvy-en-Beauce joined 28319 on 1 January 2025) and a
few are restored; joining a 2023 table with 2025 territories therefore loses communes unless the
codes are brought to the same vintage first. :func:`update` does that from the bundled history
table (``aplcore/data/commune_history.parquet``, built by ``data/build_code_history.py`` from the
``@etalab/decoupage-administratif`` npm package, COG 2021 to 2026; provenance in
``data/README.md``). The public names are also available from :mod:`aplcore.codes`
(and from :mod:`aplcore.code_history`, the former home of this module).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import (
    CommuneCodeError,
    CommuneSplitWarning,
    ParameterError,
    UnknownCodeWarning,
    describe_values,
)
from .cog import HISTORY_SOURCE, UNIT_STATUSES, current_codes, history_table
from .forms import normalise_codes

__all__ = [
    "COG_YEARS",
    "HISTORY_SOURCE",
    "CommuneSplitWarning",
    "check_codes_exist",
    "code_status",
    "load_code_history",
    "update",
]

#: Statuses of a code that is a unit of its own (APL is computed by commune or arrondissement).
_UNIT_STATUSES = UNIT_STATUSES
#: The bundled table (a module name, so that tests can put a small table in its place).
_history = history_table


def load_code_history() -> pd.DataFrame:
    """The bundled history of commune codes, one row per code and run of COG years.

    Returns
    -------
    pandas.DataFrame
        ``code``; ``since`` and ``until`` (COG years, 1 January, inclusive); ``status``
        (``commune``, ``arrondissement`` municipal, commune ``deleguee`` or ``associee``, or
        ``ancien`` code absorbed by a commune nouvelle); ``unit`` (the commune or arrondissement
        holding the code's territory in those years, the code itself for a commune); ``name``
        (the code's own name in those years, when the source gives one).

    Examples
    --------
    >>> import aplcore.codes
    >>> history = aplcore.codes.load_code_history()
    >>> rows = history[history["code"] == "28025"]
    >>> rows[["since", "until", "status", "unit"]].to_numpy().tolist()
    [[2021, 2024, 'commune', '28025'], [2025, 2026, 'deleguee', '28319']]
    """
    return _history().copy()


@functools.lru_cache(maxsize=1)
def _per_code() -> tuple[pd.Series, pd.Series]:
    """Latest name of each code, last year in which each code was a unit of its own."""
    table = _history()
    named = table.dropna(subset=["name"]).sort_values("until", kind="stable")
    names = named.drop_duplicates("code", keep="last").set_index("code")["name"]
    own = table[table["status"].isin(_UNIT_STATUSES)].groupby("code")["until"].max()
    return names, own


def _years() -> tuple[int, ...]:
    table = _history()
    return tuple(range(int(table["since"].min()), int(table["until"].max()) + 1))


#: COG years covered by the bundled history (1 January of each year).
COG_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025, 2026)


def _check_year(year: int | None, what: str) -> int:
    years = _years()
    if year is None:
        return years[-1]
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or year not in years:
        msg = (
            f"{what} must be a COG year between {years[0]} and {years[-1]} (the bundled "
            f"history), found {year!r}."
        )
        raise ParameterError(msg)
    return int(year)


def _vintage(year: int) -> pd.DataFrame:
    """Rows of ``year``: one per code known that year, indexed by code."""
    table = _history()
    rows = table[(table["since"] <= year) & (table["until"] >= year)]
    return rows.set_index("code")


def _as_codes(codes: Sequence[str] | pd.Index | pd.Series | np.ndarray) -> pd.Series:
    if isinstance(codes, str):
        msg = f"codes must be a list, Index or Series of commune codes, found the string {codes!r}."
        raise CommuneCodeError(msg)
    if isinstance(codes, pd.Series):
        values = normalise_codes(codes.to_numpy())
        return pd.Series(np.asarray(values, dtype=object), index=codes.index, name=codes.name)
    values = normalise_codes(codes)
    index = pd.Index(values, name="code", dtype=object)
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=object)


def code_status(
    codes: Sequence[str] | pd.Index | pd.Series | np.ndarray, *, year: int | None = None
) -> pd.DataFrame:
    """Whether each code exists in the COG of ``year``, and what became of it.

    Parameters
    ----------
    codes
        Commune codes (5-character strings).
    year
        COG year (1 January); the latest bundled year by default.

    Returns
    -------
    pandas.DataFrame
        One row per distinct code, indexed by code: ``exists`` (a commune or arrondissement
        municipal of that year), ``known`` (a code of the bundled COG in some year), ``status``
        in that year (``commune``, ``arrondissement``, ``deleguee``, ``associee``, ``ancien``,
        or missing when unknown that year), ``unit`` (the commune or arrondissement holding its
        territory that year: for a merged commune, the commune it was merged into), ``name``
        (the code's own name, from the latest year that gives one), ``last_year_as_unit`` (the
        last bundled year in which it was a commune of its own; missing if never).

    Examples
    --------
    >>> import aplcore.codes
    >>> status = aplcore.codes.code_status(["28025", "28319", "99999"], year=2025)
    >>> status[["exists", "known", "status", "unit"]].to_numpy().tolist()
    [[False, True, 'deleguee', '28319'], [True, True, 'commune', '28319'], [False, False, nan, nan]]
    """
    year = _check_year(year, "year")
    distinct = pd.Index(pd.unique(_as_codes(codes).to_numpy()), name="code", dtype=object)
    vintage = _vintage(year)
    out = pd.DataFrame(index=distinct)
    out["exists"] = distinct.isin(vintage.index[vintage["status"].isin(_UNIT_STATUSES)])
    out["known"] = distinct.isin(_history()["code"])
    out["status"] = vintage["status"].reindex(distinct)
    out["unit"] = vintage["unit"].reindex(distinct)
    names, last_year_as_unit = _per_code()
    out["name"] = names.reindex(distinct)
    out["last_year_as_unit"] = last_year_as_unit.reindex(distinct).astype("Int16")
    for column in ("status", "unit", "name"):
        out[column] = out[column].astype(object)
    return out


def update(
    codes: Sequence[str] | pd.Index | pd.Series | np.ndarray,
    *,
    to: int | None = None,
    errors: Literal["raise", "keep"] = "raise",
) -> pd.Series:
    """Bring commune codes to the COG of year ``to``: merged communes become their commune nouvelle.

    Each code is replaced by the commune (or arrondissement municipal) that holds its territory
    on 1 January of ``to``: a commune merged since then by the commune nouvelle it joined
    (``"28025"`` → ``"28319"``), a commune déléguée or associée by its commune, any other code by
    itself. Several codes can map to one: aggregate the data afterwards (sum counts; average
    rates weighted by population). A commune that later lost part of its territory to a restored
    commune keeps its code, with a :class:`CommuneSplitWarning` naming the restored communes
    absent from the input.

    Parameters
    ----------
    codes
        Commune codes (5-character strings) of any bundled year up to ``to``.
    to
        Target COG year (1 January); the latest bundled year by default (:data:`COG_YEARS`).
    errors
        Codes unknown to the bundled COG: ``"raise"`` a :class:`~aplcore.errors.CommuneCodeError`
        (default) or ``"keep"`` them unchanged with an
        :class:`~aplcore.errors.UnknownCodeWarning`.

    Returns
    -------
    pandas.Series
        The updated codes, aligned with the input: same index as ``codes`` when it is a Series,
        else indexed by the input codes (named ``code``).

    Raises
    ------
    CommuneCodeError
        Codes that are not INSEE codes, or (``errors="raise"``) unknown to the bundled COG, or
        created after ``to``.

    Examples
    --------
    >>> import aplcore.codes
    >>> aplcore.codes.update(["28025", "28276", "28319", "45234"], to=2025).tolist()
    ['28319', '28319', '28319', '45234']
    >>> aplcore.codes.update(["28025"], to=2024).tolist()
    ['28025']
    """
    if errors not in ("raise", "keep"):
        msg = f"errors must be 'raise' or 'keep', found {errors!r}."
        raise ParameterError(msg)
    year = _check_year(to, "to")
    series = _as_codes(codes)
    vintage = _vintage(year)
    units = series.map(vintage["unit"])
    missing = units.isna()
    if missing.any():
        _refuse_or_warn(pd.unique(series[missing].to_numpy()).tolist(), year, errors)
        units = units.where(~missing, series)
    _warn_splits(set(series.to_numpy()), set(units.to_numpy()), year)
    return units.astype(object).rename(series.name)


def _refuse_or_warn(absent: list[str], year: int, errors: str) -> None:
    """Codes absent from the COG of ``year``: an error, or a warning with ``errors="keep"``."""
    known = _history()
    rows = known[known["code"].isin(absent)]
    first = rows.groupby("code")["since"].min()
    last = rows.groupby("code")["until"].max()
    later = sorted(first.index[first > year])
    if later:
        shown = describe_values([f"{c} ({first[c]})" for c in later])
        msg = (
            f"{len(later)} commune codes appear in the COG only after {year}: {shown}. "
            f"Update to a later year (to={int(first[later].max())} or later)."
        )
        raise CommuneCodeError(msg)
    ended = sorted(last.index[last < year])
    unknown = sorted(set(absent) - set(first.index))
    years = _years()
    problems = []
    if ended:
        shown = describe_values([f"{c} (until {last[c]})" for c in ended])
        problems.append(
            f"{len(ended)} commune codes leave the COG before {year} without a successor in "
            f"the source: {shown}"
        )
    if unknown:
        problems.append(
            f"{len(unknown)} commune codes are in no COG from {years[0]} to {years[-1]}: "
            f"{describe_values(unknown)}"
        )
    if errors == "raise":
        msg = (
            "; ".join(problems) + ". Check them (a code of another kind, or a typing error?), "
            "or pass errors='keep' to leave them unchanged."
        )
        raise CommuneCodeError(msg)
    warnings.warn(
        "; ".join(problems) + ". They are left unchanged.", UnknownCodeWarning, stacklevel=3
    )


def _warn_splits(inputs: set[str], outputs: set[str], year: int) -> None:
    """Warn about communes of the output that lost territory to a commune restored by ``year``."""
    table = _history()
    restored = table[table["status"].isin(_UNIT_STATUSES) & (table["since"] <= year)]
    before = table[~table["status"].isin(_UNIT_STATUSES)]
    pairs = restored.merge(before, on="code", suffixes=("", "_before"))
    restored_then = pairs["until_before"] + 1 == pairs["since"]
    pairs = pairs[restored_then & pairs["unit_before"].isin(outputs)]
    # a split, not a change of code: the former commune still exists when the other is restored
    units = table[table["status"].isin(_UNIT_STATUSES)]
    still = pairs.merge(units, left_on="unit_before", right_on="code", suffixes=("", "_unit"))
    still = still[(still["since_unit"] <= still["since"]) & (still["until_unit"] >= still["since"])]
    pairs = pairs[pairs["code"].isin(still["code"])]
    pairs = pairs[~pairs["code"].isin(inputs)]
    if pairs.empty:
        return
    shown = describe_values(
        [f"{p.code} from {p.unit_before} ({p.since})" for p in pairs.itertuples(index=False)]
    )
    warnings.warn(
        f"{len(pairs)} communes were restored out of communes of the input by {year} and are "
        f"absent from it: {shown}. Data of the older commune cover the restored one too.",
        CommuneSplitWarning,
        stacklevel=3,
    )


# ------------------------------------------------------------------ codes of the current COG
@functools.lru_cache(maxsize=1)
def _current_code_set() -> frozenset[str]:
    return frozenset(current_codes())


#: The last index checked and its codes absent from the current COG (indexes are immutable).
_LAST_CHECKED: list[tuple[Any, list[str]]] = []


def _not_current(codes: Iterable[str]) -> list[str]:
    """The codes that are not current communes, sorted."""
    if _LAST_CHECKED and _LAST_CHECKED[0][0] is codes:
        return _LAST_CHECKED[0][1]
    values = codes.tolist() if hasattr(codes, "tolist") else list(codes)
    found = sorted(set(values).difference(_current_code_set()))
    if isinstance(codes, pd.Index):
        _LAST_CHECKED[:] = [(codes, found)]
    return found


def check_codes_exist(
    codes: Iterable[str], *, strict: bool = False, what: str = "commune codes", stacklevel: int = 3
) -> list[str]:
    """Warn about (or refuse) commune codes that the Code officiel géographique does not hold.

    Parameters
    ----------
    codes
        Unique codes already of the INSEE form (see :func:`aplcore.codes.normalise_codes`).
    strict
        Raise instead of warning.
    what
        How to name the codes in the message.
    stacklevel
        Passed to :func:`warnings.warn`.

    Returns
    -------
    list of str
        The codes that are not current communes (empty when all are).

    Raises
    ------
    CommuneCodeError
        With ``strict=True``, codes that do not exist or no longer exist.
    """
    not_current = _not_current(codes)
    if not not_current:
        return []
    status = code_status([str(c) for c in not_current])[["exists", "unit"]]
    absent = status[~status["exists"].to_numpy(dtype=bool)]
    if absent.empty:
        return []
    has_unit = absent["unit"].notna() & (absent["unit"].astype(object) != absent.index)
    unknown = absent.index[~has_unit.to_numpy()].tolist()
    merged = {str(c): str(u) for c, u in absent.loc[has_unit.to_numpy(), "unit"].items()}
    old = list(merged)
    parts = []
    if unknown:
        parts.append(f"{len(unknown)} do not exist: {describe_values(sorted(unknown))}")
    if old:
        shown = [f"{c} → {merged[c]}" for c in sorted(old)]
        parts.append(
            f"{len(old)} are former codes, now part of another commune: {describe_values(shown)}"
        )
    msg = (
        f"{what} absent from the current Code officiel géographique: {'; '.join(parts)}. Check "
        "them (typing errors, truncated codes)."
    )
    if strict:
        raise CommuneCodeError(msg, fix=_CODES_FIX.replace(" ({param} makes this an error.)", ""))
    fix = _CODES_FIX
    warnings.warn(
        UnknownCodeWarning(msg, fix=fix, param="strict", value=True), stacklevel=stacklevel
    )
    return [*unknown, *old]


#: How to settle codes that are not current communes (Python interface).
_CODES_FIX = (
    "Move former communes to their current code (aplcore.codes.update), or pass ids='any' for "
    "identifiers that are not commune codes ({param} makes this an error.)"
)
