"""The check table of a zoning: one row per rule, région (or département) and limit.

Every check of :attr:`aplcore.zoning.Zoning.checks` is built here by :func:`check_row`: the caps
(per région and per département), the 2017 hors-vivier margin, the commune-substitution limit and
the rules a method sets on agency choices (national selection kept, no vivier / hors-vivier
substitution, eligibility). A check compares a population ``used`` with a ``limit``; rules that
forbid something have limit 0 and ``used`` = the population concerned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .caps import Constraint

__all__ = ["CHECK_COLUMNS", "check_caps", "check_row", "checks_frame"]

_TOLERANCE = 1e-6

_CHECK_TYPES = {
    "region": object,
    "departement": object,
    "constraint": object,
    "kind": object,
    "limit": np.float64,
    "used": np.float64,
    "used_before_overrides": np.float64,
    "mandatory": np.float64,
    "met": bool,
    "excess": np.float64,
    "mandatory_over_cap": bool,
    "broken_by": object,
}

#: Columns of the check table.
CHECK_COLUMNS = tuple(_CHECK_TYPES)


def check_row(  # noqa: PLR0913 - public entry point, keyword options
    *,
    region: object,
    constraint: str,
    limit: float,
    used: float,
    kind: str = "cap",
    departement: object = "",
    used_before: float = 0.0,
    mandatory: float = 0.0,
    broken_by: str = "",
) -> dict:
    """One check: ``used`` inhabitants against ``limit``.

    Parameters
    ----------
    region, departement
        Where the limit applies (``departement`` empty for a regional limit).
    constraint
        Its name (``"ZIP"``, ``"ZIP+ZAC"``, ``"HZ floor"``, ``"outside margin"``, ...).
    kind
        ``"cap"`` (population caps), ``"derogation"`` (limits on agency derogations) or
        ``"rule"`` (a method rule an agency choice may break; limit 0).
    used_before
        Population used before the agency's choices.
    mandatory
        Part of ``used`` that the method puts there whatever the caps (2017 zone A).
    broken_by
        The choices responsible, when the check fails.
    """
    met = bool(used <= limit + _TOLERANCE)
    return {
        "region": region,
        "departement": departement,
        "constraint": constraint,
        "kind": kind,
        "limit": float(limit),
        "used": float(used),
        "used_before_overrides": float(used_before),
        "mandatory": float(mandatory),
        "met": met,
        "excess": max(0.0, float(used) - float(limit)),
        "mandatory_over_cap": bool(mandatory > limit + _TOLERANCE),
        "broken_by": "" if met else broken_by,
    }


def checks_frame(rows: list[dict]) -> pd.DataFrame:
    """The check table with its column types, also when there is no row."""
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS)).astype(_CHECK_TYPES)


def describe_choices(overrides: pd.DataFrame, ids: np.ndarray) -> str:
    """``"territory T1 -> ZIP, commune 45001 -> ZAC"`` for the override rows ``ids``."""
    return ", ".join(
        f"{overrides.at[i, 'level']} {overrides.at[i, 'code']} -> {overrides.at[i, 'zone']}"
        for i in ids
        if i >= 0
    )


def check_caps(  # noqa: PLR0913 - public entry point, keyword options
    *,
    zone_index: np.ndarray,
    zone_before: np.ndarray,
    source: np.ndarray,
    scope: np.ndarray,
    population: np.ndarray,
    mandatory: np.ndarray,
    scopes: pd.Index,
    constraints: list[Constraint],
    overrides: pd.DataFrame,
    scope_region: pd.Series | None = None,
    foreign: np.ndarray | None = None,
) -> list[dict]:
    """Population of each constrained group of zones per scope (région or département).

    Parameters
    ----------
    zone_index, zone_before
        Per unit (commune or QPV), the final zone index and the zone index before overrides.
    source
        Per unit, the override row that set it (-1 for none).
    scope
        Per unit, the position of its région (or département) in ``scopes``.
    population
        Per unit, residents.
    mandatory
        Per unit, whether its territory took the first zone as mandatory.
    scopes
        Région codes, or département codes when ``scope_region`` maps them to régions.
    constraints
        The limits (:func:`aplcore.zoning.caps.build_constraints`).
    overrides
        The agency's choices (for ``broken_by``).
    scope_region
        Département → région, for département-level caps.
    foreign
        Per unit, whether its territory was classified by another région (the région holding
        the largest share of a cross-région territory decides it).
    """
    rows = []
    n = len(scopes)
    for c in constraints:
        members = np.isin(zone_index, c.zones)
        members_before = np.isin(zone_before, c.zones)
        if c.exclude_mandatory:
            members &= ~mandatory
            members_before &= ~mandatory
        used = np.bincount(scope, weights=population * members, minlength=n)
        before = np.bincount(scope, weights=population * members_before, minlength=n)
        mand = np.bincount(scope, weights=population * (members_before & mandatory), minlength=n)
        moved_in = members & ~members_before & (source >= 0)
        imposed = members & foreign if foreign is not None else np.zeros_like(members)
        for r in range(n):
            limit = float(c.limits[r])
            if not np.isfinite(limit):
                continue
            blamed = describe_choices(overrides, np.unique(source[moved_in & (scope == r)]))
            if np.any(imposed & (scope == r)):
                extra = "cross-région territories decided by another région"
                blamed = f"{blamed}, {extra}" if blamed else extra
            if scope_region is None:
                region, dep = scopes[r], ""
            else:
                region, dep = scope_region.get(scopes[r], ""), scopes[r]
            rows.append(
                check_row(
                    region=region,
                    departement=dep,
                    constraint=c.name,
                    limit=limit,
                    used=float(used[r]),
                    used_before=float(before[r]),
                    mandatory=float(mand[r]),
                    broken_by=blamed,
                )
            )
    return rows
