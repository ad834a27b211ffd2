"""Intra-commune travel time: the ``i → i`` pair of a travel-time matrix.

Metric gives 0 or a small value for a commune to itself; a large commune is not crossed in zero
minutes, so the time can also be derived from the commune's area.

Formula of ``method="area"``: a commune is taken as a disc of area ``A`` (km²), radius
``R = sqrt(A / π)``; the mean straight-line distance from the centre of a disc to a point drawn
uniformly in it is ``2R/3``; that distance is turned into minutes at ``minutes_per_km`` (default
1.11 min per straight-line km, the Metric off-peak figure measured on the Gironde pairs for trips
up to 30 minutes), plus an optional constant ``minutes``::

    t = minutes + minutes_per_km · (2/3) · sqrt(A / π)

For a 15 km² commune this gives 1.6 min; for Arles (759 km²) 11.5 min.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from .._checks import bad_non_negative, check_non_negative_option
from ..codes import as_code_index
from ..errors import InputFormatError, InvalidValueError, ParameterError, describe_values

__all__ = ["DEFAULT_MINUTES_PER_KM", "intra_commune_minutes"]

#: Metric off-peak minutes per straight-line km up to 30 minutes (Gironde pairs).
DEFAULT_MINUTES_PER_KM = 1.11


def intra_commune_minutes(
    area_km2: pd.Series | None = None,
    *,
    method: Literal["constant", "area"] = "constant",
    minutes: float = 0.0,
    minutes_per_km: float = DEFAULT_MINUTES_PER_KM,
    codes: pd.Index | list[str] | None = None,
) -> pd.Series | float:
    """Intra-commune travel times for the ``intra_minutes=`` option of the matrix builders.

    Parameters
    ----------
    area_km2
        Commune areas in km², indexed by commune code (needed by ``method="area"``).
    method
        ``"constant"``: every commune gets ``minutes`` (0 by default, as Metric mostly gives);
        ``"area"``: ``minutes + minutes_per_km · (2/3) · sqrt(area / π)`` (see the module notes).
    minutes
        The constant, or the constant part of the area formula, ``>= 0``.
    minutes_per_km
        Minutes per straight-line km for ``method="area"``, ``> 0``.
    codes
        For ``method="constant"``: return a Series over these codes instead of a number.

    Returns
    -------
    pandas.Series or float
        A Series by commune code (name ``"intra_minutes"``), or a float for a constant with
        neither ``area_km2`` nor ``codes``.

    Raises
    ------
    ParameterError
        Unknown method, negative constant, non-positive ``minutes_per_km``, or ``"area"``
        without areas.
    InvalidValueError
        Negative, NaN or infinite areas (the codes are listed).
    """
    check_non_negative_option(minutes, name="minutes", allow_none=False)
    if method == "constant":
        if area_km2 is None and codes is None:
            return float(minutes)
        index = as_code_index(area_km2.index if codes is None else codes, what="commune codes")
        return pd.Series(float(minutes), index=index, name="intra_minutes")
    if method != "area":
        msg = f"method must be 'constant' or 'area', found {method!r}."
        raise ParameterError(msg)
    if not (isinstance(minutes_per_km, int | float) and math.isfinite(minutes_per_km)):
        msg = f"minutes_per_km must be a positive number, found {minutes_per_km!r}."
        raise ParameterError(msg)
    if minutes_per_km <= 0:
        msg = f"minutes_per_km must be a positive number, found {minutes_per_km!r}."
        raise ParameterError(msg)
    if area_km2 is None:
        msg = (
            "method='area' needs area_km2, a Series of commune areas in km² indexed by code "
            "(e.g. from ADMIN EXPRESS or the découpage administratif)."
        )
        raise ParameterError(msg)
    if not isinstance(area_km2, pd.Series):
        msg = (
            "area_km2 must be a pandas Series indexed by commune code, found "
            f"{type(area_km2).__name__}."
        )
        raise InputFormatError(msg)
    index = as_code_index(area_km2.index, what="area_km2 codes")
    values = pd.to_numeric(area_km2, errors="coerce").to_numpy(dtype=np.float64)
    bad = bad_non_negative(values)
    if bad.any():
        shown = describe_values([f"{c}: {v!r}" for c, v in area_km2[bad].items()])
        msg = (
            f"commune areas must be finite and >= 0 km², found {int(bad.sum())} bad values: "
            f"{shown}."
        )
        raise InvalidValueError(msg)
    times = minutes + minutes_per_km * (2.0 / 3.0) * np.sqrt(values / math.pi)
    return pd.Series(times, index=index, name="intra_minutes")
