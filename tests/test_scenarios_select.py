"""The order-statistics kernel of the per-commune quantiles against :func:`numpy.partition`."""

from __future__ import annotations

import numpy as np
from aplcore.kernels.select import BUCKETS, select_ranks
from hypothesis import given, settings
from hypothesis import strategies as st


def reference(values: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    return np.partition(values, ranks, axis=1)[:, ranks]


@settings(max_examples=80)
@given(
    st.integers(1, 12),
    st.integers(1, 60),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["normal", "ties", "constant", "outlier", "tiny range", "subnormal"]),
    st.data(),
)
def test_select_ranks_equals_partition(rows, n, seed, kind, data):
    rng = np.random.default_rng(seed)
    values = rng.normal(3.0, 1.0, (rows, n))
    if kind == "ties":
        values = np.round(values, 1)
    elif kind == "constant":
        values[:] = 2.5
    elif kind == "outlier":  # nearly every value in the first bucket
        values[:, 0] = 1e12
    elif kind == "tiny range":  # neighbouring floats: buckets from a range of a few ulps
        values = 1.0 + rng.integers(0, 4, (rows, n)) * np.finfo(float).eps
    elif kind == "subnormal":  # a range whose inverse overflows
        values = rng.integers(0, 3, (rows, n)) * 5e-324
    ranks = np.asarray(
        sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=6))), dtype=np.int64
    )
    assert np.array_equal(select_ranks(values, ranks), reference(values, ranks))


def test_many_values_per_bucket():
    values = np.random.default_rng(1).normal(size=(3, 20 * BUCKETS))
    ranks = np.array([0, 1, 999, 1000, 20 * BUCKETS - 1], dtype=np.int64)
    assert np.array_equal(select_ranks(values, ranks), reference(values, ranks))
