"""Order statistics of many rows at once (the ranks that quantiles interpolate between).

Each row's values at the requested ranks (``np.partition(row, ranks)[ranks]``, exact values of
the row) by a bucket selection: the row's range is cut into equal buckets, a count per bucket
finds the bucket holding each rank, and only the values of those buckets are sorted. The bucket
of a value, ``int((x - min) * scale)``, never decreases with ``x`` (each rounding is monotone),
so a bucket holds exactly the ranks its cumulative counts say. Three passes of plain loops per
row, rows in parallel; the reference is :func:`numpy.partition`.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import inline, jit

#: Buckets per row: enough that the buckets searched hold a few values each.
BUCKETS = 1024


@jit(parallel=True)
def select_ranks(values, ranks):
    """``np.partition(values, ranks, axis=1)[:, ranks]`` for finite ``values`` (rows × n) and
    sorted ``ranks`` (int64, each in ``[0, n)``)."""
    n_rows = values.shape[0]
    out = np.empty((n_rows, ranks.size), np.float64)
    for i in prange(n_rows):
        row = values[i]
        lo = row[0]
        hi = row[0]
        for x in row:
            if x < lo:
                lo = x
            elif x > hi:
                hi = x
        select_row(row, lo, hi, 0.0, ranks, out[i])
    return out


@inline
def select_row(row, lo, hi, mean, ranks, out):
    """The values of ``row`` at ``ranks`` into ``out``, given the row's minimum and maximum;
    returns the sum of squared deviations from ``mean`` (added in row order, in the pass that
    finds the buckets: callers that need the variance get it without another pass)."""
    n_ranks = ranks.size
    if not hi > lo or not BUCKETS / (hi - lo) < np.inf:  # constant, or a subnormal range
        if hi > lo:
            pool = np.sort(row)
            for r in range(n_ranks):
                out[r] = pool[ranks[r]]
        else:
            out[:] = lo
        squares = 0.0
        for x in row:
            d = x - mean
            squares += d * d
        return squares
    scale = BUCKETS / (hi - lo)
    counts = np.zeros(BUCKETS + 1, np.int64)
    bucket = np.empty(row.size, np.int16)
    squares = 0.0
    for i in range(row.size):
        x = row[i]
        d = x - mean
        squares += d * d
        b = min(int((x - lo) * scale), BUCKETS - 1)
        bucket[i] = b
        counts[b + 1] += 1
    for b in range(BUCKETS):
        counts[b + 1] += counts[b]  # counts[b]: values in the buckets before b
    # the buckets holding a rank, and where their values go in one pool (one pass fills all)
    start = np.full(BUCKETS, -1, np.int64)
    size = 0
    for r in range(n_ranks):
        b = np.searchsorted(counts, ranks[r], side="right") - 1
        if start[b] < 0:
            start[b] = size
            size += counts[b + 1] - counts[b]
    pool = np.empty(size, np.float64)
    free = start.copy()
    for i in range(row.size):
        b = bucket[i]
        if start[b] >= 0:
            pool[free[b]] = row[i]
            free[b] += 1
    for b in range(BUCKETS):
        if start[b] >= 0:
            pool[start[b] : free[b]].sort()
    for r in range(n_ranks):
        b = np.searchsorted(counts, ranks[r], side="right") - 1
        out[r] = pool[start[b] + ranks[r] - counts[b]]
    return squares
