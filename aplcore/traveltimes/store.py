"""Save and load travel-time matrices with their metadata.

Two formats, chosen by the file suffix:

* ``.parquet``: the long table (``origin``, ``destination``, ``minutes``; codes as text), readable
  by any Parquet tool; aplcore's metadata is stored in the schema under the key ``aplcore``.
* ``.npz``: the CSR arrays (``codes``, ``indptr``, ``indices``, ``minutes``) and the metadata as
  JSON, faster to load.

The metadata records the method and its parameters (``tt.metadata``), the format version and a
SHA-256 hash of the commune list. :func:`load_travel_times` recomputes the hash, and, given the
communes a computation is for, refuses a matrix built for another commune list.

Files are written atomically (a temporary file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from .._paths import refuse_special_file
from ..codes import CODE_PATTERN, normalise_codes
from ..errors import InputFormatError, MismatchError, describe_values
from ..io.atomic import atomic_write
from .model import TravelTimes
from .table import travel_times_from_table

__all__ = [
    "FORMAT_VERSION",
    "codes_hash",
    "load_travel_times",
    "read_travel_times",
    "save_travel_times",
]

#: Version of the on-disk layout.
FORMAT_VERSION = 1
_KEY = b"aplcore"


def codes_hash(codes: Iterable[str]) -> str:
    """SHA-256 (hex) of the sorted commune codes joined by newlines."""
    text = "\n".join(sorted(str(c) for c in codes))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".npz":
        return "npz"
    msg = (
        f"cannot tell the matrix format from {path.name!r}: use a .parquet (long table) or .npz "
        "(CSR) file name."
    )
    raise InputFormatError(msg)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def save_travel_times(tt: TravelTimes, path: str | os.PathLike[str]) -> Path:
    """Write a matrix and its metadata to ``.parquet`` or ``.npz``, atomically.

    Parameters
    ----------
    tt
        The travel times.
    path
        Destination file; its suffix picks the format.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    fmt = _format(path)
    codes = [str(c) for c in tt.codes]
    header = {
        "format_version": FORMAT_VERSION,
        "n_communes": len(codes),
        "n_pairs": int(tt.n_pairs),
        "codes_sha256": codes_hash(codes),
        "ids": "commune" if all(CODE_PATTERN.match(c) for c in codes) else "any",
        "method": tt.metadata.get("method", tt.metadata.get("source")),
        "metadata": _jsonable(dict(tt.metadata)),
    }

    def write(fh: IO[bytes]) -> None:
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            names = pa.array(codes, type=pa.string())
            table = pa.table(
                {
                    "origin": names.take(tt.origins),
                    "destination": names.take(tt.indices),
                    "minutes": pa.array(tt.minutes),
                }
            )
            header["codes"] = codes
            meta = dict(table.schema.metadata or {})
            meta[_KEY] = json.dumps(header).encode("utf-8")
            pq.write_table(table.replace_schema_metadata(meta), fh)
        else:
            np.savez(
                fh,
                codes=np.asarray(codes, dtype=str),
                indptr=np.asarray(tt.indptr, dtype=np.int64),
                indices=np.asarray(tt.indices, dtype=np.int32),
                minutes=np.asarray(tt.minutes, dtype=np.float64),
                metadata=np.asarray(json.dumps(header)),
            )

    atomic_write(path, write, overwrite=True)
    return path


def load_travel_times(
    path: str | os.PathLike[str], *, communes: Iterable[str] | pd.Index | None = None
) -> TravelTimes:
    """Read a matrix written by :func:`save_travel_times`.

    Parameters
    ----------
    path
        A ``.parquet`` or ``.npz`` file.
    communes
        The commune codes the matrix must be for (any order). A matrix built for another list
        is an error; ``None`` skips the check.

    Returns
    -------
    TravelTimes
        With the stored metadata (plus ``loaded_from``).

    Raises
    ------
    InputFormatError
        Missing file, unknown suffix, or a file without aplcore metadata.
    MismatchError
        The stored commune list differs from ``communes``, or does not match its stored hash.
    """
    path = Path(path)
    fmt = _format(path)
    if not path.is_file():
        refuse_special_file(path, what="the travel-time matrix")
        msg = f"travel-time matrix not found: {path}."
        raise InputFormatError(msg)
    if fmt == "parquet":
        header, codes, o, d, minutes = _read_parquet_matrix(path)
        indptr = None
    else:
        header, codes, indptr, d, minutes = _read_npz_matrix(path)
    stored = header.get("codes_sha256")
    if stored != codes_hash(codes):
        msg = (
            f"{path.name}: the commune list does not match its stored hash (file altered or "
            "truncated). Rebuild the matrix."
        )
        raise MismatchError(msg)
    if communes is not None:
        _check_commune_list(path, header, codes, communes)
    metadata = dict(header.get("metadata") or {})
    metadata["loaded_from"] = path.name
    if indptr is not None and _canonical(path, codes, indptr, d, minutes):
        return TravelTimes.from_csr(codes, indptr, d, minutes, metadata)
    if indptr is not None:
        o = np.repeat(np.arange(len(codes), dtype=np.int32), np.diff(indptr))
    return TravelTimes.from_arrays(
        codes,
        o,
        d,
        minutes,
        intra_minutes=None,
        ids=header.get("ids", "commune"),
        metadata=metadata,
    )


def _read_parquet_matrix(path: Path) -> tuple[dict[str, Any], pd.Index, Any, Any, np.ndarray]:
    """(header, codes, origin positions, destination positions, minutes) of a Parquet matrix."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, read_dictionary=["origin", "destination"])
    raw = (table.schema.metadata or {}).get(_KEY)
    if raw is None:
        msg = (
            f"{path.name} has no aplcore metadata: it was not written by save_travel_times. "
            "Read a plain O-D table with aplcore.travel_times_from_table instead."
        )
        raise InputFormatError(msg)
    header = json.loads(raw)
    codes = pd.Index(header["codes"], dtype=object)
    o = _positions(table["origin"], codes)
    d = _positions(table["destination"], codes)
    if (o < 0).any() or (d < 0).any():
        msg = f"{path.name} is corrupt: some pairs use codes absent from its commune list."
        raise MismatchError(msg)
    minutes = table["minutes"].to_numpy().astype(np.float64, copy=False)
    return header, codes, o, d, minutes


def _read_npz_matrix(
    path: Path,
) -> tuple[dict[str, Any], pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """(header, codes, indptr, indices, minutes) of a ``.npz`` matrix."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if "metadata" not in data.files:
                msg = (
                    f"{path.name} has no aplcore metadata: it was not written by save_travel_times."
                )
                raise InputFormatError(msg)
            header = json.loads(str(data["metadata"]))
            codes = pd.Index(data["codes"].astype(object), dtype=object)
            indptr = data["indptr"].astype(np.int64)
            indices = data["indices"].astype(np.int32)
            minutes = data["minutes"].astype(np.float64)
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, InputFormatError | FileNotFoundError):
            raise
        msg = (
            f"{path.name} is not a readable matrix file ({type(exc).__name__}: {exc}): "
            "corrupt, cut short while written, or not written by save_travel_times. "
            "Write it again (aplcore matrix, or aplcore.save_travel_times)."
        )
        raise InputFormatError(msg) from exc
    return header, codes, indptr, indices, minutes


def _check_commune_list(
    path: Path, header: dict[str, Any], codes: pd.Index, communes: Iterable[str] | pd.Index
) -> None:
    """Refuse a matrix built for another list of communes than ``communes``."""
    wanted = (
        normalise_codes(list(communes), what="communes")
        if header.get("ids", "commune") == "commune"
        else pd.Index([str(c) for c in communes], dtype=object)
    )
    if codes_hash(wanted) == header.get("codes_sha256"):
        return
    missing = wanted.difference(codes).tolist()
    extra = codes.difference(wanted).tolist()
    parts = []
    if missing:
        parts.append(f"{len(missing)} communes are not in it ({describe_values(missing)})")
    if extra:
        parts.append(f"it has {len(extra)} communes not asked for ({describe_values(extra)})")
    if not parts:
        parts.append("the lists differ by duplicated codes")
    msg = (
        f"{path.name} was built for another commune list ({header['n_communes']} "
        f"communes, method {header.get('method')!r}): {'; '.join(parts)}. Rebuild the "
        "matrix for these communes, or subset it with TravelTimes.subset."
    )
    raise MismatchError(msg)


def _positions(column: Any, codes: pd.Index) -> np.ndarray:
    """Positions in ``codes`` of a dictionary-encoded column (looked up on its dictionary)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.unify_dictionaries() if pa.types.is_dictionary(column.type) else column
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    if column.num_chunks == 0:
        return np.zeros(0, dtype=np.int32)
    dictionary = column.chunk(0).dictionary.cast(pa.string())
    lookup = pc.index_in(dictionary, value_set=pa.array(list(codes), type=pa.string()))
    lookup = np.asarray(pc.fill_null(lookup, -1).to_numpy(), dtype=np.int32)
    indices = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in column.chunks])
    return lookup[indices.astype(np.int64)]


def _canonical(
    path: Path, codes: pd.Index, indptr: np.ndarray, indices: np.ndarray, minutes: np.ndarray
) -> bool:
    """Whether stored CSR arrays are canonical (vectorised checks, no rebuild)."""
    n = len(codes)
    if indptr.shape != (n + 1,) or indptr[0] != 0 or indptr[-1] != indices.size:
        msg = f"{path.name} is corrupt: its row pointers do not match its {indices.size} pairs."
        raise MismatchError(msg)
    if minutes.shape != indices.shape or (np.diff(indptr) < 0).any():
        msg = f"{path.name} is corrupt: arrays of different lengths or decreasing row pointers."
        raise MismatchError(msg)
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        msg = f"{path.name} is corrupt: column positions outside the commune list."
        raise MismatchError(msg)
    if not ((minutes >= 0) & (minutes < np.inf)).all():
        return False  # the builder reports the rows
    step = np.diff(indices.astype(np.int64))
    row_start = np.zeros(indices.size, dtype=bool)
    row_start[indptr[1:-1][indptr[1:-1] < indices.size]] = True
    if not ((step > 0) | row_start[1:]).all():
        return False
    origins = np.repeat(np.arange(n), np.diff(indptr))
    has_self = np.zeros(n, dtype=bool)
    has_self[origins[origins == indices]] = True
    return bool(has_self.all())


def read_travel_times(  # noqa: PLR0913 - the options of travel_times_from_table it passes on
    path: Path,
    *,
    intra_minutes: float | None = 0.0,
    columns: tuple[str, str, str] = ("origin", "destination", "minutes"),
    units: str | None = None,
    strict: bool = False,
    sep: str | None = None,
    sheet: str | int | None = None,
    repair_integers: bool = False,
    layout: Literal["long", "wide"] = "long",
) -> TravelTimes:
    """Travel times from an O-D table (.csv/.parquet) or a matrix file (.npz/.parquet).

    A Parquet file written by :func:`save_travel_times` is read with its
    metadata; any other Parquet or CSV file is read as an O-D table with columns ``origin``,
    ``destination`` and ``minutes``, times in ``units`` (minutes by default); ``strict`` makes
    commune codes absent from the current COG an error; ``sep``, ``sheet`` and
    ``repair_integers`` are those of :func:`aplcore.traveltimes.travel_times_from_table`;
    ``layout="wide"`` reads a wide matrix (first column the origin ids, one column per
    destination; ``columns`` is not used).
    """
    suffix = path.suffix.lower()
    if suffix == ".npz" or (suffix in (".parquet", ".pq") and _is_saved_matrix(path)):
        return load_travel_times(path)
    origin, destination, minutes = columns
    return travel_times_from_table(
        path,
        origin=origin,
        destination=destination,
        minutes=minutes,
        intra_minutes=intra_minutes,
        max_minutes=None,
        units=units,  # type: ignore[arg-type]
        strict=strict,
        sep=sep,
        sheet=sheet,
        repair_integers=repair_integers,
        layout=layout,
    )


def _is_saved_matrix(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except Exception:  # not a Parquet file: let the table reader report it
        return False
    return b"aplcore" in metadata
