"""Rules as the texts state them, each test quoting its source.

Sources: ``FAQ_mg.pdf`` (DREES/Ministry FAQ on the arrêté of 13 November 2017, dated 25/05/2018,
``data/raw/drees_zonage_medecins_docs``), the Centre-Val de Loire guide
(``docs/guide_zonage_medecins_centre_val_de_loire_2025.txt``), the national zoning file
(``data/raw/zonage_medecins_national_2025_05``) and the spec (``spec/apl_method.md``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import ParameterError
from aplcore.zoning import (
    METHOD_PRESETS,
    ZoningMethod,
    ZoningWarning,
    classify_zones,
    get_method,
    register_method,
)
from aplcore.zoning.methods import (
    ASSUMED_LEVEL_CODES,
    DEFAULT_LEVEL_CODES,
    KNOWN_LEVEL_CODES,
)

DOCS = Path(__file__).resolve().parents[1] / ".." / "shared" / "docs"


def _doc(name: str) -> str:
    """The reference document, whitespace collapsed and apostrophes straightened."""
    path = DOCS / name
    if not path.exists():
        pytest.skip(f"reference document {path} absent (expected in ../shared/docs)")
    text = unicodedata.normalize("NFKC", path.read_text(encoding="utf-8")).replace("\u2019", "'")
    return " ".join(text.split())


def one_commune_per_territory(apl, pop, dep="45"):
    codes = [f"{dep}{i + 1:03d}" for i in range(len(apl))]
    return (
        pd.Series(apl, index=codes, dtype=float),
        pd.Series(pop, index=codes, dtype=float),
        pd.Series([f"T{i}" for i in range(len(apl))], index=codes),
    )


def broken(z):
    return set(z.checks.loc[~z.checks["met"], "constraint"])


# --- 2: choices checked against the method ---------------------------------------------------


def test_2017_national_selection_cannot_be_demoted():
    # FAQ_mg p. 10: "Lorsque l'APL du TVS est inférieur ou égal à 2,5 C/a/h : Le TVS est
    # sélectionné automatiquement en zone d'intervention prioritaire (A – sélection nationale)"
    apl, pop, tvs = one_commune_per_territory([2.0, 3.0, 5.0], [100, 100, 100])
    caps = {"ZIP": 200}
    with pytest.warns(ZoningWarning, match=r"national selection: 100 inhabitants, broken by "):
        z = classify_zones(
            apl, population=pop, territory=tvs, method="zonage_2017", caps=caps,
            overrides={"T0": "ZAC"},
        )  # fmt: skip
    assert broken(z) == {"national selection"}
    with pytest.raises(ParameterError, match=r"national selection.*territory T0 -> ZAC"):
        classify_zones(
            apl, population=pop, territory=tvs, method="zonage_2017", caps=caps,
            overrides={"T0": "ZAC"}, strict=True,
        )  # fmt: skip


def test_2017_vivier_cannot_be_swapped_for_hors_vivier():
    # FAQ_mg p. 9, "Peut-on substituer une zone dans le vivier avec une zone en dehors du vivier
    # ?": "Cette possibilité n'est pas prévue ... sans substitution entre le vivier et le hors
    # vivier"
    apl, pop, tvs = one_commune_per_territory([3.0, 3.5, 5.0], [100, 100, 10])
    with pytest.raises(ParameterError, match=r"no vivier substitution: 100 inhabitants"):
        classify_zones(
            apl, population=pop, territory=tvs, method="zonage_2017", caps={"ZIP": 100},
            overrides={"T1": "HV"}, strict=True,
        )  # fmt: skip
    # within the vivier, the agency may still choose ZAC or vigilance
    z = classify_zones(
        apl, population=pop, territory=tvs, method="zonage_2017", caps={"ZIP": 100},
        overrides={"T1": "ZV"}, strict=True,
    )  # fmt: skip
    assert z.caps_met


def test_2025_territory_far_above_the_thresholds_made_zip():
    # Guide Centre-Val de Loire 2025, "La classification des zones": "La limite des ZIP est
    # définie comme suit : APL à 2,71"; a ZIP territory at APL 5 has no ground in the method
    apl, pop, tvs = one_commune_per_territory([2.0, 3.0, 5.0], [100, 100, 100])
    caps = {"ZIP": 0.9, "ZAC": 0.1}
    with pytest.warns(ZoningWarning, match="eligibility"):
        z = classify_zones(
            apl, population=pop, territory=tvs, caps=caps, cap_unit="share",
            overrides={"T2": "ZIP"}, on_violation="warn",
        )  # fmt: skip
    row = z.checks.set_index("constraint").loc["eligibility"]
    assert (row["used"], bool(row["met"]), row["kind"]) == (100, False, "rule")
    assert row["broken_by"] == "territory T2 -> ZIP"
    with pytest.raises(ParameterError, match="eligibility"):
        classify_zones(
            apl, population=pop, territory=tvs, caps=caps, cap_unit="share",
            overrides={"T2": "ZIP"}, strict=True,
        )  # fmt: skip


# --- 5: département thresholds ----------------------------------------------------------------


def test_departement_caps_checked_and_reported():
    # Guide Centre-Val de Loire 2025, "La phase de concertation": "Ces propositions ont été
    # formulées dans le respect des seuils populationnels départementaux"
    codes = ["18001", "18002", "37001", "37002"]
    apl = pd.Series([2.0, 3.0, 2.5, 3.5], index=codes)
    pop = pd.Series([100.0, 100.0, 100.0, 100.0], index=codes)
    tvs = pd.Series(["A", "B", "C", "D"], index=codes)
    dep_caps = pd.DataFrame({"ZIP": [100, 100], "ZAC": [100, 100]}, index=["18", "37"])
    z = classify_zones(
        apl, population=pop, territory=tvs, caps={"ZIP": 200, "ZAC": 200},
        departement_caps=dep_caps,
    )  # fmt: skip
    deps = z.checks[z.checks["departement"] != ""].set_index(["departement", "constraint"])
    assert deps.loc[("18", "ZIP"), "used"] == 100
    assert deps.loc[("37", "ZIP"), "limit"] == 100
    report = z.report.set_index("departement")
    assert report.loc["18", "ZIP_cap"] == 100
    assert bool(report.loc["18", "met"])
    # moving B (18) into ZIP breaks the département threshold, not the regional cap
    with pytest.raises(ParameterError, match=r"département 18 ZIP: 200 inhabitants for a limit"):
        classify_zones(
            apl, population=pop, territory=tvs, caps={"ZIP": 300, "ZAC": 200},
            departement_caps=dep_caps, overrides={"B": "ZIP"}, strict=True,
            thresholds=(3.0, 4.0),
        )  # fmt: skip


# --- 6: TVS weighting --------------------------------------------------------------------------


def test_tvs_weighting_is_a_preset_parameter():
    # FAQ_mg p. 5: "la moyenne, pondérée par la population résidente de chaque commune";
    # spec §5 (the APL workbook note): territories weighted by the standardised population
    assert METHOD_PRESETS["zonage_2017"].weighting == "population"
    assert METHOD_PRESETS["zonage_2025"].weighting == "population"
    assert METHOD_PRESETS["nurses_2020"].weighting == "standardised"
    codes = ["45001", "45002"]
    apl = pd.Series([2.2, 3.6], index=codes)
    pop = pd.Series([100.0, 100.0], index=codes)
    std = pd.Series([150.0, 50.0], index=codes)  # an older commune weighs more
    tvs = pd.Series(["T", "T"], index=codes)
    resident = classify_zones(apl, population=pop, territory=tvs, standardised=std)
    workbook = classify_zones(
        apl, population=pop, territory=tvs, standardised=std,
        method=get_method("zonage_2025", weighting="standardised"),
    )  # fmt: skip
    assert resident.territories.at["T", "apl"] == pytest.approx(2.9, abs=1e-12)
    assert workbook.territories.at["T", "apl"] == pytest.approx(2.55, abs=1e-12)
    assert (resident.territories.at["T", "zone"], workbook.territories.at["T", "zone"]) == (
        "ZAC",
        "ZIP",
    )


# --- 7: derogations of 2025 --------------------------------------------------------------------


QPV_2025 = (
    "elle peut classer les quartiers prioritaires de la ville (QPV) en **zone d'interventions "
    "prioritaires** (ZIP) ou en **zone d'actions complémentaires** (ZAC) sans classer "
    "l'intégralité du TVS auxquels ils appartiennent dans une de ces catégories, le tout dans le "
    "respect des parts de populations"
)


def test_qpv_counted_with_their_own_population():
    # guide_zonage_medecins_centre_val_de_loire_2025.txt, "La maille applicable" (QPV_2025,
    # checked word for word against the document below)
    assert QPV_2025 in _doc("guide_zonage_medecins_centre_val_de_loire_2025.txt")
    apl, pop, tvs = one_commune_per_territory([2.0, 3.0, 5.0], [100, 100, 1000])
    qpv = pd.DataFrame(
        {
            "code": ["QN045001"],
            "level": ["qpv"],
            "commune": ["45003"],
            "population": [30],
            "zone": ["ZIP"],
            "reason": ["QPV des Blossières"],
        }
    )
    z = classify_zones(
        apl, population=pop, territory=tvs, caps={"ZIP": 130, "ZAC": 100}, overrides=qpv,
        strict=True,
    )  # fmt: skip
    assert z.communes.at["45003", "zone"] == "HZ"  # the rest of the commune keeps its zone
    assert z.qpv.set_index("code").at["QN045001", "zone"] == "ZIP"
    total = z.report.set_index("departement").loc["total"]
    assert (total["ZIP"], total["HZ"], total["population"]) == (130, 970, 1200)
    checks = z.checks.set_index("constraint")
    assert checks.loc["ZIP", "used"] == 130  # 30 QPV residents, not the commune's 1 000
    # QPV are not commune substitutions: the 5 % limit counts none of them
    assert checks.loc["commune substitution (5 %)", "used"] == 0
    with pytest.raises(ValueError, match=r"host commune .* and the QPV's own population"):
        classify_zones(
            apl, population=pop, territory=tvs, overrides=qpv.drop(columns=["population"])
        )


def test_2025_qpv_in_zip_or_zac_only():
    # guide_zonage_medecins_centre_val_de_loire_2025.txt, "La maille applicable": QPV_2025, "en
    # zone d'interventions prioritaires (ZIP) ou en zone d'actions complémentaires (ZAC)": a
    # QPV classified on its own in HZ has no ground in the guide
    text = _doc("guide_zonage_medecins_centre_val_de_loire_2025.txt")
    assert QPV_2025 in text
    assert METHOD_PRESETS["zonage_2025"].qpv_zones == ("ZIP", "ZAC")
    apl, pop, tvs = one_commune_per_territory([2.0, 3.0, 5.0], [100, 100, 1000])

    def qpv(zone):
        return pd.DataFrame(
            {"code": ["QN1"], "level": "qpv", "commune": ["45002"], "population": 30, "zone": zone}
        )

    kwargs = {"population": pop, "territory": tvs, "caps": {"ZIP": 200, "ZAC": 200}}
    for zone in ("ZIP", "ZAC"):
        z = classify_zones(apl, overrides=qpv(zone), strict=True, **kwargs)
        assert z.qpv.at[0, "zone"] == zone
        assert z.checks.set_index("constraint").loc["QPV zones", "met"]
    with pytest.raises(ParameterError, match=r"QPV zones: 30 inhabitants, broken by qpv QN1 -> HZ"):
        classify_zones(apl, overrides=qpv("HZ"), strict=True, **kwargs)


def test_2017_commune_choices_only_overseas():
    # faq_zonage_medecins_generalistes_2018.txt p. 4: "La règle générale est que ces TVS sont
    # constitués des bassins de vie INSEE 2012, ou, lorsque ces bassins de vie sont très peuplés
    # (+ 50 000 habitants), des territoires de vie INSEE" with the exceptions "pour l'Outre-Mer,
    # la maille retenue est le bassin de vie (sauf pour Mayotte) et la commune" (and QPV, p. 4):
    # outside the overseas territories the 2017 unit is the TVS, never the commune
    text = _doc("faq_zonage_medecins_generalistes_2018.txt")
    assert (
        "pour l'Outre-Mer, la maille retenue est le bassin de vie (sauf pour Mayotte) et la commune"
        in text
    )
    assert METHOD_PRESETS["zonage_2017"].commune_choices == "overseas_only"
    codes = ["45001", "45002", "45003", "97601", "97602"]
    apl = pd.Series([2.0, 3.0, 3.2, 3.0, 3.2], index=codes)
    pop = pd.Series([100.0, 100.0, 50.0, 100.0, 50.0], index=codes)
    tvs = pd.Series(["A", "B", "B", "M", "M"], index=codes)
    kwargs = {"population": pop, "territory": tvs, "method": "zonage_2017", "caps": {"ZIP": 500}}
    commune = pd.DataFrame({"code": ["45003"], "level": ["commune"], "zone": ["ZAC"]})
    with pytest.raises(ParameterError, match=r"TVS unit: 50 inhabitants, broken by commune 45003"):
        classify_zones(apl, overrides=commune, strict=True, **kwargs)
    overseas = pd.DataFrame({"code": ["97602"], "level": ["commune"], "zone": ["ZAC"]})
    z = classify_zones(apl, overrides=overseas, strict=True, **kwargs)
    assert z.communes.at["97602", "zone"] == "ZAC"
    assert z.checks.set_index("constraint").loc["TVS unit", "met"].all()
    # the 2025 method allows the commune within its 5 % limit (test below)
    assert METHOD_PRESETS["zonage_2025"].commune_choices == "allowed"


def test_2017_qpv_on_its_own_only_in_a_vivier_territory():
    # FAQ_mg p. 4, "Comment prendre en compte les QPV ?": "si un QPV est situé pour une partie
    # au moins au sein d'un TVS appartenant au vivier, ce QPV peut être éligible aux aides";
    # "Si le TVS dans lequel se situe le QPV est hors vivier", the 5 % adaptation applies
    apl, pop, tvs = one_commune_per_territory([2.0, 3.0, 5.0], [100, 100, 1000])

    def qpv(commune):
        return pd.DataFrame(
            {"code": ["QN1"], "level": "qpv", "commune": [commune], "population": 30, "zone": "ZIP"}
        )

    kwargs = {"population": pop, "territory": tvs, "method": "zonage_2017", "caps": {"ZIP": 300}}
    z = classify_zones(apl, overrides=qpv("45002"), strict=True, **kwargs)
    assert z.checks.set_index("constraint").loc["QPV in the vivier", "met"]
    with pytest.raises(ParameterError, match=r"QPV in the vivier: 30 inhabitants, broken by qpv"):
        classify_zones(apl, overrides=qpv("45003"), strict=True, **kwargs)


def test_commune_substitution_limited_to_5_percent_by_default():
    # Guide Centre-Val de Loire 2025, "La maille applicable": "elle peut substituer à l'échelle
    # du TVS l'échelle de la commune ... dans le respect des parts de population et sans excéder
    # 5 % de la population régionale"
    apl, pop, tvs = one_commune_per_territory([2.0, 3.0, 2.6, 2.7], [100, 849, 50, 1])
    tvs[:] = ["A", "B", "B", "B"]
    choice = pd.DataFrame({"code": ["45003"], "level": ["commune"], "zone": ["ZIP"]})
    z = classify_zones(apl, population=pop, territory=tvs, overrides=choice, strict=True)
    row = z.checks.set_index("constraint").loc["commune substitution (5 %)"]
    assert (row["used"], row["limit"], row["kind"]) == (50, 50, "derogation")
    choice = pd.DataFrame({"code": ["45003", "45004"], "level": "commune", "zone": "ZIP"})
    with pytest.raises(ParameterError, match=r"commune substitution \(5 %\): 51 inhabitants"):
        classify_zones(apl, population=pop, territory=tvs, overrides=choice, strict=True)
    # an explicit limit replaces the default
    z = classify_zones(
        apl, population=pop, territory=tvs, overrides=choice, commune_override_limit=60
    )
    assert "commune overrides" in set(z.checks["constraint"])


# --- 8: level codes ----------------------------------------------------------------------------


def test_level_codes_are_the_ones_real_files_carry(shared_raw):
    # KNOWN_LEVEL_CODES must hold exactly the codes the real files at hand carry: the national
    # GP file (zmed_niveau) and the DataSanté format sample (z<prof>_niveau of the other
    # professions); a code aplcore writes without having seen it is a stated assumption
    national = pd.read_csv(
        shared_raw / "zonage_medecins_national_2025_05/zonage_medecins_par_commune.csv",
        dtype=str,
        keep_default_na=False,
    )
    sample = pd.read_csv(
        shared_raw / "datasante_zonages_format_sample/zonages.csv", dtype=str, keep_default_na=False
    )
    seen_med = set(national["zmed_niveau"]) | set(sample["zmed_niveau"])
    others = [c for c in sample.columns if c.endswith("_niveau") and c != "zmed_niveau"]
    seen_other = set(sample[others].to_numpy().ravel())
    assert set(KNOWN_LEVEL_CODES["med"]) == seen_med
    assert set(KNOWN_LEVEL_CODES["other"]) == seen_other
    assert "NC" not in seen_other  # "NC" is a bvcv_code (Mayotte), not a level
    assert not set(ASSUMED_LEVEL_CODES) & (seen_med | seen_other)
    assert all(ASSUMED_LEVEL_CODES.values())  # each with its reason
    written = set(DEFAULT_LEVEL_CODES.values())
    assert written <= seen_med | seen_other | set(ASSUMED_LEVEL_CODES)
    assert "5_HZ" not in written
    assert "3_ZV" not in written


def test_zar_is_an_optional_regional_category():
    # README of the national file: "4_ZAR appears in 23 départements ...; its meaning is not
    # stated in the source": an agency may assign it, the engine never computes or caps it
    apl, pop, tvs = one_commune_per_territory([2.0, 5.0], [100, 100])
    with pytest.raises(ParameterError, match="unknown zones 'ZAR'"):
        classify_zones(apl, population=pop, territory=tvs, overrides={"T1": "ZAR"})
    method = get_method("zonage_2025", regional_zones=("ZAR",))
    z = classify_zones(apl, population=pop, territory=tvs, method=method, overrides={"T1": "ZAR"})
    out = z.to_national_schema()
    assert out["zmed_niveau"].tolist() == ["1_ZIP", "4_ZAR"]
    assert z.report.set_index("departement").at["total", "ZAR"] == 100
    assert z.caps_met


def test_other_professions_are_written_on_bassins_de_vie():
    # datasante_zonages_format_sample: "bvcv_code" holds the bassin de vie / canton-ville the
    # other professions are zoned on
    apl, pop, tvs = one_commune_per_territory([1.0, 2.0, 3.0, 4.0, 5.0], [1, 1, 1, 1, 1])
    z = classify_zones(apl, population=pop, territory=tvs, method="physiotherapists_2018")
    out = z.to_national_schema(profession="mk")
    assert list(out.columns) == ["com_code", "bvcv_code", "zmk_niveau"]
    assert set(out["zmk_niveau"]) <= set(KNOWN_LEVEL_CODES["other"]) | set(ASSUMED_LEVEL_CODES)


# --- the method interface ----------------------------------------------------------------------


@dataclass(frozen=True)
class LowestShare(ZoningMethod):
    """A toy method: the territories holding the lowest APL up to half the population."""

    name: str = "lowest_half"
    zones: tuple[str, ...] = ("low", "rest")
    weighting: str = "population"
    level_codes: dict = field(default_factory=lambda: {"low": "1_low", "rest": "2_rest"})

    def classify(self, inputs):
        terr = inputs.territories
        order = self.fill_order(terr["apl"].to_numpy(), terr["population"].to_numpy())
        cumulative = np.cumsum(terr["population"].to_numpy()[order])
        zone = np.ones(len(terr), dtype=np.int64)
        zone[order[cumulative <= cumulative[-1] / 2]] = 0
        return zone, ["toy"] * len(terr)


def test_a_new_method_plugs_in_through_the_interface():
    register_method(LowestShare(), overwrite=True)
    try:
        apl, pop, tvs = one_commune_per_territory([3.0, 1.0, 2.0, 4.0], [10, 10, 10, 10])
        z = classify_zones(apl, population=pop, territory=tvs, method="lowest_half")
        assert z.territories["zone"].tolist() == ["rest", "low", "low", "rest"]
        levels = z.to_national_schema()["zmed_niveau"].tolist()
        assert levels == ["2_rest", "1_low", "1_low", "2_rest"]
        assert set(z.report.columns) >= {"low", "rest", "low_share"}
        with pytest.raises(ParameterError, match="caps and margin apply to capped methods"):
            classify_zones(apl, population=pop, territory=tvs, method="lowest_half", caps={})
    finally:
        METHOD_PRESETS.pop("lowest_half", None)
