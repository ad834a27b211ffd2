"""Seeded synthetic OpenStreetMap extract of a région, for the OSRM tests and benchmarks.

Generator (``write_synthetic_region(path, ...)``), written with pyosmium as a real ``.osm.pbf``:

* a square of ``side_km`` × ``side_km`` (200 km: a French région) centred on 46.5° N, 2.5° E,
  covered by a grid of road lines every ``spacing_km``; each grid node is moved by a uniform
  jitter of ±25 % of the spacing;
* road classes by grid line: every 40th line a motorway (``maxspeed=130``), every 10th a primary
  road (``maxspeed=80``), every 5th a secondary road, the others residential streets. 10 % of the
  residential segments are left out (gaps, dead ends), never those of the other classes;
* a lake (no road at all) of radius ``lake_km`` at one quarter of the square, so that points in it
  snap far from any road;
* ``n_points`` points (towns) drawn uniformly over the square, ``lon``/``lat`` indexed by ids
  ``P00000``, ``P00001``, ...;
* the header carries an ``osmosis_replication_timestamp`` (``timestamp``), which ``osrm-extract``
  keeps as the data version the server reports.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give the same
file and points. Run ``python bench/_synthetic_osm.py OUT.osm.pbf`` to write one.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

LAT0 = 46.5
LON0 = 2.5
KM_PER_DEG_LAT = 111.32
TIMESTAMP = "2026-01-01T00:00:00Z"


def _lonlat(x_km: np.ndarray, y_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = LAT0 + y_km / KM_PER_DEG_LAT
    lon = LON0 + x_km / (KM_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    return lon, lat


def _road_class(line: int) -> dict[str, str]:
    if line % 40 == 20:
        return {"highway": "motorway", "oneway": "no", "maxspeed": "130"}
    if line % 10 == 0:
        return {"highway": "primary", "maxspeed": "80"}
    if line % 5 == 0:
        return {"highway": "secondary"}
    return {"highway": "residential"}


def write_synthetic_region(
    path: str | Path,
    *,
    side_km: float = 200.0,
    spacing_km: float = 2.0,
    n_points: int = 2000,
    lake_km: float = 6.0,
    seed: int = 0,
    timestamp: str = TIMESTAMP,
) -> pd.DataFrame:
    """Write the extract to ``path`` and return its points (``lon``, ``lat``, indexed by id)."""
    import osmium

    rng = np.random.default_rng(seed)
    n = round(side_km / spacing_km) + 1
    half = side_km / 2
    grid = np.linspace(-half, half, n)
    gx, gy = np.meshgrid(grid, grid, indexing="ij")  # node (i, j): column i, row j
    jitter = 0.25 * spacing_km
    gx = gx + rng.uniform(-jitter, jitter, gx.shape)
    gy = gy + rng.uniform(-jitter, jitter, gy.shape)
    lake_x, lake_y = -half / 2, -half / 2
    wet = np.hypot(gx - lake_x, gy - lake_y) < lake_km
    lon, lat = _lonlat(gx, gy)
    node_id = np.arange(1, n * n + 1, dtype=np.int64).reshape(n, n)

    path = Path(path)
    path.unlink(missing_ok=True)
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", timestamp)
    used = np.zeros((n, n), dtype=bool)
    ways: list[tuple[list[int], dict[str, str]]] = []
    for vertical in (True, False):
        for line in range(n):
            tags = _road_class(line)
            local = tags["highway"] == "residential"
            keep_segment = ~(rng.random(n - 1) < 0.10) if local else np.ones(n - 1, dtype=bool)
            cells = [(line, k) if vertical else (k, line) for k in range(n)]
            run: list[tuple[int, int]] = []
            for k in range(n - 1):
                a, b = cells[k], cells[k + 1]
                if keep_segment[k] and not (wet[a] or wet[b]):
                    run = run or [a]
                    run.append(b)
                    continue
                if len(run) >= 2:
                    ways.append(([int(node_id[c]) for c in run], tags))
                run = []
            if len(run) >= 2:
                ways.append(([int(node_id[c]) for c in run], tags))
    for nodes, _ in ways:
        for nid in nodes:
            used.flat[nid - 1] = True
    writer = osmium.SimpleWriter(str(path), header=header)
    try:
        for flat in np.flatnonzero(used.ravel()):
            writer.add_node(
                osmium.osm.mutable.Node(
                    id=int(flat + 1),
                    location=(float(lon.flat[flat]), float(lat.flat[flat])),
                    version=1,
                    timestamp=timestamp,
                )
            )
        for k, (nodes, tags) in enumerate(ways, start=1):
            writer.add_way(
                osmium.osm.mutable.Way(id=k, nodes=nodes, tags=tags, version=1, timestamp=timestamp)
            )
    finally:
        writer.close()

    px = rng.uniform(-half, half, n_points)
    py = rng.uniform(-half, half, n_points)
    plon, plat = _lonlat(px, py)
    ids = pd.Index([f"P{k:05d}" for k in range(n_points)], name="id")
    return pd.DataFrame({"lon": plon, "lat": plat}, index=ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--side-km", type=float, default=200.0)
    parser.add_argument("--spacing-km", type=float, default=2.0)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    points = write_synthetic_region(
        args.out,
        side_km=args.side_km,
        spacing_km=args.spacing_km,
        n_points=args.points,
        seed=args.seed,
    )
    points.to_csv(args.out.with_suffix(".points.csv"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
