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
from aplcore.scenarios import Baseline
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
        changed = table.assign(activity=activity[k])
        expected = aplcore.count_supply(changed, rules=rules, max_age=max_age)
        expected = expected.reindex(CODES, fill_value=0.0).to_numpy()
        np.testing.assert_allclose(found[:, k], expected, rtol=1e-12, atol=1e-9)
