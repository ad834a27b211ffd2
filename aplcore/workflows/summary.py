"""Summaries of communal results: the table by département, the names of the zonings,
and maps of results on the bundled communes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import datasets, plots
from ..aggregation import aggregate
from ..errors import MissingCommuneError, describe_values
from ..plots.render import ZONE_COLOURS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure


__all__ = ["UNDER_THRESHOLD", "ZONE_LABELS", "ZONING_NAMES", "map_of_bundled_communes", "summarise"]

#: APL threshold of the "population under" column of the summaries (2017 zone A threshold).
UNDER_THRESHOLD = 2.5


#: Plain names of the zoning methods of the demo's map titles.
ZONING_NAMES: dict[str, str] = {
    "zonage_2025": "GP zoning, 2025 method",
    "zonage_2017": "GP zoning, 2017 method",
}

#: The 2025 zones spelt out in the legend of the demo's zoning map.
ZONE_LABELS: dict[str, str] = {
    "ZIP": "ZIP – zone d'intervention prioritaire",
    "ZAC": "ZAC – zone d'action complémentaire",
    "HZ": "HZ – hors zonage",
}


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Summary by département and in total of a table of communal results.

    Parameters
    ----------
    table
        Indexed by commune code, with columns ``departement``, ``population`` (total),
        ``demand`` (standardised population, or the total when not standardised), ``apl`` and
        optionally ``zone``. Communes without an APL value are left out.

    Returns
    -------
    pandas.DataFrame
        One row per département and a ``total`` row: ``communes``, ``population``, ``demand``,
        ``apl_mean`` (weighted by demand, as the DREES workbook note prescribes), the population
        living under an APL of 2.5 (total population) and the population of each zone.
    """
    import numpy as np
    import pandas as pd

    valid = table[np.isfinite(table["apl"].to_numpy(dtype=np.float64))]
    under = f"population_apl_under_{UNDER_THRESHOLD:g}"
    zones: list[str] = []
    if "zone" in valid.columns:
        zones = [str(z) for z in pd.unique(valid["zone"].dropna().astype(object))]
        order = list(ZONE_COLOURS)  # the zones in the order of the map legends
        zones = [z for z in order if z in zones] + sorted(set(zones) - set(order))
    frames = []
    for groups in (
        valid["departement"].astype(object).rename("departement"),
        pd.Series("total", index=valid.index, dtype=object, name="departement"),
    ):
        if valid["demand"].sum() > 0:
            mean = aggregate(valid["apl"], valid["demand"], groups, what="apl_mean")
        else:  # no demand anywhere: no mean (NaN), as for a group without demand
            mean = pd.DataFrame({"apl_mean": np.nan}, index=pd.Index(sorted(set(groups))))
        grouped = valid.groupby(groups.to_numpy(), sort=True)
        frame = pd.DataFrame(
            {
                "communes": grouped.size(),
                "population": grouped["population"].sum(),
                "demand": grouped["demand"].sum(),
                "apl_mean": mean["apl_mean"],
                under: valid["population"]
                .where(valid["apl"] < UNDER_THRESHOLD, 0.0)
                .groupby(groups.to_numpy(), sort=True)
                .sum(),
            }
        )
        for zone in zones:
            frame[f"population_{zone}"] = (
                valid["population"]
                .where(valid["zone"].astype(object) == zone, 0.0)
                .groupby(groups.to_numpy(), sort=True)
                .sum()
            )
        frames.append(frame)
    out = pd.concat(frames)
    out.index.name = "departement"
    return out


def map_of_bundled_communes(
    values: pd.Series,
    *,
    kind: str = "apl",
    path: str | Path | None = None,
    **options: Any,
) -> Figure:
    """Map of values by commune on the bundled contours (APL in classes, or zones).

    Parameters
    ----------
    values
        APL (``kind="apl"``) or zone labels (``kind="zones"``) by commune code.
    path
        Where to write the figure (PNG, SVG or PDF by its suffix).
    options
        Passed to :func:`aplcore.plot_apl_map` or :func:`aplcore.plot_zoning_map` (``unit``,
        ``title``, ``source``, ``dpi``, ...).

    Raises
    ------
    MissingCommuneError
        None of the codes has a bundled contour (codes of another country or vintage).
    """
    known = datasets.load_contours(france=True, as_wkb=True).index
    codes = values.index.intersection(known, sort=False)
    if len(codes) == 0:
        msg = (
            f"no bundled contour for the codes of the table (first codes: "
            f"{describe_values(values.index[:5].tolist())}): maps need the commune codes of the "
            "COG 2025. Bring older codes up to date with aplcore.codes.update."
        )
        raise MissingCommuneError(msg)
    contours = datasets.load_contours(codes=codes)
    draw = plots.plot_apl_map if kind == "apl" else plots.plot_zoning_map
    return draw(values.loc[codes], contours, path=path, **options)
