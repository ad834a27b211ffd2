"""APL computed through the API on an area cut at its border warns of edge effects.

Travel times built from ``load_communes(departement=...)`` carry the area (without a ring) in
their metadata; :func:`aplcore.compute_apl` and :func:`aplcore.prepare` check it with the same
function the command line uses (:func:`aplcore.area.check_edge_effects`).
"""

from __future__ import annotations

import runpy
import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_readme import README, python_blocks

import aplcore
from aplcore.errors import EdgeEffectWarning
from aplcore.traveltimes import TravelTimes

ROOT = Path(__file__).resolve().parents[1]


def inputs(communes: pd.DataFrame) -> tuple[TravelTimes, pd.Series, pd.Series]:
    tt = aplcore.travel_times_crow_fly(communes, max_minutes=30)
    supply = aplcore.count_gp_activity(aplcore.synthetic_practitioners(communes, seed=0))
    return tt, communes["population"], supply


@pytest.fixture(scope="module")
def indre_alone() -> tuple[TravelTimes, pd.Series, pd.Series]:
    return inputs(aplcore.load_communes(departement="36"))


def test_travel_times_of_a_departement_say_it_has_no_ring(indre_alone) -> None:
    tt, _, _ = indre_alone
    assert tt.metadata["study_area"] == {"label": "département 36 Indre", "ring_minutes": 0.0}
    assert "study_area" not in aplcore.load_communes(france=True).attrs


def test_compute_apl_on_a_departement_alone_warns_once_with_the_fix(indre_alone) -> None:
    tt, population, supply = indre_alone
    with pytest.warns(EdgeEffectWarning) as record:
        aplcore.compute_apl(tt, demand=population, supply=supply)
    edge = [w for w in record if issubclass(w.category, EdgeEffectWarning)]
    assert len(edge) == 1
    message = str(edge[0].message)
    assert "département 36 Indre with a ring of 0 min" in message
    assert "aplcore.study_area(..., ring_minutes=40).communes" in message
    assert edge[0].filename == __file__  # points at the user's line


@pytest.mark.parametrize("method", ["2sfca", "3sfca"])
def test_prepare_and_other_methods_warn_once(indre_alone, method: str) -> None:
    tt, population, supply = indre_alone
    with pytest.warns(EdgeEffectWarning) as record:
        aplcore.compute_apl(tt, demand=population, supply=supply, method=method)
    assert [w.filename for w in record if w.category is EdgeEffectWarning] == [__file__]
    with pytest.warns(EdgeEffectWarning) as record:
        aplcore.prepare(tt)
    assert [w.filename for w in record if w.category is EdgeEffectWarning] == [__file__]


def test_a_study_area_with_its_ring_gives_no_warning() -> None:
    area = aplcore.study_area(departement="90")
    tt, population, supply = inputs(area.communes)
    assert tt.metadata["study_area"]["ring_minutes"] == 40.0
    assert tt.metadata["study_area"]["n_core"] == len(area.core)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EdgeEffectWarning)
        aplcore.compute_apl(tt, demand=population, supply=supply)
    narrow = aplcore.study_area(departement="90", ring_minutes=10)
    tt, population, supply = inputs(narrow.communes)
    with pytest.warns(EdgeEffectWarning, match="with a ring of 10 min"):
        aplcore.compute_apl(tt, demand=population, supply=supply)


def test_own_travel_times_give_no_warning() -> None:
    od = pd.DataFrame(
        {"origin": ["36044", "36088"], "destination": ["36088", "36044"], "minutes": [12.0, 12.0]}
    )
    columns = {"origin": "origin", "destination": "destination", "minutes": "minutes"}
    tt = TravelTimes.from_frame(od, **columns, intra_minutes=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EdgeEffectWarning)
        aplcore.compute_apl(
            tt,
            demand=pd.Series({"36044": 1000.0, "36088": 500.0}),
            supply=pd.Series({"36044": 3000.0}),
        )


def test_readme_quickstart_and_example_show_the_ring(tmp_path, monkeypatch, capsys) -> None:
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    _, quickstart = python_blocks(README.read_text(encoding="utf-8"))[0]
    assert "aplcore.study_area(" in quickstart
    with warnings.catch_warnings():
        warnings.simplefilter("error", EdgeEffectWarning)
        exec(compile(quickstart, "README quickstart", "exec"), {"__name__": "__readme__"})
        runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    assert "commune 36044" in capsys.readouterr().out


def test_the_demo_warns_once(tmp_path, capsys, monkeypatch) -> None:
    from aplcore.cli import main

    monkeypatch.setenv("APLCORE_PROGRESS", "0")
    argv = ["demo", "--departement", "90", "--out", str(tmp_path), "--no-maps"]
    assert main([*argv, "--ring-minutes", "0"]) == 0
    err = capsys.readouterr().err
    assert err.count("with a ring of 0 min of neighbours") == 1, err


def test_road_travel_times_carry_the_area_too() -> None:
    import networkx as nx

    from aplcore.traveltimes.roads import travel_times_from_graph

    points = aplcore.load_communes(departement="90").head(3)[["lon", "lat"]].reset_index()
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in enumerate(zip(points["lon"], points["lat"], strict=True)):
        graph.add_node(node, x=x, y=y)
    for a in range(3):
        for b in range(3):
            if a != b:
                graph.add_edge(a, b, length=1000.0, travel_time=120.0)
    tt = travel_times_from_graph(graph, points, max_minutes=30)
    assert tt.metadata["study_area"]["ring_minutes"] == 0.0
    supply = pd.Series(1000.0, index=tt.codes)
    with pytest.warns(EdgeEffectWarning, match="Territoire de Belfort with a ring of 0 min"):
        aplcore.compute_apl(tt, demand=supply, supply=supply)
