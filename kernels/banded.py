"""Banded CSR: sparse matrices whose weights take a few values (step decays).

A step decay gives every pair one of ``m`` weights. Instead of a float64 weight per pair, the
entries of each row are grouped by band, and a row pointer is kept per (row, band): row ``i``,
band ``b`` spans ``indices[ptr[i*m + b] : ptr[i*m + b + 1]]``. A product then reads 4 bytes per
pair instead of 12, and multiplies once per band instead of once per pair::

    y[i] = sum_b values[b] * sum_{k in band b of row i} x[indices[k]]
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import inline, jit
from .csr import _offsets_from_counts
from .decay import step_band


@inline
def gather_sum(indices, x, start, stop):
    """``sum x[indices[start:stop]]`` with four independent partial sums.

    Positions are unsigned (uint64 loop counter, uint16 or uint32 columns) so that Numba emits no
    negative-index wraparound; one running sum would make every addition wait for the
    previous one, four break that chain. The order of the additions depends on the data only.
    """
    one = np.uint64(1)
    four = np.uint64(4)
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    k = np.uint64(start)
    end = np.uint64(stop)
    while k + four <= end:
        s0 += x[indices[k]]
        s1 += x[indices[k + one]]
        s2 += x[indices[k + np.uint64(2)]]
        s3 += x[indices[k + np.uint64(3)]]
        k += four
    while k < end:
        s0 += x[indices[k]]
        k += one
    return (s0 + s1) + (s2 + s3)


@jit(parallel=True)
def band_rows(indptr, indices, minutes, params):
    """Banded CSR by row from a CSR of times and a step decay (pairs beyond it dropped).

    Returns ``(ptr, indices)``, ``ptr`` of length ``n_rows * m + 1``. Inside a band, entries keep
    their order in the row.
    """
    n_rows = indptr.size - 1
    m = int(params[1])
    counts = np.zeros(n_rows * m + 1, np.int64)
    for i in prange(n_rows):
        for k in range(indptr[i], indptr[i + 1]):
            band = step_band(minutes[k], params)
            if band < m:
                counts[i * m + band + 1] += 1
    ptr = np.cumsum(counts)
    cursor = ptr[:-1].copy()
    out = np.empty(ptr[-1], np.int32)
    for i in prange(n_rows):
        for k in range(indptr[i], indptr[i + 1]):
            band = step_band(minutes[k], params)
            if band < m:
                key = i * m + band
                out[cursor[key]] = indices[k]
                cursor[key] += 1
    return ptr, out


@jit(parallel=True)
def band_transpose(ptr, indices, m, n_cols, n_chunks):
    """Transpose of a banded CSR (bands kept), stable inside every (row, band)."""
    n_rows = (ptr.size - 1) // m
    nnz = ptr[ptr.size - 1]
    targets = np.linspace(0, nnz, n_chunks + 1).astype(np.int64)
    row_ptr = ptr[::m].copy()
    row_bounds = np.searchsorted(row_ptr, targets, side="left").astype(np.int64)
    row_bounds[0] = 0
    row_bounds[n_chunks] = n_rows
    counts = np.zeros((n_chunks, n_cols * m), np.int64)
    for c in prange(n_chunks):
        for i in range(row_bounds[c], row_bounds[c + 1]):
            for b in range(m):
                for k in range(ptr[i * m + b], ptr[i * m + b + 1]):
                    counts[c, indices[k] * m + b] += 1
    t_ptr = _offsets_from_counts(counts)
    t_indices = np.empty(nnz, np.int32)
    for c in prange(n_chunks):
        for i in range(row_bounds[c], row_bounds[c + 1]):
            for b in range(m):
                for k in range(ptr[i * m + b], ptr[i * m + b + 1]):
                    key = indices[k] * m + b
                    slot = counts[c, key]
                    t_indices[slot] = i
                    counts[c, key] = slot + 1
    return t_ptr, t_indices


@jit(parallel=True)
def spmv(ptr, indices, values, x, needed):
    """``y[i] = sum_b values[b] * sum_{k in band b of row i} x[indices[k]]``.

    ``indices`` are unsigned. Rows where ``needed[i]`` is False are not computed (``y[i] = 0``).
    """
    m = values.size
    n_rows = (ptr.size - 1) // m
    y = np.zeros(n_rows, np.float64)
    for i in prange(n_rows):
        if not needed[i]:
            continue
        acc = 0.0
        for b in range(m):
            acc += values[b] * gather_sum(indices, x, ptr[i * m + b], ptr[i * m + b + 1])
        y[i] = acc
    return y


@jit(parallel=True)
def spmm(ptr, indices, values, x, tile):
    """Banded ``Y = A X`` for a C-contiguous ``X``, by column tiles of width ``tile``."""
    m = values.size
    n_rows = (ptr.size - 1) // m
    n_cols = x.shape[1]
    y = np.zeros((n_rows, n_cols), np.float64)
    one = np.uint64(1)
    for start in range(0, n_cols, tile):
        stop = min(start + tile, n_cols)
        width = stop - start
        for i in prange(n_rows):
            row = y[i, start:stop]
            for b in range(m):
                w = values[b]
                k = np.uint64(ptr[i * m + b])
                end = np.uint64(ptr[i * m + b + 1])
                while k < end:
                    source = x[indices[k], start:stop]
                    for c in range(width):
                        row[c] += w * source[c]
                    k += one
    return y
