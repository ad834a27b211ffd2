"""From files to a zoning: an APL table, a commune → territory table, caps and choices, as
``aplcore classify`` reads them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._checks import non_negative_numbers
from ..errors import InputFormatError, MissingCommuneError, ParameterError, Source
from ..io import read_code_frame, read_territories
from ..io.caps import read_caps_file
from ..runinfo import write_run
from ..zoning import (
    classify_zones,
    compare_zonings,
    format_annex,
    read_choices,
    zoning_in_force,
)
from .summary import ZONING_NAMES
from .workbook import _finite

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..zoning import Zoning

__all__ = ["ClassifiedFiles", "classify_files", "classify_outputs", "territory_table"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ClassifiedFiles:
    """The zoning of :func:`classify_files`, and its comparison with the zoning in force.

    ``settings`` and ``data`` are the parameters and inputs, as recorded in the run record.
    """

    zoning: Zoning
    comparison: Any = None
    method: str = "zonage_2025"
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)

    def tables(self, *, date_arrete: str | None = None) -> dict[str, pd.DataFrame]:
        """The tables of the zoning (and of the comparison), by role (see
        :func:`classify_outputs`), ready to write: no cap is an empty cell, not ``inf``."""
        zoning = self.zoning
        tables = {
            "communes": zoning.communes,
            "territories": _finite(zoning.territories),
            "report": _finite(zoning.report).set_index("region"),
            "checks": _finite(zoning.checks),
            "national": zoning.to_national_schema(date_arrete=date_arrete).set_index("com_code"),
            "table": _finite(zoning.published_table()).reset_index().set_index("region"),
            "annex": zoning.decree_annex().set_index("zone"),
        }
        if self.comparison is not None:
            comparison = self.comparison
            tables["comparison_communes"] = comparison.communes
            for part, frame in (
                ("departements", comparison.by_departement),
                ("regions", comparison.by_region),
                ("transitions", comparison.transitions),
            ):
                tables[f"comparison_{part}"] = frame.reset_index()
        return tables

    def annex_text(self) -> str:
        """The decree annex as text."""
        return format_annex(self.zoning.decree_annex(), title=f"Annexe : zones ({self.method})")

    def draw_maps(self, paths: Mapping[str, Path], *, dpi: float = 200.0) -> list[str]:
        """The zoning map (``paths["map"]``) and the comparison map (``"comparison_map"``) that
        ``paths`` asks for; a map that cannot be drawn is a text file saying why. Returns notes."""
        notes = []
        method = self.method
        title = ZONING_NAMES.get(method, f"Zoning ({method} method)")
        source = f"zoning: aplcore classify, method {method}"
        for role, draw in (
            ("map", lambda p: self.zoning.plot_map(path=p, title=title, source=source, dpi=dpi)),
            ("comparison_map",
             lambda p: self.comparison.plot(path=p, source="aplcore classify", dpi=dpi)),
        ):  # fmt: skip
            if role not in paths:
                continue
            try:
                draw(paths[role])
            except MissingCommuneError as exc:
                paths[role].write_text(f"no map: {exc}\n", encoding="utf-8")
                if role == "map":
                    notes.append(f"no map ({exc})")
        return notes

    def write_record(self, path: Path, *, outputs: Sequence[Path], **settings: Any) -> Path:
        """The run record: the method and its thresholds and caps, the inputs, the output
        ``settings`` given (and ``argv``, the command line)."""
        argv = settings.pop("argv", None)
        return write_run(path, "classify", settings={**self.settings, **settings},
                         outputs=outputs, data=self.data, argv=argv)  # fmt: skip


def classify_outputs(
    out: PathLike, *, maps: bool = True, map_format: str = "png", comparison: bool = False
) -> dict[str, Path]:
    """The files of a classification in the folder ``out``, by role."""
    out = Path(out)
    names = {
        role: out / name
        for role, name in (
            ("communes", "zoning_communes.csv"), ("territories", "zoning_territories.csv"),
            ("report", "zoning_report.csv"), ("checks", "zoning_checks.csv"),
            ("national", "zonage_communes.csv"), ("table", "zoning_table_by_departement.csv"),
            ("annex", "decree_annex.csv"), ("annex_text", "decree_annex.txt"),
            ("run", "run.json"),
        )
    }  # fmt: skip
    if maps:
        names["map"] = out / f"zoning_map.{map_format}"
    if comparison:
        for part in ("communes", "departements", "regions", "transitions"):
            names[f"comparison_{part}"] = out / f"comparison_{part}.csv"
        if maps:
            names["comparison_map"] = out / f"comparison_map.{map_format}"
    return names


def territory_table(path: PathLike, column: str | None = None) -> pd.DataFrame:
    """Commune → territory (+ ``departement``, ``region`` when present) from a territory file.

    ``column`` chooses the territory column (default: ``territory``, or the only column besides
    ``departement`` and ``region``).
    """

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


def classify_files(  # noqa: PLR0913 - public entry point, keyword options
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
    settings = {
        "method": getattr(zoning.method, "name", method),
        "zones": list(getattr(zoning.method, "zones", ())),
        "thresholds": list(getattr(zoning.method, "thresholds", None) or ()) or None,
        "caps": dict(caps) if caps else None, "margin": margin,
        "caps_file": str(caps_file) if caps_file is not None else None,
        "territory_column": territory_column, "strict": bool(strict),
    }  # fmt: skip
    inputs = {"apl": apl, "territories": territories, "population": population,
              "choices": choices, "in_force": in_force}  # fmt: skip
    data = {key: str(path) for key, path in inputs.items() if path is not None}
    return ClassifiedFiles(zoning, comparison, method, settings=settings, data=data)
