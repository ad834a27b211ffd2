"""Scenarios on real communes (Indre, crow-fly times, synthetic GPs) against compute_apl."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.scenarios import (
    AgeLimit,
    Baseline,
    DecayChange,
    RetireAbove,
    Scenario,
    monte_carlo,
    run_scenarios,
)


@pytest.fixture(scope="module")
def indre():
    communes = aplcore.load_communes(departement="36").dropna(subset=["population", "lon", "lat"])
    tt = aplcore.travel_times_crow_fly(
        communes[["lon", "lat"]].reset_index(), max_minutes=30, crs="EPSG:4326"
    )
    communes = communes.loc[tt.codes]
    gps = aplcore.synthetic_practitioners(communes, seed=3)
    return tt, communes["population"].astype(float), gps


def compute(tt, demand, gps, *, max_age=65, closed=None):
    supply = aplcore.count_gp_activity(gps, max_age=max_age)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aplcore.compute_apl(tt, demand=demand, supply=supply, closed=closed).apl_values


def test_each_kind_equals_compute_apl(indre):
    tt, population, gps = indre
    draws = monte_carlo(2, seed=4, activity_cv=0.15)
    scenarios = [
        Scenario("retire", (RetireAbove(62, 3),)),
        Scenario("age60", (AgeLimit(60),)),
        Scenario("right", (DecayChange(closed="right"),)),
        *draws,
    ]
    base = Baseline(tt, demand=population, population=population, practitioners=gps)
    run = run_scenarios(base, scenarios, block_size=2)
    aged = gps.assign(age=gps["age"] + 3)
    expected = {
        "retire": compute(tt, population, aged[aged["age"] <= 62]),
        "age60": compute(tt, population, gps, max_age=60),
        "right": compute(tt, population, gps, closed="right"),
    }
    ids = np.unique(gps["practitioner_id"].astype(str))
    for draw in draws:
        noise = draw.changes[0]
        factor = pd.Series(noise.factors(len(ids)), index=ids)
        changed = gps.assign(activity=gps["activity"] * gps["practitioner_id"].map(factor))
        expected[draw.name] = compute(tt, population, changed)
    for name, values in expected.items():
        np.testing.assert_allclose(run.apl(name).to_numpy(), values, rtol=1e-10, atol=1e-12)
