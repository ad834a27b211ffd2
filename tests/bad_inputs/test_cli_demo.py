"""Catalogue of bad inputs through ``aplcore demo``: one line, nothing written."""

from __future__ import annotations

import pytest
from bad_inputs.cli_cases import CliCase, Inputs, check_case


def args(inputs: Inputs, *extra: str) -> list[str]:
    return ["demo", "--departement", "90", "--no-maps", "--out", str(inputs.out), *extra]


def out_is_a_file(inputs: Inputs) -> list[str]:
    inputs.out.write_text("a file\n")
    return args(inputs)


def existing_output(inputs: Inputs) -> list[str]:
    inputs.out.mkdir()
    (inputs.out / "apl_synthetic.csv").write_text("someone's file\n")
    (inputs.out / "notes.txt").write_text("not written by aplcore\n")
    return args(inputs)


def age_bands_text(text: str):
    def prepare(inputs: Inputs) -> list[str]:
        inputs.write_text("bands", text)
        return args(inputs, "--age-bands", str(inputs["bands"]))

    return prepare


CASES = [
    CliCase(
        "unknown-departement",
        lambda i: ["demo", "--departement", "999", "--out", str(i.out)],
        1,
        ("999",),
    ),
    CliCase(
        "unknown-region",
        lambda i: ["demo", "--region", "Atlantis", "--out", str(i.out)],
        1,
        ("Atlantis",),
    ),
    CliCase("out-is-a-file", out_is_a_file, 1, ("--out",)),
    CliCase("outputs-exist", existing_output, 1, ("--overwrite",)),
    CliCase(
        "age-bands-missing",
        lambda i: args(i, "--age-bands", str(i.folder / "bands.csv")),
        1,
        ("not found", "bands.csv"),
    ),
    CliCase(
        "roads-missing",
        lambda i: args(i, "--roads", str(i.folder / "roads.graphml")),
        1,
        ("not found", "roads.graphml"),
    ),
    CliCase("age-bands-empty", age_bands_text(""), 1, ("bands.csv",)),
    CliCase(
        "age-bands-other-communes",
        age_bands_text("code,sex,age,population\n45001,1,0-4,10\n"),
        1,
        ("bands.csv",),
    ),
    CliCase("max-minutes-negative", lambda i: args(i, "--max-minutes", "-1"), 1, ("max",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_demo_bad_input(case: CliCase, inputs: Inputs, capsys) -> None:
    outcome = check_case(case, inputs, capsys)  # asserts the line, the words, the files
    assert outcome.code == case.code
