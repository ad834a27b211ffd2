"""Aids catalogue: figures against their sources, the loader's schema checks, for_commune, cost
and the ``aplcore aids`` command.

Sources (in ``../shared/docs``): ``cvl2025`` = ARS Centre-Val de Loire, *Guide zonage médecins*
(2025), section 05 "Les aides disponibles" (pp. 16-19); ``elus2019`` = *Accès aux soins : le guide
pratique pour les élus* (2019).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from aplcore import aids
from aplcore.aids import CatalogueError, Profile, load_catalogue
from aplcore.cli import main
from aplcore.errors import AplcoreError, InvalidValueError, MissingCommuneError

DOCS = Path(__file__).resolve().parents[1] / ".." / "shared" / "docs"
FILES = {
    "cvl2025": "guide_zonage_medecins_centre_val_de_loire_2025.txt",
    "elus2019": "guide_acces_aux_soins_elus_2019.txt",
    "fir92_2025": "fir_territorial_hauts_de_seine_2025.txt",
    "faq2018": "faq_zonage_medecins_generalistes_2018.txt",
    "sros2012": "sros_ambulatoire_ile_de_france_2012.txt",
}
CAT = aids.default_catalogue()

ZONING = pd.Series(
    {"36001": "ZIP", "36002": "ZAC", "36044": "HZ", "36003": "ZIP"}, name="zone"
).rename_axis("code")


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    return " ".join(text.split())


def _doc(source: str) -> str:
    path = DOCS / FILES[source]
    if not path.exists():
        pytest.skip(f"reference document {path} absent (expected in ../shared/docs)")
    return _normalised(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ figures and their sources
# Every figure, zone and date is bound to its passage by tests/test_aids_sources.py (and the
# binding is proven by tests/test_aids_mutations.py); the tests here check the rules applied.


def test_every_measure_names_its_source_section_and_dates():
    assert len(CAT) >= 20
    for m in CAT.measures:
        assert m.source in CAT.sources
        assert m.section
        assert m.validity_note
        assert CAT.sources[m.source]["file"] == FILES[m.source]
        if m.source == "cvl2025":
            assert m.pages == "16-19"  # section 05 of the guide's contents: pages 16 to 19
        rules = ("none", "share_of_fees", "quarterly_table", "share_of_base")
        assert m.amount is not None or m.rule in rules
        if m.rule == "none":
            assert m.amount is None
            assert m.amount_note


def test_convention_2016_contracts():
    # cvl2025, section 05, "Les contrats incitatifs (valable jusqu'au 31/12/2025)"
    caim, coscom, cotram, cstm = (CAT[i] for i in ("caim", "coscom", "cotram", "cstm"))
    for m in (caim, coscom, cotram, cstm):
        assert m.zones == ("ZIP",)
        assert m.valid_to == dt.date(2025, 12, 31)
    assert (caim.amount, caim.schedule, caim.duration_years) == (50000, ((0, 0.5), (12, 0.5)), 5)
    assert caim.prorated
    assert caim.full_time_days_per_week == 4
    assert caim.payment_schedule == "50% at the start, 50% after 12 months"
    assert coscom.payment_schedule == "yearly for 3 years"
    assert CAT["ptmg"].payment_schedule == "not stated in the source"
    assert caim.min_days_per_week == 2.5
    assert coscom.amount == 5000
    assert aids.Supplement("hopital_de_proximite", 1250, "year") in coscom.supplements
    assert (cotram.rate, cotram.cap_per_year, cotram.duration_years) == (0.10, 20000, 3)
    assert (cstm.rate, cstm.cap_per_year, cstm.duration_years) == (0.25, 50000, 3)
    assert cstm.valid_from == dt.date(2019, 2, 1)  # the 25 % rate "depuis février 2019"


def test_contrat_debut_exercice_table():
    # cvl2025, section 05: "Quotité de travail | Montant minimal d'honoraires | Plafond"
    m = CAT["contrat_debut_exercice"]
    assert m.table == (
        (29, 34, 6675, 8325),
        (35, 40, 8000, 10000),
        (41, 46, 9350, 11675),
        (47, 52, 10675, 13325),
        (53, 0, 12000, 15000),
    )
    assert m.zones == ("ZIP", "ZAC")
    assert m.min_activity_share == 0.8

    def basis(days, share=1.0):
        p = Profile(
            situations=("replacement",), days_per_quarter=days, activity_share_in_zones=share
        )
        return aids.assess(m, p)

    assert "6 675 €" in basis(29).basis
    assert "8 325 €" in basis(34).basis
    assert "8 000 €" in basis(35).basis
    assert "15 000 €" in basis(90).basis
    assert not basis(28).eligible
    assert not basis(53, share=0.79).eligible
    assert basis(53, share=0.8).eligible
    assert math.isnan(basis(53).total)  # a guarantee, not an amount paid


def test_convention_2024_2029_amounts_from_2026():
    # cvl2025, section 05, "Zoom sur les nouvelles mesures incitatives (à partir du 1er
    # janvier 2026)"
    expected = {
        "installation_zip_2026": (10000, ("ZIP",)),
        "installation_zac_2026": (5000, ("ZAC",)),
        "secondary_practice_zip_2026": (3000, ("ZIP",)),
        "advanced_consultations_zip_2026": (200, ("ZIP",)),
        "training_supervisor_zip_2026": (800, ("ZIP",)),
        "training_supervisor_other_2026": (500, ("ZAC", "HZ")),  # "500 € hors ZIP"
    }
    for mid, (amount, zones) in expected.items():
        m = CAT[mid]
        assert (m.amount, m.zones, m.valid_from) == (amount, zones, dt.date(2026, 1, 1))
    assert CAT["advanced_consultations_zip_2026"].rule == "per_half_day"
    # the guide does not say what 800 € and 500 € are per: reported, not costed
    assert CAT["training_supervisor_zip_2026"].rule == "period_not_stated"


def test_eligibility_conventional_in_zip_local_authorities_in_zac():
    # cvl2025, section 05: "des aides conventionnelles ... - en ZIP ; des aides des collectivités
    # territoriales prévues à l'article L. 1511-8 du code général des collectivités
    # territoriales – en ZAC."
    rules = {r.id: r for r in CAT.eligibility}
    assert rules["conventional_in_zip"].zones == ("ZIP",)
    assert rules["conventional_in_zip"].funder == "assurance_maladie"
    assert rules["local_authority_in_zac"].zones == ("ZAC",)
    assert "L. 1511-8" in rules["local_authority_in_zac"].rule
    on_zac = aids.for_commune("36002", ZONING, on="2026-03-01")
    assert "local_authority_in_zac" in on_zac.eligibility.index
    assert "conventional_in_zip" not in on_zac.eligibility.index


def test_measures_of_the_2019_guide():
    cesp = CAT["cesp"]
    assert (cesp.rule, cesp.amount, cesp.zones) == ("per_month", 1200, ("ZIP", "ZAC"))
    assert aids.assess(cesp, Profile(situations=("student",), months=24)).total == 28800
    ptmg = CAT["ptmg"]  # State aids merged in 2020 into the contrat de début d'exercice
    assert ptmg.rule == "none"
    assert ptmg.guarantee == 6900
    assert ptmg.valid_to == dt.date(2019, 12, 31)
    pias = CAT["pias"]
    assert (pias.amount, pias.activity_rate, pias.activity_cap) == (2300, 0.05, 4600)
    assert CAT["local_authority_aids"].rule == "none"  # amounts set by each local authority
    assert CAT["cfe_secondary_practice_exemption"].kind == "tax"
    assert CAT["pdsa_income_tax_exemption"].zones == ("ZIP",)


# ------------------------------------------------------------------ amounts and dates


def test_caim_prorated_to_days_worked():
    caim = CAT["caim"]
    assert aids.assess(caim, Profile(days_per_week=4)).total == 50000
    assert aids.assess(caim, Profile(days_per_week=5)).total == 50000
    assert aids.assess(caim, Profile(days_per_week=3)).total == 37500
    low = aids.assess(caim, Profile(days_per_week=2))
    assert not low.eligible
    assert "2.5 days" in low.basis
    assert aids.assess(caim, Profile(days_per_week=3)).payments == ((0, 18750), (12, 18750))


def test_share_of_fees_capped_per_year():
    cstm = CAT["cstm"]
    assert (
        aids.assess(cstm, Profile(situations=("occasional_practice",), yearly_fees=100_000)).total
        == 75000
    )
    capped = aids.assess(cstm, Profile(situations=("occasional_practice",), yearly_fees=400_000))
    assert (capped.per_year, capped.total) == (50000, 150000)
    assert math.isnan(aids.assess(cstm, Profile(situations=("occasional_practice",))).total)


def test_dates_decide_which_entries_apply():
    before = aids.for_commune("36001", ZONING, on="2025-12-31", profile="first_installation")
    after = aids.for_commune("36001", ZONING, on=dt.date(2026, 1, 1), profile="first_installation")
    # in 2022-2025 the Hauts-de-Seine statement of the CAIM applies; sector unknown: depends
    assert before.measures.loc["caim_2022", "status"] == "depends"
    assert before.measures.loc["caim_2022", "depends_on"] == "sector in 1 or 2_optam"
    assert "caim" in before.excluded.index  # the 2025 guide's statement, kept with its source
    assert "caim_2022" in before.excluded.loc["caim", "reason"]
    assert "installation_zip_2026" not in before.measures.index
    assert "caim_2022" not in after.measures.index
    assert after.measures.loc["installation_zip_2026", "total"] == 10000
    zac = aids.for_commune("36002", ZONING, on="2026-03-01", profile="first_installation")
    assert zac.measures.loc["installation_zac_2026", "total"] == 5000
    assert "installation_zip_2026" in zac.excluded.index
    hz = aids.for_commune("36044", ZONING, on="2026-03-01", profile="first_installation")
    assert hz.zone == "HZ"
    assert hz.total == 0
    assert hz.measures["eligible"].sum() == 0
    # the FMT majoration over 67 is tied to no zone: it depends on the doctor's age
    assert hz.measures.loc["fmt_over_67_2026", "depends_on"] == "age > 67"


def test_date_outside_every_entry_names_the_periods(tmp_path):
    with pytest.raises(CatalogueError, match=r"2010-01-01.*covers from 2011-09-22 on"):
        aids.for_commune("36001", ZONING, on="2010-01-01")
    small = tmp_path / "small.toml"
    small.write_text(
        _toml(
            _entry("a", valid_to="2025-12-31"),
            _entry("b", valid_from="2027-01-01", valid_to="2027-06-30"),
        )
    )
    cat = load_catalogue(small)
    with pytest.raises(CatalogueError, match=r"2016-10-20 to 2025-12-31; 2027-01-01 to 2027-06-30"):
        aids.for_commune("36001", ZONING, on="2026-06-01", catalogue=cat)
    with pytest.raises(InvalidValueError, match="YYYY-MM-DD"):
        aids.for_commune("36001", ZONING, on="1/3/2026")


def test_zoning_forms_and_errors():
    national = pd.DataFrame(
        {"com_code": ["01001", "36001"], "tvs_code": ["x", "y"], "zmed_niveau": ["1_ZIP", "3_HZ"]}
    )
    zones = aids.zone_table(national)
    assert zones.to_dict() == {"01001": "ZIP", "36001": "HZ"}
    # the codes the national-file reader refuses are refused here too (one check)
    for code in ("5_HZ", "3_ZV", "2_Sous_dotee"):
        bad = national.assign(zmed_niveau=["1_ZIP", code])
        with pytest.raises(
            InvalidValueError, match=rf"level codes no national file carries: '{code}'"
        ):
            aids.zone_table(bad)
    with_na = pd.DataFrame(
        {"com_code": ["01001", "01002", "01004"], "zmed_niveau": ["4_ZAR", "NA", "2_ZAC"]}
    )
    assert aids.for_commune("01001", with_na, on="2026-03-01").zone == "HZ"  # ZAR: no GP aid listed
    assert aids.for_commune("01004", with_na, on="2026-03-01").zone == "ZAC"
    with pytest.raises(InvalidValueError, match="01002 has no zone"):
        aids.for_commune("01002", with_na, on="2026-03-01")
    with pytest.raises(InvalidValueError, match="without a zone"):
        aids.cost(["01002"], with_na, on="2026-03-01")

    class FakeZoning:
        communes = pd.DataFrame(
            {"zone": ["ZAC", "ZV"]}, index=pd.Index(["36001", "36002"], name="code")
        )

    assert aids.zone_table(FakeZoning()).to_dict() == {"36001": "ZAC", "36002": "HZ"}
    reinforced = pd.Series({"75101": "ZIP_renforcee", "75102": "ZIP+"})
    assert set(aids.zone_table(reinforced)) == {"ZIP"}  # Île-de-France's reinforced ZIP
    assert aids.zone_table(pd.Series({"36001": "very_under_served"})).iloc[0] == "very_under_served"
    with pytest.raises(InvalidValueError, match="GP zones"):
        aids.zone_table(pd.Series({"36001": "banana"}))
    with pytest.raises(MissingCommuneError, match="36999 is not in the zoning"):
        aids.for_commune("36999", ZONING, on="2026-03-01")
    with pytest.raises(AplcoreError, match="commune code"):
        aids.for_commune(36001, ZONING, on="2026-03-01")
    with pytest.raises(InvalidValueError, match="unknown profile"):
        aids.for_commune("36001", ZONING, on="2026-03-01", profile="astronaut")


# ------------------------------------------------------------------ cost of a plan


def test_cost_by_measure_and_year():
    plan = pd.DataFrame({"commune": ["36001", "36002", "36044"], "count": [2, 1, 1]})
    unknown = aids.cost(plan, ZONING, on="2025-06-01")
    # the sector is unknown: the CAIM depends on it and is not costed, nor assumed
    assert "caim_2022" not in unknown.by_measure_year.index
    assert "depends on sector" in unknown.not_costed.loc["caim_2022", "reason"]
    assert unknown.not_costed.loc["caim_2022", "installations"] == 1
    result = aids.cost(plan, ZONING, on="2025-06-01", profile={"sector": "1"})
    # CAIM (ZIP only): 2 × 50 000 €, half at installation (2025), half after one year (2026)
    assert result.by_measure_year.loc["caim_2022"].to_dict() == {
        2025: 50000,
        2026: 50000,
        "total": 100000,
    }
    assert result.total == 100000
    assert "local_authority_aids" in result.not_costed.index  # rule without an amount
    later = aids.cost(plan, ZONING, on="2026-02-01")
    assert later.by_measure_year.loc["installation_zip_2026", 2026] == 20000
    assert later.by_measure_year.loc["installation_zac_2026", 2026] == 5000
    assert later.total == 25000


def test_cost_rows_with_their_own_date_and_profile():
    plan = pd.DataFrame(
        {
            "code": ["36001", "36003", "36001"],
            "date": ["2025-11-15", "2026-01-10", None],
            "situations": ["occasional_practice", "first_installation", "advanced_consultations"],
            "yearly_fees": [40_000, None, None],
            "days_per_year": [12, None, None],
            "half_days_per_year": [None, None, 40],
        }
    )
    result = aids.cost(plan, ZONING, on="2026-03-01", horizon_years=2)
    by = result.by_measure_year
    # 2025: the 2022-2025 CSTM (no duration: the horizon's 2 years), majoration zone unknown
    assert by.loc["cstm_2022"].to_dict() == {2025: 10000, 2026: 10000, 2027: 0, "total": 20000}
    assert by.loc["installation_zip_2026", "total"] == 10000
    assert by.loc["advanced_consultations_zip_2026", "total"] == 2 * 40 * 200  # 2 years counted
    assert result.by_year.sum() == result.total


def test_cost_errors():
    with pytest.raises(MissingCommuneError, match="36999"):
        aids.cost(["36001", "36999"], ZONING, on="2026-03-01")
    with pytest.raises(CatalogueError, match="covers"):
        aids.cost(
            pd.DataFrame({"commune": ["36001"], "date": ["2001-01-01"]}), ZONING, on="2026-03-01"
        )
    with pytest.raises(AplcoreError, match="'commune'"):
        aids.cost(pd.DataFrame({"x": [1]}), ZONING, on="2026-03-01")


# ------------------------------------------------------------------ loader schema errors


def _entry(
    mid: str, *, valid_from: str = "2016-10-20", valid_to: str | None = None, **extra
) -> str:
    lines = [
        "[[measure]]",
        f'id = "{mid}"',
        'name = "n"',
        'funder = "etat"',
        'kind = "state"',
        'profession = "médecin"',
        'situations = ["installation"]',
        'zones = ["ZIP"]',
        'eligibility = "e"',
        'rule = "lump_sum"',
        "amount = 1000.0",
        f"valid_from = {valid_from}",
        'source = "s"',
        'section = "p. 1"',
        'validity_note = "v"',
    ]
    if valid_to:
        lines.append(f"valid_to = {valid_to}")
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines)


def _toml(*entries: str) -> str:
    return '[sources.s]\ntitle = "t"\nfile = "f.txt"\n\n' + "\n\n".join(entries) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_toml(_entry("a").replace('name = "n"\n', "")), r"measure 'a'.*missing key\(s\) name"),
        (_toml(_entry("a", colour='"red"')), r"unknown key\(s\) colour"),
        (_toml(_entry("a", valid_from='"2016-10-20"')), r"valid_from must be a date"),
        (_toml(_entry("a").replace('["ZIP"]', '["ZRR"]')), r"zones must be a non-empty list"),
        (_toml(_entry("a", schedule="[[0, 0.5], [12, 0.4]]")), r"sum to 1"),
        (_toml(_entry("a").replace('"lump_sum"', '"none"')), r"rule 'none' needs amount_note"),
        (_toml(_entry("a"), _entry("a")), r"unique, found a twice"),
        (_toml(_entry("a", valid_to="2010-01-01")), r"valid_to 2010-01-01 is before valid_from"),
        (_toml(_entry("a").replace('source = "s"', 'source = "x"')), r"source 'x' is not one"),
        (_toml(_entry("a").replace('"lump_sum"', '"bonus"')), r"rule must be one of"),
        ("[sources.s]\ntitle = 't'\n", r"no \[\[measure\]\] entries"),
        ("measure = [", r"not valid TOML"),
    ],
)
def test_loader_reports_schema_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(path)


def test_shipped_catalogue_is_package_data():
    from importlib import resources

    assert resources.files("aplcore.aids").joinpath("catalogue.toml").is_file()
    assert load_catalogue(Path(aids.__file__).parent / "catalogue.toml").to_frame().shape[0] == len(
        CAT
    )


# ------------------------------------------------------------------ command line


def _demo_like_zoning(tmp_path: Path) -> Path:
    # the columns of the demo's apl_<source>.csv, which carries the zone of every commune
    path = tmp_path / "zoning.csv"
    pd.DataFrame(
        {
            "code": ["36001", "36002", "36044", "01001"],
            "name": ["Aigurande", "Aize", "Châteauroux", "L'Abergement"],
            "apl": [2.1, 3.0, 5.0, 4.5],
            "territory": ["t1", "t2", "t3", "t4"],
            "zone": ["ZIP", "ZAC", "HZ", "HZ"],
        }
    ).to_csv(path, index=False)
    return path


def test_cli_aids_for_a_commune(tmp_path, capsys):
    zoning = _demo_like_zoning(tmp_path)
    assert (
        main(["aids", "--commune", "36044", "--zoning", str(zoning), "--date", "2026-03-01"]) == 0
    )
    out = capsys.readouterr().out
    assert "commune 36044: zone HZ on 2026-03-01" in out
    assert "training_supervisor_other_2026" in out
    args = ["aids", "--commune", "36001", "--zoning", str(zoning), "--date", "2026-03-01"]
    table = tmp_path / "aids.csv"
    assert main([*args, "--profile", "first_installation", "--out", str(table)]) == 0
    out = capsys.readouterr().out
    assert "installation_zip_2026" in out
    assert "10 000 €" in out
    assert "cvl2025" in out
    assert pd.read_csv(table, index_col="id").loc["installation_zip_2026", "total"] == 10000
    assert (
        main(["aids", "--commune", "01001", "--zoning", str(zoning), "--date", "2026-03-01"]) == 0
    )


def test_cli_aids_errors_in_one_line(tmp_path, capsys):
    zoning = _demo_like_zoning(tmp_path)
    rc = main(["aids", "--commune", "36001", "--zoning", str(zoning), "--date", "2010-01-01"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "covers from 2011-09-22 on" in err
    assert len(err.strip().splitlines()) == 1
    rc = main(["aids", "--commune", "36999", "--zoning", str(zoning), "--date", "2026-01-01"])
    assert rc == 1
    assert "not in the zoning" in capsys.readouterr().err


def test_cli_aids_plan_cost(tmp_path, capsys):
    zoning = _demo_like_zoning(tmp_path)
    plan = tmp_path / "plan.csv"
    pd.DataFrame({"commune": ["36001", "36002"], "count": [3, 1]}).to_csv(plan, index=False)
    out_path = tmp_path / "cost.csv"
    args = ["aids", "--plan", str(plan), "--zoning", str(zoning), "--date", "2026-03-01"]
    assert main([*args, "--out", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert "total: 35 000 €" in out
    assert main([*args, "--out", str(out_path)]) == 1  # refuses to overwrite
    assert main([*args, "--out", str(out_path), "--overwrite"]) == 0


@pytest.mark.slow
def test_cli_aids_on_the_demo_zoning(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--departement", "36", "--out", str(out)]) == 0
    capsys.readouterr()
    zoning = next(out.glob("apl_*.csv"))  # the demo writes each commune's zone there
    args = ["aids", "--commune", "36044", "--zoning", str(zoning), "--date", "2026-03-01"]
    assert main(args) == 0
    assert "commune 36044: zone" in capsys.readouterr().out


def test_cost_of_a_siting_result():
    class Siting:  # the shape of aplcore.scenarios' siting results: one row per doctor placed
        sites = pd.DataFrame({"code": ["36001", "36001", "36002"], "gain": [3.0, 2.0, 1.0]})

    result = aids.cost(Siting(), ZONING, on="2026-03-01")
    assert result.by_measure_year["total"].to_dict() == {
        "installation_zac_2026": 5000,
        "installation_zip_2026": 20000,
    }


def test_cli_aids_on_a_national_zoning_file(tmp_path, capsys):
    path = tmp_path / "zonage_medecins.csv"
    path.write_text(
        "com_code;tvs_code;zmed_niveau\n01001;01004;1_ZIP\n01002;01004;2_ZAC\n", encoding="utf-8"
    )
    args = ["aids", "--commune", "01001", "--zoning", str(path), "--date", "2025-06-01"]
    assert main([*args, "--profile", "installation", "--days-per-week", "3"]) == 0
    out = capsys.readouterr().out
    assert "commune 01001: zone ZIP on 2025-06-01" in out
    # the 2022-2025 statement of the CAIM; the sector is not given: it depends on it
    assert "caim_2022: Contrat d'aide à l'installation des médecins (CAIM)" in out
    assert "depends on: sector in 1 or 2_optam" in out
    assert main([*args, "--profile", "installation", "--days-per-week", "3", "--sector", "1"]) == 0
    out = capsys.readouterr().out
    assert "= 37 500 €" in out  # 50 000 € × 3 / 4 days
