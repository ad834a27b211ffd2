"""Each rule of the methods: 2017 (zone A, vivier, ZIP B, ZAC, vigilance, hors vivier, 5 % margin),
2025 (thresholds and caps, stop rule, ties), five levels, plain thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import ParameterError
from aplcore.zoning import (
    METHOD_PRESETS,
    CappedMethod,
    ShareMethod,
    ThresholdMethod,
    ZoningWarning,
    classify_zones,
    get_method,
)


def one_commune_per_territory(apl, pop, names=None):
    """APL and population per territory, one commune each (codes 45001, 45002, ...)."""
    codes = [f"45{i + 1:03d}" for i in range(len(apl))]
    names = names or [f"T{i}" for i in range(len(apl))]
    return (
        pd.Series(apl, index=codes, dtype=float),
        pd.Series(pop, index=codes, dtype=float),
        pd.Series(names, index=codes),
    )


def zones_of(z):
    return z.territories["zone"].to_dict()


# --- 2017 -------------------------------------------------------------------------------------


def test_2017_without_caps_stops_or_takes_the_explicit_all_zip_choice():
    apl, pop, tvs = one_commune_per_territory([2.5, 2.51, 4.0, 4.01], [10, 10, 10, 10])
    # FAQ_mg (25/05/2018) p. 6: "Au sein de ce vivier, l'ARS sélectionne des zones ... l'ARS
    # doit tenir compte des taux régionaux figurant au point V de l'annexe": zone B is chosen
    # within a regional cap, so without caps the preset stops
    with pytest.raises(ParameterError, match=r"within a regional ZIP cap.*vivier='all-zip'"):
        classify_zones(apl, population=pop, territory=tvs, method="zonage_2017")
    # the caller's explicit choice: APL <= 2.5 is zone A (mandatory), the vivier all ZIP B
    whole = get_method("zonage_2017", vivier="all-zip")
    z = classify_zones(apl, population=pop, territory=tvs, method=whole)
    assert zones_of(z) == {"T0": "ZIP", "T1": "ZIP", "T2": "ZIP", "T3": "HV"}
    assert z.territories["selection"].tolist() == ["mandatory", "capped", "capped", "residual"]


def test_2017_separate_zone_b_share_and_a_plus_b_total():
    # FAQ_mg p. 6: "colonne « part de la population régionale dans les zones B (sélection
    # additionnelle à choisir parmi le vivier) », et colonne « total (Zones A + B) »"
    apl, pop, tvs = one_commune_per_territory([2.0, 2.8, 3.0, 3.2], [100, 30, 30, 30])
    caps = {"ZIP": 190, "ZIP_B": 40}
    z = classify_zones(apl, population=pop, territory=tvs, method="zonage_2017", caps=caps)
    # A + B within 190 would take T1 and T2 (160); the zone-B share (40) stops at T1
    assert zones_of(z) == {"T0": "ZIP", "T1": "ZIP", "T2": "ZAC", "T3": "ZAC"}
    checks = z.checks.set_index("constraint")
    assert (checks.loc["ZIP_B", "used"], checks.loc["ZIP_B", "limit"]) == (30, 40)
    assert (checks.loc["ZIP", "used"], checks.loc["ZIP", "limit"]) == (130, 190)
    shares = classify_zones(
        apl,
        population=pop,
        territory=tvs,
        method="zonage_2017",
        caps={"ZIP": 0.9, "ZIP_B": 0.3},
        cap_unit="share",
    )
    assert shares.checks.set_index("constraint").loc["ZIP_B", "limit"] == pytest.approx(57)


def test_2017_zip_b_by_ascending_apl_then_zac_then_vigilance():
    apl, pop, tvs = one_commune_per_territory(
        [2.0, 3.5, 2.8, 3.9, 3.0, 4.5], [100, 40, 30, 20, 50, 70]
    )
    # ZIP cap (A + B) 150: zone A (100) + T2 (30, APL 2.8) = 130; T4 (50) does not fit: stop
    # ZAC cap 60: T4 (50); T1 (40) does not fit: stop; T1 and T3 are zones de vigilance
    z = classify_zones(
        apl, population=pop, territory=tvs, method="zonage_2017", caps={"ZIP": 150, "ZAC": 60}
    )
    assert zones_of(z) == {
        "T0": "ZIP",
        "T1": "ZV",
        "T2": "ZIP",
        "T3": "ZV",
        "T4": "ZAC",
        "T5": "HV",
    }
    checks = z.checks.set_index("constraint")
    assert checks.loc["ZIP", "used"] == 130
    assert checks.loc["ZAC", "used"] == 50
    # the 5 % adaptation budget is 5 % of the vivier (2.5 < APL <= 4): 0.05 * 140
    assert checks.loc["outside margin", "limit"] == pytest.approx(7.0)
    assert checks.loc["outside margin", "used"] == 0


def test_2017_stop_rule_does_not_skip_to_smaller_territories():
    apl, pop, tvs = one_commune_per_territory([2.6, 2.7], [100, 1])
    z = classify_zones(apl, population=pop, territory=tvs, method="zonage_2017", caps={"ZIP": 50})
    # T0 does not fit under 50: ZIP closes; T1 (1 inhabitant) would fit but has a higher APL
    assert zones_of(z) == {"T0": "ZAC", "T1": "ZAC"}


def test_skip_rule_tries_the_next_territories():
    apl, pop, tvs = one_commune_per_territory([2.0, 2.6, 2.7], [10, 100, 1])
    method = get_method("zonage_2025", fill_rule="skip")
    z = classify_zones(apl, population=pop, territory=tvs, caps={"ZIP": 50}, method=method)
    # T1 does not fit; T2 (1 inhabitant, higher APL) does under "skip", not under "stop"
    assert zones_of(z) == {"T0": "ZIP", "T1": "ZAC", "T2": "ZIP"}
    z = classify_zones(apl, population=pop, territory=tvs, caps={"ZIP": 50})
    assert zones_of(z) == {"T0": "ZIP", "T1": "ZAC", "T2": "ZAC"}
    with pytest.raises(ParameterError, match=r"fill_rule must be 'stop' or 'skip', found 'jump'"):
        get_method("zonage_2025", fill_rule="jump")


def test_2017_mandatory_zone_over_the_cap_is_kept_and_reported():
    apl, pop, tvs = one_commune_per_territory([1.0, 2.4, 3.0], [100, 100, 10])
    with pytest.warns(ZoningWarning, match=r"mandatory zone alone holds 200 inhabitants, above"):
        z = classify_zones(
            apl, population=pop, territory=tvs, method="zonage_2017", caps={"ZIP": 150}
        )
    assert zones_of(z) == {"T0": "ZIP", "T1": "ZIP", "T2": "ZAC"}
    row = z.checks.set_index("constraint").loc["ZIP"]
    assert bool(row["mandatory_over_cap"])
    assert row["mandatory"] == 200
    assert not bool(z.report["met"].iloc[-1])
    assert bool(z.report["mandatory_over_cap"].iloc[-1])
    assert z.format_report().splitlines()[-1].endswith("NO (mandatory over cap)")


def test_2017_hors_vivier_override_within_5_percent():
    apl, pop, tvs = one_commune_per_territory([3.0, 4.2, 4.3], [1000, 50, 51])
    ok = classify_zones(
        apl,
        population=pop,
        territory=tvs,
        method="zonage_2017",
        caps={"ZIP": 1000},
        overrides={"T1": "ZV"},
    )
    check = ok.checks.set_index("constraint").loc["outside margin"]
    assert (check["limit"], check["used"], bool(check["met"])) == (50.0, 50.0, True)
    with pytest.warns(ZoningWarning, match=r"outside margin: 101 inhabitants for a limit of 50"):
        bad = classify_zones(
            apl,
            population=pop,
            territory=tvs,
            method="zonage_2017",
            caps={"ZIP": 1000},
            overrides={"T1": "ZV", "T2": "ZAC"},
        )
    assert not bad.caps_met


# --- 2025 -------------------------------------------------------------------------------------


def test_2025_thresholds_without_caps_are_plain_cut_offs():
    apl, pop, tvs = one_commune_per_territory([2.71, 2.72, 3.98, 3.99], [1, 1, 1, 1])
    z = classify_zones(apl, population=pop, territory=tvs, method="zonage_2025")
    assert zones_of(z) == {"T0": "ZIP", "T1": "ZAC", "T2": "ZAC", "T3": "HZ"}


def test_2025_thresholds_parameter_replaces_the_preset():
    apl, pop, tvs = one_commune_per_territory([2.8, 3.5], [1, 1])
    z = classify_zones(apl, population=pop, territory=tvs, thresholds=(3.0, 3.2))
    assert zones_of(z) == {"T0": "ZIP", "T1": "HZ"}
    assert z.method.thresholds == (3.0, 3.2)
    assert METHOD_PRESETS["zonage_2025"].thresholds == (2.71, 3.98)


def test_2025_ties_broken_by_population_then_code():
    apl, pop, tvs = one_commune_per_territory([2.0, 2.0, 2.0], [10, 30, 10], names=["B", "C", "A"])
    # same APL: C (30) first, then A before B (code); cap 40 takes C and A
    z = classify_zones(apl, population=pop, territory=tvs, caps={"ZIP": 40})
    assert zones_of(z) == {"A": "ZIP", "B": "ZAC", "C": "ZIP"}
    assert z.territories["rank"].to_dict() == {"A": 1, "B": 2, "C": 0}


def test_2025_caps_as_shares():
    apl, pop, tvs = one_commune_per_territory([1.0, 2.0, 3.0, 3.5], [25, 25, 25, 25])
    z = classify_zones(
        apl, population=pop, territory=tvs, caps={"ZIP": 0.5, "ZAC": 0.25}, cap_unit="share"
    )
    assert zones_of(z) == {"T0": "ZIP", "T1": "ZIP", "T2": "ZAC", "T3": "HZ"}
    assert z.caps.loc["all", "ZIP"] == 50


def test_separate_versus_cumulative_caps():
    apl, pop, tvs = one_commune_per_territory([1.0, 2.0, 3.0], [10, 10, 15])
    caps = {"ZIP": 15, "ZAC": 15}
    cumulative = classify_zones(apl, population=pop, territory=tvs, caps=caps)
    separate = classify_zones(
        apl,
        population=pop,
        territory=tvs,
        caps=caps,
        method=get_method("zonage_2025", cap_rule="separate"),
    )
    # ZIP holds T0 (10); cumulative ZIP + ZAC <= 30 leaves 20 for T1 (10) but not T2 (15)
    assert zones_of(cumulative) == {"T0": "ZIP", "T1": "ZAC", "T2": "HZ"}
    # separate: ZAC alone <= 15 takes T1 (10), T2 (15) does not fit
    assert zones_of(separate) == {"T0": "ZIP", "T1": "ZAC", "T2": "HZ"}
    caps = {"ZIP": 5, "ZAC": 26}
    assert zones_of(classify_zones(apl, population=pop, territory=tvs, caps=caps))["T2"] == "HZ"
    sep = classify_zones(
        apl,
        population=pop,
        territory=tvs,
        caps=caps,
        method=get_method("zonage_2025", cap_rule="separate"),
    )
    assert zones_of(sep) == {"T0": "ZAC", "T1": "ZAC", "T2": "HZ"}


def test_residual_cap_is_a_floor():
    apl, pop, tvs = one_commune_per_territory([1.0, 2.0, 3.0], [10, 10, 10])
    z = classify_zones(apl, population=pop, territory=tvs, caps={"HZ": 15})
    # ZIP + ZAC may hold at most 30 - 15 = 15: T0 only; T1 would leave HZ 10 < 15
    assert zones_of(z) == {"T0": "ZIP", "T1": "HZ", "T2": "HZ"}


# --- five levels and plain thresholds ---------------------------------------------------------


def test_five_levels_by_cumulative_share():
    apl = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    pop = [10] * 10
    apl_s, pop_s, tvs = one_commune_per_territory(apl, pop)
    method = ShareMethod(name="test", shares=(0.1, 0.2, 0.4, 0.2, 0.1))
    z = classify_zones(apl_s, population=pop_s, territory=tvs, method=method)
    assert z.territories["zone"].tolist() == [
        "very_under_served",
        "under_served",
        "under_served",
        "intermediate",
        "intermediate",
        "intermediate",
        "intermediate",
        "well_served",
        "well_served",
        "over_served",
    ]
    out = z.to_national_schema(profession="mk")
    assert out["zmk_niveau"].iloc[0] == "1_Tres_sous_dotee"


def test_five_levels_by_percentile_uses_weighted_quantiles():
    apl_s, pop_s, tvs = one_commune_per_territory([1.0, 2.0, 3.0, 4.0], [10, 10, 10, 70])
    method = ShareMethod(
        name="pct", shares=(0.1, 0.1, 0.1, 0.6, 0.1), by="percentile", levels=tuple("abcde")
    )
    z = classify_zones(apl_s, population=pop_s, territory=tvs, method=method)
    # cumulative 10/20/30/90 % -> weighted quantiles 1, 2, 3, 4
    assert z.territories["zone"].tolist() == ["a", "b", "c", "d"]


def test_nurses_preset_needs_the_standardised_population():
    apl, pop, tvs = one_commune_per_territory([1.0, 2.0], [10, 10])
    with pytest.raises(ParameterError, match=r"pass standardised=Series by commune code"):
        classify_zones(apl, population=pop, territory=tvs, method="nurses_2020")
    z = classify_zones(
        apl, population=pop, territory=tvs, method="nurses_2020", standardised=pop * 2
    )
    assert z.territories["weight"].tolist() == [20.0, 20.0]


def test_plain_commune_thresholds_keep_the_territory_column():
    apl = pd.Series([2.5, 2.6, 4.0, 4.1], index=["01001", "01002", "01003", "01004"])
    pop = pd.Series([1.0, 1.0, 1.0, 1.0], index=apl.index)
    tvs = pd.Series(["A", "A", "B", "B"], index=apl.index)
    z = classify_zones(apl, population=pop, territory=tvs, method="thresholds")
    assert z.communes["zone"].tolist() == ["ZIP", "ZAC", "ZAC", "HZ"]
    assert z.communes["territory"].tolist() == ["A", "A", "B", "B"]
    territory_level = ThresholdMethod(
        name="t", zones=("low", "high"), thresholds=(3.0,), level="territory"
    )
    z = classify_zones(apl, population=pop, territory=tvs, method=territory_level)
    assert z.territories["zone"].to_dict() == {"A": "low", "B": "high"}
    assert z.territories["apl"].to_numpy() == pytest.approx(np.array([2.55, 4.05]))


# --- methods ----------------------------------------------------------------------------------


def test_unknown_method():
    apl, pop, tvs = one_commune_per_territory([1.0], [1])
    with pytest.raises(ParameterError, match=r"unknown zoning method 'zonage_2030'; expected one"):
        classify_zones(apl, population=pop, territory=tvs, method="zonage_2030")


def test_thresholds_out_of_order():
    apl, pop, tvs = one_commune_per_territory([1.0], [1])
    with pytest.raises(ParameterError, match=r"thresholds must be in increasing order.*3\.98"):
        classify_zones(apl, population=pop, territory=tvs, thresholds=(3.98, 2.71))
    with pytest.raises(ParameterError, match=r"expected 2 thresholds .* found 1"):
        classify_zones(apl, population=pop, territory=tvs, thresholds=(2.71,))
    with pytest.raises(ParameterError, match=r"strictly increasing"):
        ThresholdMethod(name="x", zones=("a", "b", "c"), thresholds=(2.0, 2.0))
    with pytest.raises(
        ParameterError, match=r"expected 2 thresholds \(one per zone but the last, 'c'\), found 3"
    ):
        ThresholdMethod(name="x", zones=("a", "b", "c"), thresholds=(1.0, 2.0, 3.0))


def test_negative_thresholds_are_refused():
    with pytest.raises(ParameterError, match=r"never negative; found -1.0"):
        get_method("zonage_2025", thresholds=(-1.0, 3.0))


def test_method_parameters_are_validated():
    with pytest.raises(ParameterError, match=r"mandatory threshold \(5.0\) must not exceed"):
        get_method("zonage_2017", mandatory_threshold=5.0)
    with pytest.raises(ParameterError, match=r"outside_margin_share must lie in \[0, 1\]"):
        get_method("zonage_2017", outside_margin_share=5.0)
    with pytest.raises(ParameterError, match=r"has no parameter 'threshold'"):
        get_method("zonage_2025", threshold=(1, 2))
    with pytest.raises(ParameterError, match=r"shares must sum to 1"):
        ShareMethod(name="x", shares=(0.5, 0.6), levels=("a", "b"))
    with pytest.raises(ParameterError, match=r"cap_rule must be 'separate' or 'cumulative'"):
        CappedMethod(name="x", zones=("a", "b"), thresholds=(1.0,), cap_rule="both")
    with pytest.raises(ParameterError, match=r"weighting must be 'population' or 'standardised'"):
        get_method("zonage_2025", weighting="resident")


def test_presets_are_frozen():
    with pytest.raises(AttributeError):
        METHOD_PRESETS["zonage_2025"].thresholds = (1.0, 2.0)  # type: ignore[misc]
    shares = {n: sum(m.shares) for n, m in METHOD_PRESETS.items() if isinstance(m, ShareMethod)}
    assert shares["nurses_2020"] == pytest.approx(1.0)
    assert shares["speech_therapists_2018"] == pytest.approx(0.999)


def test_five_levels_per_region_scope():
    apl = pd.Series([1.0, 2.0, 1.0, 2.0], index=["18001", "18002", "37001", "37002"])
    pop = pd.Series([50.0, 50.0, 50.0, 50.0], index=apl.index)
    table = pd.DataFrame(
        {"territory": ["A", "B", "C", "D"], "region": ["R1", "R1", "R2", "R2"]}, index=apl.index
    )
    national = ShareMethod(name="n", shares=(0.5, 0.5), levels=("low", "high"))
    regional = ShareMethod(name="r", shares=(0.5, 0.5), levels=("low", "high"), scope="region")
    z_nat = classify_zones(apl, population=pop, territory=table, method=national)
    z_reg = classify_zones(apl, population=pop, territory=table, method=regional)
    # nationally the two APL-1 territories fill the first half (tie: code order A, C)
    assert z_nat.territories["zone"].to_dict() == {"A": "low", "B": "high", "C": "low", "D": "high"}
    assert z_reg.territories["zone"].to_dict() == {"A": "low", "B": "high", "C": "low", "D": "high"}
    pop2 = pd.Series([50.0, 50.0, 10.0, 90.0], index=apl.index)
    z_nat = classify_zones(apl, population=pop2, territory=table, method=national)
    z_reg = classify_zones(apl, population=pop2, territory=table, method=regional)
    # national half = 100: A (50) + C (10) fit, then B (50) would make 110: stop
    assert z_nat.territories["zone"].to_dict() == {"A": "low", "B": "high", "C": "low", "D": "high"}
    # per région: R2's half is 50: C (10) fits, D (90) does not
    assert z_reg.territories["zone"].to_dict() == {"A": "low", "B": "high", "C": "low", "D": "high"}
    apl3 = pd.Series([1.0, 2.0, 2.0, 1.0], index=apl.index)
    z_nat = classify_zones(apl3, population=pop2, territory=table, method=national)
    z_reg = classify_zones(apl3, population=pop2, territory=table, method=regional)
    # nationally D (90, APL 1) is first and takes 90 of 100; A (50) does not fit: stop
    assert z_nat.territories["zone"].to_dict() == {
        "A": "high",
        "B": "high",
        "C": "high",
        "D": "low",
    }
    # per région R1: A (50 of 100) fits; R2: D (90) is over its half (50)
    assert z_reg.territories["zone"].to_dict() == {
        "A": "low",
        "B": "high",
        "C": "high",
        "D": "high",
    }


def test_custom_level_codes():
    apl, pop, tvs = one_commune_per_territory([1.0, 5.0], [1, 1])
    z = classify_zones(apl, population=pop, territory=tvs)
    out = z.to_national_schema(level_codes={"ZIP": "1_ZIP", "HZ": "4_ZAR"})
    assert out["zmed_niveau"].tolist() == ["1_ZIP", "4_ZAR"]
