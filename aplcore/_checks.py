"""Value checks shared by the boundaries: finite results, plausible time units, known codes.

Each check names what it found (commune codes, values) and the likely cause, so that a wrong
number never leaves the library silently.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import (
    CommuneCodeError,
    InvalidValueError,
    ParameterError,
    TimeUnitsWarning,
    UnknownCodeWarning,
    describe_values,
)

__all__ = [
    "MIN_POSITIVE_DEMAND",
    "TIME_UNITS",
    "TimeUnitsWarning",
    "UnknownCodeWarning",
    "check_codes_exist",
    "check_demand_floor",
    "check_finite_result",
    "check_time_units",
    "minutes_from",
]

#: Smallest positive demand accepted (inhabitants, standardised or not). A smaller positive value
#: is a unit or parsing accident, and dividing the supply by it overflows.
MIN_POSITIVE_DEMAND = 1e-9

TimeUnit = Literal["minutes", "seconds", "hours"]
#: Units a travel-time column may be declared in, and the factor to minutes.
TIME_UNITS: dict[str, float] = {"minutes": 1.0, "seconds": 1.0 / 60.0, "hours": 60.0}

#: Median car time from a commune to its nearest neighbour, in minutes, outside which the times
#: are taken to be in another unit (French communes: a few minutes; IRIS or grid cells: ~1).
NEAREST_MEDIAN_RANGE = (0.2, 60.0)


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


# ------------------------------------------------------------------------------- time units
def minutes_from(values: np.ndarray, units: str | None) -> np.ndarray:
    """Travel times converted to minutes from the declared ``units`` (None: minutes).

    Raises
    ------
    ParameterError
        Unknown unit.
    """
    if units is None or units == "minutes":
        return values
    if units not in TIME_UNITS:
        msg = f"units must be one of {list(TIME_UNITS)}, found {units!r}."
        raise ParameterError(msg)
    return values * TIME_UNITS[units]


#: At most this many origins are looked at for the nearest-neighbour median (evenly spaced).
SAMPLED_ORIGINS = 4096


def _nearest_neighbour_minutes(
    indptr: np.ndarray, indices: np.ndarray, minutes: np.ndarray
) -> np.ndarray:
    """For (a sample of) origins, the shortest positive time to another unit."""
    from .kernels import csr

    n = indptr.size - 1
    rows = np.arange(n) if n <= SAMPLED_ORIGINS else np.linspace(0, n - 1, SAMPLED_ORIGINS)
    nearest = csr.nearest_other(
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(indices, dtype=np.int32),
        np.ascontiguousarray(minutes, dtype=np.float64),
        rows.astype(np.int64),
    )
    return nearest[np.isfinite(nearest)]


def check_time_units(
    indptr: np.ndarray,
    indices: np.ndarray,
    minutes: np.ndarray,
    *,
    catchment: float = 30.0,
    distinct_given: np.ndarray | None = None,
    stacklevel: int = 3,
) -> str | None:
    """Warn when travel times look like seconds or hours rather than minutes.

    Two signs, on the pairs between distinct units: none inside the catchment although the
    input had such pairs (with times in seconds, 10 minutes reads 600 and is cut), or a median
    time to the nearest neighbour far outside what car times between neighbouring communes are
    (:data:`NEAREST_MEDIAN_RANGE`).

    Parameters
    ----------
    indptr, indices, minutes
        The travel times kept, as a CSR matrix (rows: origins).
    catchment
        Longest time kept, minutes (``max_minutes``; 30 for the DREES GP decay).
    distinct_given
        Times of the pairs between distinct units as given, before any cut (only needed when
        the matrix kept fewer such pairs than a tenth of its units).
    stacklevel
        Passed to :func:`warnings.warn`.

    Returns
    -------
    str or None
        The warning message issued, or None when the times look like minutes.
    """
    indptr, indices, minutes = (np.asarray(a) for a in (indptr, indices, minutes))
    n = indptr.size - 1
    nearest = _nearest_neighbour_minutes(indptr, indices, minutes)
    low, high = NEAREST_MEDIAN_RANGE
    kept_distinct = minutes.size - n  # canonical matrices hold every self-pair
    if kept_distinct < max(1, n // 10) and distinct_given is not None and distinct_given.size:
        given = distinct_given[distinct_given > 0]
        if given.size < n or not given.size:
            return None
        median = float(np.median(given))
        likely = "seconds" if median / 60.0 <= 24 * 60 else "another unit"
        cause = (
            f"only {kept_distinct} of the {distinct_given.size} pairs between distinct units are "
            f"within {catchment:g} minutes (median of the times given: {median:g}, shortest: "
            f"{given.min():g})"
        )
    elif nearest.size == 0:
        return None
    else:
        median = float(np.median(nearest))
        found = (
            f"the median time from a unit to its nearest neighbour is {median:g}, whereas "
            "neighbouring communes are a few minutes apart"
        )
        if median > high:
            likely, cause = ("seconds" if median / 60.0 <= high else "another unit"), found
        elif median < low:
            likely, cause = "hours", found
        else:
            return None
    unit = likely if likely != "another unit" else "seconds"
    msg = f"travel times do not look like minutes: {cause}. They are likely in {likely};"
    fix = "declare them with {param}, or convert them to minutes."
    warning = TimeUnitsWarning(msg, fix=fix, param="units", value=unit)
    warnings.warn(warning, stacklevel=stacklevel)
    return msg


# ------------------------------------------------------------------------------- codes
@functools.lru_cache(maxsize=1)
def _current_codes() -> pd.Index:
    """Codes of the communes and arrondissements of the latest bundled COG."""
    try:
        from .code_history import load_code_history

        history = load_code_history()
        latest = history["until"].max()
        units = history["status"].isin(["commune", "arrondissement"])
        codes = history.loc[(history["until"] == latest) & units, "code"].unique()
        return pd.Index(codes, dtype=object)
    except ImportError:  # pragma: no cover - older installs: the bundled communes only
        from .datasets import load_communes

        return pd.Index(load_communes(france=True).index.astype(str), dtype=object)


@functools.lru_cache(maxsize=1)
def _current_code_set() -> frozenset[str]:
    return frozenset(_current_codes())


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


def _code_status(codes: list[str]) -> pd.DataFrame:
    """``exists`` and ``unit`` (the current code holding the commune) of each code."""
    try:  # the commune code history (COG of recent years, merged communes)
        from .code_history import code_status

        return code_status(codes)[["exists", "unit"]]
    except ImportError:  # pragma: no cover - older installs: the bundled communes only
        exists = pd.Index(codes).isin(_current_codes())
        return pd.DataFrame({"exists": exists, "unit": np.nan}, index=pd.Index(codes))


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
    status = _code_status([str(c) for c in not_current])
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


def short_codes_hint(codes: Iterable[str], *, fix: str) -> str:
    """What codes of fewer than 5 digits probably are: zero-padded, are they communes?

    Parameters
    ----------
    codes
        The short codes (digits only).
    fix
        How to repair codes that lost their leading zero (the caller's option).
    """
    shown = list(codes)[:20]
    padded = pd.Index([c.zfill(5) for c in shown], dtype=object)
    if padded.isin(_current_codes()).all():
        return f" They look like codes that lost their leading zero: {fix}."
    not_communes = [c for c, p in zip(shown, padded, strict=True) if p not in _current_codes()]
    return (
        f" Zero-padded, {describe_values(not_communes)} would not be communes either: the codes "
        "look cut short (a damaged file), not just stripped of a leading zero. Check the file."
    )


def non_negative_numbers(values: pd.Series, *, what: str) -> pd.Series:
    """``values`` as float64, refusing text, NaN, infinite or negative values (named)."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    array = numbers.to_numpy()
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        msg = (
            f"{what} must be non-negative numbers; found {int(bad.sum())} bad values: "
            f"{describe_values(values[bad].items())}."
        )
        raise InvalidValueError(msg)
    return numbers
