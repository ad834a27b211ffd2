"""Composite-indicator zonings (2011-2012): normalisations, combinations, population cap, the
±1-level adaptation and the two presets, checked against the regional plan's text.

Source: ARS Île-de-France, volet ambulatoire du SROS (2012),
``sros_ambulatoire_ile_de_france_2012.txt`` in ``../shared/docs``, sections "Déterminer les zones
déficitaires et fragiles en termes d'offre de soins" and "Déterminer et réguler les zones d'offre
de soins en infirmiers libéraux".
"""

from __future__ import annotations

import dataclasses
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import InputFormatError, MissingCommuneError, ParameterError
from aplcore.zoning import classify_zones
from aplcore.zoning.composite import (
    IDF_2012_ZONES,
    CompositeMethod,
    Indicator,
    ageing_criterion,
    combine,
    idf_2012_gp,
    normalise,
    nurses_2011,
)
from aplcore.zoning.methods import FIVE_LEVELS

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
        # the 7 % cap of the 2012 GP zoning (IDF_2012: caps {"deficitaire": 0.07})
        "la part de la population vivant dans les zones déficitaires ne pourra excéder une part "
        "de la population régionale calculée pour chaque région (7% en Ile-de-France)",
        # free units among INSEE ones (the territory table is an input)
        "le périmètre géographique de ces zones est libre mais doit tenir compte d'un découpage "
        "reconnu par l'INSEE (grands quartiers, commune, canton, ..)",
        # the four indicators
        "basée sur une combinaison de quatre indicateurs",
        "une forte proportion de professionnels de 60 ans et plus et qui ont connu une évolution "
        "négative ou nulle de leurs effectifs sur les trois dernières années",
        "L'indicateur de développement humain est utilisé",
        # deficitaire zones are identified inside the fragile territories
        "Dans ces territoires sont identifiées des « zones déficitaires »",
        # the published result (7.3 %, above the 7 % cap)
        "29 territoires franciliens sont identifiés comme déficitaires",
        "Ces territoires regroupent 868 101 habitants (7,3 % de la population)",
        # nurses: four indicators, five levels, ±1 level within 10 % of the zones
        "les honoraires moyens sans dépassement (HSD) par infirmier",
        "la part des personnes âgées de plus de 75 ans",
        "la densité (standardisée par âge) pour 100 000 habitants",
        "le nombre moyen d'indemnités kilométriques (IK) par IDEL",
        "Ces zones sont classées en cinq niveaux de dotation, zone « très sous dotée »",
        "classer une zone dans une catégorie dont le niveau de dotation est immédiatement "
        "inférieur ou supérieur dans la limite de 10 % de la totalité des zones par région",
        "Pour l'Ile de France, au total, 5 zones de la région peuvent être théoriquement modifiées",
    ],
)
def test_rules_quoted_from_the_plan(quote):
    assert " ".join(quote.split()) in _sros()


# ------------------------------------------------------------------ normalisation, combination


def test_normalisations_are_oriented_so_that_higher_is_worse():
    x = np.array([3.0, 1.0, 2.0, 2.0])
    worse_high = Indicator("x", "higher_is_worse", "rank")
    assert normalise(x, worse_high).tolist() == [4.0, 1.0, 2.5, 2.5]
    worse_low = Indicator("x", "lower_is_worse", "percentile")
    assert normalise(x, worse_low).tolist() == pytest.approx([0.0, 1.0, 0.5, 0.5])
    z = normalise(x, Indicator("x", "higher_is_worse", "zscore"))
    assert z.mean() == pytest.approx(0.0)
    assert z.std() == pytest.approx(1.0)
    assert z[0] > z[2] > z[1]
    assert normalise(np.array([5.0, 5.0]), Indicator("x", "lower_is_worse", "zscore")).tolist() == [
        0.0,
        0.0,
    ]
    assert normalise(np.array([7.0]), worse_low).tolist() == [0.5]


def test_weighted_sum_and_k_of_n():
    table = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, 10.0]}, index=["t1", "t2", "t3"])
    ind = (
        Indicator("a", "higher_is_worse", weight=3.0, threshold=2.0),
        Indicator("b", "higher_is_worse", weight=1.0, threshold=25.0),
    )
    ws = combine(table, ind)
    # percentiles a: 0, .5, 1; b: 1, .5, 0; weights 3/4 and 1/4
    assert ws["score"].tolist() == pytest.approx([0.25, 0.5, 0.75])
    k = combine(table, ind, combination="k_of_n")
    assert k["criteria"].tolist() == [1, 1, 1]
    with pytest.raises(InputFormatError, match="lacks the columns"):
        combine(table, (Indicator("c", "higher_is_worse"),))
    with pytest.raises(ParameterError, match="needs a threshold"):
        combine(table, (Indicator("a", "higher_is_worse"),), combination="k_of_n")
    with pytest.raises(InputFormatError, match="finite"):
        combine(table.assign(a=[1.0, np.nan, 3.0]), ind)


def test_ageing_criterion():
    share = pd.Series({"u1": 0.5, "u2": 0.5, "u3": 0.2})
    change = pd.Series({"u1": 0, "u2": 3, "u3": -2})
    assert ageing_criterion(share, change, share_threshold=0.4).tolist() == [1.0, 0.0, 0.0]


# ------------------------------------------------------------------ as a zoning method


def _units(n_units: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    codes = [f"75{i:03d}" for i in range(1, 2 * n_units + 1)]
    units = [f"U{i // 2:02d}" for i in range(2 * n_units)]
    population = pd.Series(rng.integers(1_000, 20_000, len(codes)).astype(float), index=codes)
    territory = pd.Series(units, index=codes)
    index = sorted(set(units))
    return codes, population, territory, index, rng


def _classify(method, codes, population, territory, region=None, **options):
    apl = pd.Series(0.0, index=codes)  # not used by composite methods
    region = pd.Series("11", index=codes) if region is None else region
    return classify_zones(
        apl, population=population, territory=territory, method=method, region=region, **options
    )


def test_population_cap_worst_score_first():
    codes, population, territory, index, _rng = _units()
    score = pd.DataFrame({"s": np.arange(len(index), dtype=float)}, index=index)  # U19 worst
    method = CompositeMethod(
        name="test",
        zones=("deficit", "other"),
        indicators=(Indicator("s", "higher_is_worse"),),
        data=score,
        population_caps={"deficit": 0.15},
    )
    zoning = _classify(method, codes, population, territory)
    terr = zoning.territories
    chosen = terr.index[terr["zone"] == "deficit"]
    unit_pop = population.groupby(territory).sum()
    assert unit_pop[chosen].sum() <= 0.15 * population.sum()
    # the worst units, in order, until the first that does not fit
    order = list(reversed(index))
    assert list(chosen.sort_values(ascending=False)) == order[: len(chosen)]
    next_unit = order[len(chosen)]
    assert unit_pop[chosen].sum() + unit_pop[next_unit] > 0.15 * population.sum()
    assert zoning.caps_met
    assert set(zoning.to_national_schema()["zmed_niveau"]) == {"deficit", "other"}
    assert "deficit" in zoning.format_report()


def test_k_of_n_selects_when_k_criteria_hold():
    codes, population, territory, index, _rng = _units(6)
    data = pd.DataFrame(
        {
            "a": [1, 1, 1, 0, 0, 0],
            "b": [1, 1, 0, 1, 0, 0],
            "c": [1, 0, 0, 1, 1, 0],
        },
        index=index,
        dtype=float,
    )
    method = CompositeMethod(
        name="k2",
        zones=("selected", "not"),
        indicators=tuple(Indicator(c, "higher_is_worse", threshold=1.0) for c in "abc"),
        data=data,
        combination="k_of_n",
        thresholds=(2,),
    )
    zoning = _classify(method, codes, population, territory)
    selected = zoning.territories.index[zoning.territories["zone"] == "selected"].tolist()
    assert selected == ["U00", "U01", "U03"]  # 3, 2 and 2 criteria; U02 and U04 hold one
    scores = method.scores()
    assert scores["criteria"].tolist() == [3, 2, 1, 2, 1, 0]


def test_five_levels_cut_by_share_of_territories():
    codes, population, territory, index, _rng = _units(20)
    data = pd.DataFrame({"s": np.arange(20.0)}, index=index)
    method = CompositeMethod(
        name="five",
        zones=FIVE_LEVELS,
        indicators=(Indicator("s", "lower_is_worse"),),
        data=data,
        thresholds=(0.1, 0.3, 0.7, 0.9),
        cut="share_of_territories",
    )
    zoning = _classify(method, codes, population, territory)
    counts = zoning.territories["zone"].value_counts()
    assert counts.to_dict() == {
        "very_under_served": 2,
        "under_served": 4,
        "intermediate": 8,
        "well_served": 4,
        "over_served": 2,
    }
    assert set(zoning.territories.loc[["U00", "U01"], "zone"]) == {"very_under_served"}


def test_adaptation_one_level_within_ten_percent():
    codes, population, territory, index, _rng = _units(20)
    data = pd.DataFrame({"s": np.arange(20.0)}, index=index)
    method = CompositeMethod(
        name="five",
        zones=FIVE_LEVELS,
        indicators=(Indicator("s", "lower_is_worse"),),
        data=data,
        thresholds=(0.1, 0.3, 0.7, 0.9),
        cut="share_of_territories",
        adaptation_share=0.10,
    )
    # U05 is under_served: one level down (intermediate) is allowed, 2 of 20 territories at most
    ok = _classify(method, codes, population, territory, overrides={"U05": "intermediate"})
    checks = ok.checks.set_index("constraint")
    assert checks.loc["territories moved one level", "limit"] == 2
    assert checks.loc["territories moved one level", "used"] == 1
    assert ok.caps_met
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        far = _classify(method, codes, population, territory, overrides={"U05": "over_served"})
        many = _classify(
            method,
            codes,
            population,
            territory,
            overrides={"U05": "intermediate", "U06": "under_served", "U10": "well_served"},
        )
    far_checks = far.checks.set_index("constraint")
    assert not far_checks.loc["moves of more than one level", "met"]
    assert far_checks.loc["moves of more than one level", "broken_by"] == "U05"
    many_checks = many.checks.set_index("constraint")
    assert not many_checks.loc["territories moved one level", "met"]
    assert many_checks.loc["territories moved one level", "used"] == 3


# ------------------------------------------------------------------ presets


def _idf_data(index, rng):
    return pd.DataFrame(
        {
            "gp_density_activity": rng.random(len(index)),
            "multiprofessional_supply": rng.random(len(index)),
            "gp_ageing": rng.integers(0, 2, len(index)).astype(float),
            "human_development_index": rng.random(len(index)),
        },
        index=index,
    )


def test_idf_2012_preset_parameters_and_run():
    codes, population, territory, index, rng = _units(30)
    weights = dict.fromkeys(
        ["gp_density_activity", "multiprofessional_supply", "gp_ageing", "human_development_index"],
        1.0,
    )
    method = idf_2012_gp(_idf_data(index, rng), weights=weights, fragile_threshold=0.55)
    assert method.zones == IDF_2012_ZONES
    assert method.population_caps == {"deficitaire": 0.07}  # « 7% en Ile-de-France »
    directions = {i.column: i.direction for i in method.indicators}
    assert directions["human_development_index"] == "lower_is_worse"
    assert directions["multiprofessional_supply"] == "lower_is_worse"
    zoning = _classify(method, codes, population, territory)
    share = zoning.communes.groupby("zone")["population"].sum() / population.sum()
    assert share.get("deficitaire", 0.0) <= 0.07
    scores = method.scores(zoning.territories.index)["score"]
    fragile_or_worse = zoning.territories["zone"].isin(["deficitaire", "fragile"])
    assert (scores[fragile_or_worse] >= 0.55).all()
    assert (scores[~fragile_or_worse] < 0.55).all()
    with pytest.raises(ParameterError, match="zones fragiles"):
        idf_2012_gp(_idf_data(index, rng), weights=weights)
    with pytest.raises(ParameterError, match="one weight for each"):
        idf_2012_gp(_idf_data(index, rng), weights={"gp_ageing": 1.0}, fragile_cap=0.2)


def test_nurses_2011_preset():
    codes, population, territory, index, rng = _units(20)
    data = pd.DataFrame(
        {
            "fees_per_nurse": rng.random(20),
            "share_over_75": rng.random(20),
            "standardised_density": rng.random(20),
            "mileage_per_nurse": rng.random(20),
        },
        index=index,
    )
    method = nurses_2011(
        data,
        thresholds=(0.1, 0.3, 0.7, 0.9),
        mileage_direction="higher_is_worse",
        weights=dict.fromkeys(data.columns, 1.0),
    )
    assert method.zones == FIVE_LEVELS
    assert method.adaptation_share == 0.10  # « dans la limite de 10 % de la totalité des zones »
    directions = {i.column: i.direction for i in method.indicators}
    assert directions == {
        "fees_per_nurse": "higher_is_worse",
        "share_over_75": "higher_is_worse",
        "standardised_density": "lower_is_worse",
        "mileage_per_nurse": "higher_is_worse",
    }
    zoning = _classify(method, codes, population, territory)
    assert zoning.territories["zone"].value_counts()["intermediate"] == 8


def test_nurses_2011_limit_of_its_region():
    # sros_ambulatoire_ile_de_france_2012.txt, "Adaptation de l'ARS": "dans la limite de 10 % de
    # la totalité des zones par région. Pour l'Ile de France, au total, 5 zones de la région
    # peuvent être théoriquement modifiées." and "ce découpage correspond à 294 territoires"
    text = _sros()
    assert "dans la limite de 10 % de la totalité des zones par région" in text
    assert "Pour l'Ile de France, au total, 5 zones de la région peuvent être" in text
    assert "ce découpage correspond à 294 territoires" in text
    n = 294
    codes, population, territory, index, rng = _units(n)
    data = pd.DataFrame(
        {c: rng.random(n) for c in ("fees_per_nurse", "share_over_75", "standardised_density")},
        index=index,
    ).assign(mileage_per_nurse=rng.random(n))
    method = nurses_2011(
        data,
        thresholds=(0.1, 0.3, 0.7, 0.9),
        mileage_direction="higher_is_worse",
        weights=dict.fromkeys(data.columns, 1.0),
    )
    assert method.adaptation_max_by_region == {"11": 5}
    base = _classify(method, codes, population, territory)
    up = {"very_under_served": "under_served", "under_served": "intermediate"}
    movable = base.territories["zone"][lambda z: z.isin(list(up))].head(6)
    moves = {t: up[z] for t, z in movable.items()}

    def run(choices, region):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _classify(method, codes, population, territory, overrides=choices, region=region)

    def row(zoning):
        return zoning.checks.set_index("constraint").loc["territories moved one level"]

    idf = pd.Series("11", index=codes)
    five = row(run(dict(list(moves.items())[:5]), idf))
    assert (five["limit"], five["used"], bool(five["met"])) == (5, 5, True)
    six = row(run(moves, idf))
    assert (six["limit"], six["used"], bool(six["met"])) == (5, 6, False)
    # another région: 10 % of its 294 territories, 29
    other = row(run(moves, pd.Series("24", index=codes)))
    assert (other["limit"], other["used"], bool(other["met"])) == (29, 6, True)


def test_composite_errors():
    codes, population, territory, index, _rng = _units(4)
    ind = (Indicator("s", "higher_is_worse"),)
    with pytest.raises(ParameterError, match="decreasing scores"):
        CompositeMethod(name="x", zones=("a", "b", "c"), indicators=ind, thresholds=(0.2, 0.5))
    with pytest.raises(ParameterError, match="direction"):
        Indicator("s", "up")
    with pytest.raises(ParameterError, match="numbers of criteria"):
        CompositeMethod(
            name="x",
            zones=("a", "b"),
            indicators=(Indicator("s", "higher_is_worse", threshold=1.0),),
            combination="k_of_n",
            thresholds=(2,),
        )
    with pytest.raises(ParameterError, match=r"shares of territories must lie in \[0, 1\]"):
        CompositeMethod(
            name="x", zones=("a", "b"), indicators=ind, thresholds=(10,), cut="share_of_territories"
        )
    twice = pd.DataFrame({"s": [1.0, 2.0]}, index=["U00", "U00"])
    with pytest.raises(InputFormatError, match="one row per territory"):
        CompositeMethod(name="x", zones=("a", "b"), indicators=ind, data=twice).scores()
    no_data = CompositeMethod(name="x", zones=("a", "b"), indicators=ind, thresholds=(0.5,))
    with pytest.raises(InputFormatError, match="no indicator table"):
        _classify(no_data, codes, population, territory)
    partial = dataclasses.replace(no_data, data=pd.DataFrame({"s": [1.0]}, index=["U00"]))
    with pytest.raises(MissingCommuneError, match="no row for 3 territories"):
        _classify(partial, codes, population, territory)
    uncapped = CompositeMethod(
        name="x", zones=("a", "b"), indicators=ind, data=pd.DataFrame({"s": [1.0] * 4}, index=index)
    )
    with pytest.raises(ParameterError, match="no thresholds"):
        _classify(uncapped, codes, population, territory)


def test_idf_2012_map_colours_follow_the_gp_zones():
    from aplcore.plots import ZONE_COLOURS
    from aplcore.zoning.composite import IDF_2012_COLOURS, IDF_2012_LABELS

    assert {
        "deficitaire": ZONE_COLOURS["ZIP"],
        "fragile": ZONE_COLOURS["ZAC"],
        "hors_zone": ZONE_COLOURS["HZ"],
    } == IDF_2012_COLOURS
    assert set(IDF_2012_LABELS) == set(IDF_2012_ZONES)


FIR = SROS.parent / "fir_territorial_hauts_de_seine_2025.txt"


@pytest.mark.parametrize(
    "quote",
    [
        "Même méthodologie qu'en 2022 • 7 indicateurs",
        "Caractéristiques sociales (1) : IDH2 – 2021 (coefficient 2)",
        "Morbidité (1) : % population ALD",
        "Densité MG : nb MG /10 000 habitants",
        "Evolution effectifs MG 2022 - 2024",
        "Age des médecins : % de MG > 62 ans",
        "Scénario 1 : IDH2 à 2 et QPV en ZIP Scénario 2: IDH2 à 1 densité MG à 2 Scénario 3 : "
        "IDH2 à 2 densité MG à 2",
        "pour atteindre l'objectif des 62,1%",
    ],
)
def test_idf_2025_method_quoted_from_the_fir_slides(quote):
    if not FIR.exists():
        pytest.skip(f"reference document {FIR} absent (expected in ../shared/docs)")
    text = unicodedata.normalize("NFKC", FIR.read_text(encoding="utf-8")).replace("\u2019", "'")
    assert " ".join(quote.split()) in " ".join(text.split())


def test_idf_2025_preset_scenarios():
    from aplcore.zoning.composite import IDF_2025_INDICATORS, IDF_2025_ZONES, idf_2025_gp

    codes, population, territory, index, rng = _units(30)
    data = pd.DataFrame({c: rng.random(30) for c in IDF_2025_INDICATORS}, index=index)
    weights = {
        s: {i.column: i.weight for i in idf_2025_gp(data, scenario=s).indicators} for s in (1, 2, 3)
    }
    assert weights[1]["idh2"] == 2
    assert weights[1]["gp_density"] == 1
    assert weights[2]["idh2"] == 1
    assert weights[2]["gp_density"] == 2
    assert weights[3]["idh2"] == 2
    assert weights[3]["gp_density"] == 2
    assert sum(weights[1].values()) == 8  # 7 indicators, IDH2 counted twice
    method = idf_2025_gp(data, scenario=1)
    zoning = _classify(
        method,
        codes,
        population,
        territory,
        caps={"ZIP_renforcee": 0.17, "ZIP": 0.45, "ZAC": 0.22},
        cap_unit="share",
    )
    assert tuple(zoning.zones) == IDF_2025_ZONES
    share = zoning.communes.groupby("zone")["population"].sum() / population.sum()
    assert share.get("ZIP_renforcee", 0) <= 0.17
    assert share.get("ZIP", 0) <= 0.45
    national = zoning.to_national_schema()
    assert set(national["zmed_niveau"]) <= {"1_ZIP", "2_ZAC", "3_HZ"}
    with pytest.raises(ParameterError, match="scenario must be 1, 2 or 3"):
        idf_2025_gp(data, scenario=4)


def test_composite_zoning_is_mapped_like_the_apl_zonings(tmp_path):
    import aplcore
    from aplcore.plots import plot_zoning_map
    from aplcore.zoning.composite import IDF_2012_COLOURS, IDF_2012_LABELS

    communes = aplcore.load_communes(departement="36")
    units = sorted(communes["epci"].dropna().unique())
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {
            "gp_density_activity": rng.random(len(units)),
            "multiprofessional_supply": rng.random(len(units)),
            "gp_ageing": rng.integers(0, 2, len(units)).astype(float),
            "human_development_index": rng.random(len(units)),
        },
        index=units,
    )
    method = idf_2012_gp(data, weights=dict.fromkeys(data.columns, 1.0), fragile_threshold=0.6)
    kept = communes.dropna(subset=["epci"])
    zoning = classify_zones(
        pd.Series(0.0, index=kept.index),
        population=kept["population"],
        territory=kept["epci"],
        method=method,
    )
    path = tmp_path / "composite.png"
    figure = plot_zoning_map(
        zoning.communes["zone"],
        aplcore.load_contours(departement="36"),
        labels=IDF_2012_LABELS,
        colours=IDF_2012_COLOURS,
        title="Composite zoning (illustrative indicators)",
        date=None,
        path=path,
    )
    legends = [*figure.legends, *(ax.get_legend() for ax in figure.axes)]
    legend = [t.get_text() for lg in legends if lg is not None for t in lg.get_texts()]
    assert "zone déficitaire" in legend
    assert path.stat().st_size > 10_000
