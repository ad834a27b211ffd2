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
        select_row(row, lo, hi, ranks, out[i])
    return out


@inline
def select_row(row, lo, hi, ranks, out):
    """The values of ``row`` at ``ranks`` into ``out``, given the row's minimum and maximum."""
    n_ranks = ranks.size
    if not hi > lo:
        out[:] = lo
        return
    scale = BUCKETS / (hi - lo)
    if not scale < np.inf:  # a range of a few subnormals: sort the row
        pool = np.sort(row)
        for r in range(n_ranks):
            out[r] = pool[ranks[r]]
        return
    counts = np.zeros(BUCKETS + 1, np.int64)
    for x in row:
        b = min(int((x - lo) * scale), BUCKETS - 1)
        counts[b + 1] += 1
    for b in range(BUCKETS):
        counts[b + 1] += counts[b]  # counts[b]: values in the buckets before b
    r = 0
    while r < n_ranks:
        b = np.searchsorted(counts, ranks[r], side="right") - 1
        first = counts[b]
        size = counts[b + 1] - first
        pool = np.empty(size, np.float64)
        m = 0
        for x in row:
            if min(int((x - lo) * scale), BUCKETS - 1) == b:
                pool[m] = x
                m += 1
        pool.sort()
        while r < n_ranks and ranks[r] < first + size:  # every rank in this bucket
            out[r] = pool[ranks[r] - first]
            r += 1
