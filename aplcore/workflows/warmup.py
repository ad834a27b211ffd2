"""Tiny cases through the public functions, one per group of kernels: running them compiles the
kernels (and caches them on disk), as ``aplcore warmup`` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..apl import compute_apl, prepare
from ..traveltimes.crowfly import travel_times_crow_fly
from ..traveltimes.roads import travel_times_from_graph
from ..zoning import classify_zones

__all__ = ["warmup_cases"]


def warmup_cases() -> list[tuple[str, Callable[[], object]]]:
    """Tiny cases through the public functions, one per group of kernels."""
    codes = ["45001", "45002", "45003", "45004"]
    points = pd.DataFrame(
        {"code": codes, "lon": [1.90, 1.95, 2.00, 2.30], "lat": [47.90, 47.92, 47.88, 47.95]}
    )
    population = pd.Series([1000.0, 2500.0, 400.0, 800.0], index=pd.Index(codes, name="code"))
    supply = pd.Series([5000.0, 0.0, 3600.0, 0.0], index=pd.Index(codes, name="code"))
    state: dict[str, Any] = {}

    def crow_fly() -> object:
        state["tt"] = travel_times_crow_fly(points, max_minutes=30)
        return state["tt"]

    def apl() -> object:
        tt = state["tt"] if "tt" in state else crow_fly()
        state["apl"] = compute_apl(tt, demand=population, supply=supply, decay="drees_gp").apl
        return state["apl"]

    def resolve() -> object:
        tt = state["tt"] if "tt" in state else crow_fly()
        matrix = prepare(tt)
        scenarios = pd.DataFrame({"a": supply, "b": supply * 2.0})
        matrix.solve_batch(population, scenarios)
        return matrix.solve(population, supply).apl

    def zoning() -> object:
        values = state.get("apl")
        if values is None:
            values = pd.Series(np.array([2.0, 3.0, 4.5, 1.0]), index=population.index)
        territory = pd.Series(["T1", "T1", "T2", "T3"], index=population.index)
        return classify_zones(
            values,
            population=population,
            territory=territory,
            method="zonage_2025",
            caps={"ZIP": 0.7, "ZAC": 0.2, "HZ": 0.1},
            cap_unit="share",
        )

    def roads() -> object:
        import networkx as nx  # optional dependency

        graph = nx.MultiDiGraph(crs="EPSG:4326")
        for node, (x, y) in enumerate(zip(points["lon"], points["lat"], strict=True)):
            graph.add_node(node, x=x, y=y)
        for a in range(4):
            for b in range(4):
                if a != b:
                    graph.add_edge(
                        a, b, length=1000.0 * (1 + abs(a - b)), travel_time=60.0 * (1 + abs(a - b))
                    )
        return travel_times_from_graph(graph, points, max_minutes=30)

    return [
        ("crow-fly travel times", crow_fly),
        ("APL (E2SFCA)", apl),
        ("re-solve and batches", resolve),
        ("zoning", zoning),
        ("road travel times", roads),
    ]
