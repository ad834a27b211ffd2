"""Scenario runs on a study area: APL over the area and its ring, results and zones of the area
alone; the edge-effect warning points at the caller's line."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.errors import EdgeEffectWarning, ParameterError
from aplcore.scenarios import (
    Baseline,
    DecayChange,
    ScaleSupply,
    Scenario,
    ZoningSpec,
    monte_carlo,
    run_scenarios,
)

THRESHOLDS = (2.71, 3.98)


@pytest.fixture(scope="module")
def area_case():
    area = aplcore.study_area(departement="36")  # Indre and its 40-minute ring
    communes = area.communes
    tt = aplcore.travel_times_crow_fly(communes, max_minutes=30.0)
    communes = communes.loc[tt.codes]
    gps = aplcore.synthetic_practitioners(communes, seed=0)
    population = communes["population"].astype(np.float64)
    territory = communes["epci"].fillna(communes.index.to_series()).astype(str)
    return area, tt, gps, population, territory


def baseline(case, **kwargs):
    _, tt, gps, population, territory = case
    return Baseline(
        tt,
        demand=population,
        population=population,
        practitioners=gps,
        zoning=ZoningSpec(territory, method="zonage_2025", thresholds=THRESHOLDS),
        **kwargs,
    )


SCENARIOS = [
    *monte_carlo(3, seed=2, activity_cv=0.2),
    Scenario("minus_10", (ScaleSupply(0.9),)),
    Scenario("right", (DecayChange(closed="right"),)),
]


def test_only_the_core_is_reported_and_zoned(area_case):
    area, tt, _, _, territory = area_case
    ring = area.ring.intersection(tt.codes)
    assert len(ring) > 100  # the ring is real: Indre's neighbours within 40 minutes
    with warnings.catch_warnings():
        warnings.simplefilter("error", EdgeEffectWarning)
        run = run_scenarios(baseline(area_case, core=area), SCENARIOS, block_size=2)
    core = tt.codes[tt.codes.isin(area.core)]
    assert run.codes.equals(pd.Index(core, name="code"))
    assert not run.codes.isin(ring).any()
    core_territories = set(territory[core])
    assert set(run.territories) == core_territories
    only_ring = set(territory[ring]) - core_territories
    assert only_ring  # territories of the ring alone exist, and are zoned nowhere
    assert not set(run.zones_long()["territory"]) & only_ring
    assert not set(run.stability().index) & only_ring
    assert len(run.summary()) == len(core)
    assert run.to_long()["code"].isin(core).all()


def test_core_results_equal_compute_apl_on_core_and_ring(area_case):
    area, tt, gps, population, territory = area_case
    run = run_scenarios(baseline(area_case, core=area.core), SCENARIOS, block_size=2)
    core = tt.codes[tt.codes.isin(area.core)]

    def apl(supply_gps, scale=1.0, closed=None):
        supply = aplcore.count_gp_activity(supply_gps, max_age=65) * scale
        with warnings.catch_warnings():
            warnings.simplefilter("error", EdgeEffectWarning)
            result = aplcore.compute_apl(
                tt, demand=population, supply=supply, missing_demand="zero", closed=closed
            )
        return result.apl.reindex(core)

    expected = {"minus_10": apl(gps, 0.9), "right": apl(gps, closed="right")}
    ids = np.unique(gps["practitioner_id"].astype(str))
    for draw in SCENARIOS[:3]:
        factor = pd.Series(draw.changes[0].factors(len(ids)), index=ids)
        expected[draw.name] = apl(
            gps.assign(activity=gps["activity"] * gps["practitioner_id"].map(factor))
        )
    for name, values in expected.items():
        np.testing.assert_allclose(run.apl(name).to_numpy(), values.to_numpy(), rtol=1e-10)
    base = apl(gps)
    np.testing.assert_allclose(run.baseline["apl"].to_numpy(), base.to_numpy(), rtol=1e-10)
    # the baseline zoning is classify_zones on the core's APL, populations and territories
    zoning = aplcore.classify_zones(
        base,
        population=population[core],
        territory=territory[core],
        method="zonage_2025",
        thresholds=THRESHOLDS,
    )
    labels = np.asarray(run.zone_labels, dtype=object)[run.baseline_zones]
    expected_zones = zoning.territories["zone"].reindex(run.territories).to_numpy()
    assert (labels == expected_zones).all()


def test_a_core_outside_the_travel_times_is_refused(area_case):
    with pytest.raises(ParameterError, match=r"baseline core are not in the travel times.*99999"):
        run_scenarios(baseline(area_case, core=["99999", "36044"]), SCENARIOS[:1])


def test_edge_effect_warning_points_at_the_caller():
    communes = aplcore.load_communes(departement="36").dropna(subset=["population", "lon"])
    tt = aplcore.travel_times_crow_fly(communes, max_minutes=30.0)  # an area cut at its border
    population = communes["population"].reindex(tt.codes).astype(np.float64)
    base = Baseline(tt, demand=population, supply=population * 0.001)
    with pytest.warns(EdgeEffectWarning, match="ring of 0 min") as caught:
        run_scenarios(base, [Scenario("minus_10", (ScaleSupply(0.9),))])
    assert {w.filename for w in caught} == {__file__}
