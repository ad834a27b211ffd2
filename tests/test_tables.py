"""The one table reader: every format and object to Arrow, parse errors with file and line."""

from __future__ import annotations

import bz2
import gzip
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from aplcore.errors import InputFormatError
from aplcore.tables import read_table, sniff_separator

ROWS = [("01001", "01002", 12.5), ("2A004", "01001", 3.0), ("97411", "97411", 0.0)]
COLUMNS = ["origin", "destination", "minutes"]
EXPECTED = {
    "origin": ["01001", "2A004", "97411"],
    "destination": ["01002", "01001", "97411"],
    "minutes": [12.5, 3.0, 0.0],
}


def csv_text(sep: str = ",") -> str:
    lines = [sep.join(COLUMNS)] + [sep.join([o, d, f"{t}"]) for o, d, t in ROWS]
    return "\n".join(lines) + "\n"


def read(source, **kwargs):
    return read_table(source, columns=COLUMNS, text_columns=["origin", "destination"], **kwargs)


def as_dict(table) -> dict:
    data = table.data
    out = {}
    for name in data.column_names:
        column = data[name]
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        out[name] = column.to_pylist()
    return out


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_separator_is_sniffed(tmp_path, sep):
    path = tmp_path / "od.csv"
    path.write_text(csv_text(sep))
    table = read(path)
    assert as_dict(table) == EXPECTED
    assert table.first_line == 2
    assert sniff_separator(sep.join(COLUMNS)) == sep


def test_csv_separator_given(tmp_path):
    path = tmp_path / "od.txt"
    path.write_text(csv_text(";").replace(";", ";", 1))
    assert as_dict(read(path, sep=";")) == EXPECTED


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("od.csv", lambda p, t: p.write_bytes(t.encode("utf-8-sig"))),
        ("od.csv", lambda p, t: p.write_bytes(t.encode("latin-1"))),
        ("od.csv.gz", lambda p, t: p.write_bytes(gzip.compress(t.encode()))),
        ("od.tsv.bz2", lambda p, t: p.write_bytes(bz2.compress(t.replace(",", "\t").encode()))),
    ],
)
def test_csv_encodings_and_compression(tmp_path, name, write):
    path = tmp_path / name
    write(path, csv_text())
    assert as_dict(read(path)) == EXPECTED


def test_zip_with_one_csv(tmp_path):
    path = tmp_path / "od.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("od.csv", csv_text())
    assert as_dict(read(path)) == EXPECTED


def test_latin1_text_is_decoded(tmp_path, caplog):
    path = tmp_path / "communes.csv"
    path.write_bytes("code;nom\n01001;Abergement-Clémenciat\n".encode("latin-1"))
    table = read_table(path, text_columns=["code"])
    assert table.data["nom"].to_pylist() == ["Abergement-Clémenciat"]
    assert "not UTF-8" in caplog.text


def test_codes_stay_text_even_when_they_look_like_numbers(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("origin,destination,minutes\n01001,01002,1\n")
    table = read(path)
    assert table.data["origin"].to_pylist() == ["01001"]
    assert pa.types.is_floating(table.data["minutes"].type) or pa.types.is_integer(
        table.data["minutes"].type
    )


def test_field_count_mismatch_names_file_and_line(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("origin,destination,minutes\n01001,01002,1\n01001,01003,2,5\n01002,01001,3\n")
    with pytest.raises(InputFormatError, match=r"od\.csv, line 3: expected 3 fields .* found 4"):
        read(path)


def test_last_line_cut_short_is_an_error(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("origin,destination,minutes\n01001,01002,1\n01002,010")
    with pytest.raises(InputFormatError, match=r"line 3: .*found 2.*file looks truncated"):
        read(path)


def test_unterminated_quote_is_an_error(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text('origin,destination,minutes\n01001,01002,1\n"01002,01001,2\n')
    with pytest.raises(InputFormatError, match=r"od\.csv"):
        read(path)


def test_missing_columns_and_unknown_format(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("origin,destination,duree\n01001,01002,1\n")
    with pytest.raises(InputFormatError, match=r"lacks the columns \['minutes'\]; its columns"):
        read(path, what="the travel-time table")
    with pytest.raises(InputFormatError, match=r"cannot tell the format of od\.json"):
        read(tmp_path / "od.json")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputFormatError, match="empty"):
        read(empty)


def test_truncated_parquet_is_an_input_error(tmp_path):
    path = tmp_path / "od.parquet"
    pd.DataFrame(EXPECTED).to_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(InputFormatError, match=r"od\.parquet"):
        read(path)


def test_parquet_reads_only_needed_columns_codes_as_dictionaries(tmp_path):
    path = tmp_path / "od.parquet"
    pd.DataFrame({**EXPECTED, "distance_km": [1.0, 2.0, 3.0]}).to_parquet(path)
    table = read(path)
    assert table.data.column_names == COLUMNS
    assert pa.types.is_dictionary(table.data["origin"].type)
    assert as_dict(table) == EXPECTED
    assert table.first_line is None
    assert table.where([0, 4]) == "rows 0, 4 of od.parquet"


def test_feather_and_excel(tmp_path):
    frame = pd.DataFrame(EXPECTED)
    feather = tmp_path / "od.feather"
    frame.to_feather(feather)
    assert as_dict(read(feather)) == EXPECTED
    excel = tmp_path / "od.xlsx"
    with pd.ExcelWriter(excel) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="notes", index=False)
        frame.to_excel(writer, sheet_name="times", index=False)
    table = read(excel, sheet="times")
    assert as_dict(table) == EXPECTED
    assert table.where([1]) == "line 3 of od.xlsx"
    with pytest.raises(InputFormatError, match=r"no sheet 'temps'; its sheets are"):
        read(excel, sheet="temps")


@pytest.mark.parametrize("dtype", [object, "string[python]", "string[pyarrow]", "str"])
def test_pandas_string_dtypes(dtype):
    frame = pd.DataFrame(EXPECTED).astype({"origin": dtype, "destination": dtype})
    assert as_dict(read(frame)) == EXPECTED


def test_arrow_polars_and_numpy_objects():
    polars = pytest.importorskip("polars")
    assert as_dict(read(pa.table(EXPECTED))) == EXPECTED
    assert as_dict(read(pa.RecordBatch.from_pydict(EXPECTED))) == EXPECTED
    assert as_dict(read(polars.DataFrame(EXPECTED))) == EXPECTED
    structured = np.array(
        list(zip(*EXPECTED.values(), strict=True)),
        dtype=[("origin", "U5"), ("destination", "U5"), ("minutes", "f8")],
    )
    assert as_dict(read(structured)) == EXPECTED
    assert as_dict(read({k: np.array(v) for k, v in EXPECTED.items()})) == EXPECTED


def test_mixed_object_column_keeps_text():
    frame = pd.DataFrame({"code": ["01001", 1002, None]})
    assert read_table(frame, text_columns=["code"]).data["code"].to_pylist() == [
        "01001",
        "1002",
        None,
    ]


def test_unsupported_object():
    with pytest.raises(InputFormatError, match="expected a file path, a pandas DataFrame"):
        read_table(42)


def test_batches_of_a_large_csv_and_its_errors(tmp_path):
    from aplcore.tables import iter_batches

    rng = np.random.default_rng(4)
    n = 120_000  # several pyarrow blocks of 1 MiB
    frame = pd.DataFrame(
        {
            "origin": np.char.add("01", rng.integers(100, 999, n).astype(str)),
            "destination": np.char.add("2A", rng.integers(100, 999, n).astype(str)),
            "minutes": np.round(rng.uniform(0, 30, n), 2),
        }
    )
    path = tmp_path / "od.csv"
    frame.to_csv(path, index=False)
    batches = list(iter_batches(path, columns=COLUMNS, text_columns=["origin", "destination"],
                                batch_rows=20_000))  # fmt: skip
    assert len(batches) > 1
    whole = pa.Table.from_batches(batches)
    assert whole["origin"].to_pylist() == frame["origin"].tolist()
    assert whole["minutes"].to_pylist() == frame["minutes"].tolist()
    path.write_text(path.read_text()[:-8])
    with pytest.raises(InputFormatError, match=rf"line {n + 1}: expected 3 fields.*truncated"):
        list(iter_batches(path, columns=COLUMNS, batch_rows=20_000))
    parquet = tmp_path / "od.parquet"
    frame.to_parquet(parquet, row_group_size=30_000)
    batches = list(iter_batches(parquet, columns=COLUMNS, text_columns=["origin"]))
    assert len(batches) == 4
    assert pa.types.is_dictionary(batches[0].schema.field("origin").type)
