"""Readers and writers of the files researchers arrive with and leave with.

Readers validate and report problems with file line numbers and the offending values; commune
codes are always read as text. Writers are atomic and refuse to overwrite unless asked.

``read_drees_apl``, ``read_drees_parameters`` (DREES APL workbook) and ``read_od_table``
(Metric/OSRM origin-destination exports) are loaded lazily from their modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .cog import COG_TYPES, read_cog_communes, read_territories
from .population import AGE_BANDS, read_population_by_age
from .practitioners import PRACTITIONER_COLUMNS, read_practitioners
from .writers import (
    OutputExistsError,
    OutputSet,
    OutputSetError,
    atomic_write,
    output_set,
    write_csv,
    write_geojson,
    write_parquet,
)

_LAZY: dict[str, str] = {
    "read_drees_apl": "aplcore.io.drees",
    "read_drees_parameters": "aplcore.io.drees",
    "read_od_table": "aplcore.traveltimes.table",
}

__all__ = [
    "AGE_BANDS",
    "COG_TYPES",
    "PRACTITIONER_COLUMNS",
    "OutputExistsError",
    "OutputSet",
    "OutputSetError",
    "atomic_write",
    "output_set",
    "read_cog_communes",
    "read_drees_apl",
    "read_drees_parameters",
    "read_od_table",
    "read_population_by_age",
    "read_practitioners",
    "read_territories",
    "write_csv",
    "write_geojson",
    "write_parquet",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        msg = f"module 'aplcore.io' has no attribute {name!r}"
        raise AttributeError(msg)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        msg = f"aplcore.io.{name} is not available in this installation ({module_name} missing)"
        raise ImportError(msg) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from ..traveltimes.table import read_od_table
    from .drees import read_drees_apl, read_drees_parameters
