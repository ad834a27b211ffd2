"""Named constructors with the figures reported for the 2011 annexes (physiotherapists, dentists).

The figures (physiotherapists: days worked / 240, travel time deducted; dentists aged 60 or more
counted half, the most active 20 % counted 1.5) come from secondary sources describing the
annexes of the arrêtés of 21 December 2011 and 12 June 2012. Those annexes are not among the
reference documents (``../shared/docs``): the constructors say so, and these tests check the
arithmetic the figures give, not the figures themselves.
"""

from __future__ import annotations

import pandas as pd
import pytest

from aplcore.errors import ParameterError
from aplcore.supply import DentistFTERules, PhysiotherapistFTERules, count_supply


def test_physiotherapists_reported_figures() -> None:
    rules = PhysiotherapistFTERules.reported_2011()
    assert (rules.full_time_days, rules.travel, rules.max_fte) == (240.0, "deduct", None)
    physios = pd.DataFrame(
        {
            "practitioner_id": ["a", "a", "b", "c"],
            "commune": ["36001", "36002", "36003", "36003"],
            "days_worked": [120.0, 60.0, 240.0, 300.0],
            "travel_days": [12.0, 6.0, 0.0, 30.0],
        }
    )
    supply = count_supply(physios, rules=rules)
    # a: (120 - 12 + 60 - 6) / 240 = 0.675, split 2/3 - 1/3 by days worked; b: 1; c: 270 / 240
    assert supply.to_dict() == pytest.approx({"36001": 0.45, "36002": 0.225, "36003": 1.0 + 1.125})
    capped = count_supply(physios, rules=PhysiotherapistFTERules.reported_2011(max_fte=1.0))
    assert capped["36003"] == pytest.approx(2.0)


def test_dentists_reported_figures() -> None:
    rules = DentistFTERules.reported_2011()
    assert (rules.older_from, rules.older_weight) == (60.0, 0.5)
    assert (rules.top_share, rules.top_weight, rules.both_weight) == (0.2, 1.5, None)
    dentists = pd.DataFrame(
        {
            "practitioner_id": list("abcdefghij"),
            "commune": ["36001"] * 5 + ["36002"] * 5,
            "activity": [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100],
            "age": [40, 62, 45, 50, 55, 41, 59, 60, 44, 39],
        }
    )
    counted = count_supply(dentists, rules=rules, detail=True).set_index("practitioner_id")
    assert counted.loc[["b", "h"], "counted"].tolist() == [0.5, 0.5]  # aged 62 and 60
    assert counted.loc[["i", "j"], "counted"].tolist() == [1.5, 1.5]  # 20 % of 10: 2 dentists
    assert counted.loc["g", "counted"] == 1.0  # aged 59
    assert count_supply(dentists, rules=rules).to_dict() == {"36001": 4.5, "36002": 5.5}
    older_and_active = dentists.assign(age=[40] * 9 + [61])
    with pytest.raises(ParameterError, match="give both_weight"):
        count_supply(older_and_active, rules=rules)
    both = count_supply(older_and_active, rules=DentistFTERules.reported_2011(both_weight=1.0))
    assert both["36002"] == pytest.approx(1 + 1 + 1 + 1.5 + 1.0)


@pytest.mark.parametrize("rules", [PhysiotherapistFTERules, DentistFTERules])
def test_reported_figures_say_they_are_not_confirmed(rules) -> None:
    doc = " ".join(rules.reported_2011.__doc__.split())
    assert "secondary sources" in doc
    assert "not confirmed by the reference documents" in doc
    with pytest.raises(TypeError):
        rules()  # the plain constructor still has no default numbers
