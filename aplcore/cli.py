"""The ``aplcore`` command line.

Subcommands:

``demo``
    The whole job on the bundled real communes: travel times, demand, a synthetic GP table, APL,
    zoning, a summary table and maps, written to an output folder.
``compute``
    APL from the user's files (O-D table or matrix, population, practitioners).
``classify``
    Zoning from an APL table and a commune → territory table.
``matrix``
    Travel-time matrix of communes (crow-fly or road graph).
``info``
    Versions, threads and the Numba cache.
``warmup``
    Compile (and cache) the kernels by running tiny cases through the public functions.

Only the standard library is imported at module level, so that ``aplcore --help`` answers
instantly; NumPy, pandas, Numba and the heavy aplcore modules are imported inside the commands.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import AplcoreError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .traveltimes import TravelTimes

__all__ = ["CommandError", "build_parser", "main"]

logger = logging.getLogger(__name__)

PROG = "aplcore"
#: Default area of ``aplcore demo``: the Centre-Val de Loire région.
DEFAULT_REGION = "24"
DEFAULT_OUT = "aplcore-output"
#: APL threshold of the "population under" column of the summaries (2017 zone A threshold).
UNDER_THRESHOLD = 2.5
#: Shares of the regional population capped per zone in the demo when a région's own caps are
#: not known: those the ministry set for Centre-Val de Loire in 2025 (ZIP 71.3 %, ZAC 21.3 %,
#: HZ 7.4 % of 2 573 303 inhabitants).
CVL_2025_CAP_SHARES: dict[str, float] = {"ZIP": 0.713, "ZAC": 0.213, "HZ": 0.074}
CVL_2025_CAPS: dict[str, float] = {"ZIP": 1_834_765, "ZAC": 548_114, "HZ": 190_424}
CVL_2025_MARGIN = 2_346
DEMO_STEPS = (
    "communes",
    "travel times",
    "demand",
    "GP table (synthetic)",
    "APL",
    "zoning",
    "summary",
    "writing outputs",
)

CODE_COLUMNS = (
    "code",
    "commune",
    "origin",
    "destination",
    "territory",
    "departement",
    "region",
    "practitioner_id",
    "epci",
)


class CommandError(AplcoreError):
    """A user error of the command line (missing file, refused overwrite, bad option)."""


# ------------------------------------------------------------------------------------------
# helpers


@contextmanager
def _logging_to_stderr(verbosity: int) -> Iterator[None]:
    """Send aplcore's log records to stderr for the duration of a command, then restore."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger("aplcore")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous_level, previous_propagate = root.level, root.propagate
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        root.propagate = previous_propagate


def _out(text: str = "") -> None:
    """Write a line of command output on stdout."""
    sys.stdout.write(text + "\n")


class Steps:
    """Named steps of a command: a progress bar on a terminal, log lines otherwise."""

    def __init__(self, names: Sequence[str]) -> None:
        from .settings import progress_enabled

        self.names = list(names)
        self.timings: dict[str, float] = {}
        self._bar: Any = None
        if progress_enabled():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=len(self.names), unit="step", leave=False, file=sys.stderr)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step and advance the bar."""
        if self._bar is not None:
            self._bar.set_description(name)
        logger.info("%s ...", name)
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.timings[name] = elapsed
        logger.info("%s: done in %.2f s", name, elapsed)
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _check_inputs(paths: Sequence[Path | None]) -> list[Path]:
    found = []
    for path in paths:
        if path is None:
            continue
        if not path.exists():
            msg = f"input file not found: {path}. Check the path (relative to {Path.cwd()})."
            raise CommandError(msg)
        if path.is_dir():
            msg = f"expected an input file, found a folder: {path}."
            raise CommandError(msg)
        found.append(path)
    return found


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _check_outputs(outputs: Sequence[Path], inputs: Sequence[Path], *, overwrite: bool) -> None:
    """Refuse to write over an input (always) or an existing output (unless ``overwrite``)."""
    for out in outputs:
        for source in inputs:
            if _same_file(out, source):
                msg = (
                    f"refusing to write {out}: it is an input of this command. "
                    "Choose another output path."
                )
                raise CommandError(msg)
    existing = [out for out in outputs if out.exists()]
    if existing and not overwrite:
        shown = ", ".join(str(p) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        msg = (
            f"output already exists: {shown}{more}. Pass --overwrite to replace it, or choose "
            "another output path."
        )
        raise CommandError(msg)


def _file_mode() -> int:
    """Permissions of a new file under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


TABLE_SUFFIXES = (".csv", ".parquet")


def _table_suffix(path: Path, *, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        msg = (
            f"{what} must be a .csv or .parquet file, found {path.name!r}. "
            "Give a file name ending in .csv or .parquet."
        )
        raise CommandError(msg)
    return suffix


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV (UTF-8, codes as text) or Parquet, atomically.

    The command has already refused existing outputs unless ``--overwrite`` was given.
    """
    from .io import write_csv, write_parquet

    suffix = _table_suffix(path, what="the output table")
    writer = write_csv if suffix == ".csv" else write_parquet
    writer(frame, path, overwrite=True)
    os.chmod(path, _file_mode())  # temporary files are created readable by the owner only
    logger.info("wrote %s (%d rows)", path, len(frame))


def read_table(path: Path, *, what: str) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel table, code columns as text."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".csv":
        header = pd.read_csv(path, nrows=0, sep=None, engine="python")
        dtypes = {c: str for c in header.columns if str(c).strip().lower() in CODE_COLUMNS}
        frame = pd.read_csv(path, dtype=dtypes, sep=None, engine="python")
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif suffix in (".xlsx", ".xls"):
        frame = pd.read_excel(path, dtype=dict.fromkeys(CODE_COLUMNS, str))
    else:
        msg = f"{what} must be a .csv, .parquet or .xlsx file, found {path.name!r}."
        raise CommandError(msg)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        msg = f"{what} {path} has no rows."
        raise CommandError(msg)
    return frame


def _code_indexed(frame: pd.DataFrame, *, what: str, path: Path) -> pd.DataFrame:
    from .codes import as_code_index

    if frame.index.name in ("code", "commune"):
        frame = frame.reset_index()
    for column in ("code", "commune"):
        if column in frame.columns:
            frame = frame.set_index(column)
            break
    else:
        msg = (
            f"{what} {path} needs a 'code' (or 'commune') column of commune codes; found "
            f"columns {', '.join(map(str, frame.columns))}."
        )
        raise CommandError(msg)
    frame.index = as_code_index(frame.index, what=f"commune codes of {path.name}")
    frame.index.name = "code"
    return frame


# ------------------------------------------------------------------------------------------
# parser


def _add_area_options(parser: argparse.ArgumentParser, *, default_region: str | None) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``aplcore`` command."""
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="log progress (-v) or details (-vv) on stderr",
    )
    writer = argparse.ArgumentParser(add_help=False)
    writer.add_argument("--overwrite", action="store_true", help="replace existing output files")

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Compute the French APL indicator (accessibilité potentielle localisée) of GP "
            "consultations and the zonings built on it."
        ),
        epilog="Start with 'aplcore demo'. 'aplcore COMMAND --help' describes each command.",
    )
    parser.add_argument("--version", action="version", version=f"aplcore {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log progress (-v) or details (-vv)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        parents=[verbose, writer],
        help="the whole job on real communes with a synthetic GP table",
        description=(
            "APL and zoning of the real communes of an area (bundled data) with crow-fly or road "
            "travel times and a SYNTHETIC GP activity table (no real one is public). Writes "
            "tables and maps to --out."
        ),
    )
    _add_area_options(demo, default_region=DEFAULT_REGION)
    demo.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help=f"output folder ({DEFAULT_OUT}/)",
    )
    demo.add_argument(
        "--roads", type=Path, metavar="GRAPHML", help="road graph (GraphML) instead of crow-fly"
    )
    demo.add_argument(
        "--age-bands",
        type=Path,
        metavar="FILE",
        help="population by sex and age band (INSEE) to standardise demand; default: total "
        "population",
    )
    demo.add_argument(
        "--max-minutes",
        type=float,
        default=30.0,
        metavar="MIN",
        help="longest travel time kept, minutes (30)",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of the synthetic GP table (0)")
    demo.add_argument(
        "--territory",
        choices=("epci", "commune", "departement"),
        default="epci",
        help="zoning territory (epci: the TVS table is not bundled)",
    )
    demo.add_argument("--no-maps", action="store_true", help="skip the maps")
    demo.set_defaults(func=cmd_demo)

    compute = sub.add_parser(
        "compute",
        parents=[verbose, writer],
        help="APL from your files (O-D table, population, practitioners)",
        description="Compute APL from an O-D table or matrix file, a population table and a "
        "practitioner table; writes one row per commune (code, demand, supply, apl).",
    )
    compute.add_argument(
        "--times",
        type=Path,
        required=True,
        metavar="FILE",
        help="O-D table (.csv/.parquet: origin, destination, minutes) or a matrix written by "
        "'aplcore matrix' (.parquet, .npz)",
    )
    compute.add_argument(
        "--population",
        type=Path,
        required=True,
        metavar="FILE",
        help="population by commune: code + population, or by sex and age band (INSEE wide "
        "or long tables; standardised with --weights)",
    )
    compute.add_argument(
        "--practitioners",
        type=Path,
        required=True,
        metavar="FILE",
        help="one row per GP and site: practitioner_id, commune, activity, age[, kind, "
        "new_install]",
    )
    compute.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="APL table (.csv or .parquet)"
    )
    compute.add_argument("--decay", default="drees_gp", help="distance decay (drees_gp)")
    compute.add_argument("--method", default="e2sfca", help="accessibility method (e2sfca)")
    compute.add_argument(
        "--closed",
        choices=("left", "right"),
        help="band edges of the decay: left ([10, 15), the default of drees_gp: a pair at "
        "exactly 10 min weighs 2/3) or right ((10, 15]: it weighs 1)",
    )
    compute.add_argument(
        "--max-age",
        type=int,
        default=65,
        metavar="AGE",
        help="keep GPs aged this or less (65); 0 for all",
    )
    compute.add_argument(
        "--weights",
        default="drees_gp_2023",
        help="age weights of the standardisation (drees_gp_2023, drees_gp_2022)",
    )
    compute.add_argument(
        "--od-columns",
        nargs=3,
        metavar=("ORIGIN", "DESTINATION", "MINUTES"),
        default=("origin", "destination", "minutes"),
        help="column names of the O-D table (origin destination minutes)",
    )
    compute.add_argument(
        "--intra-minutes",
        type=float,
        default=0.0,
        metavar="MIN",
        help="time of the i→i pairs missing from an O-D table (0 minutes)",
    )
    compute.set_defaults(func=cmd_compute)

    classify = sub.add_parser(
        "classify",
        parents=[verbose, writer],
        help="zoning from an APL table and a territory table",
        description="Classify territories (ZIP/ZAC/HZ) from communal APL and a commune → "
        "territory table; writes the communes, the territories and the cap report.",
    )
    classify.add_argument(
        "--apl",
        type=Path,
        required=True,
        metavar="FILE",
        help="APL table: code, apl, population (e.g. the output of 'aplcore compute')",
    )
    classify.add_argument(
        "--territories",
        type=Path,
        required=True,
        metavar="FILE",
        help="commune → territory table: code, territory[, departement, region]",
    )
    classify.add_argument(
        "--territory-column",
        metavar="NAME",
        help="territory column of the territory table (default: 'territory', or its only "
        "column besides departement and region)",
    )
    classify.add_argument(
        "--population",
        type=Path,
        metavar="FILE",
        help="population by commune (code, population) when the APL table has none",
    )
    classify.add_argument("--method", default="zonage_2025", help="zoning method (zonage_2025)")
    classify.add_argument(
        "--thresholds", type=float, nargs="+", metavar="APL", help="APL thresholds of the zones"
    )
    classify.add_argument(
        "--cap",
        action="append",
        default=[],
        metavar="ZONE=VALUE",
        help="regional population cap, a share (ZIP=0.713) or inhabitants (ZIP=1834765); "
        "repeat per zone",
    )
    classify.add_argument(
        "--margin",
        type=float,
        metavar="N",
        help="extra inhabitants the method's margin zone may use (2346 for ZIP in "
        "Centre-Val de Loire 2025)",
    )
    classify.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output folder (communes, territories, report)",
    )
    classify.set_defaults(func=cmd_classify)

    matrix = sub.add_parser(
        "matrix",
        parents=[verbose, writer],
        help="travel-time matrix of communes (crow-fly or road graph)",
        description="Travel times between communes within --max-minutes, from straight-line "
        "distances (calibrated on Metric) or a road graph. Communes from --communes (code, "
        "lon, lat) or from the bundled data (--region, --departement, --france).",
    )
    matrix.add_argument(
        "--communes", type=Path, metavar="FILE", help="communes: code, lon, lat (or x, y)"
    )
    _add_area_options(matrix, default_region=None)
    matrix.add_argument(
        "--roads", type=Path, metavar="GRAPHML", help="road graph (GraphML) instead of crow-fly"
    )
    matrix.add_argument(
        "--max-minutes", type=float, default=30.0, metavar="MIN", help="longest time kept (30)"
    )
    matrix.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="O-D table (.csv) or matrix with metadata (.parquet, .npz)",
    )
    matrix.set_defaults(func=cmd_matrix)

    info = sub.add_parser(
        "info",
        parents=[verbose],
        help="versions, threads, Numba cache",
        description="Versions of aplcore and its dependencies, threads and the Numba cache.",
    )
    info.set_defaults(func=cmd_info)

    warmup = sub.add_parser(
        "warmup",
        parents=[verbose],
        help="compile and cache the kernels",
        description="Run tiny cases through the public functions so that Numba compiles the "
        "kernels and caches them on disk; prints the time each took.",
    )
    warmup.set_defaults(func=cmd_warmup)
    return parser


# ------------------------------------------------------------------------------------------
# entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aplcore`` command.

    Parameters
    ----------
    argv
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        0 on success, 1 on a user error (one line on stderr, no traceback), 2 on a usage error,
        130 when interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        with _logging_to_stderr(args.verbose), warnings.catch_warnings():
            # library warnings (lost supply, broken caps) as one readable line each
            warnings.showwarning = functools.partial(_show_warning, args.command)
            return int(args.func(args) or 0)
    except BrokenPipeError:
        # output piped into a command that stopped reading (e.g. ``| head``): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (AplcoreError, OSError) as exc:  # bad input, missing file, unwritable output
        if args.verbose >= 2:  # -vv: the traceback, for bug reports
            traceback.print_exc(file=sys.stderr)
        _error(args.command, _describe(exc))
        return 1
    except ImportError as exc:
        _error(args.command, f"{exc}")
        return 1
    except KeyboardInterrupt:
        _error(args.command, "interrupted")
        return 130


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        reason = exc.strerror or str(exc)
        return f"{reason}: {exc.filename}"
    return str(exc)


def _error(command: str, message: str) -> None:
    sys.stderr.write(f"{PROG} {command}: error: {message}\n")


def _show_warning(
    command: str,
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    sys.stderr.write(f"{PROG} {command}: warning: {message}\n")


# ------------------------------------------------------------------------------------------
# demo


def _area(args: argparse.Namespace, *, default_region: str | None) -> dict[str, Any]:
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


def _area_label(area: dict[str, Any]) -> str:
    """A readable name of an area."""
    from . import datasets

    if area.get("france"):
        return "France"
    if "region" in area:
        table = datasets.list_regions()
        code = _lookup_code(table, area["region"])
        return f"région {code} {table.loc[code, 'name']}"
    table = datasets.list_departements()
    code = _lookup_code(table, area["departement"])
    return f"département {code} {table.loc[code, 'name']}"


def _lookup_code(table: pd.DataFrame, value: str) -> str:
    """Code of a région or département given by code or name (datasets reports unknown ones)."""
    if value in table.index:
        return value
    by_name = {str(n).casefold(): c for c, n in table["name"].items()}
    code = by_name.get(str(value).casefold())
    if code is None:
        from . import datasets

        what = "region" if "n_departements" in table.columns else "departement"
        datasets.load_communes(**{what: value})  # raises ParameterError with the known codes
        msg = f"unknown {what} {value!r}."  # pragma: no cover - load_communes raised
        raise CommandError(msg)
    return code


def _with_neighbours(
    communes: pd.DataFrame, scope: pd.Index, minutes: float
) -> tuple[pd.DataFrame, int]:
    """The communes of ``scope`` and every commune within ``minutes`` of one of them (crow-fly).

    APL of a commune depends on the supply within the catchment and on the demand of the
    catchments of that supply: computing on the area plus a ring of twice the catchment radius
    gives border communes the same values as a national run would.
    """
    import numpy as np
    from scipy.spatial import cKDTree

    from .crowfly import CrowFlyModel, commune_points

    codes, xyz = commune_points(communes.reset_index(), code="code")
    inside = codes.isin(scope)
    radius = CrowFlyModel().max_distance_km(minutes) * 1000.0
    tree = cKDTree(xyz)
    hits = tree.query_ball_point(xyz[inside], r=radius, return_sorted=False)
    keep = np.zeros(len(codes), dtype=bool)
    keep[inside] = True
    for row in hits:
        keep[row] = True
    selected = communes.loc[codes[keep]]
    return selected, int(keep.sum() - inside.sum())


def cmd_demo(args: argparse.Namespace) -> int:
    """``aplcore demo``."""
    area = _area(args, default_region=DEFAULT_REGION)
    inputs = _check_inputs([args.roads, args.age_bands])
    out: Path = args.out
    if out.exists() and not out.is_dir():
        msg = f"--out must be a folder, found a file: {out}."
        raise CommandError(msg)
    label = _area_label(area)
    names = {
        "apl": out / "apl_synthetic.csv",
        "practitioners": out / "practitioners_synthetic.csv",
        "territories": out / "zoning_territories_synthetic.csv",
        "report": out / "zoning_report_synthetic.csv",
        "summary": out / "summary_synthetic.csv",
        "apl_map": out / "apl_map_synthetic.png",
        "zoning_map": out / "zoning_map_synthetic.png",
        "distribution": out / "population_by_apl_synthetic.png",
        "readme": out / "README_synthetic.txt",
    }
    maps = not args.no_maps
    missing_maps_note = None
    if maps and not _shapely_available():
        maps = False
        missing_maps_note = (
            "maps: skipped, they need shapely to read the contours "
            "(pip install 'aplcore[geo]' or pip install shapely)."
        )
    if not maps:
        for key in ("apl_map", "zoning_map", "distribution"):
            names.pop(key)
    _check_outputs(list(names.values()), inputs, overwrite=args.overwrite)
    out.mkdir(parents=True, exist_ok=True)  # fail before the computation if it cannot be made
    steps = Steps(DEMO_STEPS)
    try:
        result = run_demo(
            area,
            roads=args.roads,
            age_bands=args.age_bands,
            max_minutes=args.max_minutes,
            seed=args.seed,
            territory=args.territory,
            label=label,
            steps=steps,
        )
        with steps.step("writing outputs"):
            write_table(result["apl"], names["apl"])
            write_table(result["practitioners"], names["practitioners"])
            write_table(result["territories"], names["territories"])
            write_table(result["zoning"].report.set_index("region"), names["report"])
            write_table(result["summary"], names["summary"])
            if maps:
                _demo_maps(result, names, label=label)
            elif missing_maps_note:
                result["notes"].append(missing_maps_note)
            text = _demo_text(result, names, label=label)
            _write_text(
                f"aplcore {__version__}; communes: {result['source']}\n\n{text}\n",
                names["readme"],
            )
    finally:
        steps.close()
    _out(text)
    return 0


def _shapely_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("shapely") is not None


def _demo_maps(result: dict[str, Any], names: dict[str, Path], *, label: str) -> None:
    from . import datasets, plots

    table = result["apl"]
    codes = table.index.intersection(result["contour_codes"])
    overseas = codes.str.startswith("97")
    if overseas.any() and not overseas.all():
        # one map of France with the DROM at their true place is mostly ocean
        codes = codes[~overseas]
        result["notes"].append(
            f"maps: metropolitan France only; the {int(overseas.sum())} overseas communes are "
            "in the tables (draw them with --departement 971, 972, 973, 974 or 976)."
        )
    shown = table.loc[codes]
    contours = datasets.load_contours(codes=codes)
    plots.plot_apl_map(
        shown["apl"],
        contours,
        title=f"APL of GPs, {label}\n(synthetic GP activity, not real data)",
        path=names["apl_map"],
    )
    plots.plot_zoning_map(
        shown["zone"],
        contours,
        population=shown["population"],
        title=f"Zoning {result['method']}, {label}\n(synthetic GP activity, not real data)",
        path=names["zoning_map"],
    )
    plots.plot_population_by_class(
        table["apl"],
        table["population"],
        classes=table["zone"],
        title=f"Population by APL class, {label} (synthetic GP activity)",
        path=names["distribution"],
    )


def run_demo(
    area: dict[str, Any],
    *,
    roads: Path | None = None,
    age_bands: Path | None = None,
    max_minutes: float = 30.0,
    seed: int = 0,
    territory: str = "epci",
    label: str = "",
    steps: Steps | None = None,
) -> dict[str, Any]:
    """Run the demo pipeline and return its tables (nothing is written)."""
    import pandas as pd

    from . import datasets

    notes: list[str] = []
    steps = Steps(DEMO_STEPS) if steps is None else steps
    with steps.step("communes"):
        scope_all = datasets.load_communes(**area)
        france = datasets.load_communes(france=True)
        usable = france["population"].notna().to_numpy() & france["lon"].notna().to_numpy()
        france = france[usable]
        scope = scope_all.index.intersection(france.index, sort=False)
        dropped = len(scope_all) - len(scope)
        if dropped:
            notes.append(
                f"{dropped} communes without a population or a point were left out "
                f"({', '.join(scope_all.index.difference(france.index)[:5])})."
            )
        if len(scope) == 0:
            msg = f"no commune with a population and a point in {label or area}."
            raise CommandError(msg)
        if area.get("france"):
            communes, ring = france.loc[scope], 0
        else:
            decay_cutoff = _decay_cutoff()
            communes, ring = _with_neighbours(france, scope, 2 * decay_cutoff)
            notes.append(
                f"APL computed over {len(communes)} communes: the {len(scope)} of the area and "
                f"{ring} neighbours within {2 * decay_cutoff:g} min, so that border communes "
                "see the supply and demand beyond the border; results are for the area only."
            )
    with steps.step("travel times"):
        tt = _travel_times(communes, roads=roads, max_minutes=max_minutes, notes=notes)
    with steps.step("demand"):
        population = communes["population"].astype("float64")
        population.index = pd.Index(population.index.astype(object), name="code")
        if age_bands is None:
            demand = population.rename("demand")
            notes.append(
                "demand: total population (population municipale), not age-standardised; "
                "give --age-bands FILE to standardise it with the DREES 2023 weights."
            )
        else:
            demand = _standardised_demand(age_bands, population, notes=notes)
    with steps.step("GP table (synthetic)"):
        practitioners = _synthetic_gps(communes, seed=seed)
        from .supply import count_gp_activity

        supply = count_gp_activity(practitioners, max_age=65)
        supply = supply.reindex(communes.index, fill_value=0.0)
        notes.append(
            f"GP activity: SYNTHETIC table of {practitioners['practitioner_id'].nunique()} GPs "
            f"(seed {seed}) generated from the real populations; no real GP activity table is "
            "public. The APL values are illustrative, not DREES figures."
        )
    with steps.step("APL"):
        from .apl import compute_apl

        result = compute_apl(tt, demand=demand, supply=supply, decay="drees_gp")
        apl = result.apl.reindex(scope)
    with steps.step("zoning"):
        territory_table, zoning = _demo_zoning(
            apl, population.reindex(scope), communes.loc[scope], territory=territory, notes=notes
        )
    with steps.step("summary"):
        table = pd.DataFrame(
            {
                "name": communes.loc[scope, "name"].astype(object),
                "departement": communes.loc[scope, "departement"].astype(object),
                "region": communes.loc[scope, "region"].astype(object),
                "population": population.reindex(scope),
                "demand": demand.reindex(scope),
                "supply_synthetic": supply.reindex(scope),
                "apl": apl,
                "territory": territory_table["territory"],
                "zone": zoning.communes["zone"].reindex(scope),
            },
            index=pd.Index(scope, name="code"),
        )
        summary = summarise(table)
    return {
        "apl": table,
        "practitioners": practitioners.set_index("practitioner_id"),
        "territories": zoning.territories,
        "zoning": zoning,
        "summary": summary,
        "notes": notes,
        "method": "zonage_2025",
        "travel_times": tt,
        "contour_codes": scope,
        "source": scope_all.attrs.get("source", "aplcore.datasets"),
    }


def _decay_cutoff() -> float:
    from .decay import get_decay

    return float(get_decay("drees_gp").cutoff)


def _travel_times(
    communes: pd.DataFrame, *, roads: Path | None, max_minutes: float, notes: list[str]
) -> TravelTimes:
    frame = communes.reset_index()[["code", "lon", "lat"]]
    if roads is None:
        from .crowfly import travel_times_crow_fly

        tt = travel_times_crow_fly(frame, max_minutes=max_minutes)
        notes.append(
            f"travel times: crow-fly distances between town halls converted to car minutes "
            f"(model calibrated on Metric), pairs within {max_minutes:g} min."
        )
        return tt
    graph = _read_graph(roads)
    from .roads import travel_times_from_graph

    tt = travel_times_from_graph(graph, frame, max_minutes=max_minutes)
    snap = tt.metadata.get("snap_distance_m", {})
    note = f"travel times: road graph {roads.name}, pairs within {max_minutes:g} min"
    if snap:
        note += (
            f"; town halls are a median {snap['median'] / 1000:.1f} km (at most "
            f"{snap['max'] / 1000:.1f} km) from their nearest node, covered at "
            f"{tt.metadata.get('params', {}).get('access_speed_kmh', 20):g} km/h"
        )
        if snap["median"] > 2000:
            note += ": the graph does not cover most communes, check that it spans the area"
    notes.append(note + ".")
    return tt


def _read_graph(path: Path) -> Any:
    try:
        import networkx as nx
    except ImportError as exc:
        msg = "road graphs need networkx and osmnx: pip install 'aplcore[roads]'."
        raise ImportError(msg) from exc
    try:
        import osmnx

        return osmnx.load_graphml(path)
    except ImportError:
        return nx.read_graphml(path)


def _standardised_demand(path: Path, population: pd.Series, *, notes: list[str]) -> pd.Series:
    """Standardised demand where the age-band file has the commune, total population elsewhere."""
    from .demand import standardise_population
    from .io import read_population_by_age

    bands = read_population_by_age(path)
    known = population.index.intersection(bands.index, sort=False)
    if len(known) == 0:
        from .errors import MissingCommuneError, describe_values

        msg = (
            f"the age-band file {path} has none of the {len(population)} communes of the "
            f"computation (first codes: {describe_values(population.index[:5].tolist())}; in "
            f"the file: {describe_values(bands.index[:5].tolist())}). Give the population by "
            "age of the communes of the area."
        )
        raise MissingCommuneError(msg)
    standardised = standardise_population(bands.loc[known], "drees_gp_2023")
    demand = population.copy().rename("demand")
    demand.loc[known] = standardised.to_numpy()
    missing = len(population) - len(known)
    notes.append(
        f"demand: age-standardised population (DREES 2023 weights) from {path.name} for "
        f"{len(known)} communes"
        + (
            f"; the {missing} communes absent from that file keep their total population."
            if missing
            else "."
        )
    )
    return demand


def _synthetic_gps(communes: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    from .synthetic import synthetic_practitioners

    frame = communes[["population", "departement"]].copy()
    frame["population"] = frame["population"].astype("float64")
    return synthetic_practitioners(frame, seed=seed)


def _demo_zoning(
    apl: pd.Series,
    population: pd.Series,
    communes: pd.DataFrame,
    *,
    territory: str,
    notes: list[str],
) -> tuple[pd.DataFrame, Any]:
    """Zoning 2025 of the demo: Centre-Val de Loire's own caps when the whole région is in the
    area, its shares of the regional population elsewhere (said in the notes)."""
    import pandas as pd

    from . import datasets
    from .zoning import classify_zones

    if territory == "commune":
        units = pd.Series(apl.index, index=apl.index, dtype=object)
    else:
        units = communes[territory].astype(object)
        units = units.where(units.notna(), pd.Series(communes.index, index=communes.index))
    table = pd.DataFrame(
        {
            "territory": units,
            "departement": communes["departement"].astype(object),
            "region": communes["region"].astype(object),
        },
        index=apl.index,
    )
    region_population = population.groupby(table["region"].to_numpy()).sum()
    whole_cvl = (
        "24" in region_population.index
        and datasets.load_communes(region="24", dropna=True).index.isin(apl.index).all()
    )
    caps = pd.DataFrame(
        {zone: region_population * share for zone, share in CVL_2025_CAP_SHARES.items()}
    )
    margin = pd.Series(0.0, index=region_population.index)
    others = [r for r in region_population.index if not (r == "24" and whole_cvl)]
    if whole_cvl:
        caps.loc["24"] = pd.Series(CVL_2025_CAPS)
        margin["24"] = CVL_2025_MARGIN
        notes.append(
            "zoning: 2025 method (thresholds 2.71 and 3.98) with the caps the ministry set for "
            "Centre-Val de Loire in 2025 (ZIP 1 834 765, ZAC 548 114, HZ 190 424 inhabitants, "
            "margin 2 346)."
        )
    if others:
        notes.append(
            "zoning: 2025 method (thresholds 2.71 and 3.98); the caps of "
            f"{'the area' if len(others) == 1 else str(len(others)) + ' régions'} are not "
            "known to aplcore, so the Centre-Val de Loire 2025 shares (ZIP 71.3 %, ZAC 21.3 %, "
            "HZ 7.4 % of the population) are applied to the population of the area."
        )
    what = {"epci": "EPCI", "departement": "départements", "commune": "communes"}[territory]
    notes.append(
        f"zoning territories: {what} (the TVS table is not bundled; use 'aplcore classify' with "
        "your own commune → TVS table)."
    )
    zoning = classify_zones(
        apl,
        population=population,
        territory=table,
        method="zonage_2025",
        caps=caps,
        margin=margin,
    )
    return table, zoning


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Summary by département and in total of a table of communal results.

    Parameters
    ----------
    table
        Indexed by commune code, with columns ``departement``, ``population`` (total),
        ``demand`` (standardised population, or the total when not standardised), ``apl`` and
        optionally ``zone``. Communes without an APL value are left out.

    Returns
    -------
    pandas.DataFrame
        One row per département and a ``total`` row: ``communes``, ``population``, ``demand``,
        ``apl_mean`` (weighted by demand, as the DREES workbook note prescribes), the population
        living under an APL of 2.5 (total population) and the population of each zone.
    """
    import numpy as np
    import pandas as pd

    from .aggregate import aggregate

    valid = table[np.isfinite(table["apl"].to_numpy(dtype=np.float64))]
    under = f"population_apl_under_{UNDER_THRESHOLD:g}"
    zones: list[str] = []
    if "zone" in valid.columns:
        zones = [str(z) for z in pd.unique(valid["zone"].dropna().astype(object))]
        order = ["ZIP", "ZAC", "vigilance", "HZ", "hors vivier"]
        zones = [z for z in order if z in zones] + sorted(set(zones) - set(order))
    frames = []
    for groups in (
        valid["departement"].astype(object).rename("departement"),
        pd.Series("total", index=valid.index, dtype=object, name="departement"),
    ):
        mean = aggregate(valid["apl"], valid["demand"], groups, what="apl_mean")
        grouped = valid.groupby(groups.to_numpy(), sort=True)
        frame = pd.DataFrame(
            {
                "communes": grouped.size(),
                "population": grouped["population"].sum(),
                "demand": grouped["demand"].sum(),
                "apl_mean": mean["apl_mean"],
                under: valid["population"]
                .where(valid["apl"] < UNDER_THRESHOLD, 0.0)
                .groupby(groups.to_numpy(), sort=True)
                .sum(),
            }
        )
        for zone in zones:
            frame[f"population_{zone}"] = (
                valid["population"]
                .where(valid["zone"].astype(object) == zone, 0.0)
                .groupby(groups.to_numpy(), sort=True)
                .sum()
            )
        frames.append(frame)
    out = pd.concat(frames)
    out.index.name = "departement"
    return out


def _demo_text(result: dict[str, Any], names: dict[str, Path], *, label: str) -> str:
    """What the demo prints, also written beside its outputs."""
    import pandas as pd

    table = result["apl"]
    lines = [f"aplcore demo: {label}, {len(table)} communes (SYNTHETIC GP activity)"]
    lines += [f"  - {note}" for note in result["notes"]]
    lines.append("")
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        lines.append(_format_summary(result["summary"]))
    lines.append("")
    lines.append(
        "zoning report (territories in their département of attribution; caps per région):"
    )
    lines.append(result["zoning"].format_report())
    lines.append("")
    lines.append("written:")
    lines += [f"  {path}" for path in names.values()]
    return "\n".join(lines)


def _write_text(text: str, path: Path) -> None:
    from .io import atomic_write

    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")), overwrite=True)
    os.chmod(path, _file_mode())


def _format_summary(summary: pd.DataFrame) -> str:
    shown = summary.copy()
    for column in shown.columns:
        if column == "apl_mean":
            shown[column] = shown[column].map(lambda v: f"{v:.2f}")
        else:
            shown[column] = shown[column].map(lambda v: f"{v:,.0f}".replace(",", " "))
    return shown.to_string()


# ------------------------------------------------------------------------------------------
# compute


def cmd_compute(args: argparse.Namespace) -> int:
    """``aplcore compute``."""
    inputs = _check_inputs([args.times, args.population, args.practitioners])
    _table_suffix(args.out, what="--out")
    _check_outputs([args.out], inputs, overwrite=args.overwrite)
    steps = Steps(["travel times", "demand", "supply", "APL", "writing outputs"])
    try:
        with steps.step("travel times"):
            tt = read_travel_times(
                args.times, intra_minutes=args.intra_minutes, columns=tuple(args.od_columns)
            )
        with steps.step("demand"):
            demand, population, how = read_demand(args.population, weights=args.weights)
        with steps.step("supply"):
            from .io import read_practitioners
            from .supply import count_gp_activity

            practitioners = read_practitioners(args.practitioners)
            supply = count_gp_activity(practitioners, max_age=args.max_age or None)
        with steps.step("APL"):
            from .apl import compute_apl

            result = compute_apl(
                tt,
                demand=demand,
                supply=supply,
                decay=args.decay,
                method=args.method,
                closed=args.closed,
            )
        with steps.step("writing outputs"):
            table = result.to_frame()
            if population is not None:
                table["population"] = population.reindex(table.index)
            write_table(table, args.out)
    finally:
        steps.close()
    _out(
        f"aplcore compute: APL of {len(table)} communes ({how}; GPs aged "
        f"{'≤ ' + str(args.max_age) if args.max_age else 'any age'}; decay {args.decay}) "
        f"written to {args.out}"
    )
    return 0


def read_travel_times(
    path: Path,
    *,
    intra_minutes: float | None = 0.0,
    columns: tuple[str, str, str] = ("origin", "destination", "minutes"),
) -> TravelTimes:
    """Travel times from an O-D table (.csv/.parquet) or a matrix file (.npz/.parquet).

    A Parquet file written by :func:`aplcore.matrix_io.save_travel_times` is read with its
    metadata; any other Parquet or CSV file is read as an O-D table with columns ``origin``,
    ``destination`` and ``minutes``.
    """
    from .matrix_io import load_travel_times
    from .odtable import travel_times_from_table

    suffix = path.suffix.lower()
    if suffix == ".npz" or (suffix in (".parquet", ".pq") and _is_saved_matrix(path)):
        return load_travel_times(path)
    origin, destination, minutes = columns
    return travel_times_from_table(
        path,
        origin=origin,
        destination=destination,
        minutes=minutes,
        intra_minutes=intra_minutes,
        max_minutes=None,
    )


def _is_saved_matrix(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except Exception:  # not a Parquet file: let the table reader report it
        return False
    return b"aplcore" in metadata


def read_demand(path: Path, *, weights: str) -> tuple[pd.Series, pd.Series | None, str]:
    """Demand from a population table.

    A table with a ``population`` column (and no ``age`` column) gives the total population; any
    other is read as population by sex and age band (INSEE wide or long layouts, see
    :func:`aplcore.io.read_population_by_age`) and standardised with ``weights``.
    """
    from .demand import standardise_population
    from .io import read_population_by_age

    frame = read_table(path, what="the population table")
    if "population" in frame.columns and "age" not in frame.columns:
        frame = _code_indexed(frame, what="the population table", path=path)
        population = _numbers(frame["population"], what=f"population of {path.name}")
        return population.rename("demand"), population, "demand = total population"
    bands = read_population_by_age(path)
    demand = standardise_population(bands, weights).rename("demand")
    return demand, bands.sum(axis=1).rename("population"), f"demand standardised ({weights})"


def _numbers(values: pd.Series, *, what: str) -> pd.Series:
    import numpy as np
    import pandas as pd

    from .errors import InvalidValueError, describe_values

    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = ~np.isfinite(numbers.to_numpy()) | (numbers.to_numpy() < 0)
    if bad.any():
        msg = (
            f"{what} must be non-negative numbers; found {int(bad.sum())} bad values: "
            f"{describe_values(values[bad].items())}."
        )
        raise InvalidValueError(msg)
    return numbers


def _territory_table(path: Path, column: str | None) -> pd.DataFrame:
    """Commune → territory (+ département, région when present) from a territory file."""
    from .io import read_territories

    table = read_territories(path)
    extra = [c for c in table.columns if c not in ("departement", "region")]
    if column is None:
        if "territory" in table.columns:
            column = "territory"
        elif len(extra) == 1:
            column = extra[0]
        else:
            msg = (
                f"the territory table {path} has several territory columns "
                f"({', '.join(extra)}): choose one with --territory-column."
            )
            raise CommandError(msg)
    if column not in table.columns:
        msg = (
            f"the territory table {path} has no column {column!r}; its columns are "
            f"{', '.join(table.columns)}."
        )
        raise CommandError(msg)
    keep = [c for c in ("departement", "region") if c in table.columns]
    out = table[[column, *keep]].rename(columns={column: "territory"})
    out.index.name = "code"
    return out


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


def cmd_classify(args: argparse.Namespace) -> int:
    """``aplcore classify``."""
    inputs = _check_inputs([args.apl, args.territories, args.population])
    out: Path = args.out
    if out.exists() and not out.is_dir():
        msg = f"--out must be a folder, found a file: {out}."
        raise CommandError(msg)
    caps = _parse_caps(args.cap)
    names = {
        "communes": out / "zoning_communes.csv",
        "territories": out / "zoning_territories.csv",
        "report": out / "zoning_report.csv",
    }
    _check_outputs(list(names.values()), inputs, overwrite=args.overwrite)
    apl_table = _code_indexed(
        read_table(args.apl, what="the APL table"), what="the APL table", path=args.apl
    )
    if "apl" not in apl_table.columns:
        msg = (
            f"the APL table {args.apl} needs an 'apl' column; found columns "
            f"{', '.join(map(str, apl_table.columns))}."
        )
        raise CommandError(msg)
    if args.population is not None:
        pop_table = _code_indexed(
            read_table(args.population, what="the population table"),
            what="the population table",
            path=args.population,
        )
        if "population" not in pop_table.columns:
            msg = f"the population table {args.population} needs a 'population' column."
            raise CommandError(msg)
        population = pop_table["population"]
    elif "population" in apl_table.columns:
        population = apl_table["population"]
    else:
        msg = (
            f"the APL table {args.apl} has no 'population' column: add one or give "
            "--population FILE (code, population)."
        )
        raise CommandError(msg)
    territories = _territory_table(args.territories, args.territory_column)
    from .zoning import classify_zones

    options: dict[str, Any] = {"method": args.method}
    if args.thresholds:
        options["thresholds"] = tuple(args.thresholds)
    if caps:
        options["caps"] = caps
        options["cap_unit"] = "share" if max(caps.values()) <= 1 else "inhabitants"
    if args.margin is not None:
        options["margin"] = args.margin
    zoning = classify_zones(
        _numbers(apl_table["apl"], what=f"apl of {args.apl.name}"),
        population=_numbers(population, what="population"),
        territory=territories,
        **options,
    )
    write_table(zoning.communes, names["communes"])
    write_table(zoning.territories, names["territories"])
    write_table(zoning.report.set_index("region"), names["report"])
    caps_note = "caps met" if zoning.caps_met else "some caps NOT met (see the report)"
    _out(f"aplcore classify: {len(zoning.communes)} communes, method {args.method}, {caps_note}")
    _out(zoning.format_report())
    _out()
    _out("written:")
    for path in names.values():
        _out(f"  {path}")
    return 0


# ------------------------------------------------------------------------------------------
# matrix


def cmd_matrix(args: argparse.Namespace) -> int:
    """``aplcore matrix``."""
    inputs = _check_inputs([args.communes, args.roads])
    out: Path = args.out
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".npz"):
        msg = f"--out must end in .csv, .parquet or .npz, found {out.name!r}."
        raise CommandError(msg)
    _check_outputs([out], inputs, overwrite=args.overwrite)
    if args.communes is not None:
        if args.region or args.departement or args.france:
            msg = "give either --communes FILE or an area (--region, --departement, --france)."
            raise CommandError(msg)
        communes = _code_indexed(
            read_table(args.communes, what="the commune table"),
            what="the commune table",
            path=args.communes,
        )
        source = str(args.communes)
    else:
        from . import datasets

        area = _area(args, default_region=None)
        communes = datasets.load_communes(**area, dropna=True)
        source = _area_label(area)
    notes: list[str] = []
    frame = communes.copy()
    frame.index.name = "code"
    steps = Steps(["travel times", "writing outputs"])
    try:
        with steps.step("travel times"):
            tt = _travel_times(frame, roads=args.roads, max_minutes=args.max_minutes, notes=notes)
        with steps.step("writing outputs"):
            if suffix == ".csv":
                write_table(tt.to_frame().set_index("origin"), out)
            else:
                from .matrix_io import save_travel_times

                save_travel_times(tt, out)
    finally:
        steps.close()
    _out(
        f"aplcore matrix: {tt.n_communes} communes of {source}, {tt.n_pairs} pairs written to {out}"
    )
    for note in notes:
        _out(f"  - {note}")
    return 0


# ------------------------------------------------------------------------------------------
# info and warmup


def numba_cache_location() -> str:
    """Where Numba writes the compiled kernels of aplcore."""
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        return env
    import importlib.util

    spec = importlib.util.find_spec("aplcore.kernels")
    if spec is None or spec.origin is None:  # pragma: no cover
        return "unknown"
    return str(Path(spec.origin).parent / "__pycache__")


def cmd_info(args: argparse.Namespace) -> int:
    """``aplcore info``."""
    import importlib.metadata
    import platform

    from .settings import cache_enabled, parallel_enabled, progress_enabled

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    import numba

    cache_dir = numba_cache_location()
    writable = os.access(
        cache_dir if os.path.isdir(cache_dir) else os.path.dirname(cache_dir), os.W_OK
    )
    rows = [
        ("aplcore", __version__),
        ("python", platform.python_version()),
        *[
            (name, version(name))
            for name in ("numpy", "numba", "pandas", "scipy", "pyarrow", "matplotlib")
        ],
        *[
            (f"{name} (optional)", version(name))
            for name in ("geopandas", "shapely", "networkx", "osmnx")
        ],
        (
            "threads",
            f"{numba.get_num_threads()} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS})",
        ),
        ("threading layer", str(numba.config.THREADING_LAYER)),
        ("parallel kernels", "on" if parallel_enabled() else "off (APLCORE_PARALLEL=0)"),
        ("numba cache", "on" if cache_enabled() else "off (APLCORE_NUMBA_CACHE=0)"),
        ("numba cache dir", f"{cache_dir} ({'writable' if writable else 'NOT writable'})"),
        ("progress bars", "on" if progress_enabled() else "off"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        _out(f"{name:<{width}}  {value}")
    if cache_enabled() and not writable:
        _out("note: set NUMBA_CACHE_DIR to a writable folder to cache the compiled kernels.")
    return 0


def warmup_cases() -> list[tuple[str, Callable[[], object]]]:
    """Tiny cases through the public functions, one per group of kernels."""
    import numpy as np
    import pandas as pd

    codes = ["45001", "45002", "45003", "45004"]
    points = pd.DataFrame(
        {"code": codes, "lon": [1.90, 1.95, 2.00, 2.30], "lat": [47.90, 47.92, 47.88, 47.95]}
    )
    population = pd.Series([1000.0, 2500.0, 400.0, 800.0], index=pd.Index(codes, name="code"))
    supply = pd.Series([5000.0, 0.0, 3600.0, 0.0], index=pd.Index(codes, name="code"))
    state: dict[str, Any] = {}

    def crow_fly() -> object:
        from .crowfly import travel_times_crow_fly

        state["tt"] = travel_times_crow_fly(points, max_minutes=30)
        return state["tt"]

    def apl() -> object:
        from .apl import compute_apl

        tt = state["tt"] if "tt" in state else crow_fly()
        state["apl"] = compute_apl(tt, demand=population, supply=supply, decay="drees_gp").apl
        return state["apl"]

    def zoning() -> object:
        from .zoning import classify_zones

        values = state.get("apl")
        if values is None:
            values = pd.Series(np.array([2.0, 3.0, 4.5, 1.0]), index=population.index)
        territory = pd.Series(["T1", "T1", "T2", "T3"], index=population.index)
        return classify_zones(
            values,
            population=population,
            territory=territory,
            method="zonage_2025",
            caps={"ZIP": 0.7, "ZAC": 0.2, "HZ": 0.1},
            cap_unit="share",
        )

    def roads() -> object:
        import networkx as nx

        from .roads import travel_times_from_graph

        graph = nx.MultiDiGraph(crs="EPSG:4326")
        for node, (x, y) in enumerate(zip(points["lon"], points["lat"], strict=True)):
            graph.add_node(node, x=x, y=y)
        for a in range(4):
            for b in range(4):
                if a != b:
                    graph.add_edge(
                        a, b, length=1000.0 * (1 + abs(a - b)), travel_time=60.0 * (1 + abs(a - b))
                    )
        return travel_times_from_graph(graph, points, max_minutes=30)

    return [
        ("crow-fly travel times", crow_fly),
        ("APL (E2SFCA)", apl),
        ("zoning", zoning),
        ("road travel times", roads),
    ]


def cmd_warmup(args: argparse.Namespace) -> int:
    """``aplcore warmup``."""
    from .settings import cache_enabled

    total = time.perf_counter()
    for name, case in warmup_cases():
        start = time.perf_counter()
        try:
            case()
        except ImportError as exc:
            _out(f"{name:<24} skipped ({exc})")
            continue
        _out(f"{name:<24} {time.perf_counter() - start:6.2f} s")
    _out(f"{'total':<24} {time.perf_counter() - total:6.2f} s")
    if cache_enabled():
        _out(f"compiled kernels cached in {numba_cache_location()}")
    else:
        _out("numba cache is off (APLCORE_NUMBA_CACHE=0): kernels will compile again next run")
    return 0
