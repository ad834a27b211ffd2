"""What kind of file a path is, for inputs and outputs that must be regular files.

Standard library only: every reader and writer uses it, whatever its layer.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import InputFormatError, OutputExistsError, ParameterError, Source

__all__ = ["check_paths", "file_kind", "refuse_special_file"]

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(path: Path) -> str | None:
    """``None`` for a regular file or a missing path, else what it is (``"a named pipe"``)."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def refuse_special_file(path: str | os.PathLike[str], *, what: str) -> None:
    """Refuse an input that exists but is not a regular file (a folder, a named pipe, a device).

    Such a path is not "missing": saying so would send the user looking for a file that is there.
    aplcore reads its inputs more than once (the header, then the rows), which a pipe cannot give.

    Raises
    ------
    InputFormatError
        ``path`` is a folder, a named pipe, a socket or a device.
    """
    path = Path(path)
    kind = file_kind(path)
    if kind is None:
        return
    fix = (
        "give the path of a file in that folder."
        if kind == "a folder"
        else "save the data to a regular file first and give its path."
    )
    msg = f"{what}: {str(path)!r} is {kind}, not a regular file; {fix}"
    raise InputFormatError(msg, source=Source.of(path))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_paths(
    inputs: Iterable[Path | None], outputs: Sequence[Path] = (), *, overwrite: bool = False
) -> list[Path]:
    """The inputs given (``None`` skipped), each an existing regular file; refuses an output that
    is an input (always) or that exists (unless ``overwrite``), before any work is done."""
    found = []
    for path in (Path(p) for p in inputs if p is not None):
        refuse_special_file(path, what="input")
        if not path.exists():
            msg = f"input file not found: {path}. Check the path (relative to {Path.cwd()})."
            raise ParameterError(msg, source=Source.of(path))
        found.append(path)
    for out in outputs:
        if any(_same_file(out, source) for source in found):
            msg = f"refusing to write {out}: it is an input of this command."
            raise OutputExistsError(msg, fix="Choose another output path.")
    existing = [out for out in outputs if out.exists()]
    if existing and not overwrite:
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        msg = f"output already exists: {', '.join(map(str, existing[:3]))}{more}."
        fix = "Pass {param} to replace it, or choose another output path."
        raise OutputExistsError(msg, fix=fix, param="overwrite", value=True)
    return found
