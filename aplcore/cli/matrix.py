"""``aplcore matrix``: travel-time matrix of communes (crow-fly or road graph)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import reading
from ._common import (
    CommandError,
    Steps,
    check_inputs,
    check_outputs,
    echo,
    output_files,
    read_code_table,
    write_table,
)
from ._options import add_area_options, add_ring_option, add_travel_time_options, chosen_area


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore matrix``."""
    parser = sub.add_parser(
        "matrix",
        parents=[verbose, writer],
        help="travel-time matrix of communes (crow-fly or road graph)",
        description="Travel times between communes within --max-minutes, from straight-line "
        "distances (calibrated on Metric) or a road graph. Communes from --communes (code, "
        "lon, lat) or from the bundled data (--region, --departement, --france); an area of the "
        "bundled data comes with its ring of neighbours (--ring-minutes), recorded in .parquet "
        "and .npz matrices so that 'aplcore compute' reports the area only.",
    )
    parser.add_argument(
        "--communes", type=Path, metavar="FILE", help="communes: code, lon, lat (or x, y)"
    )
    add_area_options(parser, default_region=None)
    add_ring_option(parser)
    add_travel_time_options(parser)
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="O-D table (.csv) or matrix with metadata (.parquet, .npz)",
    )
    parser.set_defaults(func=cmd_matrix)


def cmd_matrix(args: argparse.Namespace) -> int:
    """``aplcore matrix``."""
    from ..workflows import travel_times

    inputs = check_inputs([args.communes, args.roads])
    out: Path = args.out
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".npz"):
        msg = f"--out must end in .csv, .parquet or .npz, found {out.name!r}."
        raise CommandError(msg)
    from ..runinfo import run_file_beside

    record_path = run_file_beside(out)
    check_outputs([out, record_path], inputs, overwrite=args.overwrite)
    if args.communes is not None:
        if args.region or args.departement or args.france:
            msg = "give either --communes FILE or an area (--region, --departement, --france)."
            raise CommandError(msg)
        communes = read_code_table(args.communes, what="the commune table")
        source = str(args.communes)
    else:
        from .. import study_area

        area = study_area(**chosen_area(args, default_region=None), ring_minutes=args.ring_minutes)
        communes = area.communes
        source = area.label
        if area.ring_minutes not in (0, float("inf")):
            source = (
                f"the {len(area.core)} of {source} and {len(area.ring)} neighbours within "
                f"{area.ring_minutes:g} min"
            )
    notes: list[str] = []
    frame = communes.copy()
    frame.index.name = "code"
    steps = Steps(["travel times", "writing outputs"])
    try:
        with steps.step("travel times"):
            with reading(args.roads or args.communes or "the communes"):
                tt = travel_times(
                    frame, roads=args.roads, max_minutes=args.max_minutes, notes=notes
                )
            if args.communes is None:
                import dataclasses

                tt = dataclasses.replace(tt, metadata={**tt.metadata, **area.metadata()})
                notes.append(_ring_note(area, csv=suffix == ".csv"))
        with (
            steps.step("writing outputs"),
            output_files([out, record_path], overwrite=args.overwrite) as outputs,
        ):
            _write_run(args, tt, source, outputs.path(record_path))
            if suffix == ".csv":
                write_table(tt.to_frame().set_index("origin"), outputs.path(out))
            else:
                from ..traveltimes.store import save_travel_times

                save_travel_times(tt, outputs.path(out))
    finally:
        steps.close()
    echo(
        f"aplcore matrix: {tt.n_communes} communes of {source}, {tt.n_pairs} pairs written to {out}"
    )
    for note in notes:
        echo(f"  - {note}")
    return 0


def _ring_note(area: Any, *, csv: bool) -> str:
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


def _write_run(args: argparse.Namespace, tt: Any, source: str, target: Path) -> None:
    """``<out>.run.json``: how the matrix was made."""
    from ..runinfo import BUNDLED_DATA, write_run

    area = dict(tt.metadata.get("study_area") or {})
    area.pop("core", None)
    settings = {
        "communes": source,
        "travel_times": "road graph" if args.roads is not None else "crow-fly",
        "max_minutes": args.max_minutes,
        "study_area": area or None,
    }
    data = {"communes": str(args.communes) if args.communes else BUNDLED_DATA["communes"]}
    if args.roads is not None:
        data["roads"] = str(args.roads)
    write_run(
        target,
        "matrix",
        settings=settings,
        outputs=[args.out],
        data=data,
        argv=["aplcore", *args.argv],
    )
