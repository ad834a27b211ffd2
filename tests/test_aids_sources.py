"""The aids catalogue against its sources: every figure bound to its passage, and each rule the
documents state applied as they state it.

Sources (in ``../shared/docs``): ``cvl2025`` guide_zonage_medecins_centre_val_de_loire_2025.txt
(section 05 "Les aides disponibles"), ``elus2019`` guide_acces_aux_soins_elus_2019.txt,
``fir92_2025`` fir_territorial_hauts_de_seine_2025.txt ("Dispositifs conventionnels
2022-2025", "Evolutions 2026"), ``faq2018`` faq_zonage_medecins_generalistes_2018.txt (table of
the aids in ZIP and ZAC, p. 7), ``sros2012`` sros_ambulatoire_ile_de_france_2012.txt.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from importlib import resources

import pandas as pd
import pytest
from aids_binding import binding_failures, document, normalised

from aplcore import aids
from aplcore.aids import Profile
from aplcore.cli import main

CAT = aids.default_catalogue()
ZONING = pd.Series({"36001": "ZIP", "36002": "ZAC", "36044": "HZ"}, name="zone")


def _doc(name: str) -> str:
    text = document(name)
    if text is None:
        pytest.skip(f"reference document {name} absent (expected in ../shared/docs)")
    return text


def _quoted(name: str, passage: str) -> None:
    assert normalised(passage) in _doc(name), f"{passage!r} not in {name}"


def test_every_figure_zone_and_date_is_bound_to_its_passage():
    _doc("guide_zonage_medecins_centre_val_de_loire_2025.txt")
    assert binding_failures(CAT) == []


def test_every_entry_states_its_end_or_that_none_is_stated():
    text = resources.files("aplcore.aids").joinpath("catalogue.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    for entry in (*raw["measure"], *raw["eligibility"]):
        assert "valid_to" in entry, entry["id"]
        assert isinstance(entry["valid_to"], dt.date) or entry["valid_to"] == aids.NOT_STATED
    # no date found in no document: the 2026 measures have no end
    m = CAT["installation_zip_2026"]
    assert m.valid_to is None
    assert m.period == "from 2026-01-01 (no end date stated in the sources)"
    later = aids.for_commune("36001", ZONING, on="2030-06-01", profile="first_installation")
    assert later.measures.loc["installation_zip_2026", "total"] == 10000


def test_conventional_aids_in_zip_end_with_the_2016_contracts():
    # cvl2025, section 05: "des aides conventionnelles prévues par les articles L. 162-12-9 et
    # L. 162-14-1 du code de la sécurité sociale - en ZIP" and "LES CONTRATS INCITATIFS
    # (valable jusqu'au 31/12/2025)"; from 2026 "une aide ponctuelle de 5 000 € pour les
    # médecins primo-installés en ZAC" and "500 € hors ZIP"
    _quoted(
        "guide_zonage_medecins_centre_val_de_loire_2025.txt",
        "LES CONTRATS INCITATIFS (valable jusqu'au 31/12/2025)",
    )
    rules = {r.id: r for r in CAT.eligibility}
    assert rules["conventional_in_zip"].zones == ("ZIP",)
    assert rules["conventional_in_zip"].valid_to == dt.date(2025, 12, 31)
    assert rules["conventional_from_2026"].zones == ("ZIP", "ZAC", "HZ")
    assert rules["conventional_from_2026"].valid_from == dt.date(2026, 1, 1)
    zac = aids.for_commune("36002", ZONING, on="2026-03-01")
    assert "conventional_from_2026" in zac.eligibility.index
    assert "conventional_in_zip" not in zac.eligibility.index


def test_local_authority_aids_zip_and_zac_both_statements_kept():
    # faq2018 p. 7 table: "L. 1511-8 du code général des collectivités territoriales X X Aides
    # des collectivités territoriales" (ZIP and ZAC); elus2019: "exercer dans une zone fragile
    # (ZIP ou ZAC) pendant au moins trois ans"; cvl2025: "L. 1511-8 ... – en ZAC."
    _quoted(
        "faq_zonage_medecins_generalistes_2018.txt",
        "L. 1511-8 du code général des collectivités territoriales X X Aides des collectivités",
    )
    rules = {r.id: r for r in CAT.eligibility}
    assert rules["local_authority_in_zip_zac"].zones == ("ZIP", "ZAC")
    assert rules["local_authority_in_zip_zac"].valid_from == dt.date(2018, 5, 25)  # FAQ's date
    assert rules["local_authority_in_zac"].zones == ("ZAC",)
    assert rules["local_authority_in_zac"].valid_from == dt.date(2026, 1, 1)
    # for_commune applies ZIP and ZAC (FAQ, 2019 guide) and shows the 2025 guide's rule
    zip_ = aids.for_commune("36001", ZONING, on="2026-03-01", profile="installation")
    assert zip_.measures.loc["local_authority_aids", "status"] == "eligible"
    zac = aids.for_commune("36002", ZONING, on="2026-03-01", profile="installation")
    assert {"local_authority_in_zac", "local_authority_in_zip_zac"} <= set(zac.eligibility.index)


def test_coscom_supplements_per_source_and_date():
    # elus2019 Annexe 2: "un complément mensuel de 300 € dans le cadre de l'accueil d'un
    # stagiaire", "un complément annuel de 1 250 €"; fir92_2025 COSCOM 2022-2025: "Aide
    # forfaitaire annuelle de 5000€ (+1000 € dans certaines zones)", "Aide complémentaire
    # annuelle de 1500€ si exercice partiel en hôpital de proximité", "stagiaire étudiant en
    # médecine de 360 € par mois"; cvl2025: "800 € en ZIP (contre 350 € avant)"
    _quoted("fir_territorial_hauts_de_seine_2025.txt", "stagiaire étudiant en médecine de 360 €")
    who = Profile(
        situations=("coordinated_practice", "hopital_de_proximite", "training_supervisor"),
        majorated_zone=False,
    )
    old = aids.for_commune("36001", ZONING, on="2021-06-01", profile=who)
    assert old.measures.loc["coscom", "per_year"] == 5000 + 1250 + 12 * 300
    new = aids.for_commune("36001", ZONING, on="2023-06-01", profile=who)
    assert new.measures.loc["coscom_2022", "per_year"] == 5000 + 1500 + 12 * 360
    assert new.measures.loc["coscom_2022", "total"] == 3 * (5000 + 1500 + 12 * 360)
    assert "coscom_2022" in new.excluded.loc["coscom", "reason"]  # both kept, one applied
    zoned = aids.assess(CAT["coscom_2022"], Profile(("coordinated_practice",), majorated_zone=True))
    assert zoned.per_year == 6000
    unknown = aids.assess(CAT["coscom_2022"], Profile(("coordinated_practice",)))
    assert "+1 000 € a year if majorated_zone" in unknown.basis
    before = CAT["training_supervisor_zip_before_2026"]
    assert (before.amount, before.zones, before.valid_to) == (350, ("ZIP",), dt.date(2025, 12, 31))


def test_caim_2022_majoration_hospital_and_optam():
    # fir92_2025 CAIM: "conventionné secteur 1 ou secteur 2 Optam / Optam-ACO", "De 31 250€
    # 50 000 € selon le nb de jours", "+ majoration de 20% dans certaines zones", "Aide
    # complémentaire de 2500€ si exercice partiel en hôpital de proximité"
    _quoted("fir_territorial_hauts_de_seine_2025.txt", "secteur 1 ou secteur 2 Optam / Optam-ACO")
    caim = CAT["caim_2022"]
    assert caim.valid_from == dt.date(2022, 1, 1)
    assert caim.valid_to == dt.date(2025, 12, 31)
    full = aids.assess(caim, Profile(majorated_zone=True, hopital_de_proximite=True))
    assert full.total == 50000 * 1.2 + 2500
    assert full.payments == ((0, 30000 + 2500), (12, 30000))
    assert aids.assess(caim, Profile(days_per_week=2.5, majorated_zone=False)).total == 31250
    for sector, status in (("1", "eligible"), ("2_optam", "eligible"), (None, "depends")):
        p = Profile(situations=("installation",), sector=sector)
        assert aids.evaluate(caim, "ZIP", p).status == status
    refused = aids.evaluate(caim, "ZIP", Profile(situations=("installation",), sector="2"))
    assert refused.status == "excluded"
    assert "sector in 1 or 2_optam" in refused.reason


def test_cotram_2022_ages_and_majoration():
    # fir92_2025 COTRAM: "Âgé de 60 ans ou plus", "Accueillant dans le cabinet un médecin âgé
    # de moins de 50 ans", "10 % des honoraires ... dans la limite de 20 000 € par an
    # (majoration de 20% dans certaines zones)"
    _quoted("fir_territorial_hauts_de_seine_2025.txt", "•Âgé de 60 ans ou plus")
    cotram = CAT["cotram_2022"]

    def status(**fields):
        return aids.evaluate(cotram, "ZIP", Profile(situations=("transition",), **fields))

    assert status(age=60, successor_age=49).status == "eligible"
    assert status(age=59, successor_age=49).status == "excluded"
    assert status(age=64, successor_age=50).status == "excluded"
    assert status(age=64).depends_on == ("successor_age < 50",)
    p = Profile(situations=("transition",), yearly_fees=300_000, majorated_zone=True)
    assert aids.assess(cotram, p).per_year == 20000 * 1.2
    assert aids.assess(CAT["cstm_2022"], Profile(yearly_fees=100_000)).per_year == 25000
    assert aids.evaluate(CAT["cstm_2022"], "ZIP", Profile(days_per_year=9)).status == "excluded"


def test_advanced_consultations_6_half_days_a_month():
    # fir92_2025 "Evolutions 2026": "Consultations avancées en ZIP 200 € par demi-journée dans
    # la limite de 6 demi-journées par mois"
    _quoted(
        "fir_territorial_hauts_de_seine_2025.txt",
        "200 € par demi-journée dans la limite de 6 demi-journées par mois",
    )
    plan = pd.DataFrame(
        {"commune": ["36001"], "situations": ["advanced_consultations"], "half_days_per_year": 240}
    )
    result = aids.cost(plan, ZONING, on="2026-03-01")
    assert result.by_measure_year.loc["advanced_consultations_zip_2026", "total"] == 14400
    m = CAT["advanced_consultations_zip_2026"]
    assert aids.assess(m, Profile(half_days_per_month=10)).per_year == 200 * 6 * 12
    assert aids.assess(m, Profile(half_days_per_month=4)).per_year == 200 * 4 * 12


def test_fmt_majorations_of_2026():
    # fir92_2025: "Majoration du FMT (Forfait Médecin Traitant) pendant 3 ans : 50% la 1ère
    # année, 30% la 2ème année, 10% à compter de la 3ème année. Majoration élargie aux
    # médecins installés en QPV hors ZIP. Majoration du FMT de 10% en ZIP/QPV (dès 2026) tant
    # que le médecin exerce en ZIP. Majoration de 10% du FMT pour les médecins de plus de 67 ans."
    _quoted("fir_territorial_hauts_de_seine_2025.txt", "Majoration élargie aux médecins installés")
    first = CAT["fmt_first_installation_2026"]
    a = aids.assess(first, Profile(fmt_per_year=10_000))
    assert a.payments == ((0, 5000), (12, 3000), (24, 1000))
    assert aids.evaluate(first, "ZAC", Profile(qpv=True)).status == "eligible"
    assert aids.evaluate(first, "ZAC", Profile()).depends_on == ("qpv",)
    assert aids.evaluate(first, "ZAC", Profile(qpv=False)).status == "excluded"
    assert aids.assess(CAT["fmt_zip_2026"], Profile(fmt_per_year=10_000)).per_year == 1000
    old = CAT["fmt_over_67_2026"]
    assert aids.evaluate(old, "HZ", Profile(("practice",), age=68)).status == "eligible"
    assert aids.evaluate(old, "HZ", Profile(("practice",), age=67)).status == "excluded"


def test_pdsa_60_days_and_the_2019_guide_items():
    # sros2012: "Exonération d'impôt sur le revenu des rémunérations à hauteur de 60 jours de
    # permanence par an"; elus2019: "Le dispositif « 400 médecins » ... dans un territoire
    # fragile de bénéficier pendant deux ans d'une garantie financière"; "Arrêté du 14 août
    # 2019 portant approbation de l'avenant n° 7" (assistants médicaux)
    _quoted("sros_ambulatoire_ile_de_france_2012.txt", "à hauteur de 60 jours de permanence par an")
    assert CAT["pdsa_income_tax_exemption"].max_days_per_year == 60
    assert CAT["pdsa_income_tax_exemption"].zones == ("ZIP",)
    centre = CAT["health_centre_400_doctors"]
    assert (centre.zones, centre.duration_years) == (("ZIP", "ZAC"), 2)
    assert CAT["medical_assistants"].valid_from == dt.date(2019, 8, 14)
    # the guide's date, "Novembre 2019", not a day found in no document
    assert CAT["cesp"].valid_from == dt.date(2019, 11, 1)


def test_pias_in_zip_and_zac_only():
    # faq2018 p. 7: "L. 1435-4-4 du code de la santé publique X X Contrat de Praticien Isolé à
    # Activité Saisonnière (PIAS)"
    _quoted(
        "faq_zonage_medecins_generalistes_2018.txt",
        "L. 1435-4-4 du code de la santé publique X X Contrat de Praticien Isolé",
    )
    assert CAT["pias"].zones == ("ZIP", "ZAC")
    hz = aids.for_commune("36044", ZONING, on="2019-12-01", profile="isolated_seasonal")
    assert "pias" in hz.excluded.index
    assert "pias" not in hz.measures.index


def test_cfe_exemption_cases():
    # elus2019 fiche n°5: "dès lors que ce site est situé : - dans une commune de moins de 2 000
    # habitants - dans une zone de revitalisation rurale - dans une zone sous-dense au sens du
    # code de la santé publique (ZIP et ZAC)"; fiche n°3: "zone franche urbaine"
    _quoted("guide_acces_aux_soins_elus_2019.txt", "dans une commune de moins de 2 000 habitants")
    cfe = CAT["cfe_secondary_practice_exemption"]

    def status(zone, **fields):
        return aids.evaluate(cfe, zone, Profile(situations=("secondary_practice",), **fields))

    assert status("ZAC").status == "eligible"
    assert status("HZ", commune_population=1500).status == "eligible"
    assert status("HZ", zrr=True).status == "eligible"
    assert status("HZ", zfu=True).status == "eligible"
    unknown = status("HZ")
    assert unknown.status == "depends"
    assert "commune_population < 2000" in unknown.reason
    assert status("HZ", commune_population=5000, zrr=False, zfu=False).status == "excluded"
    small = aids.for_commune(
        "36044", ZONING, on="2026-03-01", profile={"situations": ["secondary_practice"]}
    )
    assert small.measures.loc["cfe_secondary_practice_exemption", "status"] == "depends"


def test_options_of_the_2011_conventions():
    # sros2012: "Option démographie ... Médecin en groupe : 10% des honoraires sans dépassement
    # dans la zone plafonnée à 20 000 euros ... Médecin en groupe : 5 000 euros par an pendant 3
    # ans"; "Convention médicale du 26 juillet 2011 approuvée par arrêté du 22 septembre 2011";
    # nurses: "(de 3 000 euros par an versés à terme échu pendant 3 ans)"
    _quoted("sros_ambulatoire_ile_de_france_2012.txt", "approuvée par arrêté du 22 septembre 2011")
    zoning = pd.Series({"75101": "deficitaire", "75102": "very_under_served"})
    doctor = Profile(situations=("coordinated_practice",), sector="1", yearly_fees=150_000)
    claim = aids.for_commune("75101", zoning, on="2012-06-01", profile=doctor)
    assert claim.measures.loc["option_demographie_2011", "per_year"] == 15000 + 5000
    nurse = aids.for_commune("75102", zoning, on="2012-06-01", profile="installation")
    assert nurse.measures.loc["nurse_incentive_contract_2011", "total"] == 9000
    osst = aids.evaluate(CAT["option_sante_solidarite_territoriale_2011"], "deficitaire", None)
    assert osst.depends_on == ("days_per_year >= 28",)


def test_cli_prints_measures_conditions_sources_and_exclusions(tmp_path, capsys):
    path = tmp_path / "zoning.csv"
    path.write_text("code,zone\n36001,ZIP\n36044,HZ\n", encoding="utf-8")
    args = ["aids", "--commune", "36044", "--zoning", str(path), "--date", "2026-03-01"]
    assert main([*args, "--profile", "secondary_practice", "--commune-population", "900"]) == 0
    out = capsys.readouterr().out
    assert "cfe_secondary_practice_exemption" in out
    assert "conditions: zone ZIP or ZAC or zrr or zfu or commune_population < 2000" in out
    assert "source: elus2019" in out
    assert "valid: from 2019-11-01 (no end date stated in the sources)" in out
    assert "excluded (" in out
    assert "secondary_practice_zip_2026: for zones ZIP; the commune is HZ" in out
    assert main([*args, "--profile", "secondary_practice"]) == 0
    assert "depends on: zrr or zfu or commune_population < 2000" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("com_code;zmed_niveau\n36001;5_HZ\n", encoding="utf-8")
    rc = main(["aids", "--commune", "36001", "--zoning", str(bad), "--date", "2026-03-01"])
    assert rc == 1
    assert "5_HZ" in capsys.readouterr().err


def test_preferred_entries_are_one_per_group():
    groups: dict[str, list[str]] = {}
    for m in CAT.measures:
        if m.group:
            groups.setdefault(m.group, []).append(m.id)
    for group, ids in groups.items():
        preferred = [i for i in ids if CAT[i].preferred]
        assert len(preferred) == 1, group
        assert CAT[preferred[0]].preference_note
        assert len(ids) >= 2
    assert not math.isnan(CAT["caim"].amount)
