"""Synthetic GP table: reproducibility, realism of the distributions, validity as an input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aplcore.datasets import load_communes
from aplcore.errors import CommuneCodeError, InputFormatError, InvalidValueError, ParameterError
from aplcore.io import PRACTITIONER_COLUMNS, read_practitioners
from aplcore.synthetic import SYNTHETIC_FILE_NAME, SyntheticGPParams, synthetic_practitioners


@pytest.fixture(scope="module")
def france() -> pd.DataFrame:
    return load_communes(france=True, dropna=True)


@pytest.fixture(scope="module")
def gps(france) -> pd.DataFrame:
    return synthetic_practitioners(france, seed=7)


def test_density_and_concentration(france, gps):
    n_gps = gps["practitioner_id"].nunique()
    assert n_gps == round(france["population"].sum() / 1100)
    has_gp = france.index.isin(gps["commune"])
    pop = france["population"].to_numpy(dtype=float)
    assert has_gp[pop >= 10_000].all()
    assert has_gp[pop < 500].mean() < 0.15
    assert 0.2 < has_gp.mean() < 0.45
    # GPs per inhabitant grow with commune size
    per_commune = gps.groupby("commune")["practitioner_id"].nunique()
    counts = per_commune.reindex(france.index, fill_value=0).to_numpy()
    small, large = pop < 2000, pop >= 20_000
    assert counts[large].sum() / pop[large].sum() > counts[small].sum() / pop[small].sum()


def test_activity_age_kind_distributions(gps):
    total = gps.groupby("practitioner_id")["activity"].sum()
    assert 4200 < total.median() < 4800
    assert 0.01 < (total < 250).mean() < 0.06
    assert 0.1 < (total > 6000).mean() < 0.35
    assert gps["activity"].min() >= 0
    assert gps["age"].between(30, 75).all()
    assert gps["age"].min() == 30
    assert gps["age"].max() == 75
    assert 0.02 < (gps["kind"] == "centre_sante").mean() < 0.08
    assert 0.005 < gps["new_install"].mean() < 0.05
    assert not gps.loc[gps["kind"] == "centre_sante", "new_install"].any()


def test_multi_site_gps(france, gps):
    sites = gps.groupby("practitioner_id")["commune"].agg(["size", "nunique"])
    multi = sites[sites["size"] > 1]
    assert 0.01 < len(multi) / len(sites) < 0.05
    assert (multi["size"] == multi["nunique"]).all()
    rows = gps[gps["practitioner_id"].isin(multi.index)]
    assert (rows["kind"] == "liberal").all()
    deps = france.loc[rows["commune"], "departement"].to_numpy()
    assert (pd.Series(deps).groupby(rows["practitioner_id"].to_numpy()).nunique() == 1).all()
    assert (rows.groupby("practitioner_id")["age"].nunique() == 1).all()


def test_output_is_a_valid_practitioner_table(gps):
    assert tuple(gps.columns) == PRACTITIONER_COLUMNS
    assert gps.attrs["synthetic"] is True
    assert "SYNTHETIC" in gps.attrs["source"]
    assert "synthetic" in SYNTHETIC_FILE_NAME
    assert gps["practitioner_id"].str.fullmatch(r"SYN\d{6}").all()
    back = read_practitioners(gps)
    pd.testing.assert_frame_equal(back, gps, check_like=False, check_dtype=False)


def test_feeds_count_gp_activity(gps):
    supply = pytest.importorskip("aplcore.supply")
    counted = supply.count_gp_activity(gps)
    assert counted.index.isin(gps["commune"]).all()
    assert (counted >= 0).all()


def test_reproducible_and_order_independent(france):
    region = france[france["region"] == "24"]
    a = synthetic_practitioners(region, seed=3)
    b = synthetic_practitioners(region.sample(frac=1.0, random_state=1), seed=3)
    pd.testing.assert_frame_equal(a, b)
    c = synthetic_practitioners(region, seed=4)
    assert not a.equals(c)


@given(
    st.lists(st.integers(0, 200_000), min_size=1, max_size=40).filter(lambda v: sum(v) > 0),
    st.integers(0, 2**32 - 1),
)
def test_properties_on_random_populations(pops, seed):
    codes = [f"{45000 + i:05d}" for i in range(len(pops))]
    population = pd.Series(pops, index=codes)
    gps = synthetic_practitioners(population, seed=seed)
    assert gps["practitioner_id"].nunique() == round(sum(pops) / 1100)
    assert set(gps["commune"]) <= {c for c, p in zip(codes, pops, strict=True) if p > 0}
    assert (gps["activity"] >= 0).all()
    assert not gps.duplicated(["practitioner_id", "commune"]).any()


def test_parameters_change_the_density(france):
    region = france[france["departement"] == "45"]
    dense = synthetic_practitioners(region, params=SyntheticGPParams(inhabitants_per_gp=500))
    expected = round(region["population"].sum() / 500)
    assert dense["practitioner_id"].nunique() == expected


def test_errors():
    with pytest.raises(InvalidValueError, match=r"'97601', .*\(17 in all\) without one"):
        synthetic_practitioners(load_communes(departement="976"))
    with pytest.raises(InputFormatError, match=r"needs a 'population' column"):
        synthetic_practitioners(pd.DataFrame({"pop": [1]}, index=["01001"]))
    with pytest.raises(CommuneCodeError, match=r"found numbers"):
        synthetic_practitioners(pd.Series([100.0], index=[1001]))
    with pytest.raises(InvalidValueError, match=r"total population is zero"):
        synthetic_practitioners(pd.Series([0.0], index=["01001"]))
    with pytest.raises(ParameterError, match=r"shares must lie in \[0, 1\]"):
        SyntheticGPParams(multi_site_share=1.5)
    with pytest.raises(ParameterError, match=r"must be positive.*inhabitants_per_gp"):
        SyntheticGPParams(inhabitants_per_gp=0)
    assert np.isclose(SyntheticGPParams().inhabitants_per_gp, 1100.0)
