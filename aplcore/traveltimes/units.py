"""Units of travel times: the declared ones, converted to minutes, and the check of undeclared ones.

Times in seconds or hours given as minutes are the commonest error with O-D exports (10 minutes
reads 600); :func:`check_time_units` warns when times do not look like car times in minutes.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from ..errors import InvalidValueError, ParameterError, TimeUnitsWarning
from ..plausibility import RANGES, action_for

__all__ = ["NEAREST_MEDIAN_RANGE", "TIME_UNITS", "TimeUnit", "check_time_units", "minutes_from"]

TimeUnit = Literal["minutes", "seconds", "hours"]
#: Units a travel-time column may be declared in, and the factor to minutes.
TIME_UNITS: dict[str, float] = {"minutes": 1.0, "seconds": 1.0 / 60.0, "hours": 60.0}

#: Median car time from a commune to its nearest neighbour, in minutes, outside which the times
#: are taken to be in another unit (French communes: a few minutes; IRIS or grid cells: ~1).
NEAREST_MEDIAN_RANGE = (RANGES["neighbour_minutes"].low, RANGES["neighbour_minutes"].high)


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
    from ..kernels import csr  # lazy: numba

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
    if action_for("neighbour_minutes") == "ignore":
        return None
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
    if action_for("neighbour_minutes") == "error":
        raise InvalidValueError(msg, fix=fix, param="units", value=unit)
    warnings.warn(warning, stacklevel=stacklevel)
    return msg
