"""Catalogue of bad inputs through ``aplcore matrix``: one line, nothing written."""

from __future__ import annotations

import os

import pytest
from bad_inputs.cli_cases import CliCase, Inputs, check_case


def args(inputs: Inputs, *extra: str, out: str | None = None) -> list[str]:
    return [
        "matrix",
        "--communes",
        str(inputs["communes"]),
        "--out",
        out or str(inputs.out / "od.csv"),
        *extra,
    ]


def communes_text(text: str):
    def prepare(inputs: Inputs) -> list[str]:
        inputs.write_text("communes", text)
        return args(inputs)

    return prepare


def roads_bytes(data: bytes):
    def prepare(inputs: Inputs) -> list[str]:
        inputs.write_bytes("roads", data, ".graphml")
        return args(inputs, "--roads", str(inputs["roads"]))

    return prepare


def output_to_a_device(inputs: Inputs) -> list[str]:
    inputs.out.mkdir()
    (inputs.out / "od.csv").symlink_to(os.devnull)
    return args(inputs, "--overwrite")


def existing_output(inputs: Inputs) -> list[str]:
    inputs.out.mkdir()
    (inputs.out / "od.parquet").write_bytes(b"previous")
    return args(inputs, out=str(inputs.out / "od.parquet"))


CASES = [
    CliCase(
        "no-source",
        lambda i: ["matrix", "--out", str(i.out / "od.csv")],
        1,
        ("--communes", "--region"),
    ),
    CliCase("two-sources", lambda i: args(i, "--departement", "36"), 1, ("either --communes",)),
    CliCase(
        "out-bad-suffix",
        lambda i: args(i, out=str(i.out / "od.xlsx")),
        1,
        (".csv", ".parquet", ".npz"),
    ),
    CliCase("out-exists", existing_output, 1, ("already exists", "--overwrite")),
    CliCase("out-device", output_to_a_device, 1, ("not a regular file",)),
    CliCase(
        "communes-missing-file",
        lambda i: [
            "matrix",
            "--communes",
            str(i.folder / "none.csv"),
            "--out",
            str(i.out / "od.csv"),
        ],
        1,
        ("not found", "none.csv"),
    ),
    CliCase("communes-no-coordinates", communes_text("code,name\n45001,A\n45002,B\n"), 1, ("lon",)),
    CliCase(
        "communes-duplicated",
        communes_text("code,lon,lat\n45001,1.9,47.9\n45001,2.0,47.8\n"),
        1,
        ("45001",),
    ),
    CliCase(
        "communes-bad-latitude",
        communes_text("code,lon,lat\n45001,1.9,147.9\n45002,2.0,47.8\n"),
        1,
        ("lat",),
    ),
    CliCase(
        "communes-lost-zeros",
        communes_text("code,lon,lat\n1001,4.9,46.1\n1002,5.4,46.0\n"),
        1,
        ("1001",),
    ),
    CliCase(
        "communes-missing-field",
        communes_text("code,lon,lat\n45001,1.9,47.9\n45002,2.0\n45004,2.1,47.7\n"),
        1,
        ("communes.csv",),
    ),
    CliCase(
        "roads-missing-file",
        lambda i: args(i, "--roads", str(i.folder / "roads.graphml")),
        1,
        ("not found", "roads.graphml"),
    ),
    CliCase("roads-not-xml", roads_bytes(b"this is not a graph\x00\x01"), 1, ("roads.graphml",)),
    CliCase(
        "roads-cut-xml",
        roads_bytes(b'<?xml version="1.0"?><graphml><graph edgedefault="directed"><node id="1"/>'),
        1,
        ("roads.graphml",),
    ),
    CliCase("max-minutes-negative", lambda i: args(i, "--max-minutes", "-5"), 1, ("max",)),
    CliCase("max-minutes-nan", lambda i: args(i, "--max-minutes", "nan"), 1, ("max",)),
    CliCase(
        "unknown-departement",
        lambda i: ["matrix", "--departement", "999", "--out", str(i.out / "od.csv")],
        1,
        ("999",),
    ),
    CliCase(
        "unknown-region",
        lambda i: ["matrix", "--region", "Atlantis", "--out", str(i.out / "od.csv")],
        1,
        ("Atlantis",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix_bad_input(case: CliCase, inputs: Inputs, capsys) -> None:
    outcome = check_case(case, inputs, capsys)  # asserts the line, the words, the files
    assert outcome.code == case.code
