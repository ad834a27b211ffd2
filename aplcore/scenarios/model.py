"""The scenario model: named changes to a baseline, grids and seeded Monte Carlo draws.

A :class:`Scenario` is a name and a tuple of changes (:mod:`aplcore.scenarios.changes`, all
exported here too): each is a small frozen dataclass that says what it touches
(:attr:`Change.target`: ``supply``, ``demand``, ``decay``, ``age`` or ``zoning``).

Random changes carry their seed and draw number, so a scenario is reproduced exactly from the
scenario table (:func:`scenario_table` and :func:`scenarios_from_table` round-trip it).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..decay import Decay
from ..errors import ParameterError, describe_values
from .changes import (
    CHANGES,
    ActivityNoise,
    AddPractitioners,
    AddSupply,
    AgeLimit,
    Change,
    DecayChange,
    NewInstallations,
    ProjectPopulation,
    RemovePractitioners,
    RetireAbove,
    ScaleActivity,
    ScaleDemand,
    ScaleSupply,
    WeightsVintage,
    ZoningChange,
)

__all__ = [
    "ActivityNoise",
    "AddPractitioners",
    "AddSupply",
    "AgeLimit",
    "Change",
    "DecayChange",
    "NewInstallations",
    "ProjectPopulation",
    "RemovePractitioners",
    "RetireAbove",
    "ScaleActivity",
    "ScaleDemand",
    "ScaleSupply",
    "Scenario",
    "WeightsVintage",
    "ZoningChange",
    "grid",
    "monte_carlo",
    "scenario_table",
    "scenarios_from_table",
]

#: Targets a scenario changes at most once.
_SINGLE = ("decay", "age", "zoning")


# ------------------------------------------------------------------------------- scenario
@dataclass(frozen=True)
class Scenario:
    """A named set of changes to the baseline (an empty set is the baseline itself).

    At most one change of each of the targets ``decay``, ``age`` and ``zoning``; supply and demand
    changes apply in the order given.
    """

    name: str
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        changes = tuple(self.changes)
        bad = [c for c in changes if not isinstance(c, Change)]
        if bad:
            msg = (
                f"scenario {self.name!r}: changes must be aplcore.scenarios change objects, found "
                f"{describe_values([type(c).__name__ for c in bad])}."
            )
            raise ParameterError(msg)
        for target in _SINGLE:
            found = [type(c).__name__ for c in changes if c.target == target]
            if len(found) > 1:
                msg = (
                    f"scenario {self.name!r} has {len(found)} {target} changes "
                    f"({describe_values(found)}); give at most one."
                )
                raise ParameterError(msg)
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "changes", changes)

    def of(self, target: str) -> tuple[Change, ...]:
        """The changes of one target."""
        return tuple(c for c in self.changes if c.target == target)

    def one(self, target: str) -> Change | None:
        """The change of a single-valued target (decay, age, zoning), or None."""
        found = self.of(target)
        return found[0] if found else None


def _labelled(axis: str, values: Sequence[Any] | Mapping[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(values, Mapping):
        return [(str(k), v) for k, v in values.items()]
    return [(f"{axis}={_short(v)}", v) for v in values]


def _short(value: Any) -> str:
    if isinstance(value, Change):
        fields = [str(getattr(value, f.name)) for f in dataclasses.fields(value)]  # type: ignore[arg-type]
        return ",".join(fields)
    return str(value)


def grid(base: Sequence[Change] = (), **axes: Sequence[Any] | Mapping[str, Any]) -> list[Scenario]:
    """The cartesian product of axes of changes, one scenario per combination.

    Parameters
    ----------
    base
        Changes common to every scenario.
    **axes
        Name → a list of changes (or of tuples of changes, or None for "no change"), or a mapping
        label → change. Scenario names join the labels (``left|65``; a list labels its values
        ``axis=value``). An axis of
        decays and an axis of band edges combine into one :class:`DecayChange` per point.

    Examples
    --------
    >>> from aplcore.scenarios import AgeLimit, DecayChange, grid
    >>> scenarios = grid(
    ...     closed={"left": DecayChange(closed="left"), "right": DecayChange(closed="right")},
    ...     age={"60": AgeLimit(60), "65": AgeLimit(65)},
    ... )
    >>> [s.name for s in scenarios]
    ['left|60', 'left|65', 'right|60', 'right|65']
    """
    if not axes:
        msg = "grid() needs at least one axis, e.g. grid(age=[AgeLimit(60), AgeLimit(65)])."
        raise ParameterError(msg)
    labelled = []
    for axis, values in axes.items():
        items = _labelled(axis, values)
        if not items:
            msg = f"grid axis {axis!r} is empty."
            raise ParameterError(msg)
        labelled.append(items)
    out = []
    for combination in itertools.product(*labelled):
        name = "|".join(label for label, _ in combination)
        changes: list[Change] = list(base)
        for _, value in combination:
            if value is None:
                continue
            changes.extend(value if isinstance(value, tuple | list) else (value,))
        out.append(Scenario(name, tuple(_merge_decays(name, changes))))
    return out


def _merge_decays(name: str, changes: list[Change]) -> list[Change]:
    """One :class:`DecayChange` from axes that set the decay and the band edges separately."""
    decays = [c for c in changes if isinstance(c, DecayChange)]
    if len(decays) < 2:
        return changes
    chosen = [c.decay for c in decays if c.decay is not None]
    edges = [c.closed for c in decays if c.closed is not None]
    if len(chosen) > 1 or len(edges) > 1:
        msg = (
            f"grid point {name!r}: two axes set the {'decay' if len(chosen) > 1 else 'band edges'}"
            "; give each of decay and closed on one axis only."
        )
        raise ParameterError(msg)
    merged = DecayChange(decay=chosen[0] if chosen else None, closed=edges[0] if edges else None)
    return [c for c in changes if not isinstance(c, DecayChange)] + [merged]


def monte_carlo(
    n: int,
    *,
    seed: int,
    activity_cv: float | None = None,
    new_installations: float | None = None,
    base: Sequence[Change] = (),
    prefix: str = "draw",
) -> list[Scenario]:
    """``n`` random scenarios: activity variation and/or new installations, from one seed.

    Draw ``k`` uses the random streams of ``(seed, k)``, so any draw is reproduced alone from the
    seed and its number (stored in the scenario table).

    Parameters
    ----------
    n
        Number of draws.
    seed
        Non-negative integer seed.
    activity_cv
        Coefficient of variation of each practitioner's yearly activity (:class:`ActivityNoise`).
    new_installations
        Expected number of new installations per draw (:class:`NewInstallations`).
    base
        Changes common to every draw.
    prefix
        Scenario names are ``f"{prefix}_{k:05d}"``.
    """
    if int(n) != n or n < 1:
        msg = f"monte_carlo needs a positive whole number of draws, found {n!r}."
        raise ParameterError(msg)
    if int(seed) != seed or seed < 0:
        msg = f"the seed must be a non-negative whole number, found {seed!r}."
        raise ParameterError(msg)
    if activity_cv is None and new_installations is None:
        msg = "monte_carlo needs activity_cv and/or new_installations: nothing would vary."
        raise ParameterError(msg)
    out = []
    for k in range(int(n)):
        changes: list[Change] = list(base)
        if activity_cv is not None:
            changes.append(ActivityNoise(activity_cv, seed, k))
        if new_installations is not None:
            changes.append(NewInstallations(new_installations, seed, k))
        out.append(Scenario(f"{prefix}_{k:05d}", tuple(changes)))
    return out


# ------------------------------------------------------------------------------- table
def scenario_table(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """One row per scenario: ``scenario`` (name), ``changes`` (JSON), and one readable column
    per target. Reproduces the scenarios exactly with :func:`scenarios_from_table`."""
    names = [s.name for s in scenarios]
    dup = pd.Index(names)[pd.Index(names).duplicated()].unique().tolist()
    if dup:
        msg = f"scenario names must be unique; repeated: {describe_values(dup)}."
        raise ParameterError(msg)
    rows = []
    for s in scenarios:
        row: dict[str, Any] = {
            "scenario": s.name,
            "changes": json.dumps([c.to_dict() for c in s.changes], sort_keys=True),
        }
        for target in ("supply", "demand", "decay", "age", "zoning"):
            row[target] = "; ".join(f"{type(c).__name__}({_short(c)})" for c in s.of(target))
        rows.append(row)
    return pd.DataFrame(rows)


def _from_dict(data: Mapping[str, Any]) -> Change:
    data = dict(data)
    name = data.pop("change", None)
    cls = CHANGES.get(str(name))
    if cls is None:
        msg = f"unknown change {name!r}; changes are {sorted(CHANGES)}."
        raise ParameterError(msg)
    if cls is ProjectPopulation and "factors_by_commune" in data:
        frame = pd.DataFrame(data.pop("factors_by_commune"))
        frame.index = frame.index.astype(str)
        data["factors"] = frame
    if cls is DecayChange and isinstance(data.get("decay"), Mapping):
        d = data["decay"]
        data["decay"] = Decay(d["decay"], tuple(d["params"]), d["closed"], d.get("name", "custom"))
    for key in ("communes", "ids", "thresholds", "weights"):
        if isinstance(data.get(key), list):
            data[key] = tuple(data[key])
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        msg = f"{cls.__name__} has no fields {unknown}; its fields are {sorted(known)}."
        raise ParameterError(msg)
    return cls(**data)


def scenarios_from_table(table: pd.DataFrame) -> list[Scenario]:
    """The scenarios of a table written by :func:`scenario_table`."""
    if not {"scenario", "changes"} <= set(table.columns):
        msg = (
            "a scenario table needs the columns 'scenario' and 'changes' (as written by "
            f"scenario_table); found {list(table.columns)}."
        )
        raise ParameterError(msg)
    return [
        Scenario(str(name), tuple(_from_dict(d) for d in json.loads(changes)))
        for name, changes in zip(table["scenario"], table["changes"], strict=True)
    ]
