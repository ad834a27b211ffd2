"""Options shared by the commands: one definition, one parser, one help text each.

* decay (``--decay drees_gp``, ``--decay linear:30``, ``--decay step:10,15,20:1,0.67,0.33``), the
  band-edge convention (``--closed``) and the accessibility method (``--method``);
* the GP age limit (``--max-age 65`` or ``--max-age none``) and the standardisation weights;
* the neighbour ring of a study area (``--ring-minutes``);
* maps (``--no-maps``, ``--dpi``, ``--map-format``).

Only the standard library is imported at module level (``aplcore --help`` stays instant); the
values are checked against aplcore's registries when the command runs.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from ..decay_text import DECAY_FAMILIES
from ._common import CommandError

#: The band-edge conventions of ``aplcore.decay.CONVENTIONS`` (written out here so that building
#: the parser imports no numerical module).
CLOSED_CHOICES = ("left", "right", "literal")

DECAY_HELP = (
    "distance decay: a named decay (drees_gp, the default; drees_2010, ...) or a family with its "
    "parameters in minutes: " + ", ".join(DECAY_FAMILIES.values())
)


def add_decay_options(parser: argparse.ArgumentParser) -> None:
    """``--decay``, ``--closed`` and ``--method``."""
    parser.add_argument("--decay", default="drees_gp", metavar="DECAY", help=DECAY_HELP)
    parser.add_argument(
        "--closed",
        choices=CLOSED_CHOICES,
        help="band edges of a step decay: left ([10, 15), the DREES convention: a pair at "
        "exactly 10 min weighs 2/3), right ((10, 15]: it weighs 1) or literal (the official "
        "sheet's words, < 10, 10–15, 15–20: 10 and 15 min weigh 2/3, 20 min 1/3); default: the "
        "decay's own",
    )
    parser.add_argument(
        "--method",
        default="e2sfca",
        metavar="METHOD",
        help="accessibility method (e2sfca, the DREES one)",
    )


def parse_decay(spec: str, *, closed: str | None = None) -> Any:
    """The :class:`aplcore.Decay` of a ``--decay`` value (and ``--closed`` when given).

    Raises
    ------
    CommandError
        Unknown name or family, or parameters that are not numbers.
    """
    from ..decay_text import decay_from_text
    from ..errors import ParameterError

    try:
        return decay_from_text(spec, closed=closed)
    except ParameterError as exc:
        raise CommandError(f"--{exc}") from None


def max_age(text: str) -> int | None:
    """``--max-age``: a whole number of years, or ``none`` for no limit."""
    if text.strip().lower() in ("none", "all", "any"):
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value <= 0:
        msg = f"expected a positive whole number of years or 'none', found {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_supply_options(parser: argparse.ArgumentParser) -> None:
    """``--max-age``."""
    parser.add_argument(
        "--max-age",
        type=max_age,
        default=65,
        metavar="AGE",
        help="keep GPs aged this or less (65, the DREES rule); 'none' for all ages",
    )


def ring_minutes(text: str) -> float | None:
    """``--ring-minutes``: minutes, or ``auto`` for twice the decay's catchment."""
    if text.strip().lower() == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        msg = f"expected a number of minutes (0 for none) or 'auto', found {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_ring_option(parser: argparse.ArgumentParser) -> None:
    """``--ring-minutes``: the neighbour ring of the study area."""
    parser.add_argument(
        "--ring-minutes",
        type=ring_minutes,
        default=None,
        metavar="MIN",
        help="add the communes within MIN minutes (crow-fly) of the area, so that its border "
        "communes see the doctors and patients beyond it; 'auto' (default): twice the decay's "
        "catchment (40 min for drees_gp); 0: the area alone",
    )


def dpi(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (10 <= value <= 2400):
        msg = f"expected a resolution between 10 and 2400 dots per inch, found {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_map_options(parser: argparse.ArgumentParser) -> None:
    """``--no-maps``, ``--dpi``, ``--map-format``."""
    parser.add_argument("--no-maps", action="store_true", help="skip the maps")
    parser.add_argument(
        "--dpi", type=dpi, default=200.0, metavar="DPI", help="resolution of the maps (200)"
    )
    parser.add_argument(
        "--map-format",
        choices=("png", "svg", "pdf"),
        default="png",
        help="file format of the maps (png)",
    )


def separator(text: str) -> str | None:
    """``--sep``: a one-character field separator (``tab`` or ``\\t`` for tabs), ``auto``."""
    named = {"auto": None, "tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}
    if text.lower() in named:
        return named[text.lower()]
    if len(text) != 1:
        msg = f"expected one character, 'tab' or 'auto', found {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return text


def add_reading_options(parser: argparse.ArgumentParser, *, od_table: bool = False) -> None:
    """``--sep`` and ``--sheet`` of the input tables; ``--repair-codes`` of an O-D table."""
    parser.add_argument(
        "--sep",
        type=separator,
        default=None,
        metavar="SEP",
        help="field separator of the CSV inputs (auto: sniffed from the header; ';', ',', tab)",
    )
    parser.add_argument(
        "--sheet", metavar="NAME", help="sheet of the Excel inputs (default: the first)"
    )
    if od_table:
        parser.add_argument(
            "--repair-codes",
            action="store_true",
            help="zero-pad commune codes of the O-D table stored as numbers (1001 → 01001); "
            "refused when ambiguous",
        )


def sheet_of(args: argparse.Namespace) -> str | int | None:
    """``--sheet`` as a sheet name, or a position when it is a number."""
    sheet = getattr(args, "sheet", None)
    if sheet is not None and sheet.isdigit():
        return int(sheet)
    return sheet


def describe_zoning_rule(zoning: Any) -> str:
    """The zones and thresholds a zoning used, for the command's output.

    ``thresholds ZIP < 2.71 ≤ ZAC < 3.98 ≤ HZ (the method's)`` — the thresholds of the method
    object the zoning ran with, whether given on the command line or the preset's.
    """
    method = zoning.method
    zones = tuple(getattr(method, "zones", ()))
    thresholds = tuple(getattr(method, "thresholds", None) or ())
    name = getattr(method, "name", str(method))
    if not thresholds or len(thresholds) != len(zones) - 1:
        return f"method {name}: zones {', '.join(zones) or '?'} (no APL thresholds)"
    parts = [zones[0]]
    for value, zone in zip(thresholds, zones[1:], strict=True):
        parts.append(f"< {value:g} ≤ {zone}")
    return f"method {name}: APL thresholds {' '.join(parts)}"


def add_area_options(parser: argparse.ArgumentParser, *, default_region: str | None) -> None:
    """``--region``, ``--departement``, ``--france``: an area of the bundled communes."""
    group = parser.add_mutually_exclusive_group()
    default = f" (default: {default_region}, Centre-Val de Loire)" if default_region else ""
    group.add_argument(
        "--region", metavar="CODE", help=f"a région code or name, e.g. 24 or Bretagne{default}"
    )
    group.add_argument(
        "--departement", metavar="CODE", help="a département code or name, e.g. 36, 2A or Indre"
    )
    group.add_argument(
        "--france", action="store_true", help="all communes of France (34 917, overseas included)"
    )


def chosen_area(args: argparse.Namespace, *, default_region: str | None) -> dict[str, Any]:
    """The keyword arguments of :func:`aplcore.study_area` the area options give."""
    if args.france:
        return {"france": True}
    if args.departement is not None:
        return {"departement": args.departement}
    if args.region is not None:
        return {"region": args.region}
    if default_region is not None:
        return {"region": default_region}
    msg = "choose the communes: --communes FILE, or --region, --departement or --france."
    raise CommandError(msg)


def add_travel_time_options(parser: argparse.ArgumentParser) -> None:
    """``--roads`` and ``--max-minutes``, the options of :func:`aplcore.workflows.travel_times`."""
    from pathlib import Path

    parser.add_argument(
        "--roads", type=Path, metavar="GRAPHML", help="road graph (GraphML) instead of crow-fly"
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=30.0,
        metavar="MIN",
        help="longest travel time kept, minutes (30)",
    )


def add_map_file_option(parser: argparse.ArgumentParser) -> None:
    """``--map FILE`` and ``--dpi``: a map of the results on the bundled contours."""
    from pathlib import Path

    parser.add_argument(
        "--map",
        type=Path,
        metavar="FILE",
        help="also draw the map of the results (.png, .svg or .pdf) on the bundled contours",
    )
    parser.add_argument(
        "--dpi", type=dpi, default=200.0, metavar="DPI", help="resolution of the map (200)"
    )
