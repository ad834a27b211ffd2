"""The statistics kernels of scenario runs: per-row moments against NumPy, territory means
against SciPy's sparse product (same terms, same order: the same bits)."""

from __future__ import annotations

import numpy as np
from aplcore.kernels.summary import row_moments, segment_means
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse


@settings(max_examples=60)
@given(
    st.integers(1, 9),
    st.integers(1, 300),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["normal", "ties", "constant", "wide"]),
)
def test_row_moments_equal_numpy(rows, n, seed, kind):
    rng = np.random.default_rng(seed)
    values = rng.normal(3.0, 1.0, (rows, n))
    if kind == "ties":
        values = np.round(values, 0)
    elif kind == "constant":
        values[:] = 2.5
    elif kind == "wide":
        values *= 10.0 ** rng.integers(-3, 4, (rows, n))
    threshold = float(np.median(values))
    found = row_moments(values, threshold)
    scale = np.abs(values).max(axis=1)  # rounding errors are relative to the row's values
    assert (np.abs(found[:, 0] - values.mean(axis=1)) <= 1e-13 * scale).all()
    assert (np.abs(found[:, 1] - values.std(axis=1)) <= 1e-12 * scale).all()
    assert np.array_equal(found[:, 2], (values < threshold).mean(axis=1))
    assert (row_moments(values, -np.inf)[:, 2] == 0.0).all()


@settings(max_examples=60)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(1, 70), st.integers(0, 2**32 - 1))
def test_segment_means_equal_the_sparse_product(n, segments, k, seed):
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, segments, n)  # some segments may be empty
    weights = rng.random(n)
    matrix = sparse.csr_array((weights, (segment, np.arange(n))), shape=(segments, n))
    values = rng.normal(3.0, 1.0, (n, k))
    found = segment_means(
        matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64), matrix.data, values
    )
    assert np.array_equal(found, matrix @ values)


@settings(max_examples=40)
@given(st.integers(1, 6), st.integers(1, 200), st.integers(0, 2**32 - 1), st.data())
def test_row_summary_is_moments_and_ranks(rows, n, seed, data):
    """The fused kernel gives the moments of row_moments and the order statistics of
    select_ranks (itself checked against numpy.partition), bit for bit."""
    from aplcore.kernels.select import select_ranks
    from aplcore.kernels.summary import row_summary

    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(3.0, 1.0, (rows, n)), data.draw(st.integers(0, 3)))
    ranks = np.unique(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6)))
    moments, selected = row_summary(values, ranks.astype(np.int64), 3.0)
    assert np.array_equal(moments, row_moments(values, 3.0))
    assert np.array_equal(selected, select_ranks(values, ranks.astype(np.int64)))
