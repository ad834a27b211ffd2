"""Supply rules of the professions zoned in five levels (physiotherapists, dentists).

The rule texts available are those of the ambulatory part of the Île-de-France regional plan
(``sros_ambulatoire_ile_de_france_2012.txt``, section "Déterminer et réguler les zones d'offre de
soins en masseurs kinésithérapeutes libéraux"). The annexes of the arrêtés of 21 December 2011
and 12 June 2012 that set the numbers (days of a full-time year, the dentists' age and activity
weights, the speech therapists' part-time rules) are not among the reference documents: the
rules take those numbers as parameters and the tests below exercise the mechanics with values
passed explicitly.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import InputFormatError, ParameterError
from aplcore.supply import DentistFTERules, PhysiotherapistFTERules, count_supply

SROS = Path(__file__).resolve().parents[1] / ".." / "shared" / "docs"
SROS = SROS / "sros_ambulatoire_ile_de_france_2012.txt"


def _sros() -> str:
    if not SROS.exists():
        pytest.skip(f"reference document {SROS} absent (expected in ../shared/docs)")
    text = unicodedata.normalize("NFKC", SROS.read_text(encoding="utf-8")).replace("\u2019", "'")
    return " ".join(text.split())


@pytest.mark.parametrize(
    "quote",
    [
        # FTE of physiotherapists from their days of activity
        "Le Nombre de MK exprimé en Equivalent temps plein (ETP) est calculé selon le nombre "
        "d'actes réalisés par jour par le professionnel dans l'année (FNPS 2010)",
        # travel time converted into FTE
        "Le temps passé en déplacement est converti en ETP",
        # the annex that sets the numbers, referred to but not reproduced
        "est présentée dans l'Annexe III de Arrêté du 12 Juin 2012",
    ],
)
def test_physiotherapist_rule_texts_are_in_the_plan(quote):
    assert " ".join(quote.split()) in _sros()


def _physios() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "practitioner_id": ["a", "a", "b", "c"],
            "commune": ["36001", "36002", "36003", "36003"],
            "days_worked": [120.0, 60.0, 240.0, 300.0],
            "travel_days": [12.0, 6.0, 0.0, 30.0],
        }
    )


def test_physiotherapists_fte_is_days_over_a_full_time_year():
    # "ETP ... calculé selon le nombre d'actes réalisés par jour ... dans l'année": days / full year
    rules = PhysiotherapistFTERules(full_time_days=200, travel="ignore")
    supply = count_supply(_physios(), rules=rules)
    assert supply.to_dict() == pytest.approx({"36001": 0.6, "36002": 0.3, "36003": 1.2 + 1.5})


def test_physiotherapists_travel_time_deducted_or_added():
    # "Le temps passé en déplacement est converti en ETP"
    deduct = count_supply(_physios(), rules=PhysiotherapistFTERules(200, travel="deduct"))
    # a: (120 - 12 + 60 - 6) / 200 = 0.81, split 2/3 - 1/3 by days worked
    assert deduct.to_dict() == pytest.approx({"36001": 0.54, "36002": 0.27, "36003": 1.2 + 1.35})
    add = count_supply(_physios(), rules=PhysiotherapistFTERules(200, travel="add"))
    assert add["36003"] == pytest.approx(1.2 + 1.65)


def test_physiotherapists_cap_and_errors():
    capped = count_supply(_physios(), rules=PhysiotherapistFTERules(200, "ignore", max_fte=1.0))
    assert capped["36003"] == pytest.approx(2.0)
    with pytest.raises(InputFormatError, match="travel_days column"):
        count_supply(
            _physios().drop(columns="travel_days"), rules=PhysiotherapistFTERules(200, "add")
        )
    with pytest.raises(ParameterError, match="full_time_days must be a positive"):
        PhysiotherapistFTERules(0, "add")
    with pytest.raises(ParameterError, match="travel must be"):
        PhysiotherapistFTERules(200, "subtract")
    with pytest.raises(TypeError):
        PhysiotherapistFTERules()  # no default for numbers the available texts do not give


def _dentists() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "practitioner_id": list("abcdefghij"),
            "commune": ["36001"] * 5 + ["36002"] * 5,
            "activity": [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100],
            "age": [40, 62, 45, 50, 55, 41, 59, 60, 44, 39],
        }
    )


RULES = DentistFTERules(older_from=60, older_weight=0.5, top_share=0.2, top_weight=1.5)


def test_dentists_older_count_less_most_active_count_more():
    rows = count_supply(_dentists(), rules=RULES, detail=True).set_index("practitioner_id")
    counted = rows["counted"]
    assert counted["b"] == 0.5  # aged 62
    assert counted["h"] == 0.5  # aged 60: "from" the age
    assert counted["g"] == 1.0  # aged 59
    assert counted[["i", "j"]].tolist() == [1.5, 1.5]  # top 20 % of 10 dentists: 2
    assert counted[["a", "c", "d", "e", "f"]].tolist() == [1.0] * 5
    supply = count_supply(_dentists(), rules=RULES)
    assert supply.to_dict() == {"36001": 4.5, "36002": 5.5}


def test_dentists_ties_and_sites():
    weights = RULES.weights(np.array([5.0, 9, 9, 1, 2]), np.array([30, 30, 30, 30, 30]))
    assert weights.tolist() == [1.0, 1.5, 1.5, 1.0, 1.0]  # floor(0.2 * 5) = 1, tie included
    two_sites = pd.DataFrame(
        {
            "practitioner_id": ["a", "a", "b"],
            "commune": ["36001", "36002", "36001"],
            "activity": [30.0, 10.0, 100.0],
            "age": [65, 65, 40],
        }
    )
    rules = DentistFTERules(older_from=60, older_weight=0.5, top_share=0.5, top_weight=1.5)
    supply = count_supply(two_sites, rules=rules)
    assert supply.to_dict() == {"36001": 0.375 + 1.5, "36002": 0.125}


def test_dentists_in_both_groups_need_a_weight():
    rows = _dentists().assign(age=[40] * 9 + [61])  # j: most active and aged 61
    with pytest.raises(ParameterError, match="give both_weight"):
        count_supply(rows, rules=RULES)
    rules = DentistFTERules(60, 0.5, 0.2, 1.5, both_weight=0.75)
    counted = count_supply(rows, rules=rules, detail=True).set_index("practitioner_id")["counted"]
    assert counted["j"] == 0.75
    with pytest.raises(InputFormatError, match="age column"):
        count_supply(_dentists().drop(columns="age"), rules=RULES)
    with pytest.raises(ParameterError, match="top_share"):
        DentistFTERules(60, 0.5, 1.2, 1.5)
