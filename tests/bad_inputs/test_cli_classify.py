"""Catalogue of bad inputs through ``aplcore classify``: one line, nothing written."""

from __future__ import annotations

import pandas as pd
import pytest
from bad_inputs.cli_cases import (
    CODES,
    CliCase,
    Inputs,
    apl_frame,
    check_case,
    run_command,
    territory_frame,
)


def args(inputs: Inputs, *extra: str) -> list[str]:
    return [
        "classify",
        "--apl",
        str(inputs["apl"]),
        "--territories",
        str(inputs["territories"]),
        "--out",
        str(inputs.out),
        "--cap",
        "ZIP=0.5",
        "--cap",
        "ZAC=0.3",
        "--cap",
        "HZ=0.2",
        *extra,
    ]


def with_args(*extra: str):
    return lambda inputs: args(inputs, *extra)


def apl_text(name: str, text: str):
    def prepare(inputs: Inputs) -> list[str]:
        inputs.write_text(name, text)
        return args(inputs)

    return prepare


def apl_with(**columns):
    def prepare(inputs: Inputs) -> list[str]:
        table = apl_frame()
        for column, values in columns.items():
            table[column] = values
        inputs.write_frame("apl", table)
        return args(inputs)

    return prepare


def existing_outputs(inputs: Inputs) -> list[str]:
    inputs.out.mkdir()
    (inputs.out / "zoning_report.csv").write_text("previous\n")
    return args(inputs)


def out_is_a_file(inputs: Inputs) -> list[str]:
    inputs.out.write_text("a file\n")
    return args(inputs)


APL_CSV = apl_frame().to_csv(index=False)

CASES = [
    CliCase(
        "apl-missing-file",
        lambda i: ["classify", "--apl", str(i.folder / "no.csv"), *args(i)[3:]],
        1,
        ("not found", "no.csv"),
    ),
    CliCase(
        "apl-no-apl-column",
        apl_text("apl", "code,value,population\n45001,2.5,10\n"),
        1,
        ("'apl' column",),
    ),
    CliCase(
        "apl-no-code-column",
        apl_text("apl", "commune_name,apl,population\nA,2.5,10\n"),
        1,
        ("code",),
    ),
    CliCase("apl-empty", apl_text("apl", ""), 1, ("apl.csv",)),
    CliCase(
        "apl-missing-field",
        apl_text("apl", "code,apl,population\n45001,2.5,776\n45002,500\n45004,3.1,1400\n"),
        1,
        ("apl.csv",),
    ),
    CliCase("apl-nan", apl_with(apl=[float("nan"), 3.5, 4.2, 1.9, 5.0, 2.8]), 1, ("45001",)),
    CliCase("apl-negative", apl_with(apl=[-1.0, 3.5, 4.2, 1.9, 5.0, 2.8]), 1, ("apl",)),
    CliCase("apl-text", apl_with(apl=["high", 3.5, 4.2, 1.9, 5.0, 2.8]), 1, ("high",)),
    CliCase("apl-inf", apl_with(apl=[float("inf"), 3.5, 4.2, 1.9, 5.0, 2.8]), 1, ("apl",)),
    CliCase("population-negative", apl_with(population=[-5.0, 1, 1, 1, 1, 1]), 1, ("population",)),
    CliCase(
        "population-missing",
        lambda i: (i.write_frame("apl", apl_frame().drop(columns="population")), args(i))[1],
        1,
        ("population", "--population"),
    ),
    CliCase("apl-lost-zeros", apl_text("apl", APL_CSV.replace("45001", "4501")), 1, ("4501",)),
    CliCase("apl-duplicated", apl_text("apl", APL_CSV + "45001,2.2,100\n"), 1, ("45001",)),
    CliCase(
        "apl-utf16",
        lambda i: (i.write_bytes("apl", APL_CSV.encode("utf-16")), args(i))[1],
        1,
        ("apl.csv",),
    ),
    CliCase(
        "territories-missing-commune",
        lambda i: (i.write_frame("territories", territory_frame().iloc[:4]), args(i))[1],
        1,
        ("45006",),
    ),
    CliCase(
        "territories-ambiguous",
        lambda i: (
            i.write_frame(
                "territories", territory_frame().rename(columns={"territory": "tvs"}).assign(bv="B")
            ),
            args(i),
        )[1],
        1,
        ("--territory-column",),
    ),
    CliCase("territory-column-unknown", with_args("--territory-column", "tvs"), 1, ("tvs",)),
    CliCase(
        "cap-no-equals", lambda i: [*args(i)[:-6], "--cap", "ZIP:0.5"], 1, ("ZONE=VALUE", "ZIP:0.5")
    ),
    CliCase("cap-negative", lambda i: [*args(i)[:-6], "--cap", "ZIP=-0.5"], 1, ("ZONE=VALUE",)),
    CliCase(
        "cap-mixed-units",
        lambda i: [*args(i)[:-6], "--cap", "ZIP=0.5", "--cap", "ZAC=1000"],
        1,
        ("all be shares",),
    ),
    CliCase("thresholds-negative", with_args("--thresholds", "-1", "3"), 1, ("threshold", "-1")),
    CliCase("thresholds-unsorted", with_args("--thresholds", "4", "3"), 1, ("threshold",)),
    CliCase("method-unknown", with_args("--method", "zonage_2099"), 1, ("zonage_2099",)),
    CliCase("out-is-a-file", out_is_a_file, 1, ("--out must be a folder",)),
    CliCase("outputs-exist", existing_outputs, 1, ("already exists", "--overwrite")),
    CliCase("out-is-input", lambda i: [*args(i)[:5], "--out", str(i.folder), *args(i)[7:]], 0, ()),
]


FLAGGED = [
    CliCase("population-all-zero", apl_with(population=0.0), 1, ("0 in every commune",)),
    CliCase(
        "territory-without-population",
        apl_with(population=[1000.0, 2500.0, 0.0, 0.0, 1200.0, 300.0]),
        0,
        ("warning", "1 territories have no population", "T2"),
    ),
]


@pytest.mark.parametrize("case", FLAGGED, ids=[c.name for c in FLAGGED])
def test_classify_flags_missing_population(case: CliCase, inputs: Inputs, capsys) -> None:
    check_case(case, inputs, capsys)


def test_classify_report_without_caps_holds_no_infinity(inputs: Inputs, capsys) -> None:
    check_case(CliCase("no caps", lambda i: args(i)[:7], 0, ()), inputs, capsys)
    for path in inputs.out.glob("*.csv"):
        text = path.read_text().lower()
        assert "inf" not in text.replace("information", ""), path.name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_classify_bad_input(case: CliCase, inputs: Inputs, capsys) -> None:
    check_case(case, inputs, capsys)


def test_classify_clean_inputs_write_every_output_together(inputs: Inputs, capsys) -> None:
    check_case(CliCase("clean", lambda i: args(i), 0, ()), inputs, capsys)
    written = sorted(p.name for p in inputs.out.iterdir())
    assert [n for n in written if n.startswith(".")] == []
    communes = pd.read_csv(inputs.out / "zoning_communes.csv", dtype={"code": str})
    assert sorted(communes["code"]) == CODES


# ------------------------------------------------------------------ caps of several régions
def caps_args(text: str, *extra: str):
    def prepare(inputs: Inputs) -> list[str]:
        inputs.write_text("caps", text)
        return [*args(inputs)[:7], "--caps-file", str(inputs["caps"]), *extra]

    return prepare


CAPS = "region,zone,value\n24,ZIP,0.5\n24,ZAC,0.3\n24,HZ,0.2\n"

CAPS_CASES = [
    CliCase("caps-file-no-zone", caps_args("region,value\n24,0.5\n"), 1, ("zone", "caps.csv")),
    CliCase("caps-file-negative", caps_args("region,zone,value\n24,ZIP,-0.5\n"), 1, ("line 2",)),
    CliCase("caps-file-text", caps_args("region,zone,value\n24,ZIP,half\n"), 1, ("half",)),
    CliCase("caps-file-mixed", caps_args(CAPS + "11,ZIP,1834765\n"), 1, ("mixes",)),
    CliCase("caps-file-twice", caps_args(CAPS + "24,ZIP,0.4\n"), 1, ("24/ZIP",)),
    CliCase("caps-file-and-cap", caps_args(CAPS, "--cap", "ZIP=0.5"), 1, ("--caps-file",)),
    CliCase(
        "caps-file-uneven-margin",
        caps_args("region,zone,value,margin\n24,ZIP,0.5,10\n24,ZAC,0.5,20\n"),
        1,
        ("margin",),
    ),
]


@pytest.mark.parametrize("case", CAPS_CASES, ids=[c.name for c in CAPS_CASES])
def test_classify_bad_caps_file(case: CliCase, inputs: Inputs, capsys) -> None:
    check_case(case, inputs, capsys)


def test_caps_file_gives_the_caps_of_several_regions(inputs: Inputs, capsys) -> None:
    # communes of two régions: Loiret (24) and Paris (11)
    codes = [*CODES[:4], "75101", "75102"]
    apl = apl_frame().assign(code=codes)
    inputs.write_frame("apl", apl)
    territories = territory_frame().assign(
        code=codes,
        departement=[c[:2] for c in codes],
        region=["24"] * 4 + ["11"] * 2,
    )
    inputs.write_frame("territories", territories)
    text = (
        "region,zone,value,margin\n"
        "24,ZIP,1000,0\n24,ZAC,2000,0\n24,HZ,5000,0\n"
        "11,ZIP,100,50\n11,ZAC,200,50\n11,HZ,3000,50\n"
    )
    check_case(CliCase("caps file", caps_args(text), 0, ()), inputs, capsys)
    report = pd.read_csv(inputs.out / "zoning_report.csv", dtype={"region": str})
    totals = report[report["departement"].astype(str) == "total"].set_index("region")
    assert totals.loc["24", "ZIP_cap"] == 1000
    assert totals.loc["11", "ZAC_cap"] == 200
    assert totals.loc["11", "margin"] == 50


def test_a_failure_midway_leaves_the_previous_outputs_whole(inputs: Inputs, capsys, monkeypatch):
    from aplcore.cli import classify as classify_command

    check_case(CliCase("first run", lambda i: args(i), 0, ()), inputs, capsys)
    before = {p.name: p.read_bytes() for p in inputs.out.iterdir()}
    calls = []
    real_write = classify_command.write_table

    def write_then_fail(frame, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_write(frame, path)

    monkeypatch.setattr(classify_command, "write_table", write_then_fail)
    outcome = run_command([*args(inputs), "--overwrite", "--thresholds", "3", "4"], capsys)
    assert outcome.code == 1
    assert "No space left on device" in outcome.err
    assert {p.name: p.read_bytes() for p in inputs.out.iterdir()} == before
