"""A travel-time matrix of communes (crow-fly or road graph), from a commune file or an area of
the bundled communes with its ring of neighbours, as ``aplcore matrix`` makes it; the result
writes the matrix and its run record."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..area import study_area
from ..errors import ParameterError, reading
from ..io import output_set, read_code_frame, write_csv
from ..runinfo import BUNDLED_DATA, run_file_beside, write_run
from ..traveltimes.store import save_travel_times
from .demo import travel_times

if TYPE_CHECKING:  # pragma: no cover
    from ..area import StudyArea
    from ..traveltimes import TravelTimes

__all__ = ["CommuneMatrix", "commune_matrix", "matrix_outputs"]

PathLike = str | os.PathLike[str]
MATRIX_SUFFIXES = (".csv", ".parquet", ".npz")


def matrix_outputs(out: PathLike) -> dict[str, Path]:
    """The files :meth:`CommuneMatrix.write` writes, by role; refuses a matrix file that is not
    .csv (an O-D table), .parquet or .npz."""
    out = Path(out)
    if out.suffix.lower() not in MATRIX_SUFFIXES:
        msg = f"{{param}} must end in .csv, .parquet or .npz, found {out.name!r}."
        raise ParameterError(msg, param="out", value=str(out))
    return {"matrix": out, "run": run_file_beside(out)}


@dataclass(frozen=True, repr=False)
class CommuneMatrix:
    """Travel times between communes, and how they were made (nothing is written).

    Attributes
    ----------
    travel_times
        The matrix; an area's ring is recorded in its metadata (``study_area``).
    source
        The communes in words (a file, or an area and its ring).
    notes
        What a reader must know about the times and the ring.
    area
        The study area, when the communes are an area of the bundled communes.
    settings, data
        The parameters and inputs, as recorded in the run record.
    """

    travel_times: TravelTimes
    source: str
    notes: list[str] = field(default_factory=list)
    area: StudyArea | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"CommuneMatrix({self.travel_times.n_communes} communes of {self.source})"

    def write(
        self,
        out: PathLike,
        *,
        overwrite: bool = False,
        argv: Sequence[str] | None = None,
        on_commit: Callable[[list[Path]], None] | None = None,
    ) -> dict[str, Path]:
        """Write the matrix (an O-D table in ``.csv``; ``.parquet`` or ``.npz`` with its
        metadata) and its run record (``<out>.run.json``), together or not at all."""
        names = matrix_outputs(out)
        tt = self.travel_times
        with output_set(names.values(), overwrite=overwrite, on_commit=on_commit) as outputs:
            target = outputs.path(names["matrix"])
            if target.suffix.lower() == ".csv":
                write_csv(tt.to_frame().set_index("origin"), target, overwrite=True)
            else:
                save_travel_times(tt, target)
            write_run(outputs.path(names["run"]), "matrix", settings=self.settings,
                      outputs=[names["matrix"]], data=self.data, argv=argv)  # fmt: skip
        return names

    def text(self, out: PathLike) -> str:
        """What was computed and where it was written, as the command prints it."""
        tt = self.travel_times
        lines = [
            f"aplcore matrix: {tt.n_communes} communes of {self.source}, {tt.n_pairs} pairs "
            f"written to {out}"
        ]
        lines += [f"  - {note}" for note in self.notes]
        if self.area is not None:
            lines.append(f"  - {_ring_note(self.area, csv=Path(out).suffix.lower() == '.csv')}")
        return "\n".join(lines)


def _ring_note(area: StudyArea, *, csv: bool) -> str:
    if area.ring_minutes == float("inf"):
        return "all France: no border, no ring needed."
    if area.ring_minutes == 0:
        return (
            "no ring of neighbours (--ring-minutes 0): APL computed on this matrix is biased for "
            "the communes near the border of the area."
        )
    keep = (
        "keep the results of the area only (the ring is not recorded in a .csv O-D table)"
        if csv
        else "'aplcore compute' reports the communes of the area only"
    )
    return (
        f"ring of {len(area.ring)} neighbours within {area.ring_minutes:g} min, so that border "
        f"communes see the doctors and patients beyond the border; {keep}."
    )


def commune_matrix(
    communes: PathLike | None = None,
    *,
    area: Mapping[str, Any] | None = None,
    ring_minutes: float | None = None,
    roads: PathLike | None = None,
    osrm: str | None = None,
    osrm_pbf: PathLike | None = None,
    max_minutes: float = 30.0,
) -> CommuneMatrix:
    """Travel times between the communes of a file, or of an area of the bundled communes.

    Parameters
    ----------
    communes
        A commune table: ``code``, ``lon``, ``lat`` (or ``x``, ``y``).
    area, ring_minutes
        Instead of ``communes``: the keyword arguments of :func:`aplcore.study_area`
        (``region``, ``departement`` or ``france``) and its neighbour ring; the area is recorded
        in the matrix's metadata.
    roads
        A road graph (GraphML) instead of crow-fly distances.
    osrm, osrm_pbf
        Road times from an OSRM server (its URL), or from a local one serving this extract.
    max_minutes
        Longest travel time kept.
    """
    if (communes is None) == (area is None):
        msg = "give either {param} or an area, not both or neither."
        raise ParameterError(msg, param="communes")
    data = {"communes": str(communes) if communes is not None else BUNDLED_DATA["communes"]}
    if roads is not None:
        data["roads"] = str(roads)
    chosen = None
    if communes is not None:
        frame = read_code_frame(Path(communes), what="the commune table")
        source = str(communes)
    else:
        chosen = study_area(**area, ring_minutes=ring_minutes)
        frame, source = chosen.communes, chosen.label
        if chosen.ring_minutes not in (0, float("inf")):
            source = (
                f"the {len(chosen.core)} of {source} and {len(chosen.ring)} neighbours within "
                f"{chosen.ring_minutes:g} min"
            )
    frame = frame.copy()
    frame.index.name = "code"
    notes: list[str] = []
    with reading(roads or osrm_pbf or communes or "the communes"):
        tt = travel_times(
            frame,
            roads=roads,
            osrm=osrm,
            osrm_pbf=osrm_pbf,
            max_minutes=max_minutes,
            notes=notes,
        )
    if chosen is not None:
        tt = dataclasses.replace(tt, metadata={**tt.metadata, **chosen.metadata()})
    recorded = dict(tt.metadata.get("study_area") or {})
    recorded.pop("core", None)
    settings = {
        "communes": source, "travel_times": "road graph" if roads is not None else "crow-fly",
        "max_minutes": max_minutes, "study_area": recorded or None,
        "osrm": tt.metadata.get("osrm"),
    }  # fmt: skip
    if "stand_in" in tt.metadata:
        settings["travel_times_error"] = tt.metadata["stand_in"]
    return CommuneMatrix(tt, source, notes=notes, area=chosen, settings=settings, data=data)
