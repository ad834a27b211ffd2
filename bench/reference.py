"""A plain SciPy-sparse implementation of E2SFCA: the reference aplcore is measured against.

It is what a careful researcher would write with NumPy and SciPy: vectorised step weights, a COO
matrix converted to CSR, and two sparse products. It is also checked against aplcore before any
timing (relative agreement 1e-9).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DREES_EDGES = np.array([10.0, 15.0, 20.0])
DREES_WEIGHTS = np.array([1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0])


def drees_weights(minutes: np.ndarray) -> np.ndarray:
    """DREES steps with left-closed bands: [0,10) → 1, [10,15) → 2/3, [15,20) → 1/3, else 0."""
    return DREES_WEIGHTS[np.searchsorted(DREES_EDGES, minutes, side="right")]


def weight_matrix(origin, destination, minutes, n) -> sp.csr_array:
    """Sparse weight matrix ``W[i, j]`` (residence × practice), zero weights dropped."""
    w = drees_weights(minutes)
    keep = w > 0
    return sp.coo_array((w[keep], (origin[keep], destination[keep])), shape=(n, n)).tocsr()


def resolve(w: sp.csr_array, w_t: sp.csr_array, demand, supply) -> np.ndarray:
    """Both steps on a prepared matrix and its transpose."""
    weighted = w_t @ demand
    ratio = np.divide(supply, weighted, out=np.zeros_like(supply), where=weighted > 0)
    return w @ ratio


def e2sfca_from_long(origin, destination, minutes, demand, supply) -> np.ndarray:
    """E2SFCA from the long table: weights, CSR and transpose, both steps."""
    w = weight_matrix(origin, destination, minutes, demand.size)
    return resolve(w, w.T.tocsr(), demand, supply)


def resolve_many(w, w_t, demand, supplies: np.ndarray) -> np.ndarray:
    """One re-solve per supply column (what a user of SciPy would loop over)."""
    return np.column_stack([resolve(w, w_t, demand, s) for s in supplies.T])


# ------------------------------------------------------------------ the "no library" floor
def naive_apl_from_arrow(table, codes, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """E2SFCA from an Arrow O-D table with a throwaway pyarrow + NumPy script.

    What a researcher writes in ten lines with no library: codes to positions with
    ``pyarrow.compute.index_in``, the DREES steps, then three ``bincount``-style reductions. No
    check of any kind (unknown codes, bad times, repeated pairs go through silently): the floor
    a library with checks is measured against.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = pa.array(codes, type=pa.string())
    o = pc.index_in(table["origin"], value_set=value_set).to_numpy()
    d = pc.index_in(table["destination"], value_set=value_set).to_numpy()
    w = drees_weights(table["minutes"].to_numpy())
    n = demand.size
    weighted = np.bincount(d, weights=w * demand[o], minlength=n)
    ratio = np.divide(supply, weighted, out=np.zeros_like(supply), where=weighted > 0)
    return np.bincount(o, weights=w * ratio[d], minlength=n)


def naive_apl_from_parquet(path, codes, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """:func:`naive_apl_from_arrow` on the three columns of a Parquet file."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["origin", "destination", "minutes"])
    return naive_apl_from_arrow(table, codes, demand, supply)


def naive_apl_from_frame(frame, codes, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """:func:`naive_apl_from_arrow` on a pandas DataFrame (its Arrow columns, no copy)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return naive_apl_from_arrow(table, codes, demand, supply)


def scipy_apl_from_frame(frame, codes, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """The SciPy implementation from a DataFrame of string codes (pandas looks the codes up)."""
    import pandas as pd

    index = pd.Index(codes)
    origin = index.get_indexer(frame["origin"])
    destination = index.get_indexer(frame["destination"])
    return e2sfca_from_long(origin, destination, frame["minutes"].to_numpy(), demand, supply)
