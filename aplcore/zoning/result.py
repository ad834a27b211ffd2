"""The result of a zoning (:class:`Zoning`) and what an agency publishes from it.

* :class:`Zoning` — communes, territories, report, checks and caps of one zoning;
* :func:`decree_annex` — the territories of each zone with their communes (the annex of the
  regional arrêté), then communes classified on their own and QPV;
* :func:`format_annex` — the same as plain text, ready to paste into a decree;
* :func:`published_table` — the "seuils populationnels" table per département of attribution
  (population, inhabitants and shares per zone, total, and the caps as a reminder row);
* :func:`zoning_map` — a map by commune with territory outlines, a legend spelling out ZIP / ZAC
  / HZ, a scale bar, the source and date, at print resolution (≥ 200 dpi);
* :func:`to_geodataframe` — communes with their contours, for GIS software;
* :func:`write_national_file` — the national commune-level file (:mod:`aplcore.io.national`).

Comparing two zonings (and their map) is :mod:`aplcore.zoning.compare`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..datasets import load_communes, load_contours
from ..errors import InputFormatError, MissingCommuneError, describe_values
from ..io.national import check_profession, write_national_table
from ..plots import plot_zoning_map
from .method import ZoningMethod
from .report import format_report, national_schema, write_csv

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

__all__ = [
    "ZONE_NAMES",
    "Zoning",
    "decree_annex",
    "format_annex",
    "published_table",
    "to_geodataframe",
    "write_national_file",
    "zoning_map",
]

#: Legend text of each zone label (the category spelled out, as decrees name them).
ZONE_NAMES: dict[str, str] = {
    "ZIP": "ZIP – zone d'intervention prioritaire",
    "ZAC": "ZAC – zone d'action complémentaire",
    "HZ": "HZ – hors zonage",
    "ZV": "ZV – zone de vigilance",
    "HV": "HV – hors vivier",
    "ZAR": "ZAR – catégorie régionale (4_ZAR)",
    "NA": "NA – résultat non disponible",
    "very_under_served": "très sous-dotée",
    "under_served": "sous-dotée",
    "intermediate": "intermédiaire",
    "well_served": "très dotée",
    "over_served": "sur-dotée",
}

#: Zones an annex lists (the ones that open aids), in this order.
ANNEX_ZONES = ("ZIP", "ZAC", "ZAR", "very_under_served", "under_served")


@dataclass(frozen=True)
class Zoning:
    """Result of :func:`classify_zones`.

    Attributes
    ----------
    communes
        One row per commune (index ``code``): ``territory``, ``departement``, ``region``,
        ``population``, ``apl`` (communal), ``zone`` (final), ``zone_computed`` (before the
        agency's choices), ``override`` (reason, or empty).
    territories
        One row per territory (index ``territory``): ``apl`` (aggregated), ``population``,
        ``weight``, ``communes``, ``departement`` and ``region`` of attribution (with the 2017
        rule the région holding the largest share decides a cross-région territory; with the
        2025 rule, ``cross_region="own_region"``, such a territory is one row per région part,
        ``<territory>@<région>``), ``zone`` (computed),
        ``selection`` (``mandatory``, ``capped``, ``residual``, ``threshold``, ``share``;
        ``override`` when a territory choice changed it) and ``rank`` (position in the fill
        order, 0 = lowest APL).
    report
        The published-style table (see :mod:`aplcore.zoning.report`).
    checks
        Every cap per région (and per département when given), every derogation limit and
        every method rule: limit, population used, before the choices, mandatory part, met,
        excess, and the choices that broke it (see :mod:`aplcore.zoning.checks`).
    caps
        Caps in inhabitants per région and zone, and the margin.
    method
        The method object used.
    overrides
        The agency's choices applied (columns ``code``, ``level``, ``zone``, ``reason``,
        ``commune``, ``population``).
    qpv
        QPV classified on their own: ``code``, ``commune``, ``region``, ``departement``,
        ``population`` (of the QPV), ``zone``, ``zone_computed`` (its commune's computed zone),
        ``reason``.
    departement_caps
        Département caps in inhabitants (empty when none were given).
    """

    communes: pd.DataFrame
    territories: pd.DataFrame
    report: pd.DataFrame
    checks: pd.DataFrame
    caps: pd.DataFrame
    method: ZoningMethod
    overrides: pd.DataFrame = field(repr=False)
    qpv: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    departement_caps: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def zones(self) -> tuple[str, ...]:
        """Zone labels, most priority first (then the method's regional categories)."""
        return self.method.all_zones

    @property
    def caps_met(self) -> bool:
        """Whether every cap, derogation limit and method rule holds after the choices."""
        return bool(self.checks["met"].all()) if len(self.checks) else True

    @property
    def broken(self) -> pd.DataFrame:
        """The checks that fail (which choice breaks which rule)."""
        return self.checks[~self.checks["met"]]

    def format_report(self) -> str:
        """The report as a readable plain-text table."""
        return format_report(self.report, zones=self.zones, cap_units=self.caps.attrs.get("units"))

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as CSV (atomically)."""
        return write_csv(self.report, path)

    def to_national_schema(
        self,
        *,
        profession: str = "med",
        date_arrete: str | None = None,
        level_codes: Mapping[str, str] | None = None,
    ) -> pd.DataFrame:
        """Per-commune table in the national file's schema (``com_code``, ``tvs_code`` or
        ``bvcv_code``, ``z<prof>_niveau`` with ``1_ZIP``, ``2_ZAC``, ``3_HZ``, ...).

        Parameters
        ----------
        profession
            ``med``, ``ide``, ``mk``, ``sf``, ``dent`` or ``ortho``.
        date_arrete
            Optional date of the arrêté for ``z<prof>_date_arrete`` (``dd/mm/yyyy``).
        level_codes
            Zone label → level code; defaults to the method's ``level_codes``.
        """
        codes = dict(self.method.level_codes if level_codes is None else level_codes)
        return national_schema(
            self.communes,
            level_codes=codes,
            profession=profession,
            date_arrete=date_arrete,
            territory_column=self.method.territory_column,
        )

    def decree_annex(self, **options: Any) -> pd.DataFrame:
        """The annex of the arrêté (:func:`decree_annex`)."""
        return decree_annex(self, **options)

    def published_table(self) -> pd.DataFrame:
        """The table per département as guides print it (:func:`published_table`)."""
        return published_table(self)

    def plot_map(self, contours: Any = None, **options: Any) -> Figure:
        """Map of the zones with territory outlines (:func:`zoning_map`)."""
        return zoning_map(self, contours, **options)

    def to_geodataframe(self, contours: Any = None) -> Any:
        """Communes with zone and contour as a GeoDataFrame (needs the ``geo`` extra)."""
        return to_geodataframe(self, contours)

    def write_national_file(self, path: str | os.PathLike[str], **options: Any) -> Path:
        """Write the national commune-level file (:func:`write_national_file`)."""
        return write_national_file(self, path, **options)

    def __str__(self) -> str:
        return self.format_report()


def _commune_names(codes: pd.Index, names: pd.Series | None) -> pd.Series:
    if names is not None:
        return pd.Series(names).reindex(codes).fillna("")
    try:
        table = load_communes(france=True)
        parents = load_communes(france=True, arrondissements=False)
        known = pd.concat([table["name"], parents["name"]])
        return known[~known.index.duplicated()].reindex(codes).fillna("")
    except (OSError, ValueError, ImportError):  # names are a courtesy; codes are the reference
        return pd.Series("", index=codes)


def decree_annex(
    zoning: Zoning,
    *,
    zones: tuple[str, ...] | None = None,
    territory_names: pd.Series | None = None,
    commune_names: pd.Series | None = None,
) -> pd.DataFrame:
    """The annex of the arrêté: each zone's territories with their communes.

    Parameters
    ----------
    zoning
        The zoning to publish.
    zones
        Zones to list (default: those of ``ZIP, ZAC, ZAR`` and the two lowest five-level
        categories present in the zoning).
    territory_names
        Territory code → name (the TVS name); default: the name of its most populated commune.
    commune_names
        Commune code → name; default: the bundled commune table.

    Returns
    -------
    pandas.DataFrame
        One row per listed unit: ``zone``, ``level`` (``territoire``, ``commune``, ``QPV``),
        ``code``, ``name``, ``departement``, ``population``, ``communes`` (number),
        ``commune_list`` (``"45001 Name; 45002 Name"``), ``reason`` (the agency's reason for a
        choice). Sorted by zone, level, département and code.
    """
    communes = zoning.communes
    listed = (
        tuple(zones) if zones is not None else tuple(z for z in ANNEX_ZONES if z in zoning.zones)
    )
    unknown = [z for z in listed if z not in zoning.zones]
    if unknown:
        msg = f"zones {describe_values(unknown)} are not zones of this zoning {zoning.zones}."
        raise InputFormatError(msg)
    names = _commune_names(communes.index, commune_names)
    overridden = set(zoning.overrides.loc[zoning.overrides["level"] == "commune", "code"])
    on_own = communes.index.isin(list(overridden))
    rows = [
        *_territory_rows(zoning, communes[~on_own], listed, names, territory_names),
        *_commune_rows(communes[on_own], listed, names),
        *_qpv_rows(zoning.qpv, listed, names),
    ]
    columns = [
        "zone",
        "level",
        "code",
        "name",
        "departement",
        "population",
        "communes",
        "commune_list",
        "reason",
    ]
    annex = pd.DataFrame(rows, columns=columns)
    zone_rank = {z: i for i, z in enumerate(listed)}
    level_rank = {"territoire": 0, "commune": 1, "QPV": 2}
    annex = annex.assign(
        _z=annex["zone"].map(zone_rank), _l=annex["level"].map(level_rank)
    ).sort_values(["_z", "_l", "departement", "code"], kind="stable")
    return annex.drop(columns=["_z", "_l"]).reset_index(drop=True)


def _territory_rows(
    zoning: Zoning,
    communes: pd.DataFrame,
    listed: tuple[str, ...],
    names: pd.Series,
    territory_names: pd.Series | None,
) -> list[dict[str, Any]]:
    """Annex rows of the territories (communes classified with their territory)."""
    rows = []
    for (zone, territory), block in communes.groupby(["zone", "territory"], sort=True):
        if zone not in listed:
            continue
        block = block.sort_index()
        main = block["population"].idxmax() if len(block) else ""
        name = (
            str(territory_names.get(territory, ""))
            if territory_names is not None
            else str(names.get(main, ""))
        )
        terr = zoning.territories.loc[territory] if territory in zoning.territories.index else None
        rows.append(
            {
                "zone": zone,
                "level": "territoire",
                "code": str(territory),
                "name": name,
                "departement": terr["departement"] if terr is not None else "",
                "population": float(block["population"].sum()),
                "communes": len(block),
                "commune_list": "; ".join(f"{c} {names[c]}".strip() for c in block.index),
                "reason": "",
            }
        )
    return rows


def _commune_rows(
    communes: pd.DataFrame, listed: tuple[str, ...], names: pd.Series
) -> list[dict[str, Any]]:
    """Annex rows of the communes classified on their own (an agency's choice)."""
    rows = []
    for code in communes.index:
        row = communes.loc[code]
        if row["zone"] not in listed:
            continue
        rows.append(
            {
                "zone": row["zone"],
                "level": "commune",
                "code": code,
                "name": names[code],
                "departement": row["departement"],
                "population": float(row["population"]),
                "communes": 1,
                "commune_list": f"{code} {names[code]}".strip(),
                "reason": row["override"],
            }
        )
    return rows


def _qpv_rows(qpv: pd.DataFrame, listed: tuple[str, ...], names: pd.Series) -> list[dict[str, Any]]:
    """Annex rows of the QPV classified on their own."""
    rows = []
    for _, q in qpv.iterrows():
        if q["zone"] not in listed:
            continue
        rows.append(
            {
                "zone": q["zone"],
                "level": "QPV",
                "code": q["code"],
                "name": "",
                "departement": q["departement"],
                "population": float(q["population"]),
                "communes": 1,
                "commune_list": f"{q['commune']} {names.get(q['commune'], '')}".strip(),
                "reason": q["reason"],
            }
        )
    return rows


def format_annex(annex: pd.DataFrame, *, title: str | None = None) -> str:
    """The annex as plain text: one section per zone, one paragraph per territory."""
    lines = [title, "=" * len(title), ""] if title else []
    for zone, block in annex.groupby("zone", sort=False):
        heading = ZONE_NAMES.get(str(zone), str(zone))
        total = block["population"].sum()
        lines += [
            f"{heading}",
            "-" * len(heading),
            f"{len(block)} unité(s), {_fmt(total)} habitants.",
            "",
        ]
        for _, row in block.iterrows():
            label = {"territoire": "Territoire de vie-santé", "commune": "Commune", "QPV": "QPV"}[
                row["level"]
            ]
            head = f"{label} {row['code']}" + (f" – {row['name']}" if row["name"] else "")
            head += f" (département {row['departement']}, {_fmt(row['population'])} habitants)"
            lines.append(head)
            if row["level"] != "commune":
                lines.append(f"  communes : {row['commune_list']}")
            if row["reason"]:
                lines.append(f"  motif : {row['reason']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _fmt(value: float) -> str:
    return f"{round(float(value)):,}".replace(",", " ")


def published_table(zoning: Zoning) -> pd.DataFrame:
    """The published table per département of attribution, as the regional guides print it.

    Rows: each département, the région's total, and a reminder of the caps ("Rappel : seuils");
    columns: population, inhabitants per zone, and shares per zone in percent (two decimals).
    Several régions give several blocks (index: région, row label).
    """
    report = zoning.report
    zones = [z for z in zoning.zones if z in report.columns]
    blocks = []
    for region, block in report.groupby("region", sort=True):
        rows = {}
        for _, r in block.iterrows():
            label = "Total" if r["departement"] == "total" else str(r["departement"])
            rows[label] = {"population": r["population"]}
            for z in zones:
                rows[label][z] = r[z]
                rows[label][f"{z} (%)"] = round(100 * r[f"{z}_share"], 2)
        total = block[block["departement"] == "total"].iloc[0]
        caps = {z: total[f"{z}_cap"] for z in zones}
        if any(np.isfinite(v) for v in caps.values()):
            reminder: dict[str, float] = {"population": np.nan}
            for z in zones:
                cap = caps[z]
                reminder[z] = cap if np.isfinite(cap) else np.nan
                share = cap / total["population"] if total["population"] > 0 else np.nan
                reminder[f"{z} (%)"] = round(100 * share, 2) if np.isfinite(cap) else np.nan
            rows["Rappel : seuils"] = reminder
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index = pd.MultiIndex.from_product([[region], frame.index], names=["region", "row"])
        blocks.append(frame)
    return pd.concat(blocks)


def contours_of(codes: pd.Index, contours: Any) -> pd.Series:
    """Contours of ``codes`` (the bundled ones by default); communes without one are left out
    with a warning (communes merged since the data's vintage), or an error when none has one."""
    if contours is None:
        france = load_contours(france=True)
        parents = load_contours(france=True, arrondissements=False)
        contours = pd.concat([france, parents[~parents.index.isin(france.index)]])
    known = pd.Series(contours)
    missing = codes.difference(known.index)
    if len(missing) == len(codes):
        msg = (
            f"none of the {len(codes)} communes has a contour (e.g. "
            f"{describe_values(codes[:3].tolist())}). Pass contours= (commune code → geometry)."
        )
        raise MissingCommuneError(msg)
    if len(missing):
        logger.warning(
            "%d communes have no contour and are left off the map: %s (communes merged since? "
            "update the codes with aplcore.codes.update)",
            len(missing),
            describe_values(missing.tolist()),
        )
    return known.reindex(codes.intersection(known.index, sort=False))


def zoning_map(
    zoning: Zoning,
    contours: Any = None,
    *,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    source: str | None = None,
    date: Any = True,
    outlines: str | pd.Series | None = "territory",
    dpi: float = 200,
    **options: Any,
) -> Figure:
    """Map of the zones by commune, ready for a report or a decree.

    Parameters
    ----------
    zoning
        The zoning.
    contours
        Commune contours (code → geometry); default: the bundled simplified contours.
    path
        PNG, SVG or PDF to write (atomically).
    title
        Figure title (default: the method's name).
    source
        Source line (e.g. ``"APL: DREES 2023; zoning: aplcore, method zonage_2025"``).
    date
        Date on the source line (True: today).
    outlines
        ``"territory"`` (the zoning's territories, default), ``"departement"``, ``"region"``, a
        Series code → group, or None.
    dpi
        Resolution; at least 200 for print.
    **options
        Passed to :func:`aplcore.plots.plot_zoning_map` (``figsize``, ``insets``, ...).
    """
    communes = zoning.communes
    classes = pd.Categorical(
        communes["zone"], categories=[z for z in zoning.zones if z in set(communes["zone"])]
    )
    geometries = contours_of(communes.index, contours)
    groups: str | pd.Series | None = outlines
    if isinstance(outlines, str) and outlines == "territory":
        groups = communes["territory"].reindex(geometries.index)
    return plot_zoning_map(
        pd.Series(classes, index=communes.index).reindex(geometries.index),
        geometries,
        population=communes["population"].reindex(geometries.index),
        labels={z: ZONE_NAMES.get(z, z) for z in zoning.zones},
        title=title if title is not None else f"Zoning {zoning.method.name}",
        legend_title="zone",
        source=source or f"zoning computed with aplcore, method {zoning.method.name}",
        date=date,
        outlines=groups,
        dpi=max(dpi, 200),
        path=path,
        **options,
    )


def to_geodataframe(zoning: Zoning, contours: Any = None) -> Any:
    """Communes with their zone and contour, as a ``geopandas.GeoDataFrame`` (EPSG:4326).

    Needs the ``geo`` extra (``pip install aplcore[geo]``).
    """
    try:
        import geopandas as gpd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "to_geodataframe needs geopandas: pip install 'aplcore[geo]'."
        raise ImportError(msg) from exc
    communes = zoning.communes
    geometry = contours_of(communes.index, contours).reindex(communes.index)
    return gpd.GeoDataFrame(communes.copy(), geometry=list(geometry), crs="EPSG:4326")


def write_national_file(
    zoning: Zoning | pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    profession: str = "med",
    date_arrete: str | None = None,
    base: pd.DataFrame | None = None,
) -> Path:
    """Write a zoning as a national commune-level file (atomically).

    Parameters
    ----------
    zoning
        A :class:`Zoning`, or a table from :meth:`Zoning.to_national_schema`.
    path
        CSV to write.
    profession
        Profession suffix of the level column.
    date_arrete
        Date of the arrêté (``dd/mm/yyyy``).
    base
        A national file read with :func:`~aplcore.io.national.read_national_file`: its rows and
        other columns are kept and the profession's level (and date) replaced for the zoning's
        communes.
    """
    check_profession(profession)
    if isinstance(zoning, pd.DataFrame):
        table = zoning
    else:
        table = zoning.to_national_schema(profession=profession, date_arrete=date_arrete)
    return write_national_table(table, path, profession=profession, base=base)
