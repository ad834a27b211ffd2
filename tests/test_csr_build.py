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


def built(n, origin, destination, minutes, sentinel, cut=math.inf):
    """Rows by origin, sorted by column, as the library builds them; and whether canonical."""
    for array in (origin, destination, minutes):
        array.flags.writeable = False  # as the library hands them (no copy of Arrow's arrays)
    n_chunks = csr.n_chunks_for(origin.size)
    indptr, indices, data, n_bad, n_dropped = csr.bucket_checked(
        origin, destination, minutes, n, sentinel, n_chunks
    )
    assert n_bad == 0
    canonical = csr.sort_rows_checked(indptr, indices, data, cut)
    return indptr, indices, data, n_dropped, canonical


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
    indptr, indices, data, n_dropped, canonical = built(
        n, origin, destination, minutes, sentinel, cut
    )
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
    assert canonical == (not expected_repeated and got == pairs_of(indptr, indices, data)
                         and all(expected_self))  # fmt: skip


def pairs_of(indptr, indices, data) -> dict:
    return {
        (i, int(indices[k])): float(data[k])
        for i in range(indptr.size - 1)
        for k in range(indptr[i], indptr[i + 1])
    }


@st.composite
def wide_tables(draw):
    """Long rows (sorted by radix, not insertion) and columns far apart (one to three byte
    passes), with repeated pairs."""
    n = draw(st.sampled_from([3, 200, 70_000, 300_000]))
    n_rows = draw(st.integers(1, 4))
    size = draw(st.integers(0, 120))
    columns = st.integers(0, n - 1)
    pool = draw(st.lists(columns, min_size=1, max_size=40))
    destination = draw(
        st.lists(st.one_of(columns, st.sampled_from(pool)), min_size=size, max_size=size)
    )
    origin = draw(st.lists(st.integers(0, n_rows - 1), min_size=size, max_size=size))
    minutes = np.arange(size, dtype=np.float64)  # each row's time tells its input position
    return n, np.array(origin, np.int32), np.array(destination, np.int32), minutes


def stable_sort_reference(origin, destination, minutes, sentinel):
    order = np.lexsort((np.arange(origin.size), destination, origin))
    kept = order[minutes[order] != sentinel]
    return destination[kept], minutes[kept]


@given(table=long_tables(), sentinel=st.sampled_from([math.nan, 9999.0]))
def test_rows_are_ordered_as_a_stable_sort_by_origin_then_destination(table, sentinel):
    n, origin, destination, minutes = table
    indptr, indices, data, _, _ = built(n, origin, destination, minutes, sentinel)
    expected_indices, expected_data = stable_sort_reference(origin, destination, minutes, sentinel)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(data, expected_data)
    np.testing.assert_array_equal(np.diff(indptr), np.bincount(
        origin[minutes != sentinel], minlength=n))  # fmt: skip


@given(table=wide_tables())
def test_long_and_wide_rows_are_ordered_as_a_stable_sort(table):
    n, origin, destination, minutes = table
    n_rows = max(n, int(origin.max(initial=0)) + 1)
    _, indices, data, _, _ = built(n_rows, origin, destination, minutes, math.nan)
    expected_indices, expected_data = stable_sort_reference(origin, destination, minutes, math.nan)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(data, expected_data)


def test_sorting_does_not_depend_on_the_number_of_threads():
    import numba

    rng = np.random.default_rng(3)
    n, size = 5_000, 200_000
    origin = rng.integers(0, n, size).astype(np.int32)
    destination = rng.integers(0, n, size).astype(np.int32)
    minutes = rng.random(size) * 30
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, before):
            numba.set_num_threads(threads)
            results.append(built(n, origin.copy(), destination.copy(), minutes.copy(), math.nan))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


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
    indptr, indices, data, _, _ = built(n, origin, destination, minutes, math.nan)
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

    for kernel in (csr._count_checked, csr._scatter_checked, csr.sort_rows_checked):
        assert len(kernel.signatures) == 1, kernel.signatures
    for kernel in (csr._count_checked, csr._scatter_checked):
        (inputs,) = kernel.signatures
        given = [arg for arg in inputs if isinstance(arg, types.Array)]
        assert not any(arg.mutable for arg in given[: 3 if kernel is csr._scatter_checked else 2])


@given(table=long_tables())
def test_nearest_other_matches_the_reference(table):
    n, origin, destination, minutes = table
    indptr, indices, data, _, _ = built(n, origin, destination, minutes, math.nan)
    rows = np.arange(n, dtype=np.int64)
    expected = [
        min((data[k] for k in range(indptr[i], indptr[i + 1])
             if indices[k] != i and data[k] > 0), default=math.inf)
        for i in range(n)
    ]  # fmt: skip
    np.testing.assert_array_equal(csr.nearest_other(indptr, indices, data, rows), expected)
