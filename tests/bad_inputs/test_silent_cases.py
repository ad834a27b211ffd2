"""Inputs that used to be accepted silently with a wrong result: each is now refused or flagged.

One test (or a few) per class of silent acceptance; the catalogue of every entry surface is in
the other modules of this folder.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aplcore
from aplcore.errors import (
    CommuneCodeError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
    TimeUnitsWarning,
    UnknownCodeWarning,
)
from aplcore.traveltimes import TravelTimes

CODES = ["01001", "01002", "01004", "01005"]


def _tt(minutes_apart: float = 8.0) -> TravelTimes:
    rows = []
    for i, a in enumerate(CODES):
        for j, b in enumerate(CODES):
            rows.append((a, b, 0.0 if i == j else minutes_apart * abs(i - j)))
    frame = pd.DataFrame(rows, columns=["origin", "destination", "minutes"])
    return TravelTimes.from_frame(
        frame, origin="origin", destination="destination", minutes="minutes"
    )


def _demand(values=(1000.0, 500.0, 200.0, 300.0)) -> pd.Series:
    return pd.Series(values, index=CODES, dtype="float64")


# ------------------------------------------------------------------ 1. non-finite results
@pytest.mark.parametrize("tiny", [5e-324, 1e-310, 1e-300, 1e-12])
def test_subnormal_demand_is_refused_naming_the_floor(tiny):
    demand = _demand((tiny, 0.0, 0.0, 0.0))
    supply = pd.Series([5000.0], index=["01001"])
    with pytest.raises(InvalidValueError, match=r"below the floor 1e-09.*01001"):
        aplcore.compute_apl(_tt(), demand=demand, supply=supply)


def test_overflowing_result_is_refused_on_every_path():
    demand = _demand((1.0, 1.0, 1.0, 1.0))
    supply = pd.Series([1e308], index=["01001"])
    with pytest.raises(InvalidValueError, match="not finite"):
        aplcore.compute_apl(_tt(), demand=demand, supply=supply, scale=1e5)
    matrix = aplcore.prepare(_tt(), method="2sfca")
    with pytest.raises(InvalidValueError, match="not finite"):
        matrix.solve(demand, supply, scale=1e5)
    with pytest.raises(InvalidValueError, match="not finite"):
        matrix.solve_batch(demand, supply.to_frame("a"), scale=1e5)


def test_tiny_decay_weight_overflow_names_the_weighted_demand():
    from aplcore.decay import exponential_decay

    decay = exponential_decay(700.0, 30.0)
    demand = _demand((0.0, 1.0, 0.0, 0.0))
    supply = pd.Series([1e10], index=["01001"])
    with pytest.raises(InvalidValueError, match="weighted demand"):
        aplcore.compute_apl(_tt(1.0), demand=demand, supply=supply, decay=decay)


# ------------------------------------------------------------------ 2. missing practitioner ids
def _gps(ids) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "practitioner_id": ids,
            "commune": (CODES * n)[:n],
            "activity": np.linspace(3000.0, 7000.0, n),
            "age": [50] * n,
        }
    )


@pytest.mark.parametrize(
    "ids",
    [
        [1.0, np.nan, 3.0],
        ["a", None, "c"],
        ["a", "", "c"],
        ["a", "  ", "c"],
        pd.array([1, pd.NA, 3], dtype="Int64"),
        pd.array(["a", pd.NA, "c"], dtype="string"),
    ],
    ids=["float-nan", "none", "empty", "blank", "Int64-NA", "string-NA"],
)
@pytest.mark.parametrize("rules", ["gp", "fte"])
def test_missing_practitioner_id_is_an_error(ids, rules):
    frame = _gps(ids)
    if rules == "gp":
        rules_object = aplcore.GPActivityRules()
    else:
        frame = frame.rename(columns={"activity": "fte"}).assign(fte=1.0)
        rules_object = aplcore.FTERules(max_fte=1.0)
    with pytest.raises(InvalidValueError, match=r"practitioner_id is missing on 1 of 3 rows.*1"):
        aplcore.count_supply(frame, rules=rules_object)


def test_every_gp_above_max_age_says_so():
    frame = _gps(["a", "b"]).assign(age=[70, 72])
    with pytest.raises(InvalidValueError, match=r"older than max_age=65.*max_age=None"):
        aplcore.count_gp_activity(frame, max_age=65)


# ------------------------------------------------------------------ 3. aggregate, missing groups
def _result() -> aplcore.APLResult:
    supply = pd.Series([5000.0, 4000.0], index=["01001", "01005"])
    return aplcore.compute_apl(_tt(), demand=_demand(), supply=supply, population=_demand())


def test_aggregate_with_missing_group_is_an_error():
    groups = pd.Series(["A", None, "B", np.nan], index=CODES)
    with pytest.raises(MissingCommuneError, match=r"group is missing.*01002.*dropna=True"):
        _result().aggregate(groups)


def test_aggregate_dropna_leaves_them_out_explicitly():
    result = _result()
    groups = pd.Series(["A", None, "B", "B"], index=CODES)
    out = result.aggregate(groups, dropna=True)
    apl, weight = result.apl, result.demand
    expected_a = apl["01001"]
    expected_b = (apl["01004"] * weight["01004"] + apl["01005"] * weight["01005"]) / (
        weight["01004"] + weight["01005"]
    )
    assert out.loc["A", "apl"] == pytest.approx(expected_a)
    assert out.loc["B", "apl"] == pytest.approx(expected_b)
    assert out["communes"].sum() == 3


# ------------------------------------------------------------------ 8. values to refuse
@pytest.mark.parametrize("threshold", [np.nan, np.inf, None, "2.5"])
def test_population_under_refuses_a_non_number(threshold):
    with pytest.raises(ParameterError, match="threshold must be a finite number"):
        _result().population_under(threshold)


# ------------------------------------------------------------------ 10. row order
ROW_ORDER_GPS = pd.DataFrame(
    {
        "practitioner_id": [f"g{k % 23}" for k in range(60)],
        "commune": [CODES[(k * 7) % 4] for k in range(60)],
        "activity": [1000.0 + 1234.567 * ((k * 37) % 11) / 3.0 for k in range(60)],
        "age": [40 + (k % 23) for k in range(60)],
        "kind": ["centre_sante" if k % 5 == 0 else "liberal" for k in range(60)],
    }
).drop_duplicates(["practitioner_id", "commune", "kind"])


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(len(ROW_ORDER_GPS))))
def test_supply_is_bit_identical_under_any_row_order(order):
    reference = aplcore.count_gp_activity(ROW_ORDER_GPS)
    permuted = aplcore.count_gp_activity(ROW_ORDER_GPS.iloc[list(order)])
    assert permuted.index.equals(reference.index)
    assert permuted.to_numpy().tobytes() == reference.to_numpy().tobytes()
    detail = aplcore.count_gp_activity(ROW_ORDER_GPS.iloc[list(order)], detail=True)
    assert (
        detail["practitioner_id"].tolist()
        == ROW_ORDER_GPS.iloc[list(order)]["practitioner_id"].tolist()
    )


# ------------------------------------------------------------------ 4. time units
def _crow_fly_table() -> pd.DataFrame:
    communes = aplcore.load_communes(departement="90", dropna=True).reset_index()
    tt = aplcore.travel_times_crow_fly(communes[["code", "lon", "lat"]], max_minutes=30)
    return tt.to_frame()


@pytest.fixture(scope="module")
def belfort_times() -> pd.DataFrame:
    return _crow_fly_table()


@pytest.mark.parametrize(
    ("factor", "max_minutes", "likely"),
    [(60.0, 30, "seconds"), (60.0, None, "seconds"), (1 / 60, 30, "hours")],
    ids=["seconds-cut", "seconds-uncut", "hours"],
)
def test_times_in_another_unit_are_flagged(belfort_times, factor, max_minutes, likely):
    frame = belfort_times.assign(minutes=belfort_times["minutes"] * factor)
    with pytest.warns(TimeUnitsWarning, match=rf"likely in {likely}.*units='{likely}'"):
        TravelTimes.from_frame(frame, max_minutes=max_minutes)


def test_declared_units_are_converted_and_not_flagged(belfort_times, tmp_path):
    reference = TravelTimes.from_frame(belfort_times, max_minutes=30)
    in_seconds = belfort_times.assign(minutes=belfort_times["minutes"] * 60.0)
    path = tmp_path / "od.csv"
    in_seconds.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        declared = TravelTimes.from_frame(in_seconds, max_minutes=30, units="seconds")
        from_file = aplcore.travel_times_from_table(path, max_minutes=30, units="seconds")
        TravelTimes.from_frame(belfort_times, max_minutes=30)  # minutes: no warning
    for built in (declared, from_file):
        assert np.array_equal(built.indptr, reference.indptr)
        np.testing.assert_allclose(built.minutes, reference.minutes, rtol=1e-12)


def test_unknown_unit_is_refused(belfort_times):
    with pytest.raises(ParameterError, match="units must be one of"):
        TravelTimes.from_frame(belfort_times, units="furlongs")


# ------------------------------------------------------------------ 9. codes that do not exist
def _self_pairs(codes) -> pd.DataFrame:
    return pd.DataFrame({"origin": codes, "destination": codes, "minutes": 0.0})


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("00000", "do not exist: '00000'"),
        ("20004", "'20004 → 2A004'"),
        ("99999", "do not exist: '99999'"),
        ("28025", "'28025 → 28319'"),
    ],
)
def test_codes_absent_from_the_cog_are_flagged(code, words):
    frame = _self_pairs(["01001", code])
    with pytest.warns(UnknownCodeWarning, match=words):
        TravelTimes.from_frame(frame)
    with pytest.raises(CommuneCodeError, match=words):
        TravelTimes.from_frame(frame, strict=True)


def test_current_codes_and_any_ids_are_not_flagged():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TravelTimes.from_frame(_self_pairs(["01001", "2A004", "75101", "97411"]))
        TravelTimes.from_frame(_self_pairs(["00000", "IRIS-1"]), ids="any")


# ------------------------------------------------------------------ 8. a 100+ column is counted
@pytest.mark.parametrize("layout", ["wide", "long"])
def test_inhabitants_aged_100_and_over_are_counted_in_90_plus(tmp_path, layout):
    from aplcore import io

    bands = [*aplcore.AGE_BANDS[:-1], "90-94", "95-99", "100+"]
    counts = {band: float(k + 1) for k, band in enumerate(bands)}
    if layout == "wide":
        frame = pd.DataFrame({"code": ["45001"], **{b: [v] for b, v in counts.items()}})
    else:
        frame = pd.DataFrame(
            {"code": "45001", "age": list(counts), "population": list(counts.values())}
        )
    path = tmp_path / "ages.csv"
    frame.to_csv(path, index=False)
    table = io.read_population_by_age(path)
    assert table.loc["45001"].sum() == sum(counts.values())
    assert table.loc["45001", "90+"] == counts["90-94"] + counts["95-99"] + counts["100+"]


def test_groups_without_weight_are_named_in_a_warning():
    from aplcore.aggregation import aggregate
    from aplcore.errors import EmptyTerritoryWarning

    apl = pd.Series([1.0, 2.0, 3.0], index=CODES[:3])
    weight = pd.Series([10.0, 0.0, 0.0], index=CODES[:3])
    groups = pd.Series(["A", "B", "B"], index=CODES[:3])
    with pytest.warns(EmptyTerritoryWarning, match=r"1 groups have a total weight of 0.*'B'"):
        out = aggregate(apl, weight, groups, what="apl")
    assert out.loc["A", "apl"] == 1.0
    assert np.isnan(out.loc["B", "apl"])
