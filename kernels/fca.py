"""Floating-catchment-area products: sparse gathers over CSR rows.

Every FCA method of :mod:`aplcore.apl` reduces to two gathers: step 1 over the transposed matrix
(one row per practice commune) and step 2 over the matrix (one row per residence commune). Sums run
in row order in float64, so results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit


@jit(parallel=True)
def spmv(indptr, indices, data, x):
    """``y[i] = sum_k data[k] * x[indices[k]]`` over the entries of row ``i``."""
    n_rows = indptr.size - 1
    y = np.empty(n_rows, np.float64)
    for i in prange(n_rows):
        acc = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * x[indices[k]]
        y[i] = acc
    return y


@jit(parallel=True)
def spmm(indptr, indices, data, x):
    """``Y[i, :] = sum_k data[k] * X[indices[k], :]`` for a C-contiguous ``X`` of K columns."""
    n_rows = indptr.size - 1
    n_cols = x.shape[1]
    y = np.zeros((n_rows, n_cols), np.float64)
    for i in prange(n_rows):
        row = y[i]
        for k in range(indptr[i], indptr[i + 1]):
            w = data[k]
            source = x[indices[k]]
            for c in range(n_cols):
                row[c] += w * source[c]
    return y


@jit(parallel=True)
def ratio(supply, weighted_demand):
    """Step-1 ratio ``S / D``, 0 where the weighted demand is 0 (that supply reaches nobody)."""
    out = np.empty_like(supply)
    for k in prange(supply.size):
        d = weighted_demand[k]
        out[k] = supply[k] / d if d > 0.0 else 0.0
    return out


@jit()
def e2sfca(indptr, indices, data, t_indptr, t_indices, t_data, demand, supply):
    """Both E2SFCA steps: returns ``(apl, weighted_demand, ratio)``."""
    weighted_demand = spmv(t_indptr, t_indices, t_data, demand)
    r = ratio(supply, weighted_demand)
    apl = spmv(indptr, indices, data, r)
    return apl, weighted_demand, r
