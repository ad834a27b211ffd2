"""``aplcore zone``: from the DREES APL workbook (or a CSV) to a zoning, in one step."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._paths import check_paths
from ._common import (
    committed,
    echo,
)
from ._options import (
    DIR,
    FILE,
    FLAG,
    REQUIRED,
    ZONING_OPTIONS,
    add_command,
    describe_zoning_rule,
    opt,
)

BUNDLED_TERRITORIES = ("epci", "departement", "commune")


# fmt: off
#: The options of ``aplcore zone`` besides the shared groups: one row per option.
OPTIONS = (
    opt("--apl", "the DREES workbook (.xlsx; pip install 'aplcore[xlsx]') or a table with code, "
        "the APL column and a population column", FILE, REQUIRED),
    opt("--apl-column", "APL column to zone on: apl_65 (GPs aged 65 or less, the 2025 GP zoning) "
        "or apl (all ages) for the workbook; any column of a table", REQUIRED, metavar="NAME"),
    opt("--year", "sheet year of the workbook (2023: 'APL 2023')", type=int, default=2023),
    opt("--population-column", "total population column of a table (pop_total, the workbook's)",
        default="pop_total", metavar="NAME"),
    opt("--territories", "territories: those of the bundled communes (epci, the default) or a "
        "commune → territory table (code, territory[, departement, region]), e.g. your TVS table",
        default="epci", metavar="epci|departement|commune|FILE"),
    opt("--codes-to", "COG year the codes are brought to (default: 2025, the bundled communes', "
        "with bundled territories; unchanged with a table of your own)", type=int,
        metavar="YEAR"),
)
OUT_OPTIONS = (
    opt("--margin", "margin of the margin zone", type=float, metavar="N"),
    opt("--out", "output folder", DIR, REQUIRED),
    opt("--no-map", "skip the map", FLAG),
)
# fmt: on


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore zone``."""
    add_command(
        sub, "zone", OPTIONS, ZONING_OPTIONS, OUT_OPTIONS, func=cmd_zone,
        parents=[verbose, writer],
        help="zoning from the DREES APL workbook (or a CSV) in one step",
        description="Read published APL (the DREES workbook, sheet 'APL YEAR', or a CSV/Parquet "
        "table), take the APL column you choose (apl_65 for GP zonings), bring merged communes "
        "to their current code, group communes into territories and classify them. Writes the "
        "communes, territories, cap report, code changes, a map and run.json to --out.",
    )  # fmt: skip


def cmd_zone(args: argparse.Namespace) -> int:
    """``aplcore zone``."""
    from ..workflows.classify import territory_table  # cli startup
    from ..workflows.workbook import workbook_outputs, zoning_from_workbook  # cli startup

    territory_file = None if args.territories in BUNDLED_TERRITORIES else Path(args.territories)
    names = workbook_outputs(args.out, map=not args.no_map)
    check_paths([args.apl, territory_file], list(names.values()), overwrite=args.overwrite)
    territories: Any = args.territories
    if territory_file is not None:
        territories = territory_table(territory_file)
    result = zoning_from_workbook(
        args.apl, column=args.apl_column, year=args.year, territories=territories,
        codes_to=args.codes_to, method=args.method, population_column=args.population_column,
        **_zoning_options(args),
    )  # fmt: skip
    result.write(
        args.out, overwrite=args.overwrite, map=not args.no_map, data=_inputs(args),
        argv=["aplcore", *args.argv], on_commit=committed,
    )  # fmt: skip
    caps_note = "caps met" if result.zoning.caps_met else "some caps NOT met (see the report)"
    echo(
        f"aplcore zone: {len(result.communes)} communes, column {args.apl_column}, method "
        f"{args.method}, {caps_note}"
    )
    echo(f"  - {describe_zoning_rule(result.zoning)}")
    for note in result.notes:
        echo(f"  - {note}")
    echo(result.zoning.format_report())
    echo()
    echo("written:")
    for path in names.values():
        echo(f"  {path}")
    return 0


def _zoning_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`aplcore.workflows.zoning_from_workbook` the options give."""
    from ..io.caps import caps_from_text  # cli startup

    options: dict[str, Any] = caps_from_text(args.cap)
    if args.margin is not None:
        options["margin"] = args.margin
    if args.thresholds:
        options["thresholds"] = tuple(args.thresholds)
    return options


def _inputs(args: argparse.Namespace) -> dict[str, str]:
    """The inputs recorded in ``run.json``."""
    from ..runinfo import BUNDLED_DATA  # cli startup

    bundled = args.territories in BUNDLED_TERRITORIES
    return {
        "apl": str(args.apl),
        "territories": BUNDLED_DATA["communes"] if bundled else str(args.territories),
        "code_history": "aplcore.codes.update (COG from @etalab/decoupage-administratif)",
    }
