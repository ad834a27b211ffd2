"""Saving and loading travel-time matrices (Parquet long form and .npz CSR)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aplcore.errors import InputFormatError, MismatchError
from aplcore.traveltimes import TravelTimes
from aplcore.traveltimes.store import codes_hash, load_travel_times, save_travel_times

CODES = ["01001", "01002", "2A004", "75056", "97411"]


@pytest.fixture
def tt() -> TravelTimes:
    rng = np.random.default_rng(5)
    origin = rng.integers(0, 5, 14)
    destination = rng.integers(0, 5, 14)
    minutes = rng.uniform(0, 30, 14)
    return TravelTimes.from_arrays(
        np.array(CODES[::-1], dtype=object),
        origin,
        destination,
        minutes,
        duplicates="first",
        intra_minutes=0.5,
        metadata={"source": "crow_fly", "method": "crow_fly", "params": {"max_minutes": 30.0}},
    )


def assert_same(a: TravelTimes, b: TravelTimes) -> None:
    assert a.codes.tolist() == b.codes.tolist()
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.minutes, b.minutes)


@pytest.mark.parametrize("suffix", [".parquet", ".npz"])
def test_round_trip_is_exact_and_keeps_metadata(tmp_path, tt, suffix) -> None:
    path = save_travel_times(tt, tmp_path / f"matrix{suffix}")
    loaded = load_travel_times(path, communes=list(reversed(CODES)))
    assert_same(tt, loaded)
    assert loaded.metadata["method"] == "crow_fly"
    assert loaded.metadata["params"] == {"max_minutes": 30.0}
    assert loaded.metadata["loaded_from"] == f"matrix{suffix}"
    assert [p.name for p in tmp_path.iterdir()] == [f"matrix{suffix}"]  # no temporary file left


def test_parquet_is_a_plain_long_table(tmp_path, tt) -> None:
    path = save_travel_times(tt, tmp_path / "m.parquet")
    frame = pd.read_parquet(path)
    pd.testing.assert_frame_equal(frame, tt.to_frame())


def test_other_communes_are_refused(tmp_path, tt) -> None:
    path = save_travel_times(tt, tmp_path / "m.npz")
    with pytest.raises(
        MismatchError,
        match=r"built for another commune list \(5 communes, method 'crow_fly'\): 1 communes "
        r"are not in it \('33063'\); it has 1 communes not asked for \('97411'\)",
    ):
        load_travel_times(path, communes=["01001", "01002", "2A004", "75056", "33063"])


def test_altered_commune_list_is_detected(tmp_path, tt) -> None:
    path = save_travel_times(tt, tmp_path / "m.npz")
    with np.load(path) as data:
        arrays = dict(data)
    arrays["codes"] = np.array(["01001", "01002", "2A004", "75056", "97412"])
    np.savez(path, **arrays)
    with pytest.raises(MismatchError, match="does not match its stored hash"):
        load_travel_times(path)


def test_format_errors(tmp_path, tt) -> None:
    with pytest.raises(InputFormatError, match=r"use a \.parquet \(long table\) or \.npz"):
        save_travel_times(tt, tmp_path / "m.csv")
    with pytest.raises(InputFormatError, match="travel-time matrix not found"):
        load_travel_times(tmp_path / "absent.npz")
    plain = tmp_path / "plain.parquet"
    tt.to_frame().to_parquet(plain)
    with pytest.raises(InputFormatError, match="has no aplcore metadata"):
        load_travel_times(plain)


def test_codes_hash_ignores_order() -> None:
    assert codes_hash(["01002", "01001"]) == codes_hash(["01001", "01002"])
    assert codes_hash(["01001"]) != codes_hash(["01002"])


def test_overwrite_is_atomic(tmp_path, tt) -> None:
    path = tmp_path / "m.npz"
    save_travel_times(tt, path)
    smaller = tt.subset(CODES[:2])
    save_travel_times(smaller, path)
    assert_same(load_travel_times(path), smaller)


def test_saved_matrices_follow_the_umask(tmp_path):
    import os
    import stat

    import pandas as pd

    import aplcore

    tt = aplcore.TravelTimes.from_frame(
        pd.DataFrame({"origin": ["01001"], "destination": ["01001"], "minutes": [0.0]})
    )
    old = os.umask(0o022)
    try:
        for name in ("m.parquet", "m.npz"):
            path = aplcore.save_travel_times(tt, tmp_path / name)
            assert stat.S_IMODE(path.stat().st_mode) == 0o644
            assert aplcore.load_travel_times(path).n_pairs == 1
    finally:
        os.umask(old)


@pytest.mark.parametrize("suffix", [".parquet", ".npz"])
def test_identifiers_longer_than_commune_codes_round_trip(tmp_path, suffix) -> None:
    units = ["751010101", "881fb46625fffff", "cell-3"]
    tt = TravelTimes.from_arrays(units, [0, 1, 2, 0], [0, 1, 2, 2], [0.0, 0.0, 0.0, 7.5], ids="any")
    loaded = load_travel_times(save_travel_times(tt, tmp_path / f"m{suffix}"))
    assert_same(tt, loaded)
