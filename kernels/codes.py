"""INSEE commune codes read straight from Arrow's string buffers, without hashing any string.

A commune code is five ASCII characters: two digits or ``2A``/``2B`` (Corsica), then three
digits. Each is given an integer key whose order is the order of the strings: department rank
``c0 * 12 + c1`` (``c1`` a digit 0–9, ``A`` = 10, ``B`` = 11), times 1000, plus the last three
digits. The keys of a table are found in one parallel pass over the bytes, the distinct ones
by a presence table of :data:`N_KEYS` flags, and every row's position among the distinct codes
by one more gather: work per row is a few byte reads, never a hash of a Python object.

Anything else (another length, another character) marks the row as not a code; the caller then
takes the general path, which names the bad rows.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit

#: Number of possible keys (120 department ranks × 1000).
N_KEYS = 120_000


@jit(parallel=True)
def commune_keys(offsets, data, keys):
    """Key of each string (``-1`` if it is not a commune code); returns the number of those.

    Parameters
    ----------
    offsets : int64 array
        Arrow string offsets (``n + 1`` values, absolute positions in ``data``).
    data : uint8 array
        Arrow string data.
    keys : int32 array
        Output, one key per string.
    """
    n = keys.size
    n_bad = 0
    for r in prange(n):
        start = offsets[r]
        key = -1
        if offsets[r + 1] - start == 5:
            c0 = np.int32(data[start]) - 48
            c1 = np.int32(data[start + 1]) - 48
            rank = -1
            if 0 <= c0 <= 9:
                if 0 <= c1 <= 9:
                    rank = c0 * 12 + c1
                elif c0 == 2 and c1 == 17:  # 'A'
                    rank = 34
                elif c0 == 2 and c1 == 18:  # 'B'
                    rank = 35
            c2 = np.int32(data[start + 2]) - 48
            c3 = np.int32(data[start + 3]) - 48
            c4 = np.int32(data[start + 4]) - 48
            if rank >= 0 and 0 <= c2 <= 9 and 0 <= c3 <= 9 and 0 <= c4 <= 9:
                key = rank * 1000 + c2 * 100 + c3 * 10 + c4
        keys[r] = key
        if key < 0:
            n_bad += 1
    return n_bad


@jit()
def mark_keys(keys, seen):
    """Set ``seen[k]`` for every key ``k`` (valid keys only)."""
    for r in range(keys.size):
        seen[keys[r]] = True


@jit(parallel=True)
def keys_to_positions(keys, rank):
    """Replace each key by ``rank[key]`` (its position among the distinct codes), in place."""
    for r in prange(keys.size):
        keys[r] = rank[keys[r]]
