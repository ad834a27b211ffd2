"""The quickstart example runs and prints the figures the README describes."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_quickstart_runs(capsys):
    runpy.run_path(str(EXAMPLES / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "mean APL (standardised population)" in out
    assert "inhabitants under 2.5 consultations:" in out
    assert "lost supply: 0.0" in out
    assert "commune 36044" in out
