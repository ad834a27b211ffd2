"""Ctrl-C and SIGTERM: one line, exit code 130 (143), nothing half-written; after the outputs
are in place, an interruption no longer turns the success into a failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bad_inputs.cli_cases import CliCase, Inputs, check_case, run_command

from aplcore._interrupts import _inside_compiler
from aplcore.cli import classify as classify_command

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ENV = {**os.environ, "APLCORE_PROGRESS": "0"}


def classify_args(inputs: Inputs) -> list[str]:
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
    ]


def _interrupt_self(signum: int = signal.SIGINT):
    sent = []

    def send(*args, **kwargs):
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signum)
            time.sleep(0.05)  # the handler runs at the next bytecode

    return send, sent


def test_ctrl_c_while_writing_leaves_no_output(inputs, capsys, monkeypatch):
    send, sent = _interrupt_self()
    real_write = classify_command.write_table

    def write_then_interrupt(frame, path):
        real_write(frame, path)
        send()

    monkeypatch.setattr(classify_command, "write_table", write_then_interrupt)
    outcome = run_command(classify_args(inputs), capsys)
    assert sent
    assert outcome.code == 130
    assert outcome.err.strip().splitlines()[-1] == (
        "aplcore classify: error: interrupted; no output was written"
    )
    assert "Traceback" not in outcome.err
    assert not inputs.out.exists() or [p.name for p in inputs.out.iterdir()] == []


def test_sigterm_while_writing_is_143_and_leaves_no_output(inputs, capsys, monkeypatch):
    send, sent = _interrupt_self(signal.SIGTERM)
    real_write = classify_command.write_table

    def write_then_terminate(frame, path):
        real_write(frame, path)
        send()

    monkeypatch.setattr(classify_command, "write_table", write_then_terminate)
    outcome = run_command(classify_args(inputs), capsys)
    assert sent
    assert outcome.code == 143
    assert outcome.err.strip().splitlines()[-1].endswith("terminated; no output was written")
    assert not inputs.out.exists() or [p.name for p in inputs.out.iterdir()] == []


def test_ctrl_c_after_the_outputs_are_written_is_still_a_success(inputs, capsys, monkeypatch):
    send, sent = _interrupt_self()
    real_echo = classify_command.echo

    def echo_then_interrupt(text: str = "") -> None:
        send()
        real_echo(text)

    monkeypatch.setattr(classify_command, "echo", echo_then_interrupt)
    check_case(CliCase("late Ctrl-C", classify_args, 0, ()), inputs, capsys)
    assert sent
    written = {p.name for p in inputs.out.iterdir()}
    assert {"zoning_communes.csv", "zoning_report.csv", "zoning_territories.csv"} <= written


def test_handlers_are_restored_after_the_command(inputs, capsys):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    run_command(classify_args(inputs), capsys)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.parametrize(
    "delay",
    [
        0.3,  # importing SciPy: an interrupted extension import must not end the process by SIGINT
        0.5,  # the parallel kernels (travel times, about 0.4 to 0.6 s after the first line)
        pytest.param(0.0, marks=pytest.mark.slow),
        pytest.param(0.6, marks=pytest.mark.slow),  # APL and zoning
        pytest.param(0.7, marks=pytest.mark.slow),  # zoning and writing
    ],
)
def test_ctrl_c_during_parallel_kernels_in_a_real_process(tmp_path: Path, delay: float) -> None:
    """A real Ctrl-C in the middle of the work: one line, rc 130, never a crash."""
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aplcore",
            "-v",
            "demo",
            "--departement",
            "36",
            "--no-maps",
            "--out",
            str(out),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # the first progress line: the command is running
    assert line, "the demo printed nothing"
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # it finished before the signal: nothing to check
        pytest.skip("the demo ended before the interruption")
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "aplcore demo: error: interrupted; no output was written"
    leftovers = [p.name for p in out.rglob("*")] if out.exists() else []
    assert [n for n in leftovers if not n.startswith(".")] == [], leftovers


def test_an_interruption_waits_while_numba_compiles():

    namespace: dict = {}
    exec(
        compile("import sys\nframe = sys._getframe()", "/site-packages/numba/core/x.py", "exec"),
        namespace,
    )
    assert _inside_compiler(namespace["frame"])
    assert not _inside_compiler(sys._getframe())
