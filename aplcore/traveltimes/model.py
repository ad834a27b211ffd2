"""Travel times from residence communes to practice communes, as a CSR matrix.

:class:`TravelTimes` is the validated, canonical form every travel-time source produces and every
FCA computation consumes: a commune index (5-character codes, sorted) and a CSR matrix of minutes
whose row ``i`` lists the practice communes reachable from residence commune ``i``. Pairs absent
from the matrix are unreachable (weight 0). The direction is kept: ``t(i → j)`` may differ from
``t(j → i)`` and both FCA steps use ``t(i → j)``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .._checks import Locator
from ..codes import Ids
from ..decay import Decay
from ..errors import (
    InputFormatError,
    InvalidValueError,
    MismatchError,
    MissingCommuneError,
    describe_values,
    type_name,
)
from ..io.od import WHAT
from ..tables import read_table
from .build import BuildOptions, Columns, Duplicates, IntraMinutes, build, from_columns
from .geometry import _unit_index
from .units import TimeUnit

__all__ = ["TravelTimes"]

logger = logging.getLogger(__name__)


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

    @property
    def max_minutes(self) -> float | None:
        """The bound the matrix was built with: pairs slower than this were dropped (None when
        every pair given was kept). Saved with the matrix, so a loaded matrix knows it too."""
        bound = self.metadata.get("max_minutes")
        if bound is None:
            bound = (self.metadata.get("params") or {}).get("max_minutes")
        return None if bound is None else float(bound)

    def accept_truncation(self) -> TravelTimes:
        """The same matrix, used on purpose with decays that reach beyond :attr:`max_minutes`
        (the pairs beyond count 0): :meth:`check_reach` then accepts them."""
        metadata = {**self.metadata, "truncation": "accepted"}
        return TravelTimes.from_csr(self.codes, self.indptr, self.indices, self.minutes, metadata)

    def check_reach(self, decay: Decay) -> None:
        """Refuse a decay that weighs pairs beyond :attr:`max_minutes` (they were dropped).

        A matrix from :meth:`accept_truncation` accepts any decay.

        Raises
        ------
        MismatchError
            The decay's cut-off is above the bound of the matrix.
        """
        bound = self.max_minutes
        if bound is None or decay.cutoff <= bound:
            return
        if self.metadata.get("truncation") == "accepted":
            logger.info("decay beyond max_minutes=%g, accepted by the caller", bound)
            return
        msg = (
            f"the travel times stop at {bound:g} min (max_minutes={bound:g} when the matrix was "
            f"built) but the decay {decay.name!r} weighs pairs up to {decay.cutoff:g} min: the "
            f"pairs between {bound:g} and {decay.cutoff:g} min were dropped and would count 0. "
            f"Build the matrix again with max_minutes of at least {decay.cutoff:g} (CLI: "
            f"aplcore matrix --max-minutes {math.ceil(decay.cutoff)}), or use a decay that ends "
            f"within {bound:g} min."
        )
        raise MismatchError(msg)

    def __post_init__(self) -> None:
        _check_invariants(self.codes, self.indptr, self.indices, self.minutes)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_frame(  # noqa: PLR0913 - public entry point, keyword options
        cls,
        df: Any,
        *,
        origin: str = "origin",
        destination: str = "destination",
        minutes: str = "minutes",
        communes: pd.Index | list[str] | None = None,
        intra_minutes: IntraMinutes = None,
        duplicates: Duplicates = "error",
        max_minutes: float | None = None,
        repair_integers: bool = False,
        ids: Ids = "commune",
        units: TimeUnit | None = None,
        strict: bool = False,
        metadata: Mapping[str, Any] | None = None,
    ) -> TravelTimes:
        """Build from a long table of origin code, destination code and minutes.

        Parameters
        ----------
        df
            One row per pair, residence (origin) → practice (destination): a pandas DataFrame
            (codes of any string dtype), a pyarrow Table or a Polars DataFrame.
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
            ``"first"`` keeps the first row. Resolved before the ``max_minutes`` cut.
        max_minutes
            Drop pairs slower than this (kept: ``t <= max_minutes``).
        repair_integers
            Zero-pad codes given as integers (or as text that lost its leading zeros) instead
            of raising.
        ids
            ``"commune"``: INSEE commune codes; ``"any"``: any non-empty identifiers (IRIS codes,
            grid cells, H3 cells...). Codes absent from the current Code officiel géographique
            give an :class:`aplcore.errors.UnknownCodeWarning` naming them (and, for former
            communes, the commune holding them now).
        units
            Unit of the time column: ``"minutes"``, ``"seconds"`` or ``"hours"`` (converted to
            minutes). ``None``: minutes, with a :class:`aplcore.errors.TimeUnitsWarning` when
            the times look like seconds or hours.
        strict
            Codes absent from the current Code officiel géographique are an error.
        metadata
            Provenance to keep with the matrix.

        Raises
        ------
        InputFormatError
            Missing columns or an empty table.
        CommuneCodeError
            Codes that are integers or not INSEE codes (with row positions, 0 = first row).
        InvalidValueError
            Negative, NaN or infinite times (with row positions).
        DuplicateError
            Duplicated pairs with ``duplicates="error"`` (with row positions).
        MissingCommuneError
            Missing self-pairs with ``intra_minutes=None``.
        """
        # positional, in the order of the fields of BuildOptions (no sentinel, no symmetrising)
        options = BuildOptions(
            max_minutes, intra_minutes, duplicates, None, None, ids, repair_integers, units, strict
        )
        if not _is_table_object(df):
            msg = f"expected a pandas DataFrame, found {type_name(df)}."
            raise InputFormatError(msg)
        names = Columns(origin, destination, minutes)
        table = read_table(
            df,
            columns=list(names),
            text_columns=list(names[:2]),
            what=WHAT,
            hint=" Name them with origin=, destination=, minutes=.",
        )
        rows = Locator(0, "row 0 = first row")
        csr = from_columns(table.data, names, options, communes=communes, rows=rows)
        return cls.from_csr(*csr, metadata=_with_bound(metadata, options.max_minutes))

    @classmethod
    def from_arrays(  # noqa: PLR0913 - public entry point, keyword options
        cls,
        codes: pd.Index | np.ndarray | list[str],
        origin: np.ndarray,
        destination: np.ndarray,
        minutes: np.ndarray,
        *,
        intra_minutes: IntraMinutes = None,
        duplicates: Duplicates = "error",
        max_minutes: float | None = None,
        ids: Ids = "commune",
        metadata: Mapping[str, Any] | None = None,
    ) -> TravelTimes:
        """Build from integer positions into a list of codes.

        This is the fast path for generated matrices (crow-fly, road graphs): no string work per
        pair. ``codes`` need not be sorted; positions are remapped to the sorted index.

        Parameters
        ----------
        codes
            The unit codes; unique.
        origin, destination
            Positions into ``codes`` of each pair (any integer dtype).
        minutes
            Travel time of each pair.
        intra_minutes, duplicates, max_minutes, ids, metadata
            As in :meth:`from_frame`.
        """
        options = BuildOptions(
            max_minutes=max_minutes, intra_minutes=intra_minutes, duplicates=duplicates, ids=ids
        )
        index = _unit_index(codes, ids=ids)
        origin = np.asarray(origin)
        destination = np.asarray(destination)
        values = np.asarray(minutes)
        if not (origin.shape == destination.shape == values.shape) or origin.ndim != 1:
            msg = (
                "origin, destination and minutes must be 1-D arrays of the same length, found "
                f"shapes {origin.shape}, {destination.shape} and {values.shape}."
            )
            raise InputFormatError(msg)
        if not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
            msg = f"travel times must be numbers, found dtype {values.dtype}."
            raise InvalidValueError(msg)
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
        csr = build(
            sorted_codes,
            remap[origin],
            remap[destination],
            np.ascontiguousarray(values, dtype=np.float64),
            options,
            rows=Locator(0, "row 0 = first row"),
        )
        return cls.from_csr(*csr, metadata=_with_bound(metadata, options.max_minutes))

    @classmethod
    def from_csr(
        cls,
        codes: pd.Index,
        indptr: np.ndarray,
        indices: np.ndarray,
        minutes: np.ndarray,
        metadata: Mapping[str, Any] | None = None,
    ) -> TravelTimes:
        """The trusted constructor: arrays that are already canonical, checked cheaply.

        ``codes`` sorted and unique, ``indptr`` int64, ``indices`` int32 increasing inside each
        row, ``minutes`` float64 finite and non-negative, every self-pair present. Only the
        shapes and dtypes are checked (no pass over the pairs): sources that build canonical
        arrays themselves (the store, subsets) use it.
        """
        return cls(codes, indptr, indices, minutes, dict(metadata or {}))

    # ------------------------------------------------------------------ checks and views
    def _has_self_pair(self) -> np.ndarray:
        """Whether each commune has its ``i → i`` pair."""
        from ..kernels import csr  # lazy: numba

        diagonal = np.arange(self.n_communes, dtype=np.int32)
        return csr.row_has_column(self.indptr, self.indices, diagonal)

    def _require_self_pairs(self) -> None:
        has_self = self._has_self_pair()
        if not has_self.all():
            missing = self.codes[~has_self].tolist()
            msg = (
                f"{len(missing)} communes have no intra-commune pair (i → i): "
                f"{describe_values(missing)}. APL counts the doctors of one's own commune."
            )
        fix = "Add the pairs to the table, or pass {param} to add the missing ones."
        raise MissingCommuneError(msg, fix=fix, param="intra_minutes", value=0.0)

    def to_frame(self) -> pd.DataFrame:
        """The long table: columns ``origin``, ``destination`` (codes) and ``minutes``.

        Built by Arrow (codes taken from the index, no Python string per pair); the code columns
        have pandas' default string dtype.
        """
        names = pa.array([str(c) for c in self.codes], type=pa.string())
        table = pa.table(
            {
                "origin": names.take(pa.array(self.origins)),
                "destination": names.take(pa.array(self.indices)),
                "minutes": pa.array(self.minutes),
            }
        )
        return table.to_pandas()

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
        entry = keep[self.origins] & keep[self.indices]
        new_pos = (np.cumsum(keep) - 1).astype(np.int32)
        counts = np.bincount(self.origins[entry], minlength=self.n_communes)[keep]
        indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = new_pos[self.indices[entry]]
        minutes = self.minutes[entry]
        metadata = {**self.metadata, "subset_of": self.n_communes}
        sub = TravelTimes.from_csr(self.codes[keep], indptr, indices, minutes, metadata)
        if not sub._has_self_pair().all():
            from ..kernels import csr  # lazy: numba

            zeros = np.zeros(sub.n_communes, dtype=np.float64)
            indptr, indices, minutes, _, _ = csr.canonical_rows(
                indptr, indices, minutes, csr.DUPLICATES_FIRST, np.inf, zeros
            )
            sub = TravelTimes.from_csr(sub.codes, indptr, indices, minutes, metadata)
        return sub


def _with_bound(metadata: Mapping[str, Any] | None, max_minutes: float | None) -> dict[str, Any]:
    """The metadata, with the bound the pairs were cut at (it travels with saved matrices)."""
    out = dict(metadata or {})
    if max_minutes is not None:
        out["max_minutes"] = float(max_minutes)
    return out


def _is_table_object(df: Any) -> bool:
    return isinstance(df, pd.DataFrame | pa.Table | pa.RecordBatch) or hasattr(
        df, "__arrow_c_stream__"
    )


def _check_invariants(
    codes: pd.Index, indptr: np.ndarray, indices: np.ndarray, minutes: np.ndarray
) -> None:
    """Shapes and dtypes of the canonical CSR: O(1), no pass over the pairs."""
    n = len(codes)
    problems = []
    if indptr.dtype != np.int64 or indptr.shape != (n + 1,):
        problems.append(
            f"indptr must be int64 of length {n + 1}, found {indptr.dtype} {indptr.shape}"
        )
    elif indptr[0] != 0 or indptr[-1] != indices.size:
        problems.append(
            f"indptr must run from 0 to {indices.size}, found {indptr[0]} to {indptr[-1]}"
        )
    if indices.dtype != np.int32 or indices.ndim != 1:
        problems.append(f"indices must be 1-D int32, found {indices.dtype} {indices.shape}")
    if minutes.dtype != np.float64 or minutes.shape != indices.shape:
        problems.append(
            f"minutes must be float64 like indices, found {minutes.dtype} {minutes.shape}"
        )
    if problems:
        msg = "not a canonical travel-time matrix: " + "; ".join(problems) + "."
        raise InputFormatError(msg)
