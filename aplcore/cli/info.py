"""``aplcore info`` (versions, threads, Numba cache) and ``aplcore warmup`` (compile kernels)."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._version import __version__
from ._common import echo


def add_parsers(
    sub: Any, *, verbose: argparse.ArgumentParser, writer: argparse.ArgumentParser
) -> None:
    """Add ``aplcore info`` and ``aplcore warmup``."""
    parser = sub.add_parser(
        "info",
        parents=[verbose],
        help="versions, threads, Numba cache",
        description="Versions of aplcore and its dependencies, threads and the Numba cache.",
    )
    parser.set_defaults(func=cmd_info)
    parser = sub.add_parser(
        "warmup",
        parents=[verbose],
        help="compile and cache the kernels",
        description="Run tiny cases through the public functions so that Numba compiles the "
        "kernels and caches them on disk; prints the time each took.",
    )
    parser.set_defaults(func=cmd_warmup)


def numba_cache_location() -> str:
    """Where Numba writes the compiled kernels of aplcore (when caching is on)."""
    from ..settings import numba_cache_dir

    return str(numba_cache_dir())


def _writable(folder: Path) -> bool:
    """Whether ``folder``, or its nearest existing parent if it does not exist yet, is writable."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK)
    return False  # pragma: no cover - the root exists


def _data_rows() -> list[tuple[str, str]]:
    """Vintages of the bundled data."""
    from ..code_history import COG_YEARS, HISTORY_SOURCE
    from ..datasets import COMMUNES_COG_YEAR, COMMUNES_SOURCE

    return [
        ("bundled communes", f"COG {COMMUNES_COG_YEAR}, from {COMMUNES_SOURCE}"),
        ("code history", f"COG {COG_YEARS[0]}-{COG_YEARS[-1]}, from npm {HISTORY_SOURCE}"),
    ]


def cmd_info(args: argparse.Namespace) -> int:
    """``aplcore info``."""
    import importlib.metadata
    import platform

    from ..settings import cache_enabled, parallel_enabled, progress_enabled

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    from ..settings import configure_numba_cache, numba_cache_source

    configure_numba_cache()
    import numba

    cache_dir = numba_cache_location()
    writable = _writable(Path(cache_dir))
    chosen_by = (
        "set by NUMBA_CACHE_DIR"
        if numba_cache_source() == "NUMBA_CACHE_DIR"
        else "aplcore's per-user cache folder"
    )
    rows = [
        ("aplcore", __version__),
        ("python", platform.python_version()),
        *[
            (name, version(name))
            for name in ("numpy", "numba", "pandas", "scipy", "pyarrow", "matplotlib")
        ],
        *[
            (f"{name} (optional)", version(name))
            for name in ("geopandas", "shapely", "networkx", "osmnx")
        ],
        (
            "threads",
            f"{numba.get_num_threads()} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS})",
        ),
        ("threading layer", str(numba.config.THREADING_LAYER)),
        ("parallel kernels", "on" if parallel_enabled() else "off (APLCORE_PARALLEL=0)"),
        ("numba cache", "on" if cache_enabled() else "off (APLCORE_NUMBA_CACHE=0)"),
        ("numba cache dir", f"{cache_dir} ({'writable' if writable else 'NOT writable'})"),
        ("numba cache dir is", chosen_by),
        ("progress bars", "on" if progress_enabled() else "off"),
        *_data_rows(),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        echo(f"{name:<{width}}  {value}")
    if cache_enabled() and not writable:
        echo("note: set NUMBA_CACHE_DIR to a writable folder to cache the compiled kernels.")
    return 0


def warmup_cases() -> list[tuple[str, Callable[[], object]]]:
    """Tiny cases through the public functions, one per group of kernels."""
    import numpy as np
    import pandas as pd

    codes = ["45001", "45002", "45003", "45004"]
    points = pd.DataFrame(
        {"code": codes, "lon": [1.90, 1.95, 2.00, 2.30], "lat": [47.90, 47.92, 47.88, 47.95]}
    )
    population = pd.Series([1000.0, 2500.0, 400.0, 800.0], index=pd.Index(codes, name="code"))
    supply = pd.Series([5000.0, 0.0, 3600.0, 0.0], index=pd.Index(codes, name="code"))
    state: dict[str, Any] = {}

    def crow_fly() -> object:
        from ..traveltimes.crowfly import travel_times_crow_fly

        state["tt"] = travel_times_crow_fly(points, max_minutes=30)
        return state["tt"]

    def apl() -> object:
        from ..apl import compute_apl

        tt = state["tt"] if "tt" in state else crow_fly()
        state["apl"] = compute_apl(tt, demand=population, supply=supply, decay="drees_gp").apl
        return state["apl"]

    def resolve() -> object:
        from ..apl import prepare

        tt = state["tt"] if "tt" in state else crow_fly()
        matrix = prepare(tt)
        scenarios = pd.DataFrame({"a": supply, "b": supply * 2.0})
        matrix.solve_batch(population, scenarios)
        return matrix.solve(population, supply).apl

    def zoning() -> object:
        from ..zoning import classify_zones

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
        import networkx as nx

        from ..traveltimes.roads import travel_times_from_graph

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


def cmd_warmup(args: argparse.Namespace) -> int:
    """``aplcore warmup``."""
    from ..settings import cache_enabled

    total = time.perf_counter()
    for name, case in warmup_cases():
        start = time.perf_counter()
        try:
            case()
        except ImportError as exc:
            echo(f"{name:<24} skipped ({exc})")
            continue
        echo(f"{name:<24} {time.perf_counter() - start:6.2f} s")
    echo(f"{'total':<24} {time.perf_counter() - total:6.2f} s")
    if cache_enabled():
        echo(f"compiled kernels cached in {numba_cache_location()}")
    else:
        echo("numba cache is off (APLCORE_NUMBA_CACHE=0): kernels will compile again next run")
    return 0
