"""Travel times from residence communes to practice communes, as a CSR matrix.

:class:`TravelTimes` is the validated, canonical form every travel-time source produces and every
FCA computation consumes: a commune index (5-character codes, sorted) and a CSR matrix of minutes
whose row ``i`` lists the practice communes reachable from residence commune ``i``. Pairs absent
from the matrix are unreachable (weight 0). The direction is kept: ``t(i → j)`` may differ from
``t(j → i)`` and both FCA steps use ``t(i → j)``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..codes import as_code_index, normalise_codes
from ..errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
    describe_values,
)

__all__ = ["TravelTimes"]

logger = logging.getLogger(__name__)

Duplicates = Literal["error", "min", "first"]
IntraMinutes = float | pd.Series | None


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Car travel times in minutes from residence communes (rows) to practice communes (columns).

    Build it with :meth:`from_frame` (a long table with commune codes) or :meth:`from_arrays`
    (integer positions into a code list); do not call the constructor directly unless the arrays
    are already canonical.

    Attributes
    ----------
    codes
        Commune codes (object dtype ``str``), sorted; position ``i`` is row and column ``i``.
    indptr
        CSR row pointers, int64, length ``n_communes + 1``.
    indices
        Destination positions, int32, increasing inside each row (canonical order: the matrix
        does not depend on the order of the input rows).
    minutes
        Travel times, float64, finite and non-negative.
    metadata
        Provenance (source, method, parameters).
    """

    codes: pd.Index
    indptr: np.ndarray
    indices: np.ndarray
    minutes: np.ndarray
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_communes(self) -> int:
        """Number of communes in the index."""
        return len(self.codes)

    @property
    def n_pairs(self) -> int:
        """Number of stored origin → destination pairs."""
        return int(self.indices.size)

    @cached_property
    def origins(self) -> np.ndarray:
        """Origin position of every stored pair (int32), in storage order."""
        counts = np.diff(self.indptr)
        return np.repeat(np.arange(self.n_communes, dtype=np.int32), counts)

    def __repr__(self) -> str:
        return f"TravelTimes({self.n_communes} communes, {self.n_pairs} pairs)"

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        origin: str = "origin",
        destination: str = "destination",
        minutes: str = "minutes",
        communes: pd.Index | list[str] | None = None,
        intra_minutes: IntraMinutes = None,
        duplicates: Duplicates = "error",
        max_minutes: float | None = None,
        repair_integers: bool = False,
        metadata: Mapping[str, Any] | None = None,
    ) -> TravelTimes:
        """Build from a long table of origin code, destination code and minutes.

        Parameters
        ----------
        df
            One row per pair, residence (origin) → practice (destination).
        origin, destination, minutes
            Column names.
        communes
            Extra communes to include in the index even if they appear in no pair (their rows
            and columns are empty unless ``intra_minutes`` adds their self-pair).
        intra_minutes
            Self-pairs ``i → i``: ``None`` requires every commune to have one (an error lists the
            communes without); a number adds the missing ones with that time; a Series by code
            adds the missing ones with per-commune times (see
            :func:`aplcore.intra_commune_minutes`).
        duplicates
            A pair given twice: ``"error"`` (default), ``"min"`` keeps the shortest time,
            ``"first"`` keeps the first row.
        max_minutes
            Drop pairs slower than this (kept: ``t <= max_minutes``).
        repair_integers
            Zero-pad codes given as integers instead of raising.
        metadata
            Provenance to keep with the matrix.

        Raises
        ------
        InputFormatError
            Missing columns or an empty table.
        CommuneCodeError
            Codes that are integers or not INSEE codes.
        InvalidValueError
            Negative, NaN or infinite times.
        DuplicateError
            Duplicated pairs with ``duplicates="error"``.
        MissingCommuneError
            Missing self-pairs with ``intra_minutes=None``.
        """
        _require_columns(df, [origin, destination, minutes])
        if len(df) == 0:
            msg = "the travel-time table is empty: expected at least one origin → destination row."
            raise InputFormatError(msg)
        o_codes = normalise_codes(
            df[origin], what=f"origin codes (column {origin!r})", repair_integers=repair_integers
        )
        d_codes = normalise_codes(
            df[destination],
            what=f"destination codes (column {destination!r})",
            repair_integers=repair_integers,
        )
        extra = (
            normalise_codes(list(communes), what="communes", repair_integers=repair_integers)
            if communes is not None
            else pd.Index([], dtype=object)
        )
        values = _check_minutes(df[minutes], column=minutes)
        all_codes = pd.Index(
            np.concatenate([o_codes.to_numpy(), d_codes.to_numpy(), extra.to_numpy()])
        )
        codes = pd.Index(np.sort(all_codes.unique().to_numpy().astype(object)), dtype=object)
        o = codes.get_indexer(o_codes).astype(np.int32)
        d = codes.get_indexer(d_codes).astype(np.int32)
        return cls._build(
            codes,
            o,
            d,
            values,
            intra_minutes=intra_minutes,
            duplicates=duplicates,
            max_minutes=max_minutes,
            metadata=metadata,
        )

    @classmethod
    def from_arrays(
        cls,
        codes: pd.Index | np.ndarray | list[str],
        origin: np.ndarray,
        destination: np.ndarray,
        minutes: np.ndarray,
        *,
        intra_minutes: IntraMinutes = None,
        duplicates: Duplicates = "error",
        max_minutes: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> TravelTimes:
        """Build from integer positions into a list of commune codes.

        This is the fast path for generated matrices (crow-fly, road graphs): no string work per
        pair. ``codes`` need not be sorted; positions are remapped to the sorted index.

        Parameters
        ----------
        codes
            The commune codes; unique.
        origin, destination
            Positions into ``codes`` of each pair (any integer dtype).
        minutes
            Travel time of each pair.
        intra_minutes, duplicates, max_minutes, metadata
            As in :meth:`from_frame`.
        """
        index = as_code_index(codes, what="commune codes")
        origin = np.asarray(origin)
        destination = np.asarray(destination)
        values = _check_minutes(pd.Series(np.asarray(minutes, dtype=np.float64)), column="minutes")
        if not (origin.shape == destination.shape == values.shape) or origin.ndim != 1:
            msg = (
                "origin, destination and minutes must be 1-D arrays of the same length, found "
                f"shapes {origin.shape}, {destination.shape} and {values.shape}."
            )
            raise InputFormatError(msg)
        for name, array in (("origin", origin), ("destination", destination)):
            if not np.issubdtype(array.dtype, np.integer):
                msg = f"{name} positions must be integers, found dtype {array.dtype}."
                raise InputFormatError(msg)
            if array.size and (array.min() < 0 or array.max() >= len(index)):
                bad = array[(array < 0) | (array >= len(index))]
                msg = (
                    f"{name} positions must lie in [0, {len(index)}), found "
                    f"{describe_values(np.unique(bad).tolist())}."
                )
                raise InputFormatError(msg)
        order = np.argsort(index.to_numpy().astype(str), kind="stable")
        sorted_codes = pd.Index(index.to_numpy()[order], dtype=object)
        remap = np.empty(len(index), dtype=np.int32)
        remap[order] = np.arange(len(index), dtype=np.int32)
        return cls._build(
            sorted_codes,
            remap[origin],
            remap[destination],
            values,
            intra_minutes=intra_minutes,
            duplicates=duplicates,
            max_minutes=max_minutes,
            metadata=metadata,
        )

    @classmethod
    def _build(
        cls,
        codes: pd.Index,
        origin: np.ndarray,
        destination: np.ndarray,
        minutes: np.ndarray,
        *,
        intra_minutes: IntraMinutes,
        duplicates: Duplicates,
        max_minutes: float | None,
        metadata: Mapping[str, Any] | None,
    ) -> TravelTimes:
        if duplicates not in ("error", "min", "first"):
            msg = f"duplicates must be 'error', 'min' or 'first', found {duplicates!r}."
            raise ParameterError(msg)
        if max_minutes is not None:
            if not (np.isfinite(max_minutes) and max_minutes >= 0):
                msg = f"max_minutes must be a non-negative number, found {max_minutes!r}."
                raise ParameterError(msg)
            keep = minutes <= max_minutes
            origin, destination, minutes = origin[keep], destination[keep], minutes[keep]
        n = len(codes)
        if intra_minutes is not None:
            origin, destination, minutes = _append_self_pairs(
                codes, origin, destination, minutes, intra_minutes
            )
        indptr, indices, data = _sorted_csr(origin, destination, minutes, n)
        indptr, indices, data = _resolve_duplicates(codes, indptr, indices, data, duplicates)
        tt = cls(codes, indptr, indices, data, dict(metadata or {}))
        if intra_minutes is None:
            tt._require_self_pairs()
        return tt

    # ------------------------------------------------------------------ checks and views
    def _has_self_pair(self) -> np.ndarray:
        """Whether each commune has its ``i → i`` pair."""
        from ..kernels import csr

        diagonal = np.arange(self.n_communes, dtype=np.int32)
        return csr.row_has_column(self.indptr, self.indices, diagonal)

    def _require_self_pairs(self) -> None:
        has_self = self._has_self_pair()
        if not has_self.all():
            missing = self.codes[~has_self].tolist()
            msg = (
                f"{len(missing)} communes have no intra-commune pair (i → i): "
                f"{describe_values(missing)}. APL counts the doctors of one's own commune: add the "
                "pairs to the table, or pass intra_minutes=0.0 (or a Series of per-commune times, "
                "see aplcore.intra_commune_minutes) to add the missing ones."
            )
            raise MissingCommuneError(msg)

    def to_frame(self) -> pd.DataFrame:
        """The long table: columns ``origin``, ``destination`` (codes) and ``minutes``."""
        codes = self.codes.to_numpy()
        return pd.DataFrame(
            {
                "origin": codes[self.origins],
                "destination": codes[self.indices],
                "minutes": self.minutes,
            }
        )

    def to_scipy(self) -> Any:
        """The matrix as :class:`scipy.sparse.csr_array` (rows: origins, columns: destinations)."""
        from scipy import sparse

        n = self.n_communes
        return sparse.csr_array((self.minutes, self.indices, self.indptr), shape=(n, n))

    def position(self, codes: pd.Index | list[str], *, what: str = "communes") -> np.ndarray:
        """Positions of ``codes`` in the index; an error lists codes that are not in it."""
        index = pd.Index(codes)
        positions = self.codes.get_indexer(index)
        if (positions < 0).any():
            missing = index[positions < 0].tolist()
            msg = (
                f"{len(missing)} {what} are not in the travel times: {describe_values(missing)}. "
                "Build the travel times over every commune that has demand or supply "
                "(communes=... in TravelTimes.from_frame)."
            )
            raise MissingCommuneError(msg)
        return positions.astype(np.int64)

    def subset(self, codes: pd.Index | list[str]) -> TravelTimes:
        """The travel times restricted to the pairs between the given communes."""
        keep = np.zeros(self.n_communes, dtype=bool)
        keep[self.position(codes)] = True
        mask = keep[self.origins] & keep[self.indices]
        new_pos = np.cumsum(keep) - 1
        return TravelTimes.from_arrays(
            self.codes[keep],
            new_pos[self.origins[mask]],
            new_pos[self.indices[mask]],
            self.minutes[mask],
            intra_minutes=None if self._has_self_pair().all() else 0.0,
            metadata={**self.metadata, "subset_of": self.n_communes},
        )


def _require_columns(df: pd.DataFrame, columns: list[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        msg = f"expected a pandas DataFrame, found {type(df).__name__}."
        raise InputFormatError(msg)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = (
            f"the travel-time table lacks the columns {missing}; its columns are "
            f"{list(df.columns)}. Name them with origin=, destination=, minutes=."
        )
        raise InputFormatError(msg)


def _check_minutes(values: pd.Series, *, column: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(values):
        msg = f"travel times (column {column!r}) must be numbers, found dtype {values.dtype}."
        raise InvalidValueError(msg)
    array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = describe_values([f"row {r}: {array[r]}" for r in rows[:10]])
        msg = (
            f"travel times (column {column!r}) must be finite and non-negative; found "
            f"{rows.size} bad values ({shown}). Drop unreachable pairs instead of giving them an "
            "infinite or missing time."
        )
        raise InvalidValueError(msg)
    return array


def _append_self_pairs(
    codes: pd.Index,
    origin: np.ndarray,
    destination: np.ndarray,
    minutes: np.ndarray,
    intra_minutes: float | pd.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(codes)
    has_self = np.zeros(n, dtype=bool)
    self_rows = origin == destination
    has_self[origin[self_rows]] = True
    missing = np.flatnonzero(~has_self)
    if isinstance(intra_minutes, pd.Series):
        intra = intra_minutes.copy()
        intra.index = normalise_codes(intra.index, what="intra_minutes codes")
        absent = codes[missing].difference(intra.index)
        if len(absent) > 0:
            msg = (
                f"intra_minutes has no time for {len(absent)} communes that lack a self-pair: "
                f"{describe_values(absent.tolist())}."
            )
            raise MissingCommuneError(msg)
        times = _check_minutes(intra.reindex(codes[missing]), column="intra_minutes")
    else:
        value = float(intra_minutes)
        if not (np.isfinite(value) and value >= 0):
            msg = f"intra_minutes must be a non-negative number, found {intra_minutes!r}."
            raise InvalidValueError(msg)
        times = np.full(missing.size, value)
    if missing.size:
        logger.info("added %d intra-commune pairs", missing.size)
    return (
        np.concatenate([origin, missing.astype(origin.dtype, copy=False)]),
        np.concatenate([destination, missing.astype(destination.dtype, copy=False)]),
        np.concatenate([minutes, times]),
    )


def _resolve_duplicates(
    codes: pd.Index,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    duplicates: Duplicates,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from ..kernels import csr

    n = len(codes)
    first_dup = csr.first_duplicate_in_rows(indptr, indices, n, csr.n_chunks_for(n))
    rows = np.flatnonzero(first_dup >= 0)
    if rows.size == 0:
        return indptr, indices, data
    if duplicates == "error":
        pairs = [f"{codes[i]} → {codes[indices[first_dup[i]]]}" for i in rows[:5]]
        msg = (
            f"the travel-time table gives some origin → destination pairs more than once "
            f"({rows.size} origins affected; first pairs: {', '.join(pairs)}). Remove the "
            "duplicates, or pass duplicates='min' (shortest time) or duplicates='first'."
        )
        raise DuplicateError(msg)
    origins = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    frame = pd.DataFrame({"o": origins, "d": indices, "t": data})
    grouped = frame.groupby(["o", "d"], sort=False)["t"]
    reduced = (grouped.min() if duplicates == "min" else grouped.first()).reset_index()
    return _sorted_csr(reduced["o"], reduced["d"], reduced["t"], n)


def _sorted_csr(
    origin: np.ndarray | pd.Series,
    destination: np.ndarray | pd.Series,
    minutes: np.ndarray | pd.Series,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR by origin with every row sorted by destination (the canonical storage)."""
    from ..kernels import csr

    o = np.ascontiguousarray(origin, dtype=np.int32)
    d = np.ascontiguousarray(destination, dtype=np.int32)
    t = np.ascontiguousarray(minutes, dtype=np.float64)
    identity = np.zeros(0, dtype=np.float64)
    indptr, indices, data = csr.bucket_long(o, d, t, n, -1, identity, csr.n_chunks_for(o.size))
    csr.sort_rows(indptr, indices, data)
    return indptr, indices, data
