"""Floating-catchment-area products: sparse gathers over CSR rows.

Every FCA method of :mod:`aplcore.apl` reduces to two gathers: step 1 over the transposed matrix
(one row per practice commune) and step 2 over the matrix (one row per residence commune). Sums run
in row order in float64, so results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit
from .decay import decay_value


@jit(parallel=True)
def spmv(indptr, indices, data, x, needed):
    """``y[i] = sum_k data[k] * x[indices[k]]`` over the entries of row ``i``.

    ``indices`` are unsigned (no wraparound code). Rows where ``needed[i]`` is False are not
    computed (``y[i] = 0``).
    """
    n_rows = indptr.size - 1
    y = np.zeros(n_rows, np.float64)
    one = np.uint64(1)
    two = np.uint64(2)
    for i in prange(n_rows):
        if not needed[i]:
            continue
        k = np.uint64(indptr[i])
        stop = np.uint64(indptr[i + 1])
        s0 = 0.0
        s1 = 0.0
        while k + two <= stop:  # two independent sums break the dependency chain
            s0 += data[k] * x[indices[k]]
            s1 += data[k + one] * x[indices[k + one]]
            k += two
        if k < stop:
            s0 += data[k] * x[indices[k]]
        y[i] = s0 + s1
    return y


#: Columns of ``X`` processed together by :func:`spmm`: a tile of 32 columns of a France-sized
#: ``X`` (35 000 × 32 float64, 9 MB) stays in the last-level cache while the matrix streams by.
SPMM_TILE = 32


@jit(parallel=True)
def spmm(indptr, indices, data, x):
    """``Y[i, :] = sum_k data[k] * X[indices[k], :]`` for a C-contiguous ``X`` of K columns.

    Columns are processed by tiles of :data:`SPMM_TILE`; every ``Y[i, c]`` is still summed in
    row order, so tiling does not change the result.
    """
    n_rows = indptr.size - 1
    n_cols = x.shape[1]
    y = np.zeros((n_rows, n_cols), np.float64)
    one = np.uint64(1)
    for start in range(0, n_cols, SPMM_TILE):
        stop = min(start + SPMM_TILE, n_cols)
        width = stop - start
        for i in prange(n_rows):
            row = y[i, start:stop]
            k = np.uint64(indptr[i])
            end = np.uint64(indptr[i + 1])
            while k < end:
                w = data[k]
                source = x[indices[k], start:stop]
                for c in range(width):
                    row[c] += w * source[c]
                k += one
    return y


@jit(parallel=True)
def ratio(supply, weighted_demand):
    """Step-1 ratio ``S / D``, 0 where the weighted demand is 0 (that supply reaches nobody)."""
    out = np.empty_like(supply)
    for k in prange(supply.size):
        d = weighted_demand[k]
        out[k] = supply[k] / d if d > 0.0 else 0.0
    return out


@jit(parallel=True)
def _accumulate_by_key(keys, others, minutes, values, kind, params, bounds, partial, out):
    """``out[k] = sum over rows with keys[r] == k of f(minutes[r]) * values[others[r]]``.

    Each chunk of rows (``bounds``) accumulates into its own row of ``partial`` (zeros on
    entry); the rows are then summed in chunk order. No two threads write the same memory and
    the order of every sum depends on the data only, so the result is identical whatever the
    number of threads.
    """
    n_chunks = bounds.size - 1
    for c in prange(n_chunks):
        acc = partial[c]
        for r in range(bounds[c], bounds[c + 1]):
            acc[keys[r]] += decay_value(minutes[r], kind, params) * values[others[r]]
    for k in prange(out.size):
        total = 0.0
        for c in range(n_chunks):
            total += partial[c, k]
        out[k] = total


def e2sfca_long(origin, destination, minutes, demand, supply, kind, params, n_chunks):
    """Both E2SFCA steps streamed over a long table, without building any matrix.

    The chunk buffers are allocated once by NumPy (which asks for huge pages for large arrays)
    and serve both steps. Returns ``(apl, weighted_demand, ratio)``. Pairs given twice count
    twice.
    """
    n = demand.size
    bounds = np.linspace(0, origin.size, n_chunks + 1).astype(np.int64)
    partial = np.zeros((n_chunks, n), np.float64)
    weighted_demand = np.empty(n, np.float64)
    _accumulate_by_key(
        destination, origin, minutes, demand, kind, params, bounds, partial, weighted_demand
    )
    r = ratio(supply, weighted_demand)
    partial.fill(0.0)
    apl = np.empty(n, np.float64)
    _accumulate_by_key(origin, destination, minutes, r, kind, params, bounds, partial, apl)
    return apl, weighted_demand, r


@jit(parallel=True)
def e2sfca_rows(indptr, indices, minutes, demand, supply, kind, params, n_chunks):
    """Both E2SFCA steps over a CSR of times by residence commune, without building weights.

    Step 1 streams the rows (chunks balanced by number of pairs), each chunk accumulating the
    weighted demand of practice communes in its own buffer, summed in chunk order afterwards;
    step 2 gathers row by row. Returns ``(apl, weighted_demand, ratio)``.
    """
    n = demand.size
    nnz = indptr[n]
    targets = np.linspace(0, nnz, n_chunks + 1).astype(np.int64)
    bounds = np.searchsorted(indptr, targets, side="left").astype(np.int64)
    bounds[0] = 0
    bounds[n_chunks] = n
    partial = np.zeros((n_chunks, n), np.float64)
    for c in prange(n_chunks):
        acc = partial[c]
        for i in range(bounds[c], bounds[c + 1]):
            p = demand[i]
            if p == 0.0:
                continue
            for k in range(indptr[i], indptr[i + 1]):
                acc[indices[k]] += decay_value(minutes[k], kind, params) * p
    weighted_demand = np.zeros(n, np.float64)
    for j in prange(n):
        total = 0.0
        for c in range(n_chunks):
            total += partial[c, j]
        weighted_demand[j] = total
    r = np.empty(n, np.float64)
    for j in prange(n):
        d = weighted_demand[j]
        r[j] = supply[j] / d if d > 0.0 else 0.0
    apl = np.empty(n, np.float64)
    for i in prange(n):
        total = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            total += decay_value(minutes[k], kind, params) * r[indices[k]]
        apl[i] = total
    return apl, weighted_demand, r
