"""Seeded synthetic road graph for the travel-time benchmarks.

Generator (``synthetic_road_graph(side, seed)``):

* ``side × side`` nodes on a square grid of ``SPACING_M`` = 740 m, each moved by a uniform jitter of
  ±30 % of the spacing. With ``side = 1000`` that is 1 000 000 nodes over 740 km × 740 km, about
  the size and node density of a simplified road graph of metropolitan France.
* Edges between grid neighbours (4-neighbourhood). 8 % of them are removed (gaps: rivers, dead
  ends); 5 % of the remaining are one-way (random direction); the rest go both ways.
* Road classes by grid line: every 50th row/column is a motorway (130 km/h), every 10th a main road
  (90 km/h), the rest local roads (50 km/h). Motorway and main-road edges are never removed.
* Edge time (seconds) = straight length × a detour factor uniform in [1.0, 1.3] / speed.
* Communes (sources and targets): ``n_communes`` distinct random nodes.

Everything is drawn from ``numpy.random.default_rng(seed)``; the same arguments give the same graph.
Running this file prints the peak memory (max RSS) of one full aplcore run, which is how the
benchmark measures memory in a separate process::

    python bench/_synthetic_roads.py --side 1000 --communes 35000 --minutes 30
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np

from aplcore.traveltimes.roads import RoadGraph, multi_source_dijkstra

SPACING_M = 740.0
SPEEDS_KMH = {"local": 50.0, "main": 90.0, "motorway": 130.0}


def _peak_kib() -> int:
    """Peak resident memory of this process (``VmHWM``; ``ru_maxrss`` survives ``execve`` on
    Linux, so a subprocess would report its parent's peak if that was larger)."""
    for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def synthetic_road_graph(side: int, seed: int = 0) -> RoadGraph:
    """The synthetic graph described in the module notes, as a :class:`RoadGraph` (x/y in m)."""
    rng = np.random.default_rng(seed)
    n = side * side
    row, col = np.divmod(np.arange(n, dtype=np.int64), side)
    x = col * SPACING_M + rng.uniform(-0.3, 0.3, n) * SPACING_M
    y = row * SPACING_M + rng.uniform(-0.3, 0.3, n) * SPACING_M
    # horizontal edges (k, k + 1) and vertical edges (k, k + side)
    h_tail = np.flatnonzero(col < side - 1)
    v_tail = np.flatnonzero(row < side - 1)
    tail = np.concatenate([h_tail, v_tail])
    head = np.concatenate([h_tail + 1, v_tail + side])
    line = np.concatenate([row[h_tail], col[v_tail]])  # the grid line the edge runs along
    speed = np.full(tail.size, SPEEDS_KMH["local"])
    speed[line % 10 == 0] = SPEEDS_KMH["main"]
    speed[line % 50 == 0] = SPEEDS_KMH["motorway"]
    local = speed == SPEEDS_KMH["local"]
    keep = ~local | (rng.random(tail.size) >= 0.08)
    tail, head, speed = tail[keep], head[keep], speed[keep]
    length = np.hypot(x[head] - x[tail], y[head] - y[tail])
    seconds = length * rng.uniform(1.0, 1.3, tail.size) / (speed / 3.6)
    one_way = rng.random(tail.size) < 0.05
    flip = one_way & (rng.random(tail.size) < 0.5)
    tail, head = np.where(flip, head, tail), np.where(flip, tail, head)
    both = ~one_way
    all_tail = np.concatenate([tail, head[both]])
    all_head = np.concatenate([head, tail[both]])
    all_seconds = np.concatenate([seconds, seconds[both]])
    return RoadGraph.from_edges(
        n,
        all_tail,
        all_head,
        all_seconds,
        x=x,
        y=y,
        crs="EPSG:2154",
        metadata={"generator": "bench/_synthetic_roads.py", "side": side, "seed": seed},
    )


def commune_nodes(road: RoadGraph, n_communes: int, seed: int = 1) -> np.ndarray:
    """``n_communes`` distinct random nodes (int64)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(road.n_nodes, size=min(n_communes, road.n_nodes), replace=False))


def run_aplcore(road: RoadGraph, nodes: np.ndarray, cutoff_s: float) -> int:
    """The full run the benchmark times: every commune to every commune within the cut-off."""
    src, _, _ = multi_source_dijkstra(
        road.indptr, road.indices, road.seconds, nodes, cutoff_s, target_nodes=nodes, progress=False
    )
    return int(src.size)


def peak_rss_kib() -> float:
    """Peak resident memory of this process in KiB.

    ``VmHWM`` from ``/proc/self/status`` where available: unlike ``ru_maxrss``, which Linux carries
    over ``execve`` from the forking parent, it covers this program only.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="peak memory of one aplcore road-graph run")
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--communes", type=int, default=35000)
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args(argv)
    road = synthetic_road_graph(args.side)
    nodes = commune_nodes(road, args.communes)
    run_aplcore(road, nodes[:8], args.minutes * 60.0)  # compile / load the kernel
    start = time.perf_counter()
    n_pairs = run_aplcore(road, nodes, args.minutes * 60.0)
    seconds = time.perf_counter() - start
    peak_kib = _peak_kib()
    json.dump(
        {
            "n_nodes": road.n_nodes,
            "n_edges": road.n_edges,
            "n_communes": int(nodes.size),
            "n_pairs": n_pairs,
            "seconds": seconds,
            "peak_rss_mib": peak_kib / 1024.0,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
