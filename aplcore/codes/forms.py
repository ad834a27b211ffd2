"""INSEE forms of commune codes: 5-character strings, and the one repair of lost leading zeros.

Codes are never integers in aplcore. Inputs with integer-looking codes are rejected unless the
caller asks for a repair, which is only done when it is unambiguous (a number of at most 5 digits
whose zero-padding gives a valid code).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import CommuneCodeError, DuplicateError, describe_values
from .cog import current_codes

__all__ = ["CODE_PATTERN", "as_code_index", "normalise_codes", "short_codes_hint"]

logger = logging.getLogger(__name__)

#: Metropolitan codes (2 digits or 2A/2B, then 3 digits) and overseas codes (97x + 2 digits).
CODE_PATTERN = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
_CODE_REGEX = CODE_PATTERN.pattern
#: How to keep the leading zeros of codes stored as numbers.
TEXT_CODES_FIX = (
    "Read the column as text (e.g. pandas.read_csv(..., dtype={'code': str})) or pass {param} to "
    "zero-pad whole numbers."
)


def _is_integer_dtype(values: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(values) or pd.api.types.is_float_dtype(values)


def normalise_codes(
    values: pd.Series | pd.Index | np.ndarray | list[object],
    *,
    what: str = "commune codes",
    repair_integers: bool = False,
) -> pd.Index:
    """Check commune codes and return them as a string index.

    Parameters
    ----------
    values
        The codes as read.
    what
        How to name these codes in an error message (for instance ``"origin codes"``).
    repair_integers
        Zero-pad integer codes (``1001`` → ``"01001"``). Only done when every value is a
        non-negative whole number below 100 000; the repair is logged.

    Returns
    -------
    pandas.Index
        The codes, dtype ``object`` of Python ``str``, in input order.

    Raises
    ------
    CommuneCodeError
        Codes that are numbers (unless repaired), missing, or not of the INSEE form.
    """
    series = pd.Series(values, copy=False) if not isinstance(values, pd.Series) else values
    if _is_integer_dtype(series) and len(series) > 0:
        if not repair_integers:
            msg = (
                f"{what} must be 5-character strings such as '01001' or '2A004', found numbers "
                f"({describe_values(series.head(5).tolist())}): leading zeros are lost that way."
            )
            raise CommuneCodeError(msg, fix=TEXT_CODES_FIX, param="repair_integers", value=True)
        series = _repair_integer_codes(series, what=what)
    if series.isna().any():
        rows = np.flatnonzero(series.isna().to_numpy())
        positions = describe_values(rows.tolist())
        msg = f"{what} must not be missing; found missing codes at positions {positions}."
        raise CommuneCodeError(msg)
    # surrounding spaces are removed, as every reader does: ' 45002' and '45002' are one commune
    text = series.astype(str).str.strip()
    bad = ~text.str.fullmatch(_CODE_REGEX)
    if bad.any():
        offending = text[bad].unique().tolist()
        hint = ""
        if all(v.isdigit() and len(v) < 5 for v in offending[:20]):
            hint = short_codes_hint(offending, fix="read them as text")
        msg = (
            f"{what} must be INSEE codes of 5 characters (2 digits or 2A/2B, then 3 digits, e.g. "
            f"'01001', '2A004', '97411'); found {describe_values(offending)}.{hint}"
        )
        raise CommuneCodeError(msg)
    return pd.Index(text.to_numpy(dtype=object), dtype=object)


def _repair_integer_codes(series: pd.Series, *, what: str) -> pd.Series:
    numbers = series.to_numpy(dtype=float)
    whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers >= 0) & (numbers < 1e5)
    if not whole.all():
        offending = series[~whole].head(5).tolist()
        msg = (
            f"cannot repair {what}: integer repair needs whole numbers between 0 and 99999, found "
            f"{describe_values(offending)}. Read the codes as text instead."
        )
        raise CommuneCodeError(msg)
    logger.warning(
        "repaired %d %s given as integers by zero-padding to 5 digits", len(series), what
    )
    return pd.Series([f"{int(v):05d}" for v in numbers], index=series.index, dtype=object)


def as_code_index(
    values: pd.Series | pd.Index | np.ndarray | list[object],
    *,
    what: str = "commune codes",
    repair_integers: bool = False,
) -> pd.Index:
    """Like :func:`normalise_codes`, and also reject duplicated codes.

    Raises
    ------
    DuplicateError
        A code appears more than once.
    """
    index = normalise_codes(values, what=what, repair_integers=repair_integers)
    if index.has_duplicates:
        dup = index[index.duplicated()].unique().tolist()
        msg = f"{what} must be unique, found duplicated codes {describe_values(dup)}."
        fix = "Aggregate the rows per commune (e.g. df.groupby(code).sum()) before passing them."
        raise DuplicateError(msg, fix=fix, param="values")
    return index


def short_codes_hint(codes: Iterable[str], *, fix: str) -> str:
    """What codes of fewer than 5 digits probably are: zero-padded, are they communes?

    Parameters
    ----------
    codes
        The short codes (digits only).
    fix
        How to repair codes that lost their leading zero (the caller's option).
    """
    shown = list(codes)[:20]
    padded = pd.Index([c.zfill(5) for c in shown], dtype=object)
    if padded.isin(current_codes()).all():
        return f" They look like codes that lost their leading zero: {fix}."
    not_communes = [c for c, p in zip(shown, padded, strict=True) if p not in current_codes()]
    return (
        f" Zero-padded, {describe_values(not_communes)} would not be communes either: the codes "
        "look cut short (a damaged file), not just stripped of a leading zero. Check the file."
    )
