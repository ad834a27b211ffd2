"""Road-graph travel times: graph conversion, speed imputation, snapping, disconnected communes."""

from __future__ import annotations

import logging

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from aplcore.errors import InputFormatError, MismatchError, ParameterError
from aplcore.traveltimes.roads import RoadGraph, graph_to_csr, travel_times_from_graph

CODES = ["78001", "78002", "78003", "78004", "78005", "78006"]


def pairs_of(tt) -> dict[tuple[str, str], float]:
    frame = tt.to_frame()
    return {
        (o, d): t
        for o, d, t in zip(frame["origin"], frame["destination"], frame["minutes"], strict=True)
    }


def line_graph_l93() -> nx.MultiDiGraph:
    """Four nodes 1 km apart on a west-east line in Lambert-93, 60 s per edge each way."""
    G = nx.MultiDiGraph(crs="EPSG:2154")
    for k in range(4):
        G.add_node(k, x=650_000.0 + 1000.0 * k, y=6_860_000.0)
    for k in range(3):
        G.add_edge(k, k + 1, travel_time=60.0)
        G.add_edge(k + 1, k, travel_time=60.0)
    return G


# ------------------------------------------------------------------ conversion
def test_undirected_graph_gets_both_directions_and_loses_self_loops() -> None:
    G = nx.Graph()
    G.add_edge("a", "b", travel_time=5.0)
    G.add_edge("b", "b", travel_time=1.0)
    road = graph_to_csr(G)
    assert road.n_nodes == 2
    assert road.n_edges == 2
    assert road.indptr.dtype == np.int64
    assert road.indices.dtype == np.int32
    np.testing.assert_array_equal(road.seconds, [5.0, 5.0])


def test_from_edges_keeps_the_minimum_parallel_edge() -> None:
    road = RoadGraph.from_edges(3, [0, 0, 1, 0], [1, 1, 2, 1], [4.0, 2.0, 1.0, 3.0])
    np.testing.assert_array_equal(road.indptr, [0, 1, 2, 2])
    np.testing.assert_array_equal(road.indices, [1, 2])
    np.testing.assert_array_equal(road.seconds, [2.0, 1.0])


def test_missing_travel_times_without_imputation_is_an_error() -> None:
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, length=100.0)
    G.add_edge(2, 1, length=100.0, travel_time=7.0)
    with pytest.raises(InputFormatError, match=r"1 of 2 edges have no 'travel_time' attribute"):
        graph_to_csr(G, impute=False)


def test_imputation_needs_a_multigraph() -> None:
    G = nx.DiGraph()
    G.add_edge(1, 2, length=100.0)
    with pytest.raises(InputFormatError, match="osmnx imputation needs an osmnx MultiDiGraph"):
        graph_to_csr(G)


def test_negative_edge_times_are_rejected() -> None:
    with pytest.raises(Exception, match=r"edge travel times must be finite and >= 0 seconds"):
        RoadGraph.from_edges(2, [0], [1], [-3.0])


def test_not_a_graph_is_rejected() -> None:
    with pytest.raises(InputFormatError, match="G must be a networkx graph"):
        graph_to_csr({"a": 1})


def test_imputation_fills_only_missing_times() -> None:
    pytest.importorskip("osmnx")
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=2.0, y=48.0)
    G.add_node(2, x=2.01, y=48.0)
    G.add_edge(1, 2, length=1000.0, highway="primary", maxspeed="50")
    G.add_edge(2, 1, length=1000.0, highway="primary", maxspeed="50", travel_time=500.0)
    road = graph_to_csr(G)
    assert road.metadata["imputed_edges"] == 1
    # 1 km at 50 km/h = 72 s; the given 500 s is kept as is
    assert sorted(road.seconds.tolist()) == [72.0, 500.0]


def test_imputation_on_an_undirected_multigraph() -> None:
    pytest.importorskip("osmnx")
    G = nx.MultiGraph(crs="EPSG:4326")
    G.add_node(1, x=2.0, y=48.0)
    G.add_node(2, x=2.01, y=48.0)
    G.add_node(3, x=2.02, y=48.0)
    G.add_edge(1, 2, length=1000.0, highway="primary", maxspeed="50")
    G.add_edge(2, 3, length=1000.0, highway="residential", travel_time=10.0)
    G.add_edge(2, 3, length=500.0, highway="residential")  # imputed 36 s, slower than 10 s
    road = graph_to_csr(G)
    assert road.metadata["imputed_edges"] == 2
    np.testing.assert_array_equal(road.indptr, [0, 1, 3, 4])
    np.testing.assert_array_equal(road.seconds, [72.0, 72.0, 10.0, 10.0])


# ------------------------------------------------------------------ communes
def test_access_time_is_added_at_both_ends() -> None:
    G = line_graph_l93()
    communes = pd.DataFrame(
        {
            "code": ["78001", "78002"],
            # 300 m north of node 0, exactly on node 3
            "x": [650_000.0, 653_000.0],
            "y": [6_860_300.0, 6_860_000.0],
        }
    )
    tt = travel_times_from_graph(G, communes, max_minutes=30, access_speed_kmh=18.0)
    got = pairs_of(tt)
    # 300 m at 18 km/h = 1 minute; distances are true ground distances, which differ from
    # Lambert-93 grid distances by the projection's scale factor (< 0.1 % in France)
    access = 0.3 / 18.0 * 60.0
    assert got[("78001", "78002")] == pytest.approx(access + 3.0, abs=1e-3)
    assert got[("78002", "78001")] == got[("78001", "78002")]
    assert got[("78001", "78001")] == 0.0
    assert tt.metadata["snap_distance_m"]["max"] == pytest.approx(300.0, rel=1e-3)


def test_max_minutes_is_inclusive_and_intra_minutes_used() -> None:
    G = line_graph_l93()
    communes = pd.DataFrame(
        {"code": ["78001", "78002"], "x": [650_000.0, 653_000.0], "y": [6_860_000.0] * 2}
    )
    tt = travel_times_from_graph(G, communes, max_minutes=3, intra_minutes=1.5)
    assert pairs_of(tt) == {
        ("78001", "78001"): 1.5,
        ("78001", "78002"): 3.0,
        ("78002", "78001"): 3.0,
        ("78002", "78002"): 1.5,
    }
    tt = travel_times_from_graph(G, communes, max_minutes=2.999)
    assert set(pairs_of(tt)) == {("78001", "78001"), ("78002", "78002")}


def test_lon_lat_communes_on_a_projected_graph() -> None:
    from pyproj import Transformer

    G = line_graph_l93()
    lon, lat = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(
        [650_000.0, 652_000.0], [6_860_000.0, 6_860_000.0]
    )
    communes = pd.DataFrame({"code": ["78001", "78002"], "lon": lon, "lat": lat})
    tt = travel_times_from_graph(G, communes, max_minutes=30)
    assert pairs_of(tt)[("78001", "78002")] == pytest.approx(2.0, abs=1e-4)


def test_disconnected_communes_are_reported(caplog) -> None:
    G = line_graph_l93()
    G.add_node(10, x=700_000.0, y=6_900_000.0)
    G.add_node(11, x=700_500.0, y=6_900_000.0)
    G.add_edge(10, 11, travel_time=30.0)
    G.add_edge(11, 10, travel_time=30.0)
    communes = pd.DataFrame(
        {
            "code": ["78001", "78002", "78003"],
            "x": [650_000.0, 653_000.0, 700_000.0],
            "y": [6_860_000.0, 6_860_000.0, 6_900_000.0],
        }
    )
    with caplog.at_level(logging.WARNING, logger="aplcore.traveltimes.roads"):
        tt = travel_times_from_graph(G, communes, max_minutes=30)
    assert tt.metadata["disconnected_communes"] == ["78003"]
    assert "1 communes snap to nodes outside the largest strongly connected" in caplog.text
    assert ("78003", "78001") not in pairs_of(tt)
    with pytest.raises(MismatchError, match=r"outside the largest strongly connected.*'78003'"):
        travel_times_from_graph(G, communes, max_minutes=30, on_disconnected="error")


def test_parameter_errors() -> None:
    G = line_graph_l93()
    communes = pd.DataFrame({"code": ["78001"], "x": [650_000.0], "y": [6_860_000.0]})
    with pytest.raises(ParameterError, match="access_speed_kmh must be a positive speed"):
        travel_times_from_graph(G, communes, access_speed_kmh=0.0)
    with pytest.raises(ParameterError, match="max_minutes must be a non-negative number"):
        travel_times_from_graph(G, communes, max_minutes=float("nan"))
    with pytest.raises(ParameterError, match="on_disconnected must be"):
        travel_times_from_graph(G, communes, on_disconnected="drop")


def test_graph_without_coordinates_cannot_snap() -> None:
    G = nx.MultiDiGraph()
    G.add_edge(0, 1, travel_time=1.0)
    communes = pd.DataFrame({"code": ["78001"], "lon": [2.0], "lat": [48.0]})
    with pytest.raises(InputFormatError, match="nodes have no x/y coordinates"):
        travel_times_from_graph(G, communes)


TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="aplcore tests">
  <node id="1" lat="48.900" lon="2.100" version="1"/>
  <node id="2" lat="48.900" lon="2.110" version="1"/>
  <node id="3" lat="48.900" lon="2.120" version="1"/>
  <way id="10" version="1">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/>
    <tag k="maxspeed" v="50"/>
  </way>
</osm>
"""


def test_osm_xml_file_with_speed_imputation(tmp_path) -> None:
    pytest.importorskip("osmnx")
    from pyproj import Geod

    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM)
    communes = pd.DataFrame({"code": ["78001", "78002"], "lon": [2.10, 2.12], "lat": [48.9, 48.9]})
    tt = travel_times_from_graph(path, communes)
    metres = sum(Geod(ellps="WGS84").inv([2.10, 2.11], [48.9, 48.9], [2.11, 2.12], [48.9, 48.9])[2])
    expected = metres / 1000.0 / 50.0 * 60.0  # maxspeed 50 km/h, osmnx lengths are great-circle
    assert pairs_of(tt)[("78001", "78002")] == pytest.approx(expected, rel=1e-2)
    assert tt.metadata["params"]["imputed_edges"] == 2


def test_unknown_graph_file_type(tmp_path) -> None:
    path = tmp_path / "roads.shp"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"cannot tell the road graph format of roads\.shp"):
        graph_to_csr(path)


# ------------------------------------------------------------------ real street graphs
@pytest.fixture(scope="module")
def st_germain(shared_raw):
    ox = pytest.importorskip("osmnx")
    return ox.load_graphml(shared_raw / "osm_osmnx_graphs_yvelines" / "st_ger.gml")


def test_real_graph_communes_match_networkx(st_germain) -> None:
    """Six node-snapped points as communes: times equal networkx's node-to-node times."""
    ox = pytest.importorskip("osmnx")
    road = graph_to_csr(st_germain)  # imputes every edge with osmnx
    assert road.metadata["imputed_edges"] == st_germain.number_of_edges()
    H = ox.routing.add_edge_travel_times(ox.routing.add_edge_speeds(st_germain.copy()))
    rng = np.random.default_rng(7)
    nodes = list(H.nodes)
    picked = [nodes[k] for k in rng.choice(len(nodes), size=len(CODES), replace=False)]
    communes = pd.DataFrame(
        {
            "code": CODES,
            "lon": [H.nodes[n]["x"] for n in picked],
            "lat": [H.nodes[n]["y"] for n in picked],
        }
    )
    max_minutes = 6.0
    tt = travel_times_from_graph(road, communes, max_minutes=max_minutes)
    assert max(tt.metadata["snap_distance_m"].values()) < 1e-3
    got = pairs_of(tt)
    expected = {}
    for code_o, node_o in zip(CODES, picked, strict=True):
        lengths = nx.single_source_dijkstra_path_length(
            H, node_o, cutoff=max_minutes * 60.0, weight="travel_time"
        )
        for code_d, node_d in zip(CODES, picked, strict=True):
            if code_d == code_o:
                expected[(code_o, code_d)] = 0.0
            elif node_d in lengths:
                expected[(code_o, code_d)] = lengths[node_d] / 60.0
    assert got.keys() == expected.keys()
    assert len(expected) > len(CODES), "the test needs some pairs between distinct communes"
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-6)


def test_graphml_path_is_read_with_osmnx(shared_raw) -> None:
    pytest.importorskip("osmnx")
    path = shared_raw / "osm_osmnx_graphs_yvelines" / "maisons_laffitte.gml"
    road = graph_to_csr(path)
    assert road.n_nodes == 974
    assert road.metadata["imputed_edges"] == 2256


def test_road_travel_times_feed_compute_apl(st_germain) -> None:
    apl = pytest.importorskip("aplcore.apl")
    nodes = list(st_germain.nodes)[:: len(st_germain) // 4][:4]
    communes = pd.DataFrame(
        {
            "code": CODES[:4],
            "lon": [st_germain.nodes[n]["x"] for n in nodes],
            "lat": [st_germain.nodes[n]["y"] for n in nodes],
        }
    )
    tt = travel_times_from_graph(st_germain, communes, max_minutes=20, progress=True)
    demand = pd.Series([1000.0, 2000.0, 500.0, 800.0], index=CODES[:4])
    supply = pd.Series([3600.0, 0.0, 7200.0, 0.0], index=CODES[:4])
    result = apl.compute_apl(tt, demand=demand, supply=supply)
    # identity of the E2SFCA: sum_i P*_i APL_i = sum_j S_j when all supply reaches demand
    assert (result.apl * demand).sum() == pytest.approx(supply.sum(), rel=1e-12)
