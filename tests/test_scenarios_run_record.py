"""``aplcore scenarios run`` records how its outputs were made in ``run.json``, like the others."""

from __future__ import annotations

import json

import pandas as pd
from test_scenarios import small_case

from aplcore.cli import main
from aplcore.runinfo import read_run_record

SPEC = """
[baseline]
times = "od.csv"
population = "pop.csv"
practitioners = "gps.csv"
closed = "literal"
max_age = 0

[zoning]
territories = "tvs.csv"
thresholds = [2.0, 3.5]

[grid]
max_age = [60, 65]

[run]
block_size = 2
threshold = 2.5
"""


def test_scenarios_run_writes_run_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("APLCORE_PROGRESS", "0")
    tt, pop, gps, territory, _, _ = small_case(seed=4)
    tt.to_frame().to_csv(tmp_path / "od.csv", index=False)
    pd.DataFrame({"code": pop.index, "population": pop.sum(axis=1).to_numpy()}).to_csv(
        tmp_path / "pop.csv", index=False
    )
    gps.to_csv(tmp_path / "gps.csv", index=False)
    pd.DataFrame({"code": territory.index, "territory": territory.to_numpy()}).to_csv(
        tmp_path / "tvs.csv", index=False
    )
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    out = tmp_path / "run"
    code = main(["scenarios", "run", str(tmp_path / "spec.toml"), "--out", str(out), "--no-maps"])
    assert code == 0, capsys.readouterr().err
    record = read_run_record(out)
    assert record is not None
    assert record["command"] == "scenarios run"
    assert record["command_line"].startswith("aplcore scenarios run ")
    settings = record["settings"]
    assert settings["decay"] == "drees_gp"
    assert settings["closed"] == "literal"
    assert settings["max_age"] is None
    assert settings["scenarios"] == 2
    assert settings["zoning"]["thresholds"] == [2.0, 3.5]
    assert record["data"]["times"].endswith("od.csv")
    assert record["data"]["territories"].endswith("tvs.csv")
    assert {"spec.toml", "report"} <= set(record["outputs"])
    assert "run.json" not in record["outputs"]
    assert "aplcore" in record["versions"]
    json.dumps(record)  # plain JSON all through
