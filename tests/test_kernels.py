"""CSR builders and sparse gathers against plain NumPy/SciPy, thread invariance, signatures."""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from aplcore.kernels import banded, csr, fca
from aplcore.kernels.decay import IDENTITY
from fca_reference import dense_times, drees_weights
from hypothesis import given
from hypothesis import strategies as st

NO_PARAMS = np.zeros(0)


@st.composite
def long_tables(draw, max_n=12, max_rows=80):
    n = draw(st.integers(1, max_n))
    rows = draw(st.integers(0, max_rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    origin = rng.integers(0, n, rows).astype(np.int32)
    destination = rng.integers(0, n, rows).astype(np.int32)
    minutes = rng.choice([0.0, 10.0, 15.0, 20.0, 3.7, 12.2, 25.0], rows)
    return n, origin, destination, minutes


@given(long_tables(), st.integers(1, 5))
def test_bucket_long_is_a_stable_sort_by_origin(table, n_chunks):
    n, o, d, t = table
    indptr, indices, data = csr.bucket_long(o, d, t, n, IDENTITY, NO_PARAMS, n_chunks)
    order = np.argsort(o, kind="stable")
    np.testing.assert_array_equal(indices, d[order])
    np.testing.assert_array_equal(data, t[order])
    np.testing.assert_array_equal(np.diff(indptr), np.bincount(o, minlength=n))


@given(long_tables(), st.integers(1, 5))
def test_transpose_matches_scipy(table, n_chunks):
    n, o, d, t = table
    indptr, indices, data = csr.bucket_long(o, d, t + 1.0, n, IDENTITY, NO_PARAMS, 1)
    ti, tj, tv = csr.transpose(indptr, indices, data, n, n_chunks)
    ours = sp.csr_array((tv, tj, ti), shape=(n, n)).toarray()
    ref = sp.csr_array((data, indices, indptr), shape=(n, n)).T.toarray()
    np.testing.assert_array_equal(ours, ref)
    for j in range(n):  # stable: origins ascending in each transposed row
        row = tj[ti[j] : ti[j + 1]]
        assert np.all(np.diff(row) >= 0)


def test_empty_rows_and_columns():
    o = np.array([2], np.int32)
    d = np.array([0], np.int32)
    indptr, indices, data = csr.bucket_long(o, d, np.array([5.0]), 4, IDENTITY, NO_PARAMS, 1)
    np.testing.assert_array_equal(indptr, [0, 0, 0, 1, 1])
    ti, tj, _ = csr.transpose(indptr, indices, data, 4, 2)
    np.testing.assert_array_equal(ti, [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(tj, [2])
    y = fca.spmv(indptr, indices.view(np.uint32), data, np.ones(4), np.ones(4, np.bool_))
    np.testing.assert_array_equal(y, [0, 0, 5, 0])


@given(long_tables(), st.integers(1, 4))
def test_spmv_and_spmm_match_dense(table, k):
    n, o, d, t = table
    indptr, indices, data = csr.bucket_long(o, d, t, n, IDENTITY, NO_PARAMS, 2)
    dense = sp.csr_array((data, indices, indptr), shape=(n, n)).toarray()
    x = np.random.default_rng(0).random((n, k))
    columns = indices.view(np.uint32)
    np.testing.assert_allclose(fca.spmm(indptr, columns, data, x), dense @ x, rtol=1e-12)
    every_row = np.ones(n, np.bool_)
    y = fca.spmv(indptr, columns, data, x[:, 0], every_row)
    np.testing.assert_allclose(y, dense @ x[:, 0], rtol=1e-12)
    some_rows = np.arange(n) % 2 == 0
    y = fca.spmv(indptr, columns, data, x[:, 0], some_rows)
    np.testing.assert_allclose(y, np.where(some_rows, dense @ x[:, 0], 0.0), rtol=1e-12)


@given(long_tables(), st.integers(1, 4), st.sampled_from(["left", "right"]))
def test_banded_products_match_dense(table, k, closed):
    import aplcore
    from aplcore.weights import weight_matrices

    n, o, d, t = table
    codes = [f"{10000 + i:05d}" for i in range(n)]
    tt = aplcore.TravelTimes.from_arrays(codes, o, d, t, intra_minutes=0.0, duplicates="first")
    decay = aplcore.get_decay("drees_gp", closed=closed)
    w, w_t = weight_matrices(tt, decay)
    assert w.banded
    dense = drees_weights(dense_times(n, tt.origins, tt.indices, tt.minutes), closed)
    x = np.random.default_rng(1).random((n, k))
    np.testing.assert_allclose(w.matmat(x), dense @ x, rtol=1e-12)
    np.testing.assert_allclose(w_t.matmat(x), dense.T @ x, rtol=1e-12)
    np.testing.assert_allclose(w.matvec(x[:, 0]), dense @ x[:, 0], rtol=1e-12)
    np.testing.assert_allclose(w.to_scipy().toarray(), dense, rtol=1e-15)


def test_read_only_inputs_are_accepted():
    o = np.array([0, 1, 1], np.int32)
    d = np.array([1, 0, 1], np.int32)
    t = np.array([3.0, 4.0, 0.0])
    for a in (o, d, t):
        a.setflags(write=False)
    _, indices, _ = csr.bucket_long(o, d, t, 2, IDENTITY, NO_PARAMS, 1)
    np.testing.assert_array_equal(indices, [1, 0, 1])


def test_results_identical_with_one_and_two_threads():
    import pandas as pd

    import aplcore
    from aplcore.apl import apl_from_arrays

    rng = np.random.default_rng(7)
    n, rows = 3000, 200_000
    o = rng.integers(0, n, rows).astype(np.int32)
    d = rng.integers(0, n, rows).astype(np.int32)
    t = rng.random(rows) * 30
    p, s = rng.random(n) * 1000, rng.random(n) * 5000
    codes = [f"{10000 + i:05d}" for i in range(n)]
    tt = aplcore.TravelTimes.from_arrays(codes, o, d, t, intra_minutes=0.0, duplicates="first")
    demand, supply = pd.Series(p, index=codes), pd.Series(s, index=codes)
    batch = pd.DataFrame({"a": s, "b": s[::-1]}, index=codes)

    def run():
        matrix = aplcore.prepare(tt)
        return (
            *apl_from_arrays(o, d, t, p, s),
            matrix.solve(demand, supply).apl.to_numpy(),
            matrix.solve_batch(demand, batch).to_numpy(),
            aplcore.prepare(tt, method="bfca").solve(demand, supply).apl.to_numpy(),
        )

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run()
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_public_api_compiles_one_signature_per_kernel():
    """Inputs of other dtypes are canonicalised at the boundary: no new compilation."""
    import pandas as pd

    import aplcore

    codes = [f"01{i:03d}" for i in range(5)]
    kernels = (
        csr.bucket_long,
        csr._count_checked,
        csr._scatter_checked,
        csr._canonical_counts,
        csr._canonical_fill,
        csr.sort_rows_checked,
        fca.e2sfca_rows,
        banded.band_rows,
        banded.band_transpose,
        banded.spmv,
        csr.filter_rows,
        csr.transpose,
        fca.spmv,
    )
    counts = None
    for index_dtype, time_dtype, supply_dtype in [
        (np.int32, np.float64, "float64"),
        (np.int64, np.float32, "int64"),
        (np.uint16, np.int64, "int32"),
    ]:
        o = np.array([0, 1, 2, 3, 4, 0], dtype=index_dtype)
        d = np.array([0, 1, 2, 3, 4, 1], dtype=index_dtype)
        t = np.array([0, 0, 0, 0, 0, 12], dtype=time_dtype)
        tt = aplcore.TravelTimes.from_arrays(codes, o, d, t)
        demand = pd.Series(1.0, index=codes)
        supply = pd.Series([1, 0, 0, 0, 0], index=codes, dtype=supply_dtype)
        aplcore.compute_apl(tt, demand=demand, supply=supply)
        aplcore.prepare(tt).solve(demand, supply)
        aplcore.prepare(tt, decay=aplcore.linear_decay(20)).solve(demand, supply)
        now = [len(k.signatures) for k in kernels]
        if counts is None:
            counts = now
        assert now == counts
