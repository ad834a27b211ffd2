"""``aplcore demo``: the whole job on the bundled real communes with a synthetic GP table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ._common import (
    CommandError,
    Steps,
    add_area_options,
    add_travel_time_options,
    area_label,
    check_inputs,
    check_out_folder,
    check_outputs,
    chosen_area,
    echo,
    travel_times_of,
    write_table,
    write_text,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


#: Default area of ``aplcore demo``: the Centre-Val de Loire région.
DEFAULT_REGION = "24"


DEFAULT_OUT = "aplcore-output"


#: APL threshold of the "population under" column of the summaries (2017 zone A threshold).
UNDER_THRESHOLD = 2.5


#: Shares of the regional population capped per zone in the demo when a région's own caps are
#: not known: those the ministry set for Centre-Val de Loire in 2025 (ZIP 71.3 %, ZAC 21.3 %,
#: HZ 7.4 % of 2 573 303 inhabitants).
CVL_2025_CAP_SHARES: dict[str, float] = {"ZIP": 0.713, "ZAC": 0.213, "HZ": 0.074}


CVL_2025_CAPS: dict[str, float] = {"ZIP": 1_834_765, "ZAC": 548_114, "HZ": 190_424}


CVL_2025_MARGIN = 2_346


DEMO_STEPS = (
    "communes",
    "travel times",
    "demand",
    "GP table (synthetic)",
    "APL",
    "zoning",
    "summary",
    "writing outputs",
)


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore demo``."""
    parser = sub.add_parser(
        "demo",
        parents=[verbose, writer],
        help="the whole job on real communes with a synthetic GP table",
        description=(
            "APL and zoning of the real communes of an area (bundled data) with crow-fly or road "
            "travel times and a SYNTHETIC GP activity table (no real one is public). Writes "
            "tables and maps to --out."
        ),
    )
    add_area_options(parser, default_region=DEFAULT_REGION)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help=f"output folder ({DEFAULT_OUT}/)",
    )
    add_travel_time_options(parser)
    parser.add_argument(
        "--age-bands",
        type=Path,
        metavar="FILE",
        help="population by sex and age band (INSEE) to standardise demand; default: total "
        "population",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic GP table (0)")
    parser.add_argument(
        "--territory",
        choices=("epci", "commune", "departement"),
        default="epci",
        help="zoning territory (epci: the TVS table is not bundled)",
    )
    parser.add_argument("--no-maps", action="store_true", help="skip the maps")
    parser.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """``aplcore demo``."""
    area = chosen_area(args, default_region=DEFAULT_REGION)
    inputs = check_inputs([args.roads, args.age_bands])
    out: Path = args.out
    check_out_folder(out)
    label = area_label(area)
    names = {
        "apl": out / "apl_synthetic.csv",
        "practitioners": out / "practitioners_synthetic.csv",
        "territories": out / "zoning_territories_synthetic.csv",
        "report": out / "zoning_report_synthetic.csv",
        "summary": out / "summary_synthetic.csv",
        "apl_map": out / "apl_map_synthetic.png",
        "zoning_map": out / "zoning_map_synthetic.png",
        "distribution": out / "population_by_apl_synthetic.png",
        "readme": out / "README_synthetic.txt",
    }
    maps = not args.no_maps
    missing_maps_note = None
    if maps and not _shapely_available():
        maps = False
        missing_maps_note = (
            "maps: skipped, they need shapely to read the contours "
            "(pip install 'aplcore[geo]' or pip install shapely)."
        )
    if not maps:
        for key in ("apl_map", "zoning_map", "distribution"):
            names.pop(key)
    check_outputs(list(names.values()), inputs, overwrite=args.overwrite)
    out.mkdir(parents=True, exist_ok=True)  # fail before the computation if it cannot be made
    steps = Steps(DEMO_STEPS)
    try:
        result = run_demo(
            area,
            roads=args.roads,
            age_bands=args.age_bands,
            max_minutes=args.max_minutes,
            seed=args.seed,
            territory=args.territory,
            label=label,
            steps=steps,
        )
        with steps.step("writing outputs"):
            write_table(result["apl"], names["apl"])
            write_table(result["practitioners"], names["practitioners"])
            write_table(result["territories"], names["territories"])
            write_table(result["zoning"].report.set_index("region"), names["report"])
            write_table(result["summary"], names["summary"])
            if maps:
                _demo_maps(result, names, label=label)
            elif missing_maps_note:
                result["notes"].append(missing_maps_note)
            text = _demo_text(result, names, label=label)
            write_text(
                f"aplcore {__version__}; communes: {result['source']}\n\n{text}\n",
                names["readme"],
            )
    finally:
        steps.close()
    echo(text)
    return 0


def _shapely_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("shapely") is not None


def _demo_maps(result: dict[str, Any], names: dict[str, Path], *, label: str) -> None:
    from .. import datasets, plots

    table = result["apl"]
    codes = table.index.intersection(result["contour_codes"])
    overseas = codes.str.startswith("97")
    if overseas.any() and not overseas.all():
        # one map of France with the DROM at their true place is mostly ocean
        codes = codes[~overseas]
        result["notes"].append(
            f"maps: metropolitan France only; the {int(overseas.sum())} overseas communes are "
            "in the tables (draw them with --departement 971, 972, 973, 974 or 976)."
        )
    shown = table.loc[codes]
    contours = datasets.load_contours(codes=codes)
    plots.plot_apl_map(
        shown["apl"],
        contours,
        title=f"APL of GPs, {label}\n(synthetic GP activity, not real data)",
        path=names["apl_map"],
    )
    plots.plot_zoning_map(
        shown["zone"],
        contours,
        population=shown["population"],
        title=f"Zoning {result['method']}, {label}\n(synthetic GP activity, not real data)",
        path=names["zoning_map"],
    )
    plots.plot_population_by_class(
        table["apl"],
        table["population"],
        classes=table["zone"],
        title=f"Population by APL class, {label} (synthetic GP activity)",
        path=names["distribution"],
    )


def run_demo(
    area: dict[str, Any],
    *,
    roads: Path | None = None,
    age_bands: Path | None = None,
    max_minutes: float = 30.0,
    seed: int = 0,
    territory: str = "epci",
    label: str = "",
    steps: Steps | None = None,
) -> dict[str, Any]:
    """Run the demo pipeline and return its tables (nothing is written)."""
    import pandas as pd

    from .. import datasets

    notes: list[str] = []
    steps = Steps(DEMO_STEPS) if steps is None else steps
    with steps.step("communes"):
        scope_all = datasets.load_communes(**area)
        france = datasets.load_communes(france=True)
        usable = france["population"].notna().to_numpy() & france["lon"].notna().to_numpy()
        france = france[usable]
        scope = scope_all.index.intersection(france.index, sort=False)
        dropped = len(scope_all) - len(scope)
        if dropped:
            notes.append(
                f"{dropped} communes without a population or a point were left out "
                f"({', '.join(scope_all.index.difference(france.index)[:5])})."
            )
        if len(scope) == 0:
            msg = f"no commune with a population and a point in {label or area}."
            raise CommandError(msg)
        if area.get("france"):
            communes, ring = france.loc[scope], 0
        else:
            decay_cutoff = _decay_cutoff()
            communes, ring = _with_neighbours(france, scope, 2 * decay_cutoff)
            notes.append(
                f"APL computed over {len(communes)} communes: the {len(scope)} of the area and "
                f"{ring} neighbours within {2 * decay_cutoff:g} min, so that border communes "
                "see the supply and demand beyond the border; results are for the area only."
            )
    with steps.step("travel times"):
        tt = travel_times_of(communes, roads=roads, max_minutes=max_minutes, notes=notes)
    with steps.step("demand"):
        population = communes["population"].astype("float64")
        population.index = pd.Index(population.index.astype(object), name="code")
        if age_bands is None:
            demand = population.rename("demand")
            notes.append(
                "demand: total population (population municipale), not age-standardised; "
                "give --age-bands FILE to standardise it with the DREES 2023 weights."
            )
        else:
            demand = _standardised_demand(age_bands, population, notes=notes)
    with steps.step("GP table (synthetic)"):
        practitioners = _synthetic_gps(communes, seed=seed)
        from ..supply import count_gp_activity

        supply = count_gp_activity(practitioners, max_age=65)
        supply = supply.reindex(communes.index, fill_value=0.0)
        notes.append(
            f"GP activity: SYNTHETIC table of {practitioners['practitioner_id'].nunique()} GPs "
            f"(seed {seed}) generated from the real populations; no real GP activity table is "
            "public. The APL values are illustrative, not DREES figures."
        )
    with steps.step("APL"):
        from ..apl import compute_apl

        result = compute_apl(tt, demand=demand, supply=supply, decay="drees_gp")
        apl = result.apl.reindex(scope)
    with steps.step("zoning"):
        territory_table, zoning = _demo_zoning(
            apl, population.reindex(scope), communes.loc[scope], territory=territory, notes=notes
        )
    with steps.step("summary"):
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
    return {
        "apl": table,
        "practitioners": practitioners.set_index("practitioner_id"),
        "territories": zoning.territories,
        "zoning": zoning,
        "summary": summary,
        "notes": notes,
        "method": "zonage_2025",
        "travel_times": tt,
        "contour_codes": scope,
        "source": scope_all.attrs.get("source", "aplcore.datasets"),
    }


def _decay_cutoff() -> float:
    from ..decay import get_decay

    return float(get_decay("drees_gp").cutoff)


def _with_neighbours(
    communes: pd.DataFrame, scope: pd.Index, minutes: float
) -> tuple[pd.DataFrame, int]:
    """The communes of ``scope`` and every commune within ``minutes`` of one of them (crow-fly).

    APL of a commune depends on the supply within the catchment and on the demand of the
    catchments of that supply: computing on the area plus a ring of twice the catchment radius
    gives border communes the same values as a national run would.
    """
    import numpy as np
    from scipy.spatial import cKDTree

    from ..traveltimes.crowfly import CrowFlyModel
    from ..traveltimes.geometry import commune_points

    codes, xyz = commune_points(communes.reset_index(), code="code")
    inside = codes.isin(scope)
    radius = CrowFlyModel().max_distance_km(minutes) * 1000.0
    tree = cKDTree(xyz)
    hits = tree.query_ball_point(xyz[inside], r=radius, return_sorted=False)
    keep = np.zeros(len(codes), dtype=bool)
    keep[inside] = True
    for row in hits:
        keep[row] = True
    selected = communes.loc[codes[keep]]
    return selected, int(keep.sum() - inside.sum())


def _standardised_demand(path: Path, population: pd.Series, *, notes: list[str]) -> pd.Series:
    """Standardised demand where the age-band file has the commune, total population elsewhere."""
    from ..demand import standardise_population
    from ..io import read_population_by_age

    bands = read_population_by_age(path)
    known = population.index.intersection(bands.index, sort=False)
    if len(known) == 0:
        from ..errors import MissingCommuneError, describe_values

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
    from ..synthetic import synthetic_practitioners

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

    from .. import datasets
    from ..zoning import classify_zones

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

    from ..aggregate import aggregate
    from ..plots import ZONE_COLOURS

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
        mean = aggregate(valid["apl"], valid["demand"], groups, what="apl_mean")
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


def _demo_text(result: dict[str, Any], names: dict[str, Path], *, label: str) -> str:
    """What the demo prints, also written beside its outputs."""
    import pandas as pd

    table = result["apl"]
    lines = [f"aplcore demo: {label}, {len(table)} communes (SYNTHETIC GP activity)"]
    lines += [f"  - {note}" for note in result["notes"]]
    lines.append("")
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        lines.append(_format_summary(result["summary"]))
    lines.append("")
    lines.append(
        "zoning report (territories in their département of attribution; caps per région):"
    )
    lines.append(result["zoning"].format_report())
    lines.append("")
    lines.append("written:")
    lines += [f"  {path}" for path in names.values()]
    return "\n".join(lines)


def _format_summary(summary: pd.DataFrame) -> str:
    shown = summary.copy()
    for column in shown.columns:
        if column == "apl_mean":
            shown[column] = shown[column].map(lambda v: f"{v:.2f}")
        else:
            shown[column] = shown[column].map(lambda v: f"{v:,.0f}".replace(",", " "))
    return shown.to_string()
