"""Input alignment: a Series by commune code → a float64 array on the index of a matrix.

Every public computation aligns its demand, supply and population through :func:`align` (one
value per commune of the travel times, checked once: codes, duplicates, numbers, finite and
non-negative). :class:`CodeAligner` remembers the positions of the index objects it has seen
(in an :class:`aplcore._identity.RecentByIdentity`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ._identity import MISSING, RecentByIdentity
from .codes import normalise_codes
from .errors import (
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MismatchError,
    MissingCommuneError,
    ParameterError,
    describe_values,
)

__all__ = ["CodeAligner", "MissingDemand", "align", "align_many", "scenario_columns"]

#: What to do with a commune of the travel times absent from the demand.
MissingDemand = Literal["error", "zero"]


class CodeAligner:
    """Positions of the codes of input Series in an index of codes, with its hash map built once.

    A Series whose index is the matrix's own index object, or an index already found equal to
    it, takes the array path with no lookup at all; another index is looked up once in the hash
    table that pandas keeps on the matrix's index, and its positions are remembered for the
    next call with the same index object (pandas indexes are immutable).
    """

    #: How many index objects are remembered.
    REMEMBERED = 8

    def __init__(self, codes: pd.Index) -> None:
        self.codes = codes
        self._known: RecentByIdentity[np.ndarray | None] = RecentByIdentity(self.REMEMBERED)

    def positions(self, index: pd.Index) -> np.ndarray | None:
        """Position of each code of ``index`` in the codes (-1: absent); ``None``: identical."""
        if index is self.codes:
            return None
        known = self._known.get(index)
        if known is not MISSING:
            return known  # type: ignore[return-value]
        if _known_equal(index, self.codes):
            positions = None
        else:
            positions = self.codes.get_indexer(index)
            positions.flags.writeable = False
        self._known.put(positions, index)
        return positions


#: Pairs of indexes found equal lately (indexes are immutable: a matrix built again from the
#: same table has the same codes object, and the user's Series keep theirs).
_EQUAL_INDEXES: RecentByIdentity[bool] = RecentByIdentity(4)


def _known_equal(index: pd.Index, codes: pd.Index) -> bool:
    """Whether two indexes hold the same codes in the same order (remembered once found)."""
    if _EQUAL_INDEXES.get(index, codes) is True:
        return True
    if len(index) != len(codes) or not index.equals(codes):
        return False
    _EQUAL_INDEXES.put(True, index, codes)
    return True


def align(
    codes: pd.Index,
    values: pd.Series,
    *,
    what: str,
    missing: MissingDemand,
    aligner: CodeAligner | None = None,
) -> np.ndarray:
    """``values`` as a float64 array aligned on ``codes``, checked (codes, duplicates, numbers)."""
    if missing not in ("error", "zero"):
        msg = f"missing_demand must be 'error' or 'zero', found {missing!r}."
        raise ParameterError(msg)
    series = _as_series(values, what=what)
    positions = (aligner or CodeAligner(codes)).positions(series.index)
    array = _numbers(series, what=what)
    if positions is None:
        _check_values(array, series.index, what=what)
        return array
    unknown = positions < 0
    if unknown.any():  # codes written another way (surrounding spaces) are the same communes
        normalised = normalise_codes(series.index, what=f"commune codes of the {what}")
        positions = codes.get_indexer(normalised)
        unknown = positions < 0
    if unknown.any():
        offending = normalised[unknown]
        msg = (
            f"{len(offending)} communes of the {what} are not in the travel times: "
            f"{describe_values(offending.tolist())}. Build the travel times over these communes "
            f"too, or drop them from the {what}."
        )
        raise MissingCommuneError(msg)
    counts = np.bincount(positions, minlength=len(codes))
    if (counts > 1).any():
        dup = codes[counts > 1].tolist()
        msg = (
            f"the {what} gives some communes more than once: {describe_values(dup)}. "
            "Sum them per commune first."
        )
        raise DuplicateError(msg)
    _check_values(array, series.index, what=what)
    if missing == "error" and (counts == 0).any():
        absent = codes[counts == 0].tolist()
        msg = (
            f"the {what} has no value for {len(absent)} communes of the travel times: "
            f"{describe_values(absent)}. Give every commune a value (0 where there is none)."
        )
        raise MissingCommuneError(msg, fix="Or pass {param}.", param="missing_demand", value="zero")
    out = np.zeros(len(codes), dtype=np.float64)
    out[positions] = array
    return out


def _as_series(values: pd.Series, *, what: str) -> pd.Series:
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        values = values.iloc[:, 0]
    if not isinstance(values, pd.Series):
        msg = (
            f"the {what} must be a pandas Series indexed by commune code, found "
            f"{type(values).__name__}."
        )
        raise InputFormatError(msg)
    if len(values) == 0:
        msg = f"the {what} is empty: expected one value per commune."
        raise InputFormatError(msg)
    return values


def _numbers(series: pd.Series, *, what: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        msg = f"the {what} must be numbers, found dtype {series.dtype}."
        raise InvalidValueError(msg)
    # a fresh writable array: pandas hands out read-only views, which Numba compiles apart
    return np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _check_values(array: np.ndarray, index: pd.Index, *, what: str) -> None:
    bad = ~((array >= 0) & (array < np.inf))
    if bad.any():
        offending = [f"{c}: {v}" for c, v in zip(index[bad][:5], array[bad][:5], strict=True)]
        msg = (
            f"the {what} must be finite and non-negative; {int(bad.sum())} communes are not "
            f"({describe_values(offending)})."
        )
        raise InvalidValueError(msg)


def scenario_columns(
    demand: pd.Series | pd.DataFrame, supply: pd.Series | pd.DataFrame
) -> pd.Index:
    frames = [x for x in (demand, supply) if isinstance(x, pd.DataFrame)]
    if not frames:
        return pd.Index([supply.name or "apl"])
    if len(frames) == 2 and not frames[0].columns.equals(frames[1].columns):
        msg = (
            "demand and supply scenarios must have the same columns, found "
            f"{list(frames[0].columns)[:5]} and {list(frames[1].columns)[:5]}."
        )
        raise MismatchError(msg)
    return frames[0].columns


def align_many(
    codes: pd.Index,
    values: pd.Series | pd.DataFrame,
    *,
    what: str,
    missing: MissingDemand,
    aligner: CodeAligner | None = None,
) -> np.ndarray:
    aligner = aligner or CodeAligner(codes)
    if isinstance(values, pd.Series):
        return align(codes, values, what=what, missing=missing, aligner=aligner)
    if not isinstance(values, pd.DataFrame) or values.shape[1] == 0:
        msg = f"the {what} scenarios must be a Series or a non-empty DataFrame by commune code."
        raise InputFormatError(msg)
    out = np.empty((len(codes), values.shape[1]), dtype=np.float64)
    for k, column in enumerate(values.columns):
        out[:, k] = align(
            codes, values[column], what=f"{what} {column!r}", missing=missing, aligner=aligner
        )
    return out
