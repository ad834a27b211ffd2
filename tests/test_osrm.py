"""travel_times_from_osrm and aplcore.osrm against real osrm-routed servers on 127.0.0.1.

Servers are started from the two real extracts of ``../shared/data/raw/osm_extracts`` and from
a synthetic région written with pyosmium (``bench/_synthetic_osm.py``), each prepared once per
session. The reference is the server's own full table, asked without any bound. When the OSRM
programs are missing the tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import FarFromRoadWarning, OsrmError, ParameterError
from aplcore.osrm import find_osrm, local_osrm, prepare_extract, serve_extract
from aplcore.traveltimes.osrm import travel_times_from_osrm
from aplcore.traveltimes.roads import road_graph_from_pbf
from aplcore.traveltimes.store import load_travel_times, save_travel_times

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from _synthetic_osm import TIMESTAMP, write_synthetic_region
from bench_pbf_vs_osrm import compare_pbf_osrm, graph_frame, node_points, osrm_frame

from aplcore.cli import main

SERVER_TABLE_SIZE = 1000


@pytest.fixture(scope="session")
def tools():
    try:
        return find_osrm()
    except OsrmError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the OSRM tests: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def extracts(tmp_path_factory):
    return tmp_path_factory.mktemp("osrm-extracts")


@pytest.fixture(scope="session")
def region(tools, tmp_path_factory):
    """The synthetic région (200 km square, 4 km grid) and 400 points, prepared once."""
    folder = tmp_path_factory.mktemp("region")
    points = write_synthetic_region(folder / "region.osm.pbf", spacing_km=4.0, n_points=400)
    base = prepare_extract(folder / "region.osm.pbf", folder=folder / "prepared", tools=tools)
    return base, points


@pytest.fixture(scope="session")
def region_server(region, tools):
    with serve_extract(region[0], max_table_size=SERVER_TABLE_SIZE, tools=tools) as server:
        yield server


def _real_pbf(shared_raw: Path, name: str) -> Path:
    path = shared_raw / "osm_extracts" / f"{name}.osm.pbf"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="session", params=["gibraltar", "saint_barthelemy"])
def real_server(request, shared_raw, tools, extracts):
    pbf = _real_pbf(shared_raw, request.param)
    with local_osrm(pbf, folder=extracts, max_table_size=SERVER_TABLE_SIZE) as server:
        yield request.param, server


BOXES = {  # lon/lat boxes of the towns' roads
    "gibraltar": (-5.365, 36.110, -5.340, 36.155),
    "saint_barthelemy": (-62.875, 17.880, -62.795, 17.925),
}


def _points_in(box: tuple[float, float, float, float], n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(box[0], box[2], n)
    lat = rng.uniform(box[1], box[3], n)
    return pd.DataFrame(
        {"lon": lon, "lat": lat}, index=pd.Index([f"P{k:04d}" for k in range(n)], name="id")
    )


def full_table(url: str, points: pd.DataFrame) -> np.ndarray:
    """The server's own table for every pair (seconds, NaN when unreachable), no bound."""
    coords = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in points[["lon", "lat"]].to_numpy())
    with urllib.request.urlopen(
        f"{url}/table/v1/car/{coords}?annotations=duration", timeout=600
    ) as response:
        answer = json.loads(response.read())
    assert answer["code"] == "Ok"
    return np.array(answer["durations"], dtype=np.float64)


def assert_exact(tt, points: pd.DataFrame, full: np.ndarray, max_minutes: float) -> None:
    """Every pair the full table gives within max_minutes is there, with its duration, and
    nothing else (self pairs aside)."""
    ids = list(points.index)
    expected = {
        (ids[i], ids[j]): full[i, j] / 60.0
        for i, j in zip(*np.nonzero(full <= max_minutes * 60.0), strict=True)
        if i != j
    }
    frame = tt.to_frame()
    frame = frame[frame["origin"] != frame["destination"]]
    pairs = zip(frame["origin"], frame["destination"], strict=True)
    got = dict(zip(pairs, frame["minutes"], strict=True))
    missing = set(expected) - set(got)
    extra = set(got) - set(expected)
    assert not missing, f"{len(missing)} pairs under the bound are missing"
    assert not extra, f"{len(extra)} pairs beyond max_minutes are present"
    assert expected, "the fixture has no pair under max_minutes: the test would prove nothing"
    keys = list(expected)
    np.testing.assert_allclose(
        [got[k] for k in keys], [expected[k] for k in keys], rtol=0, atol=1e-12
    )
    assert np.isfinite(tt.minutes).all()


# ---------------------------------------------------------------- the road graph against OSRM
def test_road_graph_times_agree_with_osrm_on_saint_barthelemy(shared_raw, tools, extracts):
    """The Dijkstra on the graph read by road_graph_from_pbf against OSRM on the same extract and
    the same 300 road nodes (bench/bench_pbf_vs_osrm.py; measured: median -5.8 %, quartiles
    -7.9 % and -4.3 %, 87.7 % of the pairs within 10 %, 1 786 of 89 700 pairs only in OSRM's
    table, none only in ours). A change in either path that moves these fails here."""
    pbf = _real_pbf(shared_raw, "saint_barthelemy")
    road = road_graph_from_pbf(pbf)
    points = node_points(road, 300)
    ours = graph_frame(road, points)
    with local_osrm(pbf, folder=extracts, max_table_size=SERVER_TABLE_SIZE) as server:
        theirs = osrm_frame(server, points)
    row = compare_pbf_osrm(ours, theirs)
    assert row["pairs_compared"] > 80_000
    assert abs(row["median_relative_difference"]) <= 0.10
    assert -0.10 <= row["q1_relative_difference"] <= row["q3_relative_difference"] <= 0.0
    assert row["share_within_10_percent"] >= 0.85
    assert row["only_ours"] == 0
    assert row["only_osrm"] <= 0.025 * (row["pairs_compared"] + row["only_osrm"])


# ---------------------------------------------------------------------------- exactness
def test_exact_on_the_real_extracts(real_server, tmp_path):
    name, server = real_server
    points = _points_in(BOXES[name], 150)
    full = full_table(server.url, points)
    tt = travel_times_from_osrm(
        points, server.url, ids="any", max_minutes=3, max_table_size=20, cache_dir=tmp_path
    )
    assert_exact(tt, points, full, 3)
    assert tt.metadata["osrm"]["blocks"] > 1


def test_exact_on_the_synthetic_region_where_the_bound_matters(region, region_server, tmp_path):
    _, points = region
    full = full_table(region_server.url, points)
    tt = travel_times_from_osrm(
        points,
        region_server.url,
        ids="any",
        max_minutes=30,
        max_table_size=100,  # blocks of 10 000 pairs: the 400 points need several
        cache_dir=tmp_path,
    )
    assert_exact(tt, points, full, 30)
    n = len(points)
    requested = tt.metadata["osrm"]["pairs_requested"]
    assert requested < 0.8 * n * n  # the bound skips pairs: it matters here
    assert tt.metadata["osrm"]["data_version"] == TIMESTAMP
    assert not any(tmp_path.iterdir()), "the cache of a finished run is removed"


def test_exact_with_blocks_of_one_source(region, region_server, tmp_path):
    """A table size so small that single sources get their destinations in several blocks."""
    _, points = region
    sub = points.iloc[:120]
    full = full_table(region_server.url, sub)
    tt = travel_times_from_osrm(
        sub, region_server.url, ids="any", max_minutes=20, max_table_size=4, cache=False
    )
    assert_exact(tt, sub, full, 20)


def test_too_low_a_top_speed_is_detected(region, region_server):
    _, points = region
    with pytest.raises(OsrmError, match=r"faster than top_speed_kmh=20: .* Pass top_speed_kmh="):
        travel_times_from_osrm(
            points.iloc[:100], region_server.url, ids="any", top_speed_kmh=20, cache=False
        )


# ---------------------------------------------------------------------------- warnings, metadata
def test_points_far_from_roads_are_named(region, region_server):
    _, points = region
    lake = pd.DataFrame({"lon": [2.5 - 50 / 76.6], "lat": [46.5 - 50 / 111.32]}, index=["LAKE"])
    some = pd.concat([points.iloc[:30], lake])
    # the grid's roads are 4 km apart: a point can be 2.8 km from the nearest, the lake's 6 km
    with pytest.warns(FarFromRoadWarning, match=r"1 points are more than 3000 m .*'LAKE'"):
        tt = travel_times_from_osrm(
            some, region_server.url, ids="any", snap_warning_m=3000, cache=False
        )
    assert tt.metadata["osrm"]["far_from_road"] == ["LAKE"]


def test_metadata_travels_into_parquet_and_npz(region, region_server, tmp_path):
    _, points = region
    tt = travel_times_from_osrm(
        points.iloc[:50], region_server.url, ids="any", max_minutes=25, cache=False
    )
    for name in ("m.parquet", "m.npz"):
        back = load_travel_times(save_travel_times(tt, tmp_path / name))
        meta = back.metadata["osrm"]
        assert meta["server"] == region_server.url
        assert meta["profile"] == "car"
        assert meta["data_version"] == TIMESTAMP
        assert meta["max_minutes"] == 25
        assert meta["date"][:4].isdigit()
        assert back.n_pairs == tt.n_pairs


# ---------------------------------------------------------------------------- errors
def test_a_bad_url_is_a_clear_error():
    with pytest.raises(ParameterError, match="base address"):
        travel_times_from_osrm(_points_in(BOXES["gibraltar"], 3), "127.0.0.1:5000", ids="any")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(OsrmError, match=r"could not be reached after 2 tries"):
        travel_times_from_osrm(
            _points_in(BOXES["gibraltar"], 3),
            f"http://127.0.0.1:{port}",
            ids="any",
            retries=1,
            backoff=0.05,
            cache=False,
        )


def test_blocks_larger_than_the_server_allows_are_a_clear_error(region, tools):
    base, points = region
    with (
        serve_extract(base, max_table_size=5, tools=tools) as small,
        pytest.raises(OsrmError, match=r"block \d+ \(\d+ sources.*'TooBig'.*max_table_size"),
    ):
        # snapping asks 1 × 6 pairs (within 5²), the blocks up to 6 × 6
        travel_times_from_osrm(
            points.iloc[:40], small.url, ids="any", max_table_size=6, cache=False
        )


def test_missing_programs_say_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setenv("APLCORE_OSRM_BIN", str(tmp_path))
    with pytest.raises(OsrmError, match=r"osrm-bindings.*osrm/osrm-backend"):
        find_osrm()


# ---------------------------------------------------------------------------- server deaths
def _kill_after_blocks(server, cache_root: Path, blocks: int, restart=None):
    """Kill the server once ``blocks`` block files are in the cache; optionally restart it."""

    def watch():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if len(list(cache_root.rglob("block-*.parquet"))) >= blocks:
                break
            time.sleep(0.01)
        server.process.kill()
        server.process.wait()
        if restart is not None:
            restart()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_server_that_dies_mid_run_then_a_run_that_resumes(region, tools, tmp_path):
    base, points = region
    sub = points.iloc[:200]
    options = {
        "ids": "any",
        "max_minutes": 30,
        "max_table_size": 15,
        "workers": 1,
        "cache_dir": tmp_path,
    }
    with serve_extract(base, tools=tools) as first:
        watcher = _kill_after_blocks(first, tmp_path, blocks=3)
        with pytest.raises(OsrmError, match=r"could not be reached after 2 tries.*resumes"):
            travel_times_from_osrm(sub, first.url, retries=1, backoff=0.1, **options)
        watcher.join()
    done_before = len(list(tmp_path.rglob("block-*.parquet")))
    assert done_before >= 3
    with serve_extract(base, tools=tools) as second:  # another port: the key is the data
        tt = travel_times_from_osrm(sub, second.url, **options)
        full = full_table(second.url, sub)
    assert tt.metadata["osrm"]["blocks_from_cache"] == done_before
    assert tt.metadata["osrm"]["blocks"] > done_before
    assert_exact(tt, sub, full, 30)


# ---------------------------------------------------------------------------- local server
def test_local_server_stops_on_an_exception_and_reuses_the_extract(shared_raw, tools, tmp_path):
    pbf = _real_pbf(shared_raw, "saint_barthelemy")
    seen = []

    def serve_then_fail():
        with local_osrm(pbf, folder=tmp_path) as server:
            seen.append(server.process)
            assert server.process.poll() is None
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        serve_then_fail()
    assert seen[0].poll() is not None
    record = next(tmp_path.glob("*/prepared.json"))
    stamp = record.stat().st_mtime_ns
    assert prepare_extract(pbf, folder=tmp_path, tools=tools).parent == record.parent
    assert record.stat().st_mtime_ns == stamp  # not prepared again


# ---------------------------------------------------------------------------- command line
def test_matrix_command_with_a_local_osrm(shared_raw, tools, tmp_path, monkeypatch):

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pbf = _real_pbf(shared_raw, "saint_barthelemy")
    communes = tmp_path / "communes.csv"
    communes.write_text("code,lon,lat\n97701,-62.850,17.897\n97801,-62.835,17.905\n")
    out = tmp_path / "m.parquet"
    argv = ["matrix", "--communes", str(communes), "--osrm-pbf", str(pbf), "--out", str(out)]
    assert main(argv) == 0
    tt = load_travel_times(out)
    assert tt.metadata["source"] == "osrm"
    assert tt.n_pairs == 4  # two communes a few minutes apart, both ways, and the self pairs
    record = json.loads(next(tmp_path.glob("*.run.json")).read_text())
    assert record["settings"]["osrm"]["server"].startswith("http://127.0.0.1:")
