"""Helpers of the bad-input catalogue: clean input files, running a command, snapshots."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore import cli

CODES = ["45001", "45002", "45004", "45005", "45006", "45008"]
POPULATION = [1000.0, 2500.0, 400.0, 800.0, 1200.0, 300.0]


def od_frame() -> pd.DataFrame:
    rows = []
    for i, a in enumerate(CODES):
        for j, b in enumerate(CODES):
            rows.append((a, b, 0.0 if i == j else round(4.5 + 3.25 * abs(i - j), 2)))
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


def gp_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "practitioner_id": ["a", "b", "c", "d", "e"],
            "commune": ["45001", "45002", "45002", "45004", "45005"],
            "activity": [5000.0, 3000.0, 4000.0, 7000.0, 1000.0],
            "age": [50, 60, 62, 40, 45],
        }
    )


def apl_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"code": CODES, "apl": [2.1, 3.5, 4.2, 1.9, 5.0, 2.8], "population": POPULATION}
    )


def territory_frame() -> pd.DataFrame:
    return pd.DataFrame({"code": CODES, "territory": ["T1", "T1", "T2", "T2", "T3", "T3"]})


@dataclass
class Inputs:
    """Clean input files of every command, in one folder; ``out`` is where outputs go."""

    folder: Path
    paths: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]

    @property
    def out(self) -> Path:
        return self.folder / "out"

    def write_bytes(self, name: str, data: bytes, suffix: str = ".csv") -> Path:
        path = self.folder / f"{name}{suffix}"
        path.write_bytes(data)
        self.paths[name] = path
        return path

    def write_text(self, name: str, text: str, suffix: str = ".csv") -> Path:
        return self.write_bytes(name, text.encode("utf-8"), suffix)

    def write_frame(self, name: str, frame: pd.DataFrame, suffix: str = ".csv") -> Path:
        path = self.folder / f"{name}{suffix}"
        if suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        self.paths[name] = path
        return path


def make_inputs(folder: Path) -> Inputs:
    """Clean inputs of every command in ``folder``."""
    made = Inputs(folder)
    made.write_frame("times", od_frame())
    made.write_frame("population", pd.DataFrame({"code": CODES, "population": POPULATION}))
    made.write_frame("practitioners", gp_frame())
    made.write_frame("apl", apl_frame())
    made.write_frame("territories", territory_frame())
    made.write_frame(
        "communes",
        pd.DataFrame(
            {
                "code": CODES,
                "lon": np.linspace(1.8, 2.3, len(CODES)),
                "lat": np.linspace(47.8, 48.0, len(CODES)),
            }
        ),
    )
    return made


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every file under ``folder`` (hidden ones included, empty folders left out): its mode and
    content."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            st = path.lstat()
            content = path.read_bytes() if path.is_file() and not path.is_symlink() else None
            out[str(path.relative_to(folder))] = (st.st_mode, content)
    return out


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@dataclass(frozen=True)
class CliCase:
    """A command line built from clean inputs, and what must come out of it.

    ``prepare`` spoils the inputs and returns the arguments; ``code`` is the exit code;
    ``words`` must appear in the one-line error (or in the warning lines when ``code`` is 0).
    """

    name: str
    prepare: Callable[[Inputs], list[str]]
    code: int
    words: tuple[str, ...]


def check_case(case: CliCase, inputs: Inputs, capsys: pytest.CaptureFixture[str]) -> Outcome:
    argv = case.prepare(inputs)
    before = snapshot(inputs.folder)
    outcome = run_command(argv, capsys)
    command = argv[0]
    assert outcome.code == case.code, outcome.err
    assert "Traceback" not in outcome.err
    if case.code == 0:
        text = outcome.err
    else:
        lines = [line for line in outcome.err.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith(f"aplcore {command}: error: ")]
        assert len(errors) == 1, outcome.err
        assert lines[-1] == errors[0], outcome.err
        text = errors[0]
        # a refused command leaves every file as it was, and no temporary behind
        assert snapshot(inputs.folder) == before
    for word in case.words:
        assert word in text, f"{word!r} not in: {text}"
    for api in API_ONLY_FIXES:  # a command-line user is told the flag, not the Python argument
        assert api not in outcome.err, f"{api!r} in: {outcome.err}"
    return outcome


#: Python arguments that library messages suggest; the command line names its flags instead.
API_ONLY_FIXES = (
    "repair_integers=",
    "columns={",
    "origin=,",
    "overwrite=True",
    "max_age=None",
    "units='",
    "strict=True",
    "encoding=",
    " sep=",
    "missing_demand=",
)
