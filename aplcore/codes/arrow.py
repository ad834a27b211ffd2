"""Columns of identifiers encoded by Arrow as positions into one sorted index of codes.

The work runs on the distinct values (about 35 000 communes), never per row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._checks import Locator
from ..errors import CommuneCodeError, ParameterError, describe_values
from .forms import _CODE_REGEX, TEXT_CODES_FIX, short_codes_hint

__all__ = ["CodeColumn", "Ids", "RowNumbers", "encode_codes"]

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------ encoding columns of codes
#: Which identifiers a table holds: INSEE commune codes (validated), or any non-empty text.
Ids = Literal["commune", "any"]


@dataclass(frozen=True)
class CodeColumn:
    """A column of unit identifiers to encode, and how to name it in messages."""

    values: Any
    column: str
    what: str


#: How rows are numbered in messages (the one row locator of :mod:`aplcore._checks`).
RowNumbers = Locator


def encode_codes(
    columns: Sequence[CodeColumn],
    *,
    ids: Ids = "commune",
    repair_integers: bool = False,
    rows: RowNumbers | None = None,
) -> tuple[pd.Index, list[np.ndarray]]:
    """Validate columns of identifiers and encode them as positions into one sorted index.

    The work runs on the distinct values (about 35 000 communes), never per row: each column
    is dictionary-encoded by Arrow, the dictionaries are checked (INSEE form, leading-zero
    repair) and sorted, and each row's position is a lookup of its dictionary index.

    Parameters
    ----------
    columns
        The columns (anything :func:`pyarrow.chunked_array` accepts: Arrow arrays, possibly
        dictionary-encoded, NumPy arrays, lists), with their names for messages.
    ids
        ``"commune"``: 5-character INSEE codes; ``"any"``: any non-empty text (IRIS codes,
        grid cells, H3 cells...); whole numbers are taken as their decimal text.
    repair_integers
        With ``ids="commune"``: zero-pad codes that lost their leading zeros (numbers, or text
        of fewer than 5 digits). The repair is logged.
    rows
        How to number rows in messages (default: 1 = first data row).

    Returns
    -------
    codes : pandas.Index
        The distinct identifiers, sorted (object dtype of ``str``).
    positions : list of numpy.ndarray
        For each column, the int32 position of every row in ``codes``.

    Raises
    ------
    CommuneCodeError
        Missing identifiers, numbers given as codes, or (``ids="commune"``) codes that are not
        INSEE codes; the message lists the rows.
    """

    if ids not in ("commune", "any"):
        msg = f"ids must be 'commune' or 'any', found {ids!r}."
        raise ParameterError(msg)
    rows = rows or RowNumbers()
    if ids == "commune":
        fast = _encode_commune_text(columns)
        if fast is not None:
            return fast
    encoded = [_dictionary(c, ids=ids, repair_integers=repair_integers, rows=rows) for c in columns]
    # pieces often share a dictionary (Parquet: every batch of a row group): each distinct one
    # is looked up once
    distinct = {id(d): d for pieces in encoded for d, _ in pieces if len(d)}
    dictionaries = list(distinct.values())
    raw = (
        pc.unique(pa.chunked_array(dictionaries, type=pa.large_string())) if dictionaries else None
    )
    raw_values = (
        np.asarray(raw.to_numpy(zero_copy_only=False), dtype=object)
        if raw is not None
        else np.zeros(0, dtype=object)
    )
    text = _check_vocabulary(
        raw_values, columns, encoded, ids=ids, repair=repair_integers, rows=rows
    )
    codes, final = np.unique(text.astype(str), return_inverse=True)
    final = final.astype(np.int32)
    lookups: dict[int, np.ndarray] = {}
    positions = []
    for pieces in encoded:
        out = np.empty(sum(indices.size for _, indices in pieces), dtype=np.int32)
        start = 0
        for dictionary, indices in pieces:
            if indices.size:
                lookup = lookups.get(id(dictionary))
                if lookup is None:
                    found = pc.index_in(dictionary, value_set=raw).to_numpy()
                    lookup = lookups[id(dictionary)] = final[found.astype(np.int64)]
                np.take(lookup, indices, out=out[start : start + indices.size])
            start += indices.size
        positions.append(out)
    return pd.Index(codes.astype(object), dtype=object), positions


#: Department part of a code by rank (``c0 * 12 + c1``, see :mod:`aplcore.kernels.codes`).
_DEPARTMENTS = np.array(
    [[ord(str(a)), ord("0123456789AB"[b])] for a in range(10) for b in range(12)], dtype=np.uint8
)


def _encode_commune_text(columns: Sequence[CodeColumn]) -> tuple[pd.Index, list[np.ndarray]] | None:
    """:func:`encode_codes` for columns of Arrow text (plain or dictionary-encoded) that are
    all valid INSEE codes, read from the string buffers by a kernel (no string hashed): rows of
    plain text one by one, dictionaries once each; ``None`` when the general path is needed
    (other types, missing values, any value that is not a code: that path names the rows)."""

    from ..kernels import codes as kernel  # lazy: numba

    chunked = []
    for column in columns:
        values = column.values
        if isinstance(values, pa.Array):
            values = pa.chunked_array([values])
        if not isinstance(values, pa.ChunkedArray) or values.null_count:
            return None
        kind = values.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
            if any(chunk.dictionary.null_count for chunk in values.chunks):
                return None
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return None
        chunked.append(values)
    seen = np.zeros(kernel.N_KEYS, dtype=np.bool_)
    dictionaries: dict[tuple[Any, ...], np.ndarray] = {}
    columns_keys = []
    for values in chunked:
        if pa.types.is_dictionary(values.type):
            pieces = _dictionary_keys(values, dictionaries, seen)
        else:
            pieces = _text_keys(values, seen)
        if pieces is None:
            return None
        columns_keys.append(pieces)
    present = np.flatnonzero(seen)
    rank = np.full(kernel.N_KEYS, -1, dtype=np.int32)
    rank[present] = np.arange(present.size, dtype=np.int32)
    positions = []
    for values, pieces in zip(chunked, columns_keys, strict=True):
        if pa.types.is_dictionary(values.type):
            out = np.empty(len(values), dtype=np.int32)
            start = 0
            for dictionary_keys, indices in pieces:
                lookup = rank[dictionary_keys]
                kernel.take_positions(lookup, indices, out[start : start + indices.size])
                start += indices.size
        else:
            (out,) = pieces
            kernel.keys_to_positions(out, rank)
        positions.append(out)
    return _index_of_keys(present), positions


#: The last indexes built from commune keys, by their keys' bytes (pandas indexes are
#: immutable: one table read again gives the same index object, whose lookups pandas caches).
_KEY_INDEXES: dict[bytes, pd.Index] = {}
_KEY_INDEXES_KEPT = 4


def _index_of_keys(present: np.ndarray) -> pd.Index:
    """The codes of sorted commune keys, as an index of ``str`` (object dtype)."""
    signature = present.tobytes()
    index = _KEY_INDEXES.pop(signature, None)
    if index is None:
        text = np.empty((present.size, 5), dtype=np.uint8)  # the codes' bytes, from their keys
        text[:, :2] = _DEPARTMENTS[present // 1000]
        for column, scale in ((2, 100), (3, 10), (4, 1)):
            text[:, column] = ord("0") + (present // scale) % 10
        names = text.view("S5").ravel().astype(str)
        index = pd.Index(names.astype(object), dtype=object)
    _KEY_INDEXES[signature] = index  # most recent last
    while len(_KEY_INDEXES) > _KEY_INDEXES_KEPT:
        del _KEY_INDEXES[next(iter(_KEY_INDEXES))]
    return index


def _text_keys(values: Any, seen: np.ndarray) -> list[np.ndarray] | None:
    """The key of every row of a column of plain text (marked in ``seen``); ``None`` if some
    value is not a commune code."""
    from ..kernels import codes as kernel  # lazy: numba

    out = np.empty(len(values), dtype=np.int32)
    start = 0
    for chunk in _few_chunks(values):
        offsets, data = _string_buffers(chunk)
        if kernel.commune_keys(offsets, data, out[start : start + len(chunk)]):
            return None
        start += len(chunk)
    kernel.mark_keys(out, seen)
    return [out]


def _dictionary_keys(
    values: Any, known: dict[tuple[Any, ...], np.ndarray], seen: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """(keys of the dictionary, int32 indices) of every chunk of a dictionary-encoded column:
    each distinct dictionary (the batches of a Parquet row group share one) is read once and
    all its values are marked in ``seen``, used or not, as the general path keeps them."""
    from ..kernels import codes as kernel  # lazy: numba

    pieces = []
    for chunk in values.chunks:
        if not len(chunk):
            continue
        identity = _identity(chunk.dictionary)
        keys = known.get(identity)
        if keys is None:
            keys = np.empty(len(chunk.dictionary), dtype=np.int32)
            if len(keys):
                offsets, data = _string_buffers(chunk.dictionary)
                if kernel.commune_keys(offsets, data, keys):
                    return None
            seen[keys] = True
            known[identity] = keys
        indices = np.ascontiguousarray(chunk.indices.to_numpy(zero_copy_only=False), np.int32)
        indices.flags.writeable = False  # as Arrow hands them: one kernel specialisation
        pieces.append((keys, indices))
    return pieces


#: Chunks shorter than this on average are joined first: a parallel kernel call per small
#: chunk costs more than joining them.
SHORTEST_CHUNKS = 1 << 16


def _few_chunks(values: Any) -> list[Any]:
    """The chunks of a column of text, joined first when they are many and small."""
    if values.num_chunks > 1 and len(values) < SHORTEST_CHUNKS * values.num_chunks:
        return [values.combine_chunks()]
    return [chunk for chunk in values.chunks if len(chunk)]


def _string_buffers(array: Any) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (int64, absolute in the data) and bytes of an Arrow string array, no copy for
    large strings."""

    _, offsets, data = array.buffers()
    width = 8 if pa.types.is_large_string(array.type) else 4
    offsets = np.frombuffer(
        offsets,
        dtype=np.int64 if width == 8 else np.int32,
        count=len(array) + 1,
        offset=array.offset * width,
    ).astype(np.int64, copy=False)
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets, data


def _dictionary(
    column: CodeColumn, *, ids: Ids, repair_integers: bool, rows: RowNumbers
) -> list[tuple[Any, np.ndarray]]:
    """Pieces of the column in row order: (distinct values as Arrow strings, int32 index of
    every row of the piece). Parquet dictionary chunks stay pieces of their own (no pass to
    unify their dictionaries); missing values are refused."""

    values = column.values
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    elif not isinstance(values, pa.ChunkedArray):
        values = pa.chunked_array(
            [pa.array(np.asarray(values) if not isinstance(values, list) else values)]
        )
    kind = values.type
    label = f"{column.what} (column {column.column!r})"
    if pa.types.is_null(kind) or values.null_count:
        missing = np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))
        msg = (
            f"{label} must not be missing; found {missing.size} rows without a code "
            f"({rows.note}): {rows.show(missing, [None] * 5)}. Every row needs "
            f"{'a 5-character code such as 01001' if ids == 'commune' else 'an identifier'}."
        )
        raise CommuneCodeError(msg)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return [_numbers_as_text(values, label=label, ids=ids, repair=repair_integers)]
    if pa.types.is_dictionary(kind) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    ):
        shared: dict[tuple[Any, ...], Any] = {}  # the batches of a row group share one
        pieces = []
        for chunk in values.chunks:
            key = _identity(chunk.dictionary)
            if key not in shared:
                shared[key] = chunk.dictionary.cast(pa.large_string())
            indices = np.asarray(chunk.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
            pieces.append((shared[key], indices))
        return pieces
    if pa.types.is_dictionary(kind):
        values = values.cast(pa.large_string()).dictionary_encode()
    elif (
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    ):
        values = pc.dictionary_encode(
            values.cast(pa.large_string()) if pa.types.is_string_view(kind) else values
        )
    else:
        msg = f"{label} must be text, found values of type {kind}."
        raise CommuneCodeError(msg)
    if values.num_chunks == 0:
        return [(pa.array([], type=pa.large_string()), np.zeros(0, dtype=np.int32))]
    dictionary = values.chunk(0).dictionary  # dictionary_encode shares one over the chunks
    indices = np.concatenate(
        [np.asarray(chunk.indices.to_numpy(zero_copy_only=False)) for chunk in values.chunks]
    )
    return [(dictionary.cast(pa.large_string()), indices.astype(np.int32, copy=False))]


def _identity(array: Any) -> tuple[Any, ...]:
    """Arrays with this key hold the same values: same type, buffers, offset and length."""
    buffers = tuple(0 if b is None else b.address for b in array.buffers())
    return (str(array.type), array.offset, len(array), *buffers)


def _numbers_as_text(values: Any, *, label: str, ids: Ids, repair: bool) -> tuple[Any, np.ndarray]:
    """Numbers given as identifiers: refused, or (repair / ``ids="any"``) taken as text."""

    distinct = pc.unique(values)
    numbers = np.asarray(distinct.to_numpy(zero_copy_only=False), dtype=np.float64)
    if ids == "commune" and not repair:
        shown = describe_values(values.slice(0, 5).to_pylist())
        msg = (
            f"{label} must be 5-character strings such as '01001' or '2A004', found numbers "
            f"({shown}): leading zeros are lost that way."
        )
        raise CommuneCodeError(msg, fix=TEXT_CODES_FIX, param="repair_integers", value=True)
    limit = 1e5 if ids == "commune" else 2.0**63
    whole = (
        np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers >= 0) & (numbers < limit)
    )
    if not whole.all():
        offending = numbers[~whole][:5].tolist()
        expected = "between 0 and 99999" if ids == "commune" else "non-negative"
        msg = (
            f"cannot read {label} as identifiers: numbers must be whole and {expected}, found "
            f"{describe_values(offending)}. Read the codes as text instead."
        )
        raise CommuneCodeError(msg)
    integers = np.asarray(distinct.to_numpy(zero_copy_only=False)).astype(np.int64)
    width = 5 if ids == "commune" else 0
    if ids == "commune":
        logger.warning("repaired %s given as integers by zero-padding to 5 digits", label)
    text = pa.array([f"{v:0{width}d}" for v in integers.tolist()], type=pa.large_string())
    indices = pc.index_in(values, value_set=distinct)
    return text, np.asarray(indices.to_numpy(), dtype=np.int32)


def _full_match(values: np.ndarray, pattern: str) -> np.ndarray:
    """Whether each string matches ``pattern`` whole, by Arrow (no Python call per value)."""

    if values.size == 0:
        return np.zeros(0, dtype=bool)
    matched = pc.match_substring_regex(pa.array(values, type=pa.large_string()), pattern)
    return np.asarray(matched.to_numpy(zero_copy_only=False), dtype=bool)


def _check_vocabulary(
    values: np.ndarray,
    columns: Sequence[CodeColumn],
    encoded: list[list[tuple[Any, np.ndarray]]],
    *,
    ids: Ids,
    repair: bool,
    rows: RowNumbers,
) -> np.ndarray:
    """The distinct identifiers, repaired where asked; an error lists the rows of bad ones."""
    # surrounding spaces removed, as everywhere: ' 01001' and '01001' are one code
    text = pd.Series(values, dtype=object).str.strip()
    if ids == "any":
        bad = (text.str.len() == 0).to_numpy(dtype=bool)
        expected = "non-empty identifiers"
        hint = ""
    else:
        bad = ~_full_match(text.to_numpy(dtype=object), _CODE_REGEX)
        expected = "5-character INSEE codes such as '01001' or '2A004'"
        short = np.zeros(bad.size, dtype=bool)
        short[bad] = text[bad].str.fullmatch(r"\d{1,4}").to_numpy(dtype=bool)
        hint = ""
        if bad.any() and short[bad].all():
            if repair:
                logger.warning("repaired %d codes that lost their leading zeros", int(bad.sum()))
                text = text.where(~short, text.str.zfill(5))
                bad = ~text.str.fullmatch(_CODE_REGEX).to_numpy(dtype=bool)
            hint = short_codes_hint(
                text[bad].unique().tolist(),
                fix="pass {param} (or read the column as text)",
            )
    if bad.any():
        bad_values = pa.array(values[bad].tolist(), type=pa.large_string())
        for column, pieces in zip(columns, encoded, strict=True):
            found, shown, start = [], [], 0
            for dictionary, indices in pieces:
                in_bad = pc.is_in(dictionary, value_set=bad_values).to_numpy(zero_copy_only=False)
                if in_bad.any():
                    here = np.flatnonzero(in_bad[indices])
                    found.append(here + start)
                    shown += dictionary.take(indices[here[: 5 - len(shown)]]).to_pylist()
                start += indices.size
            offending = np.concatenate(found) if found else np.zeros(0, np.int64)
            if offending.size:
                msg = (
                    f"{column.what} (column {column.column!r}) must be {expected}; found "
                    f"{offending.size} bad rows ({rows.note}): "
                    f"{rows.show(offending, shown)}.{hint}"
                )
                raise CommuneCodeError(msg, param="repair_integers", value=True)
    return text.to_numpy(dtype=object)
