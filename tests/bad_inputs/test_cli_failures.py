"""Whatever a reader raises, the command prints one line naming the file and what to do
(the traceback only with -vv)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pandas as pd
import pyarrow as pa
import pytest
from bad_inputs.cli_cases import Inputs, run_command

from aplcore.workflows import compute as compute_command


def _raiser(exc: BaseException):
    def read_travel_times(path: Path, **options):
        raise exc

    return read_travel_times


FAILURES = [
    ("unicode", UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), ("UTF-8",)),
    ("empty", pd.errors.EmptyDataError("No columns to parse from file"), ("empty",)),
    ("parser", pd.errors.ParserError("Error tokenizing data"), ("separator", "fields")),
    ("arrow", pa.ArrowInvalid("Parquet magic bytes not found"), ("valid, complete",)),
    ("zip", zipfile.BadZipFile("File is not a zip file"), ("not a valid archive", "again")),
    ("xml", ParseError("not well-formed (invalid token): line 1, column 0"), ("not valid XML",)),
    ("key", KeyError("minutes"), ("'minutes'", "--help")),
    ("value", ValueError("could not convert string to float: 'x'"), ("--help",)),
    ("memory", MemoryError(), ("not enough memory",)),
    ("other", RuntimeError("something odd"), ("unexpected RuntimeError", "-vv")),
]


def args(inputs: Inputs, *extra: str) -> list[str]:
    return [
        "compute",
        "--times",
        str(inputs["times"]),
        "--population",
        str(inputs["population"]),
        "--practitioners",
        str(inputs["practitioners"]),
        "--out",
        str(inputs.out / "apl.csv"),
        *extra,
    ]


@pytest.mark.parametrize(("exc", "words"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_any_failure_is_one_line_naming_the_file(inputs, capsys, monkeypatch, exc, words):
    monkeypatch.setattr(compute_command, "read_travel_times", _raiser(exc))
    outcome = run_command(args(inputs), capsys)
    assert outcome.code == 1
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("aplcore compute: error: ")
    assert "Traceback" not in outcome.err
    assert "times.csv" in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert not inputs.out.exists() or list(inputs.out.iterdir()) == []


def test_the_traceback_comes_with_vv(inputs, capsys, monkeypatch):
    monkeypatch.setattr(compute_command, "read_travel_times", _raiser(RuntimeError("odd")))
    outcome = run_command(["-vv", *args(inputs)], capsys)
    assert outcome.code == 1
    assert "Traceback" in outcome.err
    assert outcome.err.strip().splitlines()[-1].startswith("aplcore compute: error: ")
