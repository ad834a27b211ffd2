"""Road Dijkstra over chunks of sources on Dask: the local long table, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.scenarios.distributed import dijkstra_on_dask, road_times_on_dask
from aplcore.traveltimes.roads import (
    RoadGraph,
    multi_source_dijkstra,
    travel_times_from_road_graph,
)

distributed = pytest.importorskip("distributed")

X0, Y0 = 650_000.0, 6_700_000.0  # Lambert-93 metres, in the Loiret


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def grid_graph(side: int = 30, seed: int = 0) -> RoadGraph:
    rng = np.random.default_rng(seed)
    n = side * side
    row, col = np.divmod(np.arange(n), side)
    x = X0 + col * 700.0 + rng.uniform(-150, 150, n)
    y = Y0 + row * 700.0 + rng.uniform(-150, 150, n)
    h = np.flatnonzero(col < side - 1)
    v = np.flatnonzero(row < side - 1)
    tail = np.concatenate([h, v, h + 1, v + side])
    head = np.concatenate([h + 1, v + side, h, v])
    length = np.hypot(x[tail] - x[head], y[tail] - y[head])
    seconds = length / (50 / 3.6) * rng.uniform(1.0, 1.3, tail.size)
    return RoadGraph.from_edges(n, tail, head, seconds, x=x, y=y, crs="EPSG:2154")


@pytest.fixture(scope="module")
def road():
    return grid_graph()


def test_dijkstra_equals_local(client, road):
    rng = np.random.default_rng(1)
    sources = rng.choice(road.n_nodes, 200, replace=False)
    offsets = rng.uniform(0, 60, sources.size)
    targets = rng.choice(road.n_nodes, 150, replace=False)
    extra = rng.uniform(0, 60, targets.size)
    args = (road.indptr, road.indices, road.seconds, sources, 900.0)
    kwargs = {"source_offsets": offsets, "target_nodes": targets, "target_extra": extra}
    local = multi_source_dijkstra(*args, **kwargs, progress=False)
    for chunk in (7, 64, 1000):
        remote = dijkstra_on_dask(client, *args, **kwargs, chunk=chunk, progress=False)
        for a, b in zip(local, remote, strict=True):
            np.testing.assert_array_equal(a, b)


def test_road_times_equal_the_commune_function(client, road):
    codes = aplcore.load_communes(departement="45").index[:60]
    rng = np.random.default_rng(2)
    communes = pd.DataFrame(
        {
            "code": codes,
            "x": X0 + rng.uniform(0, 20_000, codes.size),
            "y": Y0 + rng.uniform(0, 20_000, codes.size),
        }
    )
    local = travel_times_from_road_graph(road, communes, 20, crs="EPSG:2154", progress=False)
    remote = road_times_on_dask(
        client, road, communes.rename(columns={"code": "id"}), 20, ids="commune", chunk=16
    )
    assert remote.codes.tolist() == local.codes.tolist()
    np.testing.assert_array_equal(remote.indptr, local.indptr)
    np.testing.assert_array_equal(remote.indices, local.indices)
    np.testing.assert_array_equal(remote.minutes, local.minutes)


def test_grid_cells_with_any_ids(client, road):
    rng = np.random.default_rng(3)
    cells = pd.DataFrame(
        {
            "id": [f"cell-{k:04d}" for k in range(300)],
            "x": X0 + rng.uniform(0, 20_000, 300),
            "y": Y0 + rng.uniform(0, 20_000, 300),
        }
    )
    tt = road_times_on_dask(client, road, cells, 15, chunk=50)
    assert tt.n_communes == 300
    frame = tt.to_frame()
    assert (frame["minutes"] <= 15).all()
    assert (frame.loc[frame["origin"] == frame["destination"], "minutes"] == 0).all()
    assert frame["origin"].str.startswith("cell-").all()
