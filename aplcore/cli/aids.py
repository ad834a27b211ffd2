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
_KNOWN = "the practice is {} (or not); unknown when left out"
#: Conditions of eligibility: left out, the measures that need them "depend on" them.
CONDITION_OPTIONS = (
    opt("--age", "the doctor's age", type=float, metavar="YEARS"),
    opt("--successor-age", "age of the doctor taken in (COTRAM)", type=float, metavar="YEARS"),
    opt("--sector", "convention sector (2_optam: with OPTAM)", choices=("1", "2", "2_optam")),
    opt("--days-per-year", "days a year worked in the zone (CSTM)", type=float, metavar="N"),
    opt("--half-days-per-month", "half-days of advanced consultations a month", type=float,
        metavar="N"),
    opt("--commune-population", "inhabitants of the commune", type=float, metavar="N"),
    opt("--zrr", _KNOWN.format("in a zone de revitalisation rurale"),
        action=argparse.BooleanOptionalAction, default=None),
    opt("--zfu", _KNOWN.format("in a zone franche urbaine"),
        action=argparse.BooleanOptionalAction, default=None),
    opt("--qpv", _KNOWN.format("in a quartier prioritaire"),
        action=argparse.BooleanOptionalAction, default=None),
    opt("--majorated-zone", _KNOWN.format("in a zone of the 2022-2025 majorations"),
        action=argparse.BooleanOptionalAction, default=None),
    opt("--hopital-de-proximite", _KNOWN.format("partly in a hôpital de proximité"),
        action=argparse.BooleanOptionalAction, default=None),
    opt("--yearly-income", "yearly income from activity", type=float, metavar="EUR"),
    opt("--fmt-per-year", "yearly forfait médecin traitant", type=float, metavar="EUR"),
)
# fmt: on
#: Profile fields the options give (``aplcore.aids.Profile``).
_PROFILE_OPTIONS = (
    "days_per_week",
    "yearly_fees",
    "age",
    "successor_age",
    "sector",
    "days_per_year",
    "half_days_per_month",
    "commune_population",
    "zrr",
    "zfu",
    "qpv",
    "majorated_zone",
    "hopital_de_proximite",
    "yearly_income",
    "fmt_per_year",
)


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
    add_options(
        parser.add_argument_group(
            "conditions of eligibility (left out: the measures that need them 'depend on' them)"
        ),
        CONDITION_OPTIONS,
    )


def _profile(args: argparse.Namespace, *, default: str | None) -> Any:
    """The profile of ``--profile`` (or ``default``) with the profile options given."""
    from ..aids import resolve_profile  # cli startup

    changes = {name: getattr(args, name) for name in _PROFILE_OPTIONS}
    return resolve_profile(args.profile or default, **changes)


def cmd_aids(args: argparse.Namespace) -> int:
    """``aplcore aids``."""
    from ..aids import cost, for_commune, load_catalogue  # cli startup

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
