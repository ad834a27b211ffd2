"""The supply-counting kernel of the scenario engine against the DREES rules, property-tested.

Reference: :func:`aplcore.count_supply` (:class:`aplcore.GPActivityRules`) on the practitioner
table filtered and modified by hand, one scenario at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import aplcore
from aplcore.scenarios import ActivityNoise, Baseline, Scenario
from aplcore.scenarios.baseline import Inputs

CODES = ["45001", "45002", "45004", "45005"]


def travel_times() -> aplcore.TravelTimes:
    rows = [(a, b, 0.0 if a == b else 12.0) for a in CODES for b in CODES]
    return aplcore.TravelTimes.from_frame(
        pd.DataFrame(rows, columns=["origin", "destination", "minutes"])
    )


TT = travel_times()

activities = st.sampled_from([0.0, 100.0, 249.9, 250.0, 251.0, 3600.0, 4200.5, 6000.0, 6500.0])


@st.composite
def tables(draw):
    n_gp = draw(st.integers(1, 8))
    rows = []
    for g in range(n_gp):
        kind = draw(st.sampled_from(["liberal", "liberal", "centre_sante"]))
        new = draw(st.booleans()) if kind == "liberal" else False
        age = draw(st.integers(30, 70))
        sites = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True))
        for site in sites:
            rows.append((f"g{g}", site, draw(activities), age, kind, new))
    table = pd.DataFrame(
        rows, columns=["practitioner_id", "commune", "activity", "age", "kind", "new_install"]
    )
    factors = draw(st.lists(st.floats(0.0, 3.0), min_size=len(table), max_size=len(table)))
    max_age = draw(st.sampled_from([None, 60, 65]))
    rules = aplcore.GPActivityRules(bound_centres_sante=draw(st.booleans()))
    return table, np.asarray(factors), max_age, rules


@settings(max_examples=30)
@given(tables())
def test_kernel_equals_the_rules(case):
    table, factors, max_age, rules = case
    base = Baseline(TT, demand=pd.Series(1.0, index=CODES), practitioners=table, rules=rules,
                    max_age=max_age)  # fmt: skip
    inputs = Inputs.from_baseline(base)
    prac = inputs.practitioners
    # rows in the validated order of the table (the same rows, reset index)
    activity = np.vstack([prac.activity, prac.activity * factors])
    keep = np.ones_like(activity, dtype=bool)
    if max_age is not None:
        keep &= prac.age <= max_age
    found = inputs._count(activity, keep)
    for k in range(2):
        changed = table.assign(activity=activity[k])[keep[k]]
        expected = np.zeros(len(CODES))  # count_supply refuses a table where no one is kept
        if len(changed):
            counted = aplcore.count_supply(changed, rules=rules, max_age=None)
            expected = counted.reindex(CODES, fill_value=0.0).to_numpy()
        np.testing.assert_allclose(found[:, k], expected, rtol=1e-12, atol=1e-9)


@settings(max_examples=30)
@given(tables(), st.integers(0, 2**64 - 1), st.floats(0.0, 1.0))
def test_noise_kernel_equals_the_rules(case, seed, cv):
    """Per-practitioner factors computed inside the kernel and several kept-row masks, counted
    without an activity matrix, against the rules on the activity times the public factors."""
    from aplcore.kernels.supply import count_gp_noise

    from aplcore.scenarios.baseline import noise_streams

    table, _, max_age, rules = case
    base = Baseline(TT, demand=pd.Series(1.0, index=CODES), practitioners=table, rules=rules,
                    max_age=max_age)  # fmt: skip
    inputs = Inputs.from_baseline(base)
    prac = inputs.practitioners
    noises = [None, ActivityNoise(cv, seed, 0), ActivityNoise(3 * cv, seed, 2**64 - 1)]
    factors = np.ones((prac.n_gp, 3))
    factors[:, 1] = noises[1].factors(prac.n_gp)
    factors[:, 2] = noises[2].factors(prac.n_gp)
    rng = np.random.default_rng(seed)
    # whole practitioners are kept or removed (ages, retirements, removals), never one site
    masks = (rng.random((2, prac.n_gp)) < 0.8)[:, prac.gp]
    if max_age is not None:
        masks &= prac.age <= max_age
    keep_of = np.array([0, 1, 0])
    found = count_gp_noise(
        prac.gp_indptr, prac.gp_rows, prac.commune_indptr, prac.commune_rows, prac.gp,
        prac.bounded, prac.activity, *noise_streams(noises), masks, keep_of, prac.new_install,
        prac.sites, float(rules.zero_below), float(rules.floor), float(rules.cap),
        float(rules.new_install_activity),
    )  # fmt: skip
    activity = prac.activity * factors[prac.gp].T
    np.testing.assert_allclose(found, inputs._count(activity, masks[keep_of]), rtol=1e-13)
    for k in range(3):
        kept = masks[keep_of[k]]
        changed = table.assign(activity=activity[k])[kept]
        expected = np.zeros(len(CODES))
        if kept.any():
            counted = aplcore.count_supply(changed, rules=rules, max_age=None)
            expected = counted.reindex(CODES, fill_value=0.0).to_numpy()
        np.testing.assert_allclose(found[:, k], expected, rtol=1e-12, atol=1e-9)


def test_block_noise_equals_each_draw():
    """Supply of a block of draws is each draw's own supply, whatever the block around it."""
    table = pd.DataFrame(
        {
            "practitioner_id": [f"g{i}" for i in range(40)],
            "commune": [CODES[i % 4] for i in range(40)],
            "activity": np.linspace(0.0, 7000.0, 40),
            "age": 40,
        }
    )
    inputs = Inputs.from_baseline(
        Baseline(TT, demand=pd.Series(1.0, index=CODES), practitioners=table)
    )
    noises = [Scenario(f"d{k}", (ActivityNoise(0.3, seed=3, draw=k),)) for k in range(6)]
    block = inputs.columns([noises[1], Scenario("base"), *noises[2:]])[2]
    assert (block[:, 1] == inputs.supply).all()
    for col, draw in [(0, noises[1]), *enumerate(noises[2:], start=2)]:
        alone = inputs.columns([draw])[2][:, 0]
        assert np.array_equal(block[:, col], alone)
    assert not np.array_equal(block[:, 0], block[:, 2])
