"""Catalogue of bad inputs through ``aplcore compute``: one line naming the file and the fix."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest
from bad_inputs.cli_cases import CliCase, Inputs, check_case, gp_frame, od_frame

CSV = "origin,destination,minutes\n"


def args(inputs: Inputs, *extra: str, out: str | None = None) -> list[str]:
    return [
        "compute",
        "--times",
        str(inputs["times"]),
        "--population",
        str(inputs["population"]),
        "--practitioners",
        str(inputs["practitioners"]),
        "--out",
        out or str(inputs.out / "apl.csv"),
        *extra,
    ]


def spoil(name: str, data: bytes, suffix: str = ".csv", *extra: str):
    def prepare(inputs: Inputs) -> list[str]:
        inputs.write_bytes(name, data, suffix)
        return args(inputs, *extra)

    return prepare


def frame(name: str, make, suffix: str = ".csv", *extra: str):
    def prepare(inputs: Inputs) -> list[str]:
        inputs.write_frame(name, make(), suffix)
        return args(inputs, *extra)

    return prepare


def with_args(*extra: str):
    return lambda inputs: args(inputs, *extra)


def od_with(**columns):
    def make():
        table = od_frame()
        for column, values in columns.items():
            table[column] = values
        return table

    return make


def gps_with(**columns):
    def make():
        table = gp_frame()
        for column, values in columns.items():
            table[column] = values
        return table

    return make


def od_text() -> str:
    return od_frame().to_csv(index=False)


def existing_output(inputs: Inputs) -> list[str]:
    inputs.out.mkdir()
    (inputs.out / "apl.csv").write_text("previous\n")
    return args(inputs)


def output_to_a_device(inputs: Inputs) -> list[str]:
    inputs.out.mkdir()
    (inputs.out / "apl.csv").symlink_to(os.devnull)
    return args(inputs, "--overwrite")


def output_is_an_input(inputs: Inputs) -> list[str]:
    return args(inputs, "--overwrite", out=str(inputs["population"]))


def population_of(values) -> pd.DataFrame:
    return lambda: pd.DataFrame(
        {"code": ["45001", "45002", "45004", "45005", "45006", "45008"], "population": values}
    )


CASES = [
    CliCase(
        "times-missing",
        lambda i: [*args(i)[:2], str(i.folder / "nope.csv"), *args(i)[3:]],
        1,
        ("not found", "nope.csv"),
    ),
    CliCase("times-empty-file", spoil("times", b""), 1, ("times.csv", "empty")),
    CliCase("times-header-only", spoil("times", CSV.encode()), 1, ("times.csv",)),
    CliCase("times-binary", spoil("times", bytes(range(256)) * 8), 1, ("times.csv",)),
    CliCase("times-utf16", spoil("times", od_text().encode("utf-16")), 1, ("times.csv",)),
    CliCase(
        "times-cut-last-value",
        spoil("times", od_text().rstrip("\n")[:-2].encode()),
        1,
        ("times.csv", "cut short"),
    ),
    CliCase(
        "times-missing-field",
        spoil(
            "times", (CSV + "45001,45001,0\n45001,45002\n" + od_text().split("\n", 3)[3]).encode()
        ),
        1,
        ("times.csv", "line 3", "expected 3 fields"),
    ),
    CliCase("times-negative", frame("times", od_with(minutes=-1.0)), 1, ("minutes",)),
    CliCase("times-text", frame("times", od_with(minutes="ten")), 1, ("minutes", "ten")),
    CliCase("times-boolean", frame("times", od_with(minutes=True)), 1, ("minutes",)),
    CliCase(
        "times-nan",
        spoil(
            "times",
            (CSV + "45001,45001,\n45001,45002,5.5\n45002,45002,0\n45002,45001,5.5\n").encode(),
        ),
        1,
        ("minutes",),
    ),
    CliCase(
        "times-duplicate-pair",
        spoil("times", (od_text() + "45001,45002,7.75\n").encode()),
        1,
        ("45001", "45002"),
    ),
    CliCase(
        "times-integer-codes",
        spoil("times", od_text().replace("45001", "1001").encode()),
        1,
        ("1001",),
    ),
    CliCase(
        "times-wrong-columns",
        with_args("--od-columns", "from", "to", "time"),
        1,
        ("from", "--od-columns ORIGIN DESTINATION MINUTES"),
    ),
    CliCase(
        "times-negative-intra",
        lambda i: (
            i.write_frame("times", od_frame().query("origin != destination")),
            args(i, "--intra-minutes", "-3"),
        )[1],
        1,
        ("intra",),
    ),
    CliCase(
        "times-corrupt-npz",
        spoil("times", b"PK\x03\x04 this is not a zip", ".npz"),
        1,
        ("times.npz",),
    ),
    CliCase(
        "times-corrupt-parquet",
        spoil("times", b"PAR1" + b"\x00" * 64, ".parquet"),
        1,
        ("times.parquet",),
    ),
    CliCase(
        "times-cut-parquet",
        lambda i: (i.write_bytes("times", _cut_parquet(), ".parquet"), args(i))[1],
        1,
        ("times.parquet",),
    ),
    CliCase(
        "times-unknown-suffix", spoil("times", od_text().encode(), ".txt2"), 1, ("times.txt2",)
    ),
    CliCase(
        "population-no-column",
        frame("population", lambda: pd.DataFrame({"code": ["45001"], "people": [5]})),
        1,
        ("population",),
    ),
    CliCase(
        "population-negative",
        frame("population", population_of([-1.0, 2, 3, 4, 5, 6])),
        1,
        ("45001",),
    ),
    CliCase(
        "population-text", frame("population", population_of(["many", 2, 3, 4, 5, 6])), 1, ("many",)
    ),
    CliCase(
        "population-subnormal",
        frame("population", population_of([5e-324, 0, 0, 0, 0, 0])),
        1,
        ("floor",),
    ),
    CliCase(
        "population-missing-commune",
        frame("population", lambda: population_of([1.0] * 6)().iloc[:5]),
        1,
        ("45008",),
    ),
    CliCase(
        "population-lost-zero", spoil("population", b"code,population\n1001,5\n"), 1, ("1001",)
    ),
    CliCase(
        "population-missing-field",
        spoil("population", b"code,population\n45001,10\n45002\n45003,4\n"),
        1,
        ("population.csv", "line 3"),
    ),
    CliCase(
        "gps-missing-id",
        frame("practitioners", gps_with(practitioner_id=["a", None, "c", "d", "e"])),
        1,
        ("practitioner_id", "missing"),
    ),
    CliCase(
        "gps-all-too-old",
        frame("practitioners", gps_with(age=[70, 71, 72, 73, 74])),
        1,
        ("older than", "--max-age none"),
    ),
    CliCase(
        "gps-negative-activity",
        frame("practitioners", gps_with(activity=[-5.0, 1, 1, 1, 1])),
        1,
        ("activity",),
    ),
    CliCase(
        "gps-no-commune-column",
        frame("practitioners", lambda: gp_frame().drop(columns="commune")),
        1,
        ("commune",),
    ),
    CliCase(
        "gps-age-implausible",
        frame("practitioners", gps_with(age=[50, 60, 62, 40, 450])),
        1,
        ("450",),
    ),
    CliCase("weights-unknown", with_args("--weights", "drees_2099"), 1, ("drees_2099",)),
    CliCase("decay-unknown", with_args("--decay", "drees_2099"), 1, ("drees_2099",)),
    CliCase("method-unknown", with_args("--method", "4sfca"), 1, ("4sfca",)),
    CliCase("out-exists", existing_output, 1, ("already exists", "--overwrite")),
    CliCase("out-device", output_to_a_device, 1, ("not a regular file",)),
    CliCase("out-is-input", output_is_an_input, 1, ("input",)),
    CliCase(
        "out-bad-suffix", lambda i: args(i, out=str(i.out / "apl.xlsx")), 1, (".csv", ".parquet")
    ),
]


def _cut_parquet() -> bytes:
    import io

    buffer = io.BytesIO()
    od_frame().to_parquet(buffer, index=False)
    data = buffer.getvalue()
    return data[: len(data) // 2]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_compute_bad_input(case: CliCase, inputs: Inputs, capsys) -> None:
    check_case(case, inputs, capsys)


def test_compute_clean_inputs_succeed(inputs: Inputs, capsys) -> None:
    """The catalogue's clean files work, so every refusal above comes from the spoiled input."""
    case = CliCase("clean", lambda i: args(i), 0, ())
    check_case(case, inputs, capsys)
    table = pd.read_csv(inputs.out / "apl.csv", dtype={"code": str})
    assert np.isfinite(table["apl"]).all()
    assert sorted(p.name for p in inputs.out.iterdir()) == sorted(
        p.name for p in inputs.out.iterdir() if not p.name.startswith(".")
    )


def _times_in(factor: float):
    def prepare(inputs: Inputs) -> list[str]:
        table = od_frame()
        table["minutes"] = table["minutes"] * factor
        inputs.write_frame("times", table)
        return args(inputs)

    return prepare


WARNED = [
    CliCase("times-in-seconds", _times_in(60.0), 0, ("likely in seconds", "--time-units seconds")),
    CliCase("times-in-hours", _times_in(1 / 60), 0, ("likely in hours", "--time-units hours")),
    CliCase(
        "codes-unknown",
        lambda i: (
            i.write_text("times", od_text().replace("45008", "99999")),
            i.write_text("population", i["population"].read_text().replace("45008", "99999")),
            args(i),
        )[2],
        0,
        ("do not exist: '99999'", "warning"),
    ),
    CliCase(
        "codes-former",
        lambda i: (
            i.write_text("times", od_text().replace("45008", "28025")),
            i.write_text("population", i["population"].read_text().replace("45008", "28025")),
            args(i),
        )[2],
        0,
        ("28025 → 28319", "warning"),
    ),
    CliCase(
        "codes-former-strict",
        lambda i: (
            i.write_text("times", od_text().replace("45008", "28025")),
            args(i, "--strict-codes"),
        )[1],
        1,
        ("28025 → 28319",),
    ),
]


@pytest.mark.parametrize("case", WARNED, ids=[c.name for c in WARNED])
def test_compute_flags_units_and_codes(case: CliCase, inputs: Inputs, capsys) -> None:
    check_case(case, inputs, capsys)


def test_declared_time_units_give_the_minutes_result(inputs: Inputs, capsys) -> None:
    check_case(CliCase("minutes", lambda i: args(i), 0, ()), inputs, capsys)
    reference = (inputs.out / "apl.csv").read_bytes()
    shutil.rmtree(inputs.out)
    table = od_frame()
    table["minutes"] = table["minutes"] * 60.0
    inputs.write_frame("times", table)
    outcome = check_case(
        CliCase("seconds", lambda i: args(i, "--time-units", "seconds"), 0, ()), inputs, capsys
    )
    assert "warning" not in outcome.err
    assert (inputs.out / "apl.csv").read_bytes() == reference
