"""``aplcore classify``: zoning from an APL table and a commune → territory table."""

from __future__ import annotations

import argparse
from typing import Any

from .._paths import check_paths
from ._common import (
    check_out_folder,
    echo,
    output_files,
    write_table,
)
from ._options import (
    DIR,
    FILE,
    FLAG,
    MAP_OPTIONS,
    REQUIRED,
    ZONING_OPTIONS,
    add_command,
    describe_zoning_rule,
    opt,
    with_defaults,
)


def date_arrete(text: str) -> str:
    """``--date-arrete``: a calendar date written ``DD/MM/YYYY``, as the national file has it."""
    import datetime

    try:
        datetime.datetime.strptime(text, "%d/%m/%Y")
    except ValueError:
        msg = f"expected a date written DD/MM/YYYY (e.g. 05/01/2026), found {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    return text


# fmt: off
#: The options of ``aplcore classify`` besides the shared groups: one row per option.
OPTIONS = (
    opt("--apl", "APL table: code, apl, population (e.g. the output of 'aplcore compute')", FILE,
        REQUIRED),
    opt("--territories", "commune → territory table: code, territory[, departement, region]",
        FILE, REQUIRED),
    opt("--territory-column", "territory column of the territory table (default: 'territory', or "
        "its only column besides departement and region)", metavar="NAME"),
    opt("--population", "population by commune (code, population) when the APL table has none",
        FILE),
)
CHOICE_OPTIONS = (
    opt("--margin", "extra inhabitants the method's margin zone may use (2346 for ZIP in "
        "Centre-Val de Loire 2025)", type=float, metavar="N"),
    opt("--caps-file", "caps of several régions: a table with columns region, zone, value (shares "
        "≤ 1 or inhabitants) and optionally margin, one row per région and zone; instead of "
        "--cap and --margin", FILE),
    opt("--choices", "the agency's choices (CSV), one row per choice: code, level (territory, "
        "commune or qpv), zone, reason[, commune, population]", FILE),
    opt("--in-force", "the zoning in force: the national DataSanté file (com_code, zmed_niveau); "
        "the outputs then also compare it with the recomputed zoning", FILE),
    opt("--date-arrete", "date of the arrêté that adopts the zoning, written in the national file",
        type=date_arrete, metavar="DD/MM/YYYY"),
    opt("--strict", "strict rule checks: refuse a zoning that breaks a cap or a rule of the "
        "method (default: write it and list what it breaks in zoning_checks.csv)", FLAG),
)
OUT_OPTIONS = (opt("--out", "output folder (communes, territories, report)", DIR, REQUIRED),)
# fmt: on


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore classify``."""
    add_command(
        sub, "classify", OPTIONS, ZONING_OPTIONS, CHOICE_OPTIONS, MAP_OPTIONS, OUT_OPTIONS,
        func=cmd_classify, parents=[verbose, writer],
        help="zoning from an APL table and a territory table",
        description="Classify territories (ZIP/ZAC/HZ) from communal APL and a commune → "
        "territory table; writes the communes, the territories and the cap report.",
    )  # fmt: skip


def cmd_classify(args: argparse.Namespace) -> int:
    """``aplcore classify``."""
    from ..workflows.classify import classify_files, classify_outputs  # cli startup

    args = with_defaults(args, OPTIONS, ZONING_OPTIONS, CHOICE_OPTIONS, MAP_OPTIONS, OUT_OPTIONS)
    check_out_folder(args.out)
    names = classify_outputs(args.out, maps=not args.no_maps, map_format=args.map_format,
                             comparison=args.in_force is not None)  # fmt: skip
    files = [args.apl, args.territories, args.population, args.choices, args.in_force]
    check_paths([*files, args.caps_file], list(names.values()), overwrite=args.overwrite)
    result = classify_files(
        args.apl, args.territories, territory_column=args.territory_column,
        population=args.population, method=args.method, thresholds=args.thresholds,
        caps=_parse_caps(args.cap), margin=args.margin, caps_file=args.caps_file,
        choices=args.choices, in_force=args.in_force, strict=args.strict,
    )  # fmt: skip
    with output_files(list(names.values()), overwrite=args.overwrite, folder=args.out) as outputs:
        for role, frame in result.tables(date_arrete=args.date_arrete).items():
            write_table(frame, outputs.path(names[role]))
        outputs.path(names["annex_text"]).write_text(result.annex_text(), encoding="utf-8")
        notes = result.draw_maps({k: outputs.path(p) for k, p in names.items() if "map" in k},
                                 dpi=args.dpi)  # fmt: skip
        maps = None if args.no_maps else args.map_format
        listed = [path for role, path in names.items() if role != "run"]
        result.write_record(outputs.path(names["run"]), outputs=listed, maps=maps, dpi=args.dpi,
                            date_arrete=args.date_arrete, argv=["aplcore", *args.argv])  # fmt: skip
    for note in notes:
        echo(f"note: {note}")
    zoning = result.zoning
    if result.comparison is not None:
        echo(result.comparison.summary())
    caps_note = "caps met" if zoning.caps_met else "some caps NOT met (see the report)"
    echo(f"aplcore classify: {len(zoning.communes)} communes, method {args.method}, {caps_note}")
    echo(f"  - {describe_zoning_rule(zoning)}")
    echo(zoning.format_report())
    echo("\nwritten:\n" + "\n".join(f"  {path}" for path in names.values()))
    return 0


def _parse_caps(values: list[str]) -> dict[str, float]:
    """The caps of ``--cap ZONE=VALUE`` options (see :func:`aplcore.io.caps.caps_from_text`)."""
    from ..io.caps import caps_from_text  # cli startup

    return caps_from_text(values).get("caps", {})
