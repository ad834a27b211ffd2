"""Whole output sets: an output folder holds exactly one run's files, or is refused as busy.

A second run with ``--overwrite`` replaces the previous run's whole set (not only the files it
writes again); a folder another run is writing into is refused; a marker left by a killed run
does not block the next one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bad_inputs.cli_cases import Inputs, run_command, snapshot

from aplcore.errors import OutputBusyError, OutputExistsError
from aplcore.io import output_set, write_csv
from aplcore.io.writers import BUSY_MARKER, STAGING_PREFIX, staged_folder

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process ids")


def classify_args(inputs: Inputs, *extra: str) -> list[str]:
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


def _listed(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.fixture
def live_pid():
    """The id of a process that runs for the length of the test."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ------------------------------------------------------------------ the command line
def test_overwrite_without_maps_removes_the_previous_map(inputs, capsys):
    first = run_command(classify_args(inputs, "--map-format", "svg"), capsys)
    assert first.code == 0, first.err
    assert "zoning_map.svg" in _listed(inputs.out)
    second = run_command(classify_args(inputs, "--overwrite", "--no-maps"), capsys)
    assert second.code == 0, second.err
    record = json.loads((inputs.out / "run.json").read_text())
    assert _listed(inputs.out) == {*record["outputs"], "run.json"}
    assert "zoning_map.svg" not in _listed(inputs.out)


def test_overwrite_with_another_map_format_leaves_one_map(inputs, capsys):
    assert run_command(classify_args(inputs, "--map-format", "svg"), capsys).code == 0
    outcome = run_command(classify_args(inputs, "--overwrite", "--map-format", "pdf"), capsys)
    assert outcome.code == 0, outcome.err
    maps = sorted(n for n in _listed(inputs.out) if n.startswith("zoning_map."))
    assert maps == ["zoning_map.pdf"]


def test_overwrite_keeps_the_files_the_user_put_there(inputs, capsys):
    assert run_command(classify_args(inputs, "--map-format", "svg"), capsys).code == 0
    (inputs.out / "my_notes.txt").write_text("mine\n")
    assert run_command(classify_args(inputs, "--overwrite", "--no-maps"), capsys).code == 0
    assert (inputs.out / "my_notes.txt").read_text() == "mine\n"


def test_a_folder_another_run_writes_into_is_refused(inputs, capsys, live_pid):
    inputs.out.mkdir()
    (inputs.out / BUSY_MARKER).write_text(str(live_pid))
    before = snapshot(inputs.folder)
    outcome = run_command(classify_args(inputs, "--no-maps"), capsys)
    assert outcome.code == 1
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert "busy" in lines[0], lines[0]
    assert str(live_pid) in lines[0], lines[0]
    assert snapshot(inputs.folder) == before


def test_a_marker_left_by_a_killed_run_does_not_block(inputs, capsys):
    inputs.out.mkdir()
    (inputs.out / BUSY_MARKER).write_text(str(_dead_pid()))
    outcome = run_command(classify_args(inputs, "--no-maps"), capsys)
    assert outcome.code == 0, outcome.err
    assert BUSY_MARKER not in _listed(inputs.out)
    assert "zoning_communes.csv" in _listed(inputs.out)


def test_no_marker_is_left_after_a_run(inputs, capsys):
    assert run_command(classify_args(inputs, "--no-maps"), capsys).code == 0
    assert not [n for n in _listed(inputs.out) if n.startswith(".")]


# ------------------------------------------------------------------ the library
def _run_record(folder: Path, names: list[str]) -> None:
    (folder / "run.json").write_text(json.dumps({"outputs": names}))


def test_a_second_set_into_a_busy_folder_is_refused(tmp_path):
    import pandas as pd

    table = pd.DataFrame({"x": [1.0]}, index=pd.Index(["01001"], name="code"))
    with output_set([tmp_path / "a.csv"], folder=tmp_path) as outputs:
        write_csv(table, outputs.path(tmp_path / "a.csv"))
        with pytest.raises(OutputBusyError, match="busy"):
            output_set([tmp_path / "b.csv"], folder=tmp_path)
    assert _listed(tmp_path) == {"a.csv"}


def test_overwrite_replaces_the_whole_previous_set(tmp_path):
    for name in ("a.csv", "old_map.png", "mine.txt"):
        (tmp_path / name).write_text("before\n")
    _run_record(tmp_path, ["a.csv", "old_map.png"])
    with output_set([tmp_path / "a.csv"], overwrite=True, folder=tmp_path) as outputs:
        outputs.path(tmp_path / "a.csv").write_text("after\n")
        outputs.path(tmp_path / "run.json").write_text(json.dumps({"outputs": ["a.csv"]}))
    assert _listed(tmp_path) == {"a.csv", "run.json", "mine.txt"}
    assert (tmp_path / "a.csv").read_text() == "after\n"


def test_a_run_record_never_removes_files_outside_its_folder(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("keep\n")
    out = tmp_path / "out"
    out.mkdir()
    _run_record(out, ["../outside.csv", str(outside)])
    with output_set([out / "a.csv"], overwrite=True, folder=out) as outputs:
        outputs.path(out / "a.csv").write_text("x\n")
    assert outside.read_text() == "keep\n"


def test_an_interrupted_set_leaves_neither_files_nor_marker(tmp_path):
    out = tmp_path / "out"

    def interrupted() -> None:
        with output_set([out / "a.csv"], folder=out) as outputs:
            outputs.path(out / "a.csv").write_text("x\n")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert not out.exists()


def test_the_marker_holds_the_process_id(tmp_path):
    with output_set([tmp_path / "a.csv"], folder=tmp_path) as outputs:
        assert (tmp_path / BUSY_MARKER).read_text() == str(os.getpid())
        outputs.path(tmp_path / "a.csv").write_text("x\n")
    assert not (tmp_path / BUSY_MARKER).exists()


# ------------------------------------------------------------------ whole folders (scenario runs)
def test_a_staged_folder_replaces_the_previous_one_whole(tmp_path):

    out = tmp_path / "run"
    out.mkdir()
    (out / "meta.json").write_text("{}")
    (out / "old_block.parquet").write_text("old\n")
    with staged_folder(out, overwrite=True, replaces=lambda p: (p / "meta.json").is_file()) as w:
        (w / "meta.json").write_text('{"new": true}')
    assert _listed(out) == {"meta.json"}
    assert _listed(tmp_path) == {"run"}


def test_an_interrupted_staged_folder_leaves_the_previous_one(tmp_path):

    out = tmp_path / "run"
    out.mkdir()
    (out / "meta.json").write_text("{}")

    def interrupted() -> None:
        with staged_folder(out, overwrite=True) as work:
            (work / "meta.json").write_text('{"new": true}')
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert (out / "meta.json").read_text() == "{}"
    assert _listed(tmp_path) == {"run"}


def test_a_folder_another_scenario_run_writes_is_refused(tmp_path, live_pid):

    out = tmp_path / "run"
    (tmp_path / f".run{STAGING_PREFIX}{live_pid}-abc").mkdir()
    with pytest.raises(OutputBusyError, match="busy"), staged_folder(out):
        pass
    assert not out.exists()


def test_a_folder_of_the_users_files_is_never_replaced(tmp_path):

    (tmp_path / "mine.csv").write_text("keep\n")
    with (
        pytest.raises(OutputExistsError, match="never replaced"),
        staged_folder(tmp_path, overwrite=True, replaces=lambda p: (p / "meta.json").is_file()),
    ):
        pass
    assert (tmp_path / "mine.csv").read_text() == "keep\n"


# ------------------------------------------------------------------ Ctrl-C at start-up
IMPORT_THEN_INTERRUPT = """
import builtins, os, signal, sys
import aplcore.__main__ as entry
real = builtins.__import__
def interrupting(name, *args, **kwargs):
    if name.endswith("_options"):
        os.kill(os.getpid(), signal.SIGINT)
    return real(name, *args, **kwargs)
builtins.__import__ = interrupting
sys.argv = ["aplcore", "info"]
sys.exit(entry.run())
"""


def test_ctrl_c_while_the_command_line_is_imported_is_one_line_and_130():
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_THEN_INTERRUPT],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "APLCORE_PROGRESS": "0"},
    )
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "aplcore: error: interrupted; no output was written"
    ]
