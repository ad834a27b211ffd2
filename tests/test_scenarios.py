"""Scenarios: each kind of change against a plain re-computation from scratch.

The reference for every scenario rebuilds the modified inputs by hand (practitioner table,
population by age), counts them with :func:`aplcore.count_gp_activity`, standardises with
:func:`aplcore.standardise_population` and solves with the dense NumPy reference of
``tests/fca_reference.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fca_reference import dense_times, fca_dense, step_weights
from hypothesis import given, settings
from hypothesis import strategies as st

import aplcore
from aplcore.demand import AGE_BANDS
from aplcore.errors import ParameterError
from aplcore.scenarios import (
    ActivityNoise,
    AddPractitioners,
    AddSupply,
    AgeLimit,
    Baseline,
    DecayChange,
    NewInstallations,
    ProjectPopulation,
    RemovePractitioners,
    RetireAbove,
    ScaleActivity,
    ScaleDemand,
    ScaleSupply,
    Scenario,
    WeightsVintage,
    ZoningChange,
    ZoningSpec,
    grid,
    monte_carlo,
    run_scenarios,
    scenario_table,
    scenarios_from_table,
)
from aplcore.zoning import get_method

# ------------------------------------------------------------------------------ small case
#: Real commune codes of the Loiret (positions in the random cases are not geography).
C = aplcore.load_communes(departement="45").index[:30].tolist()


def small_case(seed: int = 0, n: int = 24):
    rng = np.random.default_rng(seed)
    codes = C[:n]
    xy = rng.uniform(0, 25, size=(n, 2))
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    minutes = np.round(dist * 1.11 + 1.0)  # whole minutes: pairs fall on the band edges
    np.fill_diagonal(minutes, rng.integers(0, 4, n))
    o, d = np.nonzero(minutes <= 25)
    frame = pd.DataFrame(
        {
            "origin": np.asarray(codes)[o],
            "destination": np.asarray(codes)[d],
            "minutes": minutes[o, d],
        }
    )
    tt = aplcore.TravelTimes.from_frame(frame)
    pop = pd.DataFrame(
        rng.integers(0, 150, size=(n, len(AGE_BANDS))).astype(float), index=codes, columns=AGE_BANDS
    )
    rows = []
    for g in range(2 * n):
        age = int(rng.integers(30, 71))
        kind = "centre_sante" if rng.random() < 0.1 else "liberal"
        new = bool(kind == "liberal" and rng.random() < 0.1)
        sites = rng.choice(n, size=2 if rng.random() < 0.15 else 1, replace=False)
        for site in sites:
            activity = float(np.round(rng.choice([100.0, 250.0, 3000.0, 4500.0, 5200.0, 7000.0])))
            activity *= rng.uniform(0.8, 1.2) if activity > 250 else 1.0
            rows.append((f"gp{g:03d}", codes[site], activity, age, kind, new))
    gps = pd.DataFrame(
        rows, columns=["practitioner_id", "commune", "activity", "age", "kind", "new_install"]
    )
    territory = pd.Series([f"T{i % 5}" for i in range(n)], index=codes)
    return tt, pop, gps, territory, minutes, codes


def reference_apl(minutes, codes, demand, supply, *, closed="left", edges=(10, 15, 20)):
    n = len(codes)
    o, d = np.nonzero(minutes <= 25)
    w = step_weights(
        dense_times(n, o, d, minutes[o, d]), edges, (1.0, 2.0 / 3.0, 1.0 / 3.0), closed
    )
    p = demand.reindex(codes).fillna(0).to_numpy()
    s = supply.reindex(codes).fillna(0).to_numpy()
    return fca_dense(w, p, s, "e2sfca")


@pytest.fixture(scope="module")
def case():
    return small_case()


def baseline_of(case, **kwargs) -> Baseline:
    tt, pop, gps, _territory, _, _ = case
    return Baseline(tt, population_by_age=pop, practitioners=gps, **kwargs)


def run_one(case, *changes, **kwargs):
    run = run_scenarios(baseline_of(case, **kwargs), [Scenario("s", tuple(changes))])
    return run.apl("s").to_numpy()


def check(case, changes, *, gps=None, pop=None, weights="drees_gp_2023", max_age=65, **ref):
    _tt, pop0, gps0, _, minutes, codes = case
    found = run_one(case, *changes)
    demand = aplcore.standardise_population(pop if pop is not None else pop0, weights)
    supply = aplcore.count_gp_activity(gps if gps is not None else gps0, max_age=max_age)
    expected = reference_apl(minutes, codes, demand, supply, **ref)
    np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ each kind
def test_baseline_equals_compute_apl(case):
    check(case, [])


def test_scale_activity(case):
    gps = case[2].copy()
    some = gps["commune"].isin([C[1], C[3]])
    gps.loc[some, "activity"] *= 1.3
    check(case, [ScaleActivity(1.3, communes=(C[1], C[3]))], gps=gps)


def test_retire_above_in_years(case):
    gps = case[2].copy()
    gps["age"] += 4
    gps = gps[gps["age"] <= 66]
    check(case, [RetireAbove(66, years=4)], gps=gps)


def test_remove_practitioners(case):
    gps = case[2]
    gone = ("gp001", "gp007")
    check(case, [RemovePractitioners(gone)], gps=gps[~gps["practitioner_id"].isin(gone)])


def test_age_limit(case):
    check(case, [AgeLimit(60)], max_age=60)
    check(case, [AgeLimit(None)], max_age=None)


def test_activity_noise_is_per_practitioner(case):
    gps = case[2].copy()
    noise = ActivityNoise(0.2, seed=7, draw=3)
    ids = np.unique(gps["practitioner_id"].astype(str))
    factor = pd.Series(noise.factors(len(ids)), index=ids)
    gps["activity"] = gps["activity"] * gps["practitioner_id"].map(factor).to_numpy()
    check(case, [noise], gps=gps)


def test_add_practitioners(case):
    gps = case[2]
    added = pd.DataFrame(
        {
            "practitioner_id": ["new1", "new2", "new3"],
            "commune": [C[2], C[2], C[10]],
            "activity": [0.0, 0.0, 7000.0],
            "age": [35, 35, 40],
            "kind": ["liberal"] * 3,
            "new_install": [True, True, False],
        }
    )
    changes = [AddPractitioners(C[2], 2), AddPractitioners(C[10], 1, activity=7000.0)]
    check(case, changes, gps=pd.concat([gps, added], ignore_index=True))


def test_commune_supply_changes(case):
    _tt, pop, gps, _, minutes, codes = case
    found = run_one(case, AddSupply({C[4]: 3000.0, C[5]: -1e9}), ScaleSupply(2.0, (C[6],)))
    supply = aplcore.count_gp_activity(gps).reindex(codes).fillna(0.0)
    supply[C[4]] += 3000.0
    supply[C[5]] = 0.0
    supply[C[6]] *= 2.0
    demand = aplcore.standardise_population(pop)
    np.testing.assert_allclose(
        found, reference_apl(minutes, codes, demand, supply), rtol=1e-12, atol=1e-12
    )


def test_population_projection_and_weights(case):
    pop = case[1].copy()
    factors = {"75-79": 1.2, "80-84": 1.3, "0-4": 0.9}
    for band, f in factors.items():
        pop[band] *= f
    check(case, [ProjectPopulation(factors), WeightsVintage("drees_gp_2022")], pop=pop,
          weights="drees_gp_2022")  # fmt: skip


def test_projection_per_commune(case):
    pop = case[1].copy()
    table = pd.DataFrame({"90+": [2.0, 0.5]}, index=[C[0], C[1]])
    pop.loc[[C[0], C[1]], "90+"] *= [2.0, 0.5]
    check(case, [ProjectPopulation(table)], pop=pop)


def test_scale_demand(case):
    _tt, pop, gps, _, minutes, codes = case
    found = run_one(case, ScaleDemand(1.5, (C[7],)))
    demand = aplcore.standardise_population(pop)
    demand[C[7]] *= 1.5
    expected = reference_apl(minutes, codes, demand, aplcore.count_gp_activity(gps))
    np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("closed", ["left", "right"])
def test_decay_convention(case, closed):
    check(case, [DecayChange(closed=closed)], closed=closed)


def test_decay_other_steps(case):
    decay = aplcore.step_decay((8, 14, 21), (1.0, 2 / 3, 1 / 3), name="wider")
    check(case, [DecayChange(decay)], edges=(8, 14, 21))


def test_new_installations_placed_by_seed(case):
    _tt, pop, gps, _, minutes, codes = case
    change = NewInstallations(12, seed=3, draw=5)
    found = run_one(case, change)
    base = aplcore.count_gp_activity(gps).reindex(codes).fillna(0.0)
    supply = base + change.counts(base.to_numpy()) * 5400.0
    expected = reference_apl(minutes, codes, aplcore.standardise_population(pop), supply)
    np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-12)


def test_grid_groups_decays_and_matches_single_runs(case):
    scenarios = grid(
        closed={"L": DecayChange(closed="left"), "R": DecayChange(closed="right")},
        age={"60": AgeLimit(60), "65": AgeLimit(65), "all": AgeLimit(None)},
        weights={"w22": WeightsVintage("drees_gp_2022"), "w23": None},
    )
    assert len(scenarios) == 12
    run = run_scenarios(baseline_of(case), scenarios, block_size=5)
    for s in scenarios[::3]:
        single = run_scenarios(baseline_of(case), [Scenario("x", s.changes)])
        # a lone column takes the vector kernels (another summation order): equal to rounding
        np.testing.assert_allclose(
            run.apl(s.name).to_numpy(), single.apl("x").to_numpy(), rtol=1e-14, atol=1e-14
        )


# ------------------------------------------------------------------------------ reproducibility
def test_scenario_table_round_trip_reproduces_the_run(case):
    scenarios = monte_carlo(6, seed=11, activity_cv=0.15, new_installations=3)
    scenarios += [
        Scenario("future", (RetireAbove(67, 5), ProjectPopulation({"80-84": 1.1}))),
        Scenario("local", (ProjectPopulation(pd.DataFrame({"90+": [2.0]}, index=[C[0]])),)),
        Scenario(
            "decay",
            (DecayChange(aplcore.exponential_decay(0.1, 20)), ZoningChange((2.0, 3.0))),
        ),
    ]
    table = scenario_table(scenarios)
    again = scenarios_from_table(table)
    assert again == scenarios
    first = run_scenarios(baseline_of(case), scenarios)
    second = run_scenarios(baseline_of(case), again)
    for name in table["scenario"]:
        np.testing.assert_array_equal(first.apl(name).to_numpy(), second.apl(name).to_numpy())


def test_seeds_differ_and_reproduce(case):
    a = run_scenarios(baseline_of(case), monte_carlo(3, seed=1, activity_cv=0.2))
    b = run_scenarios(baseline_of(case), monte_carlo(3, seed=1, activity_cv=0.2))
    c = run_scenarios(baseline_of(case), monte_carlo(3, seed=2, activity_cv=0.2))
    assert a.summary().equals(b.summary())
    assert not a.summary().equals(c.summary())


def test_draws_do_not_depend_on_blocks_or_threads(case):
    """Each draw's APL is the same bit for bit whatever the block around it and the number of
    threads: the noise is a function of (seed, draw, practitioner) computed in the kernel."""
    import numba

    draws = monte_carlo(7, seed=5, activity_cv=0.3)
    whole = run_scenarios(baseline_of(case), draws, block_size=7)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        pieces = run_scenarios(baseline_of(case), draws[::-1], block_size=3)
    finally:
        numba.set_num_threads(before)
    alone = run_scenarios(baseline_of(case), draws[4:5])
    for d in draws:
        np.testing.assert_array_equal(whole.apl(d.name).to_numpy(), pieces.apl(d.name).to_numpy())
    np.testing.assert_array_equal(alone.apl(draws[4].name), whole.apl(draws[4].name))


# ------------------------------------------------------------------------------ statistics
def test_probability_converges_to_known_answer():
    # One practice commune, one residence commune at 0 minutes: APL = counted activity / P*.
    # A lone GP's activity 5 000 × lognormal(cv): P(APL < 5000/P*) = P(factor < 1) =
    # Phi(sigma / 2) with sigma² = log(1 + cv²).
    from scipy.stats import norm

    tt = aplcore.TravelTimes.from_frame(
        pd.DataFrame({"origin": ["01001"], "destination": ["01001"], "minutes": [0.0]})
    )
    gps = pd.DataFrame(
        {"practitioner_id": ["a"], "commune": ["01001"], "activity": [5000.0], "age": [40]}
    )
    base = Baseline(tt, demand=pd.Series({"01001": 1000.0}), practitioners=gps,
                    rules=aplcore.GPActivityRules(zero_below=0.0, floor=0.0, cap=1e9))  # fmt: skip
    cv = 0.1
    run = run_scenarios(base, monte_carlo(4000, seed=5, activity_cv=cv), block_size=1000)
    sigma = np.sqrt(np.log1p(cv**2))
    expected = norm.cdf(sigma / 2)
    found = run.probability_under(5.0).iloc[0]
    assert abs(found - expected) < 4 * np.sqrt(expected * (1 - expected) / 4000)
    assert abs(run.summary()["mean"].iloc[0] - 5.0) < 0.02


def test_summary_and_long_tables(case):
    scenarios = monte_carlo(5, seed=3, activity_cv=0.1)
    run = run_scenarios(baseline_of(case), scenarios)
    summary = run.summary((0.1, 0.9))
    values = np.column_stack([run.apl(s.name) for s in scenarios])
    np.testing.assert_allclose(summary["q0.1"], np.quantile(values, 0.1, axis=1))
    np.testing.assert_allclose(summary["mean"], values.mean(axis=1))
    np.testing.assert_array_equal(
        run.probability_under(3.0).to_numpy(), (values < 3.0).mean(axis=1)
    )
    np.testing.assert_array_equal(
        run.summary(under=3.0)["p_under_3"].to_numpy(), (values < 3.0).mean(axis=1)
    )
    long = run.to_long()
    assert len(long) == values.size
    assert (
        long.set_index(["code", "scenario"])["apl"].loc[(C[3], scenarios[2].name)] == (values[3, 2])
    )
    ds = run.to_xarray()
    np.testing.assert_array_equal(ds["apl"].values, values)


def run_inputs(base, scenario):
    """Demand, population and supply of a scenario, rebuilt by hand."""
    pop = base.population_by_age.copy()
    weights = "drees_gp_2023"
    for c in scenario.changes:
        if isinstance(c, ProjectPopulation):
            for band, f in c.factors.items():
                pop[band] *= f
        if isinstance(c, WeightsVintage):
            weights = c.weights
    demand = aplcore.standardise_population(pop, weights)
    return demand, pop.sum(axis=1), None


def zoning_spec(territory, caps=None, weighting="population"):
    return ZoningSpec(
        territory,
        method=get_method("zonage_2025", weighting=weighting),
        thresholds=(2.0, 3.5),
        caps=caps,
        cap_unit="share" if caps else "inhabitants",
    )


@pytest.mark.parametrize(
    ("caps", "weighting"),
    [(None, "population"), ({"ZIP": 0.3, "ZAC": 0.4}, "population"), (None, "standardised")],
)
def test_zones_equal_classify_zones(case, caps, weighting):
    _tt, _pop, _gps, territory, _, _ = case
    base = baseline_of(case, zoning=zoning_spec(territory, caps, weighting))
    scenarios = [
        *monte_carlo(4, seed=2, activity_cv=0.3),
        Scenario("thr", (ZoningChange(thresholds=(1.5, 3.0)),)),
        Scenario("w22", (WeightsVintage("drees_gp_2022"),)),
        Scenario("old", (ProjectPopulation({"80-84": 1.5, "85-89": 1.5, "90+": 1.5}),)),
    ]
    run = run_scenarios(base, scenarios)
    labels = run.zone_labels
    for k, s in enumerate(scenarios):
        apl = run.apl(s.name)
        thresholds = (1.5, 3.0) if s.name == "thr" else (2.0, 3.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            demand, population, _ = run_inputs(base, s)
            z = aplcore.classify_zones(
                apl,
                population=population,
                standardised=demand,
                territory=territory,
                method=get_method("zonage_2025", weighting=weighting),
                thresholds=thresholds,
                caps=caps,
                cap_unit="share" if caps else "inhabitants",
            )

        expected = z.territories["zone"].reindex(run.territories).to_numpy()
        assert (np.asarray(labels)[run.zones[:, k]] == expected).all()
    stability = run.stability()
    assert set(stability.columns) >= {"baseline_zone", "p_same", "most_likely"}
    prob = run.zone_probability()
    np.testing.assert_allclose(prob.sum(axis=1), 1.0)
    changes = run.changes()
    pop_t = run.territory_population()
    k = 2
    changed = run.zones[:, k] != run.baseline_zones
    assert changes["population_changed"].iloc[k] == pytest.approx(pop_t[changed].sum())
    headline = run.zoning_stability()
    assert 0 <= headline["share_population_always_same"] <= 1


def test_stream_to_parquet_equals_memory(case, tmp_path):
    territory = case[3]
    base = baseline_of(case, zoning=zoning_spec(territory))
    scenarios = monte_carlo(9, seed=4, activity_cv=0.2) + grid(
        c={"R": DecayChange(closed="right")}, a={"60": AgeLimit(60)}
    )
    memory = run_scenarios(base, scenarios, block_size=4)
    disk = run_scenarios(base, scenarios, block_size=4, out=tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "apl", "baseline.parquet", "meta.json", "scenarios.parquet", "zones.npy",
    ]  # fmt: skip
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    pd.testing.assert_frame_equal(memory.summary(), disk.summary())
    np.testing.assert_array_equal(memory.zones, disk.zones)
    reopened = aplcore.scenarios.ScenarioRun.open(tmp_path / "run")
    pd.testing.assert_frame_equal(reopened.stability(), memory.stability())
    with pytest.raises(ParameterError, match="not empty"):
        run_scenarios(base, scenarios[:1], out=tmp_path / "run")
    replaced = run_scenarios(base, scenarios[:2], out=tmp_path / "run", overwrite=True)
    assert replaced.names == [s.name for s in scenarios[:2]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "od.csv").write_text("origin,destination,minutes\n")
    with pytest.raises(ParameterError, match="never replaced"):
        run_scenarios(base, scenarios[:1], out=tmp_path / "inputs", overwrite=True)
    assert (tmp_path / "inputs" / "od.csv").is_file()


def test_stream_to_npy_equals_memory(case, tmp_path):
    """The .npy blocks hold the solver's values: every statistic as in memory, reopened too."""
    base = baseline_of(case, zoning=zoning_spec(case[3]))
    scenarios = monte_carlo(9, seed=4, activity_cv=0.2) + grid(c={"R": DecayChange(closed="right")})
    memory = run_scenarios(base, scenarios, block_size=4)
    disk = run_scenarios(base, scenarios, block_size=4, out=tmp_path / "run", store="npy")
    assert sorted(p.name for p in (tmp_path / "run" / "apl").iterdir()) == [
        "block-00000.npy", "block-00001.npy", "block-00002.npy", "block-00003.npy",
        "blocks.json",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(
        memory.summary(under=3.0), disk.summary(under=3.0), check_exact=True
    )
    reopened = aplcore.scenarios.ScenarioRun.open(tmp_path / "run")
    pd.testing.assert_frame_equal(memory.summary(), reopened.summary(), check_exact=True)
    np.testing.assert_array_equal(memory.apl("R").to_numpy(), reopened.apl("R").to_numpy())
    pd.testing.assert_frame_equal(reopened.stability(), memory.stability())
    block = np.load(tmp_path / "run" / "apl" / "block-00001.npy")
    np.testing.assert_array_equal(block, memory.store.values[:, 4:8])


def test_stream_to_zarr_equals_memory(case, tmp_path):
    pytest.importorskip("zarr")
    pytest.importorskip("xarray")
    import xarray as xr

    scenarios = monte_carlo(7, seed=4, activity_cv=0.2) + grid(c={"R": DecayChange(closed="right")})
    memory = run_scenarios(baseline_of(case), scenarios, block_size=3)
    disk = run_scenarios(
        baseline_of(case), scenarios, block_size=3, out=tmp_path / "z", store="zarr"
    )
    pd.testing.assert_frame_equal(memory.summary(), disk.summary())
    np.testing.assert_array_equal(memory.apl("R").to_numpy(), disk.apl("R").to_numpy())
    ds = xr.open_zarr(tmp_path / "z" / "apl.zarr", consolidated=False)
    assert ds["apl"].shape == (24, 8)
    assert ds["scenario"].values.tolist() == list(range(8))
    assert ds.attrs["commune_codes"] == disk.codes.tolist()
    lazy = disk.to_xarray()
    np.testing.assert_array_equal(np.asarray(lazy["apl"].values), memory.to_xarray()["apl"].values)


# ------------------------------------------------------------------------------ errors
def test_clear_errors(case):
    tt, pop, gps, _, _, _ = case
    demand_only = Baseline(tt, demand=aplcore.standardise_population(pop), practitioners=gps)
    with pytest.raises(ParameterError, match="population_by_age"):
        run_scenarios(demand_only, [Scenario("p", (WeightsVintage("drees_gp_2022"),))])
    supply_only = Baseline(tt, population_by_age=pop, supply=aplcore.count_gp_activity(gps))
    with pytest.raises(ParameterError, match="practitioners="):
        run_scenarios(supply_only, [Scenario("r", (RetireAbove(60),))])
    with pytest.raises(ParameterError, match="not in the travel times"):
        run_scenarios(supply_only, [Scenario("x", (AddSupply({"99999": 1.0}),))])
    with pytest.raises(ParameterError, match="not in the travel times"):
        run_scenarios(baseline_of(case), [Scenario("x", (ScaleActivity(2.0, ("99999",)),))])
    no_age = Baseline(tt, population_by_age=pop, practitioners=gps.drop(columns="age"),
                      max_age=None)  # fmt: skip
    with pytest.raises(ParameterError, match="age"):
        run_scenarios(no_age, [Scenario("r", (RetireAbove(60, 5),))])
    with pytest.raises(ParameterError, match="no 'age' column"):
        run_scenarios(Baseline(tt, population_by_age=pop, practitioners=gps.drop(columns="age")),
                      [Scenario("b")])  # fmt: skip
    with pytest.raises(ParameterError, match="unique"):
        run_scenarios(supply_only, [Scenario("a"), Scenario("a")])
    with pytest.raises(ParameterError, match="at most one"):
        Scenario("two", (AgeLimit(60), AgeLimit(65)))
    with pytest.raises(ParameterError, match="5-character"):
        ScaleSupply(1.0, communes=(1001,))
    with pytest.raises(ParameterError, match="nothing would vary"):
        monte_carlo(3, seed=1)


def test_maps_of_a_run(case, tmp_path):
    from shapely.geometry import box

    from aplcore.scenarios.report import write_report

    territory = case[3]
    run = run_scenarios(
        baseline_of(case, zoning=zoning_spec(territory)), monte_carlo(8, seed=6, activity_cv=0.3)
    )
    codes = run.codes
    contours = pd.Series(
        [box(i % 6, i // 6, i % 6 + 1, i // 6 + 1) for i in range(len(codes))], index=codes
    )
    write_report(run, tmp_path, contours=contours, source="synthetic test case")
    for name in ("zone_probability.png", "stability.png", "probability_under.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    figure = run.plot_stability(contours, date=None, insets=False)
    legend = figure.axes[0].get_legend() or figure.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[0] == "every one"


def test_save_a_run_kept_in_memory(case, tmp_path):
    base = baseline_of(case, zoning=zoning_spec(case[3]))
    run = run_scenarios(base, monte_carlo(5, seed=8, activity_cv=0.2))
    run.save(tmp_path / "saved")
    again = aplcore.scenarios.ScenarioRun.open(tmp_path / "saved")
    pd.testing.assert_frame_equal(again.summary(), run.summary())
    pd.testing.assert_frame_equal(again.stability(), run.stability())
    assert again.table.equals(run.table)
    with pytest.raises(ValueError, match="not a scenario run folder"):
        aplcore.scenarios.ScenarioRun.open(tmp_path)


def test_grid_of_decays_and_band_edges(case):
    _, _, _, _, minutes, codes = case
    wider = aplcore.step_decay((8, 14, 21), (1.0, 2 / 3, 1 / 3), name="wider")
    scenarios = grid(
        decay={"drees": DecayChange("drees_gp"), "wider": DecayChange(wider)},
        edges={"L": DecayChange(closed="left"), "R": DecayChange(closed="right")},
    )
    assert [len(s.of("decay")) for s in scenarios] == [1, 1, 1, 1]
    run = run_scenarios(baseline_of(case), scenarios)
    demand = aplcore.standardise_population(case[1])
    supply = aplcore.count_gp_activity(case[2])
    expected = reference_apl(minutes, codes, demand, supply, closed="right", edges=(8, 14, 21))
    np.testing.assert_allclose(run.apl("wider|R"), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ParameterError, match="two axes set the decay"):
        grid(a={"x": DecayChange("drees_gp")}, b={"y": DecayChange(wider)})


def test_docstring_examples_of_the_model():
    import doctest

    import aplcore.scenarios.model as model

    result = doctest.testmod(model, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@settings(max_examples=60)
@given(
    st.integers(1, 40),
    st.integers(1, 80),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_row_quantiles_are_numpy_quantiles(rows, n, q, seed, ties):
    """The per-commune quantiles equal np.quantile bit for bit (ties, bounds, any n)."""
    from aplcore.scenarios.results import row_quantiles

    values = np.random.default_rng(seed).normal(3.0, 1.0, (rows, n))
    if ties:
        values = np.round(values, 1)
    qs = np.asarray([0.0, 1.0, *q])
    expected = np.quantile(values, qs, axis=1).T
    found = row_quantiles(values, qs)
    assert np.array_equal(found, expected)
    big = np.random.default_rng(seed).normal(3.0, 1.0, (70, 2 * n + 1))
    assert np.array_equal(row_quantiles(big, qs), np.quantile(big, qs, axis=1).T)


def test_a_scenario_with_non_finite_apl_is_refused(case):
    """Supply that overflows (finite changes, infinite product) names its scenario."""
    scenarios = [
        Scenario("fine", (ScaleSupply(0.5),)),
        Scenario("overflow", (AddSupply({C[2]: 1e308}), ScaleSupply(10.0))),
    ]
    with pytest.raises(ParameterError, match="scenario 'overflow' gives non-finite APL"):
        run_scenarios(baseline_of(case), scenarios)
