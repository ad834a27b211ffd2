"""Plausible ranges of the numbers users give, and the warning when one falls outside.

Every input is checked for being a number; these checks ask whether it is the number the user
meant. A value outside its range gives one :class:`aplcore.errors.ImplausibleValueWarning`
naming the value and the likely unit mistake (percentages for ratios, thousands for counts,
seconds for minutes). The ranges are wide: a value outside them is almost surely a unit mistake,
and a value inside them is not proven right.

Silence the warnings for one call (or turn them into errors) with :func:`implausible_values`::

    with aplcore.implausible_values("ignore", only=["gp_activity"]):
        supply = aplcore.count_gp_activity(practitioners)

The table of ranges in the documentation (``docs/formats.md``) is :func:`ranges_table`, checked
against this module by a test.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .errors import ImplausibleValueWarning, InvalidValueError, ParameterError, describe_values

__all__ = [
    "RANGES",
    "PlausibleRange",
    "check_plausible",
    "implausible_values",
    "ranges_table",
]

Action = Literal["warn", "ignore", "error"]
Statistic = Literal["each", "median", "total"]


@dataclass(frozen=True)
class PlausibleRange:
    """The range a quantity is expected in, and what a value outside it likely means.

    Attributes
    ----------
    name
        Key of the range (used by :func:`implausible_values`).
    quantity
        What is checked, as messages name it.
    statistic
        ``"each"``: every value; ``"median"``: the median of the values; ``"total"``: a ratio of
        totals computed by the caller.
    low, high
        The plausible range, bounds included.
    unit
        Unit the values are expected in.
    above, below
        The likely mistake when the statistic is above ``high`` or below ``low``.
    """

    name: str
    quantity: str
    statistic: Statistic
    low: float
    high: float
    unit: str
    above: str
    below: str


RANGES: dict[str, PlausibleRange] = {
    r.name: r
    for r in (
        PlausibleRange(
            "age_weight",
            "age-band weight",
            "each",
            0.1,
            5.0,
            "ratio to the national mean consumption (DREES 2023: 0.51 to 2.26)",
            "percentages (112 for 1.12): divide them by 100",
            "per-mille or weights divided twice: give ratios near 1",
        ),
        PlausibleRange(
            "gp_activity",
            "recorded activity per GP",
            "median",
            250.0,
            15_000.0,
            "consultations and visits per year (French median about 4 500)",
            "a total over several years or several GPs: give one year per GP",
            "thousands of consultations (5 for 5 000): multiply by 1 000",
        ),
        PlausibleRange(
            "commune_population",
            "population of a commune",
            "each",
            0.0,
            2_500_000.0,
            "inhabitants (Paris, the largest commune: 2.1 million)",
            "a département or région total, or a figure not in inhabitants",
            "negative counts",
        ),
        PlausibleRange(
            "standardised_ratio",
            "standardised / total population",
            "total",
            0.5,
            2.0,
            "ratio of the totals (near 1: the weights are relative to the national mean)",
            "age weights in percentages (x100) or a population counted twice",
            "weights divided twice, or demand and population of different areas",
        ),
        PlausibleRange(
            "apl_gp",
            "GP APL",
            "median",
            0.1,
            20.0,
            "consultations per standardised inhabitant and year (France 2023: 3.3)",
            "an APL per 100 000 inhabitants (other professions) or a scale= left on",
            "supply in FTE or in thousands of consultations instead of consultations",
        ),
        PlausibleRange(
            "neighbour_minutes",
            "car time to the nearest other commune",
            "median",
            0.2,
            60.0,
            "minutes (neighbouring communes: a few minutes)",
            "seconds (600 for 10 minutes): declare units='seconds' (CLI: --time-units)",
            "hours (0.1 for 6 minutes): declare units='hours' (CLI: --time-units)",
        ),
    )
}

_ACTIONS = ("warn", "ignore", "error")
_CURRENT: ContextVar[dict[str, Action]] = ContextVar("aplcore_plausibility", default={})  # noqa: B039


@contextmanager
def implausible_values(
    action: Action = "ignore", *, only: Iterable[str] | None = None
) -> Iterator[None]:
    """Ignore (or refuse) implausible values inside a ``with`` block.

    Parameters
    ----------
    action
        ``"ignore"``: no warning; ``"error"``: an :class:`aplcore.errors.InvalidValueError`
        instead of the warning; ``"warn"``: the default behaviour.
    only
        Names of the ranges concerned (keys of :data:`RANGES`); all of them when None.

    Examples
    --------
    >>> import aplcore
    >>> from aplcore.demand import band_weights
    >>> with aplcore.implausible_values("ignore", only=["age_weight"]):
    ...     weights = band_weights([150.0] * 19)
    """
    if action not in _ACTIONS:
        msg = f"action must be one of {list(_ACTIONS)}, found {action!r}."
        raise ParameterError(msg)
    names = list(RANGES) if only is None else [only] if isinstance(only, str) else list(only)
    unknown = [n for n in names if n not in RANGES]
    if unknown:
        msg = f"unknown plausibility ranges {describe_values(unknown)}; known: {list(RANGES)}."
        raise ParameterError(msg)
    token = _CURRENT.set({**_CURRENT.get(), **dict.fromkeys(names, action)})
    try:
        yield
    finally:
        _CURRENT.reset(token)


def action_for(name: str) -> Action:
    """What to do with an implausible value of range ``name`` here (``"warn"`` by default)."""
    return _CURRENT.get().get(name, "warn")


def report(name: str, message: str, *, fix: str, stacklevel: int = 3) -> str | None:
    """Warn (or raise, or stay silent) with ``message`` as :func:`implausible_values` says.

    The fix (silencing) is a Python one: its ``param`` lets the command line leave it out.
    """
    action = action_for(name)
    if action == "ignore":
        return None
    if action == "error":
        raise InvalidValueError(message, fix=fix, param="implausible_values")
    warning = ImplausibleValueWarning(message, fix=fix, param="implausible_values")
    warnings.warn(warning, stacklevel=stacklevel + 1)
    return str(warning)


def check_plausible(
    name: str,
    values: Sequence[float] | np.ndarray | float,
    *,
    labels: Sequence[object] | None = None,
    what: str | None = None,
    stacklevel: int = 2,
) -> str | None:
    """Warn when ``values`` fall outside the range ``name`` of :data:`RANGES`.

    Parameters
    ----------
    name
        Key of the range.
    values
        The values (or, for a ``"total"`` range, the one ratio).
    labels
        A label per value (commune codes, band names), named in the message.
    what
        Where the values come from (``"practitioners: activity"``), prefixed to the message.
    stacklevel
        Which frame the warning names: 2 (the default) is the caller of the function that
        calls this one, each further level one frame up.

    Returns
    -------
    str or None
        The message given, or None when the values are plausible (or ignored).
    """
    spec = RANGES[name]
    if action_for(name) == "ignore":
        return None
    array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    keep = np.isfinite(array)
    if not keep.any():
        return None
    prefix = f"{what}: " if what else ""
    if spec.statistic == "each":
        high = keep & (array > spec.high)
        low = keep & (array < spec.low)
        bad = high if high.any() else low
        if not bad.any():
            return None
        positions = np.flatnonzero(bad)
        shown = (
            [(labels[k], float(array[k])) for k in positions]
            if labels is not None
            else [float(array[k]) for k in positions]
        )
        found = f"{int(bad.sum())} values outside it: {describe_values(shown)}"
        mistake = spec.above if high.any() else spec.below
    else:
        stat = float(np.median(array[keep])) if spec.statistic == "median" else float(array[0])
        if spec.low <= stat <= spec.high:
            return None
        label = "the median is" if spec.statistic == "median" else "found"
        found = f"{label} {stat:.4g}"
        mistake = spec.above if stat > spec.high else spec.below
    message = (
        f"{prefix}implausible {spec.quantity}: expected {spec.low:g} to {spec.high:g} "
        f"{spec.unit}; {found}. Likely {mistake}."
    )
    fix = (
        "If the values are right, silence this with "
        f"aplcore.implausible_values('ignore', only=['{name}'])."
    )
    return report(name, message, fix=fix, stacklevel=stacklevel + 1)


def ranges_table() -> str:
    """The ranges as a Markdown table (the one in the documentation)."""
    lines = [
        "| range | checked | plausible | unit | above: likely | below: likely |",
        "|---|---|---|---|---|---|",
    ]
    for r in RANGES.values():
        lines.append(
            f"| `{r.name}` | {r.quantity} ({r.statistic}) | {r.low:g} to {r.high:g} | {r.unit} "
            f"| {r.above} | {r.below} |"
        )
    return "\n".join(lines)
