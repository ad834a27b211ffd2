"""Sparse weight matrices ``W[i, j] = f(t_ij)`` and their transposes, as the kernels use them.

Two storages, chosen by the decay:

* **banded** (step decays): entries grouped by band inside each row, one pointer per (row,
  band), no per-pair weight; a product reads 4 bytes per pair;
* **weighted** (continuous decays): classic CSR with a float64 weight per pair.

Both give the same products (to rounding: a banded row sums each band first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .decay import Decay
from .traveltimes import TravelTimes

__all__ = ["WeightMatrix", "weight_matrices"]


@dataclass(frozen=True, eq=False)
class WeightMatrix:
    """A sparse ``n_rows × n_cols`` matrix of FCA weights, CSR by row.

    Attributes
    ----------
    n_rows, n_cols
        Shape.
    indptr
        Row pointers (weighted storage, length ``n_rows + 1``) or (row, band) pointers (banded
        storage, length ``n_rows * n_bands + 1``); int64.
    indices
        Column of every entry, unsigned (no negative-index check in the kernels): uint16 when
        there are at most 65 536 columns (France has about 35 000 communes), which halves the
        bytes a product reads and lets both matrices of a re-solve stay in cache; else uint32.
    data
        Weight of every entry (weighted storage), else None.
    band_values
        Weight of every band (banded storage), else None.
    """

    n_rows: int
    n_cols: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray | None = None
    band_values: np.ndarray | None = None

    @property
    def banded(self) -> bool:
        """Whether weights are stored per band."""
        return self.band_values is not None

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return int(self.indices.size)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        arrays = (self.indptr, self.indices, self.data, self.band_values)
        return sum(a.nbytes for a in arrays if a is not None)

    def matvec(self, x: np.ndarray, *, rows: np.ndarray | None = None) -> np.ndarray:
        """``W @ x`` for a float64 vector.

        Parameters
        ----------
        x
            The vector, length ``n_cols``.
        rows
            Boolean mask of the rows to compute (others are 0); all rows by default.
        """
        from .kernels import banded, fca  # lazy: numba

        needed = np.ones(self.n_rows, dtype=np.bool_) if rows is None else rows
        if self.band_values is not None:
            return banded.spmv(self.indptr, self.indices, self.band_values, x, needed)
        return fca.spmv(self.indptr, self.indices, self.data, x, needed)

    def matmat(self, x: np.ndarray) -> np.ndarray:
        """``W @ X`` for a C-contiguous float64 matrix."""
        from .kernels import banded, fca  # lazy: numba

        if self.band_values is not None:
            return banded.spmm(self.indptr, self.indices, self.band_values, x, fca.SPMM_TILE)
        return fca.spmm(self.indptr, self.indices, self.data, x)

    def power(self, exponent: int) -> WeightMatrix:
        """Element-wise power of the weights (``0``: the indicator of the stored entries)."""
        if self.band_values is not None:
            return replace(self, band_values=_power(self.band_values, exponent))
        assert self.data is not None
        return replace(self, data=_power(self.data, exponent))

    def to_scipy(self):
        """The matrix as :class:`scipy.sparse.csr_array`."""
        from scipy import sparse

        if self.band_values is None:
            return sparse.csr_array(
                (self.data, self.indices, self.indptr), shape=(self.n_rows, self.n_cols)
            )
        m = self.band_values.size
        counts = np.diff(self.indptr)
        values = np.repeat(np.tile(self.band_values, self.n_rows), counts)
        row_ptr = self.indptr[::m]
        return sparse.csr_array((values, self.indices, row_ptr), shape=(self.n_rows, self.n_cols))


def _power(values: np.ndarray, exponent: int) -> np.ndarray:
    if exponent == 0:
        return (values > 0).astype(np.float64)
    return values**exponent


#: Largest number of columns whose positions fit in uint16.
UINT16_COLUMNS = 1 << 16


def compact_columns(indices: np.ndarray, n_cols: int) -> np.ndarray:
    """Column positions as uint16 when they fit, else as uint32 (a view, no copy)."""
    if n_cols <= UINT16_COLUMNS:
        return indices.astype(np.uint16)
    return indices.view(np.uint32)


def weight_matrices(travel_times: TravelTimes, decay: Decay) -> tuple[WeightMatrix, WeightMatrix]:
    """``W`` (rows: residence communes) and ``W.T`` (rows: practice communes) for a decay."""
    from .kernels import banded, csr  # lazy: numba

    n = travel_times.n_communes
    if decay.kind == "step":
        params = decay.kernel_params
        m = len(decay.steps[0])
        values = np.asarray(decay.steps[1], dtype=np.float64)
        ptr, indices = banded.band_rows(
            travel_times.indptr, travel_times.indices, travel_times.minutes, params
        )
        t_ptr, t_indices = banded.band_transpose(ptr, indices, m, n, csr.n_chunks_for(indices.size))
        return (
            WeightMatrix(n, n, ptr, compact_columns(indices, n), band_values=values),
            WeightMatrix(n, n, t_ptr, compact_columns(t_indices, n), band_values=values.copy()),
        )
    indptr, indices, w = csr.filter_rows(
        travel_times.indptr,
        travel_times.indices,
        travel_times.minutes,
        decay.kind_id,
        decay.kernel_params,
    )
    t_indptr, t_indices, t_w = csr.transpose(indptr, indices, w, n, csr.n_chunks_for(w.size))
    return (
        WeightMatrix(n, n, indptr, compact_columns(indices, n), data=w),
        WeightMatrix(n, n, t_indptr, compact_columns(t_indices, n), data=t_w),
    )
