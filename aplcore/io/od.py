"""Origin-destination tables (Metric or OSRM exports): the columns read as Arrow, codes as text.

:func:`aplcore.travel_times_from_table` builds the matrix from them; :func:`read_od_table` gives
the table itself as a DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..errors import ParameterError
from ..tables import read_table

__all__ = ["read_od_table"]

#: How the O-D table is named in messages.
WHAT = "the travel-time table"
HINT = "Name the right ones with {param}."
_READ_OPTIONS = {"sep": "sep", "delimiter": "sep", "encoding": "encoding", "sheet_name": "sheet"}


def reading_options(read_options: Mapping[str, Any] | None, **given: Any) -> dict[str, Any]:
    """The reading options of :func:`aplcore.tables.read_table` from ``read_options`` and ``given``.

    Raises
    ------
    ParameterError
        An option that is not a separator, an encoding or an Excel sheet.
    """
    options = {k: v for k, v in given.items() if v is not None}
    for key, value in (read_options or {}).items():
        if key not in _READ_OPTIONS:
            msg = (
                f"read_options supports {sorted(_READ_OPTIONS)}, found {key!r}. Read the table "
                "yourself and pass the DataFrame for other options."
            )
            raise ParameterError(msg)
        options[_READ_OPTIONS[key]] = value
    return options


def read_od_table(
    source: Any,
    *,
    columns: list[str],
    read_options: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """Read the needed columns of an O-D table, codes as text; returns (table, file name)."""
    table = read_table(
        source,
        columns=columns,
        text_columns=columns[:2],
        what=WHAT,
        hint=HINT,
        dictionary=False,
        **reading_options(read_options),
    )
    name = table.path.name if table.path is not None else None
    return table.data.to_pandas(), name
