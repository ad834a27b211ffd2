"""``aplcore classify``: zoning from an APL table and a commune → territory table."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import (
    CommandError,
    check_inputs,
    check_out_folder,
    check_outputs,
    echo,
    output_files,
    write_table,
)
from ._options import add_map_options, describe_zoning_rule

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore classify``."""
    parser = sub.add_parser(
        "classify",
        parents=[verbose, writer],
        help="zoning from an APL table and a territory table",
        description="Classify territories (ZIP/ZAC/HZ) from communal APL and a commune → "
        "territory table; writes the communes, the territories and the cap report.",
    )
    parser.add_argument(
        "--apl",
        type=Path,
        required=True,
        metavar="FILE",
        help="APL table: code, apl, population (e.g. the output of 'aplcore compute')",
    )
    parser.add_argument(
        "--territories",
        type=Path,
        required=True,
        metavar="FILE",
        help="commune → territory table: code, territory[, departement, region]",
    )
    parser.add_argument(
        "--territory-column",
        metavar="NAME",
        help="territory column of the territory table (default: 'territory', or its only "
        "column besides departement and region)",
    )
    parser.add_argument(
        "--population",
        type=Path,
        metavar="FILE",
        help="population by commune (code, population) when the APL table has none",
    )
    parser.add_argument("--method", default="zonage_2025", help="zoning method (zonage_2025)")
    parser.add_argument(
        "--thresholds", type=float, nargs="+", metavar="APL", help="APL thresholds of the zones"
    )
    parser.add_argument(
        "--cap",
        action="append",
        default=[],
        metavar="ZONE=VALUE",
        help="regional population cap, a share (ZIP=0.713) or inhabitants (ZIP=1834765); "
        "repeat per zone",
    )
    parser.add_argument(
        "--margin",
        type=float,
        metavar="N",
        help="extra inhabitants the method's margin zone may use (2346 for ZIP in "
        "Centre-Val de Loire 2025)",
    )
    parser.add_argument(
        "--caps-file",
        type=Path,
        metavar="FILE",
        help="caps of several régions: a table with columns region, zone, value (shares "
        "≤ 1 or inhabitants) and optionally margin, one row per région and zone; instead of "
        "--cap and --margin",
    )
    parser.add_argument(
        "--choices",
        type=Path,
        metavar="FILE",
        help="the agency's choices (CSV), one row per choice: code, level (territory, commune "
        "or qpv), zone, reason[, commune, population]",
    )
    parser.add_argument(
        "--in-force",
        type=Path,
        metavar="FILE",
        help="the zoning in force: the national DataSanté file (com_code, zmed_niveau); the "
        "outputs then also compare it with the recomputed zoning",
    )
    parser.add_argument(
        "--date-arrete",
        type=date_arrete,
        metavar="DD/MM/YYYY",
        help="date of the arrêté that adopts the zoning, written in the national file",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="strict rule checks: refuse a zoning that breaks a cap or a rule of the method "
        "(default: write it and list what it breaks in zoning_checks.csv)",
    )
    add_map_options(parser)
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output folder (communes, territories, report)",
    )
    parser.set_defaults(func=cmd_classify)


def date_arrete(text: str) -> str:
    """``--date-arrete``: a calendar date written ``DD/MM/YYYY``, as the national file has it."""
    import datetime

    try:
        datetime.datetime.strptime(text, "%d/%m/%Y")
    except ValueError:
        msg = f"expected a date written DD/MM/YYYY (e.g. 05/01/2026), found {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    return text


def cmd_classify(args: argparse.Namespace) -> int:
    """``aplcore classify``."""
    from ..workflows.classify import classify_files  # cli startup

    inputs = check_inputs(
        [args.apl, args.territories, args.population, args.choices, args.in_force, args.caps_file]
    )
    check_out_folder(args.out)
    names = output_names(args)
    check_outputs(list(names.values()), inputs, overwrite=args.overwrite)
    result = classify_files(
        args.apl, args.territories, territory_column=args.territory_column,
        population=args.population, method=args.method, thresholds=args.thresholds,
        caps=_parse_caps(args.cap), margin=args.margin, caps_file=args.caps_file,
        choices=args.choices, in_force=args.in_force, strict=args.strict,
    )  # fmt: skip
    zoning = result.zoning
    with output_files(list(names.values()), overwrite=args.overwrite, folder=args.out) as outputs:
        _write_outputs(zoning, names, outputs, method=args.method, date_arrete=args.date_arrete,
                       dpi=args.dpi)  # fmt: skip
        if result.comparison is not None:
            _write_comparison(result.comparison, names, outputs, dpi=args.dpi)
            echo(result.comparison.summary())
        _write_run(args, zoning, names, outputs.path(names["run"]))
    caps_note = "caps met" if zoning.caps_met else "some caps NOT met (see the report)"
    echo(f"aplcore classify: {len(zoning.communes)} communes, method {args.method}, {caps_note}")
    echo(f"  - {describe_zoning_rule(zoning)}")
    echo(zoning.format_report())
    echo()
    echo("written:")
    for path in names.values():
        echo(f"  {path}")
    return 0


def output_names(args: argparse.Namespace) -> dict[str, Path]:
    """The files ``aplcore classify`` writes in ``--out``, by role."""
    out: Path = args.out
    maps = not args.no_maps
    names = {
        "communes": out / "zoning_communes.csv",
        "territories": out / "zoning_territories.csv",
        "report": out / "zoning_report.csv",
        "checks": out / "zoning_checks.csv",
        "national": out / "zonage_communes.csv",
        "table": out / "zoning_table_by_departement.csv",
        "annex": out / "decree_annex.csv",
        "annex_text": out / "decree_annex.txt",
        "run": out / "run.json",
    }
    if maps:
        names["map"] = out / f"zoning_map.{args.map_format}"
    if args.in_force is not None:
        for part in ("communes", "departements", "regions", "transitions"):
            names[f"comparison_{part}"] = out / f"comparison_{part}.csv"
        if maps:
            names["comparison_map"] = out / f"comparison_map.{args.map_format}"
    return names


def _write_run(args: argparse.Namespace, zoning: Any, names: dict[str, Path], target: Path) -> None:
    """``run.json``: the method, its thresholds and caps, the inputs, versions, command line."""
    from ..runinfo import write_run

    method = zoning.method
    settings = {
        "method": getattr(method, "name", args.method),
        "zones": list(getattr(method, "zones", ())),
        "thresholds": list(getattr(method, "thresholds", None) or ()) or None,
        "caps": _parse_caps(args.cap) or None,
        "margin": args.margin,
        "caps_file": str(args.caps_file) if getattr(args, "caps_file", None) else None,
        "territory_column": args.territory_column,
        "date_arrete": getattr(args, "date_arrete", None),
        "strict": bool(getattr(args, "strict", False)),
        "maps": None if getattr(args, "no_maps", False) else getattr(args, "map_format", "png"),
        "dpi": getattr(args, "dpi", 200.0),
    }
    data = {"apl": str(args.apl), "territories": str(args.territories)}
    for key in ("population", "choices", "in_force"):
        if getattr(args, key, None) is not None:
            data[key] = str(getattr(args, key))
    outputs = [p for key, p in names.items() if key != "run"]
    write_run(target, "classify", settings=settings, outputs=outputs, data=data,
              argv=["aplcore", *args.argv])  # fmt: skip


def _finite_or_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """No cap is an empty cell in a CSV, not ``inf``."""
    import numpy as np

    numeric = frame.select_dtypes("number").columns
    out = frame.copy()
    out[numeric] = out[numeric].replace([np.inf, -np.inf], np.nan)
    return out


def _write_comparison(
    comparison: Any, names: dict[str, Path], outputs: Any, *, dpi: float = 200.0
) -> None:
    """The zoning in force against the recomputed one: tables and map."""
    from ..errors import MissingCommuneError

    write_table(comparison.communes, outputs.path(names["comparison_communes"]))
    for part, frame in (
        ("departements", comparison.by_departement),
        ("regions", comparison.by_region),
        ("transitions", comparison.transitions),
    ):
        write_table(frame.reset_index(), outputs.path(names[f"comparison_{part}"]))
    if "comparison_map" not in names:
        return
    try:
        comparison.plot(
            path=outputs.path(names["comparison_map"]), source="aplcore classify", dpi=dpi
        )
    except MissingCommuneError as exc:
        outputs.path(names["comparison_map"]).write_text(f"no map: {exc}\n", encoding="utf-8")


def _write_outputs(
    zoning: Any,
    names: dict[str, Path],
    outputs: Any,
    *,
    method: str,
    date_arrete: str | None = None,
    dpi: float = 200.0,
) -> None:
    """Every output of a zoning: tables, national file, decree annex, published table, map."""
    from ..errors import MissingCommuneError
    from ..zoning import format_annex

    write_table(zoning.communes, outputs.path(names["communes"]))
    write_table(_finite_or_empty(zoning.territories), outputs.path(names["territories"]))
    write_table(_finite_or_empty(zoning.report).set_index("region"), outputs.path(names["report"]))
    write_table(_finite_or_empty(zoning.checks), outputs.path(names["checks"]))
    national = zoning.to_national_schema(date_arrete=date_arrete).set_index("com_code")
    write_table(national, outputs.path(names["national"]))
    table = _finite_or_empty(zoning.published_table()).reset_index().set_index("region")
    write_table(table, outputs.path(names["table"]))
    annex = zoning.decree_annex()
    write_table(annex.set_index("zone"), outputs.path(names["annex"]))
    text = format_annex(annex, title=f"Annexe : zones ({method})")
    outputs.path(names["annex_text"]).write_text(text, encoding="utf-8")
    if "map" not in names:
        return
    from ..workflows import ZONING_NAMES

    try:
        zoning.plot_map(
            path=outputs.path(names["map"]),
            title=ZONING_NAMES.get(method, f"Zoning ({method} method)"),
            source=f"zoning: aplcore classify, method {method}",
            dpi=dpi,
        )
    except MissingCommuneError as exc:
        outputs.path(names["map"]).write_text(f"no map: {exc}\n", encoding="utf-8")
        echo(f"note: no map ({exc})")


def _parse_caps(values: Sequence[str]) -> dict[str, float]:
    caps: dict[str, float] = {}
    for item in values:
        zone, sep, number = item.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not sep or not zone.strip() or not value >= 0:
            msg = (
                f"--cap must look like ZONE=VALUE with a share (ZIP=0.713) or a number of "
                f"inhabitants (ZIP=1834765), found {item!r}."
            )
            raise CommandError(msg)
        caps[zone.strip()] = value
    if caps and min(caps.values()) <= 1 < max(caps.values()):
        msg = (
            "--cap values must all be shares (at most 1) or all be inhabitants (more than 1), "
            f"found {', '.join(f'{z}={v:g}' for z, v in caps.items())}."
        )
        raise CommandError(msg)
    return caps
