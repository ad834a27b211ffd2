"""Forced classifications applied on top of the computed zoning, and the cap checks after them.

Overrides are agency choices: a territory put in another zone, a QPV or a commune classified on
its own (commune-level derogation), a 2017 "hors vivier" territory brought in through the 5 %
regional adaptation. They are applied after the fill (territory overrides first, then commune
overrides, which win), then every cap is checked again on the final per-commune zones; a cap an
override breaks is reported with the overrides that moved population into it.

QPV are sub-communal: aplcore classifies communes, so a QPV is expressed as a commune-level
override of the commune(s) holding it (their whole population then counts against the caps).
The 2025 population limit on commune-level derogations is checked with
``classify_zones(..., commune_override_limit=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..codes import normalise_codes
from ..errors import (
    DuplicateError,
    InputFormatError,
    MissingCommuneError,
    ParameterError,
    describe_values,
)
from .caps import Constraint

__all__ = ["apply_overrides", "check_caps", "checks_frame", "normalise_overrides"]

OverridesInput = Mapping[str, str] | pd.Series | pd.DataFrame | None

_TOLERANCE = 1e-6


def normalise_overrides(
    overrides: OverridesInput,
    *,
    zones: tuple[str, ...],
    territories: pd.Index,
    communes: pd.Index,
) -> pd.DataFrame:
    """Check overrides and return them as a table.

    Parameters
    ----------
    overrides
        Mapping territory code → zone, or a DataFrame with columns ``code`` and ``zone`` and
        optionally ``level`` (``"territory"``, the default, or ``"commune"``) and ``reason``.
    zones
        The method's zone labels.
    territories, communes
        Known territory and commune codes.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``level``, ``zone``, ``reason``.
    """
    columns = ["code", "level", "zone", "reason"]
    if overrides is None:
        return pd.DataFrame(columns=columns, dtype=object)
    if isinstance(overrides, pd.DataFrame):
        frame = overrides.copy()
        missing = [c for c in ("code", "zone") if c not in frame.columns]
        if missing:
            msg = (
                f"overrides need columns 'code' and 'zone' (optional 'level', 'reason'); missing "
                f"{describe_values(missing)}, found {describe_values(list(frame.columns))}."
            )
            raise InputFormatError(msg)
    elif isinstance(overrides, Mapping | pd.Series):
        mapping = dict(overrides)
        frame = pd.DataFrame({"code": list(mapping), "zone": list(mapping.values())})
    else:
        msg = (
            "overrides must be a mapping territory -> zone or a DataFrame with columns code, zone "
            f"(and level, reason); found {type(overrides).__name__}."
        )
        raise InputFormatError(msg)
    if "level" not in frame.columns:
        frame["level"] = "territory"
    if "reason" not in frame.columns:
        frame["reason"] = ""
    frame = frame[columns].astype(object).reset_index(drop=True)
    frame["code"] = frame["code"].astype(str)
    frame["reason"] = frame["reason"].fillna("").astype(str)
    bad_level = sorted(set(frame["level"]) - {"territory", "commune"})
    if bad_level:
        msg = (
            f"override level must be 'territory' or 'commune', found {describe_values(bad_level)}."
        )
        raise ParameterError(msg)
    bad_zone = sorted({str(z) for z in frame["zone"]} - set(zones))
    if bad_zone:
        msg = (
            f"overrides name unknown zones {describe_values(bad_zone)}; this method's zones are "
            f"{describe_values(zones)}."
        )
        raise ParameterError(msg)
    is_commune = (frame["level"] == "commune").to_numpy()
    if is_commune.any():
        frame.loc[is_commune, "code"] = list(
            normalise_codes(frame.loc[is_commune, "code"], what="commune codes of the overrides")
        )
    for level, known in (("territory", territories), ("commune", communes)):
        codes = frame.loc[frame["level"] == level, "code"]
        unknown = sorted(set(codes) - set(known))
        if unknown:
            msg = (
                f"overrides name {len(unknown)} unknown {level} codes: "
                f"{describe_values(unknown)}. Use codes of the territory table."
            )
            raise MissingCommuneError(msg)
        dup = sorted(set(codes[codes.duplicated()]))
        if dup:
            msg = (
                f"overrides give {level} codes {describe_values(dup)} more than once; keep one "
                "zone per code."
            )
            raise DuplicateError(msg)
    return frame


def apply_overrides(
    commune_zone: pd.Series, commune_territory: pd.Series, overrides: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Apply overrides to per-commune zones.

    Returns
    -------
    zone : pandas.Series
        Final zone per commune.
    source : pandas.Series
        Per commune, the index (into ``overrides``) of the override that set its zone, or -1.
    """
    zone = commune_zone.copy()
    source = pd.Series(-1, index=commune_zone.index, dtype=np.int64)
    for level in ("territory", "commune"):
        for i, row in overrides[overrides["level"] == level].iterrows():
            if level == "territory":
                mask = (commune_territory == row["code"]).to_numpy()
            else:
                mask = commune_zone.index == row["code"]
            zone[mask] = row["zone"]
            source[mask] = int(i)  # type: ignore[call-overload]
    return zone, source


def check_caps(
    *,
    zone_index: np.ndarray,
    zone_before: np.ndarray,
    source: np.ndarray,
    region: np.ndarray,
    population: np.ndarray,
    mandatory: np.ndarray,
    regions: pd.Index,
    constraints: list[Constraint],
    overrides: pd.DataFrame,
) -> pd.DataFrame:
    """Population of each constrained group of zones per région, against its limit.

    Parameters
    ----------
    zone_index, zone_before
        Per commune, the final zone index and the zone index before overrides.
    source
        Per commune, the override that set it (-1 for none).
    region
        Per commune, the position of its région in ``regions``.
    population
        Per commune, residents.
    mandatory
        Per commune, whether its territory took the first zone as mandatory.

    Returns
    -------
    pandas.DataFrame
        One row per région and constraint: ``region``, ``constraint``, ``limit``, ``used``,
        ``used_before_overrides``, ``mandatory``, ``met``, ``excess``, ``mandatory_over_cap``,
        ``broken_by`` (codes of the overrides that moved population into the group).
    """
    rows = []
    n_regions = len(regions)
    for c in constraints:
        members = np.isin(zone_index, c.zones)
        members_before = np.isin(zone_before, c.zones)
        used = np.bincount(region, weights=population * members, minlength=n_regions)
        before = np.bincount(region, weights=population * members_before, minlength=n_regions)
        mand = np.bincount(
            region, weights=population * (members_before & mandatory), minlength=n_regions
        )
        moved_in = members & ~members_before & (source >= 0)
        for r in range(n_regions):
            limit = float(c.limits[r])
            if not np.isfinite(limit):
                continue
            met = bool(used[r] <= limit + _TOLERANCE)
            blamed = ""
            if not met:
                ids = np.unique(source[moved_in & (region == r)])
                blamed = ", ".join(
                    f"{overrides.at[i, 'level']} {overrides.at[i, 'code']} -> "
                    f"{overrides.at[i, 'zone']}"
                    for i in ids
                )
            rows.append(
                {
                    "region": regions[r],
                    "constraint": c.name,
                    "limit": limit,
                    "used": float(used[r]),
                    "used_before_overrides": float(before[r]),
                    "mandatory": float(mand[r]),
                    "met": met,
                    "excess": max(0.0, float(used[r]) - limit),
                    "mandatory_over_cap": bool(mand[r] > limit + _TOLERANCE),
                    "broken_by": blamed,
                }
            )
    return checks_frame(rows)


_CHECK_TYPES = {
    "region": object,
    "constraint": object,
    "limit": np.float64,
    "used": np.float64,
    "used_before_overrides": np.float64,
    "mandatory": np.float64,
    "met": bool,
    "excess": np.float64,
    "mandatory_over_cap": bool,
    "broken_by": object,
}


def checks_frame(rows: list[dict]) -> pd.DataFrame:
    """The cap-check table with its column types, also when there is no row."""
    return pd.DataFrame(rows, columns=list(_CHECK_TYPES)).astype(_CHECK_TYPES)
