"""The CSR-building kernels against plain Python references (adversarial small inputs)."""

from __future__ import annotations

import math

import numpy as np
from aplcore.kernels import csr
from hypothesis import given
from hypothesis import strategies as st

MODES = {"error": csr.DUPLICATES_ERROR, "min": csr.DUPLICATES_MIN, "first": csr.DUPLICATES_FIRST}


@st.composite
def long_tables(draw):
    n = draw(st.integers(1, 6))
    size = draw(st.integers(0, 30))
    origin = draw(st.lists(st.integers(0, n - 1), min_size=size, max_size=size))
    destination = draw(st.lists(st.integers(0, n - 1), min_size=size, max_size=size))
    minutes = draw(
        st.lists(st.sampled_from([0.0, 5.0, 9.5, 10.0, 30.0, 31.0, 9999.0]), min_size=size,
                 max_size=size)
    )  # fmt: skip
    return n, np.array(origin, np.int32), np.array(destination, np.int32), np.array(minutes)


def built(n, origin, destination, minutes, sentinel):
    for array in (origin, destination, minutes):
        array.flags.writeable = False  # as the library hands them (no copy of Arrow's arrays)
    n_chunks = csr.n_chunks_for(origin.size)
    by_destination, origins, times, n_bad, n_dropped = csr.bucket_checked(
        destination, origin, minutes, n, sentinel, n_chunks
    )
    assert n_bad == 0
    indptr, indices, data = csr.transpose(by_destination, origins, times, n, n_chunks)
    return indptr, indices, data, n_dropped


def reference(n, origin, destination, minutes, sentinel, mode, cut, self_minutes):
    pairs: dict[tuple[int, int], float] = {}
    repeated = set()
    for o, d, t in zip(origin.tolist(), destination.tolist(), minutes.tolist(), strict=True):
        if t == sentinel:
            continue
        if (o, d) in pairs:
            repeated.add((o, d))
            if mode == "min":
                pairs[(o, d)] = min(pairs[(o, d)], t)
        else:
            pairs[(o, d)] = t
    kept = {k: t for k, t in pairs.items() if t <= cut}
    has_self = [(i, i) in kept for i in range(n)]
    for i in range(n):
        if not has_self[i] and not math.isnan(self_minutes[i]):
            kept[(i, i)] = self_minutes[i]
    return kept, repeated, has_self


@given(
    table=long_tables(),
    mode=st.sampled_from(["error", "min", "first"]),
    cut=st.sampled_from([math.inf, 10.0, 30.0]),
    sentinel=st.sampled_from([math.nan, 9999.0]),
    add_self=st.booleans(),
)
def test_canonical_rows_match_the_reference(table, mode, cut, sentinel, add_self):
    n, origin, destination, minutes = table
    self_minutes = np.full(n, 1.5 if add_self else np.nan)
    indptr, indices, data, n_dropped = built(n, origin, destination, minutes, sentinel)
    assert n_dropped == int((minutes == sentinel).sum())
    for i in range(n):
        row = indices[indptr[i] : indptr[i + 1]]
        assert (np.diff(row) >= 0).all()
    out_indptr, out_indices, out_data, repeated, has_self = csr.canonical_rows(
        indptr, indices, data, MODES[mode], cut, self_minutes
    )
    expected, expected_repeated, expected_self = reference(
        n, origin, destination, minutes, sentinel, mode, cut, self_minutes
    )
    assert int(repeated.sum()) == len(expected_repeated)
    assert has_self.tolist() == expected_self
    if mode == "error" and expected_repeated:
        assert out_indices.size == 0
        return
    got = {}
    for i in range(n):
        row = out_indices[out_indptr[i] : out_indptr[i + 1]]
        assert (np.diff(row) > 0).all()
        for k in range(out_indptr[i], out_indptr[i + 1]):
            got[(i, int(out_indices[k]))] = float(out_data[k])
    assert got == expected
    canonical = csr.is_canonical(indptr, indices, data, cut)
    assert canonical == (not expected_repeated and got == pairs_of(indptr, indices, data)
                         and all(expected_self))  # fmt: skip


def pairs_of(indptr, indices, data) -> dict:
    return {
        (i, int(indices[k])): float(data[k])
        for i in range(indptr.size - 1)
        for k in range(indptr[i], indptr[i + 1])
    }


@given(table=long_tables(), sentinel=st.sampled_from([math.nan, 9999.0]))
def test_two_counting_sorts_order_rows_as_a_stable_sort_of_each_row(table, sentinel):
    """Bucketing by destination then transposing gives each row sorted by column, repeats in
    input order: the same arrays as bucketing by origin and sorting every row stably."""
    n, origin, destination, minutes = table
    two_passes = built(n, origin, destination, minutes, sentinel)[:3]
    indptr, indices, data, n_bad, _ = csr.bucket_checked(
        origin, destination, minutes, n, sentinel, csr.n_chunks_for(origin.size)
    )
    assert n_bad == 0
    csr.sort_rows(indptr, indices, data)
    for got, expected in zip(two_passes, (indptr, indices, data), strict=True):
        np.testing.assert_array_equal(got, expected)
    order = np.lexsort((np.arange(origin.size), destination, origin))
    kept = order[minutes[order] != sentinel]
    np.testing.assert_array_equal(two_passes[1], destination[kept])
    np.testing.assert_array_equal(two_passes[2], minutes[kept])


def test_bad_times_are_counted_and_nothing_is_built():
    origin = np.array([0, 1, 1], np.int32)
    destination = np.array([0, 0, 1], np.int32)
    minutes = np.array([0.0, -1.0, np.nan])
    for array in (origin, destination, minutes):
        array.flags.writeable = False
    _, indices, _, n_bad, _ = csr.bucket_checked(origin, destination, minutes, 2, np.nan, 1)
    assert n_bad == 2
    assert indices.size == 0


@given(table=long_tables(), rule=st.sampled_from(["min", "max", "mean"]))
def test_symmetric_rows_match_the_reference(table, rule):
    n, origin, destination, minutes = table
    indptr, indices, data, _ = built(n, origin, destination, minutes, math.nan)
    indptr, indices, data, _, _ = csr.canonical_rows(
        indptr, indices, data, csr.DUPLICATES_FIRST, math.inf, np.full(n, np.nan)
    )
    t_indptr, t_indices, t_data = csr.transpose(indptr, indices, data, n, 1)
    codes = {"min": csr.SYMMETRISE_MIN, "max": csr.SYMMETRISE_MAX, "mean": csr.SYMMETRISE_MEAN}
    out = csr.symmetric_rows(indptr, indices, data, t_indptr, t_indices, t_data, codes[rule])
    given_pairs = pairs_of(indptr, indices, data)
    combine = {"min": min, "max": max, "mean": lambda a, b: (a + b) / 2.0}[rule]
    expected = {}
    for (i, j), t in given_pairs.items():
        back = given_pairs.get((j, i))
        value = t if back is None else combine(t, back)
        expected[(i, j)] = value
        expected[(j, i)] = value
    assert pairs_of(*out) == expected


def test_every_path_compiles_one_specialisation(tmp_path):
    """Read-only (Arrow) and writable arrays compile apart: every path hands the same kind."""
    import pandas as pd

    import aplcore

    frame = pd.DataFrame(
        {
            "origin": ["01001", "01001", "01002", "01002"],
            "destination": ["01001", "01002", "01001", "01002"],
            "minutes": [0.0, 12.0, 13.0, 0.0],
        }
    )
    frame.to_parquet(tmp_path / "od.parquet")
    aplcore.travel_times_from_table(tmp_path / "od.parquet")
    aplcore.travel_times_from_table(frame, chunk_rows=None)
    aplcore.TravelTimes.from_frame(frame)
    aplcore.TravelTimes.from_arrays(["01001", "01002"], [0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 2, 0])
    from numba import types

    for kernel in (csr.bucket_checked, csr.transpose, csr.is_canonical):
        assert len(kernel.signatures) == 1, kernel.signatures
    (inputs,) = csr.bucket_checked.signatures
    assert not any(arg.mutable for arg in inputs if isinstance(arg, types.Array))
