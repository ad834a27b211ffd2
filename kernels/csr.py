"""Building CSR matrices from long tables, filtering them by a decay, transposing them.

Every builder is a stable, chunked counting sort: the chunks depend on the data size only, each
chunk owns the output slots it writes, and the order inside an output row is the input order.
The result is therefore the same whatever the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import inline, jit
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

    Each entry is sorted on one int64 key, column then position in the row, so that the sort
    is stable whatever algorithm sorts the keys; rows already in order are left as they are.

    Sorted rows read the gathered vector in increasing order, which the caches reward.
    """
    n_rows = indptr.size - 1
    for i in prange(n_rows):
        start = indptr[i]
        stop = indptr[i + 1]
        if stop - start < 2:
            continue
        keys = np.empty(stop - start, np.int64)
        ordered = True
        for k in range(start, stop):
            keys[k - start] = (np.int64(indices[k]) << 32) | (k - start)
            if k > start and indices[k] < indices[k - 1]:
                ordered = False
        if ordered:
            continue
        keys.sort()
        row_data = data[start:stop].copy()
        for k in range(stop - start):
            indices[start + k] = np.int32(keys[k] >> 32)
            data[start + k] = row_data[keys[k] & 0xFFFFFFFF]


#: How :func:`canonical_rows` treats a pair given more than once.
DUPLICATES_ERROR = 0
DUPLICATES_MIN = 1
DUPLICATES_FIRST = 2


@jit(parallel=True)
def bucket_checked(origin, destination, minutes, n_rows, sentinel, n_chunks):
    """CSR by origin from a long table of times, checking every time on the way.

    One stable counting sort (as :func:`bucket_long`) whose counting pass also checks the
    times: a time that is NaN, infinite or negative is counted as bad and, if there is any,
    nothing is built (the caller reports the rows). Times equal to ``sentinel`` ("not
    computed"; NaN disables it) are dropped and counted.

    Returns
    -------
    indptr (int64), indices (int32), data (float64), n_bad, n_dropped
    """
    n = origin.size
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    counts = np.zeros((n_chunks, n_rows), np.int64)
    bad = np.zeros(n_chunks, np.int64)
    dropped = np.zeros(n_chunks, np.int64)
    for c in prange(n_chunks):
        for r in range(bounds[c], bounds[c + 1]):
            t = minutes[r]
            if not (t >= 0.0 and t < np.inf):
                bad[c] += 1
            elif t == sentinel:
                dropped[c] += 1
            else:
                counts[c, origin[r]] += 1
    n_bad = bad.sum()
    n_dropped = dropped.sum()
    if n_bad > 0:
        return (
            np.zeros(1, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, np.float64),
            n_bad,
            n_dropped,
        )
    indptr = _offsets_from_counts(counts)
    nnz = indptr[n_rows]
    indices = np.empty(nnz, np.int32)
    data = np.empty(nnz, np.float64)
    for c in prange(n_chunks):
        for r in range(bounds[c], bounds[c + 1]):
            t = minutes[r]
            if t != sentinel:
                slot = counts[c, origin[r]]
                indices[slot] = destination[r]
                data[slot] = t
                counts[c, origin[r]] = slot + 1
    return indptr, indices, data, n_bad, n_dropped


@inline
def _pair_time(indices, data, k, stop, mode):
    """Time of the pair starting at ``k`` (rule ``mode`` over its repeats) and where it ends."""
    j = indices[k]
    t = data[k]
    m = k + 1
    while m < stop and indices[m] == j:
        if mode == DUPLICATES_MIN and data[m] < t:
            t = data[m]
        m += 1
    return t, m


@jit(parallel=True)
def canonical_rows(indptr, indices, data, mode, max_minutes, self_minutes):
    """The canonical CSR from rows sorted by column (stable): one entry per pair, cut, self-pairs.

    Per row and in one pass: repeated pairs are counted and resolved (``mode``: error, min,
    first in input order), pairs with ``t > max_minutes`` are dropped, and a row without its
    ``i → i`` pair gets one with time ``self_minutes[i]`` unless that is NaN.

    Returns
    -------
    indptr (int64), indices (int32), data (float64)
        Empty when ``mode`` is error and some pair is repeated.
    n_repeated : int64 array
        Number of repeated pairs in each row.
    has_self : bool array
        Whether each row had its ``i → i`` pair (after the cut, before any was added).
    """
    n_rows = indptr.size - 1
    kept = np.zeros(n_rows + 1, np.int64)
    n_repeated = np.zeros(n_rows, np.int64)
    has_self = np.zeros(n_rows, np.bool_)
    for i in prange(n_rows):
        count = 0
        stop = indptr[i + 1]
        k = indptr[i]
        while k < stop:
            j = indices[k]
            t, m = _pair_time(indices, data, k, stop, mode)
            if m - k > 1:
                n_repeated[i] += 1
            if t <= max_minutes:
                count += 1
                if j == i:
                    has_self[i] = True
            k = m
        if not has_self[i] and not np.isnan(self_minutes[i]):
            count += 1
        kept[i + 1] = count
    if mode == DUPLICATES_ERROR and n_repeated.sum() > 0:
        return (
            np.zeros(1, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, np.float64),
            n_repeated,
            has_self,
        )
    out_indptr = np.cumsum(kept)
    nnz = out_indptr[n_rows]
    out_indices = np.empty(nnz, np.int32)
    out_data = np.empty(nnz, np.float64)
    for i in prange(n_rows):
        slot = out_indptr[i]
        add_self = not has_self[i] and not np.isnan(self_minutes[i])
        stop = indptr[i + 1]
        k = indptr[i]
        while k < stop:
            j = indices[k]
            t, m = _pair_time(indices, data, k, stop, mode)
            if add_self and j > i:
                out_indices[slot] = i
                out_data[slot] = self_minutes[i]
                slot += 1
                add_self = False
            if t <= max_minutes:
                out_indices[slot] = j
                out_data[slot] = t
                slot += 1
            k = m
        if add_self:
            out_indices[slot] = i
            out_data[slot] = self_minutes[i]
    return out_indptr, out_indices, out_data, n_repeated, has_self


#: Rules of :func:`symmetric_rows`.
SYMMETRISE_MIN = 0
SYMMETRISE_MAX = 1
SYMMETRISE_MEAN = 2


@inline
def _combine(a, b, rule):
    if rule == SYMMETRISE_MIN:
        return min(a, b)
    if rule == SYMMETRISE_MAX:
        return max(a, b)
    return (a + b) / 2.0


@jit(parallel=True)
def symmetric_rows(indptr, indices, data, t_indptr, t_indices, t_data, rule):
    """Merge a CSR with sorted rows and its transpose: ``t(i, j) = rule(t(i, j), t(j, i))``.

    A pair present in one direction only keeps its time in both directions.
    """
    n_rows = indptr.size - 1
    kept = np.zeros(n_rows + 1, np.int64)
    for i in prange(n_rows):
        a, a_stop = indptr[i], indptr[i + 1]
        b, b_stop = t_indptr[i], t_indptr[i + 1]
        count = 0
        while a < a_stop or b < b_stop:
            if b >= b_stop or (a < a_stop and indices[a] < t_indices[b]):
                a += 1
            elif a >= a_stop or t_indices[b] < indices[a]:
                b += 1
            else:
                a += 1
                b += 1
            count += 1
        kept[i + 1] = count
    out_indptr = np.cumsum(kept)
    out_indices = np.empty(out_indptr[n_rows], np.int32)
    out_data = np.empty(out_indptr[n_rows], np.float64)
    for i in prange(n_rows):
        a, a_stop = indptr[i], indptr[i + 1]
        b, b_stop = t_indptr[i], t_indptr[i + 1]
        slot = out_indptr[i]
        while a < a_stop or b < b_stop:
            if b >= b_stop or (a < a_stop and indices[a] < t_indices[b]):
                out_indices[slot] = indices[a]
                out_data[slot] = data[a]
                a += 1
            elif a >= a_stop or t_indices[b] < indices[a]:
                out_indices[slot] = t_indices[b]
                out_data[slot] = t_data[b]
                b += 1
            else:
                out_indices[slot] = indices[a]
                out_data[slot] = _combine(data[a], t_data[b], rule)
                a += 1
                b += 1
            slot += 1
    return out_indptr, out_indices, out_data


@jit(parallel=True)
def is_canonical(indptr, indices, data, max_minutes):
    """Whether rows sorted by column already are the canonical matrix :func:`canonical_rows`
    would build: no repeated pair, no time above ``max_minutes``, every ``i → i`` pair present.

    A read-only pass: when it answers yes, the rebuild is skipped.
    """
    n_rows = indptr.size - 1
    bad = np.zeros(n_rows, np.bool_)
    for i in prange(n_rows):
        has_self = False
        for k in range(indptr[i], indptr[i + 1]):
            if data[k] > max_minutes or (k > indptr[i] and indices[k] <= indices[k - 1]):
                bad[i] = True
                break
            if indices[k] == i:
                has_self = True
        if not has_self:
            bad[i] = True
    return not bad.any()
