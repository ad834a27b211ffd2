"""The national commune-level zoning file (DataSanté schema) in and out, and comparing zonings.

The file has one row per commune: ``com_code``, ``tvs_code`` (territoire de vie-santé, the GP
zoning unit), ``bvcv_code`` (bassin de vie / canton-ville, the other professions' unit), and per
profession ``z<prof>_niveau`` and ``z<prof>_date_arrete`` (``prof`` in ``med``, ``ide``, ``mk``,
``sf``, ``dent``, ``ortho``). Level codes are those real files carry
(:data:`aplcore.zoning.methods.KNOWN_LEVEL_CODES`): médecins ``1_ZIP``, ``2_ZAC``, ``3_HZ``,
``4_ZAR``, ``NA`` (result not available); other professions ``1_Tres_sous_dotee`` ...
``5_Sur_dotee``, ``5b_Non_prioritaire``, ``NC`` (not concerned). Other columns are kept as read.

* :func:`read_national_file` reads it (all columns as text; ``NA`` stays the code ``"NA"``);
* :func:`zoning_in_force` gives the zone of each commune for one profession;
* :func:`read_commune_tvs` gives the commune → territory table;
* :func:`write_national_file` writes a :class:`~aplcore.zoning.Zoning` (or such a table);
* :func:`compare_zonings` compares two zonings: communes and inhabitants that change level, by
  département and région, as tables and a map.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..codes import normalise_codes
from ..errors import InputFormatError, InvalidValueError, ParameterError, describe_values
from .methods import KNOWN_LEVEL_CODES
from .report import write_csv
from .territories import departement_of

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .core import Zoning

__all__ = [
    "PROFESSIONS",
    "ZoningComparison",
    "compare_zonings",
    "level_labels",
    "read_commune_tvs",
    "read_national_file",
    "write_national_file",
    "zoning_in_force",
]

#: Profession suffixes of the national file.
PROFESSIONS = ("med", "ide", "mk", "sf", "dent", "ortho")

#: Level code → zone label, for reading (médecins labels ZIP / ZAC / HZ / ZAR; ``NA`` and ``NC``
#: stay as they are: no result / not concerned).
_LABELS = {
    "1_ZIP": "ZIP",
    "2_ZAC": "ZAC",
    "3_HZ": "HZ",
    "4_ZAR": "ZAR",
    "NA": "NA",
    "1_Tres_sous_dotee": "very_under_served",
    "2_Sous_dotee": "under_served",
    "3_intermediaire": "intermediate",
    "4_Tres_dotee": "well_served",
    "5_Sur_dotee": "over_served",
    "5b_Non_prioritaire": "not_priority",
    "NC": "NC",
}

#: Most favourable first, for ordering tables and maps.
_ORDER = list(_LABELS.values())


def level_labels(codes: pd.Series) -> pd.Series:
    """Zone labels of level codes (``"1_ZIP"`` → ``"ZIP"``); labels pass through unchanged."""
    return codes.map(lambda c: _LABELS.get(c, c))


def _separator(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        head = stream.readline()
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_national_file(
    path: str | os.PathLike[str], *, professions: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Read a national commune-level zoning file.

    Parameters
    ----------
    path
        CSV (``,``, ``;`` or tab separated, UTF-8) with ``com_code`` and at least one
        ``z<prof>_niveau`` column.
    professions
        Professions whose level codes must be known codes (default: every ``z<prof>_niveau``
        column present).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``com_code`` (5-character strings), every column as text.

    Raises
    ------
    InputFormatError
        No ``com_code`` or no level column, or a commune listed twice.
    InvalidValueError
        Level codes no real file carries (``5_HZ``, ``3_ZV``, ...), listed with their rows.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(
            path, sep=_separator(path), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a readable CSV zoning file ({exc}). Expected UTF-8 text."
        raise InputFormatError(msg) from exc
    if "com_code" not in frame.columns:
        msg = (
            f"{path}: a national zoning file needs a 'com_code' column; found "
            f"{describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    present = [p for p in PROFESSIONS if f"z{p}_niveau" in frame.columns]
    if not present:
        msg = (
            f"{path}: no level column (zmed_niveau, zide_niveau, ...); found "
            f"{describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    frame.index = normalise_codes(frame.pop("com_code"), what=f"com_code of {path.name}")
    frame.index.name = "com_code"
    if frame.index.has_duplicates:
        dup = sorted(set(frame.index[frame.index.duplicated()]))
        msg = f"{path}: communes listed more than once: {describe_values(dup)}. Keep one row each."
        raise InputFormatError(msg)
    for prof in professions or tuple(present):
        _check_levels(frame, prof, path)
    return frame


def _check_levels(frame: pd.DataFrame, prof: str, path: Path) -> None:
    column = f"z{prof}_niveau"
    if column not in frame.columns:
        msg = f"{path}: no column {column!r} for profession {prof!r}."
        raise InputFormatError(msg)
    known = KNOWN_LEVEL_CODES["med" if prof == "med" else "other"]
    values = frame[column].str.strip()
    bad = ~values.isin(known) & (values != "")
    if bad.any():
        found = sorted(set(values[bad]))
        rows = frame.index[bad.to_numpy()][:5].tolist()
        msg = (
            f"{path}: {column} holds level codes no national file carries: "
            f"{describe_values(found)} (communes {describe_values(rows)}). Expected "
            f"{describe_values(known)}."
        )
        raise InvalidValueError(msg)


def zoning_in_force(
    path: str | os.PathLike[str] | pd.DataFrame, *, profession: str = "med"
) -> pd.Series:
    """Zone label of each commune for one profession (``ZIP``, ``ZAC``, ``HZ``, ``ZAR``, ``NA``).

    Parameters
    ----------
    path
        A national file, or a table from :func:`read_national_file`.
    profession
        Profession suffix (``med`` for GPs).
    """
    frame = path if isinstance(path, pd.DataFrame) else read_national_file(path)
    column = f"z{profession}_niveau"
    if column not in frame.columns:
        msg = f"the zoning file has no {column!r} column (profession {profession!r})."
        raise InputFormatError(msg)
    return level_labels(frame[column].str.strip()).rename("zone")


def read_commune_tvs(
    path: str | os.PathLike[str] | pd.DataFrame, *, column: str = "tvs_code"
) -> pd.Series:
    """Commune → territory code (``tvs_code``, or ``bvcv_code``) from a national file or a table.

    Accepts the national file or any CSV with ``com_code`` (or ``commune``) and the territory
    column (or ``territory``).
    """
    if isinstance(path, pd.DataFrame):
        frame = path
    else:
        path = Path(path)
        frame = pd.read_csv(
            path, sep=_separator(path), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    frame = frame.rename(columns={"commune": "com_code", "territory": column})
    if "com_code" in frame.columns:
        frame = frame.set_index("com_code")
    if column not in frame.columns:
        msg = (
            f"the commune → territory table needs a {column!r} (or 'territory') column; found "
            f"{describe_values(list(frame.columns), limit=10)}."
        )
        raise InputFormatError(msg)
    values = frame[column].astype(str).str.strip()
    empty = values.isin(["", "NC"])
    index = normalise_codes(frame.index, what="commune codes of the territory table")
    out = pd.Series(values.to_numpy(), index=index, name="territory")[~empty.to_numpy()]
    out.index.name = "code"
    return out[~out.index.duplicated()]


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
        A :class:`~aplcore.zoning.Zoning`, or a table from
        :meth:`~aplcore.zoning.Zoning.to_national_schema`.
    path
        CSV to write.
    profession
        Profession suffix of the level column.
    date_arrete
        Date of the arrêté (``dd/mm/yyyy``).
    base
        A national file read with :func:`read_national_file`: its rows and other columns are
        kept and the profession's level (and date) replaced for the zoning's communes.
    """
    if profession not in PROFESSIONS:
        msg = f"profession must be one of {describe_values(PROFESSIONS)}, found {profession!r}."
        raise ParameterError(msg)
    if isinstance(zoning, pd.DataFrame):
        table = zoning
    else:
        table = zoning.to_national_schema(profession=profession, date_arrete=date_arrete)
    table = table.set_index("com_code")
    if base is not None:
        merged = base.copy()
        for col in table.columns:
            if col not in merged.columns:
                merged[col] = ""
            merged.loc[table.index.intersection(merged.index), col] = table[col]
        extra = table.index.difference(merged.index)
        table = pd.concat([merged, table.loc[extra]]).fillna("")
    out = table.sort_index().reset_index().rename(columns={"index": "com_code"})
    return write_csv(out, path)


# --- comparison --------------------------------------------------------------------------------


def _as_zones(zoning: Any, what: str) -> pd.Series:
    if hasattr(zoning, "communes") and isinstance(zoning.communes, pd.DataFrame):
        zones = zoning.communes["zone"]
    elif isinstance(zoning, pd.DataFrame):
        columns = [c for c in zoning.columns if c.endswith("_niveau")]
        if "zone" in zoning.columns:
            zones = zoning["zone"]
        elif len(columns) == 1:
            zones = zoning[columns[0]]
        else:
            msg = (
                f"{what}: a table needs a 'zone' column or exactly one 'z<prof>_niveau' column; "
                f"found {describe_values(list(zoning.columns), limit=10)}."
            )
            raise InputFormatError(msg)
    elif isinstance(zoning, pd.Series):
        zones = zoning
    else:
        msg = f"{what} must be a Zoning, a Series of zones or a table, found {type(zoning)}."
        raise InputFormatError(msg)
    zones = level_labels(zones.astype(str))
    zones.index = normalise_codes(zones.index, what=f"commune codes of {what}")
    return zones


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
        from .publish import comparison_map

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
    b = _as_zones(before, "the first zoning")
    a = _as_zones(after, "the second zoning")
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
    rank_order += [z for z in _ORDER if z not in rank_order]
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
        from ..datasets import load_communes

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
