"""``aplcore scenarios``: many APL scenarios from a TOML spec, and their report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import CommandError, committed, echo
from ._options import DIR, FLAG, REQUIRED, add_command, opt

# fmt: off
#: The options of ``aplcore scenarios run`` and ``report``: one row per option.
RUN_OPTIONS = (
    opt("spec", "the TOML spec", type=Path),
    opt("--out", "output folder", DIR, REQUIRED),
    opt("--scheduler", "address of a dask.distributed scheduler (tcp://host:8786): blocks of "
        "scenarios run on its workers (needs aplcore[dask])", metavar="ADDRESS"),
    opt("--no-maps", "tables only, no maps", FLAG),
)
REPORT_OPTIONS = (
    opt("dir", "a folder written by 'aplcore scenarios run'", type=Path),
    opt("--out", "report folder (DIR/report)", DIR),
    opt("--quantiles", None, type=float, nargs="+", default=[0.05, 0.5, 0.95], metavar="Q"),
    opt("--threshold", None, type=float, default=2.5, metavar="APL"),
    opt("--no-maps", "tables only, no maps", FLAG),
)
# fmt: on


def add_parsers(sub: Any, *, verbose: Any, writer: Any) -> None:
    """Add ``aplcore scenarios run`` and ``aplcore scenarios report``."""
    parser = sub.add_parser(
        "scenarios",
        help="sensitivity, Monte Carlo and zoning stability from a TOML spec",
        description="Run many APL scenarios (grids, Monte Carlo draws, named changes) described "
        "in a TOML spec, and report per-commune distributions and zoning stability. The spec "
        "schema is documented in aplcore.scenarios.spec.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_command(
        actions, "run", RUN_OPTIONS, func=cmd_run, parents=[verbose, writer],
        help="run the scenarios of a spec into a folder",
        description="Run the scenarios of SPEC; the APL of every scenario streams to OUT "
        "(Parquet blocks) with the scenario table, the zones and the report.",
    )  # fmt: skip
    add_command(
        actions, "report", REPORT_OPTIONS, func=cmd_report, parents=[verbose],
        help="tables and maps of a finished run",
        description="Write the tables and maps of a run folder into DIR/report (or --out).",
    )  # fmt: skip


def _client(address: str | None) -> Any:
    if address is None:
        return None
    try:
        from distributed import Client
    except ImportError as exc:
        msg = "--scheduler needs Dask: pip install 'aplcore[dask]'"
        raise CommandError(msg) from exc
    try:
        return Client(address, timeout=30)
    except OSError as exc:
        msg = f"cannot reach the Dask scheduler at {address}: {exc}"
        raise CommandError(msg) from exc


def cmd_run(args: argparse.Namespace) -> int:
    """``aplcore scenarios run``: the run, its report, the spec and ``run.json`` appear in
    ``--out`` together (or not at all)."""
    from ..io.writers import staged_folder  # cli startup
    from ..scenarios import run_scenarios  # cli startup
    from ..scenarios.report import format_summary, write_report  # cli startup
    from ..scenarios.spec import load_spec  # cli startup

    spec = load_spec(args.spec)
    baseline = spec.build_baseline()
    with staged_folder(
        args.out, overwrite=args.overwrite, replaces=_is_a_run, on_commit=committed
    ) as work:
        client = _client(args.scheduler)
        try:
            run = run_scenarios(
                baseline, spec.scenarios, out=work, overwrite=True, block_size=spec.block_size,
                client=client, store=spec.store,
            )  # fmt: skip
        finally:
            if client is not None:
                client.close()
        summary = write_report(
            run, work / "report", quantiles=spec.quantiles, threshold=spec.threshold,
            maps=not args.no_maps,
        )  # fmt: skip
        (work / "spec.toml").write_bytes(args.spec.read_bytes())
        spec.write_record(work, run, scheduler=args.scheduler, maps=not args.no_maps,
                          argv=["aplcore", *args.argv])  # fmt: skip
    echo(
        f"aplcore scenarios: {len(run.names)} scenarios of {len(run.codes)} communes in {args.out}"
    )
    for line in format_summary(summary).splitlines():
        echo(line)
    return 0


def _is_a_run(folder: Path) -> bool:
    """A folder written by ``aplcore scenarios run`` (replaced by ``--overwrite``)."""
    return (folder / "meta.json").is_file()


def cmd_report(args: argparse.Namespace) -> int:
    """``aplcore scenarios report``."""
    from ..scenarios import ScenarioRun  # cli startup
    from ..scenarios.report import format_summary, write_report  # cli startup

    run = ScenarioRun.open(args.dir)
    out = args.out or args.dir / "report"
    summary = write_report(
        run,
        out,
        quantiles=tuple(args.quantiles),
        threshold=args.threshold,
        maps=not args.no_maps,
    )
    echo(f"aplcore scenarios report: {len(run.names)} scenarios, tables and maps in {out}")
    for line in format_summary(summary).splitlines():
        echo(line)
    return 0
