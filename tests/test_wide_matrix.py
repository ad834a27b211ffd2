"""Wide (square or rectangular) O-D matrices: ``travel_times_from_table(..., layout="wide")``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aplcore import cli
from aplcore.errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    ParameterError,
    TimeUnitsWarning,
)
from aplcore.traveltimes.table import travel_times_from_table

ISERE = "osrm_isere_2021/TimeDistCarIsere.csv"


def pairs_of(tt) -> dict[tuple[str, str], float]:
    frame = tt.to_frame()
    return {
        (o, d): t
        for o, d, t in zip(frame["origin"], frame["destination"], frame["minutes"], strict=True)
    }


def dense_reference(frame: pd.DataFrame, max_minutes: float, per_unit: float = 1.0) -> dict:
    """Every finite cell within the bound, plus the missing self pairs at 0 (plain pandas)."""
    out = {}
    for origin, row in frame.iterrows():
        for destination, value in row.items():
            if pd.notna(value) and value * per_unit <= max_minutes:
                out[(str(origin), str(destination))] = float(value) * per_unit
    for code in set(frame.index.astype(str)) | set(frame.columns.astype(str)):
        out.setdefault((code, code), 0.0)
    return out


SQUARE = """id;01001;01002;2A004
01001;0;12.5;
01002;13;0;NA
2A004;;31;0
"""


@pytest.mark.parametrize("sep", [";", ","])
def test_csv_square_with_either_separator_keeps_codes_and_drops_blanks(tmp_path, sep) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(SQUARE.replace(";", sep))
    before = path.read_bytes()
    tt = travel_times_from_table(path, layout="wide")
    assert pairs_of(tt) == {
        ("01001", "01001"): 0.0,
        ("01001", "01002"): 12.5,
        ("01002", "01001"): 13.0,
        ("01002", "01002"): 0.0,
        ("2A004", "2A004"): 0.0,
    }  # 31 > 30, blanks and NA absent
    assert tt.metadata["params"]["layout"] == "wide"
    assert tt.metadata["params"]["shape"] == [3, 3]
    assert path.read_bytes() == before


def test_seconds_are_converted_before_the_cut(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,01001,01002\n01001,0,1800\n01002,1801,0\n")
    tt = travel_times_from_table(path, layout="wide", units="seconds", max_minutes=30)
    assert pairs_of(tt) == {
        ("01001", "01001"): 0.0,
        ("01001", "01002"): 30.0,
        ("01002", "01002"): 0.0,
    }
    assert tt.metadata["params"]["units"] == "seconds"


def test_seconds_not_declared_are_warned_about(tmp_path) -> None:
    codes = [f"38{k:03d}" for k in range(1, 41)]
    rng = np.random.default_rng(1)
    values = rng.uniform(600, 4000, (40, 40))
    np.fill_diagonal(values, 0)
    frame = pd.DataFrame(values, index=pd.Index(codes, name="id"), columns=codes)
    with pytest.warns(TimeUnitsWarning, match="likely in seconds"):
        travel_times_from_table(frame, layout="wide")


def test_non_square_matrix_and_extra_communes(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("from,36044,36088,36001\n36005,4.5,22,40\n36044,0,8,\n")
    tt = travel_times_from_table(path, layout="wide", communes=["36200"])
    assert list(tt.codes) == ["36001", "36005", "36044", "36088", "36200"]
    assert pairs_of(tt) == {
        ("36001", "36001"): 0.0,
        ("36005", "36005"): 0.0,
        ("36005", "36044"): 4.5,
        ("36005", "36088"): 22.0,
        ("36044", "36044"): 0.0,
        ("36044", "36088"): 8.0,
        ("36088", "36088"): 0.0,
        ("36200", "36200"): 0.0,
    }


def test_parquet_and_frames_give_the_same_matrix(tmp_path) -> None:
    codes = ["01001", "01002", "01004"]
    frame = pd.DataFrame(
        {"id": codes, "01001": [0, 5.5, None], "01002": [7, 0, 12], "01004": [None, 40, 0]}
    )
    frame.to_parquet(tmp_path / "wide.parquet")
    from_file = travel_times_from_table(tmp_path / "wide.parquet", layout="wide")
    from_frame = travel_times_from_table(frame, layout="wide")
    from_indexed = travel_times_from_table(frame.set_index("id"), layout="wide")
    expected = dense_reference(frame.set_index("id"), 30)
    for tt in (from_file, from_frame, from_indexed):
        assert pairs_of(tt) == expected


def test_blocks_of_one_row_give_the_same_result(tmp_path) -> None:
    rng = np.random.default_rng(3)
    codes = [f"36{k:03d}" for k in range(1, 26)]
    values = rng.uniform(0, 60, (25, 25))
    values[rng.random((25, 25)) < 0.2] = np.nan
    frame = pd.DataFrame(values, index=pd.Index(codes, name="id"), columns=codes)
    path = tmp_path / "wide.csv"
    frame.to_csv(path)
    whole = travel_times_from_table(path, layout="wide")
    blocks = travel_times_from_table(path, layout="wide", chunk_rows=1)
    assert pairs_of(whole) == pairs_of(blocks) == pytest.approx(dense_reference(frame, 30))


@settings(max_examples=25)  # each example reads two tables (about 1 s under load)
@given(
    st.integers(1, 8),
    st.integers(1, 8),
    st.integers(0, 2**32 - 1),
    st.sampled_from([10.0, 20.0, 30.0]),
)
def test_wide_equals_the_long_form_of_the_same_cells(n_rows, n_columns, seed, cut) -> None:
    rng = np.random.default_rng(seed)
    codes = [f"36{k:03d}" for k in range(1, 12)]
    rows = list(rng.choice(codes, n_rows, replace=False))
    columns = list(rng.choice(codes, n_columns, replace=False))
    values = np.round(rng.uniform(0, 45, (n_rows, n_columns)), 1)
    values[rng.random(values.shape) < 0.3] = np.nan
    frame = pd.DataFrame(values, index=pd.Index(rows, name="id"), columns=columns)
    long = frame.stack().dropna().rename("minutes").rename_axis(["origin", "destination"])
    long = long.reset_index()
    options = {"max_minutes": cut, "communes": codes, "units": "minutes"}
    wide_tt = travel_times_from_table(frame, layout="wide", **options)
    expected = dense_reference(frame, cut) | {
        (c, c): 0.0 for c in codes if (c, c) not in dense_reference(frame, np.inf)
    }
    assert pairs_of(wide_tt) == expected
    if len(long):
        assert pairs_of(wide_tt) == pairs_of(travel_times_from_table(long, **options))


def test_duplicated_ids_are_named_or_resolved(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,01001,01002\n01001,0,9\n01002,8,0\n01001,0,7\n")
    with pytest.raises(DuplicateError, match=r"01001 at rows 1, 3"):
        travel_times_from_table(path, layout="wide")
    tt = travel_times_from_table(path, layout="wide", duplicates="min")
    assert pairs_of(tt)[("01001", "01002")] == 7.0
    first = travel_times_from_table(path, layout="wide", duplicates="first")
    assert pairs_of(first)[("01001", "01002")] == 9.0


def test_duplicated_destination_columns_are_named(tmp_path) -> None:
    frame = pd.DataFrame([[0.0, 9.0, 4.0]], columns=["01001", "01002", "01002"])
    frame.insert(0, "id", ["01001"])
    with pytest.raises(DuplicateError, match=r"01002 at columns 3, 4"):
        travel_times_from_table(frame, layout="wide")


def test_text_cell_is_named_by_row_column_and_value(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id;01001;01002\n01001;0;9\n01002;abc;0\n")
    with pytest.raises(
        InvalidValueError,
        match=r"column 2 \('01001'\) holds values that are not numbers.*row 2: 'abc'",
    ):
        travel_times_from_table(path, layout="wide")


def test_negative_or_infinite_cell_is_named(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,01001,01002\n01001,0,9\n01002,-4,0\n")
    with pytest.raises(
        InvalidValueError, match=r"row 2, column 2 \('01001'\): -4.0.*Leave unreachable cells blank"
    ):
        travel_times_from_table(path, layout="wide")
    frame = pd.DataFrame({"id": ["01001"], "01001": [np.inf]})
    with pytest.raises(InvalidValueError, match=r"row 1, column 2 \('01001'\): inf"):
        travel_times_from_table(frame, layout="wide")


def test_bad_codes_in_header_or_rows_are_named(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,01001,ABCDE\n01001,0,9\n")
    with pytest.raises(CommuneCodeError, match="ABCDE"):
        travel_times_from_table(path, layout="wide")
    tt = travel_times_from_table(path, layout="wide", ids="any")
    assert pairs_of(tt)[("01001", "ABCDE")] == 9.0


def test_a_long_table_read_as_wide_is_refused_clearly(tmp_path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("id\n01001\n")
    with pytest.raises(InputFormatError, match="one column per destination"):
        travel_times_from_table(path, layout="wide")
    with pytest.raises(ParameterError, match="layout must be 'long' or 'wide'"):
        travel_times_from_table(path, layout="square")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,01001\n")
    with pytest.raises(InputFormatError, match="no data row"):
        travel_times_from_table(header_only, layout="wide")


# ------------------------------------------------------------------ the real Isère matrix
def test_real_isere_matrix_in_seconds(shared_raw) -> None:
    path = shared_raw / ISERE
    tt = travel_times_from_table(path, layout="wide", units="seconds", max_minutes=20)
    frame = pd.read_csv(path, dtype={"id": str}).set_index("id")
    assert tt.n_communes == 512
    # the README's figure: 12 275 ordered pairs of distinct communes under 20 minutes
    off_diagonal = tt.to_frame().query("origin != destination")
    assert len(off_diagonal) == 12275
    reference = dense_reference(frame, 20, per_unit=1 / 60)
    assert pairs_of(tt) == pytest.approx(reference, rel=1e-12)
    assert tt.metadata["params"]["shape"] == [512, 512]


# ------------------------------------------------------------------ command line
def test_compute_reads_a_wide_matrix_in_seconds_like_the_long_table(tmp_path, capsys) -> None:

    codes = ["45001", "45002", "45004", "45005"]
    pairs = {("45001", "45002"): 8.0, ("45002", "45004"): 10.0, ("45004", "45005"): 15.0}
    pairs |= {(b, a): t for (a, b), t in pairs.items()}
    long = pd.DataFrame(
        [(a, b, t) for (a, b), t in pairs.items()], columns=["origin", "destination", "minutes"]
    )
    wide = pd.DataFrame(np.nan, index=pd.Index(codes, name="id"), columns=codes)
    for (a, b), t in pairs.items():
        wide.loc[a, b] = t * 60
    long.to_csv(tmp_path / "long.csv", index=False)
    wide.to_csv(tmp_path / "wide.csv", sep=";")
    pd.DataFrame({"code": codes, "population": [1000, 2500, 400, 800]}).to_csv(
        tmp_path / "population.csv", index=False
    )
    pd.DataFrame(
        {
            "practitioner_id": ["a", "b", "c"],
            "commune": ["45001", "45002", "45005"],
            "activity": [5000.0, 3000.0, 7000.0],
            "age": [50, 60, 40],
        }
    ).to_csv(tmp_path / "gps.csv", index=False)
    common = ["--population", str(tmp_path / "population.csv")]
    common += ["--practitioners", str(tmp_path / "gps.csv")]
    outputs = {}
    for name, extra in (
        ("long", ["--times", str(tmp_path / "long.csv")]),
        ("wide", ["--times", str(tmp_path / "wide.csv"), "--layout", "wide"]),
    ):
        if name == "wide":
            extra += ["--time-units", "seconds"]
        out = tmp_path / f"apl_{name}.csv"
        assert cli.main(["compute", *extra, *common, "--out", str(out)]) == 0, capsys.readouterr()
        outputs[name] = pd.read_csv(out, dtype={"code": str}).set_index("code")
    pd.testing.assert_frame_equal(outputs["long"], outputs["wide"])


def test_decimal_commas_are_named_with_a_fix(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id;01001;01002\n01001;0;12,5\n01002;13,0;0\n")
    expected = r"column 2 \('01001'\).*row 2: '13,0'.*look like decimal commas"
    with pytest.raises(InvalidValueError, match=expected):
        travel_times_from_table(path, layout="wide")


def test_repeated_header_names_in_a_file_are_refused_whatever_duplicates_says(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,01001,01002,01002\n01001,0,9,4\n01002,5,0,0\n")
    for mode in ("error", "min", "first"):
        with pytest.raises(DuplicateError, match=r"01002 at columns 3, 4.*pandas.read_csv"):
            travel_times_from_table(path, layout="wide", duplicates=mode)
    frame = pd.read_csv(path, dtype={"id": str})  # pandas renames the repeat 01002.1
    frame.columns = ["id", "01001", "01002", "01002"]
    tt = travel_times_from_table(frame, layout="wide", duplicates="min")
    assert pairs_of(tt)[("01001", "01002")] == 4.0


def test_errors_carry_the_cell_and_the_parameter(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,01001,01002\n01001,0,9\n01002,-4,0\n")
    with pytest.raises(InvalidValueError) as caught:
        travel_times_from_table(path, layout="wide")
    assert caught.value.source == ("wide.csv", 3, "01001")  # line 3: the header is line 1
    path.write_text("id,01001,01002\n01001,0,9\n01001,8,0\n")
    with pytest.raises(DuplicateError, match="pass duplicates='min'") as caught:
        travel_times_from_table(path, layout="wide")
    assert caught.value.param == "duplicates"
