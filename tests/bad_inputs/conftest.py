"""Fixtures of the bad-input catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_inputs.cli_cases import Inputs, make_inputs


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Inputs:
    """Clean input files of every command (spoiled by each case)."""
    monkeypatch.setenv("APLCORE_PROGRESS", "0")
    return make_inputs(tmp_path)
