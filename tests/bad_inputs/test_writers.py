"""Writers: targets that are not regular files, output sets written whole, stale temporaries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from aplcore.io import (
    OutputExistsError,
    OutputSetError,
    atomic_write,
    output_set,
    write_csv,
    write_parquet,
)
from aplcore.io import atomic as writers_module

TABLE = pd.DataFrame({"apl": [1.5, 2.5]}, index=pd.Index(["01001", "01002"], name="code"))


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ------------------------------------------------------------------ targets that are not files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_named_pipe_is_never_replaced(tmp_path, overwrite):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(OutputExistsError, match="named pipe, not a regular file"):
        write_csv(TABLE, fifo, overwrite=overwrite)
    assert fifo.is_fifo()
    assert [p.name for p in tmp_path.iterdir()] == ["pipe.csv"]


@pytest.mark.parametrize("writer", [write_csv, write_parquet])
def test_a_link_to_a_device_is_never_replaced(tmp_path, writer):
    link = tmp_path / "out.csv"
    link.symlink_to(os.devnull)
    with pytest.raises(OutputExistsError, match="character device"):
        writer(TABLE, link, overwrite=True)
    assert link.is_symlink()
    assert os.readlink(link) == os.devnull


def test_a_folder_is_refused_even_with_overwrite(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(OutputExistsError, match="a folder"):
        write_csv(TABLE, tmp_path / "d.csv", overwrite=True)


def test_output_set_refuses_a_device_target_up_front(tmp_path):
    link = tmp_path / "b.csv"
    link.symlink_to(os.devnull)
    with pytest.raises(OutputExistsError, match="character device"):
        output_set([tmp_path / "a.csv", link], overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv"]


# ------------------------------------------------------------------ whole output sets
def test_output_set_appears_only_when_committed(tmp_path):
    out = tmp_path / "out"
    with output_set([out / "a.csv", out / "b.parquet"]) as outputs:
        write_csv(TABLE, outputs.path(out / "a.csv"))
        write_parquet(TABLE, outputs.path(out / "b.parquet"))
        assert not (out / "a.csv").exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.parquet"]
    assert pd.read_csv(out / "a.csv", dtype={"code": str})["code"].tolist() == ["01001", "01002"]


def test_failure_while_writing_leaves_nothing_new(tmp_path):
    (tmp_path / "a.csv").write_text("old a\n")
    before = _listing(tmp_path)

    def boom(stream):
        raise RuntimeError("disk full")

    def run():
        with output_set([tmp_path / "a.csv", tmp_path / "b.csv"], overwrite=True) as outputs:
            write_csv(TABLE, outputs.path(tmp_path / "a.csv"))
            atomic_write(outputs.path(tmp_path / "b.csv"), boom)

    with pytest.raises(RuntimeError, match="disk full"):
        run()
    assert _listing(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_failed_move_takes_back_what_was_moved(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text("old a\n")
    (tmp_path / "c.csv").write_text("old c\n")
    before = _listing(tmp_path)
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst) == tmp_path / "c.csv" and Path(src).name == "c.csv":
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(writers_module.os, "replace", replace)
    targets = [tmp_path / n for n in ("a.csv", "b.csv", "c.csv")]

    def run():
        with output_set(targets, overwrite=True) as outputs:
            for target in targets:
                write_csv(TABLE, outputs.path(target))

    with pytest.raises(OutputSetError, match=r"could not move .*c\.csv.*taken back"):
        run()
    assert _listing(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "c.csv"]


def test_output_set_without_overwrite_refuses_existing_files(tmp_path):
    (tmp_path / "b.csv").write_text("keep\n")
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        output_set([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert _listing(tmp_path) == {"b.csv": b"keep\n"}


def test_target_appearing_before_commit_is_not_overwritten(tmp_path):
    def run():
        with output_set([tmp_path / "a.csv", tmp_path / "b.csv"]) as outputs:
            write_csv(TABLE, outputs.path(tmp_path / "a.csv"))
            write_csv(TABLE, outputs.path(tmp_path / "b.csv"))
            (tmp_path / "b.csv").write_text("someone else\n")

    with pytest.raises(OutputExistsError, match="exists already"):
        run()
    assert _listing(tmp_path) == {"b.csv": b"someone else\n"}


def test_on_commit_is_called_once_with_the_files(tmp_path):
    seen = []
    with output_set(on_commit=seen.append) as outputs:
        write_csv(TABLE, outputs[tmp_path / "x.csv"])
    assert seen == [[tmp_path / "x.csv"]]


# ------------------------------------------------------------------ killed runs
_SLOW_WRITER = """
import sys, time
from pathlib import Path
from aplcore.io import atomic_write, output_set, write_csv
import pandas as pd

target = Path(sys.argv[1])

def slow(stream):
    stream.write(b"partial")
    stream.flush()
    print("writing", flush=True)
    time.sleep(60)

if sys.argv[2] == "file":
    atomic_write(target, slow)
else:
    with output_set([target]) as outputs:
        atomic_write(outputs.path(target), slow)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("how", ["file", "set"])
def test_temporaries_of_a_killed_run_are_cleaned_on_the_next_run(tmp_path, how):
    target = tmp_path / "apl.csv"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_SLOW_WRITER), str(target), how],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert leftovers, "the killed run should have left its temporary behind"
    assert all(name.startswith(".") for name in leftovers)
    time.sleep(0.05)
    if how == "file":
        write_csv(TABLE, target)
    else:
        with output_set([target]) as outputs:
            write_csv(TABLE, outputs.path(target))
    assert [p.name for p in tmp_path.iterdir()] == ["apl.csv"]


def test_temporaries_of_a_live_process_are_kept(tmp_path):
    mine = tmp_path / f".apl.csv.{os.getpid()}.abc.tmp"
    mine.write_text("in progress")
    write_csv(TABLE, tmp_path / "apl.csv")
    assert mine.exists()


def test_folders_made_for_a_set_that_failed_are_removed(tmp_path):
    target = tmp_path / "new" / "sub" / "a.csv"

    def run():
        with output_set([target]) as outputs:
            write_csv(TABLE, outputs.path(target))
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        run()
    assert list(tmp_path.iterdir()) == []
