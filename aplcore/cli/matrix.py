"""``aplcore matrix``: travel-time matrix of communes (crow-fly or road graph)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._paths import check_paths
from ._common import CommandError, Steps, committed, echo
from ._options import (
    FILE,
    REQUIRED,
    RING_OPTIONS,
    TRAVEL_TIME_OPTIONS,
    add_area_options,
    add_command,
    add_options,
    chosen_area,
    opt,
)

# fmt: off
#: The options of ``aplcore matrix`` besides the shared groups: one row per option.
COMMUNE_OPTIONS = (
    opt("--communes", "communes: code, lon, lat (or x, y)", FILE),
)
OUT_OPTIONS = (
    opt("--out", "O-D table (.csv) or matrix with metadata (.parquet, .npz)", FILE, REQUIRED),
)
# fmt: on


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore matrix``."""
    parser = add_command(
        sub, "matrix", COMMUNE_OPTIONS, func=cmd_matrix, parents=[verbose, writer],
        help="travel-time matrix of communes (crow-fly or road graph)",
        description="Travel times between communes within --max-minutes, from straight-line "
        "distances (calibrated on Metric) or a road graph. Communes from --communes (code, "
        "lon, lat) or from the bundled data (--region, --departement, --france); an area of the "
        "bundled data comes with its ring of neighbours (--ring-minutes), recorded in .parquet "
        "and .npz matrices so that 'aplcore compute' reports the area only.",
    )  # fmt: skip
    add_area_options(parser, default_region=None)
    add_options(parser, RING_OPTIONS, TRAVEL_TIME_OPTIONS, OUT_OPTIONS)
    parser.add_argument("--osrm", metavar="URL", help="OSRM server for road times (table service)")
    parser.add_argument(
        "--osrm-pbf", type=Path, metavar="FILE", help="road times from a local OSRM on this extract"
    )


def cmd_matrix(args: argparse.Namespace) -> int:
    """``aplcore matrix``."""
    from ..workflows.matrix import commune_matrix, matrix_outputs  # cli startup

    names = matrix_outputs(args.out)
    check_paths([args.communes, args.roads], list(names.values()), overwrite=args.overwrite)
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
                                    roads=args.roads, osrm=args.osrm, osrm_pbf=args.osrm_pbf,
                                    max_minutes=args.max_minutes)  # fmt: skip
        with steps.step("writing outputs"):
            result.write(args.out, overwrite=args.overwrite, argv=["aplcore", *args.argv],
                         on_commit=committed)  # fmt: skip
    finally:
        steps.close()
    echo(result.text(args.out))
    return 0
