"""Comparing zonings, and the one reading of "a zoning" as a commune → zone table.

* :func:`commune_zones` reads any usual form of a zoning (a :class:`~aplcore.zoning.Zoning`, a
  Series of zones by commune, a table with a ``zone`` or a ``z<prof>_niveau`` column, such as a
  national file) as one Series of zone labels indexed by commune code; the aids
  (:func:`aplcore.aids.zone_table`) read zonings through it too;
* :func:`compare_zonings` compares two zonings: communes and inhabitants that change level, by
  département and région, as tables (:class:`ZoningComparison`) and a map
  (:func:`comparison_map`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..codes import as_code_index, normalise_codes
from ..datasets import load_communes
from ..errors import InputFormatError, InvalidValueError, Source, describe_values, type_name
from ..io.national import LEVEL_ORDER, check_level_codes, level_labels
from ..plots import plot_zoning_map
from ..tables import read_table
from .report import write_csv
from .result import contours_of
from .territories import departement_of

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["ZoningComparison", "commune_zones", "compare_zonings", "comparison_map"]

#: Names of a commune code column in a zoning table (any case).
CODE_COLUMNS = ("code", "commune", "com_code", "codgeo", "insee")


def commune_zones(zoning: Any, *, what: str = "the zoning") -> pd.Series:
    """Zone label of each commune, from any usual form of a zoning (labels as given).

    Parameters
    ----------
    zoning
        A :class:`~aplcore.zoning.Zoning` (or any object with a ``communes`` table holding a
        ``zone`` column), a Series of zones indexed by commune code, or a DataFrame: commune
        codes in a code column (``code``, ``commune``, ``com_code``, ``codgeo``, ``insee``) or
        the index, zones in a ``zone`` column or a national-file level column (``zmed_niveau``;
        the GP one when there are several).
    what
        How to name the zoning in error messages.

    Returns
    -------
    pandas.Series
        Labels (or level codes, as given), indexed by unique 5-character commune codes.

    Raises
    ------
    InputFormatError
        Another kind of object, or a table without a zone column.
    InvalidValueError
        Level codes the national-file reader refuses (``5_HZ``, ``3_ZV``, ``2_Sous_dotee`` in
        ``zmed_niveau``: :func:`aplcore.io.national.check_level_codes`).
    CommuneCodeError, DuplicateError
        Commune codes not of the INSEE form, or listed twice.
    """
    profession = "any"  # plain labels: the level codes of any profession
    if hasattr(zoning, "communes") and isinstance(zoning.communes, pd.DataFrame):
        labels = zoning.communes["zone"]
    elif isinstance(zoning, pd.Series):
        labels = zoning
    elif isinstance(zoning, pd.DataFrame):
        labels, profession = _labels_of_frame(zoning, what)
    elif isinstance(zoning, str | os.PathLike):
        labels, profession = _labels_of_frame(read_zoning_file(zoning, what=what), what)
    else:
        msg = (
            f"{what} must be a Zoning, a commune → zone Series or a table with code and zone "
            f"columns or a file of such a table, found {type_name(zoning)}."
        )
        raise InputFormatError(msg)
    index = as_code_index(labels.index, what=f"commune codes of {what}")
    labels = pd.Series(labels.to_numpy(), index=index, name="zone")
    coded = labels.astype(str).str.strip().str.match(r"^\d+[a-z]?_") & labels.notna()
    if coded.any():
        check_level_codes(labels[coded], profession=profession, where=f"{what}'s level codes")
    return labels


def read_zoning_file(path: str | os.PathLike[str], *, what: str = "the zoning") -> pd.DataFrame:
    """A zoning table (CSV, Parquet, Excel) with every column as text: codes keep their zeros."""
    table = read_table(Path(path), text_columns=lambda name: True, what=what)
    frame = table.data.to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        msg = f"{what} {path} has no rows."
        raise InputFormatError(msg, source=Source.of(path))
    return frame


def _labels_of_frame(frame: pd.DataFrame, what: str) -> tuple[pd.Series, str]:
    """The zone column (labels, or level codes of a profession) and that profession."""
    columns = {str(c).lower(): c for c in frame.columns}
    levels = [c for c in columns if c.startswith("z") and c.endswith("_niveau")]
    if "zone" in columns:
        zone = columns["zone"]
    elif len(levels) == 1 or "zmed_niveau" in levels:
        zone = columns[levels[0] if len(levels) == 1 else "zmed_niveau"]
    else:
        msg = (
            f"{what}: a table needs a 'zone' column or one national-file level column such as "
            f"zmed_niveau; its columns are {describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    name = str(zone).lower()
    profession = name[1 : -len("_niveau")] if name.endswith("_niveau") else "any"
    code = next((columns[c] for c in CODE_COLUMNS if c in columns), None)
    if code is None:
        return frame[zone], profession
    codes = normalise_codes(frame[code], what=f"commune codes of {what}")
    return pd.Series(frame[zone].to_numpy(), index=pd.Index(codes)), profession


def _level_labels_of(zoning: Any, what: str) -> pd.Series:
    return level_labels(commune_zones(zoning, what=what).astype(str))


@dataclass(frozen=True)
class ZoningComparison:
    """Two zonings side by side.

    Attributes
    ----------
    communes
        Per commune (index ``code``): ``before``, ``after`` (zone labels; empty where the
        commune is in one zoning only), ``changed``, ``change`` (``"ZAC → ZIP"``),
        ``population``, ``departement``, ``region``.
    by_departement, by_region
        ``communes``, ``communes_changed``, ``population``, ``population_changed``, and the
        inhabitants gaining (``to_better``) and losing (``to_worse``) a priority level.
    transitions
        Inhabitants by zone before (rows) and after (columns).
    """

    communes: pd.DataFrame
    by_departement: pd.DataFrame
    by_region: pd.DataFrame
    transitions: pd.DataFrame
    labels: tuple[str, str] = ("before", "after")

    def summary(self) -> str:
        """A few plain lines: communes and inhabitants that change level."""
        c = self.communes
        both = c[(c["before"] != "") & (c["after"] != "")]
        changed = both[both["changed"]]
        total = float(both["population"].sum())
        share = 100 * float(changed["population"].sum()) / total if total > 0 else 0.0

        def number(value: float) -> str:
            return f"{round(value):,}".replace(",", " ")

        lines = [
            f"{self.labels[0]} → {self.labels[1]}: {number(len(changed))} of "
            f"{number(len(both))} communes change level "
            f"({number(float(changed['population'].sum()))} inhabitants, {share:.1f} %).",
        ]
        only = (c["before"] == "").sum(), (c["after"] == "").sum()
        if any(only):
            lines.append(
                f"{only[1]} communes only in {self.labels[0]}, {only[0]} only in {self.labels[1]}."
            )
        return "\n".join(lines)

    def to_csv(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``comparison_communes.csv``, ``_departements``, ``_regions``, ``_transitions``."""
        folder = Path(folder)
        return [
            write_csv(self.communes, folder / "comparison_communes.csv", index=True),
            write_csv(self.by_departement, folder / "comparison_departements.csv", index=True),
            write_csv(self.by_region, folder / "comparison_regions.csv", index=True),
            write_csv(self.transitions, folder / "comparison_transitions.csv", index=True),
        ]

    def plot(
        self,
        contours: pd.DataFrame | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        title: str | None = None,
        source: str | None = None,
        **options: Any,
    ) -> Figure:
        """Map of the communes whose level changes (to a better or worse priority level)."""
        return comparison_map(self, contours, path=path, title=title, source=source, **options)


def _rank(labels: pd.Series, order: list[str]) -> np.ndarray:
    pos = {z: i for i, z in enumerate(order)}
    return labels.map(lambda z: pos.get(z, np.nan)).to_numpy(dtype=np.float64)


def compare_zonings(
    before: Any,
    after: Any,
    *,
    population: pd.Series | None = None,
    departement: pd.Series | None = None,
    region: pd.Series | None = None,
    order: tuple[str, ...] | None = None,
    labels: tuple[str, str] = ("in force", "recomputed"),
) -> ZoningComparison:
    """Compare two zonings commune by commune.

    Parameters
    ----------
    before, after
        Each a :class:`~aplcore.zoning.Zoning`, a Series of zones (labels or level codes) by
        commune, or a table with a ``zone`` or one ``z<prof>_niveau`` column (a national file).
    population
        Inhabitants per commune. Default: the bundled communes' population
        (:func:`aplcore.datasets.load_communes`), or the zonings' own when they are
        :class:`~aplcore.zoning.Zoning` objects.
    departement, region
        Per commune; default: the bundled commune table, else the commune code (département).
    order
        Zone labels from most priority to least, to tell gains from losses. Default:
        ``ZIP, ZAC, ZAR, HZ, NA`` then the five levels.
    labels
        Names of the two zonings, for summaries.
    """
    b = _level_labels_of(before, "the first zoning")
    a = _level_labels_of(after, "the second zoning")
    codes = b.index.union(a.index)
    frame = pd.DataFrame(
        {
            "before": b.reindex(codes).fillna("").to_numpy(dtype=object),
            "after": a.reindex(codes).fillna("").to_numpy(dtype=object),
        },
        index=pd.Index(codes, name="code"),
    )
    frame["changed"] = (frame["before"] != frame["after"]) & (frame["before"] != "")
    frame["changed"] &= frame["after"] != ""
    frame["change"] = np.where(frame["changed"], frame["before"] + " → " + frame["after"], "")
    frame["population"], frame["departement"], frame["region"] = _commune_facts(
        codes, before, after, population, departement, region
    )
    rank_order = list(order) if order is not None else ["ZIP", "ZAC", "ZAR", "HZ", "NA"]
    rank_order += [z for z in LEVEL_ORDER if z not in rank_order]
    rb, ra = _rank(frame["before"], rank_order), _rank(frame["after"], rank_order)
    frame["direction"] = np.select(
        [frame["changed"] & (ra < rb), frame["changed"] & (ra > rb), frame["changed"]],
        ["better", "worse", "other"],
        default="",
    )
    by_dep = _summarise(frame, ["region", "departement"])
    by_region = _summarise(frame, ["region"])
    both = frame[(frame["before"] != "") & (frame["after"] != "")]
    transitions = both.pivot_table(
        index="before", columns="after", values="population", aggfunc="sum", fill_value=0.0
    )
    present = [z for z in rank_order if z in set(transitions.index) | set(transitions.columns)]
    transitions = transitions.reindex(index=present, columns=present, fill_value=0.0)
    return ZoningComparison(frame, by_dep, by_region, transitions, labels)


def _commune_facts(
    codes: pd.Index,
    before: Any,
    after: Any,
    population: pd.Series | None,
    departement: pd.Series | None,
    region: pd.Series | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bundled = None
    for z in (after, before):
        if population is None and hasattr(z, "communes"):
            population = z.communes["population"]
        own = getattr(z, "communes", None)
        if region is None and own is not None and own["region"].ne("all").all():
            region = own["region"]
    if population is None or region is None or departement is None:
        bundled = load_communes(france=True, arrondissements=False)
        extra = load_communes(france=True).loc[lambda t: t["type"] == "arrondissement"]
        bundled = pd.concat([bundled, extra[~extra.index.isin(bundled.index)]])
    if population is None:
        population = bundled["population"]  # type: ignore[index]
    pop = pd.Series(population, dtype="Float64").reindex(codes)
    missing = pop.isna()
    if missing.any():
        pop = pop.fillna(0.0)
    pop_values = pop.to_numpy(dtype=np.float64)
    if not np.isfinite(pop_values).all() or (pop_values < 0).any():
        msg = "populations must be finite and non-negative."
        raise InvalidValueError(msg)
    if departement is None:
        dep = bundled["departement"].reindex(codes)  # type: ignore[index]
        dep = dep.fillna(pd.Series(departement_of(codes), index=codes))
    else:
        dep = (
            pd.Series(departement)
            .reindex(codes)
            .fillna(pd.Series(departement_of(codes), index=codes))
        )
    if region is None:
        reg = bundled["region"].reindex(codes).fillna("")  # type: ignore[index]
    else:
        reg = pd.Series(region).reindex(codes).fillna("")
    return (
        pop_values,
        dep.astype(str).to_numpy(dtype=object),
        reg.astype(str).to_numpy(dtype=object),
    )


def _summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    both = frame[(frame["before"] != "") & (frame["after"] != "")]
    pop = both["population"]
    grouped = pd.DataFrame(
        {
            "communes": both.groupby(keys).size(),
            "communes_changed": both["changed"].groupby([both[k] for k in keys]).sum(),
            "population": pop.groupby([both[k] for k in keys]).sum(),
            "population_changed": (pop * both["changed"]).groupby([both[k] for k in keys]).sum(),
            "to_better": (pop * (both["direction"] == "better"))
            .groupby([both[k] for k in keys])
            .sum(),
            "to_worse": (pop * (both["direction"] == "worse"))
            .groupby([both[k] for k in keys])
            .sum(),
        }
    )
    grouped["share_changed"] = np.where(
        grouped["population"] > 0, grouped["population_changed"] / grouped["population"], np.nan
    )
    return grouped.sort_index()


def comparison_map(
    comparison: ZoningComparison,
    contours: Any = None,
    *,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    source: str | None = None,
    date: Any = True,
    outlines: str | pd.Series | None = "departement",
    dpi: float = 200,
    **options: Any,
) -> Figure:
    """Map of the communes whose level changes: to a more priority level, to a less one."""
    c = comparison.communes
    c = c[(c["before"] != "") & (c["after"] != "")]
    words = {
        "better": "to a more priority level",
        "worse": "to a less priority level",
        "other": "other change",
        "": "unchanged",
    }
    labels = c["direction"].map(words)
    order = [w for w in words.values() if w in set(labels)]
    colours = {
        "to a more priority level": "#b2182b",
        "to a less priority level": "#2166ac",
        "other change": "#984ea3",
        "unchanged": "#e8e8e8",
    }
    a, b = comparison.labels
    geometries = contours_of(c.index, contours)
    return plot_zoning_map(
        pd.Series(pd.Categorical(labels, categories=order), index=c.index).reindex(
            geometries.index
        ),
        geometries,
        population=c["population"].reindex(geometries.index),
        colours=colours,
        title=title if title is not None else f"Zoning: {a} → {b}",
        legend_title="change of level",
        source=source,
        date=date,
        outlines=outlines,
        dpi=max(dpi, 200),
        path=path,
        **options,
    )
