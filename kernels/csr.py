"""Building CSR matrices from long tables, filtering them by a decay, transposing them.

Every builder is a stable, chunked counting sort: the chunks depend on the data size only, each
chunk owns the output slots it writes, and the order inside an output row is the input order.
The result is therefore the same whatever the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit
from .decay import IDENTITY, decay_value

#: Rows of a chunk in the counting sorts; a function of the data size only.
CHUNK_ITEMS = 1 << 17
MAX_CHUNKS = 32


def n_chunks_for(n_items: int) -> int:
    """Number of chunks for ``n_items`` items (data-dependent, never thread-dependent)."""
    return int(min(MAX_CHUNKS, max(1, n_items // CHUNK_ITEMS)))


@jit()
def _offsets_from_counts(counts):
    """Turn per-chunk key counts into the CSR pointer and per-chunk write offsets (in place)."""
    n_chunks, n_keys = counts.shape
    indptr = np.zeros(n_keys + 1, np.int64)
    for k in range(n_keys):
        total = 0
        for c in range(n_chunks):
            total += counts[c, k]
        indptr[k + 1] = indptr[k] + total
    for k in range(n_keys):
        running = indptr[k]
        for c in range(n_chunks):
            count = counts[c, k]
            counts[c, k] = running
            running += count
    return indptr


@jit(parallel=True)
def bucket_long(origin, destination, minutes, n_rows, kind, params, n_chunks):
    """CSR by origin from a long table, values transformed by a decay and zeros dropped.

    Parameters
    ----------
    origin, destination : int32 arrays
        Row and column positions of each pair.
    minutes : float64 array
        Travel time of each pair.
    n_rows : int
        Number of rows (communes).
    kind : int
        Decay kind (``IDENTITY`` keeps every pair and its time unchanged).
    params : float64 array
        Decay parameters.
    n_chunks : int
        Number of chunks of the counting sort.

    Returns
    -------
    indptr (int64), indices (int32), data (float64)
    """
    n = origin.size
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    counts = np.zeros((n_chunks, n_rows), np.int64)
    for c in prange(n_chunks):
        for r in range(bounds[c], bounds[c + 1]):
            if kind == IDENTITY or decay_value(minutes[r], kind, params) > 0.0:
                counts[c, origin[r]] += 1
    indptr = _offsets_from_counts(counts)
    nnz = indptr[n_rows]
    indices = np.empty(nnz, np.int32)
    data = np.empty(nnz, np.float64)
    for c in prange(n_chunks):
        for r in range(bounds[c], bounds[c + 1]):
            w = decay_value(minutes[r], kind, params)
            if kind == IDENTITY or w > 0.0:
                slot = counts[c, origin[r]]
                indices[slot] = destination[r]
                data[slot] = w
                counts[c, origin[r]] = slot + 1
    return indptr, indices, data


@jit(parallel=True)
def filter_rows(indptr, indices, minutes, kind, params):
    """Weighted CSR from a CSR of times: weights by the decay, zero weights dropped.

    Row by row (gather only); the order inside each row is kept.
    """
    n_rows = indptr.size - 1
    kept = np.zeros(n_rows + 1, np.int64)
    for i in prange(n_rows):
        count = 0
        for k in range(indptr[i], indptr[i + 1]):
            if decay_value(minutes[k], kind, params) > 0.0:
                count += 1
        kept[i + 1] = count
    out_indptr = np.cumsum(kept)
    nnz = out_indptr[n_rows]
    out_indices = np.empty(nnz, np.int32)
    out_data = np.empty(nnz, np.float64)
    for i in prange(n_rows):
        slot = out_indptr[i]
        for k in range(indptr[i], indptr[i + 1]):
            w = decay_value(minutes[k], kind, params)
            if w > 0.0:
                out_indices[slot] = indices[k]
                out_data[slot] = w
                slot += 1
    return out_indptr, out_indices, out_data


@jit(parallel=True)
def transpose(indptr, indices, data, n_cols, n_chunks):
    """Transpose of a CSR matrix, as CSR (stable: row order kept inside each output row)."""
    n_rows = indptr.size - 1
    nnz = indptr[n_rows]
    targets = np.linspace(0, nnz, n_chunks + 1).astype(np.int64)
    row_bounds = np.searchsorted(indptr, targets, side="left").astype(np.int64)
    row_bounds[0] = 0
    row_bounds[n_chunks] = n_rows
    counts = np.zeros((n_chunks, n_cols), np.int64)
    for c in prange(n_chunks):
        for k in range(indptr[row_bounds[c]], indptr[row_bounds[c + 1]]):
            counts[c, indices[k]] += 1
    t_indptr = _offsets_from_counts(counts)
    t_indices = np.empty(nnz, np.int32)
    t_data = np.empty(nnz, np.float64)
    for c in prange(n_chunks):
        for i in range(row_bounds[c], row_bounds[c + 1]):
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                slot = counts[c, j]
                t_indices[slot] = i
                t_data[slot] = data[k]
                counts[c, j] = slot + 1
    return t_indptr, t_indices, t_data


@jit(parallel=True)
def first_duplicate_in_rows(indptr, indices, n_cols, n_chunks):
    """For each row, the position of its first repeated column (-1 when the row has none)."""
    n_rows = indptr.size - 1
    bounds = np.linspace(0, n_rows, n_chunks + 1).astype(np.int64)
    out = np.full(n_rows, -1, np.int64)
    for c in prange(n_chunks):
        last_row = np.full(n_cols, -1, np.int64)
        for i in range(bounds[c], bounds[c + 1]):
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if last_row[j] == i:
                    out[i] = k
                    break
                last_row[j] = i
    return out


@jit(parallel=True)
def row_has_column(indptr, indices, columns):
    """Whether row ``i`` holds column ``columns[i]`` (used to find missing self-pairs)."""
    n_rows = indptr.size - 1
    out = np.zeros(n_rows, np.bool_)
    for i in prange(n_rows):
        target = columns[i]
        for k in range(indptr[i], indptr[i + 1]):
            if indices[k] == target:
                out[i] = True
                break
    return out


@jit(parallel=True)
def sort_rows(indptr, indices, data):
    """Sort the entries of every row by column, in place (stable: ties keep their order).

    Sorted rows read the gathered vector in increasing order, which the caches reward.
    """
    n_rows = indptr.size - 1
    for i in prange(n_rows):
        start = indptr[i]
        stop = indptr[i + 1]
        if stop - start < 2:
            continue
        order = np.argsort(indices[start:stop], kind="mergesort")
        row_indices = indices[start:stop][order]
        row_data = data[start:stop][order]
        indices[start:stop] = row_indices
        data[start:stop] = row_data
