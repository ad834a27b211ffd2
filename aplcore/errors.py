"""Exceptions raised by aplcore.

Every error a user can cause subclasses :class:`AplcoreError`, itself a :class:`ValueError`, so a
caller may catch either. Messages say what was expected, what was found (the first offending values
and how many there are) and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AplcoreError",
    "CommuneCodeError",
    "DuplicateError",
    "EmptyTerritoryWarning",
    "IncompleteFileWarning",
    "InputFormatError",
    "InvalidValueError",
    "MismatchError",
    "MissingCommuneError",
    "ParameterError",
    "TimeUnitsWarning",
    "UnknownCodeWarning",
    "describe_values",
]


class AplcoreError(ValueError):
    """Base class of the errors raised on bad input."""


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


class MismatchError(AplcoreError):
    """Objects built for different commune sets or different methods combined together."""


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


class TimeUnitsWarning(UserWarning):
    """Travel times whose values look like seconds or hours rather than minutes."""


class UnknownCodeWarning(UserWarning):
    """Commune codes absent from the Code officiel géographique (or merged into another)."""


class EdgeEffectWarning(UserWarning):
    """APL computed on an area without the ring of neighbours its border communes need."""


class IncompleteFileWarning(UserWarning):
    """A text table that does not end with a line break: its last line may have been cut."""


class EmptyTerritoryWarning(UserWarning):
    """Territories or groups without population (no weight): their mean APL is undefined."""
