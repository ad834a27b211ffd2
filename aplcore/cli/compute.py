"""``aplcore compute``: APL from the user's files (O-D table or matrix, population, GPs)."""

from __future__ import annotations

import argparse
from typing import Any

from .._paths import check_paths
from ._common import Steps, committed, echo, logger
from ._options import (
    DECAY_OPTIONS,
    FILE,
    FLAG,
    MAP_FILE_OPTIONS,
    OD_TABLE_OPTIONS,
    READING_OPTIONS,
    REQUIRED,
    SUPPLY_OPTIONS,
    add_command,
    opt,
    parse_decay,
    sheet_of,
)

# fmt: off
#: The options of ``aplcore compute`` besides the shared groups: one row per option.
OPTIONS = (
    opt("--times", "O-D table (.csv/.parquet: origin, destination, minutes) or a matrix written by "
        "'aplcore matrix' (.parquet, .npz)", FILE, REQUIRED),
    opt("--population", "population by commune: code + population, or by sex and age band (INSEE "
        "wide or long tables; standardised with --weights)", FILE, REQUIRED),
    opt("--practitioners", "one row per GP and site: practitioner_id, commune, activity, age[, "
        "kind, new_install]", FILE, REQUIRED),
    opt("--out", "APL table (.csv or .parquet)", FILE, REQUIRED),
)
TABLE_OPTIONS = (
    opt("--weights", "age weights of the standardisation (drees_gp_2023, drees_gp_2022)",
        default="drees_gp_2023"),
    opt("--od-columns", "column names of the O-D table (origin destination minutes)", nargs=3,
        metavar=("ORIGIN", "DESTINATION", "MINUTES"), default=("origin", "destination", "minutes")),
    opt("--intra-minutes", "time of the i→i pairs missing from an O-D table (0 minutes)",
        type=float, default=0.0, metavar="MIN"),
    opt("--layout", "O-D table layout: long (one row per pair) or wide (first column the origin "
        "ids, one column per destination, blank = unreachable)", choices=("long", "wide"),
        default="long"),
    opt("--time-units", "unit of the O-D table's time column, converted to minutes (default: "
        "minutes, with a warning when the times look like seconds or hours)",
        choices=("minutes", "seconds", "hours")),
    opt("--strict-codes", "commune codes absent from the current Code officiel géographique are "
        "an error (default: a warning naming them)", FLAG),
)
# fmt: on


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore compute``."""
    add_command(
        sub, "compute", OPTIONS, DECAY_OPTIONS, SUPPLY_OPTIONS, READING_OPTIONS, OD_TABLE_OPTIONS,
        MAP_FILE_OPTIONS, TABLE_OPTIONS, func=cmd_compute, parents=[verbose, writer],
        help="APL from your files (O-D table, population, practitioners)",
        description="Compute APL from an O-D table or matrix file, a population table and a "
        "practitioner table; writes one row per commune (code, demand, supply, apl).",
    )  # fmt: skip


def cmd_compute(args: argparse.Namespace) -> int:
    """``aplcore compute``."""
    from ..workflows.compute import COMPUTE_STEPS, compute_files, compute_outputs  # cli startup

    decay = parse_decay(args.decay, closed=args.closed)
    names = compute_outputs(args.out, map=args.map)
    inputs = [args.times, args.population, args.practitioners]
    check_paths(inputs, list(names.values()), overwrite=args.overwrite)
    read_options = {
        "intra_minutes": args.intra_minutes, "columns": tuple(args.od_columns), "sep": args.sep,
        "sheet": sheet_of(args), "repair_integers": args.repair_codes, "units": args.time_units,
        "strict": args.strict_codes, "layout": args.layout,
    }  # fmt: skip
    steps = Steps([*COMPUTE_STEPS, "writing outputs"])
    try:
        result = compute_files(
            args.times, args.population, args.practitioners, decay=decay, method=args.method,
            max_age=args.max_age, weights=args.weights, read_options=read_options,
            progress=steps.step,
        )  # fmt: skip
        with steps.step("writing outputs"):
            result.write(args.out, overwrite=args.overwrite, map=args.map, dpi=args.dpi,
                         argv=["aplcore", *args.argv], on_commit=committed)  # fmt: skip
        logger.info("wrote %s (%d rows)", args.out, len(result.table))
    finally:
        steps.close()
    echo(result.text(args.out))
    return 0
