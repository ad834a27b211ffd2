"""The options of the commands, declared in tables: one row per option (flag, help, argparse
keywords), one table per group of options shared by several commands, added by
:func:`add_options`. A command's own options are a table in its module; a new option is a new
row there (or in a shared group here, if several commands take it).

Only the standard library is imported at module level (``aplcore --help`` stays instant); the
values are checked by the library when the command runs.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..decay_text import DECAY_FAMILIES, decay_from_text
from ..errors import ParameterError
from ._common import CommandError

Option = tuple[str, dict[str, Any]]

#: Keywords that many options share.
FILE: dict[str, Any] = {"type": Path, "metavar": "FILE"}
DIR: dict[str, Any] = {"type": Path, "metavar": "DIR"}
REQUIRED: dict[str, Any] = {"required": True}
FLAG: dict[str, Any] = {"action": "store_true"}


def opt(flags: str, help: str | None, *kinds: Mapping[str, Any], **keywords: Any) -> Option:
    """One row of an option table: the flag(s), the help text, the argparse keywords (``kinds``
    such as :data:`FILE` and :data:`REQUIRED`, then ``keywords``)."""
    merged = {key: value for kind in kinds for key, value in kind.items()}
    return flags, {**merged, **keywords, "help": help}


def add_options(parser: Any, *tables: Iterable[Option]) -> None:
    """Add the options of ``tables`` to ``parser`` (or to an argument group)."""
    for table in tables:
        for flags, keywords in table:
            parser.add_argument(*flags.split(), **keywords)


def with_defaults(args: argparse.Namespace, *tables: Iterable[Option]) -> argparse.Namespace:
    """``args`` completed with the defaults of the options of ``tables`` it lacks (a command
    function called with a namespace built by hand, as the command line would give it)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_options(parser, *tables)
    defaults = {action.dest: action.default for action in parser._actions}
    return argparse.Namespace(**{**defaults, "argv": [], **vars(args)})


def add_command(sub: Any, name: str, *tables: Iterable[Option], func: Any, **keywords: Any) -> Any:
    """Add the command ``name`` with the options of ``tables``; ``keywords`` go to
    ``add_parser`` (``help``, ``description``, ``parents``)."""
    parser = sub.add_parser(name, **keywords)
    add_options(parser, *tables)
    parser.set_defaults(func=func)
    return parser


#: The band-edge conventions of ``aplcore.decay.CONVENTIONS`` (written out here so that building
#: the parser imports no numerical module).
CLOSED_CHOICES = ("left", "right", "literal")

DECAY_HELP = (
    "distance decay: a named decay (drees_gp, the default; drees_2010, ...) or a family with its "
    "parameters in minutes: " + ", ".join(DECAY_FAMILIES.values())
)


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


def dpi(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (10 <= value <= 2400):
        msg = f"expected a resolution between 10 and 2400 dots per inch, found {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def separator(text: str) -> str | None:
    """``--sep``: a one-character field separator (``tab`` or ``\\t`` for tabs), ``auto``."""
    named = {"auto": None, "tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}
    if text.lower() in named:
        return named[text.lower()]
    if len(text) != 1:
        msg = f"expected one character, 'tab' or 'auto', found {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return text


# fmt: off
#: ``--decay``, ``--closed``, ``--method``: the decay and the accessibility method.
DECAY_OPTIONS = (
    opt("--decay", DECAY_HELP, default="drees_gp", metavar="DECAY"),
    opt("--closed", "band edges of a step decay: left ([10, 15), the DREES convention: a pair at "
        "exactly 10 min weighs 2/3), right ((10, 15]: it weighs 1) or literal (the official "
        "sheet's words, < 10, 10–15, 15–20: 10 and 15 min weigh 2/3, 20 min 1/3); default: the "
        "decay's own", choices=CLOSED_CHOICES),
    opt("--method", "accessibility method (e2sfca, the DREES one)", default="e2sfca",
        metavar="METHOD"),
)
SUPPLY_OPTIONS = (
    opt("--max-age", "keep GPs aged this or less (65, the DREES rule); 'none' for all ages",
        type=max_age, default=65, metavar="AGE"),
)
RING_OPTIONS = (
    opt("--ring-minutes", "add the communes within MIN minutes (crow-fly) of the area, so that its "
        "border communes see the doctors and patients beyond it; 'auto' (default): twice the "
        "decay's catchment (40 min for drees_gp); 0: the area alone", type=ring_minutes,
        default=None, metavar="MIN"),
)
MAP_OPTIONS = (
    opt("--no-maps", "skip the maps", FLAG),
    opt("--dpi", "resolution of the maps (200)", type=dpi, default=200.0, metavar="DPI"),
    opt("--map-format", "file format of the maps (png)", choices=("png", "svg", "pdf"),
        default="png"),
)
MAP_FILE_OPTIONS = (
    opt("--map", "also draw the map of the results (.png, .svg or .pdf) on the bundled contours",
        FILE),
    opt("--dpi", "resolution of the map (200)", type=dpi, default=200.0, metavar="DPI"),
)
READING_OPTIONS = (
    opt("--sep", "field separator of the CSV inputs (auto: sniffed from the header; ';', ',', "
        "tab)", type=separator, default=None, metavar="SEP"),
    opt("--sheet", "sheet of the Excel inputs (default: the first)", metavar="NAME"),
)
OD_TABLE_OPTIONS = (
    opt("--repair-codes", "zero-pad commune codes of the O-D table stored as numbers (1001 → "
        "01001); refused when ambiguous", FLAG),
)
TRAVEL_TIME_OPTIONS = (
    opt("--roads", "road graph (GraphML) or OpenStreetMap extract (.osm.pbf) instead of "
        "crow-fly", type=Path, metavar="FILE"),
    opt("--max-minutes", "longest travel time kept, minutes (30)", type=float, default=30.0,
        metavar="MIN"),
)
#: ``--method``, ``--thresholds``, ``--cap``, ``--margin``: the zoning rule of classify and zone.
ZONING_OPTIONS = (
    opt("--method", "zoning method (zonage_2025)", default="zonage_2025"),
    opt("--thresholds", "APL thresholds of the zones", type=float, nargs="+", metavar="APL"),
    opt("--cap", "regional population cap, a share (ZIP=0.713) or inhabitants (ZIP=1834765); "
        "repeat per zone", action="append", default=[], metavar="ZONE=VALUE"),
)
# fmt: on


def add_area_options(parser: argparse.ArgumentParser, *, default_region: str | None) -> None:
    """``--region``, ``--departement``, ``--france``: an area of the bundled communes."""
    default = f" (default: {default_region}, Centre-Val de Loire)" if default_region else ""
    add_options(parser.add_mutually_exclusive_group(), (
        opt("--region", f"a région code or name, e.g. 24 or Bretagne{default}", metavar="CODE"),
        opt("--departement", "a département code or name, e.g. 36, 2A or Indre", metavar="CODE"),
        opt("--france", "all communes of France (34 917, overseas included)", FLAG),
    ))  # fmt: skip


def parse_decay(spec: str, *, closed: str | None = None) -> Any:
    """The :class:`aplcore.Decay` of a ``--decay`` value (and ``--closed`` when given).

    Raises
    ------
    CommandError
        Unknown name or family, or parameters that are not numbers.
    """
    try:
        return decay_from_text(spec, closed=closed)
    except ParameterError as exc:
        raise CommandError(f"--{exc}") from None


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
