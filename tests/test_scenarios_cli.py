"""``aplcore scenarios run`` / ``report``: a TOML spec end to end, and its validation errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_scenarios import small_case

import aplcore
from aplcore.cli import main
from aplcore.errors import ParameterError
from aplcore.scenarios import ScenarioRun
from aplcore.scenarios.spec import load_spec


@pytest.fixture
def files(tmp_path):
    tt, pop, gps, territory, _, _ = small_case(seed=4)
    tt.to_frame().to_csv(tmp_path / "od.csv", index=False)
    pd.DataFrame({"code": pop.index, "population": pop.sum(axis=1).to_numpy()}).to_csv(
        tmp_path / "pop.csv", index=False
    )
    gps.to_csv(tmp_path / "gps.csv", index=False)
    pd.DataFrame({"code": territory.index, "territory": territory.to_numpy()}).to_csv(
        tmp_path / "tvs.csv", index=False
    )
    return tmp_path


SPEC = """
[baseline]
times = "od.csv"
population = "pop.csv"
practitioners = "gps.csv"
max_age = 65

[zoning]
territories = "tvs.csv"
thresholds = [2.0, 3.5]
caps = { ZIP = 0.4, ZAC = 0.4 }
cap_unit = "share"

[monte_carlo]
draws = 6
seed = 3
activity_cv = 0.15

[grid]
closed = ["left", "right"]
max_age = [60, 65]

[[scenario]]
name = "retirements in 5 years"
retire_age = 67
years = 5

[run]
block_size = 4
threshold = 2.5
"""


def test_run_and_report(files, capsys):
    (files / "spec.toml").write_text(SPEC)
    out = files / "run"
    code = main(["scenarios", "run", str(files / "spec.toml"), "--out", str(out), "--no-maps"])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "11 scenarios of 24 communes" in printed
    assert "keep their zone" in printed
    run = ScenarioRun.open(out)
    assert run.names[:2] == ["draw_00000", "draw_00001"]
    assert run.names[-1] == "retirements in 5 years"
    communes = pd.read_csv(out / "report" / "communes.csv", dtype={"code": str})
    assert {"baseline", "mean", "q0.05", "q0.95", "p_under_2.5"} <= set(communes.columns)
    np.testing.assert_allclose(communes["mean"], run.summary()["mean"].to_numpy())
    territories = pd.read_csv(out / "report" / "territories.csv")
    assert len(territories) == 5
    summary = json.loads((out / "report" / "summary.json").read_text())
    assert summary["scenarios"] == 11
    assert (out / "spec.toml").read_text() == SPEC
    report = files / "again"
    assert main(["scenarios", "report", str(out), "--out", str(report), "--no-maps"]) == 0
    again = pd.read_csv(report / "communes.csv", dtype={"code": str})
    pd.testing.assert_frame_equal(again, communes)
    # a second run into the same folder needs --overwrite
    assert main(["scenarios", "run", str(files / "spec.toml"), "--out", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("draws = 6", 'draws = "six"'), r"\[monte_carlo\] draws: expected a positive whole"),
        (("seed = 3", "seed = 3\ncv = 1"), r"unknown keys \['cv'\]"),
        (('times = "od.csv"', 'times = "missing.csv"'), "file not found"),
        (('closed = ["left", "right"]', 'closed = ["up"]'), r"\[grid\] closed"),
        (("retire_age = 67", "retire_age = -1"), "retire"),
        (("[run]", "[runs]"), r"unknown tables \['runs'\]"),
        (("[run]", '[run]\nstore = "hdf5"'), r"\[run\] store: expected one of"),
        (("max_age = [60, 65]", 'decay = ["exponential:x"]'), r"\[grid\] decay: 'exponential:x'"),
        (('practitioners = "gps.csv"', ""), "practitioners = FILE or supply = FILE"),
        (("max_age = 65", "max_age = 65\nmax_age = 60"), "not a valid TOML"),
    ],
)
def test_spec_errors_are_clear(files, edit, message):
    (files / "spec.toml").write_text(SPEC.replace(*edit))
    with pytest.raises(ValueError, match=message) as info:
        load_spec(files / "spec.toml")
    assert str(info.value).startswith("spec.toml")


def test_cli_error_is_one_line(files, capsys):
    (files / "spec.toml").write_text(SPEC.replace("draws = 6", "draws = 0"))
    code = main(["scenarios", "run", str(files / "spec.toml"), "--out", str(files / "o")])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert "draws" in err
    assert len(err.splitlines()) == 1
    assert not (files / "o").exists()


def test_report_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["scenarios", "report", str(tmp_path)]) == 1
    assert "not a scenario run folder" in capsys.readouterr().err


def test_decay_parameter_grid(files):
    spec = SPEC.replace("max_age = [60, 65]", 'decay = ["drees_gp", "exponential:0.1,30"]')
    (files / "spec.toml").write_text(spec)
    loaded = load_spec(files / "spec.toml")
    decays = {s.one("decay").decay for s in loaded.scenarios if s.one("decay") is not None}
    assert aplcore.exponential_decay(0.1, 30) in decays


def test_spec_scenarios(files):
    (files / "spec.toml").write_text(SPEC)
    spec = load_spec(files / "spec.toml")
    assert len(spec.scenarios) == 6 + 4 + 1
    assert spec.block_size == 4
    (files / "s2.toml").write_text("[baseline]\n")
    with pytest.raises(ParameterError, match=r"\[baseline\] times: required"):
        load_spec(files / "s2.toml")


def test_run_on_a_dask_scheduler(files):
    distributed = pytest.importorskip("distributed")
    (files / "spec.toml").write_text(SPEC)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        argv = ["scenarios", "run", str(files / "spec.toml"), "--no-maps"]
        assert (
            main([*argv, "--out", str(files / "dask"), "--scheduler", cluster.scheduler_address])
            == 0
        )
    assert main([*argv, "--out", str(files / "local")]) == 0
    remote, local = ScenarioRun.open(files / "dask"), ScenarioRun.open(files / "local")
    pd.testing.assert_frame_equal(remote.summary(), local.summary())
    np.testing.assert_array_equal(remote.zones, local.zones)


@pytest.mark.slow  # the client retries until its 30-second timeout
def test_unreachable_scheduler(files, capsys):
    (files / "spec.toml").write_text(SPEC)
    argv = ["scenarios", "run", str(files / "spec.toml"), "--out", str(files / "x")]
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:9"]) == 1
    assert "Dask scheduler" in capsys.readouterr().err


def test_a_study_area_matrix_reports_its_core(files, capsys):
    """A saved matrix of a study area names its core: the run reports and zones it alone."""
    import dataclasses

    from aplcore.traveltimes.store import save_travel_times

    tt = small_case(seed=4)[0]
    core = [str(c) for c in tt.codes[:12]]
    area = {"label": "test area", "ring_minutes": 40.0, "n_core": 12, "n_ring": 12, "core": core}
    tt = dataclasses.replace(tt, metadata={**tt.metadata, "study_area": area})
    save_travel_times(tt, files / "matrix.parquet")
    (files / "spec.toml").write_text(SPEC.replace('times = "od.csv"', 'times = "matrix.parquet"'))
    out = files / "run"
    code = main(["scenarios", "run", str(files / "spec.toml"), "--out", str(out), "--no-maps"])
    assert code == 0, capsys.readouterr().err
    run = ScenarioRun.open(out)
    assert sorted(run.codes) == sorted(core)
    assert len(pd.read_csv(out / "report" / "communes.csv")) == len(core)
    territories = pd.read_csv(files / "tvs.csv", dtype={"code": str}).set_index("code")
    assert set(run.territories) == set(territories.loc[core, "territory"].astype(str))
