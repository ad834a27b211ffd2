"""Scenario benchmarks: aplcore's scenario engine beside the loop a researcher writes today.

For each size (``small``: the real communes of the Grand Est région; ``france``: the 34 895 real
communes of France; crow-fly times, synthetic GP table of :func:`aplcore.synthetic_practitioners`,
territories = EPCI as a stand-in for the TVS, which aplcore does not ship):

* ``mc``: Monte Carlo activity draws (10 000 at France size, 500 small), per-commune quantiles and
  probability under 2.5, per-territory zone probabilities (2025 thresholds, no caps: the caps are
  regional and published for one région only); beside the batched products alone (the floor) and
  the loop (count the draw's supply, ``AccessibilityMatrix.solve``, classify; timed on a subset of
  draws, its mean scaled to all);
* ``grid``: 3 band-edge conventions × 3 age limits × 4 weights vintages (36 scenarios) with a
  zoning per scenario; beside the loop (``count_gp_activity``, ``standardise_population``,
  ``compute_apl``, ``classify_zones`` per scenario);
* ``marginal``: the exact effect of one more GP in one practice commune on every commune's APL;
  beside two solves;
* ``siting``: greedy siting of 50 GPs (population lifted above 2.5); beside the greedy a researcher
  writes (a solve per candidate and step; timed on a subset of candidates, scaled);
* ``dask``: the Monte Carlo run (1 000 draws) on a ``LocalCluster`` of 1 and 2 worker processes,
  beside the local run;
* ``roads-dask``: bounded road Dijkstra (20 min) from sub-commune cells (100 000 random nodes of a
  synthetic 600 × 600 road grid at France size; 3 000 of 150 × 150 small) to every cell, chunks
  of cells as tasks on a ``LocalCluster`` of 2 worker processes, beside the local run.

Demand by age band is synthetic (each commune's population split by national shares with a
seeded perturbation): the bundled communes have a total population only. Every group checks its
results against the loop (relative 1e-9) before timing.
"""

from __future__ import annotations

import resource
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.demand import AGE_BANDS, WEIGHT_PRESETS
from aplcore.scenarios import (
    AgeLimit,
    Baseline,
    DecayChange,
    Effects,
    WeightsVintage,
    ZoningSpec,
    greedy_siting,
    grid,
    marginal_effect,
    monte_carlo,
    run_scenarios,
)

from .problems import SIZES, bench_sizes

SIZES_RUN = bench_sizes()
RTOL = 1e-9
DRAWS = {"small": 500, "france": 10_000}
THRESHOLDS = (2.71, 3.98)


def _group(benchmark, name: str, setup: dict) -> None:
    benchmark.group = f"scenarios-{name} | {setup['name']}"
    benchmark.extra_info.update(n_communes=len(setup["tt"].codes))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Reset the process's peak resident memory (``VmHWM``) where Linux allows it."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _peak_since_reset_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status")


@pytest.fixture(scope="module", params=list(SIZES_RUN), ids=list(SIZES_RUN))
def setup(request):
    region = SIZES[request.param]
    communes = (
        aplcore.load_communes(france=True)
        if region is None
        else aplcore.load_communes(region=region)
    )
    communes = communes.dropna(subset=["population", "lon", "lat"])
    tt = aplcore.travel_times_crow_fly(
        communes[["lon", "lat"]].reset_index(), max_minutes=30.0, crs="EPSG:4326"
    )
    codes = tt.codes
    gps = aplcore.synthetic_practitioners(communes.loc[codes], seed=0)
    population = communes["population"].reindex(codes).astype(np.float64)
    rng = np.random.default_rng(0)
    shares = rng.dirichlet(np.full(len(AGE_BANDS), 20.0), size=len(codes))
    by_age = pd.DataFrame(shares * population.to_numpy()[:, None], index=codes, columns=AGE_BANDS)
    territory = communes["epci"].reindex(codes).fillna(pd.Series(codes, index=codes)).astype(str)
    return {
        "name": "France" if region is None else f"région {region}",
        "size": request.param,
        "tt": tt,
        "gps": gps,
        "population": population,
        "by_age": by_age,
        "territory": territory,
        "zoning": ZoningSpec(territory, method="zonage_2025", thresholds=THRESHOLDS),
    }


# ------------------------------------------------------------------------------ Monte Carlo
@pytest.fixture(scope="module")
def mc(setup):
    base = Baseline(
        setup["tt"],
        demand=setup["population"],
        population=setup["population"],
        practitioners=setup["gps"],
        zoning=setup["zoning"],
    )
    draws = monte_carlo(DRAWS[setup["size"]], seed=1, activity_cv=0.1)
    return base, draws


#: Seconds of the last Monte Carlo run: solving and writing every draw, then the statistics.
PHASES: dict[str, float] = {}


def _mc_engine(base, draws, out=None):
    """The whole job: every draw's APL streamed to disk (``.npy`` blocks, the fastest store;
    10 000 × 35 000 values never sit in memory), then per-commune quantiles and probability
    under 2.5, per-territory zone probabilities."""
    start = time.perf_counter()
    run = run_scenarios(
        base, draws, progress=False, block_size=128, out=out, overwrite=True, store="npy"
    )
    solved = time.perf_counter()
    summary = run.summary((0.05, 0.5, 0.95), under=2.5)
    probability = run.zone_probability()
    PHASES.update(run_s=solved - start, statistics_s=time.perf_counter() - solved)
    return run, summary, probability


def _loop_one(base, matrix, inputs, scenario):
    """What a researcher writes today for one draw: count, solve, classify."""
    supply = pd.Series(inputs.columns([scenario])[2][:, 0], index=inputs.codes)
    result = matrix.solve(
        pd.Series(inputs.demand, index=inputs.codes), supply, missing_demand="zero"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zoning = aplcore.classify_zones(
            result.apl,
            population=base.population,
            territory=base.zoning.territory,
            method="zonage_2025",
            thresholds=THRESHOLDS,
        )
    return result.apl_values, zoning.territories["zone"]


def test_mc_engine(benchmark, setup, mc, tmp_path):
    base, draws = mc
    run = _mc_engine(base, draws[:20])[0]
    matrix = aplcore.prepare(setup["tt"])
    from aplcore.scenarios import Inputs

    inputs = Inputs.from_baseline(base)
    for k in (0, 7, 19):
        apl, zones = _loop_one(base, matrix, inputs, draws[k])
        np.testing.assert_allclose(run.apl(draws[k].name), apl, rtol=RTOL, atol=1e-12)
        labels = np.asarray(run.zone_labels)[run.zones[:, k]]
        assert (labels == zones.reindex(run.territories).to_numpy()).all()
    _group(benchmark, "mc", setup)
    benchmark.extra_info["draws"] = len(draws)
    reset = _reset_peak()
    benchmark.pedantic(_mc_engine, args=(base, draws, tmp_path / "run"), rounds=1, iterations=1)
    benchmark.extra_info["process_peak_mib"] = _peak_mib()
    if reset:  # the run's own peak: inputs, prepared matrix and run (not earlier benchmarks)
        benchmark.extra_info["run_peak_mib"] = _peak_since_reset_mib()
    benchmark.extra_info.update({k: round(v, 3) for k, v in PHASES.items()})


def test_mc_batched_products_only(benchmark, setup, mc):
    """The floor: the draws' supply columns and the batched products, nothing else."""
    base, draws = mc
    from aplcore.scenarios import Inputs

    inputs = Inputs.from_baseline(base)
    matrix = aplcore.prepare(setup["tt"])

    def products():
        for start in range(0, len(draws), 128):
            block = draws[start : start + 128]
            supply = inputs.columns(block)[2]
            matrix.solve_batch_arrays(inputs.demand, supply)

    _group(benchmark, "mc", setup)
    benchmark.pedantic(products, rounds=1, iterations=1)


def test_mc_loop_reference(benchmark, setup, mc):
    """A solve (and a classification) per draw, timed on 20 draws, the mean scaled to all."""
    base, draws = mc
    from aplcore.scenarios import Inputs

    inputs = Inputs.from_baseline(base)
    matrix = aplcore.prepare(setup["tt"])
    subset = draws[:20]

    def loop():
        for s in subset:
            _loop_one(base, matrix, inputs, s)

    _group(benchmark, "mc", setup)
    benchmark.extra_info.update(scaled_to=len(draws), sources_per_round=len(subset))
    benchmark.pedantic(loop, rounds=1, iterations=1)


# ------------------------------------------------------------------------------ grid
CONVENTIONS = {
    "left": DecayChange(closed="left"),
    "right": DecayChange(closed="right"),
    # times rounded to the nearest minute, then left-closed: edges at 10.5, 15.5, 20.5
    "rounded": DecayChange(
        aplcore.step_decay((10.5, 15.5, 20.5), (1.0, 2 / 3, 1 / 3), name="drees_gp_rounded")
    ),
}
AGES = {"60": AgeLimit(60), "62": AgeLimit(62), "65": AgeLimit(65)}
#: The two DREES vintages, uniform weights, and 2023 weights with the bands 75+ raised by 10 %.
VINTAGES = {
    "2022": WeightsVintage("drees_gp_2022"),
    "2023": WeightsVintage("drees_gp_2023"),
    "uniform": WeightsVintage("uniform"),
    "2023-75+x1.1": WeightsVintage(
        tuple(w * (1.1 if i >= 15 else 1.0) for i, w in enumerate(WEIGHT_PRESETS["drees_gp_2023"]))
    ),
}


@pytest.fixture(scope="module")
def grid_case(setup):
    base = Baseline(
        setup["tt"],
        population_by_age=setup["by_age"],
        practitioners=setup["gps"],
        zoning=setup["zoning"],
    )
    return base, grid(convention=CONVENTIONS, age=AGES, weights=VINTAGES)


def _grid_loop(setup, scenarios):
    out = {}
    for s in scenarios:
        decay = s.one("decay").decay or "drees_gp"
        closed = s.one("decay").closed
        weights = s.one("demand").weights
        supply = aplcore.count_gp_activity(setup["gps"], max_age=s.one("age").max_age)
        demand = aplcore.standardise_population(
            setup["by_age"], weights if isinstance(weights, str) else list(weights)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = aplcore.compute_apl(
                setup["tt"], demand=demand, supply=supply, decay=decay, closed=closed,
                missing_demand="zero",
            )  # fmt: skip
            zoning = aplcore.classify_zones(
                result.apl,
                population=setup["by_age"].sum(axis=1),
                territory=setup["territory"],
                method="zonage_2025",
                thresholds=THRESHOLDS,
            )
        out[s.name] = (result.apl_values, zoning.territories["zone"])
    return out


def test_grid_engine(benchmark, setup, grid_case):
    base, scenarios = grid_case
    assert len(scenarios) == 36
    run = run_scenarios(base, scenarios, progress=False)
    loop = _grid_loop(setup, scenarios[::7])
    for name, (apl, zones) in loop.items():
        np.testing.assert_allclose(run.apl(name), apl, rtol=RTOL, atol=1e-12)
        k = run.names.index(name)
        labels = np.asarray(run.zone_labels)[run.zones[:, k]]
        assert (labels == zones.reindex(run.territories).to_numpy()).all()
    _group(benchmark, "grid", setup)
    benchmark.pedantic(run_scenarios, args=(base, scenarios), kwargs={"progress": False},
                       rounds=1, iterations=1)  # fmt: skip


def test_grid_loop_reference(benchmark, setup, grid_case):
    _, scenarios = grid_case
    _group(benchmark, "grid", setup)
    benchmark.pedantic(_grid_loop, args=(setup, scenarios), rounds=1, iterations=1)


# ------------------------------------------------------------------------------ what-if
@pytest.fixture(scope="module")
def effects(setup):
    matrix = aplcore.prepare(setup["tt"])
    demand = setup["population"].to_numpy()
    supply = (
        aplcore.count_gp_activity(setup["gps"]).reindex(setup["tt"].codes, fill_value=0.0)
    ).to_numpy()
    return matrix, Effects.from_matrix(matrix, demand, supply), demand, supply


def _site(effects) -> str:
    _, eff, _, supply = effects
    return str(eff.codes[int(np.argmax(supply))])


def test_marginal_effect(benchmark, setup, effects):
    matrix, eff, demand, supply = effects
    code = _site(effects)
    expected = _two_solves(matrix, eff, demand, supply, code)
    np.testing.assert_allclose(marginal_effect(eff, code, 5400.0), expected, rtol=1e-9, atol=1e-12)
    _group(benchmark, "marginal", setup)
    benchmark(marginal_effect, eff, code, 5400.0)


def _two_solves(matrix, eff, demand, supply, code):
    changed = supply.copy()
    changed[eff.position(code)] += 5400.0
    return matrix.solve_arrays(demand, changed)[0] - matrix.solve_arrays(demand, supply)[0]


def test_marginal_two_solves_reference(benchmark, setup, effects):
    matrix, eff, demand, supply = effects
    _group(benchmark, "marginal", setup)
    benchmark(_two_solves, matrix, eff, demand, supply, _site(effects))


def test_siting_greedy_50(benchmark, setup, effects):
    _, eff, _, _ = effects
    plan = greedy_siting(eff, 50, 2.5, objective="lifted")
    assert plan.counts.sum() == 50
    _group(benchmark, "siting", setup)
    benchmark.extra_info["lifted"] = plan.value
    benchmark.pedantic(greedy_siting, args=(eff, 50, 2.5), rounds=1, iterations=1)


def test_siting_loop_reference(benchmark, setup, effects):
    """One greedy step as a researcher writes it: a solve per candidate practice commune; timed
    on 20 candidates, the mean scaled to every candidate and 50 steps."""
    matrix, eff, demand, supply = effects
    population = demand
    base = matrix.solve_arrays(demand, supply)[0]
    candidates = np.flatnonzero(eff.weighted_demand > 0)

    def step():
        best = -1.0
        for j in candidates[:20]:
            changed = supply.copy()
            changed[j] += 5400.0
            apl = matrix.solve_arrays(demand, changed)[0]
            best = max(best, float(population[(base < 2.5) & (apl >= 2.5)].sum()))
        return best

    _group(benchmark, "siting", setup)
    benchmark.extra_info.update(scaled_to=50 * candidates.size, sources_per_round=20)
    benchmark.pedantic(step, rounds=1, iterations=1)


# ------------------------------------------------------------------------------ Dask
DASK_DRAWS = 1000


@pytest.fixture(scope="module", params=[1, 2], ids=["1worker", "2workers"])
def cluster(request):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=request.param, threads_per_worker=1, processes=True,
            dashboard_address=None,
        ) as lc,
        distributed.Client(lc) as client,
    ):  # fmt: skip
        yield request.param, client


def test_dask_local_cluster(benchmark, setup, mc, cluster):
    workers, client = cluster
    base, draws = mc
    draws = draws[:DASK_DRAWS]
    local = run_scenarios(base, draws[:64], progress=False, block_size=32)
    remote = run_scenarios(base, draws[:64], progress=False, block_size=32, client=client)
    for name in local.names[::16]:
        np.testing.assert_array_equal(local.apl(name).to_numpy(), remote.apl(name).to_numpy())
    _group(benchmark, "dask", setup)
    benchmark.extra_info.update(workers=workers, draws=len(draws))
    benchmark.pedantic(
        run_scenarios,
        args=(base, draws),
        kwargs={"progress": False, "block_size": 64, "client": client},
        rounds=1,
        iterations=1,
    )


def test_dask_local_run_reference(benchmark, setup, mc):
    """The same 1 000 draws without Dask (same blocks): the overhead is the difference."""
    base, draws = mc
    _group(benchmark, "dask", setup)
    benchmark.pedantic(
        run_scenarios,
        args=(base, draws[:DASK_DRAWS]),
        kwargs={"progress": False, "block_size": 64},
        rounds=1,
        iterations=1,
    )


# ------------------------------------------------------------------------------ targets
def scenario_targets(medians: dict[str, float], size: str) -> list[tuple[str, str, bool | None]]:
    """Rows of the targets table of ``bench/README.md`` (label, measured, met)."""
    rows: list[tuple[str, str, bool | None]] = []

    def m(name: str) -> float | None:
        return medians.get(f"{name}[{size}]")

    engine, products, loop = (
        m("test_mc_engine"),
        m("test_mc_batched_products_only"),
        m("test_mc_loop_reference"),
    )
    draws = DRAWS[size]
    if engine and products:
        rows.append((f"{draws:,} Monte Carlo draws + quantiles + zone probabilities ≤ 20 s",
                     f"{engine:.1f} s", engine <= 20))  # fmt: skip
        rows.append(("… within 1.5× the batched products alone", f"{engine / products:.2f}×",
                     engine / products <= 1.5))  # fmt: skip
    peak = medians.get(f"test_mc_engine[{size}]:run_peak_mib")
    if peak:
        rows.append(("… peak memory of the run ≤ 1.5 GiB (VmHWM reset before it)",
                     f"{peak:.0f} MiB", peak <= 1536))  # fmt: skip
    if engine and loop:
        rows.append(("… vs a solve + classification per draw (scaled from 20 draws)",
                     f"{loop / engine:.0f}× faster", None))  # fmt: skip
    grid_engine, grid_loop = m("test_grid_engine"), m("test_grid_loop_reference")
    if grid_engine:
        rows.append(("3 × 3 × 4 grid with zoning per scenario ≤ 10 s", f"{grid_engine:.2f} s",
                     grid_engine <= 10))  # fmt: skip
    if grid_engine and grid_loop:
        rows.append(("… vs compute_apl + classify_zones per scenario",
                     f"{grid_loop / grid_engine:.1f}× faster", None))  # fmt: skip
    marginal, two = m("test_marginal_effect"), m("test_marginal_two_solves_reference")
    if marginal:
        rows.append(("marginal effect of one GP on all communes ≤ 1 ms",
                     f"{marginal * 1e3:.3f} ms", marginal <= 1e-3))  # fmt: skip
    if marginal and two:
        rows.append(("… vs two solves", f"{two / marginal:.0f}× faster", None))
    greedy, greedy_loop = m("test_siting_greedy_50"), m("test_siting_loop_reference")
    if greedy:
        rows.append(("greedy siting of 50 GPs ≤ 5 s", f"{greedy:.2f} s", greedy <= 5))
    if greedy and greedy_loop:
        rows.append(("… vs a solve per candidate and step (scaled from 20 candidates)",
                     f"{greedy_loop / greedy:.0f}× faster", None))  # fmt: skip
    one = medians.get(f"test_dask_local_cluster[{size}-1worker]")
    two_w = medians.get(f"test_dask_local_cluster[{size}-2workers]")
    local = m("test_dask_local_run_reference")
    if one and two_w and local:
        rows.append((f"Dask LocalCluster, {DASK_DRAWS:,} draws: overhead of 1 worker vs local",
                     f"{one - local:+.2f} s ({one / local:.2f}×)", None))  # fmt: skip
        rows.append(("… speed-up from 1 to 2 workers (extrapolation: t(N) ≈ t_local / N + "
                     "overhead, while blocks outnumber workers)",
                     f"{one / two_w:.2f}×", None))  # fmt: skip
    dask_roads = medians.get("test_road_cells_dask")
    local_roads = medians.get("test_road_cells_local_reference")
    if dask_roads and local_roads:
        rows.append(("road Dijkstra from sub-commune cells, LocalCluster of 2 workers vs local "
                     "(same machine, 2 cores: the gain on a cluster grows with its workers)",
                     f"{local_roads / dask_roads:.2f}×", None))  # fmt: skip
    return rows


# ------------------------------------------------------------------------------ roads on Dask
#: Synthetic road grid (side × side nodes, 740 m apart) and sub-commune cells as sources.
ROAD_GRID = {"small": (150, 3_000), "france": (600, 100_000)}
ROAD_MINUTES = 20.0


@pytest.fixture(scope="module")
def road_cells():
    from ._synthetic_roads import synthetic_road_graph

    side, n_cells = ROAD_GRID["small" if list(SIZES_RUN) == ["small"] else "france"]
    road = synthetic_road_graph(side, seed=0)
    rng = np.random.default_rng(5)
    cells = rng.choice(road.n_nodes, n_cells, replace=False)
    return road, cells


def test_road_cells_dask(benchmark, road_cells):
    """Bounded Dijkstra from every cell to every cell, chunks of cells as tasks on a
    LocalCluster of 2 worker processes; the local run gives the same long table."""
    from aplcore.scenarios.distributed import dijkstra_on_dask
    from aplcore.traveltimes.roads import multi_source_dijkstra

    distributed = pytest.importorskip("distributed")
    road, cells = road_cells
    args = (road.indptr, road.indices, road.seconds, cells, ROAD_MINUTES * 60)
    kwargs = {"target_nodes": cells, "progress": False}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        small = (road.indptr, road.indices, road.seconds, cells[:300], ROAD_MINUTES * 60)
        local = multi_source_dijkstra(*small, target_nodes=cells, progress=False)
        remote = dijkstra_on_dask(client, *small, target_nodes=cells, chunk=64, progress=False)
        for a, b in zip(local, remote, strict=True):
            np.testing.assert_array_equal(a, b)
        benchmark.group = (
            f"roads-dask | synthetic grid {road.n_nodes:,} nodes, {cells.size:,} cells"
        )
        benchmark.extra_info.update(nodes=road.n_nodes, cells=int(cells.size), workers=2)
        benchmark.pedantic(dijkstra_on_dask, args=(client, *args), kwargs=kwargs, rounds=1,
                           iterations=1)  # fmt: skip


def test_road_cells_local_reference(benchmark, road_cells):
    from aplcore.traveltimes.roads import multi_source_dijkstra

    road, cells = road_cells
    benchmark.group = f"roads-dask | synthetic grid {road.n_nodes:,} nodes, {cells.size:,} cells"
    args = (road.indptr, road.indices, road.seconds, cells, ROAD_MINUTES * 60)
    benchmark.pedantic(multi_source_dijkstra, args=args,
                       kwargs={"target_nodes": cells, "progress": False}, rounds=1,
                       iterations=1)  # fmt: skip
