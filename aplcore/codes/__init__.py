"""Commune codes: 5-character INSEE COG strings such as ``"01001"``, ``"2A004"`` or ``"75056"``.

Codes are never integers in aplcore. Inputs with integer-looking codes are rejected unless the
caller asks for a repair, which is only done when it is unambiguous (a number of at most 5 digits
whose zero-padding gives a valid code).

The package holds the bundled COG table (:mod:`~aplcore.codes.cog`), the INSEE forms and their one
repair routine (:mod:`~aplcore.codes.forms`), the Arrow encoding of columns of codes
(:mod:`~aplcore.codes.arrow`) and the history of mergers and splits
(:mod:`~aplcore.codes.history`).
"""

from __future__ import annotations

from .arrow import CodeColumn, Ids, RowNumbers, encode_codes
from .forms import CODE_PATTERN, as_code_index, normalise_codes
from .history import COG_YEARS, CommuneSplitWarning, code_status, load_code_history, update

__all__ = [
    "CODE_PATTERN",
    "COG_YEARS",
    "CodeColumn",
    "CommuneSplitWarning",
    "Ids",
    "RowNumbers",
    "as_code_index",
    "code_status",
    "encode_codes",
    "load_code_history",
    "normalise_codes",
    "update",
]
