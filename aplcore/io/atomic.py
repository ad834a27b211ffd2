"""Atomic output: single files and whole output sets, refusing to overwrite.

Each file is written to a temporary file in the destination folder, then moved into place with
:func:`os.replace`: a failure never leaves a partial file behind, and a reader never sees one.
An existing destination is only replaced with ``overwrite=True``, and only when it is a regular
file (never a device, a pipe or a folder).

A command writing several files uses an :class:`OutputSet`: every file is first written into a
hidden staging folder beside its target, then all are moved into place together; when a move
fails, the files already moved are removed (and the ones they replaced restored), so the outputs
appear all together or not at all. Temporaries left by a killed run (its process gone) are
removed the next time the same target is written.

An output set given its ``folder`` owns it: while it writes, a marker (``.aplcore-busy``, holding
the process id) refuses any other set into that folder, and when it commits over a previous run
(``overwrite=True``), the files that run listed in its ``run.json`` and this one does not write
are removed, so that the folder holds exactly one run's files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import IO

from .._paths import file_kind
from ..errors import (
    OutputBusyError,
    OutputExistsError,
    OutputSetError,
    Source,
)

__all__ = [
    "BUSY_MARKER",
    "RUN_FILE",
    "STAGING_PREFIX",
    "OutputSet",
    "atomic_write",
    "check_target",
    "clean_stale_temporaries",
    "output_set",
    "staged_folder",
]

logger = logging.getLogger(__name__)

#: Prefix of the staging folders of :class:`OutputSet` (followed by the process id).
STAGING_PREFIX = ".aplcore-staging-"
#: Marker of an output folder a run is writing into (it holds the process id).
BUSY_MARKER = ".aplcore-busy"
#: The record of a run in its output folder (see :mod:`aplcore.runinfo`).
RUN_FILE = "run.json"


def check_target(dest: Path, *, overwrite: bool) -> None:
    """Refuse a destination that exists and is not a regular file, or exists without overwrite.

    Raises
    ------
    OutputExistsError
        ``dest`` is a folder, a device, a pipe or a socket (whatever ``overwrite``), or a file
        and ``overwrite`` is false.
    """
    if not dest.exists():
        return
    if dest.is_dir():
        msg = f"{str(dest)!r} is a folder; give a file name to write to."
        raise OutputExistsError(msg, source=Source.of(dest))
    if not dest.is_file():
        msg = (
            f"{str(dest)!r} is {file_kind(dest)}, not a regular file; aplcore only writes "
            "regular files: choose a file path."
        )
        raise OutputExistsError(msg)
    if not overwrite:
        msg = f"{str(dest)!r} exists already; expected a new file name."
        fix = "Choose another name, remove the file, or pass {param} to replace it."
        raise OutputExistsError(msg, fix=fix, param="overwrite", value=True)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(name: str, prefix: str) -> bool:
    """A temporary named ``prefix<pid>...`` whose process has gone."""
    head = name[len(prefix) :].split(".", 1)[0].split("-", 1)[0]
    return head.isdigit() and not _pid_alive(int(head))


def clean_stale_temporaries(dest: Path) -> list[Path]:
    """Remove temporaries of ``dest`` (and staging folders beside it) left by dead processes."""
    folder = dest.parent
    if not folder.is_dir():
        return []
    removed = []
    file_prefix = f".{dest.name}."
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            name = entry.name
            if name.startswith(file_prefix) and name.endswith(".tmp"):
                if _stale(name, file_prefix):
                    entry.unlink(missing_ok=True)
                    removed.append(entry)
            elif (
                name.startswith(STAGING_PREFIX) and entry.is_dir() and _stale(name, STAGING_PREFIX)
            ):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    if removed:
        logger.info("removed %d temporaries left by interrupted runs in %s", len(removed), folder)
    return removed


def atomic_write(
    path: str | PathLike[str],
    write: Callable[[IO[bytes]], None],
    *,
    overwrite: bool = False,
) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then move it to ``path``.

    Parameters
    ----------
    path
        Destination; its folder is created if needed.
    write
        Writes the content to the binary file object it is given.
    overwrite
        Replace an existing ``path`` (a regular file only).

    Returns
    -------
    pathlib.Path
        The destination.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false, or it is not a regular file.
    """
    dest = Path(path)
    check_target(dest, overwrite=overwrite)
    dest.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(dest)
    # mkstemp creates files readable by the owner only: give the result the usual permissions
    # (those of the file replaced, else 0o666 less the umask).
    mode = dest.stat().st_mode & 0o777 if dest.exists() else 0o666 & ~_umask()
    fd, tmp_name = tempfile.mkstemp(
        dir=dest.parent, prefix=f".{dest.name}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, mode)
        check_target(dest, overwrite=overwrite)  # it may have appeared meanwhile
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return dest


class OutputSet:
    """Several output files that appear together or not at all.

    Ask :meth:`path` for the place to write each target (a file in a hidden staging folder
    beside it), write there with any writer, then :meth:`commit` (or leave the ``with`` block
    normally). Leaving it on an exception, or calling :meth:`discard`, removes the staged files.

    Parameters
    ----------
    targets
        Output paths known in advance (checked at once: not existing, or regular files with
        ``overwrite``); :meth:`path` adds others.
    overwrite
        Replace existing files (and, with ``folder``, the whole set of the previous run).
    on_commit
        Called once every file is in place.
    folder
        The output folder this set owns: refused while another set writes into it
        (:class:`aplcore.errors.OutputBusyError`); on commit, the files of the previous run
        that this set does not replace are removed.

    Examples
    --------
    >>> with output_set([out / "a.csv", out / "b.csv"]) as outputs:  # doctest: +SKIP
    ...     write_csv(table_a, outputs.path(out / "a.csv"))
    ...     write_csv(table_b, outputs.path(out / "b.csv"))
    """

    def __init__(
        self,
        targets: Iterable[str | PathLike[str]] = (),
        *,
        overwrite: bool = False,
        on_commit: Callable[[list[Path]], None] | None = None,
        folder: str | PathLike[str] | None = None,
    ) -> None:
        self.overwrite = overwrite
        self.on_commit = on_commit
        self.committed = False
        self._staged: dict[Path, Path] = {}
        self._folders: dict[Path, Path] = {}
        self._created: list[Path] = []  # folders made for the targets, removed if none is written
        self._marker: Path | None = None
        for target in targets:
            check_target(Path(target), overwrite=overwrite)
        if folder is not None:
            self._lock(Path(folder))

    def _lock(self, folder: Path) -> None:
        """Mark ``folder`` as written by this process, or refuse it if another run does."""
        if folder.exists() and not folder.is_dir():
            msg = f"the output folder {str(folder)!r} is a file; expected a folder."
            raise OutputExistsError(msg, source=Source.of(folder), param="out")
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        self._created.extend(missing)
        marker = folder / BUSY_MARKER
        for _ in range(2):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if _marker_alive(marker):
                    self.discard()
                    msg = (
                        f"the output folder {str(folder)!r} is busy: another run (process "
                        f"{_marker_pid(marker)}) is writing into it. Wait for it to finish, or "
                        "choose another output folder."
                    )
                    raise OutputBusyError(msg, source=Source.of(folder)) from None
                marker.unlink(missing_ok=True)  # left by a run that was killed
                continue
            with os.fdopen(fd, "w") as stream:
                stream.write(str(os.getpid()))
            self._marker = marker
            return

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    @property
    def targets(self) -> list[Path]:
        """The targets asked for so far."""
        return list(self._staged)

    def path(self, target: str | PathLike[str]) -> Path:
        """Where to write ``target`` until the set is committed (same name, staging folder)."""
        if self.committed:
            msg = "this output set is committed already; start a new one."
            raise OutputSetError(msg)
        dest = Path(target)
        if dest in self._staged:
            return self._staged[dest]
        check_target(dest, overwrite=self.overwrite)
        folder = dest.parent
        if folder not in self._folders:
            missing = [p for p in (folder, *folder.parents) if not p.exists()]
            folder.mkdir(parents=True, exist_ok=True)
            self._created.extend(missing)  # deepest first
            clean_stale_temporaries(folder / "_")
            self._folders[folder] = Path(
                tempfile.mkdtemp(dir=folder, prefix=f"{STAGING_PREFIX}{os.getpid()}-")
            )
        staged = self._folders[folder] / dest.name
        if staged in self._staged.values():
            staged = Path(tempfile.mkdtemp(dir=self._folders[folder])) / dest.name
        self._staged[dest] = staged
        return staged

    __getitem__ = path

    def commit(self) -> list[Path]:
        """Move every staged file to its target; on failure take back what was moved.

        Returns
        -------
        list of pathlib.Path
            The targets written.

        Raises
        ------
        OutputExistsError
            A target appeared meanwhile (without ``overwrite``) or is not a regular file.
        OutputSetError
            A move failed: the targets already moved were removed and the files they replaced
            restored.
        """
        written = {dest: staged for dest, staged in self._staged.items() if staged.exists()}
        try:
            for dest in written:
                check_target(dest, overwrite=self.overwrite)
            previous = self._previous_run(written)
            # an interruption arriving during the moves is delivered once they are all done and
            # the set is marked committed: it can no longer leave half a set behind
            with _signals_deferred():
                moved = self._move_all(written)
                for stale in previous:
                    with contextlib.suppress(OSError):
                        stale.unlink()
                self.committed = True
                if self.on_commit is not None:
                    self.on_commit(moved)
        finally:
            self.discard()
        for dest in moved:
            logger.debug("moved into place: %s", dest)
        return moved

    def _previous_run(self, written: dict[Path, Path]) -> list[Path]:
        """Files of the previous run in the owned folder that this set does not replace."""
        if self._marker is None or not self.overwrite:
            return []
        folder = self._marker.parent
        try:
            record = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
            names = [str(n) for n in record.get("outputs", ())]
        except (OSError, ValueError, AttributeError, TypeError):
            return []
        stale = [folder / n for n in names if Path(n).name == n and folder / n not in written]
        return [p for p in stale if p.is_file() and not p.is_symlink()]

    def _move_all(self, written: dict[Path, Path]) -> list[Path]:
        moved: list[tuple[Path, Path | None]] = []
        for dest, staged in written.items():
            backup = None
            try:
                mode = 0o666 & ~_umask()
                if dest.exists():
                    mode = dest.stat().st_mode & 0o777
                    backup = staged.with_name(f"{staged.name}.previous")
                    os.replace(dest, backup)
                os.chmod(staged, mode)
                os.replace(staged, dest)
                moved.append((dest, backup))
            except OSError as exc:
                if backup is not None and backup.exists() and not dest.exists():
                    os.replace(backup, dest)
                undone = self._take_back(moved)
                msg = (
                    f"could not move {dest} into place ({exc.strerror or exc}); none of the "
                    f"{len(written)} outputs was written"
                    + (f": the {len(undone)} already moved were taken back" if undone else "")
                    + ". Check the free space and permissions of the output folder."
                )
                raise OutputSetError(msg) from exc
        return [dest for dest, _ in moved]

    @staticmethod
    def _take_back(moved: list[tuple[Path, Path | None]]) -> list[Path]:
        undone = []
        for dest, backup in reversed(moved):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, dest)
                else:
                    dest.unlink(missing_ok=True)
                undone.append(dest)
        if undone:
            logger.warning("output set not written: removed %s", ", ".join(str(p) for p in undone))
        return undone

    def discard(self) -> None:
        """Remove the staging folders and what they hold (and, when nothing was written, the
        empty folders made for the targets)."""
        for staging in self._folders.values():
            shutil.rmtree(staging, ignore_errors=True)
        self._folders.clear()
        if self._marker is not None:
            self._marker.unlink(missing_ok=True)
            self._marker = None
        if not self.committed:
            for folder in self._created:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only if empty
        self._created.clear()


def output_set(
    targets: Iterable[str | PathLike[str]] = (),
    *,
    overwrite: bool = False,
    on_commit: Callable[[list[Path]], None] | None = None,
    folder: str | PathLike[str] | None = None,
) -> OutputSet:
    """An :class:`OutputSet` to use in a ``with`` block (committed when the block succeeds)."""
    return OutputSet(targets, overwrite=overwrite, on_commit=on_commit, folder=folder)


@contextlib.contextmanager
def staged_folder(
    target: str | PathLike[str],
    *,
    overwrite: bool = False,
    replaces: Callable[[Path], bool] | None = None,
    on_commit: Callable[[list[Path]], None] | None = None,
) -> Iterator[Path]:
    """A whole output folder: written in a hidden folder beside ``target``, then swapped in.

    Yields the folder to write into; when the block ends normally it replaces ``target`` (the
    previous folder stays whole until the new one is in place), otherwise it is removed. While
    it exists, another ``staged_folder`` of the same target is refused as busy.

    Parameters
    ----------
    target
        The output folder.
    overwrite
        Replace an existing, non-empty ``target``.
    replaces
        Whether an existing ``target`` may be replaced at all (e.g. only a previous run of the
        same kind, never a folder of the user's own files).
    on_commit
        Called once the new folder is in place.

    Raises
    ------
    OutputExistsError
        ``target`` is a file, or a non-empty folder without ``overwrite`` (or not ``replaces``).
    OutputBusyError
        Another run is writing the same target.
    """
    target = Path(target)
    _check_folder_target(target, overwrite=overwrite, replaces=replaces)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}{STAGING_PREFIX}"
    for other in target.parent.glob(f"{prefix}*"):
        if _stale(other.name, prefix):
            shutil.rmtree(other, ignore_errors=True)
        else:
            msg = (
                f"the output folder {str(target)!r} is busy: another run is writing it. Wait "
                "for it to finish, or choose another output folder."
            )
            raise OutputBusyError(msg, source=Source.of(target))
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{prefix}{os.getpid()}-"))
    try:
        yield work
        _check_folder_target(target, overwrite=overwrite, replaces=replaces)
        old = target.with_name(f"{prefix}{os.getpid()}-old")
        with _signals_deferred():
            if target.exists():
                os.replace(target, old)
            os.replace(work, target)
            if on_commit is not None:
                on_commit([target])
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_folder_target(
    target: Path, *, overwrite: bool, replaces: Callable[[Path], bool] | None
) -> None:
    if target.exists() and not target.is_dir():
        msg = f"the output {str(target)!r} exists and is not a folder; choose a folder path."
        raise OutputExistsError(msg, source=Source.of(target), param="out")
    if not (target.is_dir() and any(target.iterdir())):
        return
    if overwrite and replaces is not None and not replaces(target):
        msg = (
            f"the output folder {str(target)!r} is not empty and was not written by this kind "
            "of run: it is never replaced (it may hold your inputs); choose another folder."
        )
        raise OutputExistsError(msg, source=Source.of(target))
    if not overwrite:
        msg = f"the output folder {str(target)!r} is not empty."
        fix = "Pass {param} to replace it, or choose another folder."
        raise OutputExistsError(msg, fix=fix, param="overwrite", value=True)


def _marker_pid(marker: Path) -> int | None:
    try:
        text = marker.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _marker_alive(marker: Path) -> bool:
    """Whether the run that wrote ``marker`` is still running (an unreadable one counts)."""
    pid = _marker_pid(marker)
    return True if pid is None and marker.exists() else pid is not None and _pid_alive(pid)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Block SIGINT and SIGTERM while the set is moved into place (main thread, POSIX)."""
    blockable = hasattr(signal, "pthread_sigmask") and (
        threading.current_thread() is threading.main_thread()
    )
    if not blockable:
        yield
        return
    signals = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
