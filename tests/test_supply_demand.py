"""Supply (DREES GP activity rules, FTE rules) and demand (age standardisation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.supply import GPActivityRules

# The spec §2 table, row by row, with the convention for 250 exactly (counted as 3 600).
ACTIVITY_TABLE = [
    (0, 0.0),
    (249, 0.0),
    (249.99, 0.0),
    (250, 3600.0),
    (251, 3600.0),
    (3600, 3600.0),
    (3601, 3601.0),
    (4500, 4500.0),
    (6000, 6000.0),
    (6001, 6000.0),
    (12000, 6000.0),
]


@pytest.mark.parametrize(("activity", "counted"), ACTIVITY_TABLE)
def test_activity_bounds_row_by_row(activity, counted):
    frame = pd.DataFrame(
        {"practitioner_id": [1], "commune": ["37261"], "activity": [activity], "age": [50]}
    )
    assert aplcore.count_gp_activity(frame).loc["37261"] == counted
    assert GPActivityRules().bound(np.array([activity]))[0] == counted


def test_new_installation_is_imputed_5400():
    frame = pd.DataFrame(
        {
            "practitioner_id": ["a", "b"],
            "commune": ["37261", "37261"],
            "activity": [0.0, 8000.0],
            "age": [31, 33],
            "new_install": [True, True],
        }
    )
    assert aplcore.count_gp_activity(frame).loc["37261"] == 2 * 5400


def test_centres_de_sante_are_not_bounded():
    frame = pd.DataFrame(
        {
            "practitioner_id": [1, 2, 3],
            "commune": ["45234"] * 3,
            "activity": [100.0, 9000.0, 2000.0],
            "age": [40, 40, 40],
            "kind": ["centre_sante", "centre_sante", "liberal"],
        }
    )
    assert aplcore.count_gp_activity(frame).loc["45234"] == 100 + 9000 + 3600


def test_multi_site_gp_bounds_the_total_and_splits_by_activity():
    # 2 000 + 6 000 = 8 000 recorded -> 6 000 counted, split 1/4 - 3/4.
    frame = pd.DataFrame(
        {
            "practitioner_id": [7, 7, 8],
            "commune": ["18033", "18197", "18197"],
            "activity": [2000.0, 6000.0, 1000.0],
            "age": [55, 55, 55],
        }
    )
    supply = aplcore.count_gp_activity(frame)
    assert supply.loc["18033"] == 1500.0
    assert supply.loc["18197"] == 4500.0 + 3600.0
    assert supply.index.tolist() == ["18033", "18197"]
    # a new installation with no recorded activity is split equally across its sites
    frame["new_install"] = [True, True, False]
    frame["activity"] = [0.0, 0.0, 1000.0]
    supply = aplcore.count_gp_activity(frame)
    assert supply.loc["18033"] == 2700.0
    assert supply.loc["18197"] == 2700.0 + 3600.0


@pytest.mark.parametrize(
    ("max_age", "expected"), [(None, 4 * 3600), (65, 3 * 3600), (62, 2 * 3600), (60, 3600)]
)
def test_age_variants(max_age, expected):
    frame = pd.DataFrame(
        {
            "practitioner_id": [1, 2, 3, 4],
            "commune": ["28085"] * 4,
            "activity": [3000.0] * 4,
            "age": [60, 62, 65, 66],
        }
    )
    assert aplcore.count_gp_activity(frame, max_age=max_age).loc["28085"] == expected


def test_detail_rows_and_custom_rules():
    frame = pd.DataFrame(
        {"practitioner_id": [1, 2], "commune": ["41018", "41018"], "activity": [100.0, 7000.0]}
    )
    rules = GPActivityRules(zero_below=50, floor=1000, cap=8000)
    detail = aplcore.count_gp_activity(frame, max_age=None, rules=rules, detail=True)
    assert detail["counted"].tolist() == [1000.0, 7000.0]


def test_fte_rules_cap_per_practitioner():
    frame = pd.DataFrame(
        {
            "practitioner_id": [1, 1, 2],
            "commune": ["36044", "36088", "36044"],
            "fte": [0.8, 0.7, 0.5],
        }
    )
    supply = aplcore.count_supply(frame, rules=aplcore.FTERules(max_fte=1.0))
    assert supply.loc["36044"] == pytest.approx(0.8 / 1.5 + 0.5)
    assert supply.loc["36088"] == pytest.approx(0.7 / 1.5)


def test_standardised_population_by_preset_and_renormalisation():
    counts = pd.DataFrame(
        np.arange(38, dtype=float).reshape(2, 19),
        index=["01001", "2A004"],
        columns=aplcore.AGE_BANDS,
    )
    weights = np.array(aplcore.WEIGHT_PRESETS["drees_gp_2023"])
    p = aplcore.standardise_population(counts)
    np.testing.assert_allclose(p.to_numpy(), counts.to_numpy() @ weights)
    assert p.index.tolist() == ["01001", "2A004"]
    renormalised = aplcore.standardise_population(counts, renormalise=True)
    assert renormalised.sum() == pytest.approx(counts.to_numpy().sum())
    custom = aplcore.standardise_population(
        counts.reset_index(names="code"), weights=dict.fromkeys(aplcore.AGE_BANDS, 1.0),
        code_column="code",
    )  # fmt: skip
    np.testing.assert_allclose(custom.to_numpy(), counts.sum(axis=1).to_numpy())
    p22 = aplcore.standardise_population(counts, weights="drees_gp_2022")
    assert p22.loc["01001"] == pytest.approx(
        counts.loc["01001"].to_numpy() @ np.array(aplcore.WEIGHT_PRESETS["drees_gp_2022"])
    )
