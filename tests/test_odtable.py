"""O-D table import (CSV / Parquet), symmetrisation and intra-commune times."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aplcore.errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
)
from aplcore.traveltimes.intra import intra_commune_minutes
from aplcore.traveltimes.table import symmetrise_pairs, travel_times_from_table


def pairs_of(tt) -> dict[tuple[str, str], float]:
    frame = tt.to_frame()
    return {
        (o, d): t
        for o, d, t in zip(frame["origin"], frame["destination"], frame["minutes"], strict=True)
    }


METRIC_CSV = """CODGEO_O;CODGEO_D;HC
01001;01001;0
01001;01002;12.5
01002;01001;13.0
01002;2A004;30.0
2A004;01002;31.0
01001;2A004;9999
"""


@pytest.fixture
def metric_csv(tmp_path):
    path = tmp_path / "metric.csv"
    path.write_text(METRIC_CSV)
    return path


def test_csv_with_custom_columns_keeps_leading_zeros_and_asymmetry(metric_csv) -> None:
    before = metric_csv.read_bytes()
    tt = travel_times_from_table(
        metric_csv,
        origin="CODGEO_O",
        destination="CODGEO_D",
        minutes="HC",
        read_options={"sep": ";"},
    )
    assert pairs_of(tt) == {
        ("01001", "01001"): 0.0,
        ("01001", "01002"): 12.5,
        ("01002", "01001"): 13.0,
        ("01002", "01002"): 0.0,  # added with the default intra_minutes=0
        ("01002", "2A004"): 30.0,  # t <= max_minutes is kept
        ("2A004", "2A004"): 0.0,
    }
    assert tt.metadata["source"] == "od_table"
    assert tt.metadata["params"]["file"] == "metric.csv"
    assert metric_csv.read_bytes() == before


def test_parquet_equals_csv(tmp_path, metric_csv) -> None:
    frame = pd.read_csv(metric_csv, sep=";", dtype={"CODGEO_O": str, "CODGEO_D": str})
    path = tmp_path / "metric.parquet"
    frame.to_parquet(path)
    options = {"origin": "CODGEO_O", "destination": "CODGEO_D", "minutes": "HC"}
    a = travel_times_from_table(path, **options, max_minutes=None, not_computed=None)
    b = travel_times_from_table(frame, **options, max_minutes=None, not_computed=None)
    assert pairs_of(a) == pairs_of(b)
    assert pairs_of(a)[("01001", "2A004")] == 9999.0


def test_intra_minutes_series_and_required_self_pairs() -> None:
    frame = pd.DataFrame({"origin": ["33001"], "destination": ["33002"], "minutes": [7.0]})
    intra = pd.Series({"33001": 1.0, "33002": 2.5})
    tt = travel_times_from_table(frame, intra_minutes=intra)
    assert pairs_of(tt) == {
        ("33001", "33001"): 1.0,
        ("33001", "33002"): 7.0,
        ("33002", "33002"): 2.5,
    }
    with pytest.raises(MissingCommuneError, match="2 communes have no intra-commune pair"):
        travel_times_from_table(frame, intra_minutes=None)


def test_symmetrise_rules_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "origin": ["33001", "33002", "33001", "33003"],
            "destination": ["33002", "33001", "33003", "33003"],
            "minutes": [29.0, 31.0, 12.0, 1.0],
        }
    )
    got = {
        rule: pairs_of(travel_times_from_table(frame, symmetrise=rule))
        for rule in ("min", "mean", "max")
    }
    assert got["min"][("33001", "33002")] == got["min"][("33002", "33001")] == 29.0
    assert got["mean"][("33002", "33001")] == 30.0
    assert ("33001", "33002") not in got["max"]  # 31 > 30: dropped both ways
    for rule in ("min", "mean", "max"):
        # a pair given one way only is copied the other way; self-pairs are unchanged
        assert got[rule][("33003", "33001")] == 12.0
        assert got[rule][("33003", "33003")] == 1.0


codes = st.sampled_from(["01001", "01002", "2A004", "75056", "97411"])


@given(
    st.dictionaries(st.tuples(codes, codes), st.integers(0, 60).map(float), min_size=1),
    st.sampled_from(["min", "max", "mean"]),
)
def test_symmetrise_matches_a_dict_reference(table: dict, rule: str) -> None:
    frame = pd.DataFrame(
        [(o, d, t) for (o, d), t in table.items()], columns=["origin", "destination", "minutes"]
    )
    out = symmetrise_pairs(frame, rule=rule)
    got = dict(
        zip(zip(out["origin"], out["destination"], strict=True), out["minutes"], strict=True)
    )
    assert len(got) == len(out)
    expected = {}
    for o, d in table:
        values = [table[k] for k in ((o, d), (d, o)) if k in table]
        value = {"min": min, "max": max, "mean": lambda v: sum(v) / len(v)}[rule](values)
        expected[(o, d)] = expected[(d, o)] = value
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert math.isclose(got[key], value, abs_tol=1e-12)


def test_duplicates_are_reported_with_rows(tmp_path) -> None:
    path = tmp_path / "osrm.csv"
    path.write_text("origin,destination,minutes\n01001,01002,5\n01002,01001,6\n01001,01002,4\n")
    with pytest.raises(
        DuplicateError, match=r"1 origin → destination pairs .* '01001 → 01002 at rows 1, 3'"
    ):
        travel_times_from_table(path)
    assert pairs_of(travel_times_from_table(path, duplicates="min"))[("01001", "01002")] == 4.0
    assert pairs_of(travel_times_from_table(path, duplicates="first"))[("01001", "01002")] == 5.0


def test_bad_times_are_reported_with_rows(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("origin,destination,minutes\n01001,01002,5\n01002,01001,abc\n01001,01001,-1\n")
    with pytest.raises(
        InvalidValueError,
        match=r"found 2 bad rows \(row 1 = first data row\): row 2: 'abc', row 3: '-1'",
    ):
        travel_times_from_table(path)


def test_bad_codes_are_reported_with_rows(tmp_path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("origin,destination,minutes\n01001,01002,5\n1002,01001,6\n")
    with pytest.raises(
        CommuneCodeError,
        match=r"origin codes .* 1 bad rows \(row 1 = first data row\): row 2: '1002'\. .*zero",
    ):
        travel_times_from_table(path)
    tt = travel_times_from_table(path, repair_integers=True)
    assert pairs_of(tt)[("01002", "01001")] == 6.0
    numbers = pd.DataFrame({"origin": [1001], "destination": [1002], "minutes": [3.0]})
    with pytest.raises(CommuneCodeError, match="found numbers"):
        travel_times_from_table(numbers)


def test_format_errors(tmp_path) -> None:
    with pytest.raises(
        InputFormatError,
        match=r"lacks the columns \['minutes'\]; its columns are \['origin', 'destination', 't",
    ):
        travel_times_from_table(pd.DataFrame(columns=["origin", "destination", "time"]))
    path = tmp_path / "table.json"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"cannot tell the format of table\.json"):
        travel_times_from_table(path)
    broken = tmp_path / "table.xlsx"
    broken.write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"cannot read table\.xlsx as an Excel workbook"):
        travel_times_from_table(broken)
    with pytest.raises(InputFormatError, match="travel-time table not found"):
        travel_times_from_table(tmp_path / "absent.csv")
    empty = pd.DataFrame({"origin": [], "destination": [], "minutes": []})
    with pytest.raises(InputFormatError, match="the travel-time table is empty"):
        travel_times_from_table(empty)
    with pytest.raises(ParameterError, match="symmetrise must be None, 'min', 'max' or 'mean'"):
        travel_times_from_table(empty, symmetrise="average")


# ------------------------------------------------------------------ intra-commune times
def test_intra_constant() -> None:
    assert intra_commune_minutes() == 0.0
    assert intra_commune_minutes(minutes=2.0) == 2.0
    series = intra_commune_minutes(codes=["01001", "01002"], minutes=1.0)
    assert series.to_dict() == {"01001": 1.0, "01002": 1.0}


def test_intra_area_formula() -> None:
    area = pd.Series({"13004": 758.93, "01001": 15.95})
    got = intra_commune_minutes(area, method="area")
    for code, a in area.items():
        expected = 1.11 * (2.0 / 3.0) * math.sqrt(a / math.pi)
        assert got[code] == pytest.approx(expected, rel=1e-12)
    assert 11 < got["13004"] < 12
    plus = intra_commune_minutes(area, method="area", minutes=1.0, minutes_per_km=2.0)
    assert plus["01001"] == pytest.approx(1.0 + 2.0 * (2 / 3) * math.sqrt(15.95 / math.pi))


def test_intra_errors() -> None:
    with pytest.raises(ParameterError, match="method='area' needs area_km2"):
        intra_commune_minutes(method="area")
    with pytest.raises(InvalidValueError, match=r"found 1 bad values: '01002: -3.0'"):
        intra_commune_minutes(pd.Series({"01001": 1.0, "01002": -3.0}), method="area")
    with pytest.raises(ParameterError, match="method must be 'constant' or 'area'"):
        intra_commune_minutes(method="disc")
    with pytest.raises(ParameterError, match="minutes must be a non-negative number"):
        intra_commune_minutes(minutes=-1.0)


def test_area_based_intra_times_in_a_table() -> None:
    frame = pd.DataFrame({"origin": ["01001"], "destination": ["01002"], "minutes": [8.0]})
    intra = intra_commune_minutes(pd.Series({"01001": 16.0, "01002": 9.0}), method="area")
    tt = travel_times_from_table(frame, intra_minutes=intra)
    got = pairs_of(tt)
    assert got[("01001", "01001")] == pytest.approx(intra["01001"])
    assert got[("01002", "01002")] == pytest.approx(1.11 * (2 / 3) * 3 / math.sqrt(math.pi))


def test_table_feeds_compute_apl(metric_csv) -> None:
    apl = pytest.importorskip("aplcore.apl")
    tt = travel_times_from_table(
        metric_csv,
        origin="CODGEO_O",
        destination="CODGEO_D",
        minutes="HC",
        read_options={"sep": ";"},
        max_minutes=20,
    )
    demand = pd.Series({"01001": 800.0, "01002": 1200.0, "2A004": 300.0})
    supply = pd.Series({"01001": 3600.0, "01002": 0.0, "2A004": 4000.0})
    result = apl.compute_apl(tt, demand=demand, supply=supply)
    assert np.isclose((result.apl * demand).sum(), supply.sum(), rtol=1e-12)
