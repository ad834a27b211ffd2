"""``aplcore app``: the zoning session in a browser (a local web server)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from .._paths import check_paths
from ..errors import CommandError
from ._common import echo


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore app``."""
    parser = sub.add_parser(
        "app",
        parents=[verbose],
        help="the zoning concertation in a browser: map, choices, gauges, exports",
        description="Start a local web server on a zoning session and open the browser: the "
        "map of the zones, the choices with their reasons, the gauges of the caps, undo/redo, "
        "comparisons and the exports of the decree. The session is kept in --dir and saved "
        "after every choice; run the command again on the same folder to resume it.",
    )
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--demo", action="store_true", help="start from the bundled demo")
    start.add_argument("--apl", type=Path, metavar="FILE", help="DREES workbook or APL table")
    parser.add_argument("--apl-column", metavar="NAME", help="APL column (apl_65 for GPs)")
    parser.add_argument("--year", type=int, default=2023, help="sheet year of the workbook")
    parser.add_argument(
        "--territories",
        default="epci",
        metavar="epci|departement|commune",
        choices=("epci", "departement", "commune"),
        help="territories of the bundled communes (epci by default)",
    )
    parser.add_argument("--region", metavar="CODE", help="the agency's région (e.g. 24)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("aplcore-session"),
        metavar="DIR",
        help="session folder (created or resumed; default ./aplcore-session)",
    )
    parser.add_argument(
        "--session", type=Path, metavar="DIR", help="resume the session kept in this folder"
    )
    parser.add_argument(
        "--stability",
        type=Path,
        metavar="FILE",
        help="territories.csv of 'aplcore scenarios report' (zone probabilities)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (127.0.0.1: this computer)")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--no-browser", action="store_true", help="do not open the browser")
    parser.set_defaults(func=cmd_app)


def cmd_app(args: argparse.Namespace) -> int:
    """``aplcore app``."""
    from ..app import open_session, serve  # cli startup

    if args.apl is not None and args.apl_column is None:
        msg = "--apl needs --apl-column (apl_65 for GP zonings)."
        raise CommandError(msg)
    check_paths([args.apl, args.stability])
    folder = args.session if args.session is not None else args.dir
    options = {}
    if args.apl is not None:
        options = {"year": args.year, "territories": args.territories, "region": args.region}
    session = open_session(
        folder,
        demo=args.demo,
        apl=args.apl,
        apl_column=args.apl_column,
        stability=args.stability,
        **options,
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the app; choices are saved
        serve(
            session, host=args.host, port=args.port, open_browser=not args.no_browser, announce=echo
        )
    echo(f"aplcore app: stopped; the session is saved in {session.folder}")
    return 0
