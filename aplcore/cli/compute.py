"""``aplcore compute``: APL from the user's files (O-D table or matrix, population, GPs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import Steps, check_inputs, check_outputs, committed, echo
from ._options import (
    add_decay_options,
    add_map_file_option,
    add_reading_options,
    add_supply_options,
    parse_decay,
    sheet_of,
)


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
    from ..workflows.compute import COMPUTE_STEPS, compute_files, compute_outputs  # cli startup

    inputs = check_inputs([args.times, args.population, args.practitioners])
    decay = parse_decay(args.decay, closed=args.closed)
    names = compute_outputs(args.out, map=args.map)
    check_outputs(list(names.values()), inputs, overwrite=args.overwrite)
    read_options = {
        "intra_minutes": args.intra_minutes, "columns": tuple(args.od_columns), "sep": args.sep,
        "sheet": sheet_of(args), "repair_integers": args.repair_codes, "units": args.time_units,
        "strict": args.strict_codes,
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
    finally:
        steps.close()
    echo(result.text(args.out))
    return 0
