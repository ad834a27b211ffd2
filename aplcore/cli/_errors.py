"""Every failure of a command as one line naming the file and what to do; clean interruptions.

Only the standard library is imported at module level (``aplcore --help`` stays instant).
"""

from __future__ import annotations

import argparse
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..errors import AplcoreError, AplcoreWarning, source_of

__all__ = ["describe_failure", "for_the_command_line", "log_unraisable"]


#: The option of each Python argument that errors name as their fix (their ``param``), spelt
#: with the value the fix suggests.
FLAGS: dict[str, Any] = {
    "overwrite": lambda value: "--overwrite",
    "max_age": lambda value: "--max-age none" if value is None else "--max-age",
    "units": lambda value: f"--time-units {value}",
    "strict": lambda value: "--strict-codes",
    "repair_integers": lambda value: "--repair-codes",
    "sep": lambda value: "--sep",
    "intra_minutes": lambda value: "--intra-minutes",
    "territory_column": lambda value: "--territory-column",
    "population": lambda value: "--population",
    "caps_file": lambda value: "--caps-file",
    "out": lambda value: "--out",
    "map": lambda value: "--map",
    "caps": lambda value: "--cap",
    "communes": lambda value: "--communes",
}

#: Fixes of the Python interface that the command line words its own way ("" when it has none).
FIXES: dict[str, str] = {
    "origin": "Name the right ones with --od-columns ORIGIN DESTINATION MINUTES.",
    "columns": "Rename those columns in the file.",
    "missing_demand": "Add them to the population table, with 0 where nobody lives.",
    "encoding": "Save the file as UTF-8.",
    "repair_integers": (
        "Write the codes as text in the file (with their leading zeros), or pass --repair-codes "
        "to zero-pad whole numbers."
    ),
    "values": "Give one row per commune.",
    "layout": "",
    "strict": "({param} makes this an error.)",
    "ids": "",
    "implausible_values": "",
    "allow_rising": "",
    "symmetrise": "Add the reverse rows to the table (both directions of each pair).",
    "cap_unit": "Give every cap in one unit: all shares (at most 1) or all inhabitants.",
}


def for_the_command_line(exc: BaseException, options: Collection[str] = ()) -> str:
    """An aplcore error or warning as a command-line user reads it.

    The fix names the command's option (``--overwrite``), never the Python argument; a fix
    through an argument that ``options`` (the command's flags) lacks is left out. The file is
    named when the message does not name it.
    """
    if not isinstance(exc, AplcoreError | AplcoreWarning):
        return " ".join(str(exc).split())

    def spell(param: str, value: object) -> str | None:
        flag = FLAGS.get(param)
        spelt = None if flag is None else str(flag(value))
        return spelt if spelt is not None and spelt.split()[0] in options else None

    fix = FIXES.get(exc.param) if exc.param is not None and exc.fix is not None else None
    text = " ".join(exc.render(spell, fix=fix).split())
    if exc.source is not None and Path(exc.source.file).name not in text:
        text = f"{exc.source}: {text}"
    return text


def _file_of(exc: BaseException, args: argparse.Namespace) -> str | None:
    """The file the failure is about: from the exception, or the only input of the command."""
    source = source_of(exc)
    if source is not None:
        return source.file
    filename = getattr(exc, "filename", None)
    if filename:
        return str(filename)
    inputs = [v for v in vars(args).values() if isinstance(v, Path) and v.is_file()]
    return str(inputs[0]) if len(inputs) == 1 else None


def _first_line(text: object) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def _about(file: str | None) -> str:
    return f"{file}: " if file else ""


def describe_failure(exc: BaseException, args: argparse.Namespace) -> str:
    """One line saying what failed, in which file, and what to do.

    Parameters
    ----------
    exc
        The exception that ended the command.
    args
        The parsed arguments (their input files name the file when the exception does not).
    """
    import zipfile
    from xml.etree.ElementTree import ParseError

    if isinstance(exc, AplcoreError):
        return for_the_command_line(exc, getattr(args, "flags", ()))
    if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
        if exc.filename:
            return f"{exc.strerror or exc}: {exc.filename}"
        return _first_line(exc) or type(exc).__name__
    file = _file_of(exc, args)
    about = _about(file)
    name = type(exc).__name__
    module = type(exc).__module__
    if isinstance(exc, UnicodeError):
        return (
            f"{about}cannot decode the text ({_first_line(exc)}). Save the file as UTF-8 (or "
            "Latin-1) text, or check that it is the file you meant."
        )
    if name == "EmptyDataError":
        return f"{about}the file is empty: expected a header line and rows."
    if name == "ParserError" or (name == "Error" and module == "_csv"):
        return (
            f"{about}cannot be parsed as a table ({_first_line(exc)}). Check the separator "
            "and that every line has the same number of fields."
        )
    if module.startswith("pyarrow") or name in ("ArrowInvalid", "ArrowTypeError"):
        return (
            f"{about}cannot be read ({_first_line(exc)}). Check that it is a valid, complete "
            "Parquet or CSV file; write it again if it was cut short."
        )
    if isinstance(exc, zipfile.BadZipFile):
        return (
            f"{about}is not a valid archive ({_first_line(exc)}): a .npz or .xlsx file that is "
            "corrupt, cut short or misnamed. Write it again (for a matrix: 'aplcore matrix')."
        )
    if isinstance(exc, ParseError) or name in ("XMLSyntaxError", "ExpatError"):
        return (
            f"{about}is not valid XML ({_first_line(exc)}). Give a GraphML road graph, such as "
            "one saved by osmnx.save_graphml."
        )
    if isinstance(exc, KeyError):
        return (
            f"{about}missing column or key {_first_line(exc)}. Check the column names against "
            f"'{' '.join(['aplcore', str(args.command), '--help'])}'."
        )
    if isinstance(exc, MemoryError):
        return (
            f"{about}not enough memory. Use a smaller area or a shorter --max-minutes, or a "
            "machine with more memory."
        )
    if isinstance(exc, ValueError | TypeError):
        return (
            f"{about}{_first_line(exc) or name}. Check the input against "
            f"'aplcore {args.command} --help'; run with -vv for details."
        )
    return (
        f"{about}unexpected {name}: {_first_line(exc)}. Run again with -vv for the traceback "
        "and report it with the command line."
    )


def log_unraisable(unraisable: Any) -> None:
    """An exception Python could not raise (in a callback, a finaliser): a debug record (-vv),
    not a traceback on the terminal."""
    import logging

    logging.getLogger("aplcore.cli").debug(
        "ignored %s in %r: %s",
        getattr(unraisable.exc_type, "__name__", "exception"),
        unraisable.object,
        unraisable.exc_value,
    )
