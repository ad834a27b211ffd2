"""``aplcore aids``: the aids a GP could claim in a commune on a date, or the cost of a plan."""

from __future__ import annotations

import argparse
from typing import Any

from .._paths import check_paths
from ._common import echo, read_table, write_table
from ._options import FILE, REQUIRED, add_command, add_options, opt

# fmt: off
#: What ``aplcore aids`` is asked: one commune, or a plan of installations.
WHAT_OPTIONS = (
    opt("--commune", "commune code, e.g. 36044", metavar="CODE"),
    opt("--plan", "installations: commune (or code)[, date, count, situations, days_per_week, "
        "yearly_fees, ...], one row per installation", FILE),
)
#: The other options of ``aplcore aids``: one row per option.
OPTIONS = (
    opt("--zoning", "commune → zone table: code and zone columns (or com_code and zmed_niveau)",
        FILE, REQUIRED),
    opt("--date", "date deciding which aids apply", REQUIRED, metavar="YYYY-MM-DD"),
    opt("--profile", "who the doctor is: first_installation, installation, "
        "coordinated_installation, replacement, recent_graduate, secondary_practice, "
        "training_supervisor, student, intern, or one situation (default: every measure of the "
        "zone; with --plan, first_installation)", metavar="NAME"),
    opt("--days-per-week", "liberal activity, days a week", type=float, metavar="N"),
    opt("--yearly-fees", "yearly fees in euros", type=float, metavar="EUR"),
    opt("--horizon-years", "years counted for yearly aids without a duration in the source (with "
        "--plan)", type=int, default=1, metavar="N"),
    opt("--catalogue", "another aids catalogue (TOML)", FILE),
    opt("--out", "also write the table (.csv or .parquet)", FILE),
)
# fmt: on


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore aids``."""
    parser = add_command(
        sub, "aids", func=cmd_aids, parents=[verbose, writer],
        help="installation aids in a commune on a date, or the cost of a plan",
        description="List the installation and retention aids a GP could claim in a commune on "
        "a date, from a zoning (the demo's apl table, 'aplcore classify' communes, or the "
        "national zoning file), with amounts and sources; or, with --plan, the public cost of "
        "a set of installations by measure and year.",
        epilog="Example: aplcore aids --commune 36044 --zoning zoning.csv --date 2026-03-01",
    )  # fmt: skip
    add_options(parser.add_mutually_exclusive_group(required=True), WHAT_OPTIONS)
    add_options(parser, OPTIONS)


def _profile(args: argparse.Namespace, *, default: str | None) -> Any:
    """The profile of ``--profile`` (or ``default``) with ``--days-per-week`` and
    ``--yearly-fees``; ``None`` (every measure of the zone) when none is given."""
    from dataclasses import replace

    from ..aids import SITUATIONS, Profile, resolve_profile

    changes = {
        k: v
        for k, v in (("days_per_week", args.days_per_week), ("yearly_fees", args.yearly_fees))
        if v is not None
    }
    profile = resolve_profile(args.profile or default)
    if not changes:
        return profile
    return replace(profile or Profile(situations=SITUATIONS), **changes)


def cmd_aids(args: argparse.Namespace) -> int:
    """``aplcore aids``."""
    from ..aids import cost, for_commune, load_catalogue

    outputs = [args.out] if args.out is not None else []
    check_paths([args.zoning, args.plan, args.catalogue], outputs, overwrite=args.overwrite)
    catalogue = load_catalogue(args.catalogue)
    zoning = args.zoning
    if args.commune is not None:
        result = for_commune(
            args.commune,
            zoning,
            on=args.date,
            profile=_profile(args, default=None),
            catalogue=catalogue,
        )
        echo(result.format())
        table = result.measures
    else:
        plan = read_table(args.plan, what="the plan")
        result = cost(
            plan,
            zoning,
            on=args.date,
            profile=_profile(args, default="first_installation"),
            catalogue=catalogue,
            horizon_years=args.horizon_years,
        )
        echo(
            f"aplcore aids: public cost of the {len(plan)} rows of {args.plan.name} "
            f"(installed on {args.date} unless a row gives its date)"
        )
        echo(result.format())
        table = result.by_measure_year
    if args.out is not None:
        write_table(table, args.out)
        echo(f"written: {args.out}")
    return 0
