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


def _byte_table(characters: str) -> np.ndarray:
    """Value of each byte: its rank in ``characters``, 255 for any other byte."""
    table = np.full(256, 255, dtype=np.uint8)
    for value, character in enumerate(characters):
        table[ord(character)] = value
    return table


#: Byte values of a digit, and of the second character (a digit, or A / B for Corsica).
DIGIT = _byte_table("0123456789")
SECOND = _byte_table("0123456789AB")


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
            c0 = np.int32(DIGIT[data[start]])
            c1 = np.int32(SECOND[data[start + 1]])
            c2 = np.int32(DIGIT[data[start + 2]])
            c3 = np.int32(DIGIT[data[start + 3]])
            c4 = np.int32(DIGIT[data[start + 4]])
            # 255 marks any other byte; A and B only after a 2 (2A, 2B)
            if (c0 | c2 | c3 | c4) < 16 and (c1 < 10 or (c1 < 12 and c0 == 2)):
                key = (c0 * 12 + c1) * 1000 + c2 * 100 + c3 * 10 + c4
        keys[r] = key
        if key < 0:
            n_bad += 1
    return n_bad


#: Keys marked per chunk by :func:`mark_keys` (a function of the data size only).
MARK_CHUNK = 1 << 20


@jit(parallel=True)
def mark_keys(keys, seen):
    """Set ``seen[k]`` for every key ``k`` (valid keys only).

    Each chunk of keys marks its own table; the tables are then merged key by key.
    """
    n_chunks = max(1, keys.size // MARK_CHUNK)
    bounds = np.linspace(0, keys.size, n_chunks + 1).astype(np.int64)
    marks = np.zeros((n_chunks, seen.size), np.bool_)
    for c in prange(n_chunks):
        chunk = marks[c]
        for r in range(bounds[c], bounds[c + 1]):
            chunk[keys[r]] = True
    for k in prange(seen.size):
        for c in range(n_chunks):
            if marks[c, k]:
                seen[k] = True
                break


@jit(parallel=True)
def keys_to_positions(keys, rank):
    """Replace each key by ``rank[key]`` (its position among the distinct codes), in place."""
    for r in prange(keys.size):
        keys[r] = rank[keys[r]]


@jit(parallel=True)
def take_positions(lookup, indices, out):
    """``out[r] = lookup[indices[r]]`` (positions of dictionary-encoded rows)."""
    for r in prange(indices.size):
        out[r] = lookup[indices[r]]
