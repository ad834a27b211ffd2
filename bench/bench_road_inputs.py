"""Benchmarks of the road inputs: wide O-D matrices and OpenStreetMap extracts.

Workloads (``APLCORE_BENCH_SIZE=small`` selects the smoke sizes in brackets):

* wide CSV: a seeded 5 000 × 5 000 [300 × 300] matrix of car times in seconds (uniform 0–2 h,
  one decimal, 5 % blank cells), written once per session; read by ``pyarrow.csv.read_csv``
  (the whole table, inferred types) and by ``travel_times_from_table(layout="wide",
  units="seconds", max_minutes=30)``; peak memory (max RSS) of each in a fresh process;
* OSM extracts: the two real extracts of ``../shared/data/raw/osm_extracts`` read by
  ``road_graph_from_pbf`` and by osmium's own plain reading (``osmium.FileProcessor`` counting
  the nodes of the file); throughput in nodes of the file per second.

``pbf_times`` and ``compare_times`` are the helpers for the comparison with OSRM on the same
extract: the road graph's times between the same points, as a long table, and the median
relative difference, share within 10 % and band changes against another engine's table. The
measured comparison with OSRM on the real extracts is ``bench/bench_pbf_vs_osrm.py``.

Run::

    python -m pytest bench/bench_road_inputs.py --benchmark-enable
    APLCORE_BENCH_SIZE=small python -m pytest bench/bench_road_inputs.py --benchmark-disable
    python bench/bench_road_inputs.py        # prints the bench/README.md rows (full sizes)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.traveltimes.crowfly import drees_band
from aplcore.traveltimes.roads import road_graph_from_pbf, travel_times_from_graph
from aplcore.traveltimes.table import travel_times_from_table

SMALL = os.environ.get("APLCORE_BENCH_SIZE", "").lower() == "small"
N_WIDE = 300 if SMALL else 5_000
MAX_MINUTES = 30.0
EXTRACTS = ("saint_barthelemy", "gibraltar")
SHARED = Path(
    os.environ.get("APLCORE_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared"
)


# ------------------------------------------------------------------------------ helpers
def write_wide_csv(path: Path, n: int, seed: int = 0) -> Path:
    """A seeded n × n wide matrix of seconds (5 % blank), written with pyarrow."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    ids = [f"U{k:05d}" for k in range(n)]
    columns = {"id": pa.array(ids)}
    for name in ids:
        values = np.round(rng.uniform(0.0, 7200.0, n), 1)
        values[rng.random(n) < 0.05] = np.nan
        columns[name] = pa.array(values, from_pandas=True)
    pacsv.write_csv(pa.table(columns), path)
    return path


def read_pyarrow(path: Path):
    import pyarrow.csv as pacsv

    return pacsv.read_csv(path)


def read_aplcore(path: Path):

    return travel_times_from_table(
        path, layout="wide", units="seconds", max_minutes=MAX_MINUTES, ids="any"
    )


def peak_rss_mib(tool: str, path: Path) -> float:
    """Peak resident memory (VmHWM, MiB) of a fresh process that imports aplcore and runs one
    reader (``ru_maxrss`` would carry the parent's peak across ``exec``)."""
    here = str(Path(__file__).parent)
    code = (
        f"import sys; sys.path.insert(0, {here!r}); import aplcore, pyarrow.csv;"
        f"import bench_road_inputs as b; b.read_{tool}({str(path)!r});"
        "line = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0];"
        "print(int(line.split()[1]) / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def count_nodes_osmium(path: Path) -> int:
    import osmium

    return sum(1 for _ in osmium.FileProcessor(str(path), osmium.osm.NODE))


def read_graph(path: Path):

    return road_graph_from_pbf(path)


def pbf_times(pbf: str | Path, points: pd.DataFrame, max_minutes: float = MAX_MINUTES):
    """The road graph's times (minutes) between ``points`` (indexed by id, ``lon``/``lat``), as
    a long table ``origin, destination, minutes``: what the OSRM comparison needs."""

    tt = travel_times_from_graph(
        read_graph(Path(pbf)), points, max_minutes=max_minutes, ids="any", progress=False
    )
    return tt.to_frame()


def compare_times(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, float]:
    """Road-graph times against another engine's (e.g. OSRM's table on the same extract), on
    the pairs of distinct points both give: median relative difference ``ours / theirs - 1``,
    share within 10 %, mean difference (minutes), share of pairs under 20 minutes (theirs)
    whose DREES band changes. Both frames: ``origin, destination, minutes``."""

    keys = ["origin", "destination"]
    joined = ours.merge(theirs, on=keys, suffixes=("_ours", "_theirs"))
    joined = joined[joined["origin"] != joined["destination"]]
    a = joined["minutes_ours"].to_numpy()
    b = joined["minutes_theirs"].to_numpy()
    relative = a / b - 1.0
    short = b < 20
    return {
        "n_pairs": len(joined),
        "median_relative_difference": float(np.median(relative)),
        "share_within_10_percent": float(np.mean(np.abs(relative) <= 0.10)),
        "mean_difference_min": float(np.mean(a - b)),
        "band_change_share_under_20": float(
            np.mean(drees_band(a[short]) != drees_band(b[short])) if short.any() else np.nan
        ),
    }


def extract_path(name: str) -> Path:
    path = SHARED / "data" / "raw" / "osm_extracts" / f"{name}.osm.pbf"
    if not path.is_file():
        pytest.skip(f"real extract not found: {path}")
    return path


# ------------------------------------------------------------------------------ benchmarks
@pytest.fixture(scope="module")
def wide_csv(tmp_path_factory) -> Path:
    return write_wide_csv(tmp_path_factory.mktemp("wide") / "wide.csv", N_WIDE)


def test_wide_readers_agree(wide_csv) -> None:
    table = read_pyarrow(wide_csv)
    values = np.column_stack([table.column(k).to_numpy() for k in range(1, table.num_columns)])
    kept_cells = int((values / 60.0 <= MAX_MINUTES).sum())
    tt = read_aplcore(wide_csv)
    diagonal_given = int((np.diag(values) / 60.0 <= MAX_MINUTES).sum())
    assert tt.n_pairs == kept_cells + (N_WIDE - diagonal_given)  # + the missing self pairs


@pytest.mark.benchmark(group="wide-csv")
def test_wide_csv_pyarrow_read_csv(benchmark, wide_csv) -> None:
    benchmark.pedantic(read_pyarrow, args=(wide_csv,), rounds=3, iterations=1)


@pytest.mark.benchmark(group="wide-csv")
def test_wide_csv_aplcore(benchmark, wide_csv) -> None:
    read_aplcore(wide_csv)  # warm-up: JIT compilation is never timed
    benchmark.pedantic(read_aplcore, args=(wide_csv,), rounds=3, iterations=1)


@pytest.mark.parametrize("name", EXTRACTS)
@pytest.mark.benchmark(group="pbf-read")
def test_pbf_osmium_count_nodes(benchmark, name) -> None:
    path = extract_path(name)
    assert benchmark(count_nodes_osmium, path) > 0


@pytest.mark.parametrize("name", EXTRACTS)
@pytest.mark.benchmark(group="pbf-read")
def test_pbf_aplcore_road_graph(benchmark, name) -> None:
    path = extract_path(name)
    road = benchmark(read_graph, path)
    assert road.n_nodes > 0


def test_pbf_times_helper_returns_the_graph_times() -> None:
    path = extract_path("gibraltar")
    road = read_graph(path)
    points = pd.DataFrame(
        {"lon": road.x[:50:10], "lat": road.y[:50:10]},
        index=pd.Index([f"P{k}" for k in range(5)], name="id"),
    )
    frame = pbf_times(path, points)
    assert set(frame["origin"]) <= set(points.index)
    assert (frame["minutes"] <= MAX_MINUTES).all()
    same = compare_times(frame, frame)
    assert same["median_relative_difference"] == 0.0
    assert same["share_within_10_percent"] == 1.0
    slower = compare_times(frame.assign(minutes=frame["minutes"] * 1.2), frame)
    assert slower["median_relative_difference"] == pytest.approx(0.2)


# ------------------------------------------------------------------------------ README rows
def _median_seconds(fn, *args, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    """Measure and print the rows of bench/README.md (full sizes unless APLCORE_BENCH_SIZE)."""
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        path = write_wide_csv(Path(folder) / "wide.csv", N_WIDE)
        read_aplcore(path)  # warm-up
        size_mib = path.stat().st_size / 2**20
        arrow_s = _median_seconds(read_pyarrow, path)
        ours_s = _median_seconds(read_aplcore, path)
        rows["wide"] = {
            "n": N_WIDE,
            "file_mib": round(size_mib, 1),
            "pairs_kept": read_aplcore(path).n_pairs,
            "pyarrow_s": round(arrow_s, 2),
            "aplcore_s": round(ours_s, 2),
            "ratio": round(ours_s / arrow_s, 2),
            "pyarrow_rss_mib": round(peak_rss_mib("pyarrow", path)),
            "aplcore_rss_mib": round(peak_rss_mib("aplcore", path)),
        }
    rows["pbf"] = []
    for name in EXTRACTS:
        path = extract_path(name)
        read_graph(path)  # warm-up (imports)
        n_nodes = count_nodes_osmium(path)
        osmium_s = _median_seconds(count_nodes_osmium, path, rounds=5)
        ours_s = _median_seconds(read_graph, path, rounds=5)
        road = read_graph(path)
        rows["pbf"].append(
            {
                "extract": name,
                "file_nodes": n_nodes,
                "graph_nodes": road.n_nodes,
                "graph_edges": road.n_edges,
                "osmium_nodes_per_s": round(n_nodes / osmium_s),
                "aplcore_nodes_per_s": round(n_nodes / ours_s),
                "osmium_s": round(osmium_s, 4),
                "aplcore_s": round(ours_s, 4),
            }
        )
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
