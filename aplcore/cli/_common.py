"""Helpers shared by the subcommands: output checks, error and warning lines, logging set-up,
progress steps, table reading and writing, areas of the bundled data and travel times.

Only the standard library is imported at module level (``aplcore --help`` stays instant).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AplcoreError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..traveltimes import TravelTimes

# the command's own records, under one name whichever module of the package logs them
logger = logging.getLogger("aplcore.cli")

PROG = "aplcore"

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


class _Outputs:
    """Whether the running command's outputs are all in place (then an interruption is moot)."""

    committed = False


OUTPUTS = _Outputs()


def output_files(targets: Sequence[Path], *, overwrite: bool) -> Any:
    """The command's output files as one :class:`aplcore.io.OutputSet`: written together or not
    at all; once in place, the command has succeeded whatever happens next (a late Ctrl-C)."""
    from ..io import output_set

    OUTPUTS.committed = False

    def committed(paths: list[Path]) -> None:
        OUTPUTS.committed = True

    return output_set(targets, overwrite=overwrite, on_commit=committed)


@contextmanager
def logging_to_stderr(verbosity: int) -> Iterator[None]:
    """Send aplcore's log records to stderr for the duration of a command, then restore."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger("aplcore")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous_level, previous_propagate = root.level, root.propagate
    # the first run says it is compiling the kernels (and how far it is), even without -v
    kernels = logging.getLogger("aplcore.kernels")
    previous_kernels_level = kernels.level
    kernels.setLevel(min(level, logging.INFO))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        root.propagate = previous_propagate
        kernels.setLevel(previous_kernels_level)


def echo(text: str = "") -> None:
    """Write a line of command output on stdout."""
    sys.stdout.write(text + "\n")


class Steps:
    """Named steps of a command: a progress bar on a terminal, log lines otherwise."""

    def __init__(self, names: Sequence[str]) -> None:
        from ..settings import progress_enabled

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


def check_inputs(paths: Sequence[Path | None]) -> list[Path]:
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


def check_outputs(outputs: Sequence[Path], inputs: Sequence[Path], *, overwrite: bool) -> None:
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


def check_out_folder(out: Path) -> None:
    """Refuse an ``--out`` folder that is an existing file."""
    if out.exists() and not out.is_dir():
        msg = f"--out must be a folder, found a file: {out}."
        raise CommandError(msg)


TABLE_SUFFIXES = (".csv", ".parquet")


def table_suffix(path: Path, *, what: str) -> str:
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

    The command has already refused existing outputs unless ``--overwrite`` was given; new files
    get the usual permissions (the umask), replaced ones keep theirs.
    """
    from ..io import write_csv, write_parquet

    suffix = table_suffix(path, what="the output table")
    writer = write_csv if suffix == ".csv" else write_parquet
    writer(frame, path, overwrite=True)
    logger.info("wrote %s (%d rows)", final_path(path), len(frame))


def final_path(path: Path) -> Path:
    """Where a file staged by an output set (see :func:`output_files`) will be."""
    from ..io.writers import STAGING_PREFIX

    return path.parent.parent / path.name if path.parent.name.startswith(STAGING_PREFIX) else path


def read_table(
    path: Path, *, what: str, sep: str | None = None, sheet: str | int | None = None
) -> pd.DataFrame:
    """Read a CSV/TSV (separator ``sep``, sniffed by default), Parquet, Feather or Excel table
    (``sheet``, the first by default), code columns as text.

    Files go through :func:`aplcore.tables.read_table` (UTF-8 or Latin-1, gzip; a row with
    missing or extra fields is an error naming the file and the line).
    """
    from ..tables import read_table as read_any

    table = read_any(
        path,
        text_columns=lambda name: name.strip().lower() in CODE_COLUMNS,
        what=what,
        dictionary=False,
        sep=sep,
        sheet=sheet,
    )
    frame = table.data.to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        msg = f"{what} {path} has no rows."
        raise CommandError(msg)
    return frame


def read_code_table(path: Path, *, what: str) -> pd.DataFrame:
    """Read a table (see :func:`read_table`) indexed by its ``code`` (or ``commune``) column."""
    return code_indexed(read_table(path, what=what), what=what, path=path)


def code_indexed(frame: pd.DataFrame, *, what: str, path: Path) -> pd.DataFrame:
    from ..codes import as_code_index

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


def as_numbers(values: pd.Series, *, what: str) -> pd.Series:
    import numpy as np
    import pandas as pd

    from ..errors import InvalidValueError, describe_values

    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = ~np.isfinite(numbers.to_numpy()) | (numbers.to_numpy() < 0)
    if bad.any():
        msg = (
            f"{what} must be non-negative numbers; found {int(bad.sum())} bad values: "
            f"{describe_values(values[bad].items())}."
        )
        raise InvalidValueError(msg)
    return numbers


def add_area_options(parser: argparse.ArgumentParser, *, default_region: str | None) -> None:
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


def add_travel_time_options(parser: argparse.ArgumentParser) -> None:
    """``--roads`` and ``--max-minutes``, the options of :func:`travel_times_of`."""
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


def chosen_area(args: argparse.Namespace, *, default_region: str | None) -> dict[str, Any]:
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


def area_label(area: dict[str, Any]) -> str:
    """A readable name of an area."""
    from .. import datasets

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
        from .. import datasets

        what = "region" if "n_departements" in table.columns else "departement"
        datasets.load_communes(**{what: value})  # raises ParameterError with the known codes
        msg = f"unknown {what} {value!r}."  # pragma: no cover - load_communes raised
        raise CommandError(msg)
    return code


def travel_times_of(
    communes: pd.DataFrame, *, roads: Path | None, max_minutes: float, notes: list[str]
) -> TravelTimes:
    frame = communes.reset_index()[["code", "lon", "lat"]]
    if roads is None:
        from ..traveltimes.crowfly import travel_times_crow_fly

        tt = travel_times_crow_fly(frame, max_minutes=max_minutes)
        notes.append(
            f"travel times: crow-fly distances between town halls converted to car minutes "
            f"(model calibrated on Metric), pairs within {max_minutes:g} min."
        )
        return tt
    graph = read_graph(roads)
    from ..traveltimes.roads import travel_times_from_graph

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


def read_graph(path: Path) -> Any:
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


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        reason = exc.strerror or str(exc)
        return f"{reason}: {exc.filename}"
    return str(exc)


def print_error(command: str, message: str) -> None:
    sys.stderr.write(f"{PROG} {command}: error: {message}\n")


def show_warning(
    command: str,
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    from ._errors import for_the_command_line

    text = for_the_command_line(" ".join(str(message).split()))
    sys.stderr.write(f"{PROG} {command}: warning: {text}\n")


def write_text(text: str, path: Path) -> None:
    """Write a UTF-8 text file atomically (over an existing one: the command checked it)."""
    from ..io import atomic_write

    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")), overwrite=True)
