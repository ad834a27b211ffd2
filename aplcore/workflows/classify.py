"""From files to a zoning: an APL table, a commune → territory table, caps and choices, as
``aplcore classify`` reads them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputFormatError, ParameterError, Source

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..zoning import Zoning

__all__ = ["ClassifiedFiles", "classify_files", "territory_table"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ClassifiedFiles:
    """The zoning of :func:`classify_files`, and its comparison with the zoning in force."""

    zoning: Zoning
    comparison: Any = None


def territory_table(path: PathLike, column: str | None = None) -> pd.DataFrame:
    """Commune → territory (+ ``departement``, ``region`` when present) from a territory file.

    ``column`` chooses the territory column (default: ``territory``, or the only column besides
    ``departement`` and ``region``).
    """
    from ..io import read_territories

    table = read_territories(path)
    extra = [c for c in table.columns if c not in ("departement", "region")]
    if column is None:
        if "territory" in table.columns:
            column = "territory"
        elif len(extra) == 1:
            column = extra[0]
        else:
            msg = f"the territory table {path} has several territory columns ({', '.join(extra)}):"
            raise InputFormatError(
                msg,
                fix="choose one with {param}.",
                param="territory_column",
                source=Source.of(path),
            )
    if column not in table.columns:
        msg = (
            f"the territory table {path} has no column {column!r}; its columns are "
            f"{', '.join(table.columns)}."
        )
        raise InputFormatError(msg, source=Source.of(path))
    keep = [c for c in ("departement", "region") if c in table.columns]
    out = table[[column, *keep]].rename(columns={column: "territory"})
    out.index.name = "code"
    return out


def _population(apl_table: pd.DataFrame, apl: PathLike, population: PathLike | None) -> Any:
    from ..io import read_code_frame

    if population is not None:
        pop_table = read_code_frame(Path(population), what="the population table")
        if "population" not in pop_table.columns:
            msg = f"the population table {population} needs a 'population' column."
            raise InputFormatError(msg, source=Source.of(population))
        return pop_table["population"]
    if "population" in apl_table.columns:
        return apl_table["population"]
    msg = f"the APL table {apl} has no 'population' column: add one or give"
    fix = "{param} FILE (code, population)."
    raise InputFormatError(msg, fix=fix, param="population", source=Source.of(apl))


def _caps_options(
    caps: dict[str, float] | None, margin: float | None, caps_file: PathLike | None
) -> dict[str, Any]:
    from ..io.caps import read_caps_file

    if caps_file is not None and (caps or margin is not None):
        msg = "give the caps either with {param} or with the caps and margin, not both."
        raise ParameterError(msg, param="caps_file")
    options: dict[str, Any] = {}
    if caps:
        options["caps"] = caps
        options["cap_unit"] = "share" if max(caps.values()) <= 1 else "inhabitants"
    if margin is not None:
        options["margin"] = margin
    if caps_file is not None:
        options.update(read_caps_file(caps_file))
    return options


def classify_files(
    apl: PathLike,
    territories: PathLike,
    *,
    territory_column: str | None = None,
    population: PathLike | None = None,
    method: str = "zonage_2025",
    thresholds: tuple[float, ...] | None = None,
    caps: dict[str, float] | None = None,
    margin: float | None = None,
    caps_file: PathLike | None = None,
    choices: PathLike | None = None,
    in_force: PathLike | None = None,
    strict: bool = False,
) -> ClassifiedFiles:
    """Classify the territories of files: the zoning, and its comparison with ``in_force``.

    Parameters
    ----------
    apl
        APL table: ``code``, ``apl`` and (unless ``population`` is given) ``population``.
    territories, territory_column
        Commune → territory table, and its territory column (see :func:`territory_table`).
    population
        Population by commune (``code``, ``population``).
    method, thresholds, caps, margin, strict
        As :func:`aplcore.zoning.classify_zones`.
    caps_file
        Caps of several régions (see :func:`aplcore.io.caps.read_caps_file`), instead of
        ``caps`` and ``margin``.
    choices
        The agency's choices (see :func:`aplcore.zoning.read_choices`).
    in_force
        The national zoning file in force, compared with the recomputed zoning.
    """
    from .._checks import non_negative_numbers
    from ..io import read_code_frame
    from ..zoning import classify_zones, compare_zonings, read_choices, zoning_in_force

    options = _caps_options(caps, margin, caps_file)
    apl_table = read_code_frame(Path(apl), what="the APL table")
    if "apl" not in apl_table.columns:
        msg = (
            f"the APL table {apl} needs an 'apl' column; found columns "
            f"{', '.join(map(str, apl_table.columns))}."
        )
        raise InputFormatError(msg, source=Source.of(apl))
    pop = _population(apl_table, apl, population)
    if thresholds:
        options["thresholds"] = tuple(thresholds)
    if choices is not None:
        table = read_choices(choices)
        options["overrides"] = table.replace({"commune": {"": None}, "population": {"": None}})
    zoning = classify_zones(
        non_negative_numbers(apl_table["apl"], what=f"apl of {Path(apl).name}"),
        population=non_negative_numbers(pop, what="population"),
        territory=territory_table(territories, territory_column),
        method=method,
        strict=strict,
        **options,
    )
    comparison = None
    if in_force is not None:
        current = zoning_in_force(in_force)
        current = current[current.index.isin(zoning.communes.index)]
        comparison = compare_zonings(current, zoning, labels=("in force", "recomputed"))
    return ClassifiedFiles(zoning, comparison)
