"""Bundled real communes: content, selection and errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from aplcore.codes import CODE_PATTERN
from aplcore.datasets import (
    LOCAL_CRS,
    list_departements,
    list_epcis,
    list_regions,
    load_communes,
    load_contours,
)
from aplcore.errors import MissingCommuneError, ParameterError


@pytest.fixture(scope="module")
def france() -> pd.DataFrame:
    return load_communes(france=True)


def test_france_rows_codes_and_known_communes(france):
    assert len(france) == 34_917
    assert france.index.name == "code"
    assert france.index.is_unique
    assert france.index.is_monotonic_increasing
    assert all(isinstance(c, str) and CODE_PATTERN.match(c) for c in france.index)
    for code in ("01001", "2A004", "2B033", "75101", "69381", "13216", "97411", "45234"):
        assert code in france.index
    assert france.loc["01001", "name"] == "L'Abergement-Clémenciat"
    assert france.loc["2A004", "name"] == "Ajaccio"
    assert france.loc["75101", "parent"] == "75056"


def test_arrondissements_replace_their_communes(france):
    assert not {"75056", "69123", "13055"} & set(france.index)
    arr = france[france["type"] == "arrondissement"]
    assert len(arr) == 45
    assert arr["parent"].value_counts().to_dict() == {"75056": 20, "13055": 16, "69123": 9}
    assert (arr["departement"] == arr["parent"].str[:2]).all()
    parents = load_communes(france=True, arrondissements=False)
    assert len(parents) == 34_875
    assert {"75056", "69123", "13055"} <= set(parents.index)
    assert not (parents["type"] == "arrondissement").any()
    # the arrondissements sum to their commune, to within the rounding of the source
    total = arr.groupby("parent")["population"].sum()
    ratio = total / parents.loc[total.index, "population"]
    np.testing.assert_allclose(ratio.to_numpy(dtype=float), 1.0, atol=1e-3)


def test_values_are_plausible(france):
    pop = france["population"]
    assert pop.dtype == "Int64"
    known = pop.dropna()
    # the 6 villages of the Meuse destroyed in 1916 have no inhabitants; every other one has some
    assert (known >= 0).all()
    assert known.index[known == 0].str[:2].unique().tolist() == ["55"]
    assert (known == 0).sum() == 6
    missing = sorted(pop.index[pop.isna()])
    assert len(missing) == 18
    assert missing[0] == "60694"
    assert all(c.startswith("976") for c in missing[1:])
    assert 64e6 < pop.sum() < 69e6
    assert (france["area_km2"].dropna() > 0).all()
    metro = ~france.index.str.startswith("97")
    lon, lat = france["lon"], france["lat"]
    inside = lon.between(-5.3, 9.7) & lat.between(41.3, 51.2)
    assert inside[metro & lon.notna().to_numpy()].all()
    assert france.loc[metro, "x_l93"].dropna().between(90_000, 1_250_000).all()
    assert france.loc[~metro, ["x_l93", "y_l93"]].isna().all().all()
    assert set(france["point_source"]) == {"town_hall", "contour", "missing"}
    no_point = france.index[france["lon"].isna()].tolist()
    assert no_point == ["15031", "15035", "15047", "15171"]
    assert set(LOCAL_CRS) == {"metropole", "971", "972", "973", "974", "976"}


def test_dropna_drops_only_incomplete_rows(france, caplog):
    complete = load_communes(france=True, dropna=True)
    assert len(complete) == len(france) - 18 - 4
    assert complete["population"].notna().all()
    assert complete["lon"].notna().all()
    assert "dropped 22 communes" in caplog.text


def test_centre_val_de_loire_has_its_six_departements():
    deps = list_departements(region="24")
    assert deps.index.tolist() == ["18", "28", "36", "37", "41", "45"]
    cvl = load_communes(region="24")
    assert sorted(cvl["departement"].unique()) == deps.index.tolist()
    assert (cvl["region"] == "24").all()
    by_name = load_communes(region="centre-val de loire")
    pd.testing.assert_frame_equal(cvl, by_name)
    assert list_regions().loc["24", "n_departements"] == 6


def test_selection_by_departement_and_lists():
    two = load_communes(departement=["2A", "2B"])
    assert set(two["departement"]) == {"2A", "2B"}
    assert set(two["region"]) == {"94"}
    paris = load_communes(departement="Paris")
    assert len(paris) == 20
    assert (paris["type"] == "arrondissement").all()
    assert len(list_regions()) == 18
    assert len(list_departements()) == 101
    assert list_epcis().loc[paris["epci"].iloc[0], "type"] == "ME"


def test_load_contours_selection_and_formats():
    shapely = pytest.importorskip("shapely")
    contours = load_contours(departement="75")
    assert contours.index.tolist() == [f"751{i:02d}" for i in range(1, 21)]
    assert contours.attrs["crs"] == "EPSG:4326"
    assert all(shapely.is_valid(g) and g.area > 0 for g in contours)
    wkb = load_contours(codes=["2A004", "01001"], as_wkb=True)
    assert wkb.index.tolist() == ["2A004", "01001"]
    assert isinstance(wkb.iloc[0], bytes)
    # the town-hall point of Ajaccio lies in (or within 100 m of) its simplified contour
    point = shapely.Point(*load_communes(departement="2A").loc["2A004", ["lon", "lat"]])
    assert shapely.from_wkb(wkb.iloc[0]).distance(point) < 1e-3


def test_every_point_lies_in_or_near_its_contour(france):
    shapely = pytest.importorskip("shapely")
    contours = load_contours(france=True)
    located = france.loc[contours.index]
    assert located["lon"].notna().all()
    points = shapely.points(located["lon"].to_numpy(), located["lat"].to_numpy())
    offset = shapely.distance(points, contours.to_numpy())
    # 0.01 degree in the build on full-resolution contours, plus the simplification tolerance
    assert offset.max() < 0.0106
    on_surface = located["point_source"].to_numpy() == "contour"
    assert (offset[on_surface] < 0.0006).all()


def test_territories_json_is_consistent():
    from importlib import resources

    terr = json.loads(resources.files("aplcore").joinpath("data", "territories.json").read_text())
    assert set(terr) == {"source", "regions", "departements", "epci"}
    assert {d["region"] for d in terr["departements"].values()} == set(terr["regions"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"choose exactly one area: region='24'"),
        ({"region": "24", "france": True}, r"choose exactly one area"),
        ({"region": "99"}, r"unknown région '99': expected a code or name among the 18"),
        ({"departement": ["45", "20"]}, r"unknown département '20'.*list_departements\(\)"),
        ({"departement": 45}, r"found numbers 45: pass them as text"),
    ],
)
def test_selection_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        load_communes(**kwargs)


def test_contour_errors():
    with pytest.raises(MissingCommuneError, match=r"no contour for '1001', '15031'"):
        load_contours(codes=["01001", "1001", "15031"], as_wkb=True)
    with pytest.raises(ParameterError, match=r"either codes= or an area"):
        load_contours(codes=["01001"], region="84")
