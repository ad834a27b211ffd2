"""``aplcore demo``: the whole job on the bundled real communes with a synthetic GP table.

The pipeline is :func:`aplcore.workflows.run_demo`; this module parses the options, writes the
outputs (tables, maps, ``run.json``) and prints the summary.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._paths import check_paths
from ._common import (
    Steps,
    check_out_folder,
    committed,
    echo,
)
from ._options import (
    DECAY_OPTIONS,
    DIR,
    FILE,
    MAP_OPTIONS,
    RING_OPTIONS,
    SUPPLY_OPTIONS,
    TRAVEL_TIME_OPTIONS,
    add_area_options,
    add_command,
    add_options,
    chosen_area,
    opt,
    parse_decay,
)

__all__ = ["add_parsers", "cmd_demo"]


def __getattr__(name: str) -> Any:
    # the pipeline lives in aplcore.workflows, imported on first use (``aplcore --help`` stays
    # instant); the names stay importable from here
    if name in ("run_demo", "summarise"):
        from .. import workflows  # cli startup

        return getattr(workflows, name)
    msg = f"module 'aplcore.cli' has no attribute {name!r}"
    raise AttributeError(msg)


#: Default area of ``aplcore demo``: the Centre-Val de Loire région.
DEFAULT_REGION = "24"

DEFAULT_OUT = "aplcore-output"


# fmt: off
#: The options of ``aplcore demo`` besides the shared groups: one row per option.
OUT_OPTIONS = (
    opt("--out", f"output folder ({DEFAULT_OUT}/)", DIR, default=Path(DEFAULT_OUT)),
)
OPTIONS = (
    opt("--age-bands", "population by sex and age band (INSEE) to standardise demand; default: "
        "total population", FILE),
)
SYNTHETIC_OPTIONS = (
    opt("--seed", "seed of the synthetic GP table (0)", type=int, default=0),
    opt("--territory", "zoning territory (epci: the TVS table is not bundled)",
        choices=("epci", "commune", "departement"), default="epci"),
)
# fmt: on


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore demo``."""
    parser = add_command(
        sub, "demo", func=cmd_demo, parents=[verbose, writer],
        help="the whole job on real communes with a synthetic GP table",
        description="APL and zoning of the real communes of an area (bundled data) with crow-fly "
        "or road travel times and a SYNTHETIC GP activity table (no real one is public). Writes "
        "tables, maps and run.json to --out; a second run replaces the outputs of the previous "
        "demo in that folder.",
    )  # fmt: skip
    add_area_options(parser, default_region=DEFAULT_REGION)
    add_options(parser, RING_OPTIONS, OUT_OPTIONS, TRAVEL_TIME_OPTIONS, OPTIONS, DECAY_OPTIONS,
                SUPPLY_OPTIONS, SYNTHETIC_OPTIONS, MAP_OPTIONS)  # fmt: skip


def cmd_demo(args: argparse.Namespace) -> int:
    """``aplcore demo``."""
    from .. import study_area  # cli startup
    from ..workflows.demo import demo_outputs, previous_demo_outputs, run_demo  # cli startup

    area_options = chosen_area(args, default_region=DEFAULT_REGION)
    decay = parse_decay(args.decay, closed=args.closed)
    maps = not args.no_maps and _shapely_available()
    check_out_folder(args.out)
    names = demo_outputs(args.out, maps=maps, map_format=args.map_format)
    ours = previous_demo_outputs(args.out)  # replaced without asking
    new = [p for p in names.values() if p.name not in ours]
    check_paths([args.roads, args.age_bands], new, overwrite=args.overwrite)
    check_paths([args.roads, args.age_bands], list(names.values()), overwrite=True)
    steps = Steps([*_demo_steps(), "writing outputs"])
    try:
        with steps.step("communes"):
            area = study_area(**area_options, ring_minutes=args.ring_minutes, decay=decay)
        result = run_demo(
            area, roads=args.roads, age_bands=args.age_bands, max_minutes=args.max_minutes,
            seed=args.seed, territory=args.territory, decay=decay, method=args.method,
            max_age=args.max_age, progress=_progress(steps),
        )  # fmt: skip
        if maps != (not args.no_maps):
            result.notes.append(MISSING_MAPS_NOTE)
        with steps.step("writing outputs"):
            written = result.write(
                args.out, overwrite=args.overwrite, maps=maps, map_format=args.map_format,
                dpi=args.dpi, data=_inputs(args), argv=["aplcore", *args.argv],
                on_commit=committed,
            )  # fmt: skip
    finally:
        steps.close()
    echo(result.text(written))
    return 0


#: Why a demo has no maps when shapely is missing.
MISSING_MAPS_NOTE = (
    "maps: skipped, they need shapely to read the contours "
    "(pip install 'aplcore[geo]' or pip install shapely)."
)


def _inputs(args: argparse.Namespace) -> dict[str, str]:
    """The inputs recorded in ``run.json`` beside the bundled data."""
    data = {"practitioners": f"SYNTHETIC (aplcore.synthetic, seed {args.seed})"}
    data.update({k: str(getattr(args, k)) for k in ("age_bands", "roads") if getattr(args, k)})
    return data


def _progress(steps: Steps) -> Any:
    """The workflow's progress callback: the command's bar, whose "communes" step (the study
    area) the command times itself."""
    import contextlib

    def step(name: str) -> Any:
        return contextlib.nullcontext() if name == "communes" else steps.step(name)

    return step


def _demo_steps() -> list[str]:
    from ..workflows import DEMO_STEPS  # cli startup

    return list(DEMO_STEPS)


def _shapely_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("shapely") is not None
