"""Helpers shared by the subcommands: output checks, error and warning lines, logging set-up,
progress steps, table reading and writing.

Only the standard library is imported at module level (``aplcore --help`` stays instant).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CommandError
from ..settings import progress_enabled  # standard library only: start-up stays instant
from ._errors import for_the_command_line

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# the command's own records, under one name whichever module of the package logs them
logger = logging.getLogger("aplcore.cli")

PROG = "aplcore"


class _Outputs:
    """Whether the running command's outputs are all in place (then an interruption is moot)."""

    committed = False


OUTPUTS = _Outputs()


def committed(paths: list[Path]) -> None:
    """The outputs are in place: from now on an interruption no longer fails the command."""
    OUTPUTS.committed = True


def output_files(targets: Sequence[Path], *, overwrite: bool, folder: Path | None = None) -> Any:
    """The command's output files as one :class:`aplcore.io.OutputSet`: written together or not
    at all; once in place, the command has succeeded whatever happens next (a late Ctrl-C).
    With ``folder`` (an ``--out`` folder), the set owns the folder: see :class:`OutputSet`."""
    from ..io import output_set  # cli startup

    OUTPUTS.committed = False
    return output_set(targets, overwrite=overwrite, on_commit=committed, folder=folder)


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
    from ..io import write_csv, write_parquet  # cli startup

    suffix = table_suffix(path, what="the output table")
    writer = write_csv if suffix == ".csv" else write_parquet
    writer(frame, path, overwrite=True)
    logger.info("wrote %s (%d rows)", final_path(path), len(frame))


def final_path(path: Path) -> Path:
    """Where a file staged by an output set (see :func:`output_files`) will be."""
    from ..io.writers import STAGING_PREFIX  # cli startup

    return path.parent.parent / path.name if path.parent.name.startswith(STAGING_PREFIX) else path


def read_table(
    path: Path, *, what: str, sep: str | None = None, sheet: str | int | None = None
) -> pd.DataFrame:
    """:func:`aplcore.tables.read_frame`: a whole table, code columns as text."""
    from ..tables import read_frame  # cli startup

    return read_frame(path, what=what, sep=sep, sheet=sheet)


def print_error(command: str, message: str) -> None:
    sys.stderr.write(f"{PROG} {command}: error: {message}\n")


def show_warning(
    command: str,
    flags: Any,
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    text = for_the_command_line(message, flags) if isinstance(message, Warning) else str(message)
    sys.stderr.write(f"{PROG} {command}: warning: {text}\n")
