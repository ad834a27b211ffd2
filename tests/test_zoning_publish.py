"""What an agency publishes: decree annex, table per département, maps, GeoDataFrame."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from aplcore.zoning import classify_zones, format_annex

matplotlib.use("Agg")

CODES = ["45001", "45004", "45006", "45009", "45008"]


@pytest.fixture(scope="module")
def zoning():
    apl = pd.Series([2.0, 2.2, 3.0, 2.5, 5.0], index=CODES)
    pop = pd.Series([100.0, 50.0, 80.0, 40.0, 300.0], index=CODES)
    tvs = pd.Series(["T1", "T1", "T2", "T2", "T3"], index=CODES)
    choices = pd.DataFrame(
        {
            "code": ["45009", "QN04501M"],
            "level": ["commune", "qpv"],
            "zone": ["ZIP", "ZAC"],
            "reason": ["départ de deux médecins", "QPV"],
            "commune": [None, "45008"],
            "population": [None, 20],
        }
    )
    return classify_zones(
        apl,
        population=pop,
        territory=tvs,
        caps={"ZIP": 200, "ZAC": 150},
        overrides=choices,
        commune_override_limit=50,
    )


def test_decree_annex_lists_territories_communes_and_qpv(zoning):
    annex = zoning.decree_annex()
    assert annex[["zone", "level", "code"]].values.tolist() == [
        ["ZIP", "territoire", "T1"],
        ["ZIP", "commune", "45009"],
        ["ZAC", "territoire", "T2"],
        ["ZAC", "QPV", "QN04501M"],
    ]
    t1 = annex.iloc[0]
    assert t1["population"] == 150
    assert t1["commune_list"].startswith("45001 ")  # code then the commune's name
    assert t1["name"]  # the name of its most populated commune by default
    assert annex.iloc[1]["reason"] == "départ de deux médecins"
    assert annex.iloc[2]["commune_list"].split("; ")[0].startswith("45006")  # 45009 is on its own
    text = format_annex(annex, title="Annexe")
    assert "ZIP – zone d'intervention prioritaire" in text
    assert "Commune 45009" in text
    assert "motif : départ de deux médecins" in text


def test_published_table_per_departement(zoning):
    table = zoning.published_table()
    assert table.index.get_level_values("row").tolist() == ["45", "Total", "Rappel : seuils"]
    total = table.xs("Total", level="row").iloc[0]
    assert (total["ZIP"], total["ZAC"], total["HZ"]) == (190, 100, 280)
    assert total["ZIP (%)"] == round(100 * 190 / 570, 2)
    reminder = table.xs("Rappel : seuils", level="row").iloc[0]
    assert (reminder["ZIP"], reminder["ZAC"]) == (200, 150)


def test_map_has_the_furniture_at_print_resolution(zoning, tmp_path):
    path = tmp_path / "zones.png"
    fig = zoning.plot_map(path=path, title="Zonage", source="test", dpi=100)
    assert fig.dpi >= 200
    texts = [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else []
    texts += [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]
    texts = [" ".join(t.split()) for t in texts]
    assert any(t.startswith("ZIP – zone d'intervention prioritaire") for t in texts)
    assert any(t.startswith("HZ – hors zonage") for t in texts)
    assert path.stat().st_size > 10_000
    from PIL import Image

    with Image.open(path) as image:
        assert image.info["dpi"][0] == pytest.approx(200, abs=1)


def test_to_geodataframe(zoning):
    gpd = pytest.importorskip("geopandas")
    frame = zoning.to_geodataframe()
    assert isinstance(frame, gpd.GeoDataFrame)
    assert frame.crs.to_epsg() == 4326
    assert frame.loc["45001", "zone"] == "ZIP"
    assert frame.geometry.notna().all()


def test_classify_command_writes_what_an_agency_publishes(tmp_path, capsys):
    from aplcore.cli import main

    codes = ["45001", "45004", "45006", "45009", "45008", "45010"]
    pd.DataFrame(
        {
            "code": codes,
            "apl": [2.0, 2.2, 3.0, 2.5, 5.0, 4.5],
            "population": [100, 50, 80, 40, 300, 30],
        }
    ).to_csv(tmp_path / "apl.csv", index=False)
    pd.DataFrame({"code": codes, "territory": ["T1", "T1", "T2", "T2", "T3", "T3"]}).to_csv(
        tmp_path / "tvs.csv", index=False
    )
    out = tmp_path / "out"
    argv = ["classify", "--apl", str(tmp_path / "apl.csv"), "--territories"]
    argv += [str(tmp_path / "tvs.csv"), "--out", str(out), "--cap", "ZIP=0.5", "--cap", "ZAC=0.3"]
    assert main(argv) == 0
    capsys.readouterr()
    national = pd.read_csv(out / "zonage_communes.csv", dtype=str)
    assert list(national.columns) == ["com_code", "tvs_code", "zmed_niveau"]
    assert set(national["zmed_niveau"]) == {"1_ZIP", "2_ZAC", "3_HZ"}
    annex = pd.read_csv(out / "decree_annex.csv", dtype=str)
    assert annex["code"].tolist() == ["T1", "T2"]
    assert "ZIP – zone d'intervention prioritaire" in (out / "decree_annex.txt").read_text("utf-8")
    table = pd.read_csv(out / "zoning_table_by_departement.csv", dtype=str)
    assert table["row"].tolist() == ["45", "Total", "Rappel : seuils"]
    report = (out / "zoning_report.csv").read_text("utf-8")
    assert "inf" not in report  # no cap is an empty cell
    from PIL import Image

    with Image.open(out / "zoning_map.png") as image:
        assert image.info["dpi"][0] == pytest.approx(200, abs=1)


def test_classify_run_applies_choices_and_compares_with_the_zoning_in_force(tmp_path, capsys):
    import argparse

    from aplcore.cli.classify import cmd_classify

    codes = ["45001", "45004", "45006", "45009", "45008", "45010"]
    pd.DataFrame(
        {"code": codes, "apl": [2.0, 2.2, 3.0, 2.5, 5.0, 4.5], "population": [100] * 6}
    ).to_csv(tmp_path / "apl.csv", index=False)
    pd.DataFrame({"code": codes, "territory": ["T1", "T1", "T2", "T2", "T3", "T3"]}).to_csv(
        tmp_path / "tvs.csv", index=False
    )
    pd.DataFrame(
        {"code": ["T2"], "level": ["territory"], "zone": ["HZ"], "reason": ["CTS"]}
    ).to_csv(tmp_path / "choices.csv", index=False)
    pd.DataFrame(
        {"com_code": codes, "zmed_niveau": ["1_ZIP"] * 3 + ["2_ZAC"] * 2 + ["4_ZAR"]}
    ).to_csv(tmp_path / "in_force.csv", index=False)
    args = argparse.Namespace(
        apl=tmp_path / "apl.csv",
        territories=tmp_path / "tvs.csv",
        population=None,
        territory_column=None,
        method="zonage_2025",
        thresholds=None,
        cap=["ZIP=0.5", "ZAC=0.3"],
        margin=None,
        out=tmp_path / "out",
        overwrite=False,
        choices=tmp_path / "choices.csv",
        in_force=tmp_path / "in_force.csv",
        date_arrete="05/01/2026",
        strict=False,
    )
    assert cmd_classify(args) == 0
    assert "in force → recomputed: 4 of 6 communes change level" in capsys.readouterr().out
    out = tmp_path / "out"
    communes = pd.read_csv(out / "zoning_communes.csv", dtype=str).set_index("code")
    assert communes.loc["45006", ["zone", "override"]].tolist() == ["HZ", "CTS"]
    national = pd.read_csv(out / "zonage_communes.csv", dtype=str)
    assert set(national["zmed_date_arrete"]) == {"05/01/2026"}
    changes = pd.read_csv(out / "comparison_departements.csv", dtype=str)
    assert changes["communes_changed"].tolist() == ["4"]
    assert (out / "comparison_map.png").stat().st_size > 10_000
