"""Files cut short or with a missing field: errors naming the line, never a shifted table."""

from __future__ import annotations

import pytest

from aplcore.errors import IncompleteFileWarning, InputFormatError
from aplcore.tables import read_table

HEADER = "origin,destination,minutes\n"
ROWS = ["01001,01001,0.0", "01001,01002,12.5", "01002,01001,12.5", "01002,01002,0.0"]


def _write(tmp_path, text: str, name: str = "od.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("last", "shown"),
    [("01001,01004,2", "'2'"), ("01001,01004,2.", "'2\\.'"), ("01001,01004,1", "'1'")],
)
def test_a_value_cut_at_the_end_of_the_file_is_an_error(tmp_path, last, shown):
    path = _write(tmp_path, HEADER + "\n".join([*ROWS, last]))
    with pytest.raises(InputFormatError, match=rf"od\.csv, line 6: the last value {shown}.*cut"):
        read_table(path, text_columns=["origin", "destination"])


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "\n".join([*ROWS, "01001,01004,25.0"]),  # no final line break, value whole
        HEADER + "\n".join([*ROWS, "01001,01004,2"]) + "\n",  # a line break: written whole
        HEADER + "01001,01001,0\n01001,01002,12\n01002,01001,5",  # short values everywhere
    ],
    ids=["whole-value", "final-newline", "integers"],
)
def test_whole_files_are_read(tmp_path, text):
    if text.endswith("\n"):
        table = read_table(_write(tmp_path, text), text_columns=["origin", "destination"])
    else:
        with pytest.warns(IncompleteFileWarning, match="does not end with a line break"):
            table = read_table(_write(tmp_path, text), text_columns=["origin", "destination"])
    assert table.data.num_rows == text.strip().count("\n")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("code,apl,population\n45001,2.5,776\n45002,3.1,", "last value is empty"),
        ("code,apl\n45001,2.5\n45002,31.", "a number cut short"),
        ("code,territory,departement\n45001,Orléans,45\n45002,Château,4", "shorter"),
    ],
)
def test_cut_files_with_few_rows_are_errors(tmp_path, text, words):
    with pytest.raises(InputFormatError, match=words):
        read_table(_write(tmp_path, text), text_columns=["code"])


def test_a_missing_field_is_an_error_naming_the_line(tmp_path):
    path = _write(tmp_path, "code,apl,population\n01001,2.5,776\n01002,500\n01004,3.1,14000\n")
    with pytest.raises(InputFormatError, match=r"line 3: expected 3 fields.*found 2: '01002,500'"):
        read_table(path, text_columns=["code"])


def test_a_last_line_missing_fields_says_truncated(tmp_path):
    path = _write(tmp_path, HEADER + "\n".join([*ROWS, "01001,0100"]))
    with pytest.raises(InputFormatError, match=r"line 6.*looks truncated"):
        read_table(path, text_columns=["origin", "destination"])


def test_a_file_that_cannot_be_opened_is_not_called_truncated(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "od.parquet"
    pq.write_table(pa.table({"origin": ["01001"]}), path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(pq, "read_schema", denied)
    with pytest.raises(InputFormatError, match="permission denied") as info:
        read_table(path)
    assert "truncated" not in str(info.value)


def test_a_utf8_file_cut_inside_a_character_is_an_error(tmp_path):
    data = "code,territory\n45001,Orléans\n45002,Château\n".encode()
    cut = data[: data.index("â".encode()) + 1]  # the first of the two bytes of 'â'
    with pytest.raises(InputFormatError, match="ends in the middle of a character"):
        read_table(_write_bytes(tmp_path, cut), text_columns=["code"])


def _write_bytes(tmp_path, data: bytes):
    path = tmp_path / "cut.csv"
    path.write_bytes(data)
    return path
