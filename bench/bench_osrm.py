"""Benchmark of travel_times_from_osrm against a naive full table, on one real osrm-routed.

Workload (``APLCORE_BENCH_SIZE=small`` selects the smoke sizes in brackets): the synthetic région
of ``bench/_synthetic_osm.py`` (200 km square, road grid every 2 km [4 km]), 5 000 [300] points,
pairs within 30 minutes, one ``osrm-routed --algorithm mld`` on 127.0.0.1 with
``--max-table-size 1000``. Same server, same run:

* aplcore: :func:`aplcore.travel_times_from_osrm` (wall time, the client's own CPU time, pairs
  requested);
* naive: :func:`naive_full_table`, the script a user writes first: the full table asked block by
  block (1 000 × 1 000), pairs within 30 minutes kept.

The results must hold the same pairs with the same durations (checked). The last test prints the
row: wall times, speed-up, pairs requested over pairs under 30 minutes, client CPU share.

Run::

    python -m pytest bench/bench_osrm.py --benchmark-enable -s          # full size
    APLCORE_BENCH_SIZE=small python -m pytest bench/bench_osrm.py --benchmark-disable
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import OsrmError
from aplcore.osrm import find_osrm, prepare_extract, serve_extract
from aplcore.traveltimes.osrm import travel_times_from_osrm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic_osm import write_synthetic_region

SMALL = os.environ.get("APLCORE_BENCH_SIZE") == "small"
N_POINTS = 300 if SMALL else 5000
SPACING_KM = 4.0 if SMALL else 2.0
MAX_MINUTES = 30.0
TABLE_SIZE = 1000
RESULTS: dict[str, float] = {}


def naive_full_table(url: str, points: pd.DataFrame, max_minutes: float, block: int) -> dict:
    """Every pair within ``max_minutes``, asking the full table block by block."""
    lonlat = points[["lon", "lat"]].to_numpy()
    ids = points.index.to_numpy()
    kept: dict[tuple[str, str], float] = {}
    n = len(points)
    for a in range(0, n, block):
        for b in range(0, n, block):
            rows = np.arange(a, min(n, a + block))
            cols = np.arange(b, min(n, b + block))
            coords = np.unique(np.concatenate([rows, cols]))
            text = ";".join(f"{x:.6f},{y:.6f}" for x, y in lonlat[coords])
            query = (
                f"sources={';'.join(map(str, np.searchsorted(coords, rows)))}"
                f"&destinations={';'.join(map(str, np.searchsorted(coords, cols)))}"
                "&annotations=duration"
            )
            with urllib.request.urlopen(f"{url}/table/v1/car/{text}?{query}", timeout=3600) as r:
                durations = np.array(json.loads(r.read())["durations"], dtype=np.float64)
            for i, j in zip(*np.nonzero(durations <= max_minutes * 60), strict=True):
                if rows[i] != cols[j]:
                    kept[(ids[rows[i]], ids[cols[j]])] = durations[i, j] / 60.0
    return kept


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    try:
        tools = find_osrm()
    except OsrmError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the OSRM benchmark: {exc}")
        pytest.skip(str(exc))
    folder = tmp_path_factory.mktemp("osrm-bench")
    points = write_synthetic_region(
        folder / "region.osm.pbf", spacing_km=SPACING_KM, n_points=N_POINTS
    )
    base = prepare_extract(folder / "region.osm.pbf", folder=folder / "prepared", tools=tools)
    with serve_extract(base, max_table_size=TABLE_SIZE, tools=tools) as running:
        yield running, points


def test_aplcore_against_the_naive_full_table(server, benchmark):
    running, points = server

    def run():
        started, cpu = time.perf_counter(), time.process_time()
        tt = travel_times_from_osrm(
            points,
            running.url,
            ids="any",
            max_minutes=MAX_MINUTES,
            max_table_size=TABLE_SIZE,
            cache=False,
        )
        RESULTS["aplcore_s"] = time.perf_counter() - started
        RESULTS["client_cpu_s"] = time.process_time() - cpu
        return tt

    tt = benchmark.pedantic(run, rounds=1, iterations=1)
    started = time.perf_counter()
    naive = naive_full_table(running.url, points, MAX_MINUTES, TABLE_SIZE)
    RESULTS["naive_s"] = time.perf_counter() - started
    frame = tt.to_frame()
    frame = frame[frame["origin"] != frame["destination"]]
    got = dict(
        zip(zip(frame["origin"], frame["destination"], strict=True), frame["minutes"], strict=True)
    )
    assert set(got) == set(naive)  # 0 missing, 0 extra
    assert all(abs(got[k] - naive[k]) <= 1e-12 for k in naive)
    RESULTS["pairs_under"] = len(naive)
    RESULTS["pairs_requested"] = tt.metadata["osrm"]["pairs_requested"]


def test_report(server):
    if "naive_s" not in RESULTS:
        pytest.skip("the comparison did not run")
    row = {
        "points": N_POINTS,
        "aplcore_s": round(RESULTS["aplcore_s"], 2),
        "naive_s": round(RESULTS["naive_s"], 2),
        "speed_up": round(RESULTS["naive_s"] / RESULTS["aplcore_s"], 2),
        "requested_over_under": round(RESULTS["pairs_requested"] / RESULTS["pairs_under"], 2),
        "client_cpu_share": round(RESULTS["client_cpu_s"] / RESULTS["aplcore_s"], 3),
    }
    print("\nOSRM benchmark:", json.dumps(row))
    assert row["requested_over_under"] >= 1
