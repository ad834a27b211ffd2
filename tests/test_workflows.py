"""Study areas with their neighbour ring, the demo pipeline's typed result, run records."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore import datasets
from aplcore.area import check_edge_effects, required_ring_minutes
from aplcore.errors import EdgeEffectWarning, ParameterError
from aplcore.runinfo import read_run_record, run_record, write_run_record
from aplcore.workflows import DemoResult, run_demo


def test_study_area_adds_the_ring_of_neighbours():
    area = aplcore.study_area(departement="90")
    core = datasets.load_communes(departement="90", dropna=True).index
    assert area.ring_minutes == 40.0 == required_ring_minutes("drees_gp")
    assert list(area.core) == list(core)
    assert area.core.isin(area.communes.index).all()
    ring = area.ring
    assert len(ring) > 0
    assert not ring.isin(core).any()
    # the neighbours are those of the surrounding départements (Doubs, Haute-Saône, Haut-Rhin)
    assert set(area.communes.loc[ring, "departement"]) <= {"25", "68", "70", "88"}
    assert "département 90 Territoire de Belfort" in repr(area)
    # a wider ring holds the narrower one; no ring is the area alone
    wider = aplcore.study_area(departement="90", ring_minutes=60)
    assert ring.isin(wider.communes.index).all()
    alone = aplcore.study_area(departement="90", ring_minutes=0)
    assert list(alone.communes.index) == list(core)


def test_study_area_says_which_communes_it_left_out():
    area = aplcore.study_area(departement="15", ring_minutes=0)
    assert area.notes == (
        "4 communes without a population or a point were left out "
        "('15031', '15035', '15047', '15171').",
    )
    france = aplcore.study_area(france=True)
    assert repr(france) == f"StudyArea(France: {len(france.core)} communes, no border)"
    assert len(france.ring) == 0


def test_study_area_ring_follows_the_decay():
    area = aplcore.study_area(departement="90", decay="drees_2010")
    assert area.ring_minutes == 30.0  # twice the 15-minute catchment


def test_study_area_errors():
    with pytest.raises(ParameterError, match="give exactly one area"):
        aplcore.study_area()
    with pytest.raises(ParameterError, match="give exactly one area"):
        aplcore.study_area(region="24", departement="36")
    with pytest.raises(ParameterError, match="ring_minutes must be a non-negative"):
        aplcore.study_area(departement="90", ring_minutes=-5)


def test_edge_effect_warning_from_the_travel_times_metadata():
    cut = aplcore.study_area(departement="90", ring_minutes=0).metadata()
    with pytest.warns(EdgeEffectWarning, match="with a ring of 0 min of neighbours"):
        assert check_edge_effects(cut)
    ringed = aplcore.study_area(departement="90").metadata()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not check_edge_effects(ringed)
        assert not check_edge_effects({})  # the user's own O-D table: nothing known
        assert not check_edge_effects({"study_area": {"ring_minutes": "all"}})
    # a 40-minute ring is not enough for a decay with a 30-minute catchment
    with pytest.warns(EdgeEffectWarning, match="Use a ring of 60 min"):
        check_edge_effects(ringed, decay=aplcore.linear_decay(30))


@pytest.fixture(scope="module")
def belfort() -> DemoResult:
    return run_demo(aplcore.study_area(departement="90"))


def test_run_demo_returns_a_typed_result(belfort):
    result = belfort
    assert isinstance(result, DemoResult)
    table = result.table
    assert list(table.index) == list(result.area.core)
    assert np.isfinite(table["apl"]).all()
    assert set(table["zone"]) <= {"ZIP", "ZAC", "HZ"}
    assert result.summary.loc["total", "population"] == table["population"].sum()
    assert result.settings["decay"] == "drees_gp"
    assert result.settings["closed"] == "left"
    assert not result.standardised
    assert result.unit == "consultations per year per inhabitant"
    assert result.travel_times.metadata["study_area"]["ring_minutes"] == 40.0
    assert "DemoResult(département 90" in repr(result)


def test_the_ring_gives_border_communes_their_values_of_a_wider_computation():
    from aplcore.workflows import travel_times

    def apl_of(area):
        population = area.communes["population"].astype("float64")
        supply = (population / 1000.0).round()  # the same GPs whatever the area
        tt = travel_times(area.communes, max_minutes=30.0)
        result = aplcore.compute_apl(tt, demand=population, supply=supply, decay="drees_gp")
        return result.apl.reindex(area.core)

    ringed = apl_of(aplcore.study_area(departement="90"))
    wider = apl_of(aplcore.study_area(departement="90", ring_minutes=90))
    with pytest.warns(EdgeEffectWarning, match="with a ring of 0 min"):  # compute_apl warns
        alone = apl_of(aplcore.study_area(departement="90", ring_minutes=0))
    np.testing.assert_allclose(ringed, wider, rtol=1e-12)
    assert not np.allclose(alone, wider, rtol=1e-3)  # cut at its border, the area is biased


def test_demo_figures_say_what_the_numbers_are(belfort):
    figures = belfort.figures(dpi=30, date=None)
    legend = figures["apl_map"].legends[0].get_title().get_text().replace("\n", " ")
    assert legend == "consultations per year per inhabitant"  # demand not standardised
    title = figures["zoning_map"].axes[0].get_title()
    assert title.startswith("GP zoning, 2025 method, département 90 Territoire de Belfort")
    assert "zonage_2025" not in title
    labels = [t.get_text() for t in figures["zoning_map"].legends[0].get_texts()]
    assert any(label.startswith("ZAC – zone d'action complémentaire") for label in labels)


def test_run_record_round_trip(tmp_path):
    record = run_record(
        "compute",
        settings={"decay": "drees_gp", "max_age": None, "ring": float("inf")},
        outputs=[tmp_path / "apl.csv"],
        argv=["aplcore", "compute", "--max-age", "none"],
    )
    path = write_run_record(tmp_path, record)
    assert path.name == "run.json"
    again = read_run_record(tmp_path)
    assert again == json.loads(path.read_text(encoding="utf-8"))
    assert again["settings"] == {"decay": "drees_gp", "max_age": None, "ring": None}
    assert again["command_line"] == "aplcore compute --max-age none"
    assert again["outputs"] == ["apl.csv"]
    assert {"aplcore", "numpy", "pandas"} <= set(again["versions"])
    assert read_run_record(tmp_path / "nowhere") is None


def test_summarise_weights_the_mean_by_demand():
    table = pd.DataFrame(
        {
            "departement": ["36", "36", "18"],
            "population": [100.0, 300.0, 50.0],
            "demand": [100.0, 300.0, 50.0],
            "apl": [1.0, 3.0, 5.0],
        },
        index=pd.Index(["36001", "36002", "18001"], name="code"),
    )
    summary = aplcore.workflows.summarise(table)
    assert summary.loc["36", "apl_mean"] == pytest.approx(2.5, rel=1e-12)
    assert summary.loc["total", "population_apl_under_2.5"] == 100.0


# --------------------------------------------------------------------------------------------
# published APL → zoning

WORKBOOK = "drees_apl_mg_2022_2023/apl_generalistes_extrait_centre_val_de_loire.xlsx"


def published_table() -> pd.DataFrame:
    """Four communes of Eure-et-Loir as a table, two of them merged into 28319 in 2025."""
    return pd.DataFrame(
        {
            "code": ["28025", "28276", "28319", "28001"],
            "apl_65": [2.0, 4.0, 3.0, 5.0],
            "apl": [2.5, 4.5, 3.5, 5.5],
            "pop_total": [100.0, 300.0, 600.0, 1000.0],
            "pop_std": [100.0, 100.0, 200.0, 900.0],
        }
    )


def test_merged_communes_take_their_new_code():
    from aplcore.workflows import merge_updated_codes, read_published_apl

    table = read_published_apl(published_table(), column="apl_65")
    merged, changes = merge_updated_codes(table, to=2025)
    assert dict(changes["updated"]) == {"28025": "28319", "28276": "28319"}
    assert list(merged.index) == ["28001", "28319"]
    assert merged.loc["28319", "population"] == 1000.0
    assert merged.loc["28319", "standardised"] == 400.0
    # APL weighted by the standardised population: (2×100 + 4×100 + 3×200) / 400
    assert merged.loc["28319", "apl"] == pytest.approx(3.0, rel=1e-15)
    same, none = merge_updated_codes(table, to=2024)  # not merged yet in 2024
    assert none.empty
    assert list(same.index) == list(table.index)


def test_zoning_from_a_table_needs_the_column_chosen():
    from aplcore.errors import InputFormatError
    from aplcore.workflows import zoning_from_workbook

    result = zoning_from_workbook(published_table(), column="apl_65", territories="commune")
    assert list(result.communes.index) == ["28001", "28319"]
    assert result.communes.loc["28319", "apl"] == pytest.approx(3.0, rel=1e-15)
    assert set(result.communes["zone"]) <= {"ZIP", "ZAC", "HZ"}
    assert result.settings["column"] == "apl_65"
    assert result.settings["codes_to"] == 2025
    assert any("2 communes of the source were merged" in note for note in result.notes)
    with pytest.raises(InputFormatError, match=r"has no column 'apl_75'.*Choose the APL column"):
        zoning_from_workbook(published_table(), column="apl_75")
    with pytest.raises(TypeError):
        zoning_from_workbook(published_table())  # no silent default column


def test_workbook_to_zoning_centre_val_de_loire(shared_raw):
    pytest.importorskip("openpyxl")
    from aplcore.workflows import zoning_from_workbook

    result = zoning_from_workbook(
        shared_raw / WORKBOOK,
        column="apl_65",
        caps={"ZIP": 1_834_765, "ZAC": 548_114, "HZ": 190_424},
        margin=2_346,
    )
    communes = result.communes
    # 1 756 communes in the sheet; 28025 and 28276 merged into 28319 on 1 January 2025
    assert len(communes) == 1754
    assert "28319" in communes.index
    assert not communes.index.isin(["28025", "28276"]).any()
    # the regional population the ministry's 2025 caps are shares of
    assert communes["population"].sum() == 2_573_303
    assert communes["territory"].notna().all()
    assert result.settings["population_year"] == 2021
    assert set(result.zoning.communes["zone"]) == {"ZIP", "ZAC", "HZ"}
    with pytest.raises(aplcore.errors.ParameterError, match="column must be one of apl, apl_65"):
        zoning_from_workbook(shared_raw / WORKBOOK, column="APL aux médecins généralistes")
