"""OSM extracts read directly: ``road_graph_from_pbf`` on the two real extracts."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pytest

from aplcore import cli, road_graph_from_pbf, travel_times_from_graph
from aplcore.errors import InputFormatError, ParameterError
from aplcore.scenarios.distributed import road_times_on_dask
from aplcore.traveltimes.pbf import (
    FALLBACK_KMH,
    directions,
    haversine_m,
    impute_speeds,
    is_drivable,
    parse_maxspeed,
)
from aplcore.traveltimes.roads import multi_source_dijkstra

EXTRACTS = ("saint_barthelemy", "gibraltar")


@pytest.fixture(scope="module", params=EXTRACTS)
def extract(request, shared_raw):
    path = shared_raw / "osm_extracts" / f"{request.param}.osm.pbf"
    return path, road_graph_from_pbf(path)


def osmium_ways(path):
    """Every way tagged highway, as osmium reads it: (id, tags, [(node id, lon, lat)])."""
    out = []
    reader = osmium.FileProcessor(str(path)).with_locations()
    for obj in reader:
        if obj.is_way() and "highway" in obj.tags:
            nodes = [
                (n.ref, n.lon, n.lat) if n.location.valid() else (n.ref, None, None)
                for n in obj.nodes
            ]
            out.append((obj.id, dict(obj.tags), nodes))
    return out


def position_of(road):
    return {int(node): k for k, node in enumerate(road.node_ids)}


def edge_seconds(road, u, v):
    row = slice(road.indptr[u], road.indptr[u + 1])
    hit = np.flatnonzero(road.indices[row] == v)
    return float(road.seconds[row][hit[0]]) if hit.size else None


def to_networkx(road):
    G = nx.DiGraph()
    G.add_nodes_from(range(road.n_nodes))
    for u in range(road.n_nodes):
        for k in range(road.indptr[u], road.indptr[u + 1]):
            G.add_edge(u, int(road.indices[k]), weight=float(road.seconds[k]))
    return G


# ------------------------------------------------------------------ rules, on tags
@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * 1.60934),
        ("30mph", 30 * 1.60934),
        ("FR:urban", 50.0),
        ("FR:rural", 80.0),
        ("GB:nsl_single", 60 * 1.60934),
        ("60|40", 50.0),
        ("7,5", 7.5),
        ("none", math.nan),
        ("signals", math.nan),
        ("walk", math.nan),
        ("", math.nan),
        (None, math.nan),
    ],
)
def test_maxspeed_parsing(value, kmh) -> None:
    parsed = parse_maxspeed(value)
    assert (math.isnan(parsed) and math.isnan(kmh)) or parsed == pytest.approx(kmh, rel=1e-12)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, (True, True)),
        ({"highway": "residential", "oneway": "yes"}, (True, False)),
        ({"highway": "residential", "oneway": "-1"}, (False, True)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "motorway", "oneway": "no"}, (True, True)),
        ({"highway": "motorway_link"}, (True, True)),
    ],
)
def test_oneway_rules(tags, expected) -> None:
    assert directions(tags) == expected


@pytest.mark.parametrize(
    ("tags", "kept"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "service"}, False),
        ({"highway": "footway"}, False),
        ({"highway": "primary", "access": "private"}, False),
        ({"highway": "primary", "motorcar": "no"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "unclassified", "service": "driveway"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_osmnx_drive_filter(tags, kept) -> None:
    assert is_drivable(tags) is kept


def test_speed_imputation_rules_in_order() -> None:
    highway = np.array(["primary", "primary", "residential", "track2", "secondary"], dtype=object)
    maxspeed = np.array([70.0, np.nan, np.nan, np.nan, np.nan])
    speed, counts = impute_speeds(
        highway, maxspeed, hwy_speeds={"secondary": 45.0}, fallback_kmh=17.0
    )
    # tagged, mean of the type, fallback table, fallback_kmh, hwy_speeds
    assert speed.tolist() == [70.0, 70.0, FALLBACK_KMH["residential"], 17.0, 45.0]
    assert counts == {"maxspeed": 1, "hwy_speeds": 1, "type_mean": 1, "fallback": 2}


def test_bad_inputs_are_refused(tmp_path, shared_raw) -> None:
    with pytest.raises(InputFormatError, match="OSM extract not found"):
        road_graph_from_pbf(tmp_path / "missing.osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf file at all")
    with pytest.raises(InputFormatError, match=r"cannot read bad\.osm\.pbf"):
        road_graph_from_pbf(bad)
    path = shared_raw / "osm_extracts" / "gibraltar.osm.pbf"
    with pytest.raises(ParameterError, match="fallback_kmh=-1"):
        road_graph_from_pbf(path, fallback_kmh=-1)


# ------------------------------------------------------------------ the real extracts
def test_counts_match_osmium_reading(extract) -> None:
    path, road = extract
    ways = osmium_ways(path)
    drivable = [w for w in ways if is_drivable(w[1])]
    assert road.metadata["n_highway_ways"] == len(ways)
    assert road.metadata["n_ways"] == len(drivable)
    # graph nodes: every node of a kept way that joins a segment lying inside the extract
    nodes = set()
    for _, _, members in drivable:
        for (a, xa, _), (b, xb, _) in itertools.pairwise(members):
            if xa is not None and xb is not None:
                nodes.update((a, b))
    assert set(road.node_ids.tolist()) == nodes
    assert road.n_nodes == len(nodes)


def test_oneways_are_respected(extract) -> None:
    path, road = extract
    where = position_of(road)
    checked = {"forward": 0, "backward": 0, "two-way": 0}
    for _, tags, members in osmium_ways(path):
        if not is_drivable(tags) or members[0][1] is None or members[1][1] is None:
            continue
        a, b = where[members[0][0]], where[members[1][0]]
        if a == b:
            continue
        forward, backward = edge_seconds(road, a, b), edge_seconds(road, b, a)
        kind = {"yes": "forward", "-1": "backward"}.get(tags.get("oneway"))
        if kind is None and tags.get("junction") == "roundabout" and "oneway" not in tags:
            kind = "forward"
        if kind == "forward":
            assert forward is not None
            # the reverse edge exists only if another two-way way joins the same nodes
            checked["forward"] += 1
        elif kind == "backward":
            assert backward is not None
            checked["backward"] += 1
        elif tags.get("oneway") in (None, "no") and tags["highway"] != "motorway":
            assert forward is not None
            assert backward is not None
            checked["two-way"] += 1
    assert checked["two-way"] > 100
    if path.name.startswith("gibraltar"):
        assert checked["forward"] > 100
        assert checked["backward"] > 5
    # a trip that is direct one way and must go round the other way
    G = to_networkx(road)
    one_way = [(u, v) for u, v in G.edges if not G.has_edge(v, u)]
    assert one_way, "the extract has one-way streets"
    detours = 0
    for u, v in one_way[:200]:
        there = nx.shortest_path_length(G, u, v, weight="weight")
        assert there == G[u][v]["weight"]
        try:
            back = nx.shortest_path_length(G, v, u, weight="weight")
        except nx.NetworkXNoPath:
            back = math.inf
        detours += back > there
    assert detours > 0


def test_speeds_are_imputed_as_documented(extract) -> None:
    path, road = extract
    where = position_of(road)
    ways = [w for w in osmium_ways(path) if is_drivable(w[1])]
    tagged_by_type: dict[str, list[float]] = {}
    for _, tags, _ in ways:
        speed = parse_maxspeed(tags.get("maxspeed"))
        if not math.isnan(speed):
            tagged_by_type.setdefault(tags["highway"], []).append(speed)
    checked = 0
    for _, tags, members in ways:
        (a, xa, ya), (b, xb, yb) = members[0], members[1]
        if xa is None or xb is None or a == b:
            continue
        seconds = edge_seconds(road, where[a], where[b]) or edge_seconds(road, where[b], where[a])
        length = float(haversine_m(xa, ya, xb, yb))
        kind = tags["highway"]
        tagged = parse_maxspeed(tags.get("maxspeed"))
        if not math.isnan(tagged):
            expected = tagged
        elif kind in tagged_by_type:
            expected = float(np.mean(tagged_by_type[kind]))
        else:
            expected = FALLBACK_KMH.get(kind, 25.0)
        # parallel ways keep the fastest edge: the edge is never slower than this way
        assert seconds <= length / (expected / 3.6) * (1 + 1e-12)
        checked += 1
    assert checked == len([w for w in ways if w[2][0][1] is not None and w[2][1][1] is not None])
    sources = road.metadata["speed_sources"]
    assert sum(sources.values()) == road.metadata["n_ways"]
    if path.name.startswith("gibraltar"):
        assert sources["maxspeed"] == 5
        assert sources["type_mean"] > 0


def test_dijkstra_equals_networkx_exactly(extract) -> None:
    _, road = extract
    G = to_networkx(road)
    rng = np.random.default_rng(7)
    sources = rng.choice(road.n_nodes, 25, replace=False)
    cutoff = 600.0
    src, tgt, seconds = multi_source_dijkstra(
        road.indptr, road.indices, road.seconds, sources, cutoff, progress=False
    )
    ours = {(int(sources[s]), int(t)): float(x) for s, t, x in zip(src, tgt, seconds, strict=True)}
    reference = {}
    for s in sources:
        lengths = nx.single_source_dijkstra_path_length(G, int(s), cutoff=cutoff)
        reference.update({(int(s), int(t)): float(x) for t, x in lengths.items()})
    assert ours.keys() == reference.keys()
    assert ours == reference  # the same sums along the same shortest paths
    assert len(ours) > 25 * 10


def test_points_by_id_with_lon_lat_and_the_file_path_give_the_same_times(extract) -> None:
    path, road = extract
    rng = np.random.default_rng(11)
    picked = rng.choice(road.n_nodes, 12, replace=False)
    points = pd.DataFrame(
        {"lon": road.x[picked], "lat": road.y[picked]},
        index=pd.Index([f"P{k:02d}" for k in range(12)], name="id"),
    )
    from_graph = travel_times_from_graph(road, points, max_minutes=30, ids="any", progress=False)
    from_file = travel_times_from_graph(path, points, max_minutes=30, ids="any", progress=False)
    a = from_graph.to_frame()
    b = from_file.to_frame()
    pd.testing.assert_frame_equal(a, b)
    # the points sit on nodes: times are the graph's shortest paths
    G = to_networkx(road)
    frame = a[a["origin"] != a["destination"]]
    assert len(frame) > 0
    ids = {name: int(node) for name, node in zip(points.index, picked, strict=True)}
    for o, d, minutes in frame.itertuples(index=False):
        seconds = nx.shortest_path_length(G, ids[o], ids[d], weight="weight")
        assert minutes * 60 == pytest.approx(seconds, rel=1e-12, abs=1e-9)


def test_matrix_command_reads_an_extract(shared_raw, tmp_path, capsys) -> None:

    path = shared_raw / "osm_extracts" / "gibraltar.osm.pbf"
    road = road_graph_from_pbf(path)
    rng = np.random.default_rng(5)
    picked = rng.choice(road.n_nodes, 6, replace=False)
    codes = [f"0100{k}" for k in range(1, 7)]
    points = pd.DataFrame({"code": codes, "lon": road.x[picked], "lat": road.y[picked]})
    points.to_csv(tmp_path / "points.csv", index=False)
    out = tmp_path / "matrix.csv"
    argv = ["matrix", "--communes", str(tmp_path / "points.csv"), "--roads", str(path)]
    assert cli.main([*argv, "--out", str(out)]) == 0, capsys.readouterr()
    written = pd.read_csv(out, dtype={"origin": str, "destination": str})
    expected = travel_times_from_graph(road, points, max_minutes=30, progress=False).to_frame()
    assert len(written) == len(expected) > 6
    np.testing.assert_allclose(
        written.sort_values(["origin", "destination"])["minutes"].to_numpy(),
        expected.sort_values(["origin", "destination"])["minutes"].to_numpy(),
        rtol=1e-9,
    )


def test_dask_path_runs_on_the_extract_and_equals_the_local_one(shared_raw) -> None:
    distributed = pytest.importorskip("distributed")

    road = road_graph_from_pbf(shared_raw / "osm_extracts" / "gibraltar.osm.pbf")
    rng = np.random.default_rng(13)
    picked = rng.choice(road.n_nodes, 40, replace=False)
    points = pd.DataFrame(
        {"lon": road.x[picked] + 1e-4, "lat": road.y[picked]},
        index=pd.Index([f"cell-{k:03d}" for k in range(40)], name="id"),
    )
    local = travel_times_from_graph(road, points, max_minutes=10, ids="any", progress=False)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = road_times_on_dask(client, road, points, 10, chunk=8, progress=False)
    assert remote.codes.tolist() == local.codes.tolist()
    np.testing.assert_array_equal(remote.indptr, local.indptr)
    np.testing.assert_array_equal(remote.indices, local.indices)
    np.testing.assert_array_equal(remote.minutes, local.minutes)


def test_metadata_names_the_extract_and_the_speed_rules(extract) -> None:
    path, road = extract
    points = pd.DataFrame(
        {"lon": road.x[:3], "lat": road.y[:3]}, index=pd.Index(["a", "b", "c"], name="id")
    )
    params = travel_times_from_graph(road, points, ids="any", progress=False).metadata["params"]
    assert params["source_file"] == path.name
    assert params["speed_sources"] == road.metadata["speed_sources"]
