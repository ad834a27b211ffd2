"""Statistics of many scenarios at once: per-commune moments, per-territory means.

Both are gathers, rows in parallel, each row summed in a fixed order (the result does not depend
on the number of threads). References: :func:`numpy.mean`, :func:`numpy.std` and a comparison
for :func:`row_moments`; the sparse product ``means @ values`` (SciPy's CSR product, which adds
the same terms in the same order) for :func:`segment_means`.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit
from .select import select_row


@jit(parallel=True)
def row_moments(values, threshold):
    """Per row of ``values`` (rows × n, n ≥ 1): mean, standard deviation (``ddof=0``, from the
    deviations to the mean, as NumPy computes it) and share of values strictly under
    ``threshold`` (``rows × 3``)."""
    n_rows, n = values.shape
    out = np.empty((n_rows, 3), np.float64)
    for i in prange(n_rows):
        row = values[i]
        total = 0.0
        under = 0
        for x in row:
            total += x
            under += x < threshold
        mean = total / n
        squares = 0.0
        for x in row:
            d = x - mean
            squares += d * d
        out[i, 0] = mean
        out[i, 1] = np.sqrt(squares / n)
        out[i, 2] = under / n
    return out


@jit(parallel=True)
def row_summary(values, ranks, threshold):
    """:func:`row_moments` and :func:`aplcore.kernels.select.select_ranks` of the same rows in
    one task per row: the row is read from memory once, the later passes find it in cache (the
    squared deviations are added in the pass that finds the buckets).
    Returns ``(moments, selected)``: rows × 3 and rows × ``ranks.size``."""
    n_rows, n = values.shape
    moments = np.empty((n_rows, 3), np.float64)
    selected = np.empty((n_rows, ranks.size), np.float64)
    for i in prange(n_rows):
        row = values[i]
        lo = row[0]
        hi = row[0]
        total = 0.0
        under = 0
        for x in row:
            total += x
            under += x < threshold
            if x < lo:
                lo = x
            elif x > hi:
                hi = x
        mean = total / n
        squares = select_row(row, lo, hi, mean, ranks, selected[i])
        moments[i, 0] = mean
        moments[i, 1] = np.sqrt(squares / n)
        moments[i, 2] = under / n
    return moments, selected


@jit(parallel=True, fastmath=False)
def segment_means(indptr, members, weights, values):
    """``out[t] = Σ weights[p] · values[members[p]]`` over ``p`` in ``indptr[t]:indptr[t + 1]``,
    for every column of ``values`` (n × K): a sparse (segments × n) by dense product, each
    segment's terms added in the order given (plain IEEE arithmetic)."""
    n_segments = indptr.size - 1
    n_cols = values.shape[1]
    out = np.zeros((n_segments, n_cols), np.float64)
    for t in prange(n_segments):
        acc = out[t]
        for p in range(indptr[t], indptr[t + 1]):
            w = weights[p]
            row = values[members[p]]
            for k in range(n_cols):
                acc[k] += w * row[k]
    return out
