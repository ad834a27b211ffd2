"""Overrides: territory and commune level, cap checks after them, and what they break."""

from __future__ import annotations

import pandas as pd
import pytest

from aplcore.errors import (
    DuplicateError,
    InputFormatError,
    MissingCommuneError,
    ParameterError,
)
from aplcore.zoning import ZoningWarning, classify_zones

CODES = ["45001", "45002", "45003", "45004", "45005"]


def inputs():
    apl = pd.Series([1.0, 2.0, 3.0, 3.5, 4.5], index=CODES)
    pop = pd.Series([100, 100, 100, 40, 60], index=CODES)
    tvs = pd.Series(["A", "B", "C", "C", "D"], index=CODES)
    return apl, pop, tvs


CAPS = {"ZIP": 200, "ZAC": 150}


def test_territory_override_within_caps():
    apl, pop, tvs = inputs()
    base = classify_zones(apl, population=pop, territory=tvs, caps=CAPS)
    assert base.territories["zone"].to_dict() == {"A": "ZIP", "B": "ZIP", "C": "ZAC", "D": "HZ"}
    z = classify_zones(apl, population=pop, territory=tvs, caps=CAPS, overrides={"C": "HZ"})
    assert z.territories.at["C", "zone"] == "HZ"
    assert z.territories.at["C", "selection"] == "override"
    assert z.communes.loc[["45003", "45004"], "zone"].tolist() == ["HZ", "HZ"]
    assert z.communes.loc[["45003", "45004"], "zone_computed"].tolist() == ["ZAC", "ZAC"]
    assert z.communes.loc["45003", "override"] == "override"
    assert z.caps_met


def test_commune_override_qpv_with_reason():
    apl, pop, tvs = inputs()
    overrides = pd.DataFrame(
        {"code": ["45004"], "level": ["commune"], "zone": ["ZIP"], "reason": ["QPV"]}
    )
    with pytest.warns(ZoningWarning, match=r"ZIP: 240 inhabitants for a limit of 200 \(\+40\)"):
        z = classify_zones(apl, population=pop, territory=tvs, caps=CAPS, overrides=overrides)
    assert z.communes.loc["45004", "zone"] == "ZIP"
    assert z.communes.loc["45003", "zone"] == "ZAC"
    assert z.territories.at["C", "zone"] == "ZAC"  # the territory keeps its computed zone
    assert z.communes.loc["45004", "override"] == "QPV"
    row = z.checks.set_index("constraint").loc["ZIP"]
    assert (row["used"], row["used_before_overrides"], row["excess"]) == (240, 200, 40)
    assert row["broken_by"] == "commune 45004 -> ZIP"
    assert not bool(z.report["met"].iloc[-1])


def test_override_that_breaks_a_cap_can_raise():
    apl, pop, tvs = inputs()
    # ZIP and ZIP+ZAC caps, and D's APL 4.5 is above the ZIP threshold (2.71)
    with pytest.raises(
        ParameterError,
        match=r"the zoning breaks 3 caps or rules: région all ZIP: 260 .*broken by territory D "
        r"-> ZIP.*eligibility: 60 inhabitants, broken by territory D -> ZIP",
    ):
        classify_zones(
            apl,
            population=pop,
            territory=tvs,
            caps=CAPS,
            overrides={"D": "ZIP"},
            on_violation="raise",
        )


def test_commune_override_wins_over_territory_override():
    apl, pop, tvs = inputs()
    overrides = pd.DataFrame(
        {"code": ["C", "45004"], "level": ["territory", "commune"], "zone": ["HZ", "ZAC"]}
    )
    # 45004 (40 of 400 inhabitants) exceeds the 2025 guide's default commune substitution
    # limit, "sans excéder 5 % de la population régionale" (20): reported, not refused
    with pytest.warns(ZoningWarning, match=r"commune substitution \(5 %\): 40 inhabitants"):
        z = classify_zones(apl, population=pop, territory=tvs, caps=CAPS, overrides=overrides)
    assert z.communes.loc[["45003", "45004"], "zone"].tolist() == ["HZ", "ZAC"]


def test_bad_overrides():
    apl, pop, tvs = inputs()
    with pytest.raises(ParameterError, match=r"overrides name unknown zones 'ZAR'"):
        classify_zones(apl, population=pop, territory=tvs, overrides={"A": "ZAR"})
    with pytest.raises(MissingCommuneError, match=r"overrides name 1 unknown territory codes: 'Q'"):
        classify_zones(apl, population=pop, territory=tvs, overrides={"Q": "ZIP"})
    dup = pd.DataFrame({"code": ["45001", "45001"], "level": "commune", "zone": ["ZIP", "HZ"]})
    with pytest.raises(DuplicateError, match=r"commune codes '45001' more than once"):
        classify_zones(apl, population=pop, territory=tvs, overrides=dup)
    with pytest.raises(InputFormatError, match=r"overrides need columns 'code' and 'zone'"):
        classify_zones(apl, population=pop, territory=tvs, overrides=pd.DataFrame({"code": []}))
    with pytest.raises(ParameterError, match=r"override level must be 'territory' or 'commune'"):
        classify_zones(
            apl,
            population=pop,
            territory=tvs,
            overrides=pd.DataFrame({"code": ["A"], "zone": ["ZIP"], "level": ["tvs"]}),
        )


def test_commune_override_population_limit():
    apl, pop, tvs = inputs()
    overrides = pd.DataFrame(
        {"code": ["45003", "45004"], "level": "commune", "zone": ["ZAC", "ZAC"]}
    )
    z = classify_zones(
        apl, population=pop, territory=tvs, overrides=overrides, commune_override_limit=140
    )
    row = z.checks.set_index("constraint").loc["commune overrides"]
    assert (row["used"], row["limit"], bool(row["met"])) == (140, 140, True)
    with pytest.raises(
        ParameterError, match=r"commune overrides: 140 inhabitants for a limit of 100 .*45003"
    ):
        classify_zones(
            apl,
            population=pop,
            territory=tvs,
            overrides=overrides,
            commune_override_limit={"all": 100},
            on_violation="raise",
        )
