"""Crow-fly travel times and their calibration on the Gironde Metric pairs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aplcore.errors import (
    CommuneCodeError,
    InputFormatError,
    InvalidValueError,
    ParameterError,
)
from aplcore.traveltimes.crowfly import (
    CrowFlyModel,
    calibrate_crow_fly,
    calibration_report,
    crow_fly_errors,
    drees_band,
    travel_times_crow_fly,
)
from aplcore.traveltimes.geometry import pair_distance_km, to_geocentric

REPO = Path(__file__).resolve().parents[1]


def dense_reference(communes: pd.DataFrame, model: CrowFlyModel, max_minutes: float) -> dict:
    """All pairs through an n×n distance matrix (fine for a test, never in the library)."""
    xyz = to_geocentric(communes["x"], communes["y"], "EPSG:2154")
    dist = np.sqrt(((xyz[:, None, :] - xyz[None, :, :]) ** 2).sum(axis=2)) / 1000.0
    minutes = model.minutes(dist)
    codes = communes["code"].tolist()
    out = {}
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            if i == j:
                out[(a, b)] = 0.0
            elif minutes[i, j] <= max_minutes:
                out[(a, b)] = float(minutes[i, j])
    return out


def pairs_of(tt) -> dict[tuple[str, str], float]:
    frame = tt.to_frame()
    return {
        (o, d): t
        for o, d, t in zip(frame["origin"], frame["destination"], frame["minutes"], strict=True)
    }


def random_communes(n: int, seed: int, extent_m: float = 60_000.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "code": [f"33{k:03d}" for k in range(n)],
            "x": 400_000.0 + rng.uniform(0, extent_m, n),
            "y": 6_400_000.0 + rng.uniform(0, extent_m, n),
        }
    )


# ------------------------------------------------------------------ model
def test_defaults_mirror_the_committed_calibration() -> None:
    report = calibration_report()
    assert CrowFlyModel() == CrowFlyModel.calibrated()
    assert CrowFlyModel().to_dict() == report["model"]
    assert report["errors"]["under_30"]["n_pairs"] > 0


def test_model_validation() -> None:
    with pytest.raises(ParameterError, match=r"slope and exponent must be > 0.*slope=0"):
        CrowFlyModel(slope=0.0)
    with pytest.raises(ParameterError, match="intercept must be >= 0 minutes, found -1"):
        CrowFlyModel(intercept=-1.0)
    with pytest.raises(ParameterError, match="exponent must be a finite number, found nan"):
        CrowFlyModel(exponent=float("nan"))


def test_max_distance_inverts_the_model() -> None:
    model = CrowFlyModel(intercept=2.0, slope=1.5, exponent=0.9)
    d = model.max_distance_km(20.0)
    assert model.minutes(d) == pytest.approx(20.0, abs=1e-12)
    assert model.max_distance_km(1.0) < 0


def test_drees_bands_are_left_closed() -> None:
    t = np.array([0.0, 9.999, 10.0, 14.99, 15.0, 19.99, 20.0, 35.0])
    assert drees_band(t).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_calibration_recovers_known_parameters() -> None:
    rng = np.random.default_rng(0)
    d = rng.uniform(0.5, 40, 400)
    linear = calibrate_crow_fly(d, 2.0 + 1.2 * d, form="linear")
    assert linear.intercept == pytest.approx(2.0, abs=1e-9)
    assert linear.slope == pytest.approx(1.2, abs=1e-9)
    power = calibrate_crow_fly(d, 1.0 + 1.8 * d**0.85, form="power")
    assert power.exponent == pytest.approx(0.85, abs=1e-5)
    assert power.slope == pytest.approx(1.8, abs=1e-4)
    subset = calibrate_crow_fly(np.r_[d, 100.0], np.r_[2.0 + 1.2 * d, 500.0], max_distance_km=50.0)
    assert subset.slope == pytest.approx(1.2, abs=1e-9)


def test_calibration_errors() -> None:
    with pytest.raises(InvalidValueError, match=r"distances must be finite and non-negative.*1"):
        calibrate_crow_fly([1.0, np.nan, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(InvalidValueError, match="calibrating needs at least 3 pairs, found 2"):
        calibrate_crow_fly([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ParameterError, match="form must be 'linear' or 'power'"):
        calibrate_crow_fly([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], form="cubic")


def test_error_report_by_hand() -> None:
    model = CrowFlyModel(intercept=0.0, slope=1.0)
    # predictions equal the distances: 5, 12, 18, 40 vs reference 8, 12, 21, 30
    report = crow_fly_errors(model, [5.0, 12.0, 18.0, 40.0], [8.0, 12.0, 21.0, 30.0])
    assert report["all"]["mean_abs_error"] == pytest.approx((3 + 0 + 3 + 10) / 4)
    assert report["all"]["bias"] == pytest.approx((-3 + 0 - 3 + 10) / 4)
    assert report["under_30"]["n_pairs"] == 3
    assert report["under_30"]["median_abs_error"] == pytest.approx(3.0)
    # under 20: 8 → 5 (same band 1), 12 → 12 (same); 21 is not under 20
    assert report["under_20"]["band_change_share"] == 0.0
    report = crow_fly_errors(model, [10.0, 9.0], [9.0, 9.0])
    assert report["all"]["band_change_share"] == 0.5


# ------------------------------------------------------------------ geometry
def test_chord_distance_equals_geodesic_below_100_km() -> None:
    from pyproj import Geod

    rng = np.random.default_rng(1)
    lon1 = rng.uniform(-4, 8, 200)
    lat1 = rng.uniform(42, 51, 200)
    lon2 = lon1 + rng.uniform(-0.6, 0.6, 200)
    lat2 = lat1 + rng.uniform(-0.6, 0.6, 200)
    chord = pair_distance_km(lon1, lat1, lon2, lat2, crs="EPSG:4326")
    _, _, geodesic = Geod(ellps="GRS80").inv(lon1, lat1, lon2, lat2)
    assert np.all(geodesic < 100_000)
    np.testing.assert_allclose(chord, geodesic / 1000.0, atol=1e-3)


def test_matches_dense_reference() -> None:
    communes = random_communes(120, seed=2)
    model = CrowFlyModel()
    tt = travel_times_crow_fly(communes, max_minutes=20, model=model)
    got = pairs_of(tt)
    expected = dense_reference(communes, model, 20.0)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9)
    assert tt.metadata["params"]["model"] == model.to_dict()


def test_lon_lat_and_lambert93_inputs_agree() -> None:
    from pyproj import Transformer

    communes = random_communes(80, seed=3)
    lon, lat = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(
        communes["x"].to_numpy(), communes["y"].to_numpy()
    )
    geo = pd.DataFrame({"lon": lon, "lat": lat}, index=pd.Index(communes["code"]))
    a = pairs_of(travel_times_crow_fly(communes, max_minutes=25))
    b = pairs_of(travel_times_crow_fly(geo, max_minutes=25))
    shared = a.keys() & b.keys()
    # pairs right at the radius may fall either side by rounding; all others agree
    assert len(a.keys() ^ b.keys()) <= 2
    assert max(abs(a[k] - b[k]) for k in shared) < 1e-6


@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 10_000),
    max_minutes=st.floats(0, 40),
    intra=st.floats(0, 5),
)
def test_properties(n: int, seed: int, max_minutes: float, intra: float) -> None:
    communes = random_communes(n, seed=seed, extent_m=30_000.0)
    tt = travel_times_crow_fly(communes, max_minutes=max_minutes, intra_minutes=intra)
    pairs = pairs_of(tt)
    for code in communes["code"]:
        assert pairs[(code, code)] == intra
    for (o, d), t in pairs.items():
        if o != d:
            assert t <= max_minutes
            assert pairs[(d, o)] == t
            assert t >= CrowFlyModel().intercept


def test_input_errors() -> None:
    with pytest.raises(InputFormatError, match=r"coordinate columns lon and lat.*found columns"):
        travel_times_crow_fly(pd.DataFrame({"code": ["33001"], "a": [1.0]}))
    bad = pd.DataFrame({"code": ["33001", "33002"], "lon": [0.5, 200.0], "lat": [44.0, 44.0]})
    with pytest.raises(
        InvalidValueError,
        match=r"1 bad rows \(0-based positions\): 'position 1 \(33002\): 200.0, 44.0'",
    ):
        travel_times_crow_fly(bad)
    with pytest.raises(CommuneCodeError, match="found numbers"):
        travel_times_crow_fly(pd.DataFrame({"code": [33001], "lon": [0.5], "lat": [44.0]}))
    with pytest.raises(ParameterError, match="max_minutes must be a non-negative number"):
        travel_times_crow_fly(random_communes(3, 0), max_minutes=-5)
    with pytest.raises(InputFormatError, match="communes is empty"):
        travel_times_crow_fly(pd.DataFrame({"code": [], "lon": [], "lat": []}))


def test_crow_fly_feeds_compute_apl() -> None:
    apl = pytest.importorskip("aplcore.apl")
    communes = random_communes(30, seed=4)
    tt = travel_times_crow_fly(communes, max_minutes=20)
    codes = communes["code"]
    demand = pd.Series(np.linspace(100, 3000, 30), index=codes.to_numpy())
    supply = pd.Series(np.r_[[5000.0] * 5, [0.0] * 25], index=codes.to_numpy())
    result = apl.compute_apl(tt, demand=demand, supply=supply)
    assert (result.apl * demand).sum() == pytest.approx(supply.sum(), rel=1e-12)


# ------------------------------------------------------------------ real Gironde pairs
def test_committed_calibration_reproduces_from_the_gironde_pairs(shared_raw) -> None:
    spec = importlib.util.spec_from_file_location(
        "calibrate_crow_fly", REPO / "data" / "calibrate_crow_fly.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.calibrate(shared_raw)
    committed = json.loads(json.dumps(calibration_report()))
    assert report["model"] == committed["model"]
    assert report["errors"] == committed["errors"]
    assert report["n_pairs"] == 2429
    pairs = module.load_pairs(shared_raw)
    model = CrowFlyModel()
    errors = crow_fly_errors(model, pairs["distance_km"], pairs["HC"])
    # a straight line is a poor guide to long trips but decent under 30 minutes
    assert errors["under_30"]["mean_abs_error"] < errors["all"]["mean_abs_error"]
    assert errors["under_20"]["band_change_share"] < 0.5
