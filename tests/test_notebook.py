"""Notebook views: short reprs, HTML views and GeoDataFrames of the results."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.datasets import commune_labels


@pytest.fixture(scope="module")
def indre_result() -> aplcore.APLResult:
    communes = aplcore.load_communes(departement="36")
    tt = aplcore.travel_times_crow_fly(communes, max_minutes=30)
    supply = pd.Series(0.0, index=communes.index)
    supply.loc[["36044", "36088"]] = [50_000.0, 20_000.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aplcore.compute_apl(tt, demand=communes["population"], supply=supply)


def test_repr_is_short_and_says_what_the_result_is(indre_result):
    text = repr(indre_result)
    assert len(text) < 250
    assert "\n" not in text
    assert text.startswith("APLResult(method e2sfca, decay 'drees_gp'; communes 241;")
    assert "supply 70 000, lost 0" in text
    median = np.median(indre_result.apl_values)
    assert f"median {median:.3g}" in text
    assert "array" not in text


def test_html_view_holds_the_summary_and_the_first_rows(indre_result):
    html = indre_result._repr_html_()
    assert html.startswith("<div><strong>APLResult</strong>")
    assert "communes</th><td>241</td>" in html
    assert html.count("<tr>") < 20
    assert "36001" in html


def test_labels_name_the_commune_and_its_territories():
    labels = commune_labels(["36044", "75101", "99999"])
    assert labels.loc["36044", "name"] == "Châteauroux"
    assert labels.loc["36044", "departement_name"] == "Indre"
    assert labels.loc["36044", "region_name"] == "Centre-Val de Loire"
    assert labels.loc["36044", "epci_name"].startswith("Communauté d'agglomération Châteauroux")
    assert labels.loc["75101", "departement"] == "75"
    assert labels.loc["99999"].isna().all()


def test_to_geodataframe_joins_contours_and_labels(indre_result):
    gpd = pytest.importorskip("geopandas")
    gdf = indre_result.to_geodataframe()
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.index.tolist() == indre_result.codes.tolist()
    assert not gdf.geometry.isna().any()
    np.testing.assert_array_equal(gdf["apl"].to_numpy(), indre_result.apl_values)
    assert gdf.loc["36044", "epci_name"] == commune_labels(["36044"]).loc["36044", "epci_name"]
    # the contour of each commune contains (or nearly touches) its town-hall point
    communes = aplcore.load_communes(departement="36")
    points = gpd.points_from_xy(communes["lon"], communes["lat"], crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distances in degrees are enough here
        distance = gdf.geometry.distance(gpd.GeoSeries(points, index=communes.index), align=True)
    assert (distance < 0.01).mean() > 0.99
    plain = indre_result.to_geodataframe(labels=False)
    assert "epci_name" not in plain.columns
