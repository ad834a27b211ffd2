"""The crow-fly model's published error: recomputed from the real sources, and said everywhere."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import aplcore
from aplcore import cli
from aplcore.traveltimes.crowfly import crow_fly_error_report, travel_times_crow_fly

REPO = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "crow_fly_error", REPO / "data" / "crow_fly_error.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def published_sentences(report) -> list[str]:
    """The figures as the README, the docs and the docstrings print them."""
    out = []
    for name in ("gironde_metric", "isere_osrm"):
        e = report["sources"][name]["under_20"]
        out.append(f"{e['band_change_share']:.0%}".replace("%", " %"))
        out.append(f"{e['mean_abs_error']:.1f} min")
    return out


def test_committed_error_figures_are_recomputed_from_the_real_sources(shared_raw) -> None:
    report = load_script().measure(shared_raw)
    committed = crow_fly_error_report()
    assert json.loads(json.dumps(report)) == committed
    isere = committed["sources"]["isere_osrm"]["under_20"]
    gironde = committed["sources"]["gironde_metric"]["under_20"]
    # the README figures of the Isère file: 12 275 ordered pairs under 20 minutes
    assert isere["n_pairs"] == 12275
    assert gironde["n_pairs"] == 202
    # the crow-fly default is a poor stand-in in the mountains: said, not hidden
    assert isere["band_change_share"] > gironde["band_change_share"]
    # a model refitted on one area is no better on the other: the default is kept
    assert committed["chosen"] == "default"
    assert {(c["fitted_on"], c["form"]) for c in committed["cross_checks"]} == {
        (area, form) for area in ("gironde_metric", "isere_osrm") for form in ("linear", "power")
    }


def test_crow_fly_metadata_says_it_is_a_stand_in() -> None:
    tt = travel_times_crow_fly(aplcore.load_communes(departement="36"), max_minutes=20)
    stand_in = tt.metadata["stand_in"]
    assert "stand-in" in stand_in["note"]
    assert "road_graph_from_pbf" in stand_in["note"]
    report = crow_fly_error_report()
    assert (
        stand_in["error_under_20_min"]["isere_osrm"] == report["sources"]["isere_osrm"]["under_20"]
    )


@pytest.mark.parametrize(
    "where",
    [
        "README.md",
        "docs/road-times.md",
        "aplcore/traveltimes/crowfly.py",
    ],
)
def test_published_figures_match_the_committed_report(where) -> None:
    text = (REPO / where).read_text("utf-8").replace("\u202f", " ")
    for figure in published_sentences(crow_fly_error_report()):
        assert figure in text, f"{where} does not show {figure!r} from crow_fly_error.json"


def test_run_record_of_a_crow_fly_matrix_states_the_error(tmp_path, capsys) -> None:

    out = tmp_path / "matrix.csv"
    argv = ["matrix", "--departement", "36", "--ring-minutes", "0", "--out", str(out)]
    assert cli.main(argv) == 0, capsys.readouterr()
    record = json.loads((tmp_path / "matrix.run.json").read_text("utf-8"))
    error = record["settings"]["travel_times_error"]
    assert "stand-in" in error["note"]
    assert error["error_under_20_min"] == {
        name: values["under_20"] for name, values in crow_fly_error_report()["sources"].items()
    }
