"""The zoning session: proposal, agency choices with reasons, gauges, saved/replayed/diffed."""

from __future__ import annotations

import pandas as pd
import pytest

from aplcore.errors import ParameterError
from aplcore.zoning import classify_zones, compare_zonings, zoning_in_force
from aplcore.zoning.session import ZoningSession, diff_choices, read_choices

CODES = ["18001", "18002", "37001", "37002", "37003", "89001"]


def data():
    apl = pd.Series([2.0, 2.6, 3.0, 3.5, 5.0, 3.1], index=CODES)
    pop = pd.Series([100.0, 100.0, 100.0, 100.0, 100.0, 30.0], index=CODES)
    table = pd.DataFrame(
        {
            "territory": ["A", "B", "C", "D", "E", "C"],
            "region": ["24", "24", "24", "24", "24", "27"],
        },
        index=CODES,
    )
    caps = pd.DataFrame({"ZIP": [200, 100], "ZAC": [200, 100]}, index=["24", "27"])
    return apl, pop, table, caps


@pytest.fixture
def session():
    apl, pop, table, caps = data()
    return ZoningSession(apl, population=pop, territory=table, caps=caps, agency="24")


def test_proposal_choices_and_gauges(session):
    # C spans régions 24 and 27: the 2025 preset classifies each région's part on its own
    assert session.proposal.territories["zone"].to_dict() == {
        "A": "ZIP",
        "B": "ZIP",
        "C@24": "ZAC",
        "C@27": "ZAC",
        "D": "ZAC",
        "E": "HZ",
    }
    z = session.choose("D", "HZ", reason="cabinet repris")
    assert z.territories.at["D", "zone"] == "HZ"
    assert session.proposal.territories.at["D", "zone"] == "ZAC"  # the proposal stays
    gauges = session.gauges().set_index(["region", "zone"])
    assert gauges.loc[("24", "ZAC"), "population"] == 100
    # cumulative caps (2025): ZIP + ZAC within 400, 300 used
    assert gauges.loc[("24", "ZAC"), "room"] == 100
    assert gauges.loc[("24", "ZIP"), "room"] == 0
    assert gauges.loc[("24", "ZIP"), "cap"] == 200
    deps = session.departements()
    assert deps.loc[("24", "37"), "ZAC"] == 100
    assert deps.loc[("24", "37"), "ZAC_proposal"] == 200
    assert session.broken().empty


def test_broken_rules_name_the_choice(session):
    session.choose("E", "ZIP", reason="désert médical")
    broken = session.broken()
    assert set(broken["constraint"]) >= {"ZIP", "eligibility"}
    assert (broken["broken_by"].str.contains("territory E -> ZIP")).all()
    session.withdraw("E")
    assert session.broken().empty


def test_majority_region_decides_a_cross_region_territory_in_2017():
    # faq_zonage_medecins_generalistes_2018.txt (FAQ_mg, 25/05/2018) p. 10, "Comment qualifier
    # le TVS au regard de son niveau d'APL ?": "le TVS est alors qualifié dans sa globalité par
    # l'ARS qui abrite dans cette zone la part de population la plus importante"
    apl, pop, table, _ = data()
    caps_2017 = pd.DataFrame({"ZIP": [200, 100], "ZAC": [200, 100]}, index=["24", "27"])
    kwargs = {"population": pop, "territory": table, "caps": caps_2017, "method": "zonage_2017"}
    other = ZoningSession(apl, agency="27", **kwargs)
    with pytest.raises(ParameterError, match=r"région 24 holds the largest share"):
        other.choose("C", "ZV")
    with pytest.raises(ParameterError, match=r"commune 18001 is in région 24"):
        other.choose("QN1", "ZIP", level="qpv", commune="18001", population=10)
    mine = ZoningSession(apl, agency="24", **kwargs)
    mine.choose("C", "ZIP")  # 24 holds 100 of C's 130 residents
    assert mine.zoning.communes.at["89001", "zone"] == "ZIP"  # the whole TVS, 27's part too


def test_each_region_qualifies_its_own_communes_in_2025():
    # guide_zonage_medecins_centre_val_de_loire_2025.txt, "Gestion des TVS situés sur plusieurs
    # régions administratives": "L'ARS Centre-Val de Loire a procédé à la qualification des
    # communes de sa région pour le TVS situé sur plusieurs régions administratives. Ainsi, a
    # été pris en compte seulement la population des communes de sa région administrative dans
    # le calcul du plafond de population régionale."
    apl, pop, table, caps = data()
    # TVS C: 100 residents in 24 (37001), 30 in 27 (89001); APL of the whole TVS
    # (3.0 * 100 + 3.1 * 30) / 130 = 3.023 for both parts: ZAC (2.71 < APL <= 3.98)
    other = ZoningSession(apl, population=pop, territory=table, caps=caps, agency="27")
    terr = other.proposal.territories
    assert terr.at["C@27", "apl"] == pytest.approx((3.0 * 100 + 3.1 * 30) / 130, abs=1e-12)
    assert terr.at["C@24", "apl"] == terr.at["C@27", "apl"]
    assert (terr.at["C@27", "region"], terr.at["C@27", "population"]) == ("27", 30)
    # agency 27 holds 30 % of the TVS and still chooses for its own communes
    z = other.choose("C@27", "ZIP", reason="commune isolée")
    assert z.communes.at["89001", "zone"] == "ZIP"
    assert z.communes.at["37001", "zone"] == "ZAC"  # 24's communes are 24's to qualify
    gauges = other.gauges().set_index(["region", "zone"])
    assert gauges.loc[("27", "ZIP"), "population"] == 30  # only 27's residents count for 27
    with pytest.raises(ParameterError, match=r"région 24 holds the largest share"):
        other.choose("C@24", "ZIP")
    with pytest.raises(ParameterError, match=r"territory C spans régions .*'C@24', 'C@27'"):
        other.choose("C", "ZIP")


def test_choices_saved_replayed_and_diffed(session, tmp_path):
    session.choose("D", "HZ", reason="cabinet repris")
    session.choose("37001", "ZIP", level="commune", reason="pôle de santé")
    session.choose("QN03701M", "ZIP", level="qpv", commune="37002", population=40, reason="QPV")
    path = session.save(tmp_path / "choices.csv")
    saved = read_choices(path)
    assert saved["code"].tolist() == ["D", "37001", "QN03701M"]
    apl, pop, table, caps = data()
    again = ZoningSession.replay(path, apl, population=pop, territory=table, caps=caps)
    pd.testing.assert_frame_equal(again.zoning.report, session.zoning.report)
    assert again.zoning.qpv.at[0, "population"] == 40
    # the same choices on new data: a new APL year
    newer = ZoningSession.replay(path, apl * 1.1, population=pop, territory=table, caps=caps)
    assert newer.zoning.communes.at["37001", "zone"] == "ZIP"
    session.choose("D", "ZAC", reason="avis du CTS")
    session.withdraw("37001", level="commune")
    diff = session.diff(path)
    assert diff[["level", "code", "change"]].values.tolist() == [
        ["commune", "37001", "removed"],
        ["territory", "D", "changed"],
    ]
    assert diff_choices(saved, saved).empty


def test_a_bad_choice_leaves_the_session_unchanged(session):
    session.choose("D", "HZ")
    with pytest.raises(ParameterError, match="unknown zones"):
        session.choose("C@24", "ZZZ")
    assert session.choices["code"].tolist() == ["D"]


def test_session_on_the_real_zoning_in_force(shared_raw):
    # the zoning in force (national file, spring 2025) for Loiret as the agency's starting
    # point: one territory per commune, APL standing in as 2 for its ZIP, 3 for ZAC, 5 for HZ
    in_force = zoning_in_force(
        shared_raw / "zonage_medecins_national_2025_05/zonage_medecins_par_commune.csv"
    )
    loiret = in_force[in_force.index.str.startswith("45")]
    apl = loiret.map({"ZIP": 2.0, "ZAC": 3.0, "HZ": 5.0, "ZAR": 5.0, "NA": 5.0}).astype(float)
    pop = pd.Series(100.0, index=loiret.index)
    session = ZoningSession(apl, population=pop, territory=None, agency="all")
    assert (session.proposal.communes["zone"] == loiret.replace({"ZAR": "HZ", "NA": "HZ"})).all()
    first_zac = loiret.index[loiret == "ZAC"][0]
    session.choose(first_zac, "ZIP", reason="départ en retraite")
    cmp = compare_zonings(loiret, session.zoning)
    assert cmp.communes["changed"].sum() == 1 + (loiret.isin(["ZAR", "NA"])).sum()
    z = classify_zones(apl, population=pop)
    assert z.communes["zone"].value_counts().sum() == len(loiret)


def test_undo_redo_and_version(session):
    assert session.version == 0
    assert not session.can_undo
    session.choose("D", "HZ", reason="cabinet repris")
    session.choose("E", "ZAC", reason="maison de santé")
    session.withdraw("D")
    assert session.version == 3
    assert session.history()[["action", "code", "zone", "reason"]].values.tolist() == [
        ["choose", "D", "HZ", "cabinet repris"],
        ["choose", "E", "ZAC", "maison de santé"],
        ["withdraw", "D", "", ""],
    ]
    assert session.zoning.territories.at["D", "zone"] == "ZAC"
    session.undo()  # the withdrawal: D back in HZ
    assert session.zoning.territories.at["D", "zone"] == "HZ"
    assert session.zoning.communes.at["37002", "zone"] == "HZ"
    session.undo()
    assert session.choices["code"].tolist() == ["D"]
    assert session.can_redo
    session.redo()
    assert session.choices["code"].tolist() == ["D", "E"]
    assert session.version == 6
    session.choose("A", "ZAC")  # a new step drops what was undone
    assert not session.can_redo
    with pytest.raises(ParameterError, match="nothing to redo"):
        session.redo()
    for _ in range(3):
        session.undo()
    assert session.choices.empty
    pd.testing.assert_frame_equal(session.zoning.communes, session.proposal.communes)
    with pytest.raises(ParameterError, match="nothing to undo"):
        session.undo()


def test_a_refused_choice_is_not_a_step(session):
    session.choose("D", "HZ")
    with pytest.raises(ParameterError):
        session.choose("C", "ZZZ")
    assert session.version == 1
    assert len(session.history()) == 1


def test_zone_options_say_what_each_zone_would_do(session):
    options = session.zone_options("E").set_index("zone")
    assert options.at["HZ", "status"] == "current"
    # E (100 inhabitants, APL 5) into ZIP: over the ZIP cap and not eligible, only checked
    assert options.at["ZIP", "status"] == "breach"
    assert "ZIP (cap)" in options.at["ZIP", "message"]
    assert "eligibility" in options.at["ZIP", "message"]
    assert session.choices.empty  # nothing changed
    assert session.version == 0
    # 2017: the région holding the largest share of a cross-région territory sets it
    apl, pop, table, caps = data()
    other = ZoningSession(
        apl, population=pop, territory=table, caps=caps, agency="27", method="zonage_2017"
    )
    refused = other.zone_options("C").set_index("zone")
    assert refused["status"].tolist() == ["refused", "current", "refused", "refused"]
    assert "région 24 holds the largest share" in refused.at["ZIP", "message"]
    assert set(session.zone_options("D")["status"]) <= {"current", "allowed", "breach"}
