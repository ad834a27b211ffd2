"""Messages that point the right way: each error says what the user of *that* interface can do.

A command-line user is told the flag, never a pandas or Python fix; a named pipe or a folder is
not "missing"; a Polars frame is not "a DataFrame"; a former commune code names its successor.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from bad_inputs.cli_cases import CODES, CliCase, Inputs, check_case, gp_frame, od_frame

import aplcore
from aplcore.aids import for_commune
from aplcore.codes import as_code_index
from aplcore.errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    OutputExistsError,
    UnknownCodeWarning,
    type_name,
)
from aplcore.io import write_csv
from aplcore.tables import read_frame

pl = pytest.importorskip("polars")

#: A code that became part of another commune (45318 Teillay-le-Gaudin → 45240), and its successor.
FORMER, SUCCESSOR = "45318", "45240"


def compute_args(inputs: Inputs, **files: str) -> list[str]:
    paths = {k: str(inputs[k]) for k in ("times", "population", "practitioners")}
    paths.update(files)
    return [
        "compute",
        "--times",
        paths["times"],
        "--population",
        paths["population"],
        "--practitioners",
        paths["practitioners"],
        "--out",
        str(inputs.out / "apl.csv"),
    ]


def _fifo(inputs: Inputs, name: str) -> str:
    path = inputs.folder / f"{name}.csv"
    os.mkfifo(path)
    return str(path)


def _duplicated_apl(inputs: Inputs) -> list[str]:
    frame = pd.read_csv(inputs["apl"], dtype={"code": str})
    inputs.write_frame("apl", pd.concat([frame, frame.tail(1)]))
    return [
        "classify",
        "--apl",
        str(inputs["apl"]),
        "--territories",
        str(inputs["territories"]),
        "--out",
        str(inputs.out),
        "--no-maps",
    ]


def _population_without_ages(inputs: Inputs) -> list[str]:
    inputs.write_frame("population", pd.DataFrame({"code": CODES, "inhabitants": 1.0}))
    return compute_args(inputs)


def _zoning(inputs: Inputs, codes: list[str]) -> str:
    frame = pd.DataFrame({"code": codes, "zone": ["ZIP"] * len(codes)})
    return str(inputs.write_frame("zoning", frame))


def _aids_former_code_absent(inputs: Inputs) -> list[str]:
    zoning = _zoning(inputs, [SUCCESSOR, "45001"])
    return ["aids", "--commune", FORMER, "--zoning", zoning, "--date", "2026-03-01"]


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

CASES = [
    pytest.param(
        CliCase(
            "times-named-pipe",
            lambda i: compute_args(i, times=_fifo(i, "pipe")),
            1,
            ("pipe.csv", "named pipe"),
        ),
        marks=needs_fifo,
    ),
    pytest.param(
        CliCase(
            "practitioners-named-pipe",
            lambda i: compute_args(i, practitioners=_fifo(i, "gps")),
            1,
            ("gps.csv", "named pipe", "regular file"),
        ),
        marks=needs_fifo,
    ),
    CliCase("duplicated-codes-no-groupby", _duplicated_apl, 1, ("unique", "one row per commune")),
    CliCase("population-no-layout-argument", _population_without_ages, 1, ("age",)),
    CliCase("aids-former-code-names-successor", _aids_former_code_absent, 1, (SUCCESSOR, FORMER)),
]

#: Words a command-line user must never read: Python or pandas fixes, internal folders.
NOT_FOR_THE_COMMAND_LINE = (
    "df.groupby",
    "layout=",
    "no such file",
    "not found",
    ".aplcore-staging",
    "ids=",
    "found DataFrame",
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_command_line_messages_point_the_right_way(case, inputs, capsys):
    outcome = check_case(case, inputs, capsys)
    for words in NOT_FOR_THE_COMMAND_LINE:
        assert words not in outcome.err, outcome.err


def test_aids_warns_that_a_code_is_former_and_names_its_successor(inputs, capsys):
    from bad_inputs.cli_cases import run_command

    zoning = _zoning(inputs, [FORMER, SUCCESSOR])
    outcome = run_command(
        ["aids", "--commune", FORMER, "--zoning", zoning, "--date", "2026-03-01"], capsys
    )
    assert outcome.code == 0, outcome.err
    warning = [line for line in outcome.err.splitlines() if "warning" in line]
    assert warning, outcome.err
    assert f"{FORMER} → {SUCCESSOR}" in warning[0], outcome.err
    # aids has no --strict-codes option: the fix through it is not offered
    assert "--strict-codes" not in outcome.err
    assert "strict=" not in outcome.err
    assert "ids=" not in outcome.err


def test_compute_offers_strict_codes_for_a_former_code(inputs, capsys):
    from bad_inputs.cli_cases import run_command

    def swap(text: str) -> str:
        return text.replace("45008", FORMER)

    for name in ("times", "population"):
        inputs.write_text(name, swap(Path(inputs[name]).read_text()))
    outcome = run_command(compute_args(inputs), capsys)
    assert outcome.code == 0, outcome.err
    assert f"{FORMER} → {SUCCESSOR}" in outcome.err
    assert "--strict-codes" in outcome.err
    assert "strict=True" not in outcome.err
    assert "ids=" not in outcome.err


# ------------------------------------------------------------------ the Python interface
@needs_fifo
def test_reading_a_named_pipe_is_not_no_such_file(tmp_path):
    pipe = tmp_path / "times.csv"
    os.mkfifo(pipe)
    with pytest.raises(InputFormatError, match="named pipe") as info:
        aplcore.travel_times_from_table(pipe)
    assert "not found" not in str(info.value)
    assert info.value.source is not None
    assert info.value.source.file == str(pipe)


def test_reading_a_folder_says_it_is_a_folder(tmp_path):

    folder = tmp_path / "table.csv"
    folder.mkdir()
    with pytest.raises(InputFormatError, match="is a folder") as info:
        read_frame(folder, what="the table")
    assert "no such file" not in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda frame: aplcore.count_gp_activity(frame), id="count_gp_activity"),
        pytest.param(
            lambda frame: aplcore.standardise_population(frame, "drees_gp_2023"),
            id="standardise_population",
        ),
    ],
)
def test_a_polars_frame_is_not_called_a_dataframe(call):
    frame = pl.from_pandas(gp_frame())
    with pytest.raises(InputFormatError) as info:
        call(frame)
    text = str(info.value)
    assert "found DataFrame" not in text
    assert "polars.DataFrame" in text
    assert ".to_pandas()" in text


def test_type_name_keeps_pandas_names_short():
    assert type_name(pd.DataFrame()) == "DataFrame"
    assert type_name(1.5) == "float"
    assert type_name(pl.DataFrame()).startswith("polars.DataFrame")


def test_duplicated_codes_give_the_pandas_fix_to_a_python_caller():

    with pytest.raises(DuplicateError, match=r"groupby") as info:
        as_code_index(["45001", "45001"])
    assert "  " not in str(info.value)


def test_an_existing_output_names_the_python_argument_not_the_flag(tmp_path):
    target = tmp_path / "a.csv"
    target.write_text("x\n")
    with pytest.raises(OutputExistsError) as info:
        write_csv(pd.DataFrame({"x": [1]}), target)
    text = str(info.value)
    assert "overwrite=True" in text
    assert "--overwrite" not in text
    assert "CLI" not in text
    assert info.value.param == "overwrite"


def test_codes_stored_as_numbers_name_the_argument_that_repairs_them():
    with pytest.raises(CommuneCodeError) as info:
        aplcore.codes.normalise_codes(pd.Series([1001, 45001]))
    assert info.value.param == "repair_integers"
    assert "repair_integers=True" in str(info.value)


def test_looking_up_aids_for_a_former_code_warns_with_its_successor():

    zoning = pd.DataFrame({"code": [FORMER, SUCCESSOR], "zone": ["ZIP", "ZIP"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for_commune(FORMER, zoning, on="2026-03-01")
    texts = [str(w.message) for w in caught if issubclass(w.category, UnknownCodeWarning)]
    assert texts
    assert f"{FORMER} → {SUCCESSOR}" in texts[0]


def test_a_times_table_without_self_pairs_names_intra_minutes(tmp_path):
    frame = od_frame()
    frame = frame[frame["origin"] != frame["destination"]]
    with pytest.raises(aplcore.errors.MissingCommuneError, match=r"intra_minutes=0\.0"):
        aplcore.travel_times_from_table(frame, intra_minutes=None)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX")
def test_the_python_message_of_a_missing_self_pair_is_not_the_cli_one(tmp_path):
    frame = od_frame()
    frame = frame[frame["origin"] != frame["destination"]]
    with pytest.raises(aplcore.errors.MissingCommuneError) as info:
        aplcore.travel_times_from_table(frame, intra_minutes=None)
    assert "--intra-minutes" not in str(info.value)
    assert info.value.param == "intra_minutes"
