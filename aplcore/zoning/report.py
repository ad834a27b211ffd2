"""Published-style tables: per département of attribution and région, and the national file schema.

The report has, for each région, one row per département of attribution (the residents of the
région living in territories attributed to that département) and a ``total`` row for the région:
population, inhabitants and share of each zone, and on the total row the cap of each zone, the
margin, the margin used and whether every cap is met.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..io.atomic import atomic_write

__all__ = ["build_report", "format_report", "national_schema", "write_csv"]

TOTAL = "total"


def build_report(
    communes: pd.DataFrame,
    *,
    zones: tuple[str, ...],
    caps: pd.DataFrame,
    checks: pd.DataFrame,
    margin_zone: str | None,
    margin_rule: str = "inside",
    departement_caps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build the per-département and per-région table.

    Parameters
    ----------
    communes
        Per counted unit (commune, or QPV classified on its own): ``region``, ``attribution``
        (département of attribution of its territory), ``population`` and ``zone``.
    zones
        Zone labels in order.
    caps
        Resolved caps per région (:func:`aplcore.zoning.caps.resolve_caps`).
    checks
        Cap checks per région (:func:`aplcore.zoning.overrides.check_caps`).
    margin_zone
        Zone that may use the margin.
    margin_rule
        ``"inside"``: the margin is the last ``margin`` inhabitants of the margin zone's cap
        (margin used = population beyond ``cap - margin``); ``"above"``: it lies beyond the cap
        (margin used = population beyond ``cap``).
    departement_caps
        Caps per département (inhabitants): filled in the département rows, with their gaps.

    Returns
    -------
    pandas.DataFrame
        Columns ``region``, ``departement`` (``"total"`` on région rows), ``population``,
        ``<zone>`` and ``<zone>_share`` per zone, ``<zone>_cap`` and ``<zone>_gap`` (population
        minus cap: negative under the cap; ``-inf`` without cap) per zone, ``margin``,
        ``margin_used``, ``met`` (every check of the région in :attr:`Zoning.checks` holds: with the
        cumulative rule a zone may exceed its own cap by room the zones before it left unused),
        ``mandatory_over_cap`` (the mandatory zone alone exceeds a cap; nothing was dropped).
    """
    pivot = communes.pivot_table(
        index=["region", "attribution"],
        columns="zone",
        values="population",
        aggfunc="sum",
        fill_value=0.0,
        observed=True,
    ).reindex(columns=list(zones), fill_value=0.0)
    rows = []
    for region, block in pivot.groupby(level="region", sort=True):
        for (_, dep), values in block.iterrows():
            row = _row(region, dep, values, zones)
            if departement_caps is not None and dep in getattr(departement_caps, "index", ()):
                for zone in zones:
                    if zone in departement_caps.columns:
                        row[f"{zone}_cap"] = float(departement_caps.at[dep, zone])
                        row[f"{zone}_gap"] = row[zone] - row[f"{zone}_cap"]
            dep_checks = checks[checks["departement"] == dep] if "departement" in checks else []
            if len(dep_checks):
                row["met"] = bool(dep_checks["met"].all())
            rows.append(row)
        total = _row(region, TOTAL, block.sum(axis=0), zones)
        for zone in zones:
            cap = caps.at[region, zone] if zone in caps.columns else np.inf
            total[f"{zone}_cap"] = float(cap)
            total[f"{zone}_gap"] = total[zone] - total[f"{zone}_cap"]
        total["margin"] = float(caps.at[region, "margin"])
        if margin_zone is not None:
            room = caps.at[region, margin_zone]
            if margin_rule == "inside":
                room = room - total["margin"]
            used = max(0.0, total[margin_zone] - room) if np.isfinite(room) else 0.0
            total["margin_used"] = min(used, total["margin"])
        else:
            total["margin_used"] = 0.0
        region_checks = checks[checks["region"] == region]
        if "departement" in region_checks:
            region_checks = region_checks[region_checks["departement"] == ""]
        total["met"] = bool(region_checks["met"].all()) if len(region_checks) else True
        total["mandatory_over_cap"] = bool(region_checks["mandatory_over_cap"].any())
        rows.append(total)
    columns = ["region", "departement", "population"]
    columns += [c for z in zones for c in (z, f"{z}_share")]
    columns += [f"{z}_cap" for z in zones] + [f"{z}_gap" for z in zones]
    columns += ["margin", "margin_used", "met", "mandatory_over_cap"]
    report = pd.DataFrame(rows).reindex(columns=columns)
    report["met"] = report["met"].astype("boolean")
    report["mandatory_over_cap"] = report["mandatory_over_cap"].astype("boolean")
    return report


def _row(region: object, dep: object, values: pd.Series, zones: tuple[str, ...]) -> dict:
    population = float(values.sum())
    row: dict[str, object] = {"region": region, "departement": dep, "population": population}
    for zone in zones:
        row[zone] = float(values.get(zone, 0.0))
        row[f"{zone}_share"] = row[zone] / population if population > 0 else math.nan
    return row


def _fmt_int(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "none"
    return f"{round(value):,}".replace(",", " ")


def _fmt_gap(value: float) -> str:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "-"
    return "0" if round(value) == 0 else f"{round(value):+,}".replace(",", " ")


def format_report(
    report: pd.DataFrame, *, zones: tuple[str, ...], cap_units: dict[str, str] | None = None
) -> str:
    """A readable plain-text table of a report.

    Département rows give inhabitants and shares per zone; région total rows add the caps, each
    zone's population minus its cap (``vs caps``; ``-`` without cap), the margin used and whether
    every cap holds. The caps are shown in inhabitants; ``cap_units`` (the unit each cap was
    given in, ``"share"`` or ``"inhabitants"``) is said in the column headers.
    """
    header = ["région", "département", "population"]
    header += [f"{z}" for z in zones] + [f"{z} %" for z in zones]
    caps_header, margin_header = "caps " + "/".join(zones), "margin used"
    if cap_units:  # the caps are shown in inhabitants; say in which unit each was given
        given = "/".join(cap_units.get(z, "-") for z in zones)
        caps_header += f" (given as {given})"
        if "margin" in cap_units:
            margin_header += f" (margin given as {cap_units['margin']})"
    header += [caps_header, "vs caps", margin_header, "met"]
    lines = [header]
    for _, row in report.iterrows():
        is_total = row["departement"] == TOTAL
        cells = [str(row["region"]), str(row["departement"]), _fmt_int(row["population"])]
        cells += [_fmt_int(row[z]) for z in zones]
        cells += [
            "" if math.isnan(row[f"{z}_share"]) else f"{100 * row[f'{z}_share']:.1f}" for z in zones
        ]
        if is_total:
            cells.append(" / ".join(_fmt_int(row[f"{z}_cap"]) for z in zones))
            cells.append(" / ".join(_fmt_gap(row[f"{z}_gap"]) for z in zones))
            cells.append(f"{_fmt_int(row['margin_used'])} of {_fmt_int(row['margin'])}")
            met = "yes" if bool(row["met"]) else "NO"
            cells.append(met + (" (mandatory over cap)" if row["mandatory_over_cap"] else ""))
        else:
            cells += ["", "", "", ""]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(w) if i < 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def national_schema(
    communes: pd.DataFrame,
    *,
    level_codes: dict[str, str],
    profession: str = "med",
    date_arrete: str | None = None,
    territory_column: str = "tvs_code",
) -> pd.DataFrame:
    """Per-commune output in the national zoning file's schema.

    Parameters
    ----------
    communes
        Per commune (index: code): ``territory`` and ``zone``.
    level_codes
        Zone label → level code (``"ZIP"`` → ``"1_ZIP"``); labels without a code are kept as is.
    profession
        Profession suffix of the level column: ``med`` gives ``zmed_niveau``.
    date_arrete
        Optional ``z<prof>_date_arrete`` value (``dd/mm/yyyy``).
    territory_column
        ``tvs_code`` (GP zonings, territoires de vie-santé) or ``bvcv_code`` (professions
        zoned on bassins de vie / canton-ville).

    Returns
    -------
    pandas.DataFrame
        Columns ``com_code``, ``tvs_code`` (or ``bvcv_code``), ``z<prof>_niveau`` (and
        ``z<prof>_date_arrete``), sorted by commune code.
    """
    zone = communes["zone"].astype(str)
    out = pd.DataFrame(
        {
            "com_code": communes.index.astype(str),
            territory_column: communes["territory"].astype(str).to_numpy(),
            f"z{profession}_niveau": zone.map(lambda z: level_codes.get(z, z)).to_numpy(),
        }
    )
    if date_arrete is not None:
        out[f"z{profession}_date_arrete"] = date_arrete
    return out.sort_values("com_code", kind="stable").reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write ``frame`` as CSV atomically (a temporary file in the same folder, then a rename).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    return atomic_write(
        path,
        lambda stream: stream.write(frame.to_csv(index=index).encode("utf-8")),
        overwrite=True,
    )
