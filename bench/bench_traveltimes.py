"""Benchmarks of the travel-time matrices (crow-fly and road graphs).

Workloads (``APLCORE_BENCH_SIZE=small`` selects the smoke sizes in brackets):

* crow-fly: 35 000 [2 000] communes spread uniformly over 740 km × 740 km (France's density),
  all pairs within 30 minutes with the calibrated model;
* road graph: the seeded synthetic graph of ``bench/_synthetic_roads.py``, 1 000 × 1 000 nodes
  [120 × 120], 35 000 [400] communes on random nodes, all commune pairs within 30 minutes:

  - aplcore's parallel bounded Dijkstra over every commune (timed in full);
  - ``scipy.sparse.csgraph.dijkstra(indices=..., limit=...)`` on a seeded random sample of 300
    [20] communes, time scaled to all communes (its dense output row per source makes a full
    run impossible: 35 000 × 1 M);
  - networkx ``single_source_dijkstra_path_length(cutoff=...)`` on a seeded random sample of
    100 [5] communes, scaled. Each search runs on the part of the synthetic graph within a
    window around its source, large enough to contain everything it reaches within the cut-off
    (checked: the times equal aplcore's), so it does exactly the work it would do on the whole
    graph; building the windows is not timed;
  - peak memory (max RSS) of a full aplcore run, measured in a separate process.

JIT compilation is never timed (a warm-up call runs first). The last test prints the times,
the speed-ups against scipy and networkx (same run) and the peak memory.

Run::

    python -m pytest bench/bench_traveltimes.py --benchmark-enable            # full sizes
    APLCORE_BENCH_SIZE=small python -m pytest bench/bench_traveltimes.py --benchmark-disable
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.traveltimes.crowfly import travel_times_crow_fly
from aplcore.traveltimes.roads import multi_source_dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic_roads import (
    SPACING_M,
    commune_nodes,
    run_aplcore,
    synthetic_road_graph,
)

SMALL = os.environ.get("APLCORE_BENCH_SIZE", "").lower() == "small"
N_COMMUNES = 2_000 if SMALL else 35_000
SIDE = 120 if SMALL else 1000
N_ROAD_COMMUNES = 400 if SMALL else 35_000
N_SCIPY = 20 if SMALL else 300
N_NETWORKX = 5 if SMALL else 100
MAX_MINUTES = 30.0
CUTOFF_S = MAX_MINUTES * 60.0

RESULTS: dict[str, float] = {}


def timed(benchmark, fn, *args, **kwargs):
    """One timed round after a warm-up; the wall time is also kept for the summary."""
    start = time.perf_counter()
    out = benchmark.pedantic(fn, args=args, kwargs=kwargs, rounds=1, iterations=1)
    return out, time.perf_counter() - start


# ------------------------------------------------------------------ crow-fly
@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    extent = 740_000.0
    codes = [f"{d:02d}{k:03d}" for d in range(1, 96) for k in range(1, 1000)][:N_COMMUNES]
    return pd.DataFrame(
        {
            "code": codes,
            "x": 100_000.0 + rng.uniform(0, extent, N_COMMUNES),
            "y": 6_150_000.0 + rng.uniform(0, extent, N_COMMUNES),
        }
    )


@pytest.mark.benchmark(group="crow-fly")
def test_crow_fly(benchmark, communes) -> None:
    travel_times_crow_fly(communes.head(200), max_minutes=MAX_MINUTES)  # warm-up
    tt, seconds = timed(benchmark, travel_times_crow_fly, communes, max_minutes=MAX_MINUTES)
    assert tt.n_communes == N_COMMUNES
    assert tt.minutes.max() <= MAX_MINUTES
    RESULTS["crow_fly_s"] = seconds
    RESULTS["crow_fly_pairs"] = tt.n_pairs
    benchmark.extra_info.update(n_communes=N_COMMUNES, n_pairs=tt.n_pairs)


# ------------------------------------------------------------------ road graph
@pytest.fixture(scope="module")
def road():
    return synthetic_road_graph(SIDE, seed=0)


@pytest.fixture(scope="module")
def nodes(road) -> np.ndarray:
    return commune_nodes(road, N_ROAD_COMMUNES, seed=1)


@pytest.fixture(scope="module")
def sample_sources(nodes) -> np.ndarray:
    """A seeded random sample of the communes (for the scaled subsets)."""
    rng = np.random.default_rng(2)
    return rng.choice(nodes, size=min(max(N_SCIPY, N_NETWORKX), nodes.size), replace=False)


@pytest.mark.benchmark(group="road-graph")
def test_dijkstra_aplcore(benchmark, road, nodes) -> None:
    run_aplcore(road, nodes[:8], CUTOFF_S)  # warm-up: compile or load the kernel
    n_pairs, seconds = timed(benchmark, run_aplcore, road, nodes, CUTOFF_S)
    assert n_pairs >= nodes.size
    RESULTS["aplcore_s"] = seconds
    RESULTS["road_pairs"] = n_pairs
    benchmark.extra_info.update(
        n_nodes=road.n_nodes, n_edges=road.n_edges, n_sources=int(nodes.size), n_pairs=n_pairs
    )


@pytest.mark.benchmark(group="road-graph")
def test_dijkstra_scipy_subset(benchmark, road, nodes, sample_sources) -> None:
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    graph = csr_array((road.seconds, road.indices, road.indptr), shape=(road.n_nodes,) * 2)
    subset = sample_sources[:N_SCIPY]
    dijkstra(graph, indices=subset[:2], limit=CUTOFF_S)  # warm-up

    def run() -> list[np.ndarray]:
        rows = []
        for start in range(0, subset.size, 25):  # 25 dense rows of n_nodes at a time
            dist = dijkstra(graph, indices=subset[start : start + 25], limit=CUTOFF_S)
            rows.extend(dist[:, nodes])
        return rows

    rows, seconds = timed(benchmark, run)
    # same answer as aplcore on the subset
    src, tgt, tim = multi_source_dijkstra(
        road.indptr,
        road.indices,
        road.seconds,
        subset,
        CUTOFF_S,
        target_nodes=nodes,
        progress=False,
    )
    for k, row in enumerate(rows):
        reached = np.flatnonzero(np.isfinite(row))
        mine = src == k
        np.testing.assert_array_equal(np.sort(tgt[mine]), reached)
        np.testing.assert_allclose(tim[mine], row[tgt[mine]], rtol=0, atol=1e-9)
    RESULTS["scipy_scaled_s"] = seconds / subset.size * nodes.size
    benchmark.extra_info.update(
        n_sources=int(subset.size), sources_per_round=int(subset.size), scaled_to=int(nodes.size)
    )


@pytest.mark.benchmark(group="road-graph")
def test_dijkstra_networkx_subset(benchmark, road, nodes, sample_sources) -> None:
    nx = pytest.importorskip("networkx")
    subset = sample_sources[:N_NETWORKX]
    # Each source searches the part of the graph within a window around it, wide enough for
    # everything reachable within the cut-off (no edge is faster than the motorway speed, and
    # edge times are at least straight length / speed): the search does exactly the work it
    # would do on the whole 1 M-node graph, without building that graph in networkx.
    reach_m = CUTOFF_S * 130.0 / 3.6 + 2 * SPACING_M
    tail = np.repeat(np.arange(road.n_nodes), np.diff(road.indptr))
    node_set = set(nodes.tolist())
    state: dict = {"next": 0, "seconds": 0.0, "results": {}}

    def window_graph() -> tuple[tuple, dict]:
        """Untimed set-up of one round: the window graph of the next source."""
        s = int(subset[state["next"]])
        state["next"] += 1
        inside = (np.abs(road.x - road.x[s]) <= reach_m) & (np.abs(road.y - road.y[s]) <= reach_m)
        keep = inside[tail] & inside[road.indices]
        G = nx.DiGraph()
        G.add_node(s)
        G.add_weighted_edges_from(
            zip(
                tail[keep].tolist(),
                road.indices[keep].tolist(),
                road.seconds[keep].tolist(),
                strict=True,
            ),
            weight="travel_time",
        )
        return (G, s), {}

    def search(G, s: int) -> None:
        start = time.perf_counter()
        lengths = nx.single_source_dijkstra_path_length(G, s, cutoff=CUTOFF_S, weight="travel_time")
        state["seconds"] += time.perf_counter() - start
        state["results"][s] = {n: t for n, t in lengths.items() if n in node_set}

    warm = nx.DiGraph()
    warm.add_edge(0, 1, travel_time=1.0)
    assert nx.single_source_dijkstra_path_length(warm, 0, cutoff=1.0, weight="travel_time")
    # one round per source: the window is built in the (untimed) set-up, one graph at a time
    benchmark.pedantic(search, setup=window_graph, rounds=int(subset.size), iterations=1)
    done = np.array(list(state["results"]), dtype=np.int64)
    assert done.size >= 1
    src, tgt, tim = multi_source_dijkstra(
        road.indptr,
        road.indices,
        road.seconds,
        done,
        CUTOFF_S,
        target_nodes=nodes,
        progress=False,
    )
    for k, s in enumerate(done.tolist()):
        ref = state["results"][s]
        mine = src == k
        got = dict(zip(nodes[tgt[mine]].tolist(), tim[mine].tolist(), strict=True))
        assert got.keys() == ref.keys()
        assert max(abs(got[n] - ref[n]) for n in ref) <= 1e-9
    RESULTS["networkx_scaled_s"] = state["seconds"] / done.size * nodes.size
    RESULTS["networkx_n"] = int(done.size)
    benchmark.extra_info.update(
        n_sources=int(done.size), sources_per_round=1, scaled_to=int(nodes.size)
    )


def test_dijkstra_peak_memory() -> None:
    script = Path(__file__).resolve().parent / "_synthetic_roads.py"
    out = subprocess.run(
        [
            sys.executable,
            str(script),
            "--side",
            str(SIDE),
            "--communes",
            str(N_ROAD_COMMUNES),
            "--minutes",
            str(MAX_MINUTES),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["n_nodes"] == SIDE * SIDE
    RESULTS["peak_rss_mib"] = report["peak_rss_mib"]
    RESULTS["subprocess_aplcore_s"] = report["seconds"]


def test_summary(capsys) -> None:
    lines = [f"travel-time benchmarks ({'small' if SMALL else 'full'} sizes)"]
    if "crow_fly_s" in RESULTS:
        lines.append(
            f"  crow-fly, {N_COMMUNES} communes within {MAX_MINUTES:g} min: "
            f"{RESULTS['crow_fly_s']:.2f} s ({RESULTS['crow_fly_pairs']} pairs)"
        )
    if "aplcore_s" in RESULTS:
        lines.append(
            f"  road graph {SIDE * SIDE} nodes, {N_ROAD_COMMUNES} sources, {MAX_MINUTES:g} min: "
            f"aplcore {RESULTS['aplcore_s']:.2f} s ({RESULTS['road_pairs']} pairs)"
        )
    for key, name, n in (
        ("scipy_scaled_s", "scipy csgraph.dijkstra", N_SCIPY),
        ("networkx_scaled_s", "networkx per source", RESULTS.get("networkx_n", N_NETWORKX)),
    ):
        if key in RESULTS and "aplcore_s" in RESULTS:
            lines.append(
                f"  {name}: {RESULTS[key]:.1f} s scaled from {n} sources "
                f"-> aplcore {RESULTS[key] / RESULTS['aplcore_s']:.1f}x faster"
            )
    if "peak_rss_mib" in RESULTS:
        lines.append(
            f"  peak memory of a full aplcore run (separate process): "
            f"{RESULTS['peak_rss_mib']:.0f} MiB ({RESULTS['subprocess_aplcore_s']:.2f} s)"
        )
    assert len(lines) > 1, "run the whole file to get a summary"
    with capsys.disabled():
        print("\n" + "\n".join(lines))
