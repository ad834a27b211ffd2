"""``aplcore matrix``: travel-time matrix of communes (crow-fly or road graph)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import CommandError, Steps, check_inputs, check_outputs, committed, echo
from ._options import add_area_options, add_ring_option, add_travel_time_options, chosen_area


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore matrix``."""
    parser = sub.add_parser(
        "matrix",
        parents=[verbose, writer],
        help="travel-time matrix of communes (crow-fly or road graph)",
        description="Travel times between communes within --max-minutes, from straight-line "
        "distances (calibrated on Metric) or a road graph. Communes from --communes (code, "
        "lon, lat) or from the bundled data (--region, --departement, --france); an area of the "
        "bundled data comes with its ring of neighbours (--ring-minutes), recorded in .parquet "
        "and .npz matrices so that 'aplcore compute' reports the area only.",
    )
    parser.add_argument(
        "--communes", type=Path, metavar="FILE", help="communes: code, lon, lat (or x, y)"
    )
    add_area_options(parser, default_region=None)
    add_ring_option(parser)
    add_travel_time_options(parser)
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="O-D table (.csv) or matrix with metadata (.parquet, .npz)",
    )
    parser.set_defaults(func=cmd_matrix)


def cmd_matrix(args: argparse.Namespace) -> int:
    """``aplcore matrix``."""
    from ..workflows.matrix import commune_matrix, matrix_outputs  # cli startup

    inputs = check_inputs([args.communes, args.roads])
    names = matrix_outputs(args.out)
    check_outputs(list(names.values()), inputs, overwrite=args.overwrite)
    area = None
    if args.communes is None:
        area = chosen_area(args, default_region=None)
    elif args.region or args.departement or args.france:
        msg = "give either --communes FILE or an area (--region, --departement, --france)."
        raise CommandError(msg)
    steps = Steps(["travel times", "writing outputs"])
    try:
        with steps.step("travel times"):
            result = commune_matrix(args.communes, area=area, ring_minutes=args.ring_minutes,
                                    roads=args.roads, max_minutes=args.max_minutes)  # fmt: skip
        with steps.step("writing outputs"):
            result.write(args.out, overwrite=args.overwrite, argv=["aplcore", *args.argv],
                         on_commit=committed)  # fmt: skip
    finally:
        steps.close()
    echo(result.text(args.out))
    return 0
