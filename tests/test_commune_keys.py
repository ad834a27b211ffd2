"""Commune codes read from Arrow's string buffers against the general (hashing) path."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pyarrow as pa
import pytest
from aplcore.kernels import codes as kernel
from hypothesis import given
from hypothesis import strategies as st

from aplcore.codes import CodeColumn, encode_codes
from aplcore.codes.arrow import SHORTEST_CHUNKS
from aplcore.errors import CommuneCodeError

VALID = ["01001", "2A004", "2B010", "29001", "30001", "97101", "75056", "00000", "99999"]
NEAR_MISSES = ["2C004", "2a004", "1A001", "3B001", "0:001", "/1001", "0100", "010011", "01 01", "",
               "０1001", "A1001"]  # fmt: skip
PATTERN = re.compile(r"^(?:[0-9]{2}|2[AB])[0-9]{3}$")


def reference_keys(values: list[str]) -> np.ndarray:
    """Key of each string (-1 for non-codes), from the definition in the kernel's module."""
    rank = {f"{a}{c}": a * 12 + b for a in range(10) for b, c in enumerate("0123456789AB")}
    return np.array(
        [rank[v[:2]] * 1000 + int(v[2:]) if PATTERN.match(v) else -1 for v in values],
        dtype=np.int32,
    )


def keys_of(values: list[str]) -> tuple[np.ndarray, int]:
    array = pa.array(values, type=pa.large_string())
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64, count=len(array) + 1)
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    out = np.empty(len(array), dtype=np.int32)
    return out, int(kernel.commune_keys(offsets, data, out))


codes = st.lists(st.sampled_from(VALID + NEAR_MISSES) | st.text(max_size=6), max_size=40)


@given(values=codes)
def test_keys_match_the_reference(values):
    out, n_bad = keys_of(values)
    expected = reference_keys(values)
    np.testing.assert_array_equal(out, expected)
    assert n_bad == int((expected < 0).sum())


@given(values=st.lists(st.sampled_from(VALID), min_size=1, max_size=40))
def test_key_order_is_string_order(values):
    out, _ = keys_of(values)
    assert np.array_equal(np.argsort(out, kind="stable"), np.argsort(values, kind="stable"))


@given(
    origin=st.lists(st.sampled_from(VALID), min_size=1, max_size=30),
    destination=st.lists(st.sampled_from(VALID), min_size=1, max_size=30),
    unused=st.sampled_from(VALID),
    large=st.booleans(),
)
def test_commune_columns_encode_as_the_general_path(origin, destination, unused, large):
    """Plain, chunked and dictionary-encoded text (with a dictionary value no row uses, as the
    general path keeps it) give the codes and positions of the general path (ids="any")."""
    kind = pa.large_string() if large else pa.string()

    def dictionary(values):
        names = sorted(set(values) | {unused}, reverse=True)
        indices = pa.array([names.index(v) for v in values], type=pa.int32())
        return pa.DictionaryArray.from_arrays(indices, pa.array(names, type=kind))

    layouts = {
        "text": lambda v: pa.array(v, type=kind),
        "chunked": lambda v: pa.chunked_array([v[:3], v[3:]], type=kind),
        "dictionary": dictionary,
        "dictionary chunks": lambda v: pa.chunked_array(
            [dictionary(v).slice(0, 2), dictionary(v).slice(2)]
        ),
    }
    for name, layout in layouts.items():
        columns = [CodeColumn(layout(v), "c", "codes") for v in (origin, destination)]
        expected_codes, expected = encode_codes(columns, ids="any")
        got_codes, got = encode_codes(columns)
        assert got_codes.equals(expected_codes), name
        assert got_codes.dtype == object
        for a, b in zip(got, expected, strict=True):
            assert a.dtype == np.int32
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", NEAR_MISSES)
@pytest.mark.parametrize("encoded", [False, True])
def test_a_bad_code_still_gets_the_row_error(bad, encoded):
    values = pa.array(["01001", "01002", bad])
    column = CodeColumn(values.dictionary_encode() if encoded else values, "origin", "origin codes")
    with pytest.raises(CommuneCodeError, match="row 3"):
        encode_codes([column])


def test_marks_of_several_chunks_are_the_distinct_keys():
    keys = np.random.default_rng(5).integers(0, kernel.N_KEYS // 3, 3 * kernel.MARK_CHUNK)
    keys = keys.astype(np.int32)
    seen = np.zeros(kernel.N_KEYS, dtype=np.bool_)
    kernel.mark_keys(keys, seen)
    np.testing.assert_array_equal(np.flatnonzero(seen), np.unique(keys))


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_long_chunks_are_read_one_by_one_as_the_joined_column(kind):

    rng = np.random.default_rng(2)
    values = np.array(VALID, dtype=object)[rng.integers(0, len(VALID), 3 * SHORTEST_CHUNKS)]
    cut = [0, SHORTEST_CHUNKS + 7, 2 * SHORTEST_CHUNKS + 3, len(values)]
    pieces = [pa.array(values[a:b].tolist(), type=kind) for a, b in itertools.pairwise(cut)]
    sliced = pa.array(["99999", *values.tolist()], type=kind).slice(1)  # an offset array
    joined = [CodeColumn(pa.chunked_array([sliced]), "c", "codes")]
    chunked = [CodeColumn(pa.chunked_array([*pieces[:1], pa.array([], kind), *pieces[1:]]),
                          "c", "codes")]  # fmt: skip
    expected_codes, (expected,) = encode_codes(joined, ids="any")
    for columns in (joined, chunked):
        codes, (positions,) = encode_codes(columns)
        assert codes.equals(expected_codes)
        np.testing.assert_array_equal(positions, expected)


def test_the_same_codes_give_the_same_index_object():
    """Indexes are immutable: a table read again reuses its index (and pandas' lookup cache)."""
    first = [CodeColumn(pa.array(["01001", "2A004", "01001"]), "c", "codes")]
    again = [CodeColumn(pa.array(["2A004", "01001"]), "c", "codes")]
    other = [CodeColumn(pa.array(["01001", "2B010"]), "c", "codes")]
    codes, _ = encode_codes(first)
    assert encode_codes(again)[0] is codes
    assert encode_codes(other)[0].tolist() == ["01001", "2B010"]
    assert codes.tolist() == ["01001", "2A004"]
