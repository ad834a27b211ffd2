"""Territory tables, aggregation, attribution, caps and bad input, with their messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import (
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
)
from aplcore.zoning import (
    ZoningWarning,
    build_territory_table,
    classify_zones,
    departement_of,
    get_method,
)

CODES = ["18001", "18002", "37001", "41001"]


def inputs():
    apl = pd.Series([2.0, 3.0, 4.0, 5.0], index=CODES)
    pop = pd.Series([100, 300, 200, 50], index=CODES)
    std = pd.Series([110.0, 250.0, 260.0, 40.0], index=CODES)
    tvs = pd.Series(["A", "A", "B", "B"], index=CODES)
    return apl, pop, std, tvs


# --- territory table and aggregation ----------------------------------------------------------


def test_departement_of_codes():
    assert departement_of(["01001", "2A004", "97411", "75056", "2B033"]).tolist() == [
        "01",
        "2A",
        "974",
        "75",
        "2B",
    ]


def test_territory_apl_weighted_by_resident_or_standardised_population():
    apl, pop, std, tvs = inputs()
    z = classify_zones(apl, population=pop, territory=tvs)
    # dense reference: sum(w * apl) / sum(w) per territory
    a = apl.to_numpy()
    for weights, got in (
        (pop.to_numpy(float), z.territories["apl"]),
        (
            std.to_numpy(),
            classify_zones(
                apl,
                population=pop,
                territory=tvs,
                standardised=std,
                method=__import__("aplcore").zoning.get_method(
                    "zonage_2025", weighting="standardised"
                ),
            ).territories["apl"],
        ),
    ):
        expected = [
            (weights[:2] * a[:2]).sum() / weights[:2].sum(),
            (weights[2:] * a[2:]).sum() / weights[2:].sum(),
        ]
        assert got.to_numpy() == pytest.approx(np.array(expected), rel=1e-15)
    assert z.territories["population"].to_dict() == {"A": 400, "B": 250}


def test_attribution_by_largest_population_and_override():
    apl, pop, _, _ = inputs()
    tvs = pd.DataFrame(
        {"territory": ["A", "A", "A", "B"], "region": ["24", "24", "24", "24"]}, index=CODES
    )
    z = classify_zones(apl, population=pop, territory=tvs)
    # A: 400 inhabitants in 18, 200 in 37 -> 18
    assert z.territories.at["A", "departement"] == "18"
    z2 = classify_zones(apl, population=pop, territory=tvs, attribution={"A": "37"})
    assert z2.territories.at["A", "departement"] == "37"
    report = z2.report.set_index("departement")
    assert report.loc["37", "population"] == 600
    with pytest.raises(InvalidValueError, match=r"département where the territory has communes"):
        classify_zones(apl, population=pop, territory=tvs, attribution={"A": "41"})
    with pytest.raises(MissingCommuneError, match=r"attribution names 1 unknown territories"):
        classify_zones(apl, population=pop, territory=tvs, attribution={"Z": "41"})


def test_cross_region_territory_counts_each_regions_residents():
    codes = ["18001", "18002", "89001", "89002"]
    apl = pd.Series([2.6, 2.6, 2.6, 1.0], index=codes)
    pop = pd.Series([60, 40, 30, 10], index=codes)
    table = pd.DataFrame(
        {"territory": ["X", "X", "X", "Y"], "region": ["24", "24", "27", "27"]}, index=codes
    )
    caps = pd.DataFrame({"ZIP": [100, 35], "ZAC": [0, 0]}, index=["24", "27"])
    # the 2017 rule on the 2025 thresholds (the 2025 preset splits such a territory instead)
    majority = get_method("zonage_2025", cross_region="majority")
    # FAQ_mg (25/05/2018) p. 10, "La gestion des territoires de vie-santé situés sur deux
    # régions": "Chaque agence régionale de santé prend en compte dans le calcul de son plafond
    # de population régional la part de population de sa région présente dans le TVS", and
    # "le TVS est alors qualifié dans sa globalité par l'ARS qui abrite dans cette zone la part
    # de population la plus importante". X: 100 residents in 24 (which decides; cap 100 holds),
    # 30 in 27 (10 + 30 > 35): 27's full cap does not stop 24's fill.
    with pytest.warns(ZoningWarning, match=r"région 27 ZIP: 40 .*decided by another région"):
        z = classify_zones(apl, population=pop, territory=table, caps=caps, method=majority)
    assert z.territories["zone"].to_dict() == {"X": "ZIP", "Y": "ZIP"}
    assert z.territories.at["X", "region"] == "24"
    report = z.report.set_index(["region", "departement"])
    assert report.loc[("24", "total"), "ZIP"] == 100
    assert report.loc[("27", "total"), "ZIP"] == 40
    assert report.loc[("27", "18"), "population"] == 30  # X's residents of 27, attributed to 18
    # 27 counts its 30 residents: its cap is exceeded and the check says why
    row = z.checks.set_index(["region", "constraint"]).loc[("27", "ZIP")]
    assert (row["used"], row["limit"], bool(row["met"])) == (40, 35, False)
    assert "decided by another région" in row["broken_by"]


def test_cross_region_national_selection_is_automatic_and_majority_decides():
    # FAQ_mg p. 10: "Lorsque l'APL du TVS est inférieur ou égal à 2,5 C/a/h : Le TVS est
    # sélectionné automatiquement en zone d'intervention prioritaire"
    codes = ["18001", "89001", "89002"]
    pop = pd.Series([30, 70, 10], index=codes)
    table = pd.DataFrame({"territory": ["X", "X", "Y"], "region": ["24", "27", "27"]}, index=codes)
    caps = pd.DataFrame({"ZIP": [0, 0]}, index=["24", "27"])
    apl = pd.Series([2.0, 2.0, 1.0], index=codes)
    with pytest.warns(ZoningWarning, match="the mandatory zone alone"):
        z = classify_zones(apl, population=pop, territory=table, method="zonage_2017", caps=caps)
    assert z.territories.loc["X", "selection"] == "mandatory"
    # above 2.5 the région holding the largest share (27: 70 of 100) decides; 24's own cap
    # (0) is not judged, its residents are counted and reported
    apl = pd.Series([3.0, 3.0, 5.0], index=codes)
    caps = pd.DataFrame({"ZIP": [0, 100]}, index=["24", "27"])
    with pytest.warns(ZoningWarning, match=r"région 24 ZIP: 30 .*decided by another région"):
        z = classify_zones(apl, population=pop, territory=table, method="zonage_2017", caps=caps)
    assert z.territories.at["X", "region"] == "27"
    assert z.territories.at["X", "zone"] == "ZIP"
    assert not z.checks.set_index(["region", "constraint"]).loc[("24", "ZIP"), "met"]


def test_region_and_departement_series():
    _, _, _, tvs = inputs()
    region = pd.Series(["24"] * 4, index=CODES)
    dep = pd.Series(["X1", "X1", "X2", "X2"], index=CODES)
    table = build_territory_table(tvs, pd.Index(CODES), region=region, departement=dep)
    assert table["departement"].tolist() == ["X1", "X1", "X2", "X2"]
    assert table["region"].tolist() == ["24"] * 4
    with pytest.raises(MissingCommuneError, match=r"the region table is missing 1 communes"):
        build_territory_table(tvs, pd.Index(CODES), region=region.iloc[:3])


# --- bad input --------------------------------------------------------------------------------


def test_territory_table_missing_communes():
    apl, pop, _, tvs = inputs()
    with pytest.raises(
        MissingCommuneError,
        match=r"territory table is missing 2 of the 4 communes to classify: '37001', '41001'",
    ):
        classify_zones(apl, population=pop, territory=tvs.iloc[:2])


def test_communes_in_two_territories():
    apl, pop, _, _ = inputs()
    table = pd.DataFrame({"commune": [*CODES, "18002"], "territory": ["A", "A", "B", "B", "B"]})
    with pytest.raises(
        DuplicateError,
        match=r"exactly one territory; 1 communes are in two or more: '18002' .*'A', 'B'",
    ):
        classify_zones(apl, population=pop, territory=table)
    same = pd.DataFrame({"commune": [*CODES, "18002"], "territory": ["A", "A", "B", "B", "A"]})
    assert len(classify_zones(apl, population=pop, territory=same).communes) == 4


def test_negative_populations():
    apl, pop, _, tvs = inputs()
    pop.iloc[2] = -5
    with pytest.raises(
        InvalidValueError, match=r"populations must be finite and non-negative; found \('37001'"
    ):
        classify_zones(apl, population=pop, territory=tvs)


def test_missing_apl_and_population():
    apl, pop, _, tvs = inputs()
    apl.iloc[0] = np.nan
    with pytest.raises(InvalidValueError, match=r"APL must be finite.*\('18001', nan\)"):
        classify_zones(apl, population=pop, territory=tvs)
    apl, pop, _, tvs = inputs()
    with pytest.raises(MissingCommuneError, match=r"population is missing for 1 communes"):
        classify_zones(apl, population=pop.iloc[1:], territory=tvs)


def test_integer_codes_rejected_or_repaired():
    apl = pd.Series([2.0], index=[1001])
    pop = pd.Series([10], index=[1001])
    with pytest.raises(CommuneCodeError, match=r"found numbers"):
        classify_zones(apl, population=pop)
    z = classify_zones(apl, population=pop, repair_integers=True)
    assert z.communes.index.tolist() == ["01001"]


def test_caps_above_100_percent():
    apl, pop, _, tvs = inputs()
    with pytest.raises(ParameterError, match=r"found caps above 100 %: \('all', 'ZIP', 71.3\)"):
        classify_zones(apl, population=pop, territory=tvs, caps={"ZIP": 71.3}, cap_unit="share")
    with pytest.raises(ParameterError, match=r"sum above 100 % in \('all', 1.1\)"):
        classify_zones(
            apl, population=pop, territory=tvs, caps={"ZIP": 0.6, "ZAC": 0.5}, cap_unit="share"
        )
    with pytest.raises(ParameterError, match=r"caps look like shares .* cap_unit='share'"):
        classify_zones(apl, population=pop, territory=tvs, caps={"ZIP": 0.713})


def test_bad_caps():
    apl, pop, _, tvs = inputs()
    with pytest.raises(ParameterError, match=r"caps name unknown zones 'ZAR'"):
        classify_zones(apl, population=pop, territory=tvs, caps={"ZAR": 10})
    with pytest.raises(InvalidValueError, match=r"caps must be non-negative numbers"):
        classify_zones(apl, population=pop, territory=tvs, caps={"ZIP": -1})
    with pytest.raises(
        InvalidValueError, match=r"margin \(or limit\) must be a non-negative number"
    ):
        classify_zones(apl, population=pop, territory=tvs, margin=-3)
    table = pd.DataFrame(
        {"territory": ["A", "A", "B", "B"], "region": ["24", "24", "27", "27"]}, index=CODES
    )
    with pytest.raises(InputFormatError, match=r"one mapping in inhabitants, but .* 2 régions"):
        classify_zones(apl, population=pop, territory=table, caps={"ZIP": 10})
    with pytest.raises(InputFormatError, match=r"caps are missing for 1 régions .*'27'"):
        classify_zones(
            apl, population=pop, territory=table, caps=pd.DataFrame({"ZIP": [1]}, index=["24"])
        )
    with pytest.raises(ParameterError, match=r"caps and margin apply to capped methods"):
        classify_zones(apl, population=pop, territory=tvs, method="thresholds", caps={"ZIP": 1})
    with pytest.raises(ParameterError, match=r"cap_unit must be 'inhabitants' or 'share'"):
        classify_zones(apl, population=pop, territory=tvs, caps={"ZIP": 1}, cap_unit="percent")


def test_shares_apply_to_every_region():
    apl, pop, _, _ = inputs()
    table = pd.DataFrame(
        {"territory": ["A", "A", "B", "B"], "region": ["24", "24", "27", "27"]}, index=CODES
    )
    z = classify_zones(apl, population=pop, territory=table, caps={"ZIP": 0.5}, cap_unit="share")
    assert z.caps["ZIP"].to_dict() == {"24": 200.0, "27": 125.0}


def test_territory_table_without_territory_column():
    apl, pop, _, _ = inputs()
    with pytest.raises(InputFormatError, match=r"must have a 'territory' column"):
        classify_zones(apl, population=pop, territory=pd.DataFrame({"tvs": ["A"] * 4}, index=CODES))
