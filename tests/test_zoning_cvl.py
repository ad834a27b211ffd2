"""Centre-Val de Loire 2025: a synthetic territory table built to the region's official caps.

Caps (spec §6): ZIP 1 834 765, ZAC 548 114, HZ 190 424 of 2 573 303 inhabitants, margin 2 346 for
ZIP. The fixture's territories are made so that the 2025 preset must give exactly the published
table by département of attribution; every figure is checked to the inhabitant.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.zoning import classify_zones, get_method

CAPS = {"ZIP": 1_834_765, "ZAC": 548_114, "HZ": 190_424}
MARGIN = 2_346
TOTAL = 2_573_303

# département: (population, ZIP, ZAC, HZ) of the published table
PUBLISHED = {
    "18": (304_871, 287_559, 17_312, 0),
    "28": (436_923, 394_610, 42_313, 0),
    "36": (212_661, 195_965, 16_696, 0),
    "37": (610_405, 58_602, 361_379, 190_424),
    "41": (312_429, 279_282, 33_147, 0),
    "45": (696_014, 618_744, 77_270, 0),
}

# Territories: (code, département of attribution, population, territory APL). ZIP ones lie under
# 2.6; the lowest ZAC one (APL 2.6 <= 2.71, 17 312 inhabitants) is ZIP-eligible but does not fit
# under the ZIP cap + margin, which closes ZIP; the ZAC ones then fill ZIP + ZAC exactly to
# 1 834 765 + 548 114; "37H1" (APL 3.9 <= 3.98) is ZAC-eligible but does not fit.
TERRITORIES = [
    ("18Z1", "18", 200_000, 1.80),
    ("18Z2", "18", 87_559, 2.30),
    ("18C1", "18", 17_312, 2.60),
    ("28Z1", "28", 394_610, 2.10),
    ("28C1", "28", 42_313, 3.10),
    ("36Z1", "36", 195_965, 1.60),
    ("36C1", "36", 16_696, 3.50),
    ("37Z1", "37", 58_602, 2.45),
    ("37C1", "37", 300_000, 3.30),
    ("37C2", "37", 61_379, 3.70),
    ("37H1", "37", 90_424, 3.90),
    ("37H2", "37", 100_000, 4.60),
    ("41Z1", "41", 279_282, 2.20),  # spans 41 and 37: attributed to 41 (larger population)
    ("41C1", "41", 33_147, 3.20),
    ("45Z1", "45", 318_744, 1.95),
    ("45Z2", "45", 300_000, 2.50),
    ("45C1", "45", 77_270, 2.90),
]


def cvl_communes() -> tuple[pd.Series, pd.Series, pd.Series]:
    """APL, population and territory per commune: 3 communes per territory."""
    rows = []
    counters: dict[str, int] = {}
    for code, dep, pop, apl in TERRITORIES:
        # three communes whose population-weighted APL is exactly the territory APL
        parts = [pop // 2, pop // 3, pop - pop // 2 - pop // 3]
        deltas = [0.30, -0.20]
        last = -(parts[0] * deltas[0] + parts[1] * deltas[1]) / parts[2]
        deltas.append(last)
        deps = [dep, dep, "37" if code == "41Z1" else dep]
        for part, delta, d in zip(parts, deltas, deps, strict=True):
            counters[d] = counters.get(d, 0) + 1
            rows.append((f"{d}{counters[d]:03d}", code, part, apl + delta))
    frame = pd.DataFrame(rows, columns=["code", "territory", "population", "apl"]).set_index("code")
    return frame["apl"], frame["population"], frame["territory"]


@pytest.fixture(scope="module")
def cvl_zoning() -> aplcore.Zoning:
    apl, pop, tvs = cvl_communes()
    return classify_zones(
        apl,
        population=pop,
        territory=tvs,
        method="zonage_2025",
        thresholds=(2.71, 3.98),
        caps=CAPS,
        margin=MARGIN,
    )


def test_fixture_population_is_the_region():
    _, pop, _ = cvl_communes()
    assert pop.sum() == TOTAL
    assert sum(CAPS.values()) == TOTAL


def test_published_table_to_the_inhabitant(cvl_zoning):
    report = cvl_zoning.report.set_index("departement")
    for dep, (population, zip_, zac, hz) in PUBLISHED.items():
        row = report.loc[dep]
        assert (row["population"], row["ZIP"], row["ZAC"], row["HZ"]) == (
            population,
            zip_,
            zac,
            hz,
        ), dep
    total = report.loc["total"]
    assert (total["population"], total["ZIP"], total["ZAC"], total["HZ"]) == (
        2_573_303,
        1_834_762,
        548_117,
        190_424,
    )
    assert total["ZIP_share"] == pytest.approx(1_834_762 / TOTAL, abs=0)
    assert total["HZ_share"] * 100 == pytest.approx(7.4, abs=0.05)


def test_caps_margin_and_met(cvl_zoning):
    total = cvl_zoning.report.set_index("departement").loc["total"]
    assert (total["ZIP_cap"], total["ZAC_cap"], total["HZ_cap"]) == (1_834_765, 548_114, 190_424)
    # by how much: ZIP 3 under its cap, ZAC 3 over (room ZIP left), HZ exactly at its floor
    assert (total["ZIP_gap"], total["ZAC_gap"], total["HZ_gap"]) == (-3, 3, 0)
    assert total["margin"] == MARGIN
    # Guide zonage médecins Centre-Val de Loire 2025, "Les seuils populationnels": "*ZIP : en
    # tenant compte de la marge de 2 346 habitants pouvant être classés en ZIP", with ZIP at
    # "71,30 %" both in the result and in the "seuils fixés par la DGOS" (1 834 765). Default
    # reading: the margin lies inside the ZIP cap, so ZIP never exceeds the published 71.3 %;
    # the last 2 346 inhabitants of the cap are the margin, 2 343 of them used.
    assert total["margin_used"] == 1_834_762 - (1_834_765 - MARGIN) == 2_343
    assert bool(total["met"])
    checks = cvl_zoning.checks.set_index("constraint")
    assert checks.loc["ZIP", "limit"] == 1_834_765
    assert checks.loc["ZIP", "used"] == 1_834_762
    # cumulative rule: unused ZIP room (3 inhabitants) passes to ZAC
    assert checks.loc["ZIP+ZAC", "used"] == checks.loc["ZIP+ZAC", "limit"] == 2_382_879
    assert checks.loc["HZ floor", "limit"] == TOTAL - 190_424
    assert cvl_zoning.caps_met


def test_territory_zones_and_why(cvl_zoning):
    terr = cvl_zoning.territories
    expected = {code: code[2] for code, *_ in TERRITORIES}
    letters = {"ZIP": "Z", "ZAC": "C", "HZ": "H"}
    assert {t: letters[z] for t, z in terr["zone"].items()} == expected
    # the APL aggregation reproduces the territory APL built into the fixture
    for code, _, pop, apl in TERRITORIES:
        assert terr.at[code, "apl"] == pytest.approx(apl, abs=1e-12)
        assert terr.at[code, "population"] == pop
    # ZIP-eligible but over the cap, and ZAC-eligible but over the cumulative cap
    assert terr.at["18C1", "apl"] <= 2.71
    assert terr.at["18C1", "zone"] == "ZAC"
    assert terr.at["37H1", "apl"] <= 3.98
    assert terr.at["37H1", "zone"] == "HZ"
    assert terr.at["41Z1", "departement"] == "41"


def test_national_schema(cvl_zoning):
    out = cvl_zoning.to_national_schema(date_arrete="09/05/2025")
    assert list(out.columns) == ["com_code", "tvs_code", "zmed_niveau", "zmed_date_arrete"]
    assert len(out) == 3 * len(TERRITORIES)
    assert out["com_code"].is_monotonic_increasing
    # level codes as the real national file carries them (zonage_medecins_national_2025_05:
    # 1_ZIP, 2_ZAC, 3_HZ, 4_ZAR, NA); "5_HZ" is in no file
    assert set(out["zmed_niveau"]) == {"1_ZIP", "2_ZAC", "3_HZ"}
    row = out.set_index("com_code").loc["37001"]
    assert (row["tvs_code"], row["zmed_niveau"]) == ("37Z1", "1_ZIP")


def test_csv_is_written_atomically_and_reads_back(cvl_zoning, tmp_path):
    path = cvl_zoning.to_csv(tmp_path / "out" / "report.csv")
    assert [p.name for p in path.parent.iterdir()] == ["report.csv"]
    back = pd.read_csv(path, dtype={"departement": str})
    assert back["ZIP"].iloc[-1] == 1_834_762
    assert back["departement"].tolist() == [*PUBLISHED, "total"]


def test_csv_gets_the_umask_permissions(cvl_zoning, tmp_path):
    old = os.umask(0o027)
    try:
        path = cvl_zoning.to_csv(tmp_path / "report.csv")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_terminal_table(cvl_zoning):
    text = cvl_zoning.format_report()
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["région", "département", "population"]
    total = lines[-1]
    assert "2 573 303" in total
    assert "1 834 762" in total
    assert "548 117" in total
    assert "1 834 765 / 548 114 / 190 424  -3 / +3 / 0" in total
    assert total.endswith("yes")
    assert str(cvl_zoning) == text


def test_margin_above_the_cap_is_an_explicit_option():
    apl, pop, tvs = cvl_communes()
    # the other reading of the guide's "marge de 2 346 habitants pouvant être classés en ZIP":
    # ZIP may reach cap + margin (margin_rule="above"); it must be asked for
    above = get_method("zonage_2025", margin_rule="above")
    # ZIP cap 300 000 lower: without margin the ZIP fill stops at 45Z2 (300 000 inhabitants)
    caps = {"ZIP": 1_834_765 - 300_000, "ZAC": 548_114 + 300_000}
    without = classify_zones(apl, population=pop, territory=tvs, caps=caps, method=above)
    with_margin = classify_zones(
        apl, population=pop, territory=tvs, caps=caps, margin=300_000, method=above
    )
    inside = classify_zones(apl, population=pop, territory=tvs, caps=caps, margin=300_000)
    assert inside.territories.at["45Z2", "zone"] == "ZAC"  # default: the margin is in the cap
    assert without.territories.at["45Z2", "zone"] == "ZAC"
    assert with_margin.territories.at["45Z2", "zone"] == "ZIP"
    total = with_margin.report.set_index("departement").loc["total"]
    assert total["margin_used"] == 1_834_762 - (1_834_765 - 300_000)
    assert np.isclose(total["margin_used"], 299_997)


def test_both_margin_readings_reproduce_the_published_table():
    # Guide Centre-Val de Loire 2025, "Les seuils populationnels": the table by département
    apl, pop, tvs = cvl_communes()
    above = get_method("zonage_2025", margin_rule="above")
    z = classify_zones(apl, population=pop, territory=tvs, caps=CAPS, margin=MARGIN, method=above)
    report = z.report.set_index("departement")
    for dep, (population, zip_, zac, hz) in PUBLISHED.items():
        assert tuple(report.loc[dep, ["population", "ZIP", "ZAC", "HZ"]]) == (
            population,
            zip_,
            zac,
            hz,
        )
    assert z.checks.set_index("constraint").loc["ZIP", "limit"] == 1_834_765 + MARGIN


def test_departement_thresholds_of_the_guide_hold():
    # Guide Centre-Val de Loire 2025, "Les seuils populationnels" (the table by département of
    # attribution) and "La phase de concertation": proposals "formulées dans le respect des
    # seuils populationnels départementaux"
    apl, pop, tvs = cvl_communes()
    dep_caps = pd.DataFrame(
        {dep: {"ZIP": v[1], "ZAC": v[2], "HZ": v[3]} for dep, v in PUBLISHED.items()}
    ).T
    z = classify_zones(
        apl, population=pop, territory=tvs, caps=CAPS, margin=MARGIN, departement_caps=dep_caps
    )
    deps = z.checks[z.checks["departement"] != ""]
    assert len(deps) == 6 * 3  # ZIP, ZIP+ZAC and the HZ floor in each département
    assert deps["met"].all()
    # a département-level choice that keeps the regional caps can still break its threshold
    swap = {"18C1": "ZIP", "45Z2": "ZAC"}
    with pytest.raises(
        aplcore.errors.ParameterError,
        match=r"département 18 ZIP: 304,871 inhabitants for a limit of 287,559",
    ):
        classify_zones(
            apl,
            population=pop,
            territory=tvs,
            caps=CAPS,
            margin=MARGIN,
            departement_caps=dep_caps,
            overrides=swap,
            strict=True,
        )


def test_csv_write_failure_leaves_no_file(cvl_zoning, tmp_path):
    from aplcore.zoning import write_csv

    class Broken(pd.DataFrame):
        def to_csv(self, *args, **kwargs):
            raise OSError("disk full")

    target = tmp_path / "report.csv"
    target.write_text("previous\n", encoding="utf-8")
    with pytest.raises(OSError, match="disk full"):
        write_csv(Broken(cvl_zoning.report), target)
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
    assert target.read_text(encoding="utf-8") == "previous\n"
