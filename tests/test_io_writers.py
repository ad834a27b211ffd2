"""Writers: round trips, atomicity, refusal to overwrite."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import AplcoreError, MissingCommuneError
from aplcore.io import OutputExistsError, atomic_write, write_csv, write_geojson, write_parquet


@pytest.fixture
def result() -> pd.DataFrame:
    index = pd.Index(["01001", "2A004", "75101"], name="code", dtype=object)
    return pd.DataFrame(
        {
            "apl": [2.123456789012345, np.nan, 4.0],
            "population": pd.array([776, 70659, None], dtype="Int64"),
            "zone": ["ZIP", "ZAC", None],
            "lon": [4.92, 8.74, 2.34],
            "lat": [46.15, 41.93, 48.86],
        },
        index=index,
    )


def test_csv_round_trip_keeps_codes_and_precision(tmp_path, result):
    path = write_csv(result, tmp_path / "apl.csv")
    text = path.read_text()
    assert text.startswith("code,apl,population,zone,lon,lat\n01001,")
    back = pd.read_csv(path, dtype={"code": str}).set_index("code")
    assert back.index.tolist() == ["01001", "2A004", "75101"]
    assert back.loc["01001", "apl"] == result.loc["01001", "apl"]
    assert np.isnan(back.loc["2A004", "apl"])


def test_csv_series_and_separator(tmp_path, result):
    path = write_csv(result["apl"], tmp_path / "apl.csv", sep=";")
    assert path.read_text().splitlines()[0] == "code;apl"


def test_parquet_round_trip(tmp_path, result):
    path = write_parquet(result, tmp_path / "apl.parquet")
    back = pd.read_parquet(path)
    assert back.index.tolist() == result.index.tolist()
    assert back.index.name == "code"
    np.testing.assert_array_equal(back["apl"].to_numpy(), result["apl"].to_numpy())
    assert back["population"].dtype == "Int64"


def test_geojson_points(tmp_path, result):
    path = write_geojson(result, tmp_path / "apl.geojson")
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection"
    first, second, third = doc["features"]
    assert first["geometry"] == {"type": "Point", "coordinates": [4.92, 46.15]}
    assert first["properties"]["code"] == "01001"
    assert first["properties"]["apl"] == result.loc["01001", "apl"]
    assert second["properties"]["apl"] is None
    assert third["properties"]["population"] is None
    assert third["properties"]["zone"] is None


def test_geojson_contours(tmp_path, result):
    shapely = pytest.importorskip("shapely")
    contours = pd.Series(
        {
            "01001": shapely.box(4.9, 46.1, 5.0, 46.2),
            "2A004": shapely.to_wkb(shapely.box(8.7, 41.9, 8.8, 42.0)),
            "75101": shapely.box(2.3, 48.8, 2.4, 48.9).wkt,
            "99999": shapely.box(0, 0, 1, 1),
        }
    )
    path = write_geojson(
        result.drop(columns=["lon", "lat"]), tmp_path / "c.geojson", contours=contours
    )
    doc = json.loads(path.read_text())
    assert [f["geometry"]["type"] for f in doc["features"]] == ["Polygon"] * 3
    rebuilt = shapely.from_geojson(json.dumps(doc["features"][1]["geometry"]))
    assert rebuilt.equals(shapely.box(8.7, 41.9, 8.8, 42.0))
    with pytest.raises(MissingCommuneError, match=r"no contour for '2A004'; every row needs one"):
        write_geojson(result, tmp_path / "d.geojson", contours=contours.drop("2A004"))
    assert not (tmp_path / "d.geojson").exists()


def test_geojson_with_bundled_contours(tmp_path):
    pytest.importorskip("shapely")
    from aplcore.datasets import load_communes, load_contours

    communes = load_communes(departement="2A")[["name", "population"]]
    path = write_geojson(
        communes, tmp_path / "corse.geojson", contours=load_contours(departement="2A")
    )
    doc = json.loads(path.read_text())
    assert len(doc["features"]) == len(communes)
    assert {f["geometry"]["type"] for f in doc["features"]} <= {"Polygon", "MultiPolygon"}


@pytest.mark.parametrize("writer", [write_csv, write_parquet, write_geojson])
def test_refuses_to_overwrite(tmp_path, result, writer):
    path = tmp_path / "out.file"
    path.write_bytes(b"precious")
    with pytest.raises(OutputExistsError, match=r"exists already.*pass overwrite=True"):
        writer(result, path)
    assert path.read_bytes() == b"precious"
    writer(result, path, overwrite=True)
    assert path.read_bytes() != b"precious"
    assert isinstance(OutputExistsError("x"), AplcoreError)


def test_refuses_a_folder(tmp_path, result):
    with pytest.raises(OutputExistsError, match=r"is a folder; give a file name"):
        write_csv(result, tmp_path)


def test_failure_leaves_no_partial_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old content")

    def failing(f):
        f.write(b"half of the ")
        msg = "disk full"
        raise OSError(msg)

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, failing, overwrite=True)
    assert path.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "new.csv", failing)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_unserialisable_value_leaves_nothing(tmp_path):
    frame = pd.DataFrame({"x": [object()]}, index=pd.Index(["01001"], name="code"))
    with pytest.raises(TypeError):
        write_geojson(frame, tmp_path / "x.geojson")
    assert list(tmp_path.iterdir()) == []


def test_creates_missing_folders(tmp_path, result):
    path = write_csv(result, tmp_path / "a" / "b" / "apl.csv")
    assert path.is_file()


def test_permissions_follow_the_umask(tmp_path, result):
    old = os.umask(0o022)
    try:
        path = write_csv(result, tmp_path / "apl.csv")
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o600)
        write_csv(result, path, overwrite=True)
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
