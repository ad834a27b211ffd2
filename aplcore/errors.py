"""Exceptions and warnings raised by aplcore.

Every error a user can cause subclasses :class:`AplcoreError`, itself a :class:`ValueError`, so a
caller may catch either; every warning subclasses :class:`AplcoreWarning`. Messages say what was
expected, what was found (the first offending values and how many there are) and how to fix it.

Both carry where the problem is and which argument fixes it, so that each interface words the fix
its own way:

``source``
    A :class:`Source` (file, line, column) when the problem is in a file.
``param``
    The Python argument that fixes it (``"overwrite"``, ``"max_age"``); the message's fix names it
    through a ``{param}`` placeholder, rendered ``overwrite=True`` for a Python caller and as the
    option's flag (``--overwrite``) by the command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from os import PathLike
from typing import NamedTuple

__all__ = [
    "AplcoreError",
    "AplcoreWarning",
    "CatalogueError",
    "CommandError",
    "CommuneCodeError",
    "CommuneSplitWarning",
    "DuplicateError",
    "EdgeEffectWarning",
    "EmptyTerritoryWarning",
    "FarFromRoadWarning",
    "ImplausibleValueWarning",
    "IncompleteFileWarning",
    "InputFormatError",
    "InvalidValueError",
    "LostSupplyWarning",
    "MismatchError",
    "MissingCommuneError",
    "OsrmError",
    "OutputBusyError",
    "OutputExistsError",
    "OutputSetError",
    "ParameterError",
    "RequestError",
    "Source",
    "TimeUnitsWarning",
    "UnknownCodeWarning",
    "ZoningWarning",
    "describe_values",
    "reading",
    "source_of",
    "type_name",
]


class _NoValue:
    """The ``value`` of an error that suggests no particular value for its ``param``."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


class Source(NamedTuple):
    """Where in a file a problem is: the file, and the line and column when known."""

    file: str
    line: int | None = None
    column: str | int | None = None

    @classmethod
    def of(
        cls, file: str | PathLike[str], line: int | None = None, column: object = None
    ) -> Source:
        """A source from a path (or a name) and optional line and column."""
        import os

        return cls(os.fspath(file), line, None if column is None else str(column))

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


def _api_form(param: str, value: object) -> str:
    return f"{param}=" if value is NO_VALUE else f"{param}={value!r}"


class _Pointed:
    """What :class:`AplcoreError` and :class:`AplcoreWarning` share: ``source``, ``param`` and a
    fix worded for the interface that reports it."""

    message: str
    fix: str | None
    source: Source | None
    param: str | None
    value: object

    def __init__(
        self,
        message: str = "",
        *,
        fix: str | None = None,
        source: Source | None = None,
        param: str | None = None,
        value: object = NO_VALUE,
    ) -> None:
        super().__init__(message)  # ValueError or UserWarning, next in the subclass's MRO
        self.message = message
        self.fix = fix
        self.source = source
        self.param = param
        self.value = value

    def render(
        self,
        spell: Callable[[str, object], str | None] | None = None,
        *,
        fix: str | None = None,
    ) -> str:
        """The message and its fix, ``{param}`` spelt by ``spell(param, value)``.

        The default spells the Python argument (``overwrite=True``); the command line gives its
        flag (``--overwrite``), or ``None`` to leave out a fix its users cannot apply. ``fix``
        replaces the fix (an interface that words it its own way).
        """
        fix = self.fix if fix is None else fix or None
        if self.param is None:
            return self.message if fix is None else f"{self.message} {fix}"
        spelt = (spell or _api_form)(self.param, self.value)
        if spelt is None:
            spelt = _api_form(self.param, NO_VALUE)
            fix = None if fix is not None and "{param}" in fix else fix
        text = self.message if fix is None else f"{self.message} {fix}"
        return text.replace("{param}", spelt)

    def __str__(self) -> str:
        return self.render()


class AplcoreError(_Pointed, ValueError):
    """Base class of the errors raised on bad input.

    Parameters
    ----------
    message
        What was expected and what was found.
    fix
        How to fix it; ``{param}`` stands for the argument that does (see ``param``, ``value``).
    source
        The file (line, column) the problem is in.
    param
        The Python argument that fixes the problem.
    value
        The value of ``param`` the fix suggests, if any.
    """


class CommuneCodeError(AplcoreError):
    """Commune codes that are not 5-character INSEE codes (integers, lost leading zeros, ...)."""


class MissingCommuneError(AplcoreError):
    """Communes referenced by one input and absent from another."""


class DuplicateError(AplcoreError):
    """Duplicated origin-destination pairs, commune rows or practitioner rows."""


class InvalidValueError(AplcoreError):
    """Negative, NaN, infinite or implausible numbers (times, populations, activity, ages)."""


class InputFormatError(AplcoreError):
    """Missing or unexpected columns, empty tables, wrong shapes."""


class ParameterError(AplcoreError):
    """Method parameters that are out of range or inconsistent."""


class RequestError(ParameterError):
    """A request the zoning web app refuses (shape, size or field)."""


class MismatchError(AplcoreError):
    """Objects built for different commune sets or different methods combined together."""


class OsrmError(AplcoreError):
    """An OSRM server that refuses a request or cannot be reached, or OSRM tools that are missing
    or fail on an extract."""


class AplcoreWarning(_Pointed, UserWarning):
    """Base class of aplcore's warnings (same ``fix``, ``source``, ``param`` and ``value`` as
    :class:`AplcoreError`)."""


@contextlib.contextmanager
def reading(path: str | PathLike[str]) -> Iterator[None]:
    """Name ``path`` as the source of any error raised while reading it.

    An :class:`AplcoreError` without a ``source`` gets this one; any other exception (a parser's,
    a decoder's) gets it as ``aplcore_source`` (see :func:`source_of`).
    """
    try:
        yield
    except Exception as exc:
        if source_of(exc) is None:
            where = Source.of(path)
            if isinstance(exc, AplcoreError):
                exc.source = where
            else:
                with contextlib.suppress(AttributeError, TypeError):
                    exc.aplcore_source = where  # type: ignore[attr-defined]
        raise


def source_of(exc: BaseException) -> Source | None:
    """The file an exception is about, when :func:`reading` or the raiser named it."""
    if isinstance(exc, AplcoreError | AplcoreWarning) and exc.source is not None:
        return exc.source
    return getattr(exc, "aplcore_source", None)


def describe_values(values: Iterable[object], *, limit: int = 5) -> str:
    """Format the first offending values and their count for an error message.

    Parameters
    ----------
    values
        The offending values, in the order they should be reported.
    limit
        How many values to show before summarising the rest.

    Returns
    -------
    str
        For instance ``"'1001', '2001' and 3 more (5 in all)"``.
    """
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    if len(items) > limit:
        return f"{shown} and {len(items) - limit} more ({len(items)} in all)"
    return shown


#: Libraries whose type names are known to every reader of a message: the bare name is enough.
_PLAIN_MODULES = ("builtins", "pandas", "numpy", "aplcore")


def type_name(value: object) -> str:
    """The type of ``value`` for a message, qualified by its library when that is not pandas.

    A Polars or Arrow table reads ``polars.DataFrame (convert it with .to_pandas())``, not the
    bare ``DataFrame`` that a message saying "expected a DataFrame" would contradict.
    """
    cls = type(value)
    module = cls.__module__.split(".")[0]
    if module in _PLAIN_MODULES:
        return cls.__name__
    name = f"{module}.{cls.__name__}"
    if callable(getattr(value, "to_pandas", None)):
        name += " (convert it with .to_pandas())"
    return name


class ImplausibleValueWarning(AplcoreWarning):
    """A value that parses but lies outside its plausible range, likely in another unit.

    The ranges are listed in :data:`aplcore.plausibility.RANGES`; silence the warning for one
    call with :func:`aplcore.implausible_values`.
    """


class TimeUnitsWarning(ImplausibleValueWarning):
    """Travel times whose values look like seconds or hours rather than minutes."""


class UnknownCodeWarning(AplcoreWarning):
    """Commune codes absent from the Code officiel géographique (or merged into another)."""


class EdgeEffectWarning(AplcoreWarning):
    """APL computed on an area without the ring of neighbours its border communes need."""


class IncompleteFileWarning(AplcoreWarning):
    """A text table that does not end with a line break: its last line may have been cut."""


class FarFromRoadWarning(AplcoreWarning):
    """Points that a routing engine snaps to a road far from them (their times start there)."""


class EmptyTerritoryWarning(AplcoreWarning):
    """Territories or groups without population (no weight): their mean APL is undefined."""


class LostSupplyWarning(AplcoreWarning):
    """Supply located in practice communes that no demand reaches."""


class ZoningWarning(AplcoreWarning):
    """A cap or a rule that the mandatory zone alone, or an agency choice, breaks."""


class CommuneSplitWarning(AplcoreWarning):
    """A commune of the input lost part of its territory to a restored commune."""


class CatalogueError(AplcoreError):
    """An aids catalogue that does not follow the schema, or a date no entry covers."""


class CommandError(AplcoreError):
    """A user error of the command line (missing file, refused overwrite, bad option)."""


class OutputExistsError(AplcoreError):
    """The output file exists and ``overwrite=True`` was not given, or it is not a regular file."""


class OutputSetError(AplcoreError):
    """An output set could not be committed whole (what was moved has been taken back)."""


class OutputBusyError(OutputSetError):
    """Another run is writing into the same output folder."""
