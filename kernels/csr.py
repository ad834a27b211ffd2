"""Building CSR matrices from long tables, filtering them by a decay, transposing them.

Every builder is a stable, chunked counting sort: the chunks depend on the data size only, each
chunk owns the output slots it writes, and the order inside an output row is the input order.
Rows are then sorted by column where they lie (:func:`sort_rows_checked`, stable). The result is
therefore the same whatever the number of threads.
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


#: Rows up to this long are sorted by insertion; longer ones by a byte-wise radix sort.
INSERTION_ROWS = 24
#: Rows per chunk of :func:`sort_rows_checked` (a function of the data size only).
SORT_CHUNK_ROWS = 512


@inline
def _radix_pass(src_keys, src_data, src_start, dst_keys, dst_data, dst_start, m, low, shift, count):
    """One stable counting pass of ``m`` entries on byte ``shift // 8`` of ``key - low``."""
    count[:] = 0
    for k in range(m):
        count[(((src_keys[src_start + k] - low) >> shift) & 255) + 1] += 1
    for b in range(256):
        count[b + 1] += count[b]
    for k in range(m):
        key = src_keys[src_start + k]
        digit = ((key - low) >> shift) & 255
        slot = count[digit]
        dst_keys[dst_start + slot] = key
        dst_data[dst_start + slot] = src_data[src_start + k]
        count[digit] = slot + 1


@inline
def _sort_row(indices, data, start, stop, keys_a, data_a, keys_b, data_b, count):
    """Sort one row by column, in place and stably (ties keep their order)."""
    m = stop - start
    if m < 2:
        return
    low = indices[start]
    high = low
    ordered = True
    for k in range(start + 1, stop):
        j = indices[k]
        if j < indices[k - 1]:
            ordered = False
        low = min(low, j)
        high = max(high, j)
    if ordered:
        return
    if m <= INSERTION_ROWS:
        for a in range(start + 1, stop):
            j = indices[a]
            t = data[a]
            b = a - 1
            while b >= start and indices[b] > j:
                indices[b + 1] = indices[b]
                data[b + 1] = data[b]
                b -= 1
            indices[b + 1] = j
            data[b + 1] = t
        return
    passes = 1
    while ((high - low) >> (8 * passes)) > 0:
        passes += 1
    # least significant byte first, ping-ponging through the scratch rows, back in place
    _radix_pass(indices, data, start, keys_a, data_a, 0, m, low, 0, count)
    in_a = True
    for p in range(1, passes):
        if p == passes - 1:
            if in_a:
                _radix_pass(keys_a, data_a, 0, indices, data, start, m, low, 8 * p, count)
            else:
                _radix_pass(keys_b, data_b, 0, indices, data, start, m, low, 8 * p, count)
            return
        if in_a:
            _radix_pass(keys_a, data_a, 0, keys_b, data_b, 0, m, low, 8 * p, count)
        else:
            _radix_pass(keys_b, data_b, 0, keys_a, data_a, 0, m, low, 8 * p, count)
        in_a = not in_a
    for k in range(m):  # a single pass (columns within 256 of each other)
        indices[start + k] = keys_a[k]
        data[start + k] = data_a[k]


@inline
def _row_is_canonical(indices, data, start, stop, row, max_minutes):
    """Whether a row sorted by column has no repeated pair, nothing above ``max_minutes`` and
    its ``i → i`` pair."""
    has_self = False
    for k in range(start, stop):
        if data[k] > max_minutes or (k > start and indices[k] == indices[k - 1]):
            return False
        if indices[k] == row:
            has_self = True
    return has_self


@jit(parallel=True)
def sort_rows_checked(indptr, indices, data, max_minutes):
    """Sort the entries of every row by column, in place (stable: ties keep their order), and
    say whether the result already is the canonical matrix :func:`canonical_rows` would build
    (no repeated pair, no time above ``max_minutes``, every ``i → i`` pair present).

    Each row is sorted where it lies, in cache: by insertion when short, else by a radix sort
    on the bytes of ``column - smallest column`` (two passes below 65 536 columns apart). With
    rows bucketed by origin in input order (:func:`bucket_checked`), this gives the order of a
    stable sort by (origin, destination) with one scatter over memory instead of two.
    """
    n_rows = indptr.size - 1
    n_chunks = max(1, (n_rows + SORT_CHUNK_ROWS - 1) // SORT_CHUNK_ROWS)
    bounds = np.linspace(0, n_rows, n_chunks + 1).astype(np.int64)
    bad = np.zeros(n_chunks, np.bool_)
    for c in prange(n_chunks):
        longest = 0
        for i in range(bounds[c], bounds[c + 1]):
            longest = max(longest, indptr[i + 1] - indptr[i])
        keys_a = np.empty(longest, indices.dtype)
        data_a = np.empty(longest, data.dtype)
        keys_b = np.empty(longest, indices.dtype)
        data_b = np.empty(longest, data.dtype)
        count = np.empty(257, np.int64)
        for i in range(bounds[c], bounds[c + 1]):
            start, stop = indptr[i], indptr[i + 1]
            _sort_row(indices, data, start, stop, keys_a, data_a, keys_b, data_b, count)
            if not bad[c] and not _row_is_canonical(indices, data, start, stop, i, max_minutes):
                bad[c] = True
    return not bad.any()


#: How :func:`canonical_rows` treats a pair given more than once.
DUPLICATES_ERROR = 0
DUPLICATES_MIN = 1
DUPLICATES_FIRST = 2


def bucket_checked(origin, destination, minutes, n_rows, sentinel, n_chunks):
    """CSR by origin from a long table of times, checking every time on the way.

    One stable counting sort (as :func:`bucket_long`) whose counting pass also checks the
    times: a time that is NaN, infinite or negative is counted as bad and, if there is any,
    nothing is built (the caller reports the rows). Times equal to ``sentinel`` ("not
    computed"; NaN disables it) are dropped and counted.

    The output arrays are allocated by NumPy, not inside the kernel: NumPy asks for huge pages
    for large arrays, so that the first writes into them fault far fewer pages.

    Returns
    -------
    indptr (int64), indices (int32), data (float64), n_bad, n_dropped
    """
    bounds = np.linspace(0, origin.size, n_chunks + 1).astype(np.int64)
    counts = np.zeros((n_chunks, n_rows), np.int64)
    n_bad, n_dropped = _count_checked(origin, minutes, sentinel, bounds, counts)
    if n_bad > 0:
        empty = (np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float64))
        return (*empty, n_bad, n_dropped)
    indptr = _offsets_from_counts(counts)
    indices = np.empty(indptr[-1], np.int32)
    data = np.empty(indptr[-1], np.float64)
    _scatter_checked(origin, destination, minutes, sentinel, bounds, counts, indices, data)
    return indptr, indices, data, n_bad, n_dropped


@jit(parallel=True)
def _count_checked(origin, minutes, sentinel, bounds, counts):
    """Count the rows of each key per chunk of rows (into zeroed ``counts``); return the numbers
    of bad and of dropped times."""
    n_chunks = bounds.size - 1
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
    return bad.sum(), dropped.sum()


@jit(parallel=True)
def _scatter_checked(origin, destination, minutes, sentinel, bounds, slots, indices, data):
    """Write each kept row at its slot (``slots``: per chunk, the next slot of each key)."""
    n_chunks = bounds.size - 1
    for c in prange(n_chunks):
        for r in range(bounds[c], bounds[c + 1]):
            t = minutes[r]
            if t != sentinel:
                slot = slots[c, origin[r]]
                indices[slot] = destination[r]
                data[slot] = t
                slots[c, origin[r]] = slot + 1


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


def canonical_rows(indptr, indices, data, mode, max_minutes, self_minutes):
    """The canonical CSR from rows sorted by column (stable): one entry per pair, cut, self-pairs.

    Per row and in one pass: repeated pairs are counted and resolved (``mode``: error, min,
    first in input order), pairs with ``t > max_minutes`` are dropped, and a row without its
    ``i → i`` pair gets one with time ``self_minutes[i]`` unless that is NaN. The output arrays
    are allocated by NumPy (huge pages, see :func:`bucket_checked`).

    Returns
    -------
    indptr (int64), indices (int32), data (float64)
        Empty when ``mode`` is error and some pair is repeated.
    n_repeated : int64 array
        Number of repeated pairs in each row.
    has_self : bool array
        Whether each row had its ``i → i`` pair (after the cut, before any was added).
    """
    kept, n_repeated, has_self = _canonical_counts(
        indptr, indices, data, mode, max_minutes, self_minutes
    )
    if mode == DUPLICATES_ERROR and n_repeated.sum() > 0:
        empty = (np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float64))
        return (*empty, n_repeated, has_self)
    out_indptr = np.cumsum(kept)
    out_indices = np.empty(out_indptr[-1], np.int32)
    out_data = np.empty(out_indptr[-1], np.float64)
    _canonical_fill(
        indptr, indices, data, mode, max_minutes, self_minutes, has_self,
        out_indptr, out_indices, out_data,
    )  # fmt: skip
    return out_indptr, out_indices, out_data, n_repeated, has_self


@jit(parallel=True)
def _canonical_counts(indptr, indices, data, mode, max_minutes, self_minutes):
    """Entries kept per row (``kept[i + 1]``), repeated pairs per row, rows with their pair."""
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
    return kept, n_repeated, has_self


@jit(parallel=True)
def _canonical_fill(
    indptr, indices, data, mode, max_minutes, self_minutes, has_self,
    out_indptr, out_indices, out_data,
):  # fmt: skip
    """Write the kept entries of every row (and its added ``i → i`` pair) in column order."""
    n_rows = indptr.size - 1
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
def nearest_other(indptr, indices, minutes, rows):
    """For each row of ``rows``, the shortest positive time to another column (inf if none)."""
    out = np.full(rows.size, np.inf)
    for r in prange(rows.size):
        i = rows[r]
        best = np.inf
        for k in range(indptr[i], indptr[i + 1]):
            t = minutes[k]
            if indices[k] != i and t > 0.0 and t < best:
                best = t
        out[r] = best
    return out
