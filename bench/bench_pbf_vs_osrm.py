"""The road graph read from an OSM extract against OSRM on the same extract and the same pairs.

Workload (``APLCORE_BENCH_SIZE=small`` selects the smoke sizes in brackets): on each real extract
of ``../shared/data/raw/osm_extracts``, 300 [60] points drawn (seed 0) among the nodes of the
road graph read by ``road_graph_from_pbf``, so that both engines snap them onto the road itself;
times within 30 minutes from ``travel_times_from_graph`` and from ``travel_times_from_osrm``
against an ``osrm-routed`` (car profile, MLD) started on the same file by ``local_osrm``.

:func:`compare_pbf_osrm` gives the pairs of distinct points both engines give, the median and
quartiles of ``ours / OSRM - 1``, the pairs given by only one of them, and the median of the
same ratio when the road graph gives the ways without ``maxspeed`` the fallback table (OSRM's
car-profile speeds, ``hwy_speeds=FALLBACK_KMH``) instead of the mean ``maxspeed`` of their type
in the extract: a measure of how much of the gap that imputation explains. Pairs OSRM times at
0 (two points it snaps to the same place) are counted apart.

Run::

    python bench/bench_pbf_vs_osrm.py        # prints the bench/README.md rows (full sizes)
    APLCORE_BENCH_SIZE=small python -m pytest bench/bench_pbf_vs_osrm.py --benchmark-disable
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import OsrmError
from aplcore.osrm import find_osrm, local_osrm
from aplcore.traveltimes.osrm import travel_times_from_osrm
from aplcore.traveltimes.pbf import FALLBACK_KMH
from aplcore.traveltimes.roads import road_graph_from_pbf, travel_times_from_graph

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_road_inputs import EXTRACTS, MAX_MINUTES, SMALL, extract_path, read_graph

N_POINTS = 60 if SMALL else 300


def node_points(road, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` distinct nodes of the road graph (seeded), as points indexed by id."""
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(road.n_nodes, size=min(n, road.n_nodes), replace=False))
    return pd.DataFrame(
        {"lon": np.asarray(road.x)[picked], "lat": np.asarray(road.y)[picked]},
        index=pd.Index([f"N{k:04d}" for k in range(len(picked))], name="id"),
    )


def graph_frame(road, points: pd.DataFrame, max_minutes: float = MAX_MINUTES) -> pd.DataFrame:
    tt = travel_times_from_graph(road, points, max_minutes=max_minutes, ids="any", progress=False)
    return tt.to_frame()


def osrm_frame(server, points: pd.DataFrame, max_minutes: float = MAX_MINUTES) -> pd.DataFrame:
    tt = travel_times_from_osrm(
        points,
        server.url,
        ids="any",
        max_minutes=max_minutes,
        max_table_size=server.max_table_size,
        cache=False,
        progress=False,
    )
    return tt.to_frame()


def compare_pbf_osrm(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, float]:
    """Agreement of two long tables (``origin, destination, minutes``) on distinct pairs."""
    keys = ["origin", "destination"]
    ours = ours[ours["origin"] != ours["destination"]]
    theirs = theirs[theirs["origin"] != theirs["destination"]]
    joined = ours.merge(theirs, on=keys, how="outer", suffixes=("_ours", "_osrm"), indicator=True)
    both = joined[joined["_merge"] == "both"]
    zero = both["minutes_osrm"].to_numpy() == 0.0
    both = both[~zero]
    relative = both["minutes_ours"].to_numpy() / both["minutes_osrm"].to_numpy() - 1.0
    q1, median, q3 = np.quantile(relative, [0.25, 0.5, 0.75])
    return {
        "pairs_compared": len(both),
        "only_ours": int((joined["_merge"] == "left_only").sum()),
        "only_osrm": int((joined["_merge"] == "right_only").sum()),
        "osrm_zero": int(zero.sum()),
        "median_relative_difference": float(median),
        "q1_relative_difference": float(q1),
        "q3_relative_difference": float(q3),
        "share_within_10_percent": float(np.mean(np.abs(relative) <= 0.10)),
        "median_ours_min": float(np.median(both["minutes_ours"])),
        "median_osrm_min": float(np.median(both["minutes_osrm"])),
    }


def measure(name: str, n_points: int = N_POINTS) -> dict:
    """Read the extract, serve it with OSRM, compare the two engines on the same points."""
    path = extract_path(name)
    road = read_graph(path)
    points = node_points(road, n_points)
    ours = graph_frame(road, points)
    table_speeds = graph_frame(road_graph_from_pbf(path, hwy_speeds=dict(FALLBACK_KMH)), points)
    with local_osrm(path) as server:
        theirs = osrm_frame(server, points)
    sources = road.metadata.get("speed_sources", {})
    row = {"extract": name, "points": len(points), "speed_sources": sources}
    row.update(compare_pbf_osrm(ours, theirs))
    row["median_relative_difference_fallback_speeds"] = compare_pbf_osrm(table_speeds, theirs)[
        "median_relative_difference"
    ]
    return row


# ------------------------------------------------------------------------------ smoke
def _tools_or_skip():
    try:
        return find_osrm()
    except OsrmError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the OSRM benchmarks: {exc}")
        pytest.skip(str(exc))


def test_compare_reports_one_sided_pairs() -> None:
    a = pd.DataFrame({"origin": ["A", "A", "B"], "destination": ["B", "C", "A"], "minutes": 1.0})
    b = pd.DataFrame({"origin": ["A", "B", "C"], "destination": ["B", "A", "A"], "minutes": 2.0})
    row = compare_pbf_osrm(a, b)
    assert (row["pairs_compared"], row["only_ours"], row["only_osrm"]) == (2, 1, 1)
    assert row["median_relative_difference"] == pytest.approx(-0.5)


@pytest.mark.parametrize("name", EXTRACTS)
def test_pbf_against_osrm(name) -> None:
    _tools_or_skip()
    row = measure(name)
    assert row["pairs_compared"] > 0
    print(json.dumps(row))


def main() -> int:
    """Print the rows of bench/README.md (full sizes unless APLCORE_BENCH_SIZE=small)."""
    print(json.dumps([measure(name) for name in EXTRACTS], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
