"""Run the benchmark suite and write ``bench/README.md`` and ``bench/scaling.png``.

Usage (from the repository root, with the ``bench`` extra installed)::

    python -m bench                 # everything, France sizes (about 15 minutes on 2 cores)
    python -m bench --quick         # small sizes only, no scaling curve (a check of the runner)

Steps: the pytest-benchmark suite (``bench/bench_*.py``, agreement checked before timing), the
peak memory of each tool on the France-sized problem (one subprocess each), start-up times of a
fresh process, the road-graph peak memory, and the scaling curve (time and memory against the
number of O-D pairs, 10^5 to 10^7).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE_WORDS = ("scipy", "pysal", "networkx", "naive", "parse_only", "solve_arrays")
USER_PATH = "user path"


# ------------------------------------------------------------------------------ measurements
def run_pytest_benchmarks(quick: bool, json_path: Path) -> None:
    env = dict(os.environ, APLCORE_BENCH_SIZE="small" if quick else "all")
    command = [
        sys.executable, "-m", "pytest", str(HERE), "-q", "-p", "no:cacheprovider",
        "--benchmark-enable", f"--benchmark-json={json_path}", "--benchmark-sort=name",
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT, env=env)


def startup_times() -> dict[str, float]:
    """Wall time of a fresh process: ``import aplcore``; import and a small APL (warm cache)."""
    small = (
        "import pandas as pd, aplcore;"
        "tt = aplcore.TravelTimes.from_frame(pd.DataFrame({'origin': ['01001', '01001', '01002',"
        " '01002'], 'destination': ['01001', '01002', '01001', '01002'], 'minutes': [0, 12, 12,"
        " 0]}));"
        "aplcore.compute_apl(tt, demand=pd.Series([100.0, 50.0], index=['01001', '01002']),"
        " supply=pd.Series([3600.0], index=['01001']))"
    )
    out: dict[str, float] = {}
    for name, code in (("import aplcore", "import aplcore"), ("import + small APL", small)):
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)  # warm the cache
        best = min(_timed_process(code) for _ in range(5))
        out[name] = best
    return out


def _timed_process(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - start


def road_peak_memory(quick: bool) -> dict[str, float]:
    args = ["--side", "120", "--communes", "400"] if quick else ["--side", "1000"]
    out = subprocess.run(
        [sys.executable, str(HERE / "_synthetic_roads.py"), *args, "--minutes", "30"],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def scaling(quick: bool) -> list[dict[str, float]]:
    """Time (in process) and memory (subprocesses) against the number of O-D pairs."""
    sizes = [600, 2_000] if quick else [600, 1_800, 6_000, 18_000, 60_000]
    return [_scaling_row(n) for n in sizes]


def _scaling_row(n: int) -> dict[str, float]:
    import pandas as pd

    import aplcore
    from aplcore.apl import apl_from_arrays

    from .memory import measure_all
    from .problems import synthetic_france
    from .reference import e2sfca_from_long

    problem = synthetic_france(n)
    args = (problem.origin, problem.destination, problem.minutes)
    tt = aplcore.TravelTimes.from_arrays(problem.codes, *args)
    demand = pd.Series(problem.demand, index=problem.codes)
    supply = pd.Series(problem.supply, index=problem.codes)
    tools = {
        "aplcore-fused": lambda: apl_from_arrays(*args, problem.demand, problem.supply),
        "aplcore-compute_apl": lambda: aplcore.compute_apl(tt, demand=demand, supply=supply),
        "scipy-reference": lambda: e2sfca_from_long(*args, problem.demand, problem.supply),
    }
    row: dict[str, float] = {"n_communes": n, "n_pairs": problem.n_pairs}
    for name, run in tools.items():
        run()
        row[f"{name} s"] = min(_seconds(run) for _ in range(3))
    for record in measure_all(problem, tuple(tools)):
        row[f"{record['tool']} MiB"] = float(record["peak_mib"])
    return row


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


# ------------------------------------------------------------------------------ report
def machine() -> str:
    import numba
    import numpy
    import pandas
    import scipy

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kib / 2**20:.0f} GiB"
    except OSError:
        memory = "?"
    versions = f"Python {platform.python_version()}, NumPy {numpy.__version__}, "
    versions += f"Numba {numba.__version__}, SciPy {scipy.__version__}, pandas {pandas.__version__}"
    try:
        from importlib.metadata import version

        versions += f", PySAL access {version('access')}"
    except Exception:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {memory}; {versions}"


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def benchmark_tables(
    data: dict, *, user_path: bool | None = None
) -> tuple[list[str], dict[str, float]]:
    """Markdown tables by group, and the comparable median time of every benchmark by name.

    ``user_path``: only the groups that start from the user's files and DataFrames (True), only
    the others (False), or all (None).
    """
    groups: dict[str, list[dict]] = {}
    for bench in data["benchmarks"]:
        group = bench["group"] or "other"
        if user_path is None or group.startswith(USER_PATH) == user_path:
            groups.setdefault(group, []).append(bench)
    lines: list[str] = []
    medians: dict[str, float] = {}
    for group in sorted(groups):
        rows = groups[group]
        comparable = {}
        for bench in rows:
            stats, extra = bench["stats"], bench.get("extra_info", {})
            if "scaled_to" in extra:  # a subset of the sources, scaled to all of them
                time = stats["mean"] * extra["scaled_to"] / extra["sources_per_round"]
            else:
                time = stats["median"]
            comparable[bench["name"]] = time
            medians[bench["name"]] = time
            if "run_peak_mib" in extra:  # memory read by the targets (a run's own peak)
                medians[f"{bench['name']}:run_peak_mib"] = extra["run_peak_mib"]
        references = {k: v for k, v in comparable.items() if _is_reference(k)}
        lines += [f"### {group}", ""]
        header = "| benchmark | median | min – max | rounds |"
        ref_names = sorted(references)
        header += "".join(f" × vs {_short(r)} |" for r in ref_names)
        lines += [header, "|" + "---|" * (4 + len(ref_names))]
        for bench in sorted(rows, key=lambda b: comparable[b["name"]]):
            stats, extra = bench["stats"], bench.get("extra_info", {})
            name = bench["name"]
            note = (
                f" ({extra.get('n_sources', extra['sources_per_round'])} of "
                f"{extra['scaled_to']:,}, mean scaled)"
                if "scaled_to" in extra
                else ""
            )
            cells = [
                f"`{_short(name)}`{note}",
                _fmt_time(comparable[name]),
                f"{_fmt_time(stats['min'])} – {_fmt_time(stats['max'])}"
                + (" per round" if "scaled_to" in extra else ""),
                str(stats["rounds"]),
            ]
            for ref in ref_names:
                cells.append(
                    "" if _is_reference(name) else f"{references[ref] / comparable[name]:.1f}×"
                )
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines, medians


def _is_reference(name: str) -> bool:
    return any(word in name for word in REFERENCE_WORDS)


def _short(name: str) -> str:
    return name.removeprefix("test_")


def write_report(
    data: dict,
    memory: list[dict],
    startup: dict[str, float],
    road: dict[str, float],
    scale_rows: list[dict],
    quick: bool,
    command: str,
    command_run: dict[str, float] | None = None,
) -> str:
    tables, medians = benchmark_tables(data, user_path=False)
    user_tables, user_medians = benchmark_tables(data, user_path=True)
    medians = {**medians, **user_medians}
    size = "small" if quick else "france"
    lines = [
        "# Benchmarks",
        "",
        "Produced by a real run of the suite (raw data: `latest.json`); regenerate it with:",
        "",
        "```bash",
        'pip install -e ".[bench,roads]"',
        command,
        "```",
        "",
        f"Run of {dt.date.today().isoformat()} on {machine()}.",
        "Times are medians of pytest-benchmark rounds after JIT warm-up (compilation is never",
        "timed); every group checks that the tools agree (relative 1e-9; road times 1e-9 s)",
        "before timing. SciPy and networkx road searches run on a random subset of the sources",
        "and their mean time per source is scaled to all sources, as the table says.",
        "",
        "## From the user's files and DataFrames",
        "",
        "Every tool of a table starts from the same input, where a user starts: the O-D table",
        "(string codes) as a Parquet file, a CSV file or a pandas DataFrame in pandas' default",
        "string dtype, demand and supply as Series by code (`bench/user_path.py`), and ends with",
        "the APL of every commune. The naive pyarrow + NumPy script (`bench/reference.py`) checks",
        "nothing: it is the floor.",
        "",
        *user_tables,
        *_command_lines(command_run, memory),
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    lines += _user_target_rows(medians, memory, command_run, size)
    lines += _target_rows(medians, memory, startup, road, size)
    lines += [
        "",
        "## From positions (kernel level)",
        "",
        "These groups start from integer positions or from a ready `TravelTimes`: they measure",
        "the kernels, not the path from a user's file.",
        "",
        *tables,
    ]
    lines += [
        f"## Peak memory on the {'small' if quick else 'France-sized'} problem",
        "",
        "One subprocess per tool; *process peak* is `VmHWM` (inputs, libraries and work),",
        "*working memory* the peak resident memory during the run minus that just before it.",
        "`aplcore-fused` is `apl_from_arrays` on the long table; `aplcore-compute_apl` builds",
        "`TravelTimes` from the long table, then runs `compute_apl`.",
        "",
        "| tool | process peak | working memory |",
        "|---|---|---|",
    ]
    for record in memory:
        lines.append(
            f"| {record['tool']} | {record['peak_mib']:.0f} MiB | {record['working_mib']:.0f} MiB |"
        )
    lines += ["", "## Start-up (fresh process, warm Numba cache)", "", "| step | wall time |"]
    lines += ["|---|---|"] + [f"| {k} | {_fmt_time(v)} |" for k, v in startup.items()]
    lines += [
        "",
        "## Scaling",
        "",
        "Synthetic France-like problems of growing size (`bench/problems.py: synthetic_france`:",
        "uniform points at France's density of communes, crow-fly times), one subprocess per tool",
        "for memory.",
        "",
        "![time and peak memory against the number of O-D pairs](scaling.png)",
        "",
        "| communes | O-D pairs | "
        + " | ".join(k for k in scale_rows[0] if k.endswith((" s", "MiB")))
        + " |",
        "|---" * (2 + sum(k.endswith((" s", "MiB")) for k in scale_rows[0])) + "|",
    ]
    for row in scale_rows:
        cells = [f"{row['n_communes']:,}", f"{row['n_pairs']:,}"]
        cells += [
            _fmt_time(v) if k.endswith(" s") else f"{v:.0f}"
            for k, v in row.items()
            if k.endswith((" s", "MiB"))
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def _command_lines(command_run: dict[str, float] | None, memory: list[dict]) -> list[str]:
    lines: list[str] = []
    if command_run:
        lines += [
            "### `aplcore compute` on the Parquet O-D table (whole command)",
            "",
            "A fresh process per run, warm kernel cache (`bench/user_path.py`): O-D Parquet,",
            "population CSV and practitioner CSV in, APL CSV out.",
            "",
            "| communes | O-D pairs | wall time (best of 3) | peak memory (VmHWM) |",
            "|---|---|---|---|",
            f"| {command_run['n_communes']:,} | {command_run['n_pairs']:,} | "
            f"{_fmt_time(command_run['wall_s'])} | {command_run['peak_mib']:.0f} MiB |",
            "",
        ]
    api = next((r for r in memory if r["tool"] == "aplcore-parquet"), None)
    if api and "csr_mib" in api:
        base = api["input_columns_mib"] + api["csr_mib"]
        lines += [
            "### Memory of the API path (Parquet → TravelTimes → APL)",
            "",
            "| input columns | resulting CSR | working memory of the run | ratio |",
            "|---|---|---|---|",
            f"| {api['input_columns_mib']:.0f} MiB | {api['csr_mib']:.0f} MiB | "
            f"{api['working_mib']:.0f} MiB | {api['working_mib'] / base:.2f}× |",
            "",
        ]
    return lines


def _user_target_rows(medians, memory, command_run, size) -> list[str]:
    rows: list[str] = []

    def add(label: str, value: str, ok: bool) -> None:
        rows.append(f"| {label} | {value} | {'yes' if ok else '**no**'} |")

    def median(name: str) -> float | None:
        return medians.get(f"test_{name}[{size}]")

    parquet, naive_parquet = median("parquet_aplcore"), median("parquet_naive_pyarrow_numpy")
    frame, naive_frame = median("frame_aplcore"), median("frame_naive_pyarrow_numpy")
    scipy, pysal = median("frame_scipy_reference"), median("frame_pysal_access")
    csv, parse = median("csv_aplcore"), median("csv_pyarrow_parse_only")
    solve, arrays = median("solve_series_shuffled"), median("solve_arrays")
    if parquet:
        add("Parquet file → APL ≤ 0.25 s", _fmt_time(parquet), parquet <= 0.25)
    if parquet and naive_parquet:
        ratio = naive_parquet / parquet
        add("… ≥ 1.8× the naive pyarrow + NumPy script", f"{ratio:.1f}×", ratio >= 1.8)
    if frame:
        add("pandas DataFrame → APL ≤ 0.35 s", _fmt_time(frame), frame <= 0.35)
    if frame and pysal:
        add("… ≥ 15× PySAL access (same DataFrame)", f"{pysal / frame:.0f}×", pysal / frame >= 15)
    if frame and scipy:
        add("… ≥ 8× plain SciPy (same DataFrame)", f"{scipy / frame:.1f}×", scipy / frame >= 8)
    if frame and naive_frame:
        ratio = naive_frame / frame
        add("… ≥ 1.8× the naive script (same DataFrame)", f"{ratio:.1f}×", ratio >= 1.8)
    if csv and parse:
        add(
            "CSV file → APL ≤ 1.3× parsing it with pyarrow",
            f"{csv / parse:.2f}×",
            csv <= 1.3 * parse,
        )
    if command_run:
        wall, peak = command_run["wall_s"], command_run["peak_mib"]
        add("`aplcore compute` (Parquet) ≤ 2.5 s wall", _fmt_time(wall), wall <= 2.5)
        add("`aplcore compute` peak memory ≤ 1 GiB", f"{peak:.0f} MiB", peak <= 1024)
    api = next((r for r in memory if r["tool"] == "aplcore-parquet"), None)
    if api and "csr_mib" in api:
        ratio = api["working_mib"] / (api["input_columns_mib"] + api["csr_mib"])
        add("API path memory ≤ 1.5× (input columns + CSR)", f"{ratio:.2f}×", ratio <= 1.5)
    if solve and arrays:
        add(
            "`solve` with Series ≤ 2× `solve_arrays`", f"{solve / arrays:.2f}×", solve <= 2 * arrays
        )
    return rows


def _app_target_rows(medians) -> list[str]:
    """The app's targets (``bench/bench_app.py``, a real browser)."""
    targets = [
        ("test_choice", "app: a choice → gauges and map updated ≤ 200 ms", 0.2),
        ("test_region_map_first_draw", "app: région map first drawn ≤ 2 s", 2.0),
        ("test_france_map_first_draw", "app: France map first drawn ≤ 5 s", 5.0),
    ]
    rows = []
    for name, label, bound in targets:
        time = medians.get(name)
        if time:
            rows.append(f"| {label} | {_fmt_time(time)} | {'yes' if time <= bound else '**no**'} |")
    return rows


def _target_rows(medians, memory, startup, road, size) -> list[str]:
    def median(name: str) -> float | None:
        return medians.get(name)

    rows: list[str] = []

    def add(label: str, value: str, ok: bool | None) -> None:
        mark = "n/a" if ok is None else ("yes" if ok else "**no**")
        rows.append(f"| {label} | {value} | {mark} |")

    fused = median(f"test_long_table_aplcore_fused[{size}]")
    api = median(f"test_travel_times_aplcore_compute_apl[{size}]")
    scipy_long = median(f"test_long_table_scipy_reference[{size}]")
    if fused and scipy_long:
        add("APL from the long table ≤ 0.15 s (fused path)", _fmt_time(fused), fused <= 0.15)
        add("… ≥ 3× faster than SciPy", f"{scipy_long / fused:.1f}×", scipy_long / fused >= 3)
    if api:
        add("`compute_apl` from TravelTimes ≤ 0.15 s", _fmt_time(api), api <= 0.15)
    resolve = median(f"test_resolve_aplcore[{size}]")
    scipy_resolve = median(f"test_resolve_scipy_reference[{size}]")
    if resolve and scipy_resolve:
        add("re-solve ≤ 5 ms", _fmt_time(resolve), resolve <= 5e-3)
        add(
            "re-solve ≥ 2× faster than SciPy's two products",
            f"{scipy_resolve / resolve:.1f}×",
            scipy_resolve / resolve >= 2,
        )
    batch = median(f"test_batch_aplcore[{size}-K256]")
    scipy_batch = median(f"test_batch_scipy_reference[{size}-K256]")
    if batch and scipy_batch:
        add("batch of 256 supply columns ≤ 0.3 s", _fmt_time(batch), batch <= 0.3)
        add(
            "batch of 256 ≥ 5× faster than 256 SciPy re-solves",
            f"{scipy_batch / batch:.1f}×",
            scipy_batch / batch >= 5,
        )
    add(
        "`import aplcore` ≤ 0.3 s",
        _fmt_time(startup["import aplcore"]),
        startup["import aplcore"] <= 0.3,
    )
    small = startup["import + small APL"]
    add("fresh process, import + small APL ≤ 2 s (warm cache)", _fmt_time(small), small <= 2)
    peaks = {r["tool"]: r["peak_mib"] for r in memory}
    if "aplcore-compute_apl" in peaks:
        ours = max(peaks["aplcore-compute_apl"], peaks["aplcore-fused"])
        add("peak memory of the France-sized run ≤ 1 GiB", f"{ours:.0f} MiB", ours <= 1024)
        others = [peaks[k] for k in ("scipy-reference", "pysal-access") if k in peaks]
        add(
            "peak memory below SciPy and PySAL (process peak)",
            f"{ours:.0f} vs {', '.join(f'{o:.0f}' for o in others)} MiB",
            all(ours < o for o in others),
        )
    rows += _app_target_rows(medians)
    crow = median("test_crow_fly")
    if crow:
        add("crow-fly matrix, 35 000 communes within 30 min ≤ 2 s", _fmt_time(crow), crow <= 2)
    dij = median("test_dijkstra_aplcore")
    dij_scipy = median("test_dijkstra_scipy_subset")
    dij_nx = median("test_dijkstra_networkx_subset")
    if dij and dij_scipy and dij_nx:
        add(
            "road Dijkstra ≥ 2× faster than SciPy csgraph (scaled)",
            f"{dij_scipy / dij:.1f}×",
            dij_scipy / dij >= 2,
        )
        add(
            "road Dijkstra ≥ 50× faster than networkx (scaled)",
            f"{dij_nx / dij:.0f}×",
            dij_nx / dij >= 50,
        )
    if road:
        add(
            "road Dijkstra peak memory ≤ 3 GiB",
            f"{road['peak_rss_mib']:.0f} MiB",
            road["peak_rss_mib"] <= 3072,
        )
    from .bench_scenarios import scenario_targets

    for label, value, ok in scenario_targets(medians, size):
        add(label, value, ok)
    return rows


def plot_scaling(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    pairs = [r["n_pairs"] for r in rows]
    for key in [k for k in rows[0] if k.endswith(" s")]:
        ax_time.loglog(pairs, [r[key] for r in rows], "o-", label=key.removesuffix(" s"))
    for key in [k for k in rows[0] if k.endswith(" MiB")]:
        ax_mem.semilogx(pairs, [r[key] for r in rows], "o-", label=key.removesuffix(" MiB"))
    ax_time.set(xlabel="O-D pairs (within 30 min)", ylabel="time (s)", title="E2SFCA time")
    ax_mem.set(xlabel="O-D pairs (within 30 min)", ylabel="process peak (MiB)", title="Peak memory")
    for ax in (ax_time, ax_mem):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, no France-scale run")
    parser.add_argument("--out", type=Path, default=HERE / "README.md", help="report file")
    parser.add_argument(
        "--reuse-timings",
        action="store_true",
        help="take the pytest-benchmark timings of the last run (latest.json) instead of "
        "running them again; memory, start-up and scaling are measured anew",
    )
    args = parser.parse_args(argv)

    from .memory import measure_all
    from .problems import real_communes

    latest = args.out.parent / "latest.json"  # the raw pytest-benchmark data
    if args.reuse_timings:
        data = json.loads(latest.read_text())
    else:
        with tempfile.TemporaryDirectory() as folder:
            json_path = Path(folder) / "bench.json"
            run_pytest_benchmarks(args.quick, json_path)
            data = json.loads(json_path.read_text())
            shutil.move(json_path, latest)
    problem = real_communes("44" if args.quick else None)
    memory = measure_all(problem)
    from .user_path import compute_command

    command_run = compute_command(problem)
    startup = startup_times()
    road = road_peak_memory(args.quick)
    rows = scaling(args.quick)
    plot_scaling(rows, args.out.parent / "scaling.png")
    command = "python -m bench" + (" --quick" if args.quick else "")
    report = write_report(data, memory, startup, road, rows, args.quick, command, command_run)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(report)
    os.replace(tmp, args.out)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
