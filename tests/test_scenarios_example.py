"""The example ``examples/scenarios_centre_val_de_loire.py`` runs (few draws, no maps)."""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import pandas as pd

import aplcore
from aplcore.errors import EdgeEffectWarning

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "scenarios_centre_val_de_loire.py"


def load_example():
    spec = importlib.util.spec_from_file_location("scenarios_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_runs(tmp_path, capsys):
    """On the région and its ring (no edge-effect warning), zoning the région alone."""
    example = load_example()
    with warnings.catch_warnings():
        warnings.simplefilter("error", EdgeEffectWarning)
        assert example.main(["--draws", "30", "--out", str(tmp_path / "cvl"), "--no-maps"]) == 0
    printed = capsys.readouterr().out
    assert "communes of its 40-min ring" in printed
    region = aplcore.load_communes(region="24").dropna(subset=["population", "lon", "lat"])
    apl = pd.read_csv(tmp_path / "cvl" / "report" / "communes.csv", dtype={"code": str})
    assert set(apl["code"]) == set(region.index)
    assert "30 draws of synthetic GP activity" in printed
    assert "EPCI stand-in" in printed
    summary = json.loads((tmp_path / "cvl" / "report" / "summary.json").read_text())
    assert summary["scenarios"] == 30
    territories = pd.read_csv(tmp_path / "cvl" / "report" / "territories.csv")
    assert set(territories["baseline_zone"]) <= {"ZIP", "ZAC", "HZ"}
    assert territories["p_same"].between(0, 1).all()
