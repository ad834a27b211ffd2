"""The Centre-Val de Loire example runs on the real APL 2023 extract and keeps every cap."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "zoning_centre_val_de_loire.py"


def load_example():
    spec = importlib.util.spec_from_file_location("zoning_cvl_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("stand_in", ["arrondissement", "postcode"])
def test_example_on_the_real_extract(shared_raw, tmp_path, capsys, monkeypatch, stand_in):
    pytest.importorskip("openpyxl")
    monkeypatch.setenv("APLCORE_SHARED_DIR", str(shared_raw.parent.parent))
    example = load_example()
    maps = [] if stand_in == "arrondissement" else ["--no-maps"]  # maps drawn once
    assert example.main(["--out", str(tmp_path), "--stand-in", stand_in, *maps]) == 0
    text = capsys.readouterr().out
    assert f"STAND-IN territories: {stand_in}" in text
    # both TVS weightings, and the zoning in force compared with the recomputed one
    assert "population (APL 2023 workbook note)" in text
    assert "zoning in force (zonage_medecins_par_commune.csv) → recomputed 2025 zoning" in text
    annex = pd.read_csv(tmp_path / "decree_annex.csv", dtype=str)
    assert set(annex["zone"]) == {"ZIP", "ZAC"}
    assert (tmp_path / "decree_annex.txt").read_text("utf-8").startswith("Annexe")
    changes = pd.read_csv(tmp_path / "comparison_departements.csv", dtype={"departement": str})
    assert changes["communes"].sum() == 1751  # the communes of both zonings
    if not maps:
        from PIL import Image

        for name in ("zoning_map.png", "comparison_map.png"):
            with Image.open(tmp_path / name) as image:
                assert image.info["dpi"][0] == pytest.approx(200, abs=1)
    report = pd.read_csv(tmp_path / "zoning_report.csv", dtype={"departement": str})
    total = report[report["departement"] == "total"].iloc[0]
    assert total["population"] == 2_573_303
    assert total["ZIP"] + total["ZAC"] + total["HZ"] == 2_573_303
    assert total["ZIP"] <= 1_834_765  # the margin lies inside the ZIP cap
    assert total["ZIP"] + total["ZAC"] <= 1_834_765 + 548_114
    assert bool(total["met"])
    communes = pd.read_csv(tmp_path / "zonage_communes.csv", dtype=str)
    assert list(communes.columns) == ["com_code", "tvs_code", "zmed_niveau"]
    assert len(communes) == 1756
    assert set(communes["zmed_niveau"]) <= {"1_ZIP", "2_ZAC", "3_HZ"}


def test_example_accepts_the_official_table(shared_raw, tmp_path, capsys, monkeypatch):
    pytest.importorskip("openpyxl")
    monkeypatch.setenv("APLCORE_SHARED_DIR", str(shared_raw.parent.parent))
    example = load_example()
    from aplcore.io.drees import read_drees_apl

    codes = read_drees_apl(shared_raw / example.EXTRACT).index
    # a made-up "official" table: one TVS per département, in the national file's columns
    pd.DataFrame({"com_code": codes, "tvs_code": [f"TVS{c[:2]}" for c in codes]}).to_csv(
        tmp_path / "tvs.csv", index=False
    )
    assert example.main(["--territories", str(tmp_path / "tvs.csv")]) == 0
    text = capsys.readouterr().out
    assert "official commune -> TVS table tvs.csv; 6 territories" in text
    assert "STAND-IN" not in text
