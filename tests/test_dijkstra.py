"""The parallel bounded multi-source Dijkstra kernel, checked exactly against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aplcore.errors import InputFormatError, InvalidValueError, ParameterError
from aplcore.traveltimes.roads import RoadGraph, graph_to_csr, multi_source_dijkstra

GRAPHS = ("st_ger.gml", "maisons_laffitte.gml")


def run_all(road: RoadGraph, sources, cutoff, **kwargs):
    src, tgt, tim = multi_source_dijkstra(
        road.indptr, road.indices, road.seconds, sources, cutoff, progress=False, **kwargs
    )
    return src, tgt, tim


def as_dicts(road: RoadGraph, n_sources: int, src, tgt, tim) -> list[dict]:
    out: list[dict] = [{} for _ in range(n_sources)]
    for s, t, v in zip(src.tolist(), tgt.tolist(), tim.tolist(), strict=True):
        assert road.node_ids[t] not in out[s], "a target reported twice for one source"
        out[s][road.node_ids[t]] = v
    return out


def assert_matches_networkx(G, road: RoadGraph, sources, cutoff, weight: str) -> None:
    src, tgt, tim = run_all(road, sources, cutoff)
    got = as_dicts(road, len(sources), src, tgt, tim)
    for k, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(
            G, road.node_ids[s], cutoff=cutoff, weight=weight
        )
        assert set(got[k]) == set(ref), f"reached sets differ from source {road.node_ids[s]}"
        for node, value in ref.items():
            assert abs(got[k][node] - value) <= 1e-9


# ------------------------------------------------------------------ synthetic graphs
@st.composite
def random_graphs(draw):
    kind = draw(st.sampled_from([nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph]))
    n = draw(st.integers(1, 25))
    G = kind()
    G.add_nodes_from(range(n))
    n_edges = draw(st.integers(0, 4 * n))
    # small integer weights give many ties and exact sums; zeros are allowed
    for _ in range(n_edges):
        u = draw(st.integers(0, n - 1))
        v = draw(st.integers(0, n - 1))
        w = draw(st.one_of(st.integers(0, 6), st.floats(0, 10, allow_nan=False)))
        G.add_edge(u, v, travel_time=float(w))
    cutoff = float(draw(st.integers(0, 15)))
    return G, cutoff


@given(random_graphs())
def test_matches_networkx_on_random_graphs(case) -> None:
    G, cutoff = case
    road = graph_to_csr(G)
    assert_matches_networkx(G, road, np.arange(road.n_nodes), cutoff, "travel_time")


def test_cutoff_is_inclusive_like_networkx() -> None:
    G = nx.DiGraph()
    G.add_edge("a", "b", travel_time=4.0)
    G.add_edge("b", "c", travel_time=6.0)
    road = graph_to_csr(G)
    _, tgt, tim = run_all(road, [0], 10.0)
    assert sorted(road.node_ids[tgt].tolist()) == ["a", "b", "c"]
    assert tim.tolist() == [0.0, 4.0, 10.0]
    _, tgt, _ = run_all(road, [0], np.nextafter(10.0, 0.0))
    assert sorted(road.node_ids[tgt].tolist()) == ["a", "b"]


def test_multigraph_uses_minimum_parallel_edge() -> None:
    G = nx.MultiDiGraph()
    G.add_edge(0, 1, travel_time=9.0)
    G.add_edge(0, 1, travel_time=2.5)
    G.add_edge(0, 1, travel_time=7.0)
    road = graph_to_csr(G)
    assert road.n_edges == 1
    _, tgt, tim = run_all(road, [0], 100.0)
    assert dict(zip(tgt.tolist(), tim.tolist(), strict=True)) == {0: 0.0, 1: 2.5}


def test_offsets_and_target_extra_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    G = nx.gnm_random_graph(40, 120, seed=3, directed=True)
    for u, v in G.edges:
        G.edges[u, v]["travel_time"] = float(rng.integers(1, 9))
    road = graph_to_csr(G)
    full = dict(nx.all_pairs_dijkstra_path_length(G, weight="travel_time"))
    sources = np.array([0, 5, 5, 17], dtype=np.int64)
    offsets = np.array([0.0, 1.5, 3.0, 2.0])
    targets = np.array([1, 2, 3, 5, 5, 30], dtype=np.int64)
    extra = np.array([0.0, 1.0, 2.0, 0.5, 4.0, 1.0])
    cutoff = 14.0
    src, tgt, tim = multi_source_dijkstra(
        road.indptr,
        road.indices,
        road.seconds,
        sources,
        cutoff,
        source_offsets=offsets,
        target_nodes=targets,
        target_extra=extra,
        progress=False,
    )
    got = {(int(s), int(t)): float(v) for s, t, v in zip(src, tgt, tim, strict=True)}
    expected = {}
    for k, s in enumerate(sources):
        for j, t in enumerate(targets):
            d = full[int(s)].get(int(t))
            if d is not None and offsets[k] + d + extra[j] <= cutoff:
                expected[(k, j)] = offsets[k] + d + extra[j]
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-12)


def test_results_do_not_depend_on_workers_or_chunks() -> None:
    G = nx.gnm_random_graph(300, 1200, seed=1, directed=True)
    rng = np.random.default_rng(1)
    for u, v in G.edges:
        G.edges[u, v]["travel_time"] = float(rng.uniform(0, 5))
    road = graph_to_csr(G)
    sources = np.arange(road.n_nodes)
    ref = run_all(road, sources, 6.0, n_workers=1)
    for kwargs in ({"n_workers": 3}, {"n_workers": 2, "chunk_slots": 700}):
        other = run_all(road, sources, 6.0, **kwargs)
        for a, b in zip(ref, other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_unsorted_and_repeated_sources_keep_their_positions() -> None:
    G = nx.gnm_random_graph(60, 240, seed=4, directed=True)
    rng = np.random.default_rng(4)
    for u, v in G.edges:
        G.edges[u, v]["travel_time"] = float(rng.integers(0, 7))
    road = graph_to_csr(G)
    sources = np.array([41, 3, 59, 3, 0, 17], dtype=np.int64)
    assert_matches_networkx(G, road, sources, 9.0, "travel_time")


def test_spatial_renumbering_keeps_node_ids_and_times() -> None:
    rng = np.random.default_rng(8)
    n = 200
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    tail, head = rng.integers(0, n, 900), rng.integers(0, n, 900)
    seconds = rng.uniform(0, 30, 900)
    plain = RoadGraph.from_edges(n, tail, head, seconds, x=x, y=y, renumber=False)
    spatial = RoadGraph.from_edges(n, tail, head, seconds, x=x, y=y)
    assert sorted(spatial.node_ids.tolist()) == list(range(n))
    assert not np.array_equal(spatial.node_ids, np.arange(n))
    np.testing.assert_array_equal(spatial.x, x[spatial.node_ids])
    results = []
    for road in (plain, spatial):
        position = np.empty(n, dtype=np.int64)
        position[road.node_ids] = np.arange(n)
        src, tgt, tim = run_all(road, position[np.arange(0, n, 7)], 40.0)
        results.append(
            sorted(zip(src.tolist(), road.node_ids[tgt].tolist(), tim.tolist(), strict=True))
        )
    assert results[0] == results[1]


def test_read_only_and_int32_inputs_compile_one_signature() -> None:
    from aplcore.kernels import dijkstra

    G = nx.path_graph(6)
    nx.set_edge_attributes(G, 1.0, "travel_time")
    road = graph_to_csr(G)
    indptr = road.indptr.astype(np.int32)
    indptr.flags.writeable = False
    weights = road.seconds.copy()
    weights.flags.writeable = False
    src, tgt, tim = multi_source_dijkstra(
        indptr, road.indices.astype(np.int64), weights, np.array([0], np.int64), 2.0
    )
    assert src.tolist() == [0, 0, 0]
    assert tgt.tolist() == [0, 1, 2]
    assert tim.tolist() == [0.0, 1.0, 2.0]
    assert len(dijkstra.bounded_dijkstra.signatures) == 1


def test_no_sources_gives_an_empty_table() -> None:
    G = nx.path_graph(3)
    nx.set_edge_attributes(G, 1.0, "travel_time")
    road = graph_to_csr(G)
    src, tgt, tim = run_all(road, np.array([], dtype=np.int64), 5.0)
    assert src.size == tgt.size == tim.size == 0


def test_bad_inputs_are_rejected() -> None:
    indptr = np.array([0, 1, 1], dtype=np.int64)
    indices = np.array([1], dtype=np.int32)
    with pytest.raises(InvalidValueError, match="finite and >= 0"):
        multi_source_dijkstra(indptr, indices, np.array([-1.0]), [0], 5.0)
    with pytest.raises(ParameterError, match="cutoff must be a non-negative"):
        multi_source_dijkstra(indptr, indices, np.array([1.0]), [0], -1.0)
    with pytest.raises(InputFormatError, match=r"sources must be node positions in \[0, 2\)"):
        multi_source_dijkstra(indptr, indices, np.array([1.0]), [2], 5.0)
    with pytest.raises(InputFormatError, match=r"target_nodes must be node positions in \[0, 2\)"):
        multi_source_dijkstra(indptr, indices, np.array([1.0]), [0], 5.0, target_nodes=[5])
    with pytest.raises(InputFormatError, match="CSR arrays disagree"):
        multi_source_dijkstra(indptr, indices, np.array([1.0, 2.0]), [0], 5.0)


# ------------------------------------------------------------------ real street graphs
@pytest.fixture(scope="module", params=GRAPHS)
def real_graph(request, shared_raw):
    ox = pytest.importorskip("osmnx")
    G = ox.load_graphml(shared_raw / "osm_osmnx_graphs_yvelines" / request.param)
    ox.routing.add_edge_speeds(G)
    ox.routing.add_edge_travel_times(G)
    return G


def test_matches_networkx_on_real_street_graphs(real_graph) -> None:
    road = graph_to_csr(real_graph)
    assert road.n_nodes == real_graph.number_of_nodes()
    assert road.metadata["imputed_edges"] == 0
    step = max(1, road.n_nodes // 400)
    sources = np.arange(0, road.n_nodes, step)
    # 5 minutes crosses most of Maisons-Laffitte; both cut-offs are checked
    for cutoff in (120.0, 300.0):
        assert_matches_networkx(real_graph, road, sources, cutoff, "travel_time")


def test_matches_networkx_on_lengths_of_real_street_graph(real_graph) -> None:
    road = graph_to_csr(real_graph, weight="length")
    sources = np.arange(0, road.n_nodes, max(1, road.n_nodes // 100))
    assert_matches_networkx(real_graph, road, sources, 1500.0, "length")
